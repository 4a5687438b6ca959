//! The playout process is confined (Landlock) before it decodes anything: what a decoder exploit in
//! it could open. `courtdeck-playout confine-check` applies the very confinement `run` does, from the
//! same `COURTDECK_CONFINE` the app passes, then tries to open what it is given; every refusal here
//! is checked against the same open succeeding from the unconfined test, so none is vacuous.
//! (That every corpus file still plays confined is the rest of this binary: every playout process
//! the tests start runs under `courtdeck_testkit::playout::test_policy`.)

use std::path::Path;

use courtdeck_playout::protocol::{ConfinePolicy, ConfinementStatus};
use courtdeck_testkit::playout::{exe, start};

/// A kiosk's files as the app lays them out: the verified cache (the one folder playout is given),
/// the configuration, the custody log, the keyring's folder, and a file of no one's.
#[test]
fn a_confined_playout_process_reads_the_cache_and_nothing_else_of_the_kiosks() {
    let dir = courtdeck_testkit::work_dir();
    let root = dir.path().canonicalize().unwrap();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    };
    let blob = write("cache/courtdeck/sha256/ab/abcdef", "a verified exhibit");
    let partial = write("cache/courtdeck/tmp/abcdef.part", "a download in progress");
    let config = write("config/courtdeck/config.toml", "court = \"Test\"\n");
    let audit = write("state/courtdeck/audit.jsonl", "{}\n");
    let keyring = write("data/keyrings/login.keyring", "secrets");
    let elsewhere = write("elsewhere.txt", "no one's");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();

    let paths = [&blob, &partial, &config, &audit, &keyring, &elsewhere];
    // Unconfined, every one of them opens both ways, and the port answers: the refusals below are
    // the confinement's.
    for p in paths {
        std::fs::File::open(p).unwrap();
        std::fs::OpenOptions::new().append(true).open(p).unwrap();
    }
    std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();

    let policy = ConfinePolicy::reading([root.join("cache/courtdeck/sha256")]);
    let out = std::process::Command::new(exe())
        .arg("confine-check")
        .args(["--connect", &port.to_string()])
        .args(paths)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", &root)
        .env(policy.env().0, policy.env().1)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    assert_eq!(report["confinement"]["status"], "full", "{report}");
    assert!(report["confinement"]["abi"].as_u64().unwrap() >= 6);
    let opened = |p: &Path, how: &str| {
        report["paths"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == p.display().to_string())
            .unwrap()[how]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(opened(&blob, "read"), "ok", "the verified cache is read");
    assert_eq!(opened(&blob, "write"), "EACCES", "but never written");
    for p in [&partial, &config, &audit, &keyring, &elsewhere] {
        assert_eq!(opened(p, "read"), "EACCES", "{}", p.display());
        assert_eq!(opened(p, "write"), "EACCES", "{}", p.display());
    }
    assert_eq!(report["exec"], "EACCES", "it runs no program");
    assert_eq!(report["connect"], "EACCES", "it opens no TCP connection");
    drop(listener);
    println!(
        "RELIABILITY|playout|a_confined_playout_process_reads_the_cache_and_nothing_else_of_the_kiosks|confined playout: the cache read (not written); the config, custody log, keyring, a partial download, another file, a program and a TCP port refused (EACCES)|{}",
        1
    );
}

/// Without a policy in its environment the process is still confined, with nothing of the app's to
/// read: it fails closed.
#[test]
fn without_a_policy_the_process_reads_nothing_of_the_apps() {
    let dir = courtdeck_testkit::work_dir();
    let file = dir.path().canonicalize().unwrap().join("exhibit.mp4");
    std::fs::write(&file, "bytes").unwrap();
    let out = std::process::Command::new(exe())
        .arg("confine-check")
        .arg(&file)
        .env_remove(courtdeck_playout::protocol::CONFINE_ENV)
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["confinement"]["status"], "full", "{report}");
    assert_eq!(report["paths"][0]["read"], "EACCES", "{report}");
    println!(
        "RELIABILITY|playout|without_a_policy_the_process_reads_nothing_of_the_apps|no COURTDECK_CONFINE: confined all the same, nothing of the app's readable|{}",
        1
    );
}

/// The playout process the app supervises says how it is confined in its first line, and the client
/// keeps it for the setup checks.
#[tokio::test(flavor = "multi_thread")]
async fn the_running_process_says_it_is_confined() {
    let client = start().await;
    let confinement = client.confinement().await.expect("a running process");
    assert_eq!(
        confinement.status,
        ConfinementStatus::Full,
        "{confinement:?}"
    );
    assert!(
        confinement.detail.contains("writes nothing"),
        "{confinement:?}"
    );
    client.shutdown().await;
    println!(
        "RELIABILITY|playout|the_running_process_says_it_is_confined|the supervised process's hello: confined fully (Landlock ABI {})|{}",
        confinement.abi, 1
    );
}
