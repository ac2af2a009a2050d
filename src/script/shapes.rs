//! What the commands print: the JSON shapes documented in `docs/scripting.md` (a session, a
//! stream event) and their text forms (the list's columns, ages, the detail lines). Pure
//! functions of their inputs (the time is passed in), so they are tested as they are.

use crate::node::NodeEvent;
use crate::node_api::SessionSummary;
use crate::node_api::StopReason;
use serde_json::{json, Value};

/// A session as every command's JSON shows it.
pub fn session_json(node: &str, s: &SessionSummary) -> Value {
    json!({
        "id": s.session_id,
        "node": node,
        "agent": s.connector,
        "status": s.status.label_wire(),
        "reason": s.reason,
        "title": s.title,
        "cwd": s.cwd,
        "yolo": s.yolo,
        "createdAt": s.created_ms,
        "lastActivityAt": s.last_activity_ms,
        "endedAt": s.ended_ms,
        "queued": s.queued,
        "attached": s.attached,
    })
}

/// The list's header line.
pub fn list_header() -> String {
    format!(
        "{:<8}  {:<12} {:<10} {:<16} {:>5} {:>6}  {:<32}  CWD",
        "ID", "NODE", "AGENT", "STATUS", "AGE", "ACTIVE", "TITLE"
    )
}

/// One session as a line of the list (`now` in Unix ms).
pub fn list_line(node: &str, s: &SessionSummary, now: u64, home: Option<&str>) -> String {
    let mut status = s.status.label_wire().to_string();
    if s.queued > 0 {
        status.push_str(&format!(" +{}", s.queued));
    }
    format!(
        "{:<8}  {:<12} {:<10} {:<16} {:>5} {:>6}  {:<32}  {}",
        short(&s.session_id),
        clip(node, 12),
        clip(&s.connector, 10),
        status,
        age(now, s.created_ms),
        age(now, s.last_activity_ms),
        clip(s.title.as_deref().unwrap_or("-"), 32),
        s.cwd
            .as_deref()
            .map(|c| tilde(&c.display().to_string(), home))
            .unwrap_or_else(|| "-".into()),
    )
}

