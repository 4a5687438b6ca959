//! Zoom and pan on the picture on air: a small pure state the control surface steps through with
//! buttons (in, out, four pans, whole picture), turned into the region the playout engine crops to.
//!
//! Integers, not floats: the state compares exactly and a long session of taps cannot drift. The view
//! keeps the picture's own shape (the same fraction of its width and height), so nothing is distorted,
//! and it always lies inside the picture.

use crate::exhibit::InvalidValue;

/// Which part of the picture the screens show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zoom {
    /// The page's full width across the screens (a document), scrolled by `cy` from the top (0) to
    /// the bottom (`GRID`) of the page; `level` and `cx` are unused then.
    fit_width: bool,
    /// 0 is the whole picture; each level magnifies `STEP` times more.
    level: u8,
    /// The centre of the view, in 1/`GRID` of the picture's width and height.
    cx: u8,
    cy: u8,
}

/// One tap on the zoom controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoomStep {
    In,
    Out,
    Left,
    Right,
    Up,
    Down,
    Whole,
    /// A document page's full width fills the screens, from the top of the page.
    FitWidth,
    /// The region the presenter drew a box round: `x`, `y`, `width`, `height` in ten-thousandths of
    /// the picture (`ZoomStep::to_box`). The view becomes the closest zoom level that still holds the
    /// whole box, centred on it as far as the picture's edges allow.
    Box {
        x: u16,
        y: u16,
        width: u16,
        height: u16,
    },
}

/// Ten-thousandths of the picture: the unit of `ZoomStep::Box`.
const BOX_SCALE: f64 = 10_000.0;

const GRID: u8 = 64;
const STEP: f64 = 1.5;
/// 1.5^5: about 7.6x, a twentieth of a 4K still's width still fills a screen sharply enough to read.
const MAX_LEVEL: u8 = 5;

impl Default for Zoom {
    fn default() -> Zoom {
        Zoom {
            fit_width: false,
            level: 0,
            cx: GRID / 2,
            cy: GRID / 2,
        }
    }
}

impl ZoomStep {
    /// The box with corners `a` and `b` (ten-thousandths of the picture, in either order).
    pub fn to_box(a: (u16, u16), b: (u16, u16)) -> ZoomStep {
        let clamp = |v: u16| v.min(BOX_SCALE as u16);
        let (x0, x1) = (clamp(a.0.min(b.0)), clamp(a.0.max(b.0)));
        let (y0, y1) = (clamp(a.1.min(b.1)), clamp(a.1.max(b.1)));
        ZoomStep::Box {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }

    /// The steps the surface names (every one but `Box`, which has its own command).
    pub const NAMED: [ZoomStep; 8] = [
        ZoomStep::In,
        ZoomStep::Out,
        ZoomStep::Left,
        ZoomStep::Right,
        ZoomStep::Up,
        ZoomStep::Down,
        ZoomStep::Whole,
        ZoomStep::FitWidth,
    ];

    /// A named step's name (`None` for a box).
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            ZoomStep::In => "in",
            ZoomStep::Out => "out",
            ZoomStep::Left => "left",
            ZoomStep::Right => "right",
            ZoomStep::Up => "up",
            ZoomStep::Down => "down",
            ZoomStep::Whole => "whole",
            ZoomStep::FitWidth => "fit_width",
            ZoomStep::Box { .. } => return None,
        })
    }

    pub fn parse(s: &str) -> Result<ZoomStep, InvalidValue> {
        ZoomStep::NAMED
            .into_iter()
            .find(|z| z.name() == Some(s))
            .ok_or_else(|| {
                InvalidValue::new(
                    "zoom step",
                    format!("{s:?} is not one of in, out, left, right, up, down, whole, fit_width"),
                )
            })
    }
}

impl Zoom {
    /// How many times the picture is magnified (1.0 for the whole picture).
    pub fn factor(self) -> f64 {
        STEP.powi(self.level as i32)
    }

    pub fn is_whole(self) -> bool {
        self.level == 0 && !self.fit_width
    }

    /// The page's width fills the screens (`ZoomStep::FitWidth`); the visible height depends on the
    /// page's and the screen's shapes, which playout knows (`fit_width_region`).
    pub fn is_fit_width(self) -> bool {
        self.fit_width
    }

