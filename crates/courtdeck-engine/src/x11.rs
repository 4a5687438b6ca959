//! Output windows on X11: one borderless, black, override-redirect window per screen, placed on its
//! monitor, and inside it one child window per loaded exhibit for the video sink to draw into.
//!
//! Blanking unmaps the exhibit's child window, so the screen shows its parent's black background: it can
//! never show the desktop, and no frame in flight can race the blank.

use anyhow::{Context, Result};
use x11rb::connection::{Connection, RequestConnection as _};
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xproto::{
    AtomEnum, ChangeWindowAttributesAux, ConfigureWindowAux, ConnectionExt as _, CreateGCAux,
    CreateWindowAux, EventMask, ImageFormat, PropMode, StackMode, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

pub use crate::protocol::Monitor;

pub struct Display {
    conn: RustConnection,
    root: Window,
    root_depth: u8,
    root_visual: u32,
    black: u32,
    /// Whether the root visual is 24-bit TrueColor in 32-bit little-endian pixels (BGRx bytes), the
    /// layout slates are uploaded in.
    bgrx: bool,
}

impl std::fmt::Debug for Display {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Display")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl Display {
    /// Connects to `$DISPLAY`.
    pub fn connect() -> Result<Display> {
        let (conn, screen_num) =
            x11rb::connect(None).context("cannot open the X display (is DISPLAY set?)")?;
        let setup = conn.setup();
        let screen = &setup.roots[screen_num];
        let visual = screen
            .allowed_depths
            .iter()
            .flat_map(|d| d.visuals.iter())
            .find(|v| v.visual_id == screen.root_visual);
        let bgrx = screen.root_depth == 24
            && setup.image_byte_order == x11rb::protocol::xproto::ImageOrder::LSB_FIRST
            && setup
                .pixmap_formats
                .iter()
                .any(|f| f.depth == 24 && f.bits_per_pixel == 32)
            && visual.is_some_and(|v| {
                v.red_mask == 0xff0000 && v.green_mask == 0xff00 && v.blue_mask == 0xff
            });
        Ok(Display {
            root: screen.root,
            root_depth: screen.root_depth,
            root_visual: screen.root_visual,
            black: screen.black_pixel,
            bgrx,
            conn,
        })
    }

    /// The monitors, in RandR's order (primary first), each with its connector and identity (its
    /// EDID from RandR's `EDID` output property, else from sysfs: `identity`).
    pub fn monitors(&self) -> Result<Vec<Monitor>> {
        let reply = self
            .conn
            .randr_get_monitors(self.root, false)?
            .reply()
            .context("RandR GetMonitors")?;
        let edid_atom = self.conn.intern_atom(true, b"EDID")?.reply()?.atom;
        let root = crate::identity::drm_root();
        let mut out = Vec::new();
        for m in reply.monitors {
            let name = self.conn.get_atom_name(m.name)?.reply()?.name;
            let mut monitor =
                Monitor::new(&String::from_utf8_lossy(&name), m.x, m.y, m.width, m.height);
            // A monitor made of several outputs (a video wall) is known by its first.
            let mut edid = None;
            if let Some(&output) = m.outputs.first() {
                if let Ok(info) = self.conn.randr_get_output_info(output, 0)?.reply() {
                    monitor.connector = Some(String::from_utf8_lossy(&info.name).into_owned());
                }
                if edid_atom != 0 {
                    edid = self
                        .conn
                        .randr_get_output_property(
                            output,
                            edid_atom,
                            AtomEnum::ANY,
                            0,
                            1024,
                            false,
                            false,
                        )?
                        .reply()
                        .ok()
                        .map(|r| r.data);
                }
            }
            crate::identity::identify(&mut monitor, edid, &root);
            out.push(monitor);
        }
        Ok(out)
    }

    /// Moves `win` to cover `monitor` (same size) and maps it again.
    pub fn place(&self, win: Window, monitor: &Monitor) -> Result<()> {
        self.conn.configure_window(
            win,
            &ConfigureWindowAux::new()
                .x(monitor.x as i32)
                .y(monitor.y as i32)
                .stack_mode(StackMode::ABOVE),
        )?;
        self.conn.map_window(win)?;
        self.sync()
    }

    /// A black, borderless window covering `monitor`, above everything, titled for identification.
    pub fn create_output_window(&self, monitor: &Monitor, title: &str) -> Result<Window> {
        let win = self.conn.generate_id()?;
        self.conn.create_window(
            self.root_depth,
            win,
            self.root,
            monitor.x,
            monitor.y,
            monitor.width,
            monitor.height,
            0,
            WindowClass::INPUT_OUTPUT,
            self.root_visual,
            &CreateWindowAux::new()
                .background_pixel(self.black)
                .override_redirect(1)
                .event_mask(EventMask::NO_EVENT),
        )?;
        self.conn.change_property8(
            PropMode::REPLACE,
            win,
            AtomEnum::WM_NAME,
            AtomEnum::STRING,
            title.as_bytes(),
        )?;
        self.conn.map_window(win)?;
        self.conn
            .configure_window(win, &ConfigureWindowAux::new().stack_mode(StackMode::ABOVE))?;
        self.sync()?;
        Ok(win)
    }

    /// An unmapped black child window filling `parent`, for one exhibit's sink.
    pub fn create_child(&self, parent: Window, width: u16, height: u16) -> Result<Window> {
        let win = self.conn.generate_id()?;
        self.conn.create_window(
            self.root_depth,
            win,
            parent,
            0,
            0,
            width,
            height,
            0,
            WindowClass::INPUT_OUTPUT,
            self.root_visual,
            &CreateWindowAux::new().background_pixel(self.black),
        )?;
        self.sync()?;
        Ok(win)
    }

    pub fn map(&self, win: Window) -> Result<()> {
        self.conn.map_window(win)?;
        self.conn
            .configure_window(win, &ConfigureWindowAux::new().stack_mode(StackMode::ABOVE))?;
        self.sync()
    }

    pub fn unmap(&self, win: Window) -> Result<()> {
        self.conn.unmap_window(win)?;
        self.sync()
    }

    pub fn destroy(&self, win: Window) -> Result<()> {
        self.conn.destroy_window(win)?;
        self.sync()
    }

    /// Paints `image` (BGRx rows of `width` x `height`, the window's size) as `win`'s background, or
    /// black again for `None`. The server repaints a background by itself, so a slate costs nothing
    /// while it is up and survives anything drawn over it being unmapped.
    pub fn set_background(&self, win: Window, image: Option<(&[u8], u16, u16)>) -> Result<()> {
        match image {
            None => {
                self.conn.change_window_attributes(
                    win,
                    &ChangeWindowAttributesAux::new().background_pixel(self.black),
                )?;
            }
            Some((data, width, height)) => {
                anyhow::ensure!(
                    self.bgrx,
                    "the display is not 24-bit TrueColor with 32-bit little-endian pixels; slates need it"
                );
                let stride = width as usize * 4;
                anyhow::ensure!(
                    data.len() >= stride * height as usize,
                    "slate image too small"
                );
                let pixmap = self.conn.generate_id()?;
                self.conn
                    .create_pixmap(self.root_depth, pixmap, win, width, height)?
                    .check()?;
                let gc = self.conn.generate_id()?;
                let upload = || -> Result<()> {
                    self.conn
                        .create_gc(gc, pixmap, &CreateGCAux::new().foreground(self.black))?
                        .check()?;
                    // A 1080p image is larger than one request may be: send it in bands of rows,
                    // each checked, so a failure leaves the screen black, never half a pixmap.
                    let rows_per_request =
                        ((self.conn.maximum_request_bytes().saturating_sub(64)) / stride).max(1);
                    for (band, rows) in data[..stride * height as usize]
                        .chunks(stride * rows_per_request)
                        .enumerate()
                    {
                        self.conn
                            .put_image(
                                ImageFormat::Z_PIXMAP,
                                pixmap,
                                gc,
                                width,
                                (rows.len() / stride) as u16,
                                0,
                                (band * rows_per_request) as i16,
                                0,
                                self.root_depth,
                                rows,
                            )?
                            .check()
                            .context("uploading the slate")?;
                    }
                    self.conn
                        .change_window_attributes(
                            win,
                            &ChangeWindowAttributesAux::new().background_pixmap(pixmap),
                        )?
                        .check()?;
                    Ok(())
                };
                let result = upload();
                // The window keeps its own reference to the pixmap.
                let _ = self.conn.free_gc(gc);
                self.conn.free_pixmap(pixmap)?;
                result?;
            }
        }
        self.conn.clear_area(false, win, 0, 0, 0, 0)?;
        self.sync()
    }

    /// The average colour of a `size`x`size` square of `win` at (`x`, `y`): a readback of what the
    /// window shows. Assumes a 24-bit TrueColor visual (little-endian BGRX), as Xvfb and Xorg use.
    pub fn average_rgb(&self, win: Window, x: i16, y: i16, size: u16) -> Result<(u8, u8, u8)> {
        let img = self
            .conn
            .get_image(ImageFormat::Z_PIXMAP, win, x, y, size, size, !0)?
            .reply()
            .context("reading back the window's pixels")?;
        let (mut r, mut g, mut b, mut n) = (0u64, 0u64, 0u64, 0u64);
        for px in img.data.chunks_exact(4) {
            b += px[0] as u64;
            g += px[1] as u64;
            r += px[2] as u64;
            n += 1;
        }
        let n = n.max(1);
        Ok(((r / n) as u8, (g / n) as u8, (b / n) as u8))
    }

    /// Waits until the server has processed everything sent so far.
    pub fn sync(&self) -> Result<()> {
        self.conn.sync()?;
        Ok(())
    }
}

/// Calls `on_change` (on a thread of its own, with a connection of its own) whenever the monitors
/// may have changed: a RandR screen, output or CRTC change (a monitor plugged or unplugged, an EDID
/// that changed) or the root window's ConfigureNotify (which is all the server sends when a client
/// sets or deletes a RandR monitor). Events that arrive together are reported once. Stops when the
/// display goes away.
pub fn watch_monitors(on_change: impl Fn() + Send + 'static) -> Result<()> {
    use x11rb::protocol::Event;
    use x11rb::protocol::randr::NotifyMask;
    let (conn, screen_num) = x11rb::connect(None).context("cannot open the X display")?;
    let root = conn.setup().roots[screen_num].root;
    conn.change_window_attributes(
        root,
        &ChangeWindowAttributesAux::new().event_mask(EventMask::STRUCTURE_NOTIFY),
    )?
    .check()?;
    conn.randr_select_input(
        root,
        NotifyMask::SCREEN_CHANGE
            | NotifyMask::OUTPUT_CHANGE
            | NotifyMask::CRTC_CHANGE
            | NotifyMask::OUTPUT_PROPERTY,
    )?
    .check()
    .context("RandR SelectInput")?;
    std::thread::Builder::new()
        .name("monitors".into())
        .spawn(move || {
            let relevant = |e: &Event| {
                matches!(
                    e,
                    Event::ConfigureNotify(_)
                        | Event::RandrScreenChangeNotify(_)
                        | Event::RandrNotify(_)
                )
            };
            loop {
                let Ok(first) = conn.wait_for_event() else {
                    tracing::warn!("the display is gone: monitor changes are no longer watched");
                    return;
                };
                let mut changed = relevant(&first);
                while let Ok(Some(e)) = conn.poll_for_event() {
                    changed |= relevant(&e);
                }
                if changed {
                    on_change();
                }
            }
        })?;
    Ok(())
}

/// The keysym of a key a USB button or foot pedal can be set to type: `F1`…`F24`, `Pause`,
/// `Scroll_Lock`, `Print`, `Insert` or `Menu` (keys nothing else in the kiosk uses).
pub fn keysym(name: &str) -> Option<u32> {
    match name {
        "Pause" => Some(0xff13),
        "Scroll_Lock" => Some(0xff14),
        "Print" => Some(0xff61),
        "Insert" => Some(0xff63),
        "Menu" => Some(0xff67),
        _ => name
            .strip_prefix('F')?
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=24).contains(n))
            .map(|n| 0xffbe + n - 1),
    }
}

