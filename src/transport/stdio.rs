//! Agents as subprocesses: NDJSON over the child's stdin/stdout, stderr captured to a log file
//! (capped and rotated; its tail kept in memory for error messages), each agent in its own
//! process group so that ending it also ends whatever it started. When the agent's leader
//! process exits, whatever it left behind in its group is killed too.
//!
//! Reading stops while the consumer is behind (the channels are bounded), so a flooding agent
//! simply waits on its stdout pipe. Frames that cannot be delivered (over the size cap, not
//! UTF-8) are reported as [`Inbound::Skipped`] so the user sees them. No blocking file I/O
//! runs on the async runtime: the stderr log is written through `tokio::fs`.
//!
//! Also the agent side of stdio ([`own_stdio`]) used by the built-in demo agent.

use crate::wire::codec::{Frame, FrameReader, DEFAULT_MAX_FRAME};
use crate::wire::{Inbound, Transport, CAPACITY};
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, watch};

/// How many bytes of an agent's stderr are kept for error messages.
const STDERR_TAIL: usize = 2048;

/// The stderr log is rotated (to `<name>.1`, replacing an older one) past this size, so an
/// agent that floods stderr costs at most twice this on disk.
pub const STDERR_LOG_CAP: u64 = 4 * 1024 * 1024;

/// Process groups of agents this process started and has not yet seen exit, so that every
/// exit path (including a panic) can end them: agents do not always exit when stdin closes.
static LIVE_GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

fn live_groups() -> std::sync::MutexGuard<'static, Vec<i32>> {
    LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Kills every agent process group still running. Call on the way out of the program.
pub fn kill_all_agents() {
    for pgid in live_groups().drain(..) {
        signal_group(pgid, libc::SIGKILL);
    }
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
}

/// A running agent process. Dropping it does not kill the agent; call [`AgentProcess::terminate`].
pub struct AgentProcess {
    pid: i32,
    exit: watch::Receiver<Option<ExitStatus>>,
    stderr_tail: Arc<Mutex<VecDeque<u8>>>,
    pub stderr_log: PathBuf,
    /// Why the stderr log is not kept, when it is not (the agent runs anyway; its last
    /// stderr bytes are still kept for error messages).
    pub stderr_log_problem: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
}

/// Starts `cmd` in `cwd` in a new process group and connects a transport to its stdio.
pub fn spawn(
    cmd: &AgentCommand,
    cwd: &Path,
    stderr_log: &Path,
) -> Result<(AgentProcess, Transport), SpawnError> {
    let opened = stderr_log
        .parent()
        .map_or(Ok(()), |dir| {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))
        })
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(stderr_log)
                .map_err(|e| format!("cannot open {}: {e}", stderr_log.display()))
        });
    let (log, log_problem) = match opened {
        Ok(f) => (Some(f), None),
        Err(e) => {
            tracing::warn!(error = %e, "the agent's stderr is not logged");
            (None, Some(format!("the agent's stderr is not logged: {e}")))
        }
    };
    let mut command = Command::new(&cmd.program);
    command
        .args(&cmd.args)
        .envs(&cmd.env)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    let mut child = command.spawn().map_err(|source| SpawnError::Spawn {
        program: cmd.program.display().to_string(),
        source,
    })?;
    let pid = child.id().map(|p| p as i32).unwrap_or(-1);
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.start_kill();
        return Err(SpawnError::Spawn {
            program: cmd.program.display().to_string(),
            source: std::io::Error::other("the child's stdio was not piped"),
        });
    };

    let (exit_tx, exit_rx) = watch::channel(None);
    live_groups().push(pid);
    tokio::spawn(async move {
        let status = child.wait().await.ok();
        // The leader is gone: end whatever it left running in its group, and forget the
        // group so a later exit path never signals a reused id.
        signal_group(pid, libc::SIGKILL);
        live_groups().retain(|p| *p != pid);
        let _ = exit_tx.send(status);
    });

    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL)));
    let log = log.map(|file| StderrLog {
        path: stderr_log.to_owned(),
        len: file.metadata().map(|m| m.len()).unwrap_or(0),
        file: tokio::fs::File::from_std(file),
    });
    tokio::spawn(capture_stderr(stderr, log, tail.clone()));

    let (out_tx, out_rx) = mpsc::channel(CAPACITY);
    let (in_tx, in_rx) = mpsc::channel(CAPACITY);
    tokio::spawn(write_lines(stdin, out_rx));
    let exit = exit_rx.clone();
    let tail_for_reader = tail.clone();
    tokio::spawn(async move {
        read_lines(stdout, &in_tx).await;
        let reason = exit_reason(exit, &tail_for_reader).await;
        let _ = in_tx.send(Inbound::Closed(reason)).await;
    });

    Ok((
        AgentProcess {
            pid,
            exit: exit_rx,
            stderr_tail: tail,
            stderr_log: stderr_log.to_owned(),
            stderr_log_problem: log_problem,
        },
        Transport {
            outgoing: out_tx,
            incoming: in_rx,
        },
    ))
}

