//! The surface at the two sizes courtrooms have (1280x800 panels, 1920x1080 screens), with the five
//! screens a magistrates' courtroom has: the window fills its CONTROL monitor, nothing scrolls
//! sideways, every button is a touch target of at least 44 px, Blank All is in view, and with each
//! kind on air every control for it (the transport, the screens, and each group of tools under its
//! tab) lies inside the viewport, uncovered and uncut, in English and in Welsh. Only lists may
//! scroll (the exhibits, a transcript's lines, a document's page strip), and a transcript shows at
//! least two of its lines.

use std::cell::Cell;
use std::time::{Duration, Instant};

use courtdeck_testkit::Mon;

use crate::kiosk::{Kiosk, start_kiosk_with, tap};

/// Every visible control of the on-air column and the header, hit-tested at its centre and near
/// its corners: each point must be inside the viewport and land on the control itself (not on
/// what covers it, nor on the panel that clips it). Controls inside a list that scrolls by design
/// are left out. Also: the column's own content is not cut (it never scrolls), and no button's
/// words overflow it.
const FITS: &str = "
const bad = [];
const column = document.querySelector('[data-testid=on-air-column]');
const controls = [...document.querySelectorAll('header button, [data-testid=on-air-column] :is(button, input, select, [role=meter], [data-testid=draw-pad])')];
for (const el of controls) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (el.closest('[data-scrolls]')) continue;
  const name = el.dataset.testid ? `${el.dataset.testid}${el.dataset.group ? '=' + el.dataset.group : ''}` : (el.getAttribute('aria-label') || el.textContent.trim());
  const where = `${name} at ${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)}`;
  if (r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) { bad.push(`${where}: outside the viewport`); continue; }
  for (const [fx, fy] of [[0.5, 0.5], [0.15, 0.2], [0.85, 0.2], [0.15, 0.8], [0.85, 0.8]]) {
    const hit = document.elementFromPoint(r.left + fx * r.width, r.top + fy * r.height);
    if (!hit || !(hit === el || el.contains(hit) || hit.closest('label')?.contains(el))) {
      bad.push(`${where}: covered or clipped at (${fx}, ${fy}) by ${hit ? hit.tagName + '.' + hit.className : 'nothing'}`);
      break;
    }
  }
  if (el.tagName === 'BUTTON' && el.scrollWidth > el.clientWidth + 1) bad.push(`${where}: its words overflow it`);
}
if (column && column.scrollHeight > column.clientHeight + 1) bad.push(`the on-air column is cut: ${column.scrollHeight} > ${column.clientHeight}`);
const lines = document.querySelector('[data-testid=transcript] ol');
if (lines && lines.clientHeight < 100) bad.push(`the transcript shows ${lines.clientHeight} px of its lines: fewer than two`);
const small = [...document.querySelectorAll('button')]
  .map(b => [b.textContent.trim(), b.getBoundingClientRect()])
  .filter(([, r]) => r.width > 0 && (r.width < 44 || r.height < 44))
  .map(([t, r]) => `${t} ${Math.round(r.width)}x${Math.round(r.height)}`);
return { w: innerWidth, h: innerHeight, scroll: document.documentElement.scrollWidth, bad, small,
         checked: controls.length,
         tabs: [...document.querySelectorAll('[data-testid=tool-tab]')].map(t => t.dataset.group) };
";

/// The five screens of a magistrates' courtroom, beside CONTROL.
const SCREENS: [(&str, &str); 5] = [
    ("BENCH", "bench"),
    ("WITNESS", "witness"),
    ("PROSECUTION", "prosecution"),
    ("DEFENCE", "defence"),
    ("PUBLIC", "public_gallery"),
];

