//! The split of a growing markdown source into top-level blocks, one complete line at a time
//! (plus an early look at a partial line that starts a list item). It owns the block grammar
//! the stream relies on — what ends a block, what keeps it open — and never renders anything.
//!
//! Blocks end at a blank line (a list continues past one when the next line is indented or is
//! another item), after a closed fence, after an ATX heading, where a heading or fence
//! interrupts a paragraph, and before each top-level list item (glued to the previous item).

use crate::sanitize::sanitize;
use std::borrow::Cow;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Para,
    List,
    Fence,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fence {
    ch: u8,
    len: usize,
    indent: usize,
    /// Where its opening line starts in the source.
    at: usize,
}

fn indent(l: &str) -> usize {
    let mut n = 0;
    for b in l.bytes() {
        match b {
            b' ' => n += 1,
            b'\t' => n += 4 - n % 4,
            _ => break,
        }
    }
    n
}

fn is_blank(l: &str) -> bool {
    l.bytes().all(|b| b == b' ' || b == b'\t')
}

fn fence_open(l: &str, max_indent: usize) -> Option<Fence> {
    let indent = indent(l);
    if indent > max_indent {
        return None;
    }
    let t = l.trim_start();
    let ch = *t.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = t.bytes().take_while(|&b| b == ch).count();
    (len >= 3 && !(ch == b'`' && t[len..].contains('`'))).then_some(Fence {
        ch,
        len,
        indent,
        at: 0,
    })
}

fn fence_close(l: &str, f: Fence) -> bool {
    let t = l.trim_start();
    let len = t.bytes().take_while(|&b| b == f.ch).count();
    len >= f.len && is_blank(&t[len..])
}

fn atx_heading(l: &str) -> bool {
    if indent(l) > 3 {
        return false;
    }
    let t = l.trim_start();
    let n = t.bytes().take_while(|&b| b == b'#').count();
    (1..=6).contains(&n) && matches!(t.as_bytes().get(n), None | Some(b' ') | Some(b'\t'))
}

/// A list item marker: its kind (the bullet char, or the delimiter after a number) and its
/// number (None for a bullet).
fn marker(l: &str) -> Option<(u8, Option<u64>)> {
    if indent(l) > 3 {
        return None;
    }
    let t = l.trim_start().as_bytes();
    let (kind, num, after) = match *t.first()? {
        c @ (b'-' | b'+' | b'*') => (c, None, 1),
        b'0'..=b'9' => {
            let d = t.iter().take_while(|b| b.is_ascii_digit()).count();
            let delim = *t.get(d)?;
            if d > 9 || !matches!(delim, b'.' | b')') {
                return None;
            }
            (
                delim,
                std::str::from_utf8(&t[..d]).ok()?.parse().ok(),
                d + 1,
            )
        }
        _ => return None,
    };
    matches!(t.get(after), None | Some(b' ') | Some(b'\t')).then_some((kind, num))
}

/// A line as it is classified: sanitized when it has controls (tabs aside), as it is parsed.
fn clean(raw: &str) -> Cow<'_, str> {
    if raw.chars().any(|c| c.is_control() && c != '\t') {
        sanitize(raw).into()
    } else {
        raw.into()
    }
}

/// How much of a partial line is read to tell whether it starts a list item.
const EARLY_LOOK: usize = 256;

/// A finished block: a byte range of the source and how it joins the one before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Block {
    pub start: usize,
    pub end: usize,
    /// The next top-level item of the previous block's list: drawn without a blank line.
    pub glue: bool,
    /// The number its list starts at, when it continues an ordered list.
    pub list_start: Option<u64>,
}

/// An open fenced code block at the end of the open block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OpenFence {
    /// Where its first code line starts (the block's source before it is the head: the
    /// fence's line and, in a list item, what precedes it).
    pub head: usize,
    /// The fence's indentation (stripped from its code lines).
    pub indent: usize,
    /// The end of its complete lines.
    pub complete: usize,
    /// Where the incomplete last line starts (the end of the source when that line already
    /// reads as the closing fence).
    pub partial: usize,
    /// The fence is inside a list item.
    pub nested: bool,
}

/// The top-level list the open block belongs to.
#[derive(Clone, Copy, Debug)]
struct ListInfo {
    indent: usize,
    kind: u8,
    ordered: bool,
    next: u64,
}

/// Incremental split of a growing source into blocks, one complete line at a time. Each
/// top-level list item is a block of its own (glued to the previous one), so an open tail is
/// never a whole long list.
#[derive(Clone, Debug, Default)]
pub(crate) struct Splitter {
    done: Vec<Block>,
    /// The open block (its `end` is not known yet).
    open: Option<Block>,
    kind: Kind,
    fence: Option<Fence>,
    list: Option<ListInfo>,
    /// In a list: where the blank lines after its last content began.
    blank: Option<usize>,
    /// Start of the trailing run of lines beginning with `|` in the open block.
    pipes: Option<usize>,
    /// Bytes before this are complete lines already classified.
    scanned: usize,
    /// Bytes before this have been searched for a newline.
    searched: usize,
    /// The start of the partial line already classified as a new list item.
    early: Option<usize>,
}

