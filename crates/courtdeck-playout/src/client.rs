//! Spawns the playout process and supervises it.
//!
//! Requests get exactly one reply or a clear error (`playout_restarting`, `playout_unavailable`). When the
//! process dies the supervisor says so at once (`ClientEvent::Restarting`), starts a new one, configures
//! the same outputs (their windows come back on the standby slate) and says `ClientEvent::Restarted`. Nothing that was
//! on screen resumes by itself: the advocate presents again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use courtdeck_core::ErrorCode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command as ProcessCommand};
use tokio::sync::{Mutex, broadcast, oneshot};

use crate::protocol::{
    Command, Confinement, ConfinementStatus, DemoFile, Event, Monitor, OutputSpec,
    PROTOCOL_VERSION, Request, RoomSound, ScreenStats, WireError,
};

const HELLO_TIMEOUT: Duration = Duration::from_secs(15);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ClientError {
    pub code: ErrorCode,
    pub message: String,
}

impl ClientError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ClientError {
            code,
            message: message.into(),
        }
    }
}

impl From<WireError> for ClientError {
    fn from(e: WireError) -> Self {
        ClientError {
            code: ErrorCode::parse(&e.code).unwrap_or(ErrorCode::Internal),
            message: e.message,
        }
    }
}

#[derive(Debug, Clone)]
pub enum ClientEvent {
    Playout(Event),
    /// The process died; a new one is starting. Everything is idle; the screens come back on the standby slate.
    Restarting {
        reason: String,
    },
    /// A new process is up with the outputs configured again.
    Restarted {
        pid: u32,
    },
}

/// What a reply carries besides success.
#[derive(Debug, Default)]
struct ReplyData {
    stats: Option<Vec<ScreenStats>>,
    data: Option<serde_json::Value>,
}

type Pending = HashMap<u64, oneshot::Sender<Result<ReplyData, ClientError>>>;

#[derive(Debug)]
struct Live {
    /// Whole lines for the writer task, which alone owns the child's stdin: a request future dropped
    /// mid-write can therefore never leave half a line that corrupts the next request.
    lines: tokio::sync::mpsc::UnboundedSender<String>,
    pid: u32,
    confinement: Confinement,
}

#[derive(Debug)]
struct Inner {
    exe: PathBuf,
    env: Vec<(String, String)>,
    /// Screens blanked through this client. A restarted engine gets them with its Configure, so a
    /// screen the court blanked is black from the new process's first moment.
    blanked: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// The room's sound as the engine last accepted it, for a restarted engine's Configure.
    sound: std::sync::Mutex<RoomSound>,
    outputs: std::sync::Mutex<Vec<OutputSpec>>,
    live: Mutex<Option<Live>>,
    pending: std::sync::Mutex<Pending>,
    next_id: AtomicU64,
    events: broadcast::Sender<ClientEvent>,
    shutting_down: AtomicBool,
    /// False from a process's death until its replacement has configured the outputs: requests in that
    /// window are refused with `playout_restarting` instead of reaching a half-ready process.
    ready: AtomicBool,
}

/// A handle to the supervised playout process. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PlayoutClient {
    inner: Arc<Inner>,
}

