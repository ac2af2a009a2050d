//! A markdown document that grows by appended chunks (a streamed agent answer), rendered
//! incrementally. It owns the cache of rendered lines: finished blocks (see [`splitter`]) are
//! rendered once per (width, style generation, syntax theme, highlighter readiness); the open
//! tail block is the only thing drawn again, and of it only what later text can still change:
//! the partial line of an open fence, or a growing line resumed from a snapshot of the walk
//! (see [`Partial`]). Nothing rescans the source: each push looks only at the new bytes.
//!
//! A fenced code block or a table is not finished until closed: while open, code is drawn
//! plain (highlighted once finished) and a table is held back entirely. With a background
//! highlighter, a finished block is drawn plain, and queued for highlighting only once it
//! shows on screen ([`MdStream::highlight_rows`]): then it is drawn again, in place (so a
//! flood of code that scrolls by unseen costs no highlighting). Whatever was drawn while
//! open, a finished block is rendered whole, so the final lines always equal
//! [`render`](super::markdown::render) of the whole source.

use super::highlight::Highlighter;
use super::markdown::{render_block, BlockCtx, MdStyles};
use ratatui::text::Line;

mod splitter;
mod tail;
#[cfg(test)]
mod tests;

pub(crate) use splitter::{Block, OpenFence, Splitter};
use tail::{render_tail, Tail};

#[derive(Clone, Debug, PartialEq)]
struct Key {
    width: u16,
    style_gen: u64,
    theme: String,
    ready: bool,
}

#[derive(Default)]
struct Cache {
    key: Option<Key>,
    lines: Vec<Line<'static>>,
    /// Finished blocks whose lines are in `lines[..committed]`.
    blocks: usize,
    committed: usize,
    /// `lines[committed..stable]`: the open tail's lines that later text cannot change.
    stable: usize,
    tail: Tail,
    /// The revision whose tail is in `lines[committed..]`.
    tail_rev: Option<u64>,
    scratch: Vec<Line<'static>>,
    /// How many finished blocks were rendered (tests check each is rendered once).
    finished_renders: u64,
    /// How many times the open tail was walked from its start (tests check a long block is
    /// not walked again per line).
    tail_walks: u64,
    /// Finished blocks drawn plain while their highlighting is queued: (block index, first
    /// line, line count).
    pending: Vec<(usize, usize, usize)>,
}

impl Cache {
    /// Appends the lines in `scratch`, after a blank line when they are the tail's first and
    /// follow something (unless the tail is glued to it).
    fn push_tail(&mut self, glue: bool) {
        if self.scratch.is_empty() {
            return;
        }
        if self.lines.len() == self.committed && self.committed > 0 && !glue {
            self.lines.push(Line::default());
        }
        self.lines.append(&mut self.scratch);
    }

    /// Appends the lines in `scratch` as settled (dropping the unsettled ones first).
    fn settle(&mut self, glue: bool) {
        self.lines.truncate(self.stable);
        self.push_tail(glue);
        self.stable = self.lines.len();
    }

    fn reset_tail(&mut self) {
        self.lines.truncate(self.committed);
        self.stable = self.committed;
        self.tail = Tail::None;
    }
}

/// The context for rendering finished blocks at `width`.
fn finished_ctx<'a>(
    width: u16,
    styles: &'a MdStyles,
    hl: &'a Highlighter,
    syntax_theme: &'a str,
) -> BlockCtx<'a> {
    BlockCtx {
        width: width.max(1) as usize,
        styles,
        hl,
        theme: syntax_theme,
        open: false,
        list_start: None,
        defer: hl.is_background(),
    }
}

/// A markdown document that grows by appended chunks (a streamed agent answer). Finished blocks
/// are rendered once per (width, styles generation, syntax theme) and cached; only the open
/// tail block is re-rendered when more text arrives (and of a growing line, only its end).
#[derive(Default)]
pub struct MdStream {
    src: String,
    split: Splitter,
    finished: bool,
    revision: u64,
    cache: Cache,
}

