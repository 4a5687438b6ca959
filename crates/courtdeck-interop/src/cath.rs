//! HMCTS Court and tribunal hearings (CaTH) magistrates' lists, read as CaTH publishes them.
//!
//! Four list types (CaTH's names): `MAGISTRATES_STANDARD_LIST` and `MAGISTRATES_PUBLIC_LIST`
//! (courtLists → courtHouse → courtRoom → session → sittings → hearing → case → party, times in UTC),
//! and the Libra-shaped `MAGISTRATES_ADULT_COURT_LIST_DAILY` and
//! `MAGISTRATES_PUBLIC_ADULT_COURT_LIST_DAILY` (document → data → job → sessions → session → blocks
//! → block → cases → case, local times, the day given beside the list as its content date).
//!
//! The rules a court relies on (docs/interop.md has the whole mapping):
//! - A UTC `sittingStart` is listed in Europe/London time, on the local day (08:30Z in June is
//!   09:30; 23:15Z on 14 June is 00:15 on 15 June). Libra times are local already.
//! - The case key is the URN (`caseUrn`, or `caseNumber` in older lists; Libra's `caseno`): it joins a
//!   listing to its evidence. Each case of a hearing is a hearing of its own on the kiosk.
//! - A courtroom is a kiosk's `court` through `RoomMapping`; a room without one gets `derived_court_id`
//!   and the report says so.
//! - A case (or one of its offences) with `reportingRestriction` has `Hearing::reporting_restriction`:
//!   the details the list gives, joined with "; ", or empty when it gives none.
//! - Parties are shown by initials only ("R v J.S."); an organisation by its name. Date of birth,
//!   age, address, ASN, PNC id and offence wording are never read into anything Courtdeck keeps.
//! - A part of the list that breaks HMCTS's schema (a field it requires, the type of a field Courtdeck
//!   reads, markup where HMCTS's patterns forbid it) is refused with everything in it, at the smallest
//!   enclosing part: a hearing, a sitting, a session, a room, a court house; the rest of the list
//!   stands. A break in the document's own fields refuses the whole document.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use courtdeck_core::text::{is_invisible_format, visible};
use courtdeck_core::{CaseId, CourtId, CourtList, Hearing};
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use regex::Regex;
use serde_json::{Map, Value};
use sha2::Digest as _;

/// Larger than any day's list for a whole court centre; smaller than anything that hurts.
pub const MAX_LIST_BYTES: usize = 64 << 20;
/// What Courtdeck shows of a name or title at most.
const MAX_SHOWN_CHARS: usize = 200;
/// A reporting-restriction banner at most.
const MAX_BANNER_CHARS: usize = 1000;

/// The CaTH list types Courtdeck reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListType {
    StandardList,
    PublicList,
    AdultCourtList,
    PublicAdultCourtList,
}

impl ListType {
    pub const ALL: [ListType; 4] = [
        ListType::StandardList,
        ListType::PublicList,
        ListType::AdultCourtList,
        ListType::PublicAdultCourtList,
    ];

    /// CaTH's name for it (its `ListType` enum, as in a publication's metadata).
    pub fn cath_name(self) -> &'static str {
        match self {
            ListType::StandardList => "MAGISTRATES_STANDARD_LIST",
            ListType::PublicList => "MAGISTRATES_PUBLIC_LIST",
            ListType::AdultCourtList => "MAGISTRATES_ADULT_COURT_LIST_DAILY",
            ListType::PublicAdultCourtList => "MAGISTRATES_PUBLIC_ADULT_COURT_LIST_DAILY",
        }
    }

    pub fn parse(name: &str) -> Option<ListType> {
        ListType::ALL.into_iter().find(|t| t.cath_name() == name)
    }

    /// Libra-shaped: local times, the day beside the list.
    pub fn is_libra(self) -> bool {
        matches!(
            self,
            ListType::AdultCourtList | ListType::PublicAdultCourtList
        )
    }
}

impl std::fmt::Display for ListType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.cath_name())
    }
}

/// A courtroom of HMCTS's lists and the kiosk's `court` it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMapping {
    /// `courtHouseName` (Libra: `court`), as the list spells it; empty for a list that names none.
    pub court_house: String,
    /// `courtRoomName` (Libra: the room's number).
    pub room: String,
    pub court: CourtId,
}

impl RoomMapping {
    /// Whether the two name the same room (case, line breaks and repeated spaces aside).
    pub fn names_same_room(&self, other: &RoomMapping) -> bool {
        same_name(&self.court_house, &other.court_house) && same_name(&self.room, &other.room)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ReadOptions<'a> {
    /// The list type, when the caller knows it (a CaTH publication says); otherwise told from the
    /// document's shape (a Libra list is then the adult court list).
    pub list_type: Option<ListType>,
    /// The day a Libra-shaped list is for (CaTH's `contentDate`); not read from anything else.
    pub content_date: Option<Date>,
    pub rooms: &'a [RoomMapping],
}

/// Where a room's hearings went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomReport {
    pub court_house: String,
    pub room: String,
    pub court: CourtId,
    /// False: no `RoomMapping` named it, so `court` is `derived_court_id`'s.
    pub mapped: bool,
    pub hearings: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipKind {
    /// The part breaks HMCTS's schema (checked against the schema itself in the tests).
    Schema,
    /// A hearing with no case (an application alone): nothing to join evidence to.
    NoCase,
    /// Valid for HMCTS but not something Courtdeck can show safely: an invisible or control
    /// character in what would be shown, a URN that is not a safe identifier, text too long.
    Unusable,
    /// The same case at the same time in the same room, listed again.
    Duplicate,
}

/// A hearing (or a whole part of the list) that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub kind: SkipKind,
    /// The part refused, as a JSON pointer into the list (`/courtLists/0/courtHouse/courtRoom/1`).
    pub at: String,
    /// Court house and room, as far as they are known.
    pub place: String,
    /// Local day and time, when known.
    pub when: Option<String>,
    /// The case's URN, when it is readable.
    pub case: Option<String>,
    /// Why, with any hostile characters written out.
    pub reason: String,
}

