//! The clerk's setup checks (`courtdeck check`, the Setup view): every screen present, identify card,
//! test card read back, test tone on the level meter, store reachable, credential accepted, clock skew,
//! free disk for the day, every exhibit of today's list cached + hash-verified + decodable, GStreamer
//! inventory, the playout process's confinement, each live source's signal. One report (pass / warn / fail per check), saved as JSON and HTML and recorded in the
//! audit log. `only` re-runs a subset (the ids of what failed).

use courtdeck_audit::CustodyEvent;
use std::time::Instant;

use courtdeck_core::ErrorCode;
use courtdeck_playout::protocol::{Command, ConfinementStatus, DiscoverReport, Inventory};

use courtdeck_core::Exhibit;

use crate::json::{CheckDto, CheckReportDto, CheckStatus, TodayDto};
use crate::{ApiError, ApiResult, Courtdeck, internal};

mod report;
mod screens;

pub use report::report_html;

/// Clock skew against the store that is worth a warning, and that fails the check.
const SKEW_WARN_S: i64 = 30;
const SKEW_FAIL_S: i64 = 300;

/// How long the setup checks give each live source to show a picture.
const LIVE_SOURCE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

struct Run {
    only: Option<Vec<String>>,
    checks: Vec<CheckDto>,
}

impl Run {
    fn wants(&self, id: &str) -> bool {
        self.only.as_ref().is_none_or(|o| {
            o.iter()
                .any(|x| x == id || (x == "exhibits" && id.starts_with("exhibit:")))
        })
    }

    fn add(&mut self, id: &str, title: &str, status: CheckStatus, detail: String, t0: Instant) {
        self.checks.push(CheckDto {
            id: id.to_owned(),
            title: title.to_owned(),
            status,
            detail,
            ms: t0.elapsed().as_millis() as u64,
        });
    }
}

