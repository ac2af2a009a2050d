//! `praxis session …`: sessions on node daemons driven from the shell. Each command reaches
//! the nodes (over the broker when one is configured, else the local daemon, started when
//! `start` or `prompt` finds none), does one thing, prints it as text or JSON (the shapes are
//! documented in `docs/scripting.md`) and exits with a stable code ([`code`]).

use crate::config::{Paths, RemoteConfig};
use std::io::Write;
use std::path::PathBuf;

mod commands;
pub mod nodes;
pub mod shapes;
mod stream;

/// The exit codes, stable and documented in the README.
pub mod code {
    /// Done (for `stream`: the turn ended with `end_turn`).
    pub const OK: i32 = 0;
    /// The turn or the session failed (or ended other than `end_turn`).
    pub const FAILED: i32 = 1;
    /// Usage: a bad argument, or no such session, agent or node.
    pub const USAGE: i32 = 2;
    /// A node or the broker could not be reached.
    pub const UNREACHABLE: i32 = 3;
    /// Interrupted (Ctrl+C).
    pub const INTERRUPTED: i32 = 130;
}

/// What every command needs: how to reach nodes, and the defaults of config.toml.
#[derive(Debug, Clone)]
pub struct Env {
    pub remote: RemoteConfig,
    pub paths: Paths,
    pub default_agent: String,
}

/// One `praxis session …` command.
#[derive(Debug, Clone)]
pub enum SessionCmd {
    Start {
        node: Option<String>,
        agent: Option<String>,
        cwd: Option<PathBuf>,
        yolo: bool,
        timeout: Option<u64>,
        json: bool,
        text: String,
    },
    List {
        node: Option<String>,
        status: Option<String>,
        all: bool,
        json: bool,
    },
    Prompt {
        id: String,
        node: Option<String>,
        json: bool,
        text: String,
    },
    Stream {
        id: String,
        node: Option<String>,
        from_start: bool,
        json: bool,
    },
    Show {
        id: String,
        node: Option<String>,
        json: bool,
    },
    Stop {
        id: String,
        node: Option<String>,
        json: bool,
    },
}

/// Runs one command; returns the exit code.
pub async fn run(env: Env, cmd: SessionCmd) -> i32 {
    let mut out = Out::stdout();
    let result = match cmd {
        SessionCmd::Start {
            node,
            agent,
            cwd,
            yolo,
            timeout,
            json,
            text,
        } => {
            let a = commands::Start {
                node,
                agent,
                cwd,
                yolo,
                timeout,
                json,
                text,
            };
            commands::start(&env, &mut out, a).await.map(|_| code::OK)
        }
        SessionCmd::List {
            node,
            status,
            all,
            json,
        } => {
            let a = commands::List {
                node,
                status,
                all,
                json,
            };
            commands::list(&env, &mut out, a).await.map(|_| code::OK)
        }
        SessionCmd::Prompt {
            id,
            node,
            json,
            text,
        } => commands::prompt(&env, &mut out, &id, node.as_deref(), json, &text)
            .await
            .map(|_| code::OK),
        SessionCmd::Stream {
            id,
            node,
            from_start,
            json,
        } => {
            let followed = stream::stream(&env, &mut out, &id, node.as_deref(), from_start, json);
            // Ctrl+C while connecting or looking the session up is an interruption too.
            tokio::select! {
                r = followed => r,
                _ = tokio::signal::ctrl_c() => Ok(code::INTERRUPTED),
            }
        }
        SessionCmd::Show { id, node, json } => {
            commands::show(&env, &mut out, &id, node.as_deref(), json)
                .await
                .map(|_| code::OK)
        }
        SessionCmd::Stop { id, node, json } => {
            commands::stop(&env, &mut out, &id, node.as_deref(), json)
                .await
                .map(|_| code::OK)
        }
    };
    out.flush();
    match result {
        Ok(c) => c,
        Err(f) => {
            say(&f.message);
            f.code
        }
    }
}

pub(crate) use crate::stderr::say;

/// Standard output for a command's results; a closed stdout is ignored (a script that stops
/// reading does not make praxis panic).
pub struct Out {
    inner: Box<dyn Write + Send>,
}

impl Out {
    pub fn stdout() -> Out {
        Out {
            inner: Box::new(std::io::stdout()),
        }
    }

    /// A line of text, sanitized.
    pub fn line(&mut self, text: &str) {
        let _ = writeln!(self.inner, "{}", crate::sanitize::sanitize(text));
    }

    /// Text as it is (it ends its own lines), sanitized, written at once.
    pub fn text(&mut self, text: &str) {
        if !text.is_empty() {
            let _ = self
                .inner
                .write_all(crate::sanitize::sanitize(text).as_bytes());
            let _ = self.inner.flush();
        }
    }

    /// One JSON value on one line (serde escapes every control character in strings).
    pub fn json(&mut self, value: &serde_json::Value) {
        let _ = writeln!(self.inner, "{value}");
        let _ = self.inner.flush();
    }

    pub fn flush(&mut self) {
        let _ = self.inner.flush();
    }
}
