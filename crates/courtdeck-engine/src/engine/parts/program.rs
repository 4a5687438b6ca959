//! A program: one loaded exhibit's pipeline and what the engine knows of it (its route, transport,
//! zoom, clip, and the state a rebuild picks up from).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU8;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use courtdeck_core::{ErrorCode, ExhibitKind, Restriction};
use gstreamer as gst;
use gstreamer::prelude::*;

use super::base::err;
use super::document::DocumentFeed;
use super::graph::{Branch, PendingFirstFrames, Sound, Thumbs};
use crate::protocol::WireError;

/// What a build made: the pipeline, its elements, and the handles its streaming threads share. Set
/// once when the program is built (`Program::new`) and read-only after: a `Program` derefs to it.
pub(in crate::engine) struct Built {
    pub(in crate::engine) seq: u64,
    pub(in crate::engine) exhibit: String,
    pub(in crate::engine) pipeline: gst::Pipeline,
    /// The decoder of its file (none for a document's pages).
    pub(in crate::engine) decode: Option<gst::Element>,
    /// A sound-only exhibit's slate source: sent EOS when the sound has ended.
    pub(in crate::engine) slate: Option<gst::glib::WeakRef<gst::Element>>,
    /// The zoom's `videocrop`: set once its picture's fan-out is built (for a file, on the streaming
    /// thread that finds its picture).
    pub(in crate::engine) crop: Arc<OnceLock<gst::Element>>,
    /// A live source's hold block: set once its picture's fan-out is built.
    pub(in crate::engine) hold: Arc<OnceLock<super::live::Hold>>,
    pub(in crate::engine) branches: Arc<Mutex<BTreeMap<String, Branch>>>,
    /// Screens the restriction rule allowed when it was (re)built; the only ones it can be routed to.
    pub(in crate::engine) allowed: Vec<String>,
    pub(in crate::engine) pending_first_frames: PendingFirstFrames,
    pub(in crate::engine) has_audio: Arc<std::sync::atomic::AtomicBool>,
    pub(in crate::engine) video_linked: Arc<std::sync::atomic::AtomicBool>,
    pub(in crate::engine) thumbs: Thumbs,
    /// Every child window made for this program (also those whose sink never got built).
    pub(in crate::engine) windows: Vec<u32>,
    pub(in crate::engine) frame_duration: Arc<Mutex<Duration>>,
    pub(in crate::engine) loaded_at: Instant,
    /// 0 for the first build, 1 for the one retry.
    pub(in crate::engine) attempt: u32,
    /// The largest screen this program draws on: what a fit-width view fills.
    pub(in crate::engine) screen_box: (u32, u32),
    /// A document's pages (`None` for every other kind).
    pub(in crate::engine) document: Option<DocumentFeed>,
    /// The telestrator's strokes on its picture.
    pub(in crate::engine) layer: super::annotate::SharedLayer,
    /// The sound: the audio branch once built (an error from inside it is a lost sound output, not a
    /// bad file) and the level it plays at.
    pub(in crate::engine) sound: Arc<Mutex<Sound>>,
    /// The streams decodebin chose (`media::VIDEO`, `media::AUDIO`): it is prerolled only once each
    /// has reached its sinks.
    pub(in crate::engine) expected: Arc<AtomicU8>,
    /// Built with `SILENT_SINK` (the room had no sound output then).
    pub(in crate::engine) silent: bool,
    /// A live source's signal (`None` for an exhibit).
    pub(in crate::engine) signal: Option<super::live::SignalWatch>,
}

/// One loaded exhibit: what its build made (`Built`, read-only), and the state the engine changes
/// as it is presented, played, zoomed and rebuilt, private behind the methods below.
pub(in crate::engine) struct Program {
    built: Built,
    /// Screens the exhibit is presented on (while on air).
    route: Vec<String>,
    prerolled: bool,
    rate: f64,
    playing: bool,
    /// The out point of the clip being played, kept across speed changes and steps.
    clip_end: Option<gst::ClockTime>,
    /// The clip ran to its out point (EOS at the seek's stop): its position is the out point, not
    /// what the sink last rendered (an audio sink at 2x reports up to a buffer short of it). Cleared
    /// by the next seek or Play.
    at_out_point: std::cell::Cell<bool>,
    /// Paused: where the last seek or step put it (`standing`); `None` while playing and after a
    /// pause.
    still_at: std::cell::Cell<Option<gst::ClockTime>>,
    /// What was loaded, for a rebuild.
    source: Source,
    /// The zoom region asked for (`Command::Zoom`), applied once the picture's size is known.
    zoom: Option<[f64; 4]>,
    /// A fit-width view (`Command::FitWidth`, a document's page): where it stands, 0.0 top to 1.0
    /// bottom. Takes the place of `zoom`.
    fit_width: Option<f64>,
    /// Where a rebuilt program picks up once prerolled.
    resume: Option<Resume>,
    /// How many times it was rebuilt while on air (`MAX_REBUILDS`).
    rebuilds: u32,
    /// The playback watchdog: the last position seen to move, and when.
    progress: Option<(gst::ClockTime, Instant)>,
    /// A live source frozen on a frame (`Command::Hold`).
    held: bool,
    /// A live source whose caller hung up while it was held: it gets its fresh listener on release.
    stale: bool,
    /// Paused with its screens holding different frames, it was sought to the earliest of them
    /// (`realign`): the pause is answered once that seek has landed.
    realigning: bool,
}