impl Courtdeck {
    /// Runs the setup checks (all, or those in `only`) and saves the report.
    pub async fn run_checks(&self, only: Option<Vec<String>>) -> ApiResult<CheckReportDto> {
        let started = Instant::now();
        let when = jiff::Zoned::now();
        let mut run = Run {
            only,
            checks: Vec::new(),
        };
        self.check_screens(&mut run).await;
        // Today's list and its exhibits are read once, for every check that needs them.
        let wants_exhibits = run.only.as_ref().is_none_or(|o| {
            o.iter()
                .any(|x| x == "exhibits" || x.starts_with("exhibit:"))
        });
        let wants_list = wants_exhibits
            || ["store", "credential", "clock", "disk"]
                .iter()
                .any(|id| run.wants(id));
        let list = if wants_list {
            Some(self.today().await)
        } else {
            None
        };
        let exhibits = match &list {
            Some(Ok(l)) if wants_exhibits || run.wants("disk") => {
                Some(self.todays_exhibits(l).await?)
            }
            _ => None,
        };
        self.check_store(&mut run, list.as_ref(), exhibits.as_deref())
            .await;
        if wants_exhibits {
            self.check_exhibits(&mut run, list.as_ref(), exhibits.as_deref())
                .await?;
        }
        self.check_plugins(&mut run).await;
        self.check_confinement(&mut run).await;
        self.check_live_sources(&mut run).await;
        self.check_audit(&mut run);

        let overall = run
            .checks
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(CheckStatus::Pass);
        let mut report = CheckReportDto {
            time: when.strftime("%Y-%m-%d %H:%M:%S %Z").to_string(),
            court: self.config.court.clone(),
            kiosk_id: self.config.kiosk_id.clone(),
            overall,
            seconds: started.elapsed().as_secs_f64(),
            checks: run.checks,
            json_path: None,
            html_path: None,
        };
        let dir = self
            .config
            .audit_file()
            .parent()
            .map(|p| p.join("checks"))
            .unwrap_or_else(|| std::env::temp_dir().join("courtdeck-checks"));
        let stem = format!("check-{}", when.strftime("%Y%m%dT%H%M%S"));
        let (json_path, html_path) = (
            dir.join(format!("{stem}.json")),
            dir.join(format!("{stem}.html")),
        );
        report.json_path = Some(json_path.display().to_string());
        report.html_path = Some(html_path.display().to_string());
        let saved = std::fs::create_dir_all(&dir)
            .and_then(|_| {
                std::fs::write(
                    &json_path,
                    serde_json::to_vec_pretty(&report).expect("serialisable"),
                )
            })
            .and_then(|_| std::fs::write(&html_path, report_html(&report)));
        if let Err(e) = saved {
            tracing::error!(
                "the check report could not be saved in {}: {e}",
                dir.display()
            );
            report.json_path = None;
            report.html_path = None;
        }
        let count = |s: CheckStatus| report.checks.iter().filter(|c| c.status == s).count();
        self.audit(CustodyEvent::SetupCheck {
            overall: report.overall.as_str().into(),
            pass: count(CheckStatus::Pass),
            warn: count(CheckStatus::Warn),
            fail: count(CheckStatus::Fail),
            failed: report
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Fail)
                .map(|c| c.id.clone())
                .collect(),
            report: report.json_path.clone(),
        });
        Ok(report)
    }

    async fn check_store(
        &self,
        run: &mut Run,
        list: Option<&ApiResult<TodayDto>>,
        exhibits: Option<&[(String, Exhibit)]>,
    ) {
        let t0 = Instant::now();
        if run.wants("store") {
            let (status, detail) = match &list {
                Some(Ok(l)) if l.store.online => (
                    CheckStatus::Pass,
                    format!(
                        "{} answered; {} hearings listed today",
                        l.store.description,
                        l.hearings.len()
                    ),
                ),
                Some(Ok(l)) => (
                    CheckStatus::Fail,
                    format!(
                        "{}: {} (cached hearings still play)",
                        l.store.description,
                        l.store
                            .problem
                            .as_ref()
                            .map(|p| p.message.as_str())
                            .unwrap_or("offline")
                    ),
                ),
                Some(Err(e)) => (CheckStatus::Fail, e.message.clone()),
                None => unreachable!(),
            };
            run.add("store", title_of("store"), status, detail, t0);
        }
        if run.wants("credential") {
            let t0 = Instant::now();
            let refused = list
                .and_then(|l| l.as_ref().ok())
                .and_then(|l| l.store.problem.as_ref())
                .is_some_and(|p| p.code == ErrorCode::NotAuthorised);
            let (status, detail) = match (&self.credential, refused) {
                (crate::CredentialState::NotNeeded, _) => {
                    (CheckStatus::Pass, "this store needs no credential".into())
                }
                (crate::CredentialState::Present, false) => (
                    CheckStatus::Pass,
                    "present in the OS keyring and accepted by the store".into(),
                ),
                (crate::CredentialState::Present, true) => (
                    CheckStatus::Fail,
                    "present in the OS keyring but the store refused it: run `courtdeck store login`".into(),
                ),
                (crate::CredentialState::Missing, _) => (
                    CheckStatus::Fail,
                    "no credential in the OS keyring: run `courtdeck store login`".into(),
                ),
                (crate::CredentialState::KeyringUnavailable(why), _) => {
                    (CheckStatus::Fail, why.clone())
                }
            };
            run.add("credential", title_of("credential"), status, detail, t0);
        }
        if run.wants("clock") {
            let t0 = Instant::now();
            let store = self.store.clone();
            let answer = tokio::task::spawn_blocking(move || store.server_time()).await;
            let (status, detail) = match answer {
                Ok(Ok(Some(server))) => {
                    let skew = jiff::Timestamp::now().as_second() - server.as_second();
                    let text = format!("kiosk clock {skew:+} s against the store's");
                    if skew.abs() >= SKEW_FAIL_S {
                        (
                            CheckStatus::Fail,
                            format!(
                                "{text}: fix the time (NTP) before court, logs and audit times are wrong"
                            ),
                        )
                    } else if skew.abs() >= SKEW_WARN_S {
                        (CheckStatus::Warn, format!("{text}: check NTP"))
                    } else {
                        (CheckStatus::Pass, text)
                    }
                }
                Ok(Ok(None)) => (
                    CheckStatus::Pass,
                    "the store is a folder on this kiosk: same clock".into(),
                ),
                Ok(Err(e)) => (
                    CheckStatus::Warn,
                    format!("could not read the store's clock: {e}"),
                ),
                Err(e) => (
                    CheckStatus::Warn,
                    format!("could not read the store's clock: {e}"),
                ),
            };
            run.add("clock", title_of("clock"), status, detail, t0);
        }
        if run.wants("disk") {
            let t0 = Instant::now();
            let needed = match (list, exhibits) {
                (Some(Err(e)), _) => Err(e.message.clone()),
                (_, Some(x)) => Ok(x),
                _ => Err("it was not read".to_owned()),
            };
            let (status, detail) = self.disk_verdict(needed).await;
            run.add("disk", title_of("disk"), status, detail, t0);
        }
    }

    /// Free space in the cache against what today's list still has to download.
    async fn disk_verdict(
        &self,
        exhibits: Result<&[(String, Exhibit)], String>,
    ) -> (CheckStatus, String) {
        let missing: u64 = match exhibits {
            Ok(all) => all
                .iter()
                .filter(|(_, e)| self.cache.verified_path(e).is_none())
                .map(|(_, e)| e.size)
                .sum(),
            Err(message) => {
                return (
                    CheckStatus::Warn,
                    format!("today's list is not available: {message}"),
                );
            }
        };
        let root = self.cache.root().to_path_buf();
        let free = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&root)?;
            rustix::fs::statvfs(&root)
                .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
                .map_err(std::io::Error::from)
        })
        .await;
        let mb = |b: u64| b as f64 / 1e6;
        match free {
            Ok(Ok(free)) if free < missing => (
                CheckStatus::Fail,
                format!(
                    "{:.1} MB still to download today, {:.1} MB free in {}: free {:.1} MB",
                    mb(missing),
                    mb(free),
                    self.cache.root().display(),
                    mb(missing - free)
                ),
            ),
            Ok(Ok(free)) if free < missing + 1_000_000_000 => (
                CheckStatus::Warn,
                format!(
                    "{:.1} MB free, {:.1} MB still to download: less than 1 GB spare",
                    mb(free),
                    mb(missing)
                ),
            ),
            Ok(Ok(free)) => (
                CheckStatus::Pass,
                format!(
                    "{:.1} GB free; {:.1} MB still to download today",
                    free as f64 / 1e9,
                    mb(missing)
                ),
            ),
            Ok(Err(e)) => (CheckStatus::Fail, format!("cannot read free space: {e}")),
            Err(e) => (CheckStatus::Fail, format!("cannot read free space: {e}")),
        }
    }

    /// Every exhibit of today's list, with its case.
    pub(crate) async fn todays_exhibits(
        &self,
        list: &TodayDto,
    ) -> ApiResult<Vec<(String, Exhibit)>> {
        let mut out = Vec::new();
        for h in &list.hearings {
            let case = crate::listing::parse_case(&h.case_id)?;
            let trust = self.trust.clone();
            let manifest = self
                .blocking(move |store, cache| {
                    crate::listing::load_manifest(store.as_ref(), &cache, &trust, &case)
                })
                .await?;
            if let Ok(m) = manifest {
                out.extend(m.exhibits().iter().map(|e| (h.case_id.clone(), e.clone())));
            }
        }
        Ok(out)
    }

    async fn check_exhibits(
        &self,
        run: &mut Run,
        list: Option<&ApiResult<TodayDto>>,
        exhibits: Option<&[(String, Exhibit)]>,
    ) -> ApiResult<()> {
        let t0 = Instant::now();
        let list = match list {
            Some(Ok(l)) => l,
            Some(Err(e)) => {
                run.add(
                    "exhibits",
                    title_of("exhibits"),
                    CheckStatus::Fail,
                    e.message.clone(),
                    t0,
                );
                return Ok(());
            }
            None => return Ok(()),
        };
        for h in &list.hearings {
            if let Some(problem) = &h.problem {
                let id = format!("exhibit:{}:manifest", h.case_id);
                if run.wants(&id) {
                    run.add(
                        &id,
                        &format!("{} {} manifest", h.case_id, h.title),
                        CheckStatus::Fail,
                        problem.message.clone(),
                        t0,
                    );
                }
            }
        }
        for (case, e) in exhibits.unwrap_or_default().iter().cloned() {
            let id = format!("exhibit:{case}:{}", e.reference);
            if !run.wants(&id) {
                continue;
            }
            let t0 = Instant::now();
            let title = format!("{} {} ({case})", e.reference, e.title);
            let (status, detail) = self.exhibit_verdict(&case, &e).await?;
            run.add(&id, &title, status, detail, t0);
        }
        Ok(())
    }

    /// One exhibit as a kiosk would play it: downloaded, its cached bytes hashed again (a rotted copy
    /// is set aside and recorded), inspected by playout (a decoder this kiosk lacks is named), and
    /// its transcript read. The setup checks and the week ahead both say this.
    pub(crate) async fn exhibit_verdict(
        &self,
        case: &str,
        e: &Exhibit,
    ) -> ApiResult<(CheckStatus, String)> {
        let Some(path) = self.cache.verified_path(e) else {
            return Ok((
                CheckStatus::Fail,
                "not downloaded yet: run `courtdeck fetch` (or wait for the prefetch)".into(),
            ));
        };
        // A rotted copy is set aside (kept in quarantine/) and recorded, as the fetch does.
        let (cache, e2) = (self.cache.clone(), e.clone());
        let failure = match tokio::task::spawn_blocking(move || cache.reverify(&e2))
            .await
            .map_err(internal)?
        {
            Ok(None) => None,
            Ok(Some(c)) => {
                self.audit_corrupt(case, &e.reference, e, &c);
                Some(format!(
                    "the cached bytes do not match the manifest (sha256 {}, expected {}); the copy was set aside in {}; fetch it again before court",
                    c.actual_sha256,
                    e.sha256,
                    c.quarantined_to.display()
                ))
            }
            Err(err) => Some(format!("{err}; fetch it again before court")),
        };
        if let Some(detail) = failure {
            return Ok((CheckStatus::Fail, detail));
        }
        let report = match self.playout() {
            Ok(p) => p
                .request_data::<DiscoverReport>(Command::Discover {
                    path: path.display().to_string(),
                })
                .await
                .map_err(ApiError::from),
            Err(e) => Err(e),
        };
        let (status, detail) = match report {
            Ok(r) => match &r.error {
                None => (
                    CheckStatus::Pass,
                    format!("hash verified; {}", describe(&r)),
                ),
                Some(why) if !r.missing.is_empty() => (
                    CheckStatus::Fail,
                    format!("hash verified, but this kiosk cannot decode it: {why}"),
                ),
                Some(why) => (CheckStatus::Fail, format!("hash verified, but {why}")),
            },
            Err(e) => (
                CheckStatus::Fail,
                format!("hash verified; could not be inspected: {}", e.message),
            ),
        };
        // Its transcript: downloaded, its bytes hashed again, every cue read.
        let (status, detail) = match courtdeck_store::TranscriptBlob::of(e) {
            None => (status, detail),
            Some(t) if self.cache.verified_path(&t).is_none() => (
                CheckStatus::Fail,
                format!("{detail}; its transcript is not downloaded yet: run `courtdeck fetch`"),
            ),
            Some(t) => match self.load_transcript(e).await {
                Ok(parsed) => (
                    status,
                    format!(
                        "{detail}; transcript: {} lines, {}",
                        parsed.cues().len(),
                        t.transcript.restriction.as_str()
                    ),
                ),
                Err(err) => (
                    CheckStatus::Fail,
                    format!("{detail}; its transcript cannot be used: {}", err.message),
                ),
            },
        };
        Ok((status, detail))
    }

    /// The custody log: its whole chain verifies (repairs of torn tails are named), and it can be
    /// written now. Either failing fails the check: a court must not sit unrecorded.
    fn check_audit(&self, run: &mut Run) {
        if !run.wants("audit") {
            return;
        }
        let t0 = Instant::now();
        let path = self.config.audit_file();
        let chain = match courtdeck_audit::verify(&path) {
            Ok(r) => {
                let mut detail = format!("{} records, hash chain intact", r.records);
                for rec in &r.recoveries {
                    detail.push_str(&format!(
                        "; repaired at line {} after a torn write ({} bytes kept in {}{})",
                        rec.line,
                        rec.bytes,
                        rec.quarantine_file,
                        if rec.quarantine_intact {
                            ""
                        } else {
                            ", which is MISSING OR CHANGED"
                        }
                    ));
                }
                if let Some((line, bytes)) = r.torn_tail {
                    detail.push_str(&format!(
                        "; a torn last line ({bytes} bytes at line {line}) is moved aside at the next record"
                    ));
                }
                let intact = r.recoveries.iter().all(|x| x.quarantine_intact);
                Ok((detail, intact))
            }
            Err(courtdeck_audit::AuditError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Ok(("no records yet".to_owned(), true))
            }
            Err(e) => Err(e.to_string()),
        };
        let writable = self.require_custody();
        let (status, detail) = match (chain, writable) {
            (Err(e), _) => (CheckStatus::Fail, e),
            (Ok(_), Err(e)) => (CheckStatus::Fail, e.message),
            (Ok((d, true)), Ok(())) => (CheckStatus::Pass, format!("{}: {d}", path.display())),
            (Ok((d, false)), Ok(())) => (CheckStatus::Warn, format!("{}: {d}", path.display())),
        };
        run.add("audit", title_of("audit"), status, detail, t0);
    }

    async fn check_plugins(&self, run: &mut Run) {
        if !run.wants("plugins") {
            return;
        }
        let t0 = Instant::now();
        let (status, detail) = match self.playout() {
            Ok(p) => match p.request_data::<Inventory>(Command::Inventory).await {
                Ok(inv) => {
                    let missing: Vec<&str> = inv
                        .elements
                        .iter()
                        .filter(|(_, ok)| !ok)
                        .map(|(e, _)| e.as_str())
                        .collect();
                    if missing.is_empty() {
                        (
                            CheckStatus::Pass,
                            format!(
                                "{}; {} plugins; all {} elements Courtdeck uses are installed",
                                inv.gstreamer,
                                inv.plugins,
                                inv.elements.len()
                            ),
                        )
                    } else {
                        (
                            CheckStatus::Warn,
                            format!(
                                "{}; missing: {} (formats needing them will not play)",
                                inv.gstreamer,
                                missing.join(", ")
                            ),
                        )
                    }
                }
                Err(e) => (CheckStatus::Fail, e.message.clone()),
            },
            Err(e) => (CheckStatus::Fail, e.message),
        };
        run.add("plugins", title_of("plugins"), status, detail, t0);
    }
}