    /// Where a fit-width view stands: 0.0 at the top of the page, 1.0 at the bottom.
    pub fn scroll(self) -> f64 {
        self.cy as f64 / GRID as f64
    }

    /// The view after a page turn: fit width stays fit width, from the top of the new page; any
    /// other zoom goes back to the whole page (a region of page 3 means nothing on page 4).
    #[must_use]
    pub fn for_new_page(self) -> Zoom {
        if self.fit_width {
            Zoom::default().step(ZoomStep::FitWidth)
        } else {
            Zoom::default()
        }
    }

    /// The view after one tap. Pans move by a quarter of what is visible; the view never leaves the
    /// picture, and zooming out recentres it as far as it must.
    #[must_use]
    pub fn step(self, step: ZoomStep) -> Zoom {
        if step == ZoomStep::FitWidth {
            return Zoom {
                fit_width: true,
                cy: 0,
                ..Zoom::default()
            };
        }
        if self.fit_width {
            // Up and down scroll an eighth of the page; anything else leaves fit width.
            let by = GRID / 8;
            return match step {
                ZoomStep::Up => Zoom {
                    cy: self.cy.saturating_sub(by),
                    ..self
                },
                ZoomStep::Down => Zoom {
                    cy: (self.cy + by).min(GRID),
                    ..self
                },
                ZoomStep::Left | ZoomStep::Right => self,
                _ => Zoom::default().step(step),
            };
        }
        if let ZoomStep::Box {
            x,
            y,
            width,
            height,
        } = step
        {
            // The view holds the same fraction of the picture's width and height: the box's larger
            // side decides how far in it can go.
            let side = f64::from(width.max(height)) / BOX_SCALE;
            let level = (0..=MAX_LEVEL)
                .rev()
                .find(|&l| 1.0 / STEP.powi(i32::from(l)) >= side)
                .unwrap_or(0);
            let centre = |at: u16, len: u16| {
                ((f64::from(at) + f64::from(len) / 2.0) / BOX_SCALE * f64::from(GRID))
                    .round()
                    .clamp(0.0, f64::from(GRID)) as u8
            };
            return Zoom {
                fit_width: false,
                level,
                cx: centre(x, width),
                cy: centre(y, height),
            }
            .inside();
        }
        let pan = ((GRID as f64 / self.factor() / 4.0).round() as i16).max(1);
        let moved = |v: u8, by: i16| (v as i16 + by).clamp(0, GRID as i16) as u8;
        let z = match step {
            ZoomStep::Whole => return Zoom::default(),
            ZoomStep::In => Zoom {
                level: (self.level + 1).min(MAX_LEVEL),
                ..self
            },
            ZoomStep::Out => Zoom {
                level: self.level.saturating_sub(1),
                ..self
            },
            ZoomStep::Left => Zoom {
                cx: moved(self.cx, -pan),
                ..self
            },
            ZoomStep::Right => Zoom {
                cx: moved(self.cx, pan),
                ..self
            },
            ZoomStep::Up => Zoom {
                cy: moved(self.cy, -pan),
                ..self
            },
            ZoomStep::Down => Zoom {
                cy: moved(self.cy, pan),
                ..self
            },
            ZoomStep::FitWidth | ZoomStep::Box { .. } => unreachable!("handled above"),
        };
        z.inside()
    }

    /// Keeps the centre no further out than the view at the picture's edge (`region` clamps the
    /// last fraction of a grid step), so a pan towards an edge that is already in view does nothing.
    fn inside(self) -> Zoom {
        let half = GRID as f64 / self.factor() / 2.0;
        let (lo, hi) = (half.floor() as u8, (GRID as f64 - half).ceil() as u8);
        let (lo, hi) = if lo <= hi {
            (lo, hi)
        } else {
            (GRID / 2, GRID / 2)
        };
        Zoom {
            cx: self.cx.clamp(lo, hi),
            cy: self.cy.clamp(lo, hi),
            ..self
        }
    }

