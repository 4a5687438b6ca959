//! Driving a real playout process in a test (the one harness for it): starting it on headless
//! screens, loading and showing exhibits, playing a file to its end, waiting for its events, and
//! polling the framebuffer until what a screen shows holds (the X server draws asynchronously).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use courtdeck_playout::client::{ClientEvent, PlayoutClient};
use courtdeck_playout::protocol::{Command, ConfinePolicy, Event, OutputSpec};
use tokio::sync::broadcast::Receiver;

use crate::{Mon, Xvfb};

/// The first event `f` picks out, within 60 s. A burst of thumbnails or levels that overruns a slow
/// test is skipped, not failed.
pub async fn wait_for<T>(
    rx: &mut Receiver<ClientEvent>,
    mut f: impl FnMut(&ClientEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    if let Some(t) = f(&ev) {
                        return t;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event stream: {e}"),
            }
        }
    })
    .await
    .expect("the awaited event arrived within 60 s")
}

/// Waits for `exhibit` to preroll; its failure fails the test.
pub async fn prerolled(rx: &mut Receiver<ClientEvent>, exhibit: &str) {
    wait_for(rx, |e| match e {
        ClientEvent::Playout(Event::Prerolled { exhibit: x, .. }) if x == exhibit => Some(()),
        ClientEvent::Playout(Event::Error {
            exhibit: Some(x),
            error,
            ..
        }) if x == exhibit => panic!("{exhibit} failed: {}", error.message),
        _ => None,
    })
    .await;
}

/// Polls `check` until it holds; panics with `describe` after 20 s. Returns how long it took.
pub fn wait_screen(
    what: &str,
    mut check: impl FnMut() -> bool,
    describe: impl Fn() -> String,
) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what} did not happen: {}",
            describe()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    started.elapsed()
}

/// Whether all of `m` is black.
pub fn is_black(xvfb: &Xvfb, m: Mon) -> bool {
    xvfb.grab(m.x, m.y, m.w, m.h).expect("grab").max_channel() <= 8
}

/// What happened to one file.
#[derive(Debug)]
pub enum Outcome {
    /// Prerolled, reached every screen, played to its end (stills: kept coming); the warnings raised.
    Played {
        frames: Vec<(String, u64)>,
        warnings: Vec<String>,
        ended: bool,
    },
    /// Refused with this error code and message.
    Refused { code: String, message: String },
    /// Neither: no preroll and no error (a hang), or the process went away.
    Hung(String),
}

