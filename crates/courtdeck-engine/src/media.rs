//! What the playout process does about media before and while GStreamer decodes it: which decoders
//! it prefers, which streams of a file it plays, how big a picture it lets a decoder make, and what
//! to call a file that is not media at all. Used by the exhibits' pipelines, the posters and the
//! setup checks alike, so they all agree on what plays.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use gstreamer as gst;
use gstreamer::prelude::*;

/// The largest picture a decoder may make: 100 megapixels (a 12,000 x 8,000 scan is 96). A PNG of
/// 30,000 x 30,000 pixels is 2.7 MB on disk and 3.6 GB decoded; it is refused before decoding.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Adjusts decoder ranks for this process, once, after `gst::init`:
/// - `gdkpixbufdec` decodes TIFF, BMP and the other stills no GStreamer parser frames (it reads the
///   whole file first); its rank is `none`, so without this `avdec_tiff`/`avdec_bmp` (marginal) get
///   the file in 4 KiB pieces and fail ("No valid frames decoded"), blaming a good exhibit.
/// - `jpegparse` reads a JPEG's EXIF orientation into an `image-orientation` tag, which `videoflip`
///   honours; its rank is `none`, so decodebin feeds `jpegdec` directly and a portrait phone photo
///   stands sideways.
pub fn prepare_registry() {
    let registry = gst::Registry::get();
    for (name, rank) in [
        ("gdkpixbufdec", gst::Rank::SECONDARY),
        ("jpegparse", gst::Rank::SECONDARY),
    ] {
        match registry.lookup_feature(name) {
            Some(feature) => feature.set_rank(rank),
            None => tracing::warn!(element = name, "not installed: some stills cannot be shown"),
        }
    }
}

/// The element that opens and decodes an exhibit: `uridecodebin` (decodebin2).
///
/// Measured (`courtdeck-bench --only decodebin`, BENCHMARKS.md): GStreamer 1.22's `uridecodebin3`
/// exposes a file's streams one at a time, so the pipeline could preroll with the sound alone and
/// be rebuilt; it sometimes exposed nothing for seconds under load; a file with 300 sound tracks
/// froze at its end and crashed the process in `decodebin3`'s teardown. `uridecodebin` exposes all
/// streams at once, before any data flows. `COURTDECK_DECODEBIN=uridecodebin3` selects the other
/// for that benchmark.
pub fn decodebin() -> &'static str {
    static CHOICE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    CHOICE.get_or_init(|| match std::env::var("COURTDECK_DECODEBIN").as_deref() {
        Ok("uridecodebin3") => "uridecodebin3",
        _ => "uridecodebin",
    })
}

/// Streams `select_one_of_each` chose (bits of `Program::expected`).
pub const VIDEO: u8 = 1;
pub const AUDIO: u8 = 2;

/// Connects `decodebin` (a `uridecodebin3`) so that it plays one picture and one sound: the first
/// video stream (unless `video` is false) and the first audio stream of the file. A file with 300
/// sound tracks then costs one decoder, not 300. `expected` gets a bit (`VIDEO`, `AUDIO`) for each
/// stream chosen, before decodebin exposes any of them: the engine waits for every chosen stream to
/// reach its sink before it calls the exhibit prerolled (decodebin3 exposes them one at a time, and
/// the pipeline prerolls as soon as the first one's sink has a frame).
pub fn select_one_of_each(decodebin: &gst::Element, video: bool, expected: Arc<AtomicU8>) {
    decodebin.connect("select-stream", false, move |args| {
        let collection = args[1].get::<gst::StreamCollection>().ok()?;
        let stream = args[2].get::<gst::Stream>().ok()?;
        let kind = stream.stream_type();
        let bit = if video && kind.contains(gst::StreamType::VIDEO) {
            VIDEO
        } else if kind.contains(gst::StreamType::AUDIO) {
            AUDIO
        } else {
            0
        };
        let first = bit != 0
            && collection
                .iter()
                .find(|s| s.stream_type().intersects(kind))
                .is_some_and(|s| s == stream);
        if first {
            expected.fetch_or(bit, Ordering::SeqCst);
        }
        Some(i32::from(first).to_value())
    });
}

