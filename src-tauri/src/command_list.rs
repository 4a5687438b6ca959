// The control surface's commands, declared once. `build.rs` includes this file for the app manifest
// (Tauri then checks every call against the capability), `main.rs` for `generate_handler!`, and
// `sourcegen.rs` generates from it and from `commands.rs` the capability file and the surface's
// `ui/src/lib/generated/commands.ts` (each command's arguments and result). Adding a command: its
// one-line function in `commands.rs`, its name here, `UPDATE_GENERATED=1 cargo test -p courtdeck-app
// sourcegen`, and its call in `api.ts` (a test in `main.rs` fails until the surface calls it).
macro_rules! app_commands {
    ($then:ident) => {
        $then!(
            today,
            week_ahead,
            save_week_reports,
            launch,
            hearing,
            stage,
            select,
            present,
            hold,
            play,
            pause,
            seek,
            step,
            set_rate,
            play_clip,
            blank,
            blank_all,
            withdraw,
            run_checks,
            set_thumbnails,
            set_volume,
            set_mute,
            zoom,
            zoom_to_box,
            turn_page,
            annotate,
            clear_annotations,
            keep_marked,
            page_posters,
            transcript,
            set_captions,
            play_designation,
            set_beside
        )
    };
}
