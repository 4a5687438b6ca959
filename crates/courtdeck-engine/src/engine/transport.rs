//! The transport of the program on air: play, pause, frame steps and zoom.

use std::sync::atomic::Ordering;

use courtdeck_core::ErrorCode;
use gstreamer as gst;
use gstreamer::prelude::*;

use super::Engine;
use super::parts::annotate::{PictureStroke, preview_to_picture};
use super::parts::base::err;
use super::parts::program::{Deck, Program, apply_zoom, repush, seek, set_crop};
use crate::protocol::{Annotated, Event, Located, Snapshot, WireError, WireStroke};

/// The part of a picture on air: `(left, top, width, height)` in its pixels.
type View = (f64, f64, f64, f64);

/// The picture's size and the part of it on air (the crop), as the preview shows it.
fn picture_and_view(p: &Program) -> Result<((u32, u32), View), WireError> {
    let no_picture = || {
        err(
            ErrorCode::InvalidState,
            format!("exhibit {} has no picture yet", p.exhibit),
        )
    };
    let picture = p.picture_size().ok_or_else(no_picture)?;
    let crop = p.crop.get().ok_or_else(no_picture)?;
    let side = |name: &str| f64::from(crop.property::<i32>(name).max(0));
    let (left, top) = (side("left"), side("top"));
    let view = (
        left,
        top,
        (f64::from(picture.0) - left - side("right")).max(1.0),
        (f64::from(picture.1) - top - side("bottom")).max(1.0),
    );
    Ok((picture, view))
}

impl Engine {
    pub(super) fn set_playing(&mut self, playing: bool) -> Result<(), WireError> {
        let p = self.on_air_program_mut()?;
        let state = if playing {
            gst::State::Playing
        } else {
            gst::State::Paused
        };
        p.pipeline.set_state(state).map_err(|_| {
            err(
                ErrorCode::MediaCorrupt,
                format!("exhibit {} cannot change state", p.exhibit),
            )
        })?;
        if p.playing() != playing {
            // Paused after playing, it stands at the frame its screens hold (`standing`).
            p.set_still_at(None);
        }
        p.set_playing(playing);
        if playing {
            p.set_at_out_point(false);
        }
        p.thumbs.playing.store(playing, Ordering::Relaxed);
        Ok(())
    }

    /// Pauses the program on air. A playing pipeline has paused only once every sink holds a frame
    /// again (its preroll), and that frame reaches the screens: so the pause is answered then
    /// (`Some(seq)`: answered by `answer_paused` on the program's AsyncDone), and what the court
    /// sees once it is answered is what stays. `None`: paused already.
    pub(super) fn pause(&mut self) -> Result<Option<u64>, WireError> {
        self.set_playing(false)?;
        let p = self.on_air_program()?;
        let (result, _, _) = p.pipeline.state(gst::ClockTime::ZERO);
        Ok(matches!(result, Ok(gst::StateChangeSuccess::Async)).then_some(p.seq))
    }

    /// Answers the pause requests `settled(deck, program, since)` picks.
    pub(super) fn answer_paused(
        &mut self,
        settled: impl Fn(&Deck, u64, std::time::Instant) -> bool,
    ) {
        let mut answered = Vec::new();
        self.pausing.retain(|&(id, seq, since)| {
            let done = settled(&self.deck, seq, since);
            if done {
                answered.push(id);
            }
            !done
        });
        for id in answered {
            (self.emit)(Event::Reply {
                id,
                error: None,
                stats: None,
                data: None,
            });
        }
    }

    pub(super) fn step(&mut self, frames: i32) -> Result<(), WireError> {
        if frames == 0 {
            return Ok(());
        }
        self.set_playing(false)?;
        let p = self.on_air_program()?;
        if frames > 0 {
            let from = p.standing();
            let ok = p.pipeline.send_event(gst::event::Step::new(
                gst::format::Buffers::from_u64(frames as u64),
                1.0,
                true,
                false,
            ));
            if !ok {
                return Err(err(
                    ErrorCode::InvalidState,
                    "this exhibit cannot step forward",
                ));
            }
            let frame = *p.frame_duration.lock().expect("fd");
            p.set_still_at(from.map(|at| {
                at + gst::ClockTime::from_nseconds(frame.as_nanos() as u64 * frames as u64)
            }));
            Ok(())
        } else {
            // Backwards: an accurate seek to the frame before (decoders cannot run backwards cheaply).
            // From the frame on screen (`standing`), not the position a step leaves a frame on.
            let frame = *p.frame_duration.lock().expect("fd");
            let pos = p.standing().unwrap_or(gst::ClockTime::ZERO);
            let back = gst::ClockTime::from_nseconds(
                frame.as_nanos() as u64 * frames.unsigned_abs() as u64,
            );
            seek(p, p.rate(), pos.saturating_sub(back))
        }
    }

