//! PDF documents, in the playout process only: a hostile PDF can crash this process, never the
//! control surface. Poppler (through `poppler-rs`, the cairo backend) reads and draws them; nothing
//! in a PDF is ever run (poppler-glib has no JavaScript engine, and a PDF that carries JavaScript is
//! refused at bundle time anyway).
//!
//! - `inspect`: what `courtdeck bundle` and the setup checks ask of a file: its pages' sizes, or why
//!   it is refused (password-protected or otherwise encrypted, JavaScript, no pages, too many pages,
//!   a page larger than PDF allows, not a readable PDF).
//! - `Pages`: one loaded document's pages, drawn on a thread of their own at the size of the largest
//!   screen and kept while near the page on air, so the page after the one shown is usually ready
//!   before it is asked for.
//! - `render`: one page drawn white-backed into a BGRx frame that the engine's fan-out takes like a
//!   decoded still.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use courtdeck_core::{ErrorCode, MAX_PAGES, PageSize};

/// Why a document cannot be shown: `document_refused` (Courtdeck will not show it) or
/// `media_corrupt` (it cannot be read), and the reason in words.
#[derive(Debug, Clone)]
pub struct Refused {
    pub code: ErrorCode,
    pub message: String,
}

impl Refused {
    fn refuse(message: impl Into<String>) -> Refused {
        Refused {
            code: ErrorCode::DocumentRefused,
            message: message.into(),
        }
    }

