//! Reading a document's page back from a monitor: where a page sits when shown whole, and the page
//! number in its page mark (`courtdeck_testdata::pdf_corpus`'s eight squares along its top).

use courtdeck_testdata::pdf_corpus::read_page_mark;

use crate::{Mon, Xvfb};

/// Where a page `page` points in size sits on monitor `m` shown whole: its scale (pixels a point)
/// and its top-left corner on the monitor.
pub fn placed(m: Mon, page: (f64, f64)) -> (f64, f64, f64) {
    let s = (f64::from(m.w) / page.0).min(f64::from(m.h) / page.1);
    let (w, h) = (page.0 * s, page.1 * s);
    (s, (f64::from(m.w) - w) / 2.0, (f64::from(m.h) - h) / 2.0)
}

/// Whether the point (`x`, `y`) of monitor `m` is dark (a 3x3 average).
pub fn dark_at(xvfb: &Xvfb, m: Mon, x: f64, y: f64) -> bool {
    let (x, y) = ((x as i16 - 1).max(0), (y as i16 - 1).max(0));
    let rgb = xvfb.grab(m.x + x, m.y + y, 3, 3).expect("grab");
    let sum: u32 = rgb.data.iter().map(|&c| u32::from(c)).sum();
    sum / (rgb.data.len() as u32).max(1) < 90
}

/// The page number in the page mark of the page shown on `m`: whole (`fit_width` false) or at its
/// full width from the top of the page.
pub fn mark_on(xvfb: &Xvfb, m: Mon, page: (f64, f64), fit_width: bool) -> u32 {
    let (s, left, top) = if fit_width {
        (f64::from(m.w) / page.0, 0.0, 0.0)
    } else {
        placed(m, page)
    };
    read_page_mark(|x, y| dark_at(xvfb, m, left + x * s, top + y * s))
}
