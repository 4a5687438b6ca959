//! The facades every front end uses, one per audience: `Courtdeck`, the kiosk (the Tauri commands are
//! one-line calls into it, and the CLI's kiosk commands and the tests call the same methods), and
//! `Publisher`, the toolkit of whoever hands evidence over (the CLI's publishing commands,
//! `serve-lists`).
//!
//! API boundary: every method returns `ApiResult<dto>`; errors are `{code, message}` with a stable code
//! from `courtdeck_core::ErrorCode`. Events for the control surface come from `subscribe()`.
//!
//! Architecture invariant: every route reaches playout only after `courtdeck_core::Presentation::present`
//! (which applies the restriction rule) accepted it; the playout process checks again.

mod audit;
pub mod bags;
mod beside;
pub mod checks;
pub mod config;
pub mod court_lists;
pub mod credentials;
pub mod demo;
mod derived;
pub mod error;
mod events;
mod fetch;
mod hearing;
pub mod json;
mod listing;
pub mod live;
pub mod logging;
mod media;
mod posters;
pub mod publish;
mod publisher;
mod screens;
mod store;
pub mod systemd;
mod transcripts;
mod transport;
pub mod week;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use courtdeck_core::{CaseManifest, ErrorCode, ExhibitRef, Hearing, Presentation, Screen};
use courtdeck_playout::client::{PlayoutClient, locate_playout_binary};
use courtdeck_playout::protocol::RoomSound;
use courtdeck_store::{Cache, EvidenceStore, TrustedKeys};
use jiff::civil::Date;
use tokio::sync::{Mutex, broadcast};

use crate::events::{forward_playout_events, playout_env};
use crate::store::{SlowStore, build_store, fetch_policy};
pub use config::Config;
pub use error::{ApiError, ApiResult};
use json::*;
pub use publisher::Publisher;
pub use screens::{MonitorReport, ScreensReport};

/// The hearing the advocate is working in.
#[derive(Debug)]
struct OpenHearing {
    hearing: Hearing,
    manifest: CaseManifest,
    paths: HashMap<ExhibitRef, PathBuf>,
    problems: HashMap<ExhibitRef, ApiError>,
    /// Each cached exhibit's copy hashed again since the hearing was launched, once: by the background
    /// check, or by the selection that needs it first (the other waits for the same answer). Only a
    /// copy that passed is loaded.
    checks: HashMap<ExhibitRef, CopyCheck>,
}

type CopyCheck = Arc<tokio::sync::OnceCell<ApiResult<PathBuf>>>;

#[derive(Debug)]
struct Session {
    open: Option<OpenHearing>,
    presentation: Presentation,
    playout: PlayoutStatus,
    /// Loaded exhibits that reached their first frame.
    prerolled: HashSet<String>,
    /// Screens playout reported as not connected.
    missing_screens: HashSet<String>,
    /// Screens whose connector carries another monitor than the one they name (also missing).
    mismatched_screens: HashSet<String>,
    /// Screens whose identity matches more than one monitor (also mismatched): why, for the clerk.
    ambiguous_screens: HashMap<String, String>,
    /// Screens showing a slate (`standby`, `unavailable`) instead of black, as playout reported.
    slates: HashMap<String, String>,
    /// The room's exhibit sound as the engine accepted it. The supervisor gives a restarted engine
    /// the same (`Command::Configure`), so this stays true across a restart.
    sound: RoomSound,
    /// The live sources' signal as playout last reported it, by what playout calls them
    /// (`live:<id>`); a source not loaded has none.
    signals: HashMap<String, live::Signal>,
}

