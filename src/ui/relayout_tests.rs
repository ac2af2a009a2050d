//! After a resize only what is on screen is laid out in that frame; the rest follows a budget
//! per frame. The screen is right at once, and the layout converges to a fresh one's.

use super::*;
use crate::key::{Key, KeyCode, Modifiers};
use crate::keymap::Keymap;
use crate::node_api::{NodeEvent, SessionCreated, SessionOptions};
use crate::protocol::acp::Update;
use crate::state::{command, update, Action};
use ratatui::buffer::Buffer;
use serde_json::json;

/// A session with `turns` answered prompts, each a few paragraphs long.
fn long_session(turns: usize) -> AppState {
    let keymap = Keymap::default_keymap(&command::names());
    let mut s = AppState::new(keymap, "dark".into(), "/work".into(), 600);
    update(
        &mut s,
        Action::NodeConnected {
            node: 0,
            name: "local".into(),
            agents: vec!["demo".into()],
            remote: false,
        },
    );
    update(
        &mut s,
        Action::SessionCreated {
            node: 0,
            options: SessionOptions {
                agent: "demo".into(),
                cwd: "/work".into(),
                yolo: false,
                prompt_timeout_secs: None,
            },
            result: Ok(SessionCreated {
                session_id: "s1".into(),
                agent_name: None,
                prompt_timeout_secs: None,
                modes: None,
                model: None,
                options: Vec::new(),
            }),
        },
    );
    for n in 0..turns {
        prompt(&mut s, &format!("question {n}"));
        let text = format!(
            "Answer {n}: {}\n\n- one point that wraps {}\n- another\n\n",
            "words that wrap at narrow widths ".repeat(6),
            "again and again ".repeat(4)
        );
        agent_says(
            &mut s,
            json!({
                "sessionUpdate": "agent_message_chunk",
                "content": {"type": "text", "text": text}
            }),
        );
        update(
            &mut s,
            Action::PromptDone {
                session: "s1".into(),
                result: Ok(crate::node_api::PromptDone {
                    stop_reason: crate::node_api::StopReason::EndTurn,
                    timed_out: false,
                    usage: None,
                }),
            },
        );
    }
    s
}

/// Types `text` into the prompt and sends it.
fn prompt(s: &mut AppState, text: &str) {
    for c in text.chars() {
        update(s, Action::Key(Key::new(KeyCode::Char(c), Modifiers::NONE)));
    }
    update(s, Action::Key(Key::new(KeyCode::Enter, Modifiers::NONE)));
}

/// Session s1's agent sends `update`.
fn agent_says(s: &mut AppState, update_json: serde_json::Value) {
    update(
        s,
        Action::Node {
            node: 0,
            event: NodeEvent::Update {
                session: "s1".into(),
                update: Update::from_value(update_json),
            },
        },
    );
}

fn cache() -> UiCache {
    UiCache::new(
        crate::ui::theme::Theme::default_dark(),
        highlight::Highlighter::new_blocking(),
    )
}

