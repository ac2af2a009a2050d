//! A tmux session running a shell script (the real `praxis` binary in a real terminal), driven
//! with keys and read with `capture-pane`, as a person would. Waits poll the screen with a
//! generous hang guard; nothing here times anything. Shared by `tmux_e2e.rs` and
//! `tmux_remote.rs` (`#[path = "common/tmux.rs"] mod tmux;`).

#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// How long a wait lasts before the test fails with what the screen shows.
const HANG_GUARD: Duration = Duration::from_secs(60);

pub struct Tmux {
    pub name: String,
}

impl Tmux {
    /// A new detached session `name` of `width`×`height` running `script` under `sh -c`.
    pub fn spawn(name: String, width: u16, height: u16, script: &str) -> Tmux {
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is not installed; run `bash .ci/run` (it installs tmux)"
        );
        // Tests start sessions in parallel: when no tmux server runs yet, two of them can race
        // to start one and one `new-session` fails; it succeeds on a second try.
        let mut tries = 0;
        loop {
            let out = Command::new("tmux")
                .args(["new-session", "-d", "-s", &name])
                .args(["-x", &width.to_string(), "-y", &height.to_string()])
                .args(["sh", "-c", script])
                .output()
                .unwrap();
            if out.status.success() {
                break;
            }
            tries += 1;
            assert!(
                tries < 5,
                "tmux new-session failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        Tmux { name }
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.name.as_str()];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    pub fn text(&self, text: &str) {
        assert!(Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", text])
            .status()
            .unwrap()
            .success());
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `needle`.
    pub fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            if start.elapsed() > HANG_GUARD {
                panic!("the screen never showed {needle:?}; it shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ctrl+Q, confirmed with `y` when praxis asks (sessions would end with it); returns the
    /// screen once the shell reports that praxis exited with 0 (`PRAXIS-EXITED 0`).
    pub fn quit(&self) -> String {
        self.keys(&["C-q"]);
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains("PRAXIS-EXITED") {
                assert!(screen.contains("PRAXIS-EXITED 0"), "{screen}");
                return screen;
            }
            if screen.contains("Quit praxis?") {
                self.keys(&["y"]);
                return self.wait_for("PRAXIS-EXITED 0");
            }
            if start.elapsed() > HANG_GUARD {
                panic!("praxis neither quit nor asked; it shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen no longer shows `needle`.
    pub fn wait_gone(&self, needle: &str) {
        let start = Instant::now();
        while self.screen().contains(needle) {
            if start.elapsed() > HANG_GUARD {
                panic!("the screen kept showing {needle:?}:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}
