//! Real monitors' EDIDs (32 from the linuxhw/EDID collection, CC-BY-4.0, in `../shared/fixtures/edid/`
//! beside the checkout) read as `edid-decode` (Debian's package) reads them: maker, product code,
//! numeric serial, the serial descriptor's text and the monitor's name. Skipped, saying so, when the
//! fixtures are not there (a clone on its own); `edid-decode` missing is a failure (setup installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use courtdeck_core::{Edid, Serial};

fn fixtures() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/edid");
    dir.is_dir().then_some(dir)
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The bytes of a linuxhw file: the hex dump between `edid-decode (hex):` and the first rule.
fn bytes_of(text: &str) -> Vec<u8> {
    let hex = text
        .split("edid-decode (hex):")
        .nth(1)
        .and_then(|t| t.split("----------------").next())
        .expect("a hex dump");
    hex.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

/// What edid-decode says of the base block.
#[derive(Debug, Default)]
struct Reading {
    manufacturer: String,
    product: u16,
    serial: Option<u32>,
    names: Vec<String>,
    serials: Vec<String>,
}

fn edid_decode(bytes: &[u8]) -> Reading {
    use std::io::Write as _;
    let mut child = Command::new("edid-decode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("edid-decode runs (apt-get install edid-decode; scripts/setup.sh installs it)");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let base = text.split("Block 1,").next().unwrap_or(&text);
    let mut r = Reading::default();
    let quoted = |v: &str| v.trim().trim_matches('\'').trim().to_owned();
    for line in base.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Manufacturer: ") {
            r.manufacturer = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("Model: ") {
            r.product = v.trim().parse().expect("decimal model");
        } else if let Some(v) = line.strip_prefix("Serial Number: ") {
            r.serial = Some(v.trim().parse().expect("decimal serial"));
        } else if let Some(v) = line.strip_prefix("Display Product Name: ") {
            r.names.push(quoted(v));
        } else if let Some(v) = line.strip_prefix("Display Product Serial Number: ") {
            r.serials.push(quoted(v));
        }
    }
    r
}

#[test]
fn real_monitors_read_as_edid_decode_reads_them() {
    let Some(dir) = fixtures() else {
        println!("SKIPPED: no ../shared/fixtures/edid beside the checkout");
        return;
    };
    let mut paths = Vec::new();
    files(&dir.join("Digital"), &mut paths);
    paths.sort();
    assert!(paths.len() >= 30, "{} fixtures", paths.len());
    let (mut same, mut differ) = (0, Vec::new());
    let mut placeholders = 0;
    for path in &paths {
        let name = path.strip_prefix(&dir).unwrap().display().to_string();
        let bytes = bytes_of(&std::fs::read_to_string(path).unwrap());
        let e = Edid::parse(&bytes).unwrap_or_else(|err| panic!("{name}: {err}"));
        let r = edid_decode(&bytes);
        // edid-decode prints every name and serial descriptor: the first filled one is the monitor's
        // (a name that fills its 13 bytes goes on in the next).
        let first = |v: &[String]| v.iter().position(|s| !s.is_empty());
        let model = first(&r.names).map(|i| {
            let mut n = r.names[i].clone();
            if n.len() == 13
                && let Some(next) = r.names.get(i + 1).filter(|s| !s.is_empty())
            {
                n.push_str(next);
            }
            n
        });
        let serial_text = first(&r.serials).map(|i| r.serials[i].clone());
        let ours = (
            e.manufacturer.as_str(),
            e.product,
            e.serial,
            e.serial_text.as_deref(),
            e.model.as_deref(),
        );
        let theirs = (
            r.manufacturer.as_str(),
            r.product,
            r.serial.filter(|s| *s != 0),
            serial_text.as_deref(),
            model.as_deref(),
        );
        if matches!(e.serial_number(), Serial::Placeholder(_) | Serial::Absent) {
            placeholders += 1;
            assert!(!e.is_unique() && e.identity().as_str().starts_with("EDID-"));
        }
        println!(
            "{name}: {} {:?} unique={} {}",
            e.identity(),
            e.model,
            e.is_unique(),
            e.why_not_unique().unwrap_or_default()
        );
        if ours == theirs {
            same += 1;
        } else {
            differ.push(format!("{name}: ours {ours:?}, edid-decode {theirs:?}"));
        }
    }
    println!(
        "{same} of {} real EDIDs read as edid-decode reads them; {placeholders} without a real serial",
        paths.len()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    println!(
        "RELIABILITY|screens|real_monitors_read_as_edid_decode_reads_them|real monitors' EDIDs (linuxhw) read as edid-decode reads them|{}",
        paths.len()
    );
}

/// The monitors of the issue (#34), by name: what the rule before it got wrong.
#[test]
fn the_monitors_read_wrongly_before_are_read_right() {
    let Some(dir) = fixtures() else {
        println!("SKIPPED: no ../shared/fixtures/edid beside the checkout");
        return;
    };
    let read = |p: &str| {
        Edid::parse(&bytes_of(
            &std::fs::read_to_string(dir.join("Digital").join(p)).unwrap(),
        ))
        .unwrap()
    };
    // A serial ending in NUL (newer Samsung models): the text, not the numeric serial.
    let sam = read("Samsung/SAM0F9D/A3D86CF60FF2");
    assert_eq!(sam.identity().as_str(), "SAM-0F9D-H4CR303100W");
    assert_eq!(
        sam.legacy_identity().unwrap().as_str(),
        "SAM-0F9D-344E4844",
        "the old rule's reading, kept so old pins still find it"
    );
    // A serial ending in 0x01 (a Dell).
    assert_eq!(
        read("Dell/DELF004/A5B60C31DE59").identity().as_str(),
        "DEL-F004-737318133HAM"
    );
    // A later empty name never wipes the first (LG).
    assert_eq!(
        read("Goldstar/GSM4AE9/7745C20BCD4D").model.as_deref(),
        Some("L1970HR")
    );
    // Placeholders: 01010101 and no text (Philips TV), a text of zeros (an XXE panel), 12345678.
    for p in [
        "Philips/PHP0000/635C8C4DC344",
        "Others/XXE700C/98C5C63E3155",
        "Others/RTK2136/4C0101F2F4EE",
    ] {
        let e = read(p);
        assert!(!e.is_unique(), "{p}: {}", e.identity());
        assert!(e.why_not_unique().unwrap().contains("connector"));
    }
    // The name descriptor ending in NUL after its newline is still read.
    assert_eq!(
        read("Others/XXE700C/98C5C63E3155").model.as_deref(),
        Some("17\" TFT-LCD")
    );
}
