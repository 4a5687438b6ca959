//! What the custody log records: one typed event per thing the court may later ask about.
//!
//! Every record is written through [`CustodyEvent`]; the log's line keeps the shape it always had
//! (`"event":"<name>","fields":{…}`), so logs written before the events were typed still verify,
//! export and read back as events ([`CustodyEvent::from_record`]). A record made while a hearing is
//! open also carries that hearing's `case` among its fields; it is kept beside the event, not in it
//! ([`AuditLog::record`](crate::AuditLog::record) takes it), so one event type serves a kiosk, a
//! publisher and the log's own repairs.
//!
//! `docs/custody-events.md` is generated from this file (`cargo test -p courtdeck-audit --lib
//! custody_events_doc`, `UPDATE_GENERATED=1` to rewrite it): the list of events the court's record is
//! made of is this enum, not a list kept by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One record of the custody log. Field names are the log's own; the documentation of each variant
/// and field is what `docs/custody-events.md` says of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "event", content = "fields", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CustodyEvent {
    // ---- The kiosk itself ----
    /// The kiosk started.
    AppStart {
        kiosk_id: String,
        /// The courtroom this kiosk serves.
        court: String,
        /// The evidence store it reads (a folder or a URL, never a credential).
        store: String,
        version: String,
    },
    /// The kiosk stopped.
    AppStop { kiosk_id: String },
    /// The playout process (which owns the screens and the decoders) ended unexpectedly.
    PlayoutCrashed { reason: String },
    /// The playout process was started again after a crash.
    PlayoutRestarted { pid: u32 },
    /// The clerk's setup checks ran.
    SetupCheck {
        /// `pass`, `warn` or `fail`.
        overall: String,
        pass: usize,
        warn: usize,
        fail: usize,
        /// The ids of the failed checks.
        failed: Vec<String>,
        /// Where the report was written.
        report: Option<String>,
    },

    // ---- Screens ----
    /// A screen that was missing is connected again.
    ScreenConnected { screen: String },
    /// A screen is missing: its monitor is unplugged or off.
    ScreenMissing { screen: String },
    /// A screen's connector carries a different monitor from the one configured for it; nothing is
    /// shown on it.
    ScreenMismatch { screen: String },
    /// A screen was blanked.
    ScreenBlanked { screen: String },
    /// A blanked screen shows its exhibit again.
    ScreenUnblanked { screen: String },
    /// Every screen was blanked at once.
    BlankAll {},
    /// Every screen was blanked by the hardware blank key (`key`, grabbed by the playout process
    /// itself), whatever the control surface was doing.
    BlankKey { key: String },
    /// The slates (titles shown between exhibits) were cleared from every screen.
    SlatesCleared {},

    // ---- Evidence fetched and kept ----
    /// A fetch of an exhibit from the store began.
    FetchStarted {
        exhibit: String,
        sha256: String,
        bytes: u64,
        store: String,
    },
    /// An exhibit (or one of its parts, `blob`) was fetched and its SHA-256 matched.
    FetchVerified {
        exhibit: String,
        blob: String,
        sha256: String,
        bytes: u64,
        bytes_received: u64,
        /// The byte a resumed fetch began from.
        resumed_from: u64,
        reconnects: u64,
        store: String,
    },
    /// A fetched copy did not match its SHA-256: it was not kept.
    FetchFailedVerification {
        exhibit: String,
        blob: String,
        sha256: String,
        /// The error code (`docs/error-codes.md`).
        code: String,
        reason: String,
    },
    /// A fetch failed for another reason (the store, the network, the disk).
    FetchFailed {
        exhibit: String,
        blob: String,
        sha256: String,
        code: String,
        reason: String,
    },
    /// A cached copy no longer matched its SHA-256 (the disk rotted it); it was moved aside.
    CacheCorrupt {
        exhibit: String,
        blob: String,
        sha256: String,
        actual_sha256: String,
        bytes: u64,
        quarantined_to: String,
    },
    /// Old cases were removed from the kiosk's cache.
    CacheHousekeeping {
        evicted_blobs: usize,
        evicted_bytes: u64,
        forgotten_cases: usize,
    },

    // ---- The hearing ----
    /// A hearing was opened: its exhibits, and which were verified in the cache.
    HearingLaunched { exhibits: Vec<ExhibitInCache> },
    /// An exhibit was put on screens.
    ExhibitPresented {
        exhibit: String,
        sha256: String,
        restriction: String,
        /// Where the exhibit came from, when its package said (`null` when it did not; records
        /// from before provenance was kept have no such field).
        provenance: Option<ProvenanceRecord>,
        screens: Vec<ScreenShown>,
    },
    /// A request to show an exhibit was refused by its restriction.
    RouteRefused {
        exhibit: String,
        restriction: String,
        /// The screens asked for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requested: Option<Vec<String>>,
        /// The recording it was to be shown beside, when it was side by side.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        beside: Option<String>,
        reason: String,
    },
    /// The exhibit on air was taken down.
    ExhibitWithdrawn { exhibit: String },

    // ---- Live sources ----
    /// A live source (a laptop casting, a capture device) was put on screens. It is not evidence
    /// from the store: nothing of it is verified or kept unless a held frame is kept as an exhibit.
    LiveShown {
        /// Its id in the configuration.
        source: String,
        label: String,
        /// `stream` or `capture`.
        kind: String,
        /// Where its picture comes in: the SRT listener's address, or the capture device's name.
        origin: String,
        restriction: String,
        screens: Vec<ScreenShown>,
    },
    /// A live source was taken off the screens: withdrawn, replaced, or the playout process
    /// restarted.
    LiveEnded { source: String, reason: String },
    /// The picture of a live source on air stopped (`present` false: the screens show "No signal")
    /// or came back.
    LiveSignal {
        source: String,
        present: bool,
        detail: Option<String>,
    },
    /// The live source on air was frozen on its current frame.
    LiveHeld { source: String },
    /// The held live source runs live again.
    LiveReleased { source: String },
    /// A clip of the exhibit on air was played.
    ClipPlayed {
        clip: String,
        start_ms: u64,
        end_ms: u64,
    },
    /// A page of a document was shown.
    PageShown {
        exhibit: String,
        sha256: String,
        page: u32,
        pages: usize,
    },
    /// The picture on air was zoomed (a region, or a document's width).
    ExhibitZoomed {
        exhibit: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        factor: Option<f64>,
        /// The region shown, as fractions of the picture.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<Region>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fit_width: Option<bool>,
        /// How far down a fit-width page is scrolled (0 top, 1 bottom).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scroll: Option<f64>,
    },
    /// Strokes were drawn on the picture on air.
    AnnotationDrawn(Annotation),
    /// The strokes on the picture on air were cleared.
    AnnotationCleared(Annotation),
    /// A still with its strokes was kept as a new exhibit.
    ExhibitDerived {
        exhibit: String,
        sha256: String,
        restriction: String,
        size: u64,
        source: DerivedFrom,
        strokes: Vec<StrokeRecord>,
        /// The derivation record written beside the cache.
        record: String,
    },
    /// A second recording was shown beside the one on air.
    BesideShown {
        exhibit: String,
        sha256: String,
        beside: String,
        beside_sha256: String,
        beside_restriction: String,
        offset_ms: i64,
        screens: Vec<ScreenShown>,
    },
    /// Side by side ended.
    BesideOff {
        exhibit: String,
        beside: Option<String>,
    },
    /// Captions from a transcript were shown.
    CaptionsShown {
        exhibit: String,
        transcript_sha256: Option<String>,
        restriction: String,
        screens: Vec<ScreenShown>,
    },
    /// Captions were taken off.
    CaptionsOff {
        exhibit: String,
        transcript_sha256: Option<String>,
    },
    /// An agreed passage of a transcript (a designation) was played.
    DesignationPlayed {
        exhibit: String,
        designation: String,
        first_line: usize,
        last_line: usize,
        start_ms: u64,
        end_ms: u64,
    },
    /// The exhibit sound's level was set (0 to 1.5; 1 as recorded).
    VolumeSet { volume: f64 },
    /// The sound was muted.
    SoundMuted {},
    /// The sound was unmuted.
    SoundUnmuted {},
    /// The exhibit on air stalled: its picture stopped while it should be playing.
    ExhibitStalled { exhibit: String, message: String },
    /// The exhibit on air has sound that could not be played.
    SoundUnavailable { exhibit: String, message: String },
    /// The exhibit on air is damaged (part of it could not be decoded).
    ExhibitDamaged { exhibit: String, message: String },
    /// Playout could not go on showing the exhibit on air (or cued) and took it down: its screens
    /// show the "unavailable" slate. `code` is the error code, `message` says why in words.
    ExhibitFailed {
        exhibit: String,
        code: String,
        message: String,
    },

    // ---- The publisher's side ----
    /// A case's evidence was published to a store.
    CasePublished {
        store: String,
        signed: bool,
        retain_days: Option<u32>,
        exhibits: Vec<ExhibitPublished>,
    },
    /// Signed links to a case's files in an S3 store were written for a kiosk without credentials.
    BlobLinksWritten {
        store: String,
        links: usize,
        expires: String,
        file: String,
    },
    /// An evidence package (BagIt) was imported as a case.
    BagImported {
        bag: String,
        bagit_version: String,
        source_organisation: Option<String>,
        external_identifier: String,
        bagging_date: Option<String>,
        /// Whether the bag carried Courtdeck's profile file (exhibit references, restrictions).
        profile: bool,
        exhibits: Vec<BagExhibitRecord>,
    },
    /// A case was exported as an evidence package (BagIt), with its custody records.
    BagExported {
        bag: String,
        exhibits: usize,
        bytes: u64,
        custody_records: usize,
    },
    /// HMCTS court lists were imported (from a file, or pushed by CaTH).
    CourtListsImported {
        /// `file` or `cath`.
        source: String,
        file: Option<String>,
        /// CaTH's publication id, when pushed.
        publication: Option<String>,
        /// Who pushed it (the token's client).
        by: Option<String>,
        list_type: String,
        content_date: Option<String>,
        publication_date: Option<String>,
        store: String,
        lists: Vec<ListWritten>,
        unmapped_rooms: Vec<UnmappedRoom>,
        skipped: Vec<ListPartSkipped>,
    },
    /// A publication pushed by CaTH was acknowledged and not imported (another list type, a flat file).
    CathPublicationIgnored {
        publication: String,
        by: Option<String>,
        list_type: Option<String>,
        why: String,
    },
    /// Court lists written by a CaTH publication were removed (it was replaced or withdrawn).
    CourtListsWithdrawn {
        publication: String,
        by: Option<String>,
        /// `replaced` or `withdrawn`.
        why: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        list_type: Option<String>,
        removed: Vec<String>,
        /// Lists left in place because something else wrote them since.
        kept_changed_since: Vec<String>,
    },
    /// A store credential was saved in the OS keyring (the secret itself is never recorded).
    CredentialSaved {
        store: String,
        /// How the store is reached (`s3`, `basic`, `bearer`…).
        auth: String,
    },
    /// A store credential was removed from the OS keyring.
    CredentialRemoved { store: String, existed: bool },

    // ---- The log itself ----
    /// A torn last line (a write cut off by a power cut) was moved to a quarantine file and the chain
    /// went on from the last good record.
    LogRecovered {
        after_record: u64,
        last_good_hash: String,
        quarantine_file: String,
        quarantined_bytes: u64,
        quarantined_sha256: String,
        reason: String,
    },
}

