//! praxis against a deliberately hostile agent (`tests/hostile_agent.py`), through the real
//! binary: `praxis prompt` as a script runs it, and the full-screen client in a private tmux
//! server with every byte it writes to the terminal captured.
//!
//! - malformed shapes (`session/update` params that are not objects, permission requests
//!   with array or string params) are skipped or answered -32602, and the turn still ends;
//! - escape sequences in every agent-controlled string never reach the terminal, stdout,
//!   stderr, the prompt history or an exported transcript;
//! - the fs sandbox holds against dangling symlinks, symlinked directories, FIFOs and a
//!   file/symlink swap race;
//! - SIGTERM and SIGHUP restore the terminal and leave no agent behind, even one that ignores
//!   SIGTERM and stdin EOF;
//! - a closed stderr does not make praxis panic;
//! - requests with ids that are not acceptable get -32600 with `"id": null`;
//! - a frame over 16 MiB is reported and skipped.
//!
//! Nothing asserts on timing; waits have generous hang guards (30 s) that fail the test.

#[path = "hostile/support.rs"]
mod support;
#[path = "hostile/tmux.rs"]
mod tmux;

use serde_json::Value;
use std::process::Command;
use support::{
    assert_clean_terminal_bytes, assert_plain_text, process_gone, run_guarded, shown, text,
    wait_until, Fixture, PRAXIS, SECRET,
};
use tmux::Tmux;

// ---------------------------------------------------------------------------------------
// The agent itself works (these pass without any hardening).

