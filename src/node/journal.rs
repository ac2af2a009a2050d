//! The per-session JSONL journal: every prompt, update, permission decision, stop reason and
//! status change is appended as it happens (one `write` per record, no buffering), so a crash
//! of praxis or the agent loses nothing. Transcripts are exported from it.

use serde_json::{json, Value};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct Journal {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl Journal {
    /// Opens (appending) `<dir>/<session_id>.jsonl`. If the file cannot be opened the journal
    /// logs once and drops records rather than failing the session.
    pub fn open(dir: &Path, session_id: &str) -> Journal {
        let path = dir.join(format!("{session_id}.jsonl"));
        let file = std::fs::create_dir_all(dir).and_then(|_| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
        });
        let file = match file {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot open the session journal");
                None
            }
        };
        Journal {
            path,
            file: Mutex::new(file),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `{"ts": ms, "kind": kind, "data": data}`.
    pub fn append(&self, kind: &str, data: Value) {
        let mut line = json!({ "ts": now_ms(), "kind": kind, "data": data }).to_string();
        line.push('\n');
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = guard.as_mut() {
            if let Err(e) = f.write_all(line.as_bytes()) {
                tracing::error!(path = %self.path.display(), error = %e, "journal write failed");
            }
        }
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
