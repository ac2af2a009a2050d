//! Draws the prompt editor (`state::input::Input`): its lines soft-wrapped to the width
//! ([`crate::state::input_wrap`]: at the last space that fits, else anywhere), the cursor as a reversed cell, and a dim
//! placeholder while it is empty; scrolled so the cursor's row stays in view. [`height`] tells
//! the layout how many rows the input takes, so the box grows with the prompt.

use crate::state::input::Input;
use crate::state::input_wrap::{cursor_at, rows};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

fn width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// How many rows `input` takes at width `w` (what the layout gives the input box).
pub fn height(input: &Input, w: usize) -> usize {
    if w == 0 {
        return 1;
    }
    let rows = rows(input, w);
    rows.len().max(cursor_at(input, &rows, w).0 + 1)
}

/// Draws `input` into `area`; `placeholder` is shown while the input is empty.
pub fn render(input: &Input, placeholder: &str, area: Rect, buf: &mut Buffer) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let cursor_style = Style::default().add_modifier(Modifier::REVERSED);
    if input.is_empty() && !placeholder.is_empty() {
        buf.set_style(area, Style::default().fg(Color::DarkGray));
        let line = Line::from(vec![
            Span::styled(" ", cursor_style),
            Span::raw(placeholder.to_string()),
        ]);
        buf.set_line(area.x, area.y, &line, area.width);
        return;
    }
    let (h, w) = (area.height as usize, area.width as usize);
    let rows = rows(input, w);
    let (cursor_row, cursor_x) = cursor_at(input, &rows, w);
    let top = (cursor_row + 1).saturating_sub(h);
    for (i, r) in rows.iter().enumerate().skip(top).take(h) {
        let y = area.y + (i - top) as u16;
        let mut x = 0usize;
        for c in input.lines()[r.line]
            .chars()
            .skip(r.start)
            .take(r.end - r.start)
        {
            let cw = width(c);
            if x + cw > w {
                break;
            }
            buf[(area.x + x as u16, y)].set_char(c);
            if cw == 2 {
                buf[(area.x + x as u16 + 1, y)].set_symbol("");
            }
            x += cw;
        }
    }
    if cursor_row >= top && cursor_row < top + h {
        let (cx, cy) = (area.x + cursor_x as u16, area.y + (cursor_row - top) as u16);
        buf[(cx, cy)].set_style(cursor_style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Key, KeyCode};

    fn draw(input: &Input, placeholder: &str, w: u16, h: u16) -> Buffer {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        render(input, placeholder, area, &mut buf);
        buf
    }

    fn row(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
    }

    fn reversed(buf: &Buffer) -> Vec<(u16, u16)> {
        let mut out = Vec::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                if buf[(x, y)].modifier.contains(Modifier::REVERSED) {
                    out.push((x, y));
                }
            }
        }
        out
    }

    #[test]
    fn the_placeholder_shows_with_the_cursor_before_it() {
        let buf = draw(&Input::new(), "Type a prompt", 20, 2);
        assert_eq!(row(&buf, 0), " Type a prompt      ");
        assert_eq!(reversed(&buf), vec![(0, 0)]);
        assert_eq!(buf[(3, 0)].fg, Color::DarkGray);
    }

    #[test]
    fn text_and_cursor_are_drawn_and_scroll_to_the_cursor() {
        let mut i = Input::new();
        i.set_text("one\ntwo\nthree");
        let buf = draw(&i, "p", 8, 2);
        assert_eq!(row(&buf, 0), "two     ");
        assert_eq!(row(&buf, 1), "three   ");
        assert_eq!(reversed(&buf), vec![(5, 1)], "after the last char");
        // A line longer than the width wraps (it scrolled sideways before issue 16).
        i.set_text("abcdefghij");
        let buf = draw(&i, "p", 5, 1);
        assert_eq!(
            row(&buf, 0),
            "     ",
            "the cursor's own row, after a full one"
        );
        assert_eq!(reversed(&buf), vec![(0, 0)]);
        i.handle(Key::plain(KeyCode::Home));
        let buf = draw(&i, "p", 5, 1);
        assert_eq!(row(&buf, 0), "abcde");
        assert_eq!(reversed(&buf), vec![(0, 0)]);
    }

    #[test]
    fn wide_characters_put_the_cursor_in_the_right_cell() {
        let mut i = Input::new();
        i.set_text("日本x");
        i.handle(Key::plain(KeyCode::Left));
        let buf = draw(&i, "p", 10, 1);
        assert_eq!(row(&buf, 0), "日本x     ");
        assert_eq!(
            reversed(&buf),
            vec![(4, 0)],
            "on the x, after two wide chars"
        );
    }

    #[test]
    fn long_prompts_wrap_at_spaces_and_the_box_grows() {
        let mut i = Input::new();
        i.set_text("the quick brown fox jumps over the lazy dog");
        // Four rows of text, the last one full: the cursor after it gets a row of its own.
        assert_eq!(height(&i, 12), 5);
        let buf = draw(&i, "p", 12, 5);
        let shown: Vec<String> = (0..5).map(|y| row(&buf, y)).collect();
        assert_eq!(
            shown,
            [
                "the quick   ",
                "brown fox   ",
                "jumps over  ",
                "the lazy dog",
                "            "
            ]
        );
        assert_eq!(reversed(&buf), vec![(0, 4)]);
        i.set_text("the quick brown fox jumps over the lazy do");
        let buf = draw(&i, "p", 12, 4);
        assert_eq!(reversed(&buf), vec![(11, 3)], "after `do`");
        // Taller than the box: the cursor's row stays in view.
        let buf = draw(&i, "p", 12, 2);
        assert_eq!(row(&buf, 1), "the lazy do ");
        i.handle(Key::plain(KeyCode::Home));
        let buf = draw(&i, "p", 12, 2);
        assert_eq!(row(&buf, 0), "the quick   ");
        assert_eq!(reversed(&buf), vec![(0, 0)]);
    }

    #[test]
    fn a_word_longer_than_the_width_and_wide_chars_break_anywhere() {
        let mut i = Input::new();
        i.set_text("日本語の文章");
        assert_eq!(height(&i, 5), 3);
        let buf = draw(&i, "p", 5, 3);
        assert_eq!(row(&buf, 0), "日本 ");
        assert_eq!(row(&buf, 1), "語の ");
        assert_eq!(row(&buf, 2), "文章 ");
        i.set_text("abcdefghijkl");
        assert_eq!(height(&i, 5), 3);
        let buf = draw(&i, "p", 5, 3);
        assert_eq!(row(&buf, 2), "kl   ");
        assert_eq!(reversed(&buf), vec![(2, 2)]);
    }
}
