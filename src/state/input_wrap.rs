//! The prompt soft-wrapped to a width, for drawing it and for moving through it: each line
//! wrapped after the last space that fits, or anywhere in a word longer than the width; where
//! the cursor is among the rows; and Up/Down by row as the user sees them.

use super::input::Input;
use unicode_width::UnicodeWidthChar;

fn width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// A row on screen: chars `start..end` of logical line `line`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

/// The rows of `input` at width `w`.
pub fn rows(input: &Input, w: usize) -> Vec<Row> {
    let mut out = Vec::new();
    for (line, text) in input.lines().iter().enumerate() {
        let chars: Vec<char> = text.chars().collect();
        let (mut start, mut x, mut after_space) = (0, 0, None);
        for (i, &c) in chars.iter().enumerate() {
            let cw = width(c);
            if x + cw > w && i > start {
                let cut = after_space.filter(|&a| a > start).unwrap_or(i);
                out.push(Row {
                    line,
                    start,
                    end: cut,
                });
                start = cut;
                x = chars[cut..i].iter().map(|&c| width(c)).sum();
                after_space = None;
            }
            x += cw;
            if c == ' ' {
                after_space = Some(i + 1);
            }
        }
        out.push(Row {
            line,
            start,
            end: chars.len(),
        });
    }
    out
}

/// The row and column of the cursor among `rows` (a cursor after a full last row goes to
/// the start of a row of its own, one past the rows).
pub fn cursor_at(input: &Input, rows: &[Row], w: usize) -> (usize, usize) {
    let (line, col) = input.cursor();
    let text = &input.lines()[line];
    for (i, r) in rows.iter().enumerate() {
        let last_of_line = rows.get(i + 1).is_none_or(|n| n.line != line);
        if r.line == line && col >= r.start && (col < r.end || last_of_line) {
            let x: usize = text
                .chars()
                .skip(r.start)
                .take(col - r.start)
                .map(width)
                .sum();
            return if x >= w { (i + 1, 0) } else { (i, x) };
        }
    }
    (0, 0)
}

/// Where Up (`up`) or Down takes the cursor at width `w`: the row above or below as drawn,
/// at the same column where it can; `None` on the first (last) row, where Up (Down) walks the
/// prompt history instead.
pub fn vertical(input: &Input, w: usize, up: bool) -> Option<(usize, usize)> {
    if w == 0 {
        return None;
    }
    let rows = rows(input, w);
    let (at, x) = cursor_at(input, &rows, w);
    let at = at.min(rows.len() - 1);
    let target = if up {
        at.checked_sub(1)?
    } else {
        Some(at + 1).filter(|&t| t < rows.len())?
    };
    let r = rows[target];
    let text = &input.lines()[r.line];
    let last_of_line = rows.get(target + 1).is_none_or(|n| n.line != r.line);
    // The char at display column `x` of the row (its end on a shorter row; a wrapped row
    // ends before its last char, which starts the next row).
    let (mut col, mut used) = (r.start, 0);
    for c in text.chars().skip(r.start).take(r.end - r.start) {
        if used + width(c) > x {
            break;
        }
        used += width(c);
        col += 1;
    }
    if !last_of_line && col >= r.end {
        col = r.end.saturating_sub(1).max(r.start);
    }
    Some((r.line, col))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Key, KeyCode};

    fn typed(text: &str) -> Input {
        let mut i = Input::default();
        for c in text.chars() {
            i.handle(Key::plain(KeyCode::Char(c)));
        }
        i
    }

    #[test]
    fn up_and_down_move_by_the_rows_as_drawn_and_stop_at_the_edges() {
        // Width 10: "aaaa bbbb " | "cccc dddd " | "ee"
        let mut i = typed("aaaa bbbb cccc dddd ee");
        assert_eq!(i.cursor(), (0, 22));
        assert_eq!(vertical(&i, 10, true), Some((0, 12)));
        i.move_to(0, 12);
        assert_eq!(vertical(&i, 10, true), Some((0, 2)));
        assert_eq!(
            vertical(&i, 10, false),
            Some((0, 22)),
            "the short last row: its end"
        );
        i.move_to(0, 2);
        assert_eq!(vertical(&i, 10, true), None, "the first row: history");
        i.move_to(0, 22);
        assert_eq!(vertical(&i, 10, false), None, "the last row: history");
        // From a long row to a short one: its end.
        i.move_to(0, 18);
        assert_eq!(vertical(&i, 10, false), Some((0, 22)));
        // Across logical lines.
        let mut i = typed("one");
        i.handle(Key::plain(KeyCode::Enter));
        for c in "second line".chars() {
            i.handle(Key::plain(KeyCode::Char(c)));
        }
        assert_eq!(vertical(&i, 40, true), Some((0, 3)));
        assert_eq!(vertical(&i, 0, true), None);
    }
}
