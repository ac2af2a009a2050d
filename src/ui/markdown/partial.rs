//! Resuming a half-rendered block: a growing line of a streamed answer is drawn by continuing
//! a snapshot of the walk taken at a safe cut (where no inline markup is open), so each chunk
//! costs the text after the cut, not the whole block. It owns the choice of cut points; it
//! never decides what is final (the finished block is always rendered whole).

use super::walk::{WalkState, Walker};
use super::{parser, BlockCtx};
use crate::sanitize::sanitize;
use crate::ui::wrap::{str_width, Wrapper};
use pulldown_cmark::{Event, Tag, TagEnd};
use ratatui::text::Line;

/// A block rendered up to a point inside a paragraph's text, to be continued with more inline
/// text: how a growing line is drawn without parsing its whole block again on every chunk.
#[derive(Clone)]
pub(crate) struct Partial {
    pub(super) st: WalkState,
    /// The ends of the elements still open at the cut (paragraph, item, list...).
    pub(super) closers: Vec<TagEnd>,
}

/// True for the chars that may open an escape sequence (ESC and the C1 controls): after one,
/// the text up to a cut cannot be sanitized apart from the text after it.
fn opens_sequence(c: char) -> bool {
    c == '\x1b' || ('\u{80}'..='\u{9f}').contains(&c)
}

/// Renders `src` (a block's source cut where inline markup is balanced, see [`safe_cut`]),
/// appending the lines that are complete; None when the cut is not inside inline markdown text
/// (an HTML block's text is raw), after a link reference definition or an unmatched delimiter,
/// or when an escape sequence may be open at the cut (the caller then discards what was
/// appended).
pub(crate) fn render_partial(
    src: &str,
    cx: &BlockCtx<'_>,
    out: &mut Vec<Line<'static>>,
) -> Option<Partial> {
    if src.chars().any(opens_sequence) {
        return None;
    }
    let clean = sanitize(src);
    let mut parsed = parser(&clean);
    let events: Vec<Event<'_>> = parsed.by_ref().collect();
    // After a link reference definition the lines that follow may still be its title.
    if parsed.reference_definitions().iter().next().is_some() {
        return None;
    }
    // The ends after the last text close blocks, and inline markup that closed before the cut
    // (its trailing spaces were trimmed): only the block ends wait for the rest of the text.
    let cut = events
        .iter()
        .rposition(|e| !matches!(e, Event::End(tag) if !is_inline(*tag)))?
        + 1;
    let mut closers = Vec::with_capacity(events.len() - cut);
    let mut w = Walker::new(cx, out);
    for (i, ev) in events.into_iter().enumerate() {
        match ev {
            Event::End(tag) if i >= cut => closers.push(tag),
            // An earlier line left a delimiter unmatched: text after the cut may match it.
            Event::Text(t) if may_open(&t) => return None,
            ev => {
                if !w.event(ev) {
                    return None;
                }
            }
        }
    }
    let st = w.st;
    let inline = st.wrap.is_some() || st.para_style.is_some();
    // Text goes on as markdown only in a paragraph, a heading or a tight item (not in raw HTML).
    let text_block = matches!(
        closers.first(),
        Some(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item)
    );
    (inline && text_block && st.code.is_none() && st.table.is_none())
        .then_some(Partial { st, closers })
}

/// Whether literal text holds a delimiter that later text could still match: an emphasis
/// run, a code span's backticks, a link's `[`, a tag's `<` (the current line's are tracked by
/// [`safe_cut`]; this is for the earlier lines of the paragraph).
pub(super) fn may_open(text: &str) -> bool {
    let mut prev = ' ';
    for c in text.chars() {
        match c {
            '*' | '~' | '`' | '[' | '<' => return true,
            '_' if !prev.is_alphanumeric() => return true,
            _ => {}
        }
        prev = c;
    }
    false
}

fn is_inline(tag: TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// Text with nothing inline markdown could act on.
fn is_plain(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() || "*_~`[]<>!&\\|".contains(c))
}