/// An exhibit of a launched hearing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ExhibitInCache {
    pub exhibit: String,
    pub sha256: String,
    pub verified_in_cache: bool,
}

/// An exhibit as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ExhibitPublished {
    pub exhibit: String,
    pub sha256: String,
    pub restriction: String,
}

/// A screen an exhibit was shown on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ScreenShown {
    pub screen: String,
    /// The name the room knows it by (`BENCH`); captions' records leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub role: String,
}

/// Where an exhibit came from, as its evidence package stated it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ProvenanceRecord {
    pub source_organisation: String,
    pub source_id: Option<String>,
    /// `master`, `working_copy`…
    pub copy: Option<String>,
    /// Whether the package stated the exhibit's restriction (rather than the kiosk's default).
    pub restriction_stated: bool,
    /// The source's own digests, by algorithm.
    pub source_digests: BTreeMap<String, String>,
}

/// A region of a picture, as fractions of its width and height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Region {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// The strokes on the picture on air, and which frame or page they mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Annotation {
    /// The exhibit marked, or `live:<source>` for a live source's held frame.
    pub exhibit: String,
    /// The exhibit's SHA-256; empty for a live source's held frame (nothing of it is hashed).
    pub sha256: String,
    pub screens: Option<Vec<String>>,
    pub strokes: Vec<StrokeRecord>,
    /// Points are in units of 1/`point_scale` of the picture's width and height.
    pub point_scale: u32,
    /// The page, on a document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// The position, on a recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_ms: Option<u64>,
}