/// The detail lines of `session show` (the fields of the overlay's detail view a node knows).
pub fn detail_lines(node: &str, s: &SessionSummary, now: u64) -> Vec<String> {
    let when = |ms: u64| format!("{} ago", age(now, ms));
    let mut lines = vec![
        format!("session   {}", s.session_id),
        format!("title     {}", s.title.as_deref().unwrap_or("(none yet)")),
        format!("node      {node}"),
        format!("agent     {}", s.connector),
        format!(
            "status    {}{}",
            s.status.label_wire(),
            s.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
    ];
    if s.queued > 0 {
        lines.push(format!("queued    {} prompt(s)", s.queued));
    }
    lines.push(format!(
        "cwd       {}",
        s.cwd
            .as_deref()
            .map(|c| c.display().to_string())
            .unwrap_or_else(|| "-".into())
    ));
    lines.push(format!("yolo      {}", if s.yolo { "on" } else { "off" }));
    lines.push(format!("created   {}", when(s.created_ms)));
    lines.push(format!("active    {}", when(s.last_activity_ms)));
    if let Some(e) = s.ended_ms {
        lines.push(format!("ended     {}", when(e)));
    }
    lines.push(format!("attached  {} client(s)", s.attached));
    lines
}

/// A stream event as one JSON line (None: an event a follower does not print).
pub fn event_json(event: &NodeEvent) -> Option<Value> {
    Some(match event {
        NodeEvent::Update { session, update } => {
            let update = match update {
                crate::protocol::acp::Update::Known(u) => {
                    serde_json::to_value(u.as_ref()).unwrap_or(Value::Null)
                }
                crate::protocol::acp::Update::Unknown(v) => v.clone(),
            };
            json!({ "event": "update", "id": session, "update": update })
        }
        NodeEvent::Prompted { session, text } => {
            json!({ "event": "prompt", "id": session, "text": text })
        }
        NodeEvent::Status {
            session,
            status,
            reason,
        } => {
            json!({ "event": "status", "id": session, "status": status.label_wire(), "reason": reason })
        }
        NodeEvent::Permission { session, ask, .. } => json!({
            "event": "permission",
            "id": session,
            "title": ask.tool_call.fields.title,
            "options": ask.options.iter().map(|o| json!({
                "id": o.option_id.0.as_ref(),
                "name": o.name,
            })).collect::<Vec<_>>(),
        }),
        NodeEvent::PermissionResolved {
            session, option, ..
        } => json!({ "event": "permission_resolved", "id": session, "option": option }),
        NodeEvent::AutoApproved {
            session,
            title,
            option,
        } => json!({ "event": "auto_approved", "id": session, "title": title, "option": option }),
        NodeEvent::Notice {
            session,
            message,
            info,
        } => json!({
            "event": "notice", "id": session, "message": message,
            "level": if *info { "info" } else { "warning" },
        }),
        NodeEvent::TurnEnded {
            session,
            stop_reason,
            error,
            queued,
            ..
        } => json!({
            "event": "turn_end", "id": session,
            "stopReason": stop_reason.as_ref().map(StopReason::as_str),
            "error": error, "queued": queued,
        }),
        NodeEvent::Disconnected(_) => return None,
    })
}

/// The 8 characters of an id praxis shows.
pub fn short(id: &str) -> &str {
    match id.char_indices().nth(8) {
        Some((i, _)) => &id[..i],
        None => id,
    }
}

/// "5s", "12m", "3h", "4d" since `then` (ms); "-" for an unknown time.
pub fn age(now: u64, then: u64) -> String {
    if then == 0 {
        return "-".into();
    }
    let s = now.saturating_sub(then) / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

fn clip(text: &str, max: usize) -> String {
    crate::node_api::cut(text, max)
}

/// `/home/ann/src` → `~/src` under `home`.
fn tilde(path: &str, home: Option<&str>) -> String {
    match home.and_then(|h| path.strip_prefix(h)) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("~{rest}"),
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node_api::SessionStatus;

    fn summary() -> SessionSummary {
        SessionSummary {
            session_id: "3f2a9c1e-0b7d-4c55-9a1e-7d2b8c4e6f01".into(),
            connector: "demo".into(),
            status: SessionStatus::Working,
            created_ms: 1_000,
            last_activity_ms: 61_000,
            cwd: Some("/home/ann/src/praxis".into()),
            title: Some("fix the failing tests in the node daemon's socket code".into()),
            queued: 2,
            ..Default::default()
        }
    }

    #[test]
    fn a_list_line_has_the_short_id_ages_queue_and_a_home_relative_cwd() {
        let line = list_line("box", &summary(), 3_661_000, Some("/home/ann"));
        assert!(line.starts_with("3f2a9c1e  box "), "{line}");
        assert!(line.contains("working +2"), "{line}");
        assert!(line.contains(" 1h "), "{line}");
        assert!(
            line.contains("    1h     1h  fix the failing tests"),
            "{line}"
        );
        assert!(line.ends_with("  ~/src/praxis"), "{line}");
        assert!(line.contains('…'), "a long title is cut: {line}");
    }

    #[test]
    fn ages_read_as_people_say_them() {
        assert_eq!(age(10_000, 0), "-");
        assert_eq!(age(10_000, 5_000), "5s");
        assert_eq!(age(10 * 60_000, 1), "9m");
        assert_eq!(age(3 * 86_400_000, 1), "2d");
        assert_eq!(tilde("/home/annex/x", Some("/home/ann")), "/home/annex/x");
    }

    #[test]
    fn the_session_json_names_every_documented_field() {
        let v = session_json("box", &summary());
        assert_eq!(v["id"], "3f2a9c1e-0b7d-4c55-9a1e-7d2b8c4e6f01");
        assert_eq!(v["status"], "working");
        assert_eq!(v["queued"], 2);
        assert!(v["endedAt"].is_null());
    }
}
