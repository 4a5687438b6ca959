//! The custody (audit) log as the facade writes it: every record, the problem banner when a record
//! cannot be written, and refusing to present when custody cannot be kept.

use crate::Courtdeck;
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use courtdeck_core::ErrorCode;

/// One audit record outside a running kiosk (CLI commands that change the store's set-up). A record that
/// cannot be written is an error: these commands must not happen unrecorded.
pub(crate) fn audit_once(config: &Config, event: &str, fields: serde_json::Value) -> ApiResult<()> {
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
    pub(crate) fn audit(&self, event: &str, mut fields: serde_json::Value) {
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

    /// Records a cached copy found rotted and set aside.
    pub(crate) fn audit_corrupt(
        &self,
        case_id: &str,
        reference: &courtdeck_core::ExhibitRef,
        blob: &dyn courtdeck_store::Blob,
        c: &courtdeck_store::CorruptCopy,
    ) {
        self.audit(
            "cache_corrupt",
            serde_json::json!({
                "case": case_id,
                "exhibit": reference.to_string(),
                "blob": blob.what(),
                "sha256": blob.sha256().to_hex(),
                "actual_sha256": c.actual_sha256,
                "bytes": c.bytes,
                "quarantined_to": c.quarantined_to.display().to_string(),
            }),
        );
    }
}
