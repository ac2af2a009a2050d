//! Sessions you can find again, as a person meets them: the real `praxis` binary in tmux with
//! the demo agent, run, quit with Ctrl+Q, and run again on the same data dir. The earlier
//! session is found in the Active Sessions overlay by typing a word of its first prompt and
//! reopened (its transcript replayed, the fresh agent session said plainly, a new prompt
//! answered); `praxis --continue` opens the most recent one at once; `praxis --resume ID` and
//! `praxis transcript` take the 8 characters the status bar shows. Being told about a
//! background session, and a failed one kept, are in `tmux_attention.rs`.
//!
//! Waits poll `capture-pane` with a generous hang guard; nothing asserts on timing.

#[path = "common/home.rs"]
mod home;
#[path = "common/tmux.rs"]
mod tmux;

use home::{at, quit, send, status_bar, Home};

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
    let journal = home.journal(&id);
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
    let journal = home.journal(&heron);
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
