//! The processes of a node as /proc shows them: finding, signalling and reaping them.

#![allow(dead_code)]

use super::*;

/// A process as seen in /proc.
#[allow(dead_code)]
pub(super) struct Proc {
    pub(super) ppid: u32,
    pub(super) args: Vec<String>,
    pub(super) environ: Vec<String>,
}

#[allow(dead_code)]
impl Proc {
    /// The `-home DIR` an Erlang VM was started with (erl passes `$HOME` on).
    pub(super) fn home(&self) -> Option<&Path> {
        let i = self.args.iter().position(|a| a == "-home")?;
        self.args.get(i + 1).map(Path::new)
    }

    /// The broker's VM for this dir, not a CLI node (those are `-hidden`).
    pub(super) fn is_server_of(&self, dir: &Path) -> bool {
        self.home() == Some(dir)
            && self.args.first().is_some_and(|a| a.ends_with("beam.smp"))
            && !self.args.iter().any(|a| a == "-hidden")
    }

    pub(super) fn env(&self, key: &str) -> Option<&str> {
        self.environ
            .iter()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
    }
}

#[allow(dead_code)]
pub(super) fn find_processes(mut pred: impl FnMut(&Proc) -> bool) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(p) = read_proc(pid) {
            if pred(&p) {
                out.push(pid);
            }
        }
    }
    out
}

#[allow(dead_code)]
pub(super) fn read_proc(pid: u32) -> Option<Proc> {
    let base = PathBuf::from(format!("/proc/{pid}"));
    let split = |bytes: Vec<u8>| -> Vec<String> {
        bytes
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    };
    let stat = fs::read_to_string(base.join("stat")).ok()?;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    let ppid = after.split_whitespace().nth(1)?.parse().ok()?;
    let args = split(fs::read(base.join("cmdline")).unwrap_or_default());
    let environ = split(fs::read(base.join("environ")).unwrap_or_default());
    Some(Proc {
        ppid,
        args,
        environ,
    })
}

#[allow(dead_code)]
pub(super) fn alive(pid: u32) -> bool {
    // A zombie (exited, not yet reaped by init) counts as gone.
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Sends `signal` to each pid (by id, with /bin/kill), waits up to `wait` for them to go, and
/// returns those still alive.
#[allow(dead_code)]
pub(super) fn kill_and_wait_with(pids: &[u32], signal: &str, wait: Duration) -> Vec<u32> {
    for pid in pids {
        let _ = Command::new("kill")
            .arg(signal)
            .arg(pid.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let deadline = Instant::now() + wait;
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|p| alive(*p)).collect();
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        sleep(Duration::from_millis(50));
    }
}

#[allow(dead_code)]
pub(super) fn kill_and_wait(pids: &[u32], wait: Duration) -> Vec<u32> {
    kill_and_wait_with(pids, "-KILL", wait)
}

/// Kills nodes this harness started in test processes that have since died (killed before
/// their `Drop` ran), and removes their temporary dirs. Only processes whose
/// `RABBITMQ_NODENAME` is `praxis-test-<pid>-...` with `<pid>` no longer running are touched.
#[allow(dead_code)]
pub(super) fn reap_orphans() {
    let me = std::process::id();
    let mut dirs = Vec::new();
    let orphans = find_processes(|p| {
        let Some(name) = p.env("RABBITMQ_NODENAME") else {
            return false;
        };
        let Some(owner) = name
            .strip_prefix(NODE_PREFIX)
            .and_then(|r| r.split('-').next())
            .and_then(|o| o.parse::<u32>().ok())
        else {
            return false;
        };
        // A killed owner may linger as a zombie until init reaps it: that is dead too.
        let orphan = owner != me && !alive(owner);
        if orphan {
            if let Some(home) = p.home() {
                dirs.push(home.to_path_buf());
            }
        }
        orphan
    });
    if orphans.is_empty() {
        return;
    }
    eprintln!("rabbit harness: killing leftover private nodes of dead test processes: {orphans:?}");
    kill_and_wait(&orphans, Duration::from_secs(10));
    let tmp = std::env::temp_dir();
    for d in dirs {
        let ours = d.parent() == Some(tmp.as_path())
            && d.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("praxis-rabbit-"));
        if ours {
            let _ = fs::remove_dir_all(&d);
        }
    }
}

#[allow(dead_code)]
pub(super) fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("(cannot read {}: {e})", path.display()))
}

#[allow(dead_code)]
pub(super) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    let mut s = all[start..].join("\n");
    s.push('\n');
    s
}
