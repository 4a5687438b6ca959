//! Helper processes a test starts (Xvfb, tauri-driver and what it starts, nginx, SeaweedFS, dbus,
//! gnome-keyring): the one way the testkit starts them.
//!
//! - Each runs in a process group of its own, and is stopped as a group: whatever it started (tauri-driver's
//!   WebKitWebDriver and the app, the app's playout) goes with it, on drop and on panic.
//! - Its stdout and stderr go to a log file, never to the test's own output: a leftover child that held
//!   the test's pipe open kept `cargo test | tee` waiting forever (a failed e2e run hung the suite).
//!   A test that panics while a helper runs prints the helper's last lines.
//! - `scripts/test.sh` names (and stops) any process of the run that is still there after its test
//!   binary ended: a helper that escapes its group (a daemon that calls `setsid`) is found there.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rustix::process::{Pid, Signal, kill_process_group};

/// How long a helper is given to end after SIGTERM before its group is killed.
const GRACE: Duration = Duration::from_secs(5);

/// A process a test started, in its own process group, logging to a file.
#[derive(Debug)]
pub struct Helper {
    name: String,
    child: Child,
    log: PathBuf,
    stopped: bool,
}

/// What a helper's stdout is: its log, or a pipe the caller set (a server that says on stdout when
/// it is ready: Xvfb's display number, dbus-daemon's address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdout {
    Log,
    AsSet,
}

impl Helper {
    /// Starts `cmd` as `name`: its own process group, stdout and stderr to its log.
    pub fn spawn(name: &str, cmd: Command) -> Result<Helper> {
        Helper::spawn_with(name, cmd, Stdout::Log)
    }

    /// As `spawn`, with the stdout the caller chose.
    pub fn spawn_with(name: &str, cmd: Command, stdout: Stdout) -> Result<Helper> {
        Helper::start(name, cmd, stdout, log_path(name)?)
    }

    /// As `spawn`, logging to `log` (a server whose log holds what the suite's secrets check must
    /// not search: SeaweedFS's, which reads the test identity's secret from its config).
    pub fn spawn_logging_to(name: &str, cmd: Command, log: PathBuf) -> Result<Helper> {
        Helper::start(name, cmd, Stdout::Log, log)
    }

    fn start(name: &str, mut cmd: Command, stdout: Stdout, log: PathBuf) -> Result<Helper> {
        use std::os::unix::process::CommandExt as _;
        let file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        if stdout == Stdout::Log {
            cmd.stdout(file.try_clone()?);
        }
        cmd.stderr(file).process_group(0);
        let child = cmd.spawn().with_context(|| {
            format!("starting {name} ({})", cmd.get_program().to_string_lossy())
        })?;
        Ok(Helper {
            name: name.to_owned(),
            child,
            log,
            stopped: false,
        })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// What the helper (and everything it started) wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last `n` lines of its log, headed by its name (for a failure's message).
    pub fn log_tail(&self, n: usize) -> String {
        let text = self.log();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "--- {} ({}), last {} lines ---\n{}",
            self.name,
            self.log.display(),
            n.min(lines.len()),
            lines[lines.len().saturating_sub(n)..].join("\n")
        )
    }

    /// Its exit status, if it has ended.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends `signal` to the helper's whole group.
    pub fn signal_group(&self, signal: Signal) {
        if let Some(pid) = Pid::from_raw(self.child.id() as i32) {
            let _ = kill_process_group(pid, signal);
        }
    }

    /// Waits up to `timeout` for the helper itself to end.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_wait() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the helper and its group: `signal` (SIGTERM, or a server's own graceful one), up to 5 s
    /// for the helper to end, then SIGKILL to whatever of the group is left. Idempotent.
    pub fn stop_with(&mut self, signal: Signal) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if self.try_wait().is_none() {
            self.signal_group(signal);
            let _ = self.wait_timeout(GRACE);
        }
        // The group outlives its leader while any member is left (WebKitWebDriver, the app).
        self.signal_group(Signal::KILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stop(&mut self) {
        self.stop_with(Signal::TERM);
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail(40));
        }
        self.stop();
    }
}

/// A fresh log file for a helper: under `$COURTDECK_TEST_ARTIFACTS/helpers` when set (kept, and
/// searched by the suite's secrets check), else under the target folder.
fn log_path(name: &str) -> Result<PathBuf> {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = match std::env::var_os("COURTDECK_TEST_ARTIFACTS") {
        Some(root) => PathBuf::from(root).join("helpers"),
        None => crate::target_dir().join("helper-logs"),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Ok(dir.join(format!(
        "{safe}-{}-{}.log",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helper_and_what_it_started_are_stopped_together() {
        // A shell that starts a grandchild and waits: the grandchild is in the helper's group.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 300 & echo started $!; wait"]);
        let mut h = Helper::spawn("group-test", cmd).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let grandchild: i32 = loop {
            if let Some(pid) = h.log().strip_prefix("started ") {
                break pid.trim().parse().unwrap();
            }
            assert!(Instant::now() < deadline, "the shell never said started");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(Path::new(&format!("/proc/{grandchild}")).exists());
        h.stop();
        // Reaped by init (or a subreaper) soon after the kill; a zombie has no cmdline.
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read(format!("/proc/{grandchild}/cmdline")).is_ok_and(|c| !c.is_empty()) {
            assert!(
                Instant::now() < deadline,
                "the grandchild outlived its helper"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
