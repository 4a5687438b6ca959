//! Evidence as it is handed over: a BagIt bag (RFC 8493) from a police or CPS system, validated
//! whole by `courtdeck_interop::bagit`, then published as `bundle` publishes a case: its
//! `External-Identifier` is the case (the URN that joins it to its listing), each payload file an
//! exhibit with its kind, duration and pages found by probing. References, titles, restrictions and
//! each copy's role come from the Courtdeck BagIt profile's tag file (`courtdeck-exhibits.json`,
//! docs/bagit-profile.json); without it, references are numbered in payload order and every exhibit
//! is `no_public` until someone decides otherwise. Nothing is published unless every check passed.

use courtdeck_audit::{BagExhibitRecord, CustodyEvent};
use std::path::{Path, PathBuf};

use courtdeck_core::ErrorCode;
use courtdeck_interop::bagit::{self, Algorithm, Bag};
use courtdeck_store::{BundleDescription, BundleExhibit, PublisherKey};
use serde::Deserialize;

use crate::Publisher;
use crate::audit::audit_once;
use crate::error::{ApiError, ApiResult};
use crate::media::AUTO_KIND;
use crate::publish::{PublishTo, Published};

/// The Courtdeck BagIt profile's tag file: how the exhibits are to be called and shown.
pub const PROFILE_TAG_FILE: &str = "courtdeck-exhibits.json";
/// Where the profile document is published (`BagIt-Profile-Identifier`).
pub const PROFILE_IDENTIFIER: &str =
    "https://courtdeck.example/bagit-profile/courtdeck-evidence-v1.json";

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct ProfileDoc {
    /// "R v J.S."; default: the bag's `Courtdeck-Case-Title`, else "Case <id>".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    case_title: Option<String>,
    exhibits: Vec<ProfileExhibit>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct ProfileExhibit {
    /// The payload file, as the manifests name it (`data/…`).
    path: String,
    reference: String,
    title: String,
    restriction: String,
    /// `master`, `working_copy` or `court_playable` (NPCC video guidance's copies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    copy: Option<String>,
    /// The source system's own id of the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_id: Option<String>,
    /// Who handed this item over, when not the bag's `Source-Organization` (a bag Courtdeck
    /// exported says where each exhibit first came from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_organisation: Option<String>,
}

/// One exhibit published from a bag.
#[derive(Debug, Clone)]
pub struct BagExhibit {
    pub reference: String,
    pub title: String,
    pub path: String,
    pub restriction: String,
    pub copy: Option<String>,
    pub source_id: Option<String>,
    pub source_organisation: Option<String>,
}

/// What `import_bag` did.
#[derive(Debug, Clone)]
pub struct BagImported {
    pub case_id: String,
    pub source_organisation: Option<String>,
    /// The exhibits' references and restrictions came from the profile's tag file.
    pub from_profile: bool,
    pub exhibits: Vec<BagExhibit>,
    pub published: Published,
}

fn refused(why: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidManifest,
        format!("The bag was refused and nothing was published: {why}."),
    )
}

impl Publisher {
    /// Validates the bag `bag` (a folder, or a `.zip`, `.tar` or `.tar.gz` of one) whole, then
    /// publishes it into `to` (see the module's doc).
    /// Refused, with nothing published: a bag that breaks any BagIt rule, an incomplete one (files
    /// only named in `fetch.txt`), one whose manifests are only MD5 or SHA-1, one without an
    /// `External-Identifier` that is a case id, a profile tag file no tag manifest covers or that
    /// does not describe every payload file exactly once.
    pub async fn import_bag(
        &self,
        to: &PublishTo,
        bag: &Path,
        sign: Option<PublisherKey>,
    ) -> ApiResult<BagImported> {
        // A bag handed over as one file (.zip, .tar, .tar.gz) is unpacked first, and removed after.
        let unpacked = bag.is_file().then(|| {
            std::env::temp_dir().join(format!(
                "courtdeck-bag-{}-{}",
                std::process::id(),
                jiff::Timestamp::now().as_nanosecond()
            ))
        });
        let result = self.import_bag_at(to, bag, unpacked.as_deref(), sign).await;
        if let Some(dir) = &unpacked {
            let _ = std::fs::remove_dir_all(dir);
        }
        result
    }

