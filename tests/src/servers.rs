//! Real evidence-store parts for tests, started and stopped by the tests (cleanup in `Drop`):
//! - `Nginx`: a loopback nginx serving a store folder over HTTP or HTTPS, with a bearer-token check and
//!   optional rate limit; its access log records the body bytes of every response;
//! - `TestCa`: a CA and a server certificate for 127.0.0.1 made with the openssl CLI;
//! - `CutProxy`: a TCP proxy that cuts each connection after a random number of bytes;
//! - `FlipProxy`: an HTTP forwarder that changes a byte of every request body on its way;
//! - `SecretService`: a private D-Bus session bus with gnome-keyring unlocked on it;
//! - `HostileStore`: a small HTTP server of our own serving a store folder, with one bad habit for the
//!   documents or the blobs: trickling, silence, ignoring `Range` and cutting at 90%, an endless body,
//!   a lying `Content-Length`;
//! - `publish_random_case`: a case of random-byte exhibits published with `courtdeck_store::bundle`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::helper::{self, Helper};
use courtdeck_core::CaseManifest;

mod flip;
mod hostile;

pub use flip::FlipProxy;
pub use hostile::{HostileStats, HostileStore, HostileTo, Hostility};

/// A free loopback port for a server a test starts (see [`free_ports`]).
pub fn free_port() -> Result<u16> {
    Ok(free_ports::<1>()?[0])
}

/// `N` distinct free loopback ports below the kernel's ephemeral range (which starts at 32768), so
/// that no process's outgoing connection takes one before the test's server binds it. (1 SeaweedFS
/// start in 10 failed with its S3 port `already in use` when its ports were drawn from 20000-60000,
/// the range of its servers' own connections to each other.) Each is held until all are chosen, so
/// they are distinct.
pub fn free_ports<const N: usize>() -> Result<[u16; N]> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seed = u64::from(std::process::id()) ^ now.as_nanos() as u64;
    let mut rng = XorShift(seed | 1);
    let mut held = Vec::with_capacity(N);
    let mut ports = [0; N];
    for _ in 0..1000 {
        let p = 10000 + (rng.next_u64() % 22000) as u16;
        if let Ok(l) = TcpListener::bind(("127.0.0.1", p)) {
            ports[held.len()] = p;
            held.push(l);
            if held.len() == N {
                return Ok(ports);
            }
        }
    }
    bail!("no {N} free loopback ports below 32000")
}

