//! HMCTS's court lists (issue 40): a CaTH standard list of `hearings` hearings in `rooms` rooms (every
//! party with the personal details HMCTS's lists carry, so it is the size a real one is), read in
//! process, imported by the real `courtdeck import cath-list` as a whole process, and pushed through
//! `courtdeck serve-lists` with curl as CaTH's client. Reference: `python3 -m json.tool` of the same
//! file, a floor for reading it at all. Wall time and peak RSS of whole processes by `/usr/bin/time`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::median;

/// The `courtdeck` binary beside the benchmark's own (the release one for a release benchmark).
pub(crate) fn courtdeck_bin() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .context("the benchmark's folder")?
        .join("courtdeck");
    if !bin.exists() {
        bail!(
            "{} is missing: build it beside the benchmark (cargo build [--release] -p courtdeck-cli)",
            bin.display()
        );
    }
    Ok(bin)
}

/// A standard list for `date`: `hearings` hearings spread over `rooms` rooms, sittings every 10
/// minutes from 09:00 UTC, each case with a defendant (name, date of birth, address, ASN, PNC, an
/// offence) and the prosecutor.
pub(crate) fn cath_list(hearings: usize, rooms: usize, date: jiff::civil::Date) -> Value {
    let per_room = hearings.div_ceil(rooms);
    let rooms: Vec<Value> = (0..rooms)
        .map(|r| {
            let sittings: Vec<Value> = (0..per_room)
                .map(|i| r * per_room + i)
                .take_while(|n| *n < hearings)
                .map(|n| {
                    let minutes = 9 * 60 + 10 * (n % per_room) as i64;
                    let start = date
                        .at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
                        .to_zoned(jiff::tz::TimeZone::UTC)
                        .expect("a time")
                        .timestamp();
                    json!({"sittingStart": start.to_string(), "hearing": [{
                        "hearingType": if n % 3 == 0 { "Trial" } else { "First appearance" },
                        "panel": "ADULT", "channel": ["In person"],
                        "case": [{
                            "caseUrn": format!("01BM{:07}", n),
                            "reportingRestriction": n % 17 == 0,
                            "party": [
                                {"partyRole": "DEFENDANT", "individualDetails": {
                                    "individualForenames": format!("Forename{n}"),
                                    "individualMiddleName": "Middle",
                                    "individualSurname": format!("Surname{n}"),
                                    "dateOfBirth": "1990-01-01", "age": 36,
                                    "address": {"line": [format!("{n} Example Street"), "Flat 2"], "town": "Birmingham", "county": "West Midlands", "postCode": "B1 1AA"},
                                    "inCustody": false, "gender": "male",
                                    "asn": format!("2600000000000{n:06}A"), "pncId": format!("2026/{n:07}X")},
                                 "offence": [{"offenceCode": "TH68010", "offenceTitle": "Theft from a shop",
                                    "offenceWording": "On 1 March 2026 at Birmingham stole goods to the value of 45.00 belonging to Example Stores Ltd",
                                    "offenceMaxPen": "6 months", "plea": "NOT_GUILTY", "reportingRestriction": false}]},
                                {"partyRole": "PROSECUTING_AUTHORITY", "organisationDetails": {"organisationName": "Crown Prosecution Service"}}
                            ]
                        }]
                    }]})
                })
                .collect();
            json!({"courtRoomName": format!("Courtroom {}", r + 1),
                   "session": [{"judiciary": [{"johKnownAs": "District Judge (MC) Example", "isPresiding": true}],
                                "sittings": sittings}]})
        })
        .collect();
    json!({
        "document": {"publicationDate": format!("{date}T06:00:00Z")},
        "venue": {"venueName": "Birmingham Magistrates' Court", "venueAddress": {"line": ["Victoria Law Courts"], "postCode": "B4 6QA"}},
        "courtLists": [{"courtHouse": {"courtHouseName": "BIRMINGHAM MAGISTRATES' COURT", "lja": "Birmingham", "courtRoom": rooms}}]
    })
}

