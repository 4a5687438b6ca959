//! HMCTS's court lists through the real `courtdeck` binary: a CaTH list for today written by the test
//! (UTC times, a reporting restriction, a room the config maps and one it does not, a hostile
//! hearing), imported with `courtdeck import cath-list`, then read back as a kiosk reads its list
//! (`courtdeck list --json`: the facade's `court_list`). Also: a list that cannot be imported
//! leaves the store as it was, and an import replaces a courtroom's day whole.

use std::path::Path;
use std::process::Command;

use courtdeck_testkit::kiosk::{courtdeck_cli as courtdeck, run_cli as run};
use jiff::civil::Date;
use serde_json::{Value, json};

const COURT: &str = "courtroom-2";
const HOUSE: &str = "LAVENDER HILL MAGISTRATES' COURT";

/// `hh:mm` in court (Europe/London) on `date`, as CaTH writes it: UTC.
fn sitting_start(date: Date, hh: i8, mm: i8) -> String {
    date.at(hh, mm, 0, 0)
        .to_zoned(courtdeck_api::court_time_zone())
        .unwrap()
        .timestamp()
        .strftime("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string()
}

fn hearing(urn: &str, forename: &str, surname: &str, kind: &str) -> Value {
    json!({"hearingType": kind, "case": [{"caseUrn": urn, "party": [
        {"partyRole": "DEFENDANT", "individualDetails": {
            "individualForenames": forename, "individualSurname": surname,
            "dateOfBirth": "1990-01-01", "address": {"line": ["99 Secret Lane"], "postCode": "SW11 9ZZ"}}},
        {"partyRole": "PROSECUTING_AUTHORITY", "organisationDetails": {"organisationName": "Crown Prosecution Service"}}
    ]}]})
}

/// A standard list for `date`: two rooms, the first with `first_room` hearings.
fn cath_list(date: Date, first_room: Vec<(i8, i8, Value)>) -> Value {
    let sittings: Vec<Value> = first_room
        .into_iter()
        .map(|(hh, mm, h)| json!({"sittingStart": sitting_start(date, hh, mm), "hearing": [h]}))
        .collect();
    json!({
        "document": {"publicationDate": "2026-01-01T16:00:00Z"},
        "venue": {"venueAddress": {"line": ["176A Lavender Hill"], "postCode": "SW11 1JU"}},
        "courtLists": [{"courtHouse": {"courtHouseName": HOUSE, "courtRoom": [
            {"courtRoomName": "Courtroom 1", "session": [{"sittings": sittings}]},
            {"courtRoomName": "Courtroom 9", "session": [{"sittings": [
                {"sittingStart": sitting_start(date, 14, 0), "hearing": [hearing("01LH2609999", "Zed", "Young", "Trial")]}
            ]}]}
        ]}}]
    })
}

fn setup(d: &Path) {
    std::fs::write(
        d.join("config.toml"),
        format!(
            "court = \"{COURT}\"\ncache_dir = {:?}\naudit_file = {:?}\nstore = {{ kind = \"dir\", path = {:?} }}\n\
             [[lists.rooms]]\ncourt_house = \"Lavender Hill Magistrates' Court\"\nroom = \"Courtroom 1\"\ncourt = \"{COURT}\"\n",
            d.join("cache").display().to_string(),
            d.join("audit.jsonl").display().to_string(),
            d.join("store").display().to_string(),
        ),
    )
    .unwrap();
}

fn import(d: &Path, list: &Value) -> (bool, String) {
    let file = d.join("list.json");
    std::fs::write(&file, serde_json::to_vec_pretty(list).unwrap()).unwrap();
    let mut c = courtdeck(d);
    c.args(["import", "cath-list"])
        .arg(&file)
        .arg("--store")
        .arg(d.join("store"));
    run(c)
}

/// What a kiosk of `COURT` lists today: (time, case, title, type, banner).
fn kiosk_list(d: &Path) -> Vec<(String, String, String, String, Value)> {
    let mut c = courtdeck(d);
    c.args(["list", "--json"]);
    let (ok, out) = run(c);
    assert!(ok, "{out}");
    let list: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        list["court_name"],
        "LAVENDER HILL MAGISTRATES' COURT, Courtroom 1"
    );
    list["hearings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["time"].as_str().unwrap().to_owned(),
                h["case_id"].as_str().unwrap().to_owned(),
                h["title"].as_str().unwrap().to_owned(),
                h["hearing_type"].as_str().unwrap().to_owned(),
                h["reporting_restriction"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_cath_list_imported_is_the_kiosks_list_in_court_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let today = courtdeck_api::today();
    let mut restricted = hearing("01LH2600001", "Dan", "Nash", "Trial");
    restricted["case"][0]["reportingRestriction"] = json!(true);
    restricted["case"][0]["reportingRestrictionDetails"] =
        json!(["Section 45 of the Youth Justice and Criminal Evidence Act 1999"]);
    let hostile = hearing("01LH2600004", "Eve", "\u{202e}Owen", "Trial");
    let list = cath_list(
        today,
        vec![
            (9, 30, restricted),
            (
                0,
                15,
                hearing("01LH2600003", "Cara", "Moss", "Overnight remand"),
            ),
            (10, 0, hearing("01LH2600002", "Ben", "Lowe", "Sentence")),
            (11, 0, hostile),
        ],
    );
    let (ok, out) = import(d, &list);
    println!("{out}");
    assert!(ok, "{out}");
    // The room with no mapping is written under its derived id, and said to be.
    assert!(
        out.contains("\"LAVENDER HILL MAGISTRATES' COURT\" / \"Courtroom 9\" -> court lavender-hill-magistrates-court-courtroom-9"),
        "{out}"
    );
    assert!(
        out.contains("case 01LH2600004: cannot be shown safely"),
        "{out}"
    );
    assert!(out.contains("U+202E"), "{out}");

    assert_eq!(
        kiosk_list(d),
        vec![
            (
                "00:15".into(),
                "01LH2600003".into(),
                "R v C.M.".into(),
                "Overnight remand".into(),
                Value::Null
            ),
            (
                "09:30".into(),
                "01LH2600001".into(),
                "R v D.N.".into(),
                "Trial".into(),
                json!("Section 45 of the Youth Justice and Criminal Evidence Act 1999")
            ),
            (
                "10:00".into(),
                "01LH2600002".into(),
                "R v B.L.".into(),
                "Sentence".into(),
                Value::Null
            ),
        ]
    );
    // Nothing personal reached the store.
    for f in courtdeck_testkit::files_under(&d.join("store")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for personal in ["Nash", "1990-01-01", "Secret Lane", "SW11 9ZZ", "Owen"] {
            assert!(!text.contains(personal), "{personal} in {}", f.display());
        }
    }
    // The import is in the custody log: the list type, what was written, what was not.
    let log = std::fs::read_to_string(d.join("audit.jsonl")).unwrap();
    let record: Value = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["event"] == "court_lists_imported")
        .expect("an import record");
    let f = &record["fields"];
    assert_eq!(f["list_type"], "MAGISTRATES_STANDARD_LIST");
    assert_eq!(f["lists"].as_array().unwrap().len(), 2, "{f}");
    assert_eq!(f["unmapped_rooms"][0]["room"], "Courtroom 9");
    assert_eq!(f["skipped"][0]["case"], "01LH2600004");
    assert!(courtdeck_audit::verify(&d.join("audit.jsonl")).is_ok());

    // CaTH publishes the day again: the room's list is replaced whole (a hearing taken out is gone).
    let again = cath_list(
        today,
        vec![(10, 0, hearing("01LH2600002", "Ben", "Lowe", "Sentence"))],
    );
    let (ok, out) = import(d, &again);
    assert!(ok, "{out}");
    assert_eq!(kiosk_list(d).len(), 1);

    // A list that cannot be imported changes nothing: not JSON, one with no hearing to list, one
    // whose list for a room would be refused by a kiosk (more hearings than a list holds).
    let broken = serde_json::to_vec(&again).unwrap();
    let cut = Value::String(String::from_utf8_lossy(&broken[..broken.len() / 2]).into_owned());
    let nothing = cath_list(today, vec![]);
    let mut nothing = nothing;
    nothing["courtLists"][0]["courtHouse"]["courtRoom"]
        .as_array_mut()
        .unwrap()
        .truncate(1);
    let crowded = cath_list(
        today,
        (0..=courtdeck_store::wire::MAX_HEARINGS)
            .map(|i| {
                let urn = format!("01LH27{i:05}");
                (9, 0, hearing(&urn, "A", "B", "Trial"))
            })
            .collect(),
    );
    let courtroom_9 = d
        .join("store/lists/lavender-hill-magistrates-court-courtroom-9")
        .join(format!("{today}.json"));
    std::fs::remove_file(&courtroom_9).unwrap();
    for (bad, why) in [
        (cut, "not JSON"),
        (nothing, "no hearing Courtdeck can list"),
        (crowded, "would not be read by a kiosk"),
    ] {
        let (ok, out) = if let Value::String(text) = &bad {
            let file = d.join("list.json");
            std::fs::write(&file, text).unwrap();
            let mut c = courtdeck(d);
            c.args(["import", "cath-list"])
                .arg(&file)
                .arg("--store")
                .arg(d.join("store"));
            run(c)
        } else {
            import(d, &bad)
        };
        assert!(!ok, "{why}: {out}");
        assert!(out.contains(why), "{why}: {out}");
        assert_eq!(kiosk_list(d).len(), 1, "{why}: the store changed");
    }
    // The room the crowded list did not overflow was not written either: all lists or none.
    assert!(
        !courtroom_9.exists(),
        "{} was written",
        courtroom_9.display()
    );
    assert!(
        courtdeck_testkit::files_under(&d.join("store"))
            .iter()
            .all(|f| !f.to_string_lossy().ends_with(".part")),
        "a part was left behind"
    );
}

/// `courtdeck` with the test's config and state, seeing `keyring`.
fn courtdeck_with_keyring(
    keyring: &courtdeck_testkit::servers::SecretService,
    d: &Path,
) -> Command {
    let mut c = keyring.command(courtdeck_testkit::target_dir().join("courtdeck"));
    c.arg("--config")
        .arg(d.join("config.toml"))
        .env("XDG_STATE_HOME", d.join("state"))
        .env("XDG_CONFIG_HOME", d.join("config"));
    c
}

/// A multipart body as Spring's `MultipartBodyBuilder` and `MultipartHttpMessageWriter` write what
/// `ThirdPartyApiService.createMultiPartBody` builds: `metadata` (the object, as JSON), `payload`
/// (the list's JSON string, as it is), each `Content-Type: application/json`; the request's
/// `Content-Type` is `multipart/form-data;boundary=…` with no space.
fn spring_multipart(metadata: &Value, payload: Option<&[u8]>) -> (String, Vec<u8>) {
    let boundary = "Rbz1aJ3nY0mRkq4Y8dBD7kUt3zv0PSr7IyzkZg";
    let mut body = Vec::new();
    let mut part = |name: &str, bytes: &[u8]| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"{name}\"\r\nContent-Length: {}\r\n\r\n",
                bytes.len()
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    };
    part("metadata", &serde_json::to_vec(metadata).unwrap());
    if let Some(p) = payload {
        part("payload", p);
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data;boundary={boundary}"), body)
}

fn metadata(id: &str, list_type: &str, date: Date) -> Value {
    json!({
        "publicationId": id,
        "listType": list_type,
        "locationName": "Lavender Hill Magistrates' Court",
        "contentDate": format!("{date}T00:00:00"),
        "sensitivity": "PUBLIC",
        "language": "ENGLISH",
        "displayFrom": format!("{date}T00:00:00"),
        "displayTo": format!("{date}T23:59:00"),
    })
}

#[test]
fn lists_pushed_by_cath_are_written_replaced_and_withdrawn() {
    use courtdeck_testkit::servers::{SecretService, TestCa, free_port};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    std::fs::create_dir_all(d.join("store")).unwrap();
    let keyring = SecretService::start().unwrap();
    const CLIENT_SECRET: &str = "client-secret-CaTH-was-given-7f3a9c";

    let mut c = courtdeck_with_keyring(&keyring, d);
    c.args(["serve-lists-client", "--client-id", "cath-prod"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{CLIENT_SECRET}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");

    let ca = TestCa::generate().unwrap();
    let port = free_port().unwrap();
    let mut c = courtdeck_with_keyring(&keyring, d);
    c.args(["serve-lists", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--store")
        .arg(d.join("store"))
        .arg("--cert")
        .arg(&ca.cert_pem)
        .arg("--key")
        .arg(&ca.key_pem)
        .args(["--client-id", "cath-prod"]);
    let server = courtdeck_testkit::helper::Helper::spawn("serve-lists", c).unwrap();
    let started = std::time::Instant::now();
    while !server.log().contains("serving CaTH publications") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "serve-lists did not start:\n{}",
            server.log_tail(40)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let base = format!("https://127.0.0.1:{port}");
    let http = reqwest::blocking::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&ca.ca_pem).unwrap()).unwrap(),
        )
        .build()
        .unwrap();

    // The token, as ThirdPartyOauthService asks for it (a form, client credentials, a scope).
    let token = |secret: &str| {
        http.post(format!("{base}/oauth/token"))
            .header("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
            .body(format!(
                "grant_type=client_credentials&client_id=cath-prod&client_secret={secret}&scope=api%3A%2F%2Fcourtdeck%2F.default"
            ))
            .send()
            .unwrap()
    };
    let refused = token("not-the-secret");
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.json::<Value>().unwrap()["error"], "invalid_client");
    let granted: Value = token(CLIENT_SECRET).json().unwrap();
    assert_eq!(granted["token_type"], "Bearer");
    assert_eq!(granted["expires_in"], 3600);
    let access = granted["access_token"].as_str().unwrap().to_owned();

    let today = courtdeck_api::today();
    let id = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
    let mut restricted = hearing("01LH2600001", "Dan", "Nash", "Trial");
    restricted["case"][0]["reportingRestriction"] = json!(true);
    let list = cath_list(
        today,
        vec![
            (9, 30, restricted),
            (10, 0, hearing("01LH2600002", "Ben", "Lowe", "Sentence")),
        ],
    );
    let send = |method: reqwest::Method,
                path: &str,
                bearer: &str,
                meta: &Value,
                payload: Option<&[u8]>| {
        let (content_type, body) = spring_multipart(meta, payload);
        http.request(method, format!("{base}{path}"))
            .bearer_auth(bearer)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .unwrap()
    };
    let store_files = || courtdeck_testkit::files_under(&d.join("store"));
    let list_bytes = serde_json::to_vec(&list).unwrap();
    let meta = metadata(id, "MAGISTRATES_STANDARD_LIST", today);

    // Refused, nothing written: a token it never issued, a body over the limit, a broken list.
    let r = send(
        reqwest::Method::POST,
        "/publications",
        "forged-token",
        &meta,
        Some(&list_bytes),
    );
    assert_eq!(r.status(), 401, "{}", r.text().unwrap());
    let huge = vec![b' '; 33 << 20];
    let r = send(
        reqwest::Method::POST,
        "/publications",
        &access,
        &meta,
        Some(&huge),
    );
    assert_eq!(r.status(), 413);
    let r = send(
        reqwest::Method::POST,
        "/publications",
        &access,
        &meta,
        Some(b"{\"courtLists\": [ {"),
    );
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("not JSON"));
    assert!(store_files().is_empty(), "{:?}", store_files());

    // A new publication: the kiosk's list.
    let r = send(
        reqwest::Method::POST,
        "/publications",
        &access,
        &meta,
        Some(&list_bytes),
    );
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().unwrap();
    assert_eq!(answer["lists"].as_array().unwrap().len(), 2, "{answer}");
    assert_eq!(answer["unmapped_rooms"][0]["room"], "Courtroom 9");
    let shown = kiosk_list(d);
    assert_eq!(shown.len(), 2);
    assert_eq!(shown[0].0, "09:30");
    assert_eq!(shown[0].4, json!(""));
    let courtroom_9 = d
        .join("store/lists/lavender-hill-magistrates-court-courtroom-9")
        .join(format!("{today}.json"));
    assert!(courtroom_9.exists());

    // CaTH replaces it: one hearing left, and Courtroom 9 no longer in it (its list goes).
    let mut replaced = cath_list(
        today,
        vec![(11, 15, hearing("01LH2600002", "Ben", "Lowe", "Sentence"))],
    );
    replaced["courtLists"][0]["courtHouse"]["courtRoom"]
        .as_array_mut()
        .unwrap()
        .truncate(1);
    let r = send(
        reqwest::Method::PUT,
        &format!("/publications/{id}"),
        &access,
        &meta,
        Some(&serde_json::to_vec(&replaced).unwrap()),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let shown = kiosk_list(d);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].0, "11:15");
    assert!(
        !courtroom_9.exists(),
        "the replaced publication's other room stayed"
    );

    // A list type Courtdeck does not read is acknowledged and left alone.
    let crown = metadata(
        "9b2d7f4e-1c3a-4e5b-8f6d-0a1b2c3d4e5f",
        "CROWN_DAILY_LIST",
        today,
    );
    let r = send(
        reqwest::Method::POST,
        "/publications",
        &access,
        &crown,
        Some(b"{}"),
    );
    assert_eq!(r.status(), 200);
    assert!(
        r.json::<Value>().unwrap()["ignored"]
            .as_str()
            .unwrap()
            .contains("CROWN_DAILY_LIST")
    );

    // CaTH withdraws it: the kiosk has no hearings that day.
    let r = http
        .delete(format!("{base}/publications/{id}"))
        .bearer_auth(&access)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let mut c = courtdeck(d);
    c.args(["list", "--json"]);
    let (ok, out) = run(c);
    assert!(ok, "{out}");
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list["hearings"].as_array().unwrap().len(), 0, "{out}");
    let r = http
        .delete(format!("{base}/publications/{id}"))
        .bearer_auth(&access)
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);

    // The custody log: who sent which publication, what it wrote, its withdrawal.
    let records: Vec<Value> = std::fs::read_to_string(d.join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let imported: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "court_lists_imported")
        .collect();
    assert_eq!(imported.len(), 2);
    assert_eq!(imported[0]["fields"]["source"], "cath_push");
    assert_eq!(imported[0]["fields"]["by"], "cath-prod");
    assert_eq!(imported[0]["fields"]["publication"], id);
    assert!(
        records
            .iter()
            .any(|r| r["event"] == "cath_publication_ignored")
    );
    let withdrawn: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "court_lists_withdrawn")
        .collect();
    assert_eq!(withdrawn.len(), 2, "{withdrawn:?}");
    assert_eq!(withdrawn[1]["fields"]["why"], "withdrawn");
    // Neither the client secret nor a token is in any file the run wrote.
    for f in courtdeck_testkit::files_under(d)
        .into_iter()
        .chain([server.log_path().to_owned()])
    {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(CLIENT_SECRET),
            "the client secret is in {}",
            f.display()
        );
        assert!(!text.contains(&access), "a token is in {}", f.display());
    }
}
