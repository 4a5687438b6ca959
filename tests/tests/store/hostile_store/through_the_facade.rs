//! Custody faults through the facade, as the surface meets them: a rotted cached copy, a bad hearing
//! in the list, an audit log that cannot be written.

use super::*;

/// Through the facade, with a real headless playout process: a cached exhibit whose bytes changed on
/// disk is refused when selected (with the reason) while the rest of the hearing goes on; after a fetch
/// repairs it, it is presented.
#[tokio::test(flavor = "multi_thread")]
async fn a_rotted_cached_copy_is_not_presented_until_fetched_again() {
    use courtdeck_api::Courtdeck;
    use courtdeck_api::config::StoreConfig;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = d.join("store");
    let media = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-media");
    courtdeck_api::demo::ensure_demo_store_from(&store, &media, courtdeck_api::today()).unwrap();
    let config = courtdeck_testkit::kiosk::headless_kiosk(StoreConfig::Dir { path: store }, d);
    // Fetched the way the clerk does (no hearing open, so no background check still running later).
    let deck = Courtdeck::open_with(config.clone(), false).await.unwrap();
    let reports = deck
        .fetch_day(courtdeck_api::today(), Some("JS-2026-0142"))
        .await
        .unwrap();
    assert!(reports[0].problems.is_empty(), "{:?}", reports[0].problems);
    drop(deck);
    let manifest = courtdeck_store::read_manifest(
        &courtdeck_store::DirStore::new(d.join("store")),
        &courtdeck_core::CaseId::parse("JS-2026-0142").unwrap(),
    )
    .unwrap();
    let first = manifest
        .exhibits()
        .iter()
        .find(|e| e.reference.to_string() == "JS/1")
        .unwrap();
    let cache = Cache::new(d.join("cache"));
    let path = cache.path_of(&first.sha256);

    // One byte flips in the cached copy of JS/1.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let deck = Courtdeck::open(config.clone()).await.unwrap();
    deck.launch("JS-2026-0142").await.unwrap();
    let e = deck.select("JS/1").await.unwrap_err();
    println!("select of the rotted copy: {e}");
    assert_eq!(e.code, ErrorCode::HashMismatch, "{e}");
    assert!(e.message.contains("no longer matches"), "{e}");
    let dto = deck.hearing().await.unwrap().unwrap();
    let js1 = dto.exhibits.iter().find(|x| x.reference == "JS/1").unwrap();
    assert!(!js1.cached);
    assert_eq!(js1.problem.as_ref().unwrap().code, ErrorCode::HashMismatch);
    // The rest of the hearing goes on.
    deck.select("JS/2").await.unwrap();
    deck.present(&["bench".into()]).await.unwrap();

    // The fetch (what the prefetch and `courtdeck fetch` run) brings a good copy back.
    let reports = deck
        .fetch_day(courtdeck_api::today(), Some("JS-2026-0142"))
        .await
        .unwrap();
    assert!(reports[0].problems.is_empty(), "{:?}", reports[0].problems);
    deck.launch("JS-2026-0142").await.unwrap();
    deck.select("JS/1").await.unwrap();
    deck.present(&["bench".into()]).await.unwrap();
    deck.shutdown().await;
    drop(deck);
    let log = std::fs::read_to_string(d.join("audit.jsonl")).unwrap();
    let corrupt = log
        .lines()
        .filter(|l| l.contains("\"event\":\"cache_corrupt\""))
        .count();
    assert_eq!(corrupt, 1, "recorded once");
    assert!(courtdeck_audit_verifies(&d.join("audit.jsonl")));
    println!(
        "RELIABILITY|custody|a_rotted_cached_copy_is_not_presented_until_fetched_again|one byte flipped in a cached exhibit: refused at selection with the reason (the rest of the hearing plays), set aside, audited, presented after a fetch|{}",
        corrupt
    );
}

fn courtdeck_audit_verifies(log: &Path) -> bool {
    let out = Command::new(courtdeck_bin())
        .args(["audit", "verify"])
        .arg(log)
        .output()
        .unwrap();
    println!("{}", String::from_utf8_lossy(&out.stdout));
    out.status.success()
}