/// Loads `path` as `exhibit`, presents it on `screens`, plays it and waits for its end (a still is
/// watched for `still_for`). Withdraws it afterwards.
pub async fn play_to_end(
    client: &PlayoutClient,
    exhibit: &str,
    path: &Path,
    kind: &str,
    screens: &[&str],
    end_within: Duration,
) -> Outcome {
    let mut rx = client.subscribe();
    let before = client
        .request(Command::Stats)
        .await
        .unwrap()
        .unwrap_or_default();
    if let Err(e) = client
        .request(Command::Load {
            exhibit: exhibit.into(),
            title: exhibit.into(),
            path: path.display().to_string(),
            kind: kind.into(),
            restriction: "open".into(),
            pages: vec![],
            page: 1,
            captions: false,
        })
        .await
    {
        return Outcome::Refused {
            code: e.code.as_str().into(),
            message: e.message,
        };
    }
    let prerolled = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match rx.recv().await {
                Ok(ClientEvent::Playout(Event::Prerolled { exhibit: x, .. })) if x == exhibit => {
                    return Ok(());
                }
                Ok(ClientEvent::Playout(Event::Error {
                    exhibit: Some(x),
                    error,
                    ..
                })) if x == exhibit => {
                    return Err(Outcome::Refused {
                        code: error.code,
                        message: error.message,
                    });
                }
                Ok(ClientEvent::Restarting { reason }) => return Err(Outcome::Hung(reason)),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => return Err(Outcome::Hung(e.to_string())),
            }
        }
    })
    .await
    .unwrap_or_else(|_| Err(Outcome::Hung("no preroll and no error within 30 s".into())));
    if let Err(outcome) = prerolled {
        return outcome;
    }
    client
        .request(Command::Present {
            exhibit: exhibit.into(),
            screens: screens.iter().map(|s| s.to_string()).collect(),
        })
        .await
        .unwrap();
    client.request(Command::Play).await.unwrap();
    let mut warnings = Vec::new();
    let mut ended = false;
    let deadline = if kind == "image" {
        Duration::from_millis(700)
    } else {
        end_within
    };
    let _ = tokio::time::timeout(deadline, async {
        loop {
            match rx.recv().await {
                Ok(ClientEvent::Playout(Event::Eos { exhibit: x })) if x == exhibit => {
                    ended = true;
                    return;
                }
                Ok(ClientEvent::Playout(Event::Warning { exhibit: x, error })) if x == exhibit => {
                    warnings.push(error.message);
                }
                Ok(ClientEvent::Playout(Event::Error {
                    exhibit: Some(x),
                    error,
                    ..
                })) if x == exhibit => {
                    warnings.push(format!("error: {}", error.message));
                    return;
                }
                Ok(ClientEvent::Restarting { reason }) => {
                    warnings.push(format!("the playout process died: {reason}"));
                    return;
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    })
    .await;
    let after = client.request(Command::Stats).await;
    let frames = match after {
        Ok(Some(after)) => before
            .iter()
            .zip(after.iter())
            .map(|(b, a)| (a.screen.clone(), a.frames - b.frames))
            .collect(),
        _ => Vec::new(),
    };
    let _ = client.request(Command::Withdraw).await;
    Outcome::Played {
        frames,
        warnings,
        ended,
    }
}

// The harness of the process tests: start a playout process with headless screens, wait for its
// events, load and show an exhibit.

pub fn headless(id: &str, role: &str) -> OutputSpec {
    OutputSpec::headless(id, role)
}

/// The playout binary the workspace built (`cargo build --workspace --bins`).
pub fn exe() -> PathBuf {
    crate::target_dir().join("courtdeck-playout")
}

/// The confinement the tests' playout processes run under (`COURTDECK_CONFINE`): they may read the
/// tests' scratch folders (the temp folder, the shared demo media, the kept artifacts) as a kiosk's
/// reads its verified cache, and nothing else of the machine's beyond the system's files.
pub fn test_policy() -> ConfinePolicy {
    let mut read = vec![
        std::env::temp_dir(),
        crate::target_dir().join("../tmp"),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"),
    ];
    read.extend(std::env::var_os("COURTDECK_TEST_ARTIFACTS").map(PathBuf::from));
    ConfinePolicy::reading(
        read.into_iter()
            .map(|p| p.canonicalize().unwrap_or(p))
            .collect::<Vec<_>>(),
    )
}

/// `env` and the tests' confinement (`test_policy`).
pub fn confined(mut env: Vec<(String, String)>) -> Vec<(String, String)> {
    env.push(test_policy().env());
    env
}

pub fn audio_sink(description: &str) -> Vec<(String, String)> {
    vec![("COURTDECK_AUDIO_SINK".into(), description.into())]
}

/// Windows for BENCH, WITNESS and PUBLIC (roles bench, witness, public gallery), on monitors of
/// those names.
pub fn bench_witness_public() -> Vec<OutputSpec> {
    vec![
        OutputSpec::window("bench", "bench", "BENCH"),
        OutputSpec::window("witness", "witness", "WITNESS"),
        OutputSpec::window("public", "public_gallery", "PUBLIC"),
    ]
}

/// A playout process with `screens` on `xvfb`'s display (window screens on its monitors), its sound
/// to a fakesink. The binary beside the caller's (`locate_playout_binary`: the release benchmark gets
/// the release playout).
pub async fn playout_on(
    xvfb: &Xvfb,
    screens: Vec<OutputSpec>,
) -> Result<PlayoutClient, courtdeck_playout::client::ClientError> {
    playout_on_reading(xvfb, screens, test_policy()).await
}

/// As `playout_on`, confined to `policy` (a benchmark reads its own work folder).
pub async fn playout_on_reading(
    xvfb: &Xvfb,
    screens: Vec<OutputSpec>,
    policy: ConfinePolicy,
) -> Result<PlayoutClient, courtdeck_playout::client::ClientError> {
    PlayoutClient::start_with(
        courtdeck_playout::client::locate_playout_binary()?,
        screens,
        vec![
            ("DISPLAY".into(), xvfb.display.clone()),
            ("COURTDECK_AUDIO_SINK".into(), "fakesink sync=true".into()),
            policy.env(),
        ],
    )
    .await
}

pub async fn start() -> PlayoutClient {
    PlayoutClient::start_with(
        exe(),
        vec![
            headless("bench", "bench"),
            headless("public", "public_gallery"),
        ],
        confined(audio_sink("fakesink sync=true")),
    )
    .await
    .unwrap()
}

/// Waits for the error event about `exhibit`.
pub async fn wait_for_error(
    rx: &mut Receiver<ClientEvent>,
    exhibit: &str,
) -> courtdeck_playout::protocol::WireError {
    wait_for(rx, |e| match e {
        ClientEvent::Playout(Event::Error {
            exhibit: Some(x),
            error,
            ..
        }) if x == exhibit => Some(error.clone()),
        _ => None,
    })
    .await
}

pub fn media() -> (tempfile::TempDir, Vec<courtdeck_engine::fixtures::DemoFile>) {
    // Generated once and shared by the tests; the temp dir is scratch space for broken copies.
    let shared = crate::target_dir().join("../tmp/demo-media");
    let files = courtdeck_engine::fixtures::demo_media(&shared).unwrap();
    (tempfile::tempdir().unwrap(), files)
}

pub fn load(exhibit: &str, path: &std::path::Path, kind: &str, restriction: &str) -> Command {
    Command::Load {
        exhibit: exhibit.into(),
        title: format!("exhibit {exhibit}"),
        path: path.display().to_string(),
        kind: kind.into(),
        restriction: restriction.into(),
        pages: vec![],
        page: 1,
        captions: false,
    }
}

/// Loads `exhibit`, waits for its first frame (its failure fails the test) and presents it on
/// `screens`.
pub async fn show(
    client: &PlayoutClient,
    rx: &mut Receiver<ClientEvent>,
    exhibit: &str,
    path: &std::path::Path,
    kind: &str,
    screens: &[&str],
) {
    client
        .request(load(exhibit, path, kind, "open"))
        .await
        .unwrap();
    prerolled(rx, exhibit).await;
    client
        .request(Command::Present {
            exhibit: exhibit.into(),
            screens: screens.iter().map(|s| s.to_string()).collect(),
        })
        .await
        .unwrap();
}
