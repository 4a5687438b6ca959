//! `courtdeck`: the command line, on the same facade as the app.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use courtdeck_api::config::{AuthKind, HttpsStoreConfig, StoreConfig};
use courtdeck_api::json::UiEvent;
use courtdeck_api::{ApiError, Config, Courtdeck};
use jiff::civil::Date;

#[derive(Parser)]
#[command(
    name = "courtdeck",
    version,
    about = "Courtdeck: courtroom evidence playout"
)]
struct Cli {
    /// Config file (default: $COURTDECK_CONFIG or ~/.config/courtdeck/config.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generates the demo store (media made with GStreamer) with a court list for today or --date.
    DemoStore {
        dir: PathBuf,
        #[arg(long)]
        date: Option<Date>,
    },
    /// Publishes a folder of media described by a case.toml into a directory store.
    Bundle {
        /// The store to publish into: a folder, or `s3://BUCKET/PREFIX` with `--s3-endpoint` (blobs,
        /// then the manifest, then the list; the key from the keyring or AWS_*).
        #[arg(long)]
        store: String,
        #[arg(long)]
        s3_endpoint: Option<String>,
        #[arg(long)]
        s3_region: Option<String>,
        /// For an S3 endpoint: a PEM bundle of the CAs to trust instead of the system roots.
        #[arg(long)]
        ca_file: Option<PathBuf>,
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
    /// Makes a publisher signing key: the private key goes to --out (mode 0600), the public key is
    /// printed for kiosks' `[trust] publisher_keys`.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Lists the monitors connected now, who each is (its EDID identity) and which configured screen
    /// is on it: what to write in each `[[screen]] identity`.
    Screens {
        #[arg(long)]
        json: bool,
    },
    /// Prints a day's court list with each hearing's readiness.
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
enum StoreCmd {
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
enum CacheCmd {
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
enum AuditCmd {
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

#[derive(clap::Args)]
struct StoreArgs {
    /// A store folder, an `https://` URL, or `s3://BUCKET/PREFIX` with `--s3-endpoint` (default: the
    /// configured store).
    #[arg(long)]
    store: Option<String>,
    /// For an `s3://` store: the S3 endpoint (`https://s3.example`).
    #[arg(long)]
    s3_endpoint: Option<String>,
    /// For an `s3://` store: the region (default us-east-1).
    #[arg(long)]
    s3_region: Option<String>,
    /// For a URL store: `bearer` (default), `basic` or `none`.
    #[arg(long)]
    auth: Option<String>,
    /// For basic auth.
    #[arg(long)]
    username: Option<String>,
    /// For a URL store: a PEM bundle of the CAs to trust instead of the system roots.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// The day (default: today).
    #[arg(long)]
    date: Option<Date>,
    /// The courtroom (default: the configured one).
    #[arg(long)]
    court: Option<String>,
}

impl StoreArgs {
    fn config(&self, mut config: Config) -> anyhow::Result<Config> {
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
    fn date(&self) -> Date {
        self.date.unwrap_or_else(courtdeck_api::today)
    }
}

/// One line from stdin: hidden when typed at a terminal, piped otherwise. Never an argument, which
/// would land in shell history and `ps`.
fn read_secret() -> anyhow::Result<courtdeck_store::Secret> {
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
fn read_s3_key() -> anyhow::Result<courtdeck_store::Secret> {
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

fn main() -> ExitCode {
    // Warnings on stderr (the progress bar and reports stay readable); the log file keeps `info`.
    let _guard = courtdeck_api::logging::init_with("courtdeck", "warn");
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            match e.downcast_ref::<ApiError>() {
                Some(api) => eprintln!("courtdeck: {} [{}]", api.message, api.code),
                None => eprintln!("courtdeck: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // The CLI (publishing from a workstation or CI) may take an S3 key from the AWS_* variables.
    let config = || {
        Config::load(cli.config.clone()).map(|mut c| {
            c.env_credentials = true;
            c
        })
    };
    match &cli.command {
        Cmd::DemoStore { dir, date } => {
            let (dir, date) = (dir.clone(), date.unwrap_or_else(courtdeck_api::today));
            tokio::task::spawn_blocking(move || courtdeck_api::demo::ensure_demo_store(&dir, date))
                .await??;
            println!("demo store ready for {date}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Keygen { out } => {
            let public = Courtdeck::keygen(out)?;
            println!("private key written to {} (keep it secret)", out.display());
            println!("public key for kiosks' [trust] publisher_keys:\n{public}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bundle {
            store,
            s3_endpoint,
            s3_region,
            ca_file,
            media,
            description,
            sign,
        } => {
            let to = match store.strip_prefix("s3://") {
                Some(path) => {
                    let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
                    anyhow::ensure!(
                        !bucket.is_empty(),
                        "--store s3://BUCKET/PREFIX names no bucket"
                    );
                    let endpoint = s3_endpoint
                        .clone()
                        .ok_or_else(|| anyhow::anyhow!("--store s3://… needs --s3-endpoint URL"))?;
                    courtdeck_api::publish::PublishTo::S3(HttpsStoreConfig {
                        bucket: Some(bucket.to_owned()),
                        prefix: prefix.to_owned(),
                        region: s3_region.clone(),
                        ca_file: ca_file.clone(),
                        ..HttpsStoreConfig::new(endpoint)
                    })
                }
                None => courtdeck_api::publish::PublishTo::Dir(PathBuf::from(store)),
            };
            let published = Courtdeck::publish(
                &config()?,
                &to,
                media,
                description.as_deref(),
                sign.as_deref(),
            )
            .await?;
            for d in &published.durations {
                println!("duration from the file: {d}");
            }
            println!(
                "published case {} with {} exhibits{}",
                published.case_id,
                published.exhibits,
                if published.signed { ", signed" } else { "" }
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::List { store, json } => {
            let deck = Courtdeck::open_with(store.config(config()?)?, false).await?;
            let list = deck.court_list(store.date()).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                let status = if list.store.online {
                    "online"
                } else {
                    "OFFLINE"
                };
                println!(
                    "{} · {} · store: {} ({status})",
                    list.court_name, list.date, list.store.description
                );
                if let Some(p) = &list.store.problem {
                    println!("  {}", p.message);
                }
                if list.hearings.is_empty() {
                    println!("  no hearings listed");
                }
                for h in &list.hearings {
                    let readiness = match &h.problem {
                        Some(p) => format!("unavailable: {}", p.message),
                        None => {
                            format!("{}/{} exhibits cached", h.exhibits_ready, h.exhibits_total)
                        }
                    };
                    println!(
                        "  {}  {:<12} {:<10} {:<14} {readiness}",
                        h.time, h.title, h.hearing_type, h.case_id
                    );
                }
            }
            Ok(if list.store.online {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Fetch { store, case, json } => {
            let deck = Courtdeck::open_with(store.config(config()?)?, false).await?;
            // Bytes entering the cache unrecorded would break custody: refuse before fetching.
            deck.require_custody()?;
            let mut rx = deck.subscribe();
            let tty = std::io::stderr().is_terminal() && !json;
            let json = *json;
            let started = std::time::Instant::now();
            let printer = tokio::spawn(async move {
                // Per exhibit (first seen, done, total); the bar shows the sums, so concurrent
                // downloads add up. Bytes already there (cached, or a resumed part) do not count
                // towards the rate.
                let mut exhibits: std::collections::HashMap<String, (u64, u64, u64)> =
                    Default::default();
                let mut last_draw = std::time::Instant::now() - std::time::Duration::from_secs(1);
                while let Ok(ev) = rx.recv().await {
                    let UiEvent::FetchProgress {
                        case_id,
                        exhibit,
                        done,
                        total,
                    } = &ev
                    else {
                        continue;
                    };
                    let e = exhibits
                        .entry(format!("{case_id} {exhibit}"))
                        .or_insert((*done, *done, *total));
                    (e.1, e.2) = (*done, *total);
                    let all_done: u64 = exhibits.values().map(|v| v.1).sum();
                    let all_total: u64 = exhibits.values().map(|v| v.2).sum();
                    let fetched: u64 = exhibits.values().map(|v| v.1.saturating_sub(v.0)).sum();
                    let secs = started.elapsed().as_secs_f64().max(1e-3);
                    let rate = fetched as f64 / secs;
                    let eta = if rate > 0.0 {
                        (all_total - all_done) as f64 / rate
                    } else {
                        0.0
                    };
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"event":"progress","case_id":case_id,"exhibit":exhibit,"done":done,"total":total,"all_done":all_done,"all_total":all_total,"bytes_per_s":rate as u64,"eta_s":eta.round() as u64})
                        );
                    } else if tty
                        && (last_draw.elapsed().as_millis() >= 100 || all_done == all_total)
                    {
                        last_draw = std::time::Instant::now();
                        let pct = (all_done * 100).checked_div(all_total).unwrap_or(100);
                        let bar = "#".repeat((pct / 4) as usize);
                        let complete = exhibits.values().filter(|v| v.1 == v.2).count();
                        eprint!(
                            "\r[{bar:<25}] {pct:>3}%  {:>7.1}/{:.1} MB  {:>6.1} MB/s  ETA {:>4.0}s  {complete}/{} exhibits ",
                            all_done as f64 / 1e6,
                            all_total as f64 / 1e6,
                            rate / 1e6,
                            eta,
                            exhibits.len()
                        );
                        let _ = std::io::stderr().flush();
                    }
                }
                if tty && !exhibits.is_empty() {
                    eprintln!();
                }
            });
            let reports = deck.fetch_day(store.date(), case.as_deref()).await;
            let custody = deck.custody_problem();
            drop(deck);
            let _ = printer.await;
            let reports = reports?;
            let mut failed = false;
            for r in &reports {
                failed |= !r.problems.is_empty();
                if json {
                    println!("{}", serde_json::json!({"event":"case","report":r}));
                } else {
                    println!(
                        "{}: {}/{} exhibits verified in the cache",
                        r.case_id, r.verified, r.exhibits
                    );
                    for (exhibit, e) in &r.problems {
                        println!("  {exhibit}: {} [{}]", e.message, e.code);
                    }
                }
            }
            if let Some(e) = custody {
                eprintln!("courtdeck: {} [{}]", e.message, e.code);
                failed = true;
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Audit {
            command: AuditCmd::Export { case, file, out },
        } => {
            let export = Courtdeck::export_audit(&config()?, file.as_deref(), case, out)?;
            println!(
                "{} records for case {case}: {} and {}",
                export.records,
                export.csv.display(),
                export.html.display()
            );
            match &export.chain {
                Ok(n) => {
                    println!("hash chain verified ({n} records)");
                    Ok(ExitCode::SUCCESS)
                }
                Err(why) => {
                    println!("WARNING: the hash chain is broken at {why}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Cmd::Store {
            command: StoreCmd::Login { store },
        } => {
            let config = store.config(config()?)?;
            let secret = if matches!(config.store, StoreConfig::S3(_)) {
                read_s3_key()?
            } else {
                read_secret()?
            };
            Courtdeck::store_login(&config, secret).await?;
            println!("Saved the store credential in the OS keyring.");
            let deck = Courtdeck::open_with(config, false).await?;
            let list = deck.court_list(store.date()).await?;
            match &list.store.problem {
                None => {
                    println!("The store {} accepted it.", list.store.description);
                    Ok(ExitCode::SUCCESS)
                }
                Some(p) => {
                    println!(
                        "But the store did not accept it: {} [{}]",
                        p.message, p.code
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Cmd::Store {
            command: StoreCmd::Logout { store },
        } => {
            let config = store.config(config()?)?;
            if Courtdeck::store_logout(&config).await? {
                println!("Removed the store credential from the OS keyring.");
            } else {
                println!("There was no store credential in the OS keyring.");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Store {
            command: StoreCmd::Status { store, json },
        } => {
            let deck = Courtdeck::open_with(store.config(config()?)?, false).await?;
            let list = deck.court_list(store.date()).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&list.store)?);
            } else {
                println!("store:      {}", list.store.description);
                println!(
                    "state:      {}",
                    if list.store.online {
                        "online"
                    } else {
                        "OFFLINE"
                    }
                );
                println!("credential: {}", deck.credential().as_str());
                if let Some(p) = &list.store.problem {
                    println!("problem:    {} [{}]", p.message, p.code);
                }
            }
            Ok(if list.store.online {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Check { store, json, only } => {
            let deck = Courtdeck::open(store.config(config()?)?).await?;
            let report = deck.run_checks(only.clone()).await;
            deck.shutdown().await;
            let report = report?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "Setup check for {} (kiosk {}), {}: {} in {:.1} s",
                    report.court,
                    report.kiosk_id,
                    report.time,
                    report.overall.as_str().to_uppercase(),
                    report.seconds
                );
                for c in &report.checks {
                    println!(
                        "  {:<4}  {:<44} {}",
                        c.status.as_str().to_uppercase(),
                        c.title,
                        c.detail
                    );
                }
                if let Some(p) = &report.html_path {
                    println!("report: {p}");
                }
                let failed: Vec<&str> = report
                    .checks
                    .iter()
                    .filter(|c| c.status == courtdeck_api::json::CheckStatus::Fail)
                    .map(|c| c.id.as_str())
                    .collect();
                if !failed.is_empty() {
                    println!(
                        "re-run what failed: courtdeck check --only {}",
                        failed.join(" ")
                    );
                }
            }
            Ok(
                if report.overall == courtdeck_api::json::CheckStatus::Fail {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                },
            )
        }
        Cmd::Cache {
            command: CacheCmd::Gc { store, json },
        } => {
            let deck = Courtdeck::open_with(store.config(config()?)?, false).await?;
            // Evictions are recorded: none happen unrecorded.
            deck.require_custody()?;
            let r = deck.housekeep().await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "evicted {} exhibits ({:.1} MB), kept {} ({:.1} MB), forgot {} old cases, removed {} stale partial downloads",
                    r.evicted_blobs,
                    r.evicted_bytes as f64 / 1e6,
                    r.kept_blobs,
                    r.kept_bytes as f64 / 1e6,
                    r.forgotten_cases,
                    r.stale_partials
                );
                if r.over_limit_by > 0 {
                    println!(
                        "warning: still {:.1} MB over the size limit with only what today's hearings need",
                        r.over_limit_by as f64 / 1e6
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Audit {
            command: AuditCmd::Verify { file },
        } => {
            let path = match file {
                Some(f) => f.clone(),
                None => config()?.audit_file(),
            };
            match courtdeck_audit::verify(&path) {
                Ok(report) => {
                    println!(
                        "{}: {} records, chain intact (last hash {})",
                        path.display(),
                        report.records,
                        report.last_hash
                    );
                    let mut intact = true;
                    for r in &report.recoveries {
                        intact &= r.quarantine_intact;
                        println!(
                            "recovered at line {} (log_recovered): a torn write after record {} was moved aside, {} bytes, sha256 {}, in {}{}",
                            r.line,
                            r.after_record,
                            r.bytes,
                            r.sha256,
                            r.quarantine_file,
                            if r.quarantine_intact {
                                " (still there, unchanged)"
                            } else {
                                " (MISSING OR CHANGED)"
                            }
                        );
                    }
                    if let Some((line, bytes)) = report.torn_tail {
                        println!(
                            "torn last line: {bytes} bytes at line {line} (a write cut off); the next record moves it aside"
                        );
                    }
                    Ok(if intact {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    })
                }
                Err(e) => {
                    println!("{e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Cmd::Screens { json } => {
            let report = Courtdeck::screens_report(&config()?)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_screens(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Probe { file, json, poster } => {
            let report = Courtdeck::probe(&config()?, file, poster.as_deref()).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_probe(&report);
            }
            Ok(if report.plays {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Play {
            file,
            headless: _,
            outputs,
            seconds,
        } => {
            let report = Courtdeck::play_headless(&config()?, file, *outputs, *seconds).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn print_screens(r: &courtdeck_api::ScreensReport) {
    if r.monitors.is_empty() {
        println!("No monitors found.");
    }
    for m in &r.monitors {
        let m_ = &m.monitor;
        println!(
            "{}{}  {}x{}+{}+{}  {}",
            m_.name,
            m_.connector
                .as_ref()
                .filter(|c| **c != m_.name)
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            m_.width,
            m_.height,
            m_.x,
            m_.y,
            m_.model.as_deref().unwrap_or("")
        );
        match (&m_.identity, &m_.edid_error) {
            (Some(id), _) => {
                println!("  identity = \"{id}\"");
                if !m_.unique {
                    println!(
                        "  (this monitor reports no serial: the identity tells its model apart, not two of the same model)"
                    );
                }
            }
            (None, Some(e)) => println!("  no identity: {e}"),
            (None, None) => println!("  no identity: the monitor gives no EDID"),
        }
        if let Some(s) = &m.screen {
            println!("  is screen {s}");
        }
    }
    if !r.screens.is_empty() {
        println!();
        for (screen, what) in &r.screens {
            println!("screen {screen}: {what}");
        }
    }
}

fn print_probe(r: &courtdeck_api::json::ProbeDto) {
    let ms = |d: u64| format!("{}:{:02}.{:03}", d / 60_000, d / 1000 % 60, d % 1000);
    println!("{}", r.file);
    println!(
        "  kind:      {}",
        r.kind.as_deref().unwrap_or("nothing to show")
    );
    if let Some(d) = r.duration_ms {
        println!("  duration:  {}", ms(d));
    }
    if let (Some(w), Some(h)) = (r.width, r.height) {
        println!(
            "  shown as:  {w} x {h}{}",
            if r.rotation != 0 {
                format!(" (turned {}°)", r.rotation)
            } else {
                String::new()
            }
        );
    }
    if let Some(c) = &r.container {
        println!("  container: {c}");
    }
    for v in &r.video {
        println!("  video:     {v}");
    }
    for a in &r.audio {
        println!("  audio:     {a}");
    }
    for w in &r.warnings {
        println!("  warning:   {} ({})", w.message, w.code);
    }
    match &r.error {
        None => println!("  plays here: yes"),
        Some(e) => println!("  plays here: no: {} ({})", e.message, e.code),
    }
    if let Some(p) = &r.poster {
        println!("  poster:    {p}");
    }
}
