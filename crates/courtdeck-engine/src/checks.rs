//! The playout side of the clerk's setup checks: what GStreamer makes of a cached file (Discoverer),
//! the element inventory, and the pieces of the test card (colours, pipelines, pixel expectations).
//! Runs in the playout process, so a hostile file can only ever crash playout.

use std::path::Path;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_pbutils::prelude::*;

use crate::protocol::{DiscoverReport, Inventory, Poster};

/// Every element the engine and the checks build by name.
pub const REQUIRED_ELEMENTS: &[&str] = &[
    "uridecodebin",
    "playbin",
    "videoconvert",
    "videoscale",
    "videoflip",
    "imagefreeze",
    "tee",
    "queue",
    "capsfilter",
    "ximagesink",
    "fakesink",
    "audioconvert",
    "audioresample",
    "scaletempo",
    "volume",
    "level",
    "textoverlay",
    "timeoverlay",
    "videotestsrc",
    "audiotestsrc",
    "autoaudiosink",
    // Decoders and demuxers for the formats police and courts send (see courtdeck_testdata::formats::format_matrix).
    "qtdemux",
    "matroskademux",
    "avidemux",
    "asfdemux",
    "mpegpsdemux",
    "tsdemux",
    "avdec_h264",
    "avdec_h265",
    "avdec_mpeg2video",
    "avdec_wmv2",
    "vp8dec",
    "jpegdec",
    "jpegparse",
    "pngdec",
    "gdkpixbufdec",
    "avdec_aac",
    "mpg123audiodec",
    "vorbisdec",
    "wavparse",
];

pub fn inventory() -> Inventory {
    let registry = gst::Registry::get();
    Inventory {
        gstreamer: gst::version_string().to_string(),
        elements: REQUIRED_ELEMENTS
            .iter()
            .map(|e| (e.to_string(), gst::ElementFactory::find(e).is_some()))
            .collect(),
        plugins: registry.plugins().len(),
    }
}

/// Discovers `path` (a file in the verified cache): container, streams, duration, and what is
/// missing to play it. Never fails: a file GStreamer cannot read gets `error` set.
pub fn discover(path: &Path) -> DiscoverReport {
    let mut report = DiscoverReport::default();
    if crate::document::is_pdf(path) {
        // A document: poppler, not GStreamer. Every page is drawn once, so a page that cannot be
        // is found before court, not in front of the bench.
        report.container = Some("PDF".into());
        match crate::document::inspect(path)
            .and_then(|pages| crate::document::check_every_page(path).map(|_| pages))
        {
            Ok(pages) => {
                report.kind = Some("document".into());
                if let Some([w, h]) = pages.first() {
                    report.width = Some(*w as u32);
                    report.height = Some(*h as u32);
                }
                report.pages = pages;
            }
            Err(e) => {
                report.error_code = Some(e.code.as_str().into());
                report.error = Some(e.message);
            }
        }
        return report;
    }
    let uri = match gst::glib::filename_to_uri(path, None) {
        Ok(u) => u,
        Err(e) => {
            report.error = Some(format!("not a usable path: {e}"));
            return report;
        }
    };
    let discoverer = match gstreamer_pbutils::Discoverer::new(gst::ClockTime::from_seconds(15)) {
        Ok(d) => d,
        Err(e) => {
            report.error = Some(format!("GStreamer's discoverer is not available: {e}"));
            return report;
        }
    };
    let info = match discoverer.discover_uri(&uri) {
        Ok(info) => info,
        Err(e) => {
            // The discoverer reports a missing plugin as an error without saying which: preroll the
            // file once more and collect the missing-plugin messages, which name the decoder.
            report.missing = missing_plugins(&uri);
            report.error = Some(if report.missing.is_empty() {
                e.to_string()
            } else {
                format!(
                    "a plugin is missing to play it: {}",
                    report.missing.join("; ")
                )
            });
            return report;
        }
    };
    let describe = |caps: Option<gst::Caps>| {
        caps.map(|c| gstreamer_pbutils::pb_utils_get_codec_description(&c).to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    report.container = info.container_streams().first().map(|c| describe(c.caps()));
    report.video = info
        .video_streams()
        .iter()
        .map(|v| describe(v.caps()))
        .collect();
    report.audio = info
        .audio_streams()
        .iter()
        .map(|a| describe(a.caps()))
        .collect();
    report.duration_ms = info.duration().map(|d| d.mseconds());
    let videos = info.video_streams();
    report.kind = match (videos.first(), info.audio_streams().is_empty()) {
        (Some(v), _) if v.is_image() && videos.len() == 1 => Some("image".into()),
        (Some(_), _) => Some("video".into()),
        (None, false) => Some("audio".into()),
        (None, true) => None,
    };
    if report.kind.as_deref() == Some("image") {
        report.duration_ms = None;
    }
    if let Some(v) = videos.first() {
        report.rotation = v
            .tags()
            .and_then(|t| t.get::<gst::tags::ImageOrientation>())
            .map(|o| rotation_degrees(o.get()))
            .unwrap_or(0);
        let par = v.par();
        let (w, h) = (v.width() as u64, v.height() as u64);
        // Square pixels on screen: a 704x576 picture of 12:11 pixels shows as 768x576.
        let w = if par.numer() > 0 && par.denom() > 0 {
            w * par.numer() as u64 / par.denom() as u64
        } else {
            w
        };
        let (w, h) = if report.rotation % 180 == 90 {
            (h, w)
        } else {
            (w, h)
        };
        report.width = u32::try_from(w).ok().filter(|w| *w > 0);
        report.height = u32::try_from(h).ok().filter(|h| *h > 0);
    }
    report.missing = info
        .missing_elements_installer_details()
        .iter()
        .map(|d| missing_description(d))
        .collect();
    use gstreamer_pbutils::DiscovererResult as R;
    report.error = match info.result() {
        R::Ok if report.video.is_empty() && report.audio.is_empty() => {
            Some("it has no audio or video stream".into())
        }
        R::Ok => None,
        R::MissingPlugins => Some(format!(
            "a plugin is missing to play it: {}",
            report.missing.join("; ")
        )),
        R::Timeout => Some("GStreamer did not finish reading it within 15 s".into()),
        R::UriInvalid => Some("the file cannot be opened".into()),
        R::Error => Some("GStreamer cannot read it: the file is damaged or not media".into()),
        R::Busy => Some("the discoverer was busy".into()),
        _ => Some("GStreamer could not read it".into()),
    };
    report
}

/// A 160x90 JPEG of `path`: a still as it is (turned as its EXIF says), a video 10% in (at most 5
/// s, turned as its track says). Prerolls paused with playbin (audio to a fakesink), seeks, and
/// takes the preroll frame from an appsink. A failure is tried once more, then logged as a warning
/// and its reason returned, so the list can say why an exhibit has no preview.
pub fn poster(path: &Path, page: u32) -> Poster {
    let mut reason = String::new();
    for attempt in 1..=2 {
        match try_poster(path, page) {
            Ok(jpeg) => {
                return Poster { jpeg, error: None };
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), attempt, "no poster: {e:#}");
                reason = format!("{e:#}");
            }
        }
    }
    Poster {
        jpeg: None,
        error: Some(reason),
    }
}

