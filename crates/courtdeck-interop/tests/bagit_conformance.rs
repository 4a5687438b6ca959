//! BagIt: the Library of Congress's conformance suite (public domain, unchanged in
//! `../shared/fixtures/bagit-conformance/`), and bags made at test time by the LoC's own tool (PyPI
//! `bagit`, installed by `scripts/setup.sh` into `.work/venv-tools`), which is also the oracle for
//! every bag we break on purpose.

use std::path::{Path, PathBuf};
use std::process::Command;

use courtdeck_interop::bagit::{self, Algorithm};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn suite() -> PathBuf {
    let root = std::env::var_os("COURTDECK_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/fixtures"));
    let dir = root.join("bagit-conformance");
    assert!(
        dir.join("v1.0/valid/basicBag/bagit.txt").is_file(),
        "the LoC BagIt conformance suite is not at {} (the shared fixtures beside the checkout, or set COURTDECK_SHARED_FIXTURES)",
        dir.display()
    );
    dir
}

fn bags(kind: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for version in ["v0.97", "v1.0"] {
        let dir = suite().join(version).join(kind);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            out.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
    }
    out.sort();
    out
}

#[test]
fn every_valid_bag_of_the_suite_validates() {
    let valid = bags("valid");
    assert!(valid.len() >= 13, "{valid:?}");
    for bag in &valid {
        let read = bagit::validate(bag).unwrap_or_else(|e| panic!("{}: {e}", bag.display()));
        println!(
            "valid   {}: {} payload files, {:?}{}",
            bag.strip_prefix(suite()).unwrap().display(),
            read.payload.len(),
            read.algorithms.iter().map(|a| a.name()).collect::<Vec<_>>(),
            if read.to_fetch.is_empty() {
                String::new()
            } else {
                format!(", {} to fetch (incomplete)", read.to_fetch.len())
            }
        );
    }
    // The suite's holey bag carries every file fetch.txt names; without one it is valid but
    // incomplete, and says which it lacks (`import bag` refuses it: Courtdeck fetches nothing).
    let copy = tempfile::tempdir().unwrap();
    let holey = copy.path().join("holey-bag");
    let status = Command::new("cp")
        .arg("-a")
        .arg(suite().join("v0.97/valid/holey-bag"))
        .arg(&holey)
        .status()
        .unwrap();
    assert!(status.success());
    let status = Command::new("chmod")
        .arg("-R")
        .arg("u+w")
        .arg(&holey)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_file(holey.join("data/test2.txt")).unwrap();
    let read = bagit::validate(&holey).unwrap();
    assert_eq!(read.to_fetch, ["data/test2.txt"]);
    assert!(read.payload.iter().all(|p| p.path != "data/test2.txt"));
}

#[test]
fn every_invalid_bag_of_the_suite_is_refused_with_a_reason() {
    // The Windows-only bags are out of scope everywhere: their paths (drives, UNC, %HomeDrive%)
    // could leave the bag, so Courtdeck refuses them on Linux too.
    let invalid: Vec<PathBuf> = ["invalid", "linux-only", "windows-only"]
        .iter()
        .flat_map(|k| bags(k))
        .collect();
    assert!(invalid.len() >= 25, "{invalid:?}");
    for bag in &invalid {
        match bagit::validate(bag) {
            Ok(_) => panic!("{} was accepted", bag.display()),
            Err(e) => println!(
                "refused {}: {e}",
                bag.strip_prefix(suite()).unwrap().display()
            ),
        }
    }
}

/// The suite's warning cases, decided: what Courtdeck does with each, and why (docs/interop.md).
#[test]
fn the_warning_cases_as_decided() {
    let decided = [
        // MD5 alone is a valid bag; `import bag` refuses it as evidence (no strong digest).
        ("made-with-md5sum-tools", true),
        // A leading ./ is allowed, as in the valid bag-with-leading-dot-slash-in-manifest.
        ("relative-path", true),
        // A manifest that lists a file twice is broken, whatever the digests (v1.0 says invalid).
        ("same-filename-listed-twice-with-the-same-hash", false),
        // Two names for one file on a case-insensitive disk: here one of them is missing.
        ("duplicate-file-with-different-case", false),
        // NFC and NFD spellings of one name: byte-different paths, one of them not in the bag.
        (
            "same-filename-listed-twice-with-different-normalization",
            false,
        ),
        // .DS_Store is listed and not there (the suite's own copy lost it): a file missing.
        ("special-system-files", false),
    ];
    let warnings = bags("warning");
    assert_eq!(warnings.len(), decided.len(), "{warnings:?}");
    for (name, ok) in decided {
        let bag = suite().join("v0.97/warning").join(name);
        let got = bagit::validate(&bag);
        println!(
            "warning {name}: {:?}",
            got.as_ref().map(|_| "valid").map_err(|e| e.to_string())
        );
        assert_eq!(got.is_ok(), ok, "{name}: {got:?}");
    }
    let md5 = bagit::validate(&suite().join("v0.97/warning/made-with-md5sum-tools")).unwrap();
    assert!(!md5.algorithms.iter().any(|a| a.is_strong()));
}

