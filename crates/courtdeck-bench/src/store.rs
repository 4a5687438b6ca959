//! The store benchmarks: fetching from nginx and from SeaweedFS (S3) against curl, resuming after
//! cuts, a warm launch.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::median;
use crate::run;
use anyhow::Result;
use courtdeck_core::{Exhibit, ExhibitKind, ExhibitRef, Restriction};
use courtdeck_store::{Cache, DirStore, HttpAuth, HttpStore, HttpStoreConfig, hash_file};
use courtdeck_testkit::servers::{CutProxy, Nginx, NginxOptions, publish_random_case};

/// Verified fetch from a directory store into the cache (hash while writing, fsync, rename) against
/// `cp` + `sync` and `sha256sum` on the same file.
pub(crate) fn fetch_bench(dir: &Path, mib: u64) -> Result<()> {
    let store_dir = dir.join("store");
    let blob_src = dir.join("blob.bin");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&blob_src)?;
        let mut block = vec![0u8; 1 << 20];
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..mib {
            for chunk in block.chunks_exact_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_le_bytes());
            }
            f.write_all(&block)?;
        }
        f.sync_all()?;
    }
    let sha256 = hash_file(&blob_src)?;
    let blob = store_dir.join(courtdeck_store::blob_path(&sha256));
    std::fs::create_dir_all(blob.parent().unwrap())?;
    std::fs::rename(&blob_src, &blob)?;
    let size = std::fs::metadata(&blob)?.len();
    let exhibit = Exhibit {
        reference: ExhibitRef::parse("B/1")?,
        title: "bench".into(),
        kind: ExhibitKind::Video,
        media_type: "video/mp4".into(),
        size,
        sha256,
        restriction: Restriction::Open,
        duration: None,
        clips: vec![],
        pages: vec![],
        derived_from: None,
        transcript: None,
        provenance: None,
    };
    let mb = size as f64 / 1e6;
    let mut ours = Vec::new();
    let mut cp = Vec::new();
    let mut shasum = Vec::new();
    for i in 0..3 {
        let cache = Cache::new(dir.join(format!("cache{i}")));
        let t = Instant::now();
        cache.fetch(
            &DirStore::new(&store_dir),
            &exhibit,
            &AtomicBool::new(false),
            &mut |_| {},
        )?;
        ours.push(mb / t.elapsed().as_secs_f64());
        std::fs::remove_dir_all(cache.root()).ok();

        let dest = dir.join("cp.out");
        let t = Instant::now();
        run(Command::new("cp").arg(&blob).arg(&dest))?;
        run(Command::new("sync").arg(&dest))?;
        cp.push(mb / t.elapsed().as_secs_f64());
        std::fs::remove_file(&dest).ok();

        let t = Instant::now();
        run(Command::new("sha256sum").arg(&blob))?;
        shasum.push(mb / t.elapsed().as_secs_f64());
    }
    let (o, c, s) = (median(ours), median(cp), median(shasum));
    println!(
        "\n## Verified fetch, directory store -> cache ({mib} MiB, median of 3, page cache warm)"
    );
    println!("courtdeck fetch (sha256 while writing + fsync + rename): {o:>8.0} MB/s");
    println!(
        "reference cp + sync:                                    {c:>8.0} MB/s   ratio {:.2}x",
        o / c
    );
    println!(
        "reference sha256sum (hash only):                        {s:>8.0} MB/s   ratio {:.2}x",
        o / s
    );
    Ok(())
}

/// A directory store holding one random blob of `mib` MiB; returns the exhibit.
pub(crate) fn random_blob_store(store_dir: &Path, mib: u64) -> Result<Exhibit> {
    let date = courtdeck_api::today();
    let m = publish_random_case(store_dir, "bench-court", date, "BENCH-1", &[mib << 20], 99)?;
    Ok(m.exhibits()[0].clone())
}

/// Verified fetch over HTTP from a loopback nginx against `curl -o` (+ `sync`) from the same nginx to
/// the same disk.
pub(crate) fn http_fetch_bench(rt: &tokio::runtime::Runtime, dir: &Path, mib: u64) -> Result<()> {
    let store_dir = dir.join("http-store");
    let exhibit = random_blob_store(&store_dir, mib)?;
    let nginx = Nginx::start(&store_dir, &NginxOptions::default())?;
    let url = format!(
        "{}{}",
        nginx.url,
        courtdeck_store::blob_path(&exhibit.sha256)
    );
    let store = HttpStore::new(
        HttpStoreConfig::new(&nginx.url, HttpAuth::None),
        rt.handle().clone(),
    )?;
    fetch_against_curl(
        &format!("Verified fetch over HTTP from loopback nginx ({mib} MiB, median of 3)"),
        &store,
        &url,
        &exhibit,
        dir,
    )
}