fn screen(buf: &Buffer) -> String {
    let a = buf.area;
    (0..a.height)
        .map(|y| {
            (0..a.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_resize_lays_out_what_is_visible_at_once_and_the_rest_over_the_next_frames() {
    let s = long_session(1000);
    let (wide, narrow) = (Rect::new(0, 0, 120, 30), Rect::new(0, 0, 50, 30));
    let mut c = cache();
    let mut buf = Buffer::empty(wide);
    draw_into(&mut buf, wide, &s, &mut c);
    assert!(!c.pending, "a first frame lays out everything");

    // Narrower: the visible part is as a fresh cache draws it, in this very frame.
    let mut buf = Buffer::empty(narrow);
    let (estimated, _) = draw_into(&mut buf, narrow, &s, &mut c);
    assert!(c.pending, "most entries are left for later frames");
    let mut fresh = cache();
    let mut want = Buffer::empty(narrow);
    let (total, _) = draw_into(&mut want, narrow, &s, &mut fresh);
    assert_eq!(screen(&buf), screen(&want));
    assert!(
        estimated < total,
        "old heights stand in for the rest meanwhile"
    );

    // The next frames lay out the rest, and then nothing is pending.
    let mut frames = 0;
    while c.pending {
        frames += 1;
        assert!(frames < 100, "the relayout ends");
        let (t, _) = draw_into(&mut buf, narrow, &s, &mut c);
        assert_eq!(screen(&buf), screen(&want), "the view does not move");
        if !c.pending {
            assert_eq!(t, total, "converged to a fresh layout");
        }
    }
    assert!(frames > 1, "spread over several frames: {frames}");
}

#[test]
fn a_streaming_thought_and_tool_output_laid_out_as_they_grow_equal_a_fresh_layout() {
    let mut s = long_session(0);
    prompt(&mut s, "go");
    let send = agent_says;
    let area = Rect::new(0, 0, 40, 200);
    let mut c = cache();
    let mut buf = Buffer::empty(area);
    let check = |s: &AppState, c: &mut UiCache, buf: &mut Buffer, step: &str| {
        // A frame starts blank, as the terminal's does.
        *buf = Buffer::empty(area);
        draw_into(buf, area, s, c);
        let mut want = Buffer::empty(area);
        draw_into(&mut want, area, s, &mut cache());
        assert_eq!(screen(buf), screen(&want), "after {step}");
    };
    let thought =
        "Thinking about the layout of long texts that wrap,\n\nand then some more words é ü\n";
    for (i, piece) in thought.as_bytes().chunks(7).enumerate() {
        let piece = String::from_utf8_lossy(piece).into_owned();
        send(
            &mut s,
            json!({"sessionUpdate": "agent_thought_chunk", "content": {"type": "text", "text": piece}}),
        );
        check(&s, &mut c, &mut buf, &format!("thought chunk {i}"));
    }
    send(
        &mut s,
        json!({"sessionUpdate": "tool_call", "toolCallId": "t", "title": "cargo test", "kind": "execute", "status": "in_progress"}),
    );
    let mut output = String::new();
    for i in 0..30 {
        output.push_str(&format!(
            "test number {i} of a suite whose lines wrap ... ok\n"
        ));
        if i % 4 == 0 {
            output.push_str("partial");
        }
        send(
            &mut s,
            json!({"sessionUpdate": "tool_call_update", "toolCallId": "t",
                   "content": [{"type": "content", "content": {"type": "text", "text": output.clone()}}]}),
        );
        check(&s, &mut c, &mut buf, &format!("output {i}"));
        if i % 4 == 0 {
            output.truncate(output.len() - "partial".len());
        }
    }
    // Hidden, the output is counted as it grows.
    update(
        &mut s,
        Action::Key(Key::new(KeyCode::Char('o'), Modifiers::ALT)),
    );
    check(&s, &mut c, &mut buf, "hiding the output");
    assert!(screen(&buf).contains("… 30 lines"), "{}", screen(&buf));
}

#[test]
fn entries_far_off_screen_keep_only_their_height_and_are_laid_out_again_in_view() {
    // A long transcript held every entry's lines (a 10 MiB one, 201 MiB of them).
    let mut s = long_session(1000);
    let area = Rect::new(0, 0, 120, 30);
    let mut c = cache();
    let mut buf = Buffer::empty(area);
    let (total, _) = draw_into(&mut buf, area, &s, &mut c);
    let kept = c.laid_out();
    assert!(kept < 30, "{kept} of 2000 entries hold lines");
    // Scrolling to the top lays out what comes into view, drawn as a fresh cache draws it,
    // and the bottom is let go.
    let key = |s: &mut AppState, code, m| update(s, Action::Key(Key::new(code, m)));
    key(&mut s, KeyCode::Home, Modifiers::CONTROL);
    for step in 0..3 {
        // A frame starts blank, as the terminal's does.
        buf = Buffer::empty(area);
        let (t, _) = draw_into(&mut buf, area, &s, &mut c);
        assert_eq!(t, total, "heights kept");
        let mut want = Buffer::empty(area);
        draw_into(&mut want, area, &s, &mut cache());
        assert_eq!(screen(&buf), screen(&want), "step {step}");
        assert!(c.laid_out() < 30, "{} hold lines", c.laid_out());
        key(&mut s, KeyCode::PageDown, Modifiers::NONE);
    }
    key(&mut s, KeyCode::End, Modifiers::CONTROL);
    buf = Buffer::empty(area);
    draw_into(&mut buf, area, &s, &mut c);
    let mut want = Buffer::empty(area);
    draw_into(&mut want, area, &s, &mut cache());
    assert_eq!(screen(&buf), screen(&want), "back at the end");
}

#[test]
fn a_frame_looks_at_what_changed_and_what_is_visible_not_every_entry() {
    let mut s = long_session(1000);
    let area = Rect::new(0, 0, 120, 30);
    let mut c = cache();
    let mut buf = Buffer::empty(area);
    draw_into(&mut buf, area, &s, &mut c);
    assert!(c.looked() >= 2000, "the first frame looks at every entry");
    let before = c.looked();
    for step in 0..5 {
        agent_says(
            &mut s,
            json!({
                "sessionUpdate": "agent_message_chunk",
                "content": {"type": "text", "text": format!("more words {step} ")}
            }),
        );
        draw_into(&mut buf, area, &s, &mut c);
        update(
            &mut s,
            Action::Key(Key::new(KeyCode::PageUp, Modifiers::NONE)),
        );
        draw_into(&mut buf, area, &s, &mut c);
    }
    let looked = c.looked() - before;
    assert!(looked < 20, "ten frames looked at {looked} entries");
    let mut want = Buffer::empty(area);
    buf = Buffer::empty(area);
    draw_into(&mut buf, area, &s, &mut c);
    draw_into(&mut want, area, &s, &mut cache());
    assert_eq!(screen(&buf), screen(&want));
}

#[test]
fn only_code_that_shows_is_highlighted() {
    // A flood of code highlighted every block as it streamed by, unseen: 73% of the client's
    // CPU for a 1 MiB answer.
    let mut s = long_session(0);
    prompt(&mut s, "go");
    let answer: String = (0..50)
        .map(|i| format!("Step {i}:\n\n```rust\nfn step{i}() -> u32 {{ {i} }}\n```\n\n"))
        .collect();
    agent_says(
        &mut s,
        json!({
            "sessionUpdate": "agent_message_chunk",
            "content": {"type": "text", "text": answer}
        }),
    );
    let hl = highlight::Highlighter::new_background();
    let start = std::time::Instant::now();
    while !hl.is_ready() && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let mut c = UiCache::new(crate::ui::theme::Theme::default_dark(), hl.clone());
    let area = Rect::new(0, 0, 80, 24);
    let colored = |buf: &Buffer| {
        (0..area.height).any(|y| {
            (0..area.width).any(|x| matches!(buf[(x, y)].fg, ratatui::style::Color::Rgb(..)))
        })
    };
    let mut buf = Buffer::empty(area);
    draw_into(&mut buf, area, &s, &mut c);
    while !colored(&buf) && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
        draw_into(&mut buf, area, &s, &mut c);
    }
    assert!(colored(&buf), "the code on screen is highlighted");
    std::thread::sleep(std::time::Duration::from_millis(50));
    let done = hl.generation();
    assert!(
        (1..=6).contains(&done),
        "{done} of 50 blocks highlighted with about 4 on screen"
    );
}