fn python() -> PathBuf {
    let p = workspace().join(".work/venv-tools/bin/python3");
    assert!(
        p.is_file(),
        "{} is missing: run scripts/setup.sh",
        p.display()
    );
    p
}

/// `bagit.py --validate`'s verdict.
fn loc_says_valid(bag: &Path) -> bool {
    Command::new(python())
        .args(["-m", "bagit", "--validate", "--quiet"])
        .arg(bag)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// A bag made by the LoC's tool from a folder of `files`, with `algs`.
fn make_bag(dir: &Path, files: &[(&str, &[u8])], algs: &[&str]) -> PathBuf {
    let bag = dir.join("bag");
    std::fs::create_dir_all(&bag).unwrap();
    for (name, bytes) in files {
        let p = bag.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let mut c = Command::new(python());
    c.args(["-m", "bagit", "--quiet"]);
    for a in algs {
        c.arg(format!("--{a}"));
    }
    c.args([
        "--source-organization",
        "Metropolitan Police Service",
        "--external-identifier",
        "01MP2612345",
    ]);
    let status = c.arg(&bag).status().unwrap();
    assert!(status.success());
    bag
}

#[test]
fn bags_made_by_the_loc_tool_validate_and_every_break_is_refused_as_the_tool_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let video: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let files: [(&str, &[u8]); 3] = [
        ("CCTV High St.mp4", &video),
        ("statements/MG11 witness 100%.pdf", b"%PDF-1.4 not really"),
        ("999 call\nline two.wav", b"RIFF...."),
    ];
    let bag = make_bag(dir.path(), &files, &["sha256", "sha512"]);
    assert!(loc_says_valid(&bag));
    let read = bagit::validate(&bag).unwrap();
    assert_eq!(read.info("External-Identifier"), Some("01MP2612345"));
    assert_eq!(
        read.info("Source-Organization"),
        Some("Metropolitan Police Service")
    );
    assert_eq!(read.payload.len(), 3);
    let names: Vec<&str> = read.payload.iter().map(|p| p.path.as_str()).collect();
    assert!(names.contains(&"data/999 call\nline two.wav"), "{names:?}");
    assert!(
        names.contains(&"data/statements/MG11 witness 100%.pdf"),
        "{names:?}"
    );
    for p in &read.payload {
        assert_eq!(
            p.digests.keys().copied().collect::<Vec<_>>(),
            [Algorithm::Sha256, Algorithm::Sha512]
        );
    }

    // Each break, made on a fresh copy: the LoC tool and Courtdeck both refuse it.
    type Damage<'a> = &'a dyn Fn(&Path);
    let breaks: [(&str, Damage); 6] = [
        ("a payload byte changed", &|b| {
            let p = b.join("data/CCTV High St.mp4");
            let mut bytes = std::fs::read(&p).unwrap();
            bytes[1000] ^= 1;
            std::fs::write(p, bytes).unwrap();
        }),
        ("a file added to data/", &|b| {
            std::fs::write(b.join("data/extra.txt"), b"x").unwrap();
        }),
        ("a payload file removed", &|b| {
            std::fs::remove_file(b.join("data/statements/MG11 witness 100%.pdf")).unwrap();
        }),
        ("bag-info.txt changed after its tag manifest", &|b| {
            let p = b.join("bag-info.txt");
            let t = std::fs::read_to_string(&p).unwrap();
            std::fs::write(p, t.replace("01MP2612345", "01MP2699999")).unwrap();
        }),
        ("a manifest line for a file outside the bag", &|b| {
            let p = b.join("manifest-sha256.txt");
            let mut t = std::fs::read_to_string(&p).unwrap();
            t.push_str(&format!("{}  ../../etc/passwd\n", "0".repeat(64)));
            std::fs::write(p, t).unwrap();
        }),
        ("the declaration with a byte-order mark", &|b| {
            let p = b.join("bagit.txt");
            let mut bytes = vec![0xEF, 0xBB, 0xBF];
            bytes.extend(std::fs::read(&p).unwrap());
            std::fs::write(p, bytes).unwrap();
        }),
    ];
    for (what, damage) in breaks {
        let copy = tempfile::tempdir().unwrap();
        let status = Command::new("cp")
            .arg("-a")
            .arg(&bag)
            .arg(copy.path().join("bag"))
            .status()
            .unwrap();
        assert!(status.success());
        let b = copy.path().join("bag");
        damage(&b);
        assert!(!loc_says_valid(&b), "{what}: the LoC tool accepts it");
        let err = bagit::validate(&b).expect_err(what);
        println!("{what}: {err}");
    }
}

/// A Python one-liner's work (the archives are made by Python's own tarfile and zipfile).
fn py(code: &str, args: &[&Path]) {
    let status = Command::new(python())
        .arg("-c")
        .arg(code)
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "{code}");
}