impl Partial {
    /// Continues with `gap` (the whitespace before the cut) and `text` (inline markdown of
    /// one line, starting at a cut). False when `text` is not just inline content (a `]:` may
    /// end the label of a link reference definition begun before the cut).
    pub(crate) fn feed(
        &mut self,
        gap: &str,
        text: &str,
        cx: &BlockCtx<'_>,
        out: &mut Vec<Line<'static>>,
    ) -> bool {
        if text.contains("]:") {
            return false;
        }
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
            w.text(text.trim_end_matches([' ', '\t']), w.cur_style());
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
        w.push(text.trim_end_matches([' ', '\t']), style, out);
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

/// Whether the width of the text around `i` is the sum of the widths on each side, as the
/// wrapper counts it when a word arrives in two pieces: unicode-width measures some sequences
/// (lam-alef and other ligatures) narrower than their chars.
fn widths_add_up(s: &str, i: usize) -> bool {
    let b = s.as_bytes();
    if b[i - 1].is_ascii() && b[i].is_ascii() {
        return true;
    }
    let from = s[..i].char_indices().rev().nth(3).map_or(0, |(j, _)| j);
    let to = s[i..].char_indices().nth(4).map_or(s.len(), |(j, _)| i + j);
    str_width(&s[from..i]) + str_width(&s[i..to]) == str_width(&s[from..to])
}

/// Whether a line's text before a cut (past its markers) reads the same whatever follows it on
/// the line: not when it reads as a setext underline (alone, `=` or `--` make a heading of the
/// paragraph above; `= b` is paragraph text), nor when it ends with what reads as the closing
/// `#`s of an ATX heading (dropped in `# a #`, text in `# a # b`).
fn settled(before: &str) -> bool {
    let t = before.trim_end_matches([' ', '\t']);
    let open = t.trim_end_matches('#');
    let closing = open.len() < t.len() && (open.is_empty() || open.ends_with([' ', '\t']));
    !closing && !t.bytes().all(|c| matches!(c, b'=' | b'-' | b' ' | b'\t'))
}

/// The last offset in `s` (past the line's markers) where a letter follows whitespace or another
/// letter or digit and no inline markup (emphasis, code span, link, autolink) is open: inline
/// parsing can stop there and resume with [`Partial::feed`]. Both sides of such a cut are plain
/// text, so no delimiter's flanking can depend on the other side.
///
/// Only the text before the first control character (tabs aside) is looked at: past it the raw
/// text is not what is parsed (sanitizing removes controls and whole escape sequences), and a
/// cut inside a sequence would show the rest of it as text. A line with `]:` has no cut: it may
/// be a link reference definition (whose label may have begun on an earlier line).
pub(crate) fn safe_cut(s: &str) -> Option<usize> {
    if s.contains("]:") {
        return None;
    }
    let s = &s[..s
        .find(|c: char| c.is_control() && c != '\t')
        .unwrap_or(s.len())];
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
                if neutral
                    && prev
                    && s[i..].chars().next().is_some_and(char::is_alphabetic)
                    && widths_add_up(s, i)
                    && settled(&s[from..i])
                {
                    best = Some(i);
                }
            }
            _ => {}
        }
        i += if c == b'`' { code } else { 1 };
    }
    best
}

#[cfg(test)]
mod tests {
    use super::super::tests::{hl, styles};
    use super::super::{render_block, MdStyles};
    use super::*;

