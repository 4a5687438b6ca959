//! Documents for the tests, written at test time by tools other than the renderer that shows them:
//! Ghostscript (`pdfwrite`, from PostScript written here) for text, vector drawing, a scanned-image
//! page, mixed page sizes and a 200-page bundle; qpdf for rotated and encrypted copies; and PDFs
//! written byte for byte for what no tool makes on purpose (JavaScript, a page 100,000 points wide,
//! an object nested 100,000 deep, a file cut short). Nothing binary is committed.
//!
//! Every page carries a **page mark**: eight squares along its top, black for a 1 bit, the page
//! number's binary digits from the left, so a test reading the framebuffer back knows which page is
//! on a screen (`read_page_mark`). Page 1 also has a black block at a known place (`BLOCK`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::corpus::Expect;
use courtdeck_engine::fixtures::make_once;
pub use courtdeck_engine::fixtures::page_mark::{MARK_LEFT, MARK_SIZE, MARK_STEP, MARK_TOP};

/// The black block on page 1 of the text documents: `(x, y, width, height)` in points from the
/// page's top-left corner.
pub const BLOCK: (f64, f64, f64, f64) = (100.0, 242.0, 200.0, 100.0);
// The page mark: `courtdeck_engine::fixtures::page_mark` (the demo statement carries it too).

pub const A4: (f64, f64) = (595.0, 842.0);
pub const A4_LANDSCAPE: (f64, f64) = (842.0, 595.0);
pub const LETTER: (f64, f64) = (612.0, 792.0);
pub const A3: (f64, f64) = (842.0, 1191.0);

/// One generated document.
#[derive(Debug, Clone)]
pub struct PdfFile {
    pub name: &'static str,
    pub path: PathBuf,
    /// Its pages' sizes in points as shown (after `/Rotate`), when it is a good document.
    pub pages: Vec<(f64, f64)>,
    pub expect: Expect,
}

