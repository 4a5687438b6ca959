//! BagIt bags (RFC 8493; versions 0.97 and 1.0), validated as the Library of Congress's conformance
//! suite and its `bagit` tool read them, stricter where evidence needs it. `validate` reads a bag
//! folder: its declaration, every payload and tag manifest, `bag-info.txt`, `fetch.txt`, and every
//! file, each byte read once whatever the number of manifests (all their digests computed in the
//! same pass). A bag that breaks any rule is refused whole, with its first reason in words.
//!
//! The rules (docs/interop.md has them with the suite's cases):
//! - `bagit.txt`: exactly `BagIt-Version: M.N` (0.97 or 1.0) and `Tag-File-Character-Encoding: E`, no
//!   byte-order mark, no space before a colon. Tag files are read in E: UTF-8, ISO-8859-1 or UTF-16
//!   (with its byte-order mark).
//! - At least one payload manifest `manifest-<alg>.txt` (md5, sha1, sha224, sha256, sha384, sha512);
//!   every file under `data/` in every one of them, every line's file present (or named in
//!   `fetch.txt`: the bag is then valid but incomplete), each digest right; a path listed twice in a
//!   manifest is refused, with the same digest too.
//! - Paths are relative, inside the bag (`data/…` for payload), no `..`, no `~`, no absolute or
//!   drive paths; `%0A`, `%0D`, `%25` are decoded, nothing else (RFC 8493 2.1.3); a leading `./` is
//!   allowed, and so is `md5sum`'s binary-mode `*` before a path.
//! - Tag manifests `tagmanifest-<alg>.txt`: each listed tag file present with the right digest.
//! - `Payload-Oxum` in `bag-info.txt`, when given, is the payload's bytes and file count.
//! - No symbolic links anywhere in the bag.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

/// A digest algorithm a manifest may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha224 => "sha224",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    pub fn parse(s: &str) -> Option<Algorithm> {
        [
            Algorithm::Md5,
            Algorithm::Sha1,
            Algorithm::Sha224,
            Algorithm::Sha256,
            Algorithm::Sha384,
            Algorithm::Sha512,
        ]
        .into_iter()
        .find(|a| a.name() == s)
    }

    /// Hex digits of a digest.
    fn hex_len(self) -> usize {
        match self {
            Algorithm::Md5 => 32,
            Algorithm::Sha1 => 40,
            Algorithm::Sha224 => 56,
            Algorithm::Sha256 => 64,
            Algorithm::Sha384 => 96,
            Algorithm::Sha512 => 128,
        }
    }

    /// Strong enough to stand alone as evidence that a file is unaltered.
    pub fn is_strong(self) -> bool {
        matches!(
            self,
            Algorithm::Sha256 | Algorithm::Sha384 | Algorithm::Sha512
        )
    }
}

/// One file of the payload: its path in the bag (`data/…`), where it is, its size, and the digest
/// every payload manifest gives for it (all checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadFile {
    pub path: String,
    pub file: PathBuf,
    pub size: u64,
    pub digests: BTreeMap<Algorithm, String>,
}

/// A valid bag.
#[derive(Debug, Clone)]
pub struct Bag {
    pub root: PathBuf,
    pub version: String,
    /// `bag-info.txt`'s entries in order (labels as written, values with continuation lines joined).
    pub info: Vec<(String, String)>,
    /// In the order of the first payload manifest (by algorithm name).
    pub payload: Vec<PayloadFile>,
    /// Payload files `fetch.txt` names that are not in the bag: the bag is valid, not complete.
    pub to_fetch: Vec<String>,
    /// Algorithms of the payload manifests.
    pub algorithms: BTreeSet<Algorithm>,
    /// Each tag file a tag manifest lists (all checked), with the algorithms it is listed under.
    pub tag_files: BTreeMap<String, BTreeSet<Algorithm>>,
}

