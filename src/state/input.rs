//! The prompt editor as pure state: lines of text, a cursor (row, column in chars), undo and
//! redo, and a yank buffer, driven by praxis [`Key`]s. No terminal types: `ui::input_view`
//! draws it (with a placeholder built from the keymap while it is empty).
//!
//! The editing keys are the ones tui-textarea's default bindings offered (which praxis used
//! before), so nothing changes for the hands: characters; Backspace / Ctrl+H; Delete /
//! Ctrl+D; Ctrl+K (to line end) and Ctrl+J (to line start) delete; Alt+Backspace / Alt+H and
//! Ctrl+W delete a word back, Alt+D / Alt+Delete a word forward; arrows and Ctrl+F/B/N/P move;
//! Home / End / Ctrl+A / Ctrl+E; Alt+F / Alt+B / Ctrl+Right / Ctrl+Left by word; Ctrl+Up /
//! Ctrl+Down / Alt+[ / Alt+] / Alt+P / Alt+N by paragraph; Alt+< / Alt+> to the top and
//! bottom; Ctrl+U undo, Ctrl+R redo, Ctrl+Y pastes what was last deleted; Tab inserts spaces to
//! the next multiple of 4. (Keys the keymap binds, like Enter or Ctrl+W in the chat, never
//! reach the editor.) Selection with Shift is not offered: Shift+arrows just move.

use crate::key::{Key, KeyCode, Modifiers};

/// How many edits undo remembers.
const UNDO_LIMIT: usize = 100;

/// Spaces a Tab inserts up to.
const TAB_LEN: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    lines: Vec<String>,
    row: usize,
    col: usize,
    undo: Vec<(Vec<String>, usize, usize)>,
    redo: Vec<(Vec<String>, usize, usize)>,
    yank: String,
}

impl Default for Input {
    fn default() -> Self {
        Input::new()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Space,
    Punct,
    Other,
}

fn kind(c: char) -> Kind {
    if c.is_whitespace() {
        Kind::Space
    } else if c.is_ascii_punctuation() {
        Kind::Punct
    } else {
        Kind::Other
    }
}

/// Where the next word starts after `col`.
fn word_start_forward(line: &str, col: usize) -> Option<usize> {
    let mut it = line.chars().enumerate().skip(col);
    let mut prev = kind(it.next()?.1);
    for (i, c) in it {
        let cur = kind(c);
        if cur != Kind::Space && prev != cur {
            return Some(i);
        }
        prev = cur;
    }
    None
}

/// Where the word ending at or after `col` ends (exclusive).
fn word_end_forward(line: &str, col: usize) -> Option<usize> {
    let mut it = line.chars().enumerate().skip(col);
    let mut prev = kind(it.next()?.1);
    for (i, c) in it {
        let cur = kind(c);
        if prev != Kind::Space && prev != cur {
            return Some(i);
        }
        prev = cur;
    }
    None
}

/// Where the word before `col` starts.
fn word_start_backward(line: &str, col: usize) -> Option<usize> {
    let chars: Vec<char> = line.chars().take(col).collect();
    let mut it = chars.iter().rev().enumerate();
    let mut cur = kind(*it.next()?.1);
    for (i, c) in it {
        let next = kind(*c);
        if cur != Kind::Space && next != cur {
            return Some(col - i);
        }
        cur = next;
    }
    (cur != Kind::Space).then_some(0)
}

/// The byte index of char column `col` in `s`.
fn byte_at(s: &str, col: usize) -> usize {
    s.char_indices().nth(col).map_or(s.len(), |(i, _)| i)
}

fn len(s: &str) -> usize {
    s.chars().count()
}

impl Input {
    /// One empty line.
    pub fn new() -> Input {
        Input {
            lines: vec![String::new()],
            row: 0,
            col: 0,
            undo: Vec::new(),
            redo: Vec::new(),
            yank: String::new(),
        }
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// (row, column in chars).
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.lines.len() == 1 && self.lines[0].is_empty()
    }

    /// Replaces the text (a new draft: undo starts over); the cursor goes to the end.
    pub fn set_text(&mut self, text: &str) {
        self.lines = text.split('\n').map(str::to_owned).collect();
        self.row = self.lines.len() - 1;
        self.col = len(&self.lines[self.row]);
        self.undo.clear();
        self.redo.clear();
    }

    /// Empties the draft.
    pub fn clear(&mut self) {
        self.set_text("");
    }

