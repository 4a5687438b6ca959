//! The playout engine: owns the outputs and one GStreamer pipeline per loaded exhibit.
//!
//! ```text
//!                                                                   one per output size                          one per screen
//!                                                              ┌▶ queue ▶ videoconvert ▶ videoscale ▶ caps WxH ▶ tee ─┬▶ queue ▶ sink (BENCH)
//! uridecodebin3 ─video▶ videoconvert ▶ videoflip(auto)         │                                                      └▶ queue ▶ sink (WITNESS)
//!   (file:// from        ▶ [imagefreeze] ▶ videocrop(zoom) ▶ tee ┼▶ … the next output size …
//!    the verified cache)                                       └▶ queue(leaky) ▶ ≤2 fps probe ▶ 192x108 ▶ jpegenc ▶ appsink (thumbnails)
//!               └audio▶ audioconvert ▶ audioresample ▶ scaletempo ▶ volume ▶ level ▶ audio sink
//! audio-only exhibits: videotestsrc (black) ▶ textoverlay(title) ▶ timeoverlay ▶ tee …   (the slate)
//!
//! With no exhibit drawn on it a screen shows its window's background: black, or a slate (standby
//! after an engine restart, "exhibit unavailable" after an on-air failure) painted once as a pixmap.
//! ```
//!
//! One decode per exhibit fans out to every screen allowed to show it (the restriction rule is checked
//! again here, so a screen that may not see an exhibit never even gets a sink for it). Each branch draws
//! into its own child window, unmapped until Present: a prerolled exhibit sits paused on its first frame,
//! invisible, and Present is a map and an expose.
//!
//! Threads: the engine runs on one thread and is the only one that changes pipeline state. GStreamer's
//! streaming threads talk to it only through the `Msg` channel (bus sync handler) and atomics (frame
//! counters in pad probes).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use courtdeck_core::{ErrorCode, ExhibitKind, OutputRole, Restriction, may_show};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video::prelude::*;

use crate::protocol::{
    CardReport, CardScreen, Command, Event, OutputKind, OutputSpec, ScreenStats, ToneReport,
    WireError,
};
use crate::{checks, media, x11};

/// Size headless outputs scale to, so that their cost resembles a real screen's.
const HEADLESS_SIZE: (u16, u16) = (1280, 720);

/// How long a loaded exhibit may take to reach its first frame before it is declared unplayable.
const PREROLL_TIMEOUT: Duration = Duration::from_secs(10);
/// A decoder that cannot decode a frame skips it without an error (`jpegdec` ignores `max-errors`), so
/// a damaged stretch would play as if it were not there. A jump in the decoded pictures' timestamps
/// longer than this (or a last picture this far from the end) is reported (`Event::Warning`).
const GAP: gst::ClockTime = gst::ClockTime::from_seconds(1);
/// A local file prerolls in well under 100 ms; one that has not after this is rebuilt once.
const RETRY_AFTER: Duration = Duration::from_secs(2);
/// A playing exhibit whose position has not moved for this long has frozen: it is reported and
/// rebuilt where it stood (the playback watchdog).
const STALL_AFTER: Duration = Duration::from_secs(2);
/// How many times one exhibit is rebuilt while on air (a freeze, a lost sound output) before the
/// court is told it cannot be played.
const MAX_REBUILDS: u32 = 3;
/// The audio sink used when the room's sound output cannot be opened: the picture plays on.
const SILENT_SINK: &str = "fakesink sync=true";

pub type Emit = Arc<dyn Fn(Event) + Send + Sync>;

/// What reaches the engine thread.
#[derive(Debug)]
pub enum Msg {
    Request {
        id: u64,
        command: Command,
    },
    Bus {
        program: u64,
        message: gst::Message,
    },
    Tick,
    /// A stretch of the program's video reached no screen: from `from` to `to` (`None`: to the end).
    Gap {
        program: u64,
        from: gst::ClockTime,
        to: Option<gst::ClockTime>,
    },
    /// The program must not play, for a reason found on a streaming thread before any harm was done
    /// (a picture over `media::MAX_PIXELS`).
    Refuse {
        program: u64,
        reason: String,
    },
    /// stdin closed: the supervisor is gone.
    Hangup,
}

/// A check's result as a reply's `(error, data)`.
fn split<T: serde::Serialize>(
    r: Result<T, WireError>,
) -> (Option<WireError>, Option<serde_json::Value>) {
    match r {
        Ok(v) => (
            None,
            Some(serde_json::to_value(v).expect("reports serialise")),
        ),
        Err(e) => (Some(e), None),
    }
}

fn err(code: ErrorCode, message: impl Into<String>) -> WireError {
    WireError {
        code: code.as_str().into(),
        message: message.into(),
    }
}

struct Output {
    spec: OutputSpec,
    role: OutputRole,
    /// The output window and its size; `None` for headless outputs or a missing monitor.
    window: Option<(u32, u16, u16)>,
    blanked: bool,
    /// What the screen shows when no exhibit is drawn on it: black (`None`) or a slate.
    slate: Option<Slate>,
    /// The slate last drawn on the window (`draw_slates` catches up with `slate`).
    drawn: Option<Slate>,
    frames: Arc<AtomicU64>,
}

/// The neutral pictures a screen shows instead of black. Neither names an exhibit: a restricted
/// exhibit's reference must not reach the public gallery even in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slate {
    /// After the playout engine restarted: nothing is shown until an advocate presents again.
    Standby,
    /// The exhibit on this screen failed while on air (damaged file, lost decoder).
    Unavailable,
}

impl Slate {
    pub fn as_str(self) -> &'static str {
        match self {
            Slate::Standby => "standby",
            Slate::Unavailable => "unavailable",
        }
    }

    /// Background colour (ARGB) and the text, given the screen's label.
    fn look(self, label: &str) -> (u32, String) {
        match self {
            Slate::Standby => (SLATE_STANDBY_ARGB, format!("{label}\nNo exhibit on screen")),
            Slate::Unavailable => (
                SLATE_UNAVAILABLE_ARGB,
                "Exhibit unavailable\nThe advocate has been told why".to_owned(),
            ),
        }
    }
}

/// The slates' background colours; tests read them back from the screens.
pub const SLATE_STANDBY_ARGB: u32 = 0xff1c2733;
pub const SLATE_UNAVAILABLE_ARGB: u32 = 0xff3a2a1c;

/// Per screen of one program.
struct Branch {
    child: Option<u32>,
    sink: gst::Element,
    /// The queue in front of the sink: empty while the sink waits means nothing is arriving (a
    /// freeze); full means the sink is waiting for the next frame's time (a gap in the recording).
    queue: gst::Element,
}

/// Present times per screen, waiting for that screen's first buffer to report latency.
type PendingFirstFrames = Arc<Mutex<HashMap<String, Instant>>>;

struct Program {
    seq: u64,
    exhibit: String,
    kind: ExhibitKind,
    restriction: Restriction,
    pipeline: gst::Pipeline,
    branches: Arc<Mutex<BTreeMap<String, Branch>>>,
    /// Screens the restriction rule allowed at load time; the only ones it can ever be routed to.
    allowed: Vec<String>,
    pending_first_frames: PendingFirstFrames,
    /// Screens the exhibit is presented on (while on air).
    route: Vec<String>,
    prerolled: bool,
    has_audio: Arc<std::sync::atomic::AtomicBool>,
    video_linked: Arc<std::sync::atomic::AtomicBool>,
    rate: f64,
    playing: bool,
    thumbs: Thumbs,
    /// The out point of the clip being played, kept across speed changes and steps.
    clip_end: Option<gst::ClockTime>,
    /// Every child window made for this program (also those whose sink never got built).
    windows: Vec<u32>,
    frame_duration: Arc<Mutex<Duration>>,
    loaded_at: Instant,
    /// What was loaded, for a rebuild.
    source: Source,
    /// 0 for the first build, 1 for the one retry.
    attempt: u32,
    /// The zoom region asked for (`Command::Zoom`), applied once the picture's size is known.
    zoom: Option<[f64; 4]>,
    /// Where a rebuilt program picks up once prerolled.
    resume: Option<Resume>,
    /// How many times it was rebuilt while on air (`MAX_REBUILDS`).
    rebuilds: u32,
    /// The playback watchdog: the last position seen to move, and when.
    progress: Option<(gst::ClockTime, Instant)>,
    /// The audio branch, once built: an error from inside it is a lost sound output, not a bad file.
    audio: Arc<Mutex<Option<gst::glib::WeakRef<gst::Element>>>>,
    /// The streams decodebin chose (`media::VIDEO`, `media::AUDIO`): it is prerolled only once each
    /// has reached its sinks.
    expected: Arc<AtomicU8>,
    /// Built with `SILENT_SINK` (the room had no sound output then).
    silent: bool,
}

/// Where a rebuilt program picks up: the old one's position, speed, clip and transport.
#[derive(Debug, Clone, Copy)]
struct Resume {
    position: gst::ClockTime,
    playing: bool,
    rate: f64,
    clip_end: Option<gst::ClockTime>,
}

/// Why a program is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rebuild {
    /// The preroll stalled or came up without its picture (once, quietly).
    Preroll,
    /// It froze while playing (the watchdog).
    Stall,
    /// The sound output failed: it plays on without sound.
    Sound,
}

/// The Load parameters of a program.
#[derive(Debug, Clone)]
struct Source {
    title: String,
    path: std::path::PathBuf,
    kind: ExhibitKind,
    restriction: Restriction,
}

pub struct Engine {
    emit: Emit,
    tx: Sender<Msg>,
    display: Option<x11::Display>,
    outputs: Vec<Output>,
    programs: Vec<Program>,
    on_air: Option<String>,
    next_seq: u64,
    /// The configured audio sink description (`[audio] sink`).
    audio_sink: String,
    /// Why the room hears nothing, when its sound output cannot be opened: exhibits then play their
    /// pictures with `SILENT_SINK` and the court is told.
    no_sound: Option<String>,
    /// Whether exhibits send confidence thumbnails (`Command::Thumbnails`).
    thumbnails: Arc<std::sync::atomic::AtomicBool>,
    /// The room's exhibit sound level and the advocate's mute (`SetVolume`, `SetMute`).
    volume: f64,
    muted: bool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("on_air", &self.on_air)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(emit: Emit, tx: Sender<Msg>) -> anyhow::Result<Engine> {
        gst::init()?;
        media::prepare_registry();
        let audio_sink =
            std::env::var("COURTDECK_AUDIO_SINK").unwrap_or_else(|_| "autoaudiosink".into());
        let no_sound = media::open_audio_output(&audio_sink).err();
        if let Some(why) = &no_sound {
            tracing::warn!("no sound output, exhibits will play silently: {why}");
        }
        Ok(Engine {
            emit,
            tx,
            display: None,
            outputs: Vec::new(),
            programs: Vec::new(),
            on_air: None,
            next_seq: 1,
            thumbnails: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            volume: 1.0,
            muted: false,
            audio_sink,
            no_sound,
        })
    }

