//! The store client and the custody log under hostile conditions, with real parts: a hostile HTTP
//! store of our own on loopback (trickling, silent, ignoring `Range` and cutting at 90%, an endless
//! body, a lying `Content-Length`), nginx for two `courtdeck fetch` processes racing on one cache and
//! one log, a torn audit tail, a read-only log (a tmpfs remounted read-only in a private mount
//! namespace) and a byte flipped in a cached blob.
//!
//! Every deadline and rate window is configured short here, so each case takes seconds; the figures
//! printed are what was observed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use courtdeck_core::{CaseManifest, ErrorCode};
use courtdeck_store::{
    Cache, EvidenceStore, FetchPolicy, FetchReport, HttpAuth, HttpStore, HttpStoreConfig,
    StoreError,
};
use courtdeck_testkit::servers::{
    HostileStore, HostileTo, Hostility, Nginx, NginxOptions, publish_random_case,
};

mod through_the_facade;

const COURT: &str = "hostile-court";
/// The size of the exhibit in the report that found these faults.
const SIZE: u64 = 173_397;

fn date() -> jiff::civil::Date {
    courtdeck_api::today()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn courtdeck_bin() -> PathBuf {
    let bin = courtdeck_testkit::target_dir().join("courtdeck");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// A short policy: a floor of 64 KiB/s over 1 s, three slow attempts, six without progress, pauses of
/// at most 50 ms.
fn short_policy() -> FetchPolicy {
    FetchPolicy {
        min_rate: 64 * 1024,
        rate_window: Duration::from_secs(1),
        max_slow_attempts: 3,
        max_attempts_without_progress: 6,
        rehash_cached: false,
        max_backoff: Duration::from_millis(50),
    }
}

fn http_store(rt: &tokio::runtime::Runtime, url: &str) -> HttpStore {
    let mut config = HttpStoreConfig::new(url, HttpAuth::None);
    config.read_timeout = Duration::from_secs(5);
    config.answer_timeout = Duration::from_secs(2);
    config.document_deadline = Duration::from_secs(2);
    HttpStore::new(config, rt.handle().clone()).unwrap()
}

fn fetch(
    store: &dyn EvidenceStore,
    cache: &Cache,
    m: &CaseManifest,
) -> Result<FetchReport, StoreError> {
    cache.fetch_with_report(
        store,
        &m.exhibits()[0],
        &AtomicBool::new(false),
        &mut |_| {},
    )
}

fn part_len(cache: &Path) -> u64 {
    std::fs::read_dir(cache.join("tmp"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "part"))
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

/// A config for a kiosk on `url` with short deadlines, everything it writes under `dir`.
fn write_config(dir: &Path, url: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let text = format!(
        "court = \"{COURT}\"\nkiosk_id = \"hostile-kiosk\"\ncache_dir = {:?}\naudit_file = {:?}\n\n[store]\nkind = \"https\"\nurl = \"{url}\"\nauth = \"none\"\nread_timeout_s = 5\nanswer_timeout_s = 2\ndocument_deadline_s = 2\nmin_rate_kib_s = 64\nrate_window_s = 1\nslow_attempts = 3\n\n[cache]\nconcurrent_fetches = 1\n",
        dir.join("cache").display().to_string(),
        dir.join("state/audit.jsonl").display().to_string(),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn cli(dir: &Path) -> Command {
    let mut c = Command::new(courtdeck_bin());
    c.arg("--config")
        .arg(dir.join("config.toml"))
        .env("XDG_STATE_HOME", dir.join("xdg-state"))
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"));
    c
}

/// Runs `c`; (success, stdout + stderr, seconds).
fn run(mut c: Command) -> (bool, String, f64) {
    let t0 = Instant::now();
    let out = c.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text, t0.elapsed().as_secs_f64())
}

fn audit_events(dir: &Path, event: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("state/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == event)
        .collect()
}

#[test]
fn a_store_that_breaks_its_body_ends_the_fetch_with_true_figures() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let m = publish_random_case(&store, COURT, date(), "BODY-1", &[SIZE], 31).unwrap();
    let rt = runtime();
    let mut tried = 0;

    // Ignores Range and cuts at 90%: every attempt starts again from zero and stops at the same
    // place. That is no progress, so the fetch ends after six such attempts instead of looping.
    let hostile =
        HostileStore::start(&store, Hostility::IgnoreRangeCutAt90, HostileTo::Blobs).unwrap();
    let cache_dir = dir.path().join("cache-cut");
    let cache = Cache::with_policy(&cache_dir, short_policy());
    let e = fetch(&http_store(&rt, &hostile.url()), &cache, &m).unwrap_err();
    let requests = hostile.hostile_requests();
    println!("ignore Range, cut at 90%: {requests} blob requests, then: {e}");
    assert_eq!(e.code(), ErrorCode::StoreUnreachable, "{e}");
    assert!(e.to_string().contains("brought no new byte"), "{e}");
    assert!(e.to_string().contains("does not resume"), "{e}");
    assert!(requests <= 8, "{requests} requests: the fetch must end");
    assert!(
        hostile
            .stats
            .ranged_requests
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    );
    assert_eq!(part_len(&cache_dir), SIZE * 9 / 10, "the 90% is kept");
    tried += 1;
    drop(hostile);

    // An endless body: refused, and the message says how many bytes really arrived.
    let hostile = HostileStore::start(&store, Hostility::EndlessBody, HostileTo::Blobs).unwrap();
    let cache_dir = dir.path().join("cache-endless");
    let cache = Cache::with_policy(&cache_dir, short_policy());
    let e = fetch(&http_store(&rt, &hostile.url()), &cache, &m).unwrap_err();
    let sent = hostile.hostile_bytes();
    println!("endless body: the server sent {sent} bytes, then: {e}");
    let StoreError::SizeMismatch {
        actual, expected, ..
    } = &e
    else {
        panic!("expected a size mismatch, got {e}");
    };
    assert_eq!(*expected, SIZE);
    assert!(
        *actual > SIZE && *actual <= sent,
        "{actual} arrived of {sent} sent"
    );
    assert!(
        e.to_string().contains(&format!("sent {actual} bytes")),
        "{e}"
    );
    assert_eq!(part_len(&cache_dir), 0, "over-long bytes are discarded");
    tried += 1;
    // The same through `courtdeck fetch`, five times: a true figure in the audit record, and no panic
    // at exit (the download thread is joined before the runtime goes).
    let work = dir.path().join("endless-cli");
    write_config(&work, &hostile.url());
    for _ in 0..5 {
        let mut c = cli(&work);
        c.args(["fetch", "--date", &date().to_string()]);
        let (ok, out, _) = run(c);
        assert!(!ok, "{out}");
        assert!(!out.contains("panicked"), "{out}");
        assert!(out.contains("the manifest says 173397"), "{out}");
    }
    let failed = audit_events(&work, "fetch_failed_verification");
    assert_eq!(failed.len(), 5, "{failed:?}");
    for f in &failed {
        let reason = f["fields"]["reason"].as_str().unwrap();
        let figure: u64 = reason
            .split("sent ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(figure > SIZE, "{reason}");
    }
    drop(hostile);

    // A Content-Length 1000 bytes longer than the body: every byte of the blob arrives before the
    // connection ends short, so the digest decides, and it matches.
    let hostile =
        HostileStore::start(&store, Hostility::LyingContentLength, HostileTo::Blobs).unwrap();
    let cache = Cache::with_policy(dir.path().join("cache-lying"), short_policy());
    let report = fetch(&http_store(&rt, &hostile.url()), &cache, &m).unwrap();
    println!(
        "lying Content-Length: verified after {} request(s), {} bytes received",
        hostile.hostile_requests(),
        report.bytes_received
    );
    assert_eq!(report.bytes_received, SIZE);
    assert_eq!(hostile.hostile_requests(), 1);
    assert!(cache.verified_path(&m.exhibits()[0]).is_some());
    tried += 1;

    println!(
        "RELIABILITY|store|a_store_that_breaks_its_body_ends_the_fetch_with_true_figures|a store that ignores Range and cuts at 90% ({requests} requests, then a clear end), an endless body (refused with the bytes really received), a Content-Length longer than the body (verified by its digest)|{tried}"
    );
}

#[test]
fn a_trickling_or_silent_store_is_given_up_on_in_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    // Two exhibits, fetched one at a time: once the first ends as too slow, the second is not started.
    publish_random_case(&store, COURT, date(), "SLOW-1", &[SIZE, SIZE], 32).unwrap();
    let date_arg = date().to_string();
    let mut tried = 0;

    // Exhibits trickle at 20 bytes a second: below the floor for three windows in a row, the fetch
    // ends as store_unreachable, saying how slow.
    let hostile = HostileStore::start(
        &store,
        Hostility::Trickle {
            interval: Duration::from_millis(50),
        },
        HostileTo::Blobs,
    )
    .unwrap();
    let work = dir.path().join("trickle-blobs");
    write_config(&work, &hostile.url());
    let mut c = cli(&work);
    c.args(["fetch", "--date", &date_arg]);
    let (ok, out, secs) = run(c);
    println!("trickled blob: `courtdeck fetch` ended in {secs:.1} s:\n{out}");
    assert!(!ok, "{out}");
    assert!(out.contains("is too slow"), "{out}");
    assert!(out.contains("[store_unreachable]"), "{out}");
    assert!(!out.contains("panicked"), "{out}");
    let attempts = hostile.hostile_requests();
    assert_eq!(attempts, 3, "three slow attempts, then the end");
    // What the audit says arrived is what the server sent, at most.
    let failed = audit_events(&work, "fetch_failed");
    assert_eq!(failed.len(), 2, "{failed:?}");
    let reasons: Vec<&str> = failed
        .iter()
        .map(|f| f["fields"]["reason"].as_str().unwrap())
        .collect();
    let kept = part_len(&work.join("cache"));
    assert!(
        kept <= hostile.hostile_bytes(),
        "{kept} kept, {} sent",
        hostile.hostile_bytes()
    );
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.contains(&format!("{kept} of the {SIZE} bytes")))
            .count(),
        1,
        "{reasons:?}"
    );
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.contains("was not tried"))
            .count(),
        1,
        "{reasons:?}"
    );
    tried += 1;
    drop(hostile);

    // The court list trickles: `courtdeck list` ends at the document deadline.
    let hostile = HostileStore::start(
        &store,
        Hostility::Trickle {
            interval: Duration::from_millis(100),
        },
        HostileTo::Documents,
    )
    .unwrap();
    let work = dir.path().join("trickle-list");
    write_config(&work, &hostile.url());
    let mut c = cli(&work);
    c.args(["list", "--date", &date_arg]);
    let (ok, out, list_secs) = run(c);
    println!("trickled list: `courtdeck list` ended in {list_secs:.1} s:\n{out}");
    assert!(!ok, "{out}");
    assert!(out.contains("OFFLINE") && out.contains("too slow"), "{out}");
    tried += 1;
    drop(hostile);

    // A store that accepts and never answers: offline after the answer timeout, once.
    let hostile = HostileStore::start(&store, Hostility::Silence, HostileTo::Documents).unwrap();
    let work = dir.path().join("silent");
    write_config(&work, &hostile.url());
    let mut c = cli(&work);
    c.args(["list", "--date", &date_arg]);
    let (ok, out, silent_secs) = run(c);
    println!("silent store: `courtdeck list` ended in {silent_secs:.1} s:\n{out}");
    assert!(!ok, "{out}");
    assert!(out.contains("did not answer"), "{out}");
    assert_eq!(hostile.hostile_requests(), 1, "silence is not retried");
    tried += 1;
    drop(hostile);

    // The same silence with the document deadline shorter than the answer timeout: still "did not
    // answer" (it used to depend on which timer fired first: "too slow: 0 B/s" on a loaded machine).
    let hostile = HostileStore::start(&store, Hostility::Silence, HostileTo::Documents).unwrap();
    let work = dir.path().join("silent-deadline-first");
    let config = write_config(&work, &hostile.url());
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("answer_timeout_s = 2", "answer_timeout_s = 3"),
    )
    .unwrap();
    let mut c = cli(&work);
    c.args(["list", "--date", &date_arg]);
    let (ok, out, secs) = run(c);
    println!("silent store, deadline first: `courtdeck list` ended in {secs:.1} s:\n{out}");
    assert!(!ok, "{out}");
    assert!(out.contains("did not answer within 2 s"), "{out}");
    tried += 1;

    println!(
        "RELIABILITY|store|a_trickling_or_silent_store_is_given_up_on_in_seconds|exhibits trickled at 20 B/s ({attempts} slow attempts, then 'too slow'), a court list trickled (document deadline), a store that accepts and never answers|{tried}"
    );
}

