//! The bridge's frame rules, as plain state and no I/O: what each frame from the outside
//! client becomes on its way to the node, and what each frame from the node becomes on its
//! way back. [`super`] moves the frames; everything it decides about them is here.
//!
//! Client → node: the node token goes into `params._meta.praxis.token` of every request and
//! notification; `session/new` gets `_meta.praxis.connector` (the bridge's agent) and `yolo`
//! (the client's other `_meta` fields stay); request ids are renumbered, so the bridge's own
//! requests (its `initialize`, the `session/close`s on the way out) never collide with the
//! client's, and every answer is tied to the method it answers. A frame that is not JSON is
//! answered with a parse error (-32700, `id: null`), one that is not an object with an
//! invalid-request error (-32600); nothing else is refused here (the node judges the rest).
//!
//! Node → client: ids are restored; the `initialize` answer names the bridge (`agentInfo`);
//! the sessions `session/new` answers are remembered (and forgotten when the client closes
//! them) so they can be closed when the client goes. `_praxis/…` extension frames never
//! reach the client: a prompt another client sent becomes a standard `user_message_chunk`
//! update, a notice or a failure becomes a line for stderr (the caller sanitizes it), the
//! rest is dropped. Everything else passes through as the node wrote it, agent text
//! included: the client renders it and sanitizing it is the client's business.

use crate::protocol::acp::{method, praxis_meta};
use crate::protocol::jsonrpc::codes;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What a frame from the client becomes.
#[derive(Debug, PartialEq)]
pub enum FromClient {
    /// This line goes to the node.
    Node(String),
    /// This line answers the client at once (what it sent cannot be relayed).
    Client(String),
}

/// One thing to do with (part of) a frame from the node.
#[derive(Debug, PartialEq)]
pub enum FromNode {
    /// This line goes to the client.
    Client(String),
    /// This line answers the node (a praxis extension request no outside client knows).
    Node(String),
    /// A line for stderr (not yet sanitized).
    Say(String),
    /// The answer (`result` or `error`) to one of the bridge's own requests.
    Own(u64, Result<Value, Value>),
    /// While closing: a `session/new` of the client was answered; the session to close too
    /// (None when it was refused).
    Late(Option<String>),
}

/// What a renumbered request of the client asked, for what its answer must do.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Initialize,
    SessionNew,
    SessionClose(Option<String>),
    Other,
}

#[derive(Debug)]
enum Pending {
    /// The client's request, with the id it used.
    Client { id: Value, kind: Kind },
    /// One of the bridge's own.
    Own,
}

/// The only fields of a node frame the relay looks at before it knows it must change it (the
/// rest, often a large update, is checked as JSON but not built into a value).
#[derive(serde::Deserialize)]
struct Head {
    method: Option<String>,
    id: Option<Value>,
}

/// The relay's state: the requests in flight and the sessions this bridge created.
#[derive(Debug)]
pub struct Relay {
    agent: String,
    yolo: bool,
    token: Option<String>,
    next_id: u64,
    pending: BTreeMap<u64, Pending>,
    created: BTreeSet<String>,
    closing: bool,
}

