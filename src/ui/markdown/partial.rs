//! Resuming a half-rendered block: a growing line of a streamed answer is drawn by continuing
//! a snapshot of the walk taken at a safe cut (where no inline markup is open), so each chunk
//! costs the text after the cut, not the whole block. It owns the choice of cut points; it
//! never decides what is final (the finished block is always rendered whole).

use super::walk::{WalkState, Walker};
use super::{parser, BlockCtx};
use crate::sanitize::sanitize;
use crate::ui::wrap::Wrapper;
use pulldown_cmark::{Event, Tag, TagEnd};
use ratatui::text::Line;

/// A block rendered up to a point inside a paragraph's text, to be continued with more inline
/// text: how a growing line is drawn without parsing its whole block again on every chunk.
#[derive(Clone)]
pub(crate) struct Partial {
    st: WalkState,
    /// The ends of the elements still open at the cut (paragraph, item, list...).
    closers: Vec<TagEnd>,
}

/// Renders `src` (a block's source cut where inline markup is balanced, see [`safe_cut`]),
/// appending the lines that are complete; None when the cut is not inside inline text (the
/// caller then discards what was appended).
pub(crate) fn render_partial(
    src: &str,
    cx: &BlockCtx<'_>,
    out: &mut Vec<Line<'static>>,
) -> Option<Partial> {
    let clean = sanitize(src);
    let events: Vec<Event<'_>> = parser(&clean).collect();
    let cut = events.iter().rposition(|e| !matches!(e, Event::End(_)))? + 1;
    let mut closers = Vec::with_capacity(events.len() - cut);
    let mut w = Walker::new(cx, out);
    for (i, ev) in events.into_iter().enumerate() {
        match ev {
            Event::End(tag) if i >= cut => closers.push(tag),
            ev => {
                if !w.event(ev) {
                    return None;
                }
            }
        }
    }
    let st = w.st;
    let inline = st.wrap.is_some() || st.para_style.is_some();
    (inline && st.code.is_none() && st.table.is_none()).then_some(Partial { st, closers })
}

/// Text with nothing inline markdown could act on.
fn is_plain(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() || "*_~`[]<>!&\\|".contains(c))
}

impl Partial {
    /// Continues with `gap` (the whitespace before the cut) and `text` (inline markdown of
    /// one line, starting at a cut). False when `text` is not just inline content.
    pub(crate) fn feed(
        &mut self,
        gap: &str,
        text: &str,
        cx: &BlockCtx<'_>,
        out: &mut Vec<Line<'static>>,
    ) -> bool {
        let mut w = Walker {
            cx,
            st: std::mem::take(&mut self.st),
            out,
        };
        if !gap.is_empty() && !w.st.wrap.as_ref().is_some_and(Wrapper::ends_with_space) {
            w.text(gap, w.cur_style());
        }
        let mut ok = true;
        if is_plain(text) {
            w.text(text.trim_end(), w.cur_style());
        } else {
            let clean = sanitize(text);
            let mut events = parser(&clean);
            ok = matches!(events.next(), None | Some(Event::Start(Tag::Paragraph)));
            for ev in events {
                match ev {
                    Event::Start(
                        Tag::Paragraph | Tag::Table(_) | Tag::List(_) | Tag::Heading { .. },
                    ) => ok = false,
                    Event::End(TagEnd::Paragraph) => {}
                    ev if ok => ok = w.event(ev),
                    _ => {}
                }
            }
        }
        self.st = w.st;
        ok
    }

    /// Closes what is open and emits the remaining lines.
    pub(crate) fn finish(self, cx: &BlockCtx<'_>, out: &mut Vec<Line<'static>>) {
        let mut w = Walker {
            cx,
            st: self.st,
            out,
        };
        for tag in self.closers {
            w.event(Event::End(tag));
        }
        w.flush_inline();
    }