    fn damaged(message: impl Into<String>) -> Refused {
        Refused {
            code: ErrorCode::MediaCorrupt,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The most pixels one drawn page may have (a 4K screen's page at fit width is about 25 MP).
pub const MAX_PAGE_PIXELS: u64 = 32_000_000;
/// How long the engine waits for a page to be drawn before telling the court it could not be.
pub const RENDER_TIMEOUT: Duration = Duration::from_secs(15);

/// Whether `path` is a PDF: `%PDF-` in its first kilobyte (the format allows a little junk first).
pub fn is_pdf(path: &Path) -> bool {
    let mut head = [0u8; 1024];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head[..n].windows(5).any(|w| w == b"%PDF-")
}

fn uri(path: &Path) -> Result<String, Refused> {
    gstreamer::glib::filename_to_uri(path, None)
        .map(|u| u.to_string())
        .map_err(|e| Refused::damaged(format!("not a usable path: {e}")))
}

/// Opens `path` with poppler, saying in words why it cannot be.
fn open(path: &Path) -> Result<poppler::Document, Refused> {
    poppler::Document::from_file(&uri(path)?, None).map_err(|e| {
        if e.matches(poppler::Error::Encrypted) {
            Refused::refuse(
                "it is password-protected. Ask the party who served it for a copy without a password",
            )
        } else {
            Refused::damaged(format!(
                "it is not a readable PDF ({e}). Ask the party who served it for the original"
            ))
        }
    })
}

/// Whether the file names an encryption dictionary (`/Encrypt`, always in a trailer or an xref
/// stream's dictionary, which are never compressed): a PDF that opens without a password may still
/// be encrypted with restrictions on its use.
fn names_encryption(path: &Path) -> std::io::Result<bool> {
    const KEY: &[u8] = b"/Encrypt";
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut carry = 0usize;
    loop {
        let n = f.read(&mut buf[carry..])?;
        if n == 0 {
            return Ok(false);
        }
        let end = carry + n;
        if buf[..end].windows(KEY.len()).any(|w| w == KEY) {
            return Ok(true);
        }
        carry = (KEY.len() - 1).min(end);
        buf.copy_within(end - carry..end, 0);
    }
}

/// What `courtdeck bundle` writes into the manifest for a PDF: each page's size as shown (poppler's
/// page size is the crop box turned by the page's `/Rotate`). `Err` is the reason it is refused.
pub fn inspect(path: &Path) -> Result<Vec<[f64; 2]>, Refused> {
    let doc = open(path)?;
    if names_encryption(path).map_err(|e| Refused::damaged(format!("it cannot be read: {e}")))? {
        return Err(Refused::refuse(
            "it is encrypted (its use may be restricted even without a password). Ask the party who served it for an unencrypted copy",
        ));
    }
    if doc.has_javascript() {
        return Err(Refused::refuse(
            "it carries JavaScript, which a court document never needs (Courtdeck would never run it). Ask for a copy without it, e.g. printed to PDF",
        ));
    }
    let n = doc.n_pages();
    if n <= 0 {
        return Err(Refused::damaged("it has no pages"));
    }
    if n as usize > MAX_PAGES {
        return Err(Refused::refuse(format!(
            "it has {n} pages, more than the {MAX_PAGES} a document exhibit may have. Split it into volumes"
        )));
    }
    (0..n)
        .map(|i| {
            let page = doc
                .page(i)
                .ok_or_else(|| Refused::damaged(format!("page {} cannot be read", i + 1)))?;
            let (w, h) = page.size();
            PageSize::from_points(w, h).map(|_| [w, h]).map_err(|_| {
                Refused::refuse(format!(
                    "page {} is {w:.0} x {h:.0} points: larger than PDF allows (200 inches a side) or empty",
                    i + 1
                ))
            })
        })
        .collect()
}

/// The size a page is drawn at for screens no larger than `screen`: large enough that the page fills
/// the screen both whole (fit page, scaled down) and at its full width (fit width, as drawn), within
/// `MAX_PAGE_PIXELS`. Even sides, so every video format takes it.
pub fn render_size(page: [f64; 2], screen: (u32, u32)) -> (u32, u32) {
    let [pw, ph] = [page[0].max(1.0), page[1].max(1.0)];
    let (sw, sh) = (f64::from(screen.0.max(2)), f64::from(screen.1.max(2)));
    let mut scale = (sw / pw).max(sh / ph);
    let pixels = pw * ph * scale * scale;
    if pixels > MAX_PAGE_PIXELS as f64 {
        scale *= (MAX_PAGE_PIXELS as f64 / pixels).sqrt();
    }
    let side = |v: f64| (((v * scale) as u32).clamp(2, 16_384)) & !1;
    (side(pw), side(ph))
}

/// One drawn page: BGRx, `width * 4` bytes a row.
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({}x{})", self.width, self.height)
    }
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

/// Draws page `index` (from 0) of `doc` at `size` on white.
pub fn render(doc: &poppler::Document, index: i32, size: (u32, u32)) -> Result<Frame, Refused> {
    draw(doc, index, size).map_err(Refused::damaged)
}

fn draw(doc: &poppler::Document, index: i32, size: (u32, u32)) -> Result<Frame, String> {
    let page = doc
        .page(index)
        .ok_or_else(|| format!("page {} cannot be read", index + 1))?;
    let (pw, ph) = page.size();
    let (w, h) = size;
    let mut surface = cairo::ImageSurface::create(cairo::Format::Rgb24, w as i32, h as i32)
        .map_err(|e| format!("no memory to draw page {}: {e}", index + 1))?;
    {
        let cr = cairo::Context::new(&surface).map_err(|e| e.to_string())?;
        cr.set_source_rgb(1.0, 1.0, 1.0);
        cr.paint().map_err(|e| e.to_string())?;
        cr.scale(f64::from(w) / pw.max(1.0), f64::from(h) / ph.max(1.0));
        page.render(&cr);
        if let Err(e) = cr.status() {
            return Err(format!("page {} could not be drawn: {e}", index + 1));
        }
    }
    surface.flush();
    let stride = surface.stride() as usize;
    let data = surface
        .data()
        .map_err(|e| format!("page {} could not be read back: {e}", index + 1))?;
    let row = w as usize * 4;
    let mut out = Vec::with_capacity(row * h as usize);
    for y in 0..h as usize {
        out.extend_from_slice(&data[y * stride..y * stride + row]);
    }
    Ok(Frame {
        width: w,
        height: h,
        data: out,
    })
}

type Drawn = Result<Arc<Frame>, String>;

#[derive(Default)]
struct State {
    /// The page on air (from 1): what is kept and drawn first.
    current: u32,
    queue: VecDeque<u32>,
    drawn: HashMap<u32, Drawn>,
    closed: bool,
    /// The drawing thread has let go of the document (set as it returns, even by a panic).
    finished: bool,
}

/// How long dropping `Pages` waits for a page being drawn to finish. A thread left drawing when
/// the process exits runs inside poppler and cairo while their globals are torn down: the test
/// binary that exited with one page still being drawn ahead crashed (SIGSEGV, double free) about
/// one run in thirty.
const DRAWING_STOPS: Duration = Duration::from_secs(2);

/// A loaded document's pages, drawn on their own thread (poppler's objects never leave it).
pub struct Pages {
    shared: Arc<(Mutex<State>, Condvar)>,
    sizes: Vec<(u32, u32)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pages({})", self.sizes.len())
    }
}

impl Pages {
    /// Opens `path` on a new thread and starts drawing `first` (from 1) and its neighbours, each
    /// at `render_size` for `screen`.
    pub fn open(path: PathBuf, pages: &[[f64; 2]], screen: (u32, u32), first: u32) -> Pages {
        let sizes: Vec<_> = pages.iter().map(|p| render_size(*p, screen)).collect();
        let shared = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let mut pages = Pages {
            shared: shared.clone(),
            sizes: sizes.clone(),
            thread: None,
        };
        pages.want(first);
        let spawned = std::thread::Builder::new()
            .name("pdf-pages".into())
            .spawn(move || draw_pages(&path, &sizes, &shared));
        match spawned {
            Ok(thread) => pages.thread = Some(thread),
            Err(e) => {
                let (lock, cv) = &*pages.shared;
                let mut st = lock.lock().expect("pages");
                st.drawn
                    .insert(first, Err(format!("cannot start drawing: {e}")));
                st.finished = true;
                cv.notify_all();
            }
        }
        pages
    }

    pub fn count(&self) -> u32 {
        self.sizes.len() as u32
    }

    /// The drawn size of page `page` (from 1).
    pub fn size_of(&self, page: u32) -> Option<(u32, u32)> {
        self.sizes.get(page.checked_sub(1)? as usize).copied()
    }

    /// Makes `page` the one on air: drawn first, then the next and the previous ones; pages further
    /// away are let go.
    pub fn want(&self, page: u32) {
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().expect("pages");
        st.current = page;
        let n = self.count();
        st.drawn.retain(|p, _| p.abs_diff(page) <= 2);
        st.queue.clear();
        for p in [page, page + 1, page.wrapping_sub(1), page + 2] {
            if (1..=n).contains(&p) && !st.drawn.contains_key(&p) {
                st.queue.push_back(p);
            }
        }
        cv.notify_all();
    }

    /// Page `page` drawn, waiting for it at most `timeout`.
    pub fn get(&self, page: u32, timeout: Duration) -> Drawn {
        let (lock, cv) = &*self.shared;
        let deadline = Instant::now() + timeout;
        let mut st = lock.lock().expect("pages");
        if !st.drawn.contains_key(&page) && !st.queue.contains(&page) {
            st.queue.push_front(page);
            cv.notify_all();
        }
        loop {
            if let Some(d) = st.drawn.get(&page) {
                return d.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "page {page} could not be drawn within {} s",
                    timeout.as_secs()
                ));
            }
            st = cv.wait_timeout(st, left).expect("pages").0;
        }
    }
}

