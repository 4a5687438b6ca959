//! The one facade every front end uses: the Tauri commands are one-line calls into `Courtdeck`, and the
//! CLI and the tests call the same methods.
//!
//! API boundary: every method returns `ApiResult<dto>`; errors are `{code, message}` with a stable code
//! from `courtdeck_core::ErrorCode`. Events for the control surface come from `subscribe()`.
//!
//! Architecture invariant: every route reaches playout only after `courtdeck_core::Presentation::present`
//! (which applies the restriction rule) accepted it; the playout process checks again.

pub mod checks;
pub mod config;
pub mod credentials;
pub mod demo;
pub mod error;
pub mod json;
pub mod logging;
mod media;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use courtdeck_core::{
    CaseId, CaseManifest, CourtId, ErrorCode, Exhibit, ExhibitRef, Hearing, Presentation, Screen,
    ScreenId, Transport, may_show,
};
use courtdeck_playout::client::{ClientEvent, PlayoutClient, locate_playout_binary};
use courtdeck_playout::protocol::{Command, Event};
use courtdeck_store::{
    Cache, DirStore, EvidenceStore, HttpAuth, HttpStore, HttpStoreConfig, StoreError, TrustedKeys,
};
use jiff::civil::Date;
use tokio::sync::{Mutex, broadcast};

pub use config::Config;
pub use error::{ApiError, ApiResult};
use json::*;

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
    /// Screens showing a slate (`standby`, `unavailable`) instead of black, as playout reported.
    slates: HashMap<String, String>,
}

