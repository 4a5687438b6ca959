use std::path::{Path, PathBuf};

use super::*;

fn logs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/logs");
    let mut logs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    logs.sort();
    assert!(!logs.is_empty(), "no logs in {}", dir.display());
    logs
}

/// Logs written by the kiosk and the publisher before the events were typed (the end-to-end, store
/// and playout-crash tests' own logs, kept in `tests/logs`) still verify, and every record in them
/// reads back as a `CustodyEvent` that writes the very same fields again (a null field and a missing
/// one being the same).
#[test]
fn logs_written_before_the_events_were_typed_read_back_as_events() {
    let mut names = std::collections::BTreeSet::new();
    let mut records = 0;
    for log in logs() {
        let report = crate::verify(&log).unwrap();
        assert!(report.records > 0, "{}", log.display());
        for (n, line) in std::fs::read_to_string(&log).unwrap().lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let name = v["event"].as_str().unwrap();
            let (case, event) = CustodyEvent::from_record(name, &v["fields"]).unwrap_or_else(|e| {
                panic!(
                    "{}:{}: {name} does not read as an event: {e}",
                    log.display(),
                    n + 1
                )
            });
            let (again, mut fields) = event.to_record(case.as_deref()).unwrap();
            assert_eq!(again, name);
            // A field written as null by one version and left out by another says the same.
            let mut want = v["fields"].clone();
            for f in [&mut want, &mut fields] {
                if let Some(m) = f.as_object_mut() {
                    m.retain(|_, x| !x.is_null());
                }
            }
            assert_eq!(fields, want, "{}:{}: {name}", log.display(), n + 1);
            names.insert(again);
            records += 1;
        }
    }
    // The kept logs hold most kinds of record: a new kind is typed here before it is written.
    assert!(names.len() >= 30, "{names:?}");
    println!("{records} records of {} kinds read back", names.len());
}

#[test]
fn an_unknown_event_or_a_field_of_the_wrong_type_is_an_error() {
    assert!(CustodyEvent::from_record("exhibit_teleported", &serde_json::json!({})).is_err());
    assert!(
        CustodyEvent::from_record("playout_restarted", &serde_json::json!({"pid": "x"})).is_err()
    );
    let (case, e) = CustodyEvent::from_record(
        "screen_blanked",
        &serde_json::json!({"case": "JS-1", "screen": "public"}),
    )
    .unwrap();
    assert_eq!(case.as_deref(), Some("JS-1"));
    assert_eq!(
        e,
        CustodyEvent::ScreenBlanked {
            screen: "public".into()
        }
    );
    assert_eq!(e.name(), "screen_blanked");
}

/// `docs/custody-events.md`, the list of every event and its fields, is generated from `CustodyEvent`.
/// `UPDATE_GENERATED=1 cargo test -p courtdeck-audit --lib custody_events_doc` rewrites it.
#[test]
fn custody_events_doc_is_up_to_date() {
    let generated = custody_events_doc();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/custody-events.md");
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale. Run `UPDATE_GENERATED=1 cargo test -p courtdeck-audit --lib custody_events_doc` and commit the result.",
        path.display()
    );
}

fn custody_events_doc() -> String {
    let schema = serde_json::to_value(schemars::schema_for!(CustodyEvent)).unwrap();
    let defs = schema["$defs"].clone();
    let resolve = |s: &serde_json::Value| -> serde_json::Value {
        match s["$ref"].as_str() {
            Some(r) => defs[r.trim_start_matches("#/$defs/")].clone(),
            None => s.clone(),
        }
    };
    let mut out = String::from(
        "<!-- Generated from crates/courtdeck-audit/src/event.rs by its test `custody_events_doc_is_up_to_date`.\n     \
         Do not edit: UPDATE_GENERATED=1 cargo test -p courtdeck-audit --lib custody_events_doc -->\n\
         # Custody events\n\n\
         Every record of the custody log (`audit.jsonl`, see ARCHITECTURE.md and `courtdeck audit`) is one of\n\
         these events: `{\"seq\":…,\"ts\":…,\"event\":\"<name>\",\"fields\":{…},\"prev\":…,\"hash\":…}`. A record made\n\
         while a hearing is open also has the hearing's `case` among its fields. A field marked *or null*\n\
         is `null`, or left out, when there is nothing to say.\n\n",
    );
    for variant in schema["oneOf"].as_array().unwrap() {
        let name = variant["properties"]["event"]["const"].as_str().unwrap();
        let fields = resolve(&variant["properties"]["fields"]);
        out += &format!("## `{name}`\n\n");
        let about = variant["description"]
            .as_str()
            .or(fields["description"].as_str())
            .unwrap_or("");
        out += &format!("{}\n\n", about.replace('\n', " "));
        let props = fields["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        if props.is_empty() {
            out += "No fields.\n\n";
            continue;
        }
        out += "| field | type | |\n|---|---|---|\n";
        for (field, s) in &props {
            let ty = type_name(s);
            let about = s["description"].as_str().unwrap_or("").replace('\n', " ");
            out += &format!("| `{field}` | {ty} | {about} |\n");
        }
        out += "\n";
        // Nested records: their fields, once per event that has them.
        for (field, s) in &props {
            let inner = match s["items"].is_object() {
                true => &s["items"],
                false => s,
            };
            let Some(r) = inner["$ref"]
                .as_str()
                .or(inner["anyOf"][0]["$ref"].as_str())
            else {
                continue;
            };
            let def = &defs[r.trim_start_matches("#/$defs/")];
            out += &format!("`{field}`: ");
            let parts: Vec<String> = def["properties"]
                .as_object()
                .map(|p| {
                    p.iter()
                        .map(|(k, v)| format!("`{k}` ({})", type_name(v)))
                        .collect()
                })
                .unwrap_or_default();
            out += &format!("{}.\n\n", parts.join(", "));
        }
    }
    out
}

fn type_name(s: &serde_json::Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        return format!("object ({})", r.trim_start_matches("#/$defs/"));
    }
    if let Some(any) = s["anyOf"].as_array() {
        let types: Vec<String> = any
            .iter()
            .filter(|x| x["type"] != "null")
            .map(type_name)
            .collect();
        return format!("{} or null", types.join(" or "));
    }
    let base = |t: &str| match t {
        "array" => format!("list of {}", type_name(&s["items"])),
        "object" if s["additionalProperties"].is_object() => {
            format!("map of text to {}", type_name(&s["additionalProperties"]))
        }
        "integer" => "whole number".into(),
        "number" => "number".into(),
        "boolean" => "true/false".into(),
        "string" => "text".into(),
        other => other.into(),
    };
    match &s["type"] {
        serde_json::Value::String(t) => base(t),
        serde_json::Value::Array(ts) => {
            let non_null: Vec<String> = ts
                .iter()
                .filter_map(|t| t.as_str())
                .filter(|t| *t != "null")
                .map(base)
                .collect();
            let nullable = ts.iter().any(|t| t == "null");
            format!(
                "{}{}",
                non_null.join(" or "),
                if nullable { " or null" } else { "" }
            )
        }
        _ if s["items"].is_object() || s.get("prefixItems").is_some() => "pair".into(),
        _ => "any".into(),
    }
}