impl Bag {
    /// The first `bag-info.txt` value of `label` (case-insensitive).
    pub fn info(&self, label: &str) -> Option<&str> {
        self.info
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(label))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BagError(pub String);

fn refuse<T>(why: impl Into<String>) -> Result<T, BagError> {
    Err(BagError(why.into()))
}

/// Reads and checks the bag at `root` (a folder). Every payload and tag file is read once.
pub fn validate(root: &Path) -> Result<Bag, BagError> {
    let meta = std::fs::symlink_metadata(root)
        .map_err(|e| BagError(format!("{}: {e}", root.display())))?;
    if !meta.is_dir() {
        return refuse(format!("{} is not a folder", root.display()));
    }
    let (version, encoding) = declaration(root)?;
    let files = walk(root)?;
    let tag_text = |name: &str| -> Result<Option<String>, BagError> {
        match std::fs::read(root.join(name)) {
            Ok(bytes) => decode(&bytes, encoding, name).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => refuse(format!("{name}: {e}")),
        }
    };

    // Manifests, by kind and algorithm.
    let mut payload_manifests: BTreeMap<Algorithm, BTreeMap<String, String>> = BTreeMap::new();
    let mut tag_manifests: BTreeMap<Algorithm, BTreeMap<String, String>> = BTreeMap::new();
    for name in files.iter().filter(|f| !f.contains('/')) {
        let (is_tag, rest) = if let Some(r) = name.strip_prefix("tagmanifest-") {
            (true, r)
        } else if let Some(r) = name.strip_prefix("manifest-") {
            (false, r)
        } else {
            continue;
        };
        let Some(alg) = rest.strip_suffix(".txt") else {
            continue;
        };
        let Some(alg) = Algorithm::parse(alg) else {
            return refuse(format!(
                "{name} uses the digest algorithm {alg:?}, which Courtdeck does not know (md5, sha1, sha224, sha256, sha384, sha512)"
            ));
        };
        let text = tag_text(name)?.expect("listed");
        let entries = manifest_entries(&text, name, alg, !is_tag)?;
        if is_tag {
            tag_manifests.insert(alg, entries);
        } else {
            payload_manifests.insert(alg, entries);
        }
    }
    if payload_manifests.is_empty() {
        return refuse("the bag has no payload manifest (manifest-<algorithm>.txt)");
    }

    let fetch: BTreeSet<String> = match tag_text("fetch.txt")? {
        None => BTreeSet::new(),
        Some(text) => fetch_entries(&text)?,
    };

    // Every payload file in every payload manifest, and every manifest line's file present.
    let on_disk: BTreeSet<&str> = files
        .iter()
        .map(String::as_str)
        .filter(|f| f.starts_with("data/"))
        .collect();
    let mut to_fetch = BTreeSet::new();
    for (alg, entries) in &payload_manifests {
        let name = format!("manifest-{}.txt", alg.name());
        for path in &on_disk {
            if !entries.contains_key(*path) {
                return refuse(format!(
                    "{path} is in the bag but not in {name}: every payload file must be in every payload manifest"
                ));
            }
        }
        for path in entries.keys() {
            if !on_disk.contains(path.as_str()) {
                if fetch.contains(path) {
                    to_fetch.insert(path.clone());
                } else {
                    return refuse(format!(
                        "{name} lists {path}, which is not in the bag (nor in fetch.txt)"
                    ));
                }
            }
        }
    }

    // Tag manifests: their files present; tag files outside the payload.
    for (alg, entries) in &tag_manifests {
        for path in entries.keys() {
            if path.starts_with("data/") {
                return refuse(format!(
                    "tagmanifest-{}.txt lists the payload file {path}; a tag manifest lists tag files only",
                    alg.name()
                ));
            }
            if !files.contains(path) {
                return refuse(format!(
                    "tagmanifest-{}.txt lists {path}, which is not in the bag",
                    alg.name()
                ));
            }
        }
    }

    // One read of each file, every digest it needs computed on the way.
    let mut needed: BTreeMap<&str, BTreeSet<Algorithm>> = BTreeMap::new();
    for (alg, entries) in payload_manifests.iter().chain(&tag_manifests) {
        for path in entries.keys().filter(|p| files.contains(*p)) {
            needed.entry(path.as_str()).or_default().insert(*alg);
        }
    }
    let mut sizes: BTreeMap<&str, u64> = BTreeMap::new();
    for (path, algs) in &needed {
        let (size, got) = digest_file(&root.join(path), algs)?;
        sizes.insert(path, size);
        for (alg, hex) in got {
            let manifests = if path.starts_with("data/") {
                &payload_manifests
            } else {
                &tag_manifests
            };
            let want = &manifests[&alg][*path];
            if !want.eq_ignore_ascii_case(&hex) {
                let kind = if path.starts_with("data/") {
                    "manifest"
                } else {
                    "tagmanifest"
                };
                return refuse(format!(
                    "{path} does not match its {} digest in {kind}-{}.txt (the bag says {want}, the file is {hex}): it was changed or damaged after the bag was made",
                    alg.name(),
                    alg.name()
                ));
            }
        }
    }

    let info = match tag_text("bag-info.txt")? {
        None => Vec::new(),
        Some(text) => bag_info(&text)?,
    };
    let payload_bytes: u64 = on_disk
        .iter()
        .map(|p| sizes.get(p).copied().unwrap_or(0))
        .sum();
    if let Some(oxum) = info
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case("Payload-Oxum"))
        .map(|(_, v)| v.trim())
    {
        let parsed = oxum
            .split_once('.')
            .and_then(|(b, n)| Some((b.parse::<u64>().ok()?, n.parse::<u64>().ok()?)));
        let Some((bytes, count)) = parsed else {
            return refuse(format!(
                "Payload-Oxum {oxum:?} is not <bytes>.<number of files>"
            ));
        };
        // A holey bag's Payload-Oxum counts what it will hold once fetched: not checkable yet.
        if to_fetch.is_empty() && (bytes != payload_bytes || count != on_disk.len() as u64) {
            return refuse(format!(
                "Payload-Oxum says {count} files of {bytes} bytes, the bag holds {} files of {payload_bytes} bytes",
                on_disk.len()
            ));
        }
    }