    /// Handles one message; returns false when the engine should stop.
    pub fn handle(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Request { id, command } => {
                let keep_going = self.request(id, command);
                // Slates are drawn after the reply: drawing takes a Pango render per screen, and the
                // supervisor's Configure after a restart must not wait on fonts.
                self.draw_slates();
                keep_going
            }
            Msg::Bus { program, message } => {
                self.bus(program, &message);
                self.draw_slates();
                true
            }
            Msg::Tick => {
                self.tick();
                self.draw_slates();
                true
            }
            Msg::Gap { program, from, to } => {
                self.gap(program, from, to);
                true
            }
            Msg::Refuse { program, reason } => {
                if let Some(p) = self.programs.iter().find(|p| p.seq == program) {
                    let exhibit = p.exhibit.clone();
                    tracing::warn!(exhibit, "refused: {reason}");
                    let message = format!(
                        "Exhibit {exhibit} cannot be shown: {reason}. Other exhibits still play."
                    );
                    self.give_up(&exhibit, ErrorCode::MediaTooLarge, message);
                    self.draw_slates();
                }
                true
            }
            Msg::Hangup => false,
        }
    }

    /// Answers one request; returns false for Shutdown.
    fn request(&mut self, id: u64, command: Command) -> bool {
        let shutdown = matches!(command, Command::Shutdown);
        let stats = matches!(command, Command::Stats).then(|| self.stats());
        let (error, data) = match command {
            Command::TestCard { seconds, identify } => split(self.test_card(seconds, identify)),
            Command::Discover { path } => split(Ok(checks::discover(Path::new(&path)))),
            Command::Inventory => split(Ok(checks::inventory())),
            Command::Poster { path } => split(Ok(checks::poster(Path::new(&path)))),
            other => (self.command(other).err(), None),
        };
        (self.emit)(Event::Reply {
            id,
            error,
            stats,
            data,
        });
        !shutdown
    }

    pub fn shutdown(&mut self) {
        for p in std::mem::take(&mut self.programs) {
            self.teardown(p);
        }
    }

    fn command(&mut self, command: Command) -> Result<(), WireError> {
        match command {
            Command::Configure {
                outputs,
                standby,
                blanked,
            } => {
                self.configure(outputs)?;
                for o in &mut self.outputs {
                    o.blanked = blanked.contains(&o.spec.id);
                }
                if standby {
                    self.set_slates(|o| (!o.blanked).then_some(Slate::Standby));
                }
                Ok(())
            }
            Command::Load {
                exhibit,
                title,
                path,
                kind,
                restriction,
            } => self.load(exhibit, &title, Path::new(&path), &kind, &restriction),
            Command::Present { exhibit, screens } => self.present(&exhibit, screens),
            Command::Withdraw => {
                // With nothing on air, Withdraw still takes slates down (the screens go black).
                let on = self.on_air.take();
                let slates = self.outputs.iter().any(|o| o.slate.is_some());
                if on.is_none() && !slates {
                    return Err(err(ErrorCode::InvalidState, "nothing is on the screens"));
                }
                if let Some(on) = on {
                    self.remove_program(&on);
                }
                self.set_slates(|_| None);
                Ok(())
            }
            Command::Unload { exhibit } => {
                if self.on_air.as_deref() == Some(exhibit.as_str()) {
                    return Err(err(
                        ErrorCode::InvalidState,
                        "withdraw the exhibit before unloading it",
                    ));
                }
                self.remove_program(&exhibit);
                Ok(())
            }
            Command::Play => self.set_playing(true),
            Command::Pause => self.set_playing(false),
            Command::Seek { position_ms } => {
                // Scrubbing leaves any clip: play on to the end from there.
                let p = self.on_air_program_mut()?;
                p.clip_end = None;
                let p = self.on_air_program()?;
                seek(p, p.rate, millis(position_ms))
            }
            Command::Step { frames } => self.step(frames),
            Command::Zoom {
                x,
                y,
                width,
                height,
            } => self.zoom(x, y, width, height),
            Command::SetRate { rate } => {
                if !(0.25..=2.0).contains(&rate) {
                    return Err(err(
                        ErrorCode::InvalidState,
                        "speed must be between 0.25x and 2x",
                    ));
                }
                let p = self.on_air_program_mut()?;
                let pos = p
                    .pipeline
                    .query_position::<gst::ClockTime>()
                    .unwrap_or(gst::ClockTime::ZERO);
                p.rate = rate;
                let p = self.on_air_program()?;
                seek(p, rate, pos)
            }
            Command::PlayClip { start_ms, end_ms } => {
                if start_ms >= end_ms {
                    return Err(err(
                        ErrorCode::InvalidState,
                        "a clip must start before it ends",
                    ));
                }
                let p = self.on_air_program_mut()?;
                p.clip_end = Some(millis(end_ms));
                let p = self.on_air_program()?;
                seek(p, p.rate, millis(start_ms))?;
                self.set_playing(true)
            }
            Command::Blank { screen, blank } => {
                let i = self
                    .outputs
                    .iter()
                    .position(|o| o.spec.id == screen)
                    .ok_or_else(|| {
                        err(
                            ErrorCode::ScreenMissing,
                            format!("there is no screen called {screen}"),
                        )
                    })?;
                self.outputs[i].blanked = blank;
                if blank {
                    self.set_slates(|o| if o.spec.id == screen { None } else { o.slate });
                }
                self.apply_visibility();
                Ok(())
            }
            Command::BlankAll => {
                for o in &mut self.outputs {
                    o.blanked = true;
                }
                self.set_slates(|_| None);
                self.apply_visibility();
                Ok(())
            }
            Command::Stats => Ok(()),
            Command::SetVolume { volume } => {
                if !(0.0..=1.5).contains(&volume) {
                    return Err(err(
                        ErrorCode::InvalidState,
                        "the volume must be between 0 and 150%",
                    ));
                }
                self.volume = volume;
                self.apply_visibility();
                Ok(())
            }
            Command::SetMute { mute } => {
                self.muted = mute;
                self.apply_visibility();
                Ok(())
            }
            Command::Thumbnails { enabled } => {
                self.thumbnails.store(enabled, Ordering::SeqCst);
                // A paused exhibit makes no new frames: send the surface the one it is showing.
                if enabled
                    && let Ok(p) = self.on_air_program()
                    && !p.playing
                    && let Some(jpeg) = p.thumbs.last.lock().expect("last thumbnail").clone()
                {
                    (self.emit)(Event::Thumbnail {
                        exhibit: p.exhibit.clone(),
                        jpeg,
                    });
                }
                Ok(())
            }
            Command::TestCard { .. }
            | Command::Discover { .. }
            | Command::Inventory
            | Command::Poster { .. } => {
                unreachable!("answered in handle()")
            }
            Command::Shutdown => {
                self.shutdown();
                Ok(())
            }
        }
    }

    /// The setup check's card and tone (see `Command::TestCard`). Blocks the engine for `seconds`
    /// (at most 8): nothing else is on the screens while the clerk runs checks.
    fn test_card(&mut self, seconds: f64, identify: bool) -> Result<CardReport, WireError> {
        if self.on_air.is_some() {
            return Err(err(
                ErrorCode::InvalidState,
                "an exhibit is on the screens: withdraw it before running the screen checks",
            ));
        }
        let seconds = seconds.clamp(0.5, 8.0);
        let pipeline = gst::Pipeline::new();
        let fail = |e: &dyn std::fmt::Display| err(ErrorCode::Internal, format!("test card: {e}"));
        struct Shown {
            screen: String,
            connected: bool,
            child: Option<(u32, u16, u16)>,
            frames: Arc<AtomicU64>,
            index: usize,
        }
        let mut shown = Vec::new();
        for (i, o) in self.outputs.iter().enumerate() {
            let frames = Arc::new(AtomicU64::new(0));
            let connected = o.spec.kind == OutputKind::Headless || o.window.is_some();
            let child = match (&self.display, o.window) {
                (Some(d), Some((parent, w, h))) => {
                    d.create_child(parent, w, h).ok().map(|win| (win, w, h))
                }
                _ => None,
            };
            shown.push(Shown {
                screen: o.spec.id.clone(),
                connected,
                child,
                frames: frames.clone(),
                index: i,
            });
            if !connected || (o.spec.kind == OutputKind::Window && child.is_none()) {
                continue;
            }
            let (w, h) = child.map(|(_, w, h)| (w, h)).unwrap_or(HEADLESS_SIZE);
            let pattern = if identify {
                format!(
                    "pattern=solid-color foreground-color={}",
                    checks::identify_colour(i).0
                )
            } else {
                "pattern=smpte".to_owned()
            };
            let (text, size, valign) = if identify {
                (o.spec.label.clone(), h / 5, "center")
            } else {
                (format!("{} · test card", o.spec.label), h / 14, "bottom")
            };
            let sink = if child.is_some() {
                "ximagesink name=sink handle-events=false"
            } else {
                "fakesink name=sink sync=true"
            };
            let desc = format!(
                "videotestsrc is-live=true {pattern} ! video/x-raw,width={w},height={h},framerate=25/1 ! textoverlay text=\"{}\" font-desc=\"Sans Bold {}px\" valignment={valign} halignment=center shaded-background=true ! videoconvert ! {sink}",
                text.replace('"', "'"),
                size.max(12)
            );
            let bin = gst::parse::bin_from_description(&desc, false).map_err(|e| fail(&e))?;
            let sink_el = bin.by_name("sink").expect("named sink");
            if let Some((xid, _, _)) = child {
                let overlay = sink_el
                    .clone()
                    .dynamic_cast::<gstreamer_video::VideoOverlay>()
                    .expect("ximagesink is an overlay");
                // SAFETY: the child window outlives the pipeline: it is destroyed after Null below.
                unsafe { overlay.set_window_handle(xid as usize) };
            }
            sink_el.static_pad("sink").expect("sink pad").add_probe(
                gst::PadProbeType::BUFFER,
                move |_, _| {
                    frames.fetch_add(1, Ordering::Relaxed);
                    gst::PadProbeReturn::Ok
                },
            );
            pipeline.add(&bin).map_err(|e| fail(&e))?;
        }
        // Without a sound output the tone cannot be heard: the check fails with the reason (the
        // meter before the sink would otherwise pass it).
        let mut tone_error = self
            .no_sound
            .as_ref()
            .map(|why| format!("no sound output: {why}. Check the speakers and their cable"));
        let tone_sink = if self.no_sound.is_some() {
            SILENT_SINK
        } else {
            self.audio_sink.as_str()
        };
        let tone = format!(
            "audiotestsrc is-live=true wave=sine freq=1000 volume=0.25 ! audioconvert ! level name=tone-level post-messages=true interval=100000000 ! audioconvert ! audioresample ! {tone_sink}"
        );
        match gst::parse::bin_from_description(&tone, false) {
            Ok(bin) => pipeline.add(&bin).map_err(|e| fail(&e))?,
            Err(e) => {
                tone_error = Some(format!(
                    "the audio output {:?} cannot be built: {e}",
                    self.audio_sink
                ))
            }
        }
        if let Some(d) = &self.display {
            for s in &shown {
                if let Some((win, _, _)) = s.child {
                    let _ = d.map(win);
                }
            }
            let _ = d.sync();
        }
        let started = Instant::now();
        if let Err(e) = pipeline.set_state(gst::State::Playing) {
            tone_error.get_or_insert(format!("the card and tone did not start: {e}"));
        }
        let bus = pipeline.bus().expect("pipeline bus");
        let mut rms_db: Option<f64> = None;
        let mut readbacks: HashMap<String, (bool, String)> = HashMap::new();
        let readback_at = Duration::from_secs_f64(seconds * 0.6);
        let mut read_back = false;
        while started.elapsed() < Duration::from_secs_f64(seconds) {
            if !read_back && started.elapsed() >= readback_at {
                read_back = true;
                if let Some(d) = &self.display {
                    for s in &shown {
                        let Some((win, w, h)) = s.child else { continue };
                        let mut ok = true;
                        let mut seen = Vec::new();
                        for (x, y, want) in checks::card_probes(identify, s.index, w, h) {
                            match d.average_rgb(win, x, y, 8) {
                                Ok(rgb) => {
                                    ok &= checks::colour_matches(rgb, want);
                                    seen.push(format!("at {x},{y} saw {rgb:?}, expected {want:?}"));
                                }
                                Err(e) => {
                                    ok = false;
                                    seen.push(format!("could not read back: {e:#}"));
                                }
                            }
                        }
                        readbacks.insert(s.screen.clone(), (ok, seen.join("; ")));
                    }
                }
            }
            let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(50)) else {
                continue;
            };
            match msg.view() {
                gst::MessageView::Element(e) => {
                    if let Some(db) = loudest_rms(e) {
                        rms_db = Some(rms_db.map_or(db, |m: f64| m.max(db)));
                    }
                }
                gst::MessageView::Error(e) => {
                    let text = format!(
                        "{} (from {})",
                        e.error(),
                        e.src()
                            .map(|s| s.path_string().to_string())
                            .unwrap_or_default()
                    );
                    tracing::warn!("test card: {text}");
                    tone_error.get_or_insert(text);
                }
                _ => {}
            }
        }
        let _ = pipeline.set_state(gst::State::Null);
        if let Some(d) = &self.display {
            for s in &shown {
                if let Some((win, _, _)) = s.child {
                    let _ = d.destroy(win);
                }
            }
            let _ = d.sync();
        }
        let screens = shown
            .into_iter()
            .map(|s| {
                let frames = s.frames.load(Ordering::Relaxed);
                let (readback_ok, detail) = match readbacks.remove(&s.screen) {
                    Some((ok, detail)) => (Some(ok), detail),
                    None if !s.connected => (None, "not connected".to_owned()),
                    None => (None, format!("{frames} frames reached the sink")),
                };
                CardScreen {
                    screen: s.screen,
                    connected: s.connected,
                    frames,
                    readback_ok,
                    detail,
                }
            })
            .collect();
        Ok(CardReport {
            screens,
            tone: ToneReport {
                sink: self.audio_sink.clone(),
                rms_db,
                error: tone_error,
            },
        })
    }

    fn configure(&mut self, specs: Vec<OutputSpec>) -> Result<(), WireError> {
        for p in std::mem::take(&mut self.programs) {
            self.teardown(p);
        }
        self.on_air = None;
        if let Some(d) = &self.display {
            for o in &self.outputs {
                if let Some((w, _, _)) = o.window {
                    let _ = d.destroy(w);
                }
            }
        }
        self.outputs.clear();
        let needs_display = specs.iter().any(|s| s.kind == OutputKind::Window);
        if needs_display && self.display.is_none() {
            // No display at all: every window screen is reported missing below; headless ones still work.
            match x11::Display::connect() {
                Ok(d) => self.display = Some(d),
                Err(e) => tracing::error!("no display for the courtroom screens: {e:#}"),
            }
        }
        let monitors = match &self.display {
            Some(d) if needs_display => d.monitors().unwrap_or_else(|e| {
                tracing::error!("cannot list monitors: {e:#}");
                Vec::new()
            }),
            _ => Vec::new(),
        };
        let mut missing = Vec::new();
        for spec in specs {
            let role = OutputRole::parse(&spec.role)
                .map_err(|e| err(ErrorCode::ConfigInvalid, e.to_string()))?;
            let window = match spec.kind {
                OutputKind::Headless => None,
                OutputKind::Window => {
                    let monitor = match (&spec.monitor, spec.monitor_index) {
                        (Some(name), _) => monitors.iter().find(|m| &m.name == name),
                        (None, Some(i)) => monitors.get(i),
                        (None, None) => None,
                    };
                    match (monitor, &self.display) {
                        (Some(m), Some(d)) => {
                            let title = format!("Courtdeck output {}", spec.label);
                            match d.create_output_window(m, &title) {
                                Ok(w) => {
                                    tracing::info!(screen = %spec.id, monitor = %m.name, x = m.x, y = m.y, w = m.width, h = m.height, "output window placed");
                                    Some((w, m.width, m.height))
                                }
                                Err(e) => {
                                    // One bad screen must not take the others down with it.
                                    tracing::warn!(screen = %spec.id, "cannot open its window: {e:#}");
                                    missing.push(spec.label.clone());
                                    None
                                }
                            }
                        }
                        _ => {
                            tracing::warn!(screen = %spec.id, monitor = ?spec.monitor, "screen not connected");
                            missing.push(spec.label.clone());
                            None
                        }
                    }
                }
            };
            self.outputs.push(Output {
                spec,
                role,
                window,
                blanked: false,
                slate: None,
                drawn: None,
                frames: Arc::new(AtomicU64::new(0)),
            });
        }
        for label in &missing {
            let screen = self
                .outputs
                .iter()
                .find(|o| &o.spec.label == label)
                .map(|o| o.spec.id.clone());
            (self.emit)(Event::Error {
                exhibit: None,
                screen,
                error: err(
                    ErrorCode::ScreenMissing,
                    format!(
                        "The {label} screen is not connected. The other screens work; ask the clerk to check its cable."
                    ),
                ),
            });
        }
        Ok(())
    }

    fn load(
        &mut self,
        exhibit: String,
        title: &str,
        path: &Path,
        kind: &str,
        restriction: &str,
    ) -> Result<(), WireError> {
        let kind =
            ExhibitKind::parse(kind).map_err(|e| err(ErrorCode::InvalidState, e.to_string()))?;
        let restriction = Restriction::parse(restriction)
            .map_err(|e| err(ErrorCode::InvalidState, e.to_string()))?;
        if !path.is_absolute() {
            return Err(err(
                ErrorCode::NotCached,
                "playout only opens absolute paths in the verified cache",
            ));
        }
        let size = std::fs::metadata(path).map_err(|e| {
            err(
                ErrorCode::NotCached,
                format!(
                    "exhibit {exhibit} is not in the cache ({}): {e}",
                    path.display()
                ),
            )
        })?;
        if size.len() == 0 {
            return Err(err(
                ErrorCode::MediaCorrupt,
                format!("exhibit {exhibit} is an empty file"),
            ));
        }
        // Drop whatever was cued but not on air: one cue at a time keeps memory flat.
        let stale: Vec<String> = self
            .programs
            .iter()
            .filter(|p| Some(&p.exhibit) != self.on_air.as_ref())
            .map(|p| p.exhibit.clone())
            .collect();
        for e in stale {
            self.remove_program(&e);
        }
        if self.on_air.as_deref() == Some(exhibit.as_str()) {
            // Selecting what is on air: nothing to load.
            return Ok(());
        }
        let source = Source {
            title: title.to_owned(),
            path: path.to_owned(),
            kind,
            restriction,
        };
        self.build(exhibit, source, 0, None)
    }

    /// Builds and prerolls the pipeline of `exhibit` (the second half of `load`, and a retry).
    fn build(
        &mut self,
        exhibit: String,
        source: Source,
        attempt: u32,
        resume: Option<Resume>,
    ) -> Result<(), WireError> {
        let (title, path, kind, restriction) = (
            source.title.as_str(),
            source.path.as_path(),
            source.kind,
            source.restriction,
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        let pipeline = gst::Pipeline::with_name(&format!("exhibit-{seq}"));
        let branches = Arc::new(Mutex::new(BTreeMap::new()));
        let has_audio = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let video_linked = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let frame_duration = Arc::new(Mutex::new(Duration::from_millis(40)));
        let pending: PendingFirstFrames = Arc::new(Mutex::new(HashMap::new()));
        let audio_branch = Arc::new(Mutex::new(None));
        let expected = Arc::new(AtomicU8::new(0));
        // Fault injection for the watchdog's test: the first build's picture stops arriving at
        // this stream time, as a decoder that deadlocks would (a rebuild is not frozen).
        let freeze_at = std::env::var("COURTDECK_FAULT_FREEZE_AT_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|_| attempt == 0 && resume.is_none())
            .map(gst::ClockTime::from_mseconds);

        // One branch per screen allowed to show this exhibit. Child windows are made here, on the engine
        // thread, and handed to the streaming thread that builds the sinks.
        let mut targets = Vec::new();
        for o in &self.outputs {
            if !may_show(restriction, o.role) {
                continue;
            }
            let child = match (&self.display, o.window) {
                (Some(d), Some((parent, w, h))) => match d.create_child(parent, w, h) {
                    Ok(win) => Some((win, w, h)),
                    Err(e) => {
                        // This screen cannot show it; the others still can.
                        tracing::warn!(screen = %o.spec.id, "cannot create a window: {e:#}");
                        None
                    }
                },
                _ => None,
            };
            if o.spec.kind == OutputKind::Window && child.is_none() {
                continue; // A missing screen: already reported at Configure.
            }
            targets.push(BranchTarget {
                screen: o.spec.id.clone(),
                child,
                frames: o.frames.clone(),
                exhibit: exhibit.clone(),
                pending: pending.clone(),
                emit: self.emit.clone(),
            });
        }

        let gaps: GapReport = {
            let tx = Mutex::new(self.tx.clone());
            Arc::new(move |from, to| {
                let _ = tx.lock().expect("gap sender").send(Msg::Gap {
                    program: seq,
                    from,
                    to,
                });
            })
        };
        let thumbs = Thumbs {
            exhibit: exhibit.clone(),
            enabled: self.thumbnails.clone(),
            playing: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            last: Arc::new(Mutex::new(None)),
            emit: self.emit.clone(),
        };
        let build = || -> Result<(), anyhow::Error> {
            let uri = gst::glib::filename_to_uri(path, None)?;
            let decode = gst::ElementFactory::make(media::decodebin())
                .name("decode")
                .property("uri", uri.as_str())
                .build()?;
            pipeline.add(&decode)?;
            if media::decodebin() == "uridecodebin3" {
                media::select_one_of_each(&decode, kind != ExhibitKind::Audio, expected.clone());
            }
            let refuse = Mutex::new(self.tx.clone());
            media::guard_picture_size(
                pipeline.upcast_ref(),
                Arc::new(move |reason| {
                    let _ = refuse.lock().expect("refuse sender").send(Msg::Refuse {
                        program: seq,
                        reason,
                    });
                }),
            );
            // An audio exhibit's slate never ends by itself: when the sound ends, it is sent EOS too,
            // so the pipeline ends (the surface sees the end; a seek back plays again).
            let mut slate_src = None;
            if kind == ExhibitKind::Audio {
                let slate = slate_source(title)?;
                slate_src = slate
                    .clone()
                    .dynamic_cast::<gst::Bin>()
                    .ok()
                    .and_then(|b| b.by_name("slatesrc"))
                    .map(|e| e.downgrade());
                pipeline.add(&slate)?;
                let tee = video_fanout(
                    &pipeline,
                    &targets,
                    &branches,
                    &frame_duration,
                    false,
                    &thumbs,
                    None,
                )?;
                slate.link(&tee)?;
                video_linked.store(true, Ordering::SeqCst);
            }
            let pipeline_weak = pipeline.downgrade();
            let thumbs = thumbs.clone();
            let targets = targets.clone();
            let branches = branches.clone();
            let has_audio = has_audio.clone();
            let video_linked = video_linked.clone();
            let frame_duration = frame_duration.clone();
            let audio_sink = if self.no_sound.is_some() {
                SILENT_SINK.to_owned()
            } else {
                self.audio_sink.clone()
            };
            let audio_branch = audio_branch.clone();
            let gaps = gaps.clone();
            let is_image = kind == ExhibitKind::Image;
            let wants_video = kind != ExhibitKind::Audio;
            decode.connect_pad_added(move |_, pad| {
                let Some(pipeline) = pipeline_weak.upgrade() else {
                    return;
                };
                // decodebin3 tags each pad with its stream; caps may not be fixed yet at pad-added.
                let stream_type = pad
                    .stream()
                    .map(|s| s.stream_type())
                    .unwrap_or(gst::StreamType::UNKNOWN);
                let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
                let name = caps
                    .structure(0)
                    .map(|s| s.name().to_string())
                    .unwrap_or_default();
                tracing::debug!(pad = %pad.name(), ?stream_type, caps = %name, "decoded pad");
                let is_video =
                    stream_type.contains(gst::StreamType::VIDEO) || name.starts_with("video/");
                let is_audio =
                    stream_type.contains(gst::StreamType::AUDIO) || name.starts_with("audio/");
                if is_video && let Some(at) = freeze_at {
                    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
                        if info
                            .buffer()
                            .and_then(|b| b.pts())
                            .is_some_and(|pts| pts >= at)
                        {
                            // Held until the pipeline is torn down (its pads then flush).
                            while !pad.pad_flags().contains(gst::PadFlags::FLUSHING) {
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            return gst::PadProbeReturn::Drop;
                        }
                        gst::PadProbeReturn::Ok
                    });
                }
                let result =
                    if is_video && wants_video && !video_linked.swap(true, Ordering::SeqCst) {
                        video_fanout(
                            &pipeline,
                            &targets,
                            &branches,
                            &frame_duration,
                            is_image,
                            &thumbs,
                            (!is_image).then(|| gaps.clone()),
                        )
                        .and_then(|tee| {
                            let sink = tee.static_pad("sink").expect("tee has a sink pad");
                            pad.link(&sink)?;
                            Ok(())
                        })
                    } else if is_audio && !has_audio.swap(true, Ordering::SeqCst) {
                        if let Some(src) = slate_src.clone() {
                            pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
                                if let Some(gst::EventView::Eos(_)) = info.event().map(|e| e.view())
                                    && let Some(src) = src.upgrade()
                                {
                                    src.send_event(gst::event::Eos::new());
                                }
                                gst::PadProbeReturn::Ok
                            });
                        }
                        audio_chain(&pipeline, pad, &audio_sink).map(|bin| {
                            *audio_branch.lock().expect("audio branch") = Some(bin.downgrade());
                        })
                    } else {
                        Ok(())
                    };
                if let Err(e) = result {
                    gst::element_error!(
                        pipeline,
                        gst::CoreError::Negotiation,
                        ("could not build the output branch: {e:#}")
                    );
                }
            });
            Ok(())
        };
        if let Err(e) = build() {
            let _ = pipeline.set_state(gst::State::Null);
            self.destroy_children(&targets);
            return Err(err(
                ErrorCode::DecoderMissing,
                format!("cannot build a player for {exhibit}: {e:#}"),
            ));
        }

        let tx = Mutex::new(self.tx.clone());
        pipeline
            .bus()
            .expect("pipelines have a bus")
            .set_sync_handler(move |_, message| {
                let _ = tx.lock().expect("bus sender").send(Msg::Bus {
                    program: seq,
                    message: message.clone(),
                });
                gst::BusSyncReply::Drop
            });
        if pipeline.set_state(gst::State::Paused).is_err() {
            // The bus carries the reason; it arrives as an Error and tears the program down.
            tracing::warn!(exhibit, "pipeline refused to pause");
        }
        tracing::info!(exhibit, seq, screens = targets.len(), "loading");
        self.programs.push(Program {
            seq,
            exhibit,
            kind,
            restriction,
            pipeline,
            branches,
            allowed: targets.iter().map(|t| t.screen.clone()).collect(),
            pending_first_frames: pending,
            route: Vec::new(),
            prerolled: false,
            has_audio,
            video_linked,
            rate: 1.0,
            playing: false,
            thumbs,
            clip_end: None,
            windows: targets
                .iter()
                .filter_map(|t| t.child.map(|c| c.0))
                .collect(),
            frame_duration,
            loaded_at: Instant::now(),
            source: source.clone(),
            attempt,
            zoom: None,
            resume,
            rebuilds: 0,
            progress: None,
            audio: audio_branch,
            expected,
            silent: self.no_sound.is_some(),
        });
        Ok(())
    }

    /// Rebuilds a program in place: the same file, route and zoom, picking up where it stood.
    /// - `Rebuild::Preroll`: a preroll that stalled or came up without its picture is rebuilt once,
    ///   quietly, before the court is told (a second try at a good local file succeeds).
    /// - `Rebuild::Stall`, `Rebuild::Sound`: an exhibit that froze while playing, or whose sound
    ///   output failed, is rebuilt at its position (at most `MAX_REBUILDS` times); the caller tells the
    ///   court. An on-air exhibit keeps its route.
    ///
    /// Returns false when it may not be rebuilt (again); the caller then gives up on it.
    fn rebuild(&mut self, exhibit: &str, why: Rebuild) -> bool {
        let Some(p) = self.programs.iter().find(|p| p.exhibit == exhibit) else {
            return false;
        };
        let allowed = match why {
            Rebuild::Preroll => p.attempt == 0,
            Rebuild::Stall | Rebuild::Sound => p.rebuilds < MAX_REBUILDS,
        };
        if !allowed {
            return false;
        }
        // An exhibit the advocate already pressed Play on keeps playing after any rebuild (a preroll
        // rebuild used to leave it paused on its first frame: a frozen picture and no word).
        let resume = (why != Rebuild::Preroll || p.playing).then(|| Resume {
            position: p
                .progress
                .map(|(at, _)| at)
                .or_else(|| p.pipeline.query_position::<gst::ClockTime>())
                .unwrap_or(gst::ClockTime::ZERO),
            playing: p.playing,
            rate: p.rate,
            clip_end: p.clip_end,
        });
        let (source, route, zoom) = (p.source.clone(), p.route.clone(), p.zoom);
        let rebuilds = p.rebuilds + u32::from(why != Rebuild::Preroll);
        let attempt = if why == Rebuild::Preroll {
            1
        } else {
            p.attempt
        };
        let on_air = self.on_air.as_deref() == Some(exhibit);
        tracing::warn!(exhibit, ?why, ?resume, "rebuilding the pipeline");
        self.remove_program(exhibit);
        if let Err(e) = self.build(exhibit.to_owned(), source, attempt, resume) {
            // Handled here: the program is gone, so the court must hear of it now.
            tracing::warn!(exhibit, "rebuild failed: {}", e.message);
            let route = if on_air { route } else { Vec::new() };
            self.announce_failure(exhibit, &route, ErrorCode::MediaCorrupt, e.message);
            return true;
        }
        if let Some(p) = self.programs.iter_mut().find(|p| p.exhibit == exhibit) {
            p.zoom = zoom;
            p.rebuilds = rebuilds;
            if on_air {
                p.route = route;
            }
        }
        if on_air {
            self.on_air = Some(exhibit.to_owned());
        }
        true
    }

    fn destroy_children(&self, targets: &[BranchTarget]) {
        if let Some(d) = &self.display {
            for t in targets {
                if let Some((w, _, _)) = t.child {
                    let _ = d.destroy(w);
                }
            }
        }
    }

    fn present(&mut self, exhibit: &str, screens: Vec<String>) -> Result<(), WireError> {
        let idx = self
            .programs
            .iter()
            .position(|p| p.exhibit == exhibit)
            .ok_or_else(|| {
                err(
                    ErrorCode::InvalidState,
                    format!("exhibit {exhibit} is not loaded"),
                )
            })?;
        // Defence in depth: the core already checked this route; check again against our own branches,
        // which exist only for screens the restriction allows.
        for s in &screens {
            let output = self
                .outputs
                .iter()
                .find(|o| &o.spec.id == s)
                .ok_or_else(|| {
                    err(
                        ErrorCode::ScreenMissing,
                        format!("there is no screen called {s}"),
                    )
                })?;
            if !may_show(self.programs[idx].restriction, output.role) {
                return Err(err(
                    ErrorCode::RestrictedRoute,
                    format!(
                        "exhibit {exhibit} may not be shown on {}",
                        output.spec.label
                    ),
                ));
            }
            if !self.programs[idx].allowed.contains(s) {
                return Err(err(
                    ErrorCode::ScreenMissing,
                    format!("The {} screen is not connected.", output.spec.label),
                ));
            }
        }
        if let Some(previous) = self.on_air.take().filter(|p| p != exhibit) {
            self.remove_program(&previous);
        }
        let idx = self
            .programs
            .iter()
            .position(|p| p.exhibit == exhibit)
            .expect("still loaded");
        let now = Instant::now();
        {
            let p = &mut self.programs[idx];
            if !p.prerolled {
                let mut pending = p.pending_first_frames.lock().expect("pending");
                for s in &screens {
                    pending.insert(s.clone(), now);
                }
            }
            p.route = screens;
        }
        self.on_air = Some(exhibit.to_owned());
        // Whatever a slate said before is stale now: screens not in this route go black.
        self.set_slates(|_| None);
        self.apply_visibility();
        // A prerolled exhibit is on screen as soon as its windows are mapped and exposed.
        let p = &self.programs[idx];
        if p.prerolled {
            let latency_us = now.elapsed().as_micros() as u64;
            for s in &p.route {
                (self.emit)(Event::FirstFrame {
                    exhibit: exhibit.to_owned(),
                    screen: s.clone(),
                    latency_us,
                });
            }
        }
        Ok(())
    }

    /// Maps the on-air exhibit's child windows on routed, unblanked screens; unmaps everything else.
    fn apply_visibility(&mut self) {
        // Sound follows the pictures: when no screen shows the exhibit (all blanked, or none routed),
        // the room hears nothing either. Blank All silences the courtroom.
        for p in &self.programs {
            let on_air = self.on_air.as_deref() == Some(p.exhibit.as_str());
            let visible = on_air
                && p.route
                    .iter()
                    .any(|s| self.outputs.iter().any(|o| &o.spec.id == s && !o.blanked));
            if let Some(volume) = p.pipeline.by_name("volume") {
                volume.set_property("mute", !visible || self.muted);
                volume.set_property("volume", self.volume);
            }
        }
        let Some(display) = &self.display else { return };
        for p in &self.programs {
            let on_air = self.on_air.as_deref() == Some(p.exhibit.as_str());
            let branches = p.branches.lock().expect("branches");
            for (screen, b) in branches.iter() {
                let Some(child) = b.child else { continue };
                let blanked = self
                    .outputs
                    .iter()
                    .any(|o| &o.spec.id == screen && o.blanked);
                let visible = on_air && p.route.contains(screen) && !blanked;
                let result = if visible {
                    display.map(child).map(|()| {
                        if let Ok(overlay) = b
                            .sink
                            .clone()
                            .dynamic_cast::<gstreamer_video::VideoOverlay>()
                        {
                            overlay.expose();
                        }
                    })
                } else {
                    display.unmap(child)
                };
                if let Err(e) = result {
                    tracing::warn!(screen, "window update failed: {e:#}");
                }
            }
        }
    }

    fn set_playing(&mut self, playing: bool) -> Result<(), WireError> {
        let p = self.on_air_program_mut()?;
        let state = if playing {
            gst::State::Playing
        } else {
            gst::State::Paused
        };
        p.pipeline.set_state(state).map_err(|_| {
            err(
                ErrorCode::MediaCorrupt,
                format!("exhibit {} cannot change state", p.exhibit),
            )
        })?;
        p.playing = playing;
        p.thumbs.playing.store(playing, Ordering::Relaxed);
        Ok(())
    }

    fn step(&mut self, frames: i32) -> Result<(), WireError> {
        if frames == 0 {
            return Ok(());
        }
        self.set_playing(false)?;
        let p = self.on_air_program()?;
        if frames > 0 {
            let ok = p.pipeline.send_event(gst::event::Step::new(
                gst::format::Buffers::from_u64(frames as u64),
                1.0,
                true,
                false,
            ));
            if !ok {
                return Err(err(
                    ErrorCode::InvalidState,
                    "this exhibit cannot step forward",
                ));
            }
            Ok(())
        } else {
            // Backwards: an accurate seek to the frame before (decoders cannot run backwards cheaply).
            let frame = *p.frame_duration.lock().expect("fd");
            let pos = p
                .pipeline
                .query_position::<gst::ClockTime>()
                .unwrap_or(gst::ClockTime::ZERO);
            let back = gst::ClockTime::from_nseconds(
                frame.as_nanos() as u64 * frames.unsigned_abs() as u64,
            );
            let target = pos.saturating_sub(back);
            seek(p, p.rate, target)
        }
    }

    /// Shows the region (`x`, `y`, `width`, `height`, fractions of the picture) of the on-air exhibit
    /// (`apply_zoom`).
    fn zoom(&mut self, x: f64, y: f64, width: f64, height: f64) -> Result<(), WireError> {
        const SMALLEST: f64 = 0.05; // 20x
        let valid = [x, y, width, height].iter().all(|v| v.is_finite())
            && (SMALLEST..=1.0).contains(&width)
            && (SMALLEST..=1.0).contains(&height)
            && x >= 0.0
            && y >= 0.0
            && x + width <= 1.0 + 1e-9
            && y + height <= 1.0 + 1e-9;
        if !valid {
            return Err(err(
                ErrorCode::InvalidState,
                "the zoom region must lie inside the picture and be at least 5% of it",
            ));
        }
        let p = self.on_air_program_mut()?;
        if p.kind == ExhibitKind::Audio {
            return Err(err(
                ErrorCode::InvalidState,
                format!("exhibit {} has no picture to zoom into", p.exhibit),
            ));
        }
        p.zoom = Some([x, y, width, height]);
        // Before its first frame the picture's size is unknown: applied at preroll (see `bus`).
        let p = self.on_air_program()?;
        if p.prerolled {
            apply_zoom(p)?;
        }
        Ok(())
    }

    fn on_air_index(&self) -> Result<usize, WireError> {
        let on = self
            .on_air
            .as_ref()
            .ok_or_else(|| err(ErrorCode::InvalidState, "nothing is on the screens"))?;
        Ok(self
            .programs
            .iter()
            .position(|p| &p.exhibit == on)
            .expect("on-air program exists"))
    }

    fn on_air_program(&self) -> Result<&Program, WireError> {
        Ok(&self.programs[self.on_air_index()?])
    }

    fn on_air_program_mut(&mut self) -> Result<&mut Program, WireError> {
        let i = self.on_air_index()?;
        Ok(&mut self.programs[i])
    }

    /// Tells the court an exhibit cannot be shown and tears it down. If it was on air, the screens
    /// that showed it put up the "exhibit unavailable" slate rather than going black unexplained.
    fn give_up(&mut self, exhibit: &str, code: ErrorCode, message: String) {
        let route = self
            .programs
            .iter()
            .find(|p| p.exhibit == exhibit && self.on_air.as_deref() == Some(exhibit))
            .map(|p| p.route.clone())
            .unwrap_or_default();
        self.remove_program(exhibit);
        self.announce_failure(exhibit, &route, code, message);
    }

    /// Tells the court an exhibit (already torn down) cannot be shown; `route` is where it was on
    /// air, if it was: those screens get the "exhibit unavailable" slate.
    fn announce_failure(
        &mut self,
        exhibit: &str,
        route: &[String],
        code: ErrorCode,
        message: String,
    ) {
        (self.emit)(Event::Error {
            exhibit: Some(exhibit.to_owned()),
            screen: None,
            error: err(code, message),
        });
        if !route.is_empty() {
            self.set_slates(|o| {
                if route.contains(&o.spec.id) && !o.blanked {
                    Some(Slate::Unavailable)
                } else {
                    o.slate
                }
            });
        }
    }

    /// Puts up (or takes down) slates: `choose` gives each screen's new slate. They are drawn by
    /// `draw_slates` once the current message is answered.
    fn set_slates(&mut self, choose: impl Fn(&Output) -> Option<Slate>) {
        for o in &mut self.outputs {
            o.slate = choose(o);
        }
    }

    /// Draws the slates that changed since they were last drawn. A slate that cannot be drawn is
    /// taken down (black), so `Stats` never claims a slate the room cannot see.
    fn draw_slates(&mut self) {
        for o in &mut self.outputs {
            if o.slate == o.drawn {
                continue;
            }
            let (Some(display), Some((win, w, h))) = (&self.display, o.window) else {
                o.drawn = o.slate; // headless: the state is all there is
                continue;
            };
            let image = match o.slate {
                Some(s) => match render_slate(s, &o.spec.label, w, h) {
                    Ok(img) => Some(img),
                    Err(e) => {
                        tracing::warn!(screen = %o.spec.id, "cannot draw the slate: {e:#}");
                        o.slate = None;
                        None
                    }
                },
                None => None,
            };
            match display.set_background(win, image.as_deref().map(|i| (i, w, h))) {
                Ok(()) => o.drawn = o.slate,
                Err(e) => {
                    tracing::warn!(screen = %o.spec.id, "cannot change the screen's background: {e:#}");
                    o.slate = None;
                    o.drawn = None;
                    let _ = display.set_background(win, None);
                }
            }
        }
    }

    fn remove_program(&mut self, exhibit: &str) {
        if let Some(i) = self.programs.iter().position(|p| p.exhibit == exhibit) {
            let p = self.programs.remove(i);
            if self.on_air.as_deref() == Some(exhibit) {
                self.on_air = None;
            }
            self.teardown(p);
        }
    }

    fn teardown(&self, p: Program) {
        let _ = p.pipeline.set_state(gst::State::Null);
        if let Some(bus) = p.pipeline.bus() {
            bus.unset_sync_handler();
        }
        if let Some(d) = &self.display {
            for w in &p.windows {
                let _ = d.destroy(*w);
            }
        }
        tracing::debug!(exhibit = p.exhibit, "torn down");
        drop(p);
        release_freed_memory();
    }

    fn bus(&mut self, seq: u64, message: &gst::Message) {
        let Some(idx) = self.programs.iter().position(|p| p.seq == seq) else {
            return;
        };
        use gst::MessageView;
        match message.view() {
            MessageView::AsyncDone(_) => {
                let p = &mut self.programs[idx];
                // decodebin3 exposes the chosen streams one at a time, and the pipeline prerolls as
                // soon as the first one's sinks have a frame: a video whose sound came first would
                // be called prerolled with no picture (and rebuilt, and left paused). Adding the
                // next branch makes the pipeline preroll again; wait for that AsyncDone.
                let expected = p.expected.load(Ordering::SeqCst);
                let linked = (if p.video_linked.load(Ordering::SeqCst) {
                    media::VIDEO
                } else {
                    0
                }) | (if p.has_audio.load(Ordering::SeqCst) {
                    media::AUDIO
                } else {
                    0
                });
                if !p.prerolled && expected & !linked != 0 {
                    tracing::debug!(
                        exhibit = p.exhibit,
                        expected,
                        linked,
                        "prerolled before every stream was linked; waiting"
                    );
                    return;
                }
                if !p.prerolled {
                    p.prerolled = true;
                    let duration = if p.kind == ExhibitKind::Image {
                        None
                    } else {
                        p.duration()
                    };
                    let has_video = p.video_linked.load(Ordering::SeqCst);
                    if !has_video && p.kind != ExhibitKind::Audio {
                        let exhibit = p.exhibit.clone();
                        if self.rebuild(&exhibit, Rebuild::Preroll) {
                            return;
                        }
                        let message = format!(
                            "Exhibit {exhibit} has no picture that this kiosk can decode. The file may be damaged. Other exhibits still play."
                        );
                        self.give_up(&exhibit, ErrorCode::MediaCorrupt, message);
                        return;
                    }
                    if p.zoom.is_some()
                        && let Err(e) = apply_zoom(p)
                    {
                        tracing::warn!(exhibit = p.exhibit, "zoom: {}", e.message);
                    }
                    if let Some(r) = p.resume.take() {
                        // A rebuild picks up where the old pipeline stood.
                        p.rate = r.rate;
                        p.clip_end = r.clip_end;
                        if let Err(e) = seek(p, r.rate, r.position) {
                            tracing::warn!(exhibit = p.exhibit, "resume: {}", e.message);
                        }
                        if r.playing {
                            let _ = p.pipeline.set_state(gst::State::Playing);
                            p.playing = true;
                            p.thumbs.playing.store(true, Ordering::Relaxed);
                        }
                    }
                    (self.emit)(Event::Prerolled {
                        exhibit: p.exhibit.clone(),
                        duration_ms: duration,
                        has_video,
                        has_audio: p.has_audio.load(Ordering::SeqCst),
                    });
                    if let Some(why) = &self.no_sound
                        && p.has_audio.load(Ordering::SeqCst)
                    {
                        (self.emit)(Event::Warning {
                            exhibit: p.exhibit.clone(),
                            error: err(
                                ErrorCode::AudioUnavailable,
                                format!(
                                    "No sound output: exhibit {} plays without sound ({why}). Check the speakers and their cable, then ask the clerk to run the setup checks.",
                                    p.exhibit
                                ),
                            ),
                        });
                    }
                    // If Present came before the first frame, the branches did not exist yet: show them
                    // now, and report the screens still waiting (their preroll frame is on the sink).
                    let exhibit = p.exhibit.clone();
                    let waiting: Vec<(String, Instant)> = p
                        .pending_first_frames
                        .lock()
                        .expect("pending")
                        .drain()
                        .collect();
                    if self.on_air.as_deref() == Some(exhibit.as_str()) {
                        self.apply_visibility();
                        for (screen, t0) in waiting {
                            (self.emit)(Event::FirstFrame {
                                exhibit: exhibit.clone(),
                                screen,
                                latency_us: t0.elapsed().as_micros() as u64,
                            });
                        }
                    }
                }
            }
            MessageView::Eos(_) => {
                let p = &mut self.programs[idx];
                p.playing = false;
                p.thumbs.playing.store(false, Ordering::Relaxed);
                let _ = p.pipeline.set_state(gst::State::Paused);
                (self.emit)(Event::Eos {
                    exhibit: p.exhibit.clone(),
                });
            }
            // The meter after volume and mute: what the room hears. Silence is -inf: -120.
            MessageView::Element(e)
                if e.src().is_some_and(|s| s.name() == "level")
                    && e.structure().is_some_and(|st| st.has_field("rms"))
                    && self.on_air.as_deref() == Some(self.programs[idx].exhibit.as_str()) =>
            {
                (self.emit)(Event::Level {
                    exhibit: self.programs[idx].exhibit.clone(),
                    rms_db: loudest_rms(e).unwrap_or(-120.0).max(-120.0),
                });
            }
            MessageView::Element(e) if gstreamer_pbutils::MissingPluginMessage::is(e) => {
                // A typical missing-plugin note precedes the error; remember it for the error text.
                if let Some(s) = e.structure() {
                    let detail = gstreamer_pbutils::MissingPluginMessage::parse(e)
                        .map(|m| m.description().to_string())
                        .unwrap_or_else(|_| s.to_string());
                    let p = &self.programs[idx];
                    let exhibit = p.exhibit.clone();
                    // No decoder for text/html or application/zip means it is no recording at all.
                    let (code, message) = match media::not_media(&p.source.path) {
                        Some(what) => (ErrorCode::NotMedia, not_a_recording(&exhibit, what)),
                        None => (
                            ErrorCode::DecoderMissing,
                            format!(
                                "Exhibit {exhibit} cannot play here: this kiosk has no {detail}. Ask the clerk to install it or to obtain the exhibit in another format."
                            ),
                        ),
                    };
                    self.give_up(&exhibit, code, message);
                }
            }
            MessageView::Error(e) => {
                let p = &self.programs[idx];
                let gerr = e.error();
                let from_audio = p
                    .audio
                    .lock()
                    .expect("audio branch")
                    .as_ref()
                    .and_then(|w| w.upgrade())
                    .zip(e.src())
                    .is_some_and(|(bin, src)| src.has_as_ancestor(&bin));
                if from_audio && !p.silent {
                    // The speakers went (a device unplugged, a sound server gone): the picture is the
                    // evidence, so it plays on without sound and the court is told. (A cued exhibit
                    // built before the loss meets it later: the same.)
                    let exhibit = p.exhibit.clone();
                    let why = gerr.to_string();
                    tracing::warn!(exhibit, error = %why, "the sound output failed");
                    self.no_sound.get_or_insert(why);
                    // The rebuilt program says "no sound output" once it has prerolled.
                    if self.rebuild(&exhibit, Rebuild::Sound) {
                        return;
                    }
                }
                let p = &self.programs[idx];
                let code = if gerr.matches(gst::StreamError::CodecNotFound) {
                    ErrorCode::DecoderMissing
                } else if gerr.matches(gst::ResourceError::NotFound)
                    || gerr.matches(gst::ResourceError::OpenRead)
                {
                    ErrorCode::NotCached
                } else if gerr.matches(gst::StreamError::TypeNotFound)
                    || gerr.matches(gst::StreamError::Decode)
                    || gerr.matches(gst::StreamError::Demux)
                    || gerr.matches(gst::StreamError::Format)
                    || gerr.matches(gst::StreamError::WrongType)
                {
                    ErrorCode::MediaCorrupt
                } else {
                    ErrorCode::Internal
                };
                let advice = match code {
                    ErrorCode::MediaCorrupt => {
                        "The file may be damaged. Other exhibits still play."
                    }
                    ErrorCode::DecoderMissing => {
                        "This kiosk cannot decode it. Other exhibits still play."
                    }
                    _ => "Other exhibits still play.",
                };
                let src = e.src().map(|s| s.name().to_string()).unwrap_or_default();
                tracing::warn!(exhibit = p.exhibit, %src, error = %gerr, debug = ?e.debug(), "playback error");
                let exhibit = p.exhibit.clone();
                let reason = gerr.to_string();
                // A file GStreamer cannot even type is often no recording at all (a web page saved
                // as .mp4): say what it is rather than call it damaged.
                let what = gerr
                    .matches(gst::StreamError::TypeNotFound)
                    .then(|| media::not_media(&p.source.path))
                    .flatten();
                let code = if what.is_some() {
                    ErrorCode::NotMedia
                } else {
                    code
                };
                let message = match what {
                    Some(what) => not_a_recording(&exhibit, what),
                    None => format!(
                        "Exhibit {exhibit} cannot play: {}. {advice}",
                        reason.trim_end_matches('.')
                    ),
                };
                self.give_up(&exhibit, code, message);
            }
            _ => {}
        }
    }

    /// A damaged stretch: say so, with where it is; the exhibit plays on (what is left is evidence).
    fn gap(&mut self, seq: u64, from: gst::ClockTime, to: Option<gst::ClockTime>) {
        let Some(p) = self.programs.iter().find(|p| p.seq == seq) else {
            return;
        };
        let end = to.or_else(|| p.duration().map(gst::ClockTime::from_mseconds));
        let Some(end) = end else { return };
        if end <= from + GAP {
            return; // the last frame ended within a second of the end: nothing missing
        }
        let at = |t: gst::ClockTime| format!("{}:{:02}", t.seconds() / 60, t.seconds() % 60);
        let exhibit = p.exhibit.clone();
        tracing::warn!(exhibit, from = %from, to = %end, "a stretch of video reached no screen");
        (self.emit)(Event::Warning {
            exhibit: exhibit.clone(),
            error: err(
                ErrorCode::MediaCorrupt,
                format!(
                    "Exhibit {exhibit} is damaged from {} to {}: that part could not be decoded and was not shown. The rest of it plays.",
                    at(from),
                    at(end)
                ),
            ),
        });
    }

    fn tick(&mut self) {
        // A file can stall its decoder without an error (a truncated MP4 whose index is missing, say):
        // never leave the court with a black screen and no word. Give up on it, say why, move on.
        let slow: Vec<String> = self
            .programs
            .iter()
            .filter(|p| !p.prerolled && p.attempt == 0 && p.loaded_at.elapsed() > RETRY_AFTER)
            .map(|p| p.exhibit.clone())
            .collect();
        for exhibit in slow {
            self.rebuild(&exhibit, Rebuild::Preroll);
        }
        let stalled: Vec<String> = self
            .programs
            .iter()
            .filter(|p| {
                // A rebuilt program gets what is left of the first attempt's time.
                let limit = if p.attempt == 0 {
                    PREROLL_TIMEOUT
                } else {
                    PREROLL_TIMEOUT - RETRY_AFTER
                };
                !p.prerolled && p.loaded_at.elapsed() > limit
            })
            .map(|p| p.exhibit.clone())
            .collect();
        for exhibit in stalled {
            tracing::warn!(exhibit, "no first frame within {PREROLL_TIMEOUT:?}");
            let message = format!(
                "Exhibit {exhibit} did not start within {} seconds. The file may be damaged or incomplete. Other exhibits still play.",
                PREROLL_TIMEOUT.as_secs()
            );
            self.give_up(&exhibit, ErrorCode::MediaCorrupt, message);
        }
        self.watch_playback();
        let Ok(p) = self.on_air_program() else { return };
        if !p.prerolled || p.kind == ExhibitKind::Image {
            return;
        }
        if let Some(pos) = p.pipeline.query_position::<gst::ClockTime>() {
            (self.emit)(Event::Position {
                exhibit: p.exhibit.clone(),
                position_ms: pos.mseconds(),
                duration_ms: p.duration(),
                playing: p.playing,
                rate: p.rate,
            });
        }
    }

    /// The playback watchdog: a playing exhibit whose picture (each routed screen's sink) or, for
    /// sound, whose position has not moved for `STALL_AFTER` has frozen. A frozen picture is never
    /// silent: the court is told, and the exhibit is rebuilt where it stood (`MAX_REBUILDS` times,
    /// then given up with the reason). A sink reports no position past the last frame it was given,
    /// so a picture that stops arriving stops its position even while the sound plays on; a held
    /// frame of a variable-frame-rate recording lasts its duration, so it is not a freeze.
    fn watch_playback(&mut self) {
        let Ok(p) = self.on_air_program_mut() else {
            return;
        };
        if !p.prerolled || !p.playing || p.kind == ExhibitKind::Image || p.resume.is_some() {
            p.progress = None;
            return;
        }
        // A recording with a gap in its timestamps (motion-triggered CCTV) holds its picture too,
        // but it is no freeze: the sink waits for its next frame's time (its position moves on with
        // the clock) and the next frames wait in its queue. As a second guard, only a sink whose
        // queue is empty (nothing is arriving) counts as frozen.
        let (position, starved) = if p.kind == ExhibitKind::Audio {
            (p.pipeline.query_position::<gst::ClockTime>(), true)
        } else {
            let branches = p.branches.lock().expect("branches");
            let routed: Vec<&Branch> = p.route.iter().filter_map(|s| branches.get(s)).collect();
            (
                routed
                    .iter()
                    .filter_map(|b| b.sink.query_position::<gst::ClockTime>())
                    .min(),
                routed
                    .iter()
                    .any(|b| b.queue.property::<u32>("current-level-buffers") == 0),
            )
        };
        let Some(position) = position else { return };
        let since = match p.progress {
            Some((last, since)) if last == position && starved => since,
            _ => {
                p.progress = Some((position, Instant::now()));
                return;
            }
        };
        if since.elapsed() < STALL_AFTER {
            return;
        }
        let exhibit = p.exhibit.clone();
        let at = format!("{}:{:02}", position.seconds() / 60, position.seconds() % 60);
        tracing::warn!(exhibit, %position, "playback froze");
        if self.rebuild(&exhibit, Rebuild::Stall) {
            (self.emit)(Event::Warning {
                exhibit: exhibit.clone(),
                error: err(
                    ErrorCode::PlaybackStalled,
                    format!(
                        "Exhibit {exhibit} froze at {at} and was restarted from there. If it freezes again, ask the clerk to run the setup checks."
                    ),
                ),
            });
        } else {
            self.give_up(
                &exhibit,
                ErrorCode::PlaybackStalled,
                format!(
                    "Exhibit {exhibit} keeps freezing at {at} and cannot be played on this kiosk. Other exhibits still play."
                ),
            );
        }
    }

    fn stats(&self) -> Vec<ScreenStats> {
        self.outputs
            .iter()
            .map(|o| ScreenStats {
                screen: o.spec.id.clone(),
                connected: o.spec.kind == OutputKind::Headless || o.window.is_some(),
                frames: o.frames.load(Ordering::Relaxed),
                blanked: o.blanked,
                showing: self.on_air.as_ref().and_then(|e| {
                    let p = self.programs.iter().find(|p| &p.exhibit == e)?;
                    (p.route.contains(&o.spec.id) && !o.blanked).then(|| e.clone())
                }),
                // What is drawn: slates are drawn after each reply, so by any later request.
                slate: o.drawn.map(|s| s.as_str().to_owned()),
            })
            .collect()
    }
}

