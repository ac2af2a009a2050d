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
        Tmux::start_env(width, height, "")
    }

    /// Started with `env` ("NAME=value …") in its environment.
    fn start_env(width: u16, height: u16, env: &str) -> Tmux {
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
            "cd {work} && {env} PRAXIS_CONFIG_DIR={root}/config PRAXIS_DATA_DIR={root}/data {praxis}; echo PRAXIS-EXITED $?; sleep 30",
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
    t.wait_for("demo · idle");
    // Nothing is still streaming: no turn glyph, no working indicator (the node's `idle` can
    // reach the screen a moment before the prompt's result).
    t.wait_gone("◐");
    let screen = t.screen();
    assert!(
        screen.contains("│ pub fn answer() -> u32 {"),
        "the code block is rendered:\n{screen}"
    );
    assert!(
        screen.contains("│ ┌─"),
        "the table is drawn with borders:\n{screen}"
    );
    t.keys(&["PageUp", "PageUp"]);
    let screen = t.wait_for("● demo · Demo Fast · ⇡");
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
    // The agent's /help, shadowed by the built-in, is reached as //help.
    t.text("//help");
    t.keys(&["Enter"]);
    t.wait_for("Demo agent commands:");
    // Unknown commands are refused.
    t.text("/nope");
    t.keys(&["Enter"]);
    t.wait_for("Unknown command /nope");
    t.keys(&["C-u"]);
    t.quit();
}

#[test]
fn the_model_is_switched_with_tab_completion_and_heads_the_next_answer() {
    let t = Tmux::start(100, 30);
    t.wait_for("demo · idle");
    t.text("/model ");
    t.keys(&["Tab"]);
    let screen = t.wait_for("Demo Fast (current)");
    assert!(screen.contains("demo-deep"), "{screen}");
    // Down to the second model, accept it into the input, then send.
    t.keys(&["Down", "Enter"]);
    t.wait_for("/model demo-deep");
    t.keys(&["Enter"]);
    t.wait_for("Model: Demo Deep");
    t.text("/echo on the deep one");
    t.keys(&["Enter"]);
    let screen = t.wait_for("● demo · Demo Deep");
    assert!(screen.contains("on the deep one"), "{screen}");
    // A toggle flips with no value.
    t.text("/options brief");
    t.keys(&["Enter"]);
    t.wait_for("Brief answers: on");
    t.quit();
}

#[test]
fn ctrl_g_edits_the_draft_in_the_editor_which_gets_every_key() {
    // An editor that shows the draft and reads a line from the terminal: the keys typed
    // reach it only if praxis stopped reading the terminal meanwhile.
    let dir = tempfile::tempdir().unwrap();
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'EDITING: '; cat \"$1\"; printf '\\n> '\nread line\nprintf '%s\\n' \"$line\" > \"$1\"\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(&editor)
        .status()
        .unwrap();
    let t = Tmux::start_env(80, 20, &format!("VISUAL={}", editor.display()));
    t.wait_for("demo · idle");
    t.text("a first draft");
    t.keys(&["C-g"]);
    t.wait_for("EDITING: a first draft");
    t.text("the draft as the editor saved it");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Draft edited; Enter sends it");
    assert!(
        screen.contains("the draft as the editor saved it"),
        "{screen}"
    );
    assert!(
        !screen.contains("EDITING"),
        "the full screen is back:\n{screen}"
    );
    // The keyboard is praxis's again.
    t.keys(&["Enter"]);
    t.wait_for("▸ you");
    t.quit();
}

#[test]
fn a_long_prompt_wraps_a_draft_clears_scrolling_up_marks_new_output_and_quitting_asks() {
    // Issue 16, as a person at an 80-column terminal would meet it.
    let t = Tmux::start(80, 24);
    t.wait_for("demo · idle");
    let long = "please look at every file under src and tell me which modules are too long, \
                which ones have no tests at all, and which of them you would split first \
                and why, in order of how much it would help";
    t.text(long);
    // Wrapped softly: its start and its end are both on screen (it scrolled sideways before).
    let screen = t.wait_for("in order of how much it would help");
    assert!(
        screen.contains("please look at every file under src"),
        "{screen}"
    );
    // Ctrl+C with a draft clears it (and keeps it: ↑ brings it back); the session stays.
    t.keys(&["C-c"]);
    let screen = t.wait_for("Draft cleared");
    assert!(
        screen.contains("Type a prompt") && screen.contains("demo · idle"),
        "{screen}"
    );
    t.keys(&["Up"]);
    t.wait_for("please look at every file under src");
    t.keys(&["C-c"]);
    t.wait_for("Type a prompt");
    // A stream long enough to scroll; reading above, a marker says output arrived below.
    t.text("/slow 400");
    t.keys(&["Enter"]);
    t.wait_for("tick 40");
    t.keys(&["PageUp"]);
    let screen = t.wait_for("new output below");
    assert!(screen.contains("Ctrl+End follows"), "{screen}");
    t.keys(&["C-End"]);
    t.wait_gone("new output below");
    // Quitting while it works asks; n stays (still working), y quits.
    t.keys(&["C-q"]);
    let screen = t.wait_for("Quit praxis? 1 session is still working.");
    assert!(screen.contains("y/Enter quits · n/Esc stays"), "{screen}");
    t.keys(&["n"]);
    t.wait_gone("Quit praxis?");
    let before = t.screen();
    assert!(before.contains("working"), "{before}");
    t.keys(&["C-q"]);
    t.wait_for("Quit praxis?");
    t.keys(&["y"]);
    t.wait_for("PRAXIS-EXITED 0");
}
