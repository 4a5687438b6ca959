//! `courtdeck kiosk-session -- COMMAND…`: the kiosk unit's main process, between systemd and the X
//! session (`xinit`, the X server, the app).
//!
//! Why it exists: the unit opens a logind session (`PAMName=login`, so the X server runs without
//! root), and logind moves the session's processes out of the unit's control group into
//! `session-N.scope`. systemd accepts `sd_notify` messages only from the unit's control group or its
//! main process, so the app's `READY=1` and `WATCHDOG=1` were dropped (seen on systemd 252: the unit
//! stayed "activating" until `TimeoutStartSec` failed it, again and again). This process is the unit's
//! main process: it gives the session a notify socket of its own, forwards what the app says to
//! systemd, and ends the session when systemd stops the unit (`SIGTERM`, or the watchdog's `SIGABRT`).
//! What the session leaves behind (a hung app, daemons) logind kills as the session ends
//! (`KillUserProcesses=yes` for the courtdeck user, `/etc/systemd/logind.conf.d`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::UnixDatagram;
use tokio::signal::unix::{SignalKind, signal};

/// What the session may tell systemd. Not `MAINPID=` (the main process is this one), not file
/// descriptors, nothing that changes the unit's own settings.
const FORWARDED: &[&str] = &[
    "READY=",
    "WATCHDOG=",
    "STATUS=",
    "STOPPING=",
    "RELOADING=",
    "ERRNO=",
    "EXTEND_TIMEOUT_USEC=",
];

/// The variable that names the session's notify socket to `kiosk-client`, which gives it to the app
/// as `NOTIFY_SOCKET`.
const SESSION_NOTIFY_SOCKET: &str = "COURTDECK_NOTIFY_SOCKET";

/// How long the session has to end after it is told to, before it is killed.
const GRACE: Duration = Duration::from_secs(10);

pub(crate) async fn session(command: &[String]) -> anyhow::Result<ExitCode> {
    let (program, args) = command
        .split_first()
        .context("kiosk-session needs the command to run")?;
    let mut child = tokio::process::Command::new(program);
    child.args(args).kill_on_drop(false);

    // The session's notify socket, in a folder only this user can enter.
    let relay = match std::env::var_os("NOTIFY_SOCKET") {
        Some(_) => {
            let dir = relay_dir()?;
            let path = dir.join("notify");
            let socket = UnixDatagram::bind(&path).with_context(|| {
                format!("cannot make the session's notify socket {}", path.display())
            })?;
            // Not as NOTIFY_SOCKET: the X server and dbus-daemon send READY=1 of their own when they
            // find one (Xorg's came 18 s before the app's surface on a first boot, and started the
            // watchdog's clock with it). kiosk-client hands it to the app alone.
            child.env_remove("NOTIFY_SOCKET");
            child.env(SESSION_NOTIFY_SOCKET, &path);
            Some((dir, socket))
        }
        None => None,
    };
    // The watchdog is this process's (systemd names it); the app sends the pings it forwards.
    child.env_remove("WATCHDOG_PID");

    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigabrt = signal(SignalKind::from_raw(6))?;

    let mut child = child
        .spawn()
        .with_context(|| format!("cannot start {program}"))?;
    let pid = child.id();
    tracing::info!(?pid, "kiosk session started: {}", command.join(" "));

    let mut buf = vec![0u8; 4096];
    let ended = loop {
        tokio::select! {
            status = child.wait() => break Some(status?),
            received = recv(relay.as_ref().map(|(_, s)| s), &mut buf) => {
                let n = received?;
                forward(&String::from_utf8_lossy(&buf[..n]));
            }
            _ = sigterm.recv() => break None,
            _ = sigint.recv() => break None,
            _ = sighup.recv() => break None,
            _ = sigabrt.recv() => {
                tracing::warn!("systemd's watchdog fired: the app stopped answering; ending the session");
                break None;
            }
        }
    };
    let status = match ended {
        Some(status) => status,
        None => {
            // Told to stop: the session (xinit ends the X server and its client) gets GRACE, then
            // it is killed.
            if let Some(pid) = pid {
                terminate(pid);
            }
            match tokio::time::timeout(GRACE, child.wait()).await {
                Ok(status) => status?,
                Err(_) => {
                    tracing::warn!("the kiosk session did not end in {GRACE:?}: killing it");
                    child.kill().await?;
                    child.wait().await?
                }
            }
        }
    };
    if let Some((dir, _)) = relay {
        let _ = std::fs::remove_dir_all(dir);
    }
    tracing::info!(%status, "kiosk session ended");
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

async fn recv(socket: Option<&UnixDatagram>, buf: &mut [u8]) -> std::io::Result<usize> {
    match socket {
        Some(s) => s.recv(buf).await,
        None => std::future::pending().await,
    }
}

/// The lines of `message` systemd may hear from the session, sent as one message.
fn forwarded(message: &str) -> Option<String> {
    let lines: Vec<&str> = message
        .lines()
        .filter(|l| FORWARDED.iter().any(|k| l.starts_with(k)))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn forward(message: &str) {
    match forwarded(message) {
        Some(m) => {
            courtdeck_api::systemd::notify(&m);
        }
        None => tracing::warn!("not forwarded to systemd: {message:?}"),
    }
}

/// `$XDG_RUNTIME_DIR/courtdeck-kiosk-<pid>` (logind's per-user folder), or under the temporary
/// folder; mode 0700 either way.
fn relay_dir() -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt as _;
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("courtdeck-kiosk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot make {}", dir.display()))?;
    Ok(dir)
}

fn terminate(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a child's pid, which we have not reaped yet (so it is not reused).
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_s_readiness_and_pings_are_forwarded_and_nothing_that_rewires_the_unit() {
        assert_eq!(forwarded("READY=1").as_deref(), Some("READY=1"));
        assert_eq!(forwarded("WATCHDOG=1").as_deref(), Some("WATCHDOG=1"));
        assert_eq!(
            forwarded("READY=1\nSTATUS=on air\nMAINPID=7").as_deref(),
            Some("READY=1\nSTATUS=on air")
        );
        assert_eq!(forwarded("MAINPID=7"), None);
        assert_eq!(forwarded("FDSTORE=1"), None);
        assert_eq!(forwarded("WATCHDOG_USEC=1"), None);
    }
}
