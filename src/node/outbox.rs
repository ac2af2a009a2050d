//! A session's client-bound frames and the connections that watch it.
//!
//! Every frame a session sends to clients (updates, status changes, notices, YOLO approvals,
//! prompts, resolved permissions) goes through [`Outbox::emit`]: it gets the session's next
//! sequence number (`params._meta.praxis.seq`, contiguous from 1), is serialized once, kept
//! in the replay log, and written to every attached connection, in order. The log and the
//! connection list sit behind one async lock held across the writes, so an attach (replay of
//! the log after the client's cursor, then live) can never miss a frame or see one twice.
//!
//! Permission requests go to every attached connection; the first valid answer wins and
//! `_praxis/session/permission_resolved` tells everyone. With no connection attached the
//! request waits; the next connection to attach is asked.
//!
//! A connection whose writes fail (it went away) is dropped from the session; the session
//! goes on. A slow connection slows the session's relay down (backpressure to the agent), as
//! with a single client.

use crate::protocol::acp::method;
use crate::protocol::jsonrpc::Message;
use crate::protocol::{Peer, RpcError};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{oneshot, Mutex};

/// The cursor that replays nothing: the connection follows from the next frame on.
pub const FROM_NOW: u64 = u64::MAX;

/// The most replay log a session keeps, in bytes of serialized frames. Past it the oldest
/// frames are dropped and a cursor that old is refused (the journal still has everything).
pub const REPLAY_LOG_BYTES: usize = 256 * 1024 * 1024;

/// A node-side id for one client connection.
pub type ConnId = u64;

/// One client connection, as the node sees it.
#[derive(Clone)]
pub struct Conn {
    pub id: ConnId,
    pub peer: Peer,
}

struct Logged {
    seq: u64,
    line: Arc<str>,
}

struct Waiting {
    id: u64,
    params: Value,
    answer: Option<oneshot::Sender<(Value, ConnId)>>,
}

struct State {
    seq: u64,
    log: VecDeque<Logged>,
    log_bytes: usize,
    conns: Vec<Conn>,
    permissions: Vec<Waiting>,
    next_permission: u64,
}

pub struct Outbox {
    session: String,
    state: Mutex<State>,
    /// Copies of `state.seq` and `state.conns.len()`, for listing and presence, which must
    /// never wait behind a session whose frames are being written.
    last_seq: AtomicU64,
    attached: AtomicUsize,
}

/// What an attach found.
#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    /// The session's newest sequence number (what the client has seen once replay is done).
    pub last_seq: u64,
    /// How many frames were replayed.
    pub replayed: u64,
    /// What [`Outbox::attach_with`]'s snapshot returned (Null from [`Outbox::attach`]).
    pub snapshot: Value,
}

impl Outbox {
    pub fn new(session: &str) -> Arc<Outbox> {
        Arc::new(Outbox {
            session: session.to_string(),
            state: Mutex::new(State {
                seq: 0,
                log: VecDeque::new(),
                log_bytes: 0,
                conns: Vec::new(),
                permissions: Vec::new(),
                next_permission: 1,
            }),
            last_seq: AtomicU64::new(0),
            attached: AtomicUsize::new(0),
        })
    }

    /// Sends a notification to every attached connection (but `except`) and logs it for
    /// replay; returns its sequence number.
    pub async fn emit(&self, method: &str, mut params: Value, except: Option<ConnId>) -> u64 {
        let mut st = self.state.lock().await;
        st.seq += 1;
        let seq = st.seq;
        stamp(&mut params, "seq", json!(seq));
        let line: Arc<str> = Message::Notification {
            method: method.to_string(),
            params,
        }
        .to_line()
        .into();
        st.log_bytes += line.len();
        st.log.push_back(Logged {
            seq,
            line: line.clone(),
        });
        while st.log_bytes > REPLAY_LOG_BYTES && st.log.len() > 1 {
            if let Some(old) = st.log.pop_front() {
                st.log_bytes -= old.line.len();
            }
        }
        let mut gone = Vec::new();
        for c in st.conns.iter().filter(|c| Some(c.id) != except) {
            if c.peer.send_raw(line.to_string()).await.is_err() {
                gone.push(c.id);
            }
        }
        if !gone.is_empty() {
            st.conns.retain(|c| !gone.contains(&c.id));
        }
        self.counted(&st);
        seq
    }

