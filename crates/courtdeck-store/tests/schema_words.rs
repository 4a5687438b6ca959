//! The store's published JSON Schemas (`docs/schema/`) list the words a kiosk accepts for a kind, a
//! restriction, a stroke's tool and a copy's role. They must be the core's own lists: a kind or a
//! restriction added in Rust fails here until the schemas that publishers validate against say so.

use std::path::Path;

use courtdeck_core::annotation::Tool;
use courtdeck_core::{CopyRole, ExhibitKind, Restriction};

/// Every `enum` in `schema`, with the name of the property it constrains.
fn enums(value: &serde_json::Value, property: &str, out: &mut Vec<(String, Vec<String>)>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Array(words)) = map.get("enum") {
                let words = words
                    .iter()
                    .filter_map(|w| w.as_str().map(str::to_owned))
                    .collect();
                out.push((property.to_owned(), words));
            }
            for (key, v) in map {
                let next = if key == "properties" || key == "items" || key.starts_with('$') {
                    property
                } else {
                    key.as_str()
                };
                enums(v, next, out);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                enums(v, property, out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_schemas_words_are_the_cores() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema");
    let expected = |property: &str| -> Option<Vec<String>> {
        let words: Vec<&str> = match property {
            "kind" => ExhibitKind::ALL.map(ExhibitKind::as_str).to_vec(),
            "restriction" => Restriction::ALL.map(Restriction::as_str).to_vec(),
            "tool" => Tool::ALL.map(Tool::as_str).to_vec(),
            "copy" => CopyRole::ALL.map(CopyRole::as_str).to_vec(),
            _ => return None,
        };
        Some(words.into_iter().map(str::to_owned).collect())
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let schema: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut found = Vec::new();
        enums(&schema, "", &mut found);
        for (property, words) in found {
            if let Some(want) = expected(&property) {
                assert_eq!(words, want, "{} `{property}`", path.display());
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 3,
        "the manifest schema's kind and restrictions were found"
    );
    println!("{checked} word lists checked");
}