/// Grabs the key `name` (`keysym`) on the root window, with any modifiers, for this process (an X11
/// passive grab: a press comes here whichever window has the focus, the control surface's too, and
/// whether or not the app answers) and calls `on_press` for each press, on a thread of its own with
/// a connection of its own. Fails when the keyboard map has no such key or another client holds it.
pub fn watch_key(name: &str, on_press: impl Fn() + Send + 'static) -> Result<()> {
    use x11rb::protocol::Event;
    use x11rb::protocol::xproto::{GrabMode, ModMask};
    let sym = keysym(name).with_context(|| {
        format!("{name} is not a key that can be grabbed (F1-F24, Pause, Scroll_Lock, Print, Insert, Menu)")
    })?;
    let (conn, screen_num) = x11rb::connect(None).context("cannot open the X display")?;
    let root = conn.setup().roots[screen_num].root;
    let (min, max) = (conn.setup().min_keycode, conn.setup().max_keycode);
    let map = conn.get_keyboard_mapping(min, max - min + 1)?.reply()?;
    let per = usize::from(map.keysyms_per_keycode.max(1));
    let codes: Vec<u8> = map
        .keysyms
        .chunks(per)
        .zip(min..=max)
        .filter(|(syms, _)| syms.contains(&sym))
        .map(|(_, code)| code)
        .collect();
    anyhow::ensure!(
        !codes.is_empty(),
        "no key of this keyboard map types {name}"
    );
    for code in &codes {
        conn.grab_key(
            false,
            root,
            ModMask::ANY,
            *code,
            GrabMode::ASYNC,
            GrabMode::ASYNC,
        )?
        .check()
        .with_context(|| format!("{name} is already grabbed by another program"))?;
    }
    std::thread::Builder::new()
        .name("blank key".into())
        .spawn(move || {
            loop {
                match conn.wait_for_event() {
                    Ok(Event::KeyPress(_)) => on_press(),
                    Ok(_) => {}
                    Err(_) => {
                        tracing::warn!("the display is gone: the blank key is no longer watched");
                        return;
                    }
                }
            }
        })?;
    Ok(())
}

