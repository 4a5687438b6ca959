//! The built-in demo store: three hearings in today's list for `courtroom-2`, with exhibits that look
//! like the real thing (CCTV, a 999 call, a suspect interview, a restricted ABE interview, photos, a
//! witness statement with a plan). Media
//! is generated with GStreamer on first run and kept; the day's list is written again for each new day.

use std::path::Path;

use courtdeck_playout::client::demo_media;
use courtdeck_store::{BundleDescription, BundleExhibit, BundleListing, DirStore, bundle};
use jiff::civil::Date;

use crate::error::ApiResult;

pub const DEMO_COURT: &str = "courtroom-2";
pub const DEMO_COURT_NAME: &str = "Courtroom 2";

struct DemoExhibit {
    reference: &'static str,
    title: &'static str,
    file: &'static str,
    kind: &'static str,
    restriction: &'static str,
    clips: &'static [(&'static str, u64, u64)],
    /// A transcript file written beside the media (`TRANSCRIPTS`) and its restriction.
    transcript: Option<(&'static str, &'static str)>,
}

/// The demo's transcripts: an ABE interview's (WebVTT, with speakers; for the bench only) and a 999
/// call's (SRT, as call-handling systems export it; converted when bundled).
const TRANSCRIPTS: &[(&str, &str)] = &[
    (
        "abe-interview.vtt",
        "WEBVTT - ABE interview of witness W1 (demo)\n\n\
         1\n00:00.500 --> 00:02.500\n<v Interviewer>Can you tell me what happened on Friday?\n\n\
         2\n00:02.800 --> 00:05.000\n<v W1>I was walking home past the shops on the High Street.\n\n\
         3\n00:05.200 --> 00:07.400\n<v Interviewer>What did you see when you got there?\n\n\
         4\n00:07.600 --> 00:09.800\n<v W1>A man in a <i>grey</i> hoodie shouting at the door.\n",
    ),
    (
        "999-call.srt",
        "1\n00:00:00,500 --> 00:00:03,000\nEmergency, which service?\n\n\
         2\n00:00:03,200 --> 00:00:06,500\nPolice, please. There's a fight outside the shop.\n\n\
         3\n00:00:06,800 --> 00:00:10,000\nWhat's the address?\n\n\
         4\n00:00:10,200 --> 00:00:14,500\nHigh Street, by the bus stop. Please hurry.\n",
    ),
];

struct DemoCase {
    case_id: &'static str,
    title: &'static str,
    time: &'static str,
    hearing_type: &'static str,
    exhibits: &'static [DemoExhibit],
}

const CASES: &[DemoCase] = &[
    DemoCase {
        case_id: "JS-2026-0142",
        title: "R v J.S.",
        time: "10:00",
        hearing_type: "Trial",
        exhibits: &[
            DemoExhibit {
                reference: "JS/1",
                title: "CCTV High St 22:14",
                file: "cctv-high-st.mp4",
                kind: "video",
                restriction: "open",
                clips: &[("Entry", 4_000, 9_000), ("Altercation", 12_000, 18_000)],
                transcript: None,
            },
            DemoExhibit {
                reference: "JS/2",
                title: "999 call",
                file: "999-call.wav",
                kind: "audio",
                restriction: "open",
                clips: &[],
                transcript: Some(("999-call.srt", "open")),
            },
            DemoExhibit {
                reference: "JS/3",
                title: "ABE interview",
                file: "abe-interview.mpg",
                kind: "video",
                restriction: "no_public",
                clips: &[],
                transcript: Some(("abe-interview.vtt", "bench_only")),
            },
            DemoExhibit {
                reference: "JS/4",
                title: "Photo: scene 1",
                file: "scene-1.jpg",
                kind: "image",
                restriction: "open",
                clips: &[],
                transcript: None,
            },
            DemoExhibit {
                reference: "JS/5",
                title: "Photo: scene 2",
                file: "scene-2.jpg",
                kind: "image",
                restriction: "open",
                clips: &[],
                transcript: None,
            },
            DemoExhibit {
                reference: "JS/6",
                title: "Suspect interview",
                file: "interview.wmv",
                kind: "video",
                restriction: "open",
                clips: &[],
                transcript: None,
            },
            DemoExhibit {
                reference: "JS/7",
                title: "Witness statement (MG11) and plan",
                file: "witness-statement.pdf",
                kind: "document",
                restriction: "no_public",
                clips: &[],
                transcript: None,
            },
            DemoExhibit {
                reference: "JS/8",
                title: "CCTV High St camera 4 (other angle)",
                file: "cctv-high-st-cam4.mp4",
                kind: "video",
                restriction: "open",
                clips: &[],
                transcript: None,
            },
        ],
    },
    DemoCase {
        case_id: "KM-2026-0077",
        title: "R v K.M.",
        time: "10:30",
        hearing_type: "Sentence",
        exhibits: &[
            DemoExhibit {
                reference: "KM/1",
                title: "Suspect interview",
                file: "interview.wmv",
                kind: "video",
                restriction: "open",
                clips: &[],
                transcript: None,
            },
            DemoExhibit {
                reference: "KM/2",
                title: "Photo: injuries",
                file: "scene-2.jpg",
                kind: "image",
                restriction: "bench_only",
                clips: &[],
                transcript: None,
            },
        ],
    },
    DemoCase {
        case_id: "AP-2026-0203",
        title: "R v A.P.",
        time: "11:00",
        hearing_type: "Trial",
        exhibits: &[
            DemoExhibit {
                reference: "AP/1",
                title: "CCTV car park",
                file: "cctv-high-st.mp4",
                kind: "video",
                restriction: "open",
                clips: &[],
                transcript: None,
            },
            DemoExhibit {
                reference: "AP/2",
                title: "999 call",
                file: "999-call.wav",
                kind: "audio",
                restriction: "open",
                clips: &[],
                transcript: None,
            },
        ],
    },
];

