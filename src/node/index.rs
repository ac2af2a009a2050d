//! The node's session index: one small record per session it ever ran (agent, cwd, title,
//! status, last activity, when it ended), so listing its history does not read a journal.
//!
//! The file is `<data>/index/<node>.jsonl`; each line is a whole [`Entry`] and the last line
//! of an id wins. Lines are appended through the journal's writer thread (never on the async
//! runtime); the file is compacted (rewritten and renamed into place) when it is loaded with
//! more than twice as many lines as sessions. The first time any index is created, the
//! journals already in `<data>/sessions/` are indexed from their first records, so sessions
//! from before the index existed are found too.

use super::journal;
use crate::config::Paths;
use crate::node_api::SessionStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

pub use crate::node_api::TITLE_CHARS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub id: String,
    pub connector: String,
    pub cwd: PathBuf,
    pub created_ms: u64,
    #[serde(default)]
    pub yolo: bool,
    #[serde(default)]
    pub prompt_timeout_secs: Option<u64>,
    #[serde(default)]
    pub title: Option<String>,
    /// The title is the agent's (`session_info_update`), not taken from the first prompt.
    #[serde(default)]
    pub title_from_agent: bool,
    #[serde(default)]
    pub last_activity_ms: u64,
    pub status: SessionStatus,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub ended_ms: Option<u64>,
    /// The process that ran it (a session left "live" by a process that still runs belongs
    /// to that process, not to the history).
    #[serde(default)]
    pub pid: Option<u32>,
}

impl Entry {
    /// The `session/list` entry for it (the shape a live session's summary has; absent
    /// fields are left out, so a long history stays small on the wire).
    pub fn summary(&self) -> Value {
        let mut p = serde_json::Map::with_capacity(10);
        p.insert("connector".into(), self.connector.clone().into());
        p.insert("status".into(), self.status.label_wire().into());
        if let Some(r) = &self.reason {
            p.insert("reason".into(), r.clone().into());
        }
        p.insert("yolo".into(), self.yolo.into());
        p.insert("createdAt".into(), self.created_ms.into());
        if let Some(t) = &self.title {
            p.insert("title".into(), t.clone().into());
        }
        p.insert("lastActivityAt".into(), self.last_activity_ms.into());
        if let Some(t) = self.ended_ms {
            p.insert("endedAt".into(), t.into());
        }
        p.insert("history".into(), true.into());
        serde_json::json!({
            "sessionId": self.id,
            "cwd": self.cwd,
            "_meta": { "praxis": p },
        })
    }
}

/// The title a prompt gives a session: [`crate::node_api::title_line`] of its first text
/// block, escapes and controls removed.
pub fn title_of_prompt(prompt: &Value) -> Option<String> {
    let text = prompt
        .as_array()?
        .iter()
        .find_map(|b| b.get("text").and_then(Value::as_str))?;
    crate::node_api::title_line(&crate::sanitize::sanitize(text))
}

/// A title (the agent's) cleaned of escapes and controls, on one line, cut to [`TITLE_CHARS`].
pub fn clip_title(text: &str) -> String {
    let clean = crate::sanitize::sanitize(text).replace('\t', " ");
    crate::node_api::title_line(&clean).unwrap_or_default()
}

pub struct Index {
    path: PathBuf,
    entries: HashMap<String, Entry>,
}

impl Index {
    /// Loads the index of node `node` (creating it, from the journals, the first time).
    pub fn open(paths: &Paths, node: &str) -> Index {
        let dir = paths.data_dir.join("index");
        let path = dir.join(format!("{}.jsonl", file_name(node)));
        let first = !dir.exists();
        let mut index = Index {
            path,
            entries: HashMap::new(),
        };
        if first {
            index.bootstrap(&paths.sessions_dir());
        } else {
            index.load();
        }
        index
    }

