//! The real `praxis` binary in a real terminal (tmux), driven with keys as a person would,
//! against the demo agent: send a prompt and see the highlighted answer, answer a permission
//! request, Ctrl+C mid-stream, pause and resume from the overlay, save a transcript, quit with
//! the terminal restored.
//!
//! Waits poll `capture-pane` with a generous hang guard; nothing asserts on timing.

#[path = "common/tmux.rs"]
mod tmux;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");

/// The client in tmux, with its own config and data dirs (dropped after the session).
struct Tmux {
    t: tmux::Tmux,
    root: tempfile::TempDir,
}

impl std::ops::Deref for Tmux {
    type Target = tmux::Tmux;
    fn deref(&self) -> &tmux::Tmux {
        &self.t
    }
}

impl Tmux {
    fn start(width: u16, height: u16) -> Tmux {
        let root = tempfile::tempdir().unwrap();
        let name = format!(
            "praxis-e2e-{}",
            root.path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace('.', "")
        );
        std::fs::create_dir_all(root.path().join("work")).unwrap();
        let script = format!(
            "cd {work} && PRAXIS_CONFIG_DIR={root}/config PRAXIS_DATA_DIR={root}/data {praxis}; echo PRAXIS-EXITED $?; sleep 30",
            work = root.path().join("work").display(),
            root = root.path().display(),
            praxis = PRAXIS
        );
        Tmux {
            t: tmux::Tmux::spawn(name, width, height, &script),
            root,
        }
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }
}

#[test]
fn chat_permission_cancel_pause_resume_save_and_quit() {
    let t = Tmux::start(100, 40);
    t.wait_for("demo · idle");

    // A prompt: streamed answer with a permission request in the middle.
    t.text("fix the build");
    t.keys(&["Enter"]);
    t.wait_for("Permission requested: Edit src/lib.rs");
    t.keys(&["1"]);
    t.wait_for("Learn more in");
    let screen = t.wait_for("demo · idle");
    assert!(
        screen.contains("│ pub fn answer() -> u32 {"),
        "the code block is rendered:\n{screen}"
    );
    assert!(
        screen.contains("│ ┌─"),
        "the table is drawn with borders:\n{screen}"
    );
    assert!(
        !screen.contains('◐'),
        "nothing is still streaming:\n{screen}"
    );
    t.keys(&["PageUp", "PageUp"]);
    let screen = t.wait_for("● demo · ⇡");
    assert!(screen.contains("▸ you"), "{screen}");
    t.keys(&["C-End"]);

    // Ctrl+C mid-stream keeps the partial output and marks the turn cancelled.
    t.text("/slow 300");
    t.keys(&["Enter"]);
    t.wait_for("tick 3");
    t.keys(&["C-c"]);
    let screen = t.wait_for("cancelled");
    assert!(!screen.contains("tick 300"), "{screen}");

    // Esc pauses: the Nodes window shows; Ctrl+W lists the session; Enter resumes it.
    t.keys(&["Escape"]);
    t.wait_for("Nodes");
    t.keys(&["C-w"]);
    let screen = t.wait_for("Active Sessions");
    assert!(screen.contains("idle"), "{screen}");
    t.keys(&["Enter"]);
    t.wait_for("tick 3");

    // Ctrl+Alt+W saves the transcript and shows where.
    t.keys(&["C-M-w"]);
    let screen = t.wait_for("Transcript saved to");
    let dir = t.data().join("transcripts");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let md = std::fs::read_to_string(&file).unwrap();
    assert!(md.contains("## ▸ you\n\nfix the build"), "{md}");
    assert!(md.contains("tick 3"), "{md}");
    assert!(screen.contains("transcripts"), "{screen}");

    // Quit: the shell gets the terminal back.
    let screen = t.quit();
    assert!(
        !screen.contains("Active Sessions") && !screen.contains("demo · idle"),
        "the alternate screen is gone:\n{screen}"
    );
}

#[test]
fn tiny_terminal_does_not_break() {
    let t = Tmux::start(20, 6);
    t.wait_for("idle");
    t.text("/echo hi");
    t.keys(&["Enter"]);
    t.wait_for("hi");
    Command::new("tmux")
        .args(["resize-window", "-t", &t.name, "-x", "10", "-y", "3"])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    Command::new("tmux")
        .args(["resize-window", "-t", &t.name, "-x", "80", "-y", "24"])
        .status()
        .unwrap();
    t.wait_for("demo · idle");
    t.quit();
}

#[test]
fn slash_commands_complete_and_run() {
    let t = Tmux::start(100, 30);
    t.wait_for("demo · idle");
    // The agent's advertised commands are in the popup beside the built-ins.
    t.text("/st");
    t.keys(&["Tab"]);
    let screen = t.wait_for("/stream BYTES [CHUNK]");
    assert!(
        screen.contains("/status") && screen.contains("(agent)"),
        "{screen}"
    );
    // Accept /status into the buffer (not sent), then send it.
    t.keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(!t.screen().contains("session "), "accepting must not send");
    t.keys(&["Enter"]);
    let screen = t.wait_for("YOLO off");
    assert!(screen.contains("agent demo"), "{screen}");
    // An agent command goes to the agent.
    t.text("/echo from the popup");
    t.keys(&["Enter"]);
    t.wait_for("from the popup");
    // Unknown commands are refused.
    t.text("/nope");
    t.keys(&["Enter"]);
    t.wait_for("Unknown command /nope");
    t.keys(&["C-u"]);
    t.quit();
}
