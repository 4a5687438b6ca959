// Declaring the app's commands makes Tauri check every call against the capability files: a command not
// granted in `capabilities/default.json` is refused, whatever the webview tries.
fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build");
}

const COMMANDS: &[&str] = &[
    "today",
    "launch",
    "hearing",
    "stage",
    "select",
    "present",
    "play",
    "pause",
    "seek",
    "step",
    "set_rate",
    "play_clip",
    "blank",
    "blank_all",
    "withdraw",
    "run_checks",
    "set_thumbnails",
    "set_volume",
    "set_mute",
    "zoom",
];