impl std::ops::Deref for Program {
    type Target = Built;

    fn deref(&self) -> &Built {
        &self.built
    }
}

impl Program {
    /// A program as built, not yet prerolled, routed or playing: at normal speed, with its whole
    /// picture and no clip. `resume` is where a rebuild picks up once prerolled.
    pub(in crate::engine) fn new(built: Built, source: Source, resume: Option<Resume>) -> Program {
        Program {
            built,
            route: Vec::new(),
            prerolled: false,
            rate: 1.0,
            playing: false,
            clip_end: None,
            at_out_point: std::cell::Cell::new(false),
            still_at: std::cell::Cell::new(None),
            source,
            zoom: None,
            fit_width: None,
            resume,
            rebuilds: 0,
            progress: None,
            held: false,
            stale: false,
            realigning: false,
        }
    }

    /// Screens the exhibit is presented on (while on air).
    pub(in crate::engine) fn route(&self) -> &[String] {
        &self.route
    }

    pub(in crate::engine) fn set_route(&mut self, screens: Vec<String>) {
        self.route = screens;
    }

    pub(in crate::engine) fn prerolled(&self) -> bool {
        self.prerolled
    }

    /// It reached its first frame (its bus said so).
    pub(in crate::engine) fn mark_prerolled(&mut self) {
        self.prerolled = true;
    }

    pub(in crate::engine) fn rate(&self) -> f64 {
        self.rate
    }

    pub(in crate::engine) fn set_rate(&mut self, rate: f64) {
        self.rate = rate;
    }

    pub(in crate::engine) fn playing(&self) -> bool {
        self.playing
    }

    pub(in crate::engine) fn set_playing(&mut self, playing: bool) {
        self.playing = playing;
    }

    /// The out point of the clip being played.
    pub(in crate::engine) fn clip_end(&self) -> Option<gst::ClockTime> {
        self.clip_end
    }

    pub(in crate::engine) fn set_clip_end(&mut self, end: Option<gst::ClockTime>) {
        self.clip_end = end;
    }

    /// The clip ran to its out point (its position is the out point).
    pub(in crate::engine) fn at_out_point(&self) -> bool {
        self.at_out_point.get()
    }

    pub(in crate::engine) fn set_at_out_point(&self, at: bool) {
        self.at_out_point.set(at);
    }

    /// Paused, where a seek or step put it (`standing`); `None` while playing.
    pub(in crate::engine) fn set_still_at(&self, at: Option<gst::ClockTime>) {
        self.still_at.set(at);
    }

    /// What was loaded, for a rebuild.
    pub(in crate::engine) fn source(&self) -> &Source {
        &self.source
    }

    /// The recording shown beside it (none: alone).
    pub(in crate::engine) fn set_beside(&mut self, beside: Option<super::beside::BesideSource>) {
        self.source.beside = beside;
    }

    /// The zoom region asked for.
    pub(in crate::engine) fn zoom(&self) -> Option<[f64; 4]> {
        self.zoom
    }

    /// A fit-width view and where it stands (0.0 top, 1.0 bottom).
    pub(in crate::engine) fn fit_width(&self) -> Option<f64> {
        self.fit_width
    }

    /// Shows `region` of the picture (x, y, width, height as fractions of it).
    pub(in crate::engine) fn zoom_to(&mut self, region: [f64; 4]) {
        self.zoom = Some(region);
        self.fit_width = None;
    }

    /// A document page's full width, scrolled to `scroll`.
    pub(in crate::engine) fn fit_width_at(&mut self, scroll: f64) {
        self.zoom = None;
        self.fit_width = Some(scroll);
    }