/// What `read` made of a list.
#[derive(Debug, Clone)]
pub struct CathImport {
    pub list_type: ListType,
    pub publication_date: Option<Timestamp>,
    /// One per courtroom and day, sorted by day then court.
    pub lists: Vec<CourtList>,
    pub rooms: Vec<RoomReport>,
    pub skipped: Vec<Skipped>,
}

impl CathImport {
    pub fn hearings(&self) -> usize {
        self.lists.iter().map(|l| l.hearings.len()).sum()
    }
}

/// Why a whole list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CathError {
    #[error("the list is larger than {max} bytes; it was refused", max = MAX_LIST_BYTES)]
    TooLarge,
    #[error("the list is not JSON: {0}")]
    NotJson(String),
    #[error(
        "the list is neither a magistrates' standard or public list (courtLists) nor a Libra-shaped adult court list (document.data.job); say which with its list type"
    )]
    UnknownShape,
    #[error(
        "a {0} list gives local times without a day: say which day it is for (its content date)"
    )]
    NeedsContentDate(ListType),
    #[error("the list breaks HMCTS's {0} schema at {1}: {2}")]
    Invalid(ListType, String, String),
}

/// A room's kiosk id when no mapping names it: the court house's and room's names in lower-case ASCII
/// letters and digits, each run of anything else one `-` (`PRESTON` + `Courtroom 1` →
/// `preston-courtroom-1`; no court house → the room's alone). Longer than 64 bytes, it keeps 55 and
/// adds `-` and 8 hex digits of the SHA-256 of `court house` NUL `room`; nothing usable left gives
/// `room-` and those digits. Stable: the same names always give the same id.
pub fn derived_court_id(court_house: &str, room: &str) -> CourtId {
    let slug = |s: &str| {
        let mut out = String::new();
        for c in normalise(s).chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.trim_end_matches('-').to_owned()
    };
    let joined = [slug(court_house), slug(room)]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let digest = || {
        let mut h = sha2::Sha256::new();
        h.update(normalise(court_house).as_bytes());
        h.update([0]);
        h.update(normalise(room).as_bytes());
        hex::encode(&h.finalize()[..4])
    };
    let id = if joined.is_empty() {
        format!("room-{}", digest())
    } else if joined.len() > 64 {
        format!("{}-{}", joined[..55].trim_end_matches('-'), digest())
    } else {
        joined
    };
    CourtId::parse(&id).expect("a slug is a safe segment")
}

/// Reads a CaTH list: every courtroom and day in it as a `CourtList`, with what was skipped and why.
pub fn read(bytes: &[u8], options: &ReadOptions<'_>) -> Result<CathImport, CathError> {
    if bytes.len() > MAX_LIST_BYTES {
        return Err(CathError::TooLarge);
    }
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| CathError::NotJson(e.to_string()))?;
    let list_type = match options.list_type {
        Some(t) => t,
        None if doc.get("courtLists").is_some() => ListType::StandardList,
        None if doc.pointer("/document/data/job").is_some() => ListType::AdultCourtList,
        None => return Err(CathError::UnknownShape),
    };
    let mut reader = Reader {
        list_type,
        zone: TimeZone::get("Europe/London").expect("jiff bundles the time zone database"),
        rooms: options.rooms,
        lists: BTreeMap::new(),
        room_reports: Vec::new(),
        skipped: Vec::new(),
    };
    let publication_date = if list_type.is_libra() {
        let date = options
            .content_date
            .ok_or(CathError::NeedsContentDate(list_type))?;
        reader.libra(&doc, date)?;
        None
    } else {
        Some(reader.court_lists(&doc)?)
    };
    let Reader {
        lists,
        room_reports,
        skipped,
        ..
    } = reader;
    let lists = lists
        .into_iter()
        .map(|((date, court), day)| {
            CourtList::new(court, day.court_name, date, day.hearings)
                .expect("duplicates were skipped as they were read")
        })
        .collect();
    Ok(CathImport {
        list_type,
        publication_date,
        lists,
        rooms: room_reports,
        skipped,
    })
}

/// A courtroom's day as it is gathered.
struct Day {
    court_name: String,
    hearings: Vec<Hearing>,
    seen: HashSet<(Time, CaseId)>,
}

struct Reader<'a> {
    list_type: ListType,
    zone: TimeZone,
    rooms: &'a [RoomMapping],
    lists: BTreeMap<(Date, CourtId), Day>,
    room_reports: Vec<RoomReport>,
    skipped: Vec<Skipped>,
}

