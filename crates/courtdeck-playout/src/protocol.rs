//! The playout process's IPC protocol: newline-delimited JSON over the child's stdin (requests) and
//! stdout (replies and events). Versioned: the first line the process writes is `Event::Hello` with
//! `PROTOCOL_VERSION`, and the supervisor refuses a process that speaks another version.
//!
//! API boundary: these types are the only thing the app and the playout process share at run time.

use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 7;

/// The room's exhibit sound: the level (0.0 to 1.5, 1.0 as recorded) and the advocate's mute.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RoomSound {
    pub volume: f64,
    pub muted: bool,
}

impl Default for RoomSound {
    fn default() -> Self {
        RoomSound {
            volume: 1.0,
            muted: false,
        }
    }
}

/// A request, answered by exactly one `Event::Reply` with the same `id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    #[serde(flatten)]
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// A borderless window on an X11 monitor.
    Window,
    /// No window: frames are counted and dropped (tests, `courtdeck play --headless`).
    Headless,
    /// No window: what the screen shows is encoded (H.264 in MPEG-TS) and served over SRT, for the
    /// court's video link (a CVP PC or a conference codec takes it in). Black when nothing is shown.
    Stream,
}

/// A `Stream` screen's encoding and where it is served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamSpec {
    /// Where the SRT listener binds: `host:port` (`0.0.0.0:9710` for the room's network,
    /// `127.0.0.1:9710` for a codec on this machine).
    pub listen: String,
    pub width: u16,
    pub height: u16,
    pub bitrate_kbps: u32,
    /// SRT's latency: how long the receiver holds packets to recover lost ones. Four round trips of
    /// the network is SRT's advice; a court's LAN is far under a millisecond, so 60 ms is plenty.
    #[serde(default = "srt_latency")]
    pub latency_ms: u32,
}

fn srt_latency() -> u32 {
    60
}

/// A configured screen, as the playout process needs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputSpec {
    pub id: String,
    pub label: String,
    /// `courtdeck_core::OutputRole` wire name; playout checks the restriction rule again with it.
    pub role: String,
    pub kind: OutputKind,
    /// The monitor's connector or `xrandr --setmonitor` name (`HDMI-1`, `BENCH`).
    #[serde(default)]
    pub monitor: Option<String>,
    /// Used only when no monitor name is given: the n-th monitor.
    #[serde(default)]
    pub monitor_index: Option<usize>,
    /// The monitor this screen is (`Monitor::identity`, from its EDID), wherever it is plugged in. A
    /// connector that carries another monitor is not this screen: it shows black and gets nothing.
    #[serde(default)]
    pub identity: Option<String>,
    /// Restricted exhibits go to this screen only while its `identity` is set and matches the monitor
    /// (`[screens] require_identity`): a swapped cable can never put them on another monitor.
    #[serde(default)]
    pub require_identity: bool,
    /// A `Stream` screen's encoding and address.
    #[serde(default)]
    pub stream: Option<StreamSpec>,
}

impl OutputSpec {
    /// A screen with no window: frames are counted and dropped (tests, benchmarks, `play --headless`).
    pub fn headless(id: &str, role: &str) -> OutputSpec {
        OutputSpec {
            id: id.into(),
            label: id.to_uppercase(),
            role: role.into(),
            kind: OutputKind::Headless,
            monitor: None,
            monitor_index: None,
            identity: None,
            require_identity: false,
            stream: None,
        }
    }

    /// A stream served over SRT at `listen` (`host:port`), `width` x `height`.
    pub fn stream(id: &str, role: &str, listen: &str, width: u16, height: u16) -> OutputSpec {
        OutputSpec {
            kind: OutputKind::Stream,
            stream: Some(StreamSpec {
                listen: listen.into(),
                width,
                height,
                bitrate_kbps: 4_000,
                latency_ms: srt_latency(),
            }),
            ..OutputSpec::headless(id, role)
        }
    }

