//! The evidence store against real servers started here: nginx over HTTP and HTTPS (a CA made for the
//! test), bearer tokens kept in a real gnome-keyring, a proxy that cuts connections, a tampering store,
//! a fetch killed with SIGKILL, and a full disk (a small tmpfs in a private mount namespace).
//!
//! The CLI cases run the real `courtdeck` binary (built by `scripts/test.sh` before the tests).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use courtdeck_core::{CaseManifest, ErrorCode};
use courtdeck_store::{
    Cache, EvidenceStore, FetchReport, HttpAuth, HttpStore, HttpStoreConfig, Secret, StoreError,
    hash_file,
};
use courtdeck_testkit::servers::{
    CutProxy, Nginx, NginxOptions, SecretService, TestCa, publish_random_case,
};
use courtdeck_testkit::{files_under, run_with_stdin as run};
use jiff::civil::Date;

const COURT: &str = "test-court";
/// The right token and a wrong one, from `tests/test-secrets.txt` (grepped for after the whole suite).
fn token() -> &'static str {
    courtdeck_testkit::TEST_SECRETS.lines().next().unwrap()
}
fn wrong_token() -> &'static str {
    courtdeck_testkit::TEST_SECRETS.lines().nth(1).unwrap()
}
const MIB: u64 = 1 << 20;

