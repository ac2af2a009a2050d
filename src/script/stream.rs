//! `praxis session stream`: follows one session's activity until its work is done (the turn
//! running when it attached, and every prompt queued behind it), or Ctrl+C. Text goes through
//! the headless printer; `--json` prints one event per line ([`super::shapes::event_json`]).
//!
//! What counts as "now": the node answers the attach with the session's status taken in the
//! same step as its replay (no frame is sent in between) and the last frame number, so a turn
//! end numbered after it is news, and one replayed from earlier (with `--from-start`) is not.

use super::nodes::{self, Failure};
use super::{code, shapes, Env, Out};
use crate::headless::Printer;
use crate::node::{NodeEvent, SessionStatus};
use crate::node_api::{ErrorKind, StopReason};

pub async fn stream(
    env: &Env,
    out: &mut Out,
    id: &str,
    node: Option<&str>,
    from_start: bool,
    json: bool,
) -> Result<i32, Failure> {
    let mut nodes = nodes::all(env, node, false).await?;
    let found = nodes.locate(id).await?;
    let endpoint = nodes.endpoint().cloned();
    let linked = &mut nodes.linked[found.node];
    let id = found.summary.session_id.clone();
    if !found.summary.status.is_live() {
        if from_start {
            let t = linked.client.transcript(&id).await.unwrap_or_default();
            if json {
                out.json(&serde_json::json!({ "event": "transcript", "id": id, "markdown": t }));
            } else {
                out.text(&t);
            }
        }
        super::say(&format!(
            "session {} has ended ({})",
            shapes::short(&id),
            super::commands::ended_text(&found.summary)
        ));
        return Ok(if found.summary.status == SessionStatus::Failed {
            code::FAILED
        } else {
            code::OK
        });
    }
    let followed = match linked.client.follow(&id, from_start).await {
        // The node no longer holds the start of it: the transcript, then from now on.
        Err(e) if from_start && ErrorKind::of(&e) == ErrorKind::Invalid => {
            let t = linked.client.transcript(&id).await.unwrap_or_default();
            out.text(&t);
            linked.client.follow(&id, false).await
        }
        other => other,
    };
    let followed = followed.map_err(|e| Failure::new(code::FAILED, e.message))?;
    let busy = followed
        .summary
        .as_ref()
        .is_some_and(|s| s.status.is_busy() || s.queued > 0);
    let mut printer = Printer::default();
    let mut last_end: Option<i32> = None;
    // What the node sent up to the attach is already queued: print it, then decide.
    while let Ok(event) = linked.events.try_recv() {
        if let Some(end) = show(out, &mut printer, &id, &event, json, followed.last_seq) {
            last_end = Some(end);
        }
    }
    if !busy && last_end.is_none() {
        out.text(&printer.finish());
        let failed = followed
            .summary
            .is_some_and(|s| s.status == SessionStatus::Failed);
        return Ok(if failed { code::FAILED } else { code::OK });
    }
    if let Some(end) = last_end {
        out.text(&printer.finish());
        return Ok(end);
    }
    let mut signals = crate::signals::Signals::new();
    // Over the broker a link to a node that died just goes quiet: its presence tells.
    let gone = node_gone(endpoint, linked.name.clone());
    tokio::pin!(gone);
    let result = loop {
        tokio::select! {
            why = &mut gone => {
                out.text(&printer.finish());
                return Err(Failure::new(code::UNREACHABLE, format!("node {} went away ({why})", linked.name)));
            }
            event = linked.events.recv() => match event {
                None | Some(NodeEvent::Disconnected(_)) => {
                    out.text(&printer.finish());
                    return Err(Failure::new(code::UNREACHABLE, format!("node {} went away", linked.name)));
                }
                Some(event) => {
                    if let Some(end) = show(out, &mut printer, &id, &event, json, followed.last_seq) {
                        break end;
                    }
                }
            },
            _ = tokio::signal::ctrl_c() => break code::INTERRUPTED,
            signal = signals.next() => break 128 + signal.number(),
        }
    };
    out.text(&printer.finish());
    // Stop watching (the session goes on); a node that is gone is no matter here.
    let _ =
        tokio::time::timeout(std::time::Duration::from_secs(2), linked.client.detach(&id)).await;
    Ok(result)
}

/// How long a node may go without a sign of life (its presence answers pings) before a
/// follower gives it up: three of its heartbeats.
const NODE_SILENCE: std::time::Duration = std::time::Duration::from_secs(15);

/// Resolves when node `name` says goodbye or stops answering pings (never without a broker:
/// the socket closing says it).
async fn node_gone(endpoint: Option<crate::amqp::ClientEndpoint>, name: String) -> String {
    let Some(endpoint) = endpoint else {
        return std::future::pending().await;
    };
    let mut presence = endpoint.presence();
    let mut last_seen = tokio::time::Instant::now();
    let mut ping = tokio::time::interval(crate::node::daemon::HEARTBEAT);
    loop {
        tokio::select! {
            _ = ping.tick() => {
                let _ = endpoint.ping().await;
            }
            p = presence.recv() => match p {
                Ok(p) if p.node == name => {
                    if p.body.get("goodbye").and_then(serde_json::Value::as_bool) == Some(true) {
                        return "it said goodbye".into();
                    }
                    last_seen = tokio::time::Instant::now();
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return "the broker connection closed".into(),
            },
            _ = tokio::time::sleep_until(last_seen + NODE_SILENCE) => {
                return format!("no sign of life for {} s", NODE_SILENCE.as_secs());
            }
        }
    }
}

/// Prints one event; returns the exit code when it ends the work this command follows (the
/// last turn ended after the attach, with nothing queued behind it).
fn show(
    out: &mut Out,
    printer: &mut Printer,
    id: &str,
    event: &NodeEvent,
    json: bool,
    attached_at: u64,
) -> Option<i32> {
    if json {
        if let Some(v) = shapes::event_json(event) {
            out.json(&v);
        }
    } else {
        let text = match event {
            NodeEvent::Update { update, .. } => printer.update(update),
            NodeEvent::Prompted { text, .. } => printer.line(&format!("> {text}")),
            NodeEvent::Permission { ask, .. } => printer.line(&format!(
                "[permission] {} (waiting for an answer from a praxis client)",
                ask.tool_call
                    .fields
                    .title
                    .as_deref()
                    .unwrap_or("a tool call")
            )),
            NodeEvent::PermissionResolved { option, .. } => printer.line(&format!(
                "[permission] answered: {}",
                option.as_deref().unwrap_or("cancelled")
            )),
            NodeEvent::AutoApproved { title, .. } => {
                printer.line(&format!("[yolo] approved: {title}"))
            }
            NodeEvent::Notice { message, .. } => printer.line(&format!("[notice] {message}")),
            NodeEvent::Status {
                status: SessionStatus::Failed,
                reason,
                ..
            } => printer.line(&format!(
                "[failed] {}",
                reason.as_deref().unwrap_or("unknown reason")
            )),
            NodeEvent::TurnEnded {
                stop_reason: Some(r),
                ..
            } if *r != StopReason::EndTurn => printer.line(&format!("[stopped: {r}]")),
            NodeEvent::TurnEnded { error: Some(e), .. } => {
                printer.line(&format!("[turn failed] {e}"))
            }
            _ => String::new(),
        };
        out.text(&text);
    }
    match event {
        NodeEvent::TurnEnded {
            session,
            stop_reason,
            queued: 0,
            seq,
            ..
        } if session == id && *seq > attached_at => Some(match stop_reason {
            Some(StopReason::EndTurn) => code::OK,
            _ => code::FAILED,
        }),
        _ => None,
    }
}
