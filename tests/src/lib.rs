//! Real parts for tests, started and stopped by the tests themselves (cleanup in `Drop`; every
//! process through `helper::Helper`: its own process group, its output in a log file):
//! - `Xvfb`: a virtual X server with named RandR monitors, and grabs of its framebuffer;
//! - `TauriDriver` + `WebDriver`: the real app driven through tauri-driver and WebKitWebDriver;
//! - `servers`: nginx (HTTP/HTTPS, bearer), a test CA, a connection-cutting proxy, gnome-keyring;
//! - `s3`: SeaweedFS as a real S3 server with a SigV4 identity, and a pre-signing S3 client;
//! - `pages`: a document's page read back from a monitor (where it sits, which page it is).

pub mod bagit;
pub mod helper;
pub mod kiosk;
pub mod pages;
pub mod playout;
pub mod s3;
pub mod servers;
pub mod srt_client;
pub mod srt_sender;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use helper::Helper;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use x11rb::connection::Connection;
use x11rb::protocol::randr::{ConnectionExt as _, MonitorInfo};
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat};
use x11rb::wrapper::ConnectionExt as _;

/// A monitor to create: name and geometry.
#[derive(Debug, Clone, Copy)]
pub struct Mon {
    pub name: &'static str,
    pub x: i16,
    pub y: i16,
    pub w: u16,
    pub h: u16,
}

impl Mon {
    /// The `index`th (from 0) of a row of `w`x`h` monitors, left to right from the top left.
    pub const fn in_row(name: &'static str, index: i16, w: u16, h: u16) -> Mon {
        Mon {
            name,
            x: w as i16 * index,
            y: 0,
            w,
            h,
        }
    }

    /// A row of `w`x`h` monitors named `names`, left to right.
    pub fn row(names: &[&'static str], w: u16, h: u16) -> Vec<Mon> {
        names
            .iter()
            .zip(0i16..)
            .map(|(name, i)| Mon::in_row(name, i, w, h))
            .collect()
    }
}

/// Sets RandR 1.5 monitors on `display` (`xrandr --setmonitor` silently does nothing on Debian 12's Xvfb;
/// the protocol request works).
pub fn set_monitors(display: &str, monitors: &[Mon]) -> Result<()> {
    let (conn, n) =
        x11rb::connect(Some(display)).with_context(|| format!("connecting to {display}"))?;
    let root = conn.setup().roots[n].root;
    for m in monitors {
        let name = conn.intern_atom(false, m.name.as_bytes())?.reply()?.atom;
        conn.randr_set_monitor(
            root,
            MonitorInfo {
                name,
                primary: false,
                automatic: false,
                x: m.x,
                y: m.y,
                width: m.w,
                height: m.h,
                width_in_millimeters: m.w as u32 * 254 / 960,
                height_in_millimeters: m.h as u32 * 254 / 960,
                outputs: vec![],
            },
        )?
        .check()
        .with_context(|| format!("RandR SetMonitor {}", m.name))?;
    }
    // Monitors belong to the client that made them and vanish when it disconnects (which is also why
    // `xrandr --setmonitor` seems to do nothing here). Keep this client's resources after we exit.
    conn.set_close_down_mode(x11rb::protocol::xproto::CloseDown::RETAIN_PERMANENT)?;
    conn.sync()?;
    Ok(())
}

/// Deletes the RandR monitors called `names` on `display`, as a monitor being unplugged does.
pub fn delete_monitors(display: &str, names: &[&str]) -> Result<()> {
    let (conn, n) =
        x11rb::connect(Some(display)).with_context(|| format!("connecting to {display}"))?;
    let root = conn.setup().roots[n].root;
    for name in names {
        let atom = conn.intern_atom(false, name.as_bytes())?.reply()?.atom;
        conn.randr_delete_monitor(root, atom)?
            .check()
            .with_context(|| format!("RandR DeleteMonitor {name}"))?;
    }
    conn.sync()?;
    Ok(())
}

/// A fake `/sys/class/drm`: one connector directory per monitor with its `status` and `edid` (what
/// the kernel shows), for tests of screens known by identity. `COURTDECK_DRM_ROOT` points at it.
#[derive(Debug)]
pub struct DrmTree {
    pub root: tempfile::TempDir,
}

impl DrmTree {
    pub fn new() -> Result<DrmTree> {
        Ok(DrmTree { root: work_dir() })
    }

