//! A markdown document that grows by appended chunks (a streamed agent answer), rendered
//! incrementally. It owns the cache of rendered lines: finished blocks (see [`splitter`]) are
//! rendered once per (width, style generation, syntax theme, highlighter readiness); the open
//! tail block is the only thing drawn again, and of it only what later text can still change:
//! the partial line of an open fence, or a growing line resumed from a snapshot of the walk
//! (see [`Partial`]). Nothing rescans the source: each push looks only at the new bytes.
//!
//! A fenced code block or a table is not finished until closed: while open, code is drawn
//! plain (highlighted once finished) and a table is held back entirely. A finished block whose
//! highlighting was queued to the background highlighter is drawn plain and drawn again, in
//! place, once the highlighter's generation moves (only those blocks are redrawn). Whatever was drawn
//! while open, a finished block is rendered whole, so the final lines always equal
//! [`render`](super::markdown::render) of the whole source.

use super::highlight::Highlighter;
use super::markdown::{
    render_block, render_code_line, render_partial, safe_cut, BlockCtx, MdStyles, Partial,
};
use ratatui::text::Line;

mod splitter;

pub(crate) use splitter::{Block, Splitter};

#[derive(Clone, Debug, PartialEq)]
struct Key {
    width: u16,
    style_gen: u64,
    theme: String,
    ready: bool,
}

/// What the settled lines of the open tail (`lines[committed..stable]`) were made from.
#[derive(Default)]
enum Tail {
    #[default]
    None,
    /// An open fence: the code lines before `upto` are drawn.
    Code { start: usize, upto: usize },
    /// A growing line starting at `line`: `partial` is the block walked up to the cut `upto`
    /// (the whitespace before it starts at `gap`); no new cut is looked for before `retry`.
    Inline {
        start: usize,
        line: usize,
        upto: usize,
        gap: usize,
        retry: usize,
        partial: Box<Partial>,
    },
    /// The walk could not be cut in the line at or before `cut`: the tail is rendered whole.
    Whole {
        start: usize,
        line: usize,
        cut: usize,
    },
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
    /// Finished blocks drawn plain while their highlighting is queued: (block index, first
    /// line, line count).
    pending: Vec<(usize, usize, usize)>,
    /// The highlighter generation the pending blocks were last drawn at.
    hl_seen: u64,
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
    }
}

/// Draws again, in place, the finished blocks that were drawn plain while their highlighting
/// was queued. False when a block's line count changed (the caller then redraws everything).
fn redraw_pending(
    src: &str,
    done: &[Block],
    c: &mut Cache,
    width: u16,
    styles: &MdStyles,
    hl: &Highlighter,
    syntax_theme: &str,
) -> bool {
    let mut cx = finished_ctx(width, styles, hl, syntax_theme);
    c.hl_seen = hl.generation();
    // The worker takes the newest block first: walk back from the newest and stop at the
    // first one still waiting, so a frame redraws only what finished since the last one.
    while let Some(&(i, start, n)) = c.pending.last() {
        let Some(block) = done.get(i) else {
            return false;
        };
        cx.list_start = block.list_start;
        let mut lines = Vec::with_capacity(n);
        let misses = hl.misses();
        render_block(&src[block.start..block.end], &cx, &mut lines);
        if lines.len() != n || start + n > c.lines.len() {
            return false;
        }
        if hl.misses() != misses {
            break;
        }
        for (slot, line) in c.lines[start..start + n].iter_mut().zip(lines) {
            *slot = line;
        }
        c.pending.pop();
    }
    true
}

/// Where the whitespace before `p` starts.
fn gap_start(src: &str, p: usize) -> usize {
    src[..p].trim_end_matches([' ', '\t']).len()
}

fn strip_indent(line: &str, n: usize) -> &str {
    let k = line.bytes().take(n).take_while(|&b| b == b' ').count();
    &line[k..]
}

/// Draws the open tail block `t` into the cache, reusing its settled lines.
fn render_tail(src: &str, split: &Splitter, c: &mut Cache, t: Block, cx: &BlockCtx<'_>) {
    c.scratch.clear();
    if let Some(fence) = split.open_fence(src) {
        code_tail(src, c, t, fence, cx);
    } else if !inline_tail(src, c, t, cx) {
        c.lines.truncate(c.committed);
        c.stable = c.committed;
        c.scratch.clear();
        render_block(&src[t.start..t.end], cx, &mut c.scratch);
        c.push_tail(t.glue);
    }
}

