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
}

const GRID: u8 = 64;
const STEP: f64 = 1.5;
/// 1.5^5: about 7.6x, a twentieth of a 4K still's width still fills a screen sharply enough to read.
const MAX_LEVEL: u8 = 5;

impl Default for Zoom {
    fn default() -> Zoom {
        Zoom {
            level: 0,
            cx: GRID / 2,
            cy: GRID / 2,
        }
    }
}

impl ZoomStep {
    pub fn parse(s: &str) -> Result<ZoomStep, InvalidValue> {
        Ok(match s {
            "in" => ZoomStep::In,
            "out" => ZoomStep::Out,
            "left" => ZoomStep::Left,
            "right" => ZoomStep::Right,
            "up" => ZoomStep::Up,
            "down" => ZoomStep::Down,
            "whole" => ZoomStep::Whole,
            other => {
                return Err(InvalidValue::new(
                    "zoom step",
                    format!("{other:?} is not one of in, out, left, right, up, down, whole"),
                ));
            }
        })
    }
}

impl Zoom {
    /// How many times the picture is magnified (1.0 for the whole picture).
    pub fn factor(self) -> f64 {
        STEP.powi(self.level as i32)
    }

    pub fn is_whole(self) -> bool {
        self.level == 0
    }

    /// The view after one tap. Pans move by a quarter of what is visible; the view never leaves the
    /// picture, and zooming out recentres it as far as it must.
    #[must_use]
    pub fn step(self, step: ZoomStep) -> Zoom {
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
    pub fn region(self) -> (f64, f64, f64, f64) {
        let w = 1.0 / self.factor();
        let at = |c: u8| (c as f64 / GRID as f64 - w / 2.0).clamp(0.0, 1.0 - w);
        (at(self.cx), at(self.cy), w, w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ZoomStep; 7] = [
        ZoomStep::In,
        ZoomStep::Out,
        ZoomStep::Left,
        ZoomStep::Right,
        ZoomStep::Up,
        ZoomStep::Down,
        ZoomStep::Whole,
    ];

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
                stack.extend(ALL.iter().map(|s| (z.step(*s), depth + 1)));
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