/// One stroke of the telestrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct StrokeRecord {
    /// `pen`, `arrow`, `circle`, `highlight`…
    pub tool: String,
    /// `[x, y]` in 1/`point_scale` (ten-thousandths) of the picture.
    pub points: Vec<[u16; 2]>,
}

/// What a derived still was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct DerivedFrom {
    /// The exhibit it was made of, or `live:<source>` for a live source's held frame.
    pub exhibit: String,
    /// The exhibit's SHA-256; empty for a live source (nothing of it is hashed).
    pub sha256: String,
    pub page: Option<u32>,
    pub position_ms: Option<u64>,
    /// When a live source's frame was kept (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
}

/// An exhibit of an imported bag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct BagExhibitRecord {
    pub exhibit: String,
    /// Its path in the bag (`data/…`).
    pub path: String,
    pub copy: Option<String>,
    pub source_id: Option<String>,
    pub restriction: String,
    /// The bag's manifests' digests of it, by algorithm.
    pub bag_digests: BTreeMap<String, String>,
}

/// One court list written by an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ListWritten {
    pub court: String,
    pub date: String,
    pub hearings: usize,
}

/// A courtroom in a list that no `[[lists.rooms]]` line maps; written under a derived court id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct UnmappedRoom {
    pub court_house: String,
    pub room: String,
    pub court: String,
}

