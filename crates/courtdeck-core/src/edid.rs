//! A monitor's identity, from its EDID: which physical monitor is on a connector.
//!
//! Connector names and RandR indexes move (a cable moved to another port, a re-enumeration after a
//! reboot); the monitor itself does not. A screen that names an identity is that monitor and no other:
//! `MonitorIdentity` is what a configured `[[screen]] identity` is compared with.
//!
//! The rule (docs/config.md, "Which monitor is which"):
//! - The identity is the manufacturer, product code and serial (`DEL-A0F1-CN0123456`) when the monitor
//!   reports a real serial: the Display Product Serial Number descriptor's text, else the numeric serial
//!   of the base block. A pin by serial matches the monitor whatever its product code says, so a monitor
//!   that reports another product code on another input (VGA and DVI) is still itself.
//! - A serial that is a placeholder (`01010101`, `00000001`, `12345678`; text that is all zeros or one
//!   digit, counts up, or reads `SerialNumber`, `demoset-1`…) is no serial: thousands of monitors carry
//!   the same one. Such a monitor, and one with no serial at all, is known by a hash of its EDID base
//!   block (`EDID-3f9a0c1d2b4e5f60`), which tells two models apart but not two of the same model: it is
//!   not `unique`, and a screen pinned to it must also name its connector.
//! - The hash leaves out what changes when only the cable does: the input type (byte 20), the number
//!   of extension blocks (byte 126) and the checksum.
//!
//! Descriptor text is read as `edid-decode` reads it: up to the first newline, NUL, 0xFF or other
//! non-printable byte, surrounding spaces trimmed. Of several name descriptors the first filled one is
//! the name (a later empty one never wipes it), and a name that fills its descriptor to the last byte
//! is continued by the next name descriptor.

use sha2::{Digest, Sha256};

/// What a valid EDID 1.x base block says about the monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edid {
    /// The three-letter PNP manufacturer id (`DEL`, `SAM`).
    pub manufacturer: String,
    pub product: u16,
    /// The numeric serial; `None` when the monitor reports 0.
    pub serial: Option<u32>,
    /// The serial-number descriptor's text (tag 0xFF), when there is a filled one.
    pub serial_text: Option<String>,
    /// The monitor-name descriptor's text (tag 0xFC), when there is a filled one.
    pub model: Option<String>,
    /// The first 16 hex digits of the SHA-256 of the base block, without input type, extension count
    /// and checksum.
    pub hash: String,
    /// The identity the rule before 2026-12-07 gave (text serials ending in NUL dropped, placeholders
    /// taken as serials, the hash over the whole block), so that pins written then still work.
    legacy: MonitorIdentity,
}

/// A monitor's serial, as the identity sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serial {
    /// Names this one monitor.
    Real(String),
    /// Says nothing: the same on many monitors (`01010101`, `0000000000`, `SerialNumber`).
    Placeholder(String),
    /// The monitor reports none.
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EdidError {
    #[error("the EDID is {0} bytes; a base block is 128")]
    Short(usize),
    #[error("the EDID does not start with the EDID header")]
    Header,
    #[error("the EDID's checksum is wrong (a damaged cable or adapter)")]
    Checksum,
}

const HEADER: [u8; 8] = [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];

impl Edid {
    /// Parses the base block of `bytes` (extension blocks after it are ignored).
    pub fn parse(bytes: &[u8]) -> Result<Edid, EdidError> {
        let block = bytes.get(..128).ok_or(EdidError::Short(bytes.len()))?;
        if block[..8] != HEADER {
            return Err(EdidError::Header);
        }
        if block.iter().fold(0u8, |a, b| a.wrapping_add(*b)) != 0 {
            return Err(EdidError::Checksum);
        }
        let id = u16::from_be_bytes([block[8], block[9]]);
        let letter = |shift: u16| char::from(b'@' + ((id >> shift) & 0x1f) as u8);
        let manufacturer: String = [letter(10), letter(5), letter(0)].into_iter().collect();
        let product = u16::from_le_bytes([block[10], block[11]]);
        let serial = u32::from_le_bytes([block[12], block[13], block[14], block[15]]);
        let mut serial_text = None;
        let mut names: Vec<Text> = Vec::new();
        // Four 18-byte descriptors; a display descriptor starts 00 00 00 TAG 00.
        for d in block[54..126].chunks_exact(18) {
            if d[..3] != [0, 0, 0] {
                continue; // a detailed timing
            }
            let text = descriptor_text(&d[5..18]);
            match d[3] {
                0xff if serial_text.is_none() && !text.text.is_empty() => {
                    serial_text = Some(text.text)
                }
                0xfc => names.push(text),
                _ => {}
            }
        }
        let model = name_of(&names);
        let mut masked = [0u8; 128];
        masked.copy_from_slice(block);
        masked[20] = 0;
        masked[126] = 0;
        masked[127] = 0;
        let serial = (serial != 0).then_some(serial);
        Ok(Edid {
            legacy: legacy_identity(block, &manufacturer, product, serial),
            manufacturer,
            product,
            serial,
            serial_text,
            model,
            hash: short_hash(&masked),
        })
    }