    /// Shows the region (`x`, `y`, `width`, `height`, fractions of the picture) of the on-air exhibit
    /// (`apply_zoom`).
    pub(super) fn zoom(
        &mut self,
        x: f64,
        y: f64,
        width: f64,
        height: f64,
    ) -> Result<(), WireError> {
        const SMALLEST: f64 = 0.05; // 20x
        let valid = [x, y, width, height].iter().all(|v| v.is_finite())
            && (SMALLEST..=1.0).contains(&width)
            && (SMALLEST..=1.0).contains(&height)
            && x >= 0.0
            && y >= 0.0
            && x + width <= 1.0 + 1e-9
            && y + height <= 1.0 + 1e-9;
        if !valid {
            return Err(err(
                ErrorCode::InvalidState,
                "the zoom region must lie inside the picture and be at least 5% of it",
            ));
        }
        let p = self.on_air_program_mut()?;
        if !p.source().kind.capabilities().picture {
            return Err(err(
                ErrorCode::InvalidState,
                format!("exhibit {} has no picture to zoom into", p.exhibit),
            ));
        }
        p.zoom_to([x, y, width, height]);
        // Before its first frame the picture's size is unknown: applied at preroll (see `bus`).
        let p = self.on_air_program()?;
        if p.prerolled() {
            apply_zoom(p)?;
        }
        Ok(())
    }

    /// Shows page `page` of the document on air (`Command::Page`): the whole page, or its full
    /// width from the top. The crop is set for the new page's size before its frame is pushed, so no
    /// screen shows the old page cropped for the new one or the reverse.
    pub(super) fn page(&mut self, page: u32, fit_width: bool) -> Result<(), WireError> {
        let p = self.on_air_program_mut()?;
        let Some(feed) = &p.document else {
            return Err(err(
                ErrorCode::InvalidState,
                format!("exhibit {} is not a document: it has no pages", p.exhibit),
            ));
        };
        if page == 0 || page > feed.count() {
            return Err(err(
                ErrorCode::InvalidState,
                format!(
                    "there is no page {page}: document {} has {} pages",
                    p.exhibit,
                    feed.count()
                ),
            ));
        }
        feed.show(page);
        p.turn_to(page, fit_width);
        let p = self.on_air_program()?;
        set_crop(p)?;
        tracing::info!(exhibit = p.exhibit, page, fit_width, "page");
        seek(p, p.rate(), gst::ClockTime::ZERO)
    }

    /// A fit-width view of the page on air, `scroll` from its top (0.0) to its bottom (1.0).
    pub(super) fn fit_width(&mut self, scroll: f64) -> Result<(), WireError> {
        if !(0.0..=1.0).contains(&scroll) {
            return Err(err(
                ErrorCode::InvalidState,
                "the scroll position must be between 0 (top) and 1 (bottom)",
            ));
        }
        let p = self.on_air_program_mut()?;
        if !p.source().kind.capabilities().picture {
            return Err(err(
                ErrorCode::InvalidState,
                format!("exhibit {} has no picture to zoom into", p.exhibit),
            ));
        }
        p.fit_width_at(scroll);
        let p = self.on_air_program()?;
        if p.prerolled() {
            apply_zoom(p)?;
        }
        Ok(())
    }

    /// The telestrator (`Command::Annotate`): `strokes` in points of the surface's 16:9 preview
    /// become strokes on the picture on air (through the letterbox and the view on air), replacing
    /// any before; a paused picture is pushed again so they show at once. Replies with the strokes
    /// in points of the picture.
    /// `Command::Locate`: points of the preview as points of the picture on air.
    pub(super) fn locate(&self, points: Vec<(u16, u16)>) -> Result<Located, WireError> {
        let p = self.on_air_program()?;
        let (picture, view) = picture_and_view(p)?;
        let scale = f64::from(courtdeck_core::annotation::POINT_SCALE);
        Ok(Located {
            points: points
                .into_iter()
                .map(|pt| {
                    let (x, y) = preview_to_picture(pt, picture, view);
                    ((x * scale).round() as u16, (y * scale).round() as u16)
                })
                .collect(),
        })
    }

