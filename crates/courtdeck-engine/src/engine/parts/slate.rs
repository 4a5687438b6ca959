//! Slates: the neutral pictures a screen shows instead of black (standby after a restart, "exhibit
//! unavailable" after an on-air failure, "no signal" from a live source), rendered once with GStreamer and painted by the X server as
//! the window's background.

use gstreamer as gst;
use gstreamer::prelude::*;

/// The slates themselves are the protocol's (`courtdeck_playout::protocol::Slate`, whose words the
/// surface sees); how each looks is decided here.
pub use crate::protocol::Slate;

/// Background colour (ARGB) and the text of `slate`, given the screen's label and, for `NoSignal`,
/// the live source's (both names the court gave, never an exhibit's).
pub(in crate::engine) fn look(slate: Slate, label: &str, source: Option<&str>) -> (u32, String) {
    match slate {
        Slate::Standby => (SLATE_STANDBY_ARGB, format!("{label}\nNo exhibit on screen")),
        Slate::Unavailable => (
            SLATE_UNAVAILABLE_ARGB,
            "Exhibit unavailable\nThe advocate has been told why".to_owned(),
        ),
        Slate::NoSignal => (
            SLATE_NO_SIGNAL_ARGB,
            format!(
                "No signal from {}\nIt shows again when the signal returns",
                source.unwrap_or("the live source")
            ),
        ),
    }
}

/// The slates' background colours; tests read them back from the screens.
pub const SLATE_STANDBY_ARGB: u32 = 0xff1c2733;
pub const SLATE_UNAVAILABLE_ARGB: u32 = 0xff3a2a1c;
pub const SLATE_NO_SIGNAL_ARGB: u32 = 0xff2a1c3a;

/// Draws `slate` for a `width` x `height` screen as BGRx rows: one frame of a solid colour with
/// centred text, made by GStreamer (Pango) once when the slate goes up.
pub(in crate::engine) fn render_slate(
    slate: Slate,
    (label, source): (&str, Option<&str>),
    width: u16,
    height: u16,
) -> anyhow::Result<Vec<u8>> {
    let (argb, text) = look(slate, label, source);
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=1 pattern=solid-color foreground-color={argb} ! \
         video/x-raw,format=BGRx,width={width},height={height},framerate=1/1 ! \
         textoverlay name=text valignment=center halignment=center line-alignment=center \
           font-desc=\"Sans {px}px\" ! \
         videoconvert ! video/x-raw,format=BGRx ! appsink name=out sync=false",
        px = (height / 16).max(12)
    ))?
    .downcast::<gst::Pipeline>()
    .map_err(|_| anyhow::anyhow!("not a pipeline"))?;
    if let Some(t) = pipeline.by_name("text") {
        t.set_property("text", text);
    }
    let sink = pipeline
        .by_name("out")
        .and_then(|s| s.dynamic_cast::<gstreamer_app::AppSink>().ok())
        .expect("named appsink");
    pipeline.set_state(gst::State::Playing)?;
    let sample = sink.try_pull_sample(gst::ClockTime::from_seconds(5));
    let _ = pipeline.set_state(gst::State::Null);
    let sample = sample.ok_or_else(|| anyhow::anyhow!("no slate frame within 5 s"))?;
    let buffer = sample
        .buffer()
        .ok_or_else(|| anyhow::anyhow!("empty slate frame"))?;
    let map = buffer.map_readable()?;
    Ok(map.as_slice().to_vec())
}

/// The black slate shown on screens for an audio-only exhibit: its title and the elapsed time.
pub(in crate::engine) fn slate_source(title: &str) -> anyhow::Result<gst::Element> {
    let bin = gst::parse::bin_from_description(
        "videotestsrc name=slatesrc pattern=solid-color foreground-color=0xff101820 ! \
         video/x-raw,width=1280,height=720,framerate=25/1,pixel-aspect-ratio=1/1 ! \
         textoverlay name=title valignment=center halignment=center font-desc=\"Sans 36\" ! \
         timeoverlay name=clock valignment=bottom halignment=center font-desc=\"Sans 28\"",
        // Not `ghost_unlinked_pads`: that would also ghost textoverlay's text sink, which then counts as
        // linked and makes it wait for text buffers forever.
        false,
    )?;
    if let Some(t) = bin.by_name("title") {
        t.set_property("text", format!("Audio exhibit\n{title}"));
    }
    let src = bin
        .by_name("clock")
        .and_then(|c| c.static_pad("src"))
        .expect("slate has a clock src pad");
    bin.add_pad(&gst::GhostPad::with_target(&src)?)?;
    Ok(bin.upcast())
}