/// Verified fetch from SeaweedFS (SigV4 pre-signed GETs) against `curl -o` (+ `sync`) of a pre-signed
/// URL of the same object to the same disk.
pub(crate) fn s3_fetch_bench(rt: &tokio::runtime::Runtime, dir: &Path, mib: u64) -> Result<()> {
    use courtdeck_testkit::s3::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, Seaweed};
    let store_dir = dir.join("s3-store");
    let exhibit = random_blob_store(&store_dir, mib)?;
    let weed = Seaweed::start()?;
    let admin = weed.client(SECRET_ACCESS_KEY);
    admin.upload_store(&store_dir, "bench")?;
    let url = admin.presigned_get(
        &format!("bench/{}", courtdeck_store::blob_path(&exhibit.sha256)),
        std::time::Duration::from_secs(3600),
    );
    let mut config = HttpStoreConfig::new(
        weed.endpoint(),
        HttpAuth::S3 {
            access_key_id: ACCESS_KEY_ID.into(),
            secret_access_key: courtdeck_store::Secret::new(SECRET_ACCESS_KEY),
        },
    );
    config.s3 = Some(courtdeck_store::S3Location {
        bucket: courtdeck_testkit::s3::BUCKET.into(),
        prefix: "bench".into(),
        region: "us-east-1".into(),
        path_style: true,
    });
    let store = HttpStore::new(config, rt.handle().clone())?;
    fetch_against_curl(
        &format!("Verified fetch from SeaweedFS S3, SigV4 pre-signed ({mib} MiB, median of 3)"),
        &store,
        &url,
        &exhibit,
        dir,
    )
}

/// Fetches `exhibit` from `store` into a fresh cache three times, and `url` (the same bytes) with
/// `curl -o` to the same disk, and prints the medians and their ratios.
fn fetch_against_curl(
    title: &str,
    store: &dyn courtdeck_store::EvidenceStore,
    url: &str,
    exhibit: &Exhibit,
    dir: &Path,
) -> Result<()> {
    // Warm the server's page cache once, as a store that has served the file before would be.
    run(Command::new("curl").args(["-sS", "-o", "/dev/null", url]))?;
    let mb = exhibit.size as f64 / 1e6;
    let (mut ours, mut curl_sync, mut curl) = (Vec::new(), Vec::new(), Vec::new());
    let (mut our_cpu, mut curl_cpu) = (Vec::new(), Vec::new());
    let mut curl_verified = Vec::new();
    let (mut our_fsync, mut our_time) = (Vec::new(), Vec::new());
    for i in 0..3 {
        let cache = Cache::new(dir.join(format!("fetch-cache{i}")));
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let report =
            cache.fetch_with_report(store, exhibit, &AtomicBool::new(false), &mut |_| {})?;
        ours.push(mb / t.elapsed().as_secs_f64());
        our_cpu.push(cpu_seconds().0 - cpu.0);
        our_fsync.push(report.fsync.as_secs_f64());
        our_time.push(t.elapsed().as_secs_f64());
        std::fs::remove_dir_all(cache.root()).ok();

        let dest = dir.join("curl.out");
        let (t, cpu) = (Instant::now(), cpu_seconds());
        run(Command::new("curl")
            .args(["-sS", "--fail", "-o"])
            .arg(&dest)
            .arg(url))?;
        curl.push(mb / t.elapsed().as_secs_f64());
        curl_cpu.push(cpu_seconds().1 - cpu.1);
        run(Command::new("sync").arg(&dest))?;
        curl_sync.push(mb / t.elapsed().as_secs_f64());
        std::fs::remove_file(&dest).ok();

        // The same job done by hand with the reference tools: download, verify, make durable.
        let t = Instant::now();
        run(Command::new("curl")
            .args(["-sS", "--fail", "-o"])
            .arg(&dest)
            .arg(url))?;
        let out = Command::new("sha256sum").arg(&dest).output()?;
        anyhow::ensure!(
            String::from_utf8_lossy(&out.stdout).starts_with(&exhibit.sha256.to_hex()),
            "sha256sum disagrees with the manifest"
        );
        run(Command::new("sync").arg(&dest))?;
        curl_verified.push(mb / t.elapsed().as_secs_f64());
        std::fs::remove_file(&dest).ok();
    }
    let (o, cs, c) = (median(ours), median(curl_sync), median(curl));
    let (oc, cc) = (median(our_cpu), median(curl_cpu));
    let cv = median(curl_verified);
    let (of, ot) = (median(our_fsync), median(our_time));
    println!("\n## {title}");
    println!(
        "courtdeck fetch (download thread; sha256 while writing; fsync; rename): {o:>8.0} MB/s   client CPU {oc:.2} s   {ot:.2} s, of which fsync {of:.2} s"
    );
    println!(
        "reference curl -o + sync (same durability):                            {cs:>8.0} MB/s   ratio {:.2}x",
        o / cs
    );
    println!(
        "reference curl -o (page cache only, no fsync, no hash):                {c:>8.0} MB/s   ratio {:.2}x   client CPU {cc:.2} s",
        o / c
    );
    println!(
        "reference curl -o + sha256sum + sync (the same job by hand):           {cv:>8.0} MB/s   ratio {:.2}x",
        o / cv
    );
    Ok(())
}