#[test]
fn every_on_air_control_fits_1280x800_and_1920x1080_with_five_screens() {
    for (w, h) in [(1280u16, 800u16), (1920, 1080)] {
        let mut monitors = vec![Mon {
            name: "CONTROL",
            x: 0,
            y: 0,
            w,
            h,
        }];
        monitors.extend(SCREENS.iter().enumerate().map(|(i, (name, _))| Mon {
            name,
            x: w as i16,
            y: i as i16 * 190,
            w: 320,
            h: 180,
        }));
        // BENCH and PUBLIC are the harness's own; the other three are added here.
        let tables: String = SCREENS[1..4]
            .iter()
            .map(|(name, role)| {
                format!(
                    "[[screen]]\nid = \"{role}\"\nlabel = \"{name}\"\nrole = \"{role}\"\nmonitor = \"{name}\"\n"
                )
            })
            .collect();
        let k = start_kiosk_with(
            courtdeck_testkit::work_dir(),
            w + 320,
            h.max(950),
            &monitors,
            "",
            &tables,
            &[],
        );
        let mut taps = 0;
        let checked = Cell::new(0);
        let size = Size {
            w,
            h,
            checked: &checked,
        };
        k.wd.wait_for(
            "[data-testid=hearing-card][data-case=JS-2026-0142]",
            Duration::from_secs(180),
        )
        .unwrap();
        size.fits(&k, "today's list");
        k.launch_demo_hearing(&mut taps);
        tap(&k, "[data-testid=exhibit][data-ref='JS/1']", &mut taps);
        k.wd.wait_for("[data-testid=present]", Duration::from_secs(10))
            .unwrap();
        size.fits(&k, "a hearing, JS/1 cued");
        for (exhibit, kind) in [
            ("JS/1", "video"),
            ("JS/2", "audio"),
            ("JS/3", "video with a transcript"),
            ("JS/4", "still"),
            ("JS/7", "document"),
        ] {
            k.present(exhibit, &mut taps);
            k.wait_tile("bench", "live");
            // What the advocate sees first with each kind on air (docs/screenshots).
            k.shot(&format!("13-{w}x{h}-{}", exhibit.replace('/', "")));
            let tabs = size.every_group(&k, &mut taps, &format!("{exhibit} ({kind}) on air"));
            if exhibit == "JS/7" {
                assert_eq!(tabs, ["pages", "marks", "zoom"], "a document's tools");
            }
        }
        // In Welsh (longer words), with a document and then a recording on air.
        tap(&k, "[data-testid=language][data-lang=cy]", &mut taps);
        k.wd.wait_for(
            "[data-testid=language][data-lang=cy][aria-pressed=true]",
            Duration::from_secs(10),
        )
        .unwrap();
        k.tools("pages", &mut taps);
        k.shot(&format!("13-{w}x{h}-JS7-cy"));
        size.every_group(&k, &mut taps, "JS/7 (document) on air, Cymraeg");
        k.present("JS/3", &mut taps);
        k.wait_tile("bench", "live");
        size.every_group(
            &k,
            &mut taps,
            "JS/3 (video with a transcript) on air, Cymraeg",
        );
        tap(&k, "[data-testid=language][data-lang=en]", &mut taps);
        k.wd.wait_for(
            "[data-testid=language][data-lang=en][aria-pressed=true]",
            Duration::from_secs(10),
        )
        .unwrap();
        // The DOM is laid out; wait until WebKit has painted it: the selected exhibit's row colour
        // (#17324f) appears only in the hearing view.
        let deadline = Instant::now() + Duration::from_secs(30);
        let shot = loop {
            let shot = k.xvfb.grab(0, 0, w, h).unwrap();
            let selected = shot
                .data
                .chunks_exact(3)
                .filter(|p| {
                    p[0].abs_diff(0x17) < 6 && p[1].abs_diff(0x32) < 6 && p[2].abs_diff(0x4f) < 6
                })
                .count();
            if selected > 5000 {
                break shot;
            }
            assert!(
                Instant::now() < deadline,
                "the surface never painted at {w}x{h}"
            );
            std::thread::sleep(Duration::from_millis(200));
        };
        shot.save_png(&k.shots.join(format!("layout-{w}x{h}.png")))
            .unwrap();
        println!(
            "RELIABILITY|surface|every_on_air_control_fits|{w}x{h}, five screens: every control for each kind on air and each group of its tools inside the viewport, uncovered (English, Welsh)|{}",
            checked.get()
        );
    }
}