/// Finds the `courtdeck-playout` binary: `$COURTDECK_PLAYOUT`, else beside the running executable (where
/// cargo and the package put it).
pub fn locate_playout_binary() -> Result<PathBuf, ClientError> {
    if let Some(p) = std::env::var_os("COURTDECK_PLAYOUT") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()
        .map_err(|e| ClientError::new(ErrorCode::PlayoutUnavailable, e.to_string()))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    // Test binaries live one level down, in target/<profile>/deps.
    for candidate in [
        dir.join("courtdeck-playout"),
        dir.join("../courtdeck-playout"),
    ] {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(ClientError::new(
        ErrorCode::PlayoutUnavailable,
        format!(
            "the playout engine (courtdeck-playout) was not found beside {}. Build it with `cargo build --workspace` \
             or set COURTDECK_PLAYOUT to its path.",
            exe.display()
        ),
    ))
}

/// The X11 monitors as RandR reports them, with their identities, asked of the playout binary (the app
/// links no X11). `env` is what the playout process is given (`COURTDECK_DRM_ROOT`).
pub fn monitors(env: &[(String, String)]) -> Result<Vec<Monitor>, ClientError> {
    run_tool(&["monitors"], env, Duration::from_secs(10))
}

/// Generates the demo store's media into `dir` with the playout binary's GStreamer encoders
/// (skipping files that already exist) and says what each file is.
pub fn demo_media(dir: &Path) -> Result<Vec<DemoFile>, ClientError> {
    let dir = dir.to_str().ok_or_else(|| {
        ClientError::new(
            ErrorCode::Internal,
            format!("the demo media folder {} is not UTF-8", dir.display()),
        )
    })?;
    run_tool(&["demo-media", dir], &[], Duration::from_secs(600))
}

/// Runs one of the playout binary's one-shot tool modes and reads the JSON document it prints.
/// Blocking; killed after `timeout`.
fn run_tool<T: serde::de::DeserializeOwned>(
    args: &[&str],
    env: &[(String, String)],
    timeout: Duration,
) -> Result<T, ClientError> {
    let exe = locate_playout_binary()?;
    let failed = |what: String| {
        ClientError::new(
            ErrorCode::PlayoutUnavailable,
            format!("courtdeck-playout {}: {what}", args.join(" ")),
        )
    };
    let child = std::process::Command::new(&exe)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("could not start {}: {e}", exe.display())))?;
    let pid = child.id();
    // Both pipes are drained while the tool runs (a chatty stderr must not fill its pipe and stall it).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(timeout) {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(failed(e.to_string())),
        Err(_) => {
            if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            return Err(failed(format!("no answer in {} s", timeout.as_secs())));
        }
    };
    let (status, out, err) = (
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    if !status.success() {
        // The last log line says why (e.g. "playout failed: cannot open display").
        let why = err
            .lines()
            .last()
            .unwrap_or("no message")
            .trim()
            .to_string();
        return Err(failed(format!("{status}: {why}")));
    }
    serde_json::from_str(out.trim()).map_err(|e| failed(format!("unreadable answer: {e}")))
}

impl PlayoutClient {
    /// Starts the playout process and configures `outputs`.
    pub async fn start(
        exe: PathBuf,
        outputs: Vec<OutputSpec>,
    ) -> Result<PlayoutClient, ClientError> {
        Self::start_with(exe, outputs, Vec::new()).await
    }

