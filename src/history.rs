//! The prompt history file (`<data>/history.jsonl`): one JSON string per line, appended as
//! prompts are sent; loaded deduplicated (latest occurrence wins) and bounded. Entries are
//! sanitized both ways (a prompt may hold text that came from an agent, e.g. an accepted
//! command), so a file written by an older version cannot replay escapes either.

use std::io::Write;
use std::path::Path;

/// Loads at most `limit` distinct prompts, oldest first. A missing or unreadable file is an
/// empty history; malformed lines are skipped.
pub fn load(path: &Path, limit: usize) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Ok(p) = serde_json::from_str::<String>(line) {
            let p = crate::sanitize::sanitize(&p);
            out.retain(|h| *h != p);
            out.push(p);
        }
    }
    let excess = out.len().saturating_sub(limit);
    out.drain(..excess);
    out
}

/// Appends one prompt; compacts the file when it has grown well past `limit` lines.
pub fn append(path: &Path, prompt: &str, limit: usize) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let prompt = crate::sanitize::sanitize(prompt);
    let mut line = serde_json::to_string(&prompt).map_err(std::io::Error::other)?;
    line.push('\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(line.as_bytes())?;
    let lines = std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0);
    if lines > limit * 2 {
        let kept = load(path, limit);
        let body: String = kept
            .iter()
            .filter_map(|p| serde_json::to_string(p).ok())
            .map(|l| l + "\n")
            .collect();
        std::fs::write(path, body)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedups_bounds_and_keeps_multiline_prompts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h/history.jsonl");
        for p in ["a", "b", "a", "multi\nline", "c"] {
            append(&path, p, 3).unwrap();
        }
        assert_eq!(load(&path, 10), vec!["b", "a", "multi\nline", "c"]);
        assert_eq!(load(&path, 2), vec!["multi\nline", "c"]);
        for i in 0..10 {
            append(&path, &i.to_string(), 3).unwrap();
        }
        assert!(std::fs::read_to_string(&path).unwrap().lines().count() <= 7);
        assert_eq!(load(&path, 3), vec!["7", "8", "9"]);
        assert!(load(&dir.path().join("missing"), 3).is_empty());
    }
}