    /// A window on the monitor called `monitor` (a RandR monitor or connector name).
    pub fn window(id: &str, role: &str, monitor: &str) -> OutputSpec {
        OutputSpec {
            kind: OutputKind::Window,
            monitor: Some(monitor.into()),
            ..OutputSpec::headless(id, role)
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// Replaces the set of outputs. Screens whose monitor is missing are reported, the rest work.
    Configure {
        outputs: Vec<OutputSpec>,
        /// The supervisor's Configure of a restarted engine: every screen shows the neutral standby
        /// slate (not black, so the room can tell the kiosk is alive) until the next Present,
        /// Withdraw or Blank.
        #[serde(default)]
        standby: bool,
        /// Screens the court has blanked: black from the first moment, before anything else can
        /// reach them (the supervisor remembers blanks across a restart).
        #[serde(default)]
        blanked: Vec<String>,
        /// The room's sound, so a restarted engine plays at the level the court set (`SetVolume`,
        /// `SetMute`), not at 100% unmuted.
        #[serde(default)]
        sound: RoomSound,
    },
    /// Opens a live source (a laptop calling over SRT; a test pattern in tests) in the cue, playing
    /// and invisible until it is presented: no preroll, since a live picture has no first frame to
    /// wait for. Its picture comes and goes with the signal (`Event::Signal`); without one, the
    /// screens it is presented on show `Slate::NoSignal`. `source` stands where an exhibit's
    /// reference does in every other command (Present, Blank, Withdraw, Zoom…).
    LoadLive {
        source: String,
        /// The court's name for it ("Defence laptop"), from the configuration: the slate says it.
        label: String,
        input: LiveInput,
        /// `open`, `no_public` or `bench_only`.
        restriction: String,
        /// The roles that may ever see it (`bench`, `witness`…); a screen of another role gets no
        /// branch for it, whatever the restriction allows.
        roles: Vec<String>,
    },
    /// Freezes the live source on air on its current frame (`hold`), or lets it run live again.
    /// Zoom and strokes work on a held frame; a held frame stays up if the signal goes.
    Hold {
        hold: bool,
    },
    /// Prerolls an exhibit from the verified cache: paused on its first frame, invisible.
    Load {
        exhibit: String,
        title: String,
        /// Absolute path inside the verified cache. Playout never opens the network.
        path: String,
        /// `video`, `audio`, `image` or `document`.
        kind: String,
        /// `open`, `no_public` or `bench_only`.
        restriction: String,
        /// A document's page sizes in points, from its manifest (empty for other kinds): the pages
        /// are drawn at the size the screens need before the file is read again.
        #[serde(default)]
        pages: Vec<[f64; 2]>,
        /// The page to show first (from 1; a document only).
        #[serde(default = "first_page")]
        page: u32,
        /// A recording with a transcript: each screen's branch gets a caption overlay
        /// (`Captions` turns it on).
        #[serde(default)]
        captions: bool,
    },
    /// Shows a loaded exhibit on `screens` (already checked by the core; checked again here).
    Present {
        exhibit: String,
        screens: Vec<String>,
    },
    /// Takes the on-air exhibit off every screen.
    Withdraw,
    /// Drops a loaded exhibit that is not on air.
    Unload {
        exhibit: String,
    },
    Play,
    Pause,
    /// Accurate seek of the on-air exhibit.
    Seek {
        position_ms: u64,
    },
    /// Frame step while paused: positive forward, negative back.
    Step {
        frames: i32,
    },
    /// 0.25 to 2.0, pitch kept.
    SetRate {
        rate: f64,
    },
    /// Plays `[start_ms, end_ms)` of the on-air exhibit and stops exactly at the end.
    PlayClip {
        start_ms: u64,
        end_ms: u64,
    },
    Blank {
        screen: String,
        blank: bool,
    },
    BlankAll,
    /// Frames rendered per screen since Configure: a readback for tests and checks.
    Stats,
    /// The courtroom's sound level for exhibits, 0.0 to 1.5 (1.0 as recorded). Applies to what is on air
    /// and to every exhibit presented after.
    SetVolume {
        volume: f64,
    },
    /// Silences the exhibit sound (the picture goes on). Blanking every screen silences it too.
    SetMute {
        mute: bool,
    },
    /// Shows a region of the on-air still: `x`, `y`, `width`, `height` as fractions of the picture
    /// (0,0,1,1 is the whole of it). The region fills the screens without distortion.
    Zoom {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
    },
    /// Shows page `page` (from 1) of the document on air, at the whole page or, with `fit_width`,
    /// at the page's full width from its top. The screens change within a frame of the page being
    /// drawn; the pages either side are drawn ahead.
    Page {
        page: u32,
        #[serde(default)]
        fit_width: bool,
    },
    /// Shows the page on air at its full width, `scroll` from its top (0.0) to its bottom (1.0):
    /// as much of its height as the screens' shape holds.
    FitWidth {
        scroll: f64,
    },
    /// The telestrator: `strokes` (points in ten-thousandths of the surface's 16:9 preview of the
    /// picture on air, as it is now) are added to the strokes on the still, page or paused frame on
    /// air (`append`), or replace them (none: cleared). Playout turns them into points of the picture
    /// (so they stay on what they mark when the view is zoomed or panned afterwards) and replies with
    /// the picture's whole set (`Annotated`). Playing, a step, a seek, a page turn and a blank clear
    /// them.
    Annotate {
        strokes: Vec<WireStroke>,
        #[serde(default)]
        append: bool,
    },
    /// Captions: the transcript's cues drawn over the picture of the recording on air on `screens`
    /// (none: off everywhere), each cue from its start to its end by the picture's own time, so a
    /// caption changes with the frame it belongs to. `restriction` is the transcript's own: a
    /// screen it does not allow is refused (the core checked first). Blank takes a screen's
    /// captions down, Withdraw and a restart all of them.
    Captions {
        restriction: String,
        screens: Vec<String>,
        #[serde(default)]
        cues: Vec<WireCue>,
    },
    /// Side by side: a second video (`beside`, in the verified cache) composited beside the recording
    /// on air, left and right, on the screens it is on, and played by the same transport: at the
    /// program's position `t` it shows its own `t + offset_ms` (black before it starts and after it
    /// ends). The one on air keeps the sound, the position, the clip and the captions. Every screen
    /// of the route must be allowed the second one's restriction too (refused whole; the core checked
    /// first). `None`: the recording on air alone again. Another exhibit beside it rebuilds the
    /// program where it stood; a new offset for the same one is a seek.
    Beside {
        beside: Option<BesideSpec>,
    },
    /// Where points of the surface's 16:9 preview (ten-thousandths, as `Annotate` takes them) fall
    /// on the picture on air, through the preview's letterbox and the view on air. Replies with a
    /// `Located` (ten-thousandths of the picture); changes nothing. What a box drawn to zoom into
    /// is turned into before the core decides the zoom.
    Locate {
        points: Vec<(u16, u16)>,
    },
    /// The picture on air as a still, with its strokes, at the picture's own size (the whole page or
    /// frame, not the zoomed view): what "Keep as exhibit" keeps. Replies with a `Snapshot`.
    Snapshot,
    /// Confidence thumbnails: while enabled, the on-air exhibit sends a small JPEG of its current
    /// picture (`Event::Thumbnail`): about twice a second while playing, and each new frame while
    /// paused (a step, a seek, a zoom); enabling them while paused sends the frame on screen. The app
    /// enables them only while the control surface shows them.
    Thumbnails {
        enabled: bool,
    },
    /// Setup check: for `seconds`, every screen shows a card (with `identify`, its label big on its
    /// own colour; else SMPTE bars with the label) and the audio output plays a 1 kHz tone. Replies
    /// with a `CardReport`: frames per screen, a pixel readback of each window, the tone's level.
    /// Refused while an exhibit is on air. The engine answers other requests meanwhile; a Blank,
    /// Blank All, Withdraw, Present or Configure ends the card early (its report says so).
    TestCard {
        seconds: f64,
        identify: bool,
    },
    /// Setup check: what GStreamer makes of a cached file (GstDiscoverer), in this process so that a
    /// hostile file can only crash playout. Replies with a `DiscoverReport`.
    Discover {
        path: String,
    },
    /// A poster frame for the exhibit list: a 160x90 JPEG (base64) of a video 10% in (at most 5 s) or
    /// of a still; replies with a `Poster`. Audio has none.
    Poster {
        path: String,
        /// A document's page (from 1) instead of its first.
        #[serde(default)]
        page: Option<u32>,
    },
    /// Setup check: the GStreamer version and whether every element Courtdeck uses is installed.
    /// Replies with an `Inventory`.
    Inventory,
    Shutdown,
}

fn first_page() -> u32 {
    1
}

/// One telestrator stroke on the wire: `pen`, `arrow`, `rectangle` or `highlighter`, and its points
/// in ten-thousandths (0 to 10,000 across and down).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireStroke {
    pub tool: String,
    pub points: Vec<(u16, u16)>,
}

/// The recording shown beside the one on air (`Command::Beside`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BesideSpec {
    pub exhibit: String,
    /// Absolute path inside the verified cache, as for `Load`.
    pub path: String,
    pub restriction: String,
    /// Where its clock stands against the one on air's: it shows `position + offset_ms`.
    pub offset_ms: i64,
}

