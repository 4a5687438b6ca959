//! The installed kiosk: `scripts/package.sh`'s `.deb` installed with apt-get (as root), the installed
//! app started from its installed files (not the build tree) under Xvfb through tauri-driver, a hearing
//! launched, an exhibit presented and blanked, the playout process killed and restarted, systemd's
//! `READY=1` and `WATCHDOG=1` received on a notify socket of the test's own, the installed kiosk booted
//! under a real systemd (`scripts/kiosk-boot.sh`), and the package purged.
//!
//! Ignored by plain `cargo test` (it needs the package and root): `scripts/test.sh` builds the package
//! and runs it with `--ignored`. `COURTDECK_DEB` names the package (default: the one package.sh made).

use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use courtdeck_testkit::{Mon, TauriDriver, WebDriver, Xvfb, target_dir};

const CONTROL: Mon = Mon {
    name: "CONTROL",
    x: 0,
    y: 0,
    w: 1280,
    h: 800,
};
const BENCH: Mon = Mon {
    name: "BENCH",
    x: 1280,
    y: 0,
    w: 640,
    h: 360,
};

fn deb() -> PathBuf {
    if let Some(p) = std::env::var_os("COURTDECK_DEB") {
        return PathBuf::from(p);
    }
    let dir = target_dir().join("../release/bundle/deb");
    let dir = if dir.exists() {
        dir
    } else {
        target_dir().join("release/bundle/deb")
    };
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}: run scripts/package.sh first", dir.display()))
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .expect("a .deb from scripts/package.sh")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed: {text}");
    text
}

/// `program` as root: itself when we are root, else through password-less sudo.
fn as_root(program: &str) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut c = Command::new("sudo");
        c.args(["-n", "-E", program]);
        c
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn package_name(deb: &Path) -> String {
    run(Command::new("dpkg-deb")
        .args(["--field"])
        .arg(deb)
        .arg("Package"))
    .trim()
    .to_owned()
}

/// Throws away what earlier app instances sent (a WATCHDOG=1 still queued).
fn drain(sock: &UnixDatagram) {
    sock.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 256];
    while sock.recv(&mut buf).is_ok() {}
    sock.set_nonblocking(false).unwrap();
}

/// Datagrams on a socket of our own, as systemd's notify socket receives them.
fn notifications(sock: &UnixDatagram, until: Instant, want: &str) -> Option<Instant> {
    let mut buf = [0u8; 256];
    while Instant::now() < until {
        if let Ok(n) = sock.recv(&mut buf)
            && String::from_utf8_lossy(&buf[..n])
                .lines()
                .any(|l| l == want)
        {
            return Some(Instant::now());
        }
    }
    None
}