impl Relay {
    pub fn new(agent: String, yolo: bool, token: Option<String>) -> Relay {
        Relay {
            agent,
            yolo,
            token: token.filter(|t| !t.is_empty()),
            next_id: 0,
            pending: BTreeMap::new(),
            created: BTreeSet::new(),
            closing: false,
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// One of the bridge's own requests (with the token): its id and its line.
    pub fn own(&mut self, m: &str, mut params: Value) -> (u64, String) {
        let id = self.next_id();
        self.pending.insert(id, Pending::Own);
        if let Some(t) = &self.token {
            praxis_of(&mut params).insert("token".into(), json!(t));
        }
        let line = json!({ "jsonrpc": "2.0", "id": id, "method": m, "params": params });
        (id, line.to_string())
    }

    /// A frame from the client.
    pub fn on_client(&mut self, line: &str) -> FromClient {
        let mut msg: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                return FromClient::Client(error_line(
                    Value::Null,
                    codes::PARSE_ERROR,
                    &format!("parse error: {e}"),
                ))
            }
        };
        let Some(obj) = msg.as_object_mut() else {
            return FromClient::Client(error_line(
                Value::Null,
                codes::INVALID_REQUEST,
                "invalid request: a frame must be a JSON object",
            ));
        };
        // An answer (to a permission request): the node's own id, passed on unchanged.
        let Some(m) = obj.get("method").and_then(Value::as_str).map(str::to_owned) else {
            return FromClient::Node(line.to_string());
        };
        let needs_params = self.token.is_some() || m == method::SESSION_NEW;
        if needs_params && obj.get("params").is_none_or(Value::is_null) {
            obj.insert("params".into(), json!({}));
        }
        if let Some(params) = obj.get_mut("params").filter(|p| p.is_object()) {
            if m == method::SESSION_NEW {
                let praxis = praxis_of(params);
                praxis.insert("connector".into(), json!(self.agent));
                praxis.insert("yolo".into(), json!(self.yolo));
            }
            if let Some(t) = &self.token {
                praxis_of(params).insert("token".into(), json!(t));
            }
        }
        // Ids the node would refuse (null, objects, ...) go as they are: it answers -32600.
        if let Some(id) = obj.get("id").filter(|i| i.is_string() || i.is_number()) {
            let kind = match m.as_str() {
                method::INITIALIZE => Kind::Initialize,
                method::SESSION_NEW => Kind::SessionNew,
                method::SESSION_CLOSE => Kind::SessionClose(
                    obj.get("params")
                        .and_then(|p| p.get("sessionId"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                ),
                _ => Kind::Other,
            };
            let client_id = id.clone();
            let ours = self.next_id();
            self.pending.insert(
                ours,
                Pending::Client {
                    id: client_id,
                    kind,
                },
            );
            obj.insert("id".into(), json!(ours));
        }
        FromClient::Node(msg.to_string())
    }

    /// A frame from the node: what to do with it (often one line for the client).
    pub fn on_node(&mut self, line: &str) -> Vec<FromNode> {
        let head: Head = match serde_json::from_str(line) {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "dropped a frame from the node that is not a JSON-RPC object");
                return vec![];
            }
        };
        if let Some(m) = head.method {
            if m.starts_with("_praxis/") {
                return self.extension(&m, head.id, line);
            }
            return self.to_client(line.to_string());
        }
        let ours = head.id.as_ref().and_then(Value::as_u64);
        let Some(pending) = ours.and_then(|n| self.pending.remove(&n)) else {
            // Not an answer to a renumbered request (an `id: null` error, say): as it is.
            return self.to_client(line.to_string());
        };
        let Ok(mut msg) = serde_json::from_str::<Value>(line) else {
            return vec![];
        };
        let ok = msg.get("result").is_some();
        match pending {
            Pending::Own => {
                let answer = match msg.get_mut("result") {
                    Some(r) => Ok(r.take()),
                    None => Err(msg.get_mut("error").map(Value::take).unwrap_or_default()),
                };
                vec![FromNode::Own(ours.unwrap_or_default(), answer)]
            }
            Pending::Client { id, kind } => {
                let session = msg
                    .pointer("/result/sessionId")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                match kind {
                    Kind::SessionNew if self.closing => return vec![FromNode::Late(session)],
                    Kind::SessionNew => self.created.extend(session),
                    Kind::SessionClose(Some(s)) if ok => {
                        self.created.remove(&s);
                    }
                    Kind::Initialize => {
                        if let Some(r) = msg.get_mut("result").filter(|r| r.is_object()) {
                            let node = praxis_meta(r, "node")
                                .and_then(Value::as_str)
                                .unwrap_or("its node")
                                .to_string();
                            r["agentInfo"] = json!({
                                "name": "praxis-bridge",
                                "title": format!("praxis: {} on {node}", self.agent),
                                "version": env!("CARGO_PKG_VERSION"),
                            });
                        }
                    }
                    _ => {}
                }
                if let Some(o) = msg.as_object_mut() {
                    o.insert("id".into(), id);
                }
                self.to_client(msg.to_string())
            }
        }
    }