impl Drop for Pages {
    /// Stops the drawing and waits (at most `DRAWING_STOPS`) for the page being drawn, so no thread
    /// is inside poppler once the document is gone; a page that takes longer is left to finish on
    /// its own, and said.
    fn drop(&mut self) {
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
        st.closed = true;
        cv.notify_all();
        let (st, waited) = cv
            .wait_timeout_while(st, DRAWING_STOPS, |st| !st.finished)
            .unwrap_or_else(|e| e.into_inner());
        drop(st);
        if waited.timed_out() {
            tracing::warn!(
                "a document page was still being drawn {} s after the document was put away",
                DRAWING_STOPS.as_secs()
            );
        } else if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Sets `finished` when the drawing thread returns or unwinds, after its document is dropped.
struct Finished<'a>(&'a (Mutex<State>, Condvar));

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        let (lock, cv) = self.0;
        lock.lock().unwrap_or_else(|e| e.into_inner()).finished = true;
        cv.notify_all();
    }
}

fn draw_pages(path: &Path, sizes: &[(u32, u32)], shared: &(Mutex<State>, Condvar)) {
    let _finished = Finished(shared);
    let (lock, cv) = shared;
    let doc = open(path);
    loop {
        let page = {
            let mut st = lock.lock().expect("pages");
            loop {
                if st.closed {
                    return;
                }
                if let Some(p) = st.queue.pop_front() {
                    if !st.drawn.contains_key(&p) {
                        break p;
                    }
                    continue;
                }
                st = cv.wait(st).expect("pages");
            }
        };
        let started = Instant::now();
        let drawn = match &doc {
            Ok(doc) => draw(doc, page as i32 - 1, sizes[page as usize - 1]).map(Arc::new),
            Err(e) => Err(format!("the document cannot be opened: {e}")),
        };
        tracing::debug!(
            page,
            ms = started.elapsed().as_millis() as u64,
            ok = drawn.is_ok(),
            "page drawn"
        );
        lock.lock().expect("pages").drawn.insert(page, drawn);
        cv.notify_all();
    }
}

