//! HMCTS's court lists into the store: a CaTH list (a file, or a publication pushed by CaTH) read by
//! `courtdeck_interop::cath`, every courtroom's day written whole into the store, and the import
//! recorded in the custody log. The CLI's `import cath-list` and the `serve-lists` endpoint are thin
//! over `Courtdeck::import_cath_list`.

use courtdeck_core::ErrorCode;
use courtdeck_interop::cath::{self, ListType, ReadOptions, RoomReport, SkipKind, Skipped};
use courtdeck_store::DirStore;
use jiff::civil::Date;

use crate::Courtdeck;
use crate::audit::{audit_once, custody_open};
use crate::config::Config;
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

impl Courtdeck {
    /// Imports a CaTH list into the store `to`: each courtroom and day in it becomes that courtroom's
    /// list for the day (in place of any there), all written or none (`write_court_lists`), and
    /// recorded in the custody log as `court_lists_imported`. A part of the list that is refused is
    /// reported in `skipped`, never dropped silently; a list with nothing to write is refused.
    pub async fn import_cath_list(
        config: &Config,
        to: &PublishTo,
        bytes: Vec<u8>,
        list_type: Option<ListType>,
        content_date: Option<Date>,
        source: &ListSource,
    ) -> ApiResult<ListsImported> {
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
            "court_lists_imported",
            serde_json::json!({
                "source": source_kind,
                "file": file,
                "publication": publication,
                "by": by,
                "list_type": import.list_type.cath_name(),
                "content_date": content_date.map(|d| d.to_string()),
                "publication_date": import.publication_date.map(|t| t.to_string()),
                "store": to.describe(),
                "lists": written.iter().map(|l| serde_json::json!({
                    "court": l.court, "date": l.date.to_string(), "hearings": l.hearings,
                })).collect::<Vec<_>>(),
                "unmapped_rooms": import.rooms.iter().filter(|r| !r.mapped).map(|r| serde_json::json!({
                    "court_house": r.court_house, "room": r.room, "court": r.court.to_string(),
                })).collect::<Vec<_>>(),
                "skipped": import.skipped.iter().map(|s| serde_json::json!({
                    "kind": skip_kind(s.kind), "at": s.at, "case": s.case, "reason": s.reason,
                })).collect::<Vec<_>>(),
            }),
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