    /// A line for the client, unless the client has gone.
    fn to_client(&self, line: String) -> Vec<FromNode> {
        if self.closing {
            vec![]
        } else {
            vec![FromNode::Client(line)]
        }
    }

    /// A `_praxis/…` frame: never passed on as it is.
    fn extension(&self, m: &str, id: Option<Value>, line: &str) -> Vec<FromNode> {
        if let Some(id) = id {
            let e = error_line(
                id,
                codes::METHOD_NOT_FOUND,
                &format!(
                    "method not found: {m} (the client behind praxis bridge does not know it)"
                ),
            );
            return vec![FromNode::Node(e)];
        }
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            return vec![];
        };
        let p = msg.get("params").unwrap_or(&Value::Null);
        let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default();
        let short: String = text("sessionId").chars().take(8).collect();
        match m {
            method::PRAXIS_NOTICE => vec![FromNode::Say(format!(
                "session {short}: {}: {}",
                text("level"),
                text("message")
            ))],
            method::PRAXIS_STATUS if text("status") == "failed" => vec![FromNode::Say(format!(
                "session {short} failed: {}",
                text("reason")
            ))],
            // Another client's prompt (or one replayed on resume): the standard way to show it.
            method::PRAXIS_PROMPTED => p
                .get("prompt")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .flat_map(|block| {
                    self.to_client(
                        json!({
                            "jsonrpc": "2.0",
                            "method": method::SESSION_UPDATE,
                            "params": {
                                "sessionId": p.get("sessionId"),
                                "update": { "sessionUpdate": "user_message_chunk", "content": block },
                            },
                        })
                        .to_string(),
                    )
                })
                .collect(),
            _ => vec![],
        }
    }

    /// The client went away: from now on nothing more is sent to it. Returns the sessions it
    /// created and did not close (to close now).
    pub fn begin_closing(&mut self) -> Vec<String> {
        self.closing = true;
        std::mem::take(&mut self.created).into_iter().collect()
    }

    /// How many `session/new` requests of the client are still unanswered.
    pub fn pending_new(&self) -> usize {
        self.pending
            .values()
            .filter(|p| {
                matches!(
                    p,
                    Pending::Client {
                        kind: Kind::SessionNew,
                        ..
                    }
                )
            })
            .count()
    }

    /// The node is gone: an error answer for every request of the client still waiting.
    pub fn lost(&mut self, why: &str) -> Vec<String> {
        std::mem::take(&mut self.pending)
            .into_values()
            .filter_map(|p| match p {
                Pending::Client { id, .. } => Some(error_line(id, codes::CONNECTION_CLOSED, why)),
                Pending::Own => None,
            })
            .collect()
    }
}

/// `params._meta.praxis` as an object, made so (a `_meta` or `praxis` that is not an object is
/// replaced; the other fields of `_meta` stay). `params` must be an object.
fn praxis_of(params: &mut Value) -> &mut Map<String, Value> {
    let meta = ensure_object(params, "_meta");
    ensure_object(meta, "praxis")
        .as_object_mut()
        .expect("ensure_object made it an object")
}

fn ensure_object<'a>(v: &'a mut Value, key: &str) -> &'a mut Value {
    if !v.is_object() {
        *v = json!({});
    }
    let slot = v
        .as_object_mut()
        .expect("made an object above")
        .entry(key)
        .or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot
}

/// A JSON-RPC error answer.
pub fn error_line(id: Value, code: i64, message: &str) -> String {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } }).to_string()
}

#[cfg(test)]
#[path = "relay_tests.rs"]
mod tests;