#[derive(Debug)]
pub struct Courtdeck {
    config: Config,
    screens: Vec<Screen>,
    /// The court's live sources (`[[source]]`), validated at start.
    sources: Vec<config::ConfiguredSource>,
    store: Arc<dyn EvidenceStore>,
    cache: Cache,
    playout: Option<PlayoutClient>,
    playout_error: Option<ApiError>,
    session: Mutex<Session>,
    events: broadcast::Sender<UiEvent>,
    /// The custody log, and why it cannot be written when it cannot (the surface shows it as a banner).
    audit: std::sync::Mutex<AuditState>,
    /// Bounds the downloads running at once, across prefetch, launch and `courtdeck fetch`.
    fetch_slots: Arc<tokio::sync::Semaphore>,
    /// Whose turn it is to change the room (`commit`): changes run one at a time, in order.
    commits: Mutex<()>,
    /// When a download last ended as too slow (store, rate, what was needed): downloads waiting for a
    /// slot in the next minute are not started, so a day of exhibits from a trickling store ends after
    /// one slow attempt's time, not one per exhibit.
    slow_store: Arc<std::sync::Mutex<Option<SlowStore>>>,
    /// Set to cancel the fetches now running; replaced by a fresh flag after each cancel.
    fetch_cancel: std::sync::Mutex<Arc<AtomicBool>>,
    credential: CredentialState,
    /// The open hearing's case, stamped on audit records that do not name one.
    audit_case: std::sync::Mutex<Option<String>>,
    /// Publisher keys whose signatures manifests must carry (none configured: not required).
    trust: Arc<TrustedKeys>,
    /// Whether the control surface wants confidence thumbnails.
    thumbnails: AtomicBool,
    /// The on-air recording's last reported position (playout's `Position` events, taken without a
    /// lock), for the custody record of strokes on a paused frame.
    position_ms: std::sync::atomic::AtomicU64,
    /// Transcripts read and parsed this run, by their blob's digest.
    transcripts: transcripts::Transcripts,
    /// The number of the last stage made (`StageDto::version`).
    stage_version: std::sync::atomic::AtomicU64,
}

/// The custody log as the facade holds it. `problem` stays set once a record was lost, so the court is
/// told even if a later record gets through.
#[derive(Debug, Default)]
struct AuditState {
    log: Option<courtdeck_audit::AuditLog>,
    problem: Option<String>,
    lost: u64,
}

/// A monitor's place and size for the control surface, in physical pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub monitor: String,
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// Whether the store's credential is in the keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialState {
    /// The store needs none (a folder, or an HTTPS store without auth).
    NotNeeded,
    Present,
    Missing,
    /// The keyring could not be asked; the message says why.
    KeyringUnavailable(String),
}

impl CredentialState {
    pub fn as_str(&self) -> &'static str {
        match self {
            CredentialState::NotNeeded => "not_needed",
            CredentialState::Present => "present",
            CredentialState::Missing => "missing",
            CredentialState::KeyringUnavailable(_) => "keyring_unavailable",
        }
    }
}

impl Courtdeck {
    /// Opens the kiosk: prepares the demo store if configured, starts the playout process (its output
    /// windows come up black). A playout failure does not stop the control surface from opening.
    pub async fn open(config: Config) -> ApiResult<Arc<Courtdeck>> {
        Courtdeck::open_with(config, true).await
    }