#[derive(Debug)]
pub struct Courtdeck {
    config: Config,
    screens: Vec<Screen>,
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

/// Builds the configured store. An HTTPS store's credential comes from the keyring; without one the
/// store still opens (cached hearings go on) and every request says how to sign in.
async fn build_store(config: &Config) -> ApiResult<(Arc<dyn EvidenceStore>, CredentialState)> {
    use config::{AuthKind, StoreConfig};
    let h = match &config.store {
        StoreConfig::Demo | StoreConfig::Dir { .. } => {
            return Ok((
                Arc::new(DirStore::new(config.store_dir())),
                CredentialState::NotNeeded,
            ));
        }
        StoreConfig::Https(h) => h.clone(),
    };
    if h.auth == AuthKind::Basic && h.username.is_none() {
        return Err(ApiError::new(
            ErrorCode::ConfigInvalid,
            "the store uses basic auth but names no `username`",
        ));
    }
    let secret = if h.auth == AuthKind::None {
        Ok(None)
    } else {
        let h2 = h.clone();
        tokio::task::spawn_blocking(move || credentials::load(&h2))
            .await
            .map_err(internal)?
    };
    let (auth, state) = match (h.auth, secret) {
        (AuthKind::None, _) => (HttpAuth::None, CredentialState::NotNeeded),
        (_, Ok(None)) => {
            tracing::warn!(store = %h.url, "no credential in the keyring for the store; run `courtdeck store login`");
            (HttpAuth::None, CredentialState::Missing)
        }
        (_, Err(e)) => {
            tracing::error!(store = %h.url, "{}", e.message);
            (
                HttpAuth::None,
                CredentialState::KeyringUnavailable(e.message),
            )
        }
        (AuthKind::Bearer, Ok(Some(token))) => (HttpAuth::Bearer(token), CredentialState::Present),
        (AuthKind::Basic, Ok(Some(password))) => (
            HttpAuth::Basic {
                username: h.username.clone().unwrap_or_default(),
                password,
            },
            CredentialState::Present,
        ),
    };
    let store = HttpStore::new(
        HttpStoreConfig {
            url: h.url.clone(),
            auth,
            ca_file: h.ca_file.clone(),
            connect_timeout: std::time::Duration::from_secs(h.connect_timeout_s.max(1)),
            read_timeout: std::time::Duration::from_secs(h.read_timeout_s.max(1)),
            answer_timeout: seconds(h.answer_timeout_s),
            document_deadline: seconds(h.document_deadline_s),
            retries: 3,
        },
        tokio::runtime::Handle::current(),
    )
    .map_err(|e| ApiError::new(ErrorCode::ConfigInvalid, e.to_string()))?;
    Ok((Arc::new(store), state))
}

/// When a download ended as too slow, the store, its rate and what was needed.
type SlowStore = (std::time::Instant, String, String, String);

/// How long a download that ended as too slow keeps the waiting ones from starting.
const SLOW_STORE_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// A configured number of seconds as a `Duration` (at least 10 ms; nonsense becomes the minimum).
fn seconds(s: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(s.max(0.01))
        .unwrap_or(std::time::Duration::from_millis(10))
}

/// The download policy: the configured rate floor for an HTTPS store; none for a folder (a local disk
/// or a USB stick is as fast as it is).
fn fetch_policy(config: &Config) -> courtdeck_store::FetchPolicy {
    let mut policy = courtdeck_store::FetchPolicy::default();
    match &config.store {
        config::StoreConfig::Https(h) => {
            policy.min_rate = (h.min_rate_kib_s.max(0.0) * 1024.0) as u64;
            policy.rate_window = seconds(h.rate_window_s);
            policy.max_slow_attempts = h.slow_attempts.max(1);
        }
        _ => policy.min_rate = 0,
    }
    policy
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
                PlayoutClient::start_with(
                    locate_playout_binary()?,
                    config.output_specs(),
                    playout_env(&config),
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
            fetch_slots: Arc::new(tokio::sync::Semaphore::new(
                config.cache.concurrent_fetches.max(1),
            )),
            fetch_cancel: std::sync::Mutex::new(Arc::new(AtomicBool::new(false))),
            slow_store: Arc::default(),
            credential,
            audit_case: std::sync::Mutex::new(None),
            trust: Arc::new(trust),
            thumbnails: AtomicBool::new(false),
            screens,
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
                slates: HashMap::new(),
            }),
            playout,
            playout_error,
            events,
            config,
        });
        if let Some(p) = &deck.playout {
            deck.audit(
                "app_start",
                serde_json::json!({
                    "kiosk_id": deck.config.kiosk_id,
                    "court": deck.config.court,
                    "store": deck.store.describe(),
                    "version": env!("CARGO_PKG_VERSION"),
                }),
            );
            tokio::spawn(forward_playout_events(Arc::downgrade(&deck), p.subscribe()));
            deck.refresh_connected_screens().await;
        }
        Ok(deck)
    }

    /// Puts the configured HTTPS store's credential into the OS keyring (`courtdeck store login`), and
    /// records that it changed (never the value) in the audit log.
    pub async fn store_login(config: &Config, secret: courtdeck_store::Secret) -> ApiResult<()> {
        let h = https_store(config)?;
        custody_open(config)?;
        let h2 = h.clone();
        tokio::task::spawn_blocking(move || credentials::save(&h2, &secret))
            .await
            .map_err(internal)??;
        audit_once(
            config,
            "credential_saved",
            serde_json::json!({ "store": h.url, "auth": format!("{:?}", h.auth).to_lowercase() }),
        )
    }

    /// Removes the store's credential from the keyring; true when there was one.
    pub async fn store_logout(config: &Config) -> ApiResult<bool> {
        let h = https_store(config)?;
        custody_open(config)?;
        let h2 = h.clone();
        let removed = tokio::task::spawn_blocking(move || credentials::delete(&h2))
            .await
            .map_err(internal)??;
        audit_once(
            config,
            "credential_removed",
            serde_json::json!({ "store": h.url, "existed": removed }),
        )?;
        Ok(removed)
    }

    pub fn credential(&self) -> &CredentialState {
        &self.credential
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn subscribe(&self) -> broadcast::Receiver<UiEvent> {
        self.events.subscribe()
    }

    /// Appends to the audit log; a failure is logged, never allowed to stop the hearing. Records made
    /// while a hearing is open carry its `case` (so `courtdeck audit export --case` finds them).
    fn audit(&self, event: &str, mut fields: serde_json::Value) {
        if let Some(map) = fields.as_object_mut()
            && !map.contains_key("case")
            && let Some(case) = self.audit_case.lock().expect("not poisoned").clone()
        {
            map.insert("case".into(), serde_json::Value::String(case));
        }
        let mut state = self.audit.lock().unwrap_or_else(|p| p.into_inner());
        if state.log.is_none() {
            // Perhaps the clerk has dealt with it (space freed, permissions fixed): try again.
            match courtdeck_audit::AuditLog::open(&self.config.audit_file()) {
                Ok(log) => state.log = Some(log),
                Err(e) => state.problem = Some(e.to_string()),
            }
        }
        let result = match &state.log {
            Some(log) => log.record(event, fields),
            None => {
                state.lost += 1;
                tracing::error!("audit record {event} lost: the custody log is unavailable");
                return;
            }
        };
        if let Err(e) = result {
            tracing::error!("audit record {event} lost: {e}");
            state.problem = Some(e.to_string());
            state.lost += 1;
            if matches!(e, courtdeck_audit::AuditError::Broken { .. }) {
                state.log = None;
            }
        }
    }

    /// Why the custody log cannot be written, if it cannot: shown on the control surface as a banner,
    /// failed by the `audit` setup check, and the reason the CLI refuses to fetch.
    pub fn custody_problem(&self) -> Option<ApiError> {
        let state = self.audit.lock().unwrap_or_else(|p| p.into_inner());
        let problem = state.problem.as_ref()?;
        let lost = match state.lost {
            0 => String::new(),
            1 => " 1 record could not be written.".into(),
            n => format!(" {n} records could not be written."),
        };
        Some(ApiError::new(
            ErrorCode::AuditUnavailable,
            format!(
                "custody log unavailable: {problem}.{lost} What happens now is not recorded; ask the clerk to fix the log (see `courtdeck check`)."
            ),
        ))
    }

    /// Fails with the custody problem, for commands that must not run unrecorded: the log must be open
    /// and still writable now.
    pub fn require_custody(&self) -> ApiResult<()> {
        let path = self.config.audit_file();
        {
            let mut state = self.audit.lock().unwrap_or_else(|p| p.into_inner());
            if state.log.is_none() {
                match courtdeck_audit::AuditLog::open(&path) {
                    Ok(log) => state.log = Some(log),
                    Err(e) => state.problem = Some(e.to_string()),
                }
            }
            if state.log.is_some() {
                match std::fs::OpenOptions::new().append(true).open(&path) {
                    Ok(_) => return Ok(()),
                    Err(e) => {
                        state.problem = Some(format!(
                            "cannot write the audit log {}: {e}",
                            path.display()
                        ))
                    }
                }
            }
        }
        Err(self.custody_problem().unwrap_or_else(|| {
            ApiError::new(ErrorCode::AuditUnavailable, "custody log unavailable")
        }))
    }

    pub async fn shutdown(&self) {
        if self.playout.is_some() {
            self.audit(
                "app_stop",
                serde_json::json!({ "kiosk_id": self.config.kiosk_id }),
            );
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

    /// Today's list for this courtroom, with each hearing's readiness.
    pub async fn today(&self) -> ApiResult<TodayDto> {
        self.court_list(today()).await
    }

    pub async fn court_list(&self, date: Date) -> ApiResult<TodayDto> {
        let court = CourtId::parse(&self.config.court)
            .map_err(|e| ApiError::new(ErrorCode::ConfigInvalid, e.to_string()))?;
        let description = self.store.describe();
        let c2 = court.clone();
        let list = self
            .blocking(move |store, cache| {
                let rel = courtdeck_store::court_list_path(&c2, date);
                match load_document(store.as_ref(), &cache, &rel) {
                    Ok((bytes, offline)) => {
                        // One bad hearing is shown as unavailable in its place; a list that is not
                        // this court's or this day's is refused whole.
                        let (list, rejected) =
                            courtdeck_store::wire::parse_court_list_lenient(&bytes)?;
                        courtdeck_store::wire::check_court_list_place(&list, &c2, date)?;
                        Ok((Some((list, rejected)), offline))
                    }
                    Err(StoreError::NotFound(_)) => Ok((None, None)),
                    Err(e) => Err(e),
                }
            })
            .await?;
        let credential = Some(self.credential.as_str().to_owned());
        let (list, store_status) = match list {
            Ok((list, offline)) => (
                list,
                StoreStatusDto {
                    online: offline.is_none(),
                    description,
                    problem: offline.map(Into::into),
                    credential,
                },
            ),
            Err(e) => (
                None,
                StoreStatusDto {
                    online: false,
                    description,
                    problem: Some(e.into()),
                    credential,
                },
            ),
        };
        let mut hearings = Vec::new();
        let court_name = list
            .as_ref()
            .map(|(l, _)| l.court_name.clone())
            .unwrap_or_else(|| court.to_string());
        let (list, rejected) = match list {
            Some((l, r)) => (Some(l), r),
            None => (None, Vec::new()),
        };
        for h in list.map(|l| l.hearings).unwrap_or_default() {
            let case = h.case_id.clone();
            let trust = self.trust.clone();
            let manifest = self
                .blocking(move |store, cache| {
                    let m = load_manifest(store.as_ref(), &cache, &trust, &case);
                    if let Ok(m) = &m {
                        cache.note_listing(m, date);
                    }
                    m
                })
                .await?;
            let (total, ready, readiness, problem) = match manifest {
                Ok(m) => {
                    let total = m.exhibits().len();
                    let ready = m
                        .exhibits()
                        .iter()
                        .filter(|e| self.cache.verified_path(e).is_some())
                        .count();
                    let r = if ready == total {
                        Readiness::Ready
                    } else {
                        Readiness::NotFetched
                    };
                    (total, ready, r, None)
                }
                Err(e) => (0, 0, Readiness::Unavailable, Some(ApiError::from(e))),
            };
            hearings.push(HearingCardDto {
                time: h.time.strftime("%H:%M").to_string(),
                case_id: h.case_id.to_string(),
                title: h.title.clone(),
                hearing_type: h.hearing_type.clone(),
                exhibits_total: total,
                exhibits_ready: ready,
                readiness,
                problem,
            });
        }
        for r in rejected {
            hearings.push(HearingCardDto {
                time: r
                    .time
                    .map(|t| t.strftime("%H:%M").to_string())
                    .unwrap_or_default(),
                case_id: r.case_id.map(|c| c.to_string()).unwrap_or_default(),
                title: format!("Hearing {} of the list", r.position),
                hearing_type: String::new(),
                exhibits_total: 0,
                exhibits_ready: 0,
                readiness: Readiness::Unavailable,
                problem: Some(ApiError::from(StoreError::Invalid(r.reason))),
            });
        }
        hearings.sort_by(|a, b| a.time.cmp(&b.time));
        Ok(TodayDto {
            court: court.to_string(),
            court_name,
            date: date.to_string(),
            store: store_status,
            custody: self.custody_problem(),
            hearings,
        })
    }

    /// Fetches and verifies every exhibit of `case_id` not yet cached. With `rehash`, what is already
    /// cached is hashed again first, and a copy that no longer matches is set aside (`cache_corrupt`)
    /// and fetched again. Returns the problems per exhibit; the rest of the hearing is usable whatever
    /// fails.
    pub async fn fetch_case(
        &self,
        case_id: &str,
        rehash: bool,
    ) -> ApiResult<(CaseManifest, HashMap<ExhibitRef, ApiError>)> {
        let case = parse_case(case_id)?;
        let c2 = case.clone();
        let trust = self.trust.clone();
        let manifest = self
            .blocking(move |store, cache| load_manifest(store.as_ref(), &cache, &trust, &c2))
            .await??;
        let cancel = self.fetch_cancel.lock().expect("not poisoned").clone();
        let mut tasks = tokio::task::JoinSet::new();
        for exhibit in manifest.exhibits().iter().cloned() {
            if self.cache.verified_path(&exhibit).is_none() {
                self.audit(
                    "fetch_started",
                    serde_json::json!({
                        "case": case_id,
                        "exhibit": exhibit.reference.to_string(),
                        "sha256": exhibit.sha256.to_hex(),
                        "bytes": exhibit.size,
                        "store": self.store.describe(),
                    }),
                );
            }
            let (store, cache) = (
                self.store.clone(),
                self.cache.with(courtdeck_store::FetchPolicy {
                    rehash_cached: rehash,
                    ..self.cache.policy()
                }),
            );
            let (events, cancel, slots) = (
                self.events.clone(),
                cancel.clone(),
                self.fetch_slots.clone(),
            );
            let case_for_progress = case_id.to_owned();
            let slow_store = self.slow_store.clone();
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let recently_slow = slow_store
                    .lock()
                    .expect("not poisoned")
                    .clone()
                    .filter(|(at, ..)| at.elapsed() < SLOW_STORE_GRACE);
                if let Some((_, store, rate, need)) = recently_slow
                    && cache.verified_path(&exhibit).is_none()
                {
                    let detail = format!(
                        "exhibit {} was not tried, because another download from it ended that slow just now; fetch again later",
                        exhibit.reference
                    );
                    let e = StoreError::TooSlow {
                        store,
                        rate,
                        need,
                        detail,
                    };
                    return (exhibit, Ok(Err(e)));
                }
                let exhibit2 = exhibit.clone();
                let result = tokio::task::spawn_blocking(move || {
                    let mut last: Option<u64> = None;
                    cache.fetch_with_report(store.as_ref(), &exhibit2, &cancel, &mut |p| {
                        // The first, then one per 4 MiB, then the last: keeps the UI live without
                        // flooding it.
                        let due = last.is_none_or(|l| p.done < l || p.done - l >= 4 << 20);
                        if due || p.done == p.total {
                            last = Some(p.done);
                            let _ = events.send(UiEvent::FetchProgress {
                                case_id: case_for_progress.clone(),
                                exhibit: exhibit2.reference.to_string(),
                                done: p.done,
                                total: p.total,
                            });
                        }
                    })
                })
                .await;
                if let Ok(Err(StoreError::TooSlow {
                    store, rate, need, ..
                })) = &result
                {
                    *slow_store.lock().expect("not poisoned") = Some((
                        std::time::Instant::now(),
                        store.clone(),
                        rate.clone(),
                        need.clone(),
                    ));
                }
                (exhibit, result)
            });
        }
        let mut problems = HashMap::new();
        while let Some(joined) = tasks.join_next().await {
            let (exhibit, result) = joined.map_err(internal)?;
            let result = result.map_err(internal)?;
            if let Ok(report) = &result
                && let Some(c) = &report.corrupt_copy
            {
                self.audit_corrupt(case_id, &exhibit, c);
            }
            match result {
                Ok(report) if !report.already_cached => self.audit(
                    "fetch_verified",
                    serde_json::json!({
                        "case": case_id,
                        "exhibit": exhibit.reference.to_string(),
                        "sha256": exhibit.sha256.to_hex(),
                        "bytes": exhibit.size,
                        "bytes_received": report.bytes_received,
                        "resumed_from": report.resumed_from,
                        "reconnects": report.reconnects,
                        "store": self.store.describe(),
                    }),
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(exhibit = %exhibit.reference, "fetch failed: {e}");
                    self.audit(
                        if e.code() == ErrorCode::HashMismatch { "fetch_failed_verification" } else { "fetch_failed" },
                        serde_json::json!({ "case": case_id, "exhibit": exhibit.reference.to_string(), "sha256": exhibit.sha256.to_hex(), "code": e.code().as_str(), "reason": e.to_string() }),
                    );
                    problems.insert(exhibit.reference.clone(), e.into());
                }
            }
        }
        Ok((manifest, problems))
    }

    /// Records a cached copy found rotted and set aside.
    fn audit_corrupt(&self, case_id: &str, exhibit: &Exhibit, c: &courtdeck_store::CorruptCopy) {
        self.audit(
            "cache_corrupt",
            serde_json::json!({
                "case": case_id,
                "exhibit": exhibit.reference.to_string(),
                "sha256": exhibit.sha256.to_hex(),
                "actual_sha256": c.actual_sha256,
                "bytes": c.bytes,
                "quarantined_to": c.quarantined_to.display().to_string(),
            }),
        );
    }

    /// Hashes the cached copy of `exhibit` again. A copy that no longer matches is set aside and
    /// recorded, and the answer says why it cannot be shown.
    async fn check_cached_copy(&self, case_id: &str, exhibit: &Exhibit) -> ApiResult<PathBuf> {
        let e2 = exhibit.clone();
        let checked = self
            .blocking(move |_, cache| {
                let corrupt = cache.reverify(&e2)?;
                Ok::<_, StoreError>((corrupt, cache.verified_path(&e2)))
            })
            .await??;
        match checked {
            (Some(c), _) => {
                self.audit_corrupt(case_id, exhibit, &c);
                Err(corrupt_error(exhibit))
            }
            (None, Some(path)) => Ok(path),
            (None, None) => Err(ApiError::new(
                ErrorCode::NotCached,
                format!(
                    "Exhibit {} is not in the cache (its copy was set aside or removed). Fetch the hearing again.",
                    exhibit.reference
                ),
            )),
        }
    }

    /// Applies the cache's size/age policy (`[cache]` in the config). Today's list is read first, so
    /// its cases count as needed today and nothing they need is evicted; nor is the open hearing's.
    pub async fn housekeep(&self) -> ApiResult<courtdeck_store::HousekeepReport> {
        let today_list = self.today().await?;
        let mut protect = HashSet::new();
        if let Some(open) = &self.session.lock().await.open {
            protect.extend(open.manifest.exhibits().iter().map(|e| e.sha256));
        }
        if !today_list.store.online && today_list.hearings.is_empty() {
            // Without today's list we cannot know what is needed: evict nothing.
            return Err(today_list.store.problem.unwrap_or_else(|| {
                ApiError::new(ErrorCode::StoreUnreachable, "today's list is not available")
            }));
        }
        let policy = courtdeck_store::housekeeping::Policy {
            retention_days: self.config.cache.retention_days,
            max_bytes: self.config.cache.max_gb.map(|gb| (gb * 1e9) as u64),
        };
        let report = self
            .blocking(move |_, cache| cache.housekeep(today(), policy, &protect))
            .await??;
        if report.evicted_blobs > 0 || report.forgotten_cases > 0 {
            self.audit(
                "cache_housekeeping",
                serde_json::json!({
                    "evicted_blobs": report.evicted_blobs,
                    "evicted_bytes": report.evicted_bytes,
                    "forgotten_cases": report.forgotten_cases,
                }),
            );
        }
        if report.over_limit_by > 0 {
            tracing::warn!(
                over_by = report.over_limit_by,
                "the cache is over its size limit with only what today's hearings need"
            );
        }
        Ok(report)
    }

    fn poster_path(&self, sha256: &courtdeck_core::Sha256Digest) -> PathBuf {
        self.cache
            .root()
            .join("posters")
            .join(format!("{}.jpg", sha256.to_hex()))
    }

    /// The poster frame of a blob, base64, if one was made.
    fn poster_of(&self, sha256: &courtdeck_core::Sha256Digest) -> Option<String> {
        use base64::Engine as _;
        let bytes = std::fs::read(self.poster_path(sha256)).ok()?;
        Some(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// Makes the missing poster frames of today's cached video and image exhibits, one at a time in
    /// the playout process (a file that crashes a decoder takes only playout down, which restarts),
    /// and announces each as `UiEvent::Poster`.
    pub async fn make_posters(&self) {
        use base64::Engine as _;
        let Ok(list) = self.today().await else { return };
        let Ok(exhibits) = self.todays_exhibits(&list).await else {
            return;
        };
        let Ok(playout) = self.playout() else { return };
        for (_, e) in exhibits {
            if e.kind == courtdeck_core::ExhibitKind::Audio || self.poster_path(&e.sha256).exists()
            {
                continue;
            }
            let Some(path) = self.cache.verified_path(&e) else {
                continue;
            };
            let poster = playout
                .request_data::<courtdeck_playout::protocol::Poster>(Command::Poster {
                    path: path.display().to_string(),
                })
                .await;
            let jpeg = match poster {
                Ok(courtdeck_playout::protocol::Poster {
                    jpeg: Some(jpeg), ..
                }) => jpeg,
                Ok(courtdeck_playout::protocol::Poster {
                    error: Some(reason),
                    ..
                }) => {
                    tracing::warn!(exhibit = %e.reference, "no preview: {reason}");
                    let _ = self.events.send(UiEvent::NoPoster {
                        exhibit: e.reference.to_string(),
                        sha256: e.sha256.to_hex(),
                        reason,
                    });
                    continue;
                }
                Ok(_) => continue, // no picture to show
                Err(err) => {
                    tracing::warn!(exhibit = %e.reference, "no preview: {err}");
                    continue;
                }
            };
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&jpeg) else {
                continue;
            };
            let dest = self.poster_path(&e.sha256);
            let tmp = dest.with_extension("part");
            let saved = dest
                .parent()
                .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
                && std::fs::write(&tmp, bytes).is_ok()
                && std::fs::rename(&tmp, &dest).is_ok();
            if saved {
                let _ = self.events.send(UiEvent::Poster {
                    exhibit: e.reference.to_string(),
                    sha256: e.sha256.to_hex(),
                    jpeg,
                });
            }
        }
    }

    /// Where the control surface goes: `[control] monitor` by RandR name, else the first monitor no
    /// configured screen uses, else the first; `None` without X11 monitors (the window stays where
    /// the shell put it).
    pub fn control_placement(&self) -> Option<Placement> {
        let monitors = match courtdeck_playout::client::monitors() {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("control surface left at its default place: {e}");
                return None;
            }
        };
        let used: Vec<&str> = self
            .config
            .screens
            .iter()
            .filter_map(|s| s.monitor.as_deref())
            .collect();
        let m = match &self.config.control.monitor {
            Some(name) => monitors.iter().find(|m| &m.name == name),
            None => monitors.iter().find(|m| !used.contains(&m.name.as_str())),
        }
        .or(monitors.first())?;
        tracing::info!(monitor = %m.name, x = m.x, y = m.y, w = m.width, h = m.height, "control surface placed");
        Some(Placement {
            monitor: m.name.clone(),
            x: m.x as i32,
            y: m.y as i32,
            width: m.width as u32,
            height: m.height as u32,
        })
    }

    /// The exhibit sound level in the room, 0.0 to 1.5 (1.0 as recorded).
    pub async fn set_volume(&self, volume: f64) -> ApiResult<()> {
        self.playout()?
            .request(Command::SetVolume { volume })
            .await?;
        self.audit("volume_set", serde_json::json!({ "volume": volume }));
        Ok(())
    }

    /// Silences or restores the exhibit sound (pictures go on).
    pub async fn set_mute(&self, mute: bool) -> ApiResult<()> {
        self.playout()?.request(Command::SetMute { mute }).await?;
        self.audit(
            if mute { "sound_muted" } else { "sound_unmuted" },
            serde_json::json!({}),
        );
        Ok(())
    }

    /// Confidence thumbnails on or off (`UiEvent::Thumbnail`): the surface turns them on while it
    /// shows the screens' tiles, so playout spends nothing on them otherwise.
    pub async fn set_thumbnails(&self, enabled: bool) -> ApiResult<()> {
        self.thumbnails
            .store(enabled, std::sync::atomic::Ordering::SeqCst);
        self.playout()?
            .request(Command::Thumbnails { enabled })
            .await?;
        Ok(())
    }

    /// Cancels the downloads now running; what arrived is kept and the next fetch resumes it.
    pub fn cancel_fetches(&self) {
        let mut flag = self.fetch_cancel.lock().expect("not poisoned");
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
        *flag = Arc::new(AtomicBool::new(false));
    }

    /// Fetches every exhibit of the day's list (or of one case): what a clerk runs before court.
    pub async fn fetch_day(
        &self,
        date: Date,
        case: Option<&str>,
    ) -> ApiResult<Vec<FetchReportDto>> {
        let list = self.court_list(date).await?;
        if let Some(problem) = list.store.problem {
            return Err(problem);
        }
        // Every case at once; the fetch slots bound the downloads actually running.
        let cases: Vec<_> = list
            .hearings
            .iter()
            .filter(|h| case.is_none_or(|c| c == h.case_id))
            .collect();
        // What a clerk fetches before court is hashed again, even if it is cached already.
        let results =
            futures_util::future::join_all(cases.iter().map(|h| self.fetch_case(&h.case_id, true)))
                .await;
        let mut out = Vec::new();
        for (h, result) in cases.into_iter().zip(results) {
            let report = match result {
                Ok((manifest, problems)) => FetchReportDto {
                    case_id: h.case_id.clone(),
                    exhibits: manifest.exhibits().len(),
                    verified: manifest.exhibits().len() - problems.len(),
                    problems: problems
                        .into_iter()
                        .map(|(r, e)| (r.to_string(), e))
                        .collect(),
                },
                Err(e) => FetchReportDto {
                    case_id: h.case_id.clone(),
                    exhibits: 0,
                    verified: 0,
                    problems: vec![("manifest".into(), e)],
                },
            };
            out.push(report);
        }
        if let Some(c) = case
            && out.is_empty()
        {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!("Case {c} is not in the list for {date}."),
            ));
        }
        Ok(out)
    }

    /// Fetches today's list in the background, so that hearings are ready before the usher launches them.
    /// Progress arrives as `UiEvent::FetchProgress`; failures are logged and shown on the hearing cards.
    pub fn prefetch_today_in_background(self: &Arc<Self>) {
        let deck = Arc::downgrade(self);
        tokio::spawn(async move {
            let Some(deck) = deck.upgrade() else { return };
            match deck.fetch_day(today(), None).await {
                Ok(reports) => {
                    let verified: usize = reports.iter().map(|r| r.verified).sum();
                    tracing::info!(verified, "today's exhibits prefetched");
                }
                Err(e) => tracing::warn!("prefetch of today's list failed: {e}"),
            }
            deck.make_posters().await;
            match deck.housekeep().await {
                Ok(r) => tracing::info!(
                    evicted = r.evicted_blobs,
                    kept = r.kept_blobs,
                    "cache housekeeping done"
                ),
                Err(e) => tracing::warn!("cache housekeeping skipped: {e}"),
            }
        });
    }

    /// Launches a hearing: fetches what is missing, then opens it for the advocate. The cached copies
    /// are hashed again in the background (selecting an exhibit the background has not reached yet
    /// hashes it first); a copy that no longer matches is set aside and its exhibit is not presentable.
    pub async fn launch(self: &Arc<Self>, case_id: &str) -> ApiResult<HearingDto> {
        let case = parse_case(case_id)?;
        let today_list = self.today().await?;
        let card = today_list.hearings.iter().find(|h| h.case_id == case_id);
        let (manifest, problems) = self.fetch_case(case_id, false).await?;
        let hearing = Hearing {
            time: card
                .and_then(|c| jiff::civil::Time::strptime("%H:%M", &c.time).ok())
                .unwrap_or(jiff::civil::Time::midnight()),
            case_id: case,
            title: card
                .map(|c| c.title.clone())
                .unwrap_or_else(|| manifest.title.clone()),
            hearing_type: card.map(|c| c.hearing_type.clone()).unwrap_or_default(),
        };
        let paths: HashMap<ExhibitRef, PathBuf> = manifest
            .exhibits()
            .iter()
            .filter_map(|e| Some((e.reference.clone(), self.cache.verified_path(e)?)))
            .collect();
        let mut session = self.session.lock().await;
        if let Some(on) = session.presentation.on_air().cloned() {
            // A new hearing starts with clear screens.
            let _ = self.playout()?.request(Command::Withdraw).await;
            let _ = session.presentation.withdraw();
            tracing::info!(exhibit = %on.exhibit, "withdrawn for a new hearing");
        }
        session.presentation = Presentation::default();
        session.prerolled.clear();
        let to_check: Vec<Exhibit> = manifest
            .exhibits()
            .iter()
            .filter(|e| paths.contains_key(&e.reference))
            .cloned()
            .collect();
        let checks = to_check
            .iter()
            .map(|e| (e.reference.clone(), CopyCheck::default()))
            .collect();
        session.open = Some(OpenHearing {
            hearing,
            manifest,
            paths,
            problems,
            checks,
        });
        tokio::spawn(reverify_hearing(
            Arc::downgrade(self),
            case_id.to_owned(),
            to_check,
        ));
        tracing::info!(case = case_id, "hearing launched");
        *self.audit_case.lock().expect("not poisoned") = Some(case_id.to_owned());
        if let Some(open) = &session.open {
            self.audit(
                "hearing_launched",
                serde_json::json!({
                    "case": case_id,
                    "exhibits": open.manifest.exhibits().iter().map(|e| serde_json::json!({
                        "exhibit": e.reference.to_string(),
                        "sha256": e.sha256.to_hex(),
                        "verified_in_cache": open.paths.contains_key(&e.reference),
                    })).collect::<Vec<_>>(),
                }),
            );
        }
        let dto = self.hearing_dto(session.open.as_ref().expect("just set"));
        self.emit_stage(&session);
        Ok(dto)
    }

    /// Hashes a launched exhibit's cached copy again, once per launch (see `OpenHearing::checks`), and
    /// keeps the outcome in the open hearing if it is still `case`: a copy that failed is no longer
    /// presentable, and the surface is told why.
    async fn check_copy_once(
        &self,
        case: &str,
        exhibit: &Exhibit,
        check: &CopyCheck,
    ) -> ApiResult<()> {
        let checked = check
            .get_or_init(|| self.check_cached_copy(case, exhibit))
            .await
            .clone();
        let mut session = self.session.lock().await;
        let Some(open) = session.open.as_mut() else {
            return checked.map(drop);
        };
        if open.hearing.case_id.as_str() != case {
            return checked.map(drop);
        }
        match checked {
            Ok(_) => Ok(()),
            Err(e) => {
                let newly = open.paths.remove(&exhibit.reference).is_some();
                open.problems.insert(exhibit.reference.clone(), e.clone());
                if newly {
                    let _ = self.events.send(UiEvent::Notice {
                        error: e.clone(),
                        exhibit: Some(exhibit.reference.to_string()),
                    });
                }
                Err(e)
            }
        }
    }

    pub async fn hearing(&self) -> ApiResult<Option<HearingDto>> {
        let session = self.session.lock().await;
        Ok(session.open.as_ref().map(|o| self.hearing_dto(o)))
    }

    fn hearing_dto(&self, open: &OpenHearing) -> HearingDto {
        HearingDto {
            case_id: open.hearing.case_id.to_string(),
            title: open.hearing.title.clone(),
            hearing_type: open.hearing.hearing_type.clone(),
            time: open.hearing.time.strftime("%H:%M").to_string(),
            exhibits: open
                .manifest
                .exhibits()
                .iter()
                .map(|e| ExhibitDto {
                    reference: e.reference.to_string(),
                    title: e.title.clone(),
                    kind: e.kind.as_str(),
                    media_type: e.media_type.clone(),
                    duration_ms: e.duration.map(|d| d.as_millis() as u64),
                    restriction: e.restriction.as_str(),
                    size: e.size,
                    sha256: e.sha256.to_hex(),
                    cached: open.paths.contains_key(&e.reference),
                    problem: open.problems.get(&e.reference).cloned(),
                    clips: e
                        .clips
                        .iter()
                        .map(|c| ClipDto {
                            label: c.label().into(),
                            start_ms: c.start().as_millis() as u64,
                            end_ms: c.end().as_millis() as u64,
                        })
                        .collect(),
                    allowed_screens: self
                        .screens
                        .iter()
                        .filter(|s| may_show(e.restriction, s.role))
                        .map(|s| s.id.to_string())
                        .collect(),
                    poster: self.poster_of(&e.sha256),
                })
                .collect(),
            screens: self.screens.iter().map(screen_dto).collect(),
        }
    }

    /// Selects an exhibit: it prerolls, paused on its first frame, invisible.
    pub async fn select(&self, reference: &str) -> ApiResult<StageDto> {
        // A copy not hashed again since launch is hashed now, outside the session lock (Blank All must
        // never wait for a hash).
        let check = {
            let session = self.session.lock().await;
            let open = open_hearing(&session)?;
            let exhibit = find_exhibit(open, reference)?;
            open.checks
                .get(&exhibit.reference)
                .map(|c| (open.hearing.case_id.to_string(), exhibit.clone(), c.clone()))
        };
        if let Some((case, exhibit, check)) = check {
            self.check_copy_once(&case, &exhibit, &check).await?;
        }
        let mut session = self.session.lock().await;
        let (exhibit, path) = {
            let open = open_hearing(&session)?;
            let exhibit = find_exhibit(open, reference)?.clone();
            let path = open.paths.get(&exhibit.reference).cloned().ok_or_else(|| {
                open.problems
                    .get(&exhibit.reference)
                    .cloned()
                    .unwrap_or_else(|| {
                        ApiError::new(
                            ErrorCode::NotCached,
                            format!("Exhibit {reference} is not in the cache yet."),
                        )
                    })
            })?;
            (exhibit, path)
        };
        self.playout()?
            .request(Command::Load {
                exhibit: exhibit.reference.to_string(),
                title: exhibit.title.clone(),
                path: path.display().to_string(),
                kind: exhibit.kind.as_str().into(),
                restriction: exhibit.restriction.as_str().into(),
            })
            .await?;
        let on_air = session.presentation.on_air().map(|o| o.exhibit.to_string());
        session.prerolled.retain(|e| Some(e) == on_air.as_ref());
        session.presentation.select(exhibit.reference);
        Ok(self.emit_stage(&session))
    }

    /// Shows the cued exhibit (or re-routes the one on air) on `screens`.
    pub async fn present(&self, screens: &[String]) -> ApiResult<StageDto> {
        let mut session = self.session.lock().await;
        let mut requested: BTreeSet<ScreenId> = screens
            .iter()
            .map(|s| {
                ScreenId::parse(s)
                    .map_err(|e| ApiError::new(ErrorCode::ScreenMissing, e.to_string()))
            })
            .collect::<ApiResult<_>>()?;
        // A disconnected screen must not stop the hearing: present on the others and say so.
        let unplugged: Vec<ScreenId> = requested
            .iter()
            .filter(|s| session.missing_screens.contains(s.as_str()))
            .cloned()
            .collect();
        for s in &unplugged {
            requested.remove(s);
        }
        if !unplugged.is_empty() {
            let labels: Vec<&str> = self
                .screens
                .iter()
                .filter(|s| unplugged.contains(&s.id))
                .map(|s| s.label.as_str())
                .collect();
            let _ = self.events.send(UiEvent::Notice {
                error: ApiError::new(
                    ErrorCode::ScreenMissing,
                    format!(
                        "Not shown on {}: not connected. The other screens show it.",
                        labels.join(", ")
                    ),
                ),
                exhibit: None,
            });
        }
        let target = session
            .presentation
            .cued()
            .or(session.presentation.on_air().map(|o| &o.exhibit))
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidState, "Choose an exhibit first."))?;
        let exhibit = find_exhibit(open_hearing(&session)?, &target.to_string())?.clone();
        // The core decides; only an accepted route is sent on.
        let mut next = session.presentation.clone();
        let route = match next.present(&exhibit, &requested, &self.screens) {
            Ok(on_air) => on_air.screens.clone(),
            Err(e) => {
                if matches!(e, courtdeck_core::PresentationError::Refused(_)) {
                    self.audit(
                        "route_refused",
                        serde_json::json!({
                            "exhibit": target.to_string(),
                            "restriction": exhibit.restriction.as_str(),
                            "requested": requested.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                            "reason": e.to_string(),
                        }),
                    );
                }
                return Err(e.into());
            }
        };
        self.playout()?
            .request(Command::Present {
                exhibit: target.to_string(),
                screens: route.iter().map(|s| s.to_string()).collect(),
            })
            .await?;
        session.presentation = next;
        tracing::info!(exhibit = %target, sha256 = %exhibit.sha256, screens = ?route, "presented");
        self.audit(
            "exhibit_presented",
            serde_json::json!({
                "case": session.open.as_ref().map(|o| o.hearing.case_id.to_string()),
                "exhibit": target.to_string(),
                "sha256": exhibit.sha256.to_hex(),
                "restriction": exhibit.restriction.as_str(),
                "screens": self.screens.iter().filter(|s| route.contains(&s.id)).map(|s| serde_json::json!({
                    "screen": s.id.to_string(), "label": s.label, "role": s.role.as_str(),
                })).collect::<Vec<_>>(),
            }),
        );
        self.sync_screens(&mut session).await;
        Ok(self.emit_stage(&session))
    }

    pub async fn play(&self) -> ApiResult<StageDto> {
        self.transport(Command::Play, Some(Transport::Playing))
            .await
    }

    pub async fn pause(&self) -> ApiResult<StageDto> {
        self.transport(Command::Pause, Some(Transport::Paused))
            .await
    }

    pub async fn seek(&self, position_ms: u64) -> ApiResult<StageDto> {
        self.transport(Command::Seek { position_ms }, None).await
    }

    pub async fn step(&self, frames: i32) -> ApiResult<StageDto> {
        self.transport(Command::Step { frames }, Some(Transport::Paused))
            .await
    }

    pub async fn set_rate(&self, rate: f64) -> ApiResult<StageDto> {
        self.transport(Command::SetRate { rate }, None).await
    }

    /// Plays the named clip of the on-air exhibit, stopping exactly at its out point.
    pub async fn play_clip(&self, label: &str) -> ApiResult<StageDto> {
        let (start_ms, end_ms) = {
            let session = self.session.lock().await;
            let on = session.presentation.on_air().ok_or_else(|| {
                ApiError::new(ErrorCode::InvalidState, "Present the exhibit first.")
            })?;
            let exhibit = find_exhibit(open_hearing(&session)?, &on.exhibit.to_string())?;
            let clip = exhibit
                .clips
                .iter()
                .find(|c| c.label() == label)
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidState,
                        format!(
                            "Exhibit {} has no clip called {label:?}.",
                            exhibit.reference
                        ),
                    )
                })?;
            (
                clip.start().as_millis() as u64,
                clip.end().as_millis() as u64,
            )
        };
        tracing::info!(clip = label, start_ms, end_ms, "clip played");
        self.audit(
            "clip_played",
            serde_json::json!({ "clip": label, "start_ms": start_ms, "end_ms": end_ms }),
        );
        self.transport(
            Command::PlayClip { start_ms, end_ms },
            Some(Transport::Playing),
        )
        .await
    }

    async fn transport(&self, command: Command, after: Option<Transport>) -> ApiResult<StageDto> {
        let mut session = self.session.lock().await;
        if session.presentation.on_air().is_none() {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "Nothing is on the screens. Present an exhibit first.",
            ));
        }
        self.playout()?.request(command).await?;
        if let Some(t) = after {
            session.presentation.set_transport(t)?;
        }
        Ok(self.emit_stage(&session))
    }

    pub async fn blank(&self, screen: &str, blank: bool) -> ApiResult<StageDto> {
        let mut session = self.session.lock().await;
        let id = self
            .screens
            .iter()
            .find(|s| s.id.as_str() == screen)
            .map(|s| s.id.clone())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ScreenMissing,
                    format!("There is no screen called {screen}."),
                )
            })?;
        // A blank is honoured even while playout restarts: the supervisor hands it to the new engine.
        match self
            .playout()?
            .request(Command::Blank {
                screen: screen.into(),
                blank,
            })
            .await
        {
            Ok(_) => {}
            Err(e) if blank && e.code == ErrorCode::PlayoutRestarting => {}
            Err(e) => return Err(e.into()),
        }
        session.presentation.set_blank(id, blank);
        tracing::info!(screen, blank, "blank");
        self.audit(
            if blank {
                "screen_blanked"
            } else {
                "screen_unblanked"
            },
            serde_json::json!({ "screen": screen }),
        );
        self.sync_screens(&mut session).await;
        Ok(self.emit_stage(&session))
    }

    /// One tap: every screen black. Works even when playout is restarting (the supervisor hands the
    /// blanks to the new engine with its Configure).
    pub async fn blank_all(&self) -> ApiResult<StageDto> {
        let mut session = self.session.lock().await;
        tracing::info!("blank all");
        self.audit("blank_all", serde_json::json!({}));
        // The surface changes only once the screens did; a restarting engine gets the blanks when up.
        match self.playout()?.request(Command::BlankAll).await {
            Ok(_) => {}
            Err(e) if e.code == ErrorCode::PlayoutRestarting => {}
            Err(e) => return Err(e.into()),
        }
        session.presentation.blank_all(&self.screens);
        self.sync_screens(&mut session).await;
        Ok(self.emit_stage(&session))
    }

    pub async fn withdraw(&self) -> ApiResult<StageDto> {
        let mut session = self.session.lock().await;
        if session.presentation.on_air().is_none() && !session.slates.is_empty() {
            // Nothing on air but slates up: Withdraw takes them down (the screens go black).
            self.playout()?.request(Command::Withdraw).await?;
            tracing::info!("slates cleared");
            self.audit("slates_cleared", serde_json::json!({}));
            self.sync_screens(&mut session).await;
            return Ok(self.emit_stage(&session));
        }
        let mut next = session.presentation.clone();
        let exhibit = next.withdraw()?;
        self.playout()?.request(Command::Withdraw).await?;
        session.presentation = next;
        session.prerolled.remove(&exhibit.to_string());
        tracing::info!(exhibit = %exhibit, "withdrawn");
        self.audit(
            "exhibit_withdrawn",
            serde_json::json!({ "exhibit": exhibit.to_string() }),
        );
        self.sync_screens(&mut session).await;
        Ok(self.emit_stage(&session))
    }

    /// Zooms or pans the picture on air (`in`, `out`, `left`, `right`, `up`, `down`, `whole`). Every
    /// screen showing it shows the same view; the audit log records each view the court saw.
    pub async fn zoom(&self, step: &str) -> ApiResult<StageDto> {
        let step = courtdeck_core::ZoomStep::parse(step)
            .map_err(|e| ApiError::new(ErrorCode::InvalidState, e.to_string()))?;
        let mut session = self.session.lock().await;
        let mut next = session.presentation.clone();
        let zoom = next.zoom(step)?;
        let (x, y, width, height) = zoom.region();
        self.playout()?
            .request(Command::Zoom {
                x,
                y,
                width,
                height,
            })
            .await?;
        session.presentation = next;
        let exhibit = session.presentation.on_air().map(|o| o.exhibit.to_string());
        tracing::info!(exhibit, factor = zoom.factor(), x, y, width, "zoomed");
        self.audit(
            "exhibit_zoomed",
            serde_json::json!({
                "exhibit": exhibit,
                "factor": zoom.factor(),
                "region": { "x": x, "y": y, "width": width, "height": height },
            }),
        );
        Ok(self.emit_stage(&session))
    }

    pub async fn stage(&self) -> StageDto {
        let session = self.session.lock().await;
        self.stage_dto(&session)
    }

    /// Asks playout which screens are connected (after it configured them) and records the answer.
    /// Reads the screens back from playout (without holding the session while it answers) and
    /// shows the surface.
    async fn refresh_connected_screens(&self) {
        let states = self.screen_states().await;
        let mut session = self.session.lock().await;
        if let Some(states) = states {
            apply_screen_states(&mut session, states);
        }
        if !session.missing_screens.is_empty() {
            tracing::warn!(missing = ?session.missing_screens, "screens not connected");
        }
        self.emit_stage(&session);
    }

    /// For commands, which hold the session while they talk to playout anyway.
    async fn sync_screens(&self, session: &mut Session) {
        if let Some(states) = self.screen_states().await {
            apply_screen_states(session, states);
        }
    }

    /// Asks playout which screens are unplugged and which show a slate: the engine decides both
    /// (a slate goes up when an exhibit fails on air or after a restart, and comes down on the next
    /// Present, Withdraw or Blank), so the surface reads them back rather than guessing.
    async fn screen_states(&self) -> Option<Vec<courtdeck_playout::protocol::ScreenStats>> {
        let p = self.playout().ok()?;
        match p.request(Command::Stats).await {
            Ok(stats) => Some(stats.unwrap_or_default()),
            Err(e) => {
                tracing::warn!("cannot ask playout for its screens: {e}");
                None
            }
        }
    }

    /// Frames each screen has rendered, as the playout process counts them (a readback for tests/checks).
    pub async fn screen_frames(&self) -> ApiResult<HashMap<String, u64>> {
        let stats = self
            .playout()?
            .request(Command::Stats)
            .await?
            .unwrap_or_default();
        Ok(stats.into_iter().map(|s| (s.screen, s.frames)).collect())
    }

    fn stage_dto(&self, session: &Session) -> StageDto {
        let p = &session.presentation;
        StageDto {
            case_id: session.open.as_ref().map(|o| o.hearing.case_id.to_string()),
            cued: p.cued().map(|e| e.to_string()),
            cued_ready: p
                .cued()
                .is_some_and(|e| session.prerolled.contains(&e.to_string())),
            on_air: p.on_air().map(|o| OnAirDto {
                exhibit: o.exhibit.to_string(),
                screens: o.screens.iter().map(|s| s.to_string()).collect(),
                playing: o.transport == Transport::Playing,
                zoom: o.zoom.factor(),
            }),
            screens: self
                .screens
                .iter()
                .map(|s| ScreenStateDto {
                    screen: screen_dto(s),
                    blanked: p.blanked().contains(&s.id),
                    showing: p.showing(&s.id).map(|e| e.to_string()),
                    slate: session.slates.get(s.id.as_str()).cloned(),
                    connected: !session.missing_screens.contains(s.id.as_str()),
                })
                .collect(),
            playout: session.playout,
            custody: self.custody_problem(),
        }
    }

    fn emit_stage(&self, session: &Session) -> StageDto {
        let stage = self.stage_dto(session);
        let _ = self.events.send(UiEvent::Stage(stage.clone()));
        stage
    }
}

