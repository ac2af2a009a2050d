//! A JSON-RPC peer over a [`Transport`]: sends requests and awaits their responses (in any
//! order) through a pending-id map, sends notifications and responses, and hands the other
//! side's requests and notifications to its owner as [`Incoming`] items.
//!
//! Malformed frames are logged (escaped) and skipped; the connection survives them. A request
//! whose id cannot be echoed back is answered with an error carrying `id: null`, so the other
//! side never waits for nothing. Frames the transport could not deliver reach the owner as
//! [`Incoming::Skipped`]. When the transport closes, every pending request fails with the
//! transport's reason.
//!
//! Every channel is bounded and every send waits for room: a slow owner slows the reader,
//! which slows the transport, which slows the other side.
//!
//! Ordering: a response can overtake notifications the other side sent *before* it, because
//! responses go straight to their callers while notifications queue for the owner. Callers
//! that must see every earlier notification first (the end of a prompt after its last chunk)
//! use [`Peer::request_seq`], which also returns how many items were queued before the
//! response, and wait until their consumer has handled that many (see [`Handled`]).

use super::jsonrpc::{invalid_request_line, Id, Message, ParseError, RpcError};
use crate::wire::{Inbound, Transport, CAPACITY};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, watch};

/// Something the other side sent that its owner must handle.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Request {
        id: Id,
        method: String,
        params: Value,
    },
    Notification {
        method: String,
        params: Value,
    },
    /// A frame the transport could not deliver (the text says why, for the user).
    Skipped(String),
    /// The connection ended; no more items follow.
    Closed(String),
}

type Reply = oneshot::Sender<(Result<Value, RpcError>, u64)>;

#[derive(Default)]
struct Pending {
    waiting: HashMap<Id, Reply>,
    closed: Option<String>,
}

/// The sending half of a connection. Cheap to clone; all clones share one pending map.
#[derive(Clone)]
pub struct Peer {
    out: mpsc::Sender<String>,
    pending: Arc<Mutex<Pending>>,
    next_id: Arc<AtomicI64>,
    queued: Arc<AtomicU64>,
}

/// Counts the incoming items a consumer has finished handling, so a caller holding a response
/// can wait for the notifications that preceded it.
#[derive(Clone)]
pub struct Handled(Arc<watch::Sender<u64>>);

impl Default for Handled {
    fn default() -> Self {
        Self(Arc::new(watch::channel(0).0))
    }
}

impl Handled {
    /// Marks one more item handled (call after handling each Request/Notification).
    pub fn bump(&self) {
        self.0.send_modify(|n| *n += 1);
    }

    /// Counts `n` items handled at once (items dropped before they reached the consumer).
    pub fn bump_by(&self, n: u64) {
        if n > 0 {
            self.0.send_modify(|c| *c += n);
        }
    }

    /// Waits until `seq` items have been handled, or the consumer is gone.
    pub async fn reach(&self, seq: u64) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|n| *n >= seq).await;
    }

    /// Marks everything handled (the consumer stopped; nobody will bump again).
    pub fn finish(&self) {
        self.0.send_modify(|n| *n = u64::MAX);
    }

    /// A guard that calls [`Handled::finish`] when dropped, so waiters are released on every
    /// path out of a consumer, an early return or a panic included.
    pub fn finish_on_drop(&self) -> FinishOnDrop {
        FinishOnDrop(self.clone())
    }
}

/// See [`Handled::finish_on_drop`].
pub struct FinishOnDrop(Handled);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        self.0.finish();
    }
}

impl Peer {
    /// Starts reading `transport`; returns the peer and the stream of incoming items.
    pub fn spawn(transport: Transport) -> (Peer, mpsc::Receiver<Incoming>) {
        let Transport {
            outgoing,
            mut incoming,
        } = transport;
        let peer = Peer {
            out: outgoing,
            pending: Arc::new(Mutex::new(Pending::default())),
            next_id: Arc::new(AtomicI64::new(1)),
            queued: Arc::new(AtomicU64::new(0)),
        };
        let (tx, rx) = mpsc::channel(CAPACITY);
        // The reader holds the pending map and only a weak sender, so dropping every `Peer`
        // closes the outgoing side.
        let reader = Reader {
            pending: peer.pending.clone(),
            queued: peer.queued.clone(),
            out: peer.out.downgrade(),
        };
        tokio::spawn(async move {
            let reason = loop {
                match incoming.recv().await {
                    Some(Inbound::Line(line)) => reader.dispatch(&line, &tx).await,
                    Some(Inbound::Skipped(why)) => reader.queue(&tx, Incoming::Skipped(why)).await,
                    Some(Inbound::Closed(reason)) => break reason,
                    None => break "connection closed".to_string(),
                }
            };
            reader.close(&reason);
            let _ = tx.send(Incoming::Closed(reason)).await;
        });
        (peer, rx)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Why the connection closed, once it has.
    pub fn closed_reason(&self) -> Option<String> {
        self.lock().closed.clone()
    }

    /// Sends a request and waits for its response.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        self.request_seq(method, params).await.0
    }

