//! The week ahead: lists arrive days early (CaTH publishes them), so the clerk sees the next days'
//! hearings with each one's evidence fetched, verified and inspected on this kiosk, and a printable
//! readiness report per hearing (what will play, what will not and why) to send to the advocates
//! before the day. Each exhibit is judged exactly as the setup check judges today's
//! (`exhibit_verdict`).

use std::path::{Path, PathBuf};

use courtdeck_core::ErrorCode;

use crate::Courtdeck;
use crate::error::{ApiError, ApiResult};
use crate::json::{CheckStatus, DayAheadDto, ExhibitReadinessDto, HearingAheadDto, WeekAheadDto};

/// Days the week ahead covers at most.
pub const MAX_DAYS: u32 = 14;

impl Courtdeck {
    /// This courtroom's next `days` days (today first), every listed hearing's exhibits judged as
    /// the setup check judges today's. With `prepare`, each hearing's evidence is fetched and
    /// verified first (recorded in the custody log as any fetch is); without, what is already on
    /// this kiosk is judged as it is.
    pub async fn week_ahead(&self, days: u32, prepare: bool) -> ApiResult<WeekAheadDto> {
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                format!("the week ahead covers 1 to {MAX_DAYS} days, not {days}"),
            ));
        }
        if prepare {
            self.require_custody()?;
        }
        let first = crate::today();
        let mut out = Vec::new();
        let mut court_name = self.config.court.clone();
        for n in 0..days {
            let date = first
                .checked_add(jiff::Span::new().days(i64::from(n)))
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
            let list = self.court_list(date).await?;
            court_name = list.court_name.clone();
            let mut hearings = Vec::new();
            for h in &list.hearings {
                hearings.push(self.hearing_ahead(h, prepare).await?);
            }
            out.push(DayAheadDto {
                date: date.to_string(),
                weekday: date.strftime("%A").to_string(),
                store: list.store.problem.clone(),
                hearings,
            });
        }
        Ok(WeekAheadDto {
            court: self.config.court.clone(),
            court_name,
            kiosk: self.config.kiosk_id.clone(),
            made_at: jiff::Timestamp::now()
                .to_zoned(crate::court_time_zone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            days: out,
        })
    }

    async fn hearing_ahead(
        &self,
        h: &crate::json::HearingCardDto,
        prepare: bool,
    ) -> ApiResult<HearingAheadDto> {
        let mut problem = h.problem.clone();
        let mut exhibits = Vec::new();
        if problem.is_none() {
            let manifest = if prepare {
                self.fetch_case(&h.case_id, false).await.map(|(m, _)| m)
            } else {
                let case = crate::listing::parse_case(&h.case_id)?;
                let trust = self.trust.clone();
                self.blocking(move |store, cache| {
                    crate::listing::load_manifest(store.as_ref(), &cache, &trust, &case)
                })
                .await?
                .map_err(ApiError::from)
            };
            match manifest {
                Ok(m) => {
                    for e in m.exhibits() {
                        let (status, detail) = self.exhibit_verdict(&h.case_id, e).await?;
                        exhibits.push(ExhibitReadinessDto {
                            reference: e.reference.to_string(),
                            title: e.title.clone(),
                            kind: e.kind.as_str(),
                            restriction: e.restriction.as_str(),
                            status,
                            detail,
                        });
                    }
                }
                Err(e) => problem = Some(e),
            }
        }
        let will_play = exhibits
            .iter()
            .filter(|e| e.status != CheckStatus::Fail)
            .count();
        Ok(HearingAheadDto {
            time: h.time.clone(),
            case_id: h.case_id.clone(),
            title: h.title.clone(),
            hearing_type: h.hearing_type.clone(),
            reporting_restriction: h.reporting_restriction.clone(),
            will_play,
            will_not: exhibits.len() - will_play,
            problem,
            exhibits,
        })
    }

    /// Writes the readiness report of the hearing of `case_id` on `date` (from `week`) into
    /// `dir` as a self-contained, printable HTML page; returns its path.
    pub fn write_readiness_report(
        week: &WeekAheadDto,
        date: &str,
        case_id: &str,
        dir: &Path,
    ) -> ApiResult<PathBuf> {
        let (day, hearing) = week
            .days
            .iter()
            .filter(|d| d.date == date)
            .flat_map(|d| d.hearings.iter().map(move |h| (d, h)))
            .find(|(_, h)| h.case_id == case_id)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("no hearing of case {case_id} is listed on {date}"),
                )
            })?;
        let case = crate::listing::parse_case(case_id)?;
        let path = dir.join(format!("readiness-{date}-{case}.html"));
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, readiness_html(week, day, hearing)))
            .map_err(|e| crate::publish::io_error(format!("writing {}", path.display()), e))?;
        Ok(path)
    }

    /// The week ahead with its reports written for every hearing into the configured reports
    /// folder: for the surface's "Save reports".
    pub async fn save_week_reports(&self, days: u32) -> ApiResult<Vec<String>> {
        let week = self.week_ahead(days, false).await?;
        let dir = self.config.reports_dir();
        let mut written = Vec::new();
        for d in &week.days {
            for h in &d.hearings {
                written.push(
                    Courtdeck::write_readiness_report(&week, &d.date, &h.case_id, &dir)?
                        .display()
                        .to_string(),
                );
            }
        }
        Ok(written)
    }
}

