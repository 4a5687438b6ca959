//! Source generation in the manner of rust-analyzer's `sourcegen` tests (as
//! `courtdeck-core/tests/sourcegen.rs` does for the error codes): `ui/src/lib/generated/dto.ts`, the
//! TypeScript the surface compiles against, is rendered from the DTOs of `json.rs` with ts-rs, and the
//! test fails while the committed copy differs.
//! `UPDATE_GENERATED=1 cargo test -p courtdeck-api --lib ts_bindings` rewrites it.
//!
//! ts-rs is a dev-dependency: the derives are `cfg_attr(test, …)`, so nothing of it is shipped.

use std::path::Path;

use ts_rs::{Config, TS};

use super::*;

/// `ApiError` serialises as `ErrorDto`, with its code as the wire spelling: the surface sees
/// `{ code: ErrorCode, message: string }`, `ErrorCode` being generated from `ErrorCode::ALL`.
impl TS for ApiError {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(_: &Config) -> String {
        "ApiError".into()
    }

    fn inline(_: &Config) -> String {
        "{ code: ErrorCode, message: string }".into()
    }

    fn decl(cfg: &Config) -> String {
        format!("type ApiError = {};", Self::inline(cfg))
    }
}

fn render() -> String {
    // JavaScript numbers hold every millisecond count and byte size the kiosk will see exactly
    // (up to 2^53), and the surface does arithmetic on them: `number`, not `bigint`.
    let cfg = Config::new().with_large_int("number");
    let decls = [
        ApiError::decl(&cfg),
        Language::decl(&cfg),
        StoreStatusDto::decl(&cfg),
        TodayDto::decl(&cfg),
        WeekAheadDto::decl(&cfg),
        DayAheadDto::decl(&cfg),
        HearingAheadDto::decl(&cfg),
        ExhibitReadinessDto::decl(&cfg),
        Readiness::decl(&cfg),
        HearingCardDto::decl(&cfg),
        ScreenDto::decl(&cfg),
        ClipDto::decl(&cfg),
        ExhibitDto::decl(&cfg),
        HearingDto::decl(&cfg),
        ProvenanceDto::decl(&cfg),
        DigestDto::decl(&cfg),
        OnAirDto::decl(&cfg),
        BesideDto::decl(&cfg),
        LiveOnAirDto::decl(&cfg),
        LiveSourceDto::decl(&cfg),
        ControlsDto::decl(&cfg),
        StrokeDto::decl(&cfg),
        PagePosterDto::decl(&cfg),
        TranscriptDto::decl(&cfg),
        CueDto::decl(&cfg),
        SoundDto::decl(&cfg),
        ScreenStateDto::decl(&cfg),
        PlayoutStatus::decl(&cfg),
        StageDto::decl(&cfg),
        UiEvent::decl(&cfg),
        CheckStatus::decl(&cfg),
        CheckDto::decl(&cfg),
        CheckReportDto::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from crates/courtdeck-api/src/json.rs by its `mod ts_bindings` (ts-rs).\n\
         // Do not edit: change the Rust types, then run\n\
         //   UPDATE_GENERATED=1 cargo test -p courtdeck-api --lib ts_bindings\n\
         import type { ErrorCode } from \"./error-codes\";\n",
    );
    // The words the surface branches on, from the core's own lists: a kind, restriction, role, tool
    // or zoom step added in Rust reaches the TypeScript type check with no copy kept by hand.
    use courtdeck_core::{
        CopyRole, ExhibitKind, OutputRole, Restriction, ZoomStep, annotation::Tool,
    };
    let unions = [
        ("Kind", ExhibitKind::ALL.map(ExhibitKind::as_str).to_vec()),
        (
            "Restriction",
            Restriction::ALL.map(Restriction::as_str).to_vec(),
        ),
        ("Role", OutputRole::ALL.map(OutputRole::as_str).to_vec()),
        ("CopyRole", CopyRole::ALL.map(CopyRole::as_str).to_vec()),
        ("Tool", Tool::ALL.map(Tool::as_str).to_vec()),
        (
            "ZoomStep",
            ZoomStep::NAMED.iter().filter_map(|z| z.name()).collect(),
        ),
        (
            "Slate",
            courtdeck_playout::protocol::Slate::ALL
                .map(courtdeck_playout::protocol::Slate::as_str)
                .to_vec(),
        ),
    ];
    for (name, words) in unions {
        let words: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
        out.push_str(&format!("\nexport type {name} = {};\n", words.join(" | ")));
    }
    for decl in decls {
        out.push('\n');
        out.push_str(&export(&decl));
        out.push('\n');
    }
    out
}

/// `type X = …;` as ts-rs writes it (after any JSDoc), exported and laid out one field a line.
fn export(decl: &str) -> String {
    let decl = match decl.find("\ntype ") {
        Some(i) => format!("{}\nexport {}", &decl[..i], &decl[i + 1..]),
        None => format!("export {decl}"),
    };
    layout(&decl)
}

/// ts-rs writes each type on one line with its fields' JSDoc in between. This breaks object types
/// after `{`, after each field's `,` and before `}`, indents by depth, and leaves strings, generic
/// arguments and comments whole: enough for a diff of this file to show which field changed.
fn layout(decl: &str) -> String {
    fn newline(out: &mut String, depth: usize) {
        while out.ends_with(' ') {
            out.pop();
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&"  ".repeat(depth));
    }
    let chars: Vec<char> = decl.chars().collect();
    let (mut out, mut depth, mut angle) = (String::new(), 0usize, 0usize);
    let (mut in_string, mut in_comment) = (false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        i += 1;
        if in_string {
            out.push(c);
            in_string = c != '"';
            continue;
        }
        if in_comment {
            if c == '\n' {
                newline(&mut out, depth);
                while chars.get(i) == Some(&' ') {
                    i += 1;
                }
                if chars.get(i) == Some(&'*') {
                    out.push(' ');
                }
                continue;
            }
            out.push(c);
            if c == '*' && next == Some('/') {
                out.push('/');
                i += 1;
                in_comment = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if next == Some('*') => {
                in_comment = true;
                out.push(c);
            }
            '<' => {
                angle += 1;
                out.push(c);
            }
            '>' => {
                angle -= 1;
                out.push(c);
            }
            '{' => {
                depth += 1;
                out.push(c);
                newline(&mut out, depth);
            }
            '}' => {
                depth -= 1;
                newline(&mut out, depth);
                out.push(c);
            }
            ',' if depth > 0 && angle == 0 => {
                out.push(c);
                newline(&mut out, depth);
            }
            '\n' => newline(&mut out, depth),
            ' ' if out.ends_with('\n') || out.ends_with("  ") => {}
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn dto_ts_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap();
    let path = root.join("ui/src/lib/generated/dto.ts");
    let want = render();
    let have = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    if have == want {
        return;
    }
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    panic!(
        "ui/src/lib/generated/dto.ts is not what json.rs generates.\n\
         Run `UPDATE_GENERATED=1 cargo test -p courtdeck-api --lib ts_bindings` and commit the result.\n\
         --- expected ---\n{want}"
    );
}
