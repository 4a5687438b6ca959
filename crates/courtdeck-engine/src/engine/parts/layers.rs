//! The parts' layering, checked from their source: no part names the `Engine`, its messages or its
//! `impl Engine` modules, and each imports only the parts before it in `ORDER` (so there is no
//! import circle). `cargo test -p courtdeck-engine --lib layers -- --nocapture` prints the imports.

use std::collections::BTreeSet;
use std::path::Path;

/// The parts from the leaf up: each may import only those before it.
const ORDER: [&str; 11] = [
    "base", "link", "annotate", "slate", "document", "captions", "live", "beside", "graph",
    "output", "program",
];

/// The modules above the parts (`impl Engine`, the loop) that a part's `super::` could name. (The
/// engine's own `captions` and `beside` share their part's name; `super::` from a part can only
/// reach the part, and naming the engine's needs `super::super`, which is refused below.)
const ABOVE: [&str; 6] = [
    "build",
    "transport",
    "lifecycle",
    "outputs",
    "slates",
    "test_card",
];

/// The parts `source` imports (`super::x` within `parts`), outside comments.
fn imports(source: &str) -> BTreeSet<String> {
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("super::") {
        let rest = &code[i + "super::".len()..];
        let mut names = Vec::new();
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            names.extend(
                group
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or("")),
            );
        } else {
            names.push(
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or(""),
            );
        }
        for n in names {
            if !n.is_empty() && n != "*" {
                found.insert(n.to_owned());
            }
        }
    }
    found
}

#[test]
fn parts_import_only_the_parts_below_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine/parts");
    let mut on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    on_disk.remove("mod");
    on_disk.remove("layers");
    let ordered: BTreeSet<String> = ORDER.iter().map(|s| s.to_string()).collect();
    assert_eq!(on_disk, ordered, "every part has its place in ORDER");
    for (rank, part) in ORDER.iter().enumerate() {
        let source = std::fs::read_to_string(dir.join(format!("{part}.rs"))).unwrap();
        for word in ["Engine", "Msg", "crate::engine::", "super::super"] {
            let named = source
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| {
                    l.match_indices(word).any(|(i, _)| {
                        let before = l[..i].chars().last();
                        let after = l[i + word.len()..].chars().next();
                        // `base64::Engine` is another crate's.
                        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    })
                });
            assert!(
                !named,
                "parts/{part}.rs names {word}: the parts never see the engine"
            );
        }
        let below: BTreeSet<&str> = ORDER[..rank].iter().copied().collect();
        let imported = imports(&source);
        for i in &imported {
            assert!(
                !ABOVE.contains(&i.as_str()),
                "parts/{part}.rs imports {i}, a module above the parts"
            );
            // `super::*` in a test module, `self`, and the parts' own items are not other parts.
            if ORDER.contains(&i.as_str()) {
                assert!(
                    below.contains(i.as_str()),
                    "parts/{part}.rs imports {i}, which is not below it in ORDER: an import circle"
                );
            }
        }
        let parts: Vec<&String> = imported
            .iter()
            .filter(|i| ORDER.contains(&i.as_str()))
            .collect();
        println!("{part:>9} imports {parts:?}");
    }
}