    /// Like [`Peer::request`], also returning how many incoming items had been queued when the
    /// response arrived.
    pub async fn request_seq(&self, method: &str, params: Value) -> (Result<Value, RpcError>, u64) {
        let id = Id::Num(self.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        {
            let mut p = self.lock();
            if let Some(reason) = &p.closed {
                return (
                    Err(RpcError::closed(reason)),
                    self.queued.load(Ordering::Acquire),
                );
            }
            p.waiting.insert(id.clone(), tx);
        }
        let line = Message::Request {
            id: id.clone(),
            method: method.to_string(),
            params,
        }
        .to_line();
        if self.out.send(line).await.is_err() {
            self.lock().waiting.remove(&id);
            return (
                Err(RpcError::closed("connection closed")),
                self.queued.load(Ordering::Acquire),
            );
        }
        match rx.await {
            Ok(answer) => answer,
            Err(_) => (
                Err(RpcError::closed(
                    self.closed_reason()
                        .unwrap_or_else(|| "connection closed".into()),
                )),
                self.queued.load(Ordering::Acquire),
            ),
        }
    }

    /// Sends a typed request and decodes the typed result.
    pub async fn call<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<R, RpcError> {
        let params = serde_json::to_value(params).map_err(RpcError::internal)?;
        let value = self.request(method, params).await?;
        serde_json::from_value(value)
            .map_err(|e| RpcError::internal(format!("unexpected answer to {method}: {e}")))
    }

    /// Sends a notification (waits while the other side is behind).
    pub async fn notify(&self, method: &str, params: Value) -> Result<(), RpcError> {
        let line = Message::Notification {
            method: method.to_string(),
            params,
        }
        .to_line();
        self.send_raw(line).await
    }

    /// Answers a request from the other side.
    pub async fn respond(&self, id: Id, result: Result<Value, RpcError>) {
        let _ = self
            .send_raw(Message::Response { id, result }.to_line())
            .await;
    }

    /// Sends one line as it is (used to forward frames and by the demo agent's malformed mode).
    pub async fn send_raw(&self, line: String) -> Result<(), RpcError> {
        self.out
            .send(line)
            .await
            .map_err(|_| RpcError::closed("connection closed"))
    }
}

/// The reading half: routes responses to their callers, everything else to the owner.
struct Reader {
    pending: Arc<Mutex<Pending>>,
    queued: Arc<AtomicU64>,
    out: mpsc::WeakSender<String>,
}

impl Reader {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands one item to the owner, waiting for room. An owner that is gone is not an
    /// error: responses must still reach their callers.
    async fn queue(&self, tx: &mpsc::Sender<Incoming>, item: Incoming) {
        self.queued.fetch_add(1, Ordering::Release);
        let _ = tx.send(item).await;
    }

    async fn dispatch(&self, line: &str, tx: &mpsc::Sender<Incoming>) {
        let msg = match Message::parse(line) {
            Ok(m) => m,
            Err(ParseError::BadRequestId { method, reason }) => {
                tracing::warn!(method = %escape_for_log(&method, 80), reason, "answered a request whose id cannot be echoed");
                if let Some(out) = self.out.upgrade() {
                    let _ = out.send(invalid_request_line(reason)).await;
                }
                return;
            }
            Err(ParseError::NullIdError(e)) => {
                tracing::warn!(error = %escape_for_log(&e.to_string(), 200), "the other side reported an error with a null id");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, frame = %escape_for_log(line, 120), "skipped a malformed frame");
                return;
            }
        };
        match msg {
            Message::Response { id, result } => {
                let waiter = self.lock().waiting.remove(&id);
                match waiter {
                    Some(w) => {
                        let _ = w.send((result, self.queued.load(Ordering::Acquire)));
                    }
                    None => {
                        tracing::warn!(id = %escape_for_log(&id.to_string(), 80), "response to an unknown request id")
                    }
                }
            }
            Message::Request { id, method, params } => {
                self.queue(tx, Incoming::Request { id, method, params })
                    .await
            }
            Message::Notification { method, params } => {
                self.queue(tx, Incoming::Notification { method, params })
                    .await
            }
        }
    }