    async fn import_bag_at(
        &self,
        to: &PublishTo,
        bag: &Path,
        unpack_into: Option<&Path>,
        sign: Option<PublisherKey>,
    ) -> ApiResult<BagImported> {
        let config = &self.config;
        let (given, into) = (bag.to_owned(), unpack_into.map(Path::to_owned));
        let read = tokio::task::spawn_blocking(move || {
            let root = match &into {
                Some(dir) => bagit::unpack(&given, dir)?,
                None => given,
            };
            bagit::validate(&root)
        })
        .await
        .map_err(crate::internal)?
        .map_err(refused)?;
        if !read.to_fetch.is_empty() {
            return Err(refused(format!(
                "it is incomplete: {} payload files are only named in fetch.txt ({}), and Courtdeck fetches nothing a bag points to",
                read.to_fetch.len(),
                read.to_fetch[0]
            )));
        }
        if !read.algorithms.iter().any(|a| a.is_strong()) {
            return Err(refused(format!(
                "its manifests use only {}, which cannot show evidence unaltered; the bag needs a SHA-256 or SHA-512 manifest",
                read.algorithms
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .join(" and ")
            )));
        }
        if read.payload.is_empty() {
            return Err(refused("its payload is empty"));
        }
        let case_id = read
            .info("External-Identifier")
            .ok_or_else(|| refused("bag-info.txt has no External-Identifier, the case's URN"))?
            .to_owned();
        let case = courtdeck_core::CaseId::parse(&case_id).map_err(|e| {
            refused(format!(
                "its External-Identifier {case_id:?} cannot be a case id: {e}"
            ))
        })?;
        let profile = read_profile(&read)?;
        let (desc, exhibits) = description(&read, &case.to_string(), profile.as_ref())?;
        let media = read.root.join("data");
        let published = self.publish_description(to, &media, desc, sign).await?;
        audit_once(
            config,
            Some(&case.to_string()),
            CustodyEvent::BagImported {
                bag: bag.display().to_string(),
                bagit_version: read.version.to_string(),
                source_organisation: read.info("Source-Organization").map(str::to_owned),
                external_identifier: case_id.to_string(),
                bagging_date: read.info("Bagging-Date").map(str::to_owned),
                profile: profile.is_some(),
                exhibits: exhibits
                    .iter()
                    .zip(&read.payload)
                    .map(|(e, p)| BagExhibitRecord {
                        exhibit: e.reference.clone(),
                        path: p.path.clone(),
                        copy: e.copy.clone(),
                        source_id: e.source_id.clone(),
                        restriction: e.restriction.clone(),
                        bag_digests: p
                            .digests
                            .iter()
                            .map(|(a, d)| (a.name().to_owned(), d.clone()))
                            .collect(),
                    })
                    .collect(),
            },
        )?;
        Ok(BagImported {
            case_id: case.to_string(),
            source_organisation: read.info("Source-Organization").map(str::to_owned),
            from_profile: profile.is_some(),
            exhibits,
            published,
        })
    }
}

/// The profile's tag file, if the bag carries one: it must be covered by a strong tag manifest
/// (else it could have been changed after the bag was made).
fn read_profile(bag: &Bag) -> ApiResult<Option<ProfileDoc>> {
    let path: PathBuf = bag.root.join(PROFILE_TAG_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let covered = bag
        .tag_files
        .get(PROFILE_TAG_FILE)
        .is_some_and(|algs| algs.iter().any(|a| Algorithm::is_strong(*a)));
    if !covered {
        return Err(refused(format!(
            "{PROFILE_TAG_FILE} is not in a SHA-256 or SHA-512 tag manifest, so nothing shows it unchanged since the bag was made"
        )));
    }
    let bytes = std::fs::read(&path).map_err(|e| refused(format!("{PROFILE_TAG_FILE}: {e}")))?;
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        refused(format!(
            "{PROFILE_TAG_FILE} is not the profile's document: {e}"
        ))
    })
}