/// What the setup check asks of a cached document: every page is drawn (small, 96 pixels wide).
/// `Err` names the first page that cannot be.
pub fn check_every_page(path: &Path) -> Result<usize, Refused> {
    let pages = inspect(path)?;
    let doc = open(path)?;
    for (i, p) in pages.iter().enumerate() {
        let size = render_size(*p, (96, 96));
        let size = (size.0.min(96), size.1.min(96 * 4));
        render(&doc, i as i32, size)?;
    }
    Ok(pages.len())
}

/// Page `page` (from 1; the poster is page 1) as a 160x90 JPEG (letterboxed), through the same JPEG
/// encoder as every other poster.
pub fn poster(path: &Path, page: u32) -> anyhow::Result<Vec<u8>> {
    use gstreamer as gst;
    use gstreamer::prelude::*;
    let doc = open(path).map_err(anyhow::Error::msg)?;
    let index = page.max(1) as i32 - 1;
    let first = doc
        .page(index)
        .ok_or_else(|| anyhow::anyhow!("the document has no page {page}"))?;
    let size = {
        let (w, h) = first.size();
        let scale = (160.0 / w.max(1.0)).min(90.0 / h.max(1.0)) * 2.0;
        (
            ((w * scale) as u32).max(2) & !1,
            ((h * scale) as u32).max(2) & !1,
        )
    };
    let frame = render(&doc, index, size).map_err(anyhow::Error::msg)?;
    let pipeline = gst::parse::launch(&format!(
        "appsrc name=src format=time caps=video/x-raw,format=BGRx,width={},height={},framerate=0/1 ! videoconvert ! videoscale add-borders=true ! video/x-raw,width=160,height=90,pixel-aspect-ratio=1/1 ! jpegenc quality=75 ! appsink name=out sync=false",
        frame.width, frame.height
    ))?
    .dynamic_cast::<gst::Pipeline>()
    .map_err(|_| anyhow::anyhow!("not a pipeline"))?;
    let src = pipeline
        .by_name("src")
        .and_then(|e| e.dynamic_cast::<gstreamer_app::AppSrc>().ok())
        .ok_or_else(|| anyhow::anyhow!("no appsrc"))?;
    let out = pipeline
        .by_name("out")
        .and_then(|e| e.dynamic_cast::<gstreamer_app::AppSink>().ok())
        .ok_or_else(|| anyhow::anyhow!("no appsink"))?;
    pipeline.set_state(gst::State::Playing)?;
    let result = (|| {
        let mut buf = gst::Buffer::from_slice(frame);
        buf.get_mut()
            .expect("new buffer")
            .set_pts(gst::ClockTime::ZERO);
        src.push_buffer(buf)?;
        src.end_of_stream()?;
        let sample = out
            .try_pull_sample(gst::ClockTime::from_seconds(10))
            .ok_or_else(|| anyhow::anyhow!("the poster was not encoded within 10 s"))?;
        let buf = sample
            .buffer()
            .ok_or_else(|| anyhow::anyhow!("empty sample"))?;
        let map = buf.map_readable()?;
        Ok(map.as_slice().to_vec())
    })();
    let _ = pipeline.set_state(gst::State::Null);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_drawn_to_fill_the_screen_at_full_width() {
        // A4 portrait on 1080p: full width, taller than the screen.
        assert_eq!(render_size([595.0, 842.0], (1920, 1080)), (1920, 2716));
        // A4 landscape: as wide as the screen.
        let (w, h) = render_size([842.0, 595.0], (1920, 1080));
        assert_eq!(w, 1920);
        assert!(h >= 1080, "{h}");
        // A 200-inch strip is held to the pixel budget and the largest texture side.
        let (w, h) = render_size([14_400.0, 100.0], (1920, 1080));
        assert!(
            u64::from(w) * u64::from(h) <= MAX_PAGE_PIXELS && w <= 16_384,
            "{w}x{h}"
        );
        assert_eq!((w % 2, h % 2), (0, 0));
    }
}
