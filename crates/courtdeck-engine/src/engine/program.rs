//! A program: one loaded exhibit's pipeline and what the engine knows of it (its route, transport,
//! zoom, clip, and the state a rebuild picks up from).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU8;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use courtdeck_core::{ErrorCode, ExhibitKind, Restriction};
use gstreamer as gst;
use gstreamer::prelude::*;

use super::err;
use super::graph::{Sound, Thumbs};
use crate::protocol::WireError;

/// Per screen of one program.
pub(super) struct Branch {
    pub(super) child: Option<u32>,
    pub(super) sink: gst::Element,
    /// The queue in front of the sink: empty while the sink waits means nothing is arriving (a
    /// freeze); full means the sink is waiting for the next frame's time (a gap in the recording).
    pub(super) queue: gst::Element,
    /// A video link's valve: open only while the link shows this exhibit.
    pub(super) valve: Option<gst::Element>,
}

/// Present times per screen, waiting for that screen's first buffer to report latency.
pub(super) type PendingFirstFrames = Arc<Mutex<HashMap<String, Instant>>>;

pub(super) struct Program {
    pub(super) seq: u64,
    pub(super) exhibit: String,
    pub(super) pipeline: gst::Pipeline,
    /// The decoder of its file (none for a document's pages).
    pub(super) decode: Option<gst::Element>,
    /// A sound-only exhibit's slate source: sent EOS when the sound has ended.
    pub(super) slate: Option<gst::glib::WeakRef<gst::Element>>,
    /// The zoom's `videocrop`: set once its picture's fan-out is built (for a file, on the streaming
    /// thread that finds its picture).
    pub(super) crop: Arc<OnceLock<gst::Element>>,
    pub(super) branches: Arc<Mutex<BTreeMap<String, Branch>>>,
    /// Screens the restriction rule allowed when it was (re)built; the only ones it can be routed to.
    pub(super) allowed: Vec<String>,
    pub(super) pending_first_frames: PendingFirstFrames,
    /// Screens the exhibit is presented on (while on air).
    pub(super) route: Vec<String>,
    pub(super) prerolled: bool,
    pub(super) has_audio: Arc<std::sync::atomic::AtomicBool>,
    pub(super) video_linked: Arc<std::sync::atomic::AtomicBool>,
    pub(super) rate: f64,
    pub(super) playing: bool,
    pub(super) thumbs: Thumbs,
    /// The out point of the clip being played, kept across speed changes and steps.
    pub(super) clip_end: Option<gst::ClockTime>,
    /// The clip ran to its out point (EOS at the seek's stop): its position is the out point, not
    /// what the sink last rendered (an audio sink at 2x reports up to a buffer short of it). Cleared
    /// by the next seek or Play.
    pub(super) at_out_point: std::cell::Cell<bool>,
    /// Paused: where the last seek or step put it (`standing`); `None` while playing and after a
    /// pause.
    pub(super) still_at: std::cell::Cell<Option<gst::ClockTime>>,
    /// Every child window made for this program (also those whose sink never got built).
    pub(super) windows: Vec<u32>,
    pub(super) frame_duration: Arc<Mutex<Duration>>,
    pub(super) loaded_at: Instant,
    /// What was loaded, for a rebuild.
    pub(super) source: Source,
    /// 0 for the first build, 1 for the one retry.
    pub(super) attempt: u32,
    /// The zoom region asked for (`Command::Zoom`), applied once the picture's size is known.
    pub(super) zoom: Option<[f64; 4]>,
    /// A fit-width view (`Command::FitWidth`, a document's page): where it stands, 0.0 top to 1.0
    /// bottom. Takes the place of `zoom`.
    pub(super) fit_width: Option<f64>,
    /// The largest screen this program draws on: what a fit-width view fills.
    pub(super) screen_box: (u32, u32),
    /// A document's pages (`None` for every other kind).
    pub(super) document: Option<DocumentFeed>,
    /// The telestrator's strokes on its picture.
    pub(super) layer: super::annotate::SharedLayer,
    /// Where a rebuilt program picks up once prerolled.
    pub(super) resume: Option<Resume>,
    /// How many times it was rebuilt while on air (`MAX_REBUILDS`).
    pub(super) rebuilds: u32,
    /// The playback watchdog: the last position seen to move, and when.
    pub(super) progress: Option<(gst::ClockTime, Instant)>,
    /// The sound: the audio branch once built (an error from inside it is a lost sound output, not a
    /// bad file) and the level it plays at.
    pub(super) sound: Arc<Mutex<Sound>>,
    /// The streams decodebin chose (`media::VIDEO`, `media::AUDIO`): it is prerolled only once each
    /// has reached its sinks.
    pub(super) expected: Arc<AtomicU8>,
    /// Built with `SILENT_SINK` (the room had no sound output then).
    pub(super) silent: bool,
}