    /// Turns a document to `page`: the whole page, or its width from the top.
    pub(in crate::engine) fn turn_to(&mut self, page: u32, fit_width: bool) {
        self.source.page = page;
        self.zoom = None;
        self.fit_width = fit_width.then_some(0.0);
    }

    /// A rebuild that has not yet picked up where the program it replaced stood.
    pub(in crate::engine) fn resuming(&self) -> bool {
        self.resume.is_some()
    }

    /// Takes where a rebuild is to pick up (once, when it has prerolled).
    pub(in crate::engine) fn take_resume(&mut self) -> Option<Resume> {
        self.resume.take()
    }

    /// How many times it was rebuilt while on air.
    /// A capture source's configured device (`LiveInput::Capture`).
    pub(in crate::engine) fn capture_device(&self) -> Option<&str> {
        match &self.source().live.as_ref()?.input {
            crate::protocol::LiveInput::Capture { device } => Some(device),
            _ => None,
        }
    }

    pub(in crate::engine) fn rebuilds(&self) -> u32 {
        self.rebuilds
    }

    /// A rebuild takes over what the program it replaces showed and how often it was rebuilt.
    pub(in crate::engine) fn take_over(
        &mut self,
        zoom: Option<[f64; 4]>,
        fit_width: Option<f64>,
        rebuilds: u32,
        route: Option<Vec<String>>,
    ) {
        self.zoom = zoom;
        self.fit_width = fit_width;
        self.rebuilds = rebuilds;
        if let Some(route) = route {
            self.route = route;
        }
    }

    /// The playback watchdog: the last position seen to move, and when.
    pub(in crate::engine) fn progress(&self) -> Option<(gst::ClockTime, Instant)> {
        self.progress
    }

    pub(in crate::engine) fn set_progress(&mut self, progress: Option<(gst::ClockTime, Instant)>) {
        self.progress = progress;
    }
}

/// Where a rebuilt program picks up: the old one's position, speed, clip and transport.
#[derive(Debug, Clone, Copy)]
pub(in crate::engine) struct Resume {
    pub(in crate::engine) position: gst::ClockTime,
    pub(in crate::engine) playing: bool,
    pub(in crate::engine) rate: f64,
    pub(in crate::engine) clip_end: Option<gst::ClockTime>,
}

/// Why a program is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::engine) enum Rebuild {
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
    /// A live source's caller hung up: a fresh listener for the next one. Not a fault.
    Signal,
    /// A live source failed (a stream it could not read or decode): counts towards `MAX_REBUILDS`.
    Source,
}

/// The Load parameters of a program.
#[derive(Debug, Clone)]
pub(in crate::engine) struct Source {
    pub(in crate::engine) title: String,
    pub(in crate::engine) path: std::path::PathBuf,
    pub(in crate::engine) kind: ExhibitKind,
    pub(in crate::engine) restriction: Restriction,
    /// A document's page sizes in points (from the manifest), and the page on air: a rebuild shows
    /// the page it stood at.
    pub(in crate::engine) pages: Vec<[f64; 2]>,
    pub(in crate::engine) page: u32,
    /// A recording with a transcript: its captions (what each screen shows), shared with the caption
    /// overlays of every build of it, so a rebuild keeps them.
    pub(in crate::engine) captions: Option<super::captions::SharedCaptions>,
    /// Side by side: the recording shown beside it.
    pub(in crate::engine) beside: Option<super::beside::BesideSource>,
    /// A live source (`Command::LoadLive`): where its picture comes from, who may see it. Its
    /// `path` is empty and its `kind` a video's; it has no timeline to seek, step or pause.
    pub(in crate::engine) live: Option<super::live::LiveSpec>,
}

impl Source {
    /// What a screen must allow to show it: its own restriction, or the stricter of it and the
    /// recording's beside it.
    pub(in crate::engine) fn restriction(&self) -> Restriction {
        self.beside
            .as_ref()
            .map_or(self.restriction, |b| b.restriction().max(self.restriction))
    }
}

impl Program {
    /// Whether it is a live source, not an exhibit from the cache.
    pub(in crate::engine) fn is_live(&self) -> bool {
        self.source.live.is_some()
    }

    /// Whether it has a picture to show: always for an exhibit; for a live source, while its
    /// signal is there or a frame is held. Without one its windows stay unmapped, its links dark and
    /// its sound silent.
    pub(in crate::engine) fn has_picture(&self) -> bool {
        self.held || self.built.signal.as_ref().is_none_or(|s| s.present())
    }

    pub(in crate::engine) fn held(&self) -> bool {
        self.held
    }

