//! An in-process transport: two channel pairs wired crosswise. The local node and the client
//! talk over it, so the in-process node speaks exactly the frames a remote node would.

use super::{Inbound, Transport};
use tokio::sync::mpsc;

/// Two connected ends; what one sends, the other receives.
pub fn pair() -> (Transport, Transport) {
    let (a_out, b_in) = relay("peer closed the in-memory connection");
    let (b_out, a_in) = relay("peer closed the in-memory connection");
    (
        Transport {
            outgoing: a_out,
            incoming: a_in,
        },
        Transport {
            outgoing: b_out,
            incoming: b_in,
        },
    )
}

/// A sender of lines and a receiver of [`Inbound`] that ends with `Closed` once every sender
/// is dropped.
fn relay(
    reason: &'static str,
) -> (
    mpsc::UnboundedSender<String>,
    mpsc::UnboundedReceiver<Inbound>,
) {
    let (line_tx, mut line_rx) = mpsc::unbounded_channel::<String>();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(line) = line_rx.recv().await {
            if in_tx.send(Inbound::Line(line)).is_err() {
                return;
            }
        }
        let _ = in_tx.send(Inbound::Closed(reason.to_string()));
    });
    (line_tx, in_rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_cross_and_close_is_reported() {
        let (a, mut b) = pair();
        a.outgoing.send("hello".into()).unwrap();
        assert_eq!(b.incoming.recv().await, Some(Inbound::Line("hello".into())));
        drop(a);
        assert!(matches!(b.incoming.recv().await, Some(Inbound::Closed(_))));
    }
}