impl Courtdeck {
    /// Each configured live source (`source:<id>`): opened for a few seconds in a playout process of
    /// its own. A picture passes; none warns (a laptop may simply not be casting yet), with why.
    async fn check_live_sources(&self, run: &mut Run) {
        let ids: Vec<String> = self
            .config
            .sources
            .iter()
            .map(|s| format!("source:{}", s.id))
            .filter(|id| run.wants(id) || run.wants("sources"))
            .collect();
        if ids.is_empty() {
            return;
        }
        let t0 = Instant::now();
        match Courtdeck::check_sources(&self.config, LIVE_SOURCE_WAIT).await {
            Ok(checks) => {
                for c in checks {
                    let id = format!("source:{}", c.id);
                    if !ids.contains(&id) {
                        continue;
                    }
                    let (status, detail) = match (c.signal, c.width.zip(c.height)) {
                        (true, Some((w, h))) => (
                            CheckStatus::Pass,
                            format!("{}: a picture, {w}x{h}", c.label),
                        ),
                        (true, None) => (CheckStatus::Pass, format!("{}: a picture", c.label)),
                        (false, _) => (
                            CheckStatus::Warn,
                            format!("{}: no signal: {}", c.label, c.problem.unwrap_or_default()),
                        ),
                    };
                    run.add(&id, "Live source", status, detail, t0);
                }
            }
            Err(e) => {
                for id in ids {
                    run.add(&id, "Live source", CheckStatus::Fail, e.message.clone(), t0);
                }
            }
        }
    }

