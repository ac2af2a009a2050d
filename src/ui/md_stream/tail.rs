//! The open tail block of a streamed document: what of it is drawn again on each push. An
//! open fence draws each complete code line once; a growing line is resumed from a snapshot of
//! the walk at its last safe cut; anything else is rendered whole.

use super::{Block, Cache, Splitter};
use crate::ui::markdown::{
    render_block, render_code_line, render_partial, safe_cut, BlockCtx, Partial,
};

/// What the settled lines of the open tail (`lines[committed..stable]`) were made from.
#[derive(Default)]
pub(super) enum Tail {
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

/// Where the whitespace before `p` starts.
fn gap_start(src: &str, p: usize) -> usize {
    src[..p].trim_end_matches([' ', '\t']).len()
}

fn strip_indent(line: &str, n: usize) -> &str {
    let k = line.bytes().take(n).take_while(|&b| b == b' ').count();
    &line[k..]
}

/// Draws the open tail block `t` into the cache, reusing its settled lines.
pub(super) fn render_tail(src: &str, split: &Splitter, c: &mut Cache, t: Block, cx: &BlockCtx<'_>) {
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
