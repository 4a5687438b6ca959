//! Writing whole court lists into a store folder (an import of HMCTS's lists): every list checked as a
//! kiosk will read it, then all written or none.

use std::fs;
use std::path::{Path, PathBuf};

use courtdeck_core::CourtList;

use crate::{DirStore, StoreError, court_list_path, wire};

/// Writes each list to `lists/<court>/<date>.json` in `store`, in place of any list there for that
/// courtroom and day. Each is first written as it will be published and read back with
/// `wire::parse_court_list` (a list a kiosk would refuse, say one of more than `wire::MAX_HEARINGS`
/// hearings, refuses the whole import before anything is written). Then every list goes to a
/// `.json.part` beside its place and is synced, and only when all are there are they renamed into
/// place; a failure before that removes the parts, so the store holds every list or none of them.
/// Returns the paths written, relative to the store.
pub fn write_court_lists(store: &DirStore, lists: &[CourtList]) -> Result<Vec<String>, StoreError> {
    let mut staged: Vec<(String, Vec<u8>)> = Vec::new();
    for list in lists {
        let rel = court_list_path(&list.court, list.date);
        let doc = serde_json::to_vec_pretty(&wire::court_list_doc(list)).expect("serialisable");
        wire::parse_court_list(&doc)
            .map_err(|e| StoreError::Invalid(format!("{rel} would not be read by a kiosk: {e}")))?;
        staged.push((rel, doc));
    }
    let mut parts: Vec<(PathBuf, PathBuf)> = Vec::new();
    let written = (|| {
        for (rel, doc) in &staged {
            let path = store.root().join(rel);
            let part = path.with_extension("json.part");
            parts.push((part.clone(), path.clone()));
            write_synced(&part, doc)?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        for (part, _) in &parts {
            let _ = fs::remove_file(part);
        }
        return Err(e);
    }
    for (part, path) in &parts {
        fs::rename(part, path)
            .map_err(|e| StoreError::io(format!("writing {}", path.display()), e))?;
    }
    Ok(staged.into_iter().map(|(rel, _)| rel).collect())
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write as _;
    let dir = path.parent().expect("a list has a folder");
    fs::create_dir_all(dir)
        .map_err(|e| StoreError::io(format!("creating {}", dir.display()), e))?;
    let mut f = fs::File::create(path)
        .map_err(|e| StoreError::io(format!("writing {}", path.display()), e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| StoreError::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use courtdeck_core::{CaseId, CourtId, Hearing};

    use super::*;

    fn list(court: &str, hearings: usize) -> CourtList {
        CourtList::new(
            CourtId::parse(court).unwrap(),
            "PRESTON, Courtroom 1".into(),
            jiff::civil::date(2026, 6, 15),
            (0..hearings)
                .map(|i| Hearing {
                    time: jiff::civil::Time::midnight(),
                    case_id: CaseId::parse(&format!("U{i}")).unwrap(),
                    title: "R v J.S.".into(),
                    hearing_type: "Trial".into(),
                    reporting_restriction: Some(String::new()),
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn all_lists_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::new(dir.path());
        let written = write_court_lists(&store, &[list("a", 2), list("b", 1)]).unwrap();
        assert_eq!(
            written,
            ["lists/a/2026-06-15.json", "lists/b/2026-06-15.json"]
        );
        let back = crate::wire::parse_court_list(&fs::read(dir.path().join(&written[0])).unwrap())
            .unwrap();
        assert_eq!(back, list("a", 2));

        // One list a kiosk would refuse: nothing of the import is written, the old lists stand.
        let too_many = list("c", wire::MAX_HEARINGS + 1);
        let err = write_court_lists(&store, &[list("a", 1), too_many]).unwrap_err();
        assert!(err.to_string().contains("lists/c/2026-06-15.json"), "{err}");
        assert_eq!(
            crate::wire::parse_court_list(&fs::read(dir.path().join(&written[0])).unwrap())
                .unwrap()
                .hearings
                .len(),
            2
        );
        assert!(!dir.path().join("lists/c").exists());

        // A folder that cannot be written: the parts already made are removed.
        fs::create_dir_all(dir.path().join("lists/z")).unwrap();
        fs::write(
            dir.path().join("lists/zz"),
            b"a file where a folder must go",
        )
        .unwrap();
        let err = write_court_lists(&store, &[list("z", 1), list("zz", 1)]).unwrap_err();
        assert!(err.to_string().contains("zz"), "{err}");
        assert!(
            fs::read_dir(dir.path().join("lists/z"))
                .unwrap()
                .next()
                .is_none()
        );
    }
}