/// The bundle description of the bag: one exhibit per payload file, in payload order.
fn description(
    bag: &Bag,
    case_id: &str,
    profile: Option<&ProfileDoc>,
) -> ApiResult<(BundleDescription, Vec<BagExhibit>)> {
    let mut exhibits = Vec::new();
    match profile {
        Some(p) => {
            for file in &bag.payload {
                let mut listed = p.exhibits.iter().filter(|e| e.path == file.path);
                let e = listed.next().ok_or_else(|| {
                    refused(format!(
                        "{PROFILE_TAG_FILE} does not describe {}",
                        file.path
                    ))
                })?;
                if listed.next().is_some() {
                    return Err(refused(format!(
                        "{PROFILE_TAG_FILE} describes {} twice",
                        file.path
                    )));
                }
                if let Some(copy) = &e.copy
                    && !matches!(copy.as_str(), "master" | "working_copy" | "court_playable")
                {
                    return Err(refused(format!(
                        "{PROFILE_TAG_FILE}: copy {copy:?} of {} is not master, working_copy or court_playable",
                        file.path
                    )));
                }
                exhibits.push(BagExhibit {
                    reference: e.reference.clone(),
                    title: e.title.clone(),
                    path: file.path.clone(),
                    restriction: e.restriction.clone(),
                    copy: e.copy.clone(),
                    source_id: e.source_id.clone(),
                    source_organisation: e.source_organisation.clone(),
                });
            }
            if let Some(extra) = p
                .exhibits
                .iter()
                .find(|e| !bag.payload.iter().any(|f| f.path == e.path))
            {
                return Err(refused(format!(
                    "{PROFILE_TAG_FILE} describes {}, which is not in the payload",
                    extra.path
                )));
            }
        }
        None => {
            for (i, file) in bag.payload.iter().enumerate() {
                let name = file.path.rsplit('/').next().unwrap_or(&file.path);
                let title = name
                    .rsplit_once('.')
                    .map_or(name, |(stem, _)| stem)
                    .replace(['\n', '\r', '\t'], " ");
                exhibits.push(BagExhibit {
                    reference: format!("EX/{}", i + 1),
                    title,
                    path: file.path.clone(),
                    // Nobody has said who may see it: not the public gallery until someone does.
                    restriction: "no_public".into(),
                    copy: None,
                    source_id: None,
                    source_organisation: None,
                });
            }
        }
    }
    let title = profile
        .and_then(|p| p.case_title.clone())
        .or_else(|| bag.info("Courtdeck-Case-Title").map(str::to_owned))
        .unwrap_or_else(|| format!("Case {case_id}"));
    let organisation = bag
        .info("Source-Organization")
        .unwrap_or("not stated in the bag")
        .to_owned();
    let desc = BundleDescription {
        case_id: case_id.to_owned(),
        title,
        exhibits: exhibits
            .iter()
            .zip(&bag.payload)
            .map(|(e, file)| BundleExhibit {
                reference: e.reference.clone(),
                title: e.title.clone(),
                file: e.path.trim_start_matches("data/").to_owned(),
                kind: AUTO_KIND.into(),
                media_type: None,
                restriction: e.restriction.clone(),
                duration_ms: None,
                clips: Vec::new(),
                pages: Vec::new(),
                transcript: None,
                transcript_restriction: "bench_only".into(),
                provenance: Some(courtdeck_core::Provenance {
                    source_organisation: e
                        .source_organisation
                        .clone()
                        .unwrap_or_else(|| organisation.clone()),
                    source_id: e.source_id.clone(),
                    copy: e
                        .copy
                        .as_deref()
                        .and_then(|c| courtdeck_core::CopyRole::parse(c).ok()),
                    source_digests: file
                        .digests
                        .iter()
                        .map(|(a, hex)| (a.name().to_owned(), hex.clone()))
                        .collect(),
                    restriction_stated: profile.is_some(),
                }),
            })
            .collect(),
        listing: None,
        blob_links: false,
    };
    Ok((desc, exhibits))
}

/// What `export_bag` wrote.
#[derive(Debug, Clone)]
pub struct BagExported {
    pub bag: PathBuf,
    pub exhibits: usize,
    pub bytes: u64,
    /// The custody records of the case put in the bag (`custody.csv`), when the log has any.
    pub custody_records: usize,
}

/// A file name for an exhibit in a bag: its reference and title, no separators or control
/// characters, with the extension its media type has.
fn payload_name(e: &courtdeck_core::Exhibit) -> String {
    let ext = match e.media_type.as_str() {
        "video/mp4" => "mp4",
        "audio/mp4" => "m4a",
        "video/quicktime" => "mov",
        "video/mp2t" => "ts",
        "video/mpeg" => "mpg",
        "video/x-ms-asf" => "asf",
        "video/x-msvideo" => "avi",
        "video/x-matroska" => "mkv",
        "video/webm" => "webm",
        "audio/wav" | "audio/x-wav" => "wav",
        "audio/mpeg" => "mp3",
        "audio/flac" => "flac",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/tiff" => "tif",
        "application/pdf" => "pdf",
        _ => "bin",
    };
    let title: String = e
        .title
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':') {
                ' '
            } else {
                c
            }
        })
        .take(80)
        .collect();
    format!(
        "data/{} {}.{ext}",
        e.reference.to_string().replace('/', "-"),
        title.trim()
    )
}