/// A room as the list names it, and where its hearings go.
struct Room {
    place: String,
    court: Result<(CourtId, String), String>,
    report: usize,
}

/// One case of a hearing, read.
struct Listed {
    case: CaseId,
    title: String,
    reporting_restriction: Option<String>,
}

/// A part of the list refused with everything in it.
struct Refusal {
    kind: SkipKind,
    reason: String,
}

impl Refusal {
    fn schema(reason: impl Into<String>) -> Refusal {
        Refusal {
            kind: SkipKind::Schema,
            reason: reason.into(),
        }
    }
    fn unusable(reason: impl Into<String>) -> Refusal {
        Refusal {
            kind: SkipKind::Unusable,
            reason: reason.into(),
        }
    }
}

impl Reader<'_> {
    fn invalid(&self, at: &str, why: impl Into<String>) -> CathError {
        CathError::Invalid(
            self.list_type,
            if at.is_empty() { "/".into() } else { at.into() },
            why.into(),
        )
    }

    /// The standard and public lists. Returns the publication date.
    fn court_lists(&mut self, doc: &Value) -> Result<Timestamp, CathError> {
        let root = doc
            .as_object()
            .ok_or_else(|| self.invalid("", "the list is not a JSON object"))?;
        own_fields(root, &["courtLists"], "").map_err(|r| self.invalid("", r.reason))?;
        let document = required(root, "document", "")
            .and_then(|d| object(d, "/document"))
            .map_err(|r| self.invalid("", r.reason))?;
        let published = required(document, "publicationDate", "/document")
            .and_then(|p| utc_time(p, "/document/publicationDate"))
            .map_err(|r| self.invalid("/document", r.reason))?;
        let venue = required(root, "venue", "")
            .and_then(|v| object(v, "/venue"))
            .map_err(|r| self.invalid("", r.reason))?;
        if self.list_type == ListType::PublicList {
            required(venue, "venueAddress", "/venue")
                .and_then(|a| object(a, "/venue/venueAddress"))
                .map_err(|r| self.invalid("/venue", r.reason))?;
        }
        let court_lists = required(root, "courtLists", "")
            .and_then(|l| array(l, "/courtLists"))
            .map_err(|r| self.invalid("", r.reason))?;
        for (i, court_list) in court_lists.iter().enumerate() {
            let at = format!("/courtLists/{i}");
            if let Err(r) = self.court_house(court_list, &at) {
                self.skip_all(court_list, &at, "", r);
            }
        }
        Ok(published)
    }

    fn court_house(&mut self, court_list: &Value, at: &str) -> Result<(), Refusal> {
        let court_list = object(court_list, at)?;
        own_fields(court_list, &["courtHouse"], at)?;
        let house_at = format!("{at}/courtHouse");
        let house = object(required(court_list, "courtHouse", at)?, &house_at)?;
        own_fields(house, &["courtRoom"], &house_at)?;
        let house_name = optional_str(house, "courtHouseName", &house_at)?.unwrap_or_default();
        let rooms = array(required(house, "courtRoom", &house_at)?, &house_at)?;
        for (j, room) in rooms.iter().enumerate() {
            let room_at = format!("{house_at}/courtRoom/{j}");
            if let Err(r) = self.court_room(room, &room_at, house_name) {
                self.skip_all(room, &room_at, &clean(house_name), r);
            }
        }
        Ok(())
    }

    fn court_room(&mut self, room: &Value, at: &str, house_name: &str) -> Result<(), Refusal> {
        let room = object(room, at)?;
        own_fields(room, &["session"], at)?;
        let room_name = str_field(required(room, "courtRoomName", at)?, at, "courtRoomName")?;
        let sessions = array(required(room, "session", at)?, at)?;
        let mut room = self.room(house_name, room_name);
        for (k, session) in sessions.iter().enumerate() {
            let session_at = format!("{at}/session/{k}");
            if let Err(r) = self.session(session, &session_at, &mut room) {
                self.skip_all(session, &session_at, &room.place, r);
            }
        }
        Ok(())
    }

    fn session(&mut self, session: &Value, at: &str, room: &mut Room) -> Result<(), Refusal> {
        let session = object(session, at)?;
        own_fields(session, &["sittings"], at)?;
        let sittings = array(required(session, "sittings", at)?, at)?;
        for (l, sitting) in sittings.iter().enumerate() {
            let sitting_at = format!("{at}/sittings/{l}");
            if let Err(r) = self.sitting(sitting, &sitting_at, room) {
                self.skip_all(sitting, &sitting_at, &room.place, r);
            }
        }
        Ok(())
    }

    fn sitting(&mut self, sitting: &Value, at: &str, room: &mut Room) -> Result<(), Refusal> {
        let sitting = object(sitting, at)?;
        own_fields(sitting, &["hearing"], at)?;
        let start = utc_time(required(sitting, "sittingStart", at)?, at)?;
        let local = start.to_zoned(self.zone.clone());
        let (date, time) = (local.date(), local.time());
        let time = Time::new(time.hour(), time.minute(), 0, 0).expect("a valid time");
        let hearings = array(required(sitting, "hearing", at)?, at)?;
        for (m, hearing) in hearings.iter().enumerate() {
            let hearing_at = format!("{at}/hearing/{m}");
            let read = standard_hearing(hearing, &hearing_at, self.list_type);
            self.place(read, hearing, &hearing_at, room, date, time);
        }
        Ok(())
    }

    /// The Libra-shaped lists: one day, local times.
    fn libra(&mut self, doc: &Value, date: Date) -> Result<(), CathError> {
        let root = doc
            .as_object()
            .ok_or_else(|| self.invalid("", "the list is not a JSON object"))?;
        let own = |o: &Map<String, Value>, except: &[&str], at: &str| {
            own_fields(o, except, at).map_err(|r| self.invalid(at, r.reason))
        };
        own(root, &["document"], "")?;
        let document = required(root, "document", "")
            .and_then(|d| object(d, "/document"))
            .map_err(|r| self.invalid("", r.reason))?;
        own(document, &["data"], "/document")?;
        let Some(data) = document.get("data") else {
            return Ok(());
        };
        let data = object(data, "/document/data").map_err(|r| self.invalid("", r.reason))?;
        own(data, &["job"], "/document/data")?;
        let job = required(data, "job", "/document/data")
            .and_then(|j| object(j, "/document/data/job"))
            .map_err(|r| self.invalid("/document/data", r.reason))?;
        own(job, &["sessions"], "/document/data/job")?;
        required(job, "printdate", "/document/data/job")
            .and_then(|p| str_field(p, "/document/data/job", "printdate"))
            .map_err(|r| self.invalid("/document/data/job", r.reason))?;
        let sessions = match job.get("sessions") {
            Some(s) => s,
            None if self.list_type == ListType::PublicAdultCourtList => {
                return Err(self.invalid("/document/data/job", "sessions is required"));
            }
            None => return Ok(()),
        };
        let at = "/document/data/job/sessions";
        let sessions = object(sessions, at).map_err(|r| self.invalid(at, r.reason))?;
        own(sessions, &["session"], at)?;
        let Some(list) = sessions.get("session") else {
            return Ok(());
        };
        let list = array(list, at).map_err(|r| self.invalid(at, r.reason))?;
        for (i, session) in list.iter().enumerate() {
            let session_at = format!("{at}/session/{i}");
            if let Err(r) = self.libra_session(session, &session_at, date) {
                let place = session
                    .get("court")
                    .and_then(Value::as_str)
                    .map(clean)
                    .unwrap_or_default();
                self.skip_all(session, &session_at, &place, r);
            }
        }
        Ok(())
    }

    fn libra_session(&mut self, session: &Value, at: &str, date: Date) -> Result<(), Refusal> {
        let session = object(session, at)?;
        own_fields(session, &["blocks"], at)?;
        str_field(required(session, "lja", at)?, at, "lja")?;
        let court = str_field(required(session, "court", at)?, at, "court")?;
        let room_number = required(session, "room", at)?
            .as_i64()
            .ok_or_else(|| Refusal::schema(format!("{at}/room is not an integer")))?;
        local_time(required(session, "sstart", at)?, &format!("{at}/sstart"))?;
        let mut room = self.room(court, &room_number.to_string());
        let Some(blocks) = session.get("blocks") else {
            return Ok(());
        };
        let blocks_at = format!("{at}/blocks");
        let blocks = object(blocks, &blocks_at)?;
        own_fields(blocks, &["block"], &blocks_at)?;
        let Some(blocks) = blocks.get("block") else {
            return Ok(());
        };
        for (j, block) in array(blocks, &blocks_at)?.iter().enumerate() {
            let block_at = format!("{blocks_at}/block/{j}");
            if let Err(r) = self.libra_block(block, &block_at, &mut room, date) {
                self.skip_all(block, &block_at, &room.place, r);
            }
        }
        Ok(())
    }

    fn libra_block(
        &mut self,
        block: &Value,
        at: &str,
        room: &mut Room,
        date: Date,
    ) -> Result<(), Refusal> {
        let block = object(block, at)?;
        own_fields(block, &["cases"], at)?;
        let time = local_time(required(block, "bstart", at)?, &format!("{at}/bstart"))?;
        let Some(cases) = block.get("cases") else {
            return Ok(());
        };
        let cases_at = format!("{at}/cases");
        let cases = object(cases, &cases_at)?;
        own_fields(cases, &["case"], &cases_at)?;
        let Some(cases) = cases.get("case") else {
            return Ok(());
        };
        for (k, case) in array(cases, &cases_at)?.iter().enumerate() {
            let case_at = format!("{cases_at}/case/{k}");
            let read = libra_case(case, &case_at).map(|l| vec![Ok(l)]);
            self.place(read, case, &case_at, room, date, time);
        }
        Ok(())
    }

    /// The room's place and kiosk id, reported once per room of the list.
    fn room(&mut self, house: &str, room: &str) -> Room {
        let (house, room) = (clean(house), clean(room));
        let place = if house.is_empty() {
            room.clone()
        } else if self.list_type.is_libra() {
            format!("{house}, room {room}")
        } else {
            format!("{house}, {room}")
        };
        let mapped = self
            .rooms
            .iter()
            .find(|m| same_name(&m.court_house, &house) && same_name(&m.room, &room));
        let court = mapped.map_or_else(|| derived_court_id(&house, &room), |m| m.court.clone());
        let report = match self
            .room_reports
            .iter()
            .position(|r| same_name(&r.court_house, &house) && same_name(&r.room, &room))
        {
            Some(i) => i,
            None => {
                self.room_reports.push(RoomReport {
                    court_house: house.clone(),
                    room: room.clone(),
                    court: court.clone(),
                    mapped: mapped.is_some(),
                    hearings: 0,
                });
                self.room_reports.len() - 1
            }
        };
        let court = shown("the court house and room", &place).map(|name| (court, name));
        Room {
            place,
            court: court.map_err(|r| r.reason),
            report,
        }
    }

    /// Lists each case read from one hearing of the list, or says why not.
    fn place(
        &mut self,
        read: Result<Vec<CaseRead>, Refusal>,
        unit: &Value,
        at: &str,
        room: &mut Room,
        date: Date,
        time: Time,
    ) {
        let when = Some(format!("{date} {}", time.strftime("%H:%M")));
        let cases = match (read, &room.court) {
            (Err(r), _) => return self.skip_all_at(unit, at, &room.place, when, r),
            (Ok(_), Err(why)) => {
                let r = Refusal::unusable(why.clone());
                return self.skip_all_at(unit, at, &room.place, when, r);
            }
            (Ok(cases), Ok(_)) => cases,
        };
        let (court, court_name) = room.court.clone().expect("checked above");
        for case in cases {
            let listed = match case {
                Ok(l) => l,
                Err((case, r)) => {
                    self.skip(r.kind, at, &room.place, when.clone(), case, r.reason);
                    continue;
                }
            };
            let day = self
                .lists
                .entry((date, court.clone()))
                .or_insert_with(|| Day {
                    court_name: court_name.clone(),
                    hearings: Vec::new(),
                    seen: HashSet::new(),
                });
            if !day.seen.insert((time, listed.case.clone())) {
                let reason = format!(
                    "case {} is already listed in this room at {}",
                    listed.case,
                    time.strftime("%H:%M")
                );
                let case = Some(listed.case.to_string());
                self.skip(
                    SkipKind::Duplicate,
                    at,
                    &room.place,
                    when.clone(),
                    case,
                    reason,
                );
                continue;
            }
            day.hearings.push(Hearing {
                time,
                case_id: listed.case,
                title: listed.title,
                hearing_type: listed_type(unit),
                reporting_restriction: listed.reporting_restriction,
            });
            self.room_reports[room.report].hearings += 1;
        }
    }

    fn skip(
        &mut self,
        kind: SkipKind,
        at: &str,
        place: &str,
        when: Option<String>,
        case: Option<String>,
        reason: String,
    ) {
        self.skipped.push(Skipped {
            kind,
            at: at.to_owned(),
            place: if place.is_empty() {
                "(a court house the list does not name)".to_owned()
            } else {
                place.to_owned()
            },
            when,
            case,
            reason: visible(&reason),
        });
    }

    /// Skips every case inside `unit` (one entry per case found, or one for the unit if none is).
    fn skip_all(&mut self, unit: &Value, at: &str, place: &str, r: Refusal) {
        self.skip_all_at(unit, at, place, None, r);
    }

    fn skip_all_at(
        &mut self,
        unit: &Value,
        at: &str,
        place: &str,
        when: Option<String>,
        r: Refusal,
    ) {
        let mut cases = Vec::new();
        urns_inside(unit, &mut cases);
        if cases.is_empty() {
            self.skip(r.kind, at, place, when, None, r.reason);
        } else {
            for case in cases {
                self.skip(
                    r.kind,
                    at,
                    place,
                    when.clone(),
                    Some(case),
                    r.reason.clone(),
                );
            }
        }
    }
}

