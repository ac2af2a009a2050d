//! NDJSON framing: reads newline-delimited frames from a byte stream with a size cap.
//!
//! An oversized line is consumed and reported, never buffered whole, so one bad frame cannot
//! exhaust memory or desynchronise the stream.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The default cap on one frame: generous for tool output, small enough to stay safe.
pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

/// One item read from an NDJSON stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete line without its newline (a trailing `\r` is stripped too).
    Line(String),
    /// A line longer than the cap; its bytes were skipped.
    Oversized(usize),
    /// A line that is not valid UTF-8.
    InvalidUtf8,
}

/// Reads frames from `reader`, at most `max` bytes each.
pub struct FrameReader<R> {
    reader: R,
    max: usize,
    buf: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin> FrameReader<R> {
    pub fn new(reader: R, max: usize) -> Self {
        Self {
            reader,
            max,
            buf: Vec::new(),
        }
    }

    /// The next frame, or `None` at end of stream. Blank lines are skipped.
    pub async fn next(&mut self) -> std::io::Result<Option<Frame>> {
        loop {
            self.buf.clear();
            let mut skipped = 0usize;
            let mut saw_any = false;
            loop {
                let available = self.reader.fill_buf().await?;
                if available.is_empty() {
                    break;
                }
                saw_any = true;
                let (chunk, done) = match memchr(available) {
                    Some(i) => (&available[..i], Some(i + 1)),
                    None => (available, None),
                };
                if skipped > 0 || self.buf.len() + chunk.len() > self.max {
                    skipped += self.buf.len() + chunk.len();
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(chunk);
                }
                let used = done.unwrap_or(available.len());
                self.reader.consume(used);
                if done.is_some() {
                    break;
                }
            }
            if !saw_any {
                return Ok(None);
            }
            if skipped > 0 {
                return Ok(Some(Frame::Oversized(skipped)));
            }
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            if self.buf.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            return Ok(Some(match std::str::from_utf8(&self.buf) {
                Ok(s) => Frame::Line(s.to_owned()),
                Err(_) => Frame::InvalidUtf8,
            }));
        }
    }
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8], max: usize) -> Vec<Frame> {
        let mut r = FrameReader::new(tokio::io::BufReader::with_capacity(4, input), max);
        let mut out = Vec::new();
        while let Some(f) = r.next().await.unwrap() {
            out.push(f);
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_skips_blank_and_caps_size() {
        let got = frames(b"{\"a\":1}\r\n\n  \nxxxxxxxxxxxxxxxxxxxx\nlast", 10).await;
        assert_eq!(
            got,
            vec![
                Frame::Line("{\"a\":1}".into()),
                Frame::Oversized(20),
                Frame::Line("last".into())
            ]
        );
    }

    #[tokio::test]
    async fn reports_invalid_utf8() {
        let got = frames(b"\xff\xfe\nok\n", 100).await;
        assert_eq!(got, vec![Frame::InvalidUtf8, Frame::Line("ok".into())]);
    }
}
