//! Media made at run time with GStreamer encoders: the demo store's exhibits and the test fixtures.
//! Nothing binary is committed; every file here is generated from a pipeline description.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use gstreamer as gst;
use gstreamer::prelude::*;

/// Runs a pipeline description that ends in a `filesink` to EOS.
pub fn encode(description: &str) -> Result<()> {
    gst::init()?;
    let pipeline =
        gst::parse::launch(description).with_context(|| format!("pipeline: {description}"))?;
    pipeline
        .set_state(gst::State::Playing)
        .context("starting the encoder")?;
    let bus = pipeline.bus().expect("pipelines have a bus");
    let result = loop {
        let Some(msg) = bus.timed_pop(gst::ClockTime::from_seconds(300)) else {
            break Err(anyhow::anyhow!(
                "encoding did not finish in 300 s: {description}"
            ));
        };
        match msg.view() {
            gst::MessageView::Eos(_) => break Ok(()),
            gst::MessageView::Error(e) => {
                break Err(anyhow::anyhow!(
                    "{} ({:?}) in {description}",
                    e.error(),
                    e.debug()
                ));
            }
            _ => {}
        }
    };
    pipeline.set_state(gst::State::Null)?;
    result
}

pub use crate::protocol::DemoFile;

/// A demo file to generate: its name, its duration, and the pipeline that writes it.
struct DemoJob {
    file: &'static str,
    duration: Option<Duration>,
}

const CCTV_SECONDS: u64 = 20;
const AUDIO_SECONDS: u64 = 15;
const INTERVIEW_SECONDS: u64 = 10;

fn q(path: &Path) -> String {
    // gst-launch syntax: quote the location so spaces in temp paths are safe.
    format!("\"{}\"", path.display().to_string().replace('"', "\\\""))
}