    let first = payload_manifests.values().next().expect("one at least");
    let payload = first
        .keys()
        .filter(|p| on_disk.contains(p.as_str()))
        .map(|path| PayloadFile {
            path: path.clone(),
            file: root.join(path),
            size: sizes[path.as_str()],
            digests: payload_manifests
                .iter()
                .map(|(a, e)| (*a, e[path].to_ascii_lowercase()))
                .collect(),
        })
        .collect();
    Ok(Bag {
        root: root.to_owned(),
        version,
        info,
        payload,
        to_fetch: to_fetch.into_iter().collect(),
        algorithms: payload_manifests.keys().copied().collect(),
        tag_files: {
            let mut t: BTreeMap<String, BTreeSet<Algorithm>> = BTreeMap::new();
            for (alg, entries) in &tag_manifests {
                for path in entries.keys() {
                    t.entry(path.clone()).or_default().insert(*alg);
                }
            }
            t
        },
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Latin1,
    Utf16,
}

/// `bagit.txt`: its version and the tag files' encoding.
fn declaration(root: &Path) -> Result<(String, Encoding), BagError> {
    let bytes = match std::fs::read(root.join("bagit.txt")) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return refuse("the bag has no bagit.txt (its declaration)");
        }
        Err(e) => return refuse(format!("bagit.txt: {e}")),
    };
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return refuse(
            "bagit.txt starts with a byte-order mark, which the declaration must not have",
        );
    }
    let text =
        std::str::from_utf8(&bytes).map_err(|_| BagError("bagit.txt is not UTF-8".into()))?;
    let lines: Vec<&str> = lines(text).filter(|l| !l.is_empty()).collect();
    let field = |line: Option<&&str>, label: &str| -> Result<String, BagError> {
        let line = line.ok_or_else(|| BagError(format!("bagit.txt has no {label} line")))?;
        match line.strip_prefix(label).and_then(|r| r.strip_prefix(": ")) {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
            _ => refuse(format!(
                "bagit.txt's line {line:?} is not \"{label}: <value>\" (no space before the colon)"
            )),
        }
    };
    let version = field(lines.first(), "BagIt-Version")?;
    if lines.len() < 2 {
        return refuse("bagit.txt has no Tag-File-Character-Encoding line");
    }
    let encoding = field(lines.get(1), "Tag-File-Character-Encoding")?;
    if lines.len() > 2 {
        return refuse("bagit.txt has lines other than its two");
    }
    let numeric = version.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && (a.to_owned() + b).chars().all(|c| c.is_ascii_digit())
    });
    if !numeric {
        return refuse(format!(
            "BagIt-Version {version:?} is not a version number (MAJOR.MINOR)"
        ));
    }
    if version != "0.97" && version != "1.0" {
        return refuse(format!(
            "BagIt-Version {version} is not one Courtdeck reads (0.97, 1.0)"
        ));
    }
    let encoding = match encoding.to_ascii_uppercase().replace('_', "-").as_str() {
        "UTF-8" => Encoding::Utf8,
        "ISO-8859-1" | "LATIN-1" | "LATIN1" => Encoding::Latin1,
        "UTF-16" => Encoding::Utf16,
        other => {
            return refuse(format!(
                "tag files in {other} are not something Courtdeck reads (UTF-8, ISO-8859-1, UTF-16)"
            ));
        }
    };
    Ok((version, encoding))
}

