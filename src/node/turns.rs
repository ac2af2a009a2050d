//! A session's turns: one at a time, in order. `session/prompt` runs one now (refused while
//! another runs or waits); `_praxis/session/enqueue` (what `praxis session prompt` sends)
//! queues one behind the running turn and answers at once. After every turn, however it was
//! sent, every attached connection is told `_praxis/session/turn_ended` with the stop reason
//! (or the error) and how many prompts still wait, so a follower knows when the work is done.

use super::outbox::ConnId;
use super::session::NodeSession;
use crate::node_api::SessionStatus;
use crate::protocol::acp::method;
use crate::protocol::RpcError;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The turn lock (tokio's mutex is fair: waiters get it in the order they asked) and the
/// number of prompts waiting for it.
#[derive(Default)]
pub(super) struct Turns {
    lock: tokio::sync::Mutex<()>,
    queued: AtomicUsize,
}

impl Turns {
    /// Prompts waiting behind the running turn.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    /// Waits until no turn runs (those queued behind it go first: the lock is fair).
    pub async fn settled(&self) {
        drop(self.lock.lock().await);
    }
}

impl NodeSession {
    /// `session/prompt`: runs the turn now; refused while another runs or waits to.
    pub async fn prompt(&self, params: Value, by: ConnId) -> Result<Value, RpcError> {
        let turn = match self.turns.lock.try_lock() {
            Ok(t) if self.turns.queued() == 0 => t,
            _ => {
                let (status, _) = self.status();
                let s = if status.is_busy() {
                    status
                } else {
                    SessionStatus::Working
                };
                return Err(RpcError::internal(format!(
                    "session is {s}; wait for it or cancel"
                )));
            }
        };
        let result = self.run_turn(params, by).await;
        self.turn_ended(&result).await;
        drop(turn);
        result
    }

    /// `_praxis/session/enqueue`: queues the prompt behind the running turn (or runs it now
    /// when none runs) and returns how many turns are ahead of it. A session that has ended
    /// is refused.
    pub fn enqueue(self: &Arc<Self>, params: Value, by: ConnId) -> Result<usize, RpcError> {
        let (status, reason) = self.status();
        match status {
            SessionStatus::Failed => {
                return Err(RpcError::internal(format!(
                    "session failed: {}",
                    reason.as_deref().unwrap_or("unknown reason")
                )))
            }
            SessionStatus::Closed => return Err(RpcError::not_found("session is closed")),
            _ => {}
        }
        let running = usize::from(self.turns.lock.try_lock().is_err());
        let ahead = self.turns.queued.fetch_add(1, Ordering::SeqCst) + running;
        let s = self.clone();
        tokio::spawn(async move {
            let turn = s.turns.lock.lock().await;
            s.turns.queued.fetch_sub(1, Ordering::SeqCst);
            let result = s.run_turn(params, by).await;
            if let Err(e) = &result {
                s.notice("warning", format!("a prompt failed: {}", e.message))
                    .await;
            }
            s.turn_ended(&result).await;
            drop(turn);
        });
        Ok(ahead)
    }

    /// Tells every attached connection the turn ended (before the next one may start).
    async fn turn_ended(&self, result: &Result<Value, RpcError>) {
        let mut data = json!({
            "sessionId": self.spec.id,
            "queued": self.turns.queued(),
        });
        match result {
            Ok(v) => {
                data["stopReason"] = v.get("stopReason").cloned().unwrap_or(json!("end_turn"));
                data["timedOut"] = json!(crate::protocol::acp::praxis_meta(v, "timedOut")
                    .and_then(Value::as_bool)
                    .unwrap_or(false));
            }
            Err(e) => data["error"] = json!(e.message),
        }
        self.out.emit(method::PRAXIS_TURN_ENDED, data, None).await;
    }
}
