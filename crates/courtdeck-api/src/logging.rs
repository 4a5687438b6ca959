//! Logging: human lines to stderr and JSON lines to `<state dir>/logs/<app>.log.json`; `RUST_LOG`
//! honoured (default `info`; a command-line tool may show only warnings on stderr, so its output stays
//! readable, while the file keeps `info`). Secrets never reach here: they are `courtdeck_store::Secret`,
//! whose `Debug` and `Display` print `<redacted>`.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keep the guard alive for the life of the program, or buffered lines are lost.
pub fn init(app: &str) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    init_with(app, "info")
}

/// As `init`, with `stderr_default` as the stderr level when `RUST_LOG` is not set.
pub fn init_with(
    app: &str,
    stderr_default: &str,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(stderr_default)),
        );
    let dir = crate::config::dirs()
        .map(|d| d.state_dir().unwrap_or(d.data_local_dir()).join("logs"))
        .filter(|d| std::fs::create_dir_all(d).is_ok());
    match dir {
        Some(dir) => {
            let (writer, guard) = tracing_appender::non_blocking(tracing_appender::rolling::never(
                dir,
                format!("{app}.log.json"),
            ));
            let json = tracing_subscriber::fmt::layer()
                .json()
                .with_writer(writer)
                .with_filter(filter());
            let _ = tracing_subscriber::registry()
                .with(stderr)
                .with(json)
                .try_init();
            Some(guard)
        }
        None => {
            let _ = tracing_subscriber::registry().with(stderr).try_init();
            None
        }
    }
}
