//! A courthouse of kiosks on one store: 20 `courtdeck fetch` processes, each a kiosk with a cache of
//! its own, pull the same day's list at once, first from one SeaweedFS (S3, SigV4) and then from one
//! nginx (HTTP). Every kiosk must end with every exhibit verified, and the store's request log must
//! show each blob fetched exactly once per kiosk: no retry storm. Both servers' logs are nginx's
//! (for S3, nginx passes the signed requests on to SeaweedFS). Loopback only, bounded in count.
//!
//! Prints the figures BENCHMARKS.md quotes: time to "hearing ready" per kiosk (median, p95, slowest)
//! and throughput per kiosk and in total. No timing is asserted.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use courtdeck_store::Cache;
use courtdeck_testkit::s3::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, Seaweed};
use courtdeck_testkit::servers::{Nginx, NginxOptions, publish_random_case};
use jiff::civil::Date;

const COURT: &str = "courthouse";
const KIOSKS: usize = 20;
const MIB: u64 = 1 << 20;

fn date() -> Date {
    courtdeck_api::today()
}

/// Runs `KIOSKS` fetches at once with `store_toml` as each kiosk's `[store]`; returns each one's time
/// to a verified day, and checks every cache.
fn courthouse(
    name: &str,
    work: &Path,
    store_toml: &str,
    manifests: &[courtdeck_core::CaseManifest],
) -> Vec<Duration> {
    let bin = courtdeck_testkit::target_dir().join("courtdeck");
    let mut children = Vec::new();
    let start = Instant::now();
    for k in 0..KIOSKS {
        let dir = work.join(format!("{name}-kiosk-{k}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("config.toml"),
            format!(
                "court = \"{COURT}\"\nkiosk_id = \"kiosk-{k}\"\ncache_dir = {:?}\naudit_file = {:?}\n\n{store_toml}",
                dir.join("cache").display().to_string(),
                dir.join("audit.jsonl").display().to_string(),
            ),
        )
        .unwrap();
        let child = Command::new(&bin)
            .arg("--config")
            .arg(dir.join("config.toml"))
            .args(["fetch", "--date", &date().to_string(), "--json"])
            .env("XDG_STATE_HOME", dir.join("state"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push((dir, child));
    }
    // Each kiosk's own time: when its process ended (polled; `wait` in turn would give the later
    // ones the earlier ones' time).
    let mut ended: Vec<Option<(Duration, std::process::Output)>> = Vec::new();
    let mut running: Vec<Option<(std::path::PathBuf, std::process::Child)>> =
        children.into_iter().map(Some).collect();
    ended.resize_with(running.len(), || None);
    while running.iter().any(Option::is_some) {
        for (i, slot) in running.iter_mut().enumerate() {
            let Some((_, child)) = slot else { continue };
            if child.try_wait().unwrap().is_some() {
                let took = start.elapsed();
                let (_, child) = slot.take().unwrap();
                ended[i] = Some((took, child.wait_with_output().unwrap()));
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut times = Vec::new();
    for (k, e) in ended.into_iter().enumerate() {
        let (took, out) = e.unwrap();
        let dir = work.join(format!("{name}-kiosk-{k}"));
        assert!(
            out.status.success(),
            "{name} {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let cache = Cache::new(dir.join("cache"));
        for m in manifests {
            for e in m.exhibits() {
                assert!(
                    cache.verified_path(e).is_some(),
                    "{name} {}: {} verified",
                    dir.display(),
                    e.reference
                );
            }
        }
        times.push(took);
    }
    times
}

fn report(name: &str, mut times: Vec<Duration>, bytes_per_kiosk: u64) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    let (median, p95, slowest) = (at(0.5), at(0.95), *times.last().unwrap());
    let mb = bytes_per_kiosk as f64 / 1e6;
    println!(
        "{name}: {KIOSKS} kiosks x {mb:.1} MB: hearing ready median {:.2} s, p95 {:.2} s, slowest {:.2} s; \
         per kiosk {:.1} MB/s (median), in total {:.1} MB/s",
        median.as_secs_f64(),
        p95.as_secs_f64(),
        slowest.as_secs_f64(),
        mb / median.as_secs_f64(),
        mb * KIOSKS as f64 / slowest.as_secs_f64()
    );
}

/// `GET` requests per blob in an nginx access log (`status method uri …`).
fn blob_requests(log: &[String]) -> std::collections::BTreeMap<String, (usize, usize)> {
    let mut out = std::collections::BTreeMap::new();
    for line in log {
        let mut f = line.split(' ');
        let (Some(status), Some(method), Some(uri)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if method != "GET" || !uri.contains("/blobs/") {
            continue;
        }
        let e = out
            .entry(uri.rsplit('/').next().unwrap().to_owned())
            .or_insert((0, 0));
        e.0 += 1;
        if status != "200" {
            e.1 += 1;
        }
    }
    out
}

#[test]
fn twenty_kiosks_fetch_one_day_from_one_store_each_blob_once() {
    let work = courtdeck_testkit::work_dir();
    let published = work.path().join("published");
    let manifests: Vec<_> = (1..=3)
        .map(|c| {
            publish_random_case(
                &published,
                COURT,
                date(),
                &format!("CH-{c}"),
                &[2 * MIB, 3 * MIB, 512 * 1024],
                100 + c,
            )
            .unwrap()
        })
        .collect();
    let blobs: u64 = manifests.iter().map(|m| m.exhibits().len() as u64).sum();
    let bytes: u64 = manifests
        .iter()
        .flat_map(|m| m.exhibits())
        .map(|e| e.size)
        .sum();

    // S3: SeaweedFS behind nginx (the request log).
    let weed = Seaweed::start().unwrap();
    weed.client(SECRET_ACCESS_KEY)
        .upload_store(&published, "day")
        .unwrap();
    let front = Nginx::start(
        &published,
        &NginxOptions {
            proxy_to: Some(weed.s3_port),
            ..NginxOptions::default()
        },
    )
    .unwrap();
    let s3 = format!(
        "[store]\nkind = \"s3\"\nendpoint = \"{}\"\nbucket = \"evidence\"\nprefix = \"day\"\n",
        front.url.trim_end_matches('/')
    );
    let times = courthouse("s3", work.path(), &s3, &manifests);
    report("SeaweedFS (S3)", times, bytes);
    let per_blob = blob_requests(&front.access_log());
    assert_eq!(per_blob.len() as u64, blobs, "{per_blob:?}");
    for (blob, (gets, failed)) in &per_blob {
        assert_eq!(
            (*gets, *failed),
            (KIOSKS, 0),
            "blob {blob}: each kiosk once, none failed"
        );
    }

    // HTTP: nginx serving the same folder.
    let nginx = Nginx::start(&published, &NginxOptions::default()).unwrap();
    let http = format!(
        "[store]\nkind = \"https\"\nurl = \"{}\"\nauth = \"none\"\n",
        nginx.url
    );
    let times = courthouse("http", work.path(), &http, &manifests);
    report("nginx (HTTP)", times, bytes);
    let per_blob = blob_requests(&nginx.access_log());
    assert_eq!(per_blob.len() as u64, blobs);
    for (blob, (gets, failed)) in &per_blob {
        assert_eq!((*gets, *failed), (KIOSKS, 0), "blob {blob}");
    }
    println!(
        "RELIABILITY|store|twenty_kiosks_fetch_one_day_from_one_store_each_blob_once|20 kiosk processes at once on one SeaweedFS and one nginx: every exhibit verified in every cache, each blob fetched exactly once per kiosk (the request logs)|{}",
        2
    );
}
