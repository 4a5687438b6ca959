//! Evidence bags (issue 35): a bag of `files` H.264 recordings (incompressible noise, so the bytes
//! are what a camera's are) of about `mib` MiB in all, made by the Library of Congress's `bagit` tool
//! with SHA-256 and SHA-512. Timed as whole processes: `courtdeck import bag` (validate every byte,
//! probe each file, publish) against `bagit.py --validate` plus `sha256sum` of the payload, the
//! reference for "the validator and one hash"; then `courtdeck export bag` of the case against the
//! LoC tool making a bag of the same files.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

use crate::lists::{courtdeck_bin, timed};

pub(crate) fn bags_bench(dir: &Path, files: usize, mib: u64) -> Result<()> {
    let python = courtdeck_testkit::target_dir().join("../../.work/venv-tools/bin/python3");
    if !python.is_file() {
        bail!("{} is missing: run scripts/setup.sh", python.display());
    }
    let bag = dir.join("bench-bag");
    let staging = dir.join("bench-bag-files");
    std::fs::create_dir_all(&staging)?;
    // Seconds of 1920x1080 noise at a bitrate that gives `mib` MiB over all the files.
    let seconds = 4u64;
    let kbps = (mib * 8 * 1024 / (files as u64 * seconds)).max(200);
    for i in 0..files {
        let out = staging.join(format!("camera {i:02}.mp4"));
        let status = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .arg(format!("testsrc2=duration={seconds}:size=1920x1080:rate=25,noise=alls=100:allf=t+u:all_seed={i}"))
            .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
            .args(["-b:v", &format!("{kbps}k"), "-maxrate", &format!("{kbps}k"), "-bufsize", &format!("{}k", kbps * 2)])
            .arg(&out)
            .status()?;
        if !status.success() {
            bail!("ffmpeg failed making {}", out.display());
        }
    }
    let copy = |to: &Path| -> Result<()> {
        let status = Command::new("cp")
            .arg("-r")
            .arg(&staging)
            .arg(to)
            .status()?;
        if !status.success() {
            bail!("cp");
        }
        Ok(())
    };
    copy(&bag)?;
    let status = Command::new(&python)
        .args([
            "-m",
            "bagit",
            "--quiet",
            "--sha256",
            "--sha512",
            "--processes",
            "1",
            "--source-organization",
            "Bench Police",
            "--external-identifier",
            "01BP2600001",
        ])
        .arg(&bag)
        .status()?;
    if !status.success() {
        bail!("bagit.py failed to make the bag");
    }
    let bytes: u64 = std::fs::read_dir(bag.join("data"))?
        .map(|e| Ok(e?.metadata()?.len()))
        .sum::<Result<u64>>()?;
    println!(
        "\n## Evidence bags: {files} H.264 files, {:.1} MiB in all, SHA-256 and SHA-512 (bags made by bagit.py)",
        bytes as f64 / (1 << 20) as f64
    );
    let bin = courtdeck_bin()?;
    let times = dir.join("bag-time.txt");
    // Page cache warm for every command alike: read it once first.
    let mut warm = Command::new("cat");
    warm.args(std::fs::read_dir(bag.join("data"))?.map(|e| e.unwrap().path()));
    timed(&mut warm, &times)?;

    let mut c = Command::new(&bin);
    c.args(["import", "bag"])
        .arg(&bag)
        .arg("--store")
        .arg(dir.join("bag-store"))
        .env("XDG_STATE_HOME", dir.join("bag-state"))
        .env("XDG_CONFIG_HOME", dir.join("bag-config"))
        .env("COURTDECK_AUDIO_SINK", "fakesink");
    let (import_s, import_mb) = timed(&mut c, &times)?;
    let mut v = Command::new(&python);
    v.args(["-m", "bagit", "--validate", "--quiet", "--processes", "1"])
        .arg(&bag);
    let (validate_s, validate_mb) = timed(&mut v, &times)?;
    let mut h = Command::new("sha256sum");
    h.args(std::fs::read_dir(bag.join("data"))?.map(|e| e.unwrap().path()));
    let (sha_s, _) = timed(&mut h, &times)?;
    println!("| | wall, s | peak RSS, MiB | MiB/s |");
    println!("|---|---:|---:|---:|");
    let rate = |s: f64| bytes as f64 / (1 << 20) as f64 / s;
    println!(
        "| `courtdeck import bag` (validate SHA-256 + SHA-512, probe each file, publish: hash and copy) | {import_s:.2} | {import_mb:.1} | {:.0} |",
        rate(import_s)
    );
    println!(
        "| reference: `bagit.py --validate` (SHA-256 + SHA-512, one process) | {validate_s:.2} | {validate_mb:.1} | {:.0} |",
        rate(validate_s)
    );
    println!(
        "| reference: `sha256sum` of the payload | {sha_s:.2} | - | {:.0} |",
        rate(sha_s)
    );
    println!(
        "import / (bagit.py --validate + sha256sum): {:.2}x",
        import_s / (validate_s + sha_s)
    );

    let mut e = Command::new(&bin);
    e.args(["export", "bag", "--store"])
        .arg(dir.join("bag-store"))
        .args(["--case", "01BP2600001"])
        .arg(dir.join("bag-exported"))
        .env("XDG_STATE_HOME", dir.join("bag-state"))
        .env("XDG_CONFIG_HOME", dir.join("bag-config"));
    let (export_s, export_mb) = timed(&mut e, &times)?;
    copy(&dir.join("bag-by-tool"))?;
    let mut m = Command::new(&python);
    m.args([
        "-m",
        "bagit",
        "--quiet",
        "--sha256",
        "--sha512",
        "--processes",
        "1",
    ])
    .arg(dir.join("bag-by-tool"));
    let (make_s, make_mb) = timed(&mut m, &times)?;
    println!(
        "| `courtdeck export bag` (copy and check each blob, SHA-256 + SHA-512, validate the bag written) | {export_s:.2} | {export_mb:.1} | {:.0} |",
        rate(export_s)
    );
    println!(
        "| reference: `bagit.py --sha256 --sha512` making a bag of the same files in place | {make_s:.2} | {make_mb:.1} | {:.0} |",
        rate(make_s)
    );
    println!("export / bagit.py: {:.2}x", export_s / make_s);
    let mut check = Command::new(&python);
    check
        .args(["-m", "bagit", "--validate", "--quiet"])
        .arg(dir.join("bag-exported"));
    if !check.status()?.success() {
        bail!("bagit.py refuses the exported bag");
    }
    Ok(())
}
