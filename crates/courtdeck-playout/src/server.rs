//! The playout process's main loop: stdin lines become `Msg::Request`s on the engine thread; events go
//! to stdout as JSON lines, one writer behind a mutex so lines never interleave.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::{Emit, Engine, Msg};
use crate::protocol::{Event, PROTOCOL_VERSION, Request};

const TICK: Duration = Duration::from_millis(250);

pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .init();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("playout failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    crate::x11::install_xlib_error_handler();
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let emit: Emit = Arc::new(move |event: Event| {
        let mut out = stdout.lock().expect("stdout");
        // If the supervisor is gone there is nobody to tell; the stdin hangup ends us.
        let _ = out.write_all(event.to_line().as_bytes());
        let _ = out.flush();
    });
    let (tx, rx) = mpsc::channel();
    let mut engine = Engine::new(emit.clone(), tx.clone())?;
    emit(Event::Hello {
        protocol_version: PROTOCOL_VERSION,
        pid: std::process::id(),
    });

    let reader_tx = tx.clone();
    let reader_emit = emit.clone();
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                let Ok(line) = line else { break };
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Request>(&line) {
                    Ok(req) => {
                        if reader_tx
                            .send(Msg::Request {
                                id: req.id,
                                command: req.command,
                            })
                            .is_err()
                        {
                            break;
                        }
                    }
                    Err(e) => reader_emit(Event::Error {
                        exhibit: None,
                        screen: None,
                        error: crate::protocol::WireError {
                            code: courtdeck_core::ErrorCode::Internal.as_str().into(),
                            message: format!("unreadable request: {e}"),
                        },
                    }),
                }
            }
            let _ = reader_tx.send(Msg::Hangup);
        })?;

    // Position ticks run on a deadline, not on idleness, so a busy bus cannot starve them.
    let mut next_tick = std::time::Instant::now() + TICK;
    loop {
        let now = std::time::Instant::now();
        if now >= next_tick {
            // Checked before receiving, so a queue that is never empty cannot starve the ticks.
            next_tick = now + TICK;
            if !engine.handle(Msg::Tick) {
                break;
            }
            continue;
        }
        let msg = match rx.recv_timeout(next_tick - now) {
            Ok(m) => m,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                next_tick += TICK;
                Msg::Tick
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if !engine.handle(msg) {
            break;
        }
    }
    engine.shutdown();
    Ok(())
}
