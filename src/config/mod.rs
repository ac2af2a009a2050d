//! User configuration as data: where praxis keeps its files ([`paths`]) and what
//! `config.toml` says, split by who reads it: [`NodeConfig`] (agents, timeouts) for nodes,
//! [`UiConfig`] (theme and keymap names) for the full-screen client. No terminal crate is
//! named here, so a node (and the node daemon) can depend on this module alone.
//!
//! A config file that cannot be read or parsed is an error value naming the file, line and key;
//! callers show it and fall back to the defaults. Nothing here panics on user input.

pub mod paths;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use paths::Paths;

/// The name of the built-in demo agent, present in every configuration.
pub const DEMO_AGENT: &str = "demo";

/// `config.toml`: what the node reads and what the client's screen reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub node: NodeConfig,
    pub ui: UiConfig,
    pub remote: RemoteConfig,
}

/// Remote nodes: the broker both `praxis node` and the client use, the node token, and this
/// machine's node name. `PRAXIS_BROKER` and `PRAXIS_NODE_TOKEN` override the file
/// ([`RemoteConfig::with_env`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemoteConfig {
    /// `amqp://USER:PASS@HOST:PORT/VHOST` or `amqps://…`.
    pub broker: Option<String>,
    /// Sent with (client) or demanded of (node) every command.
    pub node_token: Option<String>,
    /// The name `praxis node` announces (default: the host name).
    pub node_name: Option<String>,
}

impl RemoteConfig {
    /// The file's values, overridden by `PRAXIS_BROKER` / `PRAXIS_NODE_TOKEN` (an empty
    /// variable counts as unset).
    pub fn with_env(mut self) -> RemoteConfig {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(b) = var("PRAXIS_BROKER") {
            self.broker = Some(b);
        }
        if let Some(t) = var("PRAXIS_NODE_TOKEN") {
            self.node_token = Some(t);
        }
        self.broker = self.broker.filter(|b| !b.is_empty());
        self.node_token = self.node_token.filter(|t| !t.is_empty());
        self
    }
}

/// The settings a node runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// The agent used when none is named.
    pub default_agent: String,
    /// How long one prompt may run before it is cancelled (and the agent killed if it ignores
    /// the cancel). Sessions may override it.
    pub prompt_timeout_secs: u64,
    /// How long an agent gets to honour `session/cancel` (after a timeout) or SIGTERM.
    pub cancel_grace_secs: u64,
    /// Agents by name, in the shape Zed users know: `command`, `args`, `env`.
    pub agents: BTreeMap<String, AgentDef>,
}

/// The settings of the full-screen client's looks and keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiConfig {
    /// Theme name (a file in `themes/`).
    pub theme: String,
    /// Keymap name (a file in `keymaps/`).
    pub keymap: String,
    /// How a session that is not on screen gets your attention.
    pub notify: Notify,
    /// How long an ended session stays among the live ones in the Active Sessions overlay
    /// before it moves to the history, in minutes.
    pub ended_keep_minutes: u64,
}

/// `notify` in config.toml: how a background session that needs you, or whose turn ended,
/// is announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Notify {
    /// OSC 9 (a desktop notification) in terminals known to show it, else the bell.
    #[default]
    Auto,
    /// The terminal bell (BEL).
    Bell,
    /// OSC 9 with the session's title and what happened.
    Osc9,
    /// Nothing but the status bar's count.
    Off,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            default_agent: DEMO_AGENT.into(),
            prompt_timeout_secs: 600,
            cancel_grace_secs: 5,
            agents: BTreeMap::new(),
        }
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            theme: "dark".into(),
            keymap: "default".into(),
            notify: Notify::Auto,
            ended_keep_minutes: 30,
        }
    }
}

/// The file as written: one flat table, so unknown keys are errors with their line.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct File {
    default_agent: String,
    prompt_timeout_secs: u64,
    cancel_grace_secs: u64,
    agents: BTreeMap<String, AgentDef>,
    theme: String,
    keymap: String,
    notify: Notify,
    ended_keep_minutes: u64,
    broker: Option<String>,
    node_token: Option<String>,
    node_name: Option<String>,
}

impl Default for File {
    fn default() -> Self {
        let (node, ui) = (NodeConfig::default(), UiConfig::default());
        File {
            default_agent: node.default_agent,
            prompt_timeout_secs: node.prompt_timeout_secs,
            cancel_grace_secs: node.cancel_grace_secs,
            agents: node.agents,
            theme: ui.theme,
            keymap: ui.keymap,
            notify: ui.notify,
            ended_keep_minutes: ui.ended_keep_minutes,
            broker: None,
            node_token: None,
            node_name: None,
        }
    }
}