/// The hearing type a hearing of the standard or public list gives; Libra lists give none.
fn listed_type(hearing: &Value) -> String {
    hearing
        .get("hearingType")
        .and_then(Value::as_str)
        .map(clean)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Hearing".into())
}

type CaseRead = Result<Listed, (Option<String>, Refusal)>;

/// One hearing of a standard or public list: each of its cases, or why the hearing is refused.
fn standard_hearing(
    hearing: &Value,
    at: &str,
    list_type: ListType,
) -> Result<Vec<CaseRead>, Refusal> {
    let hearing = object(hearing, at)?;
    checked_fields(hearing, &[], at, list_type != ListType::PublicList)?;
    if let Some(t) = optional_str(hearing, "hearingType", at)? {
        shown("the hearing type", t).map_err(|r| Refusal::unusable(r.reason))?;
    }
    for (n, application) in optional_array(hearing, "application", at)?
        .iter()
        .enumerate()
    {
        let app_at = format!("{at}/application/{n}");
        let application = object(application, &app_at)?;
        str_field(
            required(application, "applicationReference", &app_at)?,
            &app_at,
            "applicationReference",
        )?;
        parties(application, &app_at)?;
    }
    let cases = optional_array(hearing, "case", at)?;
    let mut read = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let case_at = format!("{at}/case/{n}");
        let case = object(case, &case_at)?;
        let urn = match (case.get("caseUrn"), case.get("caseNumber")) {
            (Some(u), _) => str_field(u, &case_at, "caseUrn")?,
            // Lists before the URN was required gave the case number.
            (None, Some(n)) => str_field(n, &case_at, "caseNumber")?,
            (None, None) => {
                return Err(Refusal::schema(format!("{case_at}: caseUrn is required")));
            }
        };
        let restricted = optional_bool(case, "reportingRestriction", &case_at)?;
        let mut details = optional_strings(case, "reportingRestrictionDetails", &case_at)?;
        let parties = parties(case, &case_at)?;
        let mut restricted = restricted.unwrap_or(false);
        for p in &parties {
            restricted |= p.restricted;
            details.extend(p.restriction_details.iter().cloned());
        }
        read.push(listed(urn, &parties, restricted, &details));
    }
    if read.is_empty() {
        let what = if hearing.contains_key("application") {
            "an application with no case"
        } else {
            "no case"
        };
        return Err(Refusal {
            kind: SkipKind::NoCase,
            reason: format!("the hearing has {what}: there is no URN to join evidence to"),
        });
    }
    Ok(read)
}

