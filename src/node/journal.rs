//! The per-session JSONL journal: every prompt, update, permission decision, stop reason and
//! status change is appended as it happens, so a crash of the agent loses nothing and
//! transcripts can be exported from it.
//!
//! Appending never blocks the async runtime: records go to one writer thread for the whole
//! process. It writes as soon as a record arrives; records that queued up meanwhile (a flood
//! of chunks) go out together, a file's consecutive records in one `write`, in order, so no
//! record waits for a timer and a crash loses at most what was still queued. [`flush_all`]
//! waits until everything appended so far is on disk (before a transcript is read, and on
//! exit).

use serde_json::{json, Value};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

enum Job {
    Write(Arc<Target>, Vec<u8>),
    /// Opens the file (appending), writes, closes: for files written rarely and compacted by
    /// renaming (the session index), where a long-held descriptor would outlive the rename.
    AppendTo(PathBuf, Vec<u8>),
    Flush(mpsc::SyncSender<()>),
}

struct Target {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

/// The writer thread's queue (started on first use).
fn writer() -> &'static Mutex<mpsc::Sender<Job>> {
    static WRITER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    WRITER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("praxis-journal".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < BATCH_JOBS {
                        match rx.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    run_batch(batch);
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the journal writer; journals are not written");
        }
        Mutex::new(tx)
    })
}

/// The most records the writer takes at once.
const BATCH_JOBS: usize = 4096;

/// Runs queued jobs in order, joining a file's consecutive records into one write.
fn run_batch(batch: Vec<Job>) {
    let mut pending: Option<(Arc<Target>, Vec<u8>)> = None;
    let write_out = |pending: &mut Option<(Arc<Target>, Vec<u8>)>| {
        if let Some((target, bytes)) = pending.take() {
            target.write(&bytes);
        }
    };
    for job in batch {
        match job {
            Job::Write(target, line) => match &mut pending {
                Some((t, bytes)) if Arc::ptr_eq(t, &target) => bytes.extend_from_slice(&line),
                _ => {
                    write_out(&mut pending);
                    pending = Some((target, line));
                }
            },
            Job::AppendTo(path, line) => {
                write_out(&mut pending);
                append_to(&path, &line);
            }
            Job::Flush(done) => {
                write_out(&mut pending);
                let _ = done.send(());
            }
        }
    }
    write_out(&mut pending);
}

fn submit(job: Job) -> bool {
    let tx = writer().lock().unwrap_or_else(|e| e.into_inner());
    tx.send(job).is_ok()
}

fn append_to(path: &Path, line: &[u8]) {
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|_| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
        })
        .and_then(|mut f| f.write_all(line));
    if let Err(e) = written {
        tracing::error!(path = %path.display(), error = %e, "could not append to the file");
    }
}

/// Appends `line` to `path` on the writer thread (opening and closing it each time), in order
/// with every other record.
pub fn append_line(path: &Path, mut line: Vec<u8>) {
    line.push(b'\n');
    if !submit(Job::AppendTo(path.to_owned(), line)) {
        tracing::error!(path = %path.display(), "the journal writer is gone; record dropped");
    }
}

/// Waits until every record appended so far (by any journal) has been written.
pub fn flush_all() {
    let (done, wait) = mpsc::sync_channel(1);
    if submit(Job::Flush(done)) {
        let _ = wait.recv();
    }
}

impl Target {
    fn write(&self, line: &[u8]) {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = guard.as_mut() {
            if let Err(e) = f.write_all(line) {
                tracing::error!(path = %self.path.display(), error = %e, "journal write failed; no more records go to it");
                *guard = None;
            }
        }
    }
}

pub struct Journal {
    target: Arc<Target>,
    /// Why the journal is not kept, when it is not.
    problem: Option<String>,
}

