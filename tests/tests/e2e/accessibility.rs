//! Accessibility, checked in the real app: axe-core (WCAG 2.0/2.1/2.2 A and AA rules) run inside the
//! WebKitGTK view on every view and with every kind of exhibit on air, English and Welsh.

use std::time::Duration;

use crate::kiosk::{start_kiosk, tap};

#[test]
fn every_view_and_every_kind_on_air_passes_axe() {
    let k = start_kiosk();
    k.wd.wait_for(
        "[data-testid=hearing-card][data-case=JS-2026-0142]",
        Duration::from_secs(180),
    )
    .unwrap();
    let mut found: Vec<String> = Vec::new();
    let mut checked = 0;
    let mut check = |view: &str| {
        checked += 1;
        let v = k.wd.axe().unwrap();
        println!("axe on {view}: {} violation(s)", v.len());
        found.extend(v.into_iter().map(|v| format!("{view}: {v}")));
    };
    check("today's list");
    let mut taps = 0;
    k.launch_demo_hearing(&mut taps);
    check("a hearing, nothing on air");
    for (exhibit, kind) in [
        ("JS/1", "video"),
        ("JS/2", "audio"),
        ("JS/4", "still"),
        ("JS/7", "document"),
    ] {
        k.present(exhibit, &mut taps);
        k.wait_tile("bench", "live");
        // Each group of its tools, under its tab.
        for group in k.tool_groups() {
            k.tools(&group, &mut taps);
            check(&format!("{exhibit} ({kind}) on air, {group}"));
        }
    }
    k.wd.press("?").unwrap();
    k.wd.wait_for("[data-testid=help]", Duration::from_secs(5))
        .unwrap();
    check("the keys");
    k.wd.press("\u{E00C}").unwrap();
    tap(&k, "[data-testid=language][data-lang=cy]", &mut taps);
    for group in k.tool_groups() {
        k.tools(&group, &mut taps);
        check(&format!("a document on air, in Welsh, {group}"));
    }
    tap(&k, "[data-testid=language][data-lang=en]", &mut taps);
    tap(&k, "[data-testid=withdraw]", &mut taps);
    k.wait_tile("bench", "black");
    tap(&k, "[data-testid=back-to-list]", &mut taps);
    tap(&k, "[data-testid=open-setup]", &mut taps);
    k.wd.wait_for("[data-testid=run-checks]", Duration::from_secs(10))
        .unwrap();
    check("the clerk's checks, before running");
    tap(&k, "[data-testid=run-checks]", &mut taps);
    k.wd.wait_for("[data-testid=checks-overall]", Duration::from_secs(120))
        .unwrap();
    check("the clerk's checks, run");
    tap(&k, "[data-testid=back-to-list]", &mut taps);
    tap(&k, "[data-testid=open-week]", &mut taps);
    std::thread::sleep(Duration::from_secs(2));
    check("the week ahead");
    assert!(found.is_empty(), "axe found:\n{}", found.join("\n"));
    println!(
        "RELIABILITY|surface|every_view_and_every_kind_on_air_passes_axe|axe-core WCAG 2.0/2.1/2.2 A+AA inside the real WebKitGTK view: today, hearing, video/audio/still/document on air with each group of tools, keys, Welsh, checks, week ahead|{}",
        checked
    );
}
