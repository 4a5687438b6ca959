//! The telestrator's strokes on the picture of one program: held in picture coordinates, drawn once
//! per change with cairo into a transparent layer the size of the picture, and laid over every frame
//! by an `overlaycomposition` before the zoom's crop (so strokes follow zoom and pan, and reach only
//! the screens the exhibit has branches for: a restricted exhibit's strokes go where it may go).

use std::sync::{Arc, Mutex};

use courtdeck_core::annotation::{POINT_SCALE, Tool};
use gstreamer as gst;
use gstreamer::prelude::*;

/// One stroke in fractions of the picture (0.0 to 1.0 across and down).
#[derive(Debug, Clone, PartialEq)]
pub(in crate::engine) struct PictureStroke {
    pub(in crate::engine) tool: Tool,
    pub(in crate::engine) points: Vec<(f64, f64)>,
}

#[derive(Default)]
pub(in crate::engine) struct Layer {
    strokes: Vec<PictureStroke>,
    /// The picture's size as it enters the overlay.
    size: Option<(u32, u32)>,
    /// The strokes drawn for `size`; rebuilt when either changes (and, with a callout, when the
    /// picture does: the callout is a copy of part of it).
    drawn: Option<gstreamer_video::VideoOverlayComposition>,
    drawn_on: Option<usize>,
    /// The last picture that went under the strokes (for a snapshot).
    last: Option<gst::Sample>,
}

pub(in crate::engine) type SharedLayer = Arc<Mutex<Layer>>;

impl Layer {
    pub(in crate::engine) fn set(&mut self, strokes: Vec<PictureStroke>) {
        self.strokes = strokes;
        self.drawn = None;
    }

    pub(in crate::engine) fn is_empty(&self) -> bool {
        self.strokes.is_empty()
    }

    pub(in crate::engine) fn strokes(&self) -> Vec<PictureStroke> {
        self.strokes.clone()
    }
}

/// The `overlaycomposition` for `layer`.
pub(in crate::engine) fn overlay(layer: &SharedLayer) -> anyhow::Result<gst::Element> {
    let element = gst::ElementFactory::make("overlaycomposition").build()?;
    let on_caps = layer.clone();
    element.connect("caps-changed", false, move |args| {
        if let Some(info) = args
            .get(1)
            .and_then(|v| v.get::<gst::Caps>().ok())
            .and_then(|caps| gstreamer_video::VideoInfo::from_caps(&caps).ok())
        {
            let mut l = on_caps.lock().expect("annotation layer");
            let size = Some((info.width(), info.height()));
            if l.size != size {
                l.size = size;
                l.drawn = None;
            }
        }
        None
    });
    let on_draw = layer.clone();
    element.connect("draw", false, move |args| {
        if let Some(sample) = args.get(1).and_then(|v| v.get::<gst::Sample>().ok()) {
            on_draw.lock().expect("annotation layer").last = Some(sample);
        }
        // The signal's return type is a composition: `None` must be a typed NULL, never no value
        // (a bare `None` here aborts the process).
        let composition: Option<gstreamer_video::VideoOverlayComposition> = (|| {
            let mut l = on_draw.lock().expect("annotation layer");
            if l.strokes.is_empty() {
                return None;
            }
            let callouts = l.strokes.iter().any(|s| s.tool == Tool::Callout);
            let on = l
                .last
                .as_ref()
                .and_then(|s| s.buffer())
                .map(|b| b.as_ptr() as usize);
            if l.drawn.is_none() || (callouts && l.drawn_on != on) {
                let (w, h) = l.size?;
                let frame = if callouts {
                    l.last.as_ref().and_then(|s| frame_surface(s).ok())
                } else {
                    None
                };
                l.drawn_on = on;
                match draw(&l.strokes, w, h, frame.as_ref()) {
                    Ok(c) => l.drawn = Some(c),
                    Err(e) => {
                        tracing::warn!("annotation not drawn: {e:#}");
                        return None;
                    }
                }
            }
            l.drawn.clone()
        })();
        Some(composition.to_value())
    });
    Ok(element)
}