/// Runs `program` with `args`, saying what to install when it is missing.
fn run(program: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running {program} (scripts/setup-system.sh installs it)"))?;
    if !out.status.success() {
        bail!(
            "{program} {} failed: {}\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Ghostscript's `pdfwrite` turning PostScript `ps` into the PDF `out`.
pub fn ps_to_pdf(ps: &str, out: &Path) -> Result<()> {
    let src = out.with_extension("ps");
    std::fs::write(&src, ps)?;
    let result = run(
        "gs",
        &[
            "-q",
            "-dSAFER",
            "-dNOPAUSE",
            "-dBATCH",
            "-sDEVICE=pdfwrite",
            &format!("-sOutputFile={}", out.display()),
            &src.display().to_string(),
        ],
    );
    let _ = std::fs::remove_file(&src);
    result
}

/// PostScript for one page of `size` with its page mark for `number` and a line of text; `extra`
/// is drawn too (in PostScript's own coordinates, from the bottom-left).
fn page(size: (f64, f64), number: u32, text: &str, extra: &str) -> String {
    let (w, h) = size;
    let mut ps = format!("<< /PageSize [{w} {h}] >> setpagedevice\n0 setgray\n");
    for bit in 0..8 {
        if number & (0x80 >> bit) != 0 {
            let x = MARK_LEFT + f64::from(bit) * MARK_STEP;
            let y = h - MARK_TOP - MARK_SIZE;
            let _ = writeln!(ps, "{x} {y} {MARK_SIZE} {MARK_SIZE} rectfill");
        }
    }
    let _ = writeln!(
        ps,
        "/Helvetica findfont 18 scalefont setfont 40 {} moveto ({text}) show",
        h - 120.0
    );
    ps.push_str(extra);
    ps.push_str("showpage\n");
    ps
}

/// `BLOCK` in PostScript on a page `h` high, and a vector drawing (a circle and a diagonal) below it.
fn block_and_drawing(h: f64) -> String {
    let (x, y, bw, bh) = BLOCK;
    format!(
        "0 setgray {x} {} {bw} {bh} rectfill\n3 setlinewidth 300 200 80 0 360 arc stroke\n60 100 moveto 540 300 lineto stroke\n",
        h - y - bh
    )
}

/// A "scanned" page: an 8-bit grey picture with paper noise and a dark box, filling the page.
fn scanned(number: u32) -> String {
    let (w, h) = (200usize, 283usize);
    let mut hex = String::with_capacity(w * h * 2 + h);
    let mut seed = 12345u32;
    for y in 0..h {
        for x in 0..w {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let noise = (seed >> 16) as u8 % 24;
            let v = if (40..120).contains(&x) && (60..100).contains(&y) {
                20 + noise / 2
            } else {
                220 + noise.min(35)
            };
            let _ = write!(hex, "{v:02x}");
        }
        hex.push('\n');
    }
    let (pw, ph) = A4;
    format!(
        "<< /PageSize [{pw} {ph}] >> setpagedevice\ngsave {pw} {ph} scale\n{w} {h} 8 [{w} 0 0 -{h} 0 {h}] {{currentfile {w} string readhexstring pop}} image\n{hex}grestore\n{}showpage\n",
        page(A4, number, "", "")
            .lines()
            .filter(|l| l.contains("rectfill"))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    )
}

/// A PDF written byte for byte from its objects (numbered from 1; object 1 is the catalog), with a
/// correct cross-reference table, so that only what it is meant to carry is hostile.
pub fn raw_pdf(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(table, "{off:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(table.as_bytes());
    out
}

/// A one-page document with `catalog_extra` in its catalog, `media_box` as its page's box and
/// `resources` as its page's resources.
fn one_page(catalog_extra: &str, media_box: &str, resources: &str, more: &[String]) -> Vec<u8> {
    let content = "0 g 100 500 200 100 re f";
    let mut objects = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>"),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox {media_box} /Contents 4 0 R /Resources {resources} >>"
        ),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ];
    objects.extend_from_slice(more);
    raw_pdf(&objects)
}

/// Every document of the corpus, generated into `dir` (files that exist are kept).
pub fn documents(dir: &Path) -> Result<Vec<PdfFile>> {
    std::fs::create_dir_all(dir)?;
    let write = |bytes: Vec<u8>| move |p: &Path| -> Result<()> { Ok(std::fs::write(p, bytes)?) };
    let mut files = Vec::new();

    // A statement: A4 text and vector drawing (page 1 with the block), then a landscape plan with a
    // red area, then US Letter and A3 pages.
    let statement = make_once(dir, "statement.pdf", None, |p| {
        let mut ps = String::from("%!PS\n");
        ps += &page(
            A4,
            1,
            "STATEMENT OF WITNESS (Criminal Justice Act 1967, s.9)",
            &block_and_drawing(A4.1),
        );
        ps += &page(
            A4_LANDSCAPE,
            2,
            "Plan of the scene",
            "1 0 0 setrgbcolor 0 0 421 297 rectfill\n",
        );
        ps += &page(LETTER, 3, "Continuation sheet (US Letter)", "");
        ps += &page(A3, 4, "Bank statement (A3)", "");
        ps_to_pdf(&ps, p)
    })?;
    files.push(PdfFile {
        name: "statement.pdf",
        path: statement.clone(),
        pages: vec![A4, A4_LANDSCAPE, LETTER, A3],
        expect: Expect::Plays,
    });

    // A 200-page phone-download report.
    let report = make_once(dir, "download-report.pdf", None, |p| {
        let mut ps = String::from("%!PS\n");
        for n in 1..=200 {
            ps += &page(
                A4,
                n,
                &format!("Message extraction report, page {n} of 200"),
                &if n == 1 {
                    block_and_drawing(A4.1)
                } else {
                    String::new()
                },
            );
        }
        ps_to_pdf(&ps, p)
    })?;
    files.push(PdfFile {
        name: "download-report.pdf",
        path: report,
        pages: vec![A4; 200],
        expect: Expect::Plays,
    });

    // Scanned pages: each page one picture (no text layer).
    let scan = make_once(dir, "scanned.pdf", None, |p| {
        ps_to_pdf(&format!("%!PS\n{}{}", scanned(1), scanned(2)), p)
    })?;
    files.push(PdfFile {
        name: "scanned.pdf",
        path: scan,
        pages: vec![A4; 2],
        expect: Expect::Plays,
    });

    // The statement with its first page turned a quarter clockwise (`/Rotate 90`, by qpdf).
    let rotated = make_once(dir, "rotated.pdf", None, |p| {
        run(
            "qpdf",
            &[
                "--rotate=+90:1",
                &statement.display().to_string(),
                &p.display().to_string(),
            ],
        )
    })?;
    files.push(PdfFile {
        name: "rotated.pdf",
        path: rotated,
        pages: vec![(A4.1, A4.0), A4_LANDSCAPE, LETTER, A3],
        expect: Expect::Plays,
    });

    // Refused or failed cleanly.
    let refused = |words| Expect::Refused {
        code: "document_refused",
        words,
    };
    let damaged = |words| Expect::Refused {
        code: "media_corrupt",
        words,
    };
    let protected = make_once(dir, "password.pdf", None, |p| {
        run(
            "qpdf",
            &[
                "--encrypt",
                "user-secret",
                "owner-secret",
                "256",
                "--",
                &statement.display().to_string(),
                &p.display().to_string(),
            ],
        )
    })?;
    files.push(PdfFile {
        name: "password.pdf",
        path: protected,
        pages: vec![],
        expect: refused("password-protected"),
    });
    let encrypted = make_once(dir, "encrypted-no-password.pdf", None, |p| {
        run(
            "qpdf",
            &[
                "--encrypt",
                "",
                "owner-secret",
                "256",
                "--print=none",
                "--",
                &statement.display().to_string(),
                &p.display().to_string(),
            ],
        )
    })?;
    files.push(PdfFile {
        name: "encrypted-no-password.pdf",
        path: encrypted,
        pages: vec![],
        expect: refused("encrypted"),
    });
    let js = make_once(
        dir,
        "javascript.pdf",
        None,
        write(one_page(
            "/OpenAction 5 0 R /Names << /JavaScript << /Names [(run) 5 0 R] >> >>",
            "[0 0 595 842]",
            "<< >>",
            &["<< /S /JavaScript /JS (app.alert\\('hello'\\);) >>".to_owned()],
        )),
    )?;
    files.push(PdfFile {
        name: "javascript.pdf",
        path: js,
        pages: vec![],
        expect: refused("JavaScript"),
    });
    let huge = make_once(
        dir,
        "huge-page.pdf",
        None,
        write(one_page("", "[0 0 100000 100000]", "<< >>", &[])),
    )?;
    files.push(PdfFile {
        name: "huge-page.pdf",
        path: huge,
        pages: vec![],
        expect: refused("200 inches"),
    });
    let deep = make_once(dir, "deep-nesting.pdf", None, |p| {
        let depth = 100_000;
        let nested = format!("<< /Deep {}{} >>", "[".repeat(depth), "]".repeat(depth));
        std::fs::write(p, one_page("", "[0 0 595 842]", &nested, &[]))?;
        Ok(())
    })?;
    files.push(PdfFile {
        name: "deep-nesting.pdf",
        path: deep,
        // Poppler stops at its nesting limit and draws the page without those resources: a page
        // that shows is a clean outcome too. What must not happen is a crash of the app.
        pages: vec![A4],
        expect: Expect::Plays,
    });
    let truncated = make_once(dir, "truncated.pdf", None, |p| {
        let bytes = std::fs::read(&statement)?;
        Ok(std::fs::write(p, &bytes[..bytes.len() / 3])?)
    })?;
    files.push(PdfFile {
        name: "truncated.pdf",
        path: truncated,
        pages: vec![],
        expect: damaged("not a readable PDF"),
    });
    Ok(files)
}

/// The page number in the page mark of a picture of a page, from a function telling whether the
/// point `(x, y)` of the page (in points from its top-left corner) is dark.
pub fn read_page_mark(dark: impl Fn(f64, f64) -> bool) -> u32 {
    (0..8).fold(0, |n, bit| {
        let x = MARK_LEFT + f64::from(bit) * MARK_STEP + MARK_SIZE / 2.0;
        let y = MARK_TOP + MARK_SIZE / 2.0;
        (n << 1) | u32::from(dark(x, y))
    })
}