/// Generates the demo case's media into `dir` (skipping files that already exist).
pub fn demo_media(dir: &Path) -> Result<Vec<DemoFile>> {
    std::fs::create_dir_all(dir)?;
    let jobs: Vec<(DemoJob, String)> = vec![
        (
            DemoJob { file: "cctv-high-st.mp4", duration: Some(Duration::from_secs(CCTV_SECONDS)) },
            // CCTV as police export it: 704x576 anamorphic PAL at 25 fps, H.264, a burnt-in clock.
            format!(
                "videotestsrc pattern=ball motion=sweep background-color=0xff2a3a2a num-buffers={n} ! \
                 video/x-raw,width=704,height=576,framerate=25/1,pixel-aspect-ratio=12/11 ! \
                 textoverlay text=\"CAM 3  HIGH ST\" valignment=top halignment=left font-desc=\"Sans 20\" ! \
                 timeoverlay valignment=top halignment=right font-desc=\"Sans 20\" ! \
                 videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast key-int-max=50 ! \
                 h264parse ! mp4mux ! filesink location={{out}}",
                n = CCTV_SECONDS * 25
            ),
        ),
        (
            DemoJob { file: "cctv-high-st-cam4.mp4", duration: Some(Duration::from_secs(CCTV_SECONDS)) },
            // The same street from the other side: a second angle, for side by side.
            format!(
                "videotestsrc pattern=ball motion=hsweep background-color=0xff2a2a3a num-buffers={n} ! \
                 video/x-raw,width=704,height=576,framerate=25/1,pixel-aspect-ratio=12/11 ! \
                 textoverlay text=\"CAM 4  HIGH ST NORTH\" valignment=top halignment=left font-desc=\"Sans 20\" ! \
                 timeoverlay valignment=top halignment=right font-desc=\"Sans 20\" ! \
                 videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast key-int-max=50 ! \
                 h264parse ! mp4mux ! filesink location={{out}}",
                n = CCTV_SECONDS * 25
            ),
        ),
        (
            DemoJob { file: "999-call.wav", duration: Some(Duration::from_secs(AUDIO_SECONDS)) },
            format!(
                "audiotestsrc wave=sine freq=440 volume=0.3 samplesperbuffer=800 num-buffers={n} ! \
                 audio/x-raw,rate=8000,channels=1,format=S16LE ! wavenc ! filesink location={{out}}",
                n = AUDIO_SECONDS * 10
            ),
        ),
        (
            DemoJob { file: "interview.wmv", duration: Some(Duration::from_secs(INTERVIEW_SECONDS)) },
            format!(
                // Video only: asfmux in GStreamer 1.22 writes audio+video ASF files that its own
                // asfdemux cannot play back (preroll hangs, or EOS with no picture), so WMA audio is
                // left out until that is solved (see BENCHMARKS.md / the issue notes).
                "asfmux name=mux ! filesink location={{out}} \
                 videotestsrc pattern=pinwheel num-buffers={v} ! video/x-raw,width=320,height=240,framerate=25/1 ! \
                 timeoverlay ! videoconvert ! avenc_wmv2 ! queue ! mux.",
                v = INTERVIEW_SECONDS * 25
            ),
        ),
        (
            DemoJob { file: "abe-interview.mpg", duration: Some(Duration::from_secs(INTERVIEW_SECONDS)) },
            // DVD-style MPEG-2 program stream: mpeg2enc format=8 (avenc_mpeg2video fails to negotiate here).
            format!(
                "mpegpsmux name=mux ! filesink location={{out}} \
                 videotestsrc pattern=gradient num-buffers={v} ! video/x-raw,width=720,height=576,framerate=25/1 ! \
                 textoverlay text=\"ABE interview (restricted)\" font-desc=\"Sans 24\" ! timeoverlay ! \
                 videoconvert ! video/x-raw,format=I420 ! mpeg2enc format=8 ! queue ! mux. \
                 audiotestsrc wave=sine freq=220 volume=0.3 samplesperbuffer=4800 num-buffers={a} ! \
                 audio/x-raw,rate=48000,channels=2 ! audioconvert ! avenc_mp2 ! queue ! mux.",
                v = INTERVIEW_SECONDS * 25,
                a = INTERVIEW_SECONDS * 10
            ),
        ),
        (
            DemoJob { file: "scene-1.jpg", duration: None },
            "videotestsrc pattern=smpte num-buffers=1 ! video/x-raw,width=1600,height=1200 ! \
             textoverlay text=\"Scene 1: High St, looking north\" font-desc=\"Sans 48\" ! videoconvert ! \
             jpegenc ! filesink location={out}"
                .into(),
        ),
        (
            DemoJob { file: "scene-2.jpg", duration: None },
            "videotestsrc pattern=colors num-buffers=1 ! video/x-raw,width=1200,height=1600 ! \
             textoverlay text=\"Scene 2: doorway\" font-desc=\"Sans 48\" ! videoconvert ! \
             jpegenc ! filesink location={out}"
                .into(),
        ),
    ];
    let mut out = Vec::new();
    for (job, template) in jobs {
        let path = generate_once(dir, job.file, &template, None)?;
        out.push(DemoFile {
            file: job.file.into(),
            duration_ms: job.duration.map(|d| d.as_millis() as u64),
            path,
            pages: Vec::new(),
        });
    }
    let path = make_once(dir, DEMO_STATEMENT, None, write_demo_statement)?;
    out.push(DemoFile {
        file: DEMO_STATEMENT.into(),
        duration_ms: None,
        path,
        pages: DEMO_STATEMENT_PAGES.to_vec(),
    });
    Ok(out)
}

/// The demo case's document: a witness statement (MG11) and a plan of the scene.
pub const DEMO_STATEMENT: &str = "witness-statement.pdf";
pub const DEMO_STATEMENT_PAGES: [[f64; 2]; 3] = [[595.0, 842.0], [842.0, 595.0], [595.0, 842.0]];