/// The strokes drawn on a transparent `w` x `h` layer. Widths scale with the picture, so a stroke
/// looks the same on a 640-pixel still as on a 4K page.
fn draw(
    strokes: &[PictureStroke],
    w: u32,
    h: u32,
    frame: Option<&cairo::ImageSurface>,
) -> anyhow::Result<gstreamer_video::VideoOverlayComposition> {
    let surface = cairo::ImageSurface::create(cairo::Format::ARgb32, w as i32, h as i32)?;
    paint(&surface, strokes, w, h, frame)?;
    surface.flush();
    let stride = surface.stride();
    let data = surface
        .take_data()
        .map_err(|e| anyhow::anyhow!("the layer is still in use: {e}"))?;
    let mut buffer = gst::Buffer::from_mut_slice(data);
    gstreamer_video::VideoMeta::add_full(
        buffer.get_mut().expect("new buffer"),
        gstreamer_video::VideoFrameFlags::empty(),
        gstreamer_video::VideoFormat::Bgra,
        w,
        h,
        &[0],
        &[stride],
    )?;
    let rect = gstreamer_video::VideoOverlayRectangle::new_raw(
        &buffer,
        0,
        0,
        w,
        h,
        gstreamer_video::VideoOverlayFormatFlags::PREMULTIPLIED_ALPHA,
    );
    Ok(gstreamer_video::VideoOverlayComposition::new(Some(&rect))?)
}

/// A PNG of the last picture under `layer` with its strokes painted on, at the picture's size.
pub(in crate::engine) fn snapshot(layer: &SharedLayer) -> anyhow::Result<(Vec<u8>, u32, u32)> {
    let (sample, strokes) = {
        let l = layer.lock().expect("annotation layer");
        (l.last.clone(), l.strokes.clone())
    };
    let sample = sample.ok_or_else(|| anyhow::anyhow!("no picture has been shown yet"))?;
    let frame = frame_surface(&sample)?;
    let (w, h) = (frame.width() as u32, frame.height() as u32);
    let surface = cairo::ImageSurface::create(cairo::Format::Rgb24, w as i32, h as i32)?;
    {
        let cr = cairo::Context::new(&surface)?;
        cr.set_source_surface(&frame, 0.0, 0.0)?;
        cr.paint()?;
    }
    paint(&surface, &strokes, w, h, Some(&frame))?;
    let mut png = Vec::new();
    surface.write_to_png(&mut png)?;
    Ok((png, w, h))
}

/// The picture of `sample` in cairo's RGB24 (BGRx in memory), whatever its own format.
fn frame_surface(sample: &gst::Sample) -> anyhow::Result<cairo::ImageSurface> {
    let caps = sample
        .caps()
        .ok_or_else(|| anyhow::anyhow!("the picture has no caps"))?;
    let info = gstreamer_video::VideoInfo::from_caps(caps)?;
    let buffer = sample
        .buffer_owned()
        .ok_or_else(|| anyhow::anyhow!("the picture has no buffer"))?;
    let (w, h) = (info.width(), info.height());
    // Into cairo's RGB24 (BGRx in memory), whatever the picture's format.
    let out_info = gstreamer_video::VideoInfo::builder(gstreamer_video::VideoFormat::Bgrx, w, h)
        .fps(info.fps())
        .build()?;
    let src = gstreamer_video::VideoFrame::from_buffer_readable(buffer, &info)
        .map_err(|_| anyhow::anyhow!("the picture cannot be read"))?;
    let out = gst::Buffer::with_size(out_info.size())?;
    let mut dest = gstreamer_video::VideoFrame::from_buffer_writable(out, &out_info)
        .map_err(|_| anyhow::anyhow!("no memory for the still"))?;
    gstreamer_video::VideoConverter::new(&info, &out_info, None)?.frame(&src, &mut dest);
    let stride = out_info.stride()[0] as usize;
    let plane = dest.plane_data(0)?;
    let mut surface = cairo::ImageSurface::create(cairo::Format::Rgb24, w as i32, h as i32)?;
    {
        let cs = surface.stride() as usize;
        let mut data = surface.data()?;
        for y in 0..h as usize {
            data[y * cs..y * cs + w as usize * 4]
                .copy_from_slice(&plane[y * stride..y * stride + w as usize * 4]);
        }
    }
    Ok(surface)
}

