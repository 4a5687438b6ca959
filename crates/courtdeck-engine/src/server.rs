//! The playout process's main loop: stdin lines become `Msg::Request`s on the engine thread; events go
//! to stdout as JSON lines, one writer behind a mutex so lines never interleave.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::{Emit, Engine, Msg};
use crate::protocol::{ConfinementStatus, Event, PROTOCOL_VERSION, Request};
use gstreamer as gst;

const TICK: Duration = Duration::from_millis(250);

pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => run(),
        ["monitors"] => print_json(crate::x11::Display::connect().and_then(|d| d.monitors())),
        ["demo-media", dir] => print_json(crate::fixtures::demo_media(std::path::Path::new(dir))),
        ["confine-check", rest @ ..] => print_json(confine_check(rest)),
        _ => Err(anyhow::anyhow!(
            "usage: courtdeck-playout (the playout process, speaking the protocol on stdin/stdout) \
             | courtdeck-playout monitors | courtdeck-playout demo-media DIR \
             | courtdeck-playout confine-check [--connect PORT] PATH…"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("playout failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A tool mode's answer: one JSON document on stdout.
fn print_json<T: serde::Serialize>(value: anyhow::Result<T>) -> anyhow::Result<()> {
    let line = serde_json::to_string(&value?)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

/// Without `COURTDECK_MEMORY_LIMIT_MB` (the supervisor passes `[playout] memory_limit_mb`).
const DEFAULT_MEMORY_LIMIT_MB: u64 = 6144;

/// Caps this process's address space (RLIMIT_AS): an exhibit that would take more makes an allocation
/// fail here (GStreamer then aborts this process, which the supervisor restarts), so no exhibit can
/// take the kiosk's memory. `0` for no limit.
fn limit_memory() {
    let mb = std::env::var("COURTDECK_MEMORY_LIMIT_MB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(DEFAULT_MEMORY_LIMIT_MB);
    if mb == 0 {
        return;
    }
    let bytes = mb.saturating_mul(1024 * 1024);
    let limit = rustix::process::Rlimit {
        current: Some(bytes),
        maximum: Some(bytes),
    };
    match rustix::process::setrlimit(rustix::process::Resource::As, limit) {
        Ok(()) => tracing::debug!(mb, "memory limit set"),
        Err(e) => tracing::warn!(mb, "memory limit not set: {e}"),
    }
}

fn run() -> anyhow::Result<()> {
    limit_memory();
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let emit: Emit = Arc::new(move |event: Event| {
        let mut out = stdout.lock().expect("stdout");
        // If the supervisor is gone there is nobody to tell; the stdin hangup ends us.
        let _ = out.write_all(event.to_line().as_bytes());
        let _ = out.flush();
    });
    // GStreamer reads (and may rebuild) its plugin registry before the process is confined; nothing
    // is decoded before it is.
    gst::init()?;
    crate::media::prepare_registry();
    let confinement = crate::confine::apply(&crate::confine::policy_from_env()?)?;
    let hello = |confinement| Event::Hello {
        protocol_version: PROTOCOL_VERSION,
        pid: std::process::id(),
        confinement,
    };
    if confinement.status == ConfinementStatus::Refused {
        let why = confinement.detail.clone();
        emit(hello(confinement));
        anyhow::bail!("not confined, so not started: {why}");
    }
    tracing::info!(status = ?confinement.status, "{}", confinement.detail);
    crate::x11::install_xlib_error_handler();
    let (tx, rx) = mpsc::channel();
    let mut engine = Engine::new(emit.clone(), tx.clone())?;
    emit(hello(confinement));

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

/// What this process can open once confined as the app would confine it (`CONFINE_ENV`): each path
/// opened for reading and for appending (nothing is written), a program run, and with `--connect
/// PORT` a TCP connection to it on this machine. The tests' way to show what a decoder exploit
/// could not reach; it decodes nothing.
fn confine_check(args: &[&str]) -> anyhow::Result<serde_json::Value> {
    let (port, paths) = match args {
        ["--connect", port, rest @ ..] => (Some(port.parse::<u16>()?), rest),
        rest => (None, rest),
    };
    gst::init()?;
    let confinement = crate::confine::apply(&crate::confine::policy_from_env()?)?;
    let outcome = |r: std::io::Result<()>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => match e.raw_os_error() {
            Some(13) => "EACCES".to_owned(),
            Some(1) => "EPERM".to_owned(),
            Some(2) => "ENOENT".to_owned(),
            Some(111) => "ECONNREFUSED".to_owned(),
            _ => e.to_string(),
        },
    };
    let opened: Vec<serde_json::Value> = paths
        .iter()
        .map(|p| {
            serde_json::json!({
                "path": p,
                "read": outcome(std::fs::File::open(p).map(drop)),
                "write": outcome(std::fs::OpenOptions::new().append(true).open(p).map(drop)),
            })
        })
        .collect();
    let exec = outcome(std::process::Command::new("/bin/true").status().map(drop));
    let connect =
        port.map(|port| outcome(std::net::TcpStream::connect(("127.0.0.1", port)).map(drop)));
    Ok(serde_json::json!({
        "confinement": confinement,
        "paths": opened,
        "exec": exec,
        "connect": connect,
    }))
}