/// A party as Courtdeck keeps it: its role, and its initials (a person) or name (an organisation).
struct Party {
    role: String,
    shown: Option<String>,
    restricted: bool,
    restriction_details: Vec<String>,
}

fn parties(owner: &Map<String, Value>, at: &str) -> Result<Vec<Party>, Refusal> {
    let mut out = Vec::new();
    for (n, party) in optional_array(owner, "party", at)?.iter().enumerate() {
        let party_at = format!("{at}/party/{n}");
        let party = object(party, &party_at)?;
        let role = optional_str(party, "partyRole", &party_at)?
            .map(clean)
            .unwrap_or_default();
        let shown = if let Some(person) = party.get("individualDetails") {
            let person_at = format!("{party_at}/individualDetails");
            let person = object(person, &person_at)?;
            let forenames = optional_str(person, "individualForenames", &person_at)?;
            let surname = optional_str(person, "individualSurname", &person_at)?;
            // The middle name is checked like the rest, never shown.
            optional_str(person, "individualMiddleName", &person_at)?;
            let initials: String = [forenames, surname]
                .into_iter()
                .flatten()
                .filter_map(initial)
                .map(|c| format!("{c}."))
                .collect();
            (!initials.is_empty()).then_some(initials)
        } else if let Some(org) = party.get("organisationDetails") {
            let org_at = format!("{party_at}/organisationDetails");
            let org = object(org, &org_at)?;
            let name = str_field(
                required(org, "organisationName", &org_at)?,
                &org_at,
                "organisationName",
            )?;
            Some(clean(name)).filter(|n| !n.is_empty())
        } else {
            None
        };
        let mut restricted = false;
        let mut restriction_details = Vec::new();
        for (o, offence) in optional_array(party, "offence", &party_at)?
            .iter()
            .enumerate()
        {
            let offence_at = format!("{party_at}/offence/{o}");
            let offence = object(offence, &offence_at)?;
            // The offence's wording and title never reach a screen; only whether it restricts.
            if optional_bool(offence, "reportingRestriction", &offence_at)? == Some(true) {
                restricted = true;
                restriction_details.extend(optional_strings(
                    offence,
                    "reportingRestrictionDetails",
                    &offence_at,
                )?);
            }
        }
        out.push(Party {
            role,
            shown,
            restricted,
            restriction_details,
        });
    }
    Ok(out)
}

