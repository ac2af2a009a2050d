//! The node's side of RabbitMQ: every client link the broker brings ([`crate::amqp`]) is
//! served as one more connection of the same [`Node`], and presence is published every
//! [`HEARTBEAT`] (and at once when a client pings), with a goodbye on the way out.

use super::daemon::HEARTBEAT;
use super::server::{Node, OnClose};
use crate::amqp::{AmqpError, NodeEndpoint};
use std::sync::Arc;

/// A node served over a broker.
pub struct Remote {
    endpoint: Arc<NodeEndpoint>,
    node: Arc<Node>,
    beats: tokio::task::JoinHandle<()>,
}

/// Binds the node's inbox on the broker and starts serving clients and presence.
pub async fn serve(node: Arc<Node>, url: &str) -> Result<Remote, AmqpError> {
    let (endpoint, mut accepted) = NodeEndpoint::bind(url, &node.settings.name).await?;
    let serving = node.clone();
    tokio::spawn(async move {
        while let Some(a) = accepted.recv().await {
            tracing::info!(client = %a.client, "a client linked over the broker");
            serving.serve(a.transport, OnClose::Detach);
        }
    });
    let endpoint = Arc::new(endpoint);
    let beating = (endpoint.clone(), node.clone());
    let beats = tokio::spawn(async move {
        let mut tick = tokio::time::interval(HEARTBEAT);
        loop {
            tick.tick().await;
            let presence = beating.1.presence();
            if let Err(e) = beating.0.announce(&presence).await {
                tracing::debug!(error = %e, "presence not published");
            }
        }
    });
    Ok(Remote {
        endpoint,
        node,
        beats,
    })
}

impl Remote {
    /// Tells clients this node is going (before its sessions are closed).
    pub async fn goodbye(self) {
        self.beats.abort();
        let _ = self.beats.await;
        let mut presence = self.node.presence();
        if let Some(o) = presence.as_object_mut() {
            o.insert("goodbye".into(), serde_json::Value::Bool(true));
        }
        let _ = self.endpoint.announce(&presence).await;
        if let Ok(endpoint) = Arc::try_unwrap(self.endpoint) {
            endpoint.close().await;
        }
    }
}