impl Journal {
    /// Opens (appending) `<dir>/<session_id>.jsonl`. If the file cannot be opened the journal
    /// logs once and drops records rather than failing the session.
    pub fn open(dir: &Path, session_id: &str) -> Journal {
        let path = dir.join(format!("{session_id}.jsonl"));
        let file = std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))
            .and_then(|_| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(|e| format!("cannot open {}: {e}", path.display()))
            });
        let (file, problem) = match file {
            Ok(f) => (Some(f), None),
            Err(e) => {
                tracing::error!(error = %e, "the session journal is not kept");
                (None, Some(format!("the session journal is not kept: {e}")))
            }
        };
        Journal {
            target: Arc::new(Target {
                path,
                file: Mutex::new(file),
            }),
            problem,
        }
    }

    /// Why records are not written, when the journal could not be opened.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    pub fn path(&self) -> &Path {
        &self.target.path
    }

    /// Appends `{"ts": ms, "kind": kind, "data": data}` (written by the writer thread).
    pub fn append(&self, kind: &str, data: Value) {
        self.write(json!({ "ts": now_ms(), "kind": kind, "data": data }));
    }

    /// Appends a record of a frame clients were sent, with its sequence number `seq`.
    pub fn append_seq(&self, kind: &str, data: Value, seq: u64) {
        self.write(json!({ "ts": now_ms(), "kind": kind, "seq": seq, "data": data }));
    }

    fn write(&self, record: Value) {
        let mut line = record.to_string();
        line.push('\n');
        if !submit(Job::Write(self.target.clone(), line.into_bytes())) {
            tracing::error!(path = %self.target.path.display(), "the journal writer is gone; record dropped");
        }
    }
}

/// The journal of session `id` in `dir`: its own file, or the one whose name starts with `id`
/// (the short ids the UI shows). None, or several, is an error saying which.
pub fn find(dir: &Path, id: &str) -> Result<PathBuf, String> {
    let plain = !id.is_empty()
        && id.len() <= 128
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let shown = crate::sanitize::escape_for_log(id, 80);
    if !plain {
        return Err(format!("`{shown}` is not a session id"));
    }
    let exact = dir.join(format!("{id}.jsonl"));
    if exact.is_file() {
        return Ok(exact);
    }
    let mut hits: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".jsonl").map(str::to_owned))
        .filter(|n| n.starts_with(id))
        .collect();
    hits.sort();
    match hits.len() {
        0 => Err(format!("no session `{shown}` in {}", dir.display())),
        1 => Ok(dir.join(format!("{}.jsonl", hits[0]))),
        n => Err(format!(
            "`{shown}` matches {n} sessions: {}{}; give more of the id",
            hits.iter()
                .take(5)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            if n > 5 {
                format!(" and {} more", n - 5)
            } else {
                String::new()
            }
        )),
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_is_found_by_any_unique_prefix() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["abc-1", "abc-2", "xyz"] {
            std::fs::write(dir.path().join(format!("{id}.jsonl")), "").unwrap();
        }
        assert!(find(dir.path(), "x").unwrap().ends_with("xyz.jsonl"));
        assert!(find(dir.path(), "abc-2").unwrap().ends_with("abc-2.jsonl"));
        let e = find(dir.path(), "abc").unwrap_err();
        assert!(e.contains("matches 2 sessions: abc-1, abc-2"), "{e}");
        assert!(find(dir.path(), "q")
            .unwrap_err()
            .contains("no session `q`"));
        assert!(find(dir.path(), "../x")
            .unwrap_err()
            .contains("not a session id"));
        assert!(find(dir.path(), "").is_err());
    }

    #[test]
    fn records_are_on_disk_after_a_flush_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), "s1");
        for i in 0..100 {
            j.append("update", json!({ "i": i }));
        }
        flush_all();
        let text = std::fs::read_to_string(j.path()).unwrap();
        let seen: Vec<u64> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["data"]["i"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn a_batch_keeps_every_files_records_in_order_when_journals_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            Journal::open(dir.path(), "a"),
            Journal::open(dir.path(), "b"),
        );
        let side = dir.path().join("index.jsonl");
        // Queued faster than one write takes, so the writer takes them in batches.
        for i in 0..2000u64 {
            let j = if i % 3 == 0 { &b } else { &a };
            j.append("update", json!({ "i": i }));
            if i % 500 == 0 {
                append_line(&side, format!("{i}").into_bytes());
            }
        }
        flush_all();
        let numbers = |path: &Path| -> Vec<u64> {
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .map(|l| match serde_json::from_str::<Value>(l).unwrap() {
                    Value::Number(n) => n.as_u64().unwrap(),
                    v => v["data"]["i"].as_u64().unwrap(),
                })
                .collect()
        };
        let want = |keep: fn(&u64) -> bool| (0..2000u64).filter(keep).collect::<Vec<_>>();
        assert_eq!(numbers(a.path()), want(|i| i % 3 != 0));
        assert_eq!(numbers(b.path()), want(|i| i % 3 == 0));
        assert_eq!(numbers(&side), vec![0, 500, 1000, 1500]);
    }
}