impl From<File> for Config {
    fn from(f: File) -> Config {
        Config {
            node: NodeConfig {
                default_agent: f.default_agent,
                prompt_timeout_secs: f.prompt_timeout_secs,
                cancel_grace_secs: f.cancel_grace_secs,
                agents: f.agents,
            },
            ui: UiConfig {
                theme: f.theme,
                keymap: f.keymap,
                notify: f.notify,
                ended_keep_minutes: f.ended_keep_minutes,
            },
            remote: RemoteConfig {
                broker: f.broker,
                node_token: f.node_token,
                node_name: f.node_name,
            },
        }
    }
}

/// One `[agents.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentDef {
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Which of the agent's `authMethods` to use when it demands authentication
    /// (default: the first one it offers).
    #[serde(default)]
    pub auth_method: Option<String>,
}

/// A config file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// Reads `config.toml` from `dir`; a missing file means the defaults.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        let path = dir.join("config.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    /// Parses config text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: describe_toml_error(text, &e),
        })?;
        let config = Config::from(file);
        if config.node.prompt_timeout_secs == 0 {
            return Err(ConfigError::Parse {
                path: path.to_owned(),
                message: "prompt_timeout_secs must be at least 1".into(),
            });
        }
        Ok(config)
    }
}

/// "line 3, column 9: unknown field `comand`, expected ..." from a toml error.
pub fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    // toml puts the expectation on a line of its own ("invalid array\nexpected `]`"); joined
    // bare, a one-line display read "invalid arrayexpected `]`".
    let message = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// The 1-based line of a byte offset (themes and keymaps).
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// "FILE: line L, column C: MESSAGE (in `the offending line`)", on one line for a status bar
/// (themes and keymaps).
pub fn toml_error(label: &str, text: &str, e: &toml::de::Error) -> String {
    let described = describe_toml_error(text, e);
    let mut msg = format!("{label}: {}", described.replace('\n', "; "));
    let src = e
        .span()
        .and_then(|span| text.lines().nth(line_of(text, span.start) - 1));
    if let Some(src) = src.map(str::trim).filter(|s| !s.is_empty()) {
        let short: String = src.chars().take(60).collect();
        let more = if short.len() < src.len() { "…" } else { "" };
        msg.push_str(&format!(" (in `{short}{more}`)"));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toml_error_reads_as_one_line_with_its_parts_apart() {
        let text = "[agents.x]\ncommand = \"x\"\nargs = [\"a\" \"b\"]\n";
        let e = toml::from_str::<toml::Value>(text).unwrap_err();
        let said = describe_toml_error(text, &e);
        assert_eq!(said, "line 3, column 13: invalid array; expected `]`");
    }

    #[test]
    fn parses_agents_in_zed_shape() {
        let c = Config::parse(
            r#"
default_agent = "gemini"
[agents.gemini]
command = "gemini"
args = ["--experimental-acp"]
env = { GEMINI_API_KEY = "k" }
"#,
            Path::new("config.toml"),
        )
        .unwrap();
        assert_eq!(c.node.default_agent, "gemini");
        assert_eq!(c.node.agents["gemini"].args, vec!["--experimental-acp"]);
        assert_eq!(c.node.agents["gemini"].env["GEMINI_API_KEY"], "k");
        assert_eq!(c.node.prompt_timeout_secs, 600);
    }

    #[test]
    fn bad_config_names_file_line_and_key() {
        let err = Config::parse(
            "theme = \"dark\"\n[agents.x]\ncomand = \"x\"\n",
            Path::new("/c/config.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("/c/config.toml: line 3"), "{err}");
        assert!(err.contains("comand"), "{err}");
    }

    #[test]
    fn notify_and_the_ended_window_are_read_and_checked() {
        let c = Config::parse(
            "notify = \"bell\"\nended_keep_minutes = 5\n",
            Path::new("c"),
        )
        .unwrap();
        assert_eq!((c.ui.notify, c.ui.ended_keep_minutes), (Notify::Bell, 5));
        assert_eq!(Config::default().ui.notify, Notify::Auto);
        let err = Config::parse("notify = \"loud\"\n", Path::new("c"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1") && err.contains("loud"), "{err}");
    }

    #[test]
    fn missing_file_means_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Config::load(dir.path()).unwrap(), Config::default());
    }
}