    /// How the playout process is confined, as it said when it started: fully passes; partly, or
    /// off by the configuration's leave, warns (the detail names what is not confined).
    async fn check_confinement(&self, run: &mut Run) {
        if !run.wants("confinement") {
            return;
        }
        let t0 = Instant::now();
        let (status, detail) = match self.playout() {
            Ok(p) => match p.confinement().await {
                Some(c) => (
                    match c.status {
                        ConfinementStatus::Full => CheckStatus::Pass,
                        ConfinementStatus::Partial | ConfinementStatus::Off => CheckStatus::Warn,
                        ConfinementStatus::Refused => CheckStatus::Fail,
                    },
                    c.detail,
                ),
                None => (
                    CheckStatus::Fail,
                    "the playout process is not running".to_owned(),
                ),
            },
            Err(e) => (CheckStatus::Fail, e.message),
        };
        run.add("confinement", title_of("confinement"), status, detail, t0);
    }
}

fn title_of(id: &str) -> &'static str {
    match id {
        "screens" => "Every screen connected",
        "identify" => "Identify card on each screen",
        "test_card" => "Test card read back from each screen",
        "test_tone" => "Test tone on the audio output",
        "store" => "Evidence store reachable",
        "credential" => "Store credential present and accepted",
        "clock" => "Clock agrees with the store",
        "disk" => "Free disk for today",
        "exhibits" => "Today's exhibits",
        "plugins" => "GStreamer plugins",
        "confinement" => "Playout process confined",
        "audit" => "Custody log verified and writable",
        _ => "Check",
    }
}

fn describe(r: &DiscoverReport) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &r.container {
        parts.push(c.clone());
    }
    parts.extend(r.video.iter().cloned());
    parts.extend(r.audio.iter().cloned());
    if let Some(ms) = r.duration_ms {
        parts.push(format!("{}:{:02}", ms / 60_000, ms / 1000 % 60));
    }
    parts.join(", ")
}
