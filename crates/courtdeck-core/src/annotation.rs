//! Annotation (the telestrator): strokes the presenter draws over the picture on air, as data.
//!
//! A stroke is a tool and its points. Points are in ten-thousandths of the picture (0 to 10,000 across
//! and down), integers so a stroke set compares exactly and is recorded as drawn. The surface sends
//! points as fractions of its 16:9 preview; playout, which knows the view on air (zoom, fit width)
//! and where the picture sits in the preview, turns them into points of the picture, so strokes stay
//! on what they mark when the view is zoomed or panned afterwards.

use crate::exhibit::InvalidValue;

/// What a stroke is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tool {
    /// A freehand red line.
    Pen,
    /// A straight red arrow from the first point to the last.
    Arrow,
    /// A red rectangle with the first and last points as opposite corners.
    Rectangle,
    /// A wide, translucent yellow freehand line.
    Highlighter,
    /// The region between the first and last points, enlarged over the middle of the picture
    /// (the "tear-out"), framed, with the region outlined where it is.
    Callout,
}

impl Tool {
    pub const ALL: [Tool; 5] = [
        Tool::Pen,
        Tool::Arrow,
        Tool::Rectangle,
        Tool::Highlighter,
        Tool::Callout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Pen => "pen",
            Tool::Arrow => "arrow",
            Tool::Rectangle => "rectangle",
            Tool::Highlighter => "highlighter",
            Tool::Callout => "callout",
        }
    }

    pub fn parse(s: &str) -> Result<Tool, InvalidValue> {
        Ok(match s {
            "pen" => Tool::Pen,
            "arrow" => Tool::Arrow,
            "rectangle" => Tool::Rectangle,
            "highlighter" => Tool::Highlighter,
            "callout" => Tool::Callout,
            other => {
                return Err(InvalidValue::new(
                    "tool",
                    format!("{other:?} is not one of pen, arrow, rectangle, highlighter, callout"),
                ));
            }
        })
    }
}

/// The scale of a point: 10,000 is the full width or height of the picture.
pub const POINT_SCALE: u16 = 10_000;
/// The most strokes a picture may carry at once, and points a stroke may have: enough for a busy
/// explanation, small enough that every set is recorded whole in the custody log.
pub const MAX_STROKES: usize = 64;
pub const MAX_POINTS: usize = 512;

/// One stroke: a tool and at least one point (two for an arrow or a rectangle).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stroke {
    tool: Tool,
    points: Vec<(u16, u16)>,
}

impl Stroke {
    pub fn new(tool: Tool, points: Vec<(u16, u16)>) -> Result<Stroke, InvalidValue> {
        let least = match tool {
            Tool::Arrow | Tool::Rectangle | Tool::Callout => 2,
            Tool::Pen | Tool::Highlighter => 1,
        };
        if points.len() < least || points.len() > MAX_POINTS {
            return Err(InvalidValue::new(
                "stroke",
                format!(
                    "a {} stroke has {least} to {MAX_POINTS} points, not {}",
                    tool.as_str(),
                    points.len()
                ),
            ));
        }
        if points
            .iter()
            .any(|&(x, y)| x > POINT_SCALE || y > POINT_SCALE)
        {
            return Err(InvalidValue::new(
                "stroke",
                format!("a point lies outside the picture (0 to {POINT_SCALE})"),
            ));
        }
        Ok(Stroke { tool, points })
    }

    /// A stroke as every wire spells it: the tool's name and its points.
    pub fn parse(tool: &str, points: Vec<(u16, u16)>) -> Result<Stroke, InvalidValue> {
        Stroke::new(Tool::parse(tool)?, points)
    }

    pub fn tool(&self) -> Tool {
        self.tool
    }

    pub fn points(&self) -> &[(u16, u16)] {
        &self.points
    }
}

/// Where a derived exhibit (a marked page or frame kept as a still) came from: the exhibit it was
/// made of, by reference and SHA-256 (or the live source whose held frame it is, and when), the page
/// or the position, and the strokes on it, so the court record shows what was marked while the
/// original stays untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derivation {
    pub source: DerivedSource,
    /// A document's page (from 1).
    pub page: Option<u32>,
    /// A recording's position.
    pub position_ms: Option<u64>,
    pub strokes: Vec<Stroke>,
}

/// What a derived still was made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DerivedSource {
    /// An exhibit of the case, by reference and SHA-256.
    Exhibit {
        reference: crate::ExhibitRef,
        sha256: crate::Sha256Digest,
    },
    /// A live source's held frame: not from the evidence store, so what it is is the still's own
    /// hash; where it came from is the source (its id and the court's name for it) and when.
    Live {
        source: crate::SourceId,
        label: String,
        taken_at: jiff::Timestamp,
    },
}

impl DerivedSource {
    /// How the record names it: `JS/3`, or `live:defence-laptop`.
    pub fn name(&self) -> String {
        match self {
            DerivedSource::Exhibit { reference, .. } => reference.to_string(),
            DerivedSource::Live { source, .. } => crate::Shown::Live(source.clone()).to_string(),
        }
    }
}

/// Checks a whole set of strokes (what one picture carries).
pub fn check_strokes(strokes: &[Stroke]) -> Result<(), InvalidValue> {
    if strokes.len() > MAX_STROKES {
        return Err(InvalidValue::new(
            "annotation",
            format!(
                "at most {MAX_STROKES} strokes at once, not {}: clear some first",
                strokes.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strokes_are_checked() {
        assert!(Stroke::new(Tool::Pen, vec![(0, 0)]).is_ok());
        assert!(
            Stroke::new(Tool::Arrow, vec![(0, 0)]).is_err(),
            "an arrow needs two"
        );
        assert!(Stroke::new(Tool::Rectangle, vec![(0, 0), (10_000, 10_000)]).is_ok());
        assert!(Stroke::new(Tool::Pen, vec![(10_001, 0)]).is_err());
        assert!(Stroke::new(Tool::Pen, vec![]).is_err());
        assert!(Stroke::new(Tool::Pen, vec![(1, 1); MAX_POINTS + 1]).is_err());
        let one = Stroke::new(Tool::Highlighter, vec![(5, 5)]).unwrap();
        assert!(check_strokes(&vec![one.clone(); MAX_STROKES]).is_ok());
        assert!(check_strokes(&vec![one; MAX_STROKES + 1]).is_err());
        for t in [
            Tool::Pen,
            Tool::Arrow,
            Tool::Rectangle,
            Tool::Highlighter,
            Tool::Callout,
        ] {
            assert_eq!(Tool::parse(t.as_str()).unwrap(), t);
        }
        assert!(Tool::parse("laser").is_err());
    }
}
