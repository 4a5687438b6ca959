//! Media made at run time with GStreamer encoders: the demo store's exhibits (`courtdeck-playout
//! demo-media DIR`, which the demo store runs on first use). Nothing binary is committed; every file
//! here is generated from a pipeline description. The tests' own media and documents are in the
//! dev-only crate `courtdeck-testdata`, which builds on `encode` and `make_once`.

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

/// The page mark every generated document carries (the demo statement and the tests' PDFs): eight
/// squares of `MARK_SIZE` points, `MARK_STEP` apart, from `MARK_LEFT` along the top of every page,
/// `MARK_TOP` below its top edge, black for a 1 bit of the page number (most significant first), so a
/// test reading a screen back knows which page is on it.
pub mod page_mark {
    pub const MARK_LEFT: f64 = 40.0;
    pub const MARK_TOP: f64 = 30.0;
    pub const MARK_SIZE: f64 = 40.0;
    pub const MARK_STEP: f64 = 60.0;
}

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
    use page_mark::{MARK_LEFT, MARK_SIZE, MARK_STEP, MARK_TOP};
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

/// Rewrites a generated file's bytes before it is put in place.
pub type Patch = fn(Vec<u8>) -> Result<Vec<u8>>;

/// Makes `dir/name` from a pipeline `template` (its `filesink location={out}`), unless it exists,
/// applying `patch` to the bytes.
pub fn generate_once(
    dir: &Path,
    name: &str,
    template: &str,
    patch: Option<Patch>,
) -> Result<PathBuf> {
    make_once(dir, name, patch, |part| {
        encode(&template.replace("{out}", &q(part)))
    })
}

/// Makes `dir/name` with `make` (which writes the file it is given), unless it exists, applying
/// `patch` to the bytes. Tests that generate the same shared fixtures at once never write into one
/// file: each writes a part of its own and the rename is atomic, so either complete copy wins.
pub fn make_once(
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
