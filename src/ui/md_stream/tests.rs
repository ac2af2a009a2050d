//! MdStream's tests: streamed frames equal a full render of what has arrived, finished blocks
//! are rendered once, and open code and tables are held as the user expects.

use super::*;
use crate::ui::markdown::render;
use crate::ui::markdown::tests::{hl, plain, styles, SAMPLE};
use ratatui::style::Color;

const THEME: &str = "base16-ocean.dark";

fn lines(s: &mut MdStream, width: u16) -> Vec<Line<'static>> {
    s.lines(width, &styles(), 1, hl(), THEME).to_vec()
}

fn chunked(src: &str, size: usize) -> impl Iterator<Item = &str> {
    let mut rest = src;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = size.min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (a, b) = rest.split_at(end);
        rest = b;
        Some(a)
    })
}

#[test]
fn streaming_in_chunks_ends_identical_to_render() {
    let doc = format!("{SAMPLE}\n{SAMPLE}");
    for width in [20u16, 80] {
        let whole = render(&doc, width, &styles(), hl(), THEME);
        for size in [1, 7, 16, 1000] {
            let mut s = MdStream::new();
            for chunk in chunked(&doc, size) {
                s.push(chunk);
                for l in lines(&mut s, width) {
                    assert!(l.width() <= width as usize);
                }
            }
            s.finish();
            assert_eq!(s.source(), doc);
            assert_eq!(
                lines(&mut s, width),
                whole,
                "chunk size {size}, width {width}"
            );
        }
    }
}

#[test]
fn finished_blocks_are_rendered_once() {
    let mut s = MdStream::new();
    for chunk in chunked(SAMPLE, 3) {
        s.push(chunk);
        lines(&mut s, 40);
    }
    s.finish();
    lines(&mut s, 40);
    assert_eq!(s.cache.finished_renders, s.split.done().len() as u64);
    let rev = s.revision();
    s.finish();
    assert_eq!(s.revision(), rev);
    lines(&mut s, 41);
    assert_eq!(s.cache.finished_renders, 2 * s.split.done().len() as u64);
}

#[test]
fn tables_are_held_until_closed() {
    let mut s = MdStream::new();
    s.push("Intro text.\n| a | b |\n|---|---|\n| 1 | 2 |\n");
    let text = plain(&lines(&mut s, 40));
    assert_eq!(text, "Intro text.\n");
    s.push("| 3 | 4");
    assert_eq!(plain(&lines(&mut s, 40)), "Intro text.\n");
    s.push(" |\n\nAfter");
    let text = plain(&lines(&mut s, 40));
    assert!(
        text.contains("┌───┬───┐") && text.contains("│ 3 │ 4 │") && text.ends_with("After\n"),
        "{text}"
    );
}

#[test]
fn code_is_plain_until_the_fence_closes() {
    let mut s = MdStream::new();
    s.push("Look:\n\n```rust\nfn main() {}\n\nlet x = 1;\n");
    let open = lines(&mut s, 40);
    assert_eq!(plain(&open), "Look:\n\nfn main() {}\n\nlet x = 1;\n");
    assert!(open[2..]
        .iter()
        .flat_map(|l| &l.spans)
        .all(|sp| sp.style == styles().code_block));
    s.push("```\n");
    let closed = lines(&mut s, 40);
    assert_eq!(plain(&closed), plain(&open));
    assert!(closed[2]
        .spans
        .iter()
        .any(|sp| matches!(sp.style.fg, Some(Color::Rgb(..)))));
    assert_eq!(s.split.done().len(), 2);
}

#[test]
fn readiness_of_the_highlighter_is_part_of_the_cache_key() {
    let mut s = MdStream::new();
    s.push("```rust\nfn main() {}\n```\n");
    let cold = Highlighter::never_ready();
    let plain_lines = s.lines(40, &styles(), 1, &cold, THEME).to_vec();
    assert!(plain_lines[0]
        .spans
        .iter()
        .all(|sp| sp.style == styles().code_block));
    let ready = lines(&mut s, 40);
    assert!(ready[0]
        .spans
        .iter()
        .any(|sp| matches!(sp.style.fg, Some(Color::Rgb(..)))));
    assert_eq!(plain(&ready), plain(&plain_lines));
}