/// X errors raised inside the video sinks' own Xlib connections since the process started.
pub static XLIB_ERRORS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Replaces Xlib's default error handler, which prints "X Error of failed request" and calls
/// `exit(1)`: with it, one sink drawing into a window that was just destroyed (`BadDrawable`,
/// `BadWindow`) would end the whole playout process and take every screen down. Our own windows go
/// through x11rb, which returns errors instead; this covers the sinks' Xlib connections
/// (`ximagesink`). A stale window is then an error on one screen, not an exit. Process-wide; call
/// once at start.
pub fn install_xlib_error_handler() {
    use std::ffi::{c_int, c_uchar, c_ulong, c_void};

    /// Xlib's `XErrorEvent`.
    #[repr(C)]
    struct XErrorEvent {
        kind: c_int,
        display: *mut c_void,
        resource_id: c_ulong,
        serial: c_ulong,
        error_code: c_uchar,
        request_code: c_uchar,
        minor_code: c_uchar,
    }
    type Handler = unsafe extern "C" fn(*mut c_void, *mut XErrorEvent) -> c_int;

    #[link(name = "X11")]
    unsafe extern "C" {
        fn XSetErrorHandler(handler: Option<Handler>) -> Option<Handler>;
    }

    /// Called by Xlib on the thread that made the failing request; it must not call Xlib. Logging
    /// and an atomic are safe here.
    unsafe extern "C" fn on_error(_display: *mut c_void, event: *mut XErrorEvent) -> c_int {
        // SAFETY: Xlib passes a valid event for the duration of the call.
        let e = unsafe { &*event };
        let n = XLIB_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        // A sink drawing into a vanished window fails on every frame: log the first few and then
        // every power of two, not 25 lines a second.
        if n <= 3 || n.is_power_of_two() {
            tracing::warn!(
                error_code = e.error_code,
                request = e.request_code,
                resource = e.resource_id,
                total = n,
                "X error in a video sink: ignored (that screen keeps its last picture)"
            );
        }
        0
    }

    // SAFETY: XSetErrorHandler only swaps a process-wide function pointer; `on_error` never calls Xlib.
    unsafe {
        XSetErrorHandler(Some(on_error));
    }
}

#[cfg(test)]
mod key_tests {
    use super::keysym;

    /// The keysyms X11 gives these keys (X11/keysymdef.h).
    #[test]
    fn the_blank_key_names_are_x11s_keysyms() {
        assert_eq!(keysym("F1"), Some(0xffbe));
        assert_eq!(keysym("F12"), Some(0xffc9));
        assert_eq!(keysym("F24"), Some(0xffd5));
        assert_eq!(keysym("Pause"), Some(0xff13));
        assert_eq!(keysym("Scroll_Lock"), Some(0xff14));
        for bad in ["F0", "F25", "f12", "B", "", "Escape"] {
            assert_eq!(keysym(bad), None, "{bad}");
        }
    }
}