fn decode(bytes: &[u8], encoding: Encoding, name: &str) -> Result<String, BagError> {
    match encoding {
        Encoding::Utf8 => {
            let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
            String::from_utf8(bytes.to_vec()).map_err(|e| {
                BagError(format!(
                    "{name} is not UTF-8 (at byte {})",
                    e.utf8_error().valid_up_to()
                ))
            })
        }
        Encoding::Latin1 => Ok(bytes.iter().map(|&b| b as char).collect()),
        Encoding::Utf16 => {
            let (be, body) = match bytes {
                [0xFE, 0xFF, rest @ ..] => (true, rest),
                [0xFF, 0xFE, rest @ ..] => (false, rest),
                // Without a mark, UTF-16 is big-endian.
                _ => (true, bytes),
            };
            if body.len() % 2 != 0 {
                return refuse(format!("{name} is not UTF-16 (an odd number of bytes)"));
            }
            let units = body.chunks_exact(2).map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            });
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| BagError(format!("{name} is not UTF-16")))
        }
    }
}

/// Lines ended by LF, CRLF or CR.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').flat_map(|l| l.split('\r'))
}

/// A manifest's lines: path → digest. `payload` manifests list only `data/…`.
fn manifest_entries(
    text: &str,
    name: &str,
    alg: Algorithm,
    payload: bool,
) -> Result<BTreeMap<String, String>, BagError> {
    let mut out = BTreeMap::new();
    for line in lines(text).filter(|l| !l.trim().is_empty()) {
        let Some((digest, path)) = line.split_once([' ', '\t']) else {
            return refuse(format!(
                "{name}: the line {line:?} is not \"<digest> <path>\""
            ));
        };
        let path = path.trim_start_matches([' ', '\t']);
        // `md5sum`/`sha256sum` write a binary-mode file as `<digest> *<path>` (the suite's
        // made-with-md5sum-tools; the LoC tool reads it so too).
        let path = path.strip_prefix('*').unwrap_or(path);
        if digest.len() != alg.hex_len() || !digest.chars().all(|c| c.is_ascii_hexdigit()) {
            return refuse(format!("{name}: {digest:?} is not a {} digest", alg.name()));
        }
        let path = safe_path(path, name)?;
        if payload && !path.starts_with("data/") {
            return refuse(format!(
                "{name} lists {path:?}, which is outside the payload folder data/"
            ));
        }
        if out.insert(path.clone(), digest.to_owned()).is_some() {
            return refuse(format!("{name} lists {path} more than once"));
        }
    }
    Ok(out)
}