/// A part of a court list that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ListPartSkipped {
    /// What was skipped (`hearing`, `sitting`, `room`…).
    pub kind: String,
    /// Where in the list it was.
    pub at: String,
    pub case: Option<String>,
    pub reason: String,
}

/// One record of a log read back as an event (`read_events`).
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub seq: u64,
    /// When it was recorded (RFC 3339, UTC).
    pub ts: String,
    /// The hearing's case it was recorded under.
    pub case: Option<String>,
    pub event: CustodyEvent,
}

/// Every record of a log as events, in order. Fails at the first line that is not a record of an
/// event this version knows (the chain is `verify`'s business, not this function's).
pub fn read_events(path: &std::path::Path) -> Result<Vec<Logged>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            let at = |e: &dyn std::fmt::Display| format!("{}:{}: {e}", path.display(), n + 1);
            let v: serde_json::Value = serde_json::from_str(line).map_err(|e| at(&e))?;
            let name = v["event"].as_str().ok_or_else(|| at(&"no event"))?;
            let (case, event) =
                CustodyEvent::from_record(name, &v["fields"]).map_err(|e| at(&e))?;
            Ok(Logged {
                seq: v["seq"].as_u64().unwrap_or_default(),
                ts: v["ts"].as_str().unwrap_or_default().to_owned(),
                case,
                event,
            })
        })
        .collect()
}

impl CustodyEvent {
    /// The event's name in the log (`exhibit_presented`).
    pub fn name(&self) -> String {
        match self.to_record(None) {
            Ok((name, _)) => name,
            Err(_) => "unknown".into(),
        }
    }

    /// The record's `event` and `fields`, with the hearing's `case` among the fields when given
    /// (as every record made while a hearing is open has).
    pub fn to_record(
        &self,
        case: Option<&str>,
    ) -> Result<(String, serde_json::Value), serde_json::Error> {
        let serde_json::Value::Object(mut whole) = serde_json::to_value(self)? else {
            unreachable!("an adjacently tagged enum serialises as an object")
        };
        let name = match whole.remove("event") {
            Some(serde_json::Value::String(s)) => s,
            _ => unreachable!("every event has a name"),
        };
        let mut fields = match whole.remove("fields") {
            Some(serde_json::Value::Object(f)) => f,
            _ => serde_json::Map::new(),
        };
        if let Some(case) = case {
            fields.insert("case".into(), case.into());
        }
        Ok((name, serde_json::Value::Object(fields)))
    }

    /// Reads a record's `event` and `fields` back as an event and the `case` it was recorded under.
    /// Fails for an event this version does not know, or fields that do not fit it.
    pub fn from_record(
        event: &str,
        fields: &serde_json::Value,
    ) -> Result<(Option<String>, CustodyEvent), serde_json::Error> {
        let mut fields = fields.as_object().cloned().unwrap_or_default();
        let case = match fields.remove("case") {
            Some(serde_json::Value::String(s)) => Some(s),
            _ => None,
        };
        let event = serde_json::from_value(serde_json::json!({
            "event": event,
            "fields": fields,
        }))?;
        Ok((case, event))
    }
}

#[cfg(test)]
mod tests;
