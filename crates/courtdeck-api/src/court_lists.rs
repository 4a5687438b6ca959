//! HMCTS's court lists into the store: a CaTH list (a file, or a publication pushed by CaTH) read by
//! `courtdeck_interop::cath`, every courtroom's day written whole into the store, and the import
//! recorded in the custody log. The CLI's `import cath-list` and the `serve-lists` endpoint are thin
//! over `Publisher::import_cath_list`.

use courtdeck_audit::{CustodyEvent, ListPartSkipped, ListWritten as ListRecord, UnmappedRoom};
use courtdeck_core::ErrorCode;
use courtdeck_interop::cath::{self, ListType, ReadOptions, RoomReport, SkipKind, Skipped};
use courtdeck_store::DirStore;
use jiff::civil::Date;

use crate::Publisher;
use crate::audit::{audit_once, custody_open};
use crate::error::{ApiError, ApiResult};
use crate::publish::PublishTo;

/// One courtroom's day written.
#[derive(Debug, Clone)]
pub struct ListWritten {
    pub court: String,
    pub court_name: String,
    pub date: Date,
    pub hearings: usize,
    /// Relative to the store.
    pub path: String,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ListsImported {
    pub list_type: ListType,
    pub lists: Vec<ListWritten>,
    pub rooms: Vec<RoomReport>,
    pub skipped: Vec<Skipped>,
}

impl ListsImported {
    /// Rooms no `[[lists.rooms]]` names, written under a derived id.
    pub fn unmapped(&self) -> impl Iterator<Item = &RoomReport> {
        self.rooms.iter().filter(|r| !r.mapped)
    }
}

/// Where the list came from, for the custody log.
#[derive(Debug, Clone)]
pub enum ListSource {
    File(std::path::PathBuf),
    /// A publication pushed by CaTH: its id, and who sent it (the token's name).
    Pushed {
        publication: String,
        by: String,
    },
}

/// Reads a CaTH list the way the CLI and the endpoint both do: `list_type` by CaTH's name (or told
/// from the list's shape), `content_date` for a Libra-shaped list.
pub fn parse_list_type(name: &str) -> ApiResult<ListType> {
    ListType::parse(name).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidManifest,
            format!(
                "{name:?} is not a list type Courtdeck reads ({})",
                ListType::ALL.map(ListType::cath_name).join(", ")
            ),
        )
    })
}

impl Publisher {
    /// Imports a CaTH list into the store `to`: each courtroom and day in it becomes that courtroom's
    /// list for the day (in place of any there), all written or none (`write_court_lists`), and
    /// recorded in the custody log as `court_lists_imported`. A part of the list that is refused is
    /// reported in `skipped`, never dropped silently; a list with nothing to write is refused.
    pub async fn import_cath_list(
        &self,
        to: &PublishTo,
        bytes: Vec<u8>,
        list_type: Option<ListType>,
        content_date: Option<Date>,
        source: &ListSource,
    ) -> ApiResult<ListsImported> {
        let config = &self.config;
        let rooms = config.lists.room_mappings()?;
        let import = cath::read(
            &bytes,
            &ReadOptions {
                list_type,
                content_date,
                rooms: &rooms,
            },
        )
        .map_err(|e| ApiError::new(ErrorCode::InvalidManifest, e.to_string()))?;
        if import.lists.is_empty() {
            return Err(ApiError::new(
                ErrorCode::InvalidManifest,
                format!(
                    "the {} has no hearing Courtdeck can list ({} skipped: {}); nothing was written",
                    import.list_type,
                    import.skipped.len(),
                    import
                        .skipped
                        .first()
                        .map_or_else(|| "it lists none".into(), |s| s.reason.clone())
                ),
            ));
        }
        custody_open(config)?;
        let lists = import.lists.clone();
        let paths = match to {
            PublishTo::Dir(root) => {
                let store = DirStore::new(root);
                tokio::task::spawn_blocking(move || {
                    courtdeck_store::write_court_lists(&store, &lists)
                })
                .await
                .map_err(crate::internal)??
            }
            PublishTo::S3(h) => {
                let uploader = crate::publish::s3_uploader(config, h).await?;
                tokio::task::spawn_blocking(move || -> ApiResult<Vec<String>> {
                    // Staged whole first, so a list a kiosk would refuse stops it before any upload.
                    let staging = std::env::temp_dir().join(format!(
                        "courtdeck-lists-{}-{}",
                        std::process::id(),
                        jiff::Timestamp::now().as_nanosecond()
                    ));
                    let result =
                        courtdeck_store::write_court_lists(&DirStore::new(&staging), &lists)
                            .map_err(ApiError::from)
                            .and_then(|paths| {
                                uploader.upload_store(&staging)?;
                                Ok(paths)
                            });
                    let _ = std::fs::remove_dir_all(&staging);
                    result
                })
                .await
                .map_err(crate::internal)??
            }
        };
        let written: Vec<ListWritten> = import
            .lists
            .iter()
            .zip(paths)
            .map(|(l, path)| ListWritten {
                court: l.court.to_string(),
                court_name: l.court_name.clone(),
                date: l.date,
                hearings: l.hearings.len(),
                path,
            })
            .collect();
        let (source_kind, publication, by, file) = match source {
            ListSource::File(p) => ("file", None, None, Some(p.display().to_string())),
            ListSource::Pushed { publication, by } => (
                "cath_push",
                Some(publication.clone()),
                Some(by.clone()),
                None,
            ),
        };
        audit_once(
            config,
            None,
            CustodyEvent::CourtListsImported {
                source: source_kind.into(),
                file,
                publication,
                by,
                list_type: import.list_type.cath_name().into(),
                content_date: content_date.map(|d| d.to_string()),
                publication_date: import.publication_date.map(|t| t.to_string()),
                store: to.describe(),
                lists: written
                    .iter()
                    .map(|l| ListRecord {
                        court: l.court.to_string(),
                        date: l.date.to_string(),
                        hearings: l.hearings,
                    })
                    .collect(),
                unmapped_rooms: import
                    .rooms
                    .iter()
                    .filter(|r| !r.mapped)
                    .map(|r| UnmappedRoom {
                        court_house: r.court_house.clone(),
                        room: r.room.clone(),
                        court: r.court.to_string(),
                    })
                    .collect(),
                skipped: import
                    .skipped
                    .iter()
                    .map(|s| ListPartSkipped {
                        kind: skip_kind(s.kind).into(),
                        at: s.at.clone(),
                        case: s.case.clone(),
                        reason: s.reason.clone(),
                    })
                    .collect(),
            },
        )?;
        Ok(ListsImported {
            list_type: import.list_type,
            lists: written,
            rooms: import.rooms,
            skipped: import.skipped,
        })
    }
}

