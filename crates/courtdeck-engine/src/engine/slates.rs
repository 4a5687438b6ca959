//! Slates on the screens: which screen shows which, and drawing them (the slates themselves are
//! `parts::slate`).

use super::Engine;
use super::parts::output::Output;
use super::parts::slate::*;

impl Engine {
    /// Puts up (or takes down) slates: `choose` gives each screen's new slate. They are drawn by
    /// `draw_slates` once the current message is answered.
    pub(super) fn set_slates(&mut self, choose: impl Fn(&Output) -> Option<Slate>) {
        for o in &mut self.outputs {
            o.slate = choose(o);
        }
    }

    /// "No signal" on the screens a live source without its signal is presented on (and not
    /// blanked); taken down everywhere else. Worked out from the state each time slates are drawn,
    /// so every change (present, blank, the signal, a withdraw) keeps it true.
    fn no_signal_slates(&mut self) {
        let dark: Option<Vec<String>> = self
            .deck
            .on_air()
            .filter(|p| p.is_live() && !p.has_picture())
            .map(|p| p.route().to_vec());
        self.set_slates(|o| match &dark {
            Some(route) if route.contains(&o.spec.id) && !o.blanked => Some(Slate::NoSignal),
            _ if o.slate == Some(Slate::NoSignal) => None,
            _ => o.slate,
        });
    }

    /// Draws the slates that changed since they were last drawn. A slate that cannot be drawn is
    /// taken down (black), so `Stats` never claims a slate the room cannot see.
    pub(super) fn draw_slates(&mut self) {
        self.no_signal_slates();
        // The live source on air: "No signal from <its label>".
        let source = self
            .deck
            .on_air()
            .and_then(|p| p.source().live.as_ref())
            .map(|l| l.label.clone());
        for o in &mut self.outputs {
            // A window that is not on its own monitor (a mismatch covered black) shows no slate: the
            // slate names the screen, and that monitor is not it.
            let want = if o.is_shown() { o.slate } else { None };
            if want == o.drawn {
                continue;
            }
            let (Some(display), Some((win, w, h))) = (&self.display, o.window) else {
                o.drawn = want; // headless: the state is all there is
                continue;
            };
            let image = match want {
                Some(s) => match render_slate(s, (&o.spec.label, source.as_deref()), w, h) {
                    Ok(img) => Some(img),
                    Err(e) => {
                        tracing::warn!(screen = %o.spec.id, "cannot draw the slate: {e:#}");
                        o.slate = None;
                        None
                    }
                },
                None => None,
            };
            match display.set_background(win, image.as_deref().map(|i| (i, w, h))) {
                Ok(()) => o.drawn = want,
                Err(e) => {
                    tracing::warn!(screen = %o.spec.id, "cannot change the screen's background: {e:#}");
                    o.slate = None;
                    o.drawn = None;
                    let _ = display.set_background(win, None);
                }
            }
        }
    }
}