    /// Freezes a live picture on its current frame, or releases it. Returns whether its caller
    /// hung up while it was held (it then needs a fresh listener).
    pub(in crate::engine) fn set_held(&mut self, held: bool) -> Result<bool, String> {
        let Some(hold) = self.built.hold.get() else {
            return Err(format!(
                "{} has shown no picture yet: nothing to hold",
                self.exhibit
            ));
        };
        hold.set(held);
        self.held = held;
        Ok(!held && std::mem::take(&mut self.stale))
    }

    /// Its caller hung up while it was held: the held frame stays until released.
    pub(in crate::engine) fn mark_stale(&mut self) {
        self.stale = true;
    }

    /// The media's duration, asked of the decoder (an audio exhibit's slate source has none).
    pub(in crate::engine) fn duration(&self) -> Option<u64> {
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
    pub(in crate::engine) fn standing(&self) -> Option<gst::ClockTime> {
        if self.playing {
            return self.pipeline.query_position::<gst::ClockTime>();
        }
        self.still_at
            .get()
            .or_else(|| self.frame_on_screen())
            .or_else(|| self.pipeline.query_position::<gst::ClockTime>())
    }

    /// The stream time of the frame its screens hold (the earliest, should they differ).
    fn frame_on_screen(&self) -> Option<gst::ClockTime> {
        self.frames_on_screens().into_iter().min()
    }

    /// The stream time of the frame each screen holds: each window's (or headless screen's)
    /// sink's `last-sample`, in its own segment. A video link's sink is left out: its valve stops
    /// its frames while the link shows something else.
    fn frames_on_screens(&self) -> Vec<gst::ClockTime> {
        let branches = self.branches.lock().expect("branches");
        branches
            .values()
            .filter(|b| b.valve.is_none())
            .filter_map(|b| b.sink.property::<Option<gst::Sample>>("last-sample"))
            .filter_map(|sample| {
                let pts = sample.buffer()?.pts()?;
                let segment = sample.segment()?.downcast_ref::<gst::ClockTime>()?;
                segment.to_stream_time(pts)
            })
            .collect()
    }

    /// Paused (its AsyncDone came), every screen must hold the same frame: a recording paused
    /// while playing stops each screen on the frame its own queue held, and these can be a frame
    /// or two apart (a larger screen's scaler is slower). If they differ, an accurate seek to the
    /// earliest makes every sink preroll that one frame; a step then moves them all together. Once
    /// per pause: the seek's own AsyncDone ends it (`realigning`), and a pause is answered only
    /// then. Returns whether it sought.
    pub(in crate::engine) fn realign(&mut self) -> bool {
        if std::mem::take(&mut self.realigning) {
            let frames = self.frames_on_screens();
            if frames.iter().min() != frames.iter().max() {
                tracing::warn!(
                    exhibit = self.exhibit,
                    ?frames,
                    "screens still hold different frames"
                );
            }
            return false;
        }
        if self.playing || !self.source.kind.capabilities().moving_picture {
            return false;
        }
        let frames = self.frames_on_screens();
        let (Some(&first), Some(&last)) = (frames.iter().min(), frames.iter().max()) else {
            return false;
        };
        if first == last {
            return false;
        }
        tracing::info!(
            exhibit = self.exhibit,
            ?frames,
            "paused screens differ; all to the earliest"
        );
        self.realigning = seek(self, self.rate, first).is_ok();
        self.realigning
    }

    /// A realigning seek is in flight: its pause is not answered yet.
    pub(in crate::engine) fn realigning(&self) -> bool {
        self.realigning
    }

    /// The size of the picture going into the zoom's crop: a document's page as drawn (known before
    /// its frame arrives, so a page turn crops the new page, not the old one), else the caps.
    pub(in crate::engine) fn picture_size(&self) -> Option<(u32, u32)> {
        if let Some(d) = &self.document {
            return d.size_of(self.source.page);
        }
        let caps = self.crop.get()?.static_pad("sink")?.current_caps()?;
        let info = gstreamer_video::VideoInfo::from_caps(&caps).ok()?;
        Some((info.width(), info.height()))
    }

    /// The region the screens show: a fit-width view worked out for this picture and the screens'
    /// shape, else the zoom asked for.
    pub(in crate::engine) fn view(&self, picture: (u32, u32)) -> Option<[f64; 4]> {
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
pub(in crate::engine) fn apply_zoom(p: &Program) -> Result<(), WireError> {
    if p.zoom.is_none() && p.fit_width.is_none() {
        return Ok(());
    }
    set_crop(p)?;
    repush(p)
}

/// Pushes a paused picture through again where it stands (a flushing seek), so a change to what is
/// drawn on it (the crop, the strokes) reaches the screens; a playing one picks it up by itself.
pub(in crate::engine) fn repush(p: &Program) -> Result<(), WireError> {
    if p.playing {
        return Ok(());
    }
    seek(p, p.rate, p.standing().unwrap_or(gst::ClockTime::ZERO))
}

/// Sets the crop for `p`'s view (none: the whole picture) without pushing a frame.
pub(in crate::engine) fn set_crop(p: &Program) -> Result<(), WireError> {
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
pub(in crate::engine) fn not_a_recording(exhibit: &str, what: &str) -> String {
    format!(
        "Exhibit {exhibit} is not a recording or a picture: the file is {what}. Ask the party who served it for the original. Other exhibits still play."
    )
}

pub(in crate::engine) fn millis(ms: u64) -> gst::ClockTime {
    gst::ClockTime::from_nseconds(ms.saturating_mul(1_000_000).min(i64::MAX as u64))
}

/// A flushing, accurate seek that keeps the program's clip out point (if a clip is playing), so that
/// changing speed or stepping never runs past the end of the clip. A start at or past the out point
/// (a clip that ran to its end, its frame pushed again for captions or strokes) is its last frame.
pub(in crate::engine) fn seek(
    p: &Program,
    rate: f64,
    start: gst::ClockTime,
) -> Result<(), WireError> {
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
pub(in crate::engine) enum Slot {
    OnAir,
    Cue,
}

/// The programs the engine holds: the one on air and the one cued behind it, at most one of each
/// (the rule is this type: there is nowhere to keep a third).
#[derive(Default)]
pub(in crate::engine) struct Deck {
    on_air: Option<Program>,
    cue: Option<Program>,
}

impl Deck {
    pub(in crate::engine) fn programs(&self) -> impl Iterator<Item = &Program> {
        self.iter()
    }

    pub(in crate::engine) fn iter(&self) -> impl Iterator<Item = &Program> {
        self.on_air.iter().chain(self.cue.iter())
    }

    pub(in crate::engine) fn on_air(&self) -> Option<&Program> {
        self.on_air.as_ref()
    }

    pub(in crate::engine) fn on_air_mut(&mut self) -> Option<&mut Program> {
        self.on_air.as_mut()
    }

    pub(in crate::engine) fn on_air_exhibit(&self) -> Option<&str> {
        self.on_air.as_ref().map(|p| p.exhibit.as_str())
    }

    pub(in crate::engine) fn is_on_air(&self, exhibit: &str) -> bool {
        self.on_air_exhibit() == Some(exhibit)
    }

    pub(in crate::engine) fn slot_of(&self, exhibit: &str) -> Option<Slot> {
        self.slot_where(|p| p.exhibit == exhibit)
    }

    pub(in crate::engine) fn slot_of_seq(&self, seq: u64) -> Option<Slot> {
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

    pub(in crate::engine) fn find(&self, exhibit: &str) -> Option<&Program> {
        self.slot_of(exhibit).map(|s| &self[s])
    }

    pub(in crate::engine) fn find_mut(&mut self, exhibit: &str) -> Option<&mut Program> {
        self.slot_of(exhibit).map(|s| &mut self[s])
    }

    /// Puts a newly built program in `slot`; returns the one it replaces, for teardown.
    pub(in crate::engine) fn put(&mut self, slot: Slot, p: Program) -> Option<Program> {
        match slot {
            Slot::OnAir => self.on_air.replace(p),
            Slot::Cue => self.cue.replace(p),
        }
    }

    /// Puts `exhibit` on air (the cued one moves up; the one on air stays); returns the program it
    /// took off air, for teardown. `None` when `exhibit` is not on the deck.
    pub(in crate::engine) fn go_on_air(&mut self, exhibit: &str) -> Option<Option<Program>> {
        match self.slot_of(exhibit)? {
            Slot::OnAir => Some(None),
            Slot::Cue => {
                let cued = self.cue.take();
                Some(std::mem::replace(&mut self.on_air, cued))
            }
        }
    }

    pub(in crate::engine) fn take(&mut self, exhibit: &str) -> Option<Program> {
        match self.slot_of(exhibit)? {
            Slot::OnAir => self.on_air.take(),
            Slot::Cue => self.cue.take(),
        }
    }

    pub(in crate::engine) fn take_cue(&mut self) -> Option<Program> {
        self.cue.take()
    }

    pub(in crate::engine) fn take_all(&mut self) -> Vec<Program> {
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