/// Wall seconds and peak RSS (MiB) of `cmd` as a whole process, by `/usr/bin/time`.
pub(crate) fn timed(cmd: &mut Command, out: &Path) -> Result<(f64, f64)> {
    let mut c = Command::new("/usr/bin/time");
    c.arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(out)
        .arg(cmd.get_program());
    c.args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let status = c
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("/usr/bin/time (apt-get install time)")?;
    if !status.status.success() {
        bail!(
            "{:?} failed: {}",
            cmd,
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let text = std::fs::read_to_string(out)?;
    let mut it = text.split_whitespace();
    let secs: f64 = it.next().context("time's seconds")?.parse()?;
    let kib: f64 = it.next().context("time's RSS")?.parse()?;
    Ok((secs, kib / 1024.0))
}

pub(crate) fn lists_bench(dir: &Path, hearings: usize, rooms: usize, runs: usize) -> Result<()> {
    let date = jiff::civil::date(2026, 6, 15);
    let list = serde_json::to_vec_pretty(&cath_list(hearings, rooms, date))?;
    let file = dir.join("cath-list.json");
    std::fs::write(&file, &list)?;
    println!(
        "\n## HMCTS's court lists: a CaTH standard list of {hearings} hearings in {rooms} rooms ({:.1} MB), median of {runs}",
        list.len() as f64 / 1e6
    );

    let mut read = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let import = courtdeck_interop::cath::read(
            &list,
            &courtdeck_interop::cath::ReadOptions {
                list_type: None,
                content_date: None,
                rooms: &[],
            },
        )?;
        read.push(t.elapsed().as_secs_f64());
        if import.hearings() != hearings || !import.skipped.is_empty() {
            bail!(
                "read {} hearings, skipped {}",
                import.hearings(),
                import.skipped.len()
            );
        }
    }

    let bin = courtdeck_bin()?;
    let times = dir.join("time.txt");
    let (mut import_s, mut import_mb, mut python_s, mut python_mb) =
        (vec![], vec![], vec![], vec![]);
    for run in 0..runs {
        let store = dir.join(format!("lists-store-{run}"));
        let mut c = Command::new(&bin);
        c.args(["import", "cath-list"])
            .arg(&file)
            .arg("--store")
            .arg(&store)
            .env("XDG_STATE_HOME", dir.join("lists-state"))
            .env("XDG_CONFIG_HOME", dir.join("lists-config"));
        let (s, mb) = timed(&mut c, &times)?;
        import_s.push(s);
        import_mb.push(mb);
        let written = std::fs::read_dir(store.join("lists"))?.count();
        if written != rooms {
            bail!("the import wrote {written} rooms' lists, not {rooms}");
        }
        let mut c = Command::new("python3");
        c.args(["-m", "json.tool"]).arg(&file);
        let (s, mb) = timed(&mut c, &times)?;
        python_s.push(s);
        python_mb.push(mb);
    }
    let (imp, py) = (median(import_s), median(python_s));
    println!("| | wall, s | peak RSS, MiB |");
    println!("|---|---:|---:|");
    println!(
        "| `cath::read` in process (parse, check, convert) | {:.3} | - |",
        median(read)
    );
    println!(
        "| `courtdeck import cath-list` (process: read, write {rooms} lists, custody record) | {imp:.2} | {:.1} |",
        median(import_mb)
    );
    println!(
        "| reference: `python3 -m json.tool` (read and print it) | {py:.2} | {:.1} |",
        median(python_mb)
    );
    println!("import / json.tool: {:.2}x", imp / py);

    push_bench(dir, &bin, &file, runs, imp)
}

/// The same list pushed through `courtdeck serve-lists` by curl, as CaTH would: a token, then the
/// multipart publication (replacing the same publication each run).
fn push_bench(dir: &Path, bin: &Path, file: &Path, runs: usize, import_s: f64) -> Result<()> {
    use courtdeck_testkit::servers::{SecretService, TestCa, free_port};
    let keyring = SecretService::start()?;
    let secret = "bench-client-secret";
    let mut c = keyring.command(bin);
    c.args(["serve-lists-client", "--client-id", "cath"])
        .env("XDG_STATE_HOME", dir.join("push-state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = c.spawn()?;
    {
        use std::io::Write as _;
        writeln!(child.stdin.take().context("stdin")?, "{secret}")?;
    }
    if !child.wait()?.success() {
        bail!("serve-lists-client failed");
    }
    let ca = TestCa::generate()?;
    let port = free_port()?;
    let store = dir.join("push-store");
    std::fs::create_dir_all(&store)?;
    let mut c = keyring.command(bin);
    c.args(["serve-lists", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--store")
        .arg(&store)
        .arg("--cert")
        .arg(&ca.cert_pem)
        .arg("--key")
        .arg(&ca.key_pem)
        .args(["--client-id", "cath"])
        .env("XDG_STATE_HOME", dir.join("push-state"))
        .env("XDG_CONFIG_HOME", dir.join("push-config"));
    let server = courtdeck_testkit::helper::Helper::spawn("serve-lists", c)?;
    let started = Instant::now();
    while !server.log().contains("serving CaTH publications") {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("serve-lists did not start: {}", server.log_tail(20));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let base = format!("https://127.0.0.1:{port}");
    let curl = |args: &[&str]| -> Result<String> {
        let out = Command::new("curl")
            .args(["-sS", "--fail-with-body", "--cacert"])
            .arg(&ca.ca_pem)
            .args(args)
            .output()
            .context("curl")?;
        if !out.status.success() {
            bail!(
                "curl {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8(out.stdout)?)
    };
    let token: Value = serde_json::from_str(&curl(&[
        "-d",
        &format!("grant_type=client_credentials&client_id=cath&client_secret={secret}&scope=lists"),
        &format!("{base}/oauth/token"),
    ])?)?;
    let token = token["access_token"]
        .as_str()
        .context("a token")?
        .to_owned();
    let id = "0b7e6d5c-4a3b-4c2d-9e1f-123456789abc";
    let meta = dir.join("metadata.json");
    std::fs::write(
        &meta,
        serde_json::to_vec(&json!({
            "publicationId": id, "listType": "MAGISTRATES_STANDARD_LIST",
            "locationName": "Birmingham Magistrates' Court", "contentDate": "2026-06-15T00:00:00",
            "sensitivity": "PUBLIC", "language": "ENGLISH",
            "displayFrom": "2026-06-14T00:00:00", "displayTo": "2026-06-15T23:59:00",
        }))?,
    )?;
    let mut pushes = Vec::new();
    for run in 0..runs {
        let (method, url) = if run == 0 {
            ("POST", format!("{base}/publications"))
        } else {
            ("PUT", format!("{base}/publications/{id}"))
        };
        let t = Instant::now();
        let answer = curl(&[
            "-X",
            method,
            "-H",
            &format!("Authorization: Bearer {token}"),
            "-F",
            &format!("metadata=@{};type=application/json", meta.display()),
            "-F",
            &format!("payload=@{};type=application/json", file.display()),
            &url,
        ])?;
        pushes.push(t.elapsed().as_secs_f64());
        let answer: Value = serde_json::from_str(&answer)?;
        if answer["lists"].as_array().is_none_or(Vec::is_empty) {
            bail!("the push wrote nothing: {answer}");
        }
    }
    let push = median(pushes);
    println!(
        "| pushed through `serve-lists` by curl (TLS, multipart, import, publication record; the first a POST, then PUTs replacing it) | {push:.2} | - |"
    );
    println!("push / import: {:.2}x", push / import_s);
    Ok(())
}