    /// Publishes the counts that `last_seq` and `attached` read without the lock.
    fn counted(&self, st: &State) {
        self.last_seq.store(st.seq, Ordering::Relaxed);
        self.attached.store(st.conns.len(), Ordering::Relaxed);
    }

    /// Attaches a connection: replays the log after `after` (0: from the start), then the
    /// connection gets every new frame and the permission requests still waiting. Attaching
    /// again is harmless (the connection is not added twice).
    pub async fn attach(self: &Arc<Self>, conn: Conn, after: u64) -> Result<Attached, RpcError> {
        self.attach_with(conn, after, || Value::Null).await
    }

    /// [`Outbox::attach`], taking `snapshot` (the session's status, say) while no frame can
    /// be sent: every frame up to `last_seq` is reflected in it, every later one is news.
    pub async fn attach_with(
        self: &Arc<Self>,
        conn: Conn,
        after: u64,
        snapshot: impl FnOnce() -> Value,
    ) -> Result<Attached, RpcError> {
        let mut st = self.state.lock().await;
        let after = if after == FROM_NOW { st.seq } else { after };
        let first = st.log.front().map_or(st.seq + 1, |l| l.seq);
        if after + 1 < first {
            return Err(RpcError::new(
                crate::protocol::jsonrpc::codes::INVALID_PARAMS,
                format!(
                    "cannot replay session {} after #{after}: its replay log starts at #{first}; read its transcript instead",
                    self.session
                ),
            ));
        }
        if after > st.seq {
            return Err(RpcError::invalid_params(format!(
                "cursor #{after} is ahead of session {} (#{})",
                self.session, st.seq
            )));
        }
        st.conns.retain(|c| c.id != conn.id);
        let mut replayed = 0;
        for l in st.log.iter().filter(|l| l.seq > after) {
            if conn.peer.send_raw(l.line.to_string()).await.is_err() {
                return Err(RpcError::closed("the client went away during replay"));
            }
            replayed += 1;
        }
        for w in &st.permissions {
            self.ask_one(conn.clone(), w.id, w.params.clone());
        }
        st.conns.push(conn);
        self.counted(&st);
        Ok(Attached {
            last_seq: st.seq,
            replayed,
            snapshot: snapshot(),
        })
    }

    pub async fn detach(&self, conn: ConnId) {
        let mut st = self.state.lock().await;
        st.conns.retain(|c| c.id != conn);
        self.counted(&st);
    }

    /// Stops writing to every connection (a session being replaced by its reopen: its last
    /// frames must not reach clients that already wait for the new one's replay).
    pub async fn detach_all(&self) {
        let mut st = self.state.lock().await;
        st.conns.clear();
        self.counted(&st);
    }

    /// How many connections watch this session.
    pub fn attached(&self) -> usize {
        self.attached.load(Ordering::Relaxed)
    }

    /// The newest sequence number sent.
    pub fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::Relaxed)
    }

    /// Asks every attached connection (and any that attaches later); returns the first
    /// answer that has an outcome, with the permission id. `params` must be an object.
    pub async fn ask_permission(
        self: &Arc<Self>,
        mut params: Value,
    ) -> (u64, oneshot::Receiver<(Value, ConnId)>) {
        let (tx, rx) = oneshot::channel();
        let mut st = self.state.lock().await;
        let id = st.next_permission;
        st.next_permission += 1;
        stamp(&mut params, "permissionId", json!(id));
        for c in &st.conns {
            self.ask_one(c.clone(), id, params.clone());
        }
        st.permissions.push(Waiting {
            id,
            params,
            answer: Some(tx),
        });
        (id, rx)
    }

    fn ask_one(self: &Arc<Self>, conn: Conn, id: u64, params: Value) {
        let me = self.clone();
        tokio::spawn(async move {
            match conn.peer.request(method::REQUEST_PERMISSION, params).await {
                Ok(v) if v.pointer("/outcome/outcome").is_some() => {
                    me.resolve(id, v, Some(conn.id)).await
                }
                Ok(v) => tracing::warn!(
                    answer = %crate::sanitize::escape_for_log(&v.to_string(), 120),
                    "a client gave a malformed permission answer; it abstains"
                ),
                // Gone, or refused (-32601): that client abstains; others may answer.
                Err(e) => {
                    tracing::debug!(error = %e, "a client did not answer a permission request")
                }
            }
        });
    }

    /// Settles permission request `id` (the first answer wins) and tells every connection.
    pub async fn resolve(&self, id: u64, answer: Value, by: Option<ConnId>) {
        let sender = {
            let mut st = self.state.lock().await;
            let Some(pos) = st.permissions.iter().position(|w| w.id == id) else {
                return;
            };
            st.permissions.remove(pos).answer
        };
        let outcome = answer.get("outcome").cloned().unwrap_or(Value::Null);
        if let Some(tx) = sender {
            let _ = tx.send((answer, by.unwrap_or(0)));
        }
        self.emit(
            method::PRAXIS_PERMISSION_RESOLVED,
            json!({ "sessionId": self.session, "permissionId": id, "outcome": outcome }),
            None,
        )
        .await;
    }
}