#[derive(Clone)]
struct BranchTarget {
    screen: String,
    /// Child window and its size; `None` for a headless output.
    child: Option<(u32, u16, u16)>,
    frames: Arc<AtomicU64>,
    exhibit: String,
    pending: PendingFirstFrames,
    emit: Emit,
}

impl Program {
    /// The media's duration, asked of the decoder (an audio exhibit's slate source has none).
    fn duration(&self) -> Option<u64> {
        let decode = self.pipeline.by_name("decode")?;
        decode
            .query_duration::<gst::ClockTime>()
            .map(|d| d.mseconds())
    }
}

/// Crops `p`'s picture to its zoom region: `videocrop` after the decoder (and after `imagefreeze` for a
/// still), so every screen and the thumbnail show the same region, each scaled to fit without
/// distortion. Paused, a flushing seek to where it stands pushes the frame through again.
fn apply_zoom(p: &Program) -> Result<(), WireError> {
    let Some([x, y, width, height]) = p.zoom else {
        return Ok(());
    };
    let no_picture = || {
        err(
            ErrorCode::InvalidState,
            format!("exhibit {} has no picture to zoom into", p.exhibit),
        )
    };
    let crop = p.pipeline.by_name("zoom").ok_or_else(no_picture)?;
    let info = crop
        .static_pad("sink")
        .and_then(|pad| pad.current_caps())
        .and_then(|caps| gstreamer_video::VideoInfo::from_caps(&caps).ok())
        .ok_or_else(no_picture)?;
    let (w, h) = (info.width() as f64, info.height() as f64);
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
    if !p.playing {
        let pos = p
            .pipeline
            .query_position::<gst::ClockTime>()
            .unwrap_or(gst::ClockTime::ZERO);
        seek(p, p.rate, pos)?;
    }
    Ok(())
}