fn esc(s: &str) -> String {
    courtdeck_audit::html_escape(s)
}

/// One hearing's readiness as a page to print or send: what will play, what will not and why.
pub fn readiness_html(week: &WeekAheadDto, day: &DayAheadDto, h: &HearingAheadDto) -> String {
    let mut rows = String::new();
    for e in &h.exhibits {
        let (class, verdict) = match e.status {
            CheckStatus::Fail => ("bad", "will not play"),
            CheckStatus::Warn => ("warn", "will play (see note)"),
            CheckStatus::Pass => ("ok", "will play"),
        };
        rows.push_str(&format!(
            "<tr><td class=\"ref\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{verdict}</td><td>{}</td></tr>\n",
            esc(&e.reference),
            esc(&e.title),
            esc(e.kind),
            match e.restriction {
                "bench_only" => "the bench only",
                "no_public" => "not the public gallery",
                _ => "every screen",
            },
            esc(&e.detail)
        ));
    }
    let summary = match &h.problem {
        Some(p) => format!(
            "<p class=\"bad\">The evidence for this hearing cannot be read on this kiosk: {}</p>",
            esc(&p.message)
        ),
        None if h.exhibits.is_empty() => "<p>No exhibits.</p>".to_owned(),
        None if h.will_not == 0 => format!(
            "<p class=\"ok\">All {} exhibits will play.</p>",
            h.exhibits.len()
        ),
        None => format!(
            "<p class=\"bad\">{} of {} exhibits will not play. Reasons below; please supply playable copies before the hearing.</p>",
            h.will_not,
            h.exhibits.len()
        ),
    };
    let banner = match h.reporting_restriction.as_deref() {
        None => String::new(),
        Some("") => "<p class=\"rr\">Reporting restrictions apply.</p>".into(),
        Some(d) => format!(
            "<p class=\"rr\">Reporting restrictions apply: {}</p>",
            esc(d)
        ),
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Evidence readiness: {title} ({case}), {date}</title>
<style>
body {{ font: 11pt/1.4 sans-serif; margin: 2em; color: #111; }}
h1 {{ font-size: 16pt; margin: 0 0 .3em; }}
table {{ border-collapse: collapse; width: 100%; margin-top: 1em; }}
th, td {{ border: 1px solid #999; padding: .3em .5em; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
.ref {{ font-weight: bold; white-space: nowrap; }}
.ok {{ color: #05631b; font-weight: bold; }} .bad {{ color: #a00; font-weight: bold; }} .warn {{ color: #8a5a00; font-weight: bold; }}
.rr {{ border: 2px solid #8a5a00; padding: .4em; font-weight: bold; }}
.meta {{ color: #444; }}
</style></head><body>
<h1>Evidence readiness: {title}</h1>
<p class="meta">{court} &middot; {weekday} {date} at {time} &middot; {hearing_type} &middot; case {case}</p>
{banner}{summary}
<table><thead><tr><th>Exhibit</th><th>Title</th><th>Kind</th><th>Shown to</th><th>On the day</th><th>Why</th></tr></thead>
<tbody>
{rows}</tbody></table>
<p class="meta">Checked on kiosk {kiosk} at {made_at} (Europe/London): each exhibit's bytes hashed against its manifest and opened by the playout that will show it in court.</p>
</body></html>
"#,
        title = esc(&h.title),
        case = esc(&h.case_id),
        date = esc(&day.date),
        weekday = esc(&day.weekday),
        time = esc(&h.time),
        hearing_type = esc(&h.hearing_type),
        court = esc(&week.court_name),
        kiosk = esc(&week.kiosk),
        made_at = esc(&week.made_at),
    )
}