    fn load(&mut self) {
        let Ok(file) = std::fs::File::open(&self.path) else {
            return;
        };
        let mut lines = 0usize;
        for line in std::io::BufReader::new(file).lines() {
            let Ok(line) = line else { break };
            lines += 1;
            match serde_json::from_str::<Entry>(&line) {
                Ok(e) => {
                    self.entries.insert(e.id.clone(), e);
                }
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "skipped a bad index line")
                }
            }
        }
        if lines > 2 * self.entries.len() + 64 {
            self.rewrite();
        }
    }

    /// Rewrites the file with one line per session (a temporary file renamed into place).
    fn rewrite(&self) {
        let mut body = String::new();
        let mut all: Vec<&Entry> = self.entries.values().collect();
        all.sort_by_key(|e| e.created_ms);
        for e in all {
            if let Ok(line) = serde_json::to_string(e) {
                body.push_str(&line);
                body.push('\n');
            }
        }
        let tmp = self.path.with_extension("jsonl.tmp");
        let done = self
            .path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::write(&tmp, body))
            .and_then(|_| std::fs::rename(&tmp, &self.path));
        if let Err(e) = done {
            tracing::warn!(path = %self.path.display(), error = %e, "could not compact the session index");
        }
    }

    /// Indexes the journals already on disk (sessions from before the index existed).
    fn bootstrap(&mut self, sessions: &Path) {
        if let Ok(dir) = std::fs::read_dir(sessions) {
            for item in dir.flatten() {
                let path = item.path();
                if path.extension().is_some_and(|x| x == "jsonl") {
                    if let Some(e) = entry_from_journal(&path) {
                        self.entries.insert(e.id.clone(), e);
                    }
                }
            }
        }
        self.rewrite();
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// Records `entry` (in memory now, on disk through the writer thread).
    pub fn put(&mut self, entry: Entry) {
        match serde_json::to_vec(&entry) {
            Ok(line) => journal::append_line(&self.path, line),
            Err(e) => tracing::warn!(error = %e, "could not encode an index entry"),
        }
        self.entries.insert(entry.id.clone(), entry);
    }

    /// Changes the entry of `id`, if there is one, and records it.
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut Entry)) {
        if let Some(mut e) = self.entries.get(id).cloned() {
            change(&mut e);
            if self.entries.get(id) != Some(&e) {
                self.put(e);
            }
        }
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

/// A node name as a file name (names are already checked to be plain; this is a backstop).
fn file_name(node: &str) -> String {
    node.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

/// An entry from a journal's first records (its `created` record, and its first prompt within
/// the first 64 KiB); the session is taken as closed when the file was last written.
fn entry_from_journal(path: &Path) -> Option<Entry> {
    let file = std::fs::File::open(path).ok()?;
    let modified = file
        .metadata()
        .ok()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64);
    let mut head = String::new();
    file.take(64 * 1024).read_to_string(&mut head).ok()?;
    let mut records = head
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok());
    let created = records.next().filter(|r| r["kind"] == "created")?;
    let data = &created["data"];
    let title = records
        .find(|r| r["kind"] == "prompt")
        .and_then(|r| title_of_prompt(&r["data"]));
    Some(Entry {
        id: data["sessionId"].as_str()?.to_string(),
        connector: data["connector"].as_str().unwrap_or("?").to_string(),
        cwd: PathBuf::from(data["cwd"].as_str().unwrap_or("")),
        created_ms: created["ts"].as_u64().unwrap_or(0),
        yolo: data["yolo"].as_bool().unwrap_or(false),
        prompt_timeout_secs: data["promptTimeoutSecs"].as_u64(),
        title,
        title_from_agent: false,
        last_activity_ms: modified,
        status: SessionStatus::Closed,
        reason: None,
        ended_ms: Some(modified),
        pid: None,
    })
}

/// Whether process `pid` is running (and is not this one).
pub fn other_process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0 checks existence without sending anything; EPERM means it exists too.
    // SAFETY: kill with signal 0 sends nothing and touches no memory.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(id: &str, created: u64) -> Entry {
        Entry {
            id: id.into(),
            connector: "demo".into(),
            cwd: "/tmp".into(),
            created_ms: created,
            yolo: false,
            prompt_timeout_secs: None,
            title: None,
            title_from_agent: false,
            last_activity_ms: created,
            status: SessionStatus::Idle,
            reason: None,
            ended_ms: None,
            pid: None,
        }
    }

    #[test]
    fn the_last_line_of_an_id_wins_and_the_file_is_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        std::fs::create_dir_all(paths.data_dir.join("index")).unwrap();
        {
            let mut index = Index::open(&paths, "n1");
            index.put(entry("a", 1));
            for i in 0..100 {
                index.update("a", |e| e.last_activity_ms = 10 + i);
            }
            index.put(entry("b", 2));
            index.update("b", |e| {
                e.status = SessionStatus::Closed;
                e.ended_ms = Some(7)
            });
            journal::flush_all();
        }
        let path = paths.data_dir.join("index/n1.jsonl");
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 103);
        let index = Index::open(&paths, "n1");
        assert_eq!(index.get("a").unwrap().last_activity_ms, 109);
        assert_eq!(index.get("b").unwrap().ended_ms, Some(7));
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
        // Another node's index is its own.
        assert_eq!(Index::open(&paths, "n2").entries().count(), 0);
    }

    #[test]
    fn journals_from_before_the_index_are_indexed_once() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let sessions = paths.sessions_dir();
        std::fs::create_dir_all(&sessions).unwrap();
        let journal = [
            json!({"ts": 5, "kind": "created", "data": {"sessionId": "s1", "connector": "demo", "cwd": "/w", "yolo": true}}),
            json!({"ts": 6, "kind": "prompt", "data": [{"type": "text", "text": "\n  Fix the \u{1b}[31mbuild\n second line"}]}),
        ]
        .map(|v| v.to_string())
        .join("\n");
        std::fs::write(sessions.join("s1.jsonl"), journal).unwrap();
        std::fs::write(sessions.join("junk.jsonl"), "not json\n").unwrap();
        let index = Index::open(&paths, "local");
        let e = index.get("s1").unwrap();
        assert_eq!(e.title.as_deref(), Some("Fix the build"));
        assert_eq!(
            (e.status, e.yolo, e.created_ms),
            (SessionStatus::Closed, true, 5)
        );
        assert_eq!(index.entries().count(), 1);
        // Only the first index is bootstrapped: a second node starts empty.
        assert_eq!(Index::open(&paths, "other").entries().count(), 0);
    }

    #[test]
    fn titles_are_one_clean_line_cut_with_an_ellipsis() {
        let long = "x".repeat(200);
        let t = title_of_prompt(&json!([{ "type": "text", "text": long }])).unwrap();
        assert_eq!(t.chars().count(), TITLE_CHARS);
        assert!(t.ends_with('…'));
        assert_eq!(title_of_prompt(&json!([{ "type": "image" }])), None);
        assert_eq!(title_of_prompt(&json!("text")), None);
        assert_eq!(clip_title("a\u{7}b\tc"), "ab c");
        assert_eq!(file_name("../x y"), "_x_y");
    }
}
