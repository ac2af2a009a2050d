//! The full-screen client in a private tmux server (`tmux -L <unique>`), with every byte
//! praxis writes to the terminal captured through `pipe-pane -O`, and OSC 52 writes accepted
//! (`set-clipboard on`) so a leaked clipboard write would show up as a tmux buffer.

use super::support::{shown, wait_until, Fixture, HANG_GUARD, PRAXIS};
use std::cell::RefCell;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux<'f> {
    pub server: String,
    pub fx: &'f Fixture,
    /// Pane titles seen while polling that carried a marker.
    pub bad_titles: RefCell<Vec<String>>,
}

/// The input box's working indicator (its spinner turns with the clock).
pub const WORKING: [&str; 4] = ["◐ working", "◓ working", "◑ working", "◒ working"];

impl<'f> Tmux<'f> {
    /// Starts praxis (the full-screen client) in `fx`'s working directory once the capture is
    /// in place.
    pub fn start(fx: &'f Fixture, width: u16, height: u16) -> Tmux<'f> {
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is not installed; run `bash .ci/run` (it installs tmux)"
        );
        let server = format!(
            "praxis-hostile-{}-{}",
            std::process::id(),
            fx.path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace('.', "")
        );
        let go = fx.path().join("go");
        let script = fx.path().join("run.sh");
        std::fs::write(
            &script,
            format!(
                "cd '{work}' || exit 9\nwhile [ ! -e '{go}' ]; do sleep 0.05; done\nPRAXIS_CONFIG_DIR='{cfg}' PRAXIS_DATA_DIR='{data}' '{praxis}'\necho PRAXIS-EXITED $?\nsleep 120\n",
                work = fx.work().display(),
                go = go.display(),
                cfg = fx.cfg().display(),
                data = fx.data().display(),
                praxis = PRAXIS,
            ),
        )
        .unwrap();
        let t = Tmux {
            server,
            fx,
            bad_titles: RefCell::new(Vec::new()),
        };
        t.tmux_ok(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "sh",
            &script.display().to_string(),
        ]);
        t.tmux_ok(&["set", "-g", "set-clipboard", "on"]);
        let bytes = fx.path().join("pane.bytes");
        t.tmux_ok(&[
            "pipe-pane",
            "-O",
            "-t",
            "main",
            &format!("cat >> '{}'", bytes.display()),
        ]);
        // The pipe is open once its file exists.
        wait_until(|| bytes.exists(), || "pipe-pane never started".into());
        std::fs::write(&go, "").unwrap();
        t
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.server)
            .args(args)
            .output()
            .unwrap()
    }

    fn tmux_ok(&self, args: &[&str]) -> String {
        let out = self.tmux(args);
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.tmux_ok(&args);
    }

    pub fn text(&self, text: &str) {
        self.tmux_ok(&["send-keys", "-t", "main", "-l", text]);
    }

    pub fn screen(&self) -> String {
        self.tmux_ok(&["capture-pane", "-p", "-t", "main"])
    }

    /// A pane format such as `#{pane_title}`.
    pub fn display(&self, format: &str) -> String {
        self.tmux_ok(&["display-message", "-p", "-t", "main", format])
            .trim_end_matches('\n')
            .to_string()
    }

    pub fn pane_title(&self) -> String {
        let title = self.display("#{pane_title}");
        if title.contains("PWN") {
            self.bad_titles.borrow_mut().push(title.clone());
        }
        title
    }

    /// Waits until the screen shows `needle` (hang guard), watching the pane title meanwhile.
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_for_any(&[needle])
    }

    pub fn wait_for_any(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            self.pane_title();
            if needles.iter().any(|n| screen.contains(n)) {
                return screen;
            }
            if start.elapsed() > HANG_GUARD || screen.contains("PRAXIS-EXITED") {
                panic!(
                    "the screen never showed {needles:?} (praxis exited, or the hang guard of {} s passed); it shows:\n{screen}",
                    HANG_GUARD.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen satisfies `pred` (hang guard); returns it.
    pub fn wait_until_screen(&self, pred: impl Fn(&str) -> bool, what: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            self.pane_title();
            if pred(&screen) {
                return screen;
            }
            if start.elapsed() > HANG_GUARD || screen.contains("PRAXIS-EXITED") {
                panic!(
                    "no {what} (praxis exited, or the hang guard of {} s passed); the screen shows:\n{screen}",
                    HANG_GUARD.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the session's turn is over: the status bar says idle and nothing is working.
    pub fn wait_idle(&self) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            self.pane_title();
            if screen.contains("hostile · idle") && !WORKING.iter().any(|w| screen.contains(w)) {
                return screen;
            }
            if start.elapsed() > HANG_GUARD || screen.contains("PRAXIS-EXITED") {
                panic!(
                    "the turn never ended (not `hostile · idle`, or still working; praxis exited, or the hang guard of {} s passed):\n{screen}",
                    HANG_GUARD.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Quits with Ctrl+Q (confirmed with `y` when praxis asks) and waits for the shell to
    /// report praxis's exit status.
    pub fn quit(&self) -> String {
        self.keys(&["C-q"]);
        let screen = self.wait_until_screen_or_exit(|s| s.contains("Quit praxis?"));
        if !screen.contains("PRAXIS-EXITED") {
            self.keys(&["y"]);
        }
        self.wait_exit()
    }

    /// Waits until the screen satisfies `pred` or praxis exited (hang guard).
    fn wait_until_screen_or_exit(&self, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) || screen.contains("PRAXIS-EXITED") {
                return screen;
            }
            assert!(
                start.elapsed() < HANG_GUARD,
                "praxis neither quit nor asked:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the shell to report praxis's exit status.
    fn wait_exit(&self) -> String {
        self.wait_until_screen_or_exit(|_| false)
    }

    /// Every byte praxis has written to the terminal so far (after it exited, all of them:
    /// this waits until the shell's `PRAXIS-EXITED` line is in the capture too).
    pub fn bytes_after_exit(&self) -> Vec<u8> {
        let path = self.fx.path().join("pane.bytes");
        let mut bytes = Vec::new();
        wait_until(
            || {
                bytes = std::fs::read(&path).unwrap_or_default();
                bytes.windows(13).any(|w| w == b"PRAXIS-EXITED")
            },
            || {
                format!(
                    "the capture never got the shell's PRAXIS-EXITED line; it has:\n{}",
                    shown(&std::fs::read(&path).unwrap_or_default())
                )
            },
        );
        bytes
    }

    /// The contents of every tmux paste buffer (OSC 52 writes land there).
    pub fn buffers(&self) -> String {
        let names = self.tmux(&["list-buffers", "-F", "#{buffer_name}"]);
        let mut all = String::new();
        for name in String::from_utf8_lossy(&names.stdout).lines() {
            let out = self.tmux(&["show-buffer", "-b", name]);
            all.push_str(&String::from_utf8_lossy(&out.stdout));
            all.push('\n');
        }
        let plain = self.tmux(&["show-buffer"]);
        all.push_str(&String::from_utf8_lossy(&plain.stdout));
        all
    }

    /// The pid of the praxis process (a child of the pane's shell).
    pub fn praxis_pid(&self) -> i32 {
        let shell: i32 = self.display("#{pane_pid}").parse().unwrap();
        let mut pid = None;
        wait_until(
            || {
                pid = super::support::child_named(shell, "praxis");
                pid.is_some()
            },
            || format!("no praxis process under the pane's shell {shell}"),
        );
        pid.unwrap()
    }

    /// Checks the pane title (now and as seen while polling) and the paste buffers.
    pub fn assert_no_title_or_clipboard_leak(&self) {
        let title = self.pane_title();
        let bad = self.bad_titles.borrow();
        assert!(
            bad.is_empty(),
            "the agent set the pane title: {bad:?} (now {title:?})"
        );
        let buffers = self.buffers();
        assert!(
            !buffers.contains("PWN"),
            "the agent wrote the clipboard (a tmux buffer holds its marker): {buffers:?}"
        );
    }
}

impl Drop for Tmux<'_> {
    fn drop(&mut self) {
        let socket = self.tmux(&["display-message", "-p", "#{socket_path}"]);
        let socket = String::from_utf8_lossy(&socket.stdout).trim().to_string();
        let _ = self.tmux(&["kill-server"]);
        // The server leaves its socket behind; it is ours (the name is unique to this test).
        if socket.contains(&self.server) {
            let _ = std::fs::remove_file(&socket);
        }
    }
}