/// One case: its key, its title by initials, its reporting restriction.
fn listed(urn: &str, parties: &[Party], restricted: bool, details: &[String]) -> CaseRead {
    let urn_text = clean(urn);
    let refuse = |r: Refusal| (Some(visible(&urn_text)), r);
    let case = CaseId::parse(&urn_text).map_err(|e| {
        refuse(Refusal::unusable(format!(
            "the URN {:?} cannot be a case key here: {e}",
            visible(&urn_text)
        )))
    })?;
    let named = |role: &str| {
        parties
            .iter()
            .filter(|p| p.role.eq_ignore_ascii_case(role))
            .filter_map(|p| p.shown.clone())
            .collect::<Vec<_>>()
    };
    let mut defendants = named("DEFENDANT");
    if defendants.is_empty() {
        defendants = named("RESPONDENT");
    }
    let title = if defendants.is_empty() {
        format!("Case {case}")
    } else {
        format!("R v {}", defendants.join(", "))
    };
    let title =
        shown("the case's title", &title).map_err(|r| refuse(Refusal::unusable(r.reason)))?;
    let reporting_restriction = if restricted || !details.is_empty() {
        let mut unique: Vec<String> = Vec::new();
        for d in details.iter().map(|d| clean(d)).filter(|d| !d.is_empty()) {
            if !unique.contains(&d) {
                unique.push(d);
            }
        }
        Some(
            checked_text(
                "the reporting restriction",
                &unique.join("; "),
                MAX_BANNER_CHARS,
            )
            .map_err(|r| refuse(Refusal::unusable(r.reason)))?,
        )
    } else {
        None
    };
    Ok(Listed {
        case,
        title,
        reporting_restriction,
    })
}