/// A manifest's or `fetch.txt`'s path: decoded (`%0A`, `%0D`, `%25` only), a leading `./` taken
/// off, and refused if it could leave the bag.
fn safe_path(raw: &str, name: &str) -> Result<String, BagError> {
    let mut decoded = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('%') {
        decoded.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3).map(str::to_ascii_uppercase);
        match code.as_deref() {
            Some("0A") => decoded.push('\n'),
            Some("0D") => decoded.push('\r'),
            Some("25") => decoded.push('%'),
            _ => {
                decoded.push('%');
                rest = &rest[i + 1..];
                continue;
            }
        }
        rest = &rest[i + 3..];
    }
    decoded.push_str(rest);
    let path = decoded.strip_prefix("./").unwrap_or(&decoded).to_owned();
    let unsafe_path = path.is_empty()
        || path.starts_with('/')
        || path.starts_with('~')
        || path.contains('\\')
        || path.contains(':')
        || path.contains('\0')
        || path
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty());
    if unsafe_path {
        return refuse(format!(
            "{name} names the path {raw:?}, which could leave the bag (absolute, `~`, `..`, a drive or a backslash)"
        ));
    }
    Ok(path)
}

/// `fetch.txt`: `<url> <length or -> <path>` lines; the paths, each inside `data/`.
fn fetch_entries(text: &str) -> Result<BTreeSet<String>, BagError> {
    let mut out = BTreeSet::new();
    for line in lines(text).filter(|l| !l.trim().is_empty()) {
        let mut parts = line.splitn(3, [' ', '\t']);
        let (Some(_url), Some(length), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            return refuse(format!(
                "fetch.txt: the line {line:?} is not \"<url> <length> <path>\""
            ));
        };
        if length != "-" && length.parse::<u64>().is_err() {
            return refuse(format!("fetch.txt: {length:?} is not a length or -"));
        }
        let path = safe_path(path.trim_start(), "fetch.txt")?;
        if !path.starts_with("data/") {
            return refuse(format!(
                "fetch.txt names {path:?}, which is outside the payload folder data/"
            ));
        }
        out.insert(path);
    }
    Ok(out)
}

/// `bag-info.txt`: `Label: value` lines, a line starting with a space or tab continuing the one
/// before. Labels may have spaces around them (the suite's uncommon separators).
fn bag_info(text: &str) -> Result<Vec<(String, String)>, BagError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in lines(text).filter(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            match out.last_mut() {
                Some((_, v)) => {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                None => return refuse("bag-info.txt starts with a continuation line"),
            }
            continue;
        }
        let Some((label, value)) = line.split_once(':') else {
            return refuse(format!(
                "bag-info.txt: the line {line:?} is not \"Label: value\""
            ));
        };
        if label.trim().is_empty() {
            return refuse(format!("bag-info.txt: the line {line:?} has no label"));
        }
        out.push((label.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(out)
}

/// Every file in the bag, relative, `/`-separated. Symbolic links and anything not a file or
/// folder are refused.
fn walk(root: &Path) -> Result<BTreeSet<String>, BagError> {
    let mut out = BTreeSet::new();
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| BagError(format!("{}: {e}", dir.display())))?;
        for entry in entries {
            let entry = entry.map_err(|e| BagError(format!("{}: {e}", dir.display())))?;
            let name = entry.file_name().into_string().map_err(|n| {
                BagError(format!(
                    "{}: a file name that is not UTF-8 ({n:?})",
                    dir.display()
                ))
            })?;
            let rel = format!("{prefix}{name}");
            let kind = entry
                .file_type()
                .map_err(|e| BagError(format!("{rel}: {e}")))?;
            if kind.is_symlink() {
                return refuse(format!(
                    "{rel} is a symbolic link; a bag of evidence holds its files themselves"
                ));
            } else if kind.is_dir() {
                stack.push((entry.path(), format!("{rel}/")));
            } else if kind.is_file() {
                out.insert(rel);
            } else {
                return refuse(format!("{rel} is neither a file nor a folder"));
            }
        }
    }
    Ok(out)
}

