//! Agents as subprocesses: NDJSON over the child's stdin/stdout, stderr captured to a log file
//! (and its tail kept in memory for error messages), each agent in its own process group so
//! that ending it also ends whatever it started.
//!
//! Also the agent side of stdio ([`own_stdio`]) used by the built-in demo agent.

use super::{Inbound, Transport};
use crate::protocol::codec::{Frame, FrameReader, DEFAULT_MAX_FRAME};
use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, watch};

/// How many bytes of an agent's stderr are kept for error messages.
const STDERR_TAIL: usize = 2048;

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
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("cannot open the stderr log {path}: {source}")]
    Log {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Starts `cmd` in `cwd` in a new process group and connects a transport to its stdio.
pub fn spawn(
    cmd: &AgentCommand,
    cwd: &Path,
    stderr_log: &Path,
) -> Result<(AgentProcess, Transport), SpawnError> {
    if let Some(dir) = stderr_log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(stderr_log)
        .map_err(|source| SpawnError::Log {
            path: stderr_log.to_owned(),
            source,
        })?;
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
    let stdin = child.stdin.take().expect("stdin piped");
    let stdout = child.stdout.take().expect("stdout piped");
    let stderr = child.stderr.take().expect("stderr piped");

    let (exit_tx, exit_rx) = watch::channel(None);
    live_groups().push(pid);
    tokio::spawn(async move {
        let status = child.wait().await.ok();
        let _ = exit_tx.send(status);
    });

    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL)));
    tokio::spawn(capture_stderr(stderr, log, tail.clone()));

    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    tokio::spawn(write_lines(stdin, out_rx));
    let exit = exit_rx.clone();
    let tail_for_reader = tail.clone();
    tokio::spawn(async move {
        read_lines(stdout, &in_tx).await;
        let reason = exit_reason(exit, &tail_for_reader).await;
        let _ = in_tx.send(Inbound::Closed(reason));
    });

    Ok((
        AgentProcess {
            pid,
            exit: exit_rx,
            stderr_tail: tail,
            stderr_log: stderr_log.to_owned(),
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

async fn write_lines<W: AsyncWrite + Unpin>(mut w: W, mut rx: mpsc::UnboundedReceiver<String>) {
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

async fn read_lines<R: AsyncRead + Unpin>(r: R, tx: &mpsc::UnboundedSender<Inbound>) {
    let mut frames = FrameReader::new(BufReader::with_capacity(64 * 1024, r), DEFAULT_MAX_FRAME);
    loop {
        match frames.next().await {
            Ok(Some(Frame::Line(line))) => {
                if tx.send(Inbound::Line(line)).is_err() {
                    return;
                }
            }
            Ok(Some(Frame::Oversized(n))) => {
                tracing::warn!(bytes = n, "skipped an oversized frame")
            }
            Ok(Some(Frame::InvalidUtf8)) => tracing::warn!("skipped a frame that is not UTF-8"),
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "reading frames failed");
                return;
            }
        }
    }
}

async fn capture_stderr<R: AsyncRead + Unpin>(
    mut r: R,
    mut log: std::fs::File,
    tail: Arc<Mutex<VecDeque<u8>>>,
) {
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let _ = log.write_all(&buf[..n]);
                let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                t.extend(&buf[..n]);
                let excess = t.len().saturating_sub(STDERR_TAIL);
                t.drain(..excess);
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
    let stderr = tail_string(tail);
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
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    tokio::spawn(write_lines(tokio::io::stdout(), out_rx));
    tokio::spawn(async move {
        read_lines(tokio::io::stdin(), &in_tx).await;
        let _ = in_tx.send(Inbound::Closed("client closed stdin".into()));
    });
    Transport {
        outgoing: out_tx,
        incoming: in_rx,
    }
}