fn try_poster(path: &Path, page: u32) -> anyhow::Result<Option<String>> {
    use base64::Engine as _;
    if crate::document::is_pdf(path) {
        let jpeg = crate::document::poster(path, page)?;
        return Ok(Some(base64::engine::general_purpose::STANDARD.encode(jpeg)));
    }
    let uri = gst::glib::filename_to_uri(path, None)?;
    let sink_bin = gst::parse::bin_from_description(
        "videoconvert ! videoflip video-direction=auto ! videoscale add-borders=true ! video/x-raw,width=160,height=90,pixel-aspect-ratio=1/1 ! jpegenc quality=75 ! appsink name=poster sync=false max-buffers=1",
        true,
    )?;
    let appsink = sink_bin
        .by_name("poster")
        .expect("named")
        .dynamic_cast::<gstreamer_app::AppSink>()
        .expect("appsink");
    // playbin (decodebin2), as the engine uses: see `media::decodebin`.
    let playbin = gst::ElementFactory::make("playbin")
        .property("uri", uri.as_str())
        .property("video-sink", &sink_bin)
        .property("audio-sink", gst::ElementFactory::make("fakesink").build()?)
        .build()?;
    let result = (|| -> anyhow::Result<Option<String>> {
        playbin.set_state(gst::State::Paused)?;
        let (res, _, _) = playbin.state(gst::ClockTime::from_seconds(10));
        res?;
        if let Some(d) = playbin.query_duration::<gst::ClockTime>()
            && d > gst::ClockTime::from_seconds(1)
        {
            let at = (d / 10).min(gst::ClockTime::from_seconds(5));
            playbin.seek_simple(gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT, at)?;
            let (res, _, _) = playbin.state(gst::ClockTime::from_seconds(10));
            res?;
        }
        let sample = appsink.try_pull_preroll(gst::ClockTime::from_seconds(5));
        Ok(sample.and_then(|s| {
            let buf = s.buffer()?;
            let map = buf.map_readable().ok()?;
            Some(base64::engine::general_purpose::STANDARD.encode(map.as_slice()))
        }))
    })();
    let _ = playbin.set_state(gst::State::Null);
    result
}

/// The clockwise turn an `image-orientation` tag asks for (`rotate-90`, `flip-rotate-270`…).
fn rotation_degrees(tag: &str) -> u32 {
    ["90", "180", "270"]
        .into_iter()
        .find(|d| tag.ends_with(&format!("rotate-{d}")))
        .and_then(|d| d.parse().ok())
        .unwrap_or(0)
}