impl Splitter {
    pub(crate) fn feed(&mut self, src: &str) {
        while let Some(i) = src[self.searched..].find('\n') {
            let (a, b) = (self.scanned, self.searched + i + 1);
            self.line(a, b, &src[a..b - 1]);
            self.scanned = b;
            self.searched = b;
        }
        self.searched = src.len();
        self.early_item(src);
    }

    /// The source ended: the last partial line is complete and the open block finished.
    pub(crate) fn finish(&mut self, src: &str) {
        self.feed(src);
        if self.scanned < src.len() {
            self.line(self.scanned, src.len(), &src[self.scanned..]);
            self.scanned = src.len();
        }
        if let Some(open) = self.open {
            let end = if self.kind == Kind::List {
                self.blank.unwrap_or(src.len())
            } else {
                src.len()
            };
            self.finish_block(open.start, end);
        }
        self.fence = None;
        self.list = None;
    }

    pub(crate) fn done(&self) -> &[Block] {
        &self.done
    }

    /// The open tail to render (its end is cut before trailing table lines), with its joining.
    pub(crate) fn tail(&self, src: &str) -> Option<Block> {
        let partial = &src[self.scanned..];
        let block = match self.open {
            Some(b) => b,
            None if !is_blank(partial) => Block {
                start: self.scanned,
                ..Block::default()
            },
            None => return None,
        };
        let partial_pipe = partial.trim_start().starts_with('|');
        let mut end = src.len();
        if self.fence.is_none() && (is_blank(partial) || partial_pipe) {
            if let Some(p) = self.pipes.or(partial_pipe.then_some(self.scanned)) {
                end = p;
            }
        }
        (block.start < end).then_some(Block { end, ..block })
    }

    /// The open fenced code block the open block ends in (at the top level, or in a list
    /// item), None while its opening line is incomplete.
    pub(crate) fn open_fence(&self, src: &str) -> Option<OpenFence> {
        let fence = self.fence?;
        let nested = match self.kind {
            Kind::Fence => false,
            Kind::List => true,
            Kind::Para => return None,
        };
        let head = src[fence.at..].find('\n').map(|i| fence.at + i + 1)?;
        let partial = if fence_close(&src[self.scanned..], fence) {
            src.len()
        } else {
            self.scanned
        };
        Some(OpenFence {
            head: head.min(self.scanned),
            indent: fence.indent,
            complete: self.scanned,
            partial,
            nested,
        })
    }

    fn finish_block(&mut self, start: usize, end: usize) {
        let open = self.open.take().unwrap_or_default();
        if start < end {
            self.done.push(Block { start, end, ..open });
        }
        self.blank = None;
        self.pipes = None;
    }

    fn start_block(&mut self, a: usize, b: usize, l: &str, glue: bool, list_start: Option<u64>) {
        self.pipes = None;
        self.blank = None;
        if atx_heading(l) {
            self.done.push(Block {
                start: a,
                end: b,
                ..Block::default()
            });
            self.open = None;
            self.list = None;
        } else if let Some(f) = fence_open(l, 3) {
            self.open = Some(Block {
                start: a,
                ..Block::default()
            });
            self.kind = Kind::Fence;
            self.fence = Some(Fence { at: a, ..f });
            self.list = None;
        } else {
            self.open = Some(Block {
                start: a,
                end: 0,
                glue,
                list_start,
            });
            self.kind = Kind::Para;
            if let Some(m) = marker(l) {
                self.enter_list(l, m, glue);
            } else {
                self.list = None;
            }
            self.track_pipes(a, l);
        }
    }

    fn enter_list(&mut self, l: &str, (kind, num): (u8, Option<u64>), glue: bool) {
        self.kind = Kind::List;
        if !glue {
            let (indent, ordered, next) = (indent(l), num.is_some(), num.unwrap_or(1) + 1);
            self.list = Some(ListInfo {
                indent,
                kind,
                ordered,
                next,
            });
        }
    }

    fn track_pipes(&mut self, a: usize, l: &str) {
        if l.trim_start().starts_with('|') {
            self.pipes.get_or_insert(a);
        } else {
            self.pipes = None;
        }
    }

