//! A video-link client: what a CVP PC or a conference codec does with the court's stream, done with
//! GStreamer on loopback (`srtsrc` as caller, MPEG-TS, H.264 decoded), keeping the latest decoded
//! picture's average colour and when it arrived.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use gstreamer as gst;
use gstreamer::prelude::*;

/// The latest decoded frame: its average colour, when it arrived, and how many came.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub rgb: (u8, u8, u8),
    pub at: Instant,
    pub frames: u64,
}

#[derive(Debug)]
pub struct SrtClient {
    pipeline: gst::Pipeline,
    latest: Arc<Mutex<Option<Seen>>>,
    /// The latest decoded sound's level (dBFS) and when it came.
    heard: Arc<Mutex<Option<(f64, Instant)>>>,
}

impl SrtClient {
    /// Connects to `srt://127.0.0.1:port` and decodes what comes.
    pub fn connect(port: u16) -> Result<SrtClient> {
        gst::init()?;
        let pipeline = gst::parse::launch(&format!(
            "srtsrc uri=\"srt://127.0.0.1:{port}?mode=caller\" latency=60 ! tsdemux name=d \
             d. ! video/x-h264 ! queue ! h264parse ! avdec_h264 max-threads=1 ! videoconvert ! videoscale \
             ! video/x-raw,format=RGB,width=64,height=36 ! appsink name=sink max-buffers=2 drop=true sync=false \
             d. ! audio/mpeg ! queue ! aacparse ! avdec_aac ! audioconvert ! audioresample \
             ! audio/x-raw,format=S16LE,channels=1,rate=48000 ! appsink name=audio max-buffers=8 drop=true sync=false"
        ))?
        .downcast::<gst::Pipeline>()
        .map_err(|_| anyhow::anyhow!("not a pipeline"))?;
        let sink = pipeline
            .by_name("sink")
            .context("appsink")?
            .downcast::<gstreamer_app::AppSink>()
            .map_err(|_| anyhow::anyhow!("not an appsink"))?;
        let latest: Arc<Mutex<Option<Seen>>> = Arc::default();
        let l = latest.clone();
        sink.set_callbacks(
            gstreamer_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    let buffer = sample.buffer().ok_or(gst::FlowError::Error)?;
                    let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
                    let n = (map.len() / 3).max(1) as u64;
                    let sum = map.chunks_exact(3).fold([0u64; 3], |mut s, p| {
                        for i in 0..3 {
                            s[i] += u64::from(p[i]);
                        }
                        s
                    });
                    let mut latest = l.lock().expect("latest");
                    let frames = latest.map_or(0, |s| s.frames) + 1;
                    *latest = Some(Seen {
                        rgb: ((sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8),
                        at: Instant::now(),
                        frames,
                    });
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        let heard: Arc<Mutex<Option<(f64, Instant)>>> = Arc::default();
        let h = heard.clone();
        pipeline
            .by_name("audio")
            .context("audio appsink")?
            .downcast::<gstreamer_app::AppSink>()
            .map_err(|_| anyhow::anyhow!("not an appsink"))?
            .set_callbacks(
                gstreamer_app::AppSinkCallbacks::builder()
                    .new_sample(move |sink| {
                        let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                        let buffer = sample.buffer().ok_or(gst::FlowError::Error)?;
                        let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
                        let (sum, n) = map.chunks_exact(2).fold((0f64, 0u64), |(s, n), b| {
                            let v = f64::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0;
                            (s + v * v, n + 1)
                        });
                        let rms = (sum / n.max(1) as f64).sqrt();
                        let db = if rms > 0.0 {
                            20.0 * rms.log10()
                        } else {
                            -120.0
                        };
                        *h.lock().expect("heard") = Some((db.max(-120.0), Instant::now()));
                        Ok(gst::FlowSuccess::Ok)
                    })
                    .build(),
            );
        pipeline.set_state(gst::State::Playing)?;
        Ok(SrtClient {
            pipeline,
            latest,
            heard,
        })
    }

    /// Waits (up to 20 s) for sound decoded after `after` whose level (dBFS) `check` accepts.
    pub fn wait_for_sound(
        &self,
        what: &str,
        after: Instant,
        check: impl Fn(f64) -> bool,
    ) -> Result<f64> {
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let heard = *self.heard.lock().expect("heard");
            if let Some((db, at)) = heard
                && at > after
                && check(db)
            {
                return Ok(db);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the link's client never heard {what}: last {heard:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    pub fn latest(&self) -> Option<Seen> {
        *self.latest.lock().expect("latest")
    }

    /// Waits (up to 20 s) for a decoded frame, newer than `after`, that `check` accepts.
    pub fn wait_for(
        &self,
        what: &str,
        after: Instant,
        check: impl Fn((u8, u8, u8)) -> bool,
    ) -> Result<Seen> {
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(seen) = self.latest()
                && seen.at > after
                && check(seen.rgb)
            {
                return Ok(seen);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the link's client never saw {what}: last {:?}",
                self.latest()
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }
}

impl Drop for SrtClient {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// A free UDP port on loopback for an SRT listener.
pub fn free_udp_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP port");
    s.local_addr().expect("its address").port()
}

pub fn is_black(rgb: (u8, u8, u8)) -> bool {
    rgb.0 < 30 && rgb.1 < 30 && rgb.2 < 30
}

pub fn is_red(rgb: (u8, u8, u8)) -> bool {
    rgb.0 > 150 && rgb.1 < 90 && rgb.2 < 90
}

pub fn is_blue(rgb: (u8, u8, u8)) -> bool {
    rgb.2 > 150 && rgb.0 < 90 && rgb.1 < 90
}
