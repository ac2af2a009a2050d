//! Set-up for the hostile-agent tests: a temporary root with a config dir naming
//! `tests/hostile_agent.py` as the default agent, a data dir, a working directory, a directory
//! "outside" it, and the agent's log of every frame it received. Plus the byte checks.

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");
pub const AGENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hostile_agent.py");

/// The hang guard for anything that should end on its own.
pub const HANG_GUARD: Duration = Duration::from_secs(30);

/// The secret kept outside the working directory.
pub const SECRET: &str = "TOP-SECRET outside the working directory\n";

pub struct Fixture {
    pub root: tempfile::TempDir,
}

fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Fixture {
    /// A fresh root; `env` goes into the agent's `env` table (beside HOSTILE_LOG and
    /// HOSTILE_PID).
    pub fn new(env: &[(&str, &str)]) -> Fixture {
        assert!(
            Command::new("python3").arg("--version").output().is_ok(),
            "python3 is needed for the hostile agent"
        );
        let mut root = tempfile::tempdir().unwrap();
        // HOSTILE_KEEP=1 keeps the root (logs, journals, the terminal capture) for a look.
        if std::env::var_os("HOSTILE_KEEP").is_some() {
            root.disable_cleanup(true);
            eprintln!("hostile test root kept: {}", root.path().display());
        }
        let f = Fixture { root };
        for d in [f.cfg(), f.data(), f.work(), f.outside()] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(f.outside().join("secret.txt"), SECRET).unwrap();
        let mut vars = vec![
            (
                "HOSTILE_LOG".to_string(),
                f.log_path().display().to_string(),
            ),
            (
                "HOSTILE_PID".to_string(),
                f.pid_path().display().to_string(),
            ),
        ];
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let env_table = vars
            .iter()
            .map(|(k, v)| format!("{k} = {}", toml_str(v)))
            .collect::<Vec<_>>()
            .join(", ");
        let config = format!(
            "default_agent = \"hostile\"\ncancel_grace_secs = 1\n\n[agents.hostile]\ncommand = \"python3\"\nargs = [{}]\nenv = {{ {env_table} }}\n",
            toml_str(AGENT)
        );
        std::fs::write(f.cfg().join("config.toml"), config).unwrap();
        f
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }
    pub fn cfg(&self) -> PathBuf {
        self.path().join("cfg")
    }
    pub fn data(&self) -> PathBuf {
        self.path().join("data")
    }
    /// The session's working directory (praxis runs here).
    pub fn work(&self) -> PathBuf {
        self.path().join("work")
    }
    /// A directory outside the working directory.
    pub fn outside(&self) -> PathBuf {
        self.path().join("outside")
    }
    pub fn log_path(&self) -> PathBuf {
        self.path().join("agent.log")
    }
    pub fn pid_path(&self) -> PathBuf {
        self.path().join("agent.pid")
    }

    /// The command line praxis is run with, in the working directory with this root's dirs.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(PRAXIS);
        c.args(args)
            .current_dir(self.work())
            .env("PRAXIS_CONFIG_DIR", self.cfg())
            .env("PRAXIS_DATA_DIR", self.data());
        c
    }

    /// Runs `praxis ARGS` to the end; fails the test if it is still running after the hang
    /// guard (it is killed then).
    pub fn praxis(&self, args: &[&str]) -> Output {
        run_guarded(self.command(args), &format!("praxis {}", args.join(" ")))
    }

    /// Every frame the agent received, parsed (lines that are not JSON are skipped).
    pub fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// praxis's answer to the agent's request `id` (a string id the agent chose).
    pub fn answer_to(&self, id: &str) -> Option<Value> {
        self.received()
            .into_iter()
            .find(|m| m.get("method").is_none() && m.get("id").and_then(Value::as_str) == Some(id))
    }

    /// The error code of praxis's answer to `id`; panics (with the log) when there is no answer
    /// or it is not an error.
    pub fn error_code_of(&self, id: &str) -> i64 {
        let answer = self.answer_to(id).unwrap_or_else(|| {
            panic!(
                "praxis never answered the agent's request {id:?}; the agent received:\n{}",
                self.log_text()
            )
        });
        answer
            .pointer("/error/code")
            .and_then(Value::as_i64)
            .unwrap_or_else(|| panic!("praxis answered {id:?} without an error: {answer}"))
    }

    pub fn log_text(&self) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        // Keep failure messages readable.
        log.lines()
            .map(|l| {
                if l.len() > 400 {
                    format!("{}…", &l[..floor_boundary(l, 400)])
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The session ids of every journal in the data dir.
    pub fn journal_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.data().join("sessions"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
                    .map(|e| e.path().file_stem().unwrap().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    }
}

/// The largest char boundary of `s` at or below `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Runs `cmd` with stdout and stderr captured; kills it and fails the test after the hang guard.
pub fn run_guarded(mut cmd: Command, what: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            let stdout = out_t.join().unwrap();
            let stderr = err_t.join().unwrap();
            panic!(
                "{what} was still running after {} s (hang guard; killed it)\nstdout:\n{}\nstderr:\n{}",
                HANG_GUARD.as_secs(),
                shown(&stdout),
                shown(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    }
}

/// Bytes as text for messages, control characters made visible.
pub fn shown(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("<{:02X}>", c as u32)),
            c => out.push(c),
        }
    }
    if out.len() > 6000 {
        let cut = floor_boundary(&out, 6000);
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// The markers the hostile agent puts right after its escape introducers.
pub const MARKERS: &[&str] = &[
    "PWNTITLE",
    "PWNSPLIT",
    "PWNLONE",
    "PWNDCS",
    "PWNAPC",
    "PWNCLIP",
    "UFdOQ0xJUA==",
    "PWN",
];

/// C1 control characters as UTF-8 (U+0080..U+009F are C2 80..C2 9F).
pub fn c1_positions(b: &[u8]) -> Vec<usize> {
    b.windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]))
        .map(|(i, _)| i)
        .collect()
}

