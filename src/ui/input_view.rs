//! Draws the prompt editor (`state::input::Input`): its lines, the cursor as a reversed cell,
//! and a dim placeholder while it is empty; scrolled so the cursor stays in view. Looks as
//! tui-textarea drew it before the editor became praxis's own.

use crate::state::input::Input;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

fn width(c: char) -> usize {
    c.width().unwrap_or(0)
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
    let (row, col) = input.cursor();
    let (h, w) = (area.height as usize, area.width as usize);
    let top = (row + 1).saturating_sub(h);
    let cursor_x: usize = input.lines()[row].chars().take(col).map(width).sum();
    let left = (cursor_x + 1).saturating_sub(w);
    for (i, line) in input.lines().iter().skip(top).take(h).enumerate() {
        let y = area.y + i as u16;
        let mut x = 0usize;
        for c in line.chars() {
            let cw = width(c);
            if x >= left && x + cw <= left + w {
                let cell = &mut buf[(area.x + (x - left) as u16, y)];
                cell.set_char(c);
                if cw == 2 && x + 1 - left < w {
                    buf[(area.x + (x + 1 - left) as u16, y)].set_symbol("");
                }
            }
            x += cw;
            if x >= left + w {
                break;
            }
        }
        if top + i == row && cursor_x >= left {
            let cx = area.x + (cursor_x - left) as u16;
            if cx < area.x + area.width {
                buf[(cx, y)].set_style(cursor_style);
            }
        }
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
        i.set_text("abcdefghij");
        let buf = draw(&i, "p", 5, 1);
        assert_eq!(row(&buf, 0), "ghij ");
        assert_eq!(reversed(&buf), vec![(4, 0)]);
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
}
