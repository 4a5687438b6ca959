//! Screens known by identity, and monitors that come and go, with a restricted exhibit on air.
//!
//! Xvfb with three monitors named as connectors (HDMI-1..3), a fake `/sys/class/drm` with real EDID
//! 1.4 blocks for them, and the playout process drawing a `bench_only` exhibit (solid red) on the
//! bench. The monitors are unplugged, plugged back, swapped, replaced by a stranger, moved and replaced
//! by one with no EDID, as a court's cables are, and the playout process restarts with the cables
//! swapped (a re-enumeration). All the while a second thread reads the whole
//! framebuffer back and records every frame in which red shows anywhere but on the bench's own
//! monitor: there must be none.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use courtdeck_core::edid_block;
use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command, Event, OutputSpec, ScreenStats};
use courtdeck_testkit::{DrmTree, Mon, Xvfb, delete_monitors, set_monitors};
use tokio::sync::broadcast::Receiver;

const W: u16 = 640;
const H: u16 = 360;

fn mon(name: &'static str, x: i16) -> Mon {
    Mon {
        name,
        x,
        y: 0,
        w: W,
        h: H,
    }
}

/// A rectangle of the framebuffer: x, width.
type Span = (i16, u16);

fn span(m: Mon) -> Span {
    (m.x, m.w)
}