    /// Appends what `feed(gap, text)` then `finish` would, leaving the snapshot as it is: the
    /// cheap way to draw the rest of a growing line. False (nothing appended) when `text` has
    /// markup or no paragraph text has started yet; the caller then clones and feeds.
    pub(crate) fn preview(&self, gap: &str, text: &str, out: &mut Vec<Line<'static>>) -> bool {
        let (Some(wrap), Some(&style)) = (&self.st.wrap, self.st.inline.last()) else {
            return false;
        };
        if !is_plain(text) {
            return false;
        }
        // The closers only end blocks: once the text is flushed they draw nothing more.
        let mut w = wrap.clone();
        if !gap.is_empty() && !w.ends_with_space() {
            w.push(&gap.replace('\t', " "), style, out);
        }
        w.push(text.trim_end(), style, out);
        w.finish(out);
        true
    }
}

/// Where a line's text starts after its quote, list, task and heading markers.
fn content_start(line: &str) -> usize {
    let b = line.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        i += b[i..]
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t' | b'>'))
            .count();
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let marker = match b.get(i + digits) {
            Some(b'.' | b')') if digits > 0 => digits + 1,
            Some(b'-' | b'+' | b'*') if digits == 0 => 1,
            Some(b'#') if digits == 0 => b[i..].iter().take_while(|&&c| c == b'#').count(),
            Some(b'[') if digits == 0 && matches!(b.get(i + 2), Some(b']')) => 3,
            _ => 0,
        };
        if marker > 0 && matches!(b.get(i + marker), None | Some(b' ' | b'\t')) {
            i += marker;
        }
        if i == start {
            return i;
        }
    }
}

/// The last offset in `s` (past the line's markers) where a letter follows whitespace or another
/// letter or digit and no inline markup (emphasis, code span, link, autolink) is open: inline
/// parsing can stop there and resume with [`Partial::feed`]. Both sides of such a cut are plain
/// text, so no delimiter's flanking can depend on the other side.
pub(crate) fn safe_cut(s: &str) -> Option<usize> {
    let from = content_start(s);
    let b = s.as_bytes();
    let run = |i: usize, c: u8| b[i..].iter().take_while(|&&x| x == c).count();
    let (mut open, mut code, mut brackets, mut parens, mut angle) =
        ([0u32; 3], 0, 0u32, 0u32, false);
    let mut entity = false;
    let mut best = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if code > 0 {
            let n = if c == b'`' { run(i, c) } else { 1 };
            if c == b'`' && n == code {
                code = 0;
            }
            i += n;
            continue;
        }
        if entity && !(c.is_ascii_alphanumeric() || c == b'#') {
            entity = false;
        }
        match c {
            b'\\' => i += 1,
            b'&' => entity = true,
            b'`' => code = run(i, c),
            b'*' | b'_' | b'~' => {
                let n = run(i, c);
                let prev = i.checked_sub(1).map(|j| b[j]);
                let next = b.get(i + n).copied();
                let k = match c {
                    b'*' => 0,
                    b'_' => 1,
                    _ => 2,
                };
                let word = |x: Option<u8>| x.is_some_and(|x| x.is_ascii_alphanumeric());
                if !(c == b'_' && word(prev) && word(next)) {
                    if prev.is_some_and(|x| !x.is_ascii_whitespace()) && open[k] > 0 {
                        open[k] -= 1;
                    } else if next.is_some_and(|x| !x.is_ascii_whitespace()) {
                        open[k] += 1;
                    }
                }
                i += n;
                continue;
            }
            b'[' => brackets += 1,
            b']' => {
                brackets = brackets.saturating_sub(1);
                if b.get(i + 1) == Some(&b'(') {
                    parens += 1;
                    i += 1;
                }
            }
            b'(' if parens > 0 => parens += 1,
            b')' => parens = parens.saturating_sub(1),
            b'<' => angle = true,
            b'>' => angle = false,
            b' ' | b'\t' => {}
            _ if i > from && s.is_char_boundary(i) => {
                let neutral = open == [0; 3] && brackets == 0 && parens == 0 && !angle && !entity;
                let prev = s[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|p| p == ' ' || p == '\t' || p.is_alphanumeric());
                if neutral && prev && s[i..].chars().next().is_some_and(char::is_alphabetic) {
                    best = Some(i);
                }
            }
            _ => {}
        }
        i += if c == b'`' { code } else { 1 };
    }
    best
}