/// One case of a Libra-shaped list.
fn libra_case(case: &Value, at: &str) -> Result<Listed, Refusal> {
    let case = object(case, at)?;
    own_fields(case, &[], at)?;
    let number = str_field(required(case, "caseno", at)?, at, "caseno")?;
    let name = str_field(required(case, "def_name", at)?, at, "def_name")?;
    if let Some(offences) = case.get("offences") {
        let offences_at = format!("{at}/offences");
        let offences = object(offences, &offences_at)?;
        if let Some(list) = offences.get("offence") {
            for (n, offence) in array(list, &offences_at)?.iter().enumerate() {
                let offence_at = format!("{offences_at}/offence/{n}");
                let offence = object(offence, &offence_at)?;
                for field in ["code", "title", "sum"] {
                    str_field(required(offence, field, &offence_at)?, &offence_at, field)?;
                }
            }
        }
    }
    // "Mr Test User" → T.U.: the first and last words that are names, honorifics left out.
    let words: Vec<&str> = name
        .split_whitespace()
        .filter(|w| {
            let bare = w.trim_end_matches('.').to_ascii_lowercase();
            !matches!(
                bare.as_str(),
                "mr" | "mrs" | "ms" | "miss" | "mx" | "dr" | "sir" | "lady" | "lord" | "rev"
            ) && w.chars().next().is_some_and(char::is_alphabetic)
        })
        .collect();
    let initials: String = match words.as_slice() {
        [] => String::new(),
        [one] => initial(one).map(|c| format!("{c}.")).unwrap_or_default(),
        [first, .., last] => [first, last]
            .into_iter()
            .filter_map(|w| initial(w))
            .map(|c| format!("{c}."))
            .collect(),
    };
    let party = Party {
        role: "DEFENDANT".into(),
        shown: (!initials.is_empty()).then_some(initials),
        restricted: false,
        restriction_details: Vec::new(),
    };
    listed(number, &[party], false, &[]).map_err(|(_, r)| r)
}

/// The first letter of a name, upper case.
fn initial(name: &str) -> Option<String> {
    clean(name)
        .chars()
        .find(|c| c.is_alphabetic())
        .map(|c| c.to_uppercase().collect())
}

/// Every case number inside a part of the list, for the report of what it held.
fn urns_inside(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("caseUrn" | "caseno", Value::String(s)) => out.push(visible(&clean(s))),
                    ("caseNumber", Value::String(s)) if !o.contains_key("caseUrn") => {
                        out.push(visible(&clean(s)))
                    }
                    _ => urns_inside(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| urns_inside(v, out)),
        _ => {}
    }
}

// HMCTS's schemas forbid markup in every string field with one of two patterns: most fields may not
// hold a tag at all (`^(?!(.|\r|\n)*<[^>]+>)(.|\r|\n)*$`); free-text fields (an organisation's name,
// an offence's wording, an application's particulars) may not hold a closing or self-closing tag,
// literal or escaped. These are the inner expressions of those patterns.
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]+>").expect("valid"));
static CLOSING_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<\s*/[^>]*>|<[^>]*/>|&lt;\s*/[^&]*&gt;|&lt;[^&]*/&gt;").expect("valid")
});
const FREE_TEXT: [&str; 3] = [
    "organisationName",
    "offenceWording",
    "applicationParticulars",
];

/// Checks every string in `o` (outside the fields in `except`, which hold the parts below) against
/// HMCTS's markup patterns, and for control (other than line breaks and tabs) and invisible format
/// characters.
fn own_fields(o: &Map<String, Value>, except: &[&str], at: &str) -> Result<(), Refusal> {
    checked_fields(o, except, at, true)
}

/// As `own_fields`; with `parties_checked` false, markup inside a `party` is refused as `Unusable`,
/// not as a break of HMCTS's schema: the public list's schema defines a party with `items`, which
/// JSON Schema applies to arrays only, so it checks nothing inside one. Courtdeck refuses it all
/// the same.
fn checked_fields(
    o: &Map<String, Value>,
    except: &[&str],
    at: &str,
    parties_checked: bool,
) -> Result<(), Refusal> {
    fn walk(
        key: &str,
        v: &Value,
        at: &str,
        schema: bool,
        parties_checked: bool,
    ) -> Result<(), Refusal> {
        match v {
            Value::String(s) => {
                let forbidden = if FREE_TEXT.contains(&key) {
                    &CLOSING_TAG
                } else {
                    &TAG
                };
                if let Some(m) = forbidden.find(s) {
                    let reason = format!(
                        "{at} holds markup ({:?}), which HMCTS's schema forbids there",
                        visible(m.as_str())
                    );
                    return Err(if schema {
                        Refusal::schema(reason)
                    } else {
                        Refusal::unusable(reason)
                    });
                }
                // HMCTS's schema allows these; a list that carries one is hostile or broken all
                // the same (a direction override makes a name read as another).
                let hostile = |c: char| {
                    (c.is_control() && !matches!(c, '\r' | '\n' | '\t')) || is_invisible_format(c)
                };
                if let Some(c) = s.chars().find(|&c| hostile(c)) {
                    return Err(Refusal::unusable(format!(
                        "{at} holds the invisible or control character U+{:04X} (\"{}\")",
                        c as u32,
                        visible(s)
                    )));
                }
                Ok(())
            }
            Value::Array(a) => a
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| walk(key, v, &format!("{at}/{i}"), schema, parties_checked)),
            Value::Object(o) => o.iter().try_for_each(|(k, v)| {
                let schema = schema && (parties_checked || k != "party");
                walk(
                    k,
                    v,
                    &format!("{at}/{}", pointer_escape(k)),
                    schema,
                    parties_checked,
                )
            }),
            _ => Ok(()),
        }
    }
    o.iter()
        .filter(|(k, _)| !except.contains(&k.as_str()))
        .try_for_each(|(k, v)| {
            let schema = parties_checked || k != "party";
            walk(
                k,
                v,
                &format!("{at}/{}", pointer_escape(k)),
                schema,
                parties_checked,
            )
        })
}

