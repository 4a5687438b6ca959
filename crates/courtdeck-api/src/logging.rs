//! Logging: human lines to stderr and JSON lines to `<state dir>/logs/<app>.log.json`; `RUST_LOG`
//! honoured (default `info`). Secrets never reach here: they are `Sensitive<T>`, whose Debug is redacted.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keep the guard alive for the life of the program, or buffered lines are lost.
pub fn init(app: &str) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(filter());
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
