//! The editor's keys, one by one, with multi-byte and wide characters.

use super::*;

fn k(code: KeyCode) -> Key {
    Key::plain(code)
}

fn ctrl(c: char) -> Key {
    Key::ctrl(c)
}

fn alt(c: char) -> Key {
    Key::new(KeyCode::Char(c), Modifiers::ALT)
}

fn typed(text: &str) -> Input {
    let mut i = Input::new();
    for c in text.chars() {
        i.handle(k(KeyCode::Char(c)));
    }
    i
}

#[test]
fn typing_inserts_at_the_cursor_with_multibyte_characters() {
    let mut i = typed("héllo 日本");
    assert_eq!(i.text(), "héllo 日本");
    assert_eq!(i.cursor(), (0, 8));
    i.handle(k(KeyCode::Left));
    i.handle(k(KeyCode::Left));
    i.handle(k(KeyCode::Char('x')));
    assert_eq!(i.text(), "héllo x日本");
    assert_eq!(i.cursor(), (0, 7));
    // Shift+letter arrives as the upper-case char.
    i.handle(Key::new(KeyCode::Char('a'), Modifiers::SHIFT));
    assert_eq!(i.text(), "héllo xA日本");
    // Ctrl/Alt chars that are not bindings insert nothing.
    assert!(!i.handle(ctrl('g')));
    assert_eq!(i.text(), "héllo xA日本");
}

#[test]
fn backspace_and_delete_join_lines_at_their_edges() {
    let mut i = Input::new();
    i.insert_str("ab\ncd");
    assert_eq!(i.lines(), ["ab", "cd"]);
    i.handle(k(KeyCode::Home));
    assert!(i.handle(k(KeyCode::Backspace)));
    assert_eq!((i.text(), i.cursor()), ("abcd".to_string(), (0, 2)));
    assert!(i.handle(ctrl('h')));
    assert_eq!(i.text(), "acd");
    assert!(i.handle(k(KeyCode::Delete)));
    assert_eq!(i.text(), "ad");
    assert!(i.handle(ctrl('d')));
    assert_eq!(i.text(), "a");
    assert!(!i.handle(ctrl('d')), "nothing after the end");
    i.set_text("x\ny");
    i.handle(k(KeyCode::Up));
    assert!(i.handle(k(KeyCode::Delete)));
    assert_eq!(i.text(), "xy");
}

#[test]
fn kill_to_either_end_of_the_line_and_yank_it_back() {
    let mut i = Input::new();
    i.set_text("hello world");
    for _ in 0..6 {
        i.handle(k(KeyCode::Left));
    }
    assert!(i.handle(ctrl('k')));
    assert_eq!(i.text(), "hello");
    i.handle(ctrl('a'));
    assert!(i.handle(ctrl('y')));
    assert_eq!(i.text(), " worldhello");
    i.handle(k(KeyCode::End));
    for _ in 0..5 {
        i.handle(k(KeyCode::Left));
    }
    assert!(i.handle(ctrl('j')), "Ctrl+J deletes to the line start");
    assert_eq!(i.text(), "hello");
}

#[test]
fn words_are_deleted_and_crossed_like_tui_textarea() {
    let mut i = Input::new();
    i.set_text("foo.bar baz");
    assert!(i.handle(Key::new(KeyCode::Backspace, Modifiers::ALT)));
    assert_eq!(i.text(), "foo.bar ");
    assert!(i.handle(alt('h')));
    assert_eq!(i.text(), "foo.");
    assert!(i.handle(ctrl('w')));
    assert_eq!(i.text(), "foo");
    i.set_text("one two.three");
    i.handle(ctrl('a'));
    i.handle(alt('f'));
    assert_eq!(i.cursor(), (0, 4));
    i.handle(Key::new(KeyCode::Right, Modifiers::CONTROL));
    assert_eq!(i.cursor(), (0, 7));
    i.handle(alt('b'));
    assert_eq!(i.cursor(), (0, 4));
    i.handle(Key::new(KeyCode::Left, Modifiers::CONTROL));
    assert_eq!(i.cursor(), (0, 0));
    assert!(i.handle(alt('d')));
    assert_eq!(i.text(), " two.three");
    assert!(i.handle(Key::new(KeyCode::Delete, Modifiers::ALT)));
    assert_eq!(i.text(), ".three");
}