impl MdStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a chunk. Text pushed after [`finish`](Self::finish) reopens the document (it
    /// is then split again from the start, once).
    pub fn push(&mut self, chunk: &str) {
        if self.finished {
            self.finished = false;
            self.split = Splitter::default();
            self.cache = Cache::default();
        }
        self.src.push_str(chunk);
        self.split.feed(&self.src);
        self.revision += 1;
    }

    pub fn source(&self) -> &str {
        &self.src
    }

    /// The stream ended: the tail block is final. Idempotent.
    pub fn finish(&mut self) {
        if !self.finished {
            self.split.finish(&self.src);
            self.finished = true;
            self.revision += 1;
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Bumps on every push and on the first finish.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// All lines at `width`; `style_gen` changes when the theme changes (invalidates caches).
    /// Finished blocks are rendered once per cache key; nothing is cloned.
    pub fn lines(
        &mut self,
        width: u16,
        styles: &MdStyles,
        style_gen: u64,
        hl: &Highlighter,
        syntax_theme: &str,
    ) -> &[Line<'static>] {
        let ready = hl.is_ready();
        let c = &mut self.cache;
        let same = c.key.as_ref().is_some_and(|k| {
            k.width == width
                && k.style_gen == style_gen
                && k.ready == ready
                && k.theme == syntax_theme
        });
        if !same {
            let key = Key {
                width,
                style_gen,
                theme: syntax_theme.to_string(),
                ready,
            };
            *c = Cache {
                key: Some(key),
                finished_renders: c.finished_renders,
                tail_walks: c.tail_walks,
                ..Cache::default()
            };
        }
        let mut cx = finished_ctx(width, styles, hl, syntax_theme);
        let done = self.split.done();
        if c.blocks < done.len() {
            c.reset_tail();
            c.tail_rev = None;
            for (i, block) in done.iter().enumerate().skip(c.blocks) {
                cx.list_start = block.list_start;
                c.scratch.clear();
                let misses = hl.misses();
                render_block(&self.src[block.start..block.end], &cx, &mut c.scratch);
                c.committed = c.lines.len();
                let n = c.scratch.len();
                c.push_tail(block.glue);
                if hl.misses() != misses {
                    c.pending.push((i, c.lines.len() - n, n));
                }
                c.finished_renders += 1;
            }
            c.blocks = done.len();
            c.committed = c.lines.len();
            c.stable = c.committed;
        }
        if c.tail_rev != Some(self.revision) {
            match self.split.tail(&self.src).filter(|_| !self.finished) {
                Some(t) => {
                    cx.open = true;
                    cx.list_start = t.list_start;
                    render_tail(&self.src, &self.split, c, t, &cx);
                }
                None => c.reset_tail(),
            }
            c.tail_rev = Some(self.revision);
        }
        &c.lines
    }

    /// Highlights the finished blocks drawn plain whose lines overlap `rows` (what is on
    /// screen): each is queued for the background highlighter and drawn again in place once
    /// it is done (the highlighter's waker asks for that frame). A block never on screen is
    /// never highlighted. Call after [`lines`](Self::lines) with the same arguments.
    pub fn highlight_rows(
        &mut self,
        rows: std::ops::Range<usize>,
        width: u16,
        styles: &MdStyles,
        hl: &Highlighter,
        syntax_theme: &str,
    ) {
        let c = &mut self.cache;
        let mut cx = finished_ctx(width, styles, hl, syntax_theme);
        cx.defer = false;
        let done = self.split.done();
        let mut k = c
            .pending
            .partition_point(|&(_, start, n)| start + n <= rows.start);
        while let Some(&(i, start, n)) = c.pending.get(k).filter(|p| p.1 < rows.end) {
            let Some(block) = done.get(i) else { break };
            cx.list_start = block.list_start;
            let mut lines = Vec::with_capacity(n);
            let misses = hl.misses();
            render_block(&self.src[block.start..block.end], &cx, &mut lines);
            if hl.misses() != misses {
                k += 1; // queued: drawn again at a later frame
                continue;
            }
            // Highlighted. (Drawn plain for good if it no longer takes the same lines.)
            if lines.len() == n && start + n <= c.lines.len() {
                for (slot, line) in c.lines[start..start + n].iter_mut().zip(lines) {
                    *slot = line;
                }
            }
            c.pending.remove(k);
        }
    }

    pub fn line_count(
        &mut self,
        width: u16,
        styles: &MdStyles,
        style_gen: u64,
        hl: &Highlighter,
        syntax_theme: &str,
    ) -> usize {
        self.lines(width, styles, style_gen, hl, syntax_theme).len()
    }

    /// Renders and hands over the lines (used by [`render`](super::markdown::render)).
    pub(crate) fn into_lines(
        mut self,
        width: u16,
        styles: &MdStyles,
        hl: &Highlighter,
        syntax_theme: &str,
    ) -> Vec<Line<'static>> {
        self.lines(width, styles, 0, hl, syntax_theme);
        std::mem::take(&mut self.cache.lines)
    }
}