#[test]
fn code_is_highlighted_once_it_shows_and_redrawn_in_place() {
    let bg = Highlighter::new_background();
    let start = std::time::Instant::now();
    while !bg.is_ready() && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Distinct code from any other test's: the highlighter's cache is per instance, but
    // keep the blocks recognisable.
    let doc: String = (0..20)
        .map(|i| format!("Step {i}:\n\n```rust\nfn shown{i}() -> u32 {{ {i} }}\n```\n\n"))
        .collect();
    let mut s = MdStream::new();
    for piece in doc.as_bytes().chunks(7) {
        s.push(std::str::from_utf8(piece).unwrap());
        s.lines(50, &styles(), 1, &bg, THEME);
    }
    s.finish();
    let first = s.lines(50, &styles(), 1, &bg, THEME).to_vec();
    let want = render(&doc, 50, &styles(), hl(), THEME);
    assert_eq!(plain(&first), plain(&want));
    // Nothing was on screen: nothing was queued, and waiting changes nothing.
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(bg.generation(), 0, "no block highlighted unseen");
    assert_eq!(s.lines(50, &styles(), 1, &bg, THEME), &first[..]);
    let renders = s.cache.finished_renders;
    // The last ten lines show: only the blocks there are highlighted, in place.
    let n = first.len();
    let mut now = first.clone();
    while now[n - 10..] != want[n - 10..] && start.elapsed().as_secs() < 60 {
        s.highlight_rows(n - 10..n, 50, &styles(), &bg, THEME);
        now = s.lines(50, &styles(), 1, &bg, THEME).to_vec();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(now[n - 10..], want[n - 10..], "highlighted once on screen");
    assert_eq!(now[..n / 2], first[..n / 2], "blocks above stay plain");
    assert_eq!(s.cache.finished_renders, renders, "no block laid out again");
    // Scrolled to the whole of it, everything ends up highlighted.
    while now != want && start.elapsed().as_secs() < 60 {
        s.highlight_rows(0..n, 50, &styles(), &bg, THEME);
        now = s.lines(50, &styles(), 1, &bg, THEME).to_vec();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(now, want);
    assert!(s.cache.pending.is_empty());
}

#[test]
fn unchanged_revision_returns_the_same_lines_and_push_after_finish_reopens() {
    let mut s = MdStream::default();
    s.push("Hello *world*");
    let a = s.lines(20, &styles(), 1, hl(), THEME).as_ptr();
    let rev = s.revision();
    assert_eq!(s.lines(20, &styles(), 1, hl(), THEME).as_ptr(), a);
    assert_eq!(s.revision(), rev);
    s.finish();
    assert!(s.is_finished() && s.revision() == rev + 1);
    s.push(" again\n\n- item");
    assert!(!s.is_finished());
    s.finish();
    let whole = render("Hello *world* again\n\n- item", 20, &styles(), hl(), THEME);
    assert_eq!(lines(&mut s, 20), whole);
}

/// What `lines` shows without any incremental work: every block and the tail rendered whole.
fn reference(src: &str, width: u16) -> Vec<Line<'static>> {
    let mut sp = Splitter::default();
    sp.feed(src);
    let st = styles();
    let mut cx = BlockCtx {
        width: width as usize,
        styles: &st,
        hl: hl(),
        theme: THEME,
        open: false,
        list_start: None,
        defer: false,
    };
    let mut out: Vec<Line<'static>> = Vec::new();
    let tail = sp.tail(src);
    for b in sp.done().iter().copied().chain(tail) {
        cx.open = Some(b) == tail;
        cx.list_start = b.list_start;
        let mut lines = Vec::new();
        render_block(&src[b.start..b.end], &cx, &mut lines);
        if !lines.is_empty() && !out.is_empty() && !b.glue {
            out.push(Line::default());
        }
        out.append(&mut lines);
    }
    out
}

#[test]
fn a_growing_line_is_never_cut_inside_an_escape_sequence() {
    // Cut inside the OSC, the part after the cut was sanitized on its own and shown.
    for chunks in [
        &["word \x1b]0;ab", "cd\x07 more text"][..],
        &["a \x1b[1mbold", "er\x1b[0m plain words"][..],
        &["x \u{9d}0;tit", "le\u{9c} after"][..],
        &["line one\x1b]0;t\nsec", "ond line words"][..],
    ] {
        let mut s = MdStream::new();
        for chunk in chunks {
            s.push(chunk);
            let got = plain(&lines(&mut s, 40));
            let want = plain(&reference(s.source(), 40));
            assert_eq!(got, want, "{:?}", s.source());
        }
    }
}

#[test]
fn every_intermediate_frame_matches_a_full_rerender() {
    let doc = format!(
        "{SAMPLE}\n- item **bold** and `code` [link](http://x.y) tail words here\n  continued line with more words\n\n\
         Mixed snake_case_words, 2 * 3 = 6, a\\*b, **bold *nested* text** and `a `` b` then \
         [a long link text](https://example.com/a/b/c) ~~gone~~ <b>tag</b> &amp; 日本語 wide words end.\n\n\
         ## A *styled* heading with words\n> quoted **strong** words and more words\n> second quoted line\n"
    );
    for (width, size) in [(12u16, 5), (80, 5), (30, 1), (1, 3), (120, 16)] {
        let mut s = MdStream::new();
        for (i, chunk) in chunked(&doc, size).enumerate() {
            s.push(chunk);
            let got = plain(&lines(&mut s, width));
            let want = plain(&reference(s.source(), width));
            assert_eq!(got, want, "width {width}, push {i}: {:?}", s.source());
        }
    }
}

/// Documents of every shape a streamed answer's open block can take for long: many-line
/// paragraphs, block quotes and list items, code inside a list item, and what must fall back
/// to drawing the block whole (delimiters across lines, setext headings, tables, HTML).
const LONG_BLOCKS: &[&str] = &[
    "A paragraph with *some* `code`\nand a second line of **bold** words\nthird line, a [link](http://x.y) too\nand the last one.\n",
    "Lines with hard breaks  \nafter two spaces\\\nafter a backslash\nand 2 * 3 = 6 here\nthen more words\n",
    "An *emphasis that\nspans lines* and `code\nspans` too\nthen plain words\n",
    "Becomes a heading\nwith two lines\n===\n\nand a table\nname | age\n--|--\nbob | 3\n",
    "> quoted words and _more_\n> a second quoted line\n>   indented quoted line\nlazy line\n> > deeper quote\n> back out\n>\n> after a blank\n",
    "1. Build it:\n\n   ```rust\n   let x = compute(\"a\", 42);\n\n     let y = 2;\n   ```\n2. Then run it\n   with more words\n   and more\n",
    "- a list item\n  continued here\n  and here\n  - nested item\n    ```\n    code in a nested item\n    ```\n  back in the first\n",
    "1. Odd code:\n   ```sh\n   echo one\n  echo two\n   echo three\n",
    "3. tabs:\n\n   ```\n\tcode after a tab\n   ok\n",
    "Some text\n\n    indented code\n    more code\n\n<div>\nhtml *text*\nmore\n</div>\n\nafter\n",
    "> a quote\n> ```\n> code in a quote\n> ```\n> after\n",
    "```\ntop-level code\n  \n\n   indented\n```\n",
];

#[test]
fn every_frame_of_long_blocks_matches_a_full_rerender() {
    for doc in LONG_BLOCKS {
        for (width, size) in [(12u16, 1), (40, 3), (80, 7), (30, 16)] {
            let mut s = MdStream::new();
            for (i, chunk) in chunked(doc, size).enumerate() {
                s.push(chunk);
                let got = lines(&mut s, width);
                let want = reference(s.source(), width);
                assert_eq!(got, want, "width {width}, push {i}: {:?}", s.source());
            }
            s.finish();
            assert_eq!(
                lines(&mut s, width),
                render(doc, width, &styles(), hl(), THEME)
            );
        }
    }
}

#[test]
fn a_long_open_block_is_not_walked_again_for_each_line() {
    // Each new line of a paragraph, quote or list item walked the block from its start, and
    // each frame of code inside a list item rendered the whole item: quadratic in its size.
    let words = "words of a long answer, as a model writes them";
    let docs = [
        format!("{words} and **more** words\n").repeat(300),
        format!("> {words} and _more_\n").repeat(300),
        format!("1. Step:\n{}", format!("   {words} `x`\n").repeat(300)),
        format!(
            "1. Build it:\n\n   ```rust\n{}",
            "   let x = compute(\"a line\", 42);\n".repeat(300)
        ),
    ];
    for doc in &docs {
        let mut s = MdStream::new();
        for chunk in chunked(doc, 128) {
            s.push(chunk);
            lines(&mut s, 80);
        }
        assert!(
            s.cache.tail_walks <= 4,
            "{} walks of {:?}",
            s.cache.tail_walks,
            &doc[..40]
        );
        s.finish();
        assert_eq!(lines(&mut s, 80), render(doc, 80, &styles(), hl(), THEME));
    }
}
