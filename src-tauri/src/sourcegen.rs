//! What crosses the IPC line, generated from this crate (in the manner of rust-analyzer's `sourcegen`
//! tests, as `courtdeck-api`'s `ts_bindings` does for the DTOs):
//! - `capabilities/default.json`: the control surface's grant, exactly the declared commands (and
//!   listening to events);
//! - `ui/src/lib/generated/commands.ts`: every command's arguments (camelCase, as Tauri names them)
//!   and result, read from the signatures in `commands.rs`, so `ui/src/lib/api.ts` calls them through
//!   one typed `call` and a changed signature fails the UI's type check.
//!
//! The tests fail while a committed copy differs; `UPDATE_GENERATED=1 cargo test -p courtdeck-app
//! sourcegen` rewrites them.

use std::path::{Path, PathBuf};

macro_rules! names {
    ($($command:ident),*) => {
        vec![$(stringify!($command)),*]
    };
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

/// Compares `generated` with the committed file (rewriting it under `UPDATE_GENERATED`).
fn check(path: &Path, generated: &str) {
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(path, generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale. Run `UPDATE_GENERATED=1 cargo test -p courtdeck-app sourcegen` and commit the result.",
        path.display()
    );
}

fn declared() -> Vec<&'static str> {
    app_commands!(names)
}

#[test]
fn sourcegen_capability() {
    let mut permissions: Vec<String> = declared()
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    permissions.push("core:event:allow-listen".into());
    permissions.push("core:event:allow-unlisten".into());
    let capability = serde_json::json!({
        "$schema": "../gen/schemas/desktop-schema.json",
        "identifier": "control-surface",
        "description": "Generated from src-tauri/src/command_list.rs (UPDATE_GENERATED=1 cargo test -p courtdeck-app sourcegen). The control surface may call Courtdeck's own commands and listen to its events. Nothing else: no filesystem, shell, HTTP or window plugins.",
        "windows": ["main"],
        "permissions": permissions,
    });
    let text = serde_json::to_string_pretty(&capability).unwrap() + "\n";
    check(&root().join("capabilities/default.json"), &text);
}

/// One command's signature as `commands.rs` writes it.
#[derive(Debug)]
struct Signature {
    name: String,
    doc: String,
    args: Vec<(String, String)>,
    returns: String,
}

fn signatures() -> Vec<Signature> {
    let source = std::fs::read_to_string(root().join("src/commands.rs")).unwrap();
    let mut out = Vec::new();
    let mut doc = Vec::new();
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if let Some(d) = line.strip_prefix("///") {
            doc.push(d.trim().to_owned());
            continue;
        }
        if !line.starts_with("pub async fn ") {
            if !line.starts_with("#[") {
                doc.clear();
            }
            continue;
        }
        // The whole signature, up to the body's `{`.
        let mut sig = line.to_owned();
        while !sig.ends_with('{') {
            sig.push(' ');
            sig.push_str(lines.next().expect("a signature ends with `{`").trim());
        }
        let name = sig["pub async fn ".len()..sig.find('(').unwrap()].to_owned();
        let params = &sig[sig.find('(').unwrap() + 1..sig.rfind(") ->").unwrap()];
        let returns = sig[sig
            .rfind("-> ApiResult<")
            .expect("commands return ApiResult")
            + 13..sig.rfind('>').unwrap()]
            .to_owned();
        let args = split_top(params)
            .into_iter()
            .filter(|p| !p.starts_with("deck:"))
            .map(|p| {
                let (n, t) = p.split_once(':').unwrap();
                (n.trim().to_owned(), t.trim().to_owned())
            })
            .collect();
        out.push(Signature {
            name,
            doc: doc.join(" "),
            args,
            returns,
        });
        doc.clear();
    }
    out
}

/// Splits `a: T, b: Vec<(X, Y)>` at its top-level commas.
fn split_top(s: &str) -> Vec<String> {
    let (mut parts, mut depth, mut cur) = (Vec::new(), 0i32, String::new());
    for c in s.chars() {
        match c {
            '<' | '[' | '(' => depth += 1,
            '>' | ']' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur).trim().to_owned());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        parts.push(cur.trim().to_owned());
    }
    parts
}

/// A Rust type of a command's signature, as the surface sees it in JSON.
fn ts_type(rust: &str) -> String {
    let rust = rust.trim();
    if let Some(inner) = rust.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')) {
        let inner = ts_type(inner);
        return match inner.contains(' ') {
            true => format!("({inner})[]"),
            false => format!("{inner}[]"),
        };
    }
    if let Some(inner) = rust
        .strip_prefix("Option<")
        .and_then(|r| r.strip_suffix('>'))
    {
        return format!("{} | null", ts_type(inner));
    }
    if let Some(inner) = rust.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let (t, n) = inner.split_once(';').unwrap();
        let n: usize = n.trim().parse().unwrap();
        return format!("[{}]", vec![ts_type(t); n].join(", "));
    }
    match rust {
        "String" => "string".into(),
        "bool" => "boolean".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" | "f64" => "number".into(),
        "()" => "null".into(),
        // Named words the facade parses (`commands.rs` says which by its alias).
        "ZoomStepName" => "ZoomStep".into(),
        dto if dto.ends_with("Dto") => dto.into(),
        other => panic!(
            "commands.rs: no TypeScript for the Rust type {other}: add it to sourcegen::ts_type"
        ),
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

#[test]
fn sourcegen_commands() {
    let sigs = signatures();
    let names: Vec<&str> = sigs.iter().map(|s| s.name.as_str()).collect();
    let mut declared = declared();
    declared.sort();
    let mut defined = names.clone();
    defined.sort();
    assert_eq!(
        defined, declared,
        "commands.rs defines exactly the commands command_list.rs declares"
    );
    let mut used = std::collections::BTreeSet::new();
    let mut body = String::new();
    for s in &sigs {
        let args: Vec<String> = s
            .args
            .iter()
            .map(|(n, t)| format!("{}: {}", camel(n), ts_type(t)))
            .collect();
        let returns = ts_type(&s.returns);
        for word in args.iter().map(String::as_str).chain([returns.as_str()]) {
            for w in word.split(|c: char| !c.is_alphanumeric()) {
                if w.ends_with("Dto") || w == "ZoomStep" {
                    used.insert(w.to_owned());
                }
            }
        }
        if !s.doc.is_empty() {
            body += &format!("  /** {} */\n", s.doc);
        }
        let args = match args.is_empty() {
            true => "Record<string, never>".to_owned(),
            false => format!("{{ {} }}", args.join("; ")),
        };
        body += &format!("  {}: {{ args: {args}; returns: {returns} }};\n", s.name);
    }
    let imports: Vec<String> = used.into_iter().collect();
    let text = format!(
        "// Generated from src-tauri/src/commands.rs by src-tauri/src/sourcegen.rs.\n\
         // Do not edit: change the commands, then run\n\
         //   UPDATE_GENERATED=1 cargo test -p courtdeck-app sourcegen\n\
         import type {{ {} }} from \"./dto\";\n\n\
         /** Every Tauri command of the control surface: its arguments (as Tauri names them) and result. */\n\
         export type Commands = {{\n{body}}};\n",
        imports.join(", ")
    );
    check(&root().join("../ui/src/lib/generated/commands.ts"), &text);
}
