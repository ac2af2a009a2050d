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

impl Env {
    /// From config.toml (and the environment's broker and token).
    pub fn of(config: &crate::config::Config, paths: Paths) -> Env {
        Env {
            remote: config.remote.clone().with_env(),
            default_agent: config.node.default_agent.clone(),
            paths,
        }
    }
}

/// One `praxis session …` command, as the command line gives it.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum SessionCmd {
    /// Start a session and its first turn on a node; prints the new session's id and returns
    /// while the turn goes on.
    Start {
        /// The node (default: with a broker, node_name from config.toml, else this host's
        /// name; without one, the local daemon).
        #[arg(long)]
        node: Option<String>,
        /// The agent (from the node's config.toml, or `demo`; default: default_agent).
        #[arg(long, short)]
        agent: Option<String>,
        /// The agent's working directory (default: the current one).
        #[arg(long)]
        cwd: Option<PathBuf>,
        /// Approve every permission request the agent makes.
        #[arg(long)]
        yolo: bool,
        /// Prompt timeout in seconds (default: the node's prompt_timeout_secs).
        #[arg(long, short = 'T')]
        timeout: Option<u64>,
        /// Print the result as JSON (shapes in docs/scripting.md).
        #[arg(long)]
        json: bool,
        /// The first prompt.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// List sessions on every reachable node: the live ones, or with --all or --status the
    /// history too.
    List {
        /// Only this node.
        #[arg(long)]
        node: Option<String>,
        /// Only sessions in this status: initializing, idle, working, needs_permission,
        /// failed, closed, or live / ended.
        #[arg(long)]
        status: Option<String>,
        /// Include ended sessions (the nodes' history).
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Queue a prompt on a session and return at once (an ended session is reopened first).
    Prompt {
        /// The session id, or any unique prefix of it.
        id: String,
        #[arg(long)]
        node: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Follow a session's activity until its turn (and any queued after it) ends, or Ctrl+C.
    Stream {
        /// The session id, or any unique prefix of it.
        id: String,
        /// Only look on this node.
        #[arg(long)]
        node: Option<String>,
        /// Replay what the session did so far first.
        #[arg(long)]
        from_start: bool,
        /// One JSON object per line (ACP updates and praxis events).
        #[arg(long)]
        json: bool,
    },
    /// A session's details and its transcript (Markdown).
    Show {
        /// The session id, or any unique prefix of it.
        id: String,
        /// Only look on this node.
        #[arg(long)]
        node: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Cancel a running turn and close the session; prints the status before and after.
    Stop {
        /// The session id, or any unique prefix of it.
        id: String,
        /// Only look on this node.
        #[arg(long)]
        node: Option<String>,
        #[arg(long)]
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
                text: text.join(" "),
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
        } => commands::prompt(&env, &mut out, &id, node.as_deref(), json, &text.join(" "))
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