#[test]
#[ignore = "needs root and the .deb from scripts/package.sh; scripts/test.sh runs it"]
fn the_deb_installs_starts_presents_survives_a_playout_kill_boots_and_purges_cleanly() {
    let deb = deb();
    let name = package_name(&deb);
    println!("package {} ({name})", deb.display());

    // Install, dependencies from the registry as a court's IT would.
    let installed = Instant::now();
    run(as_root("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .arg(std::fs::canonicalize(&deb).unwrap())
        .env("DEBIAN_FRONTEND", "noninteractive"));
    println!("installed in {:.1} s", installed.elapsed().as_secs_f64());
    for f in [
        "/usr/bin/courtdeck-app",
        "/usr/bin/courtdeck-playout",
        "/usr/bin/courtdeck",
        "/lib/systemd/system/courtdeck-kiosk.service",
        "/usr/lib/courtdeck/kiosk-session",
        "/etc/courtdeck/config.toml",
    ] {
        assert!(Path::new(f).exists(), "{f} installed");
    }
    let session = std::fs::metadata("/usr/lib/courtdeck/kiosk-session").unwrap();
    assert!(
        session.mode() & 0o111 != 0,
        "the session script is executable"
    );
    // The courtdeck system user owns the state and the cache.
    let uid: u32 = run(Command::new("id").args(["-u", "courtdeck"]))
        .trim()
        .parse()
        .unwrap();
    assert!(uid < 1000, "a system user ({uid})");
    for d in ["/var/lib/courtdeck", "/var/cache/courtdeck"] {
        assert_eq!(
            std::fs::metadata(d).unwrap().uid(),
            uid,
            "{d} owned by courtdeck"
        );
    }
    // Started at boot: enabled for graphical.target.
    let wants = Path::new("/etc/systemd/system/graphical.target.wants/courtdeck-kiosk.service");
    assert!(wants.is_symlink(), "the kiosk unit is enabled");
    // systemd's own reading of the unit (offline: no systemd runs here).
    if Path::new("/usr/bin/systemd-analyze").exists() {
        let out = Command::new("systemd-analyze")
            .args(["verify", "/lib/systemd/system/courtdeck-kiosk.service"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        let complaints: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("courtdeck-kiosk.service"))
            .collect();
        assert!(complaints.is_empty(), "systemd-analyze: {text}");
    }
    // The installed CLI reads the installed config.
    let screens = run(Command::new("/usr/bin/courtdeck")
        .arg("--help")
        .env("HOME", "/nonexistent"));
    assert!(screens.contains("screens"), "{screens}");

    // The installed app, from the installed files, on Xvfb, through tauri-driver.
    let home = courtdeck_testkit::work_dir();
    let h = home.path();
    let config_dir = h.join(".config/courtdeck");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.toml"),
        "court = \"courtroom-2\"\nkiosk_id = \"package\"\n[audio]\nsink = \"fakesink sync=true\"\n\
         [[screen]]\nid = \"bench\"\nlabel = \"BENCH\"\nrole = \"bench\"\nmonitor = \"BENCH\"\n",
    )
    .unwrap();
    let notify_path = h.join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let xvfb = Xvfb::start(1920, 800, &[CONTROL, BENCH]).unwrap();
    let (config, data, cache, state) = (
        h.join(".config"),
        h.join(".local/share"),
        h.join(".cache"),
        h.join(".local/state"),
    );
    let driver = TauriDriver::start(
        &xvfb.display,
        &[
            ("HOME", h),
            ("XDG_CONFIG_HOME", &config),
            ("XDG_DATA_HOME", &data),
            ("XDG_CACHE_HOME", &cache),
            ("XDG_STATE_HOME", &state),
            ("NOTIFY_SOCKET", &notify_path),
            ("WATCHDOG_USEC", Path::new("2000000")),
        ],
    )
    .unwrap();
    let started = Instant::now();
    let wd = WebDriver::new_session(&driver, Path::new("/usr/bin/courtdeck-app")).unwrap();
    let ready = notifications(&notify, started + Duration::from_secs(60), "READY=1")
        .expect("READY=1 from the installed app");
    println!(
        "first start of the installed app to its surface (READY=1, the demo store generated): {} ms",
        (ready - started).as_millis()
    );
    notifications(
        &notify,
        Instant::now() + Duration::from_secs(10),
        "WATCHDOG=1",
    )
    .expect("WATCHDOG=1 while the app answers");

    // Launch, present, blank.
    let card = "[data-testid=hearing-card][data-case=JS-2026-0142] [data-testid=launch]";
    let el = wd.wait_for(card, Duration::from_secs(180)).unwrap();
    wd.click(&el).unwrap();
    let el = wd
        .wait_for(
            "[data-testid=exhibit][data-ref='JS/1']",
            Duration::from_secs(120),
        )
        .unwrap();
    wd.click(&el).unwrap();
    wd.wait_until("the cue to be ready", Duration::from_secs(30), |wd| {
        let b = wd.wait_for("[data-testid=present]", Duration::from_secs(10))?;
        Ok(wd.text(&b)? == "Present")
    })
    .unwrap();
    let el = wd
        .wait_for("[data-testid=present]", Duration::from_secs(10))
        .unwrap();
    wd.click(&el).unwrap();
    let tile = |status: &str| {
        format!("[data-testid=screen-tile][data-screen=bench][data-status={status}]")
    };
    wd.wait_for(&tile("live"), Duration::from_secs(30)).unwrap();
    let lit = |x: &Xvfb| {
        x.grab(BENCH.x, BENCH.y, BENCH.w, BENCH.h)
            .unwrap()
            .lit_fraction()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while lit(&xvfb) < 0.2 {
        assert!(Instant::now() < deadline, "the bench shows the exhibit");
        std::thread::sleep(Duration::from_millis(100));
    }
    let el = wd
        .wait_for(
            "[data-testid=blank-toggle][data-screen=bench]",
            Duration::from_secs(10),
        )
        .unwrap();
    wd.click(&el).unwrap();
    wd.wait_for(&tile("blank"), Duration::from_secs(30))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while xvfb
        .grab(BENCH.x, BENCH.y, BENCH.w, BENCH.h)
        .unwrap()
        .max_channel()
        > 8
    {
        assert!(Instant::now() < deadline, "the bench went black");
        std::thread::sleep(Duration::from_millis(100));
    }

    // kill -9 of the installed playout process: the app restarts it and the surface says so.
    // The engine itself (no arguments), not one of its one-shot tool modes.
    let engine = "^/usr/bin/courtdeck-playout$";
    let pid = run(Command::new("pgrep").args(["-f", engine]));
    let pid = pid
        .lines()
        .next()
        .expect("the playout process runs")
        .trim()
        .to_owned();
    run(Command::new("kill").args(["-9", &pid]));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = Command::new("pgrep").args(["-f", engine]).output().unwrap();
        let now = String::from_utf8_lossy(&now.stdout).trim().to_owned();
        if !now.is_empty() && now != pid {
            break;
        }
        assert!(Instant::now() < deadline, "playout was restarted");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The app is alive and answering after it: the watchdog keeps being told.
    notifications(
        &notify,
        Instant::now() + Duration::from_secs(10),
        "WATCHDOG=1",
    )
    .expect("WATCHDOG=1 after the playout restart");
    drop(wd);

    // A cold start as a kiosk makes it every morning (the store's copies already there): from the
    // launch to the surface's READY=1.
    let mut starts = Vec::new();
    for _ in 0..3 {
        drain(&notify);
        let started = Instant::now();
        let wd = WebDriver::new_session(&driver, Path::new("/usr/bin/courtdeck-app")).unwrap();
        let ready = notifications(&notify, started + Duration::from_secs(60), "READY=1")
            .expect("READY=1 from the installed app");
        starts.push((ready - started).as_millis());
        wd.wait_for(card, Duration::from_secs(60)).unwrap();
        drop(wd);
    }
    starts.sort();
    println!(
        "cold start of the installed release app to an interactive surface (READY=1), 3 runs: {starts:?} ms, median {} ms",
        starts[1]
    );
    drop(driver);

    // The installed session's client half (what xinit runs on the kiosk: a private D-Bus session, the
    // Secret Service unlocked, the app) on this Xvfb, reading the installed /etc/courtdeck/config.toml
    // (its screens are not on this display: reported missing, the surface still comes up). A kill -9
    // of the app ends the session with a failure, which is what systemd's Restart=always restarts.
    // READY=1 must come from the app alone: dbus-daemon sends one of its own when it is given the
    // notify socket (seen here: the kiosk counted as started before its surface was up), so
    // `courtdeck kiosk-session` names it in COURTDECK_NOTIFY_SOCKET and kiosk-client gives it to the
    // app only.
    let kiosk_home = courtdeck_testkit::work_dir();
    drain(&notify);
    let mut session = Command::new("/usr/lib/courtdeck/kiosk-client")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", kiosk_home.path())
        .env("DISPLAY", &xvfb.display)
        .env("COURTDECK_NOTIFY_SOCKET", &notify_path)
        .env("WATCHDOG_USEC", "2000000")
        .env("COURTDECK_AUDIO_SINK", "fakesink")
        // The test runner's marker, so a session left behind is found (scripts/test-binaries.sh).
        .envs(std::env::var_os("COURTDECK_TEST_RUN").map(|m| ("COURTDECK_TEST_RUN", m)))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let ready = notifications(&notify, started + Duration::from_secs(120), "READY=1");
    let keyring = kiosk_home.path().join(".local/share/keyrings");
    let app = Command::new("pgrep")
        .args(["-f", "^/usr/bin/courtdeck-app$"])
        .output()
        .unwrap();
    let app = String::from_utf8_lossy(&app.stdout).trim().to_owned();
    assert!(
        ready.is_some(),
        "the installed session's app came up (READY=1)"
    );
    println!(
        "installed kiosk session (D-Bus, keyring, app) to READY=1: {} ms",
        (ready.unwrap() - started).as_millis()
    );
    assert!(
        keyring.exists(),
        "the session unlocked a keyring of its own"
    );
    notifications(
        &notify,
        Instant::now() + Duration::from_secs(10),
        "WATCHDOG=1",
    )
    .expect("WATCHDOG=1 from the session's app");
    assert!(!app.is_empty() && !app.contains('\n'), "one app: {app:?}");
    run(Command::new("kill").args(["-9", &app]));
    let status = session.wait().unwrap();
    assert!(
        !status.success(),
        "a killed app fails the session: {status}"
    );
    drop(xvfb);

    // The installed kiosk booted as a PC boots it: systemd as PID 1 (of namespaces of its own, on an
    // overlay of this machine's root) starts graphical.target; the enabled unit brings up Xorg (the
    // dummy video driver for a graphics card), the session and the app, whose READY=1 makes it
    // active; then kill -9 of playout (the unit untouched), kill -9 of the app (systemd restarts
    // it) and a SIGSTOPped app (systemd's watchdog restarts it). The script prints the figures.
    let boot = as_root("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kiosk-boot.sh"))
        .status()
        .unwrap();
    assert!(
        boot.success(),
        "the installed kiosk boots under systemd and is restarted after a crash and a hang: {boot}"
    );

    // Purge: the package's files and the unit's links go; the custody log's folder stays.
    run(as_root("dpkg").args(["--purge", &name]));
    for f in [
        "/usr/bin/courtdeck-app",
        "/usr/bin/courtdeck-playout",
        "/usr/bin/courtdeck",
        "/lib/systemd/system/courtdeck-kiosk.service",
        "/etc/courtdeck/config.toml",
    ] {
        assert!(!Path::new(f).exists(), "{f} removed");
    }
    assert!(!wants.is_symlink(), "the kiosk unit is no longer enabled");
    assert!(
        Path::new("/var/lib/courtdeck").exists(),
        "the custody log's folder is never deleted by the package"
    );
}
