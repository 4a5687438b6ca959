//! A laptop casting over SRT, played by ffmpeg (a sender nobody here wrote, as OBS and VLC are
//! not): a solid colour and a tone, H.264 and AAC in MPEG-TS, calling the kiosk's listener.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::helper::Helper;

/// The passphrase the tests give a live source (in `test-secrets.txt`: it must never reach a log).
pub const PASSPHRASE: &str = "srt-pass-3b7e91d0-never-log-me";

/// ffmpeg calling `127.0.0.1:port` with `colour` (an ffmpeg colour name), encrypted with
/// `passphrase` (passed as an option, never in the URL, which ffmpeg prints). It runs until
/// stopped (SIGINT: it hangs up cleanly; SIGKILL: the caller vanishes).
pub fn ffmpeg_sender(port: u16, colour: &str, passphrase: Option<&str>) -> anyhow::Result<Helper> {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "warning", "-nostdin", "-re"])
        .args(["-f", "lavfi", "-i"])
        .arg(format!("color=c={colour}:size=640x360:rate=30"))
        .args(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
        ])
        .args(["-g", "30", "-bf", "0", "-pix_fmt", "yuv420p", "-b:v", "1M"])
        .args([
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-muxdelay",
            "0",
            "-muxpreload",
            "0",
        ])
        .args(["-f", "mpegts"]);
    if let Some(p) = passphrase {
        cmd.args(["-passphrase", p, "-pbkeylen", "16"]);
    }
    cmd.args(["-latency", "120000"])
        .arg(format!("srt://127.0.0.1:{port}?mode=caller"));
    Helper::spawn("ffmpeg-srt-sender", cmd).context("starting ffmpeg (apt-get install ffmpeg)")
}

/// Waits (up to 20 s) until something listens on UDP `port` on this machine (`/proc/net/udp`): a
/// caller started before the listener exists would give up.
pub fn wait_udp_listening(port: u16) -> anyhow::Result<()> {
    let want = format!(":{port:04X} ");
    let started = Instant::now();
    loop {
        let table = std::fs::read_to_string("/proc/net/udp")?;
        if table.lines().skip(1).any(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|local| format!("{local} ").ends_with(&want))
        }) {
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(20),
            "nothing listens on UDP port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