    /// Puts `edid` on `connector` (`HDMI-A-1`), or unplugs it (`None`).
    pub fn plug(&self, connector: &str, edid: Option<&[u8]>) -> Result<()> {
        let dir = self.root.path().join(format!("card0-{connector}"));
        std::fs::create_dir_all(&dir)?;
        // Written whole and renamed, as the kernel's sysfs files never show half an EDID.
        let write = |name: &str, bytes: &[u8]| -> Result<()> {
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, dir.join(name))?;
            Ok(())
        };
        write("edid", edid.unwrap_or(&[]))?;
        write(
            "status",
            if edid.is_some() {
                b"connected\n"
            } else {
                b"disconnected\n"
            },
        )?;
        Ok(())
    }
}

#[derive(Debug)]
pub struct Xvfb {
    server: Helper,
    pub display: String,
    pub width: u16,
    pub height: u16,
}

impl Xvfb {
    /// Starts `Xvfb` on the first free display number from `:10`, with one screen of
    /// `width`x`height` and `monitors`.
    ///
    /// Free is decided by the server's own lock (`/tmp/.X{n}-lock`, made atomically): a second
    /// server on a number already locked exits ("Server is already active"), and the next number
    /// is tried. `-displayfd` cannot be used for this: with it Xvfb takes no lock, and since these
    /// servers listen on their path socket only (no abstract socket to collide on), a second one
    /// silently took over the first's display: two servers in one run (the capture benchmark's
    /// reference beside the playout's) and the first one's clients reached the second. Ready is
    /// when the lock names our server and a client can connect.
    pub fn start(width: u16, height: u16, monitors: &[Mon]) -> Result<Xvfb> {
        for n in 10u32..200 {
            // A server whose lock file went may still hold the number's abstract socket, which
            // clients try first: not that number either.
            let abstract_socket = format!("@/tmp/.X11-unix/X{n}");
            if Path::new(&format!("/tmp/.X{n}-lock")).exists()
                || std::fs::read_to_string("/proc/net/unix")
                    .is_ok_and(|t| t.lines().any(|l| l.ends_with(&abstract_socket)))
            {
                continue;
            }
            let mut cmd = Command::new("Xvfb");
            cmd.args([
                &format!(":{n}"),
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
                "+extension",
                "RANDR",
                "-nolisten",
                "tcp",
                // Its path socket only, as a kiosk's X server: a confined playout process may not
                // reach an abstract socket, and libxcb tries that first and gives up on the refusal.
                "-nolisten",
                "local",
                // Without it the server resets (and forgets the monitors) when its last client
                // leaves.
                "-noreset",
            ]);
            let server =
                Helper::spawn("Xvfb", cmd).context("starting Xvfb (apt-get install xvfb)")?;
            let mut xvfb = Xvfb {
                server,
                display: format!(":{n}"),
                width,
                height,
            };
            let started = std::time::Instant::now();
            let ready = loop {
                if xvfb.server.try_wait().is_some() {
                    break false; // another server has this number (or had it a moment ago)
                }
                let ours = std::fs::read_to_string(format!("/tmp/.X{n}-lock"))
                    .is_ok_and(|pid| pid.trim() == xvfb.server.id().to_string());
                if ours && x11rb::connect(Some(&xvfb.display)).is_ok() {
                    break true;
                }
                if started.elapsed() > Duration::from_secs(20) {
                    bail!(
                        "Xvfb on {} was not ready within 20 s\n{}",
                        xvfb.display,
                        xvfb.server.log_tail(20)
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            if !ready {
                continue;
            }
            set_monitors(&xvfb.display, monitors)?;
            return Ok(xvfb);
        }
        bail!("no free X display number from :10 to :199 (every /tmp/.X{{n}}-lock is taken)")
    }

    /// Grabs a region of the framebuffer as RGB.
    pub fn grab(&self, x: i16, y: i16, w: u16, h: u16) -> Result<Rgb> {
        grab(&self.display, x, y, w, h)
    }

    /// Types the key `keysym` (pressed and released) as a keyboard would, through the XTEST
    /// extension: what a USB button or foot pedal does.
    pub fn press_key(&self, keysym: u32) -> Result<()> {
        use x11rb::protocol::xproto::{KEY_PRESS_EVENT, KEY_RELEASE_EVENT};
        use x11rb::protocol::xtest::ConnectionExt as _;
        let (conn, n) = x11rb::connect(Some(&self.display))?;
        let root = conn.setup().roots[n].root;
        let (min, max) = (conn.setup().min_keycode, conn.setup().max_keycode);
        let map = conn.get_keyboard_mapping(min, max - min + 1)?.reply()?;
        let per = usize::from(map.keysyms_per_keycode.max(1));
        let code = map
            .keysyms
            .chunks(per)
            .zip(min..=max)
            .find(|(syms, _)| syms.contains(&keysym))
            .map(|(_, code)| code)
            .with_context(|| format!("no key types keysym {keysym:#x}"))?;
        for kind in [KEY_PRESS_EVENT, KEY_RELEASE_EVENT] {
            conn.xtest_fake_input(kind, code, 0, root, 0, 0, 0)?
                .check()?;
        }
        conn.get_input_focus()?.reply()?;
        Ok(())
    }

    /// The average colour of a 16x16 square near the top left of monitor `m` (clear of a slate's
    /// text): what colour the screen is.
    pub fn corner(&self, m: Mon) -> (u8, u8, u8) {
        let rgb = self.grab(m.x + 16, m.y + 16, 16, 16).expect("grab");
        let n = (rgb.data.len() / 3).max(1) as u64;
        let sum = rgb.data.chunks_exact(3).fold([0u64; 3], |mut s, p| {
            for i in 0..3 {
                s[i] += u64::from(p[i]);
            }
            s
        });
        ((sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8)
    }
}

/// Grabs a region of `display`'s framebuffer as RGB (from any thread).
pub fn grab(display: &str, x: i16, y: i16, w: u16, h: u16) -> Result<Rgb> {
    let (conn, n) = x11rb::connect(Some(display))?;
    let root = conn.setup().roots[n].root;
    let img = conn
        .get_image(ImageFormat::Z_PIXMAP, root, x, y, w, h, !0)?
        .reply()?;
    // 24-bit depth, 32 bits per pixel, little-endian BGRX.
    let mut rgb = Vec::with_capacity(w as usize * h as usize * 3);
    for px in img.data.chunks_exact(4) {
        rgb.extend_from_slice(&[px[2], px[1], px[0]]);
    }
    Ok(Rgb {
        w: w as u32,
        h: h as u32,
        data: rgb,
    })
}

/// An RGB picture from the framebuffer.
#[derive(Debug, Clone)]
pub struct Rgb {
    pub w: u32,
    pub h: u32,
    pub data: Vec<u8>,
}

impl Rgb {
    /// Share of pixels brighter than near-black (any channel above 24).
    pub fn lit_fraction(&self) -> f64 {
        let lit = self
            .data
            .chunks_exact(3)
            .filter(|p| p.iter().any(|&c| c > 24))
            .count();
        lit as f64 / (self.data.len() / 3).max(1) as f64
    }

    pub fn max_channel(&self) -> u8 {
        self.data.iter().copied().max().unwrap_or(0)
    }

    /// Share of pixels that differ noticeably from `other` (same size).
    pub fn changed_fraction(&self, other: &Rgb) -> f64 {
        let changed = self
            .data
            .chunks_exact(3)
            .zip(other.data.chunks_exact(3))
            .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 16))
            .count();
        changed as f64 / (self.data.len() / 3).max(1) as f64
    }

    pub fn save_png(&self, path: &Path) -> Result<()> {
        let file = std::fs::File::create(path)?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), self.w, self.h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()?.write_image_data(&self.data)?;
        Ok(())
    }
}

/// `tauri-driver`, which starts WebKitWebDriver and the app for each session: one process group
/// (the driver, WebKitWebDriver, the app and its playout), one log (everything they printed).
#[derive(Debug)]
pub struct TauriDriver {
    // Field order: the driver (and the app) stop before their bus.
    driver: Helper,
    pub port: u16,
    _bus: Option<servers::SessionBus>,
}

pub fn tauri_driver_path() -> PathBuf {
    std::env::var_os("TAURI_DRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cargo_bin = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
                .unwrap_or_default()
                .join("bin/tauri-driver");
            if cargo_bin.exists() {
                cargo_bin
            } else {
                PathBuf::from("tauri-driver")
            }
        })
}

