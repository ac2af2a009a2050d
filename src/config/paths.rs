//! Where praxis keeps its files: the config dir (`config.toml`, `themes/`, `keymaps/`) and the
//! data dir (session journals, agent stderr logs, transcripts, history, the app log).
//!
//! `PRAXIS_CONFIG_DIR` and `PRAXIS_DATA_DIR` override the platform defaults (tests and
//! portable setups use them).

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    /// The platform directories (via `directories`), overridden by the environment.
    pub fn discover() -> Paths {
        let dirs = directories::ProjectDirs::from("", "", "praxis");
        let fallback = std::env::temp_dir().join("praxis");
        // An empty variable counts as unset: it would otherwise mean the current directory.
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let config_dir = var("PRAXIS_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().to_owned()))
            .unwrap_or_else(|| fallback.join("config"));
        let data_dir = var("PRAXIS_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_owned()))
            .unwrap_or_else(|| fallback.join("data"));
        Paths {
            config_dir,
            data_dir,
        }
    }

    /// Both directories under one root (tests).
    pub fn under(root: impl Into<PathBuf>) -> Paths {
        let root = root.into();
        Paths {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
        }
    }

    pub fn sessions_dir(&self) -> PathBuf {
        self.data_dir.join("sessions")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
    pub fn history_file(&self) -> PathBuf {
        self.data_dir.join("history.jsonl")
    }
    pub fn transcripts_dir(&self) -> PathBuf {
        self.data_dir.join("transcripts")
    }

    /// Where a local node daemon listens by default: `PRAXIS_RUNTIME_DIR`, else (when the
    /// data dir is overridden, as in tests) `<data>/run`, else `$XDG_RUNTIME_DIR/praxis`,
    /// else `<data>/run`; the socket is `node.sock` in it.
    pub fn node_socket(&self) -> PathBuf {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let dir = var("PRAXIS_RUNTIME_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                if var("PRAXIS_DATA_DIR").is_some() {
                    None
                } else {
                    var("XDG_RUNTIME_DIR").map(|d| PathBuf::from(d).join("praxis"))
                }
            })
            .unwrap_or_else(|| self.data_dir.join("run"));
        dir.join("node.sock")
    }

    /// The id this client installation uses on the broker (kept in the data dir).
    pub fn client_id_file(&self) -> PathBuf {
        self.data_dir.join("client-id")
    }
}