    /// Classifies one complete line `raw` (without its newline) spanning `a..b` of the source.
    fn line(&mut self, a: usize, b: usize, raw: &str) {
        let l = clean(raw);
        let l = l.as_ref();
        if let Some(f) = self.fence {
            if fence_close(l, f) {
                self.fence = None;
                if let (Some(open), Kind::Fence) = (self.open, self.kind) {
                    self.finish_block(open.start, b);
                }
            }
            return;
        }
        let blank = is_blank(l);
        let Some(open) = self.open else {
            if !blank {
                self.start_block(a, b, l, false, None);
            }
            return;
        };
        let s = open.start;
        match self.kind {
            Kind::Para | Kind::Fence => {
                if blank {
                    self.finish_block(s, a);
                } else if atx_heading(l) || fence_open(l, 3).is_some() {
                    self.finish_block(s, a);
                    self.start_block(a, b, l, false, None);
                } else {
                    if let Some(m) = marker(l) {
                        self.enter_list(l, m, false);
                    }
                    self.track_pipes(a, l);
                }
            }
            Kind::List => {
                if blank {
                    self.blank.get_or_insert(a);
                    return;
                }
                if self.early.take() == Some(a) {
                    return; // classified as a new item while still partial
                }
                let after_blank = self.blank.take();
                let m = marker(l);
                let interrupts = indent(l) == 0 && (atx_heading(l) || fence_open(l, 0).is_some());
                let continues = m.is_some() || indent(l) >= 2;
                if interrupts || (after_blank.is_some() && !continues) {
                    self.finish_block(s, after_blank.unwrap_or(a));
                    self.start_block(a, b, l, false, None);
                } else if !self.top_item(s, a, b, l, after_blank) {
                    self.fence = fence_open(l, usize::MAX).map(|f| Fence { at: a, ..f });
                    self.track_pipes(a, l);
                }
            }
        }
    }

    /// When `l` is a top-level item of the open list block (started at `s`), ends that block
    /// and starts the item's own: glued on for the same list, apart for a new list.
    fn top_item(
        &mut self,
        s: usize,
        a: usize,
        b: usize,
        l: &str,
        after_blank: Option<usize>,
    ) -> bool {
        let (Some(li), Some((kind, _))) = (self.list, marker(l)) else {
            return false;
        };
        if indent(l) > li.indent {
            return false;
        }
        self.finish_block(s, after_blank.unwrap_or(a));
        if li.kind == kind {
            let number = self.list.as_mut().and_then(|li| {
                li.next += 1;
                li.ordered.then_some(li.next - 1)
            });
            self.start_block(a, b, l, true, number);
        } else {
            self.start_block(a, b, l, false, None);
        }
        true
    }

    /// A partial line that already reads as a top-level item (marker, space, some text) starts
    /// its block now, so the open tail is never the previous item plus the new one.
    fn early_item(&mut self, src: &str) {
        let (a, partial) = (self.scanned, &src[self.scanned..]);
        if self.kind != Kind::List || self.fence.is_some() || self.early == Some(a) {
            return;
        }
        let Some(open) = self.open else { return };
        // Classified sanitized, as `line` will classify it: skipping a partial line with a
        // control char made the split depend on where the chunks ended (a stream that saw
        // `- a\n- - -` split the item off, one given `- a\n- - -\x07` at once did not).
        // Sanitizing only appends to what a prefix gives, so the decision holds as text comes.
        // Only the line's start can make it an item: look at no more of it, so a huge partial
        // line costs nothing per chunk (sanitizing a prefix gives a prefix of the whole's).
        let mut head = partial.len().min(EARLY_LOOK);
        while !partial.is_char_boundary(head) {
            head -= 1;
        }
        let partial = clean(&partial[..head]);
        let has_text = partial
            .trim_start()
            .split_once([' ', '\t'])
            .is_some_and(|(_, rest)| !rest.trim_start().is_empty());
        if has_text {
            let after_blank = self.blank;
            if self.top_item(open.start, a, src.len(), &partial, after_blank) {
                self.early = Some(a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_item_splits_off_as_it_would_with_the_rest_of_its_line() {
        // Fed `- a\n\u{2028}1. b` then `\r`, the partial line was split off as an item; fed at
        // once it was not (it had a control char), and the stream drew a blank line before it
        // that a fresh one did not.
        for chunks in [["- a\n\u{2028}1. b", "\r"], ["- a\n- - -", "\x07"]] {
            let (mut fed, mut src) = (Splitter::default(), String::new());
            for chunk in chunks {
                src.push_str(chunk);
                fed.feed(&src);
            }
            let mut once = Splitter::default();
            once.feed(&src);
            assert_eq!(fed.done(), once.done(), "{src:?}");
            assert_eq!(fed.tail(&src), once.tail(&src), "{src:?}");
        }
    }

    #[test]
    fn splitter_keeps_items_and_fences_whole() {
        let src = "- a\n\n- b\n  more\n\n  ```\n  x\n\n  ```\npara\n\n# h\ntext\n```\n\n```\n1. x\n1. y\n";
        let mut sp = Splitter::default();
        sp.finish(src);
        let blocks: Vec<(&str, bool, Option<u64>)> = sp
            .done()
            .iter()
            .map(|b| (&src[b.start..b.end], b.glue, b.list_start))
            .collect();
        assert_eq!(
            blocks,
            [
                ("- a\n", false, None),
                ("- b\n  more\n\n  ```\n  x\n\n  ```\npara\n", true, None),
                ("# h\n", false, None),
                ("text\n", false, None),
                ("```\n\n```\n", false, None),
                ("1. x\n", false, None),
                ("1. y\n", true, Some(2)),
            ]
        );
    }
}
