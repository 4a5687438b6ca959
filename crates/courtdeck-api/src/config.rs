//! The kiosk's configuration: TOML in the XDG config dir (`~/.config/courtdeck/config.toml`), or the file
//! named by `$COURTDECK_CONFIG`, or the installed kiosk's `/etc/courtdeck/config.toml`. Every key is optional; the defaults run the built-in demo store.
//! `docs/config.md` documents each key; `Config::example()` prints a commented file.

use std::path::PathBuf;

use courtdeck_core::{
    ErrorCode, LiveKind, LiveSource, MonitorIdentity, OutputRole, Restriction, Screen, ScreenId,
    SourceId,
};
use courtdeck_playout::protocol::{OutputKind, OutputSpec, StreamSpec};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The courtroom whose list this kiosk shows (a store path segment).
    pub court: String,
    /// This kiosk's name, for reports and the audit log.
    pub kiosk_id: String,
    pub store: StoreConfig,
    /// Where verified exhibits are cached.
    pub cache_dir: Option<PathBuf>,
    /// The hash-chained audit log (default: `$XDG_STATE_HOME/courtdeck/audit.jsonl`).
    pub audit_file: Option<PathBuf>,
    /// Where the week ahead's readiness reports are saved (default:
    /// `$XDG_DATA_HOME/courtdeck/reports`).
    pub reports_dir: Option<PathBuf>,
    #[serde(rename = "screen")]
    pub screens: Vec<ScreenConfig>,
    /// Live sources (an advocate's laptop over SRT, a capture card or document camera): `[[source]]`.
    #[serde(rename = "source")]
    pub sources: Vec<SourceConfig>,
    /// How screens are known: `[screens]`.
    #[serde(rename = "screens")]
    pub screen_identity: ScreensConfig,
    pub audio: AudioConfig,
    pub control: ControlConfig,
    pub cache: CacheConfig,
    pub trust: TrustConfig,
    pub ui: UiConfig,
    pub playout: PlayoutConfig,
    /// Publishing (`courtdeck bundle`): `[publish]`.
    pub publish: PublishConfig,
    /// HMCTS's court lists (`courtdeck import cath-list`, `serve-lists`): `[lists]`.
    pub lists: ListsConfig,
    /// The CLI only: an S3 store's key may come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`
    /// when the keyring has none (publishing from a workstation or CI). Never read from the file.
    #[serde(skip)]
    pub env_credentials: bool,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// The language the control surface starts in; the switch on the surface changes it until restart.
    pub language: Language,
}

