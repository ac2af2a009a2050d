//! `praxis session start | list | prompt | show | stop`: one request or two to the nodes,
//! then the answer printed (text, or JSON in the documented shapes) and an exit code.

use super::nodes::{self, Failure, Nodes};
use super::shapes;
use super::{code, Env, Out};
use crate::node::{SessionOptions, SessionStatus};
use crate::node_api::ErrorKind;
use crate::protocol::RpcError;
use serde_json::json;
use std::path::PathBuf;

/// `session start`.
pub struct Start {
    pub node: Option<String>,
    pub agent: Option<String>,
    pub cwd: Option<PathBuf>,
    pub yolo: bool,
    pub timeout: Option<u64>,
    pub json: bool,
    pub text: String,
}

pub async fn start(env: &Env, out: &mut Out, a: Start) -> Result<(), Failure> {
    let cwd = match a.cwd.map(Ok).unwrap_or_else(std::env::current_dir) {
        Ok(c) => std::path::absolute(&c).unwrap_or(c),
        Err(e) => {
            return Err(Failure::new(
                code::USAGE,
                format!("no usable working directory: {e}"),
            ))
        }
    };
    let nodes = nodes::one(env, a.node.as_deref(), true).await?;
    let node = &nodes.linked[0];
    let options = SessionOptions {
        agent: a.agent.unwrap_or_else(|| env.default_agent.clone()),
        cwd,
        yolo: a.yolo,
        prompt_timeout_secs: a.timeout,
    };
    let created = node
        .client
        .new_session(&options)
        .await
        .map_err(|e| refused(&format!("cannot start agent `{}`", options.agent), &e))?;
    let id = created.session_id;
    let (_, queued) = node
        .client
        .enqueue(&id, &a.text)
        .await
        .map_err(|e| refused("the first prompt was refused", &e))?;
    // The turn goes on in the node: this client stops watching.
    let _ = node.client.detach(&id).await;
    if a.json {
        out.json(&json!({
            "id": id, "node": node.name, "agent": options.agent, "cwd": options.cwd,
            "yolo": options.yolo, "queued": queued,
        }));
    } else {
        out.line(&id);
    }
    Ok(())
}

/// `session list`: which sessions to show.
pub struct List {
    pub node: Option<String>,
    pub status: Option<String>,
    pub all: bool,
    pub json: bool,
}

/// The statuses `--status` takes, besides `live` and `ended`.
const STATUSES: &[SessionStatus] = &[
    SessionStatus::Initializing,
    SessionStatus::Idle,
    SessionStatus::Working,
    SessionStatus::NeedsPermission,
    SessionStatus::Failed,
    SessionStatus::Closed,
];

pub async fn list(env: &Env, out: &mut Out, a: List) -> Result<(), Failure> {
    let keep: Box<dyn Fn(SessionStatus) -> bool> = match a.status.as_deref() {
        None if a.all => Box::new(|_| true),
        None | Some("live") => Box::new(SessionStatus::is_live),
        Some("ended") => Box::new(|s: SessionStatus| !s.is_live()),
        Some(name) => {
            let wanted = STATUSES
                .iter()
                .copied()
                .find(|s| s.label_wire() == name.replace(['-', ' '], "_"))
                .ok_or_else(|| {
                    let known: Vec<&str> = STATUSES.iter().map(|s| s.label_wire()).collect();
                    Failure::new(
                        code::USAGE,
                        format!(
                            "unknown status `{}` (known: {}, live, ended)",
                            crate::sanitize::escape_for_log(name, 40),
                            known.join(", ")
                        ),
                    )
                })?;
            Box::new(move |s| s == wanted)
        }
    };
    let mut nodes = nodes::all(env, a.node.as_deref(), false).await?;
    let mut rows: Vec<(usize, crate::node_api::SessionSummary)> = nodes
        .sessions()
        .await
        .into_iter()
        .filter(|(_, s)| keep(s.status))
        .collect();
    // Most recently active first.
    rows.sort_by_key(|r| std::cmp::Reverse(r.1.last_activity_ms));
    if a.json {
        let sessions: Vec<_> = rows
            .iter()
            .map(|(n, s)| shapes::session_json(&nodes.linked[*n].name, s))
            .collect();
        let unreachable: Vec<_> = nodes
            .missing
            .iter()
            .map(|(node, error)| json!({ "node": node, "error": error }))
            .collect();
        out.json(&json!({ "sessions": sessions, "unreachable": unreachable }));
    } else {
        let now = crate::node::journal::now_ms();
        let home = std::env::var("HOME").ok();
        if !rows.is_empty() {
            out.line(&shapes::list_header());
        }
        for (n, s) in &rows {
            out.line(&shapes::list_line(
                &nodes.linked[*n].name,
                s,
                now,
                home.as_deref(),
            ));
        }
    }
    warn_missing(&nodes);
    if nodes.linked.is_empty() && nodes.missing.is_empty() {
        super::say("no node answered");
    }
    Ok(())
}

