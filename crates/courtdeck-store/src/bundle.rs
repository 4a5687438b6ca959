//! `courtdeck bundle`: publishes a folder of media plus a small description into a directory store.
//!
//! The description (`case.toml`, documented in `docs/store-format.md`) names each file and its exhibit
//! details; bundle hashes each file, copies it to `blobs/sha256/<hex>`, writes the case manifest and adds
//! the hearing to the court list of its day (replacing an earlier listing of the same case).

use std::fs;
use std::path::{Component, Path};
use std::time::Duration;

use courtdeck_core::{
    CaseId, CaseManifest, CourtId, CourtList, Exhibit, ExhibitKind, ExhibitRef, Hearing,
    Restriction,
};
use serde::Deserialize;

use crate::{
    DirStore, PublisherKey, StoreError, blob_path, cache::hash_file, court_list_path,
    manifest_path, manifest_signature_path, wire,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleDescription {
    pub case_id: String,
    pub title: String,
    #[serde(rename = "exhibit")]
    pub exhibits: Vec<BundleExhibit>,
    pub listing: Option<BundleListing>,
    /// Kiosks fetch the blobs through pre-signed links (`cases/<id>/blob-links.json`, written by
    /// `courtdeck links`), not from the store's blob folder.
    #[serde(default)]
    pub blob_links: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleExhibit {
    pub reference: String,
    pub title: String,
    /// A file name inside the media folder.
    pub file: String,
    pub kind: String,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default = "open")]
    pub restriction: String,
    #[serde(default)]
    pub duration_ms: Option<u64>,
    #[serde(default, rename = "clip")]
    pub clips: Vec<BundleClip>,
    /// A document's page sizes in points: filled in by probing the file (`courtdeck bundle` asks
    /// the playout process), never trusted from the description.
    #[serde(skip)]
    pub pages: Vec<[f64; 2]>,
    /// A recording's transcript: a WebVTT (`.vtt`) or SRT (`.srt`, converted to WebVTT) file in the
    /// media folder, checked cue by cue against the recording's duration.
    #[serde(default)]
    pub transcript: Option<String>,
    /// Who may read the transcript along (captions): its own restriction, `bench_only` unless said.
    #[serde(default = "bench_only")]
    pub transcript_restriction: String,
    /// Where the file came from: set by `import bag` from the bag, never read from a case.toml.
    #[serde(skip)]
    pub provenance: Option<courtdeck_core::Provenance>,
}

fn open() -> String {
    "open".into()
}

fn bench_only() -> String {
    "bench_only".into()
}

/// A clip in a bundle description: the same fields as in the manifest.
pub type BundleClip = wire::ClipDoc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleListing {
    pub court: String,
    pub court_name: String,
    pub date: String,
    pub time: String,
    pub hearing_type: String,
}

fn invalid(reason: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("the bundle description is not valid: {reason}"))
}