/// `b` without the terminal titles praxis itself sets (`ESC ] 2 ; praxis… ESC \`, the text
/// printable: no ESC, BEL or other control, C1 included). Anything else that starts an OSC
/// stays, so the checks below still catch it, and so does a title that carries a control.
fn without_own_titles(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"\x1b]2;") {
            let body = &b[i + 4..];
            if let Some(end) = find(body, b"\x1b\\") {
                let text = &body[..end];
                let printable = std::str::from_utf8(text)
                    .is_ok_and(|t| t.starts_with("praxis") && !t.chars().any(char::is_control));
                if printable {
                    i += 4 + end + 2;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn context(b: &[u8], at: usize) -> String {
    let from = at.saturating_sub(40);
    let to = (at + 60).min(b.len());
    shown(&b[from..to])
}

/// What praxis wrote to the terminal: no OSC, DCS or APC introducer at all, no C1 control,
/// no marker shortly after an ESC, and none of the agent's distinctive CSI sequences.
pub fn assert_clean_terminal_bytes(b: &[u8], what: &str) {
    assert!(!b.is_empty(), "{what}: nothing was captured");
    let without_titles = without_own_titles(b);
    let b = &without_titles[..];
    for (intro, name) in [
        (&b"\x1b]"[..], "an OSC introducer (ESC ])"),
        (b"\x1bP", "a DCS introducer (ESC P)"),
        (b"\x1b_", "an APC introducer (ESC _)"),
        (b"\x1bX", "an SOS introducer (ESC X)"),
        (b"\x1b^", "a PM introducer (ESC ^)"),
        (b"\x1b[31;7;5;9m", "the agent's SGR sequence"),
        (b"\x1b[6;6;6H", "the agent's cursor-position sequence"),
    ] {
        if let Some(at) = find(b, intro) {
            panic!("{what}: the terminal received {name}: …{}…", context(b, at));
        }
    }
    if let Some(&at) = c1_positions(b).first() {
        panic!(
            "{what}: the terminal received a C1 control (UTF-8 C2 {:02X}): …{}…",
            b[at + 1],
            context(b, at)
        );
    }
    for m in MARKERS {
        let m = m.as_bytes();
        let mut from = 0;
        while let Some(i) = find(&b[from..], m) {
            let at = from + i;
            assert!(
                !inside_escape(b, at),
                "{what}: a marker came right after an ESC (inside an escape sequence): …{}…",
                context(b, at)
            );
            from = at + 1;
        }
    }
}

/// Whether the byte at `at` is part of an escape sequence that starts at most 32 bytes before
/// it (a complete CSI or two-byte escape before it does not count: that is praxis drawing).
fn inside_escape(b: &[u8], at: usize) -> bool {
    let from = at.saturating_sub(32);
    let Some(esc) = b[from..at]
        .iter()
        .rposition(|&c| c == 0x1b)
        .map(|i| from + i)
    else {
        return false;
    };
    let seq = &b[esc + 1..at];
    match seq.first() {
        None => true,
        // CSI: parameters and intermediates, then one final byte 0x40..=0x7E.
        Some(b'[') => !seq[1..].iter().any(|c| (0x40..=0x7e).contains(c)),
        // ESC, intermediates 0x20..=0x2F, then a final byte 0x30..=0x7E.
        Some(_) => {
            let end = seq.iter().position(|c| !(0x20..=0x2f).contains(c));
            match end {
                Some(i) => {
                    !(0x30..=0x7e).contains(&seq[i])
                        || matches!(seq[i], b']' | b'P' | b'_' | b'X' | b'^')
                }
                None => true,
            }
        }
    }
}

/// Plain text for a pipe or a file: no ESC, no C1, no other control character but `\n`, `\t`.
pub fn assert_plain_text(b: &[u8], what: &str) {
    if let Some(at) = b
        .iter()
        .position(|&c| (c < 0x20 && c != b'\n' && c != b'\t') || c == 0x7f)
    {
        panic!(
            "{what}: contains the control byte {:02X}: …{}…\nall of it:\n{}",
            b[at],
            context(b, at),
            shown(b)
        );
    }
    if let Some(&at) = c1_positions(b).first() {
        panic!(
            "{what}: contains a C1 control (UTF-8 C2 {:02X}): …{}…\nall of it:\n{}",
            b[at + 1],
            context(b, at),
            shown(b)
        );
    }
}

/// Whether a process is gone (no /proc entry, or a zombie nobody has reaped yet).
pub fn process_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next());
            matches!(state, Some('Z') | Some('X'))
        }
    }
}

/// The pid of a child of `parent` whose command name is `comm`.
pub fn child_named(parent: i32, comm: &str) -> Option<i32> {
    for entry in std::fs::read_dir("/proc").ok()?.filter_map(Result::ok) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let name = head.split_once('(').map(|(_, n)| n).unwrap_or("");
        let ppid = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<i32>().ok());
        if name == comm && ppid == Some(parent) {
            return Some(pid);
        }
    }
    None
}

/// Waits (hang guard) until `cond` holds; panics with `why()` otherwise.
pub fn wait_until(mut cond: impl FnMut() -> bool, why: impl Fn() -> String) {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > HANG_GUARD {
            panic!("{} (hang guard: {} s)", why(), HANG_GUARD.as_secs());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