/// Milliseconds from the wire as a clock time; absurd values saturate instead of panicking.
/// What the court is told of a file that is no recording or picture at all.
fn not_a_recording(exhibit: &str, what: &str) -> String {
    format!(
        "Exhibit {exhibit} is not a recording or a picture: the file is {what}. Ask the party who served it for the original. Other exhibits still play."
    )
}

fn millis(ms: u64) -> gst::ClockTime {
    gst::ClockTime::from_nseconds(ms.saturating_mul(1_000_000).min(i64::MAX as u64))
}

/// A flushing, accurate seek that keeps the program's clip out point (if a clip is playing), so that
/// changing speed or stepping never runs past the end of the clip.
fn seek(p: &Program, rate: f64, start: gst::ClockTime) -> Result<(), WireError> {
    let flags = gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE;
    let (stop_type, stop) = (gst::SeekType::Set, p.clip_end);
    p.pipeline
        .seek(rate, flags, gst::SeekType::Set, start, stop_type, stop)
        .map_err(|_| {
            err(
                ErrorCode::InvalidState,
                format!("exhibit {} cannot seek there", p.exhibit),
            )
        })
}

/// Draws `slate` for a `width` x `height` screen as BGRx rows: one frame of a solid colour with
/// centred text, made by GStreamer (Pango) once when the slate goes up.
fn render_slate(slate: Slate, label: &str, width: u16, height: u16) -> anyhow::Result<Vec<u8>> {
    let (argb, text) = slate.look(label);
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
fn slate_source(title: &str) -> anyhow::Result<gst::Element> {
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

/// Builds `videoconvert ! videoflip ! [imagefreeze] ! videocrop ! tee` and one branch per target; returns the head.
fn video_fanout(
    pipeline: &gst::Pipeline,
    targets: &[BranchTarget],
    branches: &Arc<Mutex<BTreeMap<String, Branch>>>,
    frame_duration: &Arc<Mutex<Duration>>,
    is_image: bool,
    thumbs: &Thumbs,
    gaps: Option<GapReport>,
) -> anyhow::Result<gst::Element> {
    let convert = gst::ElementFactory::make("videoconvert").build()?;
    // Phone video carries rotation tags; `automatic` honours them.
    let flip = gst::ElementFactory::make("videoflip")
        .property_from_str("video-direction", "auto")
        .build()?;
    let tee = gst::ElementFactory::make("tee")
        .property("allow-not-linked", true)
        .build()?;
    let mut chain = vec![convert.clone(), flip];
    if is_image {
        chain.push(gst::ElementFactory::make("imagefreeze").build()?);
    }
    // Zoom and pan (`Command::Zoom`); passes frames through untouched while nothing is cropped.
    chain.push(
        gst::ElementFactory::make("videocrop")
            .name("zoom")
            .build()?,
    );
    chain.push(tee.clone());
    pipeline.add_many(&chain)?;
    gst::Element::link_many(&chain)?;

    // Learn the frame duration for stepping back.
    let fd = frame_duration.clone();
    convert.static_pad("sink").expect("sink pad").add_probe(
        gst::PadProbeType::EVENT_DOWNSTREAM,
        move |_, info| {
            if let Some(gst::EventView::Caps(c)) = info.event().map(|e| e.view())
                && let Ok(vi) = gstreamer_video::VideoInfo::from_caps(c.caps())
                && vi.fps().numer() > 0
            {
                let nanos = 1_000_000_000u64 * vi.fps().denom() as u64 / vi.fps().numer() as u64;
                *fd.lock().expect("fd") = Duration::from_nanos(nanos);
            }
            gst::PadProbeReturn::Ok
        },
    );

    if let Some(report) = gaps {
        watch_for_gaps(&convert, report);
    }

    // One convert + scale per distinct output size, shared by every screen of that size through a
    // second tee: four 1080p screens cost one scaler, not four.
    let mut by_size: BTreeMap<(u16, u16), gst::Element> = BTreeMap::new();
    let mut map = branches.lock().expect("branches");
    for t in targets {
        let (w, h) = t.child.map(|(_, w, h)| (w, h)).unwrap_or(HEADLESS_SIZE);
        let size_tee = match by_size.get(&(w, h)) {
            Some(tee) => tee.clone(),
            None => {
                let queue = gst::ElementFactory::make("queue")
                    .property("max-size-buffers", 3u32)
                    .build()?;
                let convert = gst::ElementFactory::make("videoconvert").build()?;
                let scale = gst::ElementFactory::make("videoscale")
                    .property("add-borders", true)
                    .build()?;
                let caps = gst::ElementFactory::make("capsfilter")
                    .property(
                        "caps",
                        gst::Caps::builder("video/x-raw")
                            .field("width", w as i32)
                            .field("height", h as i32)
                            .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
                            .build(),
                    )
                    .build()?;
                let size_tee = gst::ElementFactory::make("tee")
                    .property("allow-not-linked", true)
                    .build()?;
                let elements = [&queue, &convert, &scale, &caps, &size_tee];
                pipeline.add_many(elements)?;
                gst::Element::link_many(elements)?;
                let tee_pad = tee.request_pad_simple("src_%u").expect("tee request pad");
                tee_pad.link(&queue.static_pad("sink").expect("queue sink"))?;
                for e in elements {
                    e.sync_state_with_parent()?;
                }
                by_size.insert((w, h), size_tee.clone());
                size_tee
            }
        };
        let queue = gst::ElementFactory::make("queue")
            .property("max-size-buffers", 3u32)
            .build()?;
        let sink = match t.child {
            Some((xid, _, _)) => {
                let sink = gst::ElementFactory::make("ximagesink")
                    .property("handle-events", false)
                    .build()?;
                let overlay = sink
                    .clone()
                    .dynamic_cast::<gstreamer_video::VideoOverlay>()
                    .expect("ximagesink is an overlay");
                // SAFETY: `xid` is a window we created and destroy only after this sink is in Null.
                unsafe { overlay.set_window_handle(xid as usize) };
                sink
            }
            None => gst::ElementFactory::make("fakesink")
                .property("sync", true)
                .build()?,
        };
        let elements = [&queue, &sink];
        pipeline.add_many(elements)?;
        gst::Element::link_many(elements)?;
        for e in elements {
            e.sync_state_with_parent()?;
        }
        let target = t.clone();
        sink.static_pad("sink").expect("sink pad").add_probe(
            gst::PadProbeType::BUFFER,
            move |_, _| {
                target.frames.fetch_add(1, Ordering::Relaxed);
                let presented_at = target
                    .pending
                    .lock()
                    .expect("pending")
                    .remove(&target.screen);
                if let Some(t0) = presented_at {
                    (target.emit)(Event::FirstFrame {
                        exhibit: target.exhibit.clone(),
                        screen: target.screen.clone(),
                        latency_us: t0.elapsed().as_micros() as u64,
                    });
                }
                gst::PadProbeReturn::Ok
            },
        );
        let tee_pad = size_tee
            .request_pad_simple("src_%u")
            .expect("tee request pad");
        tee_pad.link(&queue.static_pad("sink").expect("queue sink"))?;
        map.insert(
            t.screen.clone(),
            Branch {
                child: t.child.map(|c| c.0),
                sink,
                queue: queue.clone(),
            },
        );
    }
    drop(map);
    thumbnail_branch(pipeline, &tee, thumbs)?;
    for e in &chain {
        e.sync_state_with_parent()?;
    }
    Ok(convert)
}

/// Reports stretches of decoded video that reach no screen: `(from, to)` in stream time, `to` being
/// `None` for "to the end" (the engine knows the duration).
type GapReport = Arc<dyn Fn(gst::ClockTime, Option<gst::ClockTime>) + Send + Sync>;

/// Watches the decoded pictures entering `convert` for jumps in their timestamps (see `GAP`). A
/// segment (after a seek, a speed change, a clip) starts the watch again at its start; at the end of
/// the stream the last picture is compared with the segment's stop (a clip's out point), or with the
/// duration.
fn watch_for_gaps(convert: &gst::Element, report: GapReport) {
    struct Watch {
        /// Where the last picture ended.
        covered: Option<gst::ClockTime>,
        stop: Option<gst::ClockTime>,
    }
    let watch = Mutex::new(Watch {
        covered: None,
        stop: None,
    });
    convert.static_pad("sink").expect("sink pad").add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::EVENT_DOWNSTREAM,
        move |_, info| {
            let mut w = watch.lock().expect("gap watch");
            if let Some(buffer) = info.buffer() {
                if let Some(pts) = buffer.pts() {
                    if let Some(covered) = w.covered
                        && pts > covered + GAP
                    {
                        report(covered, Some(pts));
                    }
                    let end = pts + buffer.duration().unwrap_or(gst::ClockTime::ZERO);
                    w.covered = Some(w.covered.map_or(end, |c| c.max(end)));
                }
            } else if let Some(event) = info.event() {
                match event.view() {
                    gst::EventView::Segment(s) => {
                        let segment = s.segment().downcast_ref::<gst::ClockTime>();
                        w.covered = segment.and_then(|s| s.start());
                        w.stop = segment.and_then(|s| s.stop());
                    }
                    gst::EventView::FlushStop(_) => w.covered = None,
                    gst::EventView::Eos(_) => {
                        if let Some(covered) = w.covered {
                            match w.stop {
                                Some(stop) if stop > covered + GAP => report(covered, Some(stop)),
                                Some(_) => {}
                                None => report(covered, None),
                            }
                        }
                    }
                    _ => {}
                }
            }
            gst::PadProbeReturn::Ok
        },
    );
}

/// The loudest channel's RMS (dBFS) in a `level` element message; `None` when it is not one, or
/// every channel is silent (-inf).
fn loudest_rms(message: &gst::message::Element) -> Option<f64> {
    let st = message.structure()?;
    if st.name() != "level" {
        return None;
    }
    let rms = st.get::<gst::glib::ValueArray>("rms").ok()?;
    rms.iter()
        .filter_map(|v| v.get::<f64>().ok())
        .filter(|db| db.is_finite())
        .reduce(f64::max)
}

/// Hands memory freed by a torn-down pipeline back to the system. Decoders allocate large frame
/// pools on GStreamer's streaming threads; glibc keeps freed blocks in per-thread arenas, so without
/// this a kiosk that switches exhibits all day grows though nothing leaks.
fn release_freed_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: glibc's malloc_trim only returns free heap pages to the kernel; it is thread-safe.
    unsafe {
        malloc_trim(0);
    }
}