fn apply_screen_states(
    session: &mut Session,
    stats: Vec<courtdeck_playout::protocol::ScreenStats>,
) {
    session.missing_screens = stats
        .iter()
        .filter(|s| !s.connected)
        .map(|s| s.screen.clone())
        .collect();
    session.slates = stats
        .into_iter()
        .filter_map(|s| Some((s.screen, s.slate?)))
        .collect();
}

/// What the playout process needs from the configuration in its environment: the audio output.
pub(crate) fn playout_env(config: &Config) -> Vec<(String, String)> {
    vec![("COURTDECK_AUDIO_SINK".into(), config.audio.sink.clone())]
}

/// Turns playout events into session changes and UI events.
async fn forward_playout_events(
    deck: std::sync::Weak<Courtdeck>,
    mut rx: broadcast::Receiver<ClientEvent>,
) {
    loop {
        let event = match rx.recv().await {
            Ok(e) => e,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(n, "playout events dropped");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(deck) = deck.upgrade() else { return };
        let mut session = deck.session.lock().await;
        match event {
            ClientEvent::Restarting { reason } => {
                deck.audit("playout_crashed", serde_json::json!({ "reason": reason }));
                session.presentation.playout_lost();
                session.prerolled.clear();
                session.playout = PlayoutStatus::Restarting;
                let _ = deck.events.send(UiEvent::Notice {
                    error: ApiError::new(
                        ErrorCode::PlayoutRestarting,
                        // The reason already says what happened ("the playout engine stopped (signal: 9)").
                        format!("{} and is being restarted. Nothing is on the screens; present the exhibit again.", error::capitalise(&reason)),
                    ),
                    exhibit: None,
                });
                deck.emit_stage(&session);
            }
            ClientEvent::Restarted { pid } => {
                deck.audit("playout_restarted", serde_json::json!({ "pid": pid }));
                session.playout = PlayoutStatus::Ready;
                deck.emit_stage(&session);
                drop(session);
                // The supervisor gave the new engine the court's blanks with its Configure.
                deck.refresh_connected_screens().await;
                // A new engine starts without thumbnails: ask again if the surface wants them.
                if deck.thumbnails.load(std::sync::atomic::Ordering::SeqCst) {
                    let _ = deck.set_thumbnails(true).await;
                }
            }
            ClientEvent::Playout(Event::Level { exhibit, rms_db }) => {
                drop(session);
                let _ = deck.events.send(UiEvent::Level { exhibit, rms_db });
            }
            ClientEvent::Playout(Event::Thumbnail { exhibit, jpeg }) => {
                drop(session);
                let _ = deck.events.send(UiEvent::Thumbnail { exhibit, jpeg });
            }
            ClientEvent::Playout(Event::Prerolled { exhibit, .. }) => {
                session.prerolled.insert(exhibit);
                deck.emit_stage(&session);
            }
            ClientEvent::Playout(Event::Position {
                exhibit,
                position_ms,
                duration_ms,
                playing,
                rate,
            }) => {
                let _ = deck.events.send(UiEvent::Position {
                    exhibit,
                    position_ms,
                    duration_ms,
                    playing,
                    rate,
                });
            }
            ClientEvent::Playout(Event::Eos { exhibit }) => {
                if session
                    .presentation
                    .on_air()
                    .is_some_and(|o| o.exhibit.to_string() == exhibit)
                {
                    let _ = session.presentation.set_transport(Transport::Paused);
                }
                deck.emit_stage(&session);
            }
            ClientEvent::Playout(Event::Warning { exhibit, error }) => {
                // The exhibit stays on air; the court is told what it could not see or hear, and the
                // custody record says so.
                let kind = match ErrorCode::parse(&error.code) {
                    Some(ErrorCode::PlaybackStalled) => "exhibit_stalled",
                    Some(ErrorCode::AudioUnavailable) => "sound_unavailable",
                    _ => "exhibit_damaged",
                };
                deck.audit(
                    kind,
                    serde_json::json!({ "exhibit": exhibit, "message": error.message }),
                );
                drop(session);
                let _ = deck.events.send(UiEvent::Notice {
                    error: ApiError::from(error),
                    exhibit: Some(exhibit),
                });
            }
            ClientEvent::Playout(Event::Error {
                exhibit,
                screen,
                error,
            }) => {
                let error = ApiError::from(error);
                if error.code == ErrorCode::ScreenMissing
                    && let Some(s) = screen
                {
                    session.missing_screens.insert(s);
                }
                // Playout tore the failed exhibit down; reflect it, so the surface never claims a screen
                // shows something it does not.
                if let Some(x) = &exhibit {
                    if session
                        .presentation
                        .on_air()
                        .is_some_and(|o| &o.exhibit.to_string() == x)
                    {
                        let _ = session.presentation.withdraw();
                    }
                    if session
                        .presentation
                        .cued()
                        .is_some_and(|c| &c.to_string() == x)
                    {
                        session.presentation.uncue();
                    }
                    session.prerolled.remove(x);
                }
                let _ = deck.events.send(UiEvent::Notice {
                    error,
                    exhibit: exhibit.clone(),
                });
                deck.emit_stage(&session);
                if exhibit.is_some() {
                    // An exhibit that failed on air leaves the "unavailable" slate on its screens.
                    drop(session);
                    deck.refresh_connected_screens().await;
                }
            }
            ClientEvent::Playout(_) => {}
        }
    }
}

/// Hashes a launched hearing's cached exhibits again, one at a time, while that hearing stays open.
async fn reverify_hearing(deck: std::sync::Weak<Courtdeck>, case: String, exhibits: Vec<Exhibit>) {
    for exhibit in exhibits {
        let Some(deck) = deck.upgrade() else { return };
        let check = {
            let session = deck.session.lock().await;
            match &session.open {
                Some(open) if open.hearing.case_id.as_str() == case => {
                    open.checks.get(&exhibit.reference).cloned()
                }
                _ => return,
            }
        };
        let Some(check) = check else { continue };
        if let Err(e) = deck.check_copy_once(&case, &exhibit, &check).await {
            tracing::error!(exhibit = %exhibit.reference, "not presentable: {}", e.message);
        }
    }
}

fn screen_dto(s: &Screen) -> ScreenDto {
    ScreenDto {
        id: s.id.to_string(),
        label: s.label.clone(),
        role: s.role.as_str().into(),
    }
}

fn open_hearing(session: &Session) -> ApiResult<&OpenHearing> {
    session.open.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidState,
            "No hearing is open. Launch one from today's list.",
        )
    })
}