#[test]
fn moves_keep_the_column_within_the_line() {
    let mut i = Input::new();
    i.set_text("long line\nab\nlonger line");
    assert_eq!(i.cursor(), (2, 11));
    i.handle(k(KeyCode::Up));
    assert_eq!(i.cursor(), (1, 2));
    i.handle(ctrl('p'));
    assert_eq!(i.cursor(), (0, 2));
    i.handle(ctrl('n'));
    i.handle(ctrl('e'));
    assert_eq!(i.cursor(), (1, 2));
    i.handle(ctrl('f'));
    assert_eq!(
        i.cursor(),
        (2, 0),
        "right at a line end goes to the next line"
    );
    i.handle(ctrl('b'));
    assert_eq!(i.cursor(), (1, 2));
    i.handle(alt('<'));
    assert_eq!(i.cursor(), (0, 0));
    i.handle(alt('>'));
    assert_eq!(i.cursor(), (2, 11));
    i.handle(k(KeyCode::Home));
    assert_eq!(i.cursor(), (2, 0));
}

#[test]
fn paragraphs_are_crossed_at_blank_lines() {
    let mut i = Input::new();
    i.set_text("a\nb\n\nc\nd\n\ne");
    i.handle(alt('<'));
    i.handle(Key::new(KeyCode::Down, Modifiers::CONTROL));
    assert_eq!(i.cursor(), (3, 0));
    i.handle(alt(']'));
    assert_eq!(i.cursor(), (6, 0));
    i.handle(alt('['));
    assert_eq!(i.cursor(), (3, 0));
    i.handle(Key::new(KeyCode::Up, Modifiers::CONTROL));
    assert_eq!(i.cursor(), (0, 0));
}

#[test]
fn undo_and_redo_walk_the_edits() {
    let mut i = typed("ab");
    i.handle(k(KeyCode::Backspace));
    assert_eq!(i.text(), "a");
    assert!(i.handle(ctrl('u')));
    assert_eq!((i.text(), i.cursor()), ("ab".to_string(), (0, 2)));
    assert!(i.handle(ctrl('u')));
    assert_eq!(i.text(), "a");
    assert!(i.handle(ctrl('r')));
    assert_eq!(i.text(), "ab");
    assert!(i.handle(ctrl('r')));
    assert_eq!(i.text(), "a");
    assert!(!i.handle(ctrl('r')), "nothing left to redo");
    i.set_text("fresh");
    assert!(!i.handle(ctrl('u')), "a new draft starts a new history");
}

#[test]
fn newlines_tabs_and_pasted_text() {
    let mut i = typed("ab");
    i.handle(k(KeyCode::Left));
    assert!(i.handle(k(KeyCode::Enter)));
    assert_eq!(i.lines(), ["a", "b"]);
    assert!(i.handle(ctrl('m')));
    assert_eq!(i.lines(), ["a", "", "b"]);
    let mut i = typed("日");
    assert!(i.handle(k(KeyCode::Tab)));
    assert_eq!(
        i.text(),
        "日  ",
        "a wide char is two columns; the tab fills to four"
    );
    let mut i = typed("[]");
    i.handle(k(KeyCode::Left));
    i.insert_str("one\r\ntwo\nthree");
    assert_eq!(i.lines(), ["[one", "two", "three]"]);
    assert_eq!(i.cursor(), (2, 5));
    assert!(!i.is_empty());
    i.clear();
    assert!(i.is_empty() && i.cursor() == (0, 0));
}