/// One size of the control screen, and how many views were checked at it.
struct Size<'a> {
    w: u16,
    h: u16,
    checked: &'a Cell<u32>,
}

impl Size<'_> {
    /// Runs `FITS` on what the surface shows now; returns the tabs of the tools on show.
    fn fits(&self, k: &Kiosk, view: &str) -> Vec<String> {
        self.checked.set(self.checked.get() + 1);
        fits(k, self.w, self.h, view)
    }

    /// The kind on air, and each group of its tools in turn, with what a group grows to: a tool in
    /// hand shows the draw pad, a zoomed picture its pan buttons, a recording beside its clock's
    /// nudges. Returns the groups.
    fn every_group(&self, k: &Kiosk, taps: &mut u32, what: &str) -> Vec<String> {
        let tabs = self.fits(k, what);
        assert!(!tabs.is_empty(), "{what}: no tools");
        for group in &tabs {
            k.tools(group, taps);
            self.fits(k, &format!("{what}, {group}"));
            match group.as_str() {
                "marks" => {
                    // A playing recording's marks say to pause it (checked above); paused, they
                    // are its tools.
                    if !k
                        .wd
                        .find_all("[data-testid=play-pause][data-playing=true]")
                        .unwrap()
                        .is_empty()
                    {
                        tap(k, "[data-testid=play-pause]", taps);
                    }
                    k.wd.wait_for("[data-testid=tool-pen]", Duration::from_secs(10))
                        .unwrap();
                    self.fits(k, &format!("{what}, marks, paused"));
                    tap(k, "[data-testid=tool-pen]", taps);
                    k.wd.wait_for("[data-testid=draw-pad]", Duration::from_secs(5))
                        .unwrap();
                    self.fits(k, &format!("{what}, marks with the pen in hand"));
                    tap(k, "[data-testid=tool-pen]", taps);
                }
                "zoom" => {
                    tap(k, "[data-testid=zoom-in]", taps);
                    k.wd.wait_for("[data-testid=zoom-whole]", Duration::from_secs(10))
                        .unwrap();
                    self.fits(k, &format!("{what}, zoomed in"));
                    tap(k, "[data-testid=zoom-whole]", taps);
                }
                "beside" => {
                    choose_beside(k, "JS/8");
                    k.wd.wait_for("[data-testid=beside-offset]", Duration::from_secs(30))
                        .unwrap();
                    self.fits(k, &format!("{what}, JS/8 beside"));
                    choose_beside(k, "");
                }
                _ => {}
            }
        }
        tabs
    }
}

/// The side-by-side picker set to `exhibit` ("": none).
fn choose_beside(k: &Kiosk, exhibit: &str) {
    k.wd.execute(&format!(
        "const s = document.querySelector('[data-testid=beside-select]');
         s.value = '{exhibit}'; s.dispatchEvent(new Event('change', {{ bubbles: true }})); return true;"
    ))
    .unwrap();
}

/// Every control of the on-air column and the header inside a `w`x`h` window, uncovered, uncut
/// (`FITS`); returns the tabs of the tools on show.
pub(crate) fn fits(k: &Kiosk, w: u16, h: u16, view: &str) -> Vec<String> {
    let v = k.wd.execute(FITS).unwrap();
    println!(
        "{w}x{h} {view}: {} controls, tabs {}",
        v["checked"], v["tabs"]
    );
    assert_eq!(
        v["w"].as_u64(),
        Some(w as u64),
        "the window fills CONTROL: {v}"
    );
    assert_eq!(
        v["h"].as_u64(),
        Some(h as u64),
        "the window fills CONTROL: {v}"
    );
    assert!(
        v["scroll"].as_u64().unwrap() <= w as u64,
        "{view}: no sideways scrolling: {v}"
    );
    assert!(
        v["small"].as_array().unwrap().is_empty(),
        "{view}: touch targets: {}",
        v["small"]
    );
    assert!(
        v["bad"].as_array().unwrap().is_empty(),
        "{w}x{h} {view}: controls out of reach:\n{}",
        v["bad"]
    );
    v["tabs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}
