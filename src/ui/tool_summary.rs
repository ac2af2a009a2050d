//! A tool call's input as a person reads it: the command line, the path (relative to the
//! session's directory), the search and where, the address; instead of the raw JSON the agent
//! sent. Input it cannot read is left to the caller to show raw.

use serde_json::Value;

/// The readable summary of `input` (the tool's raw input, JSON) for a session in `cwd`; None
/// when nothing in it is recognised.
pub fn summary(input: &str, cwd: &str) -> Option<String> {
    let Value::Object(map) = serde_json::from_str::<Value>(input).ok()? else {
        return None;
    };
    let text = |keys: &[&str]| {
        keys.iter().find_map(|k| match map.get(*k)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Array(parts) if !parts.is_empty() => Some(
                parts
                    .iter()
                    .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => None,
        })
    };
    let path = text(&[
        "path",
        "file_path",
        "filePath",
        "abs_path",
        "file",
        "notebook_path",
    ])
    .map(|p| relative(&p, cwd));
    if let Some(cmd) = text(&["command", "cmd"]) {
        return Some(format!("$ {}", one_line(&cmd)));
    }
    if let Some(q) = text(&["pattern", "query", "regex", "search"]) {
        return Some(match path {
            Some(p) => format!("“{}” in {p}", one_line(&q)),
            None => format!("“{}”", one_line(&q)),
        });
    }
    if let Some(p) = path {
        return Some(p);
    }
    text(&["url", "uri"]).map(|u| one_line(&u))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `path` relative to `cwd` when it is inside it.
pub(super) fn relative(path: &str, cwd: &str) -> String {
    let cwd = cwd.trim_end_matches('/');
    match path.strip_prefix(cwd).and_then(|r| r.strip_prefix('/')) {
        Some(rest) if !cwd.is_empty() && !rest.is_empty() => rest.to_string(),
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_read_as_what_they_do() {
        let cwd = "/work/app";
        for (input, want) in [
            (r#"{"path":"/work/app/Cargo.toml"}"#, Some("Cargo.toml")),
            (r#"{"file_path":"/etc/hosts"}"#, Some("/etc/hosts")),
            (
                r#"{"command":"cargo test\n  --all"}"#,
                Some("$ cargo test --all"),
            ),
            (
                r#"{"command":["git","status"],"cwd":"/work/app"}"#,
                Some("$ git status"),
            ),
            (
                r#"{"pattern":"fn main","path":"/work/app/src"}"#,
                Some("“fn main” in src"),
            ),
            (r#"{"query":"ratatui wrap"}"#, Some("“ratatui wrap”")),
            (
                r#"{"url":"https://example.com/a"}"#,
                Some("https://example.com/a"),
            ),
            (r#"{"other":1}"#, None),
            ("not json", None),
            ("[1,2]", None),
        ] {
            assert_eq!(summary(input, cwd).as_deref(), want, "{input}");
        }
    }
}