/// CPU seconds (user + system) used so far by this process's threads, and by its children that
/// have been waited for (`/proc/self/stat`, in clock ticks of 1/100 s).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command's name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime, stime, cutime, cstime are fields 14-17 of the line, 12-15 after the name.
    let at = |i: usize| f.get(i).copied().unwrap_or(0.0) / 100.0;
    (at(11) + at(12), at(13) + at(14))
}

/// Bytes transferred again per resume, through a proxy that cuts connections every 4-12 MiB.
pub(crate) fn resume_bench(rt: &tokio::runtime::Runtime, dir: &Path, mib: u64) -> Result<()> {
    let store_dir = dir.join("resume-store");
    let exhibit = random_blob_store(&store_dir, mib)?;
    let nginx = Nginx::start(&store_dir, &NginxOptions::default())?;
    let proxy = CutProxy::start(nginx.port, 4 << 20..12 << 20, 42)?;
    let store = HttpStore::new(
        HttpStoreConfig::new(proxy.url(), HttpAuth::None),
        rt.handle().clone(),
    )?;
    let cache = Cache::new(dir.join("resume-cache"));
    let t = Instant::now();
    let report = cache.fetch_with_report(&store, &exhibit, &AtomicBool::new(false), &mut |_| {})?;
    let secs = t.elapsed().as_secs_f64();
    let cuts = proxy.cuts().max(1);
    let down = proxy
        .stats
        .bytes_down
        .load(std::sync::atomic::Ordering::Relaxed);
    let sent = nginx.body_bytes_sent("/blobs/");
    println!("\n## Resume after dropped connections ({mib} MiB, a cut every 4-12 MiB)");
    println!(
        "{} cuts, {} reconnects, {secs:.1} s (backoff included), verified",
        proxy.cuts(),
        report.reconnects
    );
    println!(
        "bytes the kiosk received beyond the blob, per resume (headers): {:.0}",
        down.saturating_sub(exhibit.size) as f64 / cuts as f64
    );
    println!(
        "body bytes nginx sent beyond the blob, per resume (lost in socket buffers at the cut): {:.0}",
        sent.saturating_sub(exhibit.size) as f64 / cuts as f64
    );
    Ok(())
}

/// Launching a hearing of `n` cached exhibits through the facade, its store an nginx on loopback;
/// against rehashing those exhibits with sha256sum (what launch avoids).
pub(crate) async fn warm_launch_bench(dir: &Path, n: usize) -> Result<()> {
    use courtdeck_api::config::{AuthKind, HttpsStoreConfig, StoreConfig};
    let store_dir = dir.join("launch-store");
    let date = courtdeck_api::today();
    let sizes: Vec<u64> = (0..n as u64).map(|i| 256 * 1024 + i).collect();
    let m = publish_random_case(&store_dir, "bench-court", date, "LAUNCH-1", &sizes, 7)?;
    let nginx = Nginx::start(&store_dir, &NginxOptions::default())?;
    let config = courtdeck_api::Config {
        court: "bench-court".into(),
        store: StoreConfig::Https(HttpsStoreConfig {
            auth: AuthKind::None,
            connect_timeout_s: 5,
            read_timeout_s: 10,
            ..HttpsStoreConfig::new(nginx.url.clone())
        }),
        cache_dir: Some(dir.join("launch-cache")),
        audit_file: Some(dir.join("launch-audit.jsonl")),
        ..courtdeck_api::Config::default()
    };
    let deck = courtdeck_api::Courtdeck::open_with(config, false).await?;
    deck.fetch_day(date, None).await?;
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let h = deck.launch("LAUNCH-1").await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(h.exhibits.iter().all(|e| e.cached), "not all cached");
    }
    let cache = Cache::new(dir.join("launch-cache"));
    let paths: Vec<_> = m
        .exhibits()
        .iter()
        .filter_map(|e| cache.verified_path(e))
        .collect();
    let t = Instant::now();
    run(Command::new("sha256sum").args(&paths))?;
    let rehash = t.elapsed().as_secs_f64() * 1000.0;
    let launch = median(times);
    println!(
        "\n## Warm launch of a hearing with {n} cached exhibits (store: loopback nginx, median of 5)"
    );
    println!(
        "courtdeck launch (list + manifest from the store, one stat per exhibit): {launch:>8.1} ms"
    );
    println!(
        "reference sha256sum of the same {n} files (what launch does not do):    {rehash:>8.1} ms   ratio {:.2}x",
        launch / rehash
    );
    deck.shutdown().await;
    Ok(())
}
