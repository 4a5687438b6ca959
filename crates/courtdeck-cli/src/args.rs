//! The command line's arguments, and reading a credential from the terminal or stdin.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use courtdeck_api::Config;
use courtdeck_api::config::{AuthKind, HttpsStoreConfig, StoreConfig};
use jiff::civil::Date;

#[derive(Parser)]
#[command(
    name = "courtdeck",
    version,
    about = "Courtdeck: courtroom evidence playout"
)]
pub(crate) struct Cli {
    /// Config file (default: $COURTDECK_CONFIG or ~/.config/courtdeck/config.toml).
    #[arg(long, global = true)]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Cmd,
}

#[derive(Subcommand)]
pub(crate) enum Cmd {
    /// Generates the demo store (media made with GStreamer) with a court list for today or --date.
    DemoStore {
        dir: PathBuf,
        #[arg(long)]
        date: Option<Date>,
    },
    /// Publishes a folder of media described by a case.toml into a directory store.
    Bundle {
        #[command(flatten)]
        to: PublishArgs,
        /// The folder holding the media files.
        #[arg(long)]
        media: PathBuf,
        /// The description (default: <media>/case.toml).
        #[arg(long)]
        description: Option<PathBuf>,
        /// Sign the manifest with this publisher key file (from `courtdeck keygen`).
        #[arg(long)]
        sign: Option<PathBuf>,
    },
    /// Writes a case for the next system (a BagIt bag).
    Export {
        #[command(subcommand)]
        what: ExportCmd,
    },
    /// Imports another system's document into the store (HMCTS's court lists, BagIt bags).
    Import {
        #[command(subcommand)]
        what: ImportCmd,
    },
    /// Serves the HTTPS endpoint HMCTS's CaTH pushes court lists to (its third-party protocol:
    /// an OAuth token, then multipart publications; PUT replaces, DELETE withdraws), writing each
    /// publication's lists into the store folder as `import cath-list` does.
    ServeLists {
        /// The store folder the kiosks read.
        #[arg(long)]
        store: PathBuf,
        /// host:port to listen on (`0.0.0.0:8443`; port 0 picks a free one, printed).
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// The server's certificate chain (PEM).
        #[arg(long)]
        cert: PathBuf,
        /// Its private key (PEM).
        #[arg(long)]
        key: PathBuf,
        /// The OAuth client id CaTH was given; its secret is in the OS keyring
        /// (`serve-lists-client`).
        #[arg(long)]
        client_id: String,
        /// How long an access token lasts, in seconds.
        #[arg(long, default_value_t = 3600)]
        token_life_s: u64,
    },
    /// Saves in the OS keyring the client secret CaTH will present to `serve-lists` as
    /// --client-id (read from the terminal, or one line of stdin).
    ServeListsClient {
        #[arg(long)]
        client_id: String,
    },
    /// Writes a case's pre-signed blob links (`cases/<id>/blob-links.json`) into the store folder the
    /// kiosks read its documents from: one link per blob in the S3 store, good for --valid-for. Run
    /// again before they run out (kiosks read the new ones when an old one is refused).
    Links {
        #[arg(long)]
        case: String,
        /// The S3 store holding the blobs: `s3://BUCKET/PREFIX` (the key from the keyring or AWS_*).
        #[arg(long)]
        store: String,
        #[arg(long)]
        s3_endpoint: String,
        #[arg(long)]
        s3_region: Option<String>,
        /// A PEM bundle of the CAs to trust instead of the system roots.
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// How long the links work: `90s`, `30m`, `12h`, `7d` (at most 7 days).
        #[arg(long, value_parser = parse_life)]
        valid_for: std::time::Duration,
        /// The store folder to write into (its `cases/<id>/`).
        #[arg(long)]
        out: PathBuf,
    },
    /// Makes a publisher signing key: the private key goes to --out (mode 0600), the public key is
    /// printed for kiosks' `[trust] publisher_keys`.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// The kiosk unit's main process (`courtdeck-kiosk.service` runs it): runs COMMAND (the X
    /// session) with a notify socket of its own and forwards the app's READY=1 and WATCHDOG=1 to
    /// systemd, which hears only the unit's main process once logind has the session.
    #[command(hide = true)]
    KioskSession {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// Lists the monitors connected now, who each is (its EDID identity) and which configured screen
    /// is on it: what to write in each `[[screen]] identity`.
    Screens {
        #[arg(long)]
        json: bool,
    },
    /// The live sources of `[[source]]` (a laptop casting over SRT, a capture device): each one's
    /// `id`, `kind`, and with `--check` whether it has a signal and its picture's `width` and
    /// `height`, each opened in turn in a playout process of its own for up to `--wait` seconds.
    Sources {
        #[command(subcommand)]
        command: Option<SourcesCmd>,
        #[arg(long)]
        check: bool,
        /// With --check: how long to wait for each source's picture, in seconds.
        #[arg(long, default_value_t = 5.0)]
        wait: f64,
        #[arg(long)]
        json: bool,
    },
    /// Prints a day's court list with each hearing's readiness.
    /// The week ahead: this courtroom's next days' hearings (today first), each exhibit judged as
    /// the setup check judges today's, and a printable readiness report per hearing.
    Week {
        #[command(flatten)]
        store: StoreArgs,
        /// How many days, today included (1 to 14).
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Fetch and verify each hearing's evidence first (what is not fetched will not play).
        #[arg(long)]
        prepare: bool,
        /// Write each hearing's readiness report (HTML, printable) into this folder.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Fetches and verifies every exhibit a day's list needs into the cache.
    Fetch {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this case.
        #[arg(long)]
        case: Option<String>,
        /// JSON lines instead of a progress bar.
        #[arg(long)]
        json: bool,
    },
    /// The clerk's setup checks: screens (identify card, test card read back), test tone, store,
    /// credential, clock, disk, every exhibit of today's list (cached, hash, decodable), plugins.
    /// Saves the report as JSON and HTML; exits non-zero when a check fails.
    Check {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
        /// Re-run only these checks (ids from a report: `screens`, `store`, `exhibit:CASE:REF`,
        /// `exhibits` for all exhibits…).
        #[arg(long, num_args = 1..)]
        only: Option<Vec<String>>,
    },
    /// The evidence store's credential and state: `login`, `logout`, `status`.
    Store {
        #[command(subcommand)]
        command: StoreCmd,
    },
    /// The kiosk's cache: `courtdeck cache gc` applies the size/age policy now.
    Cache {
        #[command(subcommand)]
        command: CacheCmd,
    },
    /// The audit log: `courtdeck audit verify [FILE]` checks its hash chain.
    Audit {
        #[command(subcommand)]
        command: AuditCmd,
    },
    /// Plays a media file on headless outputs and prints a JSON report (first frame, frames per output).
    Play {
        file: PathBuf,
        /// Required: windowed playback runs in the app.
        #[arg(long, required = true)]
        headless: bool,
        #[arg(long, default_value_t = 1)]
        outputs: usize,
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
    /// Says what a kiosk will show of a media file: kind (from its streams), duration, size as
    /// shown, rotation, codecs, warnings, and whether it plays here. Exits non-zero when it does not.
    Probe {
        file: PathBuf,
        #[arg(long)]
        json: bool,
        /// Also write its 160x90 poster frame (JPEG) here.
        #[arg(long)]
        poster: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub(crate) enum StoreCmd {
    /// Saves the store's token (or basic-auth password) in the OS keyring, then checks the store
    /// accepts it. Reads it from stdin (hidden when typed at a terminal); never from the command line.
    Login {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Removes the store's credential from the keyring.
    Logout {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Says whether the store answers and the credential is present and accepted.
    Status {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum SourcesCmd {
    /// Saves the passphrase a laptop must give to cast to source ID in the OS keyring (read from
    /// stdin, hidden at a terminal; 10 to 64 characters). With --generate, a new one is made and
    /// printed once, for the clerk to give the advocate.
    Passphrase {
        id: String,
        #[arg(long)]
        generate: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum CacheCmd {
    /// Evicts cases past their retention and, over the size limit, the longest unneeded; never what
    /// today's list needs.
    Gc {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum AuditCmd {
    /// Checks every record's hash and the chain; names the first line that was edited, removed,
    /// inserted or reordered. Default file: the configured audit log.
    Verify { file: Option<PathBuf> },
    /// Writes a case's records as CSV and HTML (`audit-<case>.csv`, `.html` in --out), headed by
    /// whether the log's hash chain verified.
    Export {
        #[arg(long)]
        case: String,
        /// The log (default: the configured audit log).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Where to write (default: the current folder).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

/// `90s`, `30m`, `12h`, `7d`.
fn parse_life(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{text:?}: a number and a unit, like 12h"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("{text:?}: the unit is s, m, h or d (like 12h)")),
    };
    Ok(std::time::Duration::from_secs(n.saturating_mul(secs)))
}

/// `s3://BUCKET/PREFIX` at `endpoint` as the S3 store's config.
pub(crate) fn s3_store(
    store: &str,
    endpoint: &str,
    region: Option<&str>,
    ca_file: Option<&std::path::Path>,
) -> anyhow::Result<HttpsStoreConfig> {
    let path = store
        .strip_prefix("s3://")
        .ok_or_else(|| anyhow::anyhow!("--store must be s3://BUCKET/PREFIX, not {store:?}"))?;
    let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
    anyhow::ensure!(
        !bucket.is_empty(),
        "--store s3://BUCKET/PREFIX names no bucket"
    );
    Ok(HttpsStoreConfig {
        bucket: Some(bucket.to_owned()),
        prefix: prefix.to_owned(),
        region: region.map(str::to_owned),
        ca_file: ca_file.map(std::path::Path::to_path_buf),
        ..HttpsStoreConfig::new(endpoint)
    })
}

#[derive(clap::Args)]
pub(crate) struct StoreArgs {
    /// A store folder, an `https://` URL, or `s3://BUCKET/PREFIX` with `--s3-endpoint` (default: the
    /// configured store).
    #[arg(long)]
    pub(crate) store: Option<String>,
    /// For an `s3://` store: the S3 endpoint (`https://s3.example`).
    #[arg(long)]
    s3_endpoint: Option<String>,
    /// For an `s3://` store: the region (default us-east-1).
    #[arg(long)]
    s3_region: Option<String>,
    /// For a URL store: `bearer` (default), `basic` or `none`.
    #[arg(long)]
    pub(crate) auth: Option<String>,
    /// For basic auth.
    #[arg(long)]
    pub(crate) username: Option<String>,
    /// For a URL store: a PEM bundle of the CAs to trust instead of the system roots.
    #[arg(long)]
    pub(crate) ca_file: Option<PathBuf>,
    /// The day (default: today).
    #[arg(long)]
    pub(crate) date: Option<Date>,
    /// The courtroom (default: the configured one).
    #[arg(long)]
    pub(crate) court: Option<String>,
}

impl StoreArgs {
    pub(crate) fn config(&self, mut config: Config) -> anyhow::Result<Config> {
        if let Some(s) = &self.store {
            config.store = if let Some(path) = s.strip_prefix("s3://") {
                let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
                anyhow::ensure!(
                    !bucket.is_empty(),
                    "--store s3://BUCKET/PREFIX names no bucket"
                );
                let endpoint = self
                    .s3_endpoint
                    .clone()
                    .ok_or_else(|| anyhow::anyhow!("--store s3://… needs --s3-endpoint URL"))?;
                StoreConfig::S3(HttpsStoreConfig {
                    bucket: Some(bucket.to_owned()),
                    prefix: prefix.to_owned(),
                    region: self.s3_region.clone(),
                    ca_file: self.ca_file.clone(),
                    ..HttpsStoreConfig::new(endpoint)
                })
            } else if s.starts_with("https://") || s.starts_with("http://") {
                let auth = match self.auth.as_deref().unwrap_or("bearer") {
                    "bearer" => AuthKind::Bearer,
                    "basic" => AuthKind::Basic,
                    "none" => AuthKind::None,
                    other => anyhow::bail!("--auth must be bearer, basic or none, not {other:?}"),
                };
                StoreConfig::Https(HttpsStoreConfig {
                    auth,
                    username: self.username.clone(),
                    ca_file: self.ca_file.clone(),
                    ..HttpsStoreConfig::new(s.clone())
                })
            } else {
                StoreConfig::Dir {
                    path: PathBuf::from(s),
                }
            };
        } else if let StoreConfig::Https(h) | StoreConfig::S3(h) = &mut config.store
            && let Some(ca) = &self.ca_file
        {
            h.ca_file = Some(ca.clone());
        }
        if let Some(c) = &self.court {
            config.court = c.clone();
        }
        Ok(config)
    }
    pub(crate) fn date(&self) -> Date {
        self.date.unwrap_or_else(courtdeck_api::today)
    }
}

/// One line from stdin: hidden when typed at a terminal, piped otherwise. Never an argument, which
/// would land in shell history and `ps`.
/// A live source's SRT passphrase from stdin.
pub(crate) fn read_passphrase() -> anyhow::Result<courtdeck_store::Secret> {
    read_line_secret("SRT passphrase, 10 to 64 characters (input hidden): ")
}

pub(crate) fn read_secret() -> anyhow::Result<courtdeck_store::Secret> {
    read_line_secret("Store token or password (input hidden): ")
}

fn read_line_secret(prompt: &str) -> anyhow::Result<courtdeck_store::Secret> {
    let line = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line
    };
    let value = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!value.is_empty(), "no credential given on stdin");
    Ok(courtdeck_store::Secret::new(value))
}

/// An S3 access key: the key id, then the secret, one line each (the keyring keeps `ID:SECRET`).
pub(crate) fn read_s3_key() -> anyhow::Result<courtdeck_store::Secret> {
    let id = read_line_secret("S3 access key id: ")?;
    let secret = read_line_secret("S3 secret access key (input hidden): ")?;
    anyhow::ensure!(
        !id.expose().contains(':'),
        "an S3 access key id has no ':' in it"
    );
    Ok(courtdeck_store::Secret::new(format!(
        "{}:{}",
        id.expose().trim(),
        secret.expose()
    )))
}

#[derive(Subcommand)]
pub(crate) enum ImportCmd {
    /// Evidence handed over as a BagIt bag (a folder, .zip, .tar or .tar.gz): validated whole (every manifest, every
    /// file), then published as a case, its External-Identifier the case id. Exhibits are named by
    /// the bag's courtdeck-exhibits.json (docs/interop.md), else numbered EX/1… and `no_public`.
    Bag {
        /// The bag: a folder, or a `.zip`, `.tar` or `.tar.gz` of one.
        bag: PathBuf,
        #[command(flatten)]
        to: PublishArgs,
        /// Sign the manifest with this publisher key file (from `courtdeck keygen`).
        #[arg(long)]
        sign: Option<PathBuf>,
    },
    /// A court list as HMCTS's Court and tribunal hearings service (CaTH) publishes it: each
    /// courtroom and day in it becomes that courtroom's list for the day in the store (in place of
    /// any there). Rooms map to kiosks' courts through `[[lists.rooms]]` in the config.
    CathList {
        /// The list's JSON file.
        file: PathBuf,
        #[command(flatten)]
        to: PublishArgs,
        /// CaTH's list type (MAGISTRATES_STANDARD_LIST, MAGISTRATES_PUBLIC_LIST,
        /// MAGISTRATES_ADULT_COURT_LIST_DAILY, MAGISTRATES_PUBLIC_ADULT_COURT_LIST_DAILY); told
        /// from the list's shape when not given.
        #[arg(long)]
        list_type: Option<String>,
        /// The day a Libra-shaped (adult court) list is for: CaTH's content date.
        #[arg(long)]
        content_date: Option<Date>,
    },
}

#[derive(Subcommand)]
pub(crate) enum ExportCmd {
    /// A case of a store folder as a BagIt bag at OUT (a new folder): the exhibits' bytes checked
    /// as they are copied, SHA-256 and SHA-512 manifests, the case's manifest, the profile's
    /// exhibits file and its custody records as tag files.
    Bag {
        /// The store folder.
        #[arg(long)]
        store: PathBuf,
        #[arg(long)]
        case: String,
        out: PathBuf,
    },
}

/// The store a command publishes into.
#[derive(clap::Args)]
pub(crate) struct PublishArgs {
    /// The store to publish into: a folder, or `s3://BUCKET/PREFIX` with `--s3-endpoint` (the key
    /// from the keyring or AWS_*).
    #[arg(long)]
    pub(crate) store: String,
    #[arg(long)]
    pub(crate) s3_endpoint: Option<String>,
    #[arg(long)]
    pub(crate) s3_region: Option<String>,
    /// For an S3 endpoint: a PEM bundle of the CAs to trust instead of the system roots.
    #[arg(long)]
    pub(crate) ca_file: Option<PathBuf>,
}

impl PublishArgs {
    /// Where the facade publishes.
    pub(crate) fn to(&self) -> anyhow::Result<courtdeck_api::publish::PublishTo> {
        Ok(if self.store.starts_with("s3://") {
            let endpoint = self
                .s3_endpoint
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("--store s3://… needs --s3-endpoint URL"))?;
            courtdeck_api::publish::PublishTo::S3(s3_store(
                &self.store,
                endpoint,
                self.s3_region.as_deref(),
                self.ca_file.as_deref(),
            )?)
        } else {
            courtdeck_api::publish::PublishTo::Dir(PathBuf::from(&self.store))
        })
    }
}
