//! The playout process confines itself with Landlock before it decodes anything: files served by any
//! party and a laptop's stream are parsed here, so a decoder exploit must not reach the custody log,
//! the keyring's files, the app's configuration, the cache's write side or the network.
//!
//! What it may do once confined:
//! - read (never write, never execute) the system's own files a GStreamer + X11 process needs
//!   (libraries, GStreamer's plugins, fonts, the monitors' EDIDs) and the folders the app names in
//!   its `ConfinePolicy` (the verified cache's blobs; a probed file);
//! - read and write the few device nodes a player uses (`/dev/null`, `/dev/dri`, `/dev/snd`, …);
//! - no TCP at all (bind or connect), no signals and no abstract unix socket outside itself, no
//!   new privileges.
//!
//! What Landlock at ABI 7 cannot promise (ARCHITECTURE.md says it too): UDP is not covered (the
//! video link's SRT listener needs it anyway), nor `connect` to a unix socket by its path (the X
//! server's, the sound server's, and the session bus's, which the keyring is reached through); the
//! app leaves `DBUS_SESSION_BUS_ADDRESS` out of the environment for that reason.
//!
//! Order matters: confinement binds the calling thread and the threads it starts afterwards, so it
//! is applied after `gst::init` (which reads and may rebuild the plugin registry, and runs the
//! plugin scanner) and before any thread or pipeline exists.

use std::path::{Path, PathBuf};

use anyhow::Context;
use courtdeck_playout::protocol::{CONFINE_ENV, ConfinePolicy, Confinement, ConfinementStatus};
use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, LandlockStatus, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope, make_bitflags,
};

/// The newest ABI whose rights this confinement handles, by kind: file rights up to device ioctls
/// (V5; V9's `ResolveUnix` would cut off the X server and the sound server, whose sockets have no
/// rule yet), TCP (V4), scopes (V6).
const FS_ABI: ABI = ABI::V5;
const NET_ABI: ABI = ABI::V4;
const SCOPE_ABI: ABI = ABI::V6;

/// Read-only: open files and list folders. Not `AccessFs::from_read`, which includes `Execute`.
const READ: BitFlags<AccessFs> = make_bitflags!(AccessFs::{ReadFile | ReadDir});
/// A device node: read, write and its ioctls.
const DEVICE: BitFlags<AccessFs> = make_bitflags!(AccessFs::{ReadFile | WriteFile | IoctlDev});
/// Where the policy lets it write (a test's sound capture): create and write files there.
const WRITE: BitFlags<AccessFs> =
    make_bitflags!(AccessFs::{ReadFile | ReadDir | WriteFile | MakeReg | Truncate});

/// The system's files a GStreamer + X11 + fonts process reads. Those that do not exist are skipped.
const SYSTEM_READ: &[&str] = &[
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/fonts",
    "/etc/localtime",
    "/etc/gnutls",
    "/etc/gcrypt",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/machine-id",
    "/etc/alsa",
    "/etc/asound.conf",
    "/etc/pulse",
    "/etc/drirc",
    "/var/cache/fontconfig",
    "/var/lib/dbus/machine-id",
    // This process's own /proc entries (`/proc/self` opens as `/proc/<pid>`), never another's.
    "/proc/self",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/proc/stat",
    // The monitors' EDIDs: /sys/class/drm's entries are links into /sys/devices, and a rule holds
    // for the file a link leads to.
    "/sys/class/drm",
    // A capture card found by its USB ids, and its sound card on the same USB device
    // (`live::resolve_device`, `live::sound_of`).
    "/sys/class/video4linux",
    "/sys/class/sound",
    "/sys/devices",
    "/sys/dev",
];

/// Device nodes a player opens for reading and writing.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/dri",
    "/dev/snd",
];

/// The policy the app passed (`CONFINE_ENV`). Absent, nothing beyond the system's files is readable
/// (fail closed); present but unreadable, the process does not start.
pub fn policy_from_env() -> anyhow::Result<ConfinePolicy> {
    match std::env::var(CONFINE_ENV) {
        Ok(json) => serde_json::from_str(&json)
            .with_context(|| format!("{CONFINE_ENV} is not a confinement policy")),
        Err(std::env::VarError::NotPresent) => Ok(ConfinePolicy::default()),
        Err(e) => Err(anyhow::anyhow!("{CONFINE_ENV}: {e}")),
    }
}

