//! The open tail block of a streamed document: what of it is drawn again on each push. An
//! open fence draws each complete code line once; a growing line is resumed from a snapshot of
//! the walk at its last safe cut; anything else is rendered whole.

use super::{Block, Cache, OpenFence, Splitter};
use crate::ui::markdown::{
    continues, line_is_closed, no_text_yet, render_block, render_code_head, render_code_line,
    render_partial, safe_cut, BlockCtx, CodePrefixes, Partial,
};

/// What the settled lines of the open tail (`lines[committed..stable]`) were made from.
#[derive(Default)]
pub(super) enum Tail {
    #[default]
    None,
    /// An open fence: the code lines before `upto` are drawn; in a list item, after the
    /// prefixes the head's walk left (`started` once its first code line is drawn).
    Code {
        start: usize,
        upto: usize,
        nested: Option<Box<(CodePrefixes, bool)>>,
    },
    /// An open fence in a list item that cannot be drawn a line at a time (the item ended
    /// before it, or a code line is indented less than the fence): rendered whole.
    WholeCode { start: usize },
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
    let drawn = match split.open_fence(src) {
        Some(fence) => code_tail(src, c, t, fence, cx),
        None => inline_tail(src, c, t, cx),
    };
    if !drawn {
        c.lines.truncate(c.committed);
        c.stable = c.committed;
        c.scratch.clear();
        render_block(&src[t.start..t.end], cx, &mut c.scratch);
        c.tail_walks += 1;
        c.push_tail(t.glue);
    }
}

/// Whether a code line of a fence in a list item is drawn as the fence's own lines are: blank,
/// or indented at least as far as the fence (a line indented less may end the item).
fn in_item(line: &str, indent: usize) -> bool {
    line.bytes().all(|b| b == b' ' || b == b'\t')
        || line
            .as_bytes()
            .get(..indent)
            .is_some_and(|p| p.iter().all(|&b| b == b' '))
}

/// An open fence: each complete code line is drawn once, the partial last line every time.
/// False when it cannot be drawn so (the caller renders the tail whole).
fn code_tail(src: &str, c: &mut Cache, t: Block, f: OpenFence, cx: &BlockCtx<'_>) -> bool {
    let (mut at, mut nested) = match std::mem::take(&mut c.tail) {
        Tail::Code {
            start,
            upto,
            nested,
        } if start == t.start => (upto, nested),
        Tail::WholeCode { start } if start == t.start => {
            c.tail = Tail::WholeCode { start };
            return false;
        }
        _ => {
            c.reset_tail();
            let nested = if f.nested {
                c.tail_walks += 1;
                let Some(prefixes) = render_code_head(&src[t.start..f.head], cx, &mut c.scratch)
                else {
                    c.tail = Tail::WholeCode { start: t.start };
                    return false;
                };
                c.settle(t.glue);
                Some(Box::new((prefixes, false)))
            } else {
                None
            };
            (f.head, nested)
        }
    };
    let draw = |line: &str, nested: &mut Option<Box<(CodePrefixes, bool)>>, out: &mut _| {
        let line = strip_indent(line, f.indent);
        match nested.as_deref_mut() {
            None => render_code_line(line, cx, &[], &[], out),
            Some(((first, rest), started)) => {
                let prefix = if *started { &*rest } else { &*first };
                render_code_line(line, cx, prefix, rest, out);
                *started = true;
            }
        }
    };
    let fits = |line: &str| !f.nested || in_item(line, f.indent);
    while at < f.complete {
        let end = src[at..].find('\n').map_or(src.len(), |i| at + i);
        if !fits(&src[at..end]) {
            c.tail = Tail::WholeCode { start: t.start };
            return false;
        }
        draw(&src[at..end], &mut nested, &mut c.scratch);
        at = end + 1;
    }
    c.settle(t.glue);
    let line = &src[f.partial.min(t.end)..t.end];
    // A last line of spaces (in a list item, of any blanks) is not drawn until complete, as
    // pulldown-cmark parses it.
    let blank = line.bytes().all(|b| b == b' ' || (f.nested && b == b'\t'));
    if !blank {
        if !fits(line) {
            c.tail = Tail::WholeCode { start: t.start };
            return false;
        }
        // The partial line is drawn again with the next push: draw it from a copy.
        let mut once = nested.clone();
        draw(line, &mut once, &mut c.scratch);
        c.push_tail(t.glue);
    }
    c.tail = Tail::Code {
        start: t.start,
        upto: at,
        nested,
    };
    true
}

/// Carries the walk of a growing line on to the block's line starting at `target`, line by
/// line, settling what each completes: possible while each finished line leaves nothing open
/// and each next line only continues the paragraph. False otherwise (the caller walks the
/// block again from its start).
fn carry_lines(src: &str, c: &mut Cache, target: usize, glue: bool, cx: &BlockCtx<'_>) -> bool {
    let Cache { tail, scratch, .. } = c;
    let Tail::Inline {
        line,
        upto,
        gap,
        retry,
        partial,
        ..
    } = tail
    else {
        return false;
    };
    while *line < target {
        let Some(eol) = src[*line..].find('\n').map(|i| *line + i) else {
            return false;
        };
        let next = eol + 1;
        let next_end = src[next..].find('\n').map_or(src.len(), |i| next + i);
        let (raw, following) = (&src[*line..eol], &src[next..next_end]);
        let Some(text) = continues(raw, following).filter(|_| line_is_closed(raw)) else {
            return false;
        };
        let rest_end = gap_start(src, eol).max(*upto);
        if !partial.feed(&src[*gap..*upto], &src[*upto..rest_end], cx, scratch) {
            return false;
        }
        partial.soft_break(cx, scratch);
        *line = next;
        (*upto, *gap, *retry) = (next + text, next + text, next + text);
    }
    c.settle(glue);
    true
}

/// A growing line: the walk is resumed from the last safe cut, and the cut moves forward with
/// the text, settling the lines it completes. False when no cut can be made yet (the caller
/// renders the tail whole; `c.tail` then remembers the cut that failed).
fn inline_tail(src: &str, c: &mut Cache, t: Block, cx: &BlockCtx<'_>) -> bool {
    let mut end = if src[..t.end].ends_with('\n') {
        t.end - 1
    } else {
        t.end
    };
    // New lines only start after the line the tail was on: search no further back.
    let from = match c.tail {
        Tail::Inline { start, line, .. } | Tail::Whole { start, line, .. } if start == t.start => {
            line.min(end)
        }
        _ => t.start,
    };
    let mut line = src[from..end].rfind('\n').map_or(from, |i| from + i + 1);
    // A new line with only its markers so far draws nothing yet: stay on the line before.
    if line > t.start && end == t.end {
        let prev = src[t.start..line - 1]
            .rfind('\n')
            .map_or(t.start, |i| t.start + i + 1);
        if no_text_yet(&src[prev..line - 1], &src[line..end]) {
            (end, line) = (line - 1, prev);
        }
    }
    if matches!(c.tail, Tail::Inline { start, line: l, .. } if start == t.start && l < line)
        && !carry_lines(src, c, line, t.glue, cx)
    {
        c.tail = Tail::None;
        c.scratch.clear();
    }
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
        c.tail_walks += 1;
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
