//! The screen checks: every screen connected, the identify card and the test card read back, the
//! test tone on the level meter.

use std::time::Instant;

use courtdeck_playout::protocol::{CardReport, Command};

use super::{Run, title_of};
use crate::Courtdeck;
use crate::json::CheckStatus;

impl Courtdeck {
    pub(super) async fn check_screens(&self, run: &mut Run) {
        let wanted = ["screens", "identify", "test_card", "test_tone"];
        if !wanted.iter().any(|id| run.wants(id)) {
            return;
        }
        let t0 = Instant::now();
        let playout = match self.playout() {
            Ok(p) => p,
            Err(e) => {
                for id in wanted {
                    if run.wants(id) {
                        run.add(id, title_of(id), CheckStatus::Fail, e.message.clone(), t0);
                    }
                }
                return;
            }
        };
        if run.wants("screens") {
            self.refresh_connected_screens().await;
            let (missing, mismatched, ambiguous) = {
                let session = self.session.lock().await;
                (
                    session.missing_screens.clone(),
                    session.mismatched_screens.clone(),
                    session.ambiguous_screens.clone(),
                )
            };
            let label = |id: &String| {
                self.screens
                    .iter()
                    .find(|s| s.id.as_str() == id)
                    .map_or(id.clone(), |s| s.label.clone())
            };
            let sorted = |ids: Vec<&String>| {
                let mut names: Vec<String> = ids.into_iter().map(label).collect();
                names.sort();
                names.join(", ")
            };
            // With `[screens] require_identity`, a window screen without an identity never gets a
            // restricted exhibit: the clerk must hear of it before court, not when an ABE interview
            // will not go up.
            let unpinned: Vec<String> = if self.config.screen_identity.require_identity {
                self.config
                    .screens
                    .iter()
                    .filter(|s| !s.headless && s.identity.is_none())
                    .map(|s| s.label.clone())
                    .collect()
            } else {
                Vec::new()
            };
            let wrong: Vec<&String> = mismatched
                .iter()
                .filter(|s| !ambiguous.contains_key(*s))
                .collect();
            // One line per reason ("BENCH and PUBLIC both match …" is both screens' reason).
            let mut unsure: Vec<&String> = ambiguous.values().collect();
            unsure.sort();
            unsure.dedup();
            let gone: Vec<&String> = missing
                .iter()
                .filter(|s| !mismatched.contains(*s))
                .collect();
            let mut problems = Vec::new();
            if !gone.is_empty() {
                problems.push(format!(
                    "not connected: {} (check the cable and the monitor's power)",
                    sorted(gone)
                ));
            }
            if !wrong.is_empty() {
                problems.push(format!(
                    "wrong monitor on {} (a cable moved? `courtdeck screens` says which monitor is where)",
                    sorted(wrong)
                ));
            }
            for why in unsure {
                problems.push(format!("not used (black): {why}"));
            }
            if !unpinned.is_empty() {
                problems.push(format!(
                    "no identity set for {}: restricted exhibits will not go there (`courtdeck screens`, then `identity` in the config)",
                    unpinned.join(", ")
                ));
            }
            let (status, detail) = if problems.is_empty() {
                (
                    CheckStatus::Pass,
                    format!(
                        "{} connected",
                        self.screens
                            .iter()
                            .map(|s| s.label.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            } else {
                (CheckStatus::Fail, problems.join("; "))
            };
            run.add("screens", title_of("screens"), status, detail, t0);
        }
        let mut tone = None;
        for (id, identify, seconds) in [("identify", true, 3.0), ("test_card", false, 2.0)] {
            // The tone plays during the test card, so a tone re-run shows the card too.
            let needed = run.wants(id) || (id == "test_card" && run.wants("test_tone"));
            if !needed {
                continue;
            }
            let t0 = Instant::now();
            match playout
                .request_data::<CardReport>(Command::TestCard { seconds, identify })
                .await
            {
                Ok(card) => {
                    tone = Some(card.tone.clone());
                    if run.wants(id) {
                        let (status, detail) = card_verdict(&card, identify, &self.screens);
                        run.add(id, title_of(id), status, detail, t0);
                    }
                }
                Err(e) => {
                    if run.wants(id) {
                        run.add(id, title_of(id), CheckStatus::Fail, e.message.clone(), t0);
                    }
                }
            }
        }
        if run.wants("test_tone") {
            let t0 = Instant::now();
            let (status, detail) = match tone {
                Some(t) => match (t.rms_db, t.error) {
                    (_, Some(e)) => (CheckStatus::Fail, format!("{}: {e}", t.sink)),
                    (Some(db), None) if db > -40.0 => (
                        CheckStatus::Pass,
                        format!(
                            "1 kHz tone reached the level meter at {db:.1} dBFS RMS, output {}",
                            t.sink
                        ),
                    ),
                    (Some(db), None) => (
                        CheckStatus::Fail,
                        format!(
                            "the tone was too quiet at the meter ({db:.1} dBFS): check the volume chain"
                        ),
                    ),
                    (None, None) => (
                        CheckStatus::Fail,
                        format!(
                            "no level reached the meter: the audio output {} did not run",
                            t.sink
                        ),
                    ),
                },
                None => (CheckStatus::Fail, "the tone could not be played".into()),
            };
            run.add("test_tone", title_of("test_tone"), status, detail, t0);
        }
    }
}

fn card_verdict(
    card: &CardReport,
    identify: bool,
    screens: &[courtdeck_core::Screen],
) -> (CheckStatus, String) {
    let label = |id: &str| {
        screens
            .iter()
            .find(|s| s.id.as_str() == id)
            .map_or(id.to_owned(), |s| s.label.clone())
    };
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for s in &card.screens {
        let name = label(&s.screen);
        if !s.connected {
            bad.push(format!("{name}: not connected"));
        } else if s.frames == 0 {
            bad.push(format!("{name}: no frame reached the screen"));
        } else if s.readback_ok == Some(false) {
            bad.push(format!(
                "{name}: the picture read back is wrong ({})",
                s.detail
            ));
        } else {
            good.push(match s.readback_ok {
                Some(true) => format!("{name}: shown and read back"),
                _ => format!("{name}: {} frames (headless)", s.frames),
            });
        }
    }
    let what = if identify {
        "identify card"
    } else {
        "test card"
    };
    if bad.is_empty() {
        (CheckStatus::Pass, format!("{what}: {}", good.join("; ")))
    } else {
        (
            CheckStatus::Fail,
            format!("{what}: {}", [bad, good].concat().join("; ")),
        )
    }
}