/// Confines this process (it must have one thread) with `policy`, and says how it is confined.
/// `Refused` (no Landlock and no `unconfined_reason`) is returned, not an error: the caller reports
/// it, then exits.
pub fn apply(policy: &ConfinePolicy) -> anyhow::Result<Confinement> {
    let threads = std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0);
    anyhow::ensure!(
        threads == 1,
        "confinement must come before any thread starts, and this process has {threads}"
    );
    let x_abstract = x_server_listens_abstract();
    let mut scopes = Scope::from_all(SCOPE_ABI);
    if x_abstract {
        // libxcb tries the X server's abstract socket first and gives up on EPERM instead of trying
        // its path: refusing abstract sockets would leave every window dark.
        scopes.remove(Scope::AbstractUnixSocket);
    }
    let mut ruleset = Ruleset::default()
        .handle_access(AccessFs::from_all(FS_ABI))?
        .handle_access(AccessNet::from_all(NET_ABI))?
        .scope(scopes)?
        .create()?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let xdg = |var: &str, fallback: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(fallback)))
    };
    let mut read: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
    // Fonts and their caches, the X server's cookie, the sound server's cookie.
    for (dir, sub) in [
        (xdg("XDG_CACHE_HOME", ".cache"), "fontconfig"),
        (xdg("XDG_CONFIG_HOME", ".config"), "fontconfig"),
        (xdg("XDG_CONFIG_HOME", ".config"), "pulse"),
        (xdg("XDG_DATA_HOME", ".local/share"), "fonts"),
        (home.clone(), ".fonts"),
    ] {
        read.extend(dir.map(|d| d.join(sub)));
    }
    read.extend(
        std::env::var_os("XAUTHORITY")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".Xauthority"))),
    );
    // Where this process was told to find its plugins and the monitors' identities.
    for var in [
        "GST_PLUGIN_PATH",
        "GST_PLUGIN_PATH_1_0",
        "GST_PLUGIN_SYSTEM_PATH",
        "GST_PLUGIN_SYSTEM_PATH_1_0",
        "COURTDECK_DRM_ROOT",
    ] {
        if let Some(v) = std::env::var_os(var) {
            read.extend(std::env::split_paths(&v));
        }
    }
    for path in &read {
        ruleset = add(ruleset, path, READ)?;
    }
    for path in DEVICES {
        ruleset = add(ruleset, Path::new(path), DEVICE)?;
    }
    let mut missing = Vec::new();
    for path in &policy.read {
        if !path.exists() {
            missing.push(path.display().to_string());
        }
        ruleset = add(ruleset, path, READ)?;
    }
    for path in &policy.write {
        ruleset = add(ruleset, path, WRITE)?;
    }
    for path in &policy.devices {
        ruleset = add(ruleset, path, DEVICE)?;
    }
    if !missing.is_empty() {
        tracing::warn!(
            "not readable while this process runs (they did not exist when it started): {}",
            missing.join(", ")
        );
    }
    let status = ruleset.restrict_self()?;
    let abi = match status.landlock {
        LandlockStatus::Available { effective_abi, .. } => effective_abi as u32,
        _ => 0,
    };
    let given = match policy.read.len() {
        1 => "the one folder or file it was given".to_owned(),
        n => format!("the {n} folders or files it was given"),
    };
    let what = format!(
        "reads only the system's files and {given}, writes {}, runs no program, opens no TCP connection",
        if policy.write.is_empty() {
            "nothing"
        } else {
            "only where it was told to"
        }
    );
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced if !x_abstract => Confinement {
            status: ConfinementStatus::Full,
            abi,
            detail: format!("Landlock (ABI {abi}): {what}"),
        },
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => {
            let mut gaps = not_enforced(abi);
            if x_abstract {
                gaps.push(
                    "abstract unix sockets (the X server listens on one: start it with \
                     -nolisten local)"
                        .into(),
                );
            }
            Confinement {
                status: ConfinementStatus::Partial,
                abi,
                detail: format!(
                    "Landlock (ABI {abi}): {what}; not confined: {}",
                    gaps.join("; ")
                ),
            }
        }
        RulesetStatus::NotEnforced => match &policy.unconfined_reason {
            Some(reason) => Confinement {
                status: ConfinementStatus::Off,
                abi,
                detail: format!(
                    "not confined (this kernel offers no Landlock); allowed by [playout] \
                     unconfined_reason: {reason}"
                ),
            },
            None => Confinement {
                status: ConfinementStatus::Refused,
                abi,
                detail: "this kernel offers no Landlock (Linux 6.12 or later confines playout \
                         fully); to run unconfined, give the reason in [playout] \
                         unconfined_reason"
                    .into(),
            },
        },
    })
}

/// A read (or device, or write) rule for `path`; a path that does not exist is skipped. Folder
/// rights are left out for a file (the kernel refuses them there).
fn add(
    ruleset: landlock::RulesetCreated,
    path: &Path,
    access: BitFlags<AccessFs>,
) -> anyhow::Result<landlock::RulesetCreated> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(ruleset);
    };
    let access = if meta.is_dir() {
        access
    } else {
        access & AccessFs::from_file(FS_ABI)
    };
    let fd = PathFd::new(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(ruleset.add_rule(PathBeneath::new(fd, access))?)
}

/// What a kernel with Landlock ABI `abi` leaves out of this confinement.
fn not_enforced(abi: u32) -> Vec<String> {
    let mut gaps = Vec::new();
    if abi < 3 {
        gaps.push("truncating files".into());
    }
    if abi < 4 {
        gaps.push("TCP connections".into());
    }
    if abi < 5 {
        gaps.push("device ioctls".into());
    }
    if abi < 6 {
        gaps.push("signals and abstract unix sockets".into());
    }
    gaps
}

/// Whether the X server of `DISPLAY` (`:N`) listens on the abstract socket `@/tmp/.X11-unix/XN`
/// (`/proc/net/unix` names it).
fn x_server_listens_abstract() -> bool {
    let Some(n) = std::env::var("DISPLAY")
        .ok()
        .and_then(|d| display_number(&d))
    else {
        return false;
    };
    let want = format!("@/tmp/.X11-unix/X{n}");
    std::fs::read_to_string("/proc/net/unix")
        .map(|t| {
            t.lines()
                .any(|l| l.split_whitespace().last() == Some(&want))
        })
        .unwrap_or(false)
}

/// `:98` or `:98.0` -> 98; a remote display (`host:0`) -> none.
fn display_number(display: &str) -> Option<u32> {
    let rest = display.strip_prefix(':')?;
    rest.split('.').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_numbers() {
        assert_eq!(display_number(":98"), Some(98));
        assert_eq!(display_number(":0.0"), Some(0));
        assert_eq!(display_number("host:0"), None);
        assert_eq!(display_number(""), None);
    }

    #[test]
    fn an_older_kernel_names_what_it_leaves_out() {
        assert!(not_enforced(7).is_empty());
        assert_eq!(not_enforced(5), ["signals and abstract unix sockets"]);
        assert_eq!(not_enforced(1).len(), 4);
    }
}
