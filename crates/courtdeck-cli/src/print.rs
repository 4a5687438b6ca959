//! Reports printed for a person at a terminal.

pub(crate) fn print_screens(r: &courtdeck_api::ScreensReport) {
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
                let dash = String::from("-");
                println!(
                    "  maker {}  product {}  serial {}",
                    m_.maker.as_ref().unwrap_or(&dash),
                    m_.product.as_ref().unwrap_or(&dash),
                    match (&m_.serial, &m_.not_unique_because) {
                        (Some(s), _) => s.clone(),
                        (None, Some(why)) if why.contains("placeholder") => {
                            "none: placeholder".to_owned()
                        }
                        (None, _) => "none".to_owned(),
                    }
                );
                println!("  identity = \"{id}\"");
                match &m_.not_unique_because {
                    None => println!("  unique: yes (its serial names this one monitor)"),
                    Some(why) => println!(
                        "  unique: no: {why}\n  pin it as: monitor = \"{}\"  identity = \"{id}\"",
                        m_.connector.as_ref().unwrap_or(&m_.name)
                    ),
                }
                if let Some(old) = &m_.legacy_identity {
                    println!(
                        "  (read as \"{old}\" before 2026-12-07; a pin in that form still finds it: write the identity above instead)"
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

pub(crate) fn print_probe(r: &courtdeck_api::json::ProbeDto) {
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

/// What `import cath-list` wrote, which rooms had no mapping, and what was skipped and why.
pub(crate) fn lists_imported(r: &courtdeck_api::court_lists::ListsImported) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let hearings: usize = r.lists.iter().map(|l| l.hearings).sum();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let _ = writeln!(
        out,
        "Read a {}: wrote {} in {}.",
        r.list_type,
        plural(hearings, "hearing", "hearings"),
        plural(r.lists.len(), "court list", "court lists")
    );
    for l in &r.lists {
        let _ = writeln!(
            out,
            "  {}  {} on {}: {}",
            l.path,
            l.court_name,
            l.date,
            plural(l.hearings, "hearing", "hearings")
        );
    }
    let unmapped: Vec<_> = r.unmapped().collect();
    if !unmapped.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            if unmapped.len() == 1 {
                "1 room has no [[lists.rooms]] mapping, so it was written under an id made from its names:".to_owned()
            } else {
                format!(
                    "{} rooms have no [[lists.rooms]] mapping, so they were written under ids made from their names:",
                    unmapped.len()
                )
            }
        );
        for room in &unmapped {
            let _ = writeln!(
                out,
                "  {:?} / {:?} -> court {}",
                room.court_house, room.room, room.court
            );
        }
        let first = unmapped[0];
        let _ = writeln!(
            out,
            "  To list a room for a kiosk's court, add to the config (docs/interop.md):\n    [[lists.rooms]]\n    court_house = {:?}\n    room = {:?}\n    court = \"courtroom-1\"",
            first.court_house, first.room
        );
    }
    if !r.skipped.is_empty() {
        let _ = writeln!(
            out,
            "Skipped {} (the rest of the list stands):",
            plural(r.skipped.len(), "entry", "entries")
        );
        for s in &r.skipped {
            let _ = writeln!(
                out,
                "  {}{}{}: {}: {}",
                s.place,
                s.when
                    .as_deref()
                    .map(|w| format!(" {w}"))
                    .unwrap_or_default(),
                s.case
                    .as_deref()
                    .map(|c| format!(" case {c}"))
                    .unwrap_or_default(),
                courtdeck_api::court_lists::skip_kind(s.kind),
                s.reason
            );
        }
    }
    out
}

/// The week ahead, a line per hearing and one per exhibit that will not play.
pub(crate) fn week_ahead(w: &courtdeck_api::json::WeekAheadDto) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "{} · the week ahead · checked {}\n",
        w.court_name, w.made_at
    );
    for d in &w.days {
        let _ = writeln!(out, "{} {}", d.weekday, d.date);
        if let Some(p) = &d.store {
            let _ = writeln!(out, "  (store: {})", p.message);
        }
        if d.hearings.is_empty() {
            let _ = writeln!(out, "  no hearings listed");
        }
        for h in &d.hearings {
            let verdict = match &h.problem {
                Some(p) => format!("NOT READY: {}", p.message),
                None if h.will_not == 0 => format!("ready: all {} exhibits will play", h.will_play),
                None => format!(
                    "NOT READY: {} of {} exhibits will not play",
                    h.will_not,
                    h.will_play + h.will_not
                ),
            };
            let _ = writeln!(
                out,
                "  {}  {:<12} {:<10} {:<14} {verdict}",
                h.time, h.title, h.hearing_type, h.case_id
            );
            if h.reporting_restriction.is_some() {
                let _ = writeln!(out, "         ! reporting restrictions apply");
            }
            for e in h
                .exhibits
                .iter()
                .filter(|e| e.status == courtdeck_api::json::CheckStatus::Fail)
            {
                let _ = writeln!(out, "         {} {}: {}", e.reference, e.title, e.detail);
            }
        }
    }
    out
}