fn media_type_for(file: &str) -> &'static str {
    let ext = file
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "mp4" | "m4v" => "video/mp4",
        "m4a" => "audio/mp4",
        "mov" => "video/quicktime",
        "ts" => "video/mp2t",
        "mpg" | "mpeg" | "vob" => "video/mpeg",
        "wmv" | "asf" => "video/x-ms-asf",
        "avi" => "video/x-msvideo",
        "mkv" => "video/x-matroska",
        "webm" => "video/webm",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "flac" => "audio/flac",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Checks the transcript `file` of `e` and publishes it as a WebVTT blob: a `.vtt` as it is (its
/// bytes are what the producer disclosed), an `.srt` converted. Refused with the file's line.
fn publish_transcript(
    store: &DirStore,
    media_dir: &Path,
    e: &BundleExhibit,
    file: &str,
) -> Result<courtdeck_core::transcript::TranscriptRef, StoreError> {
    use courtdeck_core::transcript::{MAX_TRANSCRIPT_BYTES, TranscriptRef};
    let refused = |why: String| {
        StoreError::TranscriptRefused(format!(
            "the transcript {file} of exhibit {} cannot be used: {why}",
            e.reference
        ))
    };
    let rel = Path::new(file);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(invalid(format!(
            "transcript {file:?} must be a name inside the media folder"
        )));
    }
    let src = media_dir.join(rel);
    let len = fs::metadata(&src)
        .map_err(|err| StoreError::io(format!("reading {}", src.display()), err))?
        .len();
    if len > MAX_TRANSCRIPT_BYTES {
        return Err(refused(format!(
            "it is {len} bytes; the most accepted is {MAX_TRANSCRIPT_BYTES}"
        )));
    }
    let bytes =
        fs::read(&src).map_err(|err| StoreError::io(format!("reading {}", src.display()), err))?;
    let text = std::str::from_utf8(&bytes).map_err(|err| {
        refused(format!(
            "it is not UTF-8 text (at byte {}); save it as UTF-8",
            err.valid_up_to()
        ))
    })?;
    let within = e.duration_ms.map(Duration::from_millis);
    let ext = file.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    let published = match ext.as_str() {
        "vtt" => {
            crate::webvtt::parse(text, within).map_err(|err| refused(err.to_string()))?;
            bytes
        }
        "srt" => {
            let t =
                crate::webvtt::parse_srt(text, within).map_err(|err| refused(err.to_string()))?;
            crate::webvtt::to_vtt(&t).into_bytes()
        }
        _ => {
            return Err(refused(
                "a transcript is a WebVTT (.vtt) or SRT (.srt) file".into(),
            ));
        }
    };
    let sha256 = courtdeck_core::Sha256Digest::of(&published);
    let dest = store.root().join(blob_path(&sha256));
    if !dest.exists() {
        write_atomic(&dest, &published)?;
    }
    Ok(TranscriptRef {
        sha256,
        size: published.len() as u64,
        restriction: Restriction::parse(&e.transcript_restriction).map_err(invalid)?,
    })
}

/// Publishes `media_dir` described by `desc` into `store`, unsigned. Returns the manifest written.
pub fn bundle(
    store: &DirStore,
    media_dir: &Path,
    desc: &BundleDescription,
) -> Result<CaseManifest, StoreError> {
    bundle_signed(store, media_dir, desc, None)
}

/// As `bundle`; with `key`, also writes `manifest.json.sig`. Without one, removes any earlier
/// signature (it would not match the new manifest).
pub fn bundle_signed(
    store: &DirStore,
    media_dir: &Path,
    desc: &BundleDescription,
    key: Option<&PublisherKey>,
) -> Result<CaseManifest, StoreError> {
    let case_id = CaseId::parse(&desc.case_id).map_err(invalid)?;
    let mut exhibits = Vec::new();
    for e in &desc.exhibits {
        // The file must be a plain name inside the media folder: no absolute paths, no `..`.
        let rel = Path::new(&e.file);
        if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(invalid(format!(
                "file {:?} must be a name inside the media folder",
                e.file
            )));
        }
        let src = media_dir.join(rel);
        let sha256 = hash_file(&src)
            .map_err(|err| StoreError::io(format!("reading {}", src.display()), err))?;
        let size = fs::metadata(&src)
            .map_err(|err| StoreError::io(format!("reading {}", src.display()), err))?
            .len();
        let dest = store.root().join(blob_path(&sha256));
        if !dest.exists() {
            fs::create_dir_all(dest.parent().expect("blob has a parent"))
                .map_err(|err| StoreError::io("creating the blob folder", err))?;
            let tmp = dest.with_extension("part");
            fs::copy(&src, &tmp)
                .map_err(|err| StoreError::io(format!("copying {}", src.display()), err))?;
            fs::rename(&tmp, &dest).map_err(|err| StoreError::io("publishing a blob", err))?;
        }
        let transcript = match &e.transcript {
            Some(file) => Some(publish_transcript(store, media_dir, e, file)?),
            None => None,
        };
        let clips = e
            .clips
            .iter()
            .map(wire::ClipDoc::to_clip)
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        exhibits.push(Exhibit {
            reference: ExhibitRef::parse(&e.reference).map_err(invalid)?,
            title: e.title.clone(),
            kind: ExhibitKind::parse(&e.kind).map_err(invalid)?,
            media_type: e
                .media_type
                .clone()
                .unwrap_or_else(|| media_type_for(&e.file).into()),
            size,
            sha256,
            restriction: Restriction::parse(&e.restriction).map_err(invalid)?,
            duration: e.duration_ms.map(Duration::from_millis),
            clips,
            pages: e
                .pages
                .iter()
                .map(|[w, h]| courtdeck_core::PageSize::from_points(*w, *h))
                .collect::<Result<Vec<_>, _>>()
                .map_err(invalid)?,
            derived_from: None,
            transcript,
            provenance: e.provenance.clone(),
        });
    }
    let mut manifest =
        CaseManifest::new(case_id.clone(), desc.title.clone(), exhibits).map_err(invalid)?;
    manifest.blob_links = desc.blob_links;
    let doc = serde_json::to_vec_pretty(&wire::manifest_doc(&manifest)).expect("serialisable");
    // Re-parse what we are about to publish, so that bundle can never write a manifest a kiosk refuses.
    wire::parse_manifest(&doc)?;
    let sig_path = store.root().join(manifest_signature_path(&case_id));
    match key {
        Some(key) => write_atomic(&sig_path, &key.sign(&doc))?,
        None => {
            let _ = fs::remove_file(&sig_path);
        }
    }
    write_atomic(&store.root().join(manifest_path(&case_id)), &doc)?;

    if let Some(l) = &desc.listing {
        let court = CourtId::parse(&l.court).map_err(invalid)?;
        let date = l
            .date
            .parse()
            .map_err(|e| invalid(format!("listing date {:?}: {e}", l.date)))?;
        let path = store.root().join(court_list_path(&court, date));
        let mut hearings = match fs::read(&path) {
            Ok(bytes) => wire::parse_court_list(&bytes)?.hearings,
            Err(_) => Vec::new(),
        };
        // A restriction the list already carries for the case (from HMCTS's list) is kept.
        let reporting_restriction = hearings
            .iter()
            .find(|h| h.case_id == case_id)
            .and_then(|h| h.reporting_restriction.clone());
        hearings.retain(|h| h.case_id != case_id);
        hearings.push(Hearing {
            time: jiff::civil::Time::strptime("%H:%M", &l.time)
                .map_err(|_| invalid(format!("listing time {:?} is not HH:MM", l.time)))?,
            case_id,
            title: desc.title.clone(),
            hearing_type: l.hearing_type.clone(),
            reporting_restriction,
        });
        let list = CourtList::new(court, l.court_name.clone(), date, hearings).map_err(invalid)?;
        let doc = serde_json::to_vec_pretty(&wire::court_list_doc(&list)).expect("serialisable");
        wire::parse_court_list(&doc)?;
        write_atomic(&path, &doc)?;
    }
    Ok(manifest)
}

