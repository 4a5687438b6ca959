//! An independent test corpus: media written by ffmpeg (and by hand, byte for byte), not by the
//! GStreamer library that plays it. Real exports come from DVRs, phones and interview suites; media made
//! only by GStreamer's own muxers hides the bugs they show. Nothing binary is committed: every file is
//! generated into a folder the caller names (skipping files that exist).
//!
//! Needs `ffmpeg` on the PATH (Debian's package, installed by `scripts/setup-system.sh`); AMR audio is
//! encoded with GStreamer's `amrnbenc` because Debian's ffmpeg has no AMR encoder, then muxed by ffmpeg.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use courtdeck_engine::fixtures::{Patch, encode, make_once};

use crate::formats::set_mp4_rotation_90;

/// What a kiosk must do with a corpus file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Plays to its end on every screen, with no warning.
    Plays,
    /// Refused before or at preroll with this error code, and a message containing these words.
    Refused {
        code: &'static str,
        words: &'static str,
    },
}

/// One file of the corpus.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    pub name: &'static str,
    /// The exhibit kind a manifest would declare.
    pub kind: &'static str,
    pub path: PathBuf,
    pub expect: Expect,
    /// Files that stalled after their first frame in earlier versions (issue 12): played repeatedly.
    pub stall_prone: bool,
}

/// How long each generated recording lasts, in seconds.
pub const SECONDS: u32 = 2;

/// Runs ffmpeg with `args`, writing `out` (the last argument).
pub fn ffmpeg(args: &[&str], out: &Path) -> Result<()> {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .context("running ffmpeg (install Debian's ffmpeg package: scripts/setup-system.sh)")?;
    if !status.success() {
        bail!("ffmpeg {} failed: {status}", args.join(" "));
    }
    Ok(())
}

/// A lavfi test picture of `size` at `rate` for the corpus's length.
fn picture(size: &str, rate: u32) -> String {
    format!("testsrc2=size={size}:rate={rate}:duration={SECONDS}")
}

fn tone(rate: u32) -> String {
    format!("sine=frequency=440:sample_rate={rate}:duration={SECONDS}")
}

/// Runs ffmpeg with a lavfi picture and a lavfi tone as inputs 0 and 1, then `codec_args`.
fn av(video: &str, audio: &str, codec_args: &[&str], out: &Path) -> Result<()> {
    let mut args = vec!["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio];
    args.extend_from_slice(codec_args);
    ffmpeg(&args, out)
}

/// A picture only.
fn v(video: &str, codec_args: &[&str], out: &Path) -> Result<()> {
    let mut args = vec!["-f", "lavfi", "-i", video];
    args.extend_from_slice(codec_args);
    ffmpeg(&args, out)
}

/// A tone only.
fn a(audio: &str, codec_args: &[&str], out: &Path) -> Result<()> {
    let mut args = vec!["-f", "lavfi", "-i", audio];
    args.extend_from_slice(codec_args);
    ffmpeg(&args, out)
}

/// AMR-NB frames (8 kHz mono) with the `#!AMR\n` header: a `.amr` call recording.
fn amr(out: &Path) -> Result<()> {
    let raw = out.with_extension("amrnb");
    encode(&format!(
        "audiotestsrc wave=sine freq=440 samplesperbuffer=160 num-buffers={n} ! \
         audio/x-raw,rate=8000,channels=1 ! amrnbenc ! filesink location=\"{}\"",
        raw.display(),
        n = SECONDS * 50
    ))?;
    let mut bytes = b"#!AMR\n".to_vec();
    bytes.extend(std::fs::read(&raw)?);
    std::fs::remove_file(&raw)?;
    std::fs::write(out, bytes)?;
    Ok(())
}

/// Writes one corpus file into the path it is given.
type Make<'a> = Box<dyn FnOnce(&Path) -> Result<()> + 'a>;
/// One corpus file to make: name, kind, what a kiosk must do, stall-prone, a patch, how to make it.
type Job<'a> = (
    &'static str,
    &'static str,
    Expect,
    bool,
    Option<Patch>,
    Make<'a>,
);

