//! Media that test the format matrix and how pictures are placed, made with GStreamer's own encoders
//! (`courtdeck_engine::fixtures::encode`) into a folder the caller names, skipping files that exist.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use courtdeck_engine::fixtures::{Patch, generate_once};

/// One file of the format matrix: the exhibit kind it is, and how it was made.
#[derive(Debug, Clone)]
pub struct FormatFile {
    pub name: &'static str,
    pub kind: &'static str,
    pub path: PathBuf,
}

const V: &str = "videotestsrc pattern=ball num-buffers=50 ! video/x-raw,width=320,height=240,framerate=25/1 ! videoconvert";
const A: &str = "audiotestsrc wave=sine num-buffers=50 samplesperbuffer=882 ! audio/x-raw,rate=44100,channels=2 ! audioconvert";

/// The formats police and parties export (issue 4's list), two seconds each, made with GStreamer's own
/// encoders into `dir` (skipping files that exist).
pub fn format_matrix(dir: &Path) -> Result<Vec<FormatFile>> {
    std::fs::create_dir_all(dir)?;
    let jobs: Vec<(&'static str, &'static str, String)> = vec![
        ("h264-aac.mp4", "video", format!("mp4mux name=m ! filesink location={{out}} {V} ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast ! h264parse ! queue ! m. {A} ! avenc_aac ! queue ! m.")),
        ("h265.ts", "video", format!("mpegtsmux name=m ! filesink location={{out}} {V} ! video/x-raw,format=I420 ! x265enc speed-preset=ultrafast ! h265parse ! queue ! m.")),
        ("mjpeg.avi", "video", format!("avimux name=m ! filesink location={{out}} {V} ! jpegenc ! queue ! m.")),
        ("wmv2.wmv", "video", format!("asfmux name=m ! filesink location={{out}} {V} ! avenc_wmv2 ! queue ! m.")),
        ("mpeg2.mpg", "video", "mpegpsmux name=m ! filesink location={out} videotestsrc num-buffers=50 ! video/x-raw,width=720,height=576,framerate=25/1 ! videoconvert ! video/x-raw,format=I420 ! mpeg2enc format=8 ! queue ! m.".into()),
        ("vp8-vorbis.webm", "video", format!("webmmux name=m ! filesink location={{out}} {V} ! vp8enc deadline=1 ! queue ! m. {A} ! vorbisenc ! queue ! m.")),
        ("h264.mkv", "video", format!("matroskamux name=m ! filesink location={{out}} {V} ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast ! h264parse ! queue ! m.")),
        ("photo.jpg", "image", "videotestsrc num-buffers=1 ! video/x-raw,width=640,height=480 ! videoconvert ! jpegenc ! filesink location={out}".into()),
        ("photo.png", "image", "videotestsrc num-buffers=1 ! video/x-raw,width=640,height=480 ! videoconvert ! pngenc ! filesink location={out}".into()),
        ("call.wav", "audio", format!("{A} ! wavenc ! filesink location={{out}}")),
        ("call.mp3", "audio", format!("{A} ! lamemp3enc ! xingmux ! id3v2mux ! filesink location={{out}}")),
        // WMA in ASF as audio only: asfmux's audio+video files do not play back in 1.22 (see above).
        ("call.wma", "audio", format!("{A} ! avenc_wmav2 ! asfmux ! filesink location={{out}}")),
        ("call.m4a", "audio", format!("mp4mux name=m ! filesink location={{out}} {A} ! avenc_aac ! queue ! m.")),
    ];
    let mut out = Vec::new();
    for (name, kind, template) in jobs {
        let path = generate_once(dir, name, &template, None)?;
        out.push(FormatFile { name, kind, path });
    }
    Ok(out)
}

/// Files that test how pictures are placed, made into `dir`:
/// - `phone-rotated.mp4`: 320x180 SMPTE bars whose track carries a 90° rotation, as phones write it;
/// - `cctv-anamorphic.mp4`: a white 704x576 picture with 12:11 pixels (4:3 on screen, not 11:9).
pub fn geometry_media(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let jobs = [
        (
            "phone-rotated.mp4",
            "videotestsrc pattern=smpte num-buffers=50 ! video/x-raw,width=320,height=180,framerate=25/1 ! \
             videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! \
             filesink location={out}",
        ),
        (
            "cctv-anamorphic.mp4",
            "videotestsrc pattern=white num-buffers=50 ! \
             video/x-raw,width=704,height=576,framerate=25/1,pixel-aspect-ratio=12/11 ! \
             videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! \
             filesink location={out}",
        ),
    ];
    let mut out = Vec::new();
    for (name, template) in jobs {
        let patch: Option<Patch> = (name == "phone-rotated.mp4").then_some(set_mp4_rotation_90);
        out.push(generate_once(dir, name, template, patch)?);
    }
    Ok(out)
}

/// Sets the first track header's matrix to a 90° clockwise rotation (what a phone held upright
/// writes; qtmux has no way to write it).
pub fn set_mp4_rotation_90(mut mp4: Vec<u8>) -> Result<Vec<u8>> {
    let at = mp4
        .windows(4)
        .position(|w| w == b"tkhd")
        .context("no track header in the MP4")?;
    // After the box type: version (1), flags (3), then times, track id, duration, layer etc.: 40
    // bytes to the matrix in a version 0 box, 52 in version 1.
    let matrix = at + 4 + if mp4[at + 4] == 0 { 40 } else { 52 };
    let values: [u32; 9] = [0, 1 << 16, 0, 0xffff_0000, 0, 0, 0, 0, 1 << 30];
    for (i, v) in values.iter().enumerate() {
        mp4[matrix + i * 4..matrix + i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    Ok(mp4)
}