impl Publisher {
    /// Writes case `case` of the store folder `store` as a BagIt bag at `out` (a new folder), so
    /// the next system receives what the court saw: the payload is the exhibits' bytes (each checked
    /// against the manifest's SHA-256 as it is copied), the tag files the manifest as published
    /// (`courtdeck-manifest.json`), the profile's `courtdeck-exhibits.json` (references, titles,
    /// restrictions, where each came from) and the case's custody records (`custody.csv`).
    /// Recorded as `bag_exported`.
    pub async fn export_bag(&self, store: &Path, case: &str, out: &Path) -> ApiResult<BagExported> {
        let config = &self.config;
        let case = crate::listing::parse_case(case)?;
        let dir = courtdeck_store::DirStore::new(store);
        let bytes = courtdeck_store::EvidenceStore::read_document(
            &dir,
            &courtdeck_store::manifest_path(&case),
        )?;
        let manifest = courtdeck_store::wire::parse_manifest(&bytes)?;
        let mut payload = Vec::new();
        let mut profile = ProfileDoc {
            case_title: Some(manifest.title.clone()),
            exhibits: Vec::new(),
        };
        for e in manifest.exhibits() {
            let path = payload_name(e);
            payload.push(bagit::PayloadSource {
                path: path.clone(),
                source: store.join(courtdeck_store::blob_path(&e.sha256)),
                sha256: Some(e.sha256.to_hex()),
            });
            profile.exhibits.push(ProfileExhibit {
                path,
                reference: e.reference.to_string(),
                title: e.title.clone(),
                restriction: e.restriction.as_str().into(),
                copy: e
                    .provenance
                    .as_ref()
                    .and_then(|p| p.copy)
                    .map(|c| c.as_str().into()),
                source_id: e.provenance.as_ref().and_then(|p| p.source_id.clone()),
                source_organisation: e.provenance.as_ref().map(|p| p.source_organisation.clone()),
            });
        }
        let mut tags = vec![
            ("courtdeck-manifest.json".to_owned(), bytes.clone()),
            (
                PROFILE_TAG_FILE.to_owned(),
                serde_json::to_vec_pretty(&profile).expect("serialisable"),
            ),
        ];
        let custody = courtdeck_audit::export(&config.audit_file(), case.as_str())
            .ok()
            .filter(|e| !e.rows.is_empty());
        let custody_records = custody.as_ref().map_or(0, |e| e.rows.len());
        if let Some(e) = &custody {
            tags.push((
                "custody.csv".into(),
                courtdeck_audit::to_csv(e).into_bytes(),
            ));
        }
        let info = vec![
            (
                "Source-Organization".to_owned(),
                format!("Courtdeck (kiosk {})", config.kiosk_id),
            ),
            ("External-Identifier".to_owned(), case.to_string()),
            ("Courtdeck-Case-Title".to_owned(), manifest.title.clone()),
            (
                "BagIt-Profile-Identifier".to_owned(),
                PROFILE_IDENTIFIER.to_owned(),
            ),
            (
                "Bag-Software-Agent".to_owned(),
                format!("courtdeck {}", env!("CARGO_PKG_VERSION")),
            ),
        ];
        let date = crate::today().to_string();
        let out2 = out.to_owned();
        let bag =
            tokio::task::spawn_blocking(move || bagit::write(&out2, &payload, &tags, &info, &date))
                .await
                .map_err(crate::internal)?
                .map_err(|e| {
                    // A blob whose bytes are not the manifest's is the store's hash mismatch.
                    let code = if e.0.contains("is not the bytes it should be") {
                        ErrorCode::HashMismatch
                    } else {
                        ErrorCode::Internal
                    };
                    ApiError::new(code, format!("The bag was not written: {e}."))
                })?;
        let total: u64 = bag.payload.iter().map(|p| p.size).sum();
        audit_once(
            config,
            Some(&case.to_string()),
            CustodyEvent::BagExported {
                bag: out.display().to_string(),
                exhibits: bag.payload.len(),
                bytes: total,
                custody_records,
            },
        )?;
        Ok(BagExported {
            bag: out.to_owned(),
            exhibits: bag.payload.len(),
            bytes: total,
            custody_records,
        })
    }
}