/// Generates the corpus into `dir`.
pub fn ffmpeg_corpus(dir: &Path) -> Result<Vec<CorpusFile>> {
    std::fs::create_dir_all(dir)?;
    let amr_file = make_once(dir, "call.amr", None, amr)?;
    let amr_in = amr_file.display().to_string();
    let pal = picture("720x576", 25);
    let qcif = picture("176x144", 15);
    let small = picture("320x240", 25);
    let hd = picture("1280x720", 25);
    let t48 = tone(48000);
    let t44 = tone(44100);
    let t8 = tone(8000);

    let plays = Expect::Plays;
    let mut jobs: Vec<Job> = vec![
        // DVR export: a raw Annex-B H.264 elementary stream, no container, no timestamps.
        (
            "dvr.h264",
            "video",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                v(
                    &pal,
                    &[
                        "-c:v",
                        "libx264",
                        "-preset",
                        "ultrafast",
                        "-pix_fmt",
                        "yuv420p",
                        "-f",
                        "h264",
                    ],
                    o,
                )
            }),
        ),
        // A DV camcorder's AVI with PCM sound.
        (
            "camcorder-dv.avi",
            "video",
            plays.clone(),
            true,
            None,
            Box::new(|o: &Path| {
                av(
                    &pal,
                    &t48,
                    &[
                        "-c:v",
                        "dvvideo",
                        "-pix_fmt",
                        "yuv420p",
                        "-c:a",
                        "pcm_s16le",
                        "-ac",
                        "2",
                    ],
                    o,
                )
            }),
        ),
        // MPEG-4 Part 2 (Xvid) AVI with MP3: older CCTV and interview exports.
        (
            "xvid-mp3.avi",
            "video",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                av(
                    &small,
                    &t44,
                    &[
                        "-c:v",
                        "mpeg4",
                        "-vtag",
                        "XVID",
                        "-q:v",
                        "5",
                        "-c:a",
                        "libmp3lame",
                        "-b:a",
                        "64k",
                    ],
                    o,
                )
            }),
        ),
        // An old phone: H.263 video, AMR-NB sound, in 3GP.
        (
            "old-phone.3gp",
            "video",
            plays.clone(),
            true,
            None,
            Box::new(|o: &Path| {
                ffmpeg(
                    &[
                        "-f",
                        "lavfi",
                        "-i",
                        &qcif,
                        "-i",
                        &amr_in,
                        "-c:v",
                        "h263",
                        "-c:a",
                        "copy",
                        "-shortest",
                    ],
                    o,
                )
            }),
        ),
        // DVD-style interlaced MPEG-2 with AC-3, in a VOB.
        (
            "interlaced-mpeg2-ac3.vob",
            "video",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                av(
                    &pal,
                    &t48,
                    &[
                        "-c:v",
                        "mpeg2video",
                        "-flags",
                        "+ilme+ildct",
                        "-top",
                        "1",
                        "-b:v",
                        "4M",
                        "-c:a",
                        "ac3",
                        "-b:a",
                        "192k",
                        "-f",
                        "vob",
                    ],
                    o,
                )
            }),
        ),
        // A phone held upright: HEVC in MOV whose track matrix says "rotate 90°".
        (
            "phone-hevc-rotated.mov",
            "video",
            plays.clone(),
            false,
            Some(set_mp4_rotation_90 as Patch),
            Box::new(|o: &Path| {
                v(
                    &small,
                    &[
                        "-c:v",
                        "libx265",
                        "-preset",
                        "ultrafast",
                        "-x265-params",
                        "log-level=error",
                        "-tag:v",
                        "hvc1",
                        "-pix_fmt",
                        "yuv420p",
                    ],
                    o,
                )
            }),
        ),
        // Windows Media video and sound in one ASF, as ffmpeg (not asfmux) writes it.
        (
            "interview-wmv2-wma.wmv",
            "video",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                av(
                    &small,
                    &t44,
                    &["-c:v", "wmv2", "-b:v", "1M", "-c:a", "wmav2", "-b:a", "64k"],
                    o,
                )
            }),
        ),
        // Variable frame rate: six frames, then a 200 ms hold, again and again (phones do this).
        (
            "vfr.mp4",
            "video",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                v(
                    &small,
                    &[
                        "-vf",
                        "select='lt(mod(n\\,10)\\,6)'",
                        "-fps_mode",
                        "vfr",
                        "-c:v",
                        "libx264",
                        "-preset",
                        "ultrafast",
                        "-pix_fmt",
                        "yuv420p",
                    ],
                    o,
                )
            }),
        ),
        // 10-bit H.264 (High 10), in Matroska.
        (
            "h264-10bit.mkv",
            "video",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                v(
                    &small,
                    &[
                        "-c:v",
                        "libx264",
                        "-preset",
                        "ultrafast",
                        "-pix_fmt",
                        "yuv420p10le",
                    ],
                    o,
                )
            }),
        ),
        // 720p HEVC from a phone, in MP4, with AAC.
        (
            "hevc-aac.mp4",
            "video",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                av(
                    &hd,
                    &t48,
                    &[
                        "-c:v",
                        "libx265",
                        "-preset",
                        "ultrafast",
                        "-x265-params",
                        "log-level=error",
                        "-pix_fmt",
                        "yuv420p",
                        "-c:a",
                        "aac",
                    ],
                    o,
                )
            }),
        ),
        // Theora and Vorbis in Ogg.
        (
            "theora-vorbis.ogv",
            "video",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                av(
                    &small,
                    &t44,
                    &["-c:v", "libtheora", "-q:v", "5", "-c:a", "libvorbis"],
                    o,
                )
            }),
        ),
        // An MP4 named as if it were an AVI: the extension lies, the content decides.
        (
            "really-mp4.avi",
            "video",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                v(
                    &small,
                    &[
                        "-c:v",
                        "libx264",
                        "-preset",
                        "ultrafast",
                        "-pix_fmt",
                        "yuv420p",
                        "-f",
                        "mp4",
                    ],
                    o,
                )
            }),
        ),
        // 300 sound tracks: a hostile (or broken) file. One picture and one sound are played.
        (
            "300-tracks.mkv",
            "video",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                let mut args: Vec<String> = [
                    "-f",
                    "lavfi",
                    "-i",
                    small.as_str(),
                    "-f",
                    "lavfi",
                    "-i",
                    t8.as_str(),
                    "-map",
                    "0:v",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                for _ in 0..300 {
                    args.extend(["-map".into(), "1:a".into()]);
                }
                args.extend(
                    [
                        "-c:v",
                        "libx264",
                        "-preset",
                        "ultrafast",
                        "-pix_fmt",
                        "yuv420p",
                        "-c:a",
                        "pcm_s16le",
                    ]
                    .iter()
                    .map(|s| s.to_string()),
                );
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                ffmpeg(&args, o)
            }),
        ),
        // Call recordings.
        (
            "call-ima-adpcm.wav",
            "audio",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| a(&t8, &["-c:a", "adpcm_ima_wav"], o)),
        ),
        (
            "call-alaw.wav",
            "audio",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| a(&t8, &["-c:a", "pcm_alaw"], o)),
        ),
        (
            "call-gsm.wav",
            "audio",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| a(&t8, &["-c:a", "libgsm_ms"], o)),
        ),
        // An audio-only 3GP (a phone's voice memo).
        (
            "voice-memo.3gp",
            "audio",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| ffmpeg(&["-i", &amr_in, "-c:a", "copy"], o)),
        ),
        // Stills of every kind a scan or a forensic photo comes as.
        (
            "scan.tiff",
            "image",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| v("smptebars=size=640x480", &["-frames:v", "1"], o)),
        ),
        (
            "photo.bmp",
            "image",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| v("smptebars=size=640x480", &["-frames:v", "1"], o)),
        ),
        (
            "photo.webp",
            "image",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| v("smptebars=size=640x480", &["-frames:v", "1"], o)),
        ),
        (
            "photo.gif",
            "image",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| v("smptebars=size=640x480", &["-frames:v", "1"], o)),
        ),
        (
            "photo-16bit.png",
            "image",
            plays.clone(),
            false,
            None,
            Box::new(|o: &Path| {
                v(
                    "smptebars=size=640x480",
                    &["-frames:v", "1", "-pix_fmt", "rgb48be"],
                    o,
                )
            }),
        ),
        // A portrait phone photo: stored landscape, EXIF says "rotate 90° clockwise to view".
        (
            "portrait-exif6.jpg",
            "image",
            plays.clone(),
            false,
            Some(set_exif_orientation_6 as Patch),
            Box::new(|o: &Path| {
                v(
                    "smptebars=size=640x480",
                    &["-frames:v", "1", "-q:v", "3"],
                    o,
                )
            }),
        ),
        // Broken files: each must fail cleanly and truly.
        (
            "truncated.mp4",
            "video",
            Expect::Refused {
                code: "media_corrupt",
                words: "",
            },
            false,
            Some(truncate_to_60_percent as Patch),
            Box::new(|o: &Path| {
                v(
                    &small,
                    &[
                        "-c:v",
                        "libx264",
                        "-preset",
                        "ultrafast",
                        "-pix_fmt",
                        "yuv420p",
                    ],
                    o,
                )
            }),
        ),
        (
            "web-page.mp4",
            "video",
            Expect::Refused {
                code: "not_media",
                words: "web page",
            },
            false,
            None,
            Box::new(|o: &Path| {
                Ok(std::fs::write(o, b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n")?)
            }),
        ),
        (
            "archive.mp4",
            "video",
            Expect::Refused {
                code: "not_media",
                words: "archive",
            },
            false,
            None,
            Box::new(|o: &Path| Ok(std::fs::write(o, zip_of_one_file())?)),
        ),
        // A decompression bomb: a PNG header claiming 30000x30000 pixels (900 megapixels).
        (
            "bomb-30000x30000.png",
            "image",
            Expect::Refused {
                code: "media_too_large",
                words: "megapixels",
            },
            false,
            Some(png_claim_30000_square as Patch),
            Box::new(|o: &Path| v("color=c=gray:size=64x64", &["-frames:v", "1"], o)),
        ),
    ];
    let mut out = Vec::new();
    for (name, kind, expect, stall_prone, patch, make) in jobs.drain(..) {
        let path = make_once(dir, name, patch, make)?;
        out.push(CorpusFile {
            name,
            kind,
            path,
            expect,
            stall_prone,
        });
    }
    Ok(out)
}

