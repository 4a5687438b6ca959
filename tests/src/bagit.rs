//! Bags made by the Library of Congress's own `bagit` tool (PyPI, in `.work/venv-tools`, installed by
//! `scripts/setup.sh`), for the tests that import evidence as it is handed over.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python that has the LoC's `bagit` (and the jsonschema oracle).
pub fn python() -> PathBuf {
    let p = crate::target_dir().join("../../.work/venv-tools/bin/python3");
    assert!(
        p.is_file(),
        "{} is missing: run scripts/setup.sh",
        p.display()
    );
    p
}

/// Makes the folder `dir` (its payload files already in it) a bag, in place, with manifests for
/// `algorithms` (`sha256`, `md5`…) and the source's organisation and external identifier.
pub fn make_bag(dir: &Path, algorithms: &[&str], organisation: &str, identifier: &str) {
    let mut c = Command::new(python());
    c.args(["-m", "bagit", "--quiet"]);
    for a in algorithms {
        c.arg(format!("--{a}"));
    }
    let status = c
        .args([
            "--source-organization",
            organisation,
            "--external-identifier",
            identifier,
        ])
        .arg(dir)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "bagit could not make a bag of {}",
        dir.display()
    );
}

/// Adds Courtdeck's profile tag file (`courtdeck-exhibits.json`) to the bag at `dir`, and has the
/// LoC's tool write the tag manifests again so that they cover it.
pub fn add_profile(dir: &Path, profile: &serde_json::Value) {
    std::fs::write(
        dir.join("courtdeck-exhibits.json"),
        serde_json::to_vec_pretty(profile).unwrap(),
    )
    .unwrap();
    let status = Command::new(python())
        .args([
            "-c",
            "import bagit, sys; bagit.Bag(sys.argv[1]).save(manifests=True)",
        ])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success(), "bagit could not save {}", dir.display());
}