/// One cue of a transcript (`courtdeck_core::transcript::Cue` on the wire): plain text (lines
/// separated by `\n`) and who says it, shown from `start_ms` to `end_ms` of the recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireCue {
    pub start_ms: u64,
    pub end_ms: u64,
    #[serde(default)]
    pub speaker: Option<String>,
    pub text: String,
}

/// A PNG of the picture on air with its strokes (`Command::Snapshot`), base64.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub png: String,
    pub width: u32,
    pub height: u32,
}

/// What `Annotate` put on the picture: its strokes in ten-thousandths of the picture.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Annotated {
    pub strokes: Vec<WireStroke>,
}

/// Points of the picture on air (`Command::Locate`), in ten-thousandths of its width and height.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Located {
    pub points: Vec<(u16, u16)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    /// A `courtdeck_core::ErrorCode` wire name.
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardReport {
    pub screens: Vec<CardScreen>,
    pub tone: ToneReport,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardScreen {
    pub screen: String,
    pub connected: bool,
    /// Frames that reached the screen's sink during the card.
    pub frames: u64,
    /// For a window: the pixels read back from it matched the card. `None` for headless screens.
    pub readback_ok: Option<bool>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToneReport {
    pub sink: String,
    /// The loudest RMS level the meter saw after the tone, dBFS; `None` when no level arrived.
    pub rms_db: Option<f64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DiscoverReport {
    pub container: Option<String>,
    pub video: Vec<String>,
    pub audio: Vec<String>,
    pub duration_ms: Option<u64>,
    /// GStreamer's own description of each missing plugin (a decoder, a demuxer).
    pub missing: Vec<String>,
    /// Why it cannot be played, when it cannot.
    pub error: Option<String>,
    /// What a kiosk shows, from the streams found (not the file's name): `video`, `audio` or
    /// `image`; `None` when there is nothing to show.
    #[serde(default)]
    pub kind: Option<String>,
    /// The picture's size as shown: after the pixel aspect ratio and any rotation (a track matrix,
    /// EXIF orientation).
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    /// Degrees clockwise the picture is turned to be shown upright (0, 90, 180, 270).
    #[serde(default)]
    pub rotation: u32,
    /// A document's pages (`kind` = `document`): each `[width, height]` in points as shown.
    #[serde(default)]
    pub pages: Vec<[f64; 2]>,
    /// The `ErrorCode` wire name that goes with `error` when the file is a document
    /// (`document_refused`, `media_corrupt`); `None` for media, whose error is found by loading it.
    #[serde(default)]
    pub error_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Poster {
    /// Base64 JPEG; `None` when the file has no picture or could not be read.
    pub jpeg: Option<String>,
    /// Why no poster could be made (after a second try); `None` when it was, or there is no picture.
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub gstreamer: String,
    /// Each element Courtdeck relies on, and whether it is installed.
    pub elements: Vec<(String, bool)>,
    pub plugins: usize,
}

/// The neutral pictures a screen shows instead of black. None names an exhibit: a restricted
/// exhibit's reference must not reach the public gallery even in an error. `as_str` is the wire
/// spelling (`ScreenStats::slate`); the surface's `Slate` union is generated from `ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slate {
    /// After the playout engine restarted: nothing is shown until an advocate presents again.
    Standby,
    /// The exhibit on this screen failed while on air (damaged file, lost decoder).
    Unavailable,
    /// The live source presented here has no signal (its caller left, its cable is out): it names
    /// the source ("No signal from Defence laptop"), a name the court gave it, never an exhibit's.
    NoSignal,
}

impl Slate {
    pub const ALL: [Slate; 3] = [Slate::Standby, Slate::Unavailable, Slate::NoSignal];

    pub fn as_str(self) -> &'static str {
        match self {
            Slate::Standby => "standby",
            Slate::Unavailable => "unavailable",
            Slate::NoSignal => "no_signal",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScreenStats {
    pub screen: String,
    /// False when the screen's monitor is not connected.
    pub connected: bool,
    pub frames: u64,
    pub blanked: bool,
    /// The exhibit the screen shows now, if any.
    pub showing: Option<String>,
    /// `standby`, `unavailable` or `no_signal` when the screen shows a slate instead of black.
    #[serde(default)]
    pub slate: Option<String>,
    /// When the screen's connector carries another monitor than the one it names: which (its
    /// identity, or that it has none); or, when its identity matches more than one monitor, why
    /// (`ambiguous` too). Such a screen is not connected.
    #[serde(default)]
    pub mismatch: Option<String>,
    /// When its identity matches more than one monitor (or another screen's): why, in the clerk's
    /// words ("BENCH and PUBLIC both match AOP-06A5 (no serial): pin them by connector as well").
    #[serde(default)]
    pub ambiguous: Option<String>,
}

/// Where a live source's picture comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveInput {
    /// An SRT listener (`HOST:PORT`) that a laptop calls, H.264 or H.265 with AAC in MPEG-TS.
    Srt {
        listen: String,
        /// SRT's receive latency in milliseconds.
        latency_ms: u32,
        /// Encryption's passphrase (10 to 64 characters), from the keyring; none: unencrypted.
        #[serde(default)]
        passphrase: Option<WireSecret>,
    },
    /// A V4L2 capture device (an HDMI-to-USB adapter, a document camera): its stable path
    /// (`/dev/v4l/by-id/…`) or `usb:VVVV:PPPP[:SERIAL]`, found among `/sys/class/video4linux`. The
    /// mode is chosen from what it offers (1080p first, MJPEG or raw, at 25 fps or more).
    Capture { device: String },
    /// A live test pattern with a tone, clocked like a capture device: what stands in for the
    /// capture card where there is none (the tests). `pattern` is videotestsrc's (`smpte`, `red`…);
    /// `clock` is a ball sweeping once a second at the wall clock's time (the capture latency
    /// benchmark reads it back).
    TestPattern {
        pattern: String,
        width: u32,
        height: u32,
        fps: u32,
    },
}

/// A secret on the wire (a live source's passphrase): it never prints.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WireSecret(pub String);

impl std::fmt::Debug for WireSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The environment variable that carries a `ConfinePolicy` (JSON) to the playout process. Absent, the
/// process is confined with nothing to read beyond the system's own files: it fails closed.
pub const CONFINE_ENV: &str = "COURTDECK_CONFINE";

/// What the playout process may read beyond the system's own files (libraries, GStreamer's plugins,
/// fonts, the monitors' EDIDs), and whether it may run where the kernel cannot confine it. Sent by
/// the app in `CONFINE_ENV`; the process confines itself with it before it decodes anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfinePolicy {
    /// Folders (or files) it may read, never write: the verified cache's blobs, or the one file a
    /// probe opens. One that does not exist when the process starts stays unreadable.
    #[serde(default)]
    pub read: Vec<std::path::PathBuf>,
    /// Folders it may write files in. The app gives none (playout keeps no state of its own); a
    /// test or benchmark that captures the sound to a file gives that file's folder.
    #[serde(default)]
    pub write: Vec<std::path::PathBuf>,
    /// Device folders it may open, read, write and control (a capture device's `/dev`): given only
    /// when a capture source is configured.
    #[serde(default)]
    pub devices: Vec<std::path::PathBuf>,
    /// Set (`[playout] unconfined_reason`), the process starts even where the kernel cannot confine
    /// it, and says why; unset, it refuses to start there.
    #[serde(default)]
    pub unconfined_reason: Option<String>,
}

impl ConfinePolicy {
    /// A policy that reads `paths`.
    pub fn reading(paths: impl IntoIterator<Item = impl Into<std::path::PathBuf>>) -> Self {
        ConfinePolicy {
            read: paths.into_iter().map(Into::into).collect(),
            ..ConfinePolicy::default()
        }
    }

    /// The environment variable that gives it to a playout process.
    pub fn env(&self) -> (String, String) {
        (
            CONFINE_ENV.to_owned(),
            serde_json::to_string(self).expect("a policy serialises"),
        )
    }
}

/// How the playout process is confined (in `Event::Hello`; the setup checks show it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confinement {
    pub status: ConfinementStatus,
    /// The kernel's Landlock ABI version; 0 where it has none.
    pub abi: u32,
    /// What is and is not confined, in the clerk's words.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfinementStatus {
    /// Every rule is enforced.
    Full,
    /// Enforced, but the kernel (or the display) left some rule out: `detail` names it.
    Partial,
    /// Not confined, and the configuration allows it (`detail` gives its reason).
    Off,
    /// Not confined, and the configuration does not allow it: the process exits.
    Refused,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The first line. With `confinement.status` `refused` it is also the last: the process exits.
    Hello {
        protocol_version: u32,
        pid: u32,
        confinement: Confinement,
    },
    Reply {
        id: u64,
        #[serde(default)]
        error: Option<WireError>,
        #[serde(default)]
        stats: Option<Vec<ScreenStats>>,
        /// The typed result of a check command (`CardReport`, `DiscoverReport`, `Inventory`).
        #[serde(default)]
        data: Option<serde_json::Value>,
    },
    /// The hardware blank key (`COURTDECK_BLANK_KEY`, grabbed by playout itself) was pressed: every
    /// screen was blanked, without the app asking.
    BlankedByKey { key: String },
    /// The monitors changed (one unplugged, plugged back, moved, swapped) and the screens were placed
    /// again: what each screen is now. Sent after the windows were moved, so a screen reported
    /// connected shows what it should.
    Screens { screens: Vec<ScreenStats> },
    /// A live source's picture came (`present`) or went: a caller connected or left, a cable, a
    /// stream that stopped. `detail` says what was seen ("the caller left", "no picture for 1 s").
    Signal {
        source: String,
        present: bool,
        #[serde(default)]
        detail: Option<String>,
        /// The picture's size as it arrives (with `present`).
        #[serde(default)]
        width: Option<u32>,
        #[serde(default)]
        height: Option<u32>,
    },
    /// A loaded exhibit reached its first frame (paused, invisible).
    Prerolled {
        exhibit: String,
        duration_ms: Option<u64>,
        has_video: bool,
        has_audio: bool,
    },
    /// The first frame of an exhibit reached a screen's sink after Present.
    FirstFrame {
        exhibit: String,
        screen: String,
        latency_us: u64,
    },
    Position {
        exhibit: String,
        position_ms: u64,
        duration_ms: Option<u64>,
        playing: bool,
        rate: f64,
    },
    /// The on-air exhibit's sound level as it leaves for the speakers (after volume and mute), about
    /// ten times a second while it plays: the loudest channel's RMS in dBFS (-inf as -120).
    Level { exhibit: String, rms_db: f64 },
    /// A confidence thumbnail of an exhibit's picture: 192x108 JPEG, base64.
    Thumbnail { exhibit: String, jpeg: String },
    /// Playback reached the end (or a clip's out point) and holds the last frame.
    Eos { exhibit: String },
    /// Something the court must know that does not stop the exhibit: a stretch of a video that could
    /// not be decoded and reached no screen (the decoder skipped it). The exhibit stays on air.
    Warning { exhibit: String, error: WireError },
    /// Something failed; `exhibit` names it when it is about one exhibit. Other exhibits go on.
    Error {
        exhibit: Option<String>,
        screen: Option<String>,
        error: WireError,
    },
}

impl Event {
    pub fn to_line(&self) -> String {
        let mut s = serde_json::to_string(self).expect("events serialise");
        s.push('\n');
        s
    }
}

/// A monitor as RandR reports it (`xrandr --listmonitors`), with who it is; what
/// `courtdeck-playout monitors` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monitor {
    pub name: String,
    pub x: i16,
    pub y: i16,
    pub width: u16,
    pub height: u16,
    /// The RandR output (connector) it is on, when RandR names one (`HDMI-1`).
    #[serde(default)]
    pub connector: Option<String>,
    /// Its identity from its EDID (`courtdeck_core::MonitorIdentity`), read from RandR's `EDID`
    /// property, else from `/sys/class/drm/*/edid`; `None` when it has no readable EDID.
    #[serde(default)]
    pub identity: Option<String>,
    /// The EDID's monitor name (`DELL P2414H`).
    #[serde(default)]
    pub model: Option<String>,
    /// The EDID's manufacturer id (`DEL`).
    #[serde(default)]
    pub maker: Option<String>,
    /// The EDID's product code, 4 hex digits (`A09B`).
    #[serde(default)]
    pub product: Option<String>,
    /// Its serial, when it reports a real one (`courtdeck_core::Serial::Real`).
    #[serde(default)]
    pub serial: Option<String>,
    /// Whether the identity names this one monitor (a real serial), not only its model (an EDID hash).
    #[serde(default)]
    pub unique: bool,
    /// Why the identity does not name one monitor (a placeholder serial, or none), when it does not.
    #[serde(default)]
    pub not_unique_because: Option<String>,
    /// The identity the rule before 2026-12-07 gave it, when that differs (old pins still find it).
    #[serde(default)]
    pub legacy_identity: Option<String>,
    /// Why its EDID could not be read, when there is one that failed its checks.
    #[serde(default)]
    pub edid_error: Option<String>,
}

impl Monitor {
    /// A monitor with no identity known yet.
    pub fn new(name: &str, x: i16, y: i16, width: u16, height: u16) -> Monitor {
        Monitor {
            name: name.into(),
            x,
            y,
            width,
            height,
            connector: None,
            identity: None,
            model: None,
            maker: None,
            product: None,
            serial: None,
            unique: false,
            not_unique_because: None,
            legacy_identity: None,
            edid_error: None,
        }
    }
}

/// A generated file of the demo store, with what its bundle description says about it; what
/// `courtdeck-playout demo-media DIR` prints, one per file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoFile {
    pub file: String,
    pub duration_ms: Option<u64>,
    pub path: std::path::PathBuf,
    /// A document's page sizes in points.
    #[serde(default)]
    pub pages: Vec<[f64; 2]>,
}