/// What decoders or demuxers `uri` needs that are not installed, as GStreamer describes them.
fn missing_plugins(uri: &str) -> Vec<String> {
    let Ok(pipeline) = gst::parse::launch(&format!(
        "playbin uri=\"{uri}\" video-sink=fakesink audio-sink=fakesink"
    )) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let _ = pipeline.set_state(gst::State::Paused);
    if let Some(bus) = pipeline.bus() {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) else {
                continue;
            };
            match msg.view() {
                gst::MessageView::Element(_) => {
                    if let Ok(m) = gstreamer_pbutils::MissingPluginMessage::parse(&msg) {
                        let d = m.description().to_string();
                        if !out.contains(&d) {
                            out.push(d);
                        }
                    }
                }
                gst::MessageView::AsyncDone(_) | gst::MessageView::Error(_) => break,
                _ => {}
            }
        }
    }
    let _ = pipeline.set_state(gst::State::Null);
    out
}

/// `gstreamer|1.0|courtdeck|H.265 decoder|decoder-video/x-h265…` -> `H.265 decoder (decoder-video/x-h265…)`.
fn missing_description(detail: &str) -> String {
    let parts: Vec<&str> = detail.split('|').collect();
    match (parts.get(3), parts.get(4)) {
        (Some(desc), Some(what)) => format!("{desc} ({what})"),
        _ => detail.to_owned(),
    }
}

/// A clearly different colour per screen for the identify card, as `0xAARRGGBB` and RGB.
pub fn identify_colour(i: usize) -> (u32, (u8, u8, u8)) {
    const COLOURS: [(u8, u8, u8); 6] = [
        (0, 90, 200),  // blue
        (200, 60, 0),  // orange
        (0, 150, 70),  // green
        (150, 0, 150), // purple
        (170, 140, 0), // ochre
        (0, 140, 150), // teal
    ];
    let (r, g, b) = COLOURS[i % COLOURS.len()];
    (
        0xff00_0000 | (r as u32) << 16 | (g as u32) << 8 | b as u32,
        (r, g, b),
    )
}

/// What a probed square of a card should look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// This colour, allowing for scaling and colour conversion.
    Rgb(u8, u8, u8),
    /// The first SMPTE bar: a bright grey/white (75% or 100% bars, whichever the version draws).
    BrightNeutral,
    /// The last SMPTE bar: blue.
    Blue,
}

/// Where to look on a card of `w`x`h` and what should be there: for the identify card, a corner well
/// away from the label; for SMPTE bars, the middle of the first and last bars, high up, away from the
/// label.
pub fn card_probes(identify: bool, i: usize, w: u16, h: u16) -> Vec<(i16, i16, Expect)> {
    let (w, h) = (w as i32, h as i32);
    if identify {
        let (r, g, b) = identify_colour(i).1;
        vec![((w / 12) as i16, (h / 12) as i16, Expect::Rgb(r, g, b))]
    } else {
        vec![
            ((w / 14) as i16, (h / 6) as i16, Expect::BrightNeutral),
            ((w * 13 / 14) as i16, (h / 6) as i16, Expect::Blue),
        ]
    }
}

/// Whether `seen` is what `expected` describes.
pub fn colour_matches(seen: (u8, u8, u8), expected: Expect) -> bool {
    let d = |a: u8, b: u8| (a as i32 - b as i32).abs();
    let (r, g, b) = seen;
    match expected {
        Expect::Rgb(er, eg, eb) => d(r, er) <= 40 && d(g, eg) <= 40 && d(b, eb) <= 40,
        Expect::BrightNeutral => r >= 150 && d(r, g) <= 30 && d(g, b) <= 30,
        Expect::Blue => b >= 150 && r <= 60 && g <= 60,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_probes() {
        let (argb, rgb) = identify_colour(1);
        assert_eq!(argb, 0xffc83c00);
        assert_eq!(rgb, (200, 60, 0));
        let want = Expect::Rgb(rgb.0, rgb.1, rgb.2);
        assert!(colour_matches((195, 70, 10), want));
        assert!(!colour_matches((0, 0, 0), want));
        assert_eq!(
            card_probes(false, 0, 1400, 600)[1],
            (1300, 100, Expect::Blue)
        );
        for white in [(191, 191, 191), (255, 255, 255)] {
            assert!(colour_matches(white, Expect::BrightNeutral));
        }
        assert!(!colour_matches((0, 0, 0), Expect::BrightNeutral));
        assert!(
            !colour_matches((191, 191, 0), Expect::BrightNeutral),
            "yellow is not white"
        );
        assert!(
            colour_matches((0, 0, 191), Expect::Blue) && colour_matches((0, 0, 255), Expect::Blue)
        );
        assert!(
            !colour_matches((40, 40, 40), Expect::Blue),
            "desktop grey is not blue"
        );
        assert_eq!(
            missing_description("gstreamer|1.0|courtdeck|H.265 decoder|decoder-video/x-h265"),
            "H.265 decoder (decoder-video/x-h265)"
        );
    }
}
