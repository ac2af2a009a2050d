//! Display-width layout for the markdown renderer: greedy word wrapping of styled text under a
//! line prefix, hard wrapping of code lines, truncation with `…`, and box-drawn tables shrunk to
//! fit. Widths are terminal columns (unicode-width). Nothing here ever returns a line wider than
//! the width it was given; nothing here sanitizes (callers pass clean text without newlines or
//! tabs).

use pulldown_cmark::Alignment;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use std::borrow::Cow;
use unicode_width::UnicodeWidthStr;

/// A run of text in one style.
pub type Piece = (String, Style);

/// Display width of `s` in terminal columns.
pub fn str_width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        UnicodeWidthStr::width(s)
    }
}

/// Splits `s` into clusters: one visible char with the zero-width chars that follow it.
fn clusters(s: &str) -> impl Iterator<Item = (&str, usize)> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let mut it = rest.char_indices();
        let (_, first) = it.next()?;
        let mut end = first.len_utf8();
        for (i, c) in it {
            if unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) > 0 {
                break;
            }
            end = i + c.len_utf8();
        }
        let (head, tail) = rest.split_at(end);
        rest = tail;
        Some((head, str_width(head)))
    })
}

/// The columns `text` adds to a span that ends with `before` (ratatui measures a span whole):
/// its own width, or more when its first chars change how the last ones before it measure (a
/// VS16 makes an emoji of the char before it: `*` is 1 column, `\u{fe0f}` 0, `*\u{fe0f}` 2).
/// Never less than its own width: a sequence narrower than its parts is counted as before.
fn width_after(before: &str, text: &str) -> usize {
    let own = str_width(text);
    // Nothing measures differently for an ASCII char after it.
    if before.is_empty() || text.starts_with(|c: char| c.is_ascii()) {
        return own;
    }
    // How chars measure depends on their neighbours only within a sequence (an emoji, a
    // ligature): a few chars on each side decide it.
    let tail = &before[before.char_indices().rev().nth(15).map_or(0, |(i, _)| i)..];
    let head = &text[..text.char_indices().nth(16).map_or(text.len(), |(i, _)| i)];
    let joined = str_width(&format!("{tail}{head}"));
    own + joined.saturating_sub(str_width(tail) + str_width(head))
}

/// `pieces` with neighbours of one style merged, as they are drawn (one span, measured whole).
fn coalesce(pieces: &[Piece]) -> Cow<'_, [Piece]> {
    if !pieces.windows(2).any(|p| p[0].1 == p[1].1) {
        return Cow::Borrowed(pieces);
    }
    let mut out = Vec::with_capacity(pieces.len());
    for (s, st) in pieces {
        push_piece(&mut out, s, *st);
    }
    Cow::Owned(out)
}

fn push_piece(line: &mut Vec<Piece>, text: &str, style: Style) {
    match line.last_mut() {
        Some((s, st)) if *st == style => s.push_str(text),
        _ => line.push((text.to_string(), style)),
    }
}

/// Like [`push_piece`] for an owned piece (moved in when it cannot be merged).
fn append_piece(line: &mut Vec<Piece>, piece: Piece) {
    match line.last_mut() {
        Some((s, st)) if *st == piece.1 => s.push_str(&piece.0),
        _ => line.push(piece),
    }
}