    fn snapshot(&mut self) {
        self.undo.push((self.lines.clone(), self.row, self.col));
        if self.undo.len() > UNDO_LIMIT {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    /// Inserts text at the cursor; `\n` starts a new line, `\r` is dropped.
    pub fn insert_str(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.snapshot();
        self.put(text);
    }

    fn put(&mut self, text: &str) {
        let text = text.replace('\r', "");
        let line = &mut self.lines[self.row];
        let at = byte_at(line, self.col);
        let tail = line.split_off(at);
        let mut parts = text.split('\n');
        let first = parts.next().unwrap_or_default();
        line.push_str(first);
        self.col += len(first);
        for part in parts {
            self.row += 1;
            self.lines.insert(self.row, part.to_string());
            self.col = len(part);
        }
        self.lines[self.row].push_str(&tail);
    }

    pub fn insert_char(&mut self, c: char) {
        self.insert_str(c.encode_utf8(&mut [0; 4]));
    }

    pub fn insert_newline(&mut self) {
        self.insert_str("\n");
    }

    /// Removes chars `from..to` of the cursor's line (as columns), remembering them for yank.
    fn cut(&mut self, from: usize, to: usize) -> bool {
        if from >= to {
            return false;
        }
        self.snapshot();
        let line = &mut self.lines[self.row];
        let (a, b) = (byte_at(line, from), byte_at(line, to));
        self.yank = line[a..b].to_string();
        line.replace_range(a..b, "");
        self.col = from;
        true
    }

    /// Joins the cursor's line with the previous one (Backspace at column 0).
    fn join_previous(&mut self) -> bool {
        if self.row == 0 {
            return false;
        }
        self.snapshot();
        let line = self.lines.remove(self.row);
        self.row -= 1;
        self.col = len(&self.lines[self.row]);
        self.lines[self.row].push_str(&line);
        true
    }

    /// Joins the next line onto the cursor's (Delete at the end of a line).
    fn join_next(&mut self) -> bool {
        if self.row + 1 >= self.lines.len() {
            return false;
        }
        self.snapshot();
        let next = self.lines.remove(self.row + 1);
        self.lines[self.row].push_str(&next);
        true
    }

    fn line_len(&self) -> usize {
        len(&self.lines[self.row])
    }

    fn delete_char(&mut self) -> bool {
        if self.col == 0 {
            return self.join_previous();
        }
        let yank = self.yank.clone();
        let done = self.cut(self.col - 1, self.col);
        self.yank = yank;
        done
    }

    fn delete_next_char(&mut self) -> bool {
        if self.col >= self.line_len() {
            return self.join_next();
        }
        let yank = self.yank.clone();
        let done = self.cut(self.col, self.col + 1);
        self.yank = yank;
        done
    }

    fn delete_word(&mut self) -> bool {
        if self.col == 0 {
            return self.join_previous();
        }
        let start = word_start_backward(&self.lines[self.row], self.col).unwrap_or(0);
        self.cut(start, self.col)
    }

    fn delete_next_word(&mut self) -> bool {
        let end = self.line_len();
        if self.col >= end {
            return self.join_next();
        }
        let to = word_end_forward(&self.lines[self.row], self.col).unwrap_or(end);
        self.cut(self.col, to)
    }

    fn undo(&mut self) -> bool {
        let Some((lines, row, col)) = self.undo.pop() else {
            return false;
        };
        self.redo.push((
            std::mem::replace(&mut self.lines, lines),
            self.row,
            self.col,
        ));
        (self.row, self.col) = (row, col);
        true
    }

    fn redo(&mut self) -> bool {
        let Some((lines, row, col)) = self.redo.pop() else {
            return false;
        };
        self.undo.push((
            std::mem::replace(&mut self.lines, lines),
            self.row,
            self.col,
        ));
        (self.row, self.col) = (row, col);
        true
    }

    fn tab(&mut self) -> bool {
        let width: usize = self.lines[self.row]
            .chars()
            .take(self.col)
            .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0))
            .sum();
        let n = TAB_LEN - width % TAB_LEN;
        self.insert_str(&" ".repeat(n));
        true
    }

    /// Puts the cursor at `row`, `col` (clamped to the text).
    pub fn move_to(&mut self, row: usize, col: usize) {
        self.go(row, col);
    }

    fn go(&mut self, row: usize, col: usize) {
        self.row = row.min(self.lines.len() - 1);
        self.col = col.min(self.line_len());
    }

    fn word_forward(&mut self) {
        match word_start_forward(&self.lines[self.row], self.col) {
            Some(c) => self.col = c,
            None if self.row + 1 < self.lines.len() => self.go(self.row + 1, 0),
            None => self.col = self.line_len(),
        }
    }

    fn word_back(&mut self) {
        match word_start_backward(&self.lines[self.row], self.col) {
            Some(c) => self.col = c,
            None if self.row > 0 => self.go(self.row - 1, usize::MAX),
            None => self.col = 0,
        }
    }

