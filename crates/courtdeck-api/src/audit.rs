//! The custody (audit) log as the facade writes it: every record, the problem banner when a record
//! cannot be written, and refusing to present when custody cannot be kept.

use crate::Courtdeck;
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use courtdeck_audit::CustodyEvent;
use courtdeck_core::ErrorCode;

/// One audit record outside a running kiosk (CLI commands that change the store's set-up). A record that
/// cannot be written is an error: these commands must not happen unrecorded.
pub(crate) fn audit_once(
    config: &Config,
    case: Option<&str>,
    event: CustodyEvent,
) -> ApiResult<()> {
    courtdeck_audit::AuditLog::open(&config.audit_file())
        .and_then(|log| log.record(case, &event))
        .map_err(|e| {
            let event = event.name();
            tracing::error!("audit record {event} lost: {e}");
            ApiError::new(
                ErrorCode::AuditUnavailable,
                format!("custody log unavailable: {e}; {event} was not recorded"),
            )
        })
}

/// A screen as the custody log names it: its id, its label and its role.
pub(crate) fn screen_shown(s: &courtdeck_core::Screen) -> courtdeck_audit::ScreenShown {
    courtdeck_audit::ScreenShown {
        screen: s.id.to_string(),
        label: Some(s.label.clone()),
        role: s.role.as_str().into(),
    }
}

/// Strokes of the telestrator as the custody log records them.
pub(crate) fn stroke_records(
    strokes: &[courtdeck_core::annotation::Stroke],
) -> Vec<courtdeck_audit::StrokeRecord> {
    strokes
        .iter()
        .map(|s| courtdeck_audit::StrokeRecord {
            tool: s.tool().as_str().into(),
            points: s.points().iter().map(|&(x, y)| [x, y]).collect(),
        })
        .collect()
}

/// Opens the custody log before a change that must be recorded, so a log that cannot be written stops
/// the change instead of losing its record.
pub(crate) fn custody_open(config: &Config) -> ApiResult<()> {
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

impl Courtdeck {
    /// Appends to the audit log; a failure is logged, never allowed to stop the hearing. Records made
    /// while a hearing is open carry its `case` (so `courtdeck audit export --case` finds them).
    pub(crate) fn audit(&self, event: CustodyEvent) {
        let case = self.audit_case.lock().expect("not poisoned").clone();
        self.audit_for(case.as_deref(), event);
    }

    /// Appends a record about `case` (a fetch, a cached copy), whichever hearing is open.
    pub(crate) fn audit_for(&self, case: Option<&str>, event: CustodyEvent) {
        let mut state = self.audit.lock().unwrap_or_else(|p| p.into_inner());
        if state.log.is_none() {
            // Perhaps the clerk has dealt with it (space freed, permissions fixed): try again.
            match courtdeck_audit::AuditLog::open(&self.config.audit_file()) {
                Ok(log) => state.log = Some(log),
                Err(e) => state.problem = Some(e.to_string()),
            }
        }
        let result = match &state.log {
            Some(log) => log.record(case, &event),
            None => {
                state.lost += 1;
                let event = event.name();
                tracing::error!("audit record {event} lost: the custody log is unavailable");
                return;
            }
        };
        if let Err(e) = result {
            let event = event.name();
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

    /// Records a cached copy found rotted and set aside.
    pub(crate) fn audit_corrupt(
        &self,
        case_id: &str,
        reference: &courtdeck_core::ExhibitRef,
        blob: &dyn courtdeck_store::Blob,
        c: &courtdeck_store::CorruptCopy,
    ) {
        self.audit_for(
            Some(case_id),
            CustodyEvent::CacheCorrupt {
                exhibit: reference.to_string(),
                blob: blob.what(),
                sha256: blob.sha256().to_hex(),
                actual_sha256: c.actual_sha256.clone(),
                bytes: c.bytes,
                quarantined_to: c.quarantined_to.display().to_string(),
            },
        );
    }
}