/// Where a rebuilt program picks up: the old one's position, speed, clip and transport.
#[derive(Debug, Clone, Copy)]
pub(super) struct Resume {
    pub(super) position: gst::ClockTime,
    pub(super) playing: bool,
    pub(super) rate: f64,
    pub(super) clip_end: Option<gst::ClockTime>,
}

/// Why a program is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rebuild {
    /// The preroll stalled or came up without its picture (once, quietly).
    Preroll,
    /// It froze while playing (the watchdog).
    Stall,
    /// The sound output failed: it plays on without sound.
    Sound,
    /// A screen's window or what it may show changed (a monitor came back, was swapped, changed
    /// size): the branches are made again for the screens as they are now. Not a fault: it does not
    /// count towards `MAX_REBUILDS`.
    Screens,
    /// A recording was put beside it or taken away (`Command::Beside`): the picture is composed
    /// again. Not a fault either.
    Beside,
}

/// The Load parameters of a program.
#[derive(Debug, Clone)]
pub(super) struct Source {
    pub(super) title: String,
    pub(super) path: std::path::PathBuf,
    pub(super) kind: ExhibitKind,
    pub(super) restriction: Restriction,
    /// A document's page sizes in points (from the manifest), and the page on air: a rebuild shows
    /// the page it stood at.
    pub(super) pages: Vec<[f64; 2]>,
    pub(super) page: u32,
    /// A recording with a transcript: its captions (what each screen shows), shared with the caption
    /// overlays of every build of it, so a rebuild keeps them.
    pub(super) captions: Option<super::captions::SharedCaptions>,
    /// Side by side: the recording shown beside it.
    pub(super) beside: Option<super::beside::BesideSource>,
}

impl Source {
    /// What a screen must allow to show it: its own restriction, or the stricter of it and the
    /// recording's beside it.
    pub(super) fn restriction(&self) -> Restriction {
        self.beside
            .as_ref()
            .map_or(self.restriction, |b| b.restriction.max(self.restriction))
    }
}

/// A document program's source: the pages drawn on their own thread, and what the `appsrc` pushes
/// next (the page, at the time of the last seek; once per seek).
pub(super) struct DocumentFeed {
    pub(super) pages: Arc<crate::document::Pages>,
    pub(super) next: Arc<Mutex<FeedState>>,
}

pub(super) struct FeedState {
    pub(super) page: u32,
    pub(super) at: gst::ClockTime,
    pub(super) pushed: bool,
}

impl Program {
    /// The media's duration, asked of the decoder (an audio exhibit's slate source has none).
    pub(super) fn duration(&self) -> Option<u64> {
        self.decode
            .as_ref()?
            .query_duration::<gst::ClockTime>()
            .map(|d| d.mseconds())
    }
}

impl Program {
    /// Where it stands, for a seek "where it is" (a re-push, a new speed, a step back, a new offset
    /// beside it, a rebuild). Playing: the pipeline's position. Paused: where the last seek or step
    /// put it, else (paused after playing) the frame on its screens. Never the paused pipeline's
    /// position: that is the clock's time when it paused, part of a frame past the one shown, and a
    /// step leaves it at the end of the stepped frame, so seeking there moved the picture on a frame.
    pub(super) fn standing(&self) -> Option<gst::ClockTime> {
        if self.playing {
            return self.pipeline.query_position::<gst::ClockTime>();
        }
        self.still_at
            .get()
            .or_else(|| self.frame_on_screen())
            .or_else(|| self.pipeline.query_position::<gst::ClockTime>())
    }

    /// The stream time of the frame its screens hold (the earliest, should they differ): each
    /// sink's `last-sample`, in its own segment. Only up to date once a seek or step has landed.
    fn frame_on_screen(&self) -> Option<gst::ClockTime> {
        let branches = self.branches.lock().expect("branches");
        branches
            .values()
            .filter_map(|b| b.sink.property::<Option<gst::Sample>>("last-sample"))
            .filter_map(|sample| {
                let pts = sample.buffer()?.pts()?;
                let segment = sample.segment()?.downcast_ref::<gst::ClockTime>()?;
                segment.to_stream_time(pts)
            })
            .min()
    }