impl AgentProcess {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The exit status once the process has exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        *self.exit.borrow()
    }

    /// The last bytes the agent wrote to stderr, lossily decoded.
    pub fn stderr_tail(&self) -> String {
        tail_string(&self.stderr_tail)
    }

    /// Waits until the process exits.
    pub async fn wait(&self) -> Option<ExitStatus> {
        let mut rx = self.exit.clone();
        let result = rx.wait_for(|s| s.is_some()).await;
        result.ok().and_then(|s| *s)
    }

    /// Kills the whole process group at once.
    pub fn kill(&self) {
        signal_group(self.pid, libc::SIGKILL);
        live_groups().retain(|p| *p != self.pid);
    }

    /// Asks the process group to stop (SIGTERM), then kills it after `grace`.
    pub async fn terminate(&self, grace: Duration) {
        if self.exit_status().is_some() {
            // The leader is gone; its children may not be.
            signal_group(self.pid, libc::SIGKILL);
            return;
        }
        signal_group(self.pid, libc::SIGTERM);
        if tokio::time::timeout(grace, self.wait()).await.is_err() {
            tracing::warn!(
                pid = self.pid,
                "agent ignored SIGTERM; killing its process group"
            );
        }
        signal_group(self.pid, libc::SIGKILL);
    }
}

fn signal_group(pid: i32, signal: i32) {
    if pid > 0 {
        // SAFETY: kill(2) with a negative pid signals the process group we created; no memory
        // is shared and an invalid group only yields ESRCH.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

pub(super) async fn write_lines<W: AsyncWrite + Unpin>(mut w: W, mut rx: mpsc::Receiver<String>) {
    let mut buf = Vec::new();
    while let Some(line) = rx.recv().await {
        buf.clear();
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        // Batch whatever else is already queued into the same write.
        while let Ok(more) = rx.try_recv() {
            buf.extend_from_slice(more.as_bytes());
            buf.push(b'\n');
            if buf.len() > 1 << 20 {
                break;
            }
        }
        if w.write_all(&buf).await.is_err() || w.flush().await.is_err() {
            return;
        }
    }
}

pub(super) async fn read_lines<R: AsyncRead + Unpin>(r: R, tx: &mpsc::Sender<Inbound>) {
    let mut frames = FrameReader::new(BufReader::with_capacity(64 * 1024, r), DEFAULT_MAX_FRAME);
    loop {
        let item = match frames.next().await {
            Ok(Some(Frame::Line(line))) => Inbound::Line(line),
            Ok(Some(Frame::Oversized(n))) => {
                tracing::warn!(bytes = n, "skipped an oversized frame");
                Inbound::Skipped(format!(
                    "skipped a frame of {} from the agent: it is over the {} MiB limit",
                    human_bytes(n),
                    DEFAULT_MAX_FRAME >> 20
                ))
            }
            Ok(Some(Frame::InvalidUtf8)) => {
                tracing::warn!("skipped a frame that is not UTF-8");
                Inbound::Skipped("skipped a frame from the agent that is not UTF-8".into())
            }
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "reading frames failed");
                return;
            }
        };
        // Waits while the consumer is behind: the agent then waits on its stdout pipe.
        if tx.send(item).await.is_err() {
            return;
        }
    }
}

fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else {
        format!("{n} bytes")
    }
}

/// The agent's stderr log file, rotated past [`STDERR_LOG_CAP`].
struct StderrLog {
    path: PathBuf,
    file: tokio::fs::File,
    len: u64,
}

impl StderrLog {
    async fn write(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt as _;
        if self.len + bytes.len() as u64 > STDERR_LOG_CAP && self.len > 0 {
            let _ = self.file.flush().await;
            let mut old = self.path.clone().into_os_string();
            old.push(".1");
            let reopened = match tokio::fs::rename(&self.path, &old).await {
                Ok(()) => {
                    tokio::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&self.path)
                        .await
                }
                Err(e) => Err(e),
            };
            match reopened {
                Ok(f) => {
                    self.file = f;
                    self.len = 0;
                }
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "cannot rotate the agent's stderr log; dropping its output");
                    self.len = u64::MAX / 2;
                    return;
                }
            }
        }
        if self.len >= STDERR_LOG_CAP {
            return;
        }
        if self.file.write_all(bytes).await.is_ok() {
            let _ = self.file.flush().await;
            self.len += bytes.len() as u64;
        }
    }
}

async fn capture_stderr<R: AsyncRead + Unpin>(
    mut r: R,
    mut log: Option<StderrLog>,
    tail: Arc<Mutex<VecDeque<u8>>>,
) {
    let mut buf = vec![0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                {
                    let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                    t.extend(&buf[..n]);
                    let excess = t.len().saturating_sub(STDERR_TAIL);
                    t.drain(..excess);
                }
                if let Some(log) = log.as_mut() {
                    log.write(&buf[..n]).await;
                }
            }
        }
    }
}

fn tail_string(tail: &Mutex<VecDeque<u8>>) -> String {
    let t = tail.lock().unwrap_or_else(|e| e.into_inner());
    let bytes: Vec<u8> = t.iter().copied().collect();
    String::from_utf8_lossy(&bytes).trim().to_string()
}

/// Waits briefly for the exit status, then describes how the agent ended.
async fn exit_reason(
    mut exit: watch::Receiver<Option<ExitStatus>>,
    tail: &Mutex<VecDeque<u8>>,
) -> String {
    let status = tokio::time::timeout(Duration::from_secs(3), exit.wait_for(|s| s.is_some()))
        .await
        .ok()
        .and_then(|r| r.ok().and_then(|s| *s));
    // Give the stderr reader a moment to drain what the agent wrote last.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut reason = match status {
        Some(s) => format!("agent exited ({})", describe_status(s)),
        None => "agent closed its output".to_string(),
    };
    let stderr = crate::sanitize::sanitize(&tail_string(tail));
    if !stderr.is_empty() {
        let last: Vec<&str> = stderr.lines().rev().take(5).collect();
        let last: Vec<&str> = last.into_iter().rev().collect();
        reason.push_str(": ");
        reason.push_str(&last.join(" | "));
    }
    reason
}

/// "exit status 3" or "killed by signal 9".
pub fn describe_status(s: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => "unknown status".into(),
    }
}

/// The agent side: this process's own stdin and stdout as a transport.
pub fn own_stdio() -> Transport {
    let (out_tx, out_rx) = mpsc::channel(CAPACITY);
    let (in_tx, in_rx) = mpsc::channel(CAPACITY);
    tokio::spawn(write_lines(tokio::io::stdout(), out_rx));
    tokio::spawn(async move {
        read_lines(tokio::io::stdin(), &in_tx).await;
        let _ = in_tx
            .send(Inbound::Closed("client closed stdin".into()))
            .await;
    });
    Transport {
        outgoing: out_tx,
        incoming: in_rx,
    }
}
