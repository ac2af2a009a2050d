//! Being told, as a person meets it: the real `praxis` binary in tmux with the demo agent. A
//! session whose turn ends while another is on screen rings the terminal (the bytes praxis
//! writes, captured with `tmux pipe-pane`) and counts in the status bar's "need you" until it
//! is looked at; a session whose agent crashed stays listed, marked, and reopens.
//!
//! Waits poll `capture-pane` with a generous hang guard; nothing asserts on timing.

#[path = "common/home.rs"]
mod home;
#[path = "common/tmux.rs"]
mod tmux;

use home::{at, quit, send, status_bar, Home};
use std::process::Command;

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
    let journal = home.journal(&home.session_ids()[0]);
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
