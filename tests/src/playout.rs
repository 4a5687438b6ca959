//! Driving a real playout process in a test: waiting for its events, and polling the framebuffer
//! until what a screen shows holds (the X server draws asynchronously).

use std::time::{Duration, Instant};

use courtdeck_playout::client::ClientEvent;
use courtdeck_playout::protocol::Event;
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