/// Sets `params._meta.praxis.<key>`, keeping the rest of `_meta`.
fn stamp(params: &mut Value, key: &str, value: Value) {
    let Some(obj) = params.as_object_mut() else {
        return;
    };
    let meta = obj
        .entry("_meta")
        .or_insert_with(|| Value::Object(Default::default()));
    if !meta.is_object() {
        *meta = Value::Object(Default::default());
    }
    let praxis = meta
        .as_object_mut()
        .expect("made an object above")
        .entry("praxis")
        .or_insert_with(|| Value::Object(Default::default()));
    if !praxis.is_object() {
        *praxis = Value::Object(Default::default());
    }
    praxis
        .as_object_mut()
        .expect("made an object above")
        .insert(key.to_string(), value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Incoming;
    use crate::wire::memory;

    fn conn(id: ConnId) -> (Conn, tokio::sync::mpsc::Receiver<Incoming>, Peer) {
        let (a, b) = memory::pair();
        let (node_side, _node_in) = Peer::spawn(a);
        let (client_side, client_in) = Peer::spawn(b);
        std::mem::forget(_node_in);
        (
            Conn {
                id,
                peer: node_side,
            },
            client_in,
            client_side,
        )
    }

    async fn seqs(rx: &mut tokio::sync::mpsc::Receiver<Incoming>, n: usize) -> Vec<u64> {
        let mut out = Vec::new();
        for _ in 0..n {
            match rx.recv().await.unwrap() {
                Incoming::Notification { params, .. } => {
                    out.push(params["_meta"]["praxis"]["seq"].as_u64().unwrap())
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        out
    }

    #[tokio::test]
    async fn attach_replays_after_the_cursor_then_follows_live() {
        let out = Outbox::new("s");
        let (a, mut a_in, _a) = conn(1);
        out.attach(a, 0).await.unwrap();
        for i in 0..5 {
            out.emit("session/update", json!({ "sessionId": "s", "i": i }), None)
                .await;
        }
        assert_eq!(seqs(&mut a_in, 5).await, vec![1, 2, 3, 4, 5]);
        let (b, mut b_in, _b) = conn(2);
        let got = out.attach(b, 3).await.unwrap();
        assert_eq!(
            got,
            Attached {
                last_seq: 5,
                replayed: 2,
                snapshot: Value::Null,
            }
        );
        out.emit("session/update", json!({ "sessionId": "s" }), None)
            .await;
        assert_eq!(seqs(&mut b_in, 3).await, vec![4, 5, 6]);
        assert_eq!(seqs(&mut a_in, 1).await, vec![6]);
        assert!(out.attach(conn(3).0, 9).await.is_err(), "a cursor ahead");
    }

    #[tokio::test]
    async fn the_first_permission_answer_wins_and_a_late_client_is_asked() {
        let out = Outbox::new("s");
        let (id, rx) = out
            .ask_permission(json!({ "sessionId": "s", "options": [] }))
            .await;
        // Nobody attached yet: the request waits for the first connection.
        let (a, mut a_in, _a) = conn(1);
        out.attach(a, 0).await.unwrap();
        let Incoming::Request {
            id: rid, params, ..
        } = a_in.recv().await.unwrap()
        else {
            panic!("not a request")
        };
        assert_eq!(params["_meta"]["praxis"]["permissionId"], json!(id));
        _a.respond(
            rid,
            Ok(json!({ "outcome": { "outcome": "selected", "optionId": "ok" } })),
        )
        .await;
        let (answer, by) = rx.await.unwrap();
        assert_eq!(answer["outcome"]["optionId"], "ok");
        assert_eq!(by, 1);
        let Incoming::Notification { method: m, params } = a_in.recv().await.unwrap() else {
            panic!("not a notification")
        };
        assert_eq!(m, method::PRAXIS_PERMISSION_RESOLVED);
        assert_eq!(params["permissionId"], json!(id));
    }
}
