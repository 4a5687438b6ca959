//! Who a monitor is: its EDID, from RandR's `EDID` output property or, where RandR has none (a
//! virtual monitor, a driver that does not publish it), from the kernel's `/sys/class/drm/*/edid`.
//!
//! The sysfs root is `COURTDECK_DRM_ROOT` when set (`[screens] drm_root`; tests point it at a tree of
//! their own), else `/sys/class/drm`. Its connectors are `card0-HDMI-A-1`; X names the same one
//! `HDMI-1` (modesetting), `HDMI-A-1` or `HDMI1` (other drivers): names are compared without dashes,
//! case, and the `-A` of `HDMI-A`.

use std::path::{Path, PathBuf};

use courtdeck_core::{Edid, Serial};

use crate::protocol::Monitor;

pub fn drm_root() -> PathBuf {
    std::env::var_os("COURTDECK_DRM_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/sys/class/drm"))
}

/// `HDMI-A-1`, `HDMI-1` and `hdmi1` are one connector.
fn normalise(name: &str) -> String {
    name.to_ascii_lowercase()
        .replace("hdmi-a-", "hdmi")
        .replace(['-', '_'], "")
}

/// The EDID the kernel read from the monitor on `connector`, when it is connected and has one.
pub fn sysfs_edid(root: &Path, connector: &str) -> Option<Vec<u8>> {
    let want = normalise(connector);
    let entries = std::fs::read_dir(root).ok()?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // `card0-HDMI-A-1`; `card0` itself and `renderD128` are not connectors.
        let Some((card, conn)) = name.split_once('-') else {
            continue;
        };
        if !card.starts_with("card") || normalise(conn) != want {
            continue;
        }
        let dir = entry.path();
        if let Ok(status) = std::fs::read_to_string(dir.join("status"))
            && status.trim() != "connected"
        {
            return None;
        }
        // The file is empty when nothing is connected; 128 bytes per block otherwise.
        return std::fs::read(dir.join("edid"))
            .ok()
            .filter(|b| !b.is_empty());
    }
    None
}

/// Fills in `monitor`'s identity from `edid` (RandR's) or, without it, from sysfs.
pub fn identify(monitor: &mut Monitor, edid: Option<Vec<u8>>, root: &Path) {
    let edid = edid.filter(|b| !b.is_empty()).or_else(|| {
        let connector = monitor.connector.as_deref().unwrap_or(&monitor.name);
        sysfs_edid(root, connector)
    });
    let Some(bytes) = edid else { return };
    match Edid::parse(&bytes) {
        Ok(e) => {
            monitor.identity = Some(e.identity().to_string());
            monitor.model = e.model.clone();
            monitor.maker = Some(e.manufacturer.clone());
            monitor.product = Some(format!("{:04X}", e.product));
            monitor.serial = match e.serial_number() {
                Serial::Real(s) => Some(s),
                Serial::Placeholder(_) | Serial::Absent => None,
            };
            monitor.unique = e.is_unique();
            monitor.not_unique_because = e.why_not_unique();
            monitor.legacy_identity = e.legacy_identity().map(|i| i.to_string());
        }
        Err(e) => monitor.edid_error = Some(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use courtdeck_core::edid_block;

    fn connector(root: &Path, name: &str, status: &str, edid: &[u8]) {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("status"), status).unwrap();
        std::fs::write(dir.join("edid"), edid).unwrap();
    }

    #[test]
    fn a_connector_is_found_under_any_of_its_names() {
        let root = tempfile::tempdir().unwrap();
        let dell = edid_block("DEL", 0xa0f1, 0, Some("CN01"), "DELL");
        connector(root.path(), "card0-HDMI-A-1", "connected\n", &dell);
        connector(root.path(), "card0-DP-2", "disconnected\n", &[]);
        std::fs::create_dir_all(root.path().join("renderD128")).unwrap();
        for name in ["HDMI-1", "HDMI-A-1", "HDMI1", "hdmi-a-1"] {
            assert_eq!(
                sysfs_edid(root.path(), name).as_deref(),
                Some(&dell[..]),
                "{name}"
            );
        }
        assert_eq!(sysfs_edid(root.path(), "DP-2"), None, "disconnected");
        assert_eq!(sysfs_edid(root.path(), "DP-3"), None, "absent");
        assert_eq!(sysfs_edid(&root.path().join("nowhere"), "HDMI-1"), None);
    }

    #[test]
    fn randr_wins_over_sysfs_and_a_bad_edid_is_named() {
        let root = tempfile::tempdir().unwrap();
        connector(
            root.path(),
            "card1-DP-1",
            "connected",
            &edid_block("SAM", 1, 7, None, "S"),
        );
        let mut m = Monitor::new("DP-1", 0, 0, 10, 10);
        identify(
            &mut m,
            Some(edid_block("DEL", 2, 0, Some("X1"), "D").to_vec()),
            root.path(),
        );
        assert_eq!(m.identity.as_deref(), Some("DEL-0002-X1"));
        let mut m = Monitor::new("DP-1", 0, 0, 10, 10);
        identify(&mut m, None, root.path());
        assert_eq!(m.identity.as_deref(), Some("SAM-0001-00000007"));
        assert!(m.unique);
        let mut torn = edid_block("SAM", 1, 7, None, "S");
        torn[40] ^= 1;
        connector(root.path(), "card1-DP-1", "connected", &torn);
        let mut m = Monitor::new("DP-1", 0, 0, 10, 10);
        identify(&mut m, None, root.path());
        assert_eq!(m.identity, None);
        assert!(m.edid_error.as_deref().unwrap().contains("checksum"));
    }
}
