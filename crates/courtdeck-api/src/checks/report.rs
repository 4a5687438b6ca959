//! The report as a page to print or keep.

use courtdeck_audit::html_escape;

use crate::json::CheckReportDto;

/// The report as a self-contained page (no scripts, no remote content).
pub fn report_html(r: &CheckReportDto) -> String {
    let rows: String = r
        .checks
        .iter()
        .map(|c| {
            format!(
                "<tr class=\"{s}\"><td>{s}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                html_escape(&c.title),
                html_escape(&c.detail),
                c.ms,
                s = c.status.as_str()
            )
        })
        .collect();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Courtdeck setup check {time}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #999;padding:4px 6px;text-align:left;vertical-align:top}}
.pass td:first-child{{color:#060}}.warn td:first-child{{color:#a60}}.fail td:first-child{{color:#a00;font-weight:bold}}</style>
</head><body><h1>Setup check: {overall}</h1>
<p>{court}, kiosk {kiosk}, {time}, {secs:.1} s.</p>
<table><thead><tr><th>Result</th><th>Check</th><th>Detail</th><th>ms</th></tr></thead><tbody>
{rows}</tbody></table></body></html>
"#,
        overall = r.overall.as_str().to_uppercase(),
        court = html_escape(&r.court),
        kiosk = html_escape(&r.kiosk_id),
        time = html_escape(&r.time),
        secs = r.seconds,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{CheckDto, CheckStatus};

    #[test]
    fn the_worst_check_decides_and_html_is_escaped() {
        assert!(CheckStatus::Fail > CheckStatus::Warn && CheckStatus::Warn > CheckStatus::Pass);
        let r = CheckReportDto {
            time: "t".into(),
            court: "<c>".into(),
            kiosk_id: "k".into(),
            overall: CheckStatus::Fail,
            seconds: 1.0,
            checks: vec![CheckDto {
                id: "x".into(),
                title: "X".into(),
                status: CheckStatus::Fail,
                detail: "<script>".into(),
                ms: 1,
            }],
            json_path: None,
            html_path: None,
        };
        let html = report_html(&r);
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("Setup check: FAIL"));
    }
}