    fn close(&self, reason: &str) {
        let waiting = {
            let mut p = self.lock();
            p.closed = Some(reason.to_string());
            std::mem::take(&mut p.waiting)
        };
        let queued = self.queued.load(Ordering::Acquire);
        for (_, w) in waiting {
            let _ = w.send((Err(RpcError::closed(reason)), queued));
        }
    }
}

use crate::sanitize::escape_for_log;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::memory;
    use serde_json::json;

    #[tokio::test]
    async fn out_of_order_responses_reach_their_callers() {
        let (a, b) = memory::pair();
        let (client, _client_in) = Peer::spawn(a);
        let (server, mut server_in) = Peer::spawn(b);
        let c1 = client.clone();
        let first = tokio::spawn(async move { c1.request("one", json!(1)).await });
        let c2 = client.clone();
        let second = tokio::spawn(async move { c2.request("two", json!(2)).await });
        let mut ids = HashMap::new();
        for _ in 0..2 {
            match server_in.recv().await.unwrap() {
                Incoming::Request { id, method, .. } => {
                    ids.insert(method, id);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        // Garbage in between must not break the connection.
        server.send_raw("{not json".into()).await.unwrap();
        server.respond(ids["two"].clone(), Ok(json!("b"))).await;
        server
            .respond(ids["one"].clone(), Err(RpcError::new(-1, "nope")))
            .await;
        assert_eq!(second.await.unwrap(), Ok(json!("b")));
        assert_eq!(first.await.unwrap(), Err(RpcError::new(-1, "nope")));
    }

    #[tokio::test]
    async fn closing_fails_pending_requests_with_the_reason() {
        let (out_tx, mut out_rx) = mpsc::channel(8);
        let (in_tx, in_rx) = mpsc::channel(8);
        let (client, mut incoming) = Peer::spawn(Transport {
            outgoing: out_tx,
            incoming: in_rx,
        });
        let c = client.clone();
        let call = tokio::spawn(async move { c.request("x", Value::Null).await });
        assert!(out_rx.recv().await.unwrap().contains("\"method\":\"x\""));
        in_tx
            .send(Inbound::Closed("agent exited (exit status 3)".into()))
            .await
            .unwrap();
        let err = call.await.unwrap().unwrap_err();
        assert_eq!(err.code, crate::protocol::jsonrpc::codes::CONNECTION_CLOSED);
        assert_eq!(err.message, "agent exited (exit status 3)");
        assert_eq!(
            incoming.recv().await,
            Some(Incoming::Closed("agent exited (exit status 3)".into()))
        );
        let later = client.request("y", Value::Null).await.unwrap_err();
        assert_eq!(later.message, "agent exited (exit status 3)");
    }

    #[tokio::test]
    async fn requests_with_unusable_ids_get_an_error_with_a_null_id() {
        let (out_tx, mut out_rx) = mpsc::channel(8);
        let (in_tx, in_rx) = mpsc::channel(8);
        let (_peer, mut incoming) = Peer::spawn(Transport {
            outgoing: out_tx,
            incoming: in_rx,
        });
        for id in ["1180591620717411303424", "1.5", "{}", "null"] {
            let line = format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"fs/read_text_file","params":{{}}}}"#
            );
            in_tx.send(Inbound::Line(line)).await.unwrap();
            let answer: Value = serde_json::from_str(&out_rx.recv().await.unwrap()).unwrap();
            assert_eq!(answer["id"], Value::Null, "id {id}");
            assert_eq!(
                answer["error"]["code"],
                crate::protocol::jsonrpc::codes::INVALID_REQUEST
            );
        }
        // Skipped frames reach the owner, in order with everything else.
        in_tx
            .send(Inbound::Skipped("too big".into()))
            .await
            .unwrap();
        in_tx
            .send(Inbound::Line(
                r#"{"jsonrpc":"2.0","method":"n","params":[1]}"#.into(),
            ))
            .await
            .unwrap();
        assert_eq!(
            incoming.recv().await,
            Some(Incoming::Skipped("too big".into()))
        );
        assert!(matches!(
            incoming.recv().await,
            Some(Incoming::Notification { params, .. }) if params == json!([1])
        ));
    }

    #[tokio::test]
    async fn a_guard_releases_waiters_when_the_consumer_dies() {
        let handled = Handled::default();
        let waiter = {
            let h = handled.clone();
            tokio::spawn(async move { h.reach(5).await })
        };
        let consumer = {
            let h = handled.clone();
            tokio::spawn(async move {
                let _guard = h.finish_on_drop();
                h.bump();
                panic!("a consumer bug");
            })
        };
        assert!(consumer.await.is_err());
        tokio::time::timeout(std::time::Duration::from_secs(30), waiter)
            .await
            .expect("the waiter was released")
            .unwrap();
    }
}