/// The file's size and its digest by each of `algs`, in one read.
fn digest_file(
    path: &Path,
    algs: &BTreeSet<Algorithm>,
) -> Result<(u64, Vec<(Algorithm, String)>), BagError> {
    enum H {
        Md5(md5::Md5),
        Sha1(sha1::Sha1),
        Sha224(sha2::Sha224),
        Sha256(sha2::Sha256),
        Sha384(sha2::Sha384),
        Sha512(sha2::Sha512),
    }
    let mut hashers: Vec<(Algorithm, H)> = algs
        .iter()
        .map(|&a| {
            let h = match a {
                Algorithm::Md5 => H::Md5(md5::Md5::default()),
                Algorithm::Sha1 => H::Sha1(sha1::Sha1::default()),
                Algorithm::Sha224 => H::Sha224(sha2::Sha224::default()),
                Algorithm::Sha256 => H::Sha256(sha2::Sha256::default()),
                Algorithm::Sha384 => H::Sha384(sha2::Sha384::default()),
                Algorithm::Sha512 => H::Sha512(sha2::Sha512::default()),
            };
            (a, h)
        })
        .collect();
    let mut f =
        std::fs::File::open(path).map_err(|e| BagError(format!("{}: {e}", path.display())))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| BagError(format!("{}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        for (_, h) in &mut hashers {
            match h {
                H::Md5(h) => md5::Digest::update(h, &buf[..n]),
                H::Sha1(h) => h.update(&buf[..n]),
                H::Sha224(h) => h.update(&buf[..n]),
                H::Sha256(h) => h.update(&buf[..n]),
                H::Sha384(h) => h.update(&buf[..n]),
                H::Sha512(h) => h.update(&buf[..n]),
            }
        }
    }
    let out = hashers
        .into_iter()
        .map(|(a, h)| {
            let hex = match h {
                H::Md5(h) => hex::encode(md5::Digest::finalize(h)),
                H::Sha1(h) => hex::encode(h.finalize()),
                H::Sha224(h) => hex::encode(h.finalize()),
                H::Sha256(h) => hex::encode(h.finalize()),
                H::Sha384(h) => hex::encode(h.finalize()),
                H::Sha512(h) => hex::encode(h.finalize()),
            };
            (a, hex)
        })
        .collect();
    Ok((size, out))
}

/// A payload file to write into a bag: its path in the bag (`data/…`), where its bytes are, and
/// the SHA-256 they must have (checked as they are copied).
#[derive(Debug, Clone)]
pub struct PayloadSource {
    pub path: String,
    pub source: PathBuf,
    pub sha256: Option<String>,
}

/// Writes a bag (BagIt 1.0, UTF-8) at `out`, which must not exist: the payload copied in, SHA-256
/// and SHA-512 payload and tag manifests, `bag-info.txt` (`info`, then `Payload-Oxum` and
/// `Bagging-Date`), and the extra tag files `tags`. Each payload file is read once, both digests
/// computed on the way, and checked against its expected SHA-256. Written into `<out>.part` and
/// renamed when whole; any failure removes it. Returns the bag as `validate` reads it.
pub fn write(
    out: &Path,
    payload: &[PayloadSource],
    tags: &[(String, Vec<u8>)],
    info: &[(String, String)],
    bagging_date: &str,
) -> Result<Bag, BagError> {
    if out.exists() {
        return refuse(format!(
            "{} exists already; a bag is written into a new folder",
            out.display()
        ));
    }
    let part = out.with_extension("part");
    let _ = std::fs::remove_dir_all(&part);
    let result = write_into(&part, payload, tags, info, bagging_date).and_then(|()| {
        std::fs::rename(&part, out).map_err(|e| BagError(format!("{}: {e}", out.display())))?;
        validate(out)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&part);
    }
    result
}

fn encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\n', "%0A")
        .replace('\r', "%0D")
}