    /// The size of the picture going into the zoom's crop: a document's page as drawn (known before
    /// its frame arrives, so a page turn crops the new page, not the old one), else the caps.
    pub(super) fn picture_size(&self) -> Option<(u32, u32)> {
        if let Some(d) = &self.document {
            return d.pages.size_of(self.source.page);
        }
        let caps = self.crop.get()?.static_pad("sink")?.current_caps()?;
        let info = gstreamer_video::VideoInfo::from_caps(&caps).ok()?;
        Some((info.width(), info.height()))
    }

    /// The region the screens show: a fit-width view worked out for this picture and the screens'
    /// shape, else the zoom asked for.
    pub(super) fn view(&self, picture: (u32, u32)) -> Option<[f64; 4]> {
        match (self.fit_width, self.zoom) {
            (Some(scroll), _) => {
                let (x, y, w, h) =
                    courtdeck_core::fit_width_region(picture, self.screen_box, scroll);
                Some([x, y, w, h])
            }
            (None, zoom) => zoom,
        }
    }
}

/// Crops `p`'s picture to its zoom region: `videocrop` after the decoder (and after `imagefreeze` for a
/// still), so every screen and the thumbnail show the same region, each scaled to fit without
/// distortion. Paused, a flushing seek to where it stands pushes the frame through again.
pub(super) fn apply_zoom(p: &Program) -> Result<(), WireError> {
    if p.zoom.is_none() && p.fit_width.is_none() {
        return Ok(());
    }
    set_crop(p)?;
    repush(p)
}

/// Pushes a paused picture through again where it stands (a flushing seek), so a change to what is
/// drawn on it (the crop, the strokes) reaches the screens; a playing one picks it up by itself.
pub(super) fn repush(p: &Program) -> Result<(), WireError> {
    if p.playing {
        return Ok(());
    }
    seek(p, p.rate, p.standing().unwrap_or(gst::ClockTime::ZERO))
}

/// Sets the crop for `p`'s view (none: the whole picture) without pushing a frame.
pub(super) fn set_crop(p: &Program) -> Result<(), WireError> {
    let no_picture = || {
        err(
            ErrorCode::InvalidState,
            format!("exhibit {} has no picture to zoom into", p.exhibit),
        )
    };
    let crop = p.crop.get().ok_or_else(no_picture)?;
    let picture = p.picture_size().ok_or_else(no_picture)?;
    let [x, y, width, height] = p.view(picture).unwrap_or([0.0, 0.0, 1.0, 1.0]);
    let (w, h) = (picture.0 as f64, picture.1 as f64);
    // At least 2x2 pixels stay, however small the picture: a zero-sized crop would fail negotiation
    // and take the exhibit off the screens.
    let left = ((x * w).round()).min(w - 2.0).max(0.0) as i32;
    let top = ((y * h).round()).min(h - 2.0).max(0.0) as i32;
    let right = (w - ((x + width) * w).round()).clamp(0.0, (w - left as f64 - 2.0).max(0.0)) as i32;
    let bottom =
        (h - ((y + height) * h).round()).clamp(0.0, (h - top as f64 - 2.0).max(0.0)) as i32;
    crop.set_property("left", left);
    crop.set_property("right", right);
    crop.set_property("top", top);
    crop.set_property("bottom", bottom);
    tracing::info!(exhibit = p.exhibit, left, right, top, bottom, "zoom");
    Ok(())
}

/// Milliseconds from the wire as a clock time; absurd values saturate instead of panicking.
/// What the court is told of a file that is no recording or picture at all.
pub(super) fn not_a_recording(exhibit: &str, what: &str) -> String {
    format!(
        "Exhibit {exhibit} is not a recording or a picture: the file is {what}. Ask the party who served it for the original. Other exhibits still play."
    )
}

pub(super) fn millis(ms: u64) -> gst::ClockTime {
    gst::ClockTime::from_nseconds(ms.saturating_mul(1_000_000).min(i64::MAX as u64))
}