    pub(super) fn annotate(
        &mut self,
        strokes: Vec<WireStroke>,
        append: bool,
    ) -> Result<Annotated, WireError> {
        let invalid = |e: courtdeck_core::InvalidValue| err(ErrorCode::InvalidState, e.to_string());
        let parsed = strokes
            .iter()
            .map(|s| {
                courtdeck_core::annotation::Stroke::parse(&s.tool, s.points.clone())
                    .map_err(invalid)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let p = self.on_air_program()?;
        let kept = if append {
            p.layer.lock().expect("annotation layer").strokes()
        } else {
            Vec::new()
        };
        if kept.len() + parsed.len() > courtdeck_core::annotation::MAX_STROKES {
            return Err(err(
                ErrorCode::InvalidState,
                format!(
                    "at most {} strokes at once: clear some first",
                    courtdeck_core::annotation::MAX_STROKES
                ),
            ));
        }
        if !p.source().kind.capabilities().picture {
            return Err(err(
                ErrorCode::InvalidState,
                format!("exhibit {} has no picture to draw on", p.exhibit),
            ));
        }
        if p.is_live() {
            if !p.held() && !parsed.is_empty() {
                return Err(err(
                    ErrorCode::InvalidState,
                    "hold the live picture first: strokes mark a still frame",
                ));
            }
        } else if p.playing() && p.source().kind.has_timeline() {
            return Err(err(
                ErrorCode::InvalidState,
                "pause the recording first: strokes mark a still frame",
            ));
        }
        let (picture, view) = picture_and_view(p)?;
        let mut on_picture = kept;
        on_picture.extend(parsed.iter().map(|s| {
            PictureStroke {
                tool: s.tool(),
                points: s
                    .points()
                    .iter()
                    .map(|pt| preview_to_picture(*pt, picture, view))
                    .collect(),
            }
        }));
        let reply = Annotated {
            strokes: on_picture
                .iter()
                .map(|s| WireStroke {
                    tool: s.tool.as_str().into(),
                    points: s
                        .points
                        .iter()
                        .map(|(x, y)| {
                            let scale = f64::from(courtdeck_core::annotation::POINT_SCALE);
                            ((x * scale).round() as u16, (y * scale).round() as u16)
                        })
                        .collect(),
                })
                .collect(),
        };
        p.layer.lock().expect("annotation layer").set(on_picture);
        tracing::info!(
            exhibit = p.exhibit,
            strokes = reply.strokes.len(),
            "annotated"
        );
        repush(p)?;
        Ok(reply)
    }

    /// The picture on air with its strokes, as a PNG at the picture's size (`Command::Snapshot`).
    pub(super) fn snapshot(&self) -> Result<Snapshot, WireError> {
        use base64::Engine as _;
        let p = self.on_air_program()?;
        let (png, width, height) = super::parts::annotate::snapshot(&p.layer).map_err(|e| {
            err(
                ErrorCode::InvalidState,
                format!("exhibit {} cannot be kept as a still: {e:#}", p.exhibit),
            )
        })?;
        Ok(Snapshot {
            png: base64::engine::general_purpose::STANDARD.encode(png),
            width,
            height,
        })
    }

    /// Takes the strokes off the picture on air; with `again`, a paused picture is pushed again
    /// without them (a blank of one screen must not leave them on the others).
    pub(super) fn clear_strokes(&mut self, again: bool) {
        let Ok(p) = self.on_air_program() else {
            return;
        };
        let mut layer = p.layer.lock().expect("annotation layer");
        if layer.is_empty() {
            return;
        }
        layer.set(Vec::new());
        drop(layer);
        tracing::info!(exhibit = p.exhibit, "strokes cleared");
        if again {
            let _ = repush(p);
        }
    }

    pub(super) fn on_air_program(&self) -> Result<&Program, WireError> {
        self.deck
            .on_air()
            .ok_or_else(|| err(ErrorCode::InvalidState, "nothing is on the screens"))
    }

    pub(super) fn on_air_program_mut(&mut self) -> Result<&mut Program, WireError> {
        self.deck
            .on_air_mut()
            .ok_or_else(|| err(ErrorCode::InvalidState, "nothing is on the screens"))
    }
}
