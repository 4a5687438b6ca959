//! The kiosk under systemd (`Type=notify`, `WatchdogSec=`): `READY=1` when the control surface is up,
//! `WATCHDOG=1` while it answers, so a hung app is restarted by systemd as a crashed one is.
//!
//! The protocol is one datagram per message to the socket named by `$NOTIFY_SOCKET` (a path, or an
//! abstract name starting with `@`). Without it (a desk, the tests' own runs) these do nothing.

use std::time::Duration;

/// Sends `state` (`READY=1`, `WATCHDOG=1`, `STATUS=…`) to systemd. Returns whether it was sent: false
/// when not run by systemd, or when the socket is gone (logged once per call, never fatal).
pub fn notify(state: &str) -> bool {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return false;
    };
    match send(&socket.to_string_lossy(), state) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!("cannot tell systemd {state}: {e}");
            false
        }
    }
}

fn send(socket: &str, state: &str) -> std::io::Result<()> {
    use std::os::unix::net::{SocketAddr, UnixDatagram};
    let sock = UnixDatagram::unbound()?;
    let addr = match socket.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt as _;
            SocketAddr::from_abstract_name(name.as_bytes())?
        }
        None => SocketAddr::from_pathname(socket)?,
    };
    sock.send_to_addr(state.as_bytes(), &addr)?;
    Ok(())
}

/// How often systemd wants `WATCHDOG=1` (half its `WatchdogSec=`, as sd_watchdog_enabled advises);
/// `None` when it does not watch this process.
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Some(pid) = std::env::var("WATCHDOG_PID").ok()
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_a_path_socket_and_an_abstract_one() {
        use std::os::unix::net::UnixDatagram;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        send(path.to_str().unwrap(), "READY=1").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");

        use std::os::linux::net::SocketAddrExt as _;
        let name = format!("courtdeck-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let abstract_listener = UnixDatagram::bind_addr(&addr).unwrap();
        send(&format!("@{name}"), "WATCHDOG=1").unwrap();
        let n = abstract_listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");

        assert!(send(dir.path().join("gone").to_str().unwrap(), "READY=1").is_err());
    }
}
