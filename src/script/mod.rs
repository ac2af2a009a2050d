//! `praxis session …`: sessions on node daemons driven from the shell. Each command reaches
//! the nodes (over the broker when one is configured, else the local daemon, started when
//! `start` or `prompt` finds none), does one thing, prints it as text or JSON (the shapes are
//! documented in `docs/scripting.md`) and exits with a stable code ([`code`]).

use crate::config::{Paths, RemoteConfig};
use std::path::PathBuf;

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
    let _ = (env, cmd);
    code::USAGE
}