/// Makes sure `dir` holds the demo store with a list for `date`. Cheap when it already does.
pub fn ensure_demo_store(dir: &Path, date: Date) -> ApiResult<()> {
    ensure_demo_store_from(dir, &dir.join("media-src"), date)
}

/// As `ensure_demo_store`, with the generated media kept in `media_dir` (tests share one).
pub fn ensure_demo_store_from(dir: &Path, media_dir: &Path, date: Date) -> ApiResult<()> {
    let store = DirStore::new(dir);
    let list = dir.join(courtdeck_store::court_list_path(
        &courtdeck_core::CourtId::parse(DEMO_COURT).expect("valid"),
        date,
    ));
    if list.exists() {
        return Ok(());
    }
    tracing::info!(dir = %dir.display(), %date, "preparing the demo store (first run generates media with GStreamer)");
    let media = demo_media(media_dir)?;
    for (file, text) in TRANSCRIPTS {
        let path = media_dir.join(file);
        std::fs::write(&path, text).map_err(|e| {
            crate::ApiError::new(
                courtdeck_core::ErrorCode::Internal,
                format!("writing {}: {e}", path.display()),
            )
        })?;
    }
    let duration = |file: &str| -> Option<u64> {
        media
            .iter()
            .find(|f| f.file == file)
            .and_then(|f| f.duration_ms)
    };
    for case in CASES {
        let desc = BundleDescription {
            case_id: case.case_id.into(),
            title: case.title.into(),
            exhibits: case
                .exhibits
                .iter()
                .map(|e| BundleExhibit {
                    reference: e.reference.into(),
                    title: e.title.into(),
                    file: e.file.into(),
                    kind: e.kind.into(),
                    media_type: None,
                    restriction: e.restriction.into(),
                    duration_ms: duration(e.file),
                    pages: media
                        .iter()
                        .find(|f| f.file == e.file)
                        .map(|f| f.pages.clone())
                        .unwrap_or_default(),
                    clips: e
                        .clips
                        .iter()
                        .map(|(label, start_ms, end_ms)| courtdeck_store::BundleClip {
                            label: (*label).into(),
                            start_ms: *start_ms,
                            end_ms: *end_ms,
                        })
                        .collect(),
                    transcript: e.transcript.map(|(file, _)| file.into()),
                    transcript_restriction: e.transcript.map_or("bench_only", |(_, r)| r).into(),
                    provenance: None,
                })
                .collect(),
            blob_links: false,
            listing: Some(BundleListing {
                court: DEMO_COURT.into(),
                court_name: DEMO_COURT_NAME.into(),
                date: date.to_string(),
                time: case.time.into(),
                hearing_type: case.hearing_type.into(),
            }),
        };
        bundle(&store, media_dir, &desc)?;
    }
    Ok(())
}