    /// The view as `(x, y, width, height)`, fractions of the picture (the whole is `(0, 0, 1, 1)`).
    /// A fit-width view is the whole width here; playout crops its height (`fit_width_region`).
    pub fn region(self) -> (f64, f64, f64, f64) {
        if self.fit_width {
            return (0.0, 0.0, 1.0, 1.0);
        }
        let w = 1.0 / self.factor();
        let at = |c: u8| (c as f64 / GRID as f64 - w / 2.0).clamp(0.0, 1.0 - w);
        (at(self.cx), at(self.cy), w, w)
    }
}

/// The region of a `picture_w` x `picture_h` picture that a fit-width view at `scroll` (0 top, 1
/// bottom) shows on a `screen_w` x `screen_h` screen: the full width, and as much of the height as
/// the screen's shape holds (the whole picture when it is wider than the screen).
pub fn fit_width_region(
    picture: (u32, u32),
    screen: (u32, u32),
    scroll: f64,
) -> (f64, f64, f64, f64) {
    let (pw, ph) = (f64::from(picture.0.max(1)), f64::from(picture.1.max(1)));
    let (sw, sh) = (f64::from(screen.0.max(1)), f64::from(screen.1.max(1)));
    let h = ((pw * sh / sw) / ph).min(1.0);
    let y = (scroll.clamp(0.0, 1.0) * (1.0 - h)).max(0.0);
    (0.0, y, 1.0, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_drawn_round_a_region_is_the_closest_view_that_holds_it() {
        let region = |step| Zoom::default().step(step).region();
        // A box a fifth of the picture wide, round its middle: 1.5^3 = 3.4x (1.5^4 would cut it).
        let z = Zoom::default().step(ZoomStep::to_box((4_000, 4_500), (6_000, 5_500)));
        assert_eq!(z.level, 3);
        let (x, y, w, _) = z.region();
        assert!(
            x <= 0.4 && x + w >= 0.6 && y <= 0.45 && y + w >= 0.55,
            "{:?}",
            z.region()
        );
        // Its corners in either order, the same box.
        assert_eq!(
            ZoomStep::to_box((6_000, 5_500), (4_000, 4_500)),
            ZoomStep::to_box((4_000, 4_500), (6_000, 5_500))
        );
        // In a corner: the view stays inside the picture and still holds the box.
        let (x, y, w, h) = region(ZoomStep::to_box((9_000, 9_000), (10_000, 10_000)));
        assert!((x + w - 1.0).abs() < 1e-9 && (y + h - 1.0).abs() < 1e-9 && x <= 0.9);
        // A tap (no box at all) is the closest zoom; most of the picture is the whole of it.
        assert_eq!(
            Zoom::default()
                .step(ZoomStep::to_box((5_000, 5_000), (5_000, 5_000)))
                .level,
            MAX_LEVEL
        );
        assert!(
            Zoom::default()
                .step(ZoomStep::to_box((500, 0), (9_500, 10_000)))
                .is_whole()
        );
        // Out of range corners are the picture's edges; fit width is left for the box.
        assert_eq!(
            ZoomStep::to_box((0, 0), (60_000, 60_000)),
            ZoomStep::Box {
                x: 0,
                y: 0,
                width: 10_000,
                height: 10_000
            }
        );
        let z = Zoom::default()
            .step(ZoomStep::FitWidth)
            .step(ZoomStep::to_box((0, 0), (2_000, 2_000)));
        assert!(!z.is_fit_width());
    }

    #[test]
    fn fit_width_scrolls_a_portrait_page_and_turns_to_the_top() {
        let z = Zoom::default().step(ZoomStep::FitWidth);
        assert!(z.is_fit_width() && !z.is_whole());
        assert_eq!(z.scroll(), 0.0);
        // An A4 page (595x842) on a 16:9 screen: the full width, 40% of the height, from the top.
        let (x, y, w, h) = fit_width_region((1190, 1684), (1920, 1080), z.scroll());
        assert_eq!((x, y, w), (0.0, 0.0, 1.0));
        assert!((h - 0.3975).abs() < 0.001, "{h}");
        let mut down = z;
        for _ in 0..20 {
            down = down.step(ZoomStep::Down);
        }
        assert_eq!(
            down.scroll(),
            1.0,
            "eight taps reach the bottom and stop there"
        );
        let (_, y, _, h) = fit_width_region((1190, 1684), (1920, 1080), down.scroll());
        assert!((y + h - 1.0).abs() < 1e-9);
        assert_eq!(
            down.step(ZoomStep::Left),
            down,
            "no sideways pan at full width"
        );
        assert_eq!(down.for_new_page(), z, "a new page starts at its top");
        assert_eq!(down.step(ZoomStep::Whole), Zoom::default());
        assert_eq!(down.step(ZoomStep::In), Zoom::default().step(ZoomStep::In));
        // A landscape A4 page is less wide than 16:9: its full width shows 80% of its height.
        let (_, _, _, h) = fit_width_region((1684, 1190), (1920, 1080), 0.0);
        assert!((h - 0.796).abs() < 0.001, "{h}");
        // A page wider than the screen already fits by width: the whole of it.
        assert_eq!(
            fit_width_region((2000, 1000), (1920, 1080), 0.5),
            (0.0, 0.0, 1.0, 1.0)
        );
        assert_eq!(
            Zoom::default().step(ZoomStep::In).for_new_page(),
            Zoom::default()
        );
    }

    #[test]
    fn whole_picture_by_default_and_after_whole() {
        assert_eq!(Zoom::default().region(), (0.0, 0.0, 1.0, 1.0));
        let z = Zoom::default()
            .step(ZoomStep::In)
            .step(ZoomStep::Left)
            .step(ZoomStep::Whole);
        assert_eq!(z, Zoom::default());
    }

    #[test]
    fn zooming_in_magnifies_the_centre_and_pans_stay_inside() {
        let z = Zoom::default().step(ZoomStep::In);
        let (x, y, w, h) = z.region();
        assert!((w - 1.0 / 1.5).abs() < 1e-9 && w == h);
        assert!((x - (1.0 - w) / 2.0).abs() < 1.0 / 64.0, "centred: {x}");
        assert!((y - (1.0 - w) / 2.0).abs() < 1.0 / 64.0, "centred: {y}");
        let far_left = (0..20).fold(z, |z, _| z.step(ZoomStep::Left));
        assert_eq!(far_left.region().0, 0.0);
        let far_down = (0..20).fold(z, |z, _| z.step(ZoomStep::Down));
        assert!((far_down.region().1 + w - 1.0).abs() < 1e-9);
        // Panning the whole picture does nothing.
        assert_eq!(Zoom::default().step(ZoomStep::Right), Zoom::default());
    }

    #[test]
    fn every_sequence_of_six_taps_stays_inside_the_picture() {
        // All 7^6 = 117,649 sequences: the view is inside the picture, at least 1/7.6 of it, and
        // zooming all the way out gives the whole picture back.
        let mut seen = 0u64;
        let mut stack = vec![(Zoom::default(), 0u8)];
        while let Some((z, depth)) = stack.pop() {
            let (x, y, w, h) = z.region();
            assert!(x >= 0.0 && y >= 0.0 && x + w <= 1.0 + 1e-9 && y + h <= 1.0 + 1e-9);
            assert!(w >= 1.0 / STEP.powi(MAX_LEVEL as i32) - 1e-9 && w == h);
            let out = (0..MAX_LEVEL).fold(z, |z, _| z.step(ZoomStep::Out));
            assert_eq!(out.region(), (0.0, 0.0, 1.0, 1.0), "{z:?}");
            seen += 1;
            if depth < 6 {
                // Every named step but fit width (a document's, tested on its own).
                stack.extend(
                    ZoomStep::NAMED
                        .iter()
                        .filter(|s| **s != ZoomStep::FitWidth)
                        .map(|s| (z.step(*s), depth + 1)),
                );
            }
        }
        assert_eq!(seen, (0..=6).map(|d| 7u64.pow(d)).sum::<u64>());
    }

    #[test]
    fn steps_parse_by_name_and_refuse_others() {
        assert_eq!(ZoomStep::parse("in").unwrap(), ZoomStep::In);
        assert_eq!(ZoomStep::parse("whole").unwrap(), ZoomStep::Whole);
        assert!(ZoomStep::parse("sideways").is_err());
    }
}
