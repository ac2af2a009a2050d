//! A JSON-RPC peer over a [`Transport`]: sends requests and awaits their responses (in any
//! order) through a pending-id map, sends notifications and responses, and hands the other
//! side's requests and notifications to its owner as [`Incoming`] items.
//!
//! Malformed frames are logged and skipped; the connection survives them. When the transport
//! closes, every pending request fails with the transport's reason.
//!
//! Ordering: a response can overtake notifications the other side sent *before* it, because
//! responses go straight to their callers while notifications queue for the owner. Callers
//! that must see every earlier notification first (the end of a prompt after its last chunk)
//! use [`Peer::request_seq`], which also returns how many items were queued before the
//! response, and wait until their consumer has handled that many (see [`Handled`]).

use super::jsonrpc::{Id, Message, RpcError};
use crate::transport::{Inbound, Transport};
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
    out: mpsc::UnboundedSender<String>,
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

    /// Waits until `seq` items have been handled, or the consumer is gone.
    pub async fn reach(&self, seq: u64) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|n| *n >= seq).await;
    }

    /// Marks everything handled (the consumer stopped; nobody will bump again).
    pub fn finish(&self) {
        self.0.send_modify(|n| *n = u64::MAX);
    }
}

impl Peer {
    /// Starts reading `transport`; returns the peer and the stream of incoming items.
    pub fn spawn(transport: Transport) -> (Peer, mpsc::UnboundedReceiver<Incoming>) {
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
        let (tx, rx) = mpsc::unbounded_channel();
        // The reader holds the pending map but not the sender, so dropping every `Peer` closes
        // the outgoing side.
        let reader = Reader {
            pending: peer.pending.clone(),
            queued: peer.queued.clone(),
        };
        tokio::spawn(async move {
            let reason = loop {
                match incoming.recv().await {
                    Some(Inbound::Line(line)) => reader.dispatch(&line, &tx),
                    Some(Inbound::Closed(reason)) => break reason,
                    None => break "connection closed".to_string(),
                }
            };
            reader.close(&reason);
            let _ = tx.send(Incoming::Closed(reason));
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
        if self.out.send(line).is_err() {
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

    /// Sends a notification.
    pub fn notify(&self, method: &str, params: Value) -> Result<(), RpcError> {
        let line = Message::Notification {
            method: method.to_string(),
            params,
        }
        .to_line();
        self.send_raw(line)
    }

    /// Answers a request from the other side.
    pub fn respond(&self, id: Id, result: Result<Value, RpcError>) {
        let _ = self.send_raw(Message::Response { id, result }.to_line());
    }

    /// Sends one line as it is (used to forward frames and by the demo agent's malformed mode).
    pub fn send_raw(&self, line: String) -> Result<(), RpcError> {
        self.out
            .send(line)
            .map_err(|_| RpcError::closed("connection closed"))
    }
}

/// The reading half: routes responses to their callers, everything else to the owner.
struct Reader {
    pending: Arc<Mutex<Pending>>,
    queued: Arc<AtomicU64>,
}

impl Reader {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn dispatch(&self, line: &str, tx: &mpsc::UnboundedSender<Incoming>) {
        let msg = match Message::parse(line) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, frame = %preview(line), "skipped a malformed frame");
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
                    None => tracing::warn!(%id, "response to an unknown request id"),
                }
            }
            Message::Request { id, method, params } => {
                self.queued.fetch_add(1, Ordering::Release);
                let _ = tx.send(Incoming::Request { id, method, params });
            }
            Message::Notification { method, params } => {
                self.queued.fetch_add(1, Ordering::Release);
                let _ = tx.send(Incoming::Notification { method, params });
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

fn preview(line: &str) -> String {
    line.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::memory;
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
        server.send_raw("{not json".into()).unwrap();
        server.respond(ids["two"].clone(), Ok(json!("b")));
        server.respond(ids["one"].clone(), Err(RpcError::new(-1, "nope")));
        assert_eq!(second.await.unwrap(), Ok(json!("b")));
        assert_eq!(first.await.unwrap(), Err(RpcError::new(-1, "nope")));
    }

    #[tokio::test]
    async fn closing_fails_pending_requests_with_the_reason() {
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let (client, mut incoming) = Peer::spawn(Transport {
            outgoing: out_tx,
            incoming: in_rx,
        });
        let c = client.clone();
        let call = tokio::spawn(async move { c.request("x", Value::Null).await });
        assert!(out_rx.recv().await.unwrap().contains("\"method\":\"x\""));
        in_tx
            .send(Inbound::Closed("agent exited (exit status 3)".into()))
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
}