/// Where a callout of the region `(x0, y0)`-`(x1, y1)` (pixels) of a `w` x `h` picture is shown:
/// enlarged up to 2.5 times, within 90% of the picture, in its middle. `(x, y, width, height, scale)`.
pub(in crate::engine) fn callout_place(
    region: (f64, f64, f64, f64),
    w: f64,
    h: f64,
) -> (f64, f64, f64, f64, f64) {
    let (x0, y0, x1, y1) = region;
    let (rw, rh) = ((x1 - x0).abs().max(2.0), (y1 - y0).abs().max(2.0));
    let scale = 2.5f64.min(0.9 * w / rw).min(0.9 * h / rh).max(1.0);
    let (tw, th) = (rw * scale, rh * scale);
    ((w - tw) / 2.0, (h - th) / 2.0, tw, th, scale)
}

/// Paints `strokes` onto `surface` (`w` x `h`).
/// Paints `strokes` onto `surface` (`w` x `h`); a callout copies its region of `frame` (the
/// picture under the strokes) enlarged over the middle of the picture, framed, with its source
/// region outlined.
fn paint(
    surface: &cairo::ImageSurface,
    strokes: &[PictureStroke],
    w: u32,
    h: u32,
    frame: Option<&cairo::ImageSurface>,
) -> anyhow::Result<()> {
    {
        let cr = cairo::Context::new(surface)?;
        let (fw, fh) = (f64::from(w), f64::from(h));
        // A pen line is 1/150 of the picture's longer side: about 7 pixels on a 1080p screen
        // showing a whole page, legible from the back of a courtroom.
        let unit = fw.max(fh) / 150.0;
        cr.set_line_cap(cairo::LineCap::Round);
        cr.set_line_join(cairo::LineJoin::Round);
        for s in strokes {
            let at = |(x, y): (f64, f64)| (x * fw, y * fh);
            let first = at(s.points[0]);
            let last = at(*s.points.last().expect("a stroke has a point"));
            match s.tool {
                Tool::Highlighter => {
                    cr.set_source_rgba(1.0, 0.9, 0.0, 0.4);
                    cr.set_line_width(unit * 4.0);
                }
                _ => {
                    cr.set_source_rgba(0.9, 0.0, 0.0, 1.0);
                    cr.set_line_width(unit.max(3.0));
                }
            }
            match s.tool {
                Tool::Pen | Tool::Highlighter => {
                    cr.move_to(first.0, first.1);
                    if s.points.len() == 1 {
                        cr.line_to(first.0 + 0.01, first.1);
                    }
                    for p in &s.points[1..] {
                        let (x, y) = at(*p);
                        cr.line_to(x, y);
                    }
                }
                Tool::Callout => {
                    let (x0, y0) = (first.0.min(last.0), first.1.min(last.1));
                    let (x1, y1) = (first.0.max(last.0), first.1.max(last.1));
                    let (tx, ty, tw, th, scale) = callout_place((x0, y0, x1, y1), fw, fh);
                    if let Some(frame) = frame {
                        cr.save()?;
                        cr.rectangle(tx, ty, tw, th);
                        cr.clip();
                        cr.translate(tx, ty);
                        cr.scale(scale, scale);
                        cr.set_source_surface(frame, -x0, -y0)?;
                        cr.paint()?;
                        cr.restore()?;
                    }
                    cr.rectangle(x0, y0, x1 - x0, y1 - y0);
                    cr.rectangle(tx, ty, tw, th);
                }
                Tool::Rectangle => {
                    cr.rectangle(
                        first.0.min(last.0),
                        first.1.min(last.1),
                        (last.0 - first.0).abs(),
                        (last.1 - first.1).abs(),
                    );
                }
                Tool::Arrow => {
                    cr.move_to(first.0, first.1);
                    cr.line_to(last.0, last.1);
                    let angle = (last.1 - first.1).atan2(last.0 - first.0);
                    let head = unit * 5.0;
                    for side in [-0.5f64, 0.5] {
                        cr.move_to(last.0, last.1);
                        cr.line_to(
                            last.0 - head * (angle + side).cos(),
                            last.1 - head * (angle + side).sin(),
                        );
                    }
                }
            }
            cr.stroke()?;
        }
    }
    Ok(())
}

