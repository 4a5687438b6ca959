//! The playout process. Spawned and supervised by the Courtdeck app and CLI; speaks
//! `courtdeck_playout::protocol` on stdin/stdout. Logs go to stderr.

fn main() -> std::process::ExitCode {
    courtdeck_engine::server::main()
}