fn find_exhibit<'a>(open: &'a OpenHearing, reference: &str) -> ApiResult<&'a Exhibit> {
    let r = ExhibitRef::parse(reference)
        .map_err(|e| ApiError::new(ErrorCode::InvalidState, e.to_string()))?;
    open.manifest.exhibit(&r).ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            format!("This hearing has no exhibit {reference}."),
        )
    })
}

fn parse_case(case_id: &str) -> ApiResult<CaseId> {
    CaseId::parse(case_id).map_err(|e| ApiError::new(ErrorCode::InvalidManifest, e.to_string()))
}

/// Reads a document from the store and keeps a copy in the cache. When the store cannot be reached or
/// refuses us, returns the kept copy with the reason, so a hearing whose exhibits are cached launches
/// offline and the surface says the store is offline.
fn load_document(
    store: &dyn EvidenceStore,
    cache: &Cache,
    rel: &str,
) -> Result<(Vec<u8>, Option<StoreError>), StoreError> {
    match store.read_document(rel) {
        Ok(bytes) => {
            cache.keep_document(rel, &bytes);
            Ok((bytes, None))
        }
        Err(e)
            if matches!(
                e.code(),
                ErrorCode::StoreUnreachable | ErrorCode::NotAuthorised
            ) =>
        {
            match cache.kept_document(rel) {
                Some(bytes) => {
                    tracing::warn!(path = rel, "store unavailable, using the kept copy: {e}");
                    Ok((bytes, Some(e)))
                }
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// A case's manifest, from the store or (offline) the kept copy; with trusted publisher keys
/// configured, only if its signature (kept alongside) verifies.
fn load_manifest(
    store: &dyn EvidenceStore,
    cache: &Cache,
    trust: &TrustedKeys,
    case: &CaseId,
) -> Result<CaseManifest, StoreError> {
    let (bytes, _) = load_document(store, cache, &courtdeck_store::manifest_path(case))?;
    if !trust.is_empty() {
        let sig = match load_document(
            store,
            cache,
            &courtdeck_store::manifest_signature_path(case),
        ) {
            Ok((sig, _)) => Some(sig),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        trust.check(&format!("case {case}"), &bytes, sig.as_deref())?;
    }
    let manifest = courtdeck_store::wire::parse_manifest(&bytes)?;
    if manifest.case_id != *case {
        return Err(StoreError::Invalid(format!(
            "the manifest in cases/{case}/ is for case {}",
            manifest.case_id
        )));
    }
    Ok(manifest)
}

fn https_store(config: &Config) -> ApiResult<config::HttpsStoreConfig> {
    match &config.store {
        config::StoreConfig::Https(h) if h.auth != config::AuthKind::None => Ok(h.clone()),
        config::StoreConfig::Https(_) => Err(ApiError::new(
            ErrorCode::ConfigInvalid,
            "the store is configured with `auth = \"none\"`: it takes no credential",
        )),
        _ => Err(ApiError::new(
            ErrorCode::ConfigInvalid,
            "the configured store is a folder: it takes no credential (configure `kind = \"https\"` first)",
        )),
    }
}

/// One audit record outside a running kiosk (CLI commands that change the store's set-up). A record that
/// cannot be written is an error: these commands must not happen unrecorded.
fn audit_once(config: &Config, event: &str, fields: serde_json::Value) -> ApiResult<()> {
    courtdeck_audit::AuditLog::open(&config.audit_file())
        .and_then(|log| log.record(event, fields))
        .map_err(|e| {
            tracing::error!("audit record {event} lost: {e}");
            ApiError::new(
                ErrorCode::AuditUnavailable,
                format!("custody log unavailable: {e}; {event} was not recorded"),
            )
        })
}

/// Opens the custody log before a change that must be recorded, so a log that cannot be written stops
/// the change instead of losing its record.
fn custody_open(config: &Config) -> ApiResult<()> {
    let path = config.audit_file();
    courtdeck_audit::AuditLog::open(&path)
        .map(drop)
        .and_then(|_| {
            std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .map(drop)
                .map_err(|source| courtdeck_audit::AuditError::Io { path, source })
        })
        .map_err(|e| {
            ApiError::new(
                ErrorCode::AuditUnavailable,
                format!("custody log unavailable: {e}; nothing was changed"),
            )
        })
}

/// Why an exhibit whose cached copy changed on disk is not shown.
fn corrupt_error(exhibit: &Exhibit) -> ApiError {
    ApiError::new(
        ErrorCode::HashMismatch,
        format!(
            "The copy of exhibit {} on this kiosk no longer matches its SHA-256 (the file changed on disk after it was checked). It was set aside and will not be shown. Fetch the hearing again to repair it.",
            exhibit.reference
        ),
    )
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Internal, e.to_string())
}

/// Today's date in the kiosk's time zone.
pub fn today() -> Date {
    jiff::Zoned::now().date()
}
