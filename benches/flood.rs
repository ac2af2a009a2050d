//! Flood benchmark: the real release `praxis` binary in a real terminal while the demo agent
//! floods it, for the figures "peak RSS for a 1 MiB answer in 16-byte chunks ≤ 60 MB" and "a
//! keystroke answered within one frame (8 ms) while an agent floods".
//!
//! How: each run gets a private tmux server (`tmux -L praxis-flood-<pid>-<n>`, 120×40, no user
//! config) running `exec praxis` (so the pane's pid is praxis itself) with `PRAXIS_CONFIG_DIR`
//! / `PRAXIS_DATA_DIR` in a temp dir and `PRAXIS_LOG=debug`; the default agent is the demo.
//!
//! - Baseline: once the chat shows `demo · idle`, the idle RSS is read, then 20 key pairs are
//!   sent with no flood (this calibrates the tmux round trip).
//! - Each case: `/stream BYTES CHUNK` + Enter. While the answer streams, every ~50 ms one `x`
//!   is sent and, once the input line shows it, one BSpace (waited for too). Each wait is a
//!   tmux round trip: send-keys → capture-pane shows the key; it includes spawning tmux
//!   clients, and it includes the time a key waits while praxis is busy in a frame. The stream
//!   has ended when the screen shows the answer's last `## Section N` and the status line is
//!   back to `demo · idle` (polled every ~20 ms, so the wall time is ±20 ms). Then
//!   `/proc/<pid>/status` `VmHWM` (the client's peak RSS; the demo agent's peak is shown
//!   beside it) and `VmRSS` are read, and praxis's own `key answered on screen us=…` log lines
//!   for the flood keys give the internal latency: from when the loop *read* the key to the end
//!   of the frame that showed it (a key that arrives during a long frame is read only after
//!   it, so that wait is in the round trip, not in the internal figure). Ctrl+Q quits; the
//!   tmux server is killed.
//!
//! Nothing asserts on figures (this is a benchmark); it exits non-zero when something could
//! not be measured. `cargo bench --bench flood [FILTER]`: FILTER keeps the cases whose label
//! contains it (e.g. `16 B`).

use praxis::demo_agent::content::markdown_of_size;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");
const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
/// Pause between two flood keys.
const KEY_EVERY: Duration = Duration::from_millis(50);
/// Key pairs sent to an idle praxis for the baseline.
const IDLE_PAIRS: usize = 20;
/// How often the screen is polled for the end of the stream between keys.
const END_POLL: Duration = Duration::from_millis(20);
/// Hang guards.
const READY_GUARD: Duration = Duration::from_secs(30);
const KEY_GUARD: Duration = Duration::from_secs(5);
const STREAM_GUARD: Duration = Duration::from_secs(300);
const KEY_LOG: &str = "key answered on screen";

type Res<T> = Result<T, String>;

struct Case {
    label: &'static str,
    bytes: usize,
    chunk: usize,
}

const CASES: &[Case] = &[
    Case {
        label: "1 MiB / 16 B",
        bytes: 1 << 20,
        chunk: 16,
    },
    Case {
        label: "1 MiB / 4 KiB",
        bytes: 1 << 20,
        chunk: 4096,
    },
    Case {
        label: "4 MiB / 16 B",
        bytes: 4 << 20,
        chunk: 16,
    },
];

/// One private tmux server running praxis; killed on drop.
struct Tmux {
    socket: String,
    /// The socket file (tmux leaves it behind when the server ends with its last pane).
    socket_path: Option<PathBuf>,
    root: tempfile::TempDir,
}

