//! The playout engine: owns the outputs and one GStreamer pipeline per loaded exhibit.
//!
//! One decode per exhibit fans out to every screen allowed to show it (the restriction rule is checked
//! again here, so a screen that may not see an exhibit never even gets a sink for it). Each branch draws
//! into its own child window, unmapped until Present: a prerolled exhibit sits paused on its first frame,
//! invisible, and Present is a map and an expose. The pipeline's diagram is at the top of `build`.
//!
//! Threads: the engine runs on one thread and is the only one that changes pipeline state. GStreamer's
//! streaming threads talk to it only through the `Msg` channel (bus sync handler) and atomics (frame
//! counters in pad probes).
//!
//! Two layers, and no import circle between them:
//! - `parts` (below): what programs are made of, none of which sees the `Engine`: leaf types and
//!   settings (`base`), components that own their elements and state (`link`, `annotate`, `slate`,
//!   `document`, `captions`, `beside`), pure builders of pipeline pieces (`graph`), and the state
//!   the engine keeps per screen and per loaded exhibit (`output`, `program`). Their order is in
//!   `parts/mod.rs`, checked by a test; the builders and components have unit tests that need no playout process.
//! - The `Engine` (above), one owner per module, each an `impl Engine` over the parts:
//!   - `mod.rs` (here): the engine's state, the message loop and the command dispatch.
//!   - `outputs`: `Configure`, the screens' windows and visibility, their figures (`stats`).
//!   - `slates`: which screen shows which slate, and drawing them.
//!   - `build`: building, rebuilding and tearing down programs; the `may_show` gate.
//!   - `transport`: play, pause, step and zoom on the program on air.
//!   - `beside`: side by side on air.
//!   - `captions`: captions on air, and the restriction check for them.
//!   - `lifecycle`: the bus, gaps, the tick and the watchdogs.
//!   - `test_card`: the clerk's test card and tone, a state machine the loop drives (ticks, bus).

mod parts;

mod beside;
mod build;
mod captions;
mod lifecycle;
mod outputs;
mod slates;
mod test_card;
mod transport;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::time::Duration;

use courtdeck_core::ErrorCode;
use gstreamer as gst;
use gstreamer::prelude::*;

use crate::protocol::{Command, Event, ScreenStats, WireError};
use crate::{checks, media, x11};

pub use self::parts::base::Emit;
use self::parts::base::{HEADLESS_SIZE, err};
use self::parts::output::Output;
use self::parts::program::{Deck, millis, seek};
pub use self::parts::slate::{
    SLATE_NO_SIGNAL_ARGB, SLATE_STANDBY_ARGB, SLATE_UNAVAILABLE_ARGB, Slate,
};

/// How long a loaded exhibit may take to reach its first frame before it is declared unplayable.
const PREROLL_TIMEOUT: Duration = Duration::from_secs(10);
/// A local file prerolls in well under 100 ms; one that has not after this is rebuilt once.
const RETRY_AFTER: Duration = Duration::from_secs(2);
/// A playing exhibit whose position has not moved for this long has frozen: it is reported and
/// rebuilt where it stood (the playback watchdog).
const STALL_AFTER: Duration = Duration::from_secs(2);
/// How many times one exhibit is rebuilt while on air (a freeze, a lost sound output) before the
/// court is told it cannot be played.
const MAX_REBUILDS: u32 = 3;
/// A pause is answered once its program has paused; one that has not settled after this is answered
/// anyway.
const PAUSE_SETTLES: Duration = Duration::from_secs(1);
/// The audio sink used when the room's sound output cannot be opened: the picture plays on.
const SILENT_SINK: &str = "fakesink sync=true";

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
    /// A live source's picture arrived after none (its signal probe, on a streaming thread).
    Signal {
        program: u64,
    },
    /// The monitors may have changed (`x11::watch_monitors`): place the screens again.
    Monitors,
    /// The hardware blank key was pressed (`x11::watch_key`).
    BlankKey,
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