pub fn skip_kind(kind: SkipKind) -> &'static str {
    match kind {
        SkipKind::Schema => "breaks HMCTS's schema",
        SkipKind::NoCase => "no case",
        SkipKind::Unusable => "cannot be shown safely",
        SkipKind::Duplicate => "listed twice",
    }
}

/// A publication CaTH pushed (`courtdeck serve-lists`): its metadata and its list.
#[derive(Debug, Clone)]
pub struct Publication {
    /// CaTH's publication id (a UUID).
    pub id: String,
    /// CaTH's list type name.
    pub list_type: String,
    /// The day the list is for (CaTH's `contentDate`).
    pub content_date: Option<Date>,
    /// The list JSON (`payload`); `None` for a flat-file publication (a PDF or spreadsheet).
    pub payload: Option<Vec<u8>>,
    /// Who sent it: the client id its token was issued to.
    pub by: String,
}

/// What became of a publication.
#[derive(Debug, Clone)]
pub enum Received {
    Imported(ListsImported),
    /// Not a list Courtdeck reads (another list type, a flat file): acknowledged, recorded, not
    /// written.
    Ignored(String),
}

/// The record of what a publication wrote, so a replacement or a withdrawal undoes exactly that:
/// `publications/cath/<id>.json` in the store folder (kiosks never read it).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct PublicationRecord {
    publication: String,
    list_type: String,
    /// Each list written, with the SHA-256 of the bytes written: a list changed since (by a later
    /// publication) is left alone.
    lists: Vec<(String, String)>,
}

fn publication_record_path(store: &std::path::Path, id: &str) -> std::path::PathBuf {
    store.join("publications/cath").join(format!("{id}.json"))
}

/// CaTH's publication ids are UUIDs; nothing else names a file here.
pub fn parse_publication_id(id: &str) -> ApiResult<String> {
    let groups: Vec<&str> = id.split('-').collect();
    let ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidManifest,
            format!(
                "publication id {:?} is not a UUID",
                courtdeck_store::wire::visible(id)
            ),
        ))
    }
}

fn sha256_of(path: &std::path::Path) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| courtdeck_core::Sha256Digest::of(&b).to_hex())
}

fn remove_unchanged(
    store: &std::path::Path,
    lists: &[(String, String)],
) -> (Vec<String>, Vec<String>) {
    let (mut removed, mut kept) = (Vec::new(), Vec::new());
    for (rel, sha) in lists {
        let path = store.join(rel);
        match sha256_of(&path) {
            Some(now) if &now == sha => {
                if std::fs::remove_file(&path).is_ok() {
                    removed.push(rel.clone());
                } else {
                    kept.push(rel.clone());
                }
            }
            Some(_) => kept.push(rel.clone()),
            None => {}
        }
    }
    (removed, kept)
}

