//! `courtdeck audit export --case ID`: a case's records as CSV (for spreadsheets) and HTML (to print or
//! attach), each headed by whether the log's hash chain verified. Rendering is pure; `export` reads.

use std::path::Path;

use crate::{AuditError, verify};

/// One record, flattened for a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub seq: u64,
    pub time: String,
    pub event: String,
    pub exhibit: String,
    pub sha256: String,
    pub screens: String,
    /// The other fields, `key=value; …`.
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseExport {
    pub case: String,
    pub log: String,
    /// `Ok(records, last hash)` when the whole chain verified, else the first problem.
    pub chain: Result<(u64, String), String>,
    pub rows: Vec<Row>,
}

/// Reads the log at `path` and picks the records whose `fields.case` is `case`. A broken chain does not
/// stop the export (the court may need what is there); the report says so at the top.
pub fn export(path: &Path, case: &str) -> Result<CaseExport, AuditError> {
    let chain = match verify(path) {
        Ok(r) => Ok((r.records, r.last_hash)),
        Err(AuditError::Broken { line, reason, .. }) => Err(format!("line {line}: {reason}")),
        Err(e) => return Err(e),
    };
    let text = std::fs::read_to_string(path).map_err(|source| AuditError::Io {
        path: path.to_owned(),
        source,
    })?;
    let rows = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["case"].as_str() == Some(case))
        .map(|v| row(&v))
        .collect();
    Ok(CaseExport {
        case: case.to_owned(),
        log: path.display().to_string(),
        chain,
        rows,
    })
}

fn row(v: &serde_json::Value) -> Row {
    let fields = v["fields"].as_object().cloned().unwrap_or_default();
    let text = |key: &str| match fields.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|x| match (x.as_str(), x["screen"].as_str()) {
                (Some(s), _) => s.to_owned(),
                // A screen with its role, as the facade records presentations.
                (None, Some(screen)) => match x["role"].as_str() {
                    Some(role) => format!("{screen} ({role})"),
                    None => screen.to_owned(),
                },
                _ => x.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let details = fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "case" | "exhibit" | "sha256" | "screens"))
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join("; ");
    Row {
        seq: v["seq"].as_u64().unwrap_or(0),
        time: v["ts"].as_str().unwrap_or_default().to_owned(),
        event: v["event"].as_str().unwrap_or_default().to_owned(),
        exhibit: text("exhibit"),
        sha256: text("sha256"),
        screens: text("screens"),
        details,
    }
}

fn chain_line(e: &CaseExport) -> String {
    match &e.chain {
        Ok((n, hash)) => format!("hash chain verified: {n} records, last hash {hash}"),
        Err(why) => format!("HASH CHAIN BROKEN at {why}"),
    }
}

/// RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with `'`.
pub fn to_csv(e: &CaseExport) -> String {
    fn cell(s: &str) -> String {
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_owned()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    }
    let mut out = format!(
        "# Courtdeck audit export for case {}; {}; log {}\r\n",
        e.case,
        chain_line(e),
        e.log
    );
    out.push_str("seq,time,event,exhibit,sha256,screens,details\r\n");
    for r in &e.rows {
        let cells = [
            r.seq.to_string(),
            r.time.clone(),
            r.event.clone(),
            r.exhibit.clone(),
            r.sha256.clone(),
            r.screens.clone(),
            r.details.clone(),
        ];
        out.push_str(&cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// Text for HTML element content and attribute values: `& < > " '` escaped.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A self-contained page (no scripts, no remote content), printable.
pub fn to_html(e: &CaseExport) -> String {
    let mut rows = String::new();
    for r in &e.rows {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"hash\">{}</td><td>{}</td><td>{}</td></tr>\n",
            r.seq,
            html_escape(&r.time),
            html_escape(&r.event),
            html_escape(&r.exhibit),
            html_escape(&r.sha256),
            html_escape(&r.screens),
            html_escape(&r.details)
        ));
    }
    let status_class = if e.chain.is_ok() { "ok" } else { "bad" };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Courtdeck audit: case {case}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
th, td {{ border: 1px solid #999; padding: 4px 6px; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
.hash {{ font-family: monospace; font-size: 0.8em; word-break: break-all; }}
.ok {{ color: #060; }} .bad {{ color: #a00; font-weight: bold; }}
</style></head>
<body>
<h1>Courtdeck audit record: case {case}</h1>
<p class="{status_class}">{chain}</p>
<p>Log: {log}. {n} records for this case.</p>
<table>
<thead><tr><th>#</th><th>Time (UTC)</th><th>Event</th><th>Exhibit</th><th>SHA-256</th><th>Screens</th><th>Details</th></tr></thead>
<tbody>
{rows}</tbody>
</table>
</body></html>
"#,
        case = html_escape(&e.case),
        chain = html_escape(&chain_line(e)),
        log = html_escape(&e.log),
        n = e.rows.len(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::AuditLog;

    #[test]
    fn exports_one_case_as_csv_and_html_with_the_chain_status() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        log.record(
            None,
            &crate::CustodyEvent::AppStart {
                kiosk_id: "k1".into(),
                court: "1".into(),
                store: "demo".into(),
                version: "0".into(),
            },
        )
        .unwrap();
        // Records as an earlier version wrote them (screens as bare names).
        log.record_untyped(
            "exhibit_presented",
            json!({"case": "JS-1", "exhibit": "JS/1", "sha256": "ab12", "screens": ["bench", "public"], "restriction": "open"}),
        )
        .unwrap();
        log.record_untyped(
            "exhibit_presented",
            json!({"case": "OTHER", "exhibit": "O/1"}),
        )
        .unwrap();
        log.record_untyped(
            "clip_played",
            json!({"case": "JS-1", "clip": "=HYPERLINK(\"x\"), <b>", "start_ms": 4000}),
        )
        .unwrap();
        drop(log);

        let e = export(&path, "JS-1").unwrap();
        assert_eq!(e.rows.len(), 2);
        assert_eq!(e.rows[0].screens, "bench public");
        assert!(e.chain.is_ok());
        let csv = to_csv(&e);
        assert!(csv.contains("hash chain verified: 4 records"), "{csv}");
        assert!(!csv.contains("O/1"));
        // Quotes doubled, the cell quoted for its comma.
        assert!(
            csv.contains(r#","clip==HYPERLINK(""x""), <b>; start_ms=4000""#),
            "{csv}"
        );
        let html = to_html(&e);
        assert!(
            html.contains("&lt;b&gt;") && !html.contains("<b>"),
            "{html}"
        );
        assert!(html.contains("class=\"ok\""));

        // Edit one byte of the second line: the export still lists the records but says the chain broke.
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replacen("JS/1", "JS/9", 1);
        std::fs::write(&path, text).unwrap();
        let e = export(&path, "JS-1").unwrap();
        assert!(
            matches!(&e.chain, Err(why) if why.starts_with("line 2")),
            "{:?}",
            e.chain
        );
        assert!(to_html(&e).contains("HASH CHAIN BROKEN at line 2"));
    }

    #[test]
    fn csv_cells_that_look_like_formulas_are_defused() {
        let e = CaseExport {
            case: "C".into(),
            log: "l".into(),
            chain: Ok((1, "h".into())),
            rows: vec![Row {
                seq: 1,
                time: "t".into(),
                event: "=cmd|' /C calc'!A0".into(),
                exhibit: "a,b".into(),
                sha256: String::new(),
                screens: String::new(),
                details: "say \"hi\"".into(),
            }],
        };
        let csv = to_csv(&e);
        let line = csv.lines().nth(2).unwrap();
        assert_eq!(line, r#"1,t,'=cmd|' /C calc'!A0,"a,b",,,"say ""hi""""#);
    }
}
