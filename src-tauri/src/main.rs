//! The Courtdeck kiosk app. The webview is the control surface only; video plays in the supervised
//! playout process, never here. Every command is a one-line call into `courtdeck_api::Courtdeck`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
include!("command_list.rs");
#[cfg(test)]
mod sourcegen;

/// `generate_handler!` over the declared commands.
macro_rules! handlers {
    ($($command:ident),*) => {
        tauri::generate_handler![$(commands::$command),*]
    };
}

use std::sync::Arc;

use courtdeck_api::{Config, Courtdeck};
use tauri::{Emitter, Manager};

/// The one event channel to the control surface; payloads are `courtdeck_api::json::UiEvent`.
pub const EVENT: &str = "courtdeck:event";

/// Puts the control surface on its monitor, filling it (see `Courtdeck::control_placement`).
fn place_control_window(win: &tauri::WebviewWindow, deck: &Courtdeck) {
    if let Some(p) = deck.control_placement() {
        let _ = win.set_position(tauri::PhysicalPosition::new(p.x, p.y));
        let _ = win.set_size(tauri::PhysicalSize::new(p.width, p.height));
    }
}

/// Tells systemd the app is alive every `every`, but only while both halves answer: the GTK main
/// loop (a round trip through it) and the facade (its session can be taken). A hung app stops the
/// pings and systemd restarts it (`WatchdogSec=` in the kiosk unit).
fn watchdog(handle: tauri::AppHandle, every: std::time::Duration) {
    let spawned = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                let (tx, rx) = std::sync::mpsc::channel();
                let main_loop = handle
                    .run_on_main_thread(move || {
                        let _ = tx.send(());
                    })
                    .is_ok()
                    && rx.recv_timeout(every).is_ok();
                let deck = handle.state::<Arc<Courtdeck>>().inner().clone();
                let facade = tauri::async_runtime::block_on(deck.responsive(every));
                if main_loop && facade {
                    courtdeck_api::systemd::notify("WATCHDOG=1");
                } else {
                    tracing::error!(
                        main_loop,
                        facade,
                        "the app is not answering: no watchdog ping"
                    );
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("no systemd watchdog: {e}");
    }
}

fn main() -> std::process::ExitCode {
    let _guard = courtdeck_api::logging::init("courtdeck-app");
    // One tokio runtime, owned here and lent to Tauri.
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    tauri::async_runtime::set(runtime.handle().clone());

    let deck = match runtime.block_on(async { Courtdeck::open(Config::load(None)?).await }) {
        Ok(deck) => deck,
        Err(e) => {
            eprintln!("courtdeck-app: {} [{}]", e.message, e.code);
            return std::process::ExitCode::FAILURE;
        }
    };

    runtime.block_on(async { deck.prefetch_today_in_background() });

    let app = tauri::Builder::default()
        .manage(deck.clone())
        .invoke_handler(app_commands!(handlers))
        .on_page_load(|webview, payload| {
            // The surface is interactive once its page has loaded: that is when systemd may count the
            // kiosk as started (and the cold-start benchmark stops its clock).
            // Once per process: a reload of the page is not a new start.
            static READY: std::sync::Once = std::sync::Once::new();
            if webview.label() == "main"
                && payload.event() == tauri::webview::PageLoadEvent::Finished
            {
                READY.call_once(|| {
                    tracing::info!("control surface ready");
                    courtdeck_api::systemd::notify("READY=1");
                });
            }
        })
        .setup(|app| {
            if let Some(win) = app.get_webview_window("main") {
                place_control_window(&win, &app.state::<Arc<Courtdeck>>());
            }
            if let Some(every) = courtdeck_api::systemd::watchdog_interval() {
                watchdog(app.handle().clone(), every);
            }
            let handle = app.handle().clone();
            let mut events = app.state::<Arc<Courtdeck>>().subscribe();
            tauri::async_runtime::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(ev) => {
                            let _ = handle.emit(EVENT, ev);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    }
                }
            });
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("courtdeck-app: cannot start the control surface: {e}");
            runtime.block_on(deck.shutdown());
            return std::process::ExitCode::FAILURE;
        }
    };
    app.run(move |_, event| {
        if let tauri::RunEvent::Exit = event {
            tauri::async_runtime::block_on(deck.shutdown());
        }
    });
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    macro_rules! names {
        ($($command:ident),*) => {
            vec![$(stringify!($command)),*]
        };
    }

    /// The capability grants exactly the declared commands (plus listening to events), and the
    /// surface's `api.ts` calls exactly those: a command added in one place and not the others fails
    /// here, not at a courtroom.
    #[test]
    fn the_commands_are_declared_once_and_granted_and_called_as_declared() {
        let declared: std::collections::BTreeSet<String> =
            app_commands!(names).into_iter().map(String::from).collect();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let capability: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("capabilities/default.json")).unwrap(),
        )
        .unwrap();
        let granted: std::collections::BTreeSet<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .filter(|p| !p.starts_with("core:event:"))
            .map(|p| p.strip_prefix("allow-").unwrap().replace('-', "_"))
            .collect();
        assert_eq!(granted, declared, "capabilities/default.json");
        let api = std::fs::read_to_string(dir.join("../ui/src/lib/api.ts")).unwrap();
        let called: std::collections::BTreeSet<String> = ["call(\"", "ordered(\""]
            .iter()
            .flat_map(|opener| api.split(opener).skip(1))
            .filter_map(|rest| rest.split('"').next())
            .map(String::from)
            .collect();
        assert_eq!(called, declared, "ui/src/lib/api.ts");
    }
}
