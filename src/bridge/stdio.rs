//! This process's stdin and stdout for the bridge, each on a thread of its own (not the async
//! runtime's blocking pool: a read of stdin cannot be cancelled, and a pool thread stuck in
//! one would hold up the runtime's shutdown, so the bridge could not exit while its client
//! keeps stdin open). Stdin is framed by the same NDJSON codec as every other stream
//! ([`crate::wire::codec`], 16 MiB cap); stdout carries frames only, batched, and is flushed
//! on request so the last answers are out before the process exits.
//!
//! JSON leaves C1 controls (U+0080 to U+009F) and DEL raw in strings, and some terminals obey
//! C1 controls even UTF-8 encoded: the writer escapes them (`\u009b`), so no control
//! character of any kind is written to stdout, whoever looks at it. The frames mean the same.

use crate::wire::codec::{Frame, FrameReader, DEFAULT_MAX_FRAME};
use crate::wire::CAPACITY;
use std::io::{Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::{mpsc, oneshot};

/// One item read from stdin.
#[derive(Debug)]
pub enum Input {
    Line(String),
    /// A frame that could not be read (over the cap, not UTF-8): why.
    Unreadable(String),
}

/// Frames from stdin; the channel ends when stdin does (or cannot be read).
pub fn stdin_frames() -> mpsc::Receiver<Input> {
    let (tx, rx) = mpsc::channel(CAPACITY);
    let spawned = std::thread::Builder::new()
        .name("bridge-stdin".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
                return;
            };
            rt.block_on(read_frames(Blocking(std::io::stdin()), tx));
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the thread reading stdin");
    }
    rx
}

async fn read_frames<R: AsyncRead + Unpin>(r: R, tx: mpsc::Sender<Input>) {
    let mut frames = FrameReader::new(
        tokio::io::BufReader::with_capacity(64 * 1024, r),
        DEFAULT_MAX_FRAME,
    );
    loop {
        let item = match frames.next().await {
            Ok(Some(Frame::Line(l))) => Input::Line(l),
            Ok(Some(Frame::Oversized(n))) => Input::Unreadable(format!(
                "a frame of {n} bytes is over the {} MiB limit",
                DEFAULT_MAX_FRAME >> 20
            )),
            Ok(Some(Frame::InvalidUtf8)) => Input::Unreadable("a frame is not UTF-8".into()),
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "reading stdin failed");
                return;
            }
        };
        if tx.send(item).await.is_err() {
            return;
        }
    }
}

/// A blocking reader as an `AsyncRead` that blocks in `poll_read`: only for a thread of its
/// own with nothing else to run.
struct Blocking<R>(R);

impl<R: Read + Unpin> AsyncRead for Blocking<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        loop {
            match self.0.read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

enum Out {
    Line(String),
    Flushed(oneshot::Sender<()>),
}

/// Writes frames to stdout. Cheap to clone; a closed stdout makes every write a no-op.
#[derive(Clone)]
pub struct Stdout(mpsc::Sender<Out>);

impl Stdout {
    pub fn start() -> Stdout {
        let (tx, mut rx) = mpsc::channel::<Out>(CAPACITY);
        let spawned = std::thread::Builder::new()
            .name("bridge-stdout".into())
            .spawn(move || {
                let mut out = std::io::stdout().lock();
                let mut buf = Vec::new();
                let mut broken = false;
                while let Some(item) = rx.blocking_recv() {
                    let mut next = Some(item);
                    // Whatever else is queued goes out in the same write.
                    while let Some(item) = next.take() {
                        match item {
                            Out::Line(l) => {
                                push_escaped(&mut buf, &l);
                                buf.push(b'\n');
                            }
                            Out::Flushed(done) => {
                                broken |= flush(&mut out, &mut buf, broken);
                                let _ = done.send(());
                            }
                        }
                        if buf.len() < 1 << 20 {
                            next = rx.try_recv().ok();
                        }
                    }
                    broken |= flush(&mut out, &mut buf, broken);
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the thread writing stdout");
        }
        Stdout(tx)
    }

    /// Queues one frame (waits while stdout is behind: backpressure to the node).
    pub async fn line(&self, line: String) {
        let _ = self.0.send(Out::Line(line)).await;
    }

    /// Waits (at most `limit`) until everything queued so far is written.
    pub async fn flush(&self, limit: std::time::Duration) {
        let (tx, rx) = oneshot::channel();
        let _ = tokio::time::timeout(limit, async {
            if self.0.send(Out::Flushed(tx)).await.is_ok() {
                let _ = rx.await;
            }
        })
        .await;
    }
}

/// Appends a JSON frame with every C1 control and DEL written as a `\u` escape. Raw, they can
/// only stand inside strings (JSON has no place for them elsewhere), where the escape means
/// the same character.
fn push_escaped(buf: &mut Vec<u8>, line: &str) {
    let bytes = line.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // In UTF-8, 0xC2 always leads a two-byte character: 0xC2 0x80..=0x9F is U+0080..U+009F.
        let control = match (bytes[i], bytes.get(i + 1)) {
            (0x7f, _) => Some((0x7f, 1)),
            (0xc2, Some(&c @ 0x80..=0x9f)) => Some((c, 2)),
            _ => None,
        };
        match control {
            Some((c, len)) => {
                buf.extend_from_slice(&bytes[start..i]);
                buf.extend_from_slice(format!("\\u{c:04x}").as_bytes());
                i += len;
                start = i;
            }
            None => i += 1,
        }
    }
    buf.extend_from_slice(&bytes[start..]);
}

/// Writes `buf` out (unless stdout already broke) and empties it; true when writing failed.
fn flush(out: &mut impl Write, buf: &mut Vec<u8>, broken: bool) -> bool {
    let failed = !broken && (out.write_all(buf).is_err() || out.flush().is_err());
    buf.clear();
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_controls_and_del_are_escaped_and_the_frame_means_the_same() {
        let frame =
            serde_json::json!({ "text": "a\u{9b}31m b\u{9d}0;T\u{9c} c\u{7f} é\u{a0}ü\u{1b}" })
                .to_string();
        let mut buf = Vec::new();
        push_escaped(&mut buf, &frame);
        let out = String::from_utf8(buf).unwrap();
        assert!(!out.chars().any(char::is_control), "{out:?}");
        assert!(out.contains("a\\u009b31m"), "{out}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back.to_string(), frame);
    }

    #[tokio::test]
    async fn frames_are_read_with_the_codecs_rules() {
        let input: &[u8] = b"{\"a\":1}\n\n\xff\n{\"b\":2}";
        let (tx, mut rx) = mpsc::channel(8);
        read_frames(Blocking(input), tx).await;
        let mut got = Vec::new();
        while let Ok(i) = rx.try_recv() {
            got.push(format!("{i:?}"));
        }
        assert_eq!(
            got,
            [
                "Line(\"{\\\"a\\\":1}\")",
                "Unreadable(\"a frame is not UTF-8\")",
                "Line(\"{\\\"b\\\":2}\")"
            ]
        );
    }
}