/// An open fence: each complete code line is drawn once, the partial last line every time.
fn code_tail(
    src: &str,
    c: &mut Cache,
    t: Block,
    fence: (usize, usize, usize, usize),
    cx: &BlockCtx<'_>,
) {
    let (first, indent, complete, partial) = fence;
    let mut at = match c.tail {
        Tail::Code { start, upto } if start == t.start => upto,
        _ => {
            c.reset_tail();
            first
        }
    };
    while at < complete {
        let end = src[at..].find('\n').map_or(src.len(), |i| at + i);
        render_code_line(strip_indent(&src[at..end], indent), cx, &mut c.scratch);
        at = end + 1;
    }
    c.tail = Tail::Code {
        start: t.start,
        upto: at,
    };
    c.settle(t.glue);
    if partial < t.end {
        render_code_line(
            strip_indent(&src[partial..t.end], indent),
            cx,
            &mut c.scratch,
        );
        c.push_tail(t.glue);
    }
}

/// A growing line: the walk is resumed from the last safe cut, and the cut moves forward with
/// the text, settling the lines it completes. False when no cut can be made yet (the caller
/// renders the tail whole; `c.tail` then remembers the cut that failed).
fn inline_tail(src: &str, c: &mut Cache, t: Block, cx: &BlockCtx<'_>) -> bool {
    let end = if src[..t.end].ends_with('\n') {
        t.end - 1
    } else {
        t.end
    };
    let line = src[t.start..end]
        .rfind('\n')
        .map_or(t.start, |i| t.start + i + 1);
    let failed = match c.tail {
        Tail::Inline {
            start,
            line: l,
            upto,
            ..
        } if start == t.start && l == line && upto <= end => None,
        Tail::Whole {
            start,
            line: l,
            cut,
        } if start == t.start && l == line => Some(cut),
        _ => Some(line),
    };
    if let Some(failed) = failed {
        c.reset_tail();
        c.tail = Tail::Whole {
            start: t.start,
            line,
            cut: failed,
        };
        let Some(p) = safe_cut(&src[line..end])
            .map(|i| line + i)
            .filter(|&p| p > failed)
        else {
            return false;
        };
        let Some(partial) = render_partial(&src[t.start..p], cx, &mut c.scratch) else {
            c.scratch.clear();
            c.tail = Tail::Whole {
                start: t.start,
                line,
                cut: p,
            };
            return false;
        };
        c.settle(t.glue);
        let (gap, partial) = (gap_start(src, p), Box::new(partial));
        c.tail = Tail::Inline {
            start: t.start,
            line,
            upto: p,
            gap,
            retry: p,
            partial,
        };
    }
    let Tail::Inline {
        start,
        line,
        mut upto,
        mut gap,
        mut retry,
        mut partial,
    } = std::mem::take(&mut c.tail)
    else {
        return false;
    };
    let mut ok = true;
    if end >= retry {
        match safe_cut(&src[upto..end]).map(|i| upto + i) {
            Some(q) => {
                ok = partial.feed(
                    &src[gap..upto],
                    &src[upto..gap_start(src, q)],
                    cx,
                    &mut c.scratch,
                );
                (upto, gap, retry) = (q, gap_start(src, q), q);
                c.settle(t.glue);
            }
            // Inside a long construct (a URL, a code span): look again once it has doubled.
            None => retry = end + (end - upto),
        }
    }
    let (gap_text, rest) = (&src[gap..upto], &src[upto..end]);
    if ok && !partial.preview(gap_text, rest, &mut c.scratch) {
        let mut walk = partial.as_ref().clone();
        ok = walk.feed(gap_text, rest, cx, &mut c.scratch);
        walk.finish(cx, &mut c.scratch);
    }
    if !ok {
        c.tail = Tail::Whole {
            start,
            line,
            cut: upto,
        };
        return false;
    }
    c.lines.truncate(c.stable);
    c.push_tail(t.glue);
    c.tail = Tail::Inline {
        start,
        line,
        upto,
        gap,
        retry,
        partial,
    };
    true
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
        let mut same = c.key.as_ref().is_some_and(|k| {
            k.width == width
                && k.style_gen == style_gen
                && k.ready == ready
                && k.theme == syntax_theme
        });
        if same && !c.pending.is_empty() && hl.generation() != c.hl_seen {
            same = redraw_pending(
                &self.src,
                self.split.done(),
                c,
                width,
                styles,
                hl,
                syntax_theme,
            );
        }
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
                let (misses, generation) = (hl.misses(), hl.generation());
                render_block(&self.src[block.start..block.end], &cx, &mut c.scratch);
                c.committed = c.lines.len();
                let n = c.scratch.len();
                c.push_tail(block.glue);
                if hl.misses() != misses {
                    if c.pending.is_empty() {
                        c.hl_seen = generation;
                    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::markdown::render;
    use crate::ui::markdown::tests::{hl, plain, styles, SAMPLE};
    use ratatui::style::Color;

    const THEME: &str = "base16-ocean.dark";

    fn lines(s: &mut MdStream, width: u16) -> Vec<Line<'static>> {
        s.lines(width, &styles(), 1, hl(), THEME).to_vec()
    }

    fn chunked(src: &str, size: usize) -> impl Iterator<Item = &str> {
        let mut rest = src;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let mut end = size.min(rest.len());
            while !rest.is_char_boundary(end) {
                end += 1;
            }
            let (a, b) = rest.split_at(end);
            rest = b;
            Some(a)
        })
    }

    #[test]
    fn streaming_in_chunks_ends_identical_to_render() {
        let doc = format!("{SAMPLE}\n{SAMPLE}");
        for width in [20u16, 80] {
            let whole = render(&doc, width, &styles(), hl(), THEME);
            for size in [1, 7, 16, 1000] {
                let mut s = MdStream::new();
                for chunk in chunked(&doc, size) {
                    s.push(chunk);
                    for l in lines(&mut s, width) {
                        assert!(l.width() <= width as usize);
                    }
                }
                s.finish();
                assert_eq!(s.source(), doc);
                assert_eq!(
                    lines(&mut s, width),
                    whole,
                    "chunk size {size}, width {width}"
                );
            }
        }
    }

    #[test]
    fn finished_blocks_are_rendered_once() {
        let mut s = MdStream::new();
        for chunk in chunked(SAMPLE, 3) {
            s.push(chunk);
            lines(&mut s, 40);
        }
        s.finish();
        lines(&mut s, 40);
        assert_eq!(s.cache.finished_renders, s.split.done().len() as u64);
        let rev = s.revision();
        s.finish();
        assert_eq!(s.revision(), rev);
        lines(&mut s, 41);
        assert_eq!(s.cache.finished_renders, 2 * s.split.done().len() as u64);
    }

    #[test]
    fn tables_are_held_until_closed() {
        let mut s = MdStream::new();
        s.push("Intro text.\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        let text = plain(&lines(&mut s, 40));
        assert_eq!(text, "Intro text.\n");
        s.push("| 3 | 4");
        assert_eq!(plain(&lines(&mut s, 40)), "Intro text.\n");
        s.push(" |\n\nAfter");
        let text = plain(&lines(&mut s, 40));
        assert!(
            text.contains("┌───┬───┐") && text.contains("│ 3 │ 4 │") && text.ends_with("After\n"),
            "{text}"
        );
    }

    #[test]
    fn code_is_plain_until_the_fence_closes() {
        let mut s = MdStream::new();
        s.push("Look:\n\n```rust\nfn main() {}\n\nlet x = 1;\n");
        let open = lines(&mut s, 40);
        assert_eq!(plain(&open), "Look:\n\nfn main() {}\n\nlet x = 1;\n");
        assert!(open[2..]
            .iter()
            .flat_map(|l| &l.spans)
            .all(|sp| sp.style == styles().code_block));
        s.push("```\n");
        let closed = lines(&mut s, 40);
        assert_eq!(plain(&closed), plain(&open));
        assert!(closed[2]
            .spans
            .iter()
            .any(|sp| matches!(sp.style.fg, Some(Color::Rgb(..)))));
        assert_eq!(s.split.done().len(), 2);
    }

    #[test]
    fn readiness_of_the_highlighter_is_part_of_the_cache_key() {
        let mut s = MdStream::new();
        s.push("```rust\nfn main() {}\n```\n");
        let cold = Highlighter::never_ready();
        let plain_lines = s.lines(40, &styles(), 1, &cold, THEME).to_vec();
        assert!(plain_lines[0]
            .spans
            .iter()
            .all(|sp| sp.style == styles().code_block));
        let ready = lines(&mut s, 40);
        assert!(ready[0]
            .spans
            .iter()
            .any(|sp| matches!(sp.style.fg, Some(Color::Rgb(..)))));
        assert_eq!(plain(&ready), plain(&plain_lines));
    }

    #[test]
    fn blocks_queued_to_a_background_highlighter_are_redrawn_in_place_when_done() {
        let bg = Highlighter::new_background();
        let start = std::time::Instant::now();
        while !bg.is_ready() && start.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let doc: String = (0..20)
            .map(|i| format!("Step {i}:\n\n```rust\nfn f{i}() -> u32 {{ {i} }}\n```\n\n"))
            .collect();
        let mut s = MdStream::new();
        for piece in doc.as_bytes().chunks(7) {
            s.push(std::str::from_utf8(piece).unwrap());
            s.lines(50, &styles(), 1, &bg, THEME);
        }
        s.finish();
        let first = s.lines(50, &styles(), 1, &bg, THEME).to_vec();
        assert!(bg.misses() > 0, "the frames did not wait for syntect");
        let renders = s.cache.finished_renders;
        let want = render(&doc, 50, &styles(), hl(), THEME);
        assert_eq!(plain(&first), plain(&want));
        let mut now = first;
        while now != want && start.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(5));
            now = s.lines(50, &styles(), 1, &bg, THEME).to_vec();
        }
        assert_eq!(now, want, "highlighted in place once the worker is done");
        assert_eq!(s.cache.finished_renders, renders, "no block laid out again");
        assert!(s.cache.pending.is_empty());
    }

    #[test]
    fn unchanged_revision_returns_the_same_lines_and_push_after_finish_reopens() {
        let mut s = MdStream::default();
        s.push("Hello *world*");
        let a = s.lines(20, &styles(), 1, hl(), THEME).as_ptr();
        let rev = s.revision();
        assert_eq!(s.lines(20, &styles(), 1, hl(), THEME).as_ptr(), a);
        assert_eq!(s.revision(), rev);
        s.finish();
        assert!(s.is_finished() && s.revision() == rev + 1);
        s.push(" again\n\n- item");
        assert!(!s.is_finished());
        s.finish();
        let whole = render("Hello *world* again\n\n- item", 20, &styles(), hl(), THEME);
        assert_eq!(lines(&mut s, 20), whole);
    }

    /// What `lines` shows without any incremental work: every block and the tail rendered whole.
    fn reference(src: &str, width: u16) -> Vec<Line<'static>> {
        let mut sp = Splitter::default();
        sp.feed(src);
        let st = styles();
        let mut cx = BlockCtx {
            width: width as usize,
            styles: &st,
            hl: hl(),
            theme: THEME,
            open: false,
            list_start: None,
        };
        let mut out: Vec<Line<'static>> = Vec::new();
        let tail = sp.tail(src);
        for b in sp.done().iter().copied().chain(tail) {
            cx.open = Some(b) == tail;
            cx.list_start = b.list_start;
            let mut lines = Vec::new();
            render_block(&src[b.start..b.end], &cx, &mut lines);
            if !lines.is_empty() && !out.is_empty() && !b.glue {
                out.push(Line::default());
            }
            out.append(&mut lines);
        }
        out
    }

    #[test]
    fn a_growing_line_is_never_cut_inside_an_escape_sequence() {
        // Cut inside the OSC, the part after the cut was sanitized on its own and shown.
        for chunks in [
            &["word \x1b]0;ab", "cd\x07 more text"][..],
            &["a \x1b[1mbold", "er\x1b[0m plain words"][..],
            &["x \u{9d}0;tit", "le\u{9c} after"][..],
            &["line one\x1b]0;t\nsec", "ond line words"][..],
        ] {
            let mut s = MdStream::new();
            for chunk in chunks {
                s.push(chunk);
                let got = plain(&lines(&mut s, 40));
                let want = plain(&reference(s.source(), 40));
                assert_eq!(got, want, "{:?}", s.source());
            }
        }
    }

    #[test]
    fn every_intermediate_frame_matches_a_full_rerender() {
        let doc = format!(
            "{SAMPLE}\n- item **bold** and `code` [link](http://x.y) tail words here\n  continued line with more words\n\n\
             Mixed snake_case_words, 2 * 3 = 6, a\\*b, **bold *nested* text** and `a `` b` then \
             [a long link text](https://example.com/a/b/c) ~~gone~~ <b>tag</b> &amp; 日本語 wide words end.\n\n\
             ## A *styled* heading with words\n> quoted **strong** words and more words\n> second quoted line\n"
        );
        for (width, size) in [(12u16, 5), (80, 5), (30, 1), (1, 3), (120, 16)] {
            let mut s = MdStream::new();
            for (i, chunk) in chunked(&doc, size).enumerate() {
                s.push(chunk);
                let got = plain(&lines(&mut s, width));
                let want = plain(&reference(s.source(), width));
                assert_eq!(got, want, "width {width}, push {i}: {:?}", s.source());
            }
        }
    }
}