/// A language the control surface speaks (its catalogues are `ui/src/i18n/<code>.ts`).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    #[default]
    En,
    /// Cymraeg (Welsh).
    Cy,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PublishConfig {
    /// Publishing into an S3 bucket made with Object Lock: each blob is written in COMPLIANCE mode
    /// and kept this many days (no one can delete it or shorten that, the bucket's owner included).
    /// 0, the default: no retention.
    pub retain_days: u32,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ListsConfig {
    /// Which kiosk `court` each courtroom of HMCTS's lists is: `[[lists.rooms]]`. A room without one
    /// is written under an id made from its names (docs/interop.md), and the import says so.
    pub rooms: Vec<RoomConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomConfig {
    /// The court house as HMCTS's list names it (`courtHouseName`; Libra lists: `court`); empty
    /// for a list that names none. Case, line breaks and repeated spaces do not matter.
    #[serde(default)]
    pub court_house: String,
    /// The room as the list names it (`courtRoomName`; Libra lists: its number, `"1"`).
    pub room: String,
    /// The kiosk's `court` its hearings are listed for.
    pub court: String,
}

impl ListsConfig {
    /// The mappings as the reader takes them (validated: safe court ids, each room once).
    pub fn room_mappings(&self) -> ApiResult<Vec<courtdeck_interop::cath::RoomMapping>> {
        let mut out: Vec<courtdeck_interop::cath::RoomMapping> = Vec::new();
        for r in &self.rooms {
            let court = courtdeck_core::CourtId::parse(&r.court).map_err(|e| {
                ApiError::new(ErrorCode::ConfigInvalid, format!("[[lists.rooms]]: {e}"))
            })?;
            let mapping = courtdeck_interop::cath::RoomMapping {
                court_house: r.court_house.clone(),
                room: r.room.clone(),
                court,
            };
            if out.iter().any(|o| mapping.names_same_room(o)) {
                return Err(ApiError::new(
                    ErrorCode::ConfigInvalid,
                    format!(
                        "[[lists.rooms]]: {:?} {:?} is mapped twice",
                        r.court_house, r.room
                    ),
                ));
            }
            out.push(mapping);
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TrustConfig {
    /// Base64 Ed25519 public keys of the publishers whose manifests this kiosk accepts (as printed by
    /// `courtdeck keygen`). When set, unsigned or wrongly signed manifests are refused.
    pub publisher_keys: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum StoreConfig {
    /// The built-in demo store, generated on first run into the XDG data dir.
    Demo,
    /// A folder: a mounted share or a USB stick.
    Dir { path: PathBuf },
    /// An HTTPS server holding the store layout. The credential is in the OS keyring, put there by
    /// `courtdeck store login`; never in this file.
    Https(HttpsStoreConfig),
    /// An S3-compatible bucket holding the store layout under `prefix`: `endpoint`, `bucket`,
    /// `region`, every other key as for HTTPS. The access key is in the OS keyring
    /// (`courtdeck store login` asks for the key id and the secret).
    S3(HttpsStoreConfig),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpsStoreConfig {
    /// `https://evidence.example/store/` (plain `http://` only on loopback); for S3, the endpoint
    /// (`endpoint = "https://s3.example"`).
    #[serde(alias = "endpoint")]
    pub url: String,
    /// S3 only: the bucket, the store's folder in it (`""`: its root), the region (default
    /// `us-east-1`) and path-style addressing (default true; false for virtual-host).
    #[serde(default)]
    pub bucket: Option<String>,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub path_style: Option<bool>,
    /// `bearer` (default), `basic` (with `username`) or `none`.
    #[serde(default)]
    pub auth: AuthKind,
    #[serde(default)]
    pub username: Option<String>,
    /// PEM CA bundle to trust instead of the system roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_s: u64,
    #[serde(default = "default_read_timeout")]
    pub read_timeout_s: u64,
    /// Longest wait for the store's answer (status and headers) to a request: a store that accepts
    /// and says nothing is offline after this.
    #[serde(default = "default_answer_timeout")]
    pub answer_timeout_s: f64,
    /// Longest time for one court list or manifest, retries and body included.
    #[serde(default = "default_document_deadline")]
    pub document_deadline_s: f64,
    /// The slowest acceptable exhibit download, in KiB/s, measured over `rate_window_s`; below it the
    /// download is resumed, and after `slow_attempts` such attempts in a row it fails. 0: no floor.
    #[serde(default = "default_min_rate")]
    pub min_rate_kib_s: f64,
    #[serde(default = "default_rate_window")]
    pub rate_window_s: f64,
    #[serde(default = "default_slow_attempts")]
    pub slow_attempts: u32,
}

impl HttpsStoreConfig {
    /// A store at `url` with every other key at its default.
    pub fn new(url: impl Into<String>) -> Self {
        HttpsStoreConfig {
            url: url.into(),
            bucket: None,
            prefix: String::new(),
            region: None,
            path_style: None,
            auth: AuthKind::default(),
            username: None,
            ca_file: None,
            connect_timeout_s: default_connect_timeout(),
            read_timeout_s: default_read_timeout(),
            answer_timeout_s: default_answer_timeout(),
            document_deadline_s: default_document_deadline(),
            min_rate_kib_s: default_min_rate(),
            rate_window_s: default_rate_window(),
            slow_attempts: default_slow_attempts(),
        }
    }
}

fn default_connect_timeout() -> u64 {
    10
}
fn default_read_timeout() -> u64 {
    30
}
fn default_answer_timeout() -> f64 {
    10.0
}
fn default_document_deadline() -> f64 {
    20.0
}
fn default_min_rate() -> f64 {
    64.0
}
fn default_rate_window() -> f64 {
    30.0
}
fn default_slow_attempts() -> u32 {
    3
}

#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    #[default]
    Bearer,
    Basic,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Days a case's exhibits stay cached after its last listed hearing.
    pub retention_days: u32,
    /// Upper bound on the cache size in GB; the oldest cases not needed today go first.
    pub max_gb: Option<f64>,
    /// Exhibits downloaded at once.
    pub concurrent_fetches: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            retention_days: 30,
            max_gb: None,
            concurrent_fetches: 3,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenConfig {
    pub id: String,
    pub label: String,
    pub role: String,
    /// Connector or monitor name (`HDMI-1`, or the name given with `xrandr --setmonitor`).
    #[serde(default)]
    pub monitor: Option<String>,
    /// The n-th monitor, when names are not available.
    #[serde(default)]
    pub monitor_index: Option<usize>,
    /// No window: frames are counted and dropped (for tests and headless kiosks).
    #[serde(default)]
    pub headless: bool,
    /// The monitor this screen is, as `courtdeck screens` prints it (`DEL-A09B-36WJX39H1UEL`, or
    /// `EDID-…` for a monitor with no serial): found wherever it is plugged in, and a connector that
    /// carries another monitor is not this screen.
    #[serde(default)]
    pub identity: Option<String>,
    /// The court's video link: this screen is not a window but a stream (H.264 over SRT) that the
    /// video-conference PC or codec takes in. Give it the role `video_link`.
    #[serde(default)]
    pub stream: Option<StreamConfig>,
}

/// `[screen.stream]`: where the video link's stream is served and how it is encoded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    /// `host:port` the SRT listener binds (`0.0.0.0:9710` to serve the room's network).
    pub listen: String,
    #[serde(default = "link_width")]
    pub width: u16,
    #[serde(default = "link_height")]
    pub height: u16,
    /// 6000 kbit/s by default: a 1080p picture of documents and CCTV stays legible at that.
    #[serde(default = "link_bitrate")]
    pub bitrate_kbps: u32,
    /// SRT's latency (the receiver's buffer to recover lost packets): 60 ms on a court's LAN; raise
    /// it for a link over a WAN (four round trips).
    #[serde(default = "link_latency")]
    pub latency_ms: u32,
}

fn link_width() -> u16 {
    1920
}
fn link_height() -> u16 {
    1080
}
fn link_bitrate() -> u32 {
    6_000
}
fn link_latency() -> u32 {
    60
}

/// `[screens]`: how the kiosk knows its monitors.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ScreensConfig {
    /// Restricted exhibits (no_public, bench_only) go only to screens whose `identity` is set and
    /// matches the monitor now on them. Off by default for desks and the demo; the installed kiosk's
    /// `/etc/courtdeck/config.toml` turns it on.
    pub require_identity: bool,
    /// Where the kernel's DRM connectors are (their `edid` files), for monitors whose EDID RandR does
    /// not publish; default `/sys/class/drm`.
    pub drm_root: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioConfig {
    /// A GStreamer sink description (`autoaudiosink`, `pulsesink device=…`, `fakesink`).
    pub sink: String,
}

/// A live source (`[[source]]`): a picture that does not come from the evidence store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Its identifier (`defence-laptop`): commands and the custody log use it.
    pub id: String,
    /// The court's name for it ("Defence laptop"): the surface and the "no signal" slate say it.
    pub label: String,
    /// `stream` (an SRT listener a laptop calls) or `capture` (a V4L2 device).
    pub kind: String,
    /// A capture source's device: its stable path (`/dev/v4l/by-id/usb-…-video-index0`) or
    /// `usb:VVVV:PPPP[:SERIAL]`; never `/dev/videoN`, whose number changes with the order devices
    /// are found.
    pub device: Option<String>,
    /// A stream's `HOST:PORT` (UDP) to listen on.
    pub listen: Option<String>,
    /// `open`, `no_public` (the default: the court decides otherwise) or `bench_only`.
    pub restriction: Option<String>,
    /// The roles that may ever see it (default: every role the restriction allows).
    pub roles: Option<Vec<String>>,
    /// A stream's SRT latency, in milliseconds (20 to 8000).
    #[serde(default = "source_latency")]
    pub latency_ms: u32,
}

fn source_latency() -> u32 {
    120
}

/// A live source as configured and validated: what it is, and where its picture comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredSource {
    pub source: LiveSource,
    pub input: SourceInput,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceInput {
    Stream {
        listen: std::net::SocketAddr,
        latency_ms: u32,
    },
    Capture {
        device: String,
    },
}

/// A capture device as configured: a stable `/dev/v4l/by-id/` (or `by-path`) name, or
/// `usb:VVVV:PPPP[:SERIAL]`. `/dev/videoN` is refused: its number is the order devices were found.
fn capture_device(device: &str) -> Result<String, String> {
    if let Some(usb) = device.strip_prefix("usb:") {
        let parts: Vec<&str> = usb.split(':').collect();
        let hex4 = |s: &str| s.len() == 4 && s.chars().all(|c| c.is_ascii_hexdigit());
        return match parts.as_slice() {
            [v, p] | [v, p, _] if hex4(v) && hex4(p) => Ok(device.to_owned()),
            _ => Err(format!(
                "device {device:?} is not usb:VVVV:PPPP[:SERIAL] (vendor and product in hex, as lsusb shows them)"
            )),
        };
    }
    if device.starts_with("/dev/v4l/by-id/") || device.starts_with("/dev/v4l/by-path/") {
        return Ok(device.to_owned());
    }
    Err(format!(
        "device {device:?} is not a stable name: use its /dev/v4l/by-id/… path or usb:VVVV:PPPP (a /dev/videoN number changes with the order devices are found)"
    ))
}

/// The playout process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlayoutConfig {
    /// The most address space the playout process may take (RLIMIT_AS), in MiB; 0 for no limit. An
    /// exhibit that would need more fails that process alone (the supervisor restarts it), never the
    /// kiosk. Pictures over 100 megapixels are refused before that, by their header.
    pub memory_limit_mb: u64,
    /// Why the playout process may run unconfined where the kernel offers no Landlock (before Linux
    /// 5.13, or with it turned off). Without a reason, playout refuses to start there: it decodes
    /// what any party serves and what a laptop sends, and confined, a decoder exploit cannot reach
    /// the custody log, the configuration or the network. Where Landlock exists it is always used.
    pub unconfined_reason: Option<String>,
    /// The hardware blank key: a USB button or foot pedal that types this key blanks every screen
    /// through the playout process itself (an X11 grab), so it works while the control surface is
    /// busy, frozen or restarting. `F1`…`F24`, `Pause`, `Scroll_Lock`, `Print`, `Insert` or `Menu`;
    /// empty for none. It only blanks; the surface unblanks.
    pub blank_key: String,
}

impl Default for PlayoutConfig {
    fn default() -> Self {
        PlayoutConfig {
            memory_limit_mb: 6144,
            unconfined_reason: None,
            blank_key: "F12".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {
    /// Monitor the control surface fills (RandR name); when absent, the first monitor no screen uses.
    pub monitor: Option<String>,
}

impl Default for AudioConfig {
    fn default() -> Self {
        AudioConfig {
            sink: "autoaudiosink".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        let screen = |id: &str, label: &str, role: &str, index: usize| ScreenConfig {
            id: id.into(),
            label: label.into(),
            role: role.into(),
            monitor: Some(label.into()),
            monitor_index: Some(index),
            headless: false,
            identity: None,
            stream: None,
        };
        Config {
            court: "courtroom-2".into(),
            kiosk_id: "kiosk-1".into(),
            store: StoreConfig::Demo,
            cache_dir: None,
            audit_file: None,
            reports_dir: None,
            screens: vec![
                screen("bench", "BENCH", "bench", 1),
                screen("witness", "WITNESS", "witness", 2),
                screen("public", "PUBLIC", "public_gallery", 3),
            ],
            sources: Vec::new(),
            screen_identity: ScreensConfig::default(),
            audio: AudioConfig::default(),
            control: ControlConfig::default(),
            cache: CacheConfig::default(),
            trust: TrustConfig::default(),
            ui: UiConfig::default(),
            playout: PlayoutConfig::default(),
            publish: PublishConfig::default(),
            lists: ListsConfig::default(),
            env_credentials: false,
        }
    }
}

pub fn dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("uk.gov", "Courtdeck", "courtdeck")
}

impl Config {
    /// The installed kiosk's file (the Debian package puts it there).
    pub const SYSTEM_PATH: &str = "/etc/courtdeck/config.toml";

    /// `$COURTDECK_CONFIG`, else `~/.config/courtdeck/config.toml` when it exists, else the
    /// system file `/etc/courtdeck/config.toml`: the user's file wins over the installed one whole.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("COURTDECK_CONFIG") {
            return Some(PathBuf::from(p));
        }
        let user = dirs().map(|d| d.config_dir().join("config.toml"));
        match user {
            Some(u) if u.exists() => Some(u),
            user => {
                let system = PathBuf::from(Config::SYSTEM_PATH);
                if system.exists() { Some(system) } else { user }
            }
        }
    }

    /// Loads the config file, or the defaults when there is none.
    pub fn load(path: Option<PathBuf>) -> ApiResult<Config> {
        let Some(path) = path.or_else(Config::default_path) else {
            return Ok(Config::default());
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&text).map_err(|e| {
                ApiError::new(
                    ErrorCode::ConfigInvalid,
                    format!("{}: {}", path.display(), e.message),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(ApiError::new(
                ErrorCode::ConfigInvalid,
                format!("cannot read {}: {e}", path.display()),
            )),
        }
    }

    pub fn parse(text: &str) -> ApiResult<Config> {
        let config: Config = toml::from_str(text)
            .map_err(|e| ApiError::new(ErrorCode::ConfigInvalid, e.to_string()))?;
        config.screens()?;
        config.live_sources()?;
        config.lists.room_mappings()?;
        Ok(config)
    }

    /// The configured live sources (validated: unique ids, a displayable label, a known kind with its
    /// own input, a restriction and roles the rule allows, a port no screen's stream uses).
    pub fn live_sources(&self) -> ApiResult<Vec<ConfiguredSource>> {
        let invalid =
            |m: String| ApiError::new(ErrorCode::ConfigInvalid, format!("[[source]] {m}"));
        let mut out: Vec<ConfiguredSource> = Vec::new();
        for s in &self.sources {
            let id = SourceId::parse(&s.id).map_err(|e| invalid(e.to_string()))?;
            if out.iter().any(|o| o.source.id == id) {
                return Err(invalid(format!("{id} is configured twice")));
            }
            let kind = LiveKind::parse(&s.kind).map_err(|e| invalid(format!("{id}: {e}")))?;
            let restriction = Restriction::parse(s.restriction.as_deref().unwrap_or("no_public"))
                .map_err(|e| invalid(format!("{id}: {e}")))?;
            let roles = match &s.roles {
                None => None,
                Some(r) => Some(
                    r.iter()
                        .map(|r| OutputRole::parse(r))
                        .collect::<Result<_, _>>()
                        .map_err(|e| invalid(format!("{id}: {e}")))?,
                ),
            };
            let source = LiveSource::new(id.clone(), &s.label, kind, restriction, roles)
                .map_err(|e| invalid(format!("{id}: {e}")))?;
            let input = match (kind, &s.device, &s.listen) {
                (LiveKind::Stream, None, Some(listen)) => {
                    let addr = listen.parse::<std::net::SocketAddr>().map_err(|_| {
                        invalid(format!(
                            "{id}: listen {listen:?} is not host:port (like 0.0.0.0:9720)"
                        ))
                    })?;
                    // The UDP ports already served: the video links', and the sources' so far.
                    let links = self.screens.iter().filter_map(|s| {
                        let link = s.stream.as_ref()?;
                        link.listen
                            .parse::<std::net::SocketAddr>()
                            .ok()
                            .map(|a| a.port())
                    });
                    let sources = out.iter().filter_map(|o| match o.input {
                        SourceInput::Stream { listen, .. } => Some(listen.port()),
                        SourceInput::Capture { .. } => None,
                    });
                    if links.chain(sources).any(|port| port == addr.port()) {
                        return Err(invalid(format!(
                            "{id}: port {} is already a video link's or another source's",
                            addr.port()
                        )));
                    }
                    if !(20..=8_000).contains(&s.latency_ms) {
                        return Err(invalid(format!("{id}: latency_ms is from 20 to 8000")));
                    }
                    SourceInput::Stream {
                        listen: addr,
                        latency_ms: s.latency_ms,
                    }
                }
                (LiveKind::Capture, Some(device), None) => SourceInput::Capture {
                    device: capture_device(device).map_err(|m| invalid(format!("{id}: {m}")))?,
                },
                (LiveKind::Stream, _, _) => {
                    return Err(invalid(format!(
                        "{id}: a stream has `listen = \"HOST:PORT\"` and no `device`"
                    )));
                }
                (LiveKind::Capture, _, _) => {
                    return Err(invalid(format!(
                        "{id}: a capture source has `device` (its /dev/v4l/by-id/… path, or usb:VVVV:PPPP) and no `listen`"
                    )));
                }
            };
            out.push(ConfiguredSource { source, input });
        }
        Ok(out)
    }

    /// The configured screens as domain values (validated: unique ids, known roles).
    pub fn screens(&self) -> ApiResult<Vec<Screen>> {
        let invalid = |m: String| ApiError::new(ErrorCode::ConfigInvalid, m);
        let mut out: Vec<Screen> = Vec::new();
        for s in &self.screens {
            let id = ScreenId::parse(&s.id).map_err(|e| invalid(e.to_string()))?;
            if out.iter().any(|o| o.id == id) {
                return Err(invalid(format!("screen {id} is configured twice")));
            }
            if let Some(link) = &s.stream {
                if s.headless || s.monitor.is_some() || s.monitor_index.is_some() {
                    return Err(invalid(format!(
                        "screen {id} is a stream: it has no monitor and is not headless"
                    )));
                }
                if link.listen.parse::<std::net::SocketAddr>().is_err() {
                    return Err(invalid(format!(
                        "screen {id}: stream listen {:?} is not host:port (like 0.0.0.0:9710)",
                        link.listen
                    )));
                }
                let even = |v: u16| (160..=3840).contains(&v) && v.is_multiple_of(2);
                if !even(link.width) || !even(link.height) {
                    return Err(invalid(format!(
                        "screen {id}: a stream's width and height are even numbers from 160 to 3840"
                    )));
                }
                if !(20..=8_000).contains(&link.latency_ms) {
                    return Err(invalid(format!(
                        "screen {id}: a stream's latency_ms is from 20 to 8000"
                    )));
                }
                if !(300..=50_000).contains(&link.bitrate_kbps) {
                    return Err(invalid(format!(
                        "screen {id}: a stream's bitrate_kbps is from 300 to 50000"
                    )));
                }
            }
            if !s.headless
                && s.stream.is_none()
                && let Some(other) = self.screens.iter().take(out.len()).find(|o| {
                    !o.headless
                        && o.stream.is_none()
                        && ((s.monitor.is_some() && o.monitor == s.monitor)
                            // The index is used only without a name.
                            || (s.monitor.is_none()
                                && o.monitor.is_none()
                                && s.monitor_index.is_some()
                                && o.monitor_index == s.monitor_index))
                })
            {
                let on = match (&s.monitor, s.monitor_index) {
                    (Some(m), _) if other.monitor.as_ref() == Some(m) => format!("monitor {m}"),
                    (_, Some(i)) => format!("monitor number {i}"),
                    _ => "the same monitor".into(),
                };
                return Err(invalid(format!(
                    "screens {} and {id} are both configured on {on}: each screen needs a monitor of its own",
                    other.id
                )));
            }
            // Two screens pinned to one identity can only be told apart by their connectors: without
            // them the identity names two monitors (one model without a serial) or one monitor for two
            // screens, and playout would show neither.
            if let Some(want) = s.identity.as_deref().map(MonitorIdentity::new)
                && let Some(other) = self.screens.iter().take(out.len()).find(|o| {
                    o.identity
                        .as_deref()
                        .is_some_and(|i| MonitorIdentity::new(i) == want)
                })
                && (s.monitor.is_none() || other.monitor.is_none())
            {
                return Err(invalid(format!(
                    "screens {} and {id} both have identity {want}: give each its connector as well (monitor = \"HDMI-A-1\"; `courtdeck screens` lists them), or each its own identity",
                    other.id
                )));
            }
            out.push(Screen {
                id,
                label: s.label.clone(),
                role: OutputRole::parse(&s.role).map_err(|e| invalid(e.to_string()))?,
            });
        }
        Ok(out)
    }

    pub fn output_specs(&self) -> Vec<OutputSpec> {
        self.screens
            .iter()
            .map(|s| OutputSpec {
                id: s.id.clone(),
                label: s.label.clone(),
                role: s.role.clone(),
                kind: if s.stream.is_some() {
                    OutputKind::Stream
                } else if s.headless {
                    OutputKind::Headless
                } else {
                    OutputKind::Window
                },
                monitor: s.monitor.clone(),
                monitor_index: s.monitor_index,
                identity: s.identity.clone(),
                require_identity: self.screen_identity.require_identity,
                stream: s.stream.as_ref().map(|l| StreamSpec {
                    listen: l.listen.clone(),
                    width: l.width,
                    height: l.height,
                    bitrate_kbps: l.bitrate_kbps,
                    latency_ms: l.latency_ms,
                }),
            })
            .collect()
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .or_else(|| dirs().map(|d| d.cache_dir().join("evidence")))
            .unwrap_or_else(|| std::env::temp_dir().join("courtdeck-cache"))
    }

    pub fn reports_dir(&self) -> PathBuf {
        self.reports_dir.clone().unwrap_or_else(|| {
            dirs()
                .map(|d| d.data_local_dir().join("reports"))
                .unwrap_or_else(|| std::env::temp_dir().join("courtdeck-reports"))
        })
    }

    pub fn audit_file(&self) -> PathBuf {
        self.audit_file.clone().unwrap_or_else(|| {
            dirs()
                .map(|d| {
                    d.state_dir()
                        .unwrap_or(d.data_local_dir())
                        .join("audit.jsonl")
                })
                .unwrap_or_else(|| std::env::temp_dir().join("courtdeck-audit.jsonl"))
        })
    }

    pub fn demo_store_dir() -> PathBuf {
        dirs()
            .map(|d| d.data_dir().join("demo-store"))
            .unwrap_or_else(|| std::env::temp_dir().join("courtdeck-demo-store"))
    }

    pub fn store_dir(&self) -> PathBuf {
        match &self.store {
            StoreConfig::Demo => Config::demo_store_dir(),
            StoreConfig::Dir { path } => path.clone(),
            StoreConfig::Https(_) | StoreConfig::S3(_) => PathBuf::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_a_full_file() {
        let d = Config::default();
        assert_eq!(d.screens().unwrap().len(), 3);
        assert_eq!(d.ui.language, Language::En);
        let c = Config::parse(
            r#"
            court = "courtroom-5"
            kiosk_id = "k5"
            store = { kind = "dir", path = "/srv/evidence" }
            [[screen]]
            id = "bench"
            label = "BENCH"
            role = "bench"
            monitor = "HDMI-1"
            [[screen]]
            id = "public"
            label = "PUBLIC"
            role = "public_gallery"
            headless = true
            [audio]
            sink = "fakesink"
            [ui]
            language = "cy"
            "#,
        )
        .unwrap();
        assert_eq!(c.store_dir(), PathBuf::from("/srv/evidence"));
        assert_eq!(c.output_specs()[1].kind, OutputKind::Headless);
        assert_eq!(c.ui.language, Language::Cy);
        // The spelling the surface's `isLanguage` accepts (ui/src/i18n/index.ts).
        assert_eq!(serde_json::to_string(&Language::Cy).unwrap(), r#""cy""#);
    }

    #[test]
    fn a_video_link_is_a_stream_screen() {
        let c = Config::parse(
            "[[screen]]\nid='bench'\nlabel='BENCH'\nrole='bench'\nmonitor='HDMI-1'\n\
             [[screen]]\nid='link'\nlabel='LINK'\nrole='video_link'\n[screen.stream]\nlisten='0.0.0.0:9710'\n",
        )
        .unwrap();
        let link = &c.output_specs()[1];
        assert_eq!(link.kind, OutputKind::Stream);
        let s = link.stream.as_ref().unwrap();
        assert_eq!(
            (
                s.listen.as_str(),
                s.width,
                s.height,
                s.bitrate_kbps,
                s.latency_ms
            ),
            ("0.0.0.0:9710", 1920, 1080, 6000, 60)
        );
        assert_eq!(c.screens().unwrap()[1].role, OutputRole::VideoLink);
    }

    #[test]
    fn live_sources_parse_with_their_defaults() {
        let c = Config::parse(
            "[[screen]]\nid='link'\nlabel='LINK'\nrole='video_link'\n[screen.stream]\nlisten='0.0.0.0:9710'\n\
             [[source]]\nid='defence-laptop'\nlabel='Defence laptop'\nkind='stream'\nlisten='0.0.0.0:9720'\n\
             [[source]]\nid='visualiser'\nlabel='Visualiser'\nkind='capture'\n\
             device='/dev/v4l/by-id/usb-Acme_DocCam_123-video-index0'\nrestriction='open'\nroles=['bench', 'witness']\n",
        )
        .unwrap();
        let sources = c.live_sources().unwrap();
        let laptop = &sources[0];
        assert_eq!(laptop.source.label, "Defence laptop");
        assert_eq!(
            laptop.source.restriction,
            Restriction::NoPublic,
            "no_public unless the court says"
        );
        assert!(!laptop.source.roles().contains(&OutputRole::PublicGallery));
        assert!(laptop.source.roles().contains(&OutputRole::VideoLink));
        assert_eq!(
            laptop.input,
            SourceInput::Stream {
                listen: "0.0.0.0:9720".parse().unwrap(),
                latency_ms: 120
            }
        );
        let camera = &sources[1];
        assert_eq!(camera.source.kind, LiveKind::Capture);
        assert_eq!(
            camera.source.roles().iter().copied().collect::<Vec<_>>(),
            [OutputRole::Bench, OutputRole::Witness]
        );
    }

    #[test]
    fn bad_sources_name_the_problem() {
        let stream = "[[source]]\nid='laptop'\nlabel='Laptop'\nkind='stream'\n";
        for (text, expect) in [
            (format!("{stream}listen='0.0.0.0:9720'\nroles=['public_gallery']"), "may never be seen on a public_gallery screen"),
            (format!("{stream}device='/dev/video0'"), "no `device`"),
            (format!("{stream}listen='9720'"), "is not host:port"),
            (format!("{stream}listen='0.0.0.0:9720'\nlatency_ms=5"), "latency_ms"),
            (format!("{stream}listen='0.0.0.0:9720'\n{stream}listen='0.0.0.0:9721'"), "configured twice"),
            (
                format!("[[screen]]\nid='l'\nlabel='L'\nrole='video_link'\n[screen.stream]\nlisten='0.0.0.0:9720'\n{stream}listen='0.0.0.0:9720'"),
                "port 9720 is already",
            ),
            (
                "[[source]]\nid='cam'\nlabel='Camera'\nkind='capture'\ndevice='/dev/video0'".into(),
                "not a stable name",
            ),
            (
                "[[source]]\nid='cam'\nlabel='Camera'\nkind='capture'\ndevice='usb:46d:82'".into(),
                "usb:VVVV:PPPP",
            ),
            ("[[source]]\nid='cam'\nlabel='Camera'\nkind='webcam'".into(), "not capture or stream"),
            ("[[source]]\nid='cam'\nlabel='\u{202e}Camera'\nkind='capture'\ndevice='usb:046d:0825'".into(), "invisible"),
        ] {
            let e = Config::parse(&text).unwrap_err();
            assert_eq!(e.code, ErrorCode::ConfigInvalid);
            assert!(e.message.contains(expect), "{text}: {}", e.message);
        }
        let usb = Config::parse(
            "[[source]]\nid='cam'\nlabel='Camera'\nkind='capture'\ndevice='usb:046d:0825:ABC123'",
        )
        .unwrap();
        assert_eq!(
            usb.live_sources().unwrap()[0].input,
            SourceInput::Capture {
                device: "usb:046d:0825:ABC123".into()
            }
        );
    }

    #[test]
    fn bad_files_name_the_problem() {
        for (text, expect) in [
            ("colour = 1", "unknown field"),
            ("[[screen]]\nid='b'\nlabel='B'\nrole='ceiling'", "ceiling"),
            (
                "[[screen]]\nid='b'\nlabel='B'\nrole='bench'\n[[screen]]\nid='b'\nlabel='C'\nrole='bench'",
                "twice",
            ),
            ("[[screen]]\nid='../x'\nlabel='B'\nrole='bench'", "screen"),
            (
                "[ui]\nlanguage = 'fr'",
                "unknown variant `fr`, expected `en` or `cy`",
            ),
            ("[ui]\nlanguage = 'CY'", "`CY`"),
            (
                "[[screen]]\nid='a'\nlabel='A'\nrole='bench'\nmonitor='HDMI-1'\n[[screen]]\nid='b'\nlabel='B'\nrole='witness'\nmonitor='HDMI-1'",
                "both configured on monitor HDMI-1",
            ),
            (
                "[[screen]]\nid='a'\nlabel='A'\nrole='bench'\nmonitor_index=1\n[[screen]]\nid='b'\nlabel='B'\nrole='witness'\nmonitor_index=1",
                "monitor number 1",
            ),
            (
                "[[screen]]\nid='l'\nlabel='LINK'\nrole='video_link'\n[screen.stream]\nlisten='9710'",
                "is not host:port",
            ),
            (
                "[[screen]]\nid='l'\nlabel='LINK'\nrole='video_link'\nmonitor='HDMI-1'\n[screen.stream]\nlisten='0.0.0.0:9710'",
                "is a stream: it has no monitor",
            ),
            (
                "[[screen]]\nid='l'\nlabel='LINK'\nrole='video_link'\n[screen.stream]\nlisten='0.0.0.0:9710'\nwidth=1919",
                "even numbers",
            ),
        ] {
            let e = Config::parse(text).unwrap_err();
            assert_eq!(e.code, ErrorCode::ConfigInvalid);
            assert!(e.message.contains(expect), "{expect:?} in {}", e.message);
        }
    }
}