/// Where the picture on screen sits in the surface's 16:9 preview, and which part of the picture
/// the screens show: turns a point of the preview (ten-thousandths) into a point of the picture
/// (fractions). `view` is the crop `(left, top, width, height)` in pixels of a `picture`-sized frame.
pub(in crate::engine) fn preview_to_picture(
    point: (u16, u16),
    picture: (u32, u32),
    view: (f64, f64, f64, f64),
) -> (f64, f64) {
    let (u, v) = (
        f64::from(point.0) / f64::from(POINT_SCALE),
        f64::from(point.1) / f64::from(POINT_SCALE),
    );
    let (left, top, cw, ch) = view;
    // The view letterboxed into 16:9, as the thumbnail branch scales it (add-borders).
    let aspect = (cw / ch.max(1.0)) / (16.0 / 9.0);
    let (bw, bh) = if aspect > 1.0 {
        (1.0, 1.0 / aspect)
    } else {
        (aspect, 1.0)
    };
    let (x0, y0) = ((1.0 - bw) / 2.0, (1.0 - bh) / 2.0);
    let fx = ((u - x0) / bw).clamp(0.0, 1.0);
    let fy = ((v - y0) / bh).clamp(0.0, 1.0);
    let (pw, ph) = (f64::from(picture.0.max(1)), f64::from(picture.1.max(1)));
    ((left + fx * cw) / pw, (top + fy * ch) / ph)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_is_the_picture_with_its_strokes_painted_on() {
        gst::init().unwrap();
        // A white 200x100 I420 picture (a decoder's format, not cairo's) under a horizontal pen line
        // across its middle.
        let info =
            gstreamer_video::VideoInfo::builder(gstreamer_video::VideoFormat::I420, 200, 100)
                .build()
                .unwrap();
        let mut data = vec![128u8; info.size()];
        data[..200 * 100].fill(235);
        let buffer = gst::Buffer::from_mut_slice(data);
        let caps = info.to_caps().unwrap();
        let layer: SharedLayer = Default::default();
        {
            let mut l = layer.lock().unwrap();
            l.last = Some(gst::Sample::builder().buffer(&buffer).caps(&caps).build());
            l.set(vec![PictureStroke {
                tool: Tool::Pen,
                points: vec![(0.1, 0.5), (0.9, 0.5)],
            }]);
        }
        let (png, w, h) = snapshot(&layer).unwrap();
        assert_eq!((w, h), (200, 100));
        let mut surface = cairo::ImageSurface::create_from_png(&mut png.as_slice()).unwrap();
        let stride = surface.stride() as usize;
        let data = surface.data().unwrap();
        let px = |x: usize, y: usize| {
            let i = y * stride + x * 4;
            (data[i + 2], data[i + 1], data[i]) // BGRA in memory
        };
        let (r, g, b) = px(100, 50);
        assert!(r > 180 && g < 60 && b < 60, "the stroke: {:?}", (r, g, b));
        let (r, g, b) = px(100, 10);
        assert!(
            r > 200 && g > 200 && b > 200,
            "the white picture: {:?}",
            (r, g, b)
        );
    }

    #[test]
    fn preview_points_land_on_the_picture_through_the_letterbox_and_the_zoom() {
        // A 16:9 picture, whole: the preview is the picture.
        let p = preview_to_picture((5_000, 2_500), (1920, 1080), (0.0, 0.0, 1920.0, 1080.0));
        assert!(
            (p.0 - 0.5).abs() < 1e-9 && (p.1 - 0.25).abs() < 1e-9,
            "{p:?}"
        );
        // An A4 page, whole, pillarboxed in the preview: its left edge is at 30% of the preview.
        let (w, h) = (1920u32, 2716u32);
        let view = (0.0, 0.0, f64::from(w), f64::from(h));
        let left = preview_to_picture((3_020, 5_000), (w, h), view);
        assert!(left.0 < 0.01 && (left.1 - 0.5).abs() < 1e-9, "{left:?}");
        let outside = preview_to_picture((100, 5_000), (w, h), view);
        assert_eq!(
            outside.0, 0.0,
            "a point in the border lands on the page's edge"
        );
        // Zoomed to the top-left quarter of a 16:9 picture: the preview's middle is the picture's
        // point at a quarter across and down.
        let z = preview_to_picture((5_000, 5_000), (1920, 1080), (0.0, 0.0, 960.0, 540.0));
        assert!(
            (z.0 - 0.25).abs() < 1e-9 && (z.1 - 0.25).abs() < 1e-9,
            "{z:?}"
        );
    }
}