pub struct Engine {
    emit: Emit,
    tx: Sender<Msg>,
    display: Option<x11::Display>,
    outputs: Vec<Output>,
    /// The program on air and the one cued behind it.
    deck: Deck,
    next_seq: u64,
    /// The configured audio sink description (`[audio] sink`).
    audio_sink: String,
    /// Why the room hears nothing, when its sound output cannot be opened: exhibits then play their
    /// pictures with `SILENT_SINK` and the court is told.
    no_sound: Option<String>,
    /// Whether exhibits send confidence thumbnails (`Command::Thumbnails`).
    thumbnails: Arc<std::sync::atomic::AtomicBool>,
    /// The hardware blank key (`COURTDECK_BLANK_KEY`: `F12`, `Pause`…; unset or empty: none), and
    /// when it last blanked (a held key repeats).
    blank_key: Option<String>,
    blank_key_at: Option<std::time::Instant>,
    /// The room's exhibit sound level and the advocate's mute (`SetVolume`, `SetMute`).
    volume: f64,
    muted: bool,
    /// The setup check's test card, while it is up.
    card: Option<test_card::CardRun>,
    /// Pause requests answered once their program has paused (`Engine::pause`): request id, program,
    /// since when.
    pausing: Vec<(u64, u64, std::time::Instant)>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("on_air", &self.deck.on_air_exhibit())
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(emit: Emit, tx: Sender<Msg>) -> anyhow::Result<Engine> {
        // Idempotent: `server::run` has done both before confining the process.
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
            deck: Deck::default(),
            next_seq: 1,
            thumbnails: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            blank_key: std::env::var("COURTDECK_BLANK_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
            blank_key_at: None,
            volume: 1.0,
            muted: false,
            card: None,
            pausing: Vec::new(),
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
                if self.card.as_ref().is_some_and(|c| c.seq == program) {
                    self.card_message(&message);
                    return true;
                }
                self.bus(program, &message);
                if let gst::MessageView::AsyncDone(_) = message.view() {
                    // Answered once its screens agree on the frame (`Program::realign`).
                    self.answer_paused(|deck, seq, _| {
                        seq == program
                            && deck
                                .iter()
                                .find(|p| p.seq == seq)
                                .is_none_or(|p| !p.realigning())
                    });
                }
                self.draw_slates();
                true
            }
            Msg::Tick => {
                self.card_tick();
                // A pause that never settles (a program torn down meanwhile) is answered anyway.
                self.answer_paused(|deck, seq, since| {
                    deck.slot_of_seq(seq).is_none() || since.elapsed() > PAUSE_SETTLES
                });
                self.tick();
                self.draw_slates();
                true
            }
            Msg::Gap { program, from, to } => {
                self.gap(program, from, to);
                true
            }
            Msg::Refuse { program, reason } => {
                if let Some(slot) = self.deck.slot_of_seq(program) {
                    let exhibit = self.deck[slot].exhibit.clone();
                    tracing::warn!(exhibit, "refused: {reason}");
                    let message = format!(
                        "Exhibit {exhibit} cannot be shown: {reason}. Other exhibits still play."
                    );
                    self.give_up(&exhibit, ErrorCode::MediaTooLarge, message);
                    self.draw_slates();
                }
                true
            }
            Msg::Signal { program } => {
                self.signal_changed(program, true, None);
                self.draw_slates();
                true
            }
            Msg::Monitors => {
                self.place_screens(false);
                self.draw_slates();
                true
            }
            Msg::BlankKey => {
                self.blank_by_key();
                true
            }
            Msg::Hangup => false,
        }
    }

    /// Answers one request; returns false for Shutdown.
    fn request(&mut self, id: u64, command: Command) -> bool {
        let shutdown = matches!(command, Command::Shutdown);
        // What takes the screens from the clerk's test card ends it first (the card's request is
        // answered then, saying why).
        let takes_the_screens = match &command {
            Command::BlankAll => Some("Blank All was pressed"),
            Command::Blank { blank: true, .. } => Some("a screen was blanked"),
            Command::Withdraw => Some("the screens were cleared"),
            Command::Present { .. } => Some("an exhibit was presented"),
            Command::Configure { .. } => Some("the screens were configured again"),
            Command::Shutdown => Some("playout shut down"),
            _ => None,
        };
        if let Some(why) = takes_the_screens {
            self.stop_card(why);
        }
        let stats = matches!(command, Command::Stats).then(|| self.stats());
        let (error, data) = match command {
            // Answered when the card ends (`Engine::card_tick`, `Engine::stop_card`).
            Command::TestCard { seconds, identify } => match self.start_card(id, seconds, identify)
            {
                Ok(()) => return true,
                Err(e) => (Some(e), None),
            },
            Command::Pause => match self
                .timeline_refused(&Command::Pause)
                .map_or_else(|| self.pause(), Err)
            {
                Ok(Some(seq)) => {
                    self.pausing.push((id, seq, std::time::Instant::now()));
                    return true;
                }
                Ok(None) => (None, None),
                Err(e) => (Some(e), None),
            },
            Command::Discover { path } => split(Ok(checks::discover(Path::new(&path)))),
            Command::Inventory => split(Ok(checks::inventory())),
            Command::Poster { path, page } => {
                split(Ok(checks::poster(Path::new(&path), page.unwrap_or(1))))
            }
            Command::Annotate { strokes, append } => split(self.annotate(strokes, append)),
            Command::Snapshot => split(self.snapshot()),
            Command::Locate { points } => split(self.locate(points)),
            other => {
                // What changes the frame on air, or takes it off a screen, takes the strokes off it.
                if matches!(
                    other,
                    Command::Play
                        | Command::Seek { .. }
                        | Command::Step { .. }
                        | Command::PlayClip { .. }
                        | Command::Page { .. }
                        | Command::Beside { .. }
                        | Command::Withdraw
                ) {
                    self.clear_strokes(false);
                } else if matches!(
                    other,
                    Command::Blank { blank: true, .. } | Command::BlankAll
                ) {
                    self.clear_strokes(true);
                }
                (self.command(other).err(), None)
            }
        };
        (self.emit)(Event::Reply {
            id,
            error,
            stats,
            data,
        });
        !shutdown
    }

    /// Sends every message of `pipeline`'s bus to the engine thread as `Msg::Bus { program: seq }`.
    fn forward_bus(&self, pipeline: &gst::Pipeline, seq: u64) {
        let tx = std::sync::Mutex::new(self.tx.clone());
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
    }

    pub fn shutdown(&mut self) {
        self.stop_card("playout shut down");
        self.answer_paused(|_, _, _| true);
        for p in self.deck.take_all() {
            self.teardown(p);
        }
    }

    /// A command for a recording's timeline (or pages, captions, a second recording) while a live
    /// source is on air: refused, saying why.
    fn timeline_refused(&self, command: &Command) -> Option<WireError> {
        let timeline = matches!(
            command,
            Command::Play
                | Command::Pause
                | Command::Seek { .. }
                | Command::Step { .. }
                | Command::SetRate { .. }
                | Command::PlayClip { .. }
                | Command::Page { .. }
                | Command::FitWidth { .. }
                | Command::Captions { .. }
                | Command::Beside { .. }
        );
        let p = self.deck.on_air().filter(|p| timeline && p.is_live())?;
        Some(err(
            ErrorCode::InvalidState,
            format!(
                "{} is live: it has no recording to pause, seek, step, slow or page through",
                p.exhibit
            ),
        ))
    }

    /// The hardware blank key: every screen blanked by playout itself, whatever the app is doing
    /// (frozen, restarting, stopped), then the app is told. It only blanks: the surface unblanks. A
    /// press within `REPEAT` of the last is the key held down, not a new press.
    fn blank_by_key(&mut self) {
        const REPEAT: std::time::Duration = std::time::Duration::from_millis(500);
        let now = std::time::Instant::now();
        if self.blank_key_at.is_some_and(|at| now - at < REPEAT) {
            return;
        }
        self.blank_key_at = Some(now);
        let key = self.blank_key.clone().unwrap_or_default();
        tracing::info!(key, "the blank key was pressed: every screen blanked");
        self.stop_card("the blank key was pressed");
        self.clear_strokes(true);
        if let Err(e) = self.command(Command::BlankAll) {
            tracing::error!("the blank key could not blank: {}", e.message);
        }
        (self.emit)(Event::BlankedByKey { key });
    }

    fn command(&mut self, command: Command) -> Result<(), WireError> {
        if let Some(e) = self.timeline_refused(&command) {
            return Err(e);
        }
        match command {
            Command::Configure {
                outputs,
                standby,
                blanked,
                sound,
            } => {
                self.configure(outputs)?;
                self.volume = sound.volume.clamp(0.0, 1.5);
                self.muted = sound.muted;
                for o in &mut self.outputs {
                    o.blanked = blanked.contains(&o.spec.id);
                }
                if standby {
                    self.set_slates(|o| (!o.blanked).then_some(Slate::Standby));
                }
                Ok(())
            }
            Command::Hold { hold } => {
                let p = self.on_air_program_mut()?;
                if !p.is_live() {
                    return Err(err(
                        ErrorCode::InvalidState,
                        format!(
                            "{} is a recording: pause it to stay on a frame; only a live source is held",
                            p.exhibit
                        ),
                    ));
                }
                let released = p.held() && !hold;
                let stale = p
                    .set_held(hold)
                    .map_err(|m| err(ErrorCode::InvalidState, m))?;
                let exhibit = p.exhibit.clone();
                if released {
                    // A moving picture: the marks of the held frame no longer mark anything.
                    self.clear_strokes(false);
                }
                if stale {
                    self.rebuild(&exhibit, parts::program::Rebuild::Signal);
                }
                self.apply_visibility();
                Ok(())
            }
            Command::LoadLive {
                source,
                label,
                input,
                restriction,
                roles,
            } => self.load_live(source, label, input, &restriction, &roles),
            Command::Load {
                exhibit,
                title,
                path,
                kind,
                restriction,
                pages,
                page,
                captions,
            } => self.load(
                exhibit,
                &title,
                Path::new(&path),
                &kind,
                &restriction,
                (pages, page),
                captions,
            ),
            Command::Captions {
                restriction,
                screens,
                cues,
            } => self.captions(&restriction, screens, cues),
            Command::Beside { beside } => self.beside(beside),
            Command::Page { page, fit_width } => self.page(page, fit_width),
            Command::FitWidth { scroll } => self.fit_width(scroll),
            Command::Present { exhibit, screens } => self.present(&exhibit, screens),
            Command::Withdraw => {
                // With nothing on air, Withdraw still takes slates down (the screens go black).
                let on = self.deck.on_air_exhibit().map(str::to_owned);
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
                if self.deck.is_on_air(&exhibit) {
                    return Err(err(
                        ErrorCode::InvalidState,
                        "withdraw the exhibit before unloading it",
                    ));
                }
                self.remove_program(&exhibit);
                Ok(())
            }
            Command::Play => self.set_playing(true),
            Command::Seek { position_ms } => {
                // Scrubbing leaves any clip: play on to the end from there.
                let p = self.on_air_program_mut()?;
                p.set_clip_end(None);
                let p = self.on_air_program()?;
                seek(p, p.rate(), millis(position_ms))
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
                let pos = p.standing().unwrap_or(gst::ClockTime::ZERO);
                p.set_rate(rate);
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
                p.set_clip_end(Some(millis(end_ms)));
                let p = self.on_air_program()?;
                seek(p, p.rate(), millis(start_ms))?;
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
                    self.drop_captions(Some(&screen));
                    self.set_slates(|o| if o.spec.id == screen { None } else { o.slate });
                }
                self.apply_visibility();
                Ok(())
            }
            Command::BlankAll => {
                for o in &mut self.outputs {
                    o.blanked = true;
                }
                self.drop_captions(None);
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
                    && !p.playing()
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
            | Command::Pause
            | Command::Discover { .. }
            | Command::Annotate { .. }
            | Command::Snapshot
            | Command::Locate { .. }
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
}

/// How many frames each headless screen got; used by `courtdeck play --headless`.
pub fn frames_by_screen(stats: &[ScreenStats]) -> HashMap<String, u64> {
    stats.iter().map(|s| (s.screen.clone(), s.frames)).collect()
}