    /// The serial as the identity sees it: the descriptor's text unless it is a placeholder, else the
    /// numeric serial (8 hex digits) unless it is one.
    pub fn serial_number(&self) -> Serial {
        let numeric = self
            .serial
            .map(|n| (format!("{n:08X}"), placeholder_number(n)));
        let text = self
            .serial_text
            .as_ref()
            .map(|t| (t.clone(), placeholder_text(t)));
        match (text, numeric) {
            (Some((t, false)), _) => Serial::Real(t),
            (_, Some((n, false))) => Serial::Real(n),
            (Some((t, true)), _) => Serial::Placeholder(t),
            (None, Some((n, true))) => Serial::Placeholder(n),
            (None, None) => Serial::Absent,
        }
    }

    /// The monitor's identity: by its serial when it reports a real one, else by its EDID's hash.
    pub fn identity(&self) -> MonitorIdentity {
        MonitorIdentity(match self.serial_number() {
            Serial::Real(serial) => {
                format!("{}-{:04X}-{serial}", self.manufacturer, self.product)
            }
            Serial::Placeholder(_) | Serial::Absent => format!("EDID-{}", self.hash),
        })
    }

    /// Whether the identity names this one monitor (a real serial), not only its model.
    pub fn is_unique(&self) -> bool {
        matches!(self.serial_number(), Serial::Real(_))
    }

    /// Why the identity does not name one monitor, for the clerk; `None` when it does.
    pub fn why_not_unique(&self) -> Option<String> {
        match self.serial_number() {
            Serial::Real(_) => None,
            Serial::Placeholder(p) => Some(format!(
                "its serial \"{p}\" is a placeholder that other monitors carry too: pin its screen by connector as well"
            )),
            Serial::Absent => Some(
                "it reports no serial: another monitor of the same model has the same identity; pin its screen by connector as well"
                    .to_owned(),
            ),
        }
    }

    /// The identity this monitor had under the rule before 2026-12-07, when it differs from today's
    /// (a pin in that form still finds it, and `courtdeck screens` says what to write instead).
    pub fn legacy_identity(&self) -> Option<MonitorIdentity> {
        (self.legacy != self.identity()).then(|| self.legacy.clone())
    }
}

/// A descriptor's text, and whether it ran to the descriptor's last byte (a name that may go on in
/// the next name descriptor).
struct Text {
    text: String,
    full: bool,
}

/// A descriptor's 13 bytes of text, as `edid-decode` reads them: up to the first newline, NUL, 0xFF
/// or non-printable byte; surrounding spaces trimmed.
fn descriptor_text(bytes: &[u8]) -> Text {
    let end = bytes
        .iter()
        .position(|b| !(0x20..=0x7e).contains(b))
        .unwrap_or(bytes.len());
    Text {
        text: String::from_utf8_lossy(&bytes[..end]).trim().to_owned(),
        full: end == bytes.len(),
    }
}

/// The model name from the name descriptors, in order: the first filled one, continued by the next
/// when it fills its descriptor.
fn name_of(names: &[Text]) -> Option<String> {
    let first = names.iter().position(|n| !n.text.is_empty())?;
    let mut name = names[first].text.clone();
    if names[first].full
        && let Some(next) = names.get(first + 1).filter(|n| !n.text.is_empty())
    {
        name.push_str(&next.text);
    }
    Some(name)
}

fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A numeric serial that many monitors share: every byte the same (`01010101`, `FFFFFFFF`),
/// `00000001`, or `12345678`.
fn placeholder_number(n: u32) -> bool {
    let b = n.to_le_bytes();
    b.iter().all(|x| *x == b[0]) || matches!(n, 1 | 0x1234_5678 | 0x8765_4321)
}

/// Serial text that many monitors share: all one character (`0`, `0000000000`, `1111`), digits that
/// count up (`123456789`, `1234567890123`, `0123456789`), or a word that is not a serial
/// (`SerialNumber`, `demoset-1`, `N/A`).
pub fn placeholder_text(text: &str) -> bool {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let first = t.chars().next();
    let counting = t.len() >= 6
        && t.bytes().all(|b| b.is_ascii_digit())
        && t.as_bytes()
            .windows(2)
            .all(|w| (w[0] - b'0' + 1) % 10 == w[1] - b'0');
    t.is_empty()
        || t.chars().all(|c| Some(c) == first)
        || counting
        || lower.starts_with("demoset")
        || [
            "serialnumber",
            "serial number",
            "serial",
            "sn",
            "s/n",
            "none",
            "n/a",
            "na",
            "null",
            "default",
            "unknown",
            "tbd",
        ]
        .contains(&lower.as_str())
}

/// The identity by the rule before 2026-12-07 (see `Edid::legacy`).
fn legacy_identity(
    block: &[u8],
    manufacturer: &str,
    product: u16,
    serial: Option<u32>,
) -> MonitorIdentity {
    let mut text = None;
    for d in block[54..126].chunks_exact(18) {
        if d[..3] == [0, 0, 0] && d[3] == 0xff {
            let bytes = &d[5..18];
            let end = bytes
                .iter()
                .position(|b| *b == b'\n')
                .unwrap_or(bytes.len());
            let t = &bytes[..end];
            text = t
                .iter()
                .all(|b| b.is_ascii_graphic() || *b == b' ')
                .then(|| String::from_utf8_lossy(t).trim().to_owned())
                .filter(|s| !s.is_empty());
        }
    }
    MonitorIdentity(match text.or_else(|| serial.map(|s| format!("{s:08X}"))) {
        Some(serial) => format!("{manufacturer}-{product:04X}-{serial}"),
        None => format!("EDID-{}", short_hash(block)),
    })
}

/// A monitor's identity as configured (`[[screen]] identity`) and as read off the monitor.
/// Compared without regard to case or surrounding space.
#[derive(Debug, Clone, Eq)]
pub struct MonitorIdentity(String);