/// Writes the demo statement with cairo's PDF surface (no tool outside the playout binary, so an
/// installed kiosk can make its demo store too). Each page carries `pdf_corpus`'s page mark.
fn write_demo_statement(out: &Path) -> Result<()> {
    use crate::pdf_corpus::{MARK_LEFT, MARK_SIZE, MARK_STEP, MARK_TOP};
    let [first, ..] = DEMO_STATEMENT_PAGES;
    let surface = cairo::PdfSurface::new(first[0], first[1], out)?;
    let cr = cairo::Context::new(&surface)?;
    let text = |cr: &cairo::Context, x: f64, y: f64, size: f64, bold: bool, s: &str| {
        cr.select_font_face(
            "Sans",
            cairo::FontSlant::Normal,
            if bold {
                cairo::FontWeight::Bold
            } else {
                cairo::FontWeight::Normal
            },
        );
        cr.set_font_size(size);
        cr.move_to(x, y);
        let _ = cr.show_text(s);
    };
    for (i, [w, h]) in DEMO_STATEMENT_PAGES.iter().enumerate() {
        let n = i as u32 + 1;
        surface.set_size(*w, *h)?;
        cr.set_source_rgb(0.0, 0.0, 0.0);
        for bit in 0..8 {
            if n & (0x80 >> bit) != 0 {
                cr.rectangle(
                    MARK_LEFT + f64::from(bit) * MARK_STEP,
                    MARK_TOP,
                    MARK_SIZE,
                    MARK_SIZE,
                );
            }
        }
        cr.fill()?;
        match n {
            2 => {
                text(
                    &cr,
                    40.0,
                    110.0,
                    22.0,
                    true,
                    "Plan of the scene: 14 High St (not to scale)",
                );
                cr.set_line_width(3.0);
                cr.rectangle(80.0, 150.0, 680.0, 380.0);
                cr.move_to(420.0, 150.0);
                cr.line_to(420.0, 530.0);
                cr.stroke()?;
                text(&cr, 180.0, 340.0, 18.0, false, "Shop");
                text(&cr, 560.0, 340.0, 18.0, false, "Doorway");
                cr.set_source_rgb(0.8, 0.0, 0.0);
                cr.set_line_width(6.0);
                cr.move_to(600.0, 400.0);
                cr.line_to(640.0, 440.0);
                cr.move_to(640.0, 400.0);
                cr.line_to(600.0, 440.0);
                cr.stroke()?;
            }
            _ => {
                let title = if n == 1 {
                    "WITNESS STATEMENT (MG11)"
                } else {
                    "WITNESS STATEMENT (continuation)"
                };
                text(&cr, 40.0, 120.0, 22.0, true, title);
                text(
                    &cr,
                    40.0,
                    145.0,
                    11.0,
                    false,
                    "Criminal Justice Act 1967, s.9; Magistrates' Courts Act 1980, s.5B",
                );
                let body = [
                    "On the evening of the incident I was walking north along the High Street.",
                    "At about 22:14 I saw two men outside number 14. One was wearing a dark",
                    "jacket with a hood. I heard shouting and saw the taller man push the other",
                    "against the door of the shop. I then called 999 from my mobile phone.",
                    "I have seen the CCTV still shown to me as exhibit JS/4 and I recognise",
                    "the doorway as the place where this happened.",
                ];
                for (j, line) in body.iter().enumerate() {
                    text(&cr, 40.0, 200.0 + 24.0 * j as f64, 13.0, false, line);
                }
                text(
                    &cr,
                    40.0,
                    760.0,
                    11.0,
                    false,
                    &format!("Page {n} of 3    Signed: A. Witness"),
                );
            }
        }
        cr.show_page()?;
    }
    surface.finish();
    Ok(())
}

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

/// Rewrites a generated file's bytes before it is put in place.
pub(crate) type Patch = fn(Vec<u8>) -> Result<Vec<u8>>;

/// Makes `dir/name` from a pipeline `template` (its `filesink location={out}`), unless it exists,
/// applying `patch` to the bytes.
fn generate_once(dir: &Path, name: &str, template: &str, patch: Option<Patch>) -> Result<PathBuf> {
    make_once(dir, name, patch, |part| {
        encode(&template.replace("{out}", &q(part)))
    })
}

/// Makes `dir/name` with `make` (which writes the file it is given), unless it exists, applying
/// `patch` to the bytes. Tests that generate the same shared fixtures at once never write into one
/// file: each writes a part of its own and the rename is atomic, so either complete copy wins.
pub(crate) fn make_once(
    dir: &Path,
    name: &str,
    patch: Option<Patch>,
    make: impl FnOnce(&Path) -> Result<()>,
) -> Result<PathBuf> {
    let path = dir.join(name);
    if !path.exists() {
        // The part keeps the name's extension last: ffmpeg picks its muxer by it.
        let part = dir.join(format!(
            "part-{}-{:?}-{name}",
            std::process::id(),
            std::thread::current().id()
        ));
        make(&part).with_context(|| format!("generating {name}"))?;
        if let Some(patch) = patch {
            let bytes = patch(std::fs::read(&part)?)?;
            std::fs::write(&part, &bytes)?;
        }
        std::fs::rename(&part, &path)?;
    }
    if std::fs::metadata(&path)?.len() == 0 {
        bail!("generating {name} produced an empty file");
    }
    Ok(path)
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
pub(crate) fn set_mp4_rotation_90(mut mp4: Vec<u8>) -> Result<Vec<u8>> {
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