fn wait_for_port(port: u16, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("{what} did not start listening on {port}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// A CA and a server certificate (SAN `IP:127.0.0.1`, `DNS:localhost`) signed by it.
#[derive(Debug)]
pub struct TestCa {
    _dir: tempfile::TempDir,
    pub ca_pem: PathBuf,
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}

impl TestCa {
    pub fn generate() -> Result<TestCa> {
        let dir = tempfile::tempdir()?;
        let p = |n: &str| dir.path().join(n);
        let run = |args: &[&str]| -> Result<()> {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .context("running openssl (apt-get install openssl)")?;
            if !out.status.success() {
                bail!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            }
            Ok(())
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3",
            "-subj",
            "/CN=Courtdeck Test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        run(&args)?;
        let mut args = vec!["req"];
        args.extend(ec);
        args.extend([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        run(&args)?;
        std::fs::write(
            p("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )?;
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "3",
            "-extfile",
            "ext.cnf",
        ])?;
        Ok(TestCa {
            ca_pem: p("ca.pem"),
            cert_pem: p("server.pem"),
            key_pem: p("server.key"),
            _dir: dir,
        })
    }
}

#[derive(Debug, Default, Clone)]
pub struct NginxOptions {
    /// Requests without `Authorization: Bearer <token>` get 401.
    pub bearer: Option<String>,
    /// Serve HTTPS with this certificate.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// nginx `limit_rate`, e.g. `"8m"` bytes per second per connection.
    pub limit_rate: Option<String>,
    /// Pass every request on to this loopback port (with its `Host` header, so an S3 signature made
    /// for nginx's address still holds) instead of serving `root`: nginx as the request log of
    /// another server.
    pub proxy_to: Option<u16>,
}

/// nginx serving `root` on a loopback port, one process, logs in its own folder.
#[derive(Debug)]
pub struct Nginx {
    server: Helper,
    dir: tempfile::TempDir,
    pub port: u16,
    pub url: String,
}

impl Nginx {
    pub fn start(root: &Path, options: &NginxOptions) -> Result<Nginx> {
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        for sub in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            std::fs::create_dir_all(dir.path().join(sub))?;
        }
        let d = dir.path().display();
        let (listen, tls) = match &options.tls {
            Some((cert, key)) => (
                format!("127.0.0.1:{port} ssl"),
                format!(
                    "ssl_certificate {}; ssl_certificate_key {};",
                    cert.display(),
                    key.display()
                ),
            ),
            None => (format!("127.0.0.1:{port}"), String::new()),
        };
        let auth = options
            .bearer
            .as_ref()
            .map(|t| format!("if ($http_authorization != \"Bearer {t}\") {{ return 401; }}"))
            .unwrap_or_default();
        let rate = options
            .limit_rate
            .as_ref()
            .map(|r| format!("limit_rate {r};"))
            .unwrap_or_default();
        let proxy = options
            .proxy_to
            .map(|p| {
                format!(
                    "proxy_pass http://127.0.0.1:{p}; proxy_set_header Host $http_host; \
                     proxy_buffering off; proxy_request_buffering off; proxy_http_version 1.1;"
                )
            })
            .unwrap_or_default();
        let conf = format!(
            r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
  log_format bytes escape=none '$status $request_method $uri range=$http_range if-match=$http_if_match $body_bytes_sent';
  access_log {d}/access.log bytes;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  types {{ application/json json; }}
  default_type application/octet-stream;
  sendfile on;
  server {{
    listen {listen};
    {tls}
    root {root};
    location / {{
      {auth}
      {rate}
      {proxy}
    }}
  }}
}}
"#,
            root = root.display()
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let mut cmd = Command::new("nginx");
        cmd.arg("-c")
            .arg(&conf_path)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null());
        let server =
            Helper::spawn("nginx", cmd).context("starting nginx (apt-get install nginx-light)")?;
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let nginx = Nginx {
            server,
            dir,
            port,
            url: format!("{scheme}://127.0.0.1:{port}/"),
        };
        wait_for_port(port, "nginx").with_context(|| nginx.error_log())?;
        Ok(nginx)
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// Lines of the access log: `status method uri range=… if-match=… body_bytes_sent`.
    pub fn access_log(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("access.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Stops nginx gracefully (SIGQUIT: what is in flight ends and is logged) and waits for it, so
    /// the access log is complete when this returns.
    pub fn stop(&mut self) {
        self.server.stop_with(rustix::process::Signal::QUIT);
    }

    /// Body bytes sent for requests whose URI contains `needle`.
    pub fn body_bytes_sent(&self, needle: &str) -> u64 {
        self.access_log()
            .iter()
            .filter(|l| l.contains(needle))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

/// Counters of a `CutProxy`.
#[derive(Debug, Default)]
pub struct CutStats {
    pub connections: AtomicU64,
    pub cuts: AtomicU64,
    /// Bytes forwarded from the server to the client.
    pub bytes_down: AtomicU64,
}

/// A loopback TCP proxy in front of `upstream` that cuts every connection (both directions, at once)
/// after a random number of server-to-client bytes in `cut_after`, while `cutting` is on. The seed is
/// printed so a failure can be replayed.
#[derive(Debug)]
pub struct CutProxy {
    pub port: u16,
    pub stats: Arc<CutStats>,
    pub cutting: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl CutProxy {
    pub fn start(upstream: u16, cut_after: std::ops::Range<u64>, seed: u64) -> Result<CutProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stats = Arc::new(CutStats::default());
        let cutting = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        eprintln!("cut proxy :{port} -> :{upstream}, cuts after {cut_after:?} bytes, seed {seed}");
        let (s, c, st) = (stats.clone(), cutting.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut rng = XorShift(seed.max(1));
            for client in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                s.connections.fetch_add(1, Ordering::Relaxed);
                let limit =
                    cut_after.start + rng.next_u64() % (cut_after.end - cut_after.start).max(1);
                let (s, c) = (s.clone(), c.clone());
                std::thread::spawn(move || proxy_one(client, server, limit, &s, &c));
            }
        });
        Ok(CutProxy {
            port,
            stats,
            cutting,
            stop,
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn cuts(&self) -> u64 {
        self.stats.cuts.load(Ordering::Relaxed)
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn proxy_one(
    client: TcpStream,
    server: TcpStream,
    limit: u64,
    stats: &CutStats,
    cutting: &AtomicBool,
) {
    let (Ok(mut client_r), Ok(mut server_w)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    // Client to server: requests, uncut.
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_r, &mut server_w);
        let _ = server_w.shutdown(Shutdown::Write);
    });
    let (mut server_r, mut client_w) = (server, client);
    let mut sent = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match server_r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut n = n;
        let cut = cutting.load(Ordering::Relaxed) && sent + n as u64 >= limit;
        if cut {
            n = (limit - sent) as usize;
        }
        if client_w.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n as u64;
        stats.bytes_down.fetch_add(n as u64, Ordering::Relaxed);
        if cut {
            stats.cuts.fetch_add(1, Ordering::Relaxed);
            break;
        }
    }
    let _ = client_w.shutdown(Shutdown::Both);
    let _ = server_r.shutdown(Shutdown::Both);
    let _ = up.join();
}

/// xorshift64: deterministic test randomness without a dependency.
#[derive(Debug, Clone)]
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Publishes case `case_id` with one random-byte exhibit per entry of `sizes` (references `RC/1`…)
/// into the directory store `store`, listed in `court` on `date` at 10:00.
pub fn publish_random_case(
    store: &Path,
    court: &str,
    date: jiff::civil::Date,
    case_id: &str,
    sizes: &[u64],
    seed: u64,
) -> Result<CaseManifest> {
    publish_random_case_with(store, court, date, case_id, sizes, seed, false)
}

/// `publish_random_case`, its manifest saying `blob_links` when asked.
pub fn publish_random_case_with(
    store: &Path,
    court: &str,
    date: jiff::civil::Date,
    case_id: &str,
    sizes: &[u64],
    seed: u64,
    blob_links: bool,
) -> Result<CaseManifest> {
    let media = tempfile::tempdir()?;
    let mut rng = XorShift(seed.max(1));
    let mut exhibits = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    for (i, &size) in sizes.iter().enumerate() {
        let name = format!("e{}.bin", i + 1);
        let mut f = std::io::BufWriter::new(std::fs::File::create(media.path().join(&name))?);
        let mut left = size;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            rng.fill(&mut buf[..n]);
            f.write_all(&buf[..n])?;
            left -= n as u64;
        }
        f.flush()?;
        exhibits.push(courtdeck_store::BundleExhibit {
            reference: format!("RC/{}", i + 1),
            title: format!("Exhibit {}", i + 1),
            file: name,
            kind: "image".into(),
            media_type: Some("application/octet-stream".into()),
            restriction: "open".into(),
            duration_ms: None,
            clips: Vec::new(),
            pages: vec![],
            transcript: None,
            transcript_restriction: "bench_only".into(),
            provenance: None,
        });
    }
    let desc = courtdeck_store::BundleDescription {
        case_id: case_id.into(),
        title: format!("R v {case_id}"),
        exhibits,
        blob_links,
        listing: Some(courtdeck_store::BundleListing {
            court: court.into(),
            court_name: "Test Court".into(),
            date: date.to_string(),
            time: "10:00".into(),
            hearing_type: "Trial".into(),
        }),
    };
    Ok(courtdeck_store::bundle(
        &courtdeck_store::DirStore::new(store),
        media.path(),
        &desc,
    )?)
}

/// A private D-Bus session bus, with no service activation: what a test's app or keyring uses instead
/// of a desktop's. Without one, GLib finds no session bus and autolaunches one through X11
/// (`dbus-launch`, a daemon that forks away from its starter and outlives the test), and WebKitGTK's
/// accessibility bus (`at-spi-bus-launcher`) is activated on it: both were left behind by the
/// package test in clean-clone runs. Activation is off, so nothing is started on this bus but what
/// connects to it; stopping it (its process group) ends it.
#[derive(Debug)]
pub struct SessionBus {
    helper: Helper,
    pub address: String,
    _dir: Option<tempfile::TempDir>,
}

impl SessionBus {
    pub fn start() -> Result<SessionBus> {
        let dir = tempfile::tempdir()?;
        let mut bus = SessionBus::start_in(dir.path())?;
        bus._dir = Some(dir);
        Ok(bus)
    }

    /// The bus with its socket and config in `dir`.
    fn start_in(dir: &Path) -> Result<SessionBus> {
        let socket = dir.join("bus");
        let address = format!("unix:path={}", socket.display());
        // A session bus with no service activation: with the stock session config, the probe below
        // could reach the bus before our gnome-keyring owned org.freedesktop.secrets, and dbus-daemon
        // then activated a second gnome-keyring (locked, with the real HOME) that took the name; ours
        // said "another secret service is running" and exited (seen one suite run in several).
        let config = dir.join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
            ),
        )?;
        let (address_out, address_in) = std::io::pipe().context("a pipe for dbus-daemon")?;
        let mut cmd = Command::new("dbus-daemon");
        cmd.arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(address_in);
        let bus = Helper::spawn_with("dbus-daemon", cmd, helper::Stdout::AsSet)
            .context("starting dbus-daemon (apt-get install dbus)")?;
        // Ready when it prints its address, which it does once it listens. The socket file alone
        // is no sign: it exists from bind(), and a gnome-keyring that connected before listen() was
        // refused and ran on without the bus, so the Secret Service never came up (seen under load,
        // one run in several).
        {
            use std::io::BufRead as _;
            let mut line = String::new();
            std::io::BufReader::new(address_out)
                .read_line(&mut line)
                .context("reading dbus-daemon's address")?;
            if !line.starts_with("unix:") || !socket.exists() {
                bail!(
                    "dbus-daemon did not start on {}: {line:?}\n{}",
                    socket.display(),
                    bus.log_tail(20)
                );
            }
        }
        Ok(SessionBus {
            helper: bus,
            address,
            _dir: None,
        })
    }
}

/// A private D-Bus session bus with gnome-keyring's Secret Service on it, unlocked with an empty
/// password, keyrings under a throwaway HOME. Pass `env()` to the processes that use the keyring.
#[derive(Debug)]
pub struct SecretService {
    // Field order: the keyring stops before its bus.
    keyring: Helper,
    _bus: Helper,
    home: tempfile::TempDir,
    pub address: String,
}

impl SecretService {
    pub fn start() -> Result<SecretService> {
        let home = tempfile::tempdir()?;
        let SessionBus {
            helper: bus,
            address,
            ..
        } = SessionBus::start_in(home.path())?;
        // The unlock password, empty, on stdin; then EOF.
        let (password_out, mut password_in) = std::io::pipe().context("a pipe for the keyring")?;
        password_in.write_all(b"\n")?;
        drop(password_in);
        let mut cmd = Command::new("gnome-keyring-daemon");
        cmd.args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_RUNTIME_DIR", home.path())
            .stdin(password_out);
        let keyring = Helper::spawn("gnome-keyring-daemon", cmd)
            .context("starting gnome-keyring-daemon (apt-get install gnome-keyring)")?;
        let service = SecretService {
            _bus: bus,
            keyring,
            home,
            address,
        };
        // Ready when secret-tool can store and read back a value.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut store = service
                .command("secret-tool")
                .args(["store", "--label=probe", "courtdeck-test", "probe"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            store.stdin.take().expect("piped").write_all(b"ok")?;
            if store.wait()?.success() {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "gnome-keyring's Secret Service did not come up; it said: {}",
                    service.keyring.log()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(service)
    }

    /// A command that sees this Secret Service (and only it).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", self.home.path())
            .env("XDG_RUNTIME_DIR", self.home.path());
        c
    }

    /// Every keyring file gnome-keyring wrote (for the secrets-never-in-plain-files check).
    pub fn home(&self) -> &Path {
        self.home.path()
    }
}