impl MonitorIdentity {
    pub fn new(s: &str) -> MonitorIdentity {
        MonitorIdentity(s.trim().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `MFR-PROD-SERIAL` as (manufacturer, serial); `None` for a hash identity.
    fn by_serial(&self) -> Option<(&str, &str)> {
        let mut parts = self.0.splitn(3, '-');
        let (m, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        let is_mfr = m.len() == 3 && m.bytes().all(|b| b.is_ascii_alphabetic());
        let is_product = p.len() == 4 && p.bytes().all(|b| b.is_ascii_hexdigit());
        (is_mfr && is_product && !s.is_empty()).then_some((m, s))
    }

    /// Whether a pin (`self`) names the monitor whose identity is `monitor`: the same identity, or
    /// the same manufacturer and serial under another product code (the same monitor on another
    /// input).
    pub fn names(&self, monitor: &MonitorIdentity) -> bool {
        if self == monitor {
            return true;
        }
        match (self.by_serial(), monitor.by_serial()) {
            (Some((m1, s1)), Some((m2, s2))) => {
                m1.eq_ignore_ascii_case(m2) && s1.eq_ignore_ascii_case(s2)
            }
            _ => false,
        }
    }
}

impl PartialEq for MonitorIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl std::fmt::Display for MonitorIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Builds an EDID 1.4 base block (with its checksum) for a monitor: for tests and fixtures, which
/// need real EDID bytes without a real monitor (feature `test-support`; never in a shipped binary).
#[cfg(any(test, feature = "test-support"))]
pub fn edid_block(
    manufacturer: &str,
    product: u16,
    serial: u32,
    serial_text: Option<&str>,
    model: &str,
) -> [u8; 128] {
    let mut b = [0u8; 128];
    b[..8].copy_from_slice(&HEADER);
    let m: Vec<u16> = manufacturer
        .bytes()
        .map(|c| u16::from(c.to_ascii_uppercase() - b'@') & 0x1f)
        .collect();
    let id = (m[0] << 10) | (m[1] << 5) | m[2];
    b[8..10].copy_from_slice(&id.to_be_bytes());
    b[10..12].copy_from_slice(&product.to_le_bytes());
    b[12..16].copy_from_slice(&serial.to_le_bytes());
    b[16] = 1; // week
    b[17] = 34; // 1990 + 34
    b[18] = 1; // EDID 1.4
    b[19] = 4;
    b[20] = 0xa5; // digital, 8 bits per colour, DisplayPort
    b[21] = 60; // 60 x 34 cm
    b[22] = 34;
    b[23] = 120; // gamma 2.2
    b[24] = 0x06; // sRGB, preferred timing includes native format
    // One detailed timing: 1920x1080 @ 60 Hz (148.5 MHz).
    b[54..72].copy_from_slice(&[
        0x02, 0x3a, 0x80, 0x18, 0x71, 0x38, 0x2d, 0x40, 0x58, 0x2c, 0x45, 0x00, 0x56, 0x50, 0x21,
        0x00, 0x00, 0x1e,
    ]);
    let mut put_text = |slot: usize, tag: u8, text: &str| {
        let d = &mut b[54 + 18 * slot..72 + 18 * slot];
        d[..5].copy_from_slice(&[0, 0, 0, tag, 0]);
        let bytes = text.as_bytes();
        let n = bytes.len().min(13);
        d[5..5 + n].copy_from_slice(&bytes[..n]);
        if n < 13 {
            d[5 + n] = b'\n';
            for x in &mut d[6 + n..] {
                *x = b' ';
            }
        }
    };
    put_text(1, 0xfc, model);
    match serial_text {
        Some(s) => put_text(2, 0xff, s),
        None => put_text(2, 0x10, ""), // a dummy descriptor
    }
    put_text(3, 0x10, "");
    let sum = b[..127].iter().fold(0u8, |a, x| a.wrapping_add(*x));
    b[127] = 0u8.wrapping_sub(sum);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_monitor_with_a_serial_is_known_by_it() {
        let e = Edid::parse(&edid_block(
            "DEL",
            0xa0f1,
            0,
            Some("CN0123456"),
            "DELL U2419H",
        ))
        .unwrap();
        assert_eq!(e.manufacturer, "DEL");
        assert_eq!(e.product, 0xa0f1);
        assert_eq!(e.model.as_deref(), Some("DELL U2419H"));
        assert_eq!(e.identity().as_str(), "DEL-A0F1-CN0123456");
        assert!(e.is_unique());
        // The numeric serial, when there is no text one.
        let e = Edid::parse(&edid_block("SAM", 0x0e3b, 0x4c4d_3254, None, "S24")).unwrap();
        assert_eq!(e.identity().as_str(), "SAM-0E3B-4C4D3254");
    }

    #[test]
    fn a_monitor_without_a_serial_is_known_by_its_edid_hash() {
        let a = Edid::parse(&edid_block("GSM", 0x5b09, 0, None, "LG TV")).unwrap();
        let b = Edid::parse(&edid_block("GSM", 0x5b0a, 0, None, "LG TV")).unwrap();
        assert!(!a.is_unique());
        assert!(a.identity().as_str().starts_with("EDID-"));
        assert_eq!(a.identity().as_str().len(), "EDID-".len() + 16);
        assert_ne!(a.identity(), b.identity(), "another model, another hash");
    }

    #[test]
    fn identities_compare_without_case() {
        assert_eq!(
            MonitorIdentity::new(" del-a0f1-cn0123456 "),
            MonitorIdentity::new("DEL-A0F1-CN0123456")
        );
        assert_ne!(
            MonitorIdentity::new("DEL-A0F1-CN0123456"),
            MonitorIdentity::new("DEL-A0F1-CN0123457")
        );
    }

    #[test]
    fn damaged_edids_are_refused() {
        let good = edid_block("DEL", 1, 1, None, "X");
        assert_eq!(Edid::parse(&good[..100]), Err(EdidError::Short(100)));
        let mut bad = good;
        bad[0] = 1;
        assert_eq!(Edid::parse(&bad), Err(EdidError::Header));
        let mut bad = good;
        bad[20] ^= 0x10;
        assert_eq!(Edid::parse(&bad), Err(EdidError::Checksum));
        // Extension blocks after the base block are ignored.
        let mut long = good.to_vec();
        long.extend_from_slice(&[0x02; 128]);
        assert!(Edid::parse(&long).is_ok());
    }

    #[test]
    fn a_real_monitors_edid_parses() {
        // A Dell P2414H's base block as `xrandr --verbose` printed it (read off a real monitor).
        let hex = "00ffffffffffff0010ac9ba04c455531 2617010380351e78eaa0a5a656529d27 \
                   0f5054a54b00714f8180a9c0d1c00101 010101010101023a801871382d40582c \
                   45000f292100001e000000ff00333657 4a583339483155454c0a000000fc0044 \
                   454c4c205032343134480a20000000fd 00384c1e5311000a20202020202000ce";
        let digits: String = hex.split_whitespace().collect();
        let bytes: Vec<u8> = (0..digits.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
            .collect();
        let e = Edid::parse(&bytes).unwrap();
        assert_eq!(e.manufacturer, "DEL");
        assert_eq!(e.product, 0xa09b);
        assert_eq!(e.model.as_deref(), Some("DELL P2414H"));
        assert_eq!(e.serial_text.as_deref(), Some("36WJX39H1UEL"));
        assert_eq!(e.identity().as_str(), "DEL-A09B-36WJX39H1UEL");
    }

    fn with_serial_descriptor(raw: &[u8; 13]) -> [u8; 128] {
        let mut b = edid_block("SAM", 0x0f9d, 0x4e48_4844, Some("X"), "C27R50x");
        // Slot 2 holds the serial descriptor.
        b[54 + 36 + 5..54 + 36 + 18].copy_from_slice(raw);
        let sum = b[..127].iter().fold(0u8, |a, x| a.wrapping_add(*x));
        b[127] = 0u8.wrapping_sub(sum);
        b
    }

    #[test]
    fn serial_text_ends_where_edid_decode_ends_it() {
        // NUL after the text (newer Samsung models), 0x01 (a Dell), 0xFF padding (a Lenovo).
        for (raw, want) in [
            (b"H4CR303100W\x00 ", "H4CR303100W"),
            (b"737318133HAM\x01", "737318133HAM"),
            (b"V900WVKA\n\xff\xff\xff\xff", "V900WVKA"),
            (b"ET97K02858SL0", "ET97K02858SL0"),
        ] {
            let e = Edid::parse(&with_serial_descriptor(raw)).unwrap();
            assert_eq!(e.serial_text.as_deref(), Some(want));
            assert_eq!(e.identity().as_str(), format!("SAM-0F9D-{want}"));
            assert!(e.is_unique());
        }
        // The rule before today dropped the NUL-ended text and fell back to the numeric serial.
        let e = Edid::parse(&with_serial_descriptor(b"H4CR303100W\x00 ")).unwrap();
        assert_eq!(
            e.legacy_identity().map(|i| i.to_string()).as_deref(),
            Some("SAM-0F9D-4E484844")
        );
    }

    #[test]
    fn placeholders_are_not_serials() {
        for text in [
            "0",
            "0000000000",
            "1111111",
            "SerialNumber",
            "1234567890123",
            "0123456789",
            "demoset-1",
            "N/A",
        ] {
            assert!(placeholder_text(text), "{text}");
            let e = Edid::parse(&edid_block("AOP", 0x06a5, 0x0101_0101, Some(text), "A")).unwrap();
            assert_eq!(e.serial_number(), Serial::Placeholder(text.to_owned()));
            assert!(e.identity().as_str().starts_with("EDID-"), "{text}");
            assert!(!e.is_unique());
            assert!(e.why_not_unique().unwrap().contains("placeholder"));
        }
        for real in ["H4CM300569L", "36WJX39H1UEL", "CN0123456", "135790"] {
            assert!(!placeholder_text(real), "{real}");
        }
        for n in [0x0101_0101, 0xffff_ffff, 0x1234_5678, 1] {
            let e = Edid::parse(&edid_block("AOP", 0x06a5, n, None, "A")).unwrap();
            assert!(
                matches!(e.serial_number(), Serial::Placeholder(_)),
                "{n:08X}"
            );
            assert!(!e.is_unique());
        }
        // A placeholder text does not hide a real numeric serial.
        let e = Edid::parse(&edid_block("DEL", 1, 0x3348_414d, Some("0"), "D")).unwrap();
        assert_eq!(e.serial_number(), Serial::Real("3348414D".into()));
        let e = Edid::parse(&edid_block("DEL", 1, 0, None, "D")).unwrap();
        assert_eq!(e.serial_number(), Serial::Absent);
        assert!(e.why_not_unique().unwrap().contains("no serial"));
    }

    #[test]
    fn the_first_filled_name_is_the_name() {
        let mut b = edid_block("GSM", 0x4ae9, 0x0004_9838, None, "L1970HR");
        // Slot 3: an empty name descriptor after the filled one (many LG monitors).
        b[54 + 54..54 + 54 + 18].copy_from_slice(&[
            0, 0, 0, 0xfc, 0, b'\n', b' ', b' ', b' ', b' ', b' ', b' ', b' ', b' ', b' ', b' ',
            b' ', b' ',
        ]);
        let sum = b[..127].iter().fold(0u8, |a, x| a.wrapping_add(*x));
        b[127] = 0u8.wrapping_sub(sum);
        assert_eq!(Edid::parse(&b).unwrap().model.as_deref(), Some("L1970HR"));
        // A name that fills its descriptor goes on in the next one.
        let mut b = edid_block("ACM", 1, 7, None, "ASUS VG32VQ1B");
        b[54 + 54..54 + 54 + 18].copy_from_slice(&[
            0, 0, 0, 0xfc, 0, b'-', b'W', b'\n', b' ', b' ', b' ', b' ', b' ', b' ', b' ', b' ',
            b' ', b' ',
        ]);
        let sum = b[..127].iter().fold(0u8, |a, x| a.wrapping_add(*x));
        b[127] = 0u8.wrapping_sub(sum);
        assert_eq!(
            Edid::parse(&b).unwrap().model.as_deref(),
            Some("ASUS VG32VQ1B-W")
        );
        // A name ending in NUL or CR is kept.
        let mut b = edid_block("XXE", 0x700c, 0, None, "17\" TFT-LCD");
        b[54 + 18 + 5 + 11] = 0;
        b[54 + 18 + 5 + 12] = 0x0d;
        let sum = b[..127].iter().fold(0u8, |a, x| a.wrapping_add(*x));
        b[127] = 0u8.wrapping_sub(sum);
        assert_eq!(
            Edid::parse(&b).unwrap().model.as_deref(),
            Some("17\" TFT-LCD")
        );
    }

    #[test]
    fn another_cable_is_the_same_monitor() {
        // Without a serial: only the input type and the extension count differ (VGA, then DVI).
        let vga = edid_block("GSM", 0x5b09, 0, None, "LG TV");
        let mut dvi = vga;
        dvi[20] = 0x80;
        dvi[126] = 1;
        let sum = dvi[..127].iter().fold(0u8, |a, x| a.wrapping_add(*x));
        dvi[127] = 0u8.wrapping_sub(sum);
        let mut long = dvi.to_vec();
        long.extend_from_slice(&[0x02; 128]);
        assert_eq!(
            Edid::parse(&vga).unwrap().identity(),
            Edid::parse(&long).unwrap().identity()
        );
        // With a real serial: another product code on another input is still matched by the serial.
        let pin = Edid::parse(&edid_block("SAM", 0x0e3b, 0, Some("H4CM300569L"), "S"))
            .unwrap()
            .identity();
        let other_input = Edid::parse(&edid_block("SAM", 0x0e3c, 0, Some("H4CM300569L"), "S"))
            .unwrap()
            .identity();
        assert_ne!(pin, other_input);
        assert!(pin.names(&other_input));
        let other_serial = MonitorIdentity::new("SAM-0E3B-H4CM300569M");
        assert!(!pin.names(&other_serial));
        assert!(!MonitorIdentity::new("EDID-0011223344556677").names(&pin));
        assert!(
            MonitorIdentity::new("edid-0011223344556677")
                .names(&MonitorIdentity::new("EDID-0011223344556677"))
        );
    }
}
