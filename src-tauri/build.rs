// Declaring the app's commands makes Tauri check every call against the capability files: a command not
// granted in `capabilities/default.json` is refused, whatever the webview tries.
fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build");
}

include!("src/command_list.rs");

macro_rules! names {
    ($($command:ident),*) => {
        &[$(stringify!($command)),*]
    };
}

const COMMANDS: &[&str] = app_commands!(names);