impl Tmux {
    fn start(n: usize) -> Res<Tmux> {
        let root = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let work = root.path().join("work");
        std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
        let socket = format!("praxis-flood-{}-{n}", std::process::id());
        let script = format!(
            "cd '{work}' && PRAXIS_CONFIG_DIR='{root}/config' PRAXIS_DATA_DIR='{root}/data' PRAXIS_LOG=debug exec '{PRAXIS}'",
            work = work.display(),
            root = root.path().display(),
        );
        let mut t = Tmux {
            socket,
            socket_path: None,
            root,
        };
        let w = WIDTH.to_string();
        let h = HEIGHT.to_string();
        t.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "flood",
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            &script,
        ])?;
        t.socket_path = t
            .run(&["display-message", "-p", "#{socket_path}"])
            .ok()
            .map(|p| PathBuf::from(p.trim()))
            .filter(|p| !p.as_os_str().is_empty());
        Ok(t)
    }

    fn run(&self, args: &[&str]) -> Res<String> {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("tmux could not run ({e}); is tmux installed?"))?;
        if !out.status.success() {
            return Err(format!(
                "tmux {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn keys(&self, keys: &[&str]) -> Res<()> {
        let mut args = vec!["send-keys", "-t", "flood"];
        args.extend_from_slice(keys);
        self.run(&args).map(drop)
    }

    fn text(&self, text: &str) -> Res<()> {
        self.run(&["send-keys", "-t", "flood", "-l", text])
            .map(drop)
    }

    fn screen(&self) -> Res<String> {
        self.run(&["capture-pane", "-p", "-t", "flood"])
    }

    fn pane_pid(&self) -> Res<u32> {
        let out = self.run(&["display-message", "-p", "-t", "flood", "#{pane_pid}"])?;
        out.trim()
            .parse()
            .map_err(|_| format!("no pane pid in {out:?}"))
    }

    /// Polls the screen until `pred` holds; the screen and when it was seen.
    fn wait(
        &self,
        guard: Duration,
        every: Duration,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Res<(String, Instant)> {
        let start = Instant::now();
        loop {
            let screen = self.screen()?;
            if pred(&screen) {
                return Ok((screen, Instant::now()));
            }
            if start.elapsed() > guard {
                return Err(format!(
                    "the screen never showed {what}; it shows:\n{screen}"
                ));
            }
            std::thread::sleep(every);
        }
    }

    fn log(&self) -> PathBuf {
        self.root.path().join("data/logs/praxis.log")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(p) = &self.socket_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The input line: third row from the bottom (status line, rule, input).
fn input_line(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let row = HEIGHT as usize - 3;
    lines
        .get(row)
        .map(|l| l.trim().to_string())
        .unwrap_or_default()
}

fn idle(screen: &str) -> bool {
    screen.contains("demo · idle")
}

/// `field` of `/proc/<pid>/status`, in MB (10^6 bytes).
fn proc_mb(pid: u32, field: &str) -> Res<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb * 1024.0 / 1e6)
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status"))
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The demo agent: praxis's child process.
fn agent_pid(pid: u32) -> Option<u32> {
    // Any of praxis's threads may have spawned it: look at every task's children.
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    tasks.flatten().find_map(|task| {
        let children = std::fs::read_to_string(task.path().join("children")).ok()?;
        children.split_whitespace().find_map(|c| c.parse().ok())
    })
}

fn key_latencies(log: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains(KEY_LOG))
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("us="))
                .and_then(|v| v.parse().ok())
        })
        .collect()
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

/// A process's CPU time so far (user + system), in seconds.
fn cpu_secs(pid: u32) -> Res<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // The fields after the command name (which may hold spaces) start after its `)`.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the `)`.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok((ticks(11) + ticks(12)) / hz.max(1.0))
}

struct Row {
    label: String,
    peak_mb: f64,
    after_mb: f64,
    agent_peak_mb: f64,
    wall: Duration,
    /// The client's CPU (user + system) from Enter to the end of the stream, in seconds.
    cpu_s: f64,
    key_ms: Vec<f64>,
    enter_ms: f64,
    rtt_ms: Vec<f64>,
    missed: usize,
}

/// Starts praxis and waits for the chat; (tmux, praxis pid, idle RSS MB, time to ready).
fn start(n: usize) -> Res<(Tmux, u32, f64, Duration)> {
    let t0 = Instant::now();
    let t = Tmux::start(n)?;
    let (screen, at) = t.wait(READY_GUARD, Duration::from_millis(20), "demo · idle", idle)?;
    if !input_line(&screen).contains("Type a prompt") {
        return Err(format!(
            "row {} is not the input line:\n{screen}",
            HEIGHT - 3
        ));
    }
    let pid = t.pane_pid()?;
    if comm(pid) != "praxis" {
        return Err(format!("pane pid {pid} is {:?}, not praxis", comm(pid)));
    }
    // Let the background syntect load finish before reading the baseline.
    std::thread::sleep(Duration::from_millis(1000));
    let idle_mb = proc_mb(pid, "VmRSS:")?;
    Ok((t, pid, idle_mb, at - t0))
}