/// Reads the framebuffer back until stopped; counts frames with red outside the allowed spans.
struct Watcher {
    allowed: Arc<Mutex<Vec<Span>>>,
    stop: Arc<AtomicBool>,
    frames: Arc<AtomicU64>,
    red_frames: Arc<AtomicU64>,
    leaks: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watcher {
    fn start(xvfb: &Xvfb) -> Watcher {
        let allowed: Arc<Mutex<Vec<Span>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let frames = Arc::new(AtomicU64::new(0));
        let red_frames = Arc::new(AtomicU64::new(0));
        let leaks: Arc<Mutex<Vec<String>>> = Arc::default();
        let display = xvfb.display.clone();
        let (width, height) = (xvfb.width, xvfb.height);
        let thread = {
            let (allowed, stop, frames, red_frames, leaks) = (
                allowed.clone(),
                stop.clone(),
                frames.clone(),
                red_frames.clone(),
                leaks.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    // The spans allowed before and after the grab: a change the test made while the
                    // grab was in flight counts either way.
                    let before = allowed.lock().unwrap().clone();
                    let rgb = courtdeck_testkit::grab(&display, 0, 0, width, height).expect("grab");
                    let after = allowed.lock().unwrap().clone();
                    let ok = |x: usize| {
                        before
                            .iter()
                            .chain(&after)
                            .any(|(sx, sw)| x >= *sx as usize && x < *sx as usize + *sw as usize)
                    };
                    let mut red = false;
                    let mut leak = None;
                    // Every 4th pixel of every 4th row: a picture is never smaller than that.
                    for y in (0..height as usize).step_by(4) {
                        for x in (0..width as usize).step_by(4) {
                            let i = (y * width as usize + x) * 3;
                            let p = &rgb.data[i..i + 3];
                            if p[0] > 180 && p[1] < 70 && p[2] < 70 {
                                red = true;
                                if !ok(x) && leak.is_none() {
                                    leak = Some((x, y));
                                }
                            }
                        }
                    }
                    frames.fetch_add(1, Ordering::SeqCst);
                    if red {
                        red_frames.fetch_add(1, Ordering::SeqCst);
                    }
                    if let Some((x, y)) = leak {
                        let n = leaks.lock().unwrap().len();
                        let path = std::env::temp_dir().join(format!("hotplug-leak-{n}.png"));
                        let _ = rgb.save_png(&path);
                        leaks.lock().unwrap().push(format!(
                            "red at ({x}, {y}) while only {after:?} may show it ({})",
                            path.display()
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        Watcher {
            allowed,
            stop,
            frames,
            red_frames,
            leaks,
            thread: Some(thread),
        }
    }

    fn allow(&self, spans: &[Span]) {
        *self.allowed.lock().unwrap() = spans.to_vec();
    }

    /// Waits until the watcher has read the screens back `n` more times: each state the test makes
    /// is looked at, not only the transitions between them.
    fn look(&self, n: u64) {
        let target = self.frames.load(Ordering::SeqCst) + n;
        wait_until("the watcher's readbacks", || {
            self.frames.load(Ordering::SeqCst) >= target
        });
    }

    fn finish(mut self) -> (u64, u64, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        (
            self.frames.load(Ordering::SeqCst),
            self.red_frames.load(Ordering::SeqCst),
            self.leaks.lock().unwrap().clone(),
        )
    }
}

async fn next_screens(
    rx: &mut Receiver<ClientEvent>,
    what: &str,
    mut ok: impl FnMut(&[ScreenStats]) -> bool,
) -> Vec<ScreenStats> {
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match rx.recv().await {
                Ok(ClientEvent::Playout(Event::Screens { screens })) if ok(&screens) => {
                    return screens;
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event stream: {e}"),
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no Screens event with {what} within 30 s"))
}

/// Forgets the events so far: a wait after the next action sees only what that action caused (a
/// delete and a set close together may reach the engine as one change or two).
fn drain(rx: &mut Receiver<ClientEvent>) {
    while !matches!(
        rx.try_recv(),
        Err(tokio::sync::broadcast::error::TryRecvError::Empty)
            | Err(tokio::sync::broadcast::error::TryRecvError::Closed)
    ) {}
}

fn screen<'a>(s: &'a [ScreenStats], id: &str) -> &'a ScreenStats {
    s.iter().find(|x| x.screen == id).expect("screen reported")
}

fn is_red(xvfb: &Xvfb, m: Mon) -> bool {
    let p = xvfb.grab(m.x + 300, 160, 16, 16).expect("grab");
    let (r, g, b) = average(&p.data);
    r > 180 && g < 70 && b < 70
}

fn is_black(xvfb: &Xvfb, m: Mon) -> bool {
    xvfb.grab(m.x, m.y, m.w, m.h).expect("grab").max_channel() <= 8
}

fn average(data: &[u8]) -> (u8, u8, u8) {
    let n = (data.len() / 3).max(1) as u64;
    let s = data.chunks_exact(3).fold([0u64; 3], |mut s, p| {
        for i in 0..3 {
            s[i] += p[i] as u64;
        }
        s
    });
    ((s[0] / n) as u8, (s[1] / n) as u8, (s[2] / n) as u8)
}

fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "{what} did not happen in 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn red_png(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("red.png");
    courtdeck_engine::fixtures::encode(&format!(
        "videotestsrc pattern=solid-color foreground-color=0xffff0000 num-buffers=1 ! \
         video/x-raw,width=320,height=180 ! videoconvert ! pngenc ! filesink location=\"{}\"",
        path.display()
    ))
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn no_hot_plug_swap_or_stranger_puts_a_restricted_exhibit_on_the_wrong_monitor() {
    let work = courtdeck_testkit::work_dir();
    let red = red_png(work.path());
    let bench_edid = edid_block("DEL", 0xa0f1, 0, Some("BENCH0001"), "DELL P2414H");
    let public_edid = edid_block("DEL", 0xa0f1, 0, Some("PUBLIC0002"), "DELL P2414H");
    let witness_edid = edid_block("SAM", 0x0e3b, 0x0102_0304, None, "S24");
    let stranger_edid = edid_block("GSM", 0x5b09, 0, None, "LG TV");
    let id = |e: &[u8]| {
        courtdeck_core::Edid::parse(e)
            .unwrap()
            .identity()
            .to_string()
    };

    let (hdmi1, hdmi2, hdmi3) = (mon("HDMI-1", 0), mon("HDMI-2", 640), mon("HDMI-3", 1280));
    let drm = DrmTree::new().unwrap();
    drm.plug("HDMI-A-1", Some(&bench_edid)).unwrap();
    drm.plug("HDMI-A-2", Some(&public_edid)).unwrap();
    drm.plug("HDMI-A-3", Some(&witness_edid)).unwrap();
    let xvfb = Xvfb::start(2560, H, &[hdmi1, hdmi2, hdmi3]).unwrap();
    let pinned = |sid: &str, role: &str, m: Mon, identity: String| OutputSpec {
        identity: Some(identity),
        require_identity: true,
        ..OutputSpec::window(sid, role, m.name)
    };
    let client = PlayoutClient::start_with(
        courtdeck_testkit::target_dir().join("courtdeck-playout"),
        vec![
            pinned("bench", "bench", hdmi1, id(&bench_edid)),
            pinned("public", "public_gallery", hdmi2, id(&public_edid)),
            pinned("witness", "witness", hdmi3, id(&witness_edid)),
        ],
        courtdeck_testkit::playout::confined(vec![
            ("DISPLAY".into(), xvfb.display.clone()),
            ("COURTDECK_AUDIO_SINK".into(), "fakesink sync=true".into()),
            (
                "COURTDECK_DRM_ROOT".into(),
                drm.root.path().display().to_string(),
            ),
        ]),
    )
    .await
    .unwrap();
    let mut rx = client.subscribe();
    let watcher = Watcher::start(&xvfb);
    watcher.allow(&[span(hdmi1)]);

    client
        .request(Command::Load {
            exhibit: "RED".into(),
            title: "a bench-only exhibit".into(),
            path: red.display().to_string(),
            kind: "image".into(),
            restriction: "bench_only".into(),
            pages: vec![],
            page: 1,
            captions: false,
        })
        .await
        .unwrap();
    loop {
        match rx.recv().await.unwrap() {
            ClientEvent::Playout(Event::Prerolled { .. }) => break,
            ClientEvent::Playout(Event::Error { error, .. }) => panic!("{}", error.message),
            _ => {}
        }
    }
    client
        .request(Command::Present {
            exhibit: "RED".into(),
            screens: vec!["bench".into()],
        })
        .await
        .unwrap();
    wait_until("red on the bench (HDMI-1)", || is_red(&xvfb, hdmi1));
    watcher.look(3);

    // 1. The bench's cable comes out: the screen is reported gone and its window is taken down.
    drain(&mut rx);
    drm.plug("HDMI-A-1", None).unwrap();
    delete_monitors(&xvfb.display, &["HDMI-1"]).unwrap();
    let s = next_screens(&mut rx, "the bench gone", |s| !screen(s, "bench").connected).await;
    assert_eq!(
        screen(&s, "bench").showing,
        None,
        "a missing screen shows nothing"
    );
    assert!(screen(&s, "public").connected && screen(&s, "witness").connected);
    watcher.allow(&[]);
    wait_until("HDMI-1's area black", || is_black(&xvfb, hdmi1));
    watcher.look(3);

    // 2. It goes back in: the bench shows its exhibit again, without anyone presenting it again.
    watcher.allow(&[span(hdmi1)]);
    drain(&mut rx);
    drm.plug("HDMI-A-1", Some(&bench_edid)).unwrap();
    let back = Instant::now();
    set_monitors(&xvfb.display, &[hdmi1]).unwrap();
    let s = next_screens(&mut rx, "the bench back", |s| screen(s, "bench").connected).await;
    assert_eq!(screen(&s, "bench").showing.as_deref(), Some("RED"));
    wait_until("red on the bench again", || is_red(&xvfb, hdmi1));
    watcher.look(3);
    println!(
        "hotplug: monitor back -> its picture in {} ms",
        back.elapsed().as_millis()
    );

    // 3. The bench and public cables are swapped at the back of the PC: the picture follows the bench's
    //    monitor to HDMI-2, and the public monitor (now on HDMI-1) shows none of it.
    drain(&mut rx);
    drm.plug("HDMI-A-1", None).unwrap();
    drm.plug("HDMI-A-2", None).unwrap();
    delete_monitors(&xvfb.display, &["HDMI-1", "HDMI-2"]).unwrap();
    next_screens(&mut rx, "bench and public gone", |s| {
        !screen(s, "bench").connected && !screen(s, "public").connected
    })
    .await;
    watcher.allow(&[]);
    drain(&mut rx);
    drm.plug("HDMI-A-1", Some(&public_edid)).unwrap();
    drm.plug("HDMI-A-2", Some(&bench_edid)).unwrap();
    watcher.allow(&[span(hdmi2)]);
    set_monitors(&xvfb.display, &[hdmi1, hdmi2]).unwrap();
    next_screens(&mut rx, "bench and public back, swapped", |s| {
        screen(s, "bench").connected && screen(s, "public").connected
    })
    .await;
    wait_until("red on HDMI-2, the bench's monitor now", || {
        is_red(&xvfb, hdmi2)
    });
    assert!(
        is_black(&xvfb, hdmi1),
        "the public monitor on HDMI-1 shows nothing"
    );
    watcher.look(3);

    // 3b. A re-enumeration: the playout process starts again (killed here) with the cables still
    //     swapped. The new engine places the screens by identity from its first Configure; presented
    //     again, the exhibit is on HDMI-2 only.
    let pid = client.pid().await.expect("playout runs");
    // The bench's monitor stays on HDMI-2 throughout: red is allowed there and nowhere else (the old
    // engine's picture stays up until the process is gone).
    assert!(
        std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(ClientEvent::Restarted { .. }) = rx.recv().await {
                return;
            }
        }
    })
    .await
    .expect("playout restarted within 30 s");
    watcher.look(3);
    assert!(!is_red(&xvfb, hdmi2), "nothing on air after a restart");
    client
        .request(Command::Load {
            exhibit: "RED".into(),
            title: "a bench-only exhibit".into(),
            path: red.display().to_string(),
            kind: "image".into(),
            restriction: "bench_only".into(),
            pages: vec![],
            page: 1,
            captions: false,
        })
        .await
        .unwrap();
    loop {
        match rx.recv().await.unwrap() {
            ClientEvent::Playout(Event::Prerolled { .. }) => break,
            ClientEvent::Playout(Event::Error {
                exhibit: Some(_),
                error,
                ..
            }) => panic!("{}", error.message),
            _ => {}
        }
    }
    client
        .request(Command::Present {
            exhibit: "RED".into(),
            screens: vec!["bench".into()],
        })
        .await
        .unwrap();
    wait_until("red on HDMI-2 after the restart", || is_red(&xvfb, hdmi2));
    watcher.look(3);
    assert!(!is_red(&xvfb, hdmi1), "nothing red on the public monitor");

    // 4. A stranger (a TV with no serial) on the witness connector: not the witness screen.
    drain(&mut rx);
    drm.plug("HDMI-A-3", Some(&stranger_edid)).unwrap();
    delete_monitors(&xvfb.display, &["HDMI-3"]).unwrap();
    set_monitors(&xvfb.display, &[hdmi3]).unwrap();
    let s = next_screens(&mut rx, "the witness mismatched", |s| {
        screen(s, "witness").mismatch.is_some()
    })
    .await;
    let w = screen(&s, "witness");
    assert!(!w.connected);
    assert!(
        w.mismatch.as_deref().unwrap().contains(&id(&stranger_edid)),
        "{w:?}"
    );
    assert!(is_black(&xvfb, hdmi3), "the stranger shows black");
    watcher.look(3);
    // Nothing may be presented there, not even an open exhibit; the bench keeps its picture.
    let green = work.path().join("green.png");
    courtdeck_engine::fixtures::encode(&format!(
        "videotestsrc pattern=solid-color foreground-color=0xff00ff00 num-buffers=1 ! \
         video/x-raw,width=320,height=180 ! videoconvert ! pngenc ! filesink location=\"{}\"",
        green.display()
    ))
    .unwrap();
    client
        .request(Command::Load {
            exhibit: "GREEN".into(),
            title: "an open exhibit".into(),
            path: green.display().to_string(),
            kind: "image".into(),
            restriction: "open".into(),
            pages: vec![],
            page: 1,
            captions: false,
        })
        .await
        .unwrap();
    loop {
        match rx.recv().await.unwrap() {
            ClientEvent::Playout(Event::Prerolled { exhibit, .. }) if exhibit == "GREEN" => break,
            ClientEvent::Playout(Event::Error {
                exhibit: Some(x),
                error,
                ..
            }) if x == "GREEN" => panic!("{}", error.message),
            _ => {}
        }
    }
    let refused = client
        .request(Command::Present {
            exhibit: "GREEN".into(),
            screens: vec!["witness".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        courtdeck_core::ErrorCode::ScreenMismatch,
        "{refused:?}"
    );
    assert!(is_red(&xvfb, hdmi2), "the bench still shows its exhibit");

    // 5. The bench's monitor is moved (its geometry changes): its window follows.
    let moved = mon("HDMI-2", 1920);
    watcher.allow(&[span(hdmi2), span(moved)]);
    // (This Xvfb refuses a SetMonitor over an existing monitor: the move is made as a delete and a set.)
    delete_monitors(&xvfb.display, &["HDMI-2"]).unwrap();
    set_monitors(&xvfb.display, &[moved]).unwrap();
    wait_until("red at the bench monitor's new place", || {
        is_red(&xvfb, moved)
    });
    watcher.allow(&[span(moved)]);
    wait_until("the old place black", || is_black(&xvfb, hdmi2));
    watcher.look(3);

    // 6. The bench's monitor is replaced by one with no EDID at all: that is not the bench (the bench
    //    is nowhere now; its own connector, HDMI-1, has the public monitor: a mismatch from the moment
    //    its monitor went) and it shows black.
    drain(&mut rx);
    drm.plug("HDMI-A-2", None).unwrap();
    delete_monitors(&xvfb.display, &["HDMI-2"]).unwrap();
    let s = next_screens(&mut rx, "the bench off its monitor", |s| {
        !screen(s, "bench").connected
    })
    .await;
    assert_eq!(screen(&s, "bench").showing, None);
    watcher.allow(&[]);
    std::fs::create_dir_all(drm.root.path().join("card0-HDMI-A-2")).unwrap();
    std::fs::write(drm.root.path().join("card0-HDMI-A-2/status"), "connected\n").unwrap();
    set_monitors(&xvfb.display, &[moved]).unwrap();
    wait_until("the EDID-less monitor black", || is_black(&xvfb, moved));
    watcher.look(3);
    let stats = client.request(Command::Stats).await.unwrap().unwrap();
    let bench = screen(&stats, "bench");
    assert!(!bench.connected && bench.mismatch.is_some(), "{bench:?}");
    assert_eq!(bench.showing, None);

    let (frames, red_frames, leaks) = watcher.finish();
    println!("hotplug: {frames} framebuffer readbacks, {red_frames} with the exhibit on the bench");
    assert!(frames >= 21, "the watcher read the screens back ({frames})");
    assert!(
        red_frames >= 5,
        "the watcher saw the exhibit when it was allowed"
    );
    assert!(
        leaks.is_empty(),
        "the exhibit showed where it may not: {leaks:#?}"
    );
    client.shutdown().await;
}

/// `courtdeck screens`: what the clerk copies into the config, and what the kiosk will do with it.
#[test]
fn courtdeck_screens_lists_identities_and_says_which_screen_has_the_wrong_monitor() {
    let work = courtdeck_testkit::work_dir();
    let drm = DrmTree::new().unwrap();
    let bench_edid = edid_block("DEL", 0xa09b, 0, Some("36WJX39H1UEL"), "DELL P2414H");
    let tv = edid_block("GSM", 0x5b09, 0, None, "LG TV");
    drm.plug("HDMI-A-1", Some(&bench_edid)).unwrap();
    drm.plug("HDMI-A-2", Some(&tv)).unwrap();
    let xvfb = Xvfb::start(1280, H, &[mon("HDMI-1", 0), mon("HDMI-2", 640)]).unwrap();
    std::fs::write(
        work.path().join("config.toml"),
        format!(
            "[screens]\nrequire_identity = true\ndrm_root = \"{}\"\n\
             [[screen]]\nid = \"bench\"\nlabel = \"BENCH\"\nrole = \"bench\"\nmonitor = \"HDMI-1\"\nidentity = \"DEL-A09B-36WJX39H1UEL\"\n\
             [[screen]]\nid = \"public\"\nlabel = \"PUBLIC\"\nrole = \"public_gallery\"\nmonitor = \"HDMI-2\"\nidentity = \"SAM-0E3B-01020304\"\n\
             [[screen]]\nid = \"witness\"\nlabel = \"WITNESS\"\nrole = \"witness\"\nmonitor = \"HDMI-3\"\n",
            drm.root.path().display()
        ),
    )
    .unwrap();
    let out = courtdeck_testkit::kiosk::courtdeck_cli(work.path())
        .args(["screens", "--json"])
        .env("DISPLAY", &xvfb.display)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let monitors = report["monitors"].as_array().unwrap();
    assert_eq!(monitors[0]["name"], "HDMI-1");
    assert_eq!(monitors[0]["identity"], "DEL-A09B-36WJX39H1UEL");
    assert_eq!(monitors[0]["model"], "DELL P2414H");
    assert_eq!(monitors[0]["unique"], true);
    assert_eq!(monitors[0]["screen"], "bench");
    let tv_id = courtdeck_core::Edid::parse(&tv)
        .unwrap()
        .identity()
        .to_string();
    assert_eq!(monitors[1]["identity"], tv_id.as_str());
    assert_eq!(
        monitors[1]["unique"], false,
        "no serial: only the model is told apart"
    );
    assert_eq!(monitors[1]["screen"], serde_json::Value::Null);
    let screens: Vec<(String, String)> = serde_json::from_value(report["screens"].clone()).unwrap();
    let says = |id: &str| &screens.iter().find(|(s, _)| s == id).unwrap().1;
    assert!(
        says("bench").contains("its identity matches"),
        "{screens:?}"
    );
    assert!(
        says("public").contains("WRONG MONITOR") && says("public").contains(&tv_id),
        "{screens:?}"
    );
    assert_eq!(says("witness"), "not connected");

    // The same, for a person.
    let out = courtdeck_testkit::kiosk::courtdeck_cli(work.path())
        .arg("screens")
        .env("DISPLAY", &xvfb.display)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(
        text.contains("identity = \"DEL-A09B-36WJX39H1UEL\""),
        "{text}"
    );
    assert!(text.contains("reports no serial"), "{text}");
    // Each monitor's maker, product code and serial, and whether its identity is unique and why.
    assert!(
        text.contains("maker DEL  product A09B  serial 36WJX39H1UEL"),
        "{text}"
    );
    assert!(
        text.contains("unique: yes") && text.contains("maker GSM  product 5B09  serial none"),
        "{text}"
    );
    assert!(
        text.contains("unique: no: it reports no serial")
            && text.contains(&format!(
                "pin it as: monitor = \"HDMI-2\"  identity = \"{tv_id}\""
            )),
        "{text}"
    );
    assert_eq!(monitors[1]["unique"], false);
    assert!(
        monitors[1]["not_unique_because"]
            .as_str()
            .is_some_and(|w| w.contains("no serial")),
        "{}",
        monitors[1]
    );
    assert_eq!(monitors[0]["serial"], "36WJX39H1UEL");
}