    /// As `open`, optionally without the playout process (for store-only CLI commands).
    pub async fn open_with(config: Config, start_playout: bool) -> ApiResult<Arc<Courtdeck>> {
        let screens = config.screens()?;
        let sources = config.live_sources()?;
        if matches!(config.store, config::StoreConfig::Demo) {
            let dir = config.store_dir();
            let today = today();
            tokio::task::spawn_blocking(move || demo::ensure_demo_store(&dir, today))
                .await
                .map_err(internal)??;
        }
        let (store, credential) = build_store(&config).await?;
        let trust = TrustedKeys::parse(&config.trust.publisher_keys)
            .map_err(|e| ApiError::new(ErrorCode::ConfigInvalid, format!("[trust] {e}")))?;
        let cache = Cache::with_policy(config.cache_dir(), fetch_policy(&config));
        let (playout, playout_error) = if !start_playout {
            (
                None,
                Some(ApiError::new(
                    ErrorCode::PlayoutUnavailable,
                    "playout was not started for this command",
                )),
            )
        } else {
            match async {
                // Made now if new: confined, playout reads only folders that existed when it started.
                let blobs = cache.blobs_dir();
                if let Err(e) = std::fs::create_dir_all(&blobs) {
                    tracing::error!("the cache's folder {} cannot be made: {e}", blobs.display());
                }
                PlayoutClient::start_with(
                    locate_playout_binary()?,
                    config.output_specs(),
                    playout_env(&config, vec![blobs]),
                )
                .await
            }
            .await
            {
                Ok(c) => (Some(c), None),
                Err(e) => {
                    tracing::error!("playout unavailable: {e}");
                    (None, Some(ApiError::from(e)))
                }
            }
        };
        let (events, _) = broadcast::channel(1024);
        let audit = match courtdeck_audit::AuditLog::open(&config.audit_file()) {
            Ok(log) => AuditState {
                log: Some(log),
                ..AuditState::default()
            },
            Err(e) => {
                // The hearing goes on, but loudly: the surface shows a banner, the setup checks fail
                // and the CLI commands that must be recorded refuse to run.
                tracing::error!("audit log unavailable: {e}");
                AuditState {
                    problem: Some(e.to_string()),
                    ..AuditState::default()
                }
            }
        };
        let deck = Arc::new(Courtdeck {
            audit: std::sync::Mutex::new(audit),
            commits: Mutex::new(()),
            fetch_slots: Arc::new(tokio::sync::Semaphore::new(
                config.cache.concurrent_fetches.max(1),
            )),
            fetch_cancel: std::sync::Mutex::new(Arc::new(AtomicBool::new(false))),
            slow_store: Arc::default(),
            credential,
            audit_case: std::sync::Mutex::new(None),
            trust: Arc::new(trust),
            thumbnails: AtomicBool::new(false),
            position_ms: std::sync::atomic::AtomicU64::new(0),
            stage_version: std::sync::atomic::AtomicU64::new(0),
            transcripts: Default::default(),
            screens,
            sources,
            store,
            cache,
            session: Mutex::new(Session {
                open: None,
                presentation: Presentation::default(),
                playout: if playout.is_some() {
                    PlayoutStatus::Ready
                } else {
                    PlayoutStatus::Unavailable
                },
                prerolled: HashSet::new(),
                missing_screens: HashSet::new(),
                mismatched_screens: HashSet::new(),
                ambiguous_screens: HashMap::new(),
                slates: HashMap::new(),
                sound: RoomSound::default(),
                signals: HashMap::new(),
            }),
            playout,
            playout_error,
            events,
            config,
        });
        if let Some(p) = &deck.playout {
            deck.audit(courtdeck_audit::CustodyEvent::AppStart {
                kiosk_id: deck.config.kiosk_id.to_string(),
                court: deck.config.court.to_string(),
                store: deck.store.describe(),
                version: env!("CARGO_PKG_VERSION").into(),
            });
            tokio::spawn(forward_playout_events(Arc::downgrade(&deck), p.subscribe()));
            deck.refresh_connected_screens().await;
        }
        Ok(deck)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn subscribe(&self) -> broadcast::Receiver<UiEvent> {
        self.events.subscribe()
    }

    pub async fn shutdown(&self) {
        if self.playout.is_some() {
            self.audit(courtdeck_audit::CustodyEvent::AppStop {
                kiosk_id: self.config.kiosk_id.to_string(),
            });
        }
        if let Some(p) = &self.playout {
            p.shutdown().await;
        }
    }

    /// The playout process's id (for `courtdeck` diagnostics and the crash tests).
    pub async fn playout_pid(&self) -> Option<u32> {
        self.playout.as_ref()?.pid().await
    }

    fn playout(&self) -> ApiResult<&PlayoutClient> {
        self.playout.as_ref().ok_or_else(|| {
            self.playout_error
                .clone()
                .unwrap_or_else(|| ApiError::new(ErrorCode::PlayoutUnavailable, "no playout"))
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(Arc<dyn EvidenceStore>, Cache) -> T + Send + 'static,
    ) -> ApiResult<T> {
        let (store, cache) = (self.store.clone(), self.cache.clone());
        tokio::task::spawn_blocking(move || f(store, cache))
            .await
            .map_err(internal)
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Internal, e.to_string())
}

/// The courts' time zone: England and Wales. HMCTS's lists give UTC times and the court sits by the
/// clock on its wall, whatever zone the kiosk's system is set to.
pub fn court_time_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Europe/London").expect("jiff bundles the time zone database")
}

/// Today's date in court (Europe/London), not in the system's zone: a kiosk left on UTC would show
/// yesterday's list from midnight to 1 a.m. all summer.
pub fn today() -> Date {
    jiff::Timestamp::now().to_zoned(court_time_zone()).date()
}
