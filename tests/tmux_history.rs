//! Sessions you can find again, as a person meets them: the real `praxis` binary in tmux with
//! the demo agent, run, quit with Ctrl+Q, and run again on the same data dir. The earlier
//! session is found in the Active Sessions overlay by typing a word of its first prompt and
//! reopened (its transcript replayed, the fresh agent session said plainly, a new prompt
//! answered); `praxis --continue` opens the most recent one at once; `praxis transcript`
//! takes the 8 characters the status bar shows. A session whose turn ends while another is on
//! screen rings the terminal (the bytes praxis writes, captured with `tmux pipe-pane`) and
//! counts in the status bar's "need you"; a session whose agent crashed stays listed, marked.
//!
//! Waits poll `capture-pane` with a generous hang guard; nothing asserts on timing.

#[path = "common/tmux.rs"]
mod tmux;

use std::cell::Cell;
use std::path::PathBuf;
use std::process::Command;

const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");

/// One person's machine: config and data dirs kept across runs of the app, and the directory
/// they work in. Every run starts in that directory with the default agent (the demo agent),
/// and without a broker, a node token or a runtime dir from the environment, so only the
/// in-process local node is used.
struct Home {
    root: tempfile::TempDir,
    runs: Cell<u32>,
}

impl Home {
    fn new() -> Home {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("work")).unwrap();
        Home {
            root,
            runs: Cell::new(0),
        }
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("config")
    }

    fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    /// `praxis ARGS` in a new tmux session; `PRAXIS-EXITED <code>` shows when it ends.
    fn run(&self, args: &str) -> tmux::Tmux {
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
    fn command(&self) -> Command {
        let mut c = Command::new(PRAXIS);
        c.current_dir(self.work())
            .env("PRAXIS_CONFIG_DIR", self.config())
            .env("PRAXIS_DATA_DIR", self.data())
            .env_remove("PRAXIS_BROKER")
            .env_remove("PRAXIS_NODE_TOKEN")
            .env_remove("PRAXIS_RUNTIME_DIR");
        c
    }

    /// The ids of every session with a journal (`<data>/sessions/<id>.jsonl`), sorted.
    fn session_ids(&self) -> Vec<String> {
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
    fn one_session(&self, words: &str) -> String {
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
fn send(t: &tmux::Tmux, text: &str) {
    t.text(text);
    t.keys(&["Enter"]);
}

/// Ctrl+Q, and the process has exited with 0 (the shell prints its exit code).
fn quit(t: &tmux::Tmux) {
    t.keys(&["C-q"]);
    let screen = t.wait_for("PRAXIS-EXITED");
    assert!(
        screen.contains("PRAXIS-EXITED 0"),
        "praxis exits cleanly on Ctrl+Q:\n{screen}"
    );
}

/// The bottom line of the screen: the status bar.
fn status_bar(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

/// Where `needle` first shows on `screen` (for order checks), failing with the screen.
fn at(screen: &str, needle: &str) -> usize {
    screen
        .find(needle)
        .unwrap_or_else(|| panic!("the screen does not show {needle:?}:\n{screen}"))
}

#[test]
fn a_session_is_found_again_after_a_restart_by_its_first_prompt() {
    let home = Home::new();
    let id = home.one_session("the walrus plan");
    let short = &id[..8];

    // Run 2 starts a fresh session, as always.
    let t = home.run("");
    let screen = t.wait_for("demo · idle");
    assert!(
        !screen.contains("the walrus plan"),
        "the new run starts on a new session, not the old transcript:\n{screen}"
    );

    // Ctrl+W leaves the chat for the Nodes window, Ctrl+W again lists the sessions: the earlier
    // one is there, ended, by its first prompt.
    t.keys(&["C-w"]);
    t.wait_for("Nodes");
    t.keys(&["C-w"]);
    // (The overlay's frame may be captured half-drawn: wait for the row itself.)
    t.wait_for("Active Sessions");
    let screen = t.wait_for("/echo the walrus plan");
    let row = screen
        .lines()
        .find(|l| l.contains("/echo the walrus plan"))
        .unwrap_or_else(|| panic!("the overlay lists the earlier session by its title:\n{screen}"));
    assert!(
        row.contains(short),
        "its row shows the short id {short}:\n{screen}"
    );
    assert!(
        at(&screen, "ended") < at(&screen, "/echo the walrus plan"),
        "a session that ended minutes ago is under \"ended\":\n{screen}"
    );
    assert!(
        screen.contains("(no prompt yet)"),
        "the session this run started is listed too:\n{screen}"
    );

    // Typing filters: only the walrus session is left, and the filter says what it is.
    t.text("walrus");
    let screen = t.wait_for("Filter: walrus");
    assert!(
        screen.contains("/echo the walrus plan") && screen.contains(short),
        "the filtered overlay shows the matching session:\n{screen}"
    );
    assert!(
        !screen.contains("(no prompt yet)"),
        "the filter hides the session that does not match:\n{screen}"
    );

    // Enter reopens it: the transcript replayed from the journal, then the plain notice.
    t.keys(&["Enter"]);
    t.wait_gone("Active Sessions");
    let screen = t.wait_for("without the earlier context");
    assert!(
        screen.contains(
            "Reopened with a new agent session: the agent starts without the earlier context"
        ),
        "the notice says what happened:\n{screen}"
    );
    let prompt = at(&screen, "┃ /echo the walrus plan");
    let answer = at(&screen, "│ the walrus plan");
    let notice = at(&screen, "Reopened with a new agent session");
    assert!(
        prompt < answer && answer < notice,
        "the replayed prompt and answer come before the notice:\n{screen}"
    );
    let screen = t.wait_for("demo · idle · /echo the walrus plan");
    let bar = status_bar(&screen);
    assert!(
        bar.contains("/echo the walrus plan") && bar.contains(&format!("({short})")),
        "the status bar names the reopened session by title and short id:\n{screen}"
    );

    // A new prompt works, in the same session.
    send(&t, "/echo second turn");
    t.wait_for("│ second turn");
    let screen = t.wait_for("demo · idle · /echo the walrus plan");
    assert!(
        at(&screen, "Reopened with a new agent session") < at(&screen, "┃ /echo second turn")
            && at(&screen, "┃ /echo second turn") < at(&screen, "│ second turn"),
        "the new turn follows the notice:\n{screen}"
    );
    assert!(
        screen.contains("│ the walrus plan"),
        "the earlier answer is still on screen:\n{screen}"
    );
    quit(&t);
    let journal =
        std::fs::read_to_string(home.data().join("sessions").join(format!("{id}.jsonl"))).unwrap();
    assert!(
        journal.contains("second turn"),
        "the new turn is journaled in the reopened session:\n{journal}"
    );
}

#[test]
fn continue_opens_the_most_recent_session() {
    let home = Home::new();
    // Two runs, one session each: the otter session, then (more recent) the heron session.
    let otter = home.one_session("the otter memo");
    let t = home.run("");
    t.wait_for("demo · idle");
    send(&t, "/echo the heron draft");
    t.wait_for("│ the heron draft");
    t.wait_for("demo · idle · /echo the heron draft");
    quit(&t);
    drop(t);
    let heron = home
        .session_ids()
        .into_iter()
        .find(|id| *id != otter)
        .expect("a second journal");

    // `--continue` shows the heron session's transcript at once, with no overlay.
    let t = home.run("--continue");
    let screen = t.wait_for("│ the heron draft");
    assert!(
        screen.contains("┃ /echo the heron draft"),
        "the transcript shows the prompt too:\n{screen}"
    );
    assert!(
        !screen.contains("Active Sessions") && !screen.contains("Nodes"),
        "no overlay or window in the way:\n{screen}"
    );
    assert!(
        !screen.contains("otter"),
        "the older session is not the one continued:\n{screen}"
    );
    let screen = t.wait_for("idle · /echo the heron draft");
    let bar = status_bar(&screen);
    assert!(
        bar.contains(&format!("({})", &heron[..8])),
        "the status bar names the continued session:\n{screen}"
    );

    // A new prompt works there.
    send(&t, "/echo after continuing");
    t.wait_for("│ after continuing");
    let screen = t.wait_for("idle · /echo the heron draft");
    assert!(
        at(&screen, "│ the heron draft") < at(&screen, "┃ /echo after continuing"),
        "the new turn follows the continued transcript:\n{screen}"
    );
    quit(&t);
    let journal =
        std::fs::read_to_string(home.data().join("sessions").join(format!("{heron}.jsonl")))
            .unwrap();
    assert!(
        journal.contains("after continuing"),
        "the new turn is journaled in the continued session:\n{journal}"
    );
}

#[test]
fn short_ids_work_for_the_transcript_command() {
    let home = Home::new();
    let id = home.one_session("the badger ledger");

    // The 8 characters the UI shows name the session.
    let out = home
        .command()
        .args(["transcript", &id[..8]])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "`praxis transcript {}` succeeds ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        &id[..8],
        out.status
    );
    assert!(
        stdout.contains(&format!("- session: {id}")),
        "the Markdown names the whole id:\n{stdout}"
    );
    assert!(
        stdout.contains("## ▸ you\n\n/echo the badger ledger")
            && stdout.contains("## ● demo\n\nthe badger ledger"),
        "the Markdown holds the prompt and the answer:\n{stdout}"
    );

    // A prefix no session has is an error that names it.
    let first = if id.starts_with('0') { "1" } else { "0" };
    let unknown = format!("{first}{}", &id[1..8]);
    let out = home
        .command()
        .args(["transcript", &unknown])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "an unknown prefix fails:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.contains(&unknown),
        "the error names the prefix {unknown}:\n{stderr}"
    );
    assert!(
        !stdout.contains("# praxis transcript"),
        "no transcript is printed:\n{stdout}"
    );
}

#[test]
fn resume_with_a_short_id_opens_that_session() {
    let home = Home::new();
    let id = home.one_session("the lynx notes");
    let short = &id[..8];

    // `--resume` with the 8 characters the UI shows opens that session at once.
    let t = home.run(&format!("--resume {short}"));
    let screen = t.wait_for("without the earlier context");
    assert!(
        !screen.contains("Active Sessions"),
        "no overlay in the way:\n{screen}"
    );
    assert!(
        at(&screen, "┃ /echo the lynx notes") < at(&screen, "│ the lynx notes")
            && at(&screen, "│ the lynx notes") < at(&screen, "Reopened with a new agent session"),
        "the replayed transcript, then the notice:\n{screen}"
    );
    let screen = t.wait_for("demo · idle · /echo the lynx notes");
    assert!(
        status_bar(&screen).contains(&format!("({short})")),
        "the status bar names the resumed session:\n{screen}"
    );
    send(&t, "/echo after resuming");
    t.wait_for("│ after resuming");
    t.wait_for("demo · idle · /echo the lynx notes");
    quit(&t);
    drop(t);

    // A prefix no session has: the overlay opens on what there is, and the error names it.
    let first = if id.starts_with('0') { "1" } else { "0" };
    let unknown = format!("{first}{}", &id[1..8]);
    let t = home.run(&format!("--resume {unknown}"));
    let screen = t.wait_for("Active Sessions");
    let screen = if screen.contains(&unknown) {
        screen
    } else {
        t.wait_for(&unknown)
    };
    assert!(
        status_bar(&screen).contains(&unknown) && status_bar(&screen).contains("No session"),
        "the status bar says no session matches {unknown}:\n{screen}"
    );
    let screen = t.wait_for("/echo the lynx notes");
    assert!(
        screen.contains("/echo the lynx notes"),
        "the overlay lists the session there is:\n{screen}"
    );
    quit(&t);
}

#[test]
fn continue_after_reopening_returns_to_the_session_last_used() {
    let home = Home::new();
    let id = home.one_session("the walrus plan");

    // Run 2: the usual fresh session starts, but the person reopens the walrus session from
    // the overlay and works there.
    let t = home.run("");
    t.wait_for("demo · idle · (no prompt yet)");
    t.keys(&["C-w"]);
    t.wait_for("Nodes");
    t.keys(&["C-w"]);
    t.wait_for("Active Sessions");
    t.text("walrus");
    t.wait_for("Filter: walrus");
    t.keys(&["Enter"]);
    t.wait_for("without the earlier context");
    t.wait_for("demo · idle · /echo the walrus plan");
    send(&t, "/echo second turn");
    t.wait_for("│ second turn");
    t.wait_for("demo · idle · /echo the walrus plan");
    quit(&t);
    drop(t);

    // Run 3: `--continue` comes back to the walrus session, the one last used.
    let t = home.run("--continue");
    let screen = t.wait_for("without the earlier context");
    let screen = if screen.contains("idle · ") {
        screen
    } else {
        t.wait_for("idle · ")
    };
    assert!(
        status_bar(&screen).contains(&format!("/echo the walrus plan ({})", &id[..8]))
            && screen.contains("│ second turn"),
        "--continue opens the session worked in last, not the empty one:\n{screen}"
    );
    quit(&t);
}

/// The 8-character short id the status bar shows in parentheses, as in `… (0b9d0cf4)  mode:…`.
fn short_id_in(bar: &str) -> Option<&str> {
    bar.match_indices('(').find_map(|(i, _)| {
        let id = bar.get(i + 1..i + 9)?;
        let ok = id.chars().all(|c| c.is_ascii_hexdigit()) && bar.get(i + 9..i + 10) == Some(")");
        ok.then_some(id)
    })
}

/// Everything written to the pane of `t` from now on is appended to `file` (tmux pipe-pane).
fn capture_output(t: &tmux::Tmux, file: &std::path::Path) {
    let status = Command::new("tmux")
        .args(["pipe-pane", "-o", "-t", &t.name])
        .arg(format!("cat >> '{}'", file.display()))
        .status()
        .unwrap();
    assert!(status.success(), "tmux pipe-pane failed");
}

fn captured(file: &std::path::Path) -> Vec<u8> {
    std::fs::read(file).unwrap_or_default()
}

fn bells(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == 0x07).count()
}

/// Waits until the bytes captured in `file` satisfy `done` (a hang guard, not a timing check).
fn wait_captured(
    t: &tmux::Tmux,
    file: &std::path::Path,
    what: &str,
    done: impl Fn(&[u8]) -> bool,
) -> Vec<u8> {
    let start = std::time::Instant::now();
    loop {
        let bytes = captured(file);
        if done(&bytes) {
            return bytes;
        }
        if start.elapsed() > std::time::Duration::from_secs(60) {
            panic!(
                "the output never showed {what}; the screen:\n{}\nthe last bytes written: {:?}",
                t.screen(),
                String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(400)..])
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The title last set with OSC 2 (`ESC ] 2 ; TITLE ESC \`) in `bytes`.
fn last_title(bytes: &[u8]) -> Option<String> {
    let start = bytes
        .windows(4)
        .rposition(|w| w == b"\x1b]2;")
        .map(|i| i + 4)?;
    let len = bytes[start..].windows(2).position(|w| w == b"\x1b\\")?;
    Some(String::from_utf8_lossy(&bytes[start..start + len]).into_owned())
}

#[test]
fn a_background_session_rings_the_bell_when_its_turn_ends() {
    let home = Home::new();
    let t = home.run("");
    let out = home.root.path().join("pane-output");
    capture_output(&t, &out);
    let screen = t.wait_for("demo · idle · (no prompt yet)");
    let a = short_id_in(status_bar(&screen))
        .unwrap_or_else(|| panic!("the status bar shows a short id:\n{screen}"))
        .to_string();

    // Session A streams ticks for about ten seconds: long enough to start B meanwhile.
    send(&t, "/slow 100");
    t.wait_for("│ tick 3");
    // The pipe has caught up with the turn (the title says A works; the ticks themselves are
    // drawn as changed cells, not whole lines), and A, on screen, has rung nothing.
    let working = format!("\x1b]2;praxis — /slow 100 ({a}) · working\x1b\\");
    let bytes = wait_captured(&t, &out, "the title of A working", |b| {
        contains(b, working.as_bytes())
    });
    assert_eq!(
        bells(&bytes),
        0,
        "no bell while the working session is the one on screen:\n{}",
        t.screen()
    );

    // B: the Nodes window (Ctrl+L), Enter on the demo agent opens the form, Enter starts it.
    t.keys(&["C-l"]);
    t.wait_for("Nodes");
    t.keys(&["Enter"]);
    let screen = t.wait_for("New session · demo");
    assert!(
        status_bar(&screen).contains(&format!("demo · working · /slow 100 ({a})")),
        "A is still working when B is started:\n{screen}"
    );
    let switched_at = captured(&out).len();
    t.keys(&["Enter"]);
    let screen = t.wait_for("demo · idle · (no prompt yet)");
    assert!(
        !screen.contains("New session · demo") && !screen.contains("tick"),
        "B is on screen, with its empty transcript:\n{screen}"
    );
    let b = short_id_in(status_bar(&screen))
        .unwrap_or_else(|| panic!("the status bar shows B's short id:\n{screen}"))
        .to_string();
    assert_ne!(a, b, "B is a new session:\n{screen}");
    assert!(
        status_bar(&screen).contains("2 sessions"),
        "the status bar counts both sessions:\n{screen}"
    );

    // A's turn ends off screen: the status bar says so, and the terminal rang exactly once,
    // after the switch.
    let screen = t.wait_for("1 need you");
    let bar = status_bar(&screen);
    assert!(
        bar.contains(&format!("({b})")) && bar.contains("1 need you"),
        "B stays on screen and the status bar counts A as needing you:\n{screen}"
    );
    assert!(
        !screen.contains("tick"),
        "A's transcript is not shown:\n{screen}"
    );
    let bytes = wait_captured(&t, &out, "a BEL", |b| bells(b) > 0);
    assert_eq!(
        bells(&bytes[..switched_at]),
        0,
        "no bell before the switch:\n{screen}"
    );
    assert_eq!(
        bells(&bytes),
        1,
        "one bell, for A's turn ending in the background:\n{screen}"
    );
    let title = last_title(&bytes);
    assert!(
        title
            .as_deref()
            .is_some_and(|t| t.contains(&format!("({b})"))),
        "the terminal title names B, the session on screen: {title:?}\n{screen}"
    );

    // Back to A (Alt+1: the first in the overlay's order): its whole answer is there and
    // nothing needs you any more.
    t.keys(&["M-1"]);
    let screen = t.wait_for(&format!("/slow 100 ({a})"));
    assert!(
        screen.contains("│ tick 100"),
        "A's finished answer is shown:\n{screen}"
    );
    t.wait_gone("need you");
    let screen = t.screen();
    assert!(
        status_bar(&screen).contains(&format!("demo · idle · /slow 100 ({a})")),
        "A is on screen, idle:\n{screen}"
    );
    let bytes = wait_captured(&t, &out, "a title naming A", |b| {
        last_title(b).is_some_and(|t| t.contains(&format!("({a})")))
    });
    assert_eq!(
        bells(&bytes),
        1,
        "switching back rings nothing more:\n{screen}"
    );
    quit(&t);
}

/// A run whose only session gets `/echo WORDS`, then `/crash`: the agent process exits and the
/// session fails, on screen. Returns the session's short id.
fn crashed(t: &tmux::Tmux, words: &str) -> String {
    let screen = t.wait_for("demo · idle · (no prompt yet)");
    let id = short_id_in(status_bar(&screen))
        .unwrap_or_else(|| panic!("the status bar shows a short id:\n{screen}"))
        .to_string();
    send(t, &format!("/echo {words}"));
    t.wait_for(&format!("│ {words}"));
    t.wait_for(&format!("demo · idle · /echo {words}"));
    send(t, "/crash");
    let screen = t.wait_for("Session failed:");
    let screen = if status_bar(&screen).contains("failed") {
        screen
    } else {
        t.wait_for(&format!("demo · failed · /echo {words} ({id})"))
    };
    assert!(
        screen.contains("│ About to crash…"),
        "the answer so far is kept:\n{screen}"
    );
    assert!(
        screen.contains("✗ Session failed: agent exited (exit status 3)"),
        "the transcript says the session failed and why:\n{screen}"
    );
    assert!(
        at(&screen, "┃ /crash") < at(&screen, "Session failed:"),
        "the failure follows the prompt that caused it:\n{screen}"
    );
    assert!(
        status_bar(&screen).contains(&format!("demo · failed · /echo {words} ({id})")),
        "the status bar says the session failed:\n{screen}"
    );
    id
}

/// Ctrl+W (the Nodes window), Ctrl+W again: the Active Sessions overlay, once `row` shows.
fn overlay(t: &tmux::Tmux, row: &str) -> String {
    t.keys(&["C-w"]);
    t.wait_for("Nodes");
    t.keys(&["C-w"]);
    t.wait_for("Active Sessions");
    t.wait_for(row)
}

#[test]
fn a_failed_session_is_kept_and_marked() {
    let home = Home::new();
    let t = home.run("");
    let id = crashed(&t, "the crane log");

    // The failed session stays listed: under "ended" (a failed session is no longer live),
    // with the failure mark and the reason on its row.
    let screen = overlay(&t, &id);
    let row = screen
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("the overlay lists the failed session:\n{screen}"));
    assert!(
        row.contains("✗") && row.contains("/echo the crane log") && row.contains("agent exited"),
        "its row has the failed mark, its title and the reason:\n{screen}"
    );
    assert!(
        at(&screen, "ended · 1") < at(&screen, &id),
        "the failed session is under \"ended\":\n{screen}"
    );
    assert!(
        !screen.contains("needs you") && !screen.contains("idle ·"),
        "no other group lists it:\n{screen}"
    );

    // Its detail (Tab) gives the whole reason.
    t.keys(&["Tab"]);
    let screen = t.wait_for(&format!("Session {id}"));
    assert!(
        screen.contains("failed · agent exited (exit status 3): demo agent: simulated crash"),
        "the detail gives the status and the whole reason:\n{screen}"
    );
    quit(&t);
    let journal = std::fs::read_to_string(
        home.data()
            .join("sessions")
            .join(format!("{}.jsonl", home.session_ids()[0])),
    )
    .unwrap();
    assert!(
        journal.contains("\"status\":\"failed\""),
        "the journal records the failure:\n{journal}"
    );
}

#[test]
fn a_session_that_failed_in_this_run_reopens() {
    let home = Home::new();
    let t = home.run("");
    let id = crashed(&t, "the crane log");
    overlay(&t, &id);

    // Enter reopens it: the transcript replayed from the journal, then the plain notice.
    t.keys(&["Enter"]);
    t.wait_gone("Active Sessions");
    // (The replay goes through "idle" after its first turn: wait for the notice itself.)
    let screen = t.wait_for("without the earlier context");
    assert!(
        screen.contains(
            "Reopened with a new agent session: the agent starts without the earlier context"
        ),
        "the notice says what happened:\n{screen}"
    );
    let screen = t.wait_for(&format!("demo · idle · /echo the crane log ({id})"));
    assert!(
        at(&screen, "┃ /echo the crane log") < at(&screen, "│ the crane log")
            && at(&screen, "│ the crane log") < at(&screen, "┃ /crash")
            && at(&screen, "┃ /crash") < at(&screen, "Reopened with a new agent session"),
        "the replayed transcript, the failed turn included, comes before the notice:\n{screen}"
    );

    // A new prompt works, in the same session.
    send(&t, "/echo after the crash");
    t.wait_for("│ after the crash");
    let screen = t.wait_for(&format!("demo · idle · /echo the crane log ({id})"));
    assert!(
        at(&screen, "Reopened with a new agent session") < at(&screen, "┃ /echo after the crash")
            && at(&screen, "┃ /echo after the crash") < at(&screen, "│ after the crash"),
        "the new turn, prompt then answer, follows the notice:\n{screen}"
    );
    quit(&t);
}