fn write_into(
    dir: &Path,
    payload: &[PayloadSource],
    tags: &[(String, Vec<u8>)],
    info: &[(String, String)],
    bagging_date: &str,
) -> Result<(), BagError> {
    let io = |what: &Path, e: std::io::Error| BagError(format!("{}: {e}", what.display()));
    std::fs::create_dir_all(dir.join("data")).map_err(|e| io(dir, e))?;
    let both: BTreeSet<Algorithm> = [Algorithm::Sha256, Algorithm::Sha512].into();
    let (mut m256, mut m512, mut bytes) = (String::new(), String::new(), 0u64);
    for p in payload {
        let rel = safe_path(&p.path, "the payload")?;
        if !rel.starts_with("data/") {
            return refuse(format!("{rel} is not in data/"));
        }
        let dest = dir.join(&rel);
        std::fs::create_dir_all(dest.parent().expect("in data/")).map_err(|e| io(&dest, e))?;
        std::fs::copy(&p.source, &dest).map_err(|e| io(&p.source, e))?;
        let (size, digests) = digest_file(&dest, &both)?;
        let d: BTreeMap<Algorithm, String> = digests.into_iter().collect();
        if let Some(want) = &p.sha256
            && !want.eq_ignore_ascii_case(&d[&Algorithm::Sha256])
        {
            return refuse(format!(
                "{} is not the bytes it should be (SHA-256 {}, expected {want})",
                p.source.display(),
                d[&Algorithm::Sha256]
            ));
        }
        bytes += size;
        m256.push_str(&format!(
            "{}  {}\n",
            d[&Algorithm::Sha256],
            encode_path(&rel)
        ));
        m512.push_str(&format!(
            "{}  {}\n",
            d[&Algorithm::Sha512],
            encode_path(&rel)
        ));
    }
    let mut tag_files: Vec<(String, Vec<u8>)> = vec![
        (
            "bagit.txt".into(),
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_vec(),
        ),
        ("manifest-sha256.txt".into(), m256.into_bytes()),
        ("manifest-sha512.txt".into(), m512.into_bytes()),
    ];
    let mut info_text = String::new();
    for (label, value) in info {
        info_text.push_str(&format!("{label}: {}\n", value.replace(['\n', '\r'], " ")));
    }
    info_text.push_str(&format!("Bagging-Date: {bagging_date}\n"));
    info_text.push_str(&format!("Payload-Oxum: {bytes}.{}\n", payload.len()));
    tag_files.push(("bag-info.txt".into(), info_text.into_bytes()));
    tag_files.extend(tags.iter().cloned());
    let (mut t256, mut t512) = (String::new(), String::new());
    for (name, content) in &tag_files {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(|e| io(&path, e))?;
        t256.push_str(&format!(
            "{}  {}\n",
            hex::encode(sha2::Sha256::digest(content)),
            encode_path(name)
        ));
        t512.push_str(&format!(
            "{}  {}\n",
            hex::encode(sha2::Sha512::digest(content)),
            encode_path(name)
        ));
    }
    for (name, text) in [
        ("tagmanifest-sha256.txt", t256),
        ("tagmanifest-sha512.txt", t512),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    }
    Ok(())
}