/// Writes a document whole (a `.json.part` renamed into place), making its folder.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().expect("document has a parent");
    fs::create_dir_all(dir)
        .map_err(|e| StoreError::io(format!("creating {}", dir.display()), e))?;
    let tmp = path.with_extension("json.part");
    fs::write(&tmp, bytes).map_err(|e| StoreError::io(format!("writing {}", tmp.display()), e))?;
    fs::rename(&tmp, path).map_err(|e| StoreError::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::{Cache, read_court_list, read_manifest};

    #[test]
    fn bundle_then_fetch_verified() {
        let media = tempfile::tempdir().unwrap();
        let store_dir = tempfile::tempdir().unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        fs::write(media.path().join("a.mp4"), vec![1u8; 3 * 1024 * 1024 + 17]).unwrap();
        fs::write(media.path().join("b.jpg"), b"jpeg").unwrap();
        let desc: BundleDescription = toml::from_str(
            r#"
            case_id = "JS-1"
            title = "R v J.S."
            [listing]
            court = "courtroom-2"
            court_name = "Courtroom 2"
            date = "2026-11-26"
            time = "10:00"
            hearing_type = "Trial"
            [[exhibit]]
            reference = "JS/1"
            title = "CCTV"
            file = "a.mp4"
            kind = "video"
            duration_ms = 20000
            [[exhibit.clip]]
            label = "Entry"
            start_ms = 1000
            end_ms = 3000
            [[exhibit]]
            reference = "JS/2"
            title = "Photo"
            file = "b.jpg"
            kind = "image"
            restriction = "no_public"
            "#,
        )
        .unwrap();
        let store = DirStore::new(store_dir.path());
        let written = bundle(&store, media.path(), &desc).unwrap();
        let case = CaseId::parse("JS-1").unwrap();
        let read = read_manifest(&store, &case).unwrap();
        assert_eq!(read, written);
        assert_eq!(read.exhibits()[1].restriction, Restriction::NoPublic);
        assert_eq!(read.exhibits()[0].media_type, "video/mp4");

        let list = read_court_list(
            &store,
            &CourtId::parse("courtroom-2").unwrap(),
            "2026-11-26".parse().unwrap(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(list.hearings.len(), 1);
        // Bundling again replaces the listing rather than duplicating it.
        bundle(&store, media.path(), &desc).unwrap();
        let list = read_court_list(&store, &list.court, list.date)
            .unwrap()
            .unwrap();
        assert_eq!(list.hearings.len(), 1);

        let cache = Cache::new(cache_dir.path());
        let mut last = None;
        for e in read.exhibits() {
            assert_eq!(cache.verified_path(e), None);
            let path = cache
                .fetch(&store, e, &AtomicBool::new(false), &mut |p| last = Some(p))
                .unwrap();
            assert_eq!(cache.verified_path(e), Some(path.clone()));
            assert_eq!(hash_file(&path).unwrap(), e.sha256);
            assert_eq!(cache.reverify(e).unwrap(), None, "a good copy stays");
        }
        assert_eq!(last.unwrap().done, 4);
    }

    #[test]
    fn transcripts_are_checked_published_and_fetched_as_blobs_of_their_own() {
        use crate::{TranscriptBlob, webvtt};
        let media = tempfile::tempdir().unwrap();
        let store_dir = tempfile::tempdir().unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        fs::write(media.path().join("a.mpg"), vec![1u8; 10]).unwrap();
        fs::write(media.path().join("b.wav"), vec![2u8; 10]).unwrap();
        let vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Officer>Where were you?\n";
        fs::write(media.path().join("a.vtt"), vtt).unwrap();
        fs::write(
            media.path().join("b.srt"),
            "1\n00:00:01,000 --> 00:00:03,000\nEmergency, <i>which</i> service?\n",
        )
        .unwrap();
        let description = |a: &str, b: &str| -> BundleDescription {
            toml::from_str(&format!(
                r#"
                case_id = "T-1"
                title = "R v T"
                [[exhibit]]
                reference = "T/1"
                title = "ABE"
                file = "a.mpg"
                kind = "video"
                restriction = "no_public"
                duration_ms = 10000
                transcript = "{a}"
                [[exhibit]]
                reference = "T/2"
                title = "999"
                file = "b.wav"
                kind = "audio"
                duration_ms = 10000
                transcript = "{b}"
                transcript_restriction = "open"
                "#
            ))
            .unwrap()
        };
        let store = DirStore::new(store_dir.path());
        let m = bundle(&store, media.path(), &description("a.vtt", "b.srt")).unwrap();
        assert_eq!(read_manifest(&store, &m.case_id).unwrap(), m);
        let (abe, call) = (&m.exhibits()[0], &m.exhibits()[1]);
        let t = abe.transcript.unwrap();
        assert_eq!(t.restriction, Restriction::BenchOnly, "the default");
        assert_eq!(
            t.sha256,
            courtdeck_core::Sha256Digest::of(vtt.as_bytes()),
            "a .vtt is published as given"
        );
        assert_eq!(call.transcript.unwrap().restriction, Restriction::Open);
        let cache = Cache::new(cache_dir.path());
        for e in [abe, call] {
            let blob = TranscriptBlob::of(e).unwrap();
            let path = cache
                .fetch(&store, &blob, &AtomicBool::new(false), &mut |_| {})
                .unwrap();
            let text = fs::read_to_string(path).unwrap();
            let parsed = webvtt::parse(&text, e.duration).unwrap();
            assert_eq!(parsed.cues().len(), 1);
        }
        let srt = fs::read_to_string(
            cache
                .verified_path(&TranscriptBlob::of(call).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert!(
            srt.starts_with("WEBVTT"),
            "an SRT is published as WebVTT: {srt}"
        );
        assert!(srt.contains("Emergency, which service?"), "{srt}");

        // A bad transcript is refused with its line, and nothing of the case is published.
        let fresh = tempfile::tempdir().unwrap();
        let bad_store = DirStore::new(fresh.path());
        fs::write(
            media.path().join("bad.vtt"),
            "WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:09.000 --> 00:11.500\nafter the end\n",
        )
        .unwrap();
        fs::write(
            media.path().join("evil.vtt"),
            "WEBVTT\n\n00:01.000 --> 00:02.000\n<script>x</script>\n",
        )
        .unwrap();
        fs::write(
            media.path().join("latin1.srt"),
            b"1\n00:00:01,000 --> 00:00:02,000\ncaf\xe9\n",
        )
        .unwrap();
        for (file, words) in [
            (
                "bad.vtt",
                "line 6: this cue: it runs from 0:00:09.000 to 0:00:11.500, past the end of the recording (0:00:10.000)",
            ),
            ("evil.vtt", "line 4: <script> is not WebVTT markup"),
            ("latin1.srt", "not UTF-8"),
            ("a.mpg", "a WebVTT (.vtt) or SRT (.srt) file"),
        ] {
            let err = bundle(&bad_store, media.path(), &description(file, "b.srt")).unwrap_err();
            assert_eq!(
                err.code(),
                courtdeck_core::ErrorCode::TranscriptRefused,
                "{err}"
            );
            assert!(err.to_string().contains(words), "{file}: {err}");
            assert!(
                err.to_string()
                    .contains(&format!("the transcript {file} of exhibit T/1")),
                "{err}"
            );
            assert!(!fresh.path().join(manifest_path(&m.case_id)).exists());
        }
        let err = bundle(&bad_store, media.path(), &description("../a.vtt", "b.srt")).unwrap_err();
        assert!(err.to_string().contains("inside the media folder"), "{err}");
        // A transcript on a still is refused by the manifest's own rules.
        let mut desc = description("a.vtt", "b.srt");
        desc.exhibits[0].kind = "image".into();
        desc.exhibits[0].duration_ms = None;
        let err = bundle(&bad_store, media.path(), &desc).unwrap_err();
        assert!(err.to_string().contains("only a recording"), "{err}");
    }

    #[test]
    fn tampered_blob_never_enters_the_cache() {
        let media = tempfile::tempdir().unwrap();
        let store_dir = tempfile::tempdir().unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        fs::write(media.path().join("a.wav"), vec![9u8; 100_000]).unwrap();
        let desc: BundleDescription = toml::from_str(
            r#"
            case_id = "K-1"
            title = "R v K"
            [[exhibit]]
            reference = "K/1"
            title = "999 call"
            file = "a.wav"
            kind = "audio"
            "#,
        )
        .unwrap();
        let store = DirStore::new(store_dir.path());
        let manifest = bundle(&store, media.path(), &desc).unwrap();
        let e = &manifest.exhibits()[0];
        // Flip one byte of the published blob, keeping its size.
        let blob = store_dir.path().join(blob_path(&e.sha256));
        let mut bytes = fs::read(&blob).unwrap();
        bytes[50_000] ^= 1;
        fs::write(&blob, bytes).unwrap();

        let cache = Cache::new(cache_dir.path());
        let err = cache
            .fetch(&store, e, &AtomicBool::new(false), &mut |_| {})
            .unwrap_err();
        assert_eq!(err.code(), courtdeck_core::ErrorCode::HashMismatch, "{err}");
        assert_eq!(cache.verified_path(e), None);
        assert!(
            !cache_dir
                .path()
                .join("tmp")
                .join(format!("{}.part", e.sha256))
                .exists()
        );
        println!(
            "RELIABILITY|store|tampered_blob_never_enters_the_cache|a tampered blob in a directory store|{}",
            1
        );
    }

    /// Publishes cases `ids`, one exhibit each of `size` bytes, and fetches them into `cache`.
    fn cached_cases(
        store_dir: &Path,
        cache: &Cache,
        ids: &[&str],
        size: usize,
    ) -> Vec<CaseManifest> {
        let media = tempfile::tempdir().unwrap();
        let store = DirStore::new(store_dir);
        ids.iter()
            .enumerate()
            .map(|(i, id)| {
                fs::write(media.path().join("x.bin"), vec![i as u8 + 1; size]).unwrap();
                let desc = BundleDescription {
                    case_id: (*id).into(),
                    title: format!("R v {id}"),
                    exhibits: vec![BundleExhibit {
                        reference: "A/1".into(),
                        title: "x".into(),
                        file: "x.bin".into(),
                        kind: "image".into(),
                        media_type: None,
                        restriction: "open".into(),
                        duration_ms: None,
                        clips: vec![],
                        pages: vec![],
                        transcript: None,
                        transcript_restriction: "bench_only".into(),
                        provenance: None,
                    }],
                    listing: None,
                    blob_links: false,
                };
                let m = bundle(&store, media.path(), &desc).unwrap();
                cache
                    .fetch(
                        &store,
                        &m.exhibits()[0],
                        &AtomicBool::new(false),
                        &mut |_| {},
                    )
                    .unwrap();
                m
            })
            .collect()
    }

    #[test]
    fn a_cancelled_fetch_keeps_what_arrived_for_the_next() {
        let store_dir = tempfile::tempdir().unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(cache_dir.path());
        let m = cached_cases(store_dir.path(), &cache, &["C-1"], 3 << 20);
        let e = &m[0].exhibits()[0];
        fs::remove_file(cache.verified_path(e).unwrap()).unwrap();
        let cancel = AtomicBool::new(false);
        let store = DirStore::new(store_dir.path());
        // Cancel after the first megabyte is written.
        let err = cache
            .fetch(&store, e, &cancel, &mut |p| {
                if p.done >= 1 << 20 {
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::Cancelled { .. }), "{err}");
        assert_eq!(cache.verified_path(e), None);
        let report = cache
            .fetch_with_report(&store, e, &AtomicBool::new(false), &mut |_| {})
            .unwrap();
        assert!(report.resumed_from >= 1 << 20, "{report:?}");
        assert_eq!(hash_file(&report.path).unwrap(), e.sha256);
    }

    #[test]
    fn housekeeping_evicts_old_cases_and_keeps_todays() {
        use crate::housekeeping::Policy;
        let store_dir = tempfile::tempdir().unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(cache_dir.path());
        let m = cached_cases(
            store_dir.path(),
            &cache,
            &["OLD", "RECENT", "TODAY", "BIG"],
            1000,
        );
        let today: jiff::civil::Date = "2026-11-26".parse().unwrap();
        cache.note_listing(&m[0], "2026-09-01".parse().unwrap());
        cache.note_listing(&m[1], "2026-11-20".parse().unwrap());
        cache.note_listing(&m[2], today);
        cache.note_listing(&m[3], "2026-11-19".parse().unwrap());
        // A later listing moves the date on; an earlier one does not move it back.
        cache.note_listing(&m[1], "2026-11-01".parse().unwrap());
        let policy = Policy {
            retention_days: 30,
            max_bytes: Some(2500),
        };
        let report = cache
            .housekeep(today, policy, &std::collections::HashSet::new())
            .unwrap();
        // OLD expired; then over 2500 bytes BIG (listed before RECENT) goes; TODAY is never evicted.
        assert_eq!(report.evicted_blobs, 2, "{report:?}");
        assert_eq!(report.kept_bytes, 2000);
        assert_eq!(report.forgotten_cases, 1);
        let cached = |i: usize| cache.verified_path(&m[i].exhibits()[0]).is_some();
        assert!(!cached(0) && cached(1) && cached(2) && !cached(3));
        // Nothing to do the second time.
        let again = cache
            .housekeep(today, policy, &std::collections::HashSet::new())
            .unwrap();
        assert_eq!(again.evicted_blobs, 0);
    }

    #[test]
    fn bundle_refuses_paths_outside_the_media_folder() {
        let media = tempfile::tempdir().unwrap();
        let store_dir = tempfile::tempdir().unwrap();
        for file in ["../secret.mp4", "/etc/passwd"] {
            let desc = BundleDescription {
                case_id: "A-1".into(),
                title: "R v A".into(),
                exhibits: vec![BundleExhibit {
                    reference: "A/1".into(),
                    title: "x".into(),
                    file: file.into(),
                    kind: "video".into(),
                    media_type: None,
                    restriction: "open".into(),
                    duration_ms: None,
                    clips: vec![],
                    pages: vec![],
                    transcript: None,
                    transcript_restriction: "bench_only".into(),
                    provenance: None,
                }],
                listing: None,
                blob_links: false,
            };
            let err = bundle(&DirStore::new(store_dir.path()), media.path(), &desc).unwrap_err();
            assert!(err.to_string().contains("inside the media folder"), "{err}");
        }
        println!(
            "RELIABILITY|custody|bundle_refuses_paths_outside_the_media_folder|bundle descriptions naming files outside the media folder|{}",
            2
        );
    }
}