/// Watches every decoder that `bin` (a pipeline) adds, however deep: when the caps on its sink or
/// source pad say the picture is larger than `MAX_PIXELS`, `refuse` is called with a message for the
/// court and the caps are dropped, so the decoder never allocates the picture. (A parser states the
/// size before the decoder runs; decoders that parse for themselves state it on their output, before
/// the first frame is pushed.)
pub fn guard_picture_size(bin: &gst::Bin, refuse: Arc<dyn Fn(String) + Send + Sync>) {
    bin.connect_deep_element_added(move |_, _, element| {
        let Some(factory) = element.factory() else {
            return;
        };
        let klass = factory.metadata(gst::ELEMENT_METADATA_KLASS).unwrap_or("");
        if !klass.contains("Decoder") || !(klass.contains("Video") || klass.contains("Image")) {
            return;
        }
        for pad in element.pads() {
            let refuse = refuse.clone();
            pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
                if let Some(gst::EventView::Caps(c)) = info.event().map(|e| e.view())
                    && let Some(s) = c.caps().structure(0)
                    && let (Ok(w), Ok(h)) = (s.get::<i32>("width"), s.get::<i32>("height"))
                    && (w.max(0) as u64) * (h.max(0) as u64) > MAX_PIXELS
                {
                    refuse(format!(
                        "it is a picture of {w} x {h} pixels ({} megapixels), more than the {} megapixels this kiosk will decode (a file this large can be a decompression bomb). Ask for a smaller copy",
                        (w as u64 * h as u64) / 1_000_000,
                        MAX_PIXELS / 1_000_000
                    ));
                    return gst::PadProbeReturn::Drop;
                }
                gst::PadProbeReturn::Ok
            });
        }
    });
}

/// What a file that GStreamer cannot read really is, from its first bytes: "a web page", "an
/// archive"… `None` when it does not look like anything in particular (then it is damaged media, or
/// media of a kind no plugin here knows).
pub fn not_media(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    describe_bytes(&head[..n])
}

fn describe_bytes(head: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("<!doctype html")
        || trimmed.starts_with("<html")
        || text.contains("<body")
    {
        return Some("a web page");
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some("an archive (ZIP), perhaps of several files or an office document");
    }
    if head.starts_with(b"Rar!")
        || head.starts_with(b"7z\xbc\xaf\x27\x1c")
        || head.starts_with(b"\x1f\x8b")
    {
        return Some("a compressed archive");
    }
    if head.starts_with(b"%PDF") {
        return Some("a PDF document");
    }
    if head.starts_with(b"\x7fELF") || head.starts_with(b"MZ") {
        return Some("a program");
    }
    if trimmed.starts_with("<?xml") {
        return Some("an XML document");
    }
    if !head.is_empty()
        && head
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        return Some("a text file");
    }
    None
}

/// Opens the configured audio output once (`desc`, a sink description such as `autoaudiosink` or
/// `pulsesink device=…`) and closes it again: `Err` says why the room would hear nothing. A sink
/// that cannot open its device fails here (its NULL to READY change opens it); `autoaudiosink` that
/// found no sound card or server and fell back to its own fake sink counts as no sound output too. A
/// configured `fakesink` is a choice (a kiosk without speakers, the tests) and is fine.
pub fn open_audio_output(desc: &str) -> Result<(), String> {
    let bin = gst::parse::bin_from_description(desc, false)
        .map_err(|e| format!("the audio output \"{desc}\" cannot be built: {e}"))?;
    // In a pipeline of its own, for a bus to read the reason from.
    let pipeline = gst::Pipeline::new();
    pipeline
        .add(&bin)
        .map_err(|e| format!("the audio output \"{desc}\" cannot be built: {e}"))?;
    let result = match pipeline.set_state(gst::State::Ready) {
        Ok(_) => {
            let mut fake = false;
            // A resync (the bin changed while iterated) only means looking again next time.
            let _ = bin.iterate_recurse().foreach(|e| {
                fake |= e.name().starts_with("fake-audio-sink");
            });
            if fake {
                Err("no sound card or sound server was found".to_owned())
            } else {
                Ok(())
            }
        }
        Err(_) => {
            let why = pipeline
                .bus()
                .and_then(|bus| bus.pop_filtered(&[gst::MessageType::Error]))
                .and_then(|m| match m.view() {
                    gst::MessageView::Error(e) => Some(e.error().to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| "it refused to open".into());
            Err(format!(
                "the audio output \"{desc}\" cannot be opened: {why}"
            ))
        }
    };
    let _ = pipeline.set_state(gst::State::Null);
    result
}

#[cfg(test)]
mod tests {
    use super::describe_bytes;

    #[test]
    fn files_that_are_not_media_are_named() {
        let cases: [(&[u8], Option<&str>); 7] = [
            (b"<!DOCTYPE html><html>", Some("a web page")),
            (b"  <html><body>404", Some("a web page")),
            (
                b"PK\x03\x04\x14\0",
                Some("an archive (ZIP), perhaps of several files or an office document"),
            ),
            (b"%PDF-1.7\n", Some("a PDF document")),
            (b"exhibit list\nJS/1\n", Some("a text file")),
            (b"\0\0\0\x18ftypmp42", None),
            (b"RIFF\x24\0\0\0WAVEfmt ", None),
        ];
        for (bytes, expected) in cases {
            assert_eq!(describe_bytes(bytes), expected, "{bytes:?}");
        }
    }
}