fn pointer_escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

fn required<'v>(o: &'v Map<String, Value>, key: &str, at: &str) -> Result<&'v Value, Refusal> {
    o.get(key)
        .ok_or_else(|| Refusal::schema(format!("{at}: {key} is required")))
}

fn object<'v>(v: &'v Value, at: &str) -> Result<&'v Map<String, Value>, Refusal> {
    v.as_object()
        .ok_or_else(|| Refusal::schema(format!("{at} is not an object")))
}

fn array<'v>(v: &'v Value, at: &str) -> Result<&'v Vec<Value>, Refusal> {
    v.as_array()
        .ok_or_else(|| Refusal::schema(format!("{at} is not an array")))
}

fn str_field<'v>(v: &'v Value, at: &str, key: &str) -> Result<&'v str, Refusal> {
    v.as_str()
        .ok_or_else(|| Refusal::schema(format!("{at}/{key} is not a string")))
}

fn optional_str<'v>(
    o: &'v Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<&'v str>, Refusal> {
    o.get(key).map(|v| str_field(v, at, key)).transpose()
}

fn optional_bool(o: &Map<String, Value>, key: &str, at: &str) -> Result<Option<bool>, Refusal> {
    o.get(key)
        .map(|v| {
            v.as_bool()
                .ok_or_else(|| Refusal::schema(format!("{at}/{key} is not true or false")))
        })
        .transpose()
}

fn optional_array<'v>(
    o: &'v Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<&'v [Value], Refusal> {
    match o.get(key) {
        Some(v) => array(v, &format!("{at}/{key}")).map(Vec::as_slice),
        None => Ok(&[]),
    }
}

fn optional_strings(o: &Map<String, Value>, key: &str, at: &str) -> Result<Vec<String>, Refusal> {
    optional_array(o, key, at)?
        .iter()
        .enumerate()
        .map(|(i, v)| str_field(v, &format!("{at}/{key}"), &i.to_string()).map(str::to_owned))
        .collect()
}

/// HMCTS's date-time pattern (`2023-12-13T13:30:52.123Z`): UTC, seconds, optional fraction.
fn utc_time(v: &Value, at: &str) -> Result<Timestamp, Refusal> {
    static UTC: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([.]\d{1,9})?Z$").expect("valid")
    });
    let s = v
        .as_str()
        .ok_or_else(|| Refusal::schema(format!("{at} is not a string")))?;
    if !UTC.is_match(s) {
        return Err(Refusal::schema(format!(
            "{at} {:?} is not a UTC time as HMCTS writes it (2023-12-13T13:30:52.123Z)",
            visible(s)
        )));
    }
    // HMCTS's pattern lets through what is no time at all (hour 25, 30 February).
    s.parse()
        .map_err(|e| Refusal::unusable(format!("{at} {:?} is not a real time: {e}", visible(s))))
}

/// A Libra `HH:MM`, local time.
fn local_time(v: &Value, at: &str) -> Result<Time, Refusal> {
    let s = v
        .as_str()
        .ok_or_else(|| Refusal::schema(format!("{at} is not a string")))?;
    let ok = s.len() == 5 && s.as_bytes()[2] == b':';
    ok.then(|| Time::strptime("%H:%M", s).ok())
        .flatten()
        .ok_or_else(|| Refusal::schema(format!("{at} {:?} is not a time HH:MM", visible(s))))
}

/// HMCTS's lists break lines inside words (`Cou\r\nrtRoom 1` in its own samples): line breaks go,
/// tabs are spaces, runs of spaces are one, and the ends are trimmed.
fn clean(s: &str) -> String {
    let joined: String = s
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    joined
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn normalise(s: &str) -> String {
    clean(s).to_lowercase()
}

fn same_name(a: &str, b: &str) -> bool {
    normalise(a) == normalise(b)
}

/// Text Courtdeck will show: cleaned, then as any displayed string (no control or invisible format
/// character), at most `MAX_SHOWN_CHARS`.
fn shown(what: &str, s: &str) -> Result<String, Refusal> {
    checked_text(what, s, MAX_SHOWN_CHARS)
}

fn checked_text(what: &str, s: &str, max: usize) -> Result<String, Refusal> {
    let t = clean(s);
    if let Some(c) = t
        .chars()
        .find(|&c| c.is_control() || is_invisible_format(c))
    {
        return Err(Refusal::unusable(format!(
            "{what} holds the invisible or control character U+{:04X} (\"{}\")",
            c as u32,
            visible(&t)
        )));
    }
    if t.chars().count() > max {
        return Err(Refusal::unusable(format!(
            "{what} is longer than {max} characters"
        )));
    }
    Ok(t)
}

#[cfg(test)]
mod tests;
