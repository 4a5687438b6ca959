//! Source generation, in the manner of rust-analyzer's `sourcegen` tests: the TypeScript the control
//! surface compiles against is rendered from the Rust that defines it, and this test fails while the
//! committed copy differs from what it would write. A new `ErrorCode` therefore reaches the UI (and
//! fails its type check until both message catalogues name it) without anyone copying a list by hand.
//!
//! To rewrite the generated files after changing the Rust side:
//!
//! ```text
//! UPDATE_GENERATED=1 cargo test -p courtdeck-core --test sourcegen
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use courtdeck_core::ErrorCode;

/// The repository root, two levels above this crate.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/courtdeck-core sits two levels below the workspace root")
        .to_path_buf()
}

/// `ui/src/lib/generated/error-codes.ts`: the union of wire spellings and the same list as a value.
fn render_error_codes() -> String {
    let mut out = String::new();
    out.push_str(
        "// Generated from `courtdeck_core::ErrorCode::ALL` by crates/courtdeck-core/tests/sourcegen.rs.\n\
         // Do not edit: change the Rust enum, then run\n\
         //   UPDATE_GENERATED=1 cargo test -p courtdeck-core --test sourcegen\n\n",
    );
    out.push_str("/** A stable, machine-readable error code: the UI branches on it, never on message text. */\n");
    out.push_str("export type ErrorCode =\n");
    for code in ErrorCode::ALL {
        writeln!(out, "  | \"{}\"", code.as_str()).unwrap();
    }
    // The last member ends the type.
    out.pop();
    out.push_str(";\n\n");
    out.push_str("/** Every error code, in the order of `ErrorCode::ALL`. */\n");
    out.push_str("export const ERROR_CODES: readonly ErrorCode[] = [\n");
    for code in ErrorCode::ALL {
        writeln!(out, "  \"{}\",", code.as_str()).unwrap();
    }
    out.push_str("];\n");
    out
}

/// Fails (naming the file and the command to run) when `path` does not hold `contents`; rewrites it
/// instead when `UPDATE_GENERATED` is set.
fn ensure_file_contents(path: &Path, contents: &str) {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if normalize_newlines(&current) == contents {
        return;
    }
    let shown = path
        .strip_prefix(workspace_root())
        .unwrap_or(path)
        .display();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        eprintln!("rewrote {shown}");
        return;
    }
    panic!(
        "{shown} is not what the Rust source generates.\n\
         Run `UPDATE_GENERATED=1 cargo test -p courtdeck-core --test sourcegen` and commit the result.\n\
         --- expected ---\n{contents}"
    );
}

/// A checkout on Windows may have turned the file's newlines into CRLF; that is not a difference.
fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n")
}

#[test]
fn error_codes_ts_is_up_to_date() {
    let path = workspace_root().join("ui/src/lib/generated/error-codes.ts");
    ensure_file_contents(&path, &render_error_codes());
}

/// `ErrorCode::ALL` is written by hand beside the enum; a variant left out of it would silently miss the
/// UI. The variants are read from the source, as rust-analyzer's tidy tests read theirs.
#[test]
fn error_code_all_lists_every_variant() {
    let source =
        std::fs::read_to_string(workspace_root().join("crates/courtdeck-core/src/error.rs"))
            .unwrap();
    let body = source
        .split_once("pub enum ErrorCode {")
        .and_then(|(_, rest)| rest.split_once("\n}"))
        .expect("error.rs declares `pub enum ErrorCode { ... }`")
        .0;
    let variants: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with('#'))
        .map(|l| l.trim_end_matches(','))
        .collect();
    let listed: Vec<String> = ErrorCode::ALL.iter().map(|c| format!("{c:?}")).collect();
    assert_eq!(
        variants, listed,
        "ErrorCode::ALL must list every variant, in declaration order"
    );
}

#[test]
fn rendered_error_codes_name_every_code_once() {
    let text = render_error_codes();
    for code in ErrorCode::ALL {
        let quoted = format!("\"{}\"", code.as_str());
        // Once in the union, once in the array.
        assert_eq!(text.matches(&quoted).count(), 2, "{quoted} in\n{text}");
    }
}