    /// The next (or previous) paragraph start: the first line after a blank line.
    fn paragraph(&mut self, forward: bool) {
        let blank = |r: usize| self.lines[r].trim().is_empty();
        let mut r = self.row;
        if forward {
            while r + 1 < self.lines.len() && !blank(r) {
                r += 1;
            }
            while r + 1 < self.lines.len() && blank(r) {
                r += 1;
            }
        } else {
            while r > 0 && blank(r) {
                r -= 1;
            }
            while r > 0 && !blank(r - 1) {
                r -= 1;
            }
            if r == self.row && r > 0 {
                r -= 1;
                while r > 0 && (blank(r) || !blank(r - 1)) {
                    r -= 1;
                }
            }
        }
        self.go(r, 0);
    }

    /// Applies an editing key; returns whether the text changed.
    pub fn handle(&mut self, key: Key) -> bool {
        let m = key.modifiers - Modifiers::SHIFT;
        let ctrl = m == Modifiers::CONTROL;
        let alt = m == Modifiers::ALT;
        let ctrl_alt = m == Modifiers::CONTROL | Modifiers::ALT;
        let plain = m.is_empty();
        use KeyCode as K;
        match key.code {
            K::Enter if plain => {
                self.insert_newline();
                true
            }
            K::Char('m') if ctrl => {
                self.insert_newline();
                true
            }
            K::Char(c) if key.modifiers.is_empty() => {
                self.insert_char(c);
                true
            }
            K::Tab if plain => self.tab(),
            K::Backspace if plain => self.delete_char(),
            K::Char('h') if ctrl => self.delete_char(),
            K::Delete if plain => self.delete_next_char(),
            K::Char('d') if ctrl => self.delete_next_char(),
            K::Char('k') if ctrl => {
                let end = self.line_len();
                self.cut(self.col, end)
            }
            K::Char('j') if ctrl => self.cut(0, self.col),
            K::Char('w') if ctrl => self.delete_word(),
            K::Char('h') | K::Backspace if alt => self.delete_word(),
            K::Char('d') | K::Delete if alt => self.delete_next_word(),
            K::Char('u') if ctrl => self.undo(),
            K::Char('r') if ctrl => self.redo(),
            K::Char('y') if ctrl => {
                let y = self.yank.clone();
                self.insert_str(&y);
                !y.is_empty()
            }
            _ => {
                self.movement(key.code, plain, ctrl, alt, ctrl_alt);
                false
            }
        }
    }

    fn movement(&mut self, code: KeyCode, plain: bool, ctrl: bool, alt: bool, ctrl_alt: bool) {
        use KeyCode as K;
        let (row, col) = (self.row, self.col);
        match code {
            K::Down if plain => self.go(row + 1, col),
            K::Char('n') if ctrl => self.go(row + 1, col),
            K::Up if plain => self.go(row.saturating_sub(1), col),
            K::Char('p') if ctrl => self.go(row.saturating_sub(1), col),
            K::Right if plain => self.forward(),
            K::Char('f') if ctrl => self.forward(),
            K::Left if plain => self.back(),
            K::Char('b') if ctrl => self.back(),
            K::Home if plain => self.col = 0,
            K::Char('a') if ctrl => self.col = 0,
            K::Left | K::Char('b') if ctrl_alt => self.col = 0,
            K::End if plain => self.col = self.line_len(),
            K::Char('e') if ctrl => self.col = self.line_len(),
            K::Right | K::Char('f') if ctrl_alt => self.col = self.line_len(),
            K::Char('<') if alt => self.go(0, 0),
            K::Up | K::Char('p') if ctrl_alt => self.go(0, 0),
            K::Char('>') if alt => self.go(usize::MAX, usize::MAX),
            K::Down | K::Char('n') if ctrl_alt => self.go(usize::MAX, usize::MAX),
            K::Char('f') if alt => self.word_forward(),
            K::Right if ctrl => self.word_forward(),
            K::Char('b') if alt => self.word_back(),
            K::Left if ctrl => self.word_back(),
            K::Char(']' | 'n') if alt => self.paragraph(true),
            K::Down if ctrl => self.paragraph(true),
            K::Char('[' | 'p') if alt => self.paragraph(false),
            K::Up if ctrl => self.paragraph(false),
            _ => {}
        }
    }

    fn forward(&mut self) {
        if self.col < self.line_len() {
            self.col += 1;
        } else if self.row + 1 < self.lines.len() {
            self.go(self.row + 1, 0);
        }
    }

    fn back(&mut self) {
        if self.col > 0 {
            self.col -= 1;
        } else if self.row > 0 {
            self.go(self.row - 1, usize::MAX);
        }
    }
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