fn to_line(prefix: &[Span<'static>], pieces: Vec<Piece>) -> Line<'static> {
    let mut spans = Vec::with_capacity(prefix.len() + pieces.len());
    spans.extend_from_slice(prefix);
    spans.extend(pieces.into_iter().map(|(s, st)| Span::styled(s, st)));
    Line::from(spans)
}

/// Truncates `prefix` so that at least one column is left for content (nothing at width 1).
pub fn fit_prefix(prefix: Vec<Span<'static>>, width: usize) -> (Vec<Span<'static>>, usize) {
    let max = width.saturating_sub(1);
    let total: usize = prefix.iter().map(|s| str_width(&s.content)).sum();
    if total <= max {
        return (prefix, total);
    }
    let mut out = Vec::new();
    let mut used = 0;
    for span in prefix {
        let mut text = String::new();
        for (c, w) in clusters(&span.content) {
            if used + w > max {
                break;
            }
            text.push_str(c);
            used += w;
        }
        if !text.is_empty() {
            out.push(Span::styled(text, span.style));
        }
    }
    (out, used)
}

/// Cuts `pieces` to at most `width` columns, ending with `…` when something was cut.
pub fn truncate(pieces: &[Piece], width: usize) -> (Vec<Piece>, usize) {
    let total: usize = pieces.iter().map(|(s, _)| str_width(s)).sum();
    if total <= width {
        return (pieces.to_vec(), total);
    }
    let mut out = Vec::new();
    let mut used = 0;
    let keep = width.saturating_sub(1);
    let mut last_style = pieces.first().map(|p| p.1).unwrap_or_default();
    'outer: for (s, st) in coalesce(pieces).iter() {
        last_style = *st;
        for (c, w) in clusters(s) {
            if used + w > keep {
                break 'outer;
            }
            push_piece(&mut out, c, *st);
            used += w;
        }
    }
    if width > 0 {
        push_piece(&mut out, "…", last_style);
        used += 1;
    }
    (out, used)
}

/// Greedy word wrapper: text goes in piece by piece, finished lines come out with their prefix
/// (`first` on the first line, `rest` after). Spaces at a break are dropped; a word wider than a
/// whole line is broken where the line is full.
#[derive(Clone, Debug)]
pub struct Wrapper {
    width: usize,
    first: Vec<Span<'static>>,
    rest: Vec<Span<'static>>,
    first_w: usize,
    rest_w: usize,
    on_first: bool,
    cur: Vec<Piece>,
    cur_w: usize,
    has_line: bool,
    word: Vec<Piece>,
    word_w: usize,
    space: Option<Piece>,
    space_w: usize,
}

impl Wrapper {
    pub fn new(width: usize, first: Vec<Span<'static>>, rest: Vec<Span<'static>>) -> Wrapper {
        let width = width.max(1);
        let (first, first_w) = fit_prefix(first, width);
        let (rest, rest_w) = fit_prefix(rest, width);
        Wrapper {
            width,
            first,
            rest,
            first_w,
            rest_w,
            on_first: true,
            cur: Vec::new(),
            cur_w: 0,
            has_line: false,
            word: Vec::new(),
            word_w: 0,
            space: None,
            space_w: 0,
        }
    }

    fn avail(&self) -> usize {
        self.width
            - if self.on_first {
                self.first_w
            } else {
                self.rest_w
            }
    }

    /// Adds text (no newlines) in `style`.
    pub fn push(&mut self, text: &str, style: Style, out: &mut Vec<Line<'static>>) {
        let mut rest = text;
        while !rest.is_empty() {
            let spaces = rest.len() - rest.trim_start_matches(' ').len();
            if spaces > 0 {
                self.flush_word(out);
                match &mut self.space {
                    Some((s, _)) => s.push_str(&rest[..spaces]),
                    None => self.space = Some((rest[..spaces].to_string(), style)),
                }
                self.space_w += spaces;
                rest = &rest[spaces..];
            } else {
                let n = rest.find(' ').unwrap_or(rest.len());
                // Merged into the word's last piece, it may widen the char that ends it.
                self.word_w += match self.word.last() {
                    Some((s, st)) if *st == style => width_after(s, &rest[..n]),
                    _ => str_width(&rest[..n]),
                };
                push_piece(&mut self.word, &rest[..n], style);
                rest = &rest[n..];
            }
        }
    }

    fn flush_word(&mut self, out: &mut Vec<Line<'static>>) {
        if self.word.is_empty() {
            return;
        }
        let avail = self.avail();
        let space = self.space.take();
        let space_w = std::mem::take(&mut self.space_w);
        if self.cur_w > 0 {
            if self.cur_w + space_w + self.word_w <= avail || self.word_w > avail {
                if self.cur_w + space_w < avail {
                    if let Some(space) = space {
                        append_piece(&mut self.cur, space);
                        self.cur_w += space_w;
                    }
                } else {
                    self.break_line(out);
                }
            } else {
                self.break_line(out);
            }
        }
        let word_w = std::mem::take(&mut self.word_w);
        self.has_line = true;
        if self.cur_w + word_w <= self.avail() {
            for piece in self.word.drain(..) {
                append_piece(&mut self.cur, piece);
            }
            self.cur_w += word_w;
            return;
        }
        let word = std::mem::take(&mut self.word);
        for (s, st) in &word {
            for (c, w) in clusters(s) {
                let avail = self.avail();
                if self.cur_w + w > avail && self.cur_w > 0 {
                    self.break_line(out);
                    self.has_line = true;
                }
                if w > self.avail() {
                    push_piece(&mut self.cur, "…", *st);
                    self.cur_w += 1;
                } else {
                    push_piece(&mut self.cur, c, *st);
                    self.cur_w += w;
                }
            }
        }
    }

    fn break_line(&mut self, out: &mut Vec<Line<'static>>) {
        let prefix = if self.on_first {
            &self.first
        } else {
            &self.rest
        };
        out.push(to_line(prefix, std::mem::take(&mut self.cur)));
        self.cur_w = 0;
        self.on_first = false;
        self.has_line = false;
    }

    /// Whether the text so far ends with a space (waiting to go before the next word).
    pub fn ends_with_space(&self) -> bool {
        self.word.is_empty() && self.space.is_some()
    }

    /// Ends the current line (a hard or soft break); an empty line is kept.
    pub fn newline(&mut self, out: &mut Vec<Line<'static>>) {
        self.flush_word(out);
        self.space = None;
        self.space_w = 0;
        self.break_line(out);
    }

    /// Emits what is left.
    pub fn finish(mut self, out: &mut Vec<Line<'static>>) {
        self.flush_word(out);
        if self.has_line {
            self.break_line(out);
        }
    }
}

/// Breaks styled text into lines of at most `width` columns, keeping every space (code).
pub fn hard_wrap(
    pieces: &[Piece],
    width: usize,
    first: &[Span<'static>],
    rest: &[Span<'static>],
    out: &mut Vec<Line<'static>>,
) {
    let width = width.max(1);
    let (first, first_w) = fit_prefix(first.to_vec(), width);
    let (rest, rest_w) = fit_prefix(rest.to_vec(), width);
    let mut on_first = true;
    let mut cur: Vec<Piece> = Vec::new();
    let mut cur_w = 0;
    for (s, st) in coalesce(pieces).iter() {
        let avail = width - if on_first { first_w } else { rest_w };
        let sw = str_width(s);
        if cur_w + sw <= avail {
            push_piece(&mut cur, s, *st);
            cur_w += sw;
            continue;
        }
        for (c, w) in clusters(s) {
            let avail = width - if on_first { first_w } else { rest_w };
            if cur_w + w > avail && cur_w > 0 {
                out.push(to_line(
                    if on_first { &first } else { &rest },
                    std::mem::take(&mut cur),
                ));
                on_first = false;
                cur_w = 0;
            }
            let avail = width - if on_first { first_w } else { rest_w };
            let (c, w) = if w > avail { ("…", 1) } else { (c, w) };
            push_piece(&mut cur, c, *st);
            cur_w += w;
        }
    }
    out.push(to_line(if on_first { &first } else { &rest }, cur));
}

/// A table's content: rows of cells of pieces; the first `header_rows` rows are the head.
#[derive(Clone, Default, Debug)]
pub struct TableData {
    pub aligns: Vec<Alignment>,
    pub rows: Vec<Vec<Vec<Piece>>>,
    pub header_rows: usize,
}

/// Column widths: natural ones when they fit in `target`, else the widest shrunk first.
fn shrink(natural: &[usize], target: usize) -> Vec<usize> {
    if natural.iter().sum::<usize>() <= target {
        return natural.to_vec();
    }
    let capped = |c: usize| natural.iter().map(|&w| w.min(c)).sum::<usize>();
    let (mut lo, mut hi) = (1, natural.iter().copied().max().unwrap_or(1));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if capped(mid) <= target {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut widths: Vec<usize> = natural.iter().map(|&w| w.min(lo)).collect();
    let mut left = target.saturating_sub(widths.iter().sum());
    for (w, &n) in widths.iter_mut().zip(natural) {
        if left > 0 && n > *w {
            *w += 1;
            left -= 1;
        }
    }
    widths
}

fn border_line(l: &str, mid: &str, r: &str, widths: &[usize], pad: usize) -> String {
    let mut s = String::from(l);
    for (i, w) in widths.iter().enumerate() {
        if i > 0 {
            s.push_str(mid);
        }
        s.push_str(&"─".repeat(w + 2 * pad));
    }
    s.push_str(r);
    s
}

/// Lays out a table with box-drawing borders in at most `width` columns.
pub fn table(
    t: &TableData,
    width: usize,
    border: Style,
    first: &[Span<'static>],
    rest: &[Span<'static>],
    out: &mut Vec<Line<'static>>,
) {
    let width = width.max(1);
    let (first, first_w) = fit_prefix(first.to_vec(), width);
    let (rest, rest_w) = fit_prefix(rest.to_vec(), width);
    let avail = width - first_w.max(rest_w);
    let n = t.rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let mut natural = vec![1usize; n];
    for row in &t.rows {
        for (i, cell) in row.iter().enumerate() {
            natural[i] = natural[i].max(cell.iter().map(|(s, _)| str_width(s)).sum());
        }
    }
    let pad = if avail > 4 * n { 1 } else { 0 };
    let frame = (2 * pad + 1) * n + 1;
    let mut lines: Vec<Vec<Piece>> = Vec::new();
    if avail < frame + n {
        // Too narrow for a grid: one line per row, cells separated by bars.
        for row in &t.rows {
            let mut pieces: Vec<Piece> = Vec::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    pieces.push(("│".into(), border));
                }
                pieces.extend(cell.iter().cloned());
            }
            lines.push(truncate(&pieces, avail).0);
        }
    } else {
        let widths = shrink(&natural, avail - frame);
        let bar = || ("│".to_string(), border);
        let padding = " ".repeat(pad);
        lines.push(vec![(border_line("┌", "┬", "┐", &widths, pad), border)]);
        for (r, row) in t.rows.iter().enumerate() {
            if r == t.header_rows && r > 0 {
                lines.push(vec![(border_line("├", "┼", "┤", &widths, pad), border)]);
            }
            let mut pieces = vec![bar()];
            for (i, &w) in widths.iter().enumerate() {
                let (mut cell, cw) = truncate(row.get(i).map(Vec::as_slice).unwrap_or(&[]), w);
                if r < t.header_rows {
                    for p in &mut cell {
                        p.1 = p.1.add_modifier(Modifier::BOLD);
                    }
                }
                let gap = w - cw;
                let left = match t.aligns.get(i) {
                    Some(Alignment::Right) => gap,
                    Some(Alignment::Center) => gap / 2,
                    _ => 0,
                };
                let lead = format!("{padding}{}", " ".repeat(left));
                let trail = format!("{}{padding}", " ".repeat(gap - left));
                pieces.push((lead, Style::default()));
                pieces.extend(cell);
                pieces.push((trail, Style::default()));
                pieces.push(bar());
            }
            pieces.retain(|(s, _)| !s.is_empty());
            lines.push(pieces);
        }
        lines.push(vec![(border_line("└", "┴", "┘", &widths, pad), border)]);
    }
    for (i, pieces) in lines.into_iter().enumerate() {
        out.push(to_line(if i == 0 { &first } else { &rest }, pieces));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Each line's text, styles aside.
    pub(crate) fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wraps_words_and_breaks_long_ones() {
        let mut out = Vec::new();
        let mut w = Wrapper::new(10, vec![Span::raw("• ")], vec![Span::raw("  ")]);
        w.push(
            "hello wide world abcdefghijklmnop",
            Style::default(),
            &mut out,
        );
        w.finish(&mut out);
        assert_eq!(
            text(&out),
            ["• hello", "  wide", "  world ab", "  cdefghij", "  klmnop"]
        );
        assert!(out.iter().all(|l| l.width() <= 10));
    }

    #[test]
    fn wide_chars_never_overflow() {
        for width in 1..6 {
            let mut out = Vec::new();
            let mut w = Wrapper::new(width, vec![Span::raw("▌ ")], vec![Span::raw("▌ ")]);
            w.push("日本語のテキスト ok", Style::default(), &mut out);
            w.finish(&mut out);
            assert!(
                out.iter().all(|l| l.width() <= width),
                "{width}: {:?}",
                text(&out)
            );
        }
    }

    #[test]
    fn a_variation_selector_in_a_piece_of_its_own_widens_the_char_before_it() {
        // Measured apart, `*` and `\u{fe0f}` are 1 and 0 columns; merged into one span they are
        // an emoji of 2: the word, the code line and the cut cell were a column too wide.
        let st = Style::default();
        let piece = |s: &str| (s.to_string(), st);
        for width in 1..5 {
            let mut out = Vec::new();
            let mut w = Wrapper::new(width, vec![], vec![]);
            w.push("*", st, &mut out);
            w.push("\u{fe0f}", st, &mut out);
            w.finish(&mut out);
            hard_wrap(&[piece("a*"), piece("\u{fe0f}")], width, &[], &[], &mut out);
            let cell = [piece("a*"), piece("\u{fe0f}bcd")];
            out.push(to_line(&[], truncate(&cell, width).0));
            assert!(
                out.iter().all(|l| l.width() <= width),
                "{width}: {:?}",
                text(&out)
            );
        }
        let mut out = Vec::new();
        hard_wrap(&[piece("a*"), piece("\u{fe0f}")], 2, &[], &[], &mut out);
        assert_eq!(text(&out), ["a", "*\u{fe0f}"]);
    }

    #[test]
    fn tables_shrink_and_truncate() {
        let cell = |s: &str| vec![(s.to_string(), Style::default())];
        let t = TableData {
            aligns: vec![Alignment::Left, Alignment::Right],
            rows: vec![
                vec![cell("name"), cell("value")],
                vec![cell("a long cell text"), cell("1")],
            ],
            header_rows: 1,
        };
        for width in [1, 5, 12, 20, 40] {
            let mut out = Vec::new();
            table(&t, width, Style::default(), &[], &[], &mut out);
            assert!(
                out.iter().all(|l| l.width() <= width),
                "{width}: {:?}",
                text(&out)
            );
        }
        let mut out = Vec::new();
        table(&t, 20, Style::default(), &[], &[], &mut out);
        assert_eq!(text(&out)[3], "│ a long … │     1 │");
    }
}