#[test]
fn plain_prompt_is_answered() {
    let fx = Fixture::new(&[]);
    let out = fx.praxis(&["prompt", "hello"]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello from the hostile agent.\n");
    let prompts: Vec<Value> = fx
        .received()
        .into_iter()
        .filter(|m| m["method"] == "session/prompt")
        .collect();
    assert_eq!(prompts.len(), 1, "{}", fx.log_text());
    assert_eq!(
        prompts[0].pointer("/params/prompt/0/text"),
        Some(&"hello".into())
    );
}

#[test]
fn tui_plain_prompt_is_answered_and_the_capture_is_clean() {
    let fx = Fixture::new(&[]);
    let t = Tmux::start(&fx, 120, 30);
    t.wait_idle();
    t.text("hello");
    t.keys(&["Enter"]);
    t.wait_for("Hello from the hostile agent.");
    t.wait_idle();
    let screen = t.quit();
    assert!(screen.contains("PRAXIS-EXITED 0"), "{screen}");
    assert_clean_terminal_bytes(&t.bytes_after_exit(), "plain session");
    t.assert_no_title_or_clipboard_leak();
}

#[test]
fn the_byte_checks_catch_every_kind_of_escape() {
    // What the agent sends, as it would look if it reached the terminal unchanged: each must
    // trip the checks, or the tests below prove nothing.
    let clip = "UFdOQ0xJUA==";
    let leaks = [
        "\x1b]0;PWNTITLE\x07".to_string(),
        "\x1b]2;PWNTITLE\x1b\\".to_string(),
        format!("\x1b]52;c;{clip}\x07"),
        "\x1bPqPWNDCS\x1b\\".to_string(),
        "\x1b_PWNAPC\x1b\\".to_string(),
        "\x1b[31;7;5;9m".to_string(),
        "\x1b[6;6;6H".to_string(),
        "\u{9b}31m".to_string(),
        "\u{9d}0;PWNTITLE\x07".to_string(),
    ];
    for leak in &leaks {
        let bytes = format!("\x1b[1;1Hok {leak} ok\x1b[0m").into_bytes();
        let caught = std::panic::catch_unwind(|| assert_clean_terminal_bytes(&bytes, "leak"));
        assert!(caught.is_err(), "the terminal check missed {leak:?}");
        let bare = format!("ok {leak} ok").into_bytes();
        let caught = std::panic::catch_unwind(|| assert_plain_text(&bare, "leak"));
        assert!(caught.is_err(), "the plain-text check missed {leak:?}");
    }
    // praxis drawing the visible leftovers of a stripped sequence is fine.
    assert_clean_terminal_bytes(
        b"\x1b[40;2H\x1b[38;2;1;2;3m mode:MODEID]0;PWNTITLE 0;PWNTITLE\x1b[0m",
        "drawn text",
    );
    assert_plain_text("plain ✓ text\n\tindented".as_bytes(), "plain text");
}

// ---------------------------------------------------------------------------------------
// 1. Malformed shapes.

fn assert_shapes_answers(fx: &Fixture) {
    for id in ["perm-array", "perm-string"] {
        assert_eq!(
            fx.error_code_of(id),
            -32602,
            "a permission request with non-object params gets invalid params"
        );
    }
}

#[test]
fn malformed_shapes_are_skipped_by_prompt() {
    let fx = Fixture::new(&[]);
    let out = fx.praxis(&["prompt", "-T", "20", "shapes"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("after the bad updates"),
        "the text after the malformed updates is shown:\nstdout:\n{stdout}\nstderr:\n{}",
        shown(&out.stderr)
    );
    assert!(
        stdout.contains("shapes done"),
        "the turn goes on after the malformed permission requests:\nstdout:\n{stdout}\nstderr:\n{}",
        shown(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "end_turn exits 0; stderr:\n{}",
        shown(&out.stderr)
    );
    assert_shapes_answers(&fx);
}

#[test]
fn malformed_shapes_are_skipped_in_the_tui() {
    let fx = Fixture::new(&[]);
    let t = Tmux::start(&fx, 160, 40);
    t.wait_idle();
    t.text("shapes");
    t.keys(&["Enter"]);
    t.wait_for("after the bad updates");
    t.wait_for("shapes done");
    t.wait_idle();
    assert_shapes_answers(&fx);
    let screen = t.quit();
    assert!(
        screen.contains("PRAXIS-EXITED 0"),
        "Ctrl+Q still quits:\n{screen}"
    );
}

// ---------------------------------------------------------------------------------------
// 2. Escape sequences.

const ESCAPES: &[(&str, &str)] = &[("HOSTILE_ESCAPES", "1")];

#[test]
fn escapes_never_reach_prompt_output() {
    let fx = Fixture::new(ESCAPES);
    // (arguments, labels expected on stdout, labels expected on stderr): the labels stand
    // beside the escapes in each hostile string, so they show that string was printed.
    let runs: &[(&[&str], &[&str], &[&str])] = &[
        // Without --yolo the permission request (hostile title) is rejected on stderr.
        (
            &["prompt", "-T", "20", "escapes"],
            &[
                "TEXT-END",
                "SPLIT-B",
                "LONE-B",
                "CSI-B",
                "OSC52-B",
                "TOOL-END",
                "TOOLOUT-END",
                "PLAN-END",
                "ESCAPES-DONE",
            ],
            &["PERM-END", "STOP-END"],
        ),
        // With --yolo it is approved on stdout as `[yolo] approved: <title>`.
        (
            &["prompt", "-T", "20", "--yolo", "escapes"],
            &["TEXT-END", "ESCAPES-DONE", "[yolo] approved: ", "PERM-END"],
            &["STOP-END"],
        ),
        (
            &["prompt", "-T", "20", "escapes-error"],
            &["about to fail"],
            &["ERRMSG-END"],
        ),
        (
            &["prompt", "-T", "20", "escapes-stderr"],
            &["about to crash"],
            &["STDERR-END"],
        ),
    ];
    for (args, on_stdout, on_stderr) in runs {
        let out = fx.praxis(args);
        let what = args.join(" ");
        assert_plain_text(&out.stdout, &format!("`praxis {what}` stdout"));
        assert_plain_text(&out.stderr, &format!("`praxis {what}` stderr"));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        for label in *on_stdout {
            assert!(
                stdout.contains(label),
                "`praxis {what}`: {label} on stdout:\n{stdout}\nstderr:\n{stderr}"
            );
        }
        for label in *on_stderr {
            assert!(
                stderr.contains(label),
                "`praxis {what}`: {label} on stderr:\n{stderr}\nstdout:\n{stdout}"
            );
        }
    }
}

#[test]
fn escapes_never_reach_exported_transcripts() {
    let fx = Fixture::new(ESCAPES);
    for args in [
        &["prompt", "-T", "20", "--yolo", "escapes"][..],
        &["prompt", "-T", "20", "escapes-error"],
        &["prompt", "-T", "20", "escapes-stderr"],
    ] {
        fx.praxis(args);
    }
    let ids = fx.journal_ids();
    assert_eq!(ids.len(), 3, "one journal per run: {ids:?}");
    let mut all = String::new();
    for id in &ids {
        let out = fx.praxis(&["transcript", id]);
        assert_eq!(out.status.code(), Some(0), "{}", shown(&out.stderr));
        assert!(
            text(&out.stdout).contains("# praxis transcript"),
            "{}",
            shown(&out.stdout)
        );
        assert_plain_text(&out.stdout, &format!("`praxis transcript {id}` stdout"));
        assert_plain_text(&out.stderr, &format!("`praxis transcript {id}` stderr"));
        let file = fx.path().join(format!("{id}.md"));
        let out = fx.praxis(&["transcript", id, "-o", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", shown(&out.stderr));
        let md = std::fs::read(&file).unwrap();
        assert!(text(&md).contains("# praxis transcript"), "{}", shown(&md));
        assert_plain_text(&md, &format!("`praxis transcript {id} -o` file"));
        all.push_str(&text(&md));
    }
    for label in [
        "TEXT-END",
        "SPLIT-B",
        "THOUGHT-END",
        "TOOLOUT-END",
        "PLAN-END",
    ] {
        assert!(all.contains(label), "{label} is in a transcript:\n{all}");
    }
}

#[test]
fn escapes_never_reach_the_terminal() {
    let fx = Fixture::new(ESCAPES);
    let t = Tmux::start(&fx, 200, 50);
    t.wait_idle();

    // Text, thoughts, split sequences, tool calls, plan, mode, commands, a permission request
    // and the stop reason.
    t.text("escapes");
    t.keys(&["Enter"]);
    t.wait_for("Permission requested");
    t.keys(&["1"]);
    t.wait_for("ESCAPES-DONE");
    let screen = t.wait_idle();
    // Every hostile string was drawn (its visible part), so the capture below covers them.
    for label in [
        "TEXT-END",
        "SPLIT-A",
        "SPLIT-B",
        "LONE-B",
        "CSI-B",
        "OSC52-B",
        "THOUGHT-END",
        "TOOLOUT-END",
        "PLAN-END",
        "PERM-END",
        "ALLOW-END",
        "STOP-END",
        "MODENOW-END",
    ] {
        assert!(
            screen.contains(label),
            "{label} is on the screen:\n{screen}"
        );
    }
    assert!(
        fx.answer_to("perm-escapes").is_some(),
        "the permission request was answered: {}",
        fx.log_text()
    );

    // The session's modes (ids and names from session/new and current_mode_update).
    t.text("/mode");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Modes:");
    assert!(screen.contains("MODEID-END"), "{screen}");

    // Its config options (names, values and the model in the next header), and an answer to
    // setting one that says nothing: refused, the options kept.
    t.text("/model");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Second line");
    assert!(screen.contains("OPTNAME-END"), "{screen}");
    assert!(
        screen.contains("○ hostile · MODELNAME MODELNAME-END"),
        "the model heads the turn:\n{screen}"
    );
    t.text("/model m2");
    t.keys(&["Enter"]);
    t.wait_for("does not list the options");
    t.text("/options");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Session options");
    assert!(
        !screen.contains("Odd"),
        "an unknown kind is left out:\n{screen}"
    );

    // An error answer to session/prompt.
    t.text("escapes-error");
    t.keys(&["Enter"]);
    t.wait_for("about to fail");
    t.wait_for("ERRMSG-END");
    t.wait_idle();

    // The agent's stderr, in the reason the session failed.
    t.text("escapes-stderr");
    t.keys(&["Enter"]);
    let screen = t.wait_for("exit status 3");
    assert!(
        screen.contains("STDERR-END"),
        "the stderr tail is shown:\n{screen}"
    );

    let screen = t.quit();
    assert!(screen.contains("PRAXIS-EXITED 0"), "{screen}");
    let bytes = t.bytes_after_exit();
    assert_clean_terminal_bytes(&bytes, "the full-screen client");
    t.assert_no_title_or_clipboard_leak();
}

#[test]
fn hostile_command_names_stay_out_of_the_input_and_history() {
    let fx = Fixture::new(ESCAPES);
    let t = Tmux::start(&fx, 160, 40);
    t.wait_idle();
    // The agent advertises one command, `zap<escapes>now`, with hostile description and hint.
    t.text("/zap");
    t.keys(&["Tab"]);
    // The popup lists it (selected: the only match).
    t.wait_for("› /zap");
    // Enter accepts it into the input (the popup closes, nothing is sent).
    t.keys(&["Enter"]);
    let screen = t.wait_until_screen(|s| !s.contains("Enter accept"), "the popup to close");
    let input: Vec<&str> = screen.lines().filter(|l| l.contains("/zap")).collect();
    assert_eq!(input.len(), 1, "the input holds the command:\n{screen}");
    // Send it; it goes to the agent (which answers like any plain prompt).
    t.keys(&["Enter"]);
    t.wait_for("Hello from the hostile agent.");
    t.wait_idle();
    let screen = t.quit();
    assert!(screen.contains("PRAXIS-EXITED 0"), "{screen}");
    assert_clean_terminal_bytes(&t.bytes_after_exit(), "the completion popup and input");
    t.assert_no_title_or_clipboard_leak();

    let history = std::fs::read_to_string(fx.data().join("history.jsonl"))
        .expect("the sent command is in the prompt history");
    let entries: Vec<String> = history
        .lines()
        .map(|l| serde_json::from_str::<String>(l).unwrap_or_else(|_| l.to_string()))
        .collect();
    assert!(
        entries.iter().any(|e| e.starts_with("/zap")),
        "the accepted command is in the history: {entries:?}"
    );
    for e in &entries {
        assert_plain_text(e.as_bytes(), "a prompt history entry");
    }
    // And the agent got the same clean text.
    let sent: Vec<String> = fx
        .received()
        .into_iter()
        .filter(|m| m["method"] == "session/prompt")
        .filter_map(|m| {
            m.pointer("/params/prompt/0/text")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_plain_text(sent[0].as_bytes(), "the prompt the command sent");
}

// ---------------------------------------------------------------------------------------
// 3. The fs sandbox (`praxis prompt --yolo`).

fn fs_prompt(fx: &Fixture, behaviour: &str, timeout: &str) -> String {
    let out = fx.praxis(&["prompt", "--yolo", "-T", timeout, behaviour]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("fs done"),
        "the agent finished its requests:\nstdout:\n{stdout}\nstderr:\n{}",
        shown(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "the turn ends with end_turn; stdout:\n{stdout}\nstderr:\n{}",
        shown(&out.stderr)
    );
    stdout
}

#[test]
fn fs_write_to_a_dangling_symlink_is_refused() {
    let fx = Fixture::new(&[]);
    let target = fx.outside().join("created-by-agent");
    let dir_target = fx.outside().join("dir-created-by-agent");
    std::os::unix::fs::symlink(&target, fx.work().join("dangling")).unwrap();
    std::os::unix::fs::symlink(&dir_target, fx.work().join("dangling-dir")).unwrap();
    let out = fx.praxis(&["prompt", "--yolo", "-T", "20", "fs-dangling"]);
    assert!(
        !target.exists(),
        "the write followed the dangling symlink and created {} ({:?})",
        target.display(),
        std::fs::read_to_string(&target)
    );
    assert!(
        !dir_target.exists(),
        "the write created the directory {} outside",
        dir_target.display()
    );
    // Both writes are answered with an error (error_code_of fails the test otherwise).
    fx.error_code_of("w-dangling");
    fx.error_code_of("w-dangling-dir");
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out.stderr));
    assert!(text(&out.stdout).contains("fs done"));
}

#[test]
fn fs_through_a_symlinked_directory_is_refused() {
    let fx = Fixture::new(&[]);
    std::os::unix::fs::symlink(fx.outside(), fx.work().join("linkdir")).unwrap();
    fs_prompt(&fx, "fs-symdir", "20");
    fx.error_code_of("r-symdir");
    fx.error_code_of("w-symdir");
    let leaked = fx
        .answer_to("r-symdir")
        .map(|a| a.to_string())
        .unwrap_or_default();
    assert!(!leaked.contains("TOP-SECRET"), "{leaked}");
    assert!(!fx.outside().join("new.txt").exists());
}

#[test]
fn fs_read_of_a_fifo_fails_promptly() {
    let fx = Fixture::new(&[]);
    let fifo = fx.work().join("pipe");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo failed");
    // -T 5: a read that blocks would end the prompt by timeout (exit 1), or hang praxis.
    fs_prompt(&fx, "fs-fifo", "5");
    fx.error_code_of("r-fifo");
}

#[test]
fn fs_swap_race_never_leaks_or_overwrites_the_outside_file() {
    let fx = Fixture::new(&[]);
    // `swap` (a regular file) and `.swap-alt` (a symlink to the file outside) trade places
    // atomically, over and over, from a thread of the test and one of the agent, while the
    // agent sends 500 reads and 500 writes of `swap`. The working directory is deep, so that
    // the path walk between a check and an open is long.
    let cwd = (0..40).fold(fx.work(), |p, _| p.join("d"));
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::write(cwd.join("swap"), "inside\n").unwrap();
    std::os::unix::fs::symlink(fx.outside().join("secret.txt"), cwd.join(".swap-alt")).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (stop, cwd) = (stop.clone(), cwd.clone());
        std::thread::spawn(move || swap_until(&cwd, &stop))
    };
    let mut cmd = fx.command(&["prompt", "--yolo", "-T", "25", "fs-swap"]);
    cmd.current_dir(&cwd);
    let out = run_guarded(cmd, "praxis prompt --yolo fs-swap");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    let (stdout, stderr) = (text(&out.stdout), shown(&out.stderr));
    let mut answered = 0;
    let (mut read_ok, mut read_err) = (0, 0);
    for m in fx.received() {
        let Some(id) = m.get("id").and_then(Value::as_str) else {
            continue;
        };
        if m.get("method").is_some() || !id.starts_with("swap-") {
            continue;
        }
        answered += 1;
        assert!(
            !m.to_string().contains("TOP-SECRET"),
            "a read through the swapped symlink returned the file outside: {m}"
        );
        if id.starts_with("swap-r-") {
            if m.get("error").is_some() {
                read_err += 1;
            } else {
                read_ok += 1;
            }
        }
    }
    let secret = std::fs::read_to_string(fx.outside().join("secret.txt")).unwrap();
    assert_eq!(
        secret, SECRET,
        "a write through the swapped symlink changed the file outside"
    );
    assert_eq!(
        answered, 1000,
        "every read and write got an answer; stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The race was real: the path was seen both ways.
    assert!(
        read_ok > 0 && read_err > 0,
        "the swap was not exercised ({swaps} swaps; reads: {read_ok} ok, {read_err} refused)"
    );
}

/// Exchanges `work/swap` and `work/.swap-alt` until `stop`; returns how many times.
fn swap_until(work: &std::path::Path, stop: &std::sync::atomic::AtomicBool) -> u64 {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(work.join("swap").as_os_str().as_bytes()).unwrap();
    let b = std::ffi::CString::new(work.join(".swap-alt").as_os_str().as_bytes()).unwrap();
    let mut n = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        // SAFETY: two valid NUL-terminated paths; renameat2 touches no memory of ours.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            n += 1;
        } else {
            // No RENAME_EXCHANGE here: three renames do it, not atomically.
            let (pa, pb) = (work.join("swap"), work.join(".swap-alt"));
            let tmp = work.join(".swap-tmp");
            if std::fs::rename(&pa, &tmp).is_ok()
                && std::fs::rename(&pb, &pa).is_ok()
                && std::fs::rename(&tmp, &pb).is_ok()
            {
                n += 1;
            }
        }
    }
    n
}

// ---------------------------------------------------------------------------------------
// 4. Signals.

/// Kills the agent by its pid when the test ends, if it is still there.
struct AgentReaper(Option<i32>);

impl Drop for AgentReaper {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            if !process_gone(pid) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

/// The pid the agent wrote at start (waits for it).
fn agent_pid(fx: &Fixture) -> i32 {
    let mut pid = None;
    wait_until(
        || {
            pid = std::fs::read_to_string(fx.pid_path())
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok());
            pid.is_some()
        },
        || "the agent never wrote its pid".into(),
    );
    pid.unwrap()
}

fn signal_restores_terminal_and_ends_agent(signal: &str) {
    let fx = Fixture::new(&[("HOSTILE_STUBBORN", "1")]);
    let t = Tmux::start(&fx, 120, 30);
    t.wait_idle();
    let agent_pid = agent_pid(&fx);
    let _reaper = AgentReaper(Some(agent_pid));
    assert!(!process_gone(agent_pid), "the agent is running");
    // Mid-turn: the agent never answers this prompt.
    t.text("hang");
    t.keys(&["Enter"]);
    t.wait_for_any(&tmux::WORKING);
    let praxis = t.praxis_pid();
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &praxis.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {praxis} failed");
    let screen = t.wait_for("PRAXIS-EXITED");
    let code = if signal == "TERM" { 143 } else { 129 };
    assert!(
        screen.contains(&format!("PRAXIS-EXITED {code}")),
        "praxis exits 128+N after SIG{signal}:\n{screen}"
    );
    let flags = t.display("#{alternate_on} #{cursor_flag} #{mouse_any_flag}");
    assert_eq!(
        flags, "0 1 0",
        "after SIG{signal} the pane is restored (alternate_on cursor_flag mouse_any_flag); screen:\n{screen}"
    );
    wait_until(
        || process_gone(agent_pid),
        || {
            format!(
                "the agent (pid {agent_pid}) is still running after praxis exited on SIG{signal}"
            )
        },
    );
}

#[test]
fn an_agent_that_closes_its_output_but_keeps_running_is_ended() {
    let fx = Fixture::new(&[("HOSTILE_STUBBORN", "1")]);
    let t = Tmux::start(&fx, 120, 30);
    t.wait_idle();
    let agent_pid = agent_pid(&fx);
    let _reaper = AgentReaper(Some(agent_pid));
    t.text("close-stdout");
    t.keys(&["Enter"]);
    let screen = t.wait_for("agent closed its output");
    assert!(screen.contains("closing my output now"), "{screen}");
    let praxis = t.praxis_pid();
    // It ignores SIGTERM: the node kills its group after the grace period, while praxis runs.
    wait_until(
        || process_gone(agent_pid),
        || format!("the agent (pid {agent_pid}) that closed its output is still running"),
    );
    assert!(!process_gone(praxis), "praxis itself is still running");
    let screen = t.quit();
    assert!(screen.contains("PRAXIS-EXITED 0"), "{screen}");
}

#[test]
fn a_flood_before_the_handshake_answer_does_not_hold_it_up() {
    // Far more frames than the channels hold, all sent before `session/new` is answered: the
    // answer must still be read at once (not after the 60 s handshake timeout).
    let fx = Fixture::new(&[("HOSTILE_EARLY_FLOOD", "2000")]);
    let out = fx.praxis(&["prompt", "-T", "20", "hello"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello from the hostile agent.\n");
}

#[test]
fn sigterm_restores_the_terminal_and_leaves_no_agent() {
    signal_restores_terminal_and_ends_agent("TERM");
}

#[test]
fn sighup_restores_the_terminal_and_leaves_no_agent() {
    signal_restores_terminal_and_ends_agent("HUP");
}

// ---------------------------------------------------------------------------------------
// 5. A closed stderr.

#[test]
fn closed_stderr_does_not_panic() {
    let fx = Fixture::new(&[]);
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("exec \"$0\" prompt -T 20 permission 2>&-")
        .arg(PRAXIS)
        .current_dir(fx.work())
        .env("PRAXIS_CONFIG_DIR", fx.cfg())
        .env("PRAXIS_DATA_DIR", fx.data());
    let out = run_guarded(cmd, "praxis prompt permission 2>&-");
    assert_ne!(
        out.status.code(),
        Some(101),
        "praxis panicked writing to a closed stderr; stdout:\n{}",
        text(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("permission answered: selected reject"),
        "{}",
        text(&out.stdout)
    );
}

// ---------------------------------------------------------------------------------------
// 6. Request ids praxis cannot use.

#[test]
fn odd_request_ids_get_invalid_request_with_a_null_id() {
    let fx = Fixture::new(&[]);
    std::fs::write(fx.work().join("notes.txt"), "notes\n").unwrap();
    let out = fx.praxis(&["prompt", "-T", "25", "odd-ids"]);
    let null_answers: Vec<Value> = fx
        .received()
        .into_iter()
        .filter(|m| m.get("method").is_none() && m.get("id") == Some(&Value::Null))
        .collect();
    assert_eq!(
        null_answers.len(),
        5,
        "one answer with \"id\": null per request with an id of 2^70, 1.5, {{}}, [] and true; the agent received:\n{}",
        fx.log_text()
    );
    for a in &null_answers {
        assert_eq!(
            a.pointer("/error/code").and_then(Value::as_i64),
            Some(-32600),
            "invalid request: {a}"
        );
    }
    assert!(
        text(&out.stdout).contains("odd ids done"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out.stderr));
}

// ---------------------------------------------------------------------------------------
// 7. A frame over the 16 MiB limit.

#[test]
fn oversized_frame_is_reported_and_skipped_by_prompt() {
    let fx = Fixture::new(&[]);
    let out = fx.praxis(&["prompt", "-T", "25", "oversized"]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        stdout.contains("before the big frame") && stdout.contains("after the big frame"),
        "stdout:\n{}\nstderr:\n{stderr}",
        shown(&out.stdout)
    );
    assert!(
        !stdout.contains("BIG-"),
        "the oversized frame was not shown"
    );
    assert!(
        stderr.contains("over the 16 MiB limit"),
        "stderr says the frame was over the limit:\n{stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn oversized_frame_is_reported_in_the_tui() {
    let fx = Fixture::new(&[]);
    let t = Tmux::start(&fx, 160, 40);
    t.wait_idle();
    t.text("oversized");
    t.keys(&["Enter"]);
    t.wait_for("after the big frame");
    t.wait_idle();
    t.wait_for("over the 16 MiB limit");
    let screen = t.quit();
    assert!(screen.contains("PRAXIS-EXITED 0"), "{screen}");
}