#[test]
fn two_fetches_racing_on_one_cache_keep_one_audit_chain() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut manifests = Vec::new();
    for (i, case) in ["RACE-1", "RACE-2"].iter().enumerate() {
        manifests.push(
            publish_random_case(
                &store,
                COURT,
                date(),
                case,
                &[3 << 20, 1 << 20, 200_000],
                40 + i as u64,
            )
            .unwrap(),
        );
    }
    let nginx = Nginx::start(
        &store,
        &NginxOptions {
            limit_rate: Some("8m".into()),
            proxy_to: None,
            ..NginxOptions::default()
        },
    )
    .unwrap();
    let work = dir.path().join("kiosk");
    write_config(&work, &nginx.url);
    let date_arg = date().to_string();
    // Two processes at once, as the app's prefetch and a clerk's `courtdeck fetch` would be.
    let spawn = || {
        let mut c = cli(&work);
        c.args(["fetch", "--date", &date_arg])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        c.spawn().unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let text = |o: &std::process::Output| {
        String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
    };
    println!("first:\n{}\nsecond:\n{}", text(&a), text(&b));
    assert!(a.status.success() && b.status.success());
    let mut c = cli(&work);
    c.args(["audit", "verify"]);
    let (ok, out, _) = run(c);
    println!("{out}");
    assert!(ok, "{out}");
    let records = out
        .split(": ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap();
    let verified = audit_events(&work, "fetch_verified").len();
    let exhibits: usize = manifests.iter().map(|m| m.exhibits().len()).sum();
    assert_eq!(
        verified, exhibits,
        "each exhibit downloaded once, by one of the two"
    );
    let cache = Cache::new(work.join("cache"));
    for m in &manifests {
        for e in m.exhibits() {
            assert!(cache.verified_path(e).is_some());
        }
    }
    let succeeded = [&a, &b].iter().filter(|o| o.status.success()).count();
    println!(
        "RELIABILITY|custody|two_fetches_racing_on_one_cache_keep_one_audit_chain|two courtdeck fetch processes at once on one cache and one audit log ({records} records in one verified chain, {verified} downloads)|{succeeded}"
    );
}

#[test]
fn a_torn_audit_tail_and_a_flipped_cached_byte_are_repaired_by_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let m = publish_random_case(&store, COURT, date(), "ROT-1", &[2 << 20, 300_000], 50).unwrap();
    let nginx = Nginx::start(&store, &NginxOptions::default()).unwrap();
    let work = dir.path().join("kiosk");
    write_config(&work, &nginx.url);
    let date_arg = date().to_string();
    let fetch = || {
        let mut c = cli(&work);
        c.args(["fetch", "--date", &date_arg]);
        run(c)
    };
    let (ok, out, _) = fetch();
    assert!(ok, "{out}");

    // A power cut half way through an append: the log ends in half a record.
    let log = work.join("state/audit.jsonl");
    let torn = b"{\"seq\":99,\"ts\":\"2026-12-01T09:59:59Z\",\"event\":\"fetch_sta";
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, torn).unwrap();
    drop(f);

    // One byte of a cached exhibit flips on disk.
    let cache = Cache::new(work.join("cache"));
    let exhibit = &m.exhibits()[0];
    let path = cache.verified_path(exhibit).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1_000_000] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let sent_before = nginx.body_bytes_sent("/blobs/");

    // The next fetch rehashes what is cached: the rotted copy is set aside, recorded and fetched again;
    // its records repair the torn log first.
    let (ok, out, _) = fetch();
    println!("{out}");
    assert!(ok, "{out}");
    assert_eq!(
        courtdeck_store::hash_file(&cache.verified_path(exhibit).unwrap()).unwrap(),
        exhibit.sha256
    );
    let corrupt = audit_events(&work, "cache_corrupt");
    assert_eq!(corrupt.len(), 1, "{corrupt:?}");
    assert_eq!(corrupt[0]["fields"]["exhibit"], "RC/1");
    let quarantined = corrupt[0]["fields"]["quarantined_to"].as_str().unwrap();
    assert_eq!(
        std::fs::read(quarantined).unwrap(),
        bytes,
        "the rotted copy is kept aside as it was"
    );
    let refetched = nginx.body_bytes_sent("/blobs/") - sent_before;
    assert_eq!(
        refetched, exhibit.size,
        "only the rotted exhibit came again"
    );

    let mut c = cli(&work);
    c.args(["audit", "verify"]);
    let (ok, out, _) = run(c);
    println!("{out}");
    assert!(ok, "{out}");
    assert!(out.contains("recovered at line"), "{out}");
    assert!(out.contains("still there, unchanged"), "{out}");
    let recovered = audit_events(&work, "log_recovered");
    assert_eq!(recovered.len(), 1);
    let qfile = recovered[0]["fields"]["quarantine_file"].as_str().unwrap();
    assert_eq!(
        std::fs::read(qfile).unwrap(),
        torn,
        "the torn bytes, byte for byte"
    );
    println!(
        "RELIABILITY|custody|a_torn_audit_tail_and_a_flipped_cached_byte_are_repaired_by_fetch|a half-written last audit record (quarantined, chain continued, verify reports it); one byte flipped in a cached exhibit (found by fetch, set aside, audited, fetched again: {refetched} bytes)|{}",
        recovered.len() + corrupt.len()
    );
}

