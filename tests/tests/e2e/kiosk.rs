//! The e2e harness: the kiosk's monitors, the real app started under Xvfb and driven through
//! tauri-driver, and the gestures a user makes on the surface.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use courtdeck_testkit::{Mon, Rgb, TauriDriver, WebDriver, Xvfb, target_dir};

pub(crate) const CONTROL: Mon = Mon {
    name: "CONTROL",
    x: 0,
    y: 0,
    w: 1280,
    h: 800,
};
pub(crate) const BENCH: Mon = Mon {
    name: "BENCH",
    x: 1280,
    y: 0,
    w: 640,
    h: 360,
};
pub(crate) const PUBLIC: Mon = Mon {
    name: "PUBLIC",
    x: 1280,
    y: 400,
    w: 640,
    h: 360,
};

pub(crate) fn grab(x: &Xvfb, m: Mon) -> Rgb {
    x.grab(m.x, m.y, m.w, m.h).unwrap()
}

pub(crate) struct Kiosk {
    pub(crate) _home: tempfile::TempDir,
    pub(crate) shots: PathBuf,
    pub(crate) xvfb: Xvfb,
    // Field order matters: the session must end before the driver.
    pub(crate) wd: WebDriver,
    _driver: TauriDriver,
}

pub(crate) fn start_kiosk() -> Kiosk {
    start_kiosk_on(1920, 800, &[CONTROL, BENCH, PUBLIC])
}

pub(crate) fn start_kiosk_on(width: u16, height: u16, monitors: &[Mon]) -> Kiosk {
    start_kiosk_in(courtdeck_testkit::work_dir(), width, height, monitors, "")
}

/// The kiosk with `home` as its HOME (the test may have put a store there) and `config`, top-level
/// keys only (a `store = …` line), before the e2e screens.
pub(crate) fn start_kiosk_in(
    home: tempfile::TempDir,
    width: u16,
    height: u16,
    monitors: &[Mon],
    config: &str,
) -> Kiosk {
    start_kiosk_with(home, width, height, monitors, config, "", &[])
}

/// As `start_kiosk_in`, with `tables` (`[[source]]`…) after the e2e screens and `env` for the app
/// (the Secret Service's bus).
pub(crate) fn start_kiosk_with(
    home: tempfile::TempDir,
    width: u16,
    height: u16,
    monitors: &[Mon],
    config: &str,
    tables: &str,
    env: &[(&str, &Path)],
) -> Kiosk {
    let app = target_dir().join("courtdeck-app");
    assert!(
        app.exists(),
        "{} is missing: build the workspace first (cargo build --workspace)",
        app.display()
    );
    // Kept under $COURTDECK_TEST_ARTIFACTS: the app's logs are there when a run fails.
    let config_dir = home.path().join(".config/courtdeck");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.toml"),
        config.to_owned()
            + r#"
court = "courtroom-2"
kiosk_id = "e2e"
[audio]
sink = "fakesink sync=true"
[[screen]]
id = "bench"
label = "BENCH"
role = "bench"
monitor = "BENCH"
[[screen]]
id = "public"
label = "PUBLIC"
role = "public_gallery"
monitor = "PUBLIC"
"# + tables,
    )
    .unwrap();
    let xvfb = Xvfb::start(width, height, monitors).unwrap();
    let h = home.path();
    let (config, data, cache, state) = (
        h.join(".config"),
        h.join(".local/share"),
        h.join(".cache"),
        h.join(".local/state"),
    );
    let mut vars: Vec<(&str, &Path)> = vec![
        ("HOME", h),
        ("XDG_CONFIG_HOME", &config),
        ("XDG_DATA_HOME", &data),
        ("XDG_CACHE_HOME", &cache),
        ("XDG_STATE_HOME", &state),
    ];
    vars.extend_from_slice(env);
    let driver = TauriDriver::start(&xvfb.display, &vars).unwrap();
    let wd = WebDriver::new_session(&driver, &app).unwrap();
    let shots = std::env::var_os("COURTDECK_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("e2e-shots"));
    std::fs::create_dir_all(&shots).unwrap();
    Kiosk {
        _home: home,
        shots,
        xvfb,
        wd,
        _driver: driver,
    }
}

impl Drop for Kiosk {
    /// A failed test says what the app logged (its warnings and errors), not just what it waited for.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let logs = self._home.path().join(".local/state/courtdeck/logs");
        for entry in std::fs::read_dir(&logs).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| !l.contains("\"level\":\"INFO\"") && !l.contains("\"level\":\"DEBUG\""))
                .collect();
            eprintln!(
                "--- {} (warnings and errors, last 40) ---",
                entry.path().display()
            );
            for l in &lines[lines.len().saturating_sub(40)..] {
                eprintln!("{l}");
            }
        }
    }
}

impl Kiosk {
    pub(crate) fn shot(&self, name: &str) {
        // The DOM is already what the test checked; give WebKit a moment to paint it.
        std::thread::sleep(Duration::from_millis(400));
        let full = self
            .xvfb
            .grab(0, 0, self.xvfb.width, self.xvfb.height)
            .unwrap();
        full.save_png(&self.shots.join(format!("{name}.png")))
            .unwrap();
    }

    /// The usher's tap: launches the demo hearing (JS-2026-0142) from today's list, waiting for the
    /// list (generated on first run) and then for its exhibits.
    pub(crate) fn launch_demo_hearing(&self, taps: &mut u32) {
        let launch = "[data-testid=hearing-card][data-case=JS-2026-0142] [data-testid=launch]";
        self.wd.wait_for(launch, Duration::from_secs(180)).unwrap();
        tap(self, launch, taps);
        self.wd
            .wait_for(
                "[data-testid=exhibit][data-ref='JS/1']",
                Duration::from_secs(120),
            )
            .unwrap();
    }