fn quit(t: &Tmux, pid: u32) {
    // A session runs in this process: praxis asks, `y` confirms.
    let _ = t.keys(&["C-q", "y"]);
    let start = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() && comm(pid) == "praxis" {
        if start.elapsed() > Duration::from_secs(5) {
            eprintln!("praxis {pid} did not quit on Ctrl+Q within 5 s");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `x`, waits until the input line shows it, then BSpace, waited for too; pushes each
/// round trip (ms) and returns how many keys never showed within the guard.
fn key_pair(t: &Tmux, rtt_ms: &mut Vec<f64>) -> Res<usize> {
    let mut missed = 0;
    for (key, shown) in [
        ("x", (|s: &str| input_line(s) == "x") as fn(&str) -> bool),
        ("BSpace", |s: &str| input_line(s).contains("Type a prompt")),
    ] {
        let k0 = Instant::now();
        t.keys(&[key])?;
        match t.wait(KEY_GUARD, Duration::ZERO, key, shown) {
            Ok((_, at)) => rtt_ms.push((at - k0).as_secs_f64() * 1e3),
            Err(_) => missed += 1,
        }
    }
    Ok(missed)
}

fn run_case(n: usize, case: &Case) -> Res<Row> {
    let doc = markdown_of_size(case.bytes);
    let last_section = doc
        .rmatch_indices("## Section ")
        .next()
        .and_then(|(i, _)| {
            let rest = &doc[i + "## Section ".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (!digits.is_empty()).then(|| format!("## Section {digits}"))
        })
        .ok_or("the generated answer has no section header")?;
    let ended = |s: &str| s.contains(&last_section) && idle(s);

    let (t, pid, _, _) = start(n)?;
    let agent = agent_pid(pid);
    let before = key_latencies(&t.log()).len();
    t.text(&format!("/stream {} {}", case.bytes, case.chunk))?;
    t.wait(KEY_GUARD, Duration::from_millis(5), "the prompt", |s| {
        input_line(s).starts_with("/stream")
    })?;
    let cpu_before = cpu_secs(pid)?;
    let sent = Instant::now();
    t.keys(&["Enter"])?;

    let mut rtt_ms = Vec::new();
    let mut missed = 0;
    let mut keys_sent = 0usize;
    let end = loop {
        // One printable key, then BSpace, each waited for on screen.
        missed += key_pair(&t, &mut rtt_ms)?;
        keys_sent += 2;
        let next_key = Instant::now() + KEY_EVERY;
        let mut done = None;
        loop {
            let screen = t.screen()?;
            if ended(&screen) {
                done = Some(Instant::now());
                break;
            }
            if Instant::now() >= next_key {
                break;
            }
            std::thread::sleep(END_POLL.min(next_key - Instant::now()));
        }
        if let Some(at) = done {
            break at;
        }
        if sent.elapsed() > STREAM_GUARD {
            return Err(format!(
                "the stream did not end within {STREAM_GUARD:?}; the screen shows:\n{}",
                t.screen()?
            ));
        }
    };
    let wall = end - sent;
    let cpu_s = cpu_secs(pid)? - cpu_before;
    let peak_mb = proc_mb(pid, "VmHWM:")?;
    let after_mb = proc_mb(pid, "VmRSS:")?;
    let agent_peak_mb = agent.map_or(f64::NAN, |a| proc_mb(a, "VmHWM:").unwrap_or(f64::NAN));
    // Give the logger a moment, then take the Enter's line and the flood keys' lines.
    std::thread::sleep(Duration::from_millis(100));
    let lat = key_latencies(&t.log());
    quit(&t, pid);
    let ours = lat.get(before..).unwrap_or_default();
    let Some((&enter, flood)) = ours.split_first() else {
        return Err(format!(
            "praxis logged no {KEY_LOG:?} lines (is PRAXIS_LOG=debug honoured?): {}",
            t.log().display()
        ));
    };
    let flood = &flood[..flood.len().min(keys_sent)];
    if flood.is_empty() || rtt_ms.is_empty() {
        return Err(format!(
            "{}: the stream ended before any key could be measured ({} keys sent)",
            case.label, keys_sent
        ));
    }
    Ok(Row {
        label: case.label.to_string(),
        peak_mb,
        after_mb,
        agent_peak_mb,
        wall,
        cpu_s,
        key_ms: flood.iter().map(|&us| us as f64 / 1e3).collect(),
        enter_ms: enter as f64 / 1e3,
        rtt_ms,
        missed,
    })
}

fn baseline() -> Res<()> {
    let (t, pid, idle_mb, ready) = start(0)?;
    let agent = agent_pid(pid)
        .and_then(|a| proc_mb(a, "VmRSS:").ok())
        .unwrap_or(f64::NAN);
    let before = key_latencies(&t.log()).len();
    let mut rtt_ms = Vec::new();
    let mut missed = 0;
    for _ in 0..IDLE_PAIRS {
        missed += key_pair(&t, &mut rtt_ms)?;
        std::thread::sleep(KEY_EVERY);
    }
    std::thread::sleep(Duration::from_millis(100));
    let lat: Vec<f64> = key_latencies(&t.log())
        .get(before..)
        .unwrap_or_default()
        .iter()
        .map(|&us| us as f64 / 1e3)
        .collect();
    quit(&t, pid);
    if lat.is_empty() || rtt_ms.is_empty() || missed > 0 {
        return Err(format!(
            "idle keys: {} logged, {} round trips, {missed} never shown",
            lat.len(),
            rtt_ms.len()
        ));
    }
    println!(
        "idle after startup: praxis RSS {idle_mb:.1} MB (demo agent {agent:.1} MB); chat ready {:.0} ms after tmux new-session",
        ready.as_secs_f64() * 1e3
    );
    println!(
        "idle keys ({}): internal {:.2} / {:.2} ms, tmux round trip {:.1} / {:.1} ms (median / max)",
        lat.len(),
        median(&lat),
        max(&lat),
        median(&rtt_ms),
        max(&rtt_ms)
    );
    Ok(())
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let cases: Vec<&Case> = CASES
        .iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.label.contains(f.as_str())))
        .collect();
    let mut failed = false;

    // Baseline: praxis idle after startup, and the same keys with no flood (calibrates the
    // tmux round trip).
    match baseline() {
        Ok(()) => {}
        Err(e) => {
            eprintln!("baseline: {e}");
            failed = true;
        }
    }

    let mut rows = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        match run_case(i + 1, case) {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("{}: {e}", case.label);
                failed = true;
            }
        }
    }

    println!();
    println!(
        "{:<14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>17} {:>9} {:>17} {:>6}",
        "case",
        "peak RSS",
        "RSS after",
        "agent pk",
        "stream",
        "CPU",
        "key internal",
        "Enter",
        "tmux round trip",
        "keys"
    );
    println!(
        "{:<14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>17} {:>9} {:>17} {:>6}",
        "", "MB", "MB", "MB", "s", "s", "median / max ms", "ms", "median / max ms", ""
    );
    for r in &rows {
        println!(
            "{:<14} {:>9.1} {:>9.1} {:>9.1} {:>9.2} {:>9.2} {:>17} {:>9.1} {:>17} {:>6}",
            r.label,
            r.peak_mb,
            r.after_mb,
            r.agent_peak_mb,
            r.wall.as_secs_f64(),
            r.cpu_s,
            format!("{:.2} / {:.2}", median(&r.key_ms), max(&r.key_ms)),
            r.enter_ms,
            format!("{:.1} / {:.1}", median(&r.rtt_ms), max(&r.rtt_ms)),
            if r.missed == 0 {
                r.key_ms.len().to_string()
            } else {
                format!("{}({} lost)", r.key_ms.len(), r.missed)
            },
        );
    }
    println!();
    println!(
        "peak RSS: VmHWM of the praxis client (MB = 10^6 bytes); agent pk: the demo agent's VmHWM."
    );
    println!("stream: Enter sent → screen shows the last section and `demo · idle` (±20 ms).");
    println!("CPU: the praxis client's user + system time over the same span (the in-process node included; the demo agent is another process).");
    println!("key internal: praxis's `key answered on screen` (loop reads the key → end of the frame showing it; a key arriving during a long frame is read after it), flood keys only.");
    println!("Enter: the same figure for the key that sent the prompt.");
    println!(
        "tmux round trip: send-keys → capture-pane shows the key (includes spawning tmux clients; see the idle figure)."
    );
    if failed {
        std::process::exit(1);
    }
}