/// A flushing, accurate seek that keeps the program's clip out point (if a clip is playing), so that
/// changing speed or stepping never runs past the end of the clip. A start at or past the out point
/// (a clip that ran to its end, its frame pushed again for captions or strokes) is its last frame.
pub(super) fn seek(p: &Program, rate: f64, start: gst::ClockTime) -> Result<(), WireError> {
    p.at_out_point.set(false);
    let flags = gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE;
    let (stop_type, stop) = (gst::SeekType::Set, p.clip_end);
    let start = match stop {
        Some(end) if start >= end => {
            let frame = *p.frame_duration.lock().expect("frame duration");
            end.saturating_sub(gst::ClockTime::from_nseconds(frame.as_nanos() as u64))
        }
        _ => start,
    };
    p.still_at.set((!p.playing).then_some(start));
    p.pipeline
        .seek(rate, flags, gst::SeekType::Set, start, stop_type, stop)
        .map_err(|_| {
            err(
                ErrorCode::InvalidState,
                format!("exhibit {} cannot seek there", p.exhibit),
            )
        })
}

/// Which of the deck's two places a program is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    OnAir,
    Cue,
}

/// The programs the engine holds: the one on air and the one cued behind it, at most one of each
/// (the rule is this type: there is nowhere to keep a third).
#[derive(Default)]
pub(super) struct Deck {
    on_air: Option<Program>,
    cue: Option<Program>,
}

impl Deck {
    pub(super) fn programs(&self) -> impl Iterator<Item = &Program> {
        self.iter()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Program> {
        self.on_air.iter().chain(self.cue.iter())
    }

    pub(super) fn on_air(&self) -> Option<&Program> {
        self.on_air.as_ref()
    }

    pub(super) fn on_air_mut(&mut self) -> Option<&mut Program> {
        self.on_air.as_mut()
    }

    pub(super) fn on_air_exhibit(&self) -> Option<&str> {
        self.on_air.as_ref().map(|p| p.exhibit.as_str())
    }

    pub(super) fn is_on_air(&self, exhibit: &str) -> bool {
        self.on_air_exhibit() == Some(exhibit)
    }

    pub(super) fn slot_of(&self, exhibit: &str) -> Option<Slot> {
        self.slot_where(|p| p.exhibit == exhibit)
    }

    pub(super) fn slot_of_seq(&self, seq: u64) -> Option<Slot> {
        self.slot_where(|p| p.seq == seq)
    }

    fn slot_where(&self, f: impl Fn(&Program) -> bool) -> Option<Slot> {
        if self.on_air.as_ref().is_some_and(&f) {
            Some(Slot::OnAir)
        } else if self.cue.as_ref().is_some_and(&f) {
            Some(Slot::Cue)
        } else {
            None
        }
    }

    pub(super) fn find(&self, exhibit: &str) -> Option<&Program> {
        self.slot_of(exhibit).map(|s| &self[s])
    }

    pub(super) fn find_mut(&mut self, exhibit: &str) -> Option<&mut Program> {
        self.slot_of(exhibit).map(|s| &mut self[s])
    }

    /// Puts a newly built program in `slot`; returns the one it replaces, for teardown.
    pub(super) fn put(&mut self, slot: Slot, p: Program) -> Option<Program> {
        match slot {
            Slot::OnAir => self.on_air.replace(p),
            Slot::Cue => self.cue.replace(p),
        }
    }

    /// Puts `exhibit` on air (the cued one moves up; the one on air stays); returns the program it
    /// took off air, for teardown. `None` when `exhibit` is not on the deck.
    pub(super) fn go_on_air(&mut self, exhibit: &str) -> Option<Option<Program>> {
        match self.slot_of(exhibit)? {
            Slot::OnAir => Some(None),
            Slot::Cue => {
                let cued = self.cue.take();
                Some(std::mem::replace(&mut self.on_air, cued))
            }
        }
    }

    pub(super) fn take(&mut self, exhibit: &str) -> Option<Program> {
        match self.slot_of(exhibit)? {
            Slot::OnAir => self.on_air.take(),
            Slot::Cue => self.cue.take(),
        }
    }

    pub(super) fn take_cue(&mut self) -> Option<Program> {
        self.cue.take()
    }

    pub(super) fn take_all(&mut self) -> Vec<Program> {
        self.on_air
            .take()
            .into_iter()
            .chain(self.cue.take())
            .collect()
    }
}

impl std::ops::Index<Slot> for Deck {
    type Output = Program;

    fn index(&self, slot: Slot) -> &Program {
        match slot {
            Slot::OnAir => self.on_air.as_ref(),
            Slot::Cue => self.cue.as_ref(),
        }
        .expect("a program in that slot")
    }
}

impl std::ops::IndexMut<Slot> for Deck {
    fn index_mut(&mut self, slot: Slot) -> &mut Program {
        match slot {
            Slot::OnAir => self.on_air.as_mut(),
            Slot::Cue => self.cue.as_mut(),
        }
        .expect("a program in that slot")
    }
}