/// What an exhibit needs to send confidence thumbnails.
#[derive(Clone)]
struct Thumbs {
    exhibit: String,
    enabled: Arc<std::sync::atomic::AtomicBool>,
    /// Whether the exhibit is playing: then thumbnails are limited to 2 a second; paused, every new
    /// frame (a step, a seek, a zoom) is sent, since those come at the advocate's pace.
    playing: Arc<std::sync::atomic::AtomicBool>,
    /// The last thumbnail sent, to send again when the surface asks for thumbnails while paused.
    last: Arc<Mutex<Option<String>>>,
    emit: Emit,
}

/// A playing exhibit sends at most one thumbnail per this.
const THUMBNAIL_INTERVAL: Duration = Duration::from_millis(500);

/// `queue (leaky, 1 frame) ! videoconvert ! videoscale ! 192x108 ! jpegenc ! appsink` off the
/// exhibit's tee: one small JPEG for every screen that shows it. A pad probe in front passes at most
/// two frames a second while playing and none while playing unwatched (every frame while paused: those
/// come at the advocate's pace), so the scaler and encoder cost nothing most of the time. Not `videorate`: it holds each
/// frame back until the next arrives, so a paused still or a frame step would never show. The leaky
/// queue means a slow encoder can never hold up the screens, and the appsink is not `async`: the
/// exhibit's preroll never waits for a thumbnail.
fn thumbnail_branch(
    pipeline: &gst::Pipeline,
    tee: &gst::Element,
    thumbs: &Thumbs,
) -> anyhow::Result<()> {
    let bin = gst::parse::bin_from_description(
        "queue name=thumbq leaky=downstream max-size-buffers=1 ! videoconvert ! \
         videoscale add-borders=true ! video/x-raw,width=192,height=108,pixel-aspect-ratio=1/1 ! \
         jpegenc quality=70 ! appsink name=thumb sync=false async=false max-buffers=1 drop=true",
        true,
    )?;
    let throttle = {
        let thumbs = thumbs.clone();
        let last_sent: Mutex<Option<Instant>> = Mutex::new(None);
        move |_: &gst::Pad, info: &mut gst::PadProbeInfo| {
            let mut last = last_sent.lock().expect("thumbnail clock");
            // Paused, every new frame is encoded even while the surface is not looking, so the
            // thumbnail sent when it looks again is the frame on the screens.
            let skip = thumbs.playing.load(Ordering::Relaxed)
                && (!thumbs.enabled.load(Ordering::Relaxed)
                    || last.is_some_and(|t| t.elapsed() < THUMBNAIL_INTERVAL));
            if skip {
                // Taken and handled rather than `Drop`: returning `Drop` here filled the log with
                // "gst_mini_object_unref: assertion 'mini_object != NULL'" (gstreamer-rs 0.25,
                // GStreamer 1.22).
                drop(info.take_buffer());
                return gst::PadProbeReturn::Handled;
            }
            *last = Some(Instant::now());
            gst::PadProbeReturn::Ok
        }
    };
    bin.by_name("thumbq")
        .and_then(|q| q.static_pad("sink"))
        .expect("thumbnail queue sink")
        .add_probe(gst::PadProbeType::BUFFER, throttle);
    let sink = bin
        .by_name("thumb")
        .expect("named appsink")
        .dynamic_cast::<gstreamer_app::AppSink>()
        .expect("an appsink");
    let send = {
        let thumbs = thumbs.clone();
        move |sample: Option<gst::Sample>| {
            if let Some(buf) = sample.as_ref().and_then(|s| s.buffer())
                && let Ok(map) = buf.map_readable()
            {
                use base64::Engine as _;
                let jpeg = base64::engine::general_purpose::STANDARD.encode(map.as_slice());
                *thumbs.last.lock().expect("last thumbnail") = Some(jpeg.clone());
                if thumbs.enabled.load(Ordering::Relaxed) {
                    (thumbs.emit)(Event::Thumbnail {
                        exhibit: thumbs.exhibit.clone(),
                        jpeg,
                    });
                }
            }
        }
    };
    let send2 = send.clone();
    sink.set_callbacks(
        gstreamer_app::AppSinkCallbacks::builder()
            .new_sample(move |s| {
                send(s.pull_sample().ok());
                Ok(gst::FlowSuccess::Ok)
            })
            .new_preroll(move |s| {
                send2(s.pull_preroll().ok());
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    pipeline.add(&bin)?;
    let tee_pad = tee.request_pad_simple("src_%u").expect("tee request pad");
    tee_pad.link(&bin.static_pad("sink").expect("ghost sink"))?;
    bin.sync_state_with_parent()?;
    Ok(())
}

/// `audioconvert ! audioresample ! scaletempo ! volume ! level ! sink`, linked to `pad`.
fn audio_chain(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    sink_name: &str,
) -> anyhow::Result<gst::Element> {
    let bin = gst::parse::bin_from_description(
        &format!(
            "audioconvert ! audioresample ! scaletempo ! audioconvert ! volume name=volume ! level name=level post-messages=true interval=100000000 ! {sink_name}"
        ),
        true,
    )?;
    pipeline.add(&bin)?;
    bin.sync_state_with_parent()?;
    pad.link(&bin.static_pad("sink").expect("ghost sink"))?;
    Ok(bin.upcast())
}

/// How many frames each headless screen got; used by `courtdeck play --headless`.
pub fn frames_by_screen(stats: &[ScreenStats]) -> HashMap<String, u64> {
    stats.iter().map(|s| (s.screen.clone(), s.frames)).collect()
}