/// Through the facade on a folder store: one malformed hearing is shown as unavailable in its place
/// while the rest of the list stands; a list filed under another day is refused.
#[tokio::test(flavor = "multi_thread")]
async fn one_bad_hearing_is_unavailable_and_a_misplaced_list_is_refused() {
    use courtdeck_api::config::StoreConfig;
    use courtdeck_api::json::Readiness;
    use courtdeck_api::{Config, Courtdeck};
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    publish_random_case(&store, COURT, date(), "GOOD-1", &[1000], 70).unwrap();
    let list_path = store.join(courtdeck_store::court_list_path(
        &courtdeck_core::CourtId::parse(COURT).unwrap(),
        date(),
    ));
    let mut list: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&list_path).unwrap()).unwrap();
    list["hearings"].as_array_mut().unwrap().push(serde_json::json!({
        "time": "11:00", "case_id": "EVIL-1", "title": "R v Smith\u{202e}htimS", "hearing_type": "Trial"
    }));
    std::fs::write(&list_path, serde_json::to_vec(&list).unwrap()).unwrap();
    let config = Config {
        court: COURT.into(),
        store: StoreConfig::Dir {
            path: store.clone(),
        },
        cache_dir: Some(dir.path().join("cache")),
        audit_file: Some(dir.path().join("audit.jsonl")),
        ..Config::default()
    };
    let deck = Courtdeck::open_with(config, false).await.unwrap();
    let today = deck.court_list(date()).await.unwrap();
    assert!(today.store.online, "{:?}", today.store.problem);
    assert_eq!(today.hearings.len(), 2);
    let good = &today.hearings[0];
    assert_eq!(good.case_id, "GOOD-1");
    assert!(good.problem.is_none());
    let bad = &today.hearings[1];
    assert_eq!(
        (bad.case_id.as_str(), bad.time.as_str()),
        ("EVIL-1", "11:00")
    );
    assert!(matches!(bad.readiness, Readiness::Unavailable));
    assert!(!bad.title.contains('\u{202e}'), "{}", bad.title);
    let problem = bad.problem.as_ref().unwrap();
    assert_eq!(problem.code, ErrorCode::InvalidManifest);
    assert!(problem.message.contains("U+202E"), "{}", problem.message);

    // The same list copied under tomorrow's path: refused, not shown as tomorrow's.
    let tomorrow = date().tomorrow().unwrap();
    let moved = list_path.with_file_name(format!("{tomorrow}.json"));
    std::fs::copy(&list_path, &moved).unwrap();
    let other = deck.court_list(tomorrow).await.unwrap();
    assert!(other.hearings.is_empty());
    let problem = other.store.problem.unwrap();
    assert_eq!(problem.code, ErrorCode::InvalidManifest);
    assert!(
        problem.message.contains("says it is for"),
        "{}",
        problem.message
    );
    let unavailable = today
        .hearings
        .iter()
        .filter(|h| matches!(h.readiness, Readiness::Unavailable))
        .count();
    println!(
        "RELIABILITY|custody|one_bad_hearing_is_unavailable_and_a_misplaced_list_is_refused|through the facade: a hearing titled with a right-to-left override (unavailable, the rest of the list stands); a list filed under another day (refused)|{}",
        unavailable + usize::from(other.hearings.is_empty())
    );
}

/// Through the facade: a custody log that cannot be written (its folder is a file) is in every list and
/// stage the surface reads, as `audit_unavailable`, and the `audit` setup check fails.
#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_custody_log_is_in_what_the_surface_reads() {
    use courtdeck_api::config::StoreConfig;
    use courtdeck_api::json::CheckStatus;
    use courtdeck_api::{Config, Courtdeck};
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    publish_random_case(&store, COURT, date(), "LOG-1", &[1000], 80).unwrap();
    // Not even root can create a file under a regular file.
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "").unwrap();
    let config = Config {
        court: COURT.into(),
        store: StoreConfig::Dir { path: store },
        cache_dir: Some(dir.path().join("cache")),
        audit_file: Some(blocker.join("audit.jsonl")),
        ..Config::default()
    };
    let deck = Courtdeck::open_with(config, false).await.unwrap();
    let today = deck.court_list(date()).await.unwrap();
    let banner = today.custody.expect("the list carries the custody problem");
    assert_eq!(banner.code, ErrorCode::AuditUnavailable);
    assert!(
        banner.message.starts_with("custody log unavailable: "),
        "{}",
        banner.message
    );
    let stage = deck.stage().await;
    let in_stage = stage.custody.map(|e| e.code) == Some(ErrorCode::AuditUnavailable);
    assert!(in_stage);
    assert_eq!(
        deck.require_custody().unwrap_err().code,
        ErrorCode::AuditUnavailable
    );
    let report = deck.run_checks(Some(vec!["audit".into()])).await.unwrap();
    let audit = report.checks.iter().find(|c| c.id == "audit").unwrap();
    println!("audit check: {:?} {}", audit.status, audit.detail);
    assert_eq!(audit.status, CheckStatus::Fail);
    assert_eq!(report.overall, CheckStatus::Fail);
    // Records the facade could not write are counted in the banner.
    deck.fetch_day(date(), None).await.unwrap();
    let after = deck.court_list(date()).await.unwrap().custody.unwrap();
    println!("banner: {}", after.message);
    let surfaces = [true, in_stage, audit.status == CheckStatus::Fail]
        .iter()
        .filter(|b| **b)
        .count();
    assert!(
        after.message.contains("could not be written"),
        "{}",
        after.message
    );
    println!(
        "RELIABILITY|custody|an_unwritable_custody_log_is_in_what_the_surface_reads|an audit log that cannot be created: audit_unavailable in the list and the stage (the banner), the audit check fails, lost records counted|{surfaces}"
    );
}
