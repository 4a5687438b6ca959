//! `courtdeck`: the command line, on the same facade as the app.

mod args;
mod kiosk;
mod print;
mod serve_lists;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use courtdeck_api::config::StoreConfig;
use courtdeck_api::json::UiEvent;
use courtdeck_api::{ApiError, Config, Courtdeck, Publisher};

use args::{
    AuditCmd, CacheCmd, Cli, Cmd, SourcesCmd, StoreCmd, read_passphrase, read_s3_key, read_secret,
};
use print::{print_probe, print_screens};

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
    let publisher = || config().map(Publisher::new);
    match &cli.command {
        Cmd::DemoStore { dir, date } => {
            let (dir, date) = (dir.clone(), date.unwrap_or_else(courtdeck_api::today));
            tokio::task::spawn_blocking(move || courtdeck_api::demo::ensure_demo_store(&dir, date))
                .await??;
            println!("demo store ready for {date}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Keygen { out } => {
            let public = Publisher::keygen(out)?;
            println!("private key written to {} (keep it secret)", out.display());
            println!("public key for kiosks' [trust] publisher_keys:\n{public}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bundle {
            to,
            media,
            description,
            sign,
        } => {
            let to = to.to()?;
            let published = publisher()?
                .publish(&to, media, description.as_deref(), sign.as_deref())
                .await?;
            for d in &published.durations {
                println!("duration from the file: {d}");
            }
            println!(
                "published case {} with {} exhibits{}{}",
                published.case_id,
                published.exhibits,
                if published.signed { ", signed" } else { "" },
                published
                    .retain_days
                    .map(|d| format!(
                        ", its blobs kept under Object Lock (COMPLIANCE) for {d} days"
                    ))
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Export {
            what: args::ExportCmd::Bag { store, case, out },
        } => {
            let exported = publisher()?.export_bag(store, case, out).await?;
            println!(
                "wrote case {case} as a bag at {}: {} exhibits, {} bytes, {} custody records",
                exported.bag.display(),
                exported.exhibits,
                exported.bytes,
                exported.custody_records
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Import {
            what: args::ImportCmd::Bag { bag, to, sign },
        } => {
            let to = to.to()?;
            let key = sign
                .as_deref()
                .map(courtdeck_api::publish::read_publisher_key)
                .transpose()?;
            let imported = publisher()?.import_bag(&to, bag, key).await?;
            println!(
                "published case {} from the bag{} with {} exhibits{}:",
                imported.case_id,
                imported
                    .source_organisation
                    .as_deref()
                    .map(|o| format!(" of {o}"))
                    .unwrap_or_default(),
                imported.exhibits.len(),
                if imported.published.signed {
                    ", signed"
                } else {
                    ""
                }
            );
            for e in &imported.exhibits {
                println!(
                    "  {}  {}  ({}, {}{})",
                    e.reference,
                    e.title,
                    e.path,
                    e.restriction,
                    e.copy
                        .as_deref()
                        .map(|c| format!(", {c}"))
                        .unwrap_or_default()
                );
            }
            if !imported.from_profile {
                println!(
                    "The bag has no courtdeck-exhibits.json: references are numbered in payload order and every exhibit is no_public until someone decides otherwise."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Import {
            what:
                args::ImportCmd::CathList {
                    file,
                    to,
                    list_type,
                    content_date,
                },
        } => {
            let to = to.to()?;
            let list_type = list_type
                .as_deref()
                .map(courtdeck_api::court_lists::parse_list_type)
                .transpose()?;
            let bytes = std::fs::read(file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let imported = publisher()?
                .import_cath_list(
                    &to,
                    bytes,
                    list_type,
                    *content_date,
                    &courtdeck_api::court_lists::ListSource::File(file.clone()),
                )
                .await?;
            print!("{}", print::lists_imported(&imported));
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ServeLists {
            store,
            listen,
            cert,
            key,
            client_id,
            token_life_s,
        } => {
            serve_lists::run(
                config()?,
                serve_lists::Options {
                    store: store.clone(),
                    listen: *listen,
                    cert: cert.clone(),
                    key: key.clone(),
                    client_id: client_id.clone(),
                    token_life: std::time::Duration::from_secs(*token_life_s),
                },
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ServeListsClient { client_id } => {
            let secret = args::read_secret()?;
            courtdeck_api::credentials::save_push_client(client_id, &secret)?;
            println!("Saved the client secret for {client_id:?} in the OS keyring.");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Links {
            case,
            store,
            s3_endpoint,
            s3_region,
            ca_file,
            valid_for,
            out,
        } => {
            let h = args::s3_store(store, s3_endpoint, s3_region.as_deref(), ca_file.as_deref())?;
            let written = publisher()?.blob_links(&h, case, *valid_for, out).await?;
            println!(
                "wrote {} links for case {case}, good until {}, to {}",
                written.links,
                written.expires,
                written.path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Week {
            store,
            days,
            prepare,
            out,
            json,
        } => {
            // Playout inspects each exhibit as it will open it in court.
            let deck = Courtdeck::open(store.config(config()?)?).await?;
            let week = deck.week_ahead(*days, *prepare).await;
            deck.shutdown().await;
            let week = week?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&week)?);
            } else {
                print!("{}", print::week_ahead(&week));
            }
            if let Some(dir) = out {
                for d in &week.days {
                    for h in &d.hearings {
                        let path =
                            Courtdeck::write_readiness_report(&week, &d.date, &h.case_id, dir)?;
                        if !*json {
                            println!("report: {}", path.display());
                        }
                    }
                }
            }
            let ready = week
                .days
                .iter()
                .flat_map(|d| &d.hearings)
                .all(|h| h.problem.is_none() && h.will_not == 0);
            Ok(if ready {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
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
                    match h.reporting_restriction.as_deref() {
                        Some("") => println!("         ! reporting restrictions apply"),
                        Some(d) => println!("         ! reporting restrictions apply: {d}"),
                        None => {}
                    }
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
        Cmd::KioskSession { command } => kiosk::session(command).await,
        Cmd::Screens { json } => {
            let report = Courtdeck::screens_report(&config()?)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_screens(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Sources {
            command: Some(SourcesCmd::Passphrase { id, generate }),
            ..
        } => {
            let secret = if *generate {
                new_passphrase()?
            } else {
                read_passphrase()?
            };
            let shown = generate.then(|| secret.expose().to_owned());
            Courtdeck::save_source_passphrase(&config()?, id, secret).await?;
            match shown {
                // Printed once, here, for the clerk to give the advocate: never logged.
                Some(p) => println!("{id}: passphrase saved in the keyring: {p}"),
                None => println!("{id}: passphrase saved in the keyring"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Sources {
            command: None,
            check,
            wait,
            json,
        } => {
            let config = config()?;
            if !*check {
                let sources: Vec<serde_json::Value> = config
                    .live_sources()?
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "id": s.source.id.as_str(),
                            "label": s.source.label,
                            "kind": s.source.kind.as_str(),
                            "restriction": s.source.restriction.as_str(),
                            "roles": s.source.roles().iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                            "input": match &s.input {
                                courtdeck_api::config::SourceInput::Stream { listen, .. } => format!("srt://{listen}"),
                                courtdeck_api::config::SourceInput::Capture { device } => device.clone(),
                            },
                        })
                    })
                    .collect();
                if *json {
                    println!("{}", serde_json::to_string_pretty(&sources)?);
                } else if sources.is_empty() {
                    println!("no live sources are configured ([[source]] in config.toml)");
                } else {
                    for s in &sources {
                        println!(
                            "{}  {}  {}  {}  ({}; {})",
                            s["id"].as_str().unwrap_or(""),
                            s["kind"].as_str().unwrap_or(""),
                            s["label"].as_str().unwrap_or(""),
                            s["input"].as_str().unwrap_or(""),
                            s["restriction"].as_str().unwrap_or(""),
                            s["roles"]
                                .as_array()
                                .map(|r| r
                                    .iter()
                                    .filter_map(|v| v.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "))
                                .unwrap_or_default(),
                        );
                    }
                }
                return Ok(ExitCode::SUCCESS);
            }
            let wait = std::time::Duration::from_secs_f64(wait.clamp(0.5, 120.0));
            let checks = Courtdeck::check_sources(&config, wait).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&checks)?);
            } else {
                for c in &checks {
                    match (c.signal, c.width.zip(c.height)) {
                        (true, Some((w, h))) => {
                            println!("{}  {}  signal  {w}x{h}  ({})", c.id, c.kind, c.label)
                        }
                        (true, None) => println!("{}  {}  signal  ({})", c.id, c.kind, c.label),
                        (false, _) => println!(
                            "{}  {}  NO SIGNAL  ({}): {}",
                            c.id,
                            c.kind,
                            c.label,
                            c.problem.as_deref().unwrap_or("no picture")
                        ),
                    }
                }
            }
            // No signal is not a failure of the command: a laptop may simply not be casting yet.
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Probe { file, json, poster } => {
            let report = publisher()?.probe(file, poster.as_deref()).await?;
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
            let report = publisher()?.play_headless(file, *outputs, *seconds).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// A new SRT passphrase: 24 characters from an alphabet without look-alikes (no 0/O, 1/l/I), for a
/// clerk to read out or type.
fn new_passphrase() -> anyhow::Result<courtdeck_store::Secret> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // Bytes past the last whole multiple of the alphabet are thrown away, so every character is as
    // likely as any other.
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut out = String::with_capacity(24);
    while out.len() < 24 {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw)
            .map_err(|e| anyhow::anyhow!("no randomness for a passphrase: {e}"))?;
        out.extend(
            raw.iter()
                .filter(|b| **b < limit)
                .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
                .take(24 - out.len()),
        );
    }
    Ok(courtdeck_store::Secret::new(out))
}
