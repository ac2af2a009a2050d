//! The in-process node: the same [`Node`] as `praxis node`, served to this process over an
//! in-memory pair, whose sessions end when the app (its one client) goes.

use super::server::{Node, NodeSettings, OnClose};
use crate::wire::{memory, Transport};

/// A running local node.
pub struct LocalNode;

impl LocalNode {
    /// Starts a node and returns the client's end of its connection.
    pub fn start(settings: NodeSettings) -> Transport {
        let (client_end, node_end) = memory::pair();
        Node::new(settings, None).serve(node_end, OnClose::CloseSessions);
        client_end
    }
}
