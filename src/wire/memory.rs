//! An in-process transport: two bounded channel pairs wired crosswise. The local node and the
//! client talk over it, so the in-process node speaks exactly the frames a remote node would.

use crate::wire::{Inbound, Transport, CAPACITY};
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
/// is dropped. The relay waits while the receiver is full, so the sender waits too.
fn relay(reason: &'static str) -> (mpsc::Sender<String>, mpsc::Receiver<Inbound>) {
    let (line_tx, mut line_rx) = mpsc::channel::<String>(CAPACITY);
    let (in_tx, in_rx) = mpsc::channel(CAPACITY);
    tokio::spawn(async move {
        while let Some(line) = line_rx.recv().await {
            if in_tx.send(Inbound::Line(line)).await.is_err() {
                return;
            }
        }
        let _ = in_tx.send(Inbound::Closed(reason.to_string())).await;
    });
    (line_tx, in_rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_cross_and_close_is_reported() {
        let (a, mut b) = pair();
        a.outgoing.send("hello".into()).await.unwrap();
        assert_eq!(b.incoming.recv().await, Some(Inbound::Line("hello".into())));
        drop(a);
        assert!(matches!(b.incoming.recv().await, Some(Inbound::Closed(_))));
    }

    #[tokio::test]
    async fn a_reader_that_stops_makes_the_writer_wait() {
        let (a, _b) = pair();
        // Two bounded hops (the sender's queue and the receiver's) hold 2 × CAPACITY frames
        // plus the one the relay carries; after that the sender waits.
        let mut sent = 0;
        while sent < 10 * CAPACITY {
            match a.outgoing.try_send("x".into()) {
                Ok(()) => sent += 1,
                Err(_) => {
                    tokio::task::yield_now().await;
                    if a.outgoing.try_send("x".into()).is_err() {
                        break;
                    }
                    sent += 1;
                }
            }
        }
        assert!(
            sent <= 2 * CAPACITY + 2,
            "sent {sent} frames to a reader that never reads"
        );
    }
}