impl Publisher {
    /// A publication pushed by CaTH, into the store folder `store`: a new one (`replace` false) or
    /// a replacement of the one with its id. Imported as `import_cath_list` imports a file; then a
    /// replacement removes the lists its earlier version wrote that it no longer carries (unless
    /// something else has written them since). Callers run one publication at a time.
    pub async fn receive_cath_publication(
        &self,
        store: &std::path::Path,
        p: Publication,
        replace: bool,
    ) -> ApiResult<Received> {
        let config = &self.config;
        let id = parse_publication_id(&p.id)?;
        let ignored = |why: String| -> ApiResult<Received> {
            audit_once(
                config,
                None,
                CustodyEvent::CathPublicationIgnored {
                    publication: id.clone(),
                    by: Some(p.by.clone()),
                    list_type: Some(p.list_type.clone()),
                    why: why.clone(),
                },
            )?;
            Ok(Received::Ignored(why))
        };
        let Some(list_type) = ListType::parse(&p.list_type) else {
            return ignored(format!(
                "{} is not a magistrates' list Courtdeck reads",
                courtdeck_store::wire::visible(&p.list_type)
            ));
        };
        let Some(payload) = p.payload.clone() else {
            return ignored(
                "a flat file (no list JSON) is not something Courtdeck can list".into(),
            );
        };
        let imported = self
            .import_cath_list(
                &PublishTo::Dir(store.to_owned()),
                payload,
                Some(list_type),
                p.content_date,
                &ListSource::Pushed {
                    publication: id.clone(),
                    by: p.by.clone(),
                },
            )
            .await?;
        let record_path = publication_record_path(store, &id);
        let lists: Vec<(String, String)> = imported
            .lists
            .iter()
            .map(|l| {
                let sha = sha256_of(&store.join(&l.path)).unwrap_or_default();
                (l.path.clone(), sha)
            })
            .collect();
        if replace
            && let Ok(old) = std::fs::read(&record_path)
            && let Ok(old) = serde_json::from_slice::<PublicationRecord>(&old)
        {
            let gone: Vec<(String, String)> = old
                .lists
                .into_iter()
                .filter(|(rel, _)| !lists.iter().any(|(r, _)| r == rel))
                .collect();
            let (removed, kept) = remove_unchanged(store, &gone);
            if !removed.is_empty() || !kept.is_empty() {
                audit_once(
                    config,
                    None,
                    CustodyEvent::CourtListsWithdrawn {
                        publication: id.clone(),
                        by: Some(p.by.clone()),
                        why: "replaced".into(),
                        list_type: None,
                        removed,
                        kept_changed_since: kept,
                    },
                )?;
            }
        }
        let record = PublicationRecord {
            publication: id.clone(),
            list_type: list_type.cath_name().into(),
            lists,
        };
        write_record(&record_path, &record)?;
        Ok(Received::Imported(imported))
    }

    /// CaTH withdrew a publication: the lists it wrote are removed (a kiosk then has no hearings
    /// that day), except any written since by another publication. Returns the lists removed.
    pub async fn withdraw_cath_publication(
        &self,
        store: &std::path::Path,
        id: &str,
        by: &str,
    ) -> ApiResult<Vec<String>> {
        let config = &self.config;
        let id = parse_publication_id(id)?;
        let record_path = publication_record_path(store, &id);
        let record: PublicationRecord = match std::fs::read(&record_path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::new(
                    ErrorCode::Internal,
                    format!("{}: {e}", record_path.display()),
                )
            })?,
            Err(_) => {
                return Err(ApiError::new(
                    ErrorCode::NotFound,
                    format!("no publication {id} was received here"),
                ));
            }
        };
        custody_open(config)?;
        let (removed, kept) = remove_unchanged(store, &record.lists);
        let _ = std::fs::remove_file(&record_path);
        audit_once(
            config,
            None,
            CustodyEvent::CourtListsWithdrawn {
                publication: id.clone(),
                by: Some(by.to_owned()),
                why: "withdrawn".into(),
                list_type: Some(record.list_type.clone()),
                removed: removed.clone(),
                kept_changed_since: kept,
            },
        )?;
        Ok(removed)
    }
}

fn write_record(path: &std::path::Path, record: &PublicationRecord) -> ApiResult<()> {
    let dir = path.parent().expect("a record has a folder");
    let tmp = path.with_extension("json.part");
    std::fs::create_dir_all(dir)
        .and_then(|()| {
            std::fs::write(
                &tmp,
                serde_json::to_vec_pretty(record).expect("serialisable"),
            )
        })
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("{}: {e}", path.display())))
}