#[test]
fn a_read_only_audit_log_stops_the_fetch_and_fails_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    publish_random_case(&store, COURT, date(), "RO-1", &[100_000], 60).unwrap();
    let nginx = Nginx::start(&store, &NginxOptions::default()).unwrap();
    let work = dir.path().join("kiosk");
    let config = write_config(&work, &nginx.url);
    let state = work.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let bin = courtdeck_bin();
    let date_arg = date().to_string();
    // The log's folder is a tmpfs remounted read-only, in a mount namespace of its own.
    let script = format!(
        r#"set -u
mount -t tmpfs -o size=4m tmpfs {state} || exit 99
echo '' > /dev/null
{bin} --config {config} fetch --date {date_arg}; echo "rc-rw=$?"
mount -o remount,ro {state} || exit 98
{bin} --config {config} fetch --date {date_arg} --case RO-1; echo "rc-ro=$?"
{bin} --config {config} check --only audit --json; echo "rc-check=$?"
{bin} --config {config} audit verify; echo "rc-verify=$?"
"#,
        state = state.display(),
        bin = bin.display(),
        config = config.display(),
    );
    let userns = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .status()
        .is_ok_and(|s| s.success());
    let ns_args: &[&str] = if userns {
        &["--user", "--map-root-user", "--mount"]
    } else {
        &["--mount"]
    };
    let out = Command::new("unshare")
        .args(ns_args)
        .args(["sh", "-c", &script])
        .env("XDG_STATE_HOME", work.join("xdg-state"))
        .env("XDG_CONFIG_HOME", work.join("xdg-config"))
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    println!("{text}");
    assert!(!text.contains("rc-rw=99"), "cannot mount a tmpfs: {text}");
    assert!(
        !text.contains("rc-rw=98"),
        "cannot remount read-only: {text}"
    );
    assert!(text.contains("rc-rw=0"), "{text}");
    assert!(text.contains("rc-ro=1"), "{text}");
    assert!(text.contains("custody log unavailable"), "{text}");
    assert!(text.contains("[audit_unavailable]"), "{text}");
    assert!(text.contains("rc-check=1"), "{text}");
    assert!(text.contains("\"id\": \"audit\""), "{text}");
    // Reading still works: the chain written before is intact.
    assert!(text.contains("rc-verify=0"), "{text}");
    let refused = ["rc-ro=1", "rc-check=1"]
        .iter()
        .filter(|m| text.contains(*m))
        .count();
    println!(
        "RELIABILITY|custody|a_read_only_audit_log_stops_the_fetch_and_fails_the_check|the audit log's file system read-only: courtdeck fetch refuses with the reason, the audit setup check fails, verify still reads the chain|{refused}"
    );
}