    fn ctx(styles: &MdStyles, width: usize) -> BlockCtx<'_> {
        BlockCtx {
            width,
            styles,
            hl: hl(),
            theme: "base16-ocean.dark",
            open: true,
            list_start: None,
            defer: false,
        }
    }

    /// Rendering `src` cut at its last line's safe cut and resumed (by `preview`, and by `feed`
    /// then `finish`) draws what rendering it whole does, styles included.
    fn resumes_like_whole(src: &str, cx: &BlockCtx<'_>) {
        let line = src.rfind('\n').map_or(0, |i| i + 1);
        let cut = line + safe_cut(&src[line..]).expect("a cut");
        let gap = &src[src[..cut].trim_end_matches([' ', '\t']).len()..cut];
        let mut want = Vec::new();
        render_block(src, cx, &mut want);
        let mut head = Vec::new();
        let partial = render_partial(&src[..cut], cx, &mut head).expect("a partial walk");
        let mut got = head.clone();
        assert!(partial.preview(gap, &src[cut..], &mut got), "{src:?}");
        assert_eq!(got, want, "preview of {src:?} at {}", cx.width);
        let (mut got, mut fed) = (head, partial);
        assert!(fed.feed(gap, &src[cut..], cx, &mut got), "{src:?}");
        fed.finish(cx, &mut got);
        assert_eq!(got, want, "feed of {src:?} at {}", cx.width);
    }

    #[test]
    fn no_cut_past_a_control_char_nor_a_partial_walk_after_an_escape() {
        // A cut in the OSC payload (at `b`) showed `b` while streaming.
        assert_eq!(safe_cut("word \x1b]0;ab"), Some(3));
        assert_eq!(safe_cut("x \u{9b}1mbold"), None);
        assert_eq!(safe_cut("two words\x07 more"), Some(8));
        assert_eq!(safe_cut("tab\tsep words"), Some(12));
        let styles = styles();
        let cx = ctx(&styles, 40);
        let mut out = Vec::new();
        assert!(render_partial("plain words", &cx, &mut out).is_some());
        for src in [
            "a \x1b]0;t\nnext wo",
            "a \x1b[1mb\x1b[0m wo",
            "a \u{9d}0;t\u{9c} wo",
        ] {
            assert!(render_partial(src, &cx, &mut out).is_none(), "{src:?}");
        }
    }

    #[test]
    fn resumed_text_keeps_trailing_unicode_whitespace() {
        // Markdown trims only spaces and tabs at the end of a paragraph; `trim_end` also took
        // U+2028 and NBSP away while streaming.
        let styles = styles();
        for src in ["word\u{2028}", "word\u{a0}  "] {
            resumes_like_whole(src, &ctx(&styles, 40));
        }
    }

    #[test]
    fn no_cut_inside_a_sequence_narrower_than_its_chars() {
        // Cut between lam and alef, the word was counted 7 columns wide (not 6) and broken.
        assert_eq!(str_width("xaaaaلا"), 6);
        assert_eq!(safe_cut("xaaaaلا"), Some(5));
        assert_eq!(safe_cut("日本語"), Some(6));
        let styles = styles();
        resumes_like_whole("xaaaaلا", &ctx(&styles, 6));
    }

    #[test]
    fn no_cut_after_line_text_that_the_rest_of_the_line_may_change() {
        // Streamed as `a\n= b` then ` c`, the cut before `b` walked `a\n= ` as a heading and `b c`
        // was fed into it; whole, `= b c` is paragraph text. Same for `--`, and `# a # ` drops
        // the `#` that `# a # b` keeps.
        for line in ["= b", "-- b", "  == b", "# a # b", "# a ## b"] {
            assert_eq!(safe_cut(line), None, "{line:?}");
        }
        assert_eq!(safe_cut("= b c"), Some(4));
        assert_eq!(safe_cut("# a #b c"), Some(7));
        let styles = styles();
        for src in ["a\n= b c", "a\n-- b c", "- x\n  = b c", "# a # b c"] {
            resumes_like_whole(src, &ctx(&styles, 40));
        }
    }

    #[test]
    fn no_partial_walk_in_raw_html() {
        // The rest of an HTML block's line was parsed as markdown: `*em*` drawn italic.
        let styles = styles();
        let cx = ctx(&styles, 40);
        let mut out = Vec::new();
        for src in ["<div>\naa *em* h", "- item\n<div>\n*em* h"] {
            let cut = safe_cut(&src[src.rfind('\n').unwrap() + 1..]).expect("a cut");
            let src = &src[..src.rfind('\n').unwrap() + 1 + cut];
            assert!(render_partial(src, &cx, &mut out).is_none(), "{src:?}");
        }
        for src in ["Sub *em* heading", "- tight item words", "> quoted words"] {
            resumes_like_whole(src, &cx);
        }
    }

    #[test]
    fn no_partial_walk_in_or_after_a_link_reference_definition() {
        // `[ref]: ` cut before `h` drew `[ref]: h` as text; whole, it is a definition.
        assert_eq!(safe_cut("[ref]: http://x"), None);
        assert_eq!(safe_cut("label]: http://x"), None);
        assert_eq!(safe_cut("[a](u) then [b]: c"), None);
        assert_eq!(safe_cut("[a](u) then words"), Some(16));
        let styles = styles();
        let cx = ctx(&styles, 40);
        let mut out = Vec::new();
        // The next line may be the definition's title.
        assert!(render_partial("[ref]: http://x\n\"ti", &cx, &mut out).is_none());
        // A label begun on an earlier line may end after the cut.
        let mut p = render_partial("line la", &cx, &mut out).expect("a partial walk");
        assert!(!p.feed("", "bel]: http://x", &cx, &mut out));
        resumes_like_whole("[a](u) then words", &cx);
    }

    #[test]
    fn no_partial_walk_after_a_delimiter_a_later_line_may_close() {
        // `**` left open on the first line was drawn literally, and the closing `**` after the
        // cut too; whole, the two lines are strong.
        let styles = styles();
        let cx = ctx(&styles, 40);
        let mut out = Vec::new();
        for src in [
            "**word\nmore wo",
            "a `b\nmore wo",
            "a [b\nc wo",
            "_x\nmore wo",
        ] {
            assert!(render_partial(src, &cx, &mut out).is_none(), "{src:?}");
        }
        for src in ["snake_case\nmore words", "**b** c\nmore words"] {
            resumes_like_whole(src, &cx);
        }
    }

    #[test]
    fn inline_markup_closed_before_the_cut_is_not_reopened_after_it() {
        // The trimmed space left the emphasis end last: it was kept as a closer, so the text
        // after the cut was drawn italic (bold, link-styled).
        let styles = styles();
        for width in [1, 40] {
            for src in [
                "Sub *em* heading",
                "## Sub *em* heading",
                "- a **b** c",
                "see [a](http://u) now",
            ] {
                resumes_like_whole(src, &ctx(&styles, width));
            }
        }
    }
}