fn date() -> Date {
    courtdeck_api::today()
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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn http_store(
    rt: &tokio::runtime::Runtime,
    url: &str,
    auth: HttpAuth,
    ca: Option<&Path>,
) -> HttpStore {
    let mut config = HttpStoreConfig::new(url, auth);
    config.ca_file = ca.map(Path::to_path_buf);
    config.read_timeout = Duration::from_secs(10);
    HttpStore::new(config, rt.handle().clone()).unwrap()
}

fn fetch(
    store: &dyn EvidenceStore,
    cache: &Cache,
    m: &CaseManifest,
    i: usize,
) -> Result<FetchReport, StoreError> {
    cache.fetch_with_report(
        store,
        &m.exhibits()[i],
        &AtomicBool::new(false),
        &mut |_| {},
    )
}

/// Files in the cache's in-flight folder (partial downloads, their ETags).
fn partials(cache: &Path) -> Vec<PathBuf> {
    files_under(&cache.join("tmp"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "part" || e == "etag"))
        .collect()
}

/// A config file for a kiosk on `url`, with everything it writes under `dir`.
fn write_config(dir: &Path, url: &str, auth: &str, ca: Option<&Path>) -> PathBuf {
    let ca = ca
        .map(|c| format!("ca_file = {:?}\n", c.display().to_string()))
        .unwrap_or_default();
    let text = format!(
        "court = \"{COURT}\"\nkiosk_id = \"test-kiosk\"\ncache_dir = {:?}\naudit_file = {:?}\n\n[store]\nkind = \"https\"\nurl = \"{url}\"\nauth = \"{auth}\"\nread_timeout_s = 10\n{ca}",
        dir.join("cache").display().to_string(),
        dir.join("audit.jsonl").display().to_string(),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `courtdeck` with this test's config and its logs under `dir/state`.
fn cli(dir: &Path, keyring: Option<&SecretService>) -> Command {
    let mut c = match keyring {
        Some(k) => k.command(courtdeck_bin()),
        None => Command::new(courtdeck_bin()),
    };
    c.arg("--config")
        .arg(dir.join("config.toml"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("RUST_LOG", "info");
    c
}

fn audit_events(dir: &Path, event: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["event"] == event)
        .collect()
}

#[test]
fn https_store_with_a_token_in_gnome_keyring() {
    let dir = courtdeck_testkit::work_dir();
    let store = dir.path().join("store");
    let manifest = publish_random_case(
        &store,
        COURT,
        date(),
        "KR-1",
        &[3 * MIB, 200_000, 9 * MIB],
        11,
    )
    .unwrap();
    let ca = TestCa::generate().unwrap();
    let nginx = Nginx::start(
        &store,
        &NginxOptions {
            bearer: Some(token().into()),
            tls: Some((ca.cert_pem.clone(), ca.key_pem.clone())),
            limit_rate: None,
            proxy_to: None,
        },
    )
    .unwrap();
    let keyring = SecretService::start().unwrap();
    let work = dir.path().join("kiosk");
    std::fs::create_dir_all(&work).unwrap();
    write_config(&work, &nginx.url, "bearer", Some(&ca.ca_pem));
    let date_arg = date().to_string();

    // No credential yet: a clear "sign in" error, nothing cached.
    let mut c = cli(&work, Some(&keyring));
    c.args(["fetch", "--date", &date_arg]);
    let (ok, out) = run(c, "");
    assert!(!ok, "{out}");
    assert!(out.contains("courtdeck store login"), "{out}");

    // A wrong token: saved, but the store says no, in words.
    let mut c = cli(&work, Some(&keyring));
    c.args(["store", "login"]);
    let (ok, out) = run(c, &format!("{}\n", wrong_token()));
    assert!(!ok, "{out}");
    assert!(out.contains("did not accept"), "{out}");
    assert!(out.contains("[not_authorised]"), "{out}");

    // The right token, through stdin into the keyring.
    let mut c = cli(&work, Some(&keyring));
    c.args(["store", "login"]);
    let (ok, out) = run(c, &format!("{}\n", token()));
    assert!(ok, "{out}");
    assert!(out.contains("accepted"), "{out}");
    let mut lookup = keyring.command("secret-tool");
    lookup.args(["search", "service", "courtdeck-evidence-store"]);
    let (found, listing) = run(lookup, "");
    assert!(
        found && listing.contains(&nginx.url),
        "the token is in the keyring: {listing}"
    );

    let mut c = cli(&work, Some(&keyring));
    c.args(["fetch", "--date", &date_arg, "--json"]);
    let (ok, out) = run(c, "");
    assert!(ok, "{out}");
    assert!(out.contains(r#""event":"progress""#), "{out}");
    let cache = Cache::new(work.join("cache"));
    for e in manifest.exhibits() {
        let path = cache.verified_path(e).expect("cached");
        assert_eq!(hash_file(&path).unwrap(), e.sha256, "{}", e.reference);
    }
    assert!(partials(&work.join("cache")).is_empty());
    assert_eq!(audit_events(&work, "fetch_verified").len(), 3);
    assert_eq!(audit_events(&work, "credential_saved").len(), 2);

    let mut c = cli(&work, Some(&keyring));
    c.args(["store", "status", "--date", &date_arg]);
    let (ok, out) = run(c, "");
    assert!(
        ok && out.contains("online") && out.contains("credential: present"),
        "{out}"
    );

    // Logged out: the store refuses, yet the cached hearing is listed from the kept copy.
    let mut c = cli(&work, Some(&keyring));
    c.args(["store", "logout"]);
    assert!(run(c, "").0);
    let mut c = cli(&work, Some(&keyring));
    c.args(["list", "--date", &date_arg]);
    let (ok, out) = run(c, "");
    assert!(!ok, "offline is reported as a failure: {out}");
    assert!(
        out.contains("OFFLINE") && out.contains("3/3 exhibits cached"),
        "{out}"
    );

    // The token never reached a file: config, cache, audit log, logs.
    let mut hits = Vec::new();
    let files = files_under(&work);
    assert!(
        files.iter().any(|f| f.to_string_lossy().contains("logs")),
        "logs were written"
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        if bytes
            .windows(token().len())
            .any(|w| w == token().as_bytes())
        {
            hits.push(f.clone());
        }
    }
    println!(
        "secrets grep: {} files searched, {} hits",
        files.len(),
        hits.len()
    );
    assert!(hits.is_empty(), "the token leaked into {hits:?}");
    println!(
        "RELIABILITY|store|https_store_with_a_token_in_gnome_keyring|no credential, a wrong token, logout (offline from kept copies); the token grepped for in every file the run wrote|{}",
        4
    );
}

#[test]
fn tls_refused_without_the_ca_and_tokens_checked() {
    let dir = courtdeck_testkit::work_dir();
    let store = dir.path().join("store");
    let m = publish_random_case(&store, COURT, date(), "TLS-1", &[MIB], 12).unwrap();
    let ca = TestCa::generate().unwrap();
    let nginx = Nginx::start(
        &store,
        &NginxOptions {
            bearer: Some(token().into()),
            tls: Some((ca.cert_pem.clone(), ca.key_pem.clone())),
            limit_rate: None,
            proxy_to: None,
        },
    )
    .unwrap();
    let rt = runtime();
    let cache = Cache::new(dir.path().join("cache"));

    let untrusted = http_store(
        &rt,
        &nginx.url,
        HttpAuth::Bearer(Secret::new(token())),
        None,
    );
    let e = untrusted
        .read_document("cases/TLS-1/manifest.json")
        .unwrap_err();
    assert!(matches!(e, StoreError::Untrusted { .. }), "{e}");
    assert!(e.to_string().contains("not trusted"), "{e}");
    assert!(fetch(&untrusted, &cache, &m, 0).is_err());

    let wrong = http_store(
        &rt,
        &nginx.url,
        HttpAuth::Bearer(Secret::new("nope")),
        Some(&ca.ca_pem),
    );
    let e = fetch(&wrong, &cache, &m, 0).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAuthorised, "{e}");
    assert!(e.to_string().contains("did not accept"), "{e}");

    let none = http_store(&rt, &nginx.url, HttpAuth::None, Some(&ca.ca_pem));
    assert_eq!(
        fetch(&none, &cache, &m, 0).unwrap_err().code(),
        ErrorCode::NotAuthorised
    );
    assert!(cache.verified_path(&m.exhibits()[0]).is_none());

    let good = http_store(
        &rt,
        &nginx.url,
        HttpAuth::Bearer(Secret::new(token())),
        Some(&ca.ca_pem),
    );
    let r = fetch(&good, &cache, &m, 0).unwrap();
    assert_eq!(hash_file(&r.path).unwrap(), m.exhibits()[0].sha256);
    // A missing blob is "not found", not a hang or a retry loop.
    let missing = courtdeck_core::Sha256Digest::from_bytes([7; 32]);
    let e = good
        .open_blob(&missing, &courtdeck_store::Resume::default())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    // An unreachable store says so.
    let port = courtdeck_testkit::servers::free_port().unwrap();
    let down = http_store(
        &rt,
        &format!("http://127.0.0.1:{port}/"),
        HttpAuth::None,
        None,
    );
    let e = down.read_document("lists/x/2026-01-01.json").unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreUnreachable, "{e}");
    println!(
        "RELIABILITY|store|tls_refused_without_the_ca_and_tokens_checked|TLS with an unconfigured CA, a wrong token, no token, a missing blob, a store that is down|{}",
        5
    );
}

#[test]
fn connections_cut_at_random_offsets_over_512_mib() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let size = 512 * MIB;
    let m = publish_random_case(&store, COURT, date(), "CUT-1", &[size], 13).unwrap();
    let nginx = Nginx::start(&store, &NginxOptions::default()).unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    // Cuts every 1-15 MiB: about 64 over the blob.
    let proxy = CutProxy::start(nginx.port, MIB..15 * MIB, seed).unwrap();
    let rt = runtime();
    let cache_dir = dir.path().join("cache");
    let cache = Cache::new(&cache_dir);
    let store = http_store(&rt, &proxy.url(), HttpAuth::None, None);
    let started = std::time::Instant::now();
    let report = fetch(&store, &cache, &m, 0).unwrap();
    let secs = started.elapsed().as_secs_f64();
    let cuts = proxy.cuts();
    let down = proxy
        .stats
        .bytes_down
        .load(std::sync::atomic::Ordering::Relaxed);
    let sent = nginx.body_bytes_sent("/blobs/");
    // What reached the kiosk twice (response headers, mostly) against what nginx pushed into socket
    // buffers that the cut threw away.
    println!(
        "512 MiB through {cuts} cuts: {} reconnects, {:.1} s; the kiosk received {down} bytes ({:.0} bytes per resume beyond the blob), nginx sent {sent} body bytes ({:.0} per resume lost in socket buffers)",
        report.reconnects,
        secs,
        down.saturating_sub(size) as f64 / cuts.max(1) as f64,
        sent.saturating_sub(size) as f64 / cuts.max(1) as f64
    );
    assert_eq!(
        report.bytes_received, size,
        "every body byte was written once"
    );
    assert!(cuts >= 50, "only {cuts} cuts");
    assert!(report.reconnects as u64 >= cuts);
    assert_eq!(hash_file(&report.path).unwrap(), m.exhibits()[0].sha256);
    assert_eq!(std::fs::metadata(&report.path).unwrap().len(), size);
    assert!(
        partials(&cache_dir).is_empty(),
        "{:?}",
        partials(&cache_dir)
    );
    // Every resume was a conditional range request that nginx answered with 206.
    let log = nginx.access_log();
    let ranged: Vec<_> = log
        .iter()
        .filter(|l| l.starts_with("206 GET /blobs/"))
        .collect();
    assert!(
        ranged.len() as u64 >= cuts,
        "{} ranged requests for {cuts} cuts",
        ranged.len()
    );
    assert!(
        ranged
            .iter()
            .all(|l| l.contains("range=bytes=") && l.contains("if-match=\"")),
        "every resume is conditional on the ETag: {ranged:?}"
    );
    println!(
        "RELIABILITY|store|connections_cut_at_random_offsets_over_512_mib|connection cut at random offsets during a 512 MiB download (one case per cut)|{}",
        cuts
    );
}

#[test]
fn tampered_bytes_never_enter_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let m = publish_random_case(&store, COURT, date(), "TAMP-1", &[5 * MIB, MIB], 14).unwrap();
    let rt = runtime();
    let cache_dir = dir.path().join("cache");
    let cache = Cache::new(&cache_dir);
    // The store's copy of exhibit 1 has one byte changed; exhibit 2 has grown by a byte.
    let blob = |i: usize| store.join(courtdeck_store::blob_path(&m.exhibits()[i].sha256));
    let mut bytes = std::fs::read(blob(0)).unwrap();
    bytes[4_000_000] ^= 0x01;
    std::fs::write(blob(0), &bytes).unwrap();
    let mut bytes = std::fs::read(blob(1)).unwrap();
    bytes.push(0);
    std::fs::write(blob(1), &bytes).unwrap();
    let nginx = Nginx::start(&store, &NginxOptions::default()).unwrap();
    let http = http_store(&rt, &nginx.url, HttpAuth::None, None);

    let e = fetch(&http, &cache, &m, 0).unwrap_err();
    assert_eq!(e.code(), ErrorCode::HashMismatch, "{e}");
    assert!(e.to_string().contains("discarded"), "{e}");
    let e = fetch(&http, &cache, &m, 1).unwrap_err();
    assert_eq!(e.code(), ErrorCode::HashMismatch, "{e}");
    assert!(files_under(&cache_dir.join("sha256")).is_empty());
    assert!(
        partials(&cache_dir).is_empty(),
        "{:?}",
        partials(&cache_dir)
    );
    println!(
        "RELIABILITY|store|tampered_bytes_never_enter_the_cache|a blob with one byte changed, a blob one byte too long|{}",
        2
    );
}

#[test]
fn a_fetch_killed_with_sigkill_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let size = 48 * MIB;
    let m = publish_random_case(&store, COURT, date(), "KILL-1", &[size], 15).unwrap();
    let mut slow = Nginx::start(
        &store,
        &NginxOptions {
            limit_rate: Some("6m".into()),
            proxy_to: None,
            ..NginxOptions::default()
        },
    )
    .unwrap();
    let work = dir.path().join("kiosk");
    std::fs::create_dir_all(&work).unwrap();
    write_config(&work, &slow.url, "none", None);
    let date_arg = date().to_string();
    let mut c = cli(&work, None);
    c.args(["fetch", "--date", &date_arg, "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = 0u64;
    while seen < 16 * MIB {
        let line = lines.next().expect("progress before the end").unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        seen = v["done"].as_u64().unwrap_or(seen);
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let part = partials(&work.join("cache"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "part"))
        .expect("a partial download is left");
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept >= 16 * MIB && kept < size, "kept {kept}");
    // The first server stopped (its log complete: the cut request is logged with what it sent);
    // the rerun talks to a fresh nginx on the same store.
    slow.stop();
    let first = slow.body_bytes_sent("/blobs/");
    drop(slow);
    let fast = Nginx::start(&store, &NginxOptions::default()).unwrap();
    write_config(&work, &fast.url, "none", None);
    let mut c = cli(&work, None);
    c.args(["fetch", "--date", &date_arg]);
    let (ok, out) = run(c, "");
    assert!(ok, "{out}");
    let cache = Cache::new(work.join("cache"));
    let path = cache.verified_path(&m.exhibits()[0]).expect("cached");
    assert_eq!(hash_file(&path).unwrap(), m.exhibits()[0].sha256);
    let verified = audit_events(&work, "fetch_verified");
    assert_eq!(verified.len(), 1);
    let resumed_from = verified[0]["fields"]["resumed_from"]
        .as_u64()
        .or_else(|| verified[0]["resumed_from"].as_u64())
        .unwrap();
    let second = fast.body_bytes_sent("/blobs/");
    println!(
        "killed at {kept} bytes on disk after the server sent {first}; the rerun resumed from {resumed_from} and downloaded {second} bytes: {} bytes sent twice",
        (first + second).saturating_sub(size)
    );
    assert_eq!(resumed_from, kept);
    assert_eq!(second, size - kept, "only the missing bytes came again");
    assert!(
        fast.access_log()
            .iter()
            .any(|l| l.starts_with("206 GET /blobs/") && l.contains(&format!("bytes={kept}-")))
    );
    println!(
        "RELIABILITY|store|a_fetch_killed_with_sigkill_resumes_where_it_stopped|courtdeck fetch killed with SIGKILL mid-download, then rerun|{}",
        1
    );
}

#[test]
fn a_full_disk_gives_a_clear_error_and_keeps_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    publish_random_case(&store, COURT, date(), "DISK-A", &[2 * MIB, 3 * MIB], 16).unwrap();
    publish_random_case(&store, COURT, date(), "DISK-B", &[15 * MIB, 15 * MIB], 17).unwrap();
    let nginx = Nginx::start(&store, &NginxOptions::default()).unwrap();
    let work = dir.path().join("kiosk");
    std::fs::create_dir_all(work.join("cache")).unwrap();
    write_config(&work, &nginx.url, "none", None);
    let date_arg = date().to_string();
    let bin = courtdeck_bin();
    let config = work.join("config.toml");
    let cache = work.join("cache");
    // A 24 MiB tmpfs over the cache, in a mount namespace of its own (no root needed).
    let script = format!(
        r#"set -u
mount -t tmpfs -o size=24m tmpfs {cache} || exit 99
export XDG_STATE_HOME={state}
{bin} --config {config} fetch --date {date_arg} --case DISK-A; echo "rc-a=$?"
{bin} --config {config} fetch --date {date_arg} --case DISK-B; echo "rc-b=$?"
echo "--- cache"
find {cache}/sha256 -type f -exec sha256sum {{}} \;
echo "--- partials"
find {cache}/tmp -name '*.part'
echo "--- end"
"#,
        cache = cache.display(),
        state = work.join("state").display(),
        bin = bin.display(),
        config = config.display(),
    );
    // A user namespace where unprivileged ones are allowed; as root, a plain mount namespace.
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
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    println!("{text}");
    assert!(
        !text.contains("rc-a=99"),
        "cannot mount a tmpfs: this test needs unprivileged user namespaces or root: {text}"
    );
    assert!(text.contains("rc-a=0"), "{text}");
    assert!(text.contains("rc-b=1"), "{text}");
    // Space is reserved when a download starts: one of case B's exhibits gets it and is cached, the
    // other is refused at once instead of both failing half way.
    assert!(text.contains("DISK-B: 1/2 exhibits verified"), "{text}");
    assert!(text.contains("more needed"), "{text}");
    assert!(
        text.contains("RC/2: Not enough disk space")
            || text.contains("RC/1: Not enough disk space"),
        "{text}"
    );
    assert!(text.contains("[disk_full]"), "{text}");
    let section = |name: &str| {
        let start = text.find(&format!("--- {name}\n")).unwrap() + name.len() + 5;
        let end = start + text[start..].find("--- ").unwrap();
        text[start..end]
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // Case A's two exhibits are still there and still hash to their names; nothing half-written stays.
    let cached = section("cache");
    let intact = cached
        .iter()
        .filter(|l| {
            let mut it = l.split_whitespace();
            let (hash, path) = (it.next().unwrap(), it.next().unwrap());
            path.ends_with(hash)
        })
        .count();
    assert!(cached.len() == 3 && intact == 3, "{cached:?}");
    assert!(section("partials").is_empty(), "{text}");
    println!(
        "RELIABILITY|store|a_full_disk_gives_a_clear_error_and_keeps_the_cache|a full disk (24 MiB tmpfs) with two downloads racing for the space|{}",
        1
    );
}

/// The demo store served by nginx: fetched while online, then the server stops and the hearing still
/// launches from the kept list and manifest and plays from the cache, with the store shown offline.
#[tokio::test(flavor = "multi_thread")]
async fn offline_a_cached_hearing_launches_and_plays() {
    use courtdeck_api::Courtdeck;
    use courtdeck_api::config::{AuthKind, HttpsStoreConfig, StoreConfig};
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let media = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-media");
    courtdeck_api::demo::ensure_demo_store_from(&store, &media, courtdeck_api::today()).unwrap();
    let nginx = Nginx::start(&store, &NginxOptions::default()).unwrap();
    let config = courtdeck_testkit::kiosk::headless_kiosk(
        StoreConfig::Https(HttpsStoreConfig {
            auth: AuthKind::None,
            connect_timeout_s: 2,
            read_timeout_s: 5,
            ..HttpsStoreConfig::new(nginx.url.clone())
        }),
        dir.path(),
    );
    let online = Courtdeck::open_with(config.clone(), false).await.unwrap();
    let reports = online
        .fetch_day(courtdeck_api::today(), None)
        .await
        .unwrap();
    assert!(reports.iter().all(|r| r.problems.is_empty()), "{reports:?}");
    let case = reports[0].case_id.clone();
    online.shutdown().await;
    drop(online);
    drop(nginx);

    let deck = Courtdeck::open(config).await.unwrap();
    let today = deck.today().await.unwrap();
    assert!(!today.store.online);
    assert_eq!(
        today.store.problem.as_ref().unwrap().code,
        ErrorCode::StoreUnreachable
    );
    assert_eq!(today.hearings.len(), reports.len(), "the kept list");
    assert!(
        today
            .hearings
            .iter()
            .all(|h| matches!(h.readiness, courtdeck_api::json::Readiness::Ready))
    );
    let hearing = deck.launch(&case).await.unwrap();
    assert!(hearing.exhibits.iter().all(|e| e.cached));
    let video = hearing
        .exhibits
        .iter()
        .find(|e| e.kind == "video")
        .unwrap()
        .reference
        .clone();
    deck.select(&video).await.unwrap();
    deck.present(&["bench".into()]).await.unwrap();
    deck.play().await.unwrap();
    // Waited for (up to 30 s), not timed.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let frames = loop {
        let frames = deck.screen_frames().await.unwrap();
        if frames.get("bench").is_some_and(|&n| n > 0) || std::time::Instant::now() > deadline {
            break frames;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(frames["bench"] > 0, "{frames:?}");
    deck.shutdown().await;
    println!(
        "RELIABILITY|store|offline_a_cached_hearing_launches_and_plays|the store stops: a cached hearing launches from kept documents and plays|{}",
        1
    );
}

/// A partial download whose ETag no longer matches the store's (the blob was republished): the store
/// answers 412 and the fetch starts again from zero rather than splicing two versions.
#[test]
fn a_changed_etag_restarts_the_download() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let m = publish_random_case(&store, COURT, date(), "ETAG-1", &[3 * MIB], 18).unwrap();
    let e = &m.exhibits()[0];
    let cache_dir = dir.path().join("cache");
    let tmp = cache_dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let blob = std::fs::read(store.join(courtdeck_store::blob_path(&e.sha256))).unwrap();
    // A megabyte of other bytes, said to come from a different version of the blob.
    let mut stale = blob[..MIB as usize].to_vec();
    stale[10] ^= 0xff;
    std::fs::write(tmp.join(format!("{}.part", e.sha256.to_hex())), &stale).unwrap();
    std::fs::write(
        tmp.join(format!("{}.etag", e.sha256.to_hex())),
        "\"old-version\"",
    )
    .unwrap();
    let nginx = Nginx::start(&store, &NginxOptions::default()).unwrap();
    let rt = runtime();
    let http = http_store(&rt, &nginx.url, HttpAuth::None, None);
    let cache = Cache::new(&cache_dir);
    let report = fetch(&http, &cache, &m, 0).unwrap();
    assert_eq!(report.resumed_from, MIB);
    assert_eq!(report.bytes_received, 3 * MIB, "started again from zero");
    assert_eq!(hash_file(&report.path).unwrap(), e.sha256);
    let log = nginx.access_log();
    assert!(
        log[0].starts_with("412 GET /blobs/") && log[0].contains("if-match=\"old-version\""),
        "{log:?}"
    );
    assert!(log[1].starts_with("200 GET /blobs/"), "{log:?}");
    assert!(partials(&cache_dir).is_empty());
    println!(
        "RELIABILITY|store|a_changed_etag_restarts_the_download|a partial download whose ETag no longer matches (412: start again)|{}",
        1
    );
}
