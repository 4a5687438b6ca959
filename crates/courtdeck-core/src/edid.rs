//! A monitor's identity, from its EDID: which physical monitor is on a connector.
//!
//! Connector names and RandR indexes move (a cable moved to another port, a re-enumeration after a
//! reboot); the monitor itself does not. A screen that names an identity is that monitor and no other:
//! `MonitorIdentity` is what a configured `[[screen]] identity` is compared with.
//!
//! The identity is the manufacturer, product code and serial (`DEL-A0F1-CN0123456`); a monitor that
//! reports no serial is known by a hash of its EDID base block instead (`EDID-3f9a0c1d2b4e5f60`), which
//! tells two models apart but not two of the same model: `courtdeck screens` says so.

use sha2::{Digest, Sha256};

/// What a valid EDID 1.x base block says about the monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edid {
    /// The three-letter PNP manufacturer id (`DEL`, `SAM`).
    pub manufacturer: String,
    pub product: u16,
    /// The numeric serial; `None` when the monitor reports 0.
    pub serial: Option<u32>,
    /// The serial-number descriptor's text (tag 0xFF), when there is one.
    pub serial_text: Option<String>,
    /// The monitor-name descriptor's text (tag 0xFC), when there is one.
    pub model: Option<String>,
    /// The first 16 hex digits of the SHA-256 of the 128-byte base block.
    pub hash: String,
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
        let mut model = None;
        // Four 18-byte descriptors; a display descriptor starts 00 00 00 TAG 00.
        for d in block[54..126].chunks_exact(18) {
            if d[..3] != [0, 0, 0] {
                continue; // a detailed timing
            }
            let text = descriptor_text(&d[5..18]);
            match d[3] {
                0xff => serial_text = text,
                0xfc => model = text,
                _ => {}
            }
        }
        let digest = Sha256::digest(block);
        Ok(Edid {
            manufacturer,
            product,
            serial: (serial != 0).then_some(serial),
            serial_text,
            model,
            hash: digest[..8].iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    /// The monitor's identity: by its serial when it reports one, else by the hash of its EDID.
    pub fn identity(&self) -> MonitorIdentity {
        let serial = self
            .serial_text
            .clone()
            .or_else(|| self.serial.map(|s| format!("{s:08X}")));
        MonitorIdentity(match serial {
            Some(serial) => format!("{}-{:04X}-{serial}", self.manufacturer, self.product),
            None => format!("EDID-{}", self.hash),
        })
    }

    /// Whether the identity names this one monitor (by serial), not only its model.
    pub fn has_serial(&self) -> bool {
        self.serial_text.is_some() || self.serial.is_some()
    }
}

/// A descriptor's text: ASCII up to a newline, trailing spaces dropped; `None` if empty or not text.
fn descriptor_text(bytes: &[u8]) -> Option<String> {
    let end = bytes
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(bytes.len());
    let text = &bytes[..end];
    if !text.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return None;
    }
    let s = String::from_utf8_lossy(text).trim().to_owned();
    (!s.is_empty()).then_some(s)
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
/// need real EDID bytes without a real monitor.
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
        assert!(e.has_serial());
        // The numeric serial, when there is no text one.
        let e = Edid::parse(&edid_block("SAM", 0x0e3b, 0x4c4d_3254, None, "S24")).unwrap();
        assert_eq!(e.identity().as_str(), "SAM-0E3B-4C4D3254");
    }

    #[test]
    fn a_monitor_without_a_serial_is_known_by_its_edid_hash() {
        let a = Edid::parse(&edid_block("GSM", 0x5b09, 0, None, "LG TV")).unwrap();
        let b = Edid::parse(&edid_block("GSM", 0x5b0a, 0, None, "LG TV")).unwrap();
        assert!(!a.has_serial());
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
}
