//! `courtdeck`: the command line, on the same facade as the app.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use courtdeck_api::config::StoreConfig;
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
        /// The store folder to publish into.
        #[arg(long)]
        store: PathBuf,
        /// The folder holding the media files.
        #[arg(long)]
        media: PathBuf,
        /// The description (default: <media>/case.toml).
        #[arg(long)]
        description: Option<PathBuf>,
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
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Checks every record's hash and the chain; names the first line that was edited, removed,
    /// inserted or reordered. Default file: the configured audit log.
    Verify { file: Option<PathBuf> },
}

#[derive(clap::Args)]
struct StoreArgs {
    /// A store folder (default: the configured store).
    #[arg(long)]
    store: Option<PathBuf>,
    /// The day (default: today).
    #[arg(long)]
    date: Option<Date>,
    /// The courtroom (default: the configured one).
    #[arg(long)]
    court: Option<String>,
}

impl StoreArgs {
    fn config(&self, mut config: Config) -> Config {
        if let Some(s) = &self.store {
            config.store = StoreConfig::Dir { path: s.clone() };
        }
        if let Some(c) = &self.court {
            config.court = c.clone();
        }
        config
    }
    fn date(&self) -> Date {
        self.date.unwrap_or_else(courtdeck_api::today)
    }
}

fn main() -> ExitCode {
    let _guard = courtdeck_api::logging::init("courtdeck");
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
    let config = || Config::load(cli.config.clone());
    match &cli.command {
        Cmd::DemoStore { dir, date } => {
            let (dir, date) = (dir.clone(), date.unwrap_or_else(courtdeck_api::today));
            tokio::task::spawn_blocking(move || courtdeck_api::demo::ensure_demo_store(&dir, date))
                .await??;
            println!("demo store ready for {date}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bundle {
            store,
            media,
            description,
        } => {
            let path = description
                .clone()
                .unwrap_or_else(|| media.join("case.toml"));
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let desc: courtdeck_store::BundleDescription = toml::from_str(&text)
                .with_context(|| format!("{} is not a valid description", path.display()))?;
            let manifest =
                courtdeck_store::bundle(&courtdeck_store::DirStore::new(store), media, &desc)
                    .map_err(ApiError::from)?;
            println!(
                "published case {} with {} exhibits",
                manifest.case_id,
                manifest.exhibits().len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::List { store, json } => {
            let deck = Courtdeck::open_with(store.config(config()?), false).await?;
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
            let deck = Courtdeck::open_with(store.config(config()?), false).await?;
            let mut rx = deck.subscribe();
            let tty = std::io::stderr().is_terminal() && !json;
            let json = *json;
            let started = std::time::Instant::now();
            let printer = tokio::spawn(async move {
                while let Ok(ev) = rx.recv().await {
                    if let UiEvent::FetchProgress {
                        case_id,
                        exhibit,
                        done,
                        total,
                    } = &ev
                    {
                        let secs = started.elapsed().as_secs_f64().max(1e-3);
                        let rate = *done as f64 / secs;
                        if json {
                            println!(
                                "{}",
                                serde_json::json!({"event":"progress","case_id":case_id,"exhibit":exhibit,"done":done,"total":total,"bytes_per_s":rate as u64})
                            );
                        } else if tty {
                            let pct = if *total > 0 { done * 100 / total } else { 100 };
                            let eta = if rate > 0.0 {
                                (total - done) as f64 / rate
                            } else {
                                0.0
                            };
                            let bar = "#".repeat((pct / 5) as usize);
                            eprint!(
                                "\r{exhibit:<8} [{bar:<20}] {pct:>3}% {:>8.1} MB/s ETA {eta:>4.0}s",
                                rate / 1e6
                            );
                            if done == total {
                                eprintln!();
                            }
                            let _ = std::io::stderr().flush();
                        }
                    }
                }
            });
            let reports = deck.fetch_day(store.date(), case.as_deref()).await;
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
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
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
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("{e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Cmd::Play {
            file,
            headless: _,
            outputs,
            seconds,
        } => {
            let report = Courtdeck::play_headless(file, *outputs, *seconds).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