/// Inserts an EXIF APP1 segment with Orientation = 6 ("the 0th row is the visual right side": turn
/// 90° clockwise to view) right after the JPEG's start-of-image marker.
fn set_exif_orientation_6(jpeg: Vec<u8>) -> Result<Vec<u8>> {
    with_exif_orientation(&jpeg, 6)
}

/// A JPEG with an EXIF Orientation tag: `jpeg` with an APP1 segment after SOI.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Result<Vec<u8>> {
    if !jpeg.starts_with(&[0xff, 0xd8]) {
        bail!("not a JPEG");
    }
    // Big-endian TIFF header, one IFD with one entry: tag 0x0112 (Orientation), SHORT, count 1.
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend(1u16.to_be_bytes());
    tiff.extend(0x0112u16.to_be_bytes());
    tiff.extend(3u16.to_be_bytes());
    tiff.extend(1u32.to_be_bytes());
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0, 0]);
    tiff.extend(0u32.to_be_bytes()); // no next IFD
    let mut payload = b"Exif\x00\x00".to_vec();
    payload.extend(tiff);
    let mut out = vec![0xff, 0xd8, 0xff, 0xe1];
    out.extend(((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend(&jpeg[2..]);
    Ok(out)
}

/// Cuts an MP4 to its first 60%: ffmpeg writes the index (`moov`) last, so it is gone.
fn truncate_to_60_percent(mut bytes: Vec<u8>) -> Result<Vec<u8>> {
    bytes.truncate(bytes.len() * 6 / 10);
    Ok(bytes)
}

/// Rewrites a PNG's IHDR to claim 30000x30000 pixels, with the chunk's CRC made right again, so a
/// decoder believes it (the pixel data stays tiny: the header is the bomb).
fn png_claim_30000_square(mut png: Vec<u8>) -> Result<Vec<u8>> {
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") || &png[12..16] != b"IHDR" {
        bail!("not a PNG with an IHDR first");
    }
    png[16..20].copy_from_slice(&30000u32.to_be_bytes());
    png[20..24].copy_from_slice(&30000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    Ok(png)
}

/// CRC-32 (ISO-HDLC), as PNG and ZIP use.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A ZIP archive holding one stored file, as a browser download of "all exhibits" would be.
fn zip_of_one_file() -> Vec<u8> {
    let name = b"exhibit.mp4";
    let data = b"not really a recording\n";
    let crc = crc32(data);
    let mut z = Vec::new();
    // Local file header.
    z.extend(b"PK\x03\x04");
    z.extend(20u16.to_le_bytes());
    z.extend([0u8; 4]); // flags, method (stored)
    z.extend([0u8; 4]); // time, date
    z.extend(crc.to_le_bytes());
    z.extend((data.len() as u32).to_le_bytes());
    z.extend((data.len() as u32).to_le_bytes());
    z.extend((name.len() as u16).to_le_bytes());
    z.extend(0u16.to_le_bytes());
    z.extend(name);
    z.extend(data);
    let central = z.len() as u32;
    // Central directory.
    z.extend(b"PK\x01\x02");
    z.extend(20u16.to_le_bytes());
    z.extend(20u16.to_le_bytes());
    z.extend([0u8; 8]);
    z.extend(crc.to_le_bytes());
    z.extend((data.len() as u32).to_le_bytes());
    z.extend((data.len() as u32).to_le_bytes());
    z.extend((name.len() as u16).to_le_bytes());
    z.extend([0u8; 12]);
    z.extend(0u32.to_le_bytes());
    z.extend(name);
    let size = z.len() as u32 - central;
    // End of central directory.
    z.extend(b"PK\x05\x06");
    z.extend([0u8; 4]);
    z.extend(1u16.to_le_bytes());
    z.extend(1u16.to_le_bytes());
    z.extend(size.to_le_bytes());
    z.extend(central.to_le_bytes());
    z.extend(0u16.to_le_bytes());
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn exif_segment_is_well_formed() {
        let jpeg = [0xff, 0xd8, 0xff, 0xd9];
        let out = with_exif_orientation(&jpeg, 6).unwrap();
        assert_eq!(&out[..4], &[0xff, 0xd8, 0xff, 0xe1]);
        let len = u16::from_be_bytes([out[4], out[5]]) as usize;
        assert_eq!(&out[6..12], b"Exif\0\0");
        assert_eq!(&out[4 + len..], &[0xff, 0xd9]);
    }
}