/// A bag handed over as one file: a `.zip`, a `.tar` or a gzipped `.tar`, unpacked into the empty
/// folder `into`. Only files and folders are taken: a link, a device, an absolute path or one with
/// `..` refuses the whole archive; each file's bytes are limited to the size its entry declares (a
/// zip bomb ends at its declared size and is refused). Returns the bag's folder: `into` itself, or
/// the one folder the archive holds when the bag is inside it.
pub fn unpack(archive: &Path, into: &Path) -> Result<PathBuf, BagError> {
    let io = |e: std::io::Error| BagError(format!("{}: {e}", archive.display()));
    let mut head = [0u8; 512];
    let n = {
        let mut f = std::fs::File::open(archive).map_err(io)?;
        let mut n = 0;
        while n < head.len() {
            let got = f.read(&mut head[n..]).map_err(io)?;
            if got == 0 {
                break;
            }
            n += got;
        }
        n
    };
    std::fs::create_dir_all(into).map_err(|e| BagError(format!("{}: {e}", into.display())))?;
    if head[..n].starts_with(b"PK\x03\x04") {
        unzip(archive, into)?;
    } else if head[..n].starts_with(&[0x1f, 0x8b]) {
        let f = std::fs::File::open(archive).map_err(io)?;
        untar(flate2::read::GzDecoder::new(f), into, archive)?;
    } else if n >= 262 && &head[257..262] == b"ustar" {
        let f = std::fs::File::open(archive).map_err(io)?;
        untar(f, into, archive)?;
    } else {
        return refuse(format!(
            "{} is neither a bag folder nor a .zip or .tar of one",
            archive.display()
        ));
    }
    if into.join("bagit.txt").is_file() {
        return Ok(into.to_owned());
    }
    let entries: Vec<PathBuf> = std::fs::read_dir(into)
        .map_err(|e| BagError(format!("{}: {e}", into.display())))?
        .flatten()
        .map(|e| e.path())
        .collect();
    match entries.as_slice() {
        [one] if one.join("bagit.txt").is_file() => Ok(one.clone()),
        _ => refuse(format!(
            "{} holds no bag (no bagit.txt at its top or in its one folder)",
            archive.display()
        )),
    }
}

/// An archive entry's path, as a relative path that stays inside the folder it is unpacked into.
fn entry_path(name: &str, archive: &Path) -> Result<PathBuf, BagError> {
    let p = Path::new(name);
    let ok = !name.is_empty()
        && p.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        });
    if !ok {
        return refuse(format!(
            "{} holds the entry {name:?}, which would leave the folder it is unpacked into",
            archive.display()
        ));
    }
    Ok(p.to_owned())
}

/// Copies at most `declared` bytes of `from` into a new file at `to`; more is refused.
fn copy_limited(
    from: &mut dyn std::io::Read,
    to: &Path,
    declared: u64,
    archive: &Path,
) -> Result<(), BagError> {
    let io = |e: std::io::Error| BagError(format!("{}: {e}", to.display()));
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(io)?;
    let copied = std::io::copy(&mut from.take(declared + 1), &mut out).map_err(io)?;
    if copied > declared {
        return refuse(format!(
            "{}: an entry holds more than the {declared} bytes it declares",
            archive.display()
        ));
    }
    Ok(())
}

fn untar(reader: impl std::io::Read, into: &Path, archive: &Path) -> Result<(), BagError> {
    let io = |e: std::io::Error| BagError(format!("{}: {e}", archive.display()));
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        let name = entry.path().map_err(io)?.to_string_lossy().into_owned();
        let rel = entry_path(&name, archive)?;
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                std::fs::create_dir_all(into.join(&rel)).map_err(io)?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.header().size().map_err(io)?;
                copy_limited(&mut entry, &into.join(&rel), size, archive)?;
            }
            // pax and GNU long-name headers describe the next entry; the tar crate applies them.
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => {}
            other => {
                return refuse(format!(
                    "{} holds {name:?} as a {other:?}; a bag of evidence holds files and folders only",
                    archive.display()
                ));
            }
        }
    }
    Ok(())
}

fn unzip(archive: &Path, into: &Path) -> Result<(), BagError> {
    let bad = |e: zip::result::ZipError| BagError(format!("{}: {e}", archive.display()));
    let f = std::fs::File::open(archive)
        .map_err(|e| BagError(format!("{}: {e}", archive.display())))?;
    let mut zip = zip::ZipArchive::new(f).map_err(bad)?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(bad)?;
        let name = entry.name().map_err(bad)?.into_owned();
        let rel = entry_path(&name, archive)?;
        if entry.is_symlink() {
            return refuse(format!(
                "{} holds {name:?} as a link; a bag of evidence holds files and folders only",
                archive.display()
            ));
        }
        if entry.is_dir() {
            std::fs::create_dir_all(into.join(&rel))
                .map_err(|e| BagError(format!("{}: {e}", rel.display())))?;
            continue;
        }
        let size = entry.size();
        copy_limited(&mut entry, &into.join(&rel), size, archive)?;
    }
    Ok(())
}
