//! The full-screen client beside `praxis session …` in a real terminal (tmux): a session
//! started from the shell is opened with `praxis --resume ID`, a prompt queued from the shell
//! shows in the open client with its answer, and a stop from the shell ends it there.

#[path = "common/home.rs"]
mod home;
#[path = "common/tmux.rs"]
mod tmux;

use home::{quit, status_bar, Home};

/// Ends the local daemon `praxis session start` started (its pid is beside its socket).
struct Daemon(std::path::PathBuf);

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            if let Ok(pid) = pid.trim().parse::<i32>() {
                // SAFETY: a plain kill(2) of the daemon this test started.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
        }
    }
}

fn session(home: &Home, args: &[&str]) -> (i32, String, String) {
    let out = home.command().arg("session").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_session_started_from_the_shell_is_opened_prompted_and_stopped_beside_the_client() {
    let home = Home::new();
    let _daemon = Daemon(home.data().join("run").join("node.pid"));
    let (code, out, err) = session(&home, &["start", "/echo started from a script"]);
    assert_eq!(code, 0, "session start: {err}");
    let id = out.trim().to_string();
    assert_eq!(id.len(), 36, "start prints the full id: {out:?}");
    let short = &id[..8];

    // The client finds it on the daemon (not on its own in-process node) and opens it.
    let t = home.run(&format!("--resume {short}"));
    let screen = t.wait_for("│ started from a script");
    assert!(
        status_bar(&screen).contains(&format!("({short})")),
        "the status bar names the session:\n{screen}"
    );

    // A prompt from the shell: the open client shows it and the answer as they happen.
    let (code, out, err) = session(&home, &["prompt", &id[..6], "/echo typed elsewhere"]);
    assert_eq!(code, 0, "session prompt: {err}");
    assert_eq!(out.trim(), format!("{short}: accepted"));
    let screen = t.wait_for("│ typed elsewhere");
    assert!(
        screen.contains("┃ /echo typed elsewhere"),
        "the prompt shows as a user turn:\n{screen}"
    );
    let first = screen.find("started from a script").unwrap();
    let second = screen.find("┃ /echo typed elsewhere").unwrap();
    assert!(first < second, "in order:\n{screen}");

    // Stopped from the shell: the client says so.
    let (code, out, err) = session(&home, &["stop", short]);
    assert_eq!(code, 0, "session stop: {err}");
    assert_eq!(out.trim(), format!("{short}: idle → closed"));
    let screen = t.wait_for("closed");
    assert!(
        status_bar(&screen).contains("closed"),
        "the status bar shows the session closed:\n{screen}"
    );
    quit(&t);

    // Quitting the client left the daemon running: the history is still there.
    let (code, out, err) = session(&home, &["list", "--all"]);
    assert_eq!(code, 0, "session list: {err}");
    assert!(
        out.contains(short) && out.contains("closed"),
        "listed as closed:\n{out}"
    );
}