    /// As `start`, with variables set in the process's environment (and every restart's), such as
    /// `COURTDECK_AUDIO_SINK` (the audio output, a GStreamer description) or `DISPLAY`.
    pub async fn start_with(
        exe: PathBuf,
        outputs: Vec<OutputSpec>,
        env: Vec<(String, String)>,
    ) -> Result<PlayoutClient, ClientError> {
        let (events, _) = broadcast::channel(1024);
        let client = PlayoutClient {
            inner: Arc::new(Inner {
                exe,
                env,
                blanked: std::sync::Mutex::new(Default::default()),
                sound: std::sync::Mutex::new(RoomSound::default()),
                outputs: std::sync::Mutex::new(outputs),
                live: Mutex::new(None),
                pending: std::sync::Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                events,
                shutting_down: AtomicBool::new(false),
                ready: AtomicBool::new(false),
            }),
        };
        let child = client.spawn_child().await?;
        client.configure_current(false).await?;
        client.inner.ready.store(true, Ordering::SeqCst);
        tokio::spawn(client.clone().supervise(child));
        Ok(client)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ClientEvent> {
        self.inner.events.subscribe()
    }

    pub async fn pid(&self) -> Option<u32> {
        self.inner.live.lock().await.as_ref().map(|l| l.pid)
    }

    /// How the running playout process is confined (from its `Hello`); `None` while none runs.
    pub async fn confinement(&self) -> Option<Confinement> {
        self.inner
            .live
            .lock()
            .await
            .as_ref()
            .map(|l| l.confinement.clone())
    }

    /// Sends a command and waits for its reply.
    ///
    /// A blank is remembered even when the engine is restarting (blanking is always honoured: the new
    /// engine starts with it); an unblank only once the engine has done it.
    pub async fn request(&self, command: Command) -> Result<Option<Vec<ScreenStats>>, ClientError> {
        let unblank = match &command {
            Command::Blank { screen, blank } => {
                if *blank {
                    self.inner
                        .blanked
                        .lock()
                        .expect("blanked")
                        .insert(screen.clone());
                }
                (!*blank).then(|| screen.clone())
            }
            Command::BlankAll => {
                let ids: Vec<String> = self
                    .inner
                    .outputs
                    .lock()
                    .expect("outputs")
                    .iter()
                    .map(|o| o.id.clone())
                    .collect();
                self.inner.blanked.lock().expect("blanked").extend(ids);
                None
            }
            _ => None,
        };
        if !self.inner.ready.load(Ordering::SeqCst) {
            return Err(restarting());
        }
        let sound = match command {
            Command::SetVolume { volume } => Some((Some(volume), None)),
            Command::SetMute { mute } => Some((None, Some(mute))),
            _ => None,
        };
        let reply = self.send(command).await?;
        if let Some(screen) = unblank {
            self.inner.blanked.lock().expect("blanked").remove(&screen);
        }
        // Remembered once the engine accepted it (it refuses a level out of range).
        if let Some((volume, muted)) = sound {
            let mut room = self.inner.sound.lock().expect("sound");
            room.volume = volume.unwrap_or(room.volume);
            room.muted = muted.unwrap_or(room.muted);
        }
        Ok(reply.stats)
    }

    /// A check command whose reply carries a typed result (`TestCard`, `Discover`, `Inventory`).
    pub async fn request_data<T: serde::de::DeserializeOwned>(
        &self,
        command: Command,
    ) -> Result<T, ClientError> {
        if !self.inner.ready.load(Ordering::SeqCst) {
            return Err(restarting());
        }
        let reply = self.send(command).await?;
        serde_json::from_value(reply.data.unwrap_or_default()).map_err(|e| {
            ClientError::new(
                ErrorCode::Internal,
                format!("the playout engine's reply was not understood: {e}"),
            )
        })
    }

    /// Sends without the readiness check: for the supervisor's own Configure of a new process.
    async fn send(&self, command: Command) -> Result<ReplyData, ClientError> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.inner.pending.lock().expect("pending").insert(id, tx);
        let mut line = serde_json::to_string(&Request { id, command }).expect("requests serialise");
        line.push('\n');
        {
            let live = self.inner.live.lock().await;
            if live.as_ref().is_none_or(|l| l.lines.send(line).is_err()) {
                self.inner.pending.lock().expect("pending").remove(&id);
                return Err(restarting());
            }
        }
        match tokio::time::timeout(REQUEST_TIMEOUT, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(restarting()),
            Err(_) => {
                self.inner.pending.lock().expect("pending").remove(&id);
                // A hung engine is as bad as a dead one: kill it, and the supervisor starts a new one.
                if let Some(pid) = self.pid().await {
                    tracing::error!(pid, "playout did not answer in time; killing it");
                    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                    }
                }
                Err(ClientError::new(
                    ErrorCode::PlayoutRestarting,
                    "The playout engine stopped answering and is being restarted. Nothing is on the screens; present the exhibit again in a moment.",
                ))
            }
        }
    }

    pub async fn configure(&self, outputs: Vec<OutputSpec>) -> Result<(), ClientError> {
        *self.inner.outputs.lock().expect("outputs") = outputs;
        self.inner.blanked.lock().expect("blanked").clear();
        self.configure_current(false).await
    }

    /// Configures the remembered outputs and blanks; `standby` (after a restart) puts the standby
    /// slate up on the screens that are not blanked.
    async fn configure_current(&self, standby: bool) -> Result<(), ClientError> {
        let outputs = self.inner.outputs.lock().expect("outputs").clone();
        let blanked = self
            .inner
            .blanked
            .lock()
            .expect("blanked")
            .iter()
            .cloned()
            .collect();
        let sound = *self.inner.sound.lock().expect("sound");
        self.send(Command::Configure {
            outputs,
            standby,
            blanked,
            sound,
        })
        .await
        .map(|_| ())
    }

    pub async fn shutdown(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        let _ = tokio::time::timeout(Duration::from_secs(3), self.request(Command::Shutdown)).await;
        *self.inner.live.lock().await = None;
    }

    /// Spawns a process, waits for its Hello, starts its reader; returns the child to supervise.
    async fn spawn_child(&self) -> Result<Child, ClientError> {
        let unavailable = |m: String| ClientError::new(ErrorCode::PlayoutUnavailable, m);
        let mut child = ProcessCommand::new(&self.inner.exe)
            // Two malloc arenas, not one per streaming thread: with `malloc_trim` after each
            // teardown this keeps a day of exhibit switches from growing the process (BENCHMARKS.md).
            .env("MALLOC_ARENA_MAX", "2")
            // The session bus is how the keyring is reached, and Landlock cannot close a socket
            // reached by its path: playout is not told where it is.
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .envs(self.inner.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| unavailable(format!("cannot start {}: {e}", self.inner.exe.display())))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let hello = tokio::time::timeout(HELLO_TIMEOUT, lines.next_line())
            .await
            .map_err(|_| unavailable("the playout engine did not start in time".into()))?
            .map_err(|e| unavailable(e.to_string()))?
            .ok_or_else(|| unavailable("the playout engine exited at start; see its log".into()))?;
        let (pid, confinement) = match serde_json::from_str::<Event>(&hello) {
            Ok(Event::Hello {
                protocol_version,
                pid,
                confinement,
            }) if protocol_version == PROTOCOL_VERSION => {
                if confinement.status == ConfinementStatus::Refused {
                    return Err(unavailable(format!(
                        "the playout engine will not run unconfined: {}",
                        confinement.detail
                    )));
                }
                (pid, confinement)
            }
            Ok(Event::Hello {
                protocol_version, ..
            }) => {
                return Err(unavailable(format!(
                    "the playout engine speaks protocol {protocol_version}, this app {PROTOCOL_VERSION}: reinstall Courtdeck"
                )));
            }
            _ => {
                return Err(unavailable(format!(
                    "the playout engine said {hello:?} instead of hello"
                )));
            }
        };
        match confinement.status {
            ConfinementStatus::Full => {
                tracing::info!(pid, "playout confined: {}", confinement.detail)
            }
            _ => {
                tracing::warn!(pid, status = ?confinement.status, "playout confinement: {}", confinement.detail)
            }
        }
        let (to_stdin, mut queue) = tokio::sync::mpsc::unbounded_channel::<String>();
        let mut stdin: ChildStdin = stdin;
        tokio::spawn(async move {
            while let Some(line) = queue.recv().await {
                if stdin.write_all(line.as_bytes()).await.is_err() || stdin.flush().await.is_err() {
                    break;
                }
            }
        });
        *self.inner.live.lock().await = Some(Live {
            lines: to_stdin,
            pid,
            confinement,
        });
        let inner = self.inner.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Event>(&line) {
                    Ok(Event::Reply {
                        id,
                        error,
                        stats,
                        data,
                    }) => {
                        if let Some(tx) = inner.pending.lock().expect("pending").remove(&id) {
                            let _ = tx.send(match error {
                                Some(e) => Err(e.into()),
                                None => Ok(ReplyData { stats, data }),
                            });
                        }
                    }
                    Ok(event) => {
                        let _ = inner.events.send(ClientEvent::Playout(event));
                    }
                    Err(e) => tracing::warn!("unreadable line from playout: {e}: {line}"),
                }
            }
        });
        tracing::info!(pid, "playout process started");
        Ok(child)
    }

    /// Waits for the child to exit; unless shutting down, restarts it and re-configures the outputs.
    async fn supervise(self, mut child: Child) {
        loop {
            let status = child.wait().await;
            self.inner.ready.store(false, Ordering::SeqCst);
            *self.inner.live.lock().await = None;
            for (_, tx) in self.inner.pending.lock().expect("pending").drain() {
                let _ = tx.send(Err(restarting()));
            }
            if self.inner.shutting_down.load(Ordering::SeqCst) {
                return;
            }
            let reason = match status {
                Ok(s) => format!("the playout engine stopped ({s})"),
                Err(e) => format!("the playout engine was lost: {e}"),
            };
            tracing::error!("{reason}; restarting it");
            let _ = self.inner.events.send(ClientEvent::Restarting { reason });
            let mut delay = Duration::from_millis(100);
            child = loop {
                match self.spawn_child().await {
                    Ok(c) => break c,
                    Err(e) => {
                        tracing::error!("restart failed: {e}");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            };
            if let Err(e) = self.configure_current(true).await {
                tracing::error!("re-configuring outputs after a restart failed: {e}");
            }
            self.inner.ready.store(true, Ordering::SeqCst);
            let pid = self.pid().await.unwrap_or_default();
            let _ = self.inner.events.send(ClientEvent::Restarted { pid });
        }
    }
}

fn restarting() -> ClientError {
    ClientError::new(
        ErrorCode::PlayoutRestarting,
        "The playout engine is restarting. Nothing is on the screens; present the exhibit again in a moment.",
    )
}