/// `session prompt`.
pub async fn prompt(
    env: &Env,
    out: &mut Out,
    id: &str,
    node: Option<&str>,
    json: bool,
    text: &str,
) -> Result<(), Failure> {
    let mut nodes = nodes::all(env, node, true).await?;
    let found = nodes.locate(id).await?;
    let linked = &nodes.linked[found.node];
    let mut id = found.summary.session_id.clone();
    let mut reopened = false;
    if !found.summary.status.is_live() {
        super::say(&format!(
            "session {} had ended ({}); reopening it",
            shapes::short(&id),
            ended_text(&found.summary)
        ));
        let resumed = linked
            .client
            .reopen(&id)
            .await
            .map_err(|e| refused("cannot reopen it", &e))?;
        if let Some(s) = resumed.summary {
            id = s.session_id;
        }
        let _ = linked.client.detach(&id).await;
        reopened = true;
    }
    let (id, queued) = linked
        .client
        .enqueue(&id, text)
        .await
        .map_err(|e| refused("the prompt was refused", &e))?;
    if json {
        out.json(&json!({
            "id": id, "node": linked.name, "accepted": true, "queued": queued, "reopened": reopened,
        }));
    } else if queued > 0 {
        out.line(&format!(
            "{}: queued ({queued} turn(s) ahead)",
            shapes::short(&id)
        ));
    } else {
        out.line(&format!("{}: accepted", shapes::short(&id)));
    }
    Ok(())
}

/// `session show`.
pub async fn show(
    env: &Env,
    out: &mut Out,
    id: &str,
    node: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    let mut nodes = nodes::all(env, node, false).await?;
    let found = nodes.locate(id).await?;
    let linked = &nodes.linked[found.node];
    let s = &found.summary;
    let transcript = match linked.client.transcript(&s.session_id).await {
        Ok(t) => t,
        // A session with no journal (one that never got a prompt) has no transcript yet.
        Err(e) if ErrorKind::of(&e) == ErrorKind::NotFound => String::new(),
        Err(e) => return Err(refused("cannot read its transcript", &e)),
    };
    if json {
        out.json(&json!({
            "session": shapes::session_json(&linked.name, s),
            "transcript": transcript,
        }));
    } else {
        let now = crate::node::journal::now_ms();
        for l in shapes::detail_lines(&linked.name, s, now) {
            out.line(&l);
        }
        out.line("");
        out.text(&transcript);
    }
    Ok(())
}

/// `session stop`.
pub async fn stop(
    env: &Env,
    out: &mut Out,
    id: &str,
    node: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    let mut nodes = nodes::all(env, node, false).await?;
    let found = nodes.locate(id).await?;
    let linked = &nodes.linked[found.node];
    let id = &found.summary.session_id;
    let before = found.summary.status;
    if before.is_live() {
        linked
            .client
            .close(id)
            .await
            .map_err(|e| refused("cannot close it", &e))?;
    }
    let after = if before.is_live() {
        SessionStatus::Closed
    } else {
        before
    };
    if json {
        out.json(&json!({
            "id": id, "node": linked.name,
            "before": before.label_wire(), "after": after.label_wire(),
        }));
    } else {
        out.line(&format!(
            "{}: {} → {}{}",
            shapes::short(id),
            before.label_wire(),
            after.label_wire(),
            if before.is_live() {
                ""
            } else {
                " (it had already ended)"
            }
        ));
    }
    Ok(())
}

/// "closed" / "failed: why".
pub(super) fn ended_text(s: &crate::node_api::SessionSummary) -> String {
    match &s.reason {
        Some(r) => format!("{}: {r}", s.status.label_wire()),
        None => s.status.label_wire().to_string(),
    }
}

/// A node's refusal as a failure: not found or invalid → usage (2), a lost connection →
/// unreachable (3), anything else → failed (1).
fn refused(what: &str, e: &RpcError) -> Failure {
    let code = match ErrorKind::of(e) {
        ErrorKind::NotFound | ErrorKind::Invalid => code::USAGE,
        ErrorKind::Disconnected => code::UNREACHABLE,
        _ => code::FAILED,
    };
    Failure::new(code, format!("{what}: {}", e.message))
}

/// Says which nodes did not answer (the listing goes on without them).
fn warn_missing(nodes: &Nodes) {
    if !nodes.missing.is_empty() {
        super::say(&nodes.missing_text());
    }
}
