//! What a node answers about its sessions as a whole: `session/list` (the live ones and,
//! from its index, the history), ids by any unique prefix, and `session/resume` (attach to a
//! live session, or reopen an ended one, see [`super::reopen`]).

use super::outbox::Conn;
use super::server::Node;
use super::session::lock_index;
use crate::node_api::SessionStatus;
use crate::protocol::acp::praxis_meta;
use crate::protocol::RpcError;
use serde_json::{json, Value};
use std::sync::Arc;

impl Node {
    /// The full id of the session `params.sessionId` names: itself, or the one session (live
    /// or in the history) whose id starts with it. Ambiguity is an error listing the matches.
    pub(super) fn resolve(&self, params: &Value) -> Result<String, RpcError> {
        let given = params
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| RpcError::invalid_params("missing sessionId"))?;
        let index = lock_index(&self.index);
        if self.sessions().contains_key(given) || index.get(given).is_some() {
            return Ok(given.to_string());
        }
        let shown = crate::sanitize::escape_for_log(given, 80);
        if given.is_empty() {
            return Err(RpcError::not_found("no session `` (the id is empty)"));
        }
        let mut hits: Vec<String> = self
            .sessions()
            .keys()
            .map(String::as_str)
            .chain(index.ids())
            .filter(|id| id.starts_with(given))
            .map(str::to_owned)
            .collect();
        hits.sort();
        hits.dedup();
        match hits.len() {
            1 => Ok(hits.remove(0)),
            0 => Err(RpcError::not_found(format!(
                "no session `{shown}` on node {}",
                self.settings.name
            ))),
            n => {
                let listed: Vec<String> = hits
                    .iter()
                    .take(5)
                    .map(|id| match index.get(id).and_then(|e| e.title.as_deref()) {
                        Some(t) => format!("{} ({t})", &id[..id.len().min(8)]),
                        None => id[..id.len().min(8)].to_string(),
                    })
                    .collect();
                let more = if n > 5 {
                    format!(" and {} more", n - 5)
                } else {
                    String::new()
                };
                Err(RpcError::invalid_params(format!(
                    "`{shown}` matches {n} sessions: {}{more}; give more of the id",
                    listed.join(", ")
                )))
            }
        }
    }

    /// `session/resume`: attach this connection, replaying what it has not seen
    /// (`_meta.praxis.afterSeq`, 0 or absent: everything; `fromNow`: nothing), then follow live. A session that
    /// ended (asked with `_meta.praxis.reopen`, or one only in the history) is reopened.
    pub(super) async fn resume(
        self: &Arc<Self>,
        conn: Conn,
        params: &Value,
    ) -> Result<Value, RpcError> {
        let id = self.resolve(params)?;
        let after = if praxis_meta(params, "fromNow").and_then(Value::as_bool) == Some(true) {
            super::outbox::FROM_NOW
        } else {
            praxis_meta(params, "afterSeq")
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let reopen = praxis_meta(params, "reopen").and_then(Value::as_bool) == Some(true);
        let live = self.sessions().get(&id).cloned();
        let (s, attached) = match live {
            Some(s) if !reopen || s.status().0.is_live() => {
                let snap = s.clone();
                let attached = s.out.attach_with(conn, after, || snap.summary()).await?;
                (s, attached)
            }
            _ => {
                let _one_at_a_time = self.reopening.lock().await;
                // Another client may have reopened it meanwhile.
                let again = self.sessions().get(&id).cloned();
                match again.filter(|s| s.status().0.is_live()) {
                    Some(s) => {
                        let attached = s.out.attach(conn, 0).await?;
                        (s, attached)
                    }
                    None => {
                        let entry = self.ended_entry(&id).ok_or_else(|| {
                            RpcError::not_found(format!(
                                "session {id} is not in this node's history"
                            ))
                        })?;
                        let old = self.sessions().remove(&id);
                        if let Some(old) = old {
                            old.out.detach_all().await;
                            old.close().await;
                        }
                        let s = self.reopen(entry, conn.clone()).await?;
                        let attached = super::outbox::Attached {
                            last_seq: s.out.last_seq(),
                            replayed: s.out.last_seq(),
                            snapshot: Value::Null,
                        };
                        (s, attached)
                    }
                }
            }
        };
        // The status as of `lastSeq` (taken with the replay, when attaching to a live one).
        let summary = match attached.snapshot {
            Value::Null => s.summary(),
            v => v,
        };
        let mut answer = json!({ "_meta": summary["_meta"].clone() });
        if let Some(p) = answer
            .pointer_mut("/_meta/praxis")
            .and_then(Value::as_object_mut)
        {
            p.insert("sessionId".into(), json!(s.spec.id));
            p.insert("lastSeq".into(), json!(attached.last_seq));
            p.insert("replayed".into(), json!(attached.replayed));
            p.insert("cwd".into(), json!(s.spec.cwd));
            p.insert("configOptions".into(), s.config_options());
            p.insert("modes".into(), s.modes());
        }
        Ok(answer)
    }

    /// Every session's summary, and with `history` every ended one the node ran before
    /// (from its index). Never waits on a session (presence calls it too, without history).
    pub fn list(&self, history: bool) -> Value {
        let all = self.all_sessions();
        // (created, summary): sorted by a plain key, not by looking into each value.
        let mut rows: Vec<(u64, Value)> = Vec::with_capacity(all.len());
        if history {
            let live: std::collections::HashSet<&str> =
                all.iter().map(|s| s.spec.id.as_str()).collect();
            // Copied out under the lock, built into JSON after it: sessions update the index
            // as they work and must not wait for a long listing.
            let entries: Vec<_> = lock_index(&self.index)
                .entries()
                .filter(|e| e.title.is_some() && !live.contains(e.id.as_str()))
                .cloned()
                .collect();
            for mut e in entries {
                if e.status.is_live() {
                    // Left "live" by a process that still runs: that process's, not history.
                    if e.pid.is_some_and(super::index::other_process_alive) {
                        continue;
                    }
                    // Its process ended without closing it (killed, or a crash).
                    e.status = SessionStatus::Closed;
                    e.reason = Some("its node stopped without closing it".into());
                    e.ended_ms = Some(e.last_activity_ms);
                }
                rows.push((e.created_ms, e.summary()));
            }
        }
        for s in all {
            let mut v = s.summary();
            if let Some(p) = v
                .pointer_mut("/_meta/praxis")
                .and_then(Value::as_object_mut)
            {
                p.insert("lastSeq".into(), json!(s.out.last_seq()));
                p.insert("attached".into(), json!(s.out.attached()));
            }
            rows.push((s.created_ms, v));
        }
        rows.sort_by_key(|r| r.0);
        let sessions: Vec<Value> = rows.into_iter().map(|(_, v)| v).collect();
        json!({ "sessions": sessions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Paths;
    use crate::node::index::Entry;
    use crate::node::{Connectors, NodeSettings};
    use std::time::Duration;

    #[test]
    fn a_prefix_names_one_session_and_an_ambiguous_one_lists_the_matches() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::new(
            NodeSettings {
                name: "t".into(),
                connectors: Connectors::default(),
                paths: Paths::under(dir.path()),
                prompt_timeout: Duration::from_secs(60),
                cancel_grace: Duration::from_secs(1),
            },
            None,
        );
        for (id, title) in [
            ("abc-1", Some("first")),
            ("abc-2", None),
            ("xyz", Some("x")),
        ] {
            lock_index(&node.index).put(Entry {
                id: id.into(),
                connector: "demo".into(),
                cwd: "/".into(),
                created_ms: 1,
                yolo: false,
                prompt_timeout_secs: None,
                title: title.map(str::to_owned),
                title_from_agent: false,
                last_activity_ms: 1,
                status: SessionStatus::Closed,
                reason: None,
                ended_ms: Some(1),
                pid: None,
            });
        }
        let resolve = |id: &str| node.resolve(&json!({ "sessionId": id }));
        assert_eq!(resolve("abc-1").unwrap(), "abc-1");
        assert_eq!(resolve("x").unwrap(), "xyz");
        let e = resolve("abc").unwrap_err();
        assert!(
            e.message
                .contains("matches 2 sessions: abc-1 (first), abc-2"),
            "{}",
            e.message
        );
        assert!(resolve("q").unwrap_err().message.contains("no session `q`"));
        assert!(resolve("").is_err());
        // The history is listed (ended; one never given a prompt is not), and presence's
        // listing leaves it out.
        assert_eq!(node.list(true)["sessions"].as_array().unwrap().len(), 2);
        assert_eq!(node.list(false)["sessions"].as_array().unwrap().len(), 0);
    }
}