    /// The advocate's two taps: the exhibit (it is cued and prerolls), then Present once it is ready.
    pub(crate) fn present(&self, exhibit: &str, taps: &mut u32) {
        tap(
            self,
            &format!("[data-testid=exhibit][data-ref='{exhibit}']"),
            taps,
        );
        // Cued and prerolled (in any language): Present is instant.
        let ready = format!("[data-testid=present][data-cued='{exhibit}'][data-ready=true]");
        self.wd.wait_for(&ready, Duration::from_secs(30)).unwrap();
        tap(self, &ready, taps);
        self.wd
            .wait_for(
                &format!("[data-testid=exhibit][data-ref='{exhibit}'].onair"),
                Duration::from_secs(30),
            )
            .unwrap();
    }

    /// The advocate's tap on a tab of the tools beside the transport (pages, clips, transcript,
    /// sound, beside, marks, zoom): waits until its group is the one shown.
    pub(crate) fn tools(&self, group: &str, taps: &mut u32) {
        tap(
            self,
            &format!("[data-testid=tool-tab][data-group={group}]"),
            taps,
        );
        self.wd
            .wait_for(
                &format!("[data-testid=tools][data-group={group}]"),
                Duration::from_secs(10),
            )
            .unwrap();
    }

    /// The groups of tools the kind on air offers, as their tabs say.
    pub(crate) fn tool_groups(&self) -> Vec<String> {
        self.wd
            .execute(
                "return [...document.querySelectorAll('[data-testid=tool-tab]')].map(t => t.dataset.group);",
            )
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap().to_owned())
            .collect()
    }

    pub(crate) fn tile_status(&self, screen: &str) -> String {
        let el = self
            .wd
            .wait_for(
                &format!("[data-testid=screen-tile][data-screen={screen}]"),
                Duration::from_secs(10),
            )
            .unwrap();
        self.wd
            .attribute(&el, "data-status")
            .unwrap()
            .unwrap_or_default()
    }

    pub(crate) fn wait_tile(&self, screen: &str, status: &str) {
        self.wd
            .wait_until(
                &format!("{screen} tile to say {status}"),
                Duration::from_secs(20),
                |_| Ok(self.tile_status(screen) == status),
            )
            .unwrap();
    }

    /// Waits until a monitor shows moving, non-black video: two grabs apart must both be lit and differ.
    pub(crate) fn wait_moving(&self, m: Mon) -> (f64, f64) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let a = grab(&self.xvfb, m);
            std::thread::sleep(Duration::from_millis(400));
            let b = grab(&self.xvfb, m);
            let (lit, changed) = (b.lit_fraction(), a.changed_fraction(&b));
            if lit > 0.2 && changed > 0.001 {
                return (lit, changed);
            }
            assert!(
                Instant::now() < deadline,
                "{} never showed moving video (lit {lit:.3}, changed {changed:.4})",
                m.name
            );
        }
    }

    /// Waits until a monitor shows a lit picture that holds still (a presented still); returns it.
    pub(crate) fn wait_still(&self, m: Mon) -> courtdeck_testkit::Rgb {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let a = grab(&self.xvfb, m);
            std::thread::sleep(Duration::from_millis(300));
            let b = grab(&self.xvfb, m);
            if b.lit_fraction() > 0.2 && a.changed_fraction(&b) < 0.001 {
                return b;
            }
            assert!(
                Instant::now() < deadline,
                "{} never showed a still picture",
                m.name
            );
        }
    }

    pub(crate) fn wait_black(&self, m: Mon) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let g = grab(&self.xvfb, m);
            if g.max_channel() <= 8 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not go black (max channel {})",
                m.name,
                g.max_channel()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A finger drawn across the surface's draw pad: down at `from`, through `via`, up at `to`
/// (fractions of the pad).
pub(crate) fn drag_on_pad(k: &Kiosk, from: (f64, f64), via: (f64, f64), to: (f64, f64)) {
    k.wd.execute(&format!(
        "const pad = document.querySelector('[data-testid=draw-pad]');
         const r = pad.getBoundingClientRect();
         const at = (type, fx, fy) => pad.dispatchEvent(new PointerEvent(type, {{
           bubbles: true, pointerId: 1, pointerType: 'touch', isPrimary: true,
           clientX: r.left + fx * r.width, clientY: r.top + fy * r.height }}));
         at('pointerdown', {}, {}); at('pointermove', {}, {}); at('pointerup', {}, {});
         return true;",
        from.0, from.1, via.0, via.1, to.0, to.1
    ))
    .unwrap();
}

/// A tap on an item of a list that scrolls (a transcript's lines): scrolled to first, as a finger
/// would, then tapped.
#[track_caller]
pub(crate) fn tap_in_list(k: &Kiosk, css: &str, taps: &mut u32) {
    k.wd.wait_for(css, Duration::from_secs(120)).unwrap();
    k.wd.execute(&format!(
        "document.querySelector(\"{css}\").scrollIntoView({{ block: 'nearest' }}); return true;"
    ))
    .unwrap();
    tap(k, css, taps);
}

#[track_caller]
pub(crate) fn tap(k: &Kiosk, css: &str, taps: &mut u32) {
    let el = k.wd.wait_for(css, Duration::from_secs(120)).unwrap();
    if let Err(e) = k.wd.click(&el) {
        panic!("tapping {css}: {e:#}");
    }
    *taps += 1;
}

pub(crate) fn save_manifest(dir: &Path) {
    let _ = std::fs::write(
        dir.join("README.txt"),
        "Screenshots from the e2e test: whole Xvfb screen (CONTROL | BENCH above PUBLIC).\n",
    );
}