#[test]
fn bags_handed_over_as_zip_or_tar_unpack_and_hostile_archives_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bag = make_bag(
        dir.path(),
        &[("interview.wav", b"RIFF0000WAVE")],
        &["sha512"],
    );
    let d = dir.path();
    py(
        "import tarfile,sys; t=tarfile.open(sys.argv[1],'w'); t.add(sys.argv[2], arcname='01MP2612345'); t.close()",
        &[&d.join("bag.tar"), &bag],
    );
    py(
        "import tarfile,sys; t=tarfile.open(sys.argv[1],'w:gz'); t.add(sys.argv[2], arcname='.'); t.close()",
        &[&d.join("bag.tar.gz"), &bag],
    );
    py(
        "import zipfile,sys,os\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\nfor r,_,fs in os.walk(sys.argv[2]):\n  for f in fs:\n    p=os.path.join(r,f); z.write(p, os.path.relpath(p, os.path.dirname(sys.argv[2])))\nz.close()",
        &[&d.join("bag.zip"), &bag],
    );
    for name in ["bag.tar", "bag.tar.gz", "bag.zip"] {
        let into = d.join(format!("unpacked-{name}"));
        let root = bagit::unpack(&d.join(name), &into).unwrap_or_else(|e| panic!("{name}: {e}"));
        let read = bagit::validate(&root).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            read.info("External-Identifier"),
            Some("01MP2612345"),
            "{name}"
        );
        assert_eq!(read.payload.len(), 1);
    }

    let hostile: [(&str, &str, &str); 4] = [
        (
            "dotdot.tar",
            "import tarfile,sys,io; t=tarfile.open(sys.argv[1],'w'); i=tarfile.TarInfo('../escaped.txt'); i.size=2; t.addfile(i, io.BytesIO(b'hi')); t.close()",
            "would leave the folder",
        ),
        (
            "link.tar",
            "import tarfile,sys; t=tarfile.open(sys.argv[1],'w'); i=tarfile.TarInfo('bag/data/passwd'); i.type=tarfile.SYMTYPE; i.linkname='/etc/passwd'; t.addfile(i); t.close()",
            "files and folders only",
        ),
        (
            "absolute.zip",
            "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.writestr('/tmp/evil.txt', b'x'); z.close()",
            "would leave the folder",
        ),
        (
            "notabag.zip",
            "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.writestr('readme.txt', b'x'); z.close()",
            "holds no bag",
        ),
    ];
    for (name, code, why) in hostile {
        py(code, &[&d.join(name)]);
        let into = d.join(format!("unpacked-{name}"));
        let err = bagit::unpack(&d.join(name), &into)
            .expect_err(name)
            .to_string();
        assert!(err.contains(why), "{name}: {err}");
        assert!(!d.join("escaped.txt").exists() && !Path::new("/tmp/evil.txt").exists());
    }
    let err = bagit::unpack(&bag.join("bagit.txt"), &d.join("x")).unwrap_err();
    assert!(
        err.to_string().contains("neither a bag folder nor"),
        "{err}"
    );
}
