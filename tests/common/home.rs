//! One person's machine for end-to-end runs of the real `praxis` binary in tmux: config and
//! data dirs kept across runs, the directory they work in, and the keys a person uses (send a
//! prompt, quit) with what the status bar shows.
#![allow(dead_code)]

use super::tmux;
use std::cell::Cell;
use std::path::PathBuf;
use std::process::Command;

pub const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");

/// One person's machine: config and data dirs kept across runs of the app, and the directory
/// they work in. Every run starts in that directory with the default agent (the demo agent),
/// and without a broker, a node token or a runtime dir from the environment, so only the
/// in-process local node is used.
pub struct Home {
    pub root: tempfile::TempDir,
    runs: Cell<u32>,
}

impl Home {
    pub fn new() -> Home {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("work")).unwrap();
        Home {
            root,
            runs: Cell::new(0),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    pub fn config(&self) -> PathBuf {
        self.root.path().join("config")
    }

    pub fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    /// `praxis ARGS` in a new tmux session; `PRAXIS-EXITED <code>` shows when it ends.
    pub fn run(&self, args: &str) -> tmux::Tmux {
        let n = self.runs.get() + 1;
        self.runs.set(n);
        let name = format!(
            "praxis-history-{}-{n}",
            self.root
                .path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace('.', "")
        );
        let script = format!(
            "cd {work} && env -u PRAXIS_BROKER -u PRAXIS_NODE_TOKEN -u PRAXIS_RUNTIME_DIR \
             PRAXIS_CONFIG_DIR={config} PRAXIS_DATA_DIR={data} {PRAXIS} {args}; \
             echo PRAXIS-EXITED $?; sleep 30",
            work = self.work().display(),
            config = self.config().display(),
            data = self.data().display(),
        );
        tmux::Tmux::spawn(name, 120, 40, &script)
    }

    /// `praxis` as a plain command, with the same environment as the runs in tmux.
    pub fn command(&self) -> Command {
        let mut c = Command::new(PRAXIS);
        c.current_dir(self.work())
            .env("PRAXIS_CONFIG_DIR", self.config())
            .env("PRAXIS_DATA_DIR", self.data())
            .env_remove("PRAXIS_BROKER")
            .env_remove("PRAXIS_NODE_TOKEN")
            .env_remove("PRAXIS_RUNTIME_DIR");
        c
    }

    /// Session `id`'s journal as written so far.
    pub fn journal(&self, id: &str) -> String {
        std::fs::read_to_string(self.data().join("sessions").join(format!("{id}.jsonl"))).unwrap()
    }

    /// The ids of every session with a journal (`<data>/sessions/<id>.jsonl`), sorted.
    pub fn session_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.data().join("sessions"))
            .map(|dir| {
                dir.map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                    .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    }

    /// A first run: the auto-started demo session gets `/echo WORDS`, answers WORDS, and the
    /// app quits. Returns that session's id.
    pub fn one_session(&self, words: &str) -> String {
        let t = self.run("");
        t.wait_for("demo · idle");
        let prompt = format!("/echo {words}");
        send(&t, &prompt);
        t.wait_for(&format!("│ {words}"));
        let screen = t.wait_for(&format!("demo · idle · {prompt}"));
        quit(&t);
        let ids = self.session_ids();
        assert_eq!(ids.len(), 1, "one journal after one session: {ids:?}");
        let id = ids[0].clone();
        assert!(
            status_bar(&screen).contains(&format!("({})", &id[..8])),
            "the status bar names the session by its short id {}:\n{screen}",
            &id[..8]
        );
        id
    }
}

/// Types `text` into the prompt and sends it.
pub fn send(t: &tmux::Tmux, text: &str) {
    t.text(text);
    t.keys(&["Enter"]);
}

/// Ctrl+Q (confirmed when asked), and the process has exited with 0 (the shell prints its
/// exit code).
pub fn quit(t: &tmux::Tmux) {
    let screen = t.quit();
    assert!(
        screen.contains("PRAXIS-EXITED 0"),
        "praxis exits cleanly on Ctrl+Q:\n{screen}"
    );
}

/// The bottom line of the screen: the status bar.
pub fn status_bar(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

/// Where `needle` first shows on `screen` (for order checks), failing with the screen.
pub fn at(screen: &str, needle: &str) -> usize {
    screen
        .find(needle)
        .unwrap_or_else(|| panic!("the screen does not show {needle:?}:\n{screen}"))
}
