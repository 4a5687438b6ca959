//! The S3 store against a real S3 server (SeaweedFS on loopback, SigV4 checked): a case published into
//! the bucket under a prefix, fetched by the `courtdeck` CLI with its access key from gnome-keyring
//! (and from the AWS_* variables), a wrong secret, a tampered object, connections cut mid-download,
//! and the server down (offline from the kept copies). The secret is grepped for in every file.

use std::path::{Path, PathBuf};
use std::process::Command;

use courtdeck_store::{Cache, hash_file};
use courtdeck_testkit::s3::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, Seaweed};
use courtdeck_testkit::servers::{CutProxy, FlipProxy, SecretService, publish_random_case};
use courtdeck_testkit::{files_under, run_with_stdin as run};
use jiff::civil::Date;

const COURT: &str = "test-court";
const MIB: u64 = 1 << 20;
const PREFIX: &str = "courthouse-1/store";

fn date() -> Date {
    courtdeck_api::today()
}

fn courtdeck_bin() -> PathBuf {
    let bin = courtdeck_testkit::target_dir().join("courtdeck");
    assert!(bin.exists(), "build the workspace's binaries first");
    bin
}

fn write_config(dir: &Path, endpoint: &str) {
    let text = format!(
        "court = \"{COURT}\"\nkiosk_id = \"s3-kiosk\"\ncache_dir = {:?}\naudit_file = {:?}\n\n\
         [store]\nkind = \"s3\"\nendpoint = \"{endpoint}\"\nbucket = \"evidence\"\nprefix = \"{PREFIX}\"\n\
         region = \"us-east-1\"\nread_timeout_s = 10\n",
        dir.join("cache").display().to_string(),
        dir.join("audit.jsonl").display().to_string(),
    );
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

fn cli(dir: &Path, keyring: &SecretService) -> Command {
    let mut c = keyring.command(courtdeck_bin());
    c.arg("--config")
        .arg(dir.join("config.toml"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("RUST_LOG", "info");
    c
}

/// A media folder under `dir` holding one JPEG (made by GStreamer) and its `case.toml`: case `case`,
/// exhibit `<initials>/1`, with `listing` (a `[listing]` table, or nothing).
fn photo_case(dir: &Path, case: &str, initials: &str, listing: &str) -> PathBuf {
    let media = dir.join(format!("media-{case}"));
    std::fs::create_dir_all(&media).unwrap();
    courtdeck_engine::fixtures::encode(&format!(
        "videotestsrc num-buffers=1 ! video/x-raw,width=320,height=240 ! videoconvert ! jpegenc ! \
         filesink location=\"{}\"",
        media.join("photo.jpg").display()
    ))
    .unwrap();
    std::fs::write(
        media.join("case.toml"),
        format!(
            "case_id = \"{case}\"\ntitle = \"R v {case}\"\n{listing}[[exhibit]]\nreference = \"{initials}/1\"\n\
             title = \"Photo\"\nfile = \"photo.jpg\"\nkind = \"image\"\n"
        ),
    )
    .unwrap();
    media
}

fn audit_events(dir: &Path, event: &str) -> usize {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&format!("\"event\":\"{event}\"")))
        .count()
}

#[test]
fn an_s3_store_behaves_like_the_https_one() {
    let dir = courtdeck_testkit::work_dir();
    let published = dir.path().join("published");
    let manifest = publish_random_case(
        &published,
        COURT,
        date(),
        "S3-1",
        &[5 * MIB, 300_000, 12 * MIB],
        21,
    )
    .unwrap();
    let mut weed = Seaweed::start().unwrap();
    let admin = weed.client(SECRET_ACCESS_KEY);
    let uploaded = admin.upload_store(&published, PREFIX).unwrap();
    assert!(
        uploaded >= 5,
        "blobs, manifest and list uploaded ({uploaded})"
    );
    let keyring = SecretService::start().unwrap();
    let kiosk = dir.path().join("kiosk");
    std::fs::create_dir_all(&kiosk).unwrap();
    write_config(&kiosk, &weed.endpoint());
    let date_arg = date().to_string();

    // No key yet: a clear "sign in" error, nothing cached.
    let mut c = cli(&kiosk, &keyring);
    c.args(["fetch", "--date", &date_arg]);
    let (ok, out) = run(c, "");
    assert!(!ok, "{out}");
    assert!(out.contains("courtdeck store login"), "{out}");

    // A wrong secret: saved, but S3 refuses the signature, in words.
    let mut c = cli(&kiosk, &keyring);
    c.args(["store", "login"]);
    let (ok, out) = run(c, &format!("{ACCESS_KEY_ID}\nnot-the-secret\n"));
    assert!(!ok, "{out}");
    assert!(out.contains("[not_authorised]"), "{out}");

    // The right key: into the keyring (id and secret), accepted.
    let mut c = cli(&kiosk, &keyring);
    c.args(["store", "login"]);
    let (ok, out) = run(c, &format!("{ACCESS_KEY_ID}\n{SECRET_ACCESS_KEY}\n"));
    assert!(ok && out.contains("accepted"), "{out}");

    let mut c = cli(&kiosk, &keyring);
    c.args(["fetch", "--date", &date_arg, "--json"]);
    let (ok, out) = run(c, "");
    assert!(ok, "{out}");
    let cache = Cache::new(kiosk.join("cache"));
    for e in manifest.exhibits() {
        let path = cache.verified_path(e).expect("cached");
        assert_eq!(hash_file(&path).unwrap(), e.sha256, "{}", e.reference);
    }
    assert_eq!(audit_events(&kiosk, "fetch_verified"), 3);

    // A tampered object in the bucket: refused by its hash, never in a second kiosk's cache.
    let second = dir.path().join("kiosk-2");
    std::fs::create_dir_all(&second).unwrap();
    write_config(&second, &weed.endpoint());
    let victim = &manifest.exhibits()[1];
    let key = format!("{PREFIX}/{}", courtdeck_store::blob_path(&victim.sha256));
    let mut bytes = admin.get(&key).unwrap();
    bytes[1000] ^= 0xff;
    admin.put(&key, bytes).unwrap();
    let mut c = cli(&second, &keyring);
    c.args(["fetch", "--date", &date_arg]);
    let (ok, out) = run(c, "");
    assert!(!ok, "{out}");
    assert!(
        out.contains("hash_mismatch") || out.contains("SHA-256"),
        "{out}"
    );
    assert!(
        Cache::new(second.join("cache"))
            .verified_path(victim)
            .is_none()
    );

    // The server down: the first kiosk lists its cached hearing from the kept copies, offline.
    weed.stop();
    let mut c = cli(&kiosk, &keyring);
    c.args(["list", "--date", &date_arg]);
    let (ok, out) = run(c, "");
    assert!(!ok, "offline is reported as a failure: {out}");
    assert!(
        out.contains("OFFLINE") && out.contains("3/3 exhibits cached"),
        "{out}"
    );
    weed.restart().unwrap();

    // The key from the AWS_* variables, for the CLI (publishing from CI), when the keyring has none.
    let mut c = cli(&kiosk, &keyring);
    c.args(["store", "logout"]);
    assert!(run(c, "").0);
    let third = dir.path().join("kiosk-3");
    std::fs::create_dir_all(&third).unwrap();
    write_config(&third, &weed.endpoint());
    let mut c = cli(&third, &keyring);
    c.args(["list", "--date", &date_arg])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
    let (ok, out) = run(c, "");
    assert!(ok, "{out}");
    assert!(out.contains("S3-1"), "{out}");

    // The secret never reached a file: configs, caches, audit logs, logs.
    let files = files_under(dir.path());
    assert!(
        files.iter().any(|f| f.to_string_lossy().contains("logs")),
        "logs were written"
    );
    let hits: Vec<&PathBuf> = files
        .iter()
        .filter(|f| {
            std::fs::read(f).is_ok_and(|b| {
                b.windows(SECRET_ACCESS_KEY.len())
                    .any(|w| w == SECRET_ACCESS_KEY.as_bytes())
                    || b.windows(15).any(|w| w == b"X-Amz-Signature")
            })
        })
        .collect();
    println!(
        "secrets grep: {} files searched, {} hits",
        files.len(),
        hits.len()
    );
    assert!(
        hits.is_empty(),
        "the secret or a signature leaked into {hits:?}"
    );
    println!(
        "RELIABILITY|store|an_s3_store_behaves_like_the_https_one|SeaweedFS with SigV4: no key, a wrong secret, the key in the keyring, a tampered object, the server down (offline), the key from AWS_*; the secret and signatures grepped for in every file|{}",
        6
    );
}

#[test]
fn an_s3_download_cut_again_and_again_resumes_and_verifies() {
    let dir = courtdeck_testkit::work_dir();
    let published = dir.path().join("published");
    let manifest = publish_random_case(&published, COURT, date(), "S3-2", &[64 * MIB], 22).unwrap();
    let weed = Seaweed::start().unwrap();
    weed.client(SECRET_ACCESS_KEY)
        .upload_store(&published, PREFIX)
        .unwrap();
    // Every connection through the proxy is cut after 4-12 MiB.
    let proxy = CutProxy::start(weed.s3_port, 4 * MIB..12 * MIB, 42).unwrap();
    let keyring = SecretService::start().unwrap();
    let kiosk = dir.path().join("kiosk");
    std::fs::create_dir_all(&kiosk).unwrap();
    write_config(&kiosk, proxy.url().trim_end_matches('/'));
    let mut c = cli(&kiosk, &keyring);
    c.args(["fetch", "--date", &date().to_string()])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
    let (ok, out) = run(c, "");
    assert!(ok, "{out}");
    let e = &manifest.exhibits()[0];
    let path = Cache::new(kiosk.join("cache"))
        .verified_path(e)
        .expect("verified after the cuts");
    assert_eq!(hash_file(&path).unwrap(), e.sha256);
    let cuts = proxy.cuts();
    println!("64 MiB through a proxy that cut {cuts} connections: verified");
    assert!(cuts >= 3, "the proxy cut the download ({cuts})");
    println!(
        "RELIABILITY|store|an_s3_download_cut_again_and_again_resumes_and_verifies|64 MiB from SeaweedFS, every connection cut after 4-12 MiB: resumed with Range + If-Match and verified|{}",
        1
    );
}

/// `courtdeck bundle --store s3://…`: two cases published into the bucket for the same day (the second
/// is added to the day's list, not put in its place), then a kiosk fetches both, verified. And the
/// uploader's multipart path: a 40 MiB blob in 16 MiB parts, fetched back and verified by its hash (a
/// multipart ETag is no hash of the content).
#[test]
fn publishing_into_s3_blobs_then_manifest_then_list() {
    let dir = courtdeck_testkit::work_dir();
    let weed = Seaweed::start().unwrap();
    let keyring = SecretService::start().unwrap();
    let publisher = dir.path().join("publisher");
    std::fs::create_dir_all(&publisher).unwrap();
    let date = date();
    for (case, initials) in [("PUB-1", "PA"), ("PUB-2", "PB")] {
        let listing = format!(
            "[listing]\ncourt = \"{COURT}\"\ncourt_name = \"S3 Court\"\ndate = \"{date}\"\n\
             time = \"10:00\"\nhearing_type = \"Trial\"\n"
        );
        let media = photo_case(dir.path(), case, initials, &listing);
        let mut c = cli(&publisher, &keyring);
        c.args(["bundle", "--store", &format!("s3://evidence/{PREFIX}")])
            .args(["--s3-endpoint", &weed.endpoint(), "--media"])
            .arg(&media)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
        let (ok, out) = run(c, "");
        assert!(
            ok && out.contains(&format!("published case {case}")),
            "{out}"
        );
    }
    let kiosk = dir.path().join("kiosk");
    std::fs::create_dir_all(&kiosk).unwrap();
    write_config(&kiosk, &weed.endpoint());
    let mut c = cli(&kiosk, &keyring);
    c.args(["fetch", "--date", &date.to_string()])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
    let (ok, out) = run(c, "");
    assert!(ok, "{out}");
    let mut c = cli(&kiosk, &keyring);
    c.args(["list", "--date", &date.to_string()])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
    let (ok, out) = run(c, "");
    assert!(ok, "{out}");
    assert!(
        out.contains("PUB-1") && out.contains("PUB-2"),
        "both hearings listed: {out}"
    );
    assert!(out.matches("1/1 exhibits cached").count() >= 2, "{out}");

    // Multipart: a 40 MiB blob in 16 MiB parts.
    let published = dir.path().join("big");
    let manifest = publish_random_case(&published, COURT, date, "BIG-1", &[40 * MIB], 31).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let uploader = uploader(&weed.endpoint(), "big", &rt);
    let up = std::thread::spawn(move || uploader.upload_store(&published))
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(up.multipart, 1, "{up:?}");
    let e = &manifest.exhibits()[0];
    let bytes = weed
        .client(SECRET_ACCESS_KEY)
        .get(&format!("big/{}", courtdeck_store::blob_path(&e.sha256)))
        .unwrap();
    assert_eq!(bytes.len() as u64, 40 * MIB);
    use sha2::Digest as _;
    assert_eq!(
        courtdeck_core::Sha256Digest::from_bytes(sha2::Sha256::digest(&bytes).into()),
        e.sha256,
        "the parts put together are the file"
    );
    println!(
        "RELIABILITY|store|publishing_into_s3_blobs_then_manifest_then_list|bundle --store s3:// twice for one day (the list keeps both), a kiosk fetches both; a 40 MiB blob in 16 MiB parts verified by its SHA-256|{}",
        2
    );
}

fn uploader(
    endpoint: &str,
    prefix: &str,
    rt: &tokio::runtime::Runtime,
) -> courtdeck_store::S3Uploader {
    courtdeck_store::S3Uploader::new(
        endpoint,
        &courtdeck_store::S3Location {
            bucket: "evidence".into(),
            prefix: prefix.into(),
            region: "us-east-1".into(),
            path_style: true,
        },
        ACCESS_KEY_ID,
        &courtdeck_store::Secret::new(SECRET_ACCESS_KEY),
        None,
        rt.handle().clone(),
    )
    .unwrap()
    .multipart_over(8 * MIB)
}

/// Bytes changed between the publisher and the bucket (a proxy inverts the middle byte of every
/// request body): each object's and each part's `Content-MD5` makes the bucket refuse them, the
/// publish fails naming the file, and the bucket keeps nothing of it. Without the header the bucket
/// kept the changed bytes, at the right size, and only the kiosks' SHA-256 would have found out.
#[test]
fn a_byte_changed_on_the_way_to_the_bucket_is_refused_and_nothing_is_kept() {
    let dir = courtdeck_testkit::work_dir();
    let weed = Seaweed::start().unwrap();
    let admin = weed.client(SECRET_ACCESS_KEY);
    let proxy = FlipProxy::start(weed.s3_port).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // One blob that goes up whole (PutObject), one in parts of 16 MiB (UploadPart).
    for (case, size, seed) in [("FLIP-1", 300_000, 41), ("FLIP-2", 20 * MIB, 42)] {
        let published = dir.path().join(case);
        let manifest = publish_random_case(&published, COURT, date(), case, &[size], seed).unwrap();
        let blob = courtdeck_store::blob_path(&manifest.exhibits()[0].sha256);
        let prefix = format!("flip/{case}");
        let through = uploader(&proxy.endpoint(), &prefix, &rt);
        proxy.flip.store(true, std::sync::atomic::Ordering::SeqCst);
        let p = published.clone();
        let err = std::thread::spawn(move || through.upload_store(&p))
            .join()
            .unwrap()
            .expect_err("changed bytes are refused");
        let said = err.to_string();
        assert_eq!(
            err.code(),
            courtdeck_core::ErrorCode::StoreUnreachable,
            "{said}"
        );
        assert!(
            said.contains("BadDigest")
                && said.contains("changed on the way")
                && said.contains(&blob),
            "{said}"
        );
        assert!(
            admin.get(&format!("{prefix}/{blob}")).is_err(),
            "the bucket kept nothing of {blob}"
        );

        proxy.flip.store(false, std::sync::atomic::Ordering::SeqCst);
        let through = uploader(&proxy.endpoint(), &prefix, &rt);
        let p = published.clone();
        let up = std::thread::spawn(move || through.upload_store(&p))
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(up.multipart, usize::from(size > 8 * MIB), "{up:?}");
        use sha2::Digest as _;
        let bytes = admin.get(&format!("{prefix}/{blob}")).unwrap();
        assert_eq!(
            courtdeck_core::Sha256Digest::from_bytes(sha2::Sha256::digest(&bytes).into()),
            manifest.exhibits()[0].sha256,
        );
    }
    // Every body that went up, an object's or a part's, carried its Content-MD5.
    let heads = proxy.heads();
    let puts: Vec<&String> = heads.iter().filter(|h| h.starts_with("PUT ")).collect();
    assert!(
        puts.iter().filter(|h| h.contains("uploadId=")).count() >= 3,
        "parts went through the proxy: {puts:#?}"
    );
    assert!(
        heads
            .iter()
            .any(|h| h.starts_with("DELETE ") && h.contains("uploadId=")),
        "the refused multipart upload was aborted: {heads:#?}"
    );
    assert!(
        puts.iter().all(|h| h.contains("\ncontent-md5: ")),
        "{puts:#?}"
    );
    println!(
        "RELIABILITY|store|a_byte_changed_on_the_way_to_the_bucket_is_refused_and_nothing_is_kept|a byte changed on the way to the bucket, in an object and in a part: refused by its Content-MD5, nothing kept, published again whole|2"
    );
}

/// A shared case (the pattern of Axon and Genetec shares): the kiosk reads lists and manifests from a
/// portal (nginx with a bearer token) and fetches the blobs from SeaweedFS through the pre-signed
/// links `courtdeck links` wrote beside the manifest, with no key of the bucket's. Links that point
/// at the wrong blobs deliver nothing; expired links are read again, refused again, and said so;
/// renewed links work without anything else changing.
#[test]
fn a_shared_case_comes_through_pre_signed_links_with_no_key() {
    use courtdeck_testkit::servers::{Nginx, NginxOptions, publish_random_case_with};
    let dir = courtdeck_testkit::work_dir();
    let published = dir.path().join("published");
    let manifest = publish_random_case_with(
        &published,
        COURT,
        date(),
        "LINK-1",
        &[3 * MIB, 200_000],
        41,
        true,
    )
    .unwrap();
    assert!(manifest.blob_links);
    let weed = Seaweed::start().unwrap();
    weed.client(SECRET_ACCESS_KEY)
        .upload_store(&published, PREFIX)
        .unwrap();
    // nginx in front of SeaweedFS as its request log: the links are signed for its address.
    let s3_port: u16 = weed
        .endpoint()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap();
    let bucket_log = Nginx::start(
        dir.path(),
        &NginxOptions {
            proxy_to: Some(s3_port),
            ..Default::default()
        },
    )
    .unwrap();
    // The portal: the lists and manifests, no blobs.
    let portal = dir.path().join("portal");
    courtdeck_testkit::copy_dir(&published, &portal).unwrap();
    std::fs::remove_dir_all(portal.join("blobs")).unwrap();
    // One of the suite's test credentials: the final secrets check looks for it everywhere too.
    let token = "test-token-7f3a9c1e-never-log-me";
    let portal_nginx = Nginx::start(
        &portal,
        &NginxOptions {
            bearer: Some(token.into()),
            ..Default::default()
        },
    )
    .unwrap();
    let keyring = SecretService::start().unwrap();
    let publisher = dir.path().join("publisher");
    std::fs::create_dir_all(&publisher).unwrap();
    let write_links = |valid_for: &str| {
        let mut c = cli(&publisher, &keyring);
        c.args(["links", "--case", "LINK-1"])
            .args(["--store", &format!("s3://evidence/{PREFIX}")])
            .args(["--s3-endpoint", bucket_log.url.trim_end_matches('/')])
            .args(["--valid-for", valid_for, "--out"])
            .arg(&portal)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
        let (ok, out) = run(c, "");
        assert!(ok && out.contains("wrote 2 links for case LINK-1"), "{out}");
    };
    write_links("1h");
    let links_file = portal.join(courtdeck_store::blob_links_path(&manifest.case_id));
    assert!(links_file.exists());

    let kiosk = |name: &str| {
        let k = dir.path().join(name);
        std::fs::create_dir_all(&k).unwrap();
        std::fs::write(
            k.join("config.toml"),
            format!(
                "court = \"{COURT}\"\nkiosk_id = \"{name}\"\ncache_dir = {:?}\naudit_file = {:?}\n\n\
                 [store]\nkind = \"https\"\nurl = \"{}\"\nauth = \"bearer\"\nread_timeout_s = 10\n",
                k.join("cache").display().to_string(),
                k.join("audit.jsonl").display().to_string(),
                portal_nginx.url,
            ),
        )
        .unwrap();
        let mut c = cli(&k, &keyring);
        c.args(["store", "login"]);
        let (ok, out) = run(c, &format!("{token}\n"));
        assert!(ok && out.contains("accepted"), "{out}");
        k
    };
    let fetch = |k: &Path| {
        let mut c = cli(k, &keyring);
        c.args(["fetch", "--date", &date().to_string()]);
        run(c, "")
    };
    let links_read = || {
        portal_nginx
            .access_log()
            .iter()
            .filter(|l| l.contains("blob-links.json"))
            .count()
    };

    // Through the links: every blob from the bucket once, none from the portal, all verified.
    let first = kiosk("kiosk-1");
    let (ok, out) = fetch(&first);
    assert!(ok, "{out}");
    let cache = Cache::new(first.join("cache"));
    for e in manifest.exhibits() {
        let path = cache.verified_path(e).expect("cached");
        assert_eq!(hash_file(&path).unwrap(), e.sha256, "{}", e.reference);
        let gets: Vec<String> = bucket_log
            .access_log()
            .into_iter()
            .filter(|l| l.contains(&e.sha256.to_hex()))
            .collect();
        assert_eq!(gets.len(), 1, "{} fetched once: {gets:?}", e.reference);
        assert!(gets[0].starts_with("200 GET"), "{gets:?}");
    }
    let portal_log = portal_nginx.access_log();
    assert!(
        !portal_log.iter().any(|l| l.contains("/blobs/")),
        "no blob asked of the portal: {portal_log:?}"
    );
    assert_eq!(links_read(), 1, "{portal_log:?}");
    assert_eq!(audit_events(&first, "fetch_verified"), 2);

    // Links that point at each other's blobs: the bytes are refused by their hashes, nothing cached.
    let good = std::fs::read_to_string(&links_file).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&good).unwrap();
    let blobs = doc["blobs"].as_array_mut().unwrap();
    let (a, b) = (blobs[0]["url"].clone(), blobs[1]["url"].clone());
    blobs[0]["url"] = b;
    blobs[1]["url"] = a;
    std::fs::write(&links_file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let crossed = kiosk("kiosk-crossed");
    let (ok, out) = fetch(&crossed);
    assert!(!ok, "{out}");
    assert!(out.contains("hash_mismatch"), "{out}");
    let crossed_cache = Cache::new(crossed.join("cache"));
    assert!(
        manifest
            .exhibits()
            .iter()
            .all(|e| crossed_cache.verified_path(e).is_none())
    );

    // Expired links: read again when refused, refused again, and said so; nothing cached.
    write_links("1s");
    let expires: jiff::Timestamp =
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&links_file).unwrap()).unwrap()
            ["expires"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    // The wall clock has to pass the links' end: what is tested is expiry itself.
    while jiff::Timestamp::now() < expires + jiff::SignedDuration::from_secs(1) {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let late = kiosk("kiosk-late");
    let before = links_read();
    let (ok, out) = fetch(&late);
    assert!(!ok, "{out}");
    println!("expired links, as the usher reads it:\n{out}");
    assert!(
        out.contains("refused the pre-signed link")
            && out.contains("expired at")
            && out.contains("courtdeck links")
            && out.contains("[link_refused]"),
        "{out}"
    );
    assert!(
        links_read() - before >= 2,
        "the links were read again after the refusal"
    );
    let late_cache = Cache::new(late.join("cache"));
    assert!(
        manifest
            .exhibits()
            .iter()
            .all(|e| late_cache.verified_path(e).is_none())
    );

    // Renewed: the same kiosk fetches, nothing else changed.
    write_links("1h");
    let (ok, out) = fetch(&late);
    assert!(ok, "{out}");
    assert!(
        manifest
            .exhibits()
            .iter()
            .all(|e| late_cache.verified_path(e).is_some())
    );

    // No secret and no signature in any file the kiosks and the publisher wrote (the links file
    // itself aside: it is the signature's one place).
    let hits: Vec<PathBuf> = files_under(dir.path())
        .into_iter()
        .filter(|f| !f.starts_with(&portal) && !f.starts_with(&published))
        .filter(|f| {
            std::fs::read(f).is_ok_and(|b| {
                b.windows(SECRET_ACCESS_KEY.len())
                    .any(|w| w == SECRET_ACCESS_KEY.as_bytes())
                    || b.windows(15).any(|w| w == b"X-Amz-Signature")
                    || b.windows(token.len()).any(|w| w == token.as_bytes())
            })
        })
        .collect();
    assert!(
        hits.is_empty(),
        "a secret or a signature leaked into {hits:?}"
    );
    println!(
        "RELIABILITY|store|a_shared_case_comes_through_pre_signed_links_with_no_key|documents from a portal, blobs from SeaweedFS through pre-signed links with no key: each blob once, none from the portal; crossed links refused by hash; expired links read again and refused in words; renewed links fetched|{}",
        4
    );
}

/// `[publish] retain_days` into a bucket made with Object Lock: every blob is kept in COMPLIANCE mode
/// for that long (read back from the server), and its version cannot be deleted, by the key that
/// wrote it or any other; manifests and lists are not locked (they are replaced by each publish).
/// Into a bucket without Object Lock the same publish is refused in words, not taken as kept.
#[test]
fn publishing_with_object_lock_keeps_every_blob_for_its_days() {
    let dir = courtdeck_testkit::work_dir();
    let weed = Seaweed::start().unwrap();
    let locked = weed.create_bucket("locked", true).unwrap();
    let keyring = SecretService::start().unwrap();
    let publisher = dir.path().join("publisher");
    std::fs::create_dir_all(&publisher).unwrap();
    std::fs::write(
        publisher.join("config.toml"),
        "[publish]\nretain_days = 30\n",
    )
    .unwrap();
    let media = photo_case(dir.path(), "WORM-1", "WO", "");
    let bundle = |bucket: &str| {
        let mut c = cli(&publisher, &keyring);
        c.args(["bundle", "--store", &format!("s3://{bucket}/p")])
            .args(["--s3-endpoint", &weed.endpoint(), "--media"])
            .arg(&media)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
        run(c, "")
    };
    let (ok, out) = bundle("locked");
    assert!(
        ok && out.contains("kept under Object Lock (COMPLIANCE) for 30 days"),
        "{out}"
    );
    let sha = courtdeck_store::hash_file(&media.join("photo.jpg")).unwrap();
    let blob = format!("p/{}", courtdeck_store::blob_path(&sha));
    let (status, retention) = locked.retention(&blob).unwrap();
    assert_eq!(status, 200, "{retention}");
    assert!(retention.contains("<Mode>COMPLIANCE</Mode>"), "{retention}");
    let from = retention.find("<RetainUntilDate>").unwrap() + "<RetainUntilDate>".len();
    let until: jiff::Timestamp = retention[from..from + 20].parse().unwrap();
    let days = (until - jiff::Timestamp::now()).get_seconds() as f64 / 86400.0;
    assert!((29.9..=30.1).contains(&days), "kept for {days} days");
    // The locked version cannot be deleted, even by the key that wrote it.
    let version = locked.version_of(&blob).unwrap();
    assert_eq!(locked.delete_version(&blob, &version).unwrap(), 403);
    assert_eq!(
        courtdeck_store::hash_file(&{
            let p = dir.path().join("back.jpg");
            std::fs::write(&p, locked.get(&blob).unwrap()).unwrap();
            p
        })
        .unwrap(),
        sha,
        "still there, the same bytes"
    );
    // The manifest is not locked: the next publish replaces it.
    let (status, _) = locked.retention("p/cases/WORM-1/manifest.json").unwrap();
    assert_ne!(status, 200, "the manifest has no retention");
    let published = std::fs::read_to_string(publisher.join("state/courtdeck/audit.jsonl")).unwrap();
    assert!(published.contains("\"retain_days\":30"), "{published}");

    // A bucket without Object Lock: refused, with what to do.
    let (ok, out) = bundle("evidence");
    assert!(!ok, "{out}");
    println!("into a bucket without Object Lock:\n{out}");
    assert!(
        out.contains("refused blobs/")
            && out.contains("a bucket made with Object Lock")
            && out.contains("[config_invalid]"),
        "{out}"
    );
    println!(
        "RELIABILITY|store|publishing_with_object_lock_keeps_every_blob_for_its_days|retain_days = 30 into a SeaweedFS bucket with Object Lock: COMPLIANCE until 30 days on, the version not deletable, the manifest unlocked; a bucket without Object Lock refused in words|{}",
        3
    );
}