impl TauriDriver {
    /// Starts tauri-driver and returns once it says it is ready for a session (W3C `GET /status`).
    ///
    /// tauri-driver accepts connections before its native driver (WebKitWebDriver) is up, and a
    /// `POST /session` sent then is dropped ("connection closed before message completed"; 2 e2e runs
    /// in 4 on a fresh machine; tauri-apps/tauri#15156). Its `/status` is answered by the native
    /// driver, so `"ready": true` there means a session can start.
    pub fn start(display: &str, env: &[(&str, &Path)]) -> Result<TauriDriver> {
        let [port, native_port] = servers::free_ports()?;
        let mut cmd = Command::new(tauri_driver_path());
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("DISPLAY", display)
        .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        // The app gets a session bus of the test's own unless the caller gave one (see `SessionBus`:
        // without it, GLib autolaunches one that outlives the test).
        let bus = if env.iter().any(|(k, _)| *k == "DBUS_SESSION_BUS_ADDRESS") {
            None
        } else {
            let bus = servers::SessionBus::start()?;
            cmd.env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
            Some(bus)
        };
        let mut driver = TauriDriver {
            driver: Helper::spawn("tauri-driver", cmd)
                .context("starting tauri-driver (cargo install tauri-driver --locked)")?,
            port,
            _bus: bus,
        };
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = driver.driver.try_wait() {
                bail!(
                    "tauri-driver exited ({status}) before it was ready\n{}",
                    driver.driver.log_tail(40)
                );
            }
            let last = match http.get(format!("http://127.0.0.1:{port}/status")).send() {
                Ok(resp) => match resp.json::<Value>() {
                    Ok(v) if v["value"]["ready"] == json!(true) => return Ok(driver),
                    Ok(v) => format!("status {v}"),
                    Err(e) => format!("status unreadable: {e}"),
                },
                Err(e) => format!("{e}"),
            };
            if Instant::now() > deadline {
                let log = driver.driver.log_tail(40);
                driver.driver.stop();
                bail!("tauri-driver was not ready in 60 s (last: {last})\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What tauri-driver, WebKitWebDriver and the app printed (the last `n` lines).
    pub fn log_tail(&self, n: usize) -> String {
        self.driver.log_tail(n)
    }
}

/// A minimal W3C WebDriver client: enough to find, click, read and run script.
#[derive(Debug)]
pub struct WebDriver {
    http: reqwest::blocking::Client,
    base: String,
}

impl WebDriver {
    /// Starts a session of `application` through `driver` (ready: `TauriDriver::start` waited for
    /// it); a session that does not start says why, with what the drivers and the app printed.
    pub fn new_session(driver: &TauriDriver, application: &Path) -> Result<WebDriver> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()?;
        let base = format!("http://127.0.0.1:{}", driver.port);
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {"application": application}}}});
        let resp: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .and_then(|r| r.json())
            .with_context(|| format!("starting a WebDriver session\n{}", driver.log_tail(40)))?;
        let id = resp["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session: {resp}\n{}", driver.log_tail(40)))?
            .to_owned();
        Ok(WebDriver {
            http,
            base: format!("{base}/session/{id}"),
        })
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp: Value = req.send()?.json()?;
        if let Some(err) = resp["value"].get("error") {
            bail!("webdriver {path}: {err} {}", resp["value"]["message"]);
        }
        Ok(resp["value"].clone())
    }

    pub fn find_all(&self, css: &str) -> Result<Vec<String>> {
        let v = self.call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_object()?.values().next()?.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until `css` matches, and returns the first element.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.find_all(css)?.into_iter().next() {
                return Ok(e);
            }
            if Instant::now() > deadline {
                bail!("{css} did not appear within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, element: &str) -> Result<()> {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )?;
        Ok(())
    }

    /// Presses and releases `key` on the keyboard (WebDriver's actions: real key events, as a
    /// keyboard or a presenter's clicker sends them). `key` is a character or a WebDriver key code
    /// (`PAGE_DOWN` is "\u{E00F}", `PAGE_UP` "\u{E00E}").
    pub fn press(&self, key: &str) -> Result<()> {
        self.call(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{
                "type": "key",
                "id": "keyboard",
                "actions": [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}],
            }]})),
        )?;
        self.call(reqwest::Method::DELETE, "/actions", None)?;
        Ok(())
    }

    pub fn text(&self, element: &str) -> Result<String> {
        Ok(self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/text"),
                None,
            )?
            .as_str()
            .unwrap_or("")
            .to_owned())
    }

    pub fn attribute(&self, element: &str, name: &str) -> Result<Option<String>> {
        Ok(self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/attribute/{name}"),
                None,
            )?
            .as_str()
            .map(str::to_owned))
    }

    /// Runs an async script; `arguments[arguments.length-1]` is the callback.
    pub fn execute_async(&self, script: &str) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
    }

    pub fn execute(&self, script: &str) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Runs axe-core (Deque's accessibility engine, from the UI's locked devDependencies) inside
    /// the page as it is now, with WCAG 2.0, 2.1 and 2.2 A and AA rules: each violation as `rule
    /// (impact): help — the first elements it names`. Empty when the page passes.
    pub fn axe(&self) -> Result<Vec<String>> {
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ui/node_modules/axe-core/axe.min.js");
        let axe = std::fs::read_to_string(&source)
            .with_context(|| format!("{} (npm ci in ui/)", source.display()))?;
        if self.execute("return typeof window.axe === 'object';")? != Value::Bool(true) {
            self.execute(&format!("{axe}\nreturn true;"))?;
        }
        let found = self.execute_async(
            "const done = arguments[arguments.length - 1];
             window.axe
               .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] })
               .then((r) => done(r.violations.map((v) =>
                 `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.html.slice(0, 160)} ${(n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240)}`).join('; ')}`)))
               .catch((e) => done([`axe failed: ${e}`]));",
        )?;
        Ok(found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until `f` holds, polling.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut f: impl FnMut(&WebDriver) -> Result<bool>,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if f(self)? {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for {what}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.base).send();
    }
}

/// The credentials tests hand to the kiosk (one per line). `scripts/test.sh` greps every file the
/// whole suite left behind for them, after the last test.
pub const TEST_SECRETS: &str = include_str!("../test-secrets.txt");

/// A test's work folder (configs, caches, audit logs, logs). Under `$COURTDECK_TEST_ARTIFACTS` it is
/// kept after the test, so that the suite's final secrets check can search it; otherwise removed.
pub fn work_dir() -> tempfile::TempDir {
    match std::env::var_os("COURTDECK_TEST_ARTIFACTS") {
        Some(root) => {
            std::fs::create_dir_all(&root).expect("artifacts folder");
            let mut dir = tempfile::tempdir_in(root).expect("work folder");
            dir.disable_cleanup(true);
            dir
        }
        None => tempfile::tempdir().expect("work folder"),
    }
}

/// Copies the folder `from` into `to` (made), files and subfolders.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Every file under `dir`, in no particular order (none when it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Runs `c` with `stdin` written to it; whether it succeeded, and its stdout and stderr together.
pub fn run_with_stdin(mut c: Command, stdin: &str) -> (bool, String) {
    use std::io::Write as _;
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let out = child.wait_with_output().expect("the command ends");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The workspace's target directory (for the app and playout binaries the tests drive).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("debug")
}
