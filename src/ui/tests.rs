//! Snapshot tests of every screen and widget on a `TestBackend`, at a few sizes down to 20×6.

use super::*;
use crate::key::{Key, KeyCode, Modifiers};
use crate::keymap::Keymap;
use crate::node_api::{NodeEvent, SessionCreated, SessionOptions, StopReason, Usage};
use crate::protocol::acp::Update;
use crate::protocol::Id;
use crate::state::{command, update, Action};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::{json, Value};

fn app() -> AppState {
    let keymap = Keymap::default_keymap(&command::names());
    let mut s = AppState::new(keymap, "dark".into(), "/work".into(), 600);
    update(
        &mut s,
        Action::NodeConnected {
            node: 0,
            name: "local".into(),
            agents: vec!["demo".into(), "gemini".into()],
            remote: false,
        },
    );
    s
}

fn open_session(s: &mut AppState, id: &str, yolo: bool) {
    let options = SessionOptions {
        agent: "demo".into(),
        cwd: "/work".into(),
        yolo,
        prompt_timeout_secs: None,
    };
    let created = SessionCreated {
        session_id: id.into(),
        agent_name: None,
        prompt_timeout_secs: None,
        modes: None,
        model: None,
        options: Vec::new(),
    };
    update(
        s,
        Action::SessionCreated {
            node: 0,
            options,
            result: Ok(created),
        },
    );
}

fn upd(s: &mut AppState, id: &str, v: Value) {
    update(
        s,
        Action::Node {
            node: 0,
            event: NodeEvent::Update {
                session: id.into(),
                update: Update::from_value(v),
            },
        },
    );
}

/// Types `text` into the prompt and sends it.
fn prompted(s: &mut AppState, text: &str) {
    for c in text.chars() {
        key(s, KeyCode::Char(c), Modifiers::NONE);
    }
    key(s, KeyCode::Enter, Modifiers::NONE);
}

fn key(s: &mut AppState, code: KeyCode, m: Modifiers) {
    update(s, Action::Key(Key::new(code, m)));
}

/// A session mid-way through the demo's showcase turn, waiting for permission.
fn showcase() -> AppState {
    let mut s = app();
    open_session(&mut s, "s1", false);
    prompted(&mut s, "fix the build");
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "agent_thought_chunk", "content": {"type": "text", "text": "Look at the build first."}}),
    );
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "plan", "entries": [
        {"content": "Read the project", "priority": "medium", "status": "completed"},
        {"content": "Run the tests", "priority": "medium", "status": "in_progress"},
        {"content": "Fix", "priority": "medium", "status": "pending"}]}),
    );
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "tool_call", "toolCallId": "t1", "title": "cargo test", "kind": "execute", "status": "in_progress"}),
    );
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "tool_call_update", "toolCallId": "t1", "status": "failed",
        "content": [{"type": "content", "content": {"type": "text", "text": "error[E0425]: cannot find value `answer`"}}]}),
    );
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "tool_call", "toolCallId": "t2", "title": "Edit src/lib.rs", "kind": "edit", "status": "pending",
        "content": [{"type": "diff", "path": "/work/src/lib.rs", "oldText": "    answer\n", "newText": "    42\n"}]}),
    );
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text":
        "## Fix\n\nReturn **42** from `answer()`:\n\n```rust\nfn answer() -> u32 {\n    42\n}\n```\n\n| file | lines |\n|---|--:|\n| src/lib.rs | 1 |\n\n- [x] found\n- [ ] tested\n"}}),
    );
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "hologram_update", "x": 1}),
    );
    let ask = serde_json::from_value(json!({
        "sessionId": "s1", "toolCall": {"toolCallId": "t2", "title": "Edit src/lib.rs"},
        "options": [
            {"optionId": "allow", "name": "Allow once", "kind": "allow_once"},
            {"optionId": "reject", "name": "Reject", "kind": "reject_once"}]
    }))
    .unwrap();
    update(
        &mut s,
        Action::Node {
            node: 0,
            event: NodeEvent::Permission {
                request: Id::Num(7),
                session: "s1".into(),
                ask: Box::new(ask),
            },
        },
    );
    s
}

fn render(state: &AppState, w: u16, h: u16) -> String {
    let mut cache = UiCache::new(
        crate::ui::theme::Theme::default_dark(),
        Highlighter::new_blocking(),
    );
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        draw(f, state, &mut cache);
    })
    .unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn chat_with_every_item_kind() {
    let s = showcase();
    insta::assert_snapshot!("chat_100x45", render(&s, 100, 45));
    insta::assert_snapshot!("chat_50x30", render(&s, 50, 30));
    insta::assert_snapshot!("chat_20x6", render(&s, 20, 6));
}

#[test]
fn finished_turn_with_tokens_and_yolo() {
    let mut s = app();
    open_session(&mut s, "s1", true);
    prompted(&mut s, "hi");
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "Hello! \u{1b}[31mred\u{1b}[0m"}}),
    );
    let done = crate::node_api::PromptDone {
        stop_reason: StopReason::EndTurn,
        timed_out: false,
        usage: Some(Usage {
            input_tokens: 2311,
            output_tokens: 246,
        }),
    };
    update(
        &mut s,
        Action::PromptDone {
            session: "s1".into(),
            result: Ok(done),
        },
    );
    insta::assert_snapshot!("finished_yolo_60x14", render(&s, 60, 14));
}

#[test]
fn nodes_window_form_sessions_overlay_and_help() {
    let mut s = app();
    insta::assert_snapshot!("home_nodes_70x18", render(&s, 70, 18));
    key(&mut s, KeyCode::Enter, Modifiers::NONE);
    insta::assert_snapshot!("new_session_form_70x14", render(&s, 70, 14));
    let mut s = showcase();
    open_session(&mut s, "s2", true);
    key(&mut s, KeyCode::Esc, Modifiers::NONE);
    key(&mut s, KeyCode::Char('w'), Modifiers::CONTROL);
    insta::assert_snapshot!("sessions_overlay_80x16", render(&s, 80, 16));
    insta::assert_snapshot!("sessions_overlay_20x6", render(&s, 20, 6));
    key(&mut s, KeyCode::Esc, Modifiers::NONE);
    key(&mut s, KeyCode::F(1), Modifiers::NONE);
    insta::assert_snapshot!("help_90x50", render(&s, 90, 50));
}

#[test]
fn degenerate_sizes_do_not_panic() {
    let s = showcase();
    for (w, h) in [(1, 1), (10, 3), (3, 10), (0, 0), (200, 2)] {
        let _ = render(&s, w, h);
    }
}

#[test]
fn completion_popup_sits_above_the_input() {
    let mut s = app();
    open_session(&mut s, "s1", false);
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "available_commands_update", "availableCommands": [
        {"name": "stream", "description": "Stream bytes", "input": {"hint": "BYTES"}}]}),
    );
    for c in "/s".chars() {
        key(&mut s, KeyCode::Char(c), Modifiers::NONE);
    }
    key(&mut s, KeyCode::Tab, Modifiers::NONE);
    key(&mut s, KeyCode::Down, Modifiers::NONE);
    insta::assert_snapshot!("completion_popup_80x16", render(&s, 80, 16));
    insta::assert_snapshot!("completion_popup_20x6", render(&s, 20, 6));
}

/// Remote nodes in the Nodes window: connected, reconnecting and offline, and a long list of
/// listed sessions in the overlay scrolled to the selected one.
#[test]
fn remote_nodes_in_the_nodes_window_and_a_long_overlay() {
    let mut s = app();
    for (node, name) in [(1, "build-box"), (2, "laptop"), (3, "gpu-01")] {
        update(
            &mut s,
            Action::NodeConnected {
                node,
                name: name.into(),
                agents: vec!["demo".into()],
                remote: true,
            },
        );
    }
    update(
        &mut s,
        Action::NodeLink {
            node: 2,
            online: true,
            reconnecting: true,
            reason: Some("reconnecting to the broker".into()),
        },
    );
    update(
        &mut s,
        Action::NodeLink {
            node: 3,
            online: false,
            reconnecting: false,
            reason: Some("node offline: no heartbeat".into()),
        },
    );
    let list = (0..30)
        .map(|i| crate::node_api::SessionSummary {
            session_id: format!("{i:02}345678-aaaa"),
            connector: "demo".into(),
            status: crate::node_api::SessionStatus::Working,
            reason: None,
            yolo: false,
            created_ms: i,
            cwd: None,
            ..Default::default()
        })
        .collect();
    update(
        &mut s,
        Action::SessionsListed {
            node: 1,
            result: Ok(list),
        },
    );
    key(&mut s, KeyCode::Char('l'), Modifiers::CONTROL);
    insta::assert_snapshot!("remote_nodes_70x18", render(&s, 70, 18));
    key(&mut s, KeyCode::Char('w'), Modifiers::CONTROL);
    for _ in 0..25 {
        key(&mut s, KeyCode::Down, Modifiers::NONE);
    }
    let overlay = render(&s, 80, 16);
    let selected = crate::state::fleet::selected_id(&s).unwrap();
    assert!(
        overlay
            .lines()
            .any(|l| l.contains("› ") && l.contains(&selected[..8])),
        "the selected row ({selected}) is in view:\n{overlay}"
    );
    insta::assert_snapshot!("remote_sessions_overlay_scrolled_80x16", overlay);
}

#[test]
fn the_working_indicator_turns_and_counts_the_seconds() {
    let mut s = app();
    open_session(&mut s, "s1", false);
    update(&mut s, Action::Tick { now_ms: 1_000_000 });
    prompted(&mut s, "go");
    let at = |s: &mut AppState, ms: u64| {
        update(s, Action::Tick { now_ms: ms });
        render(s, 80, 12)
    };
    let first = at(&mut s, 1_000_000);
    assert!(first.contains("◐ working 0s · Ctrl+C cancels"), "{first}");
    let later = at(&mut s, 1_012_600);
    assert!(later.contains("◓ working 12s · Ctrl+C cancels"), "{later}");
    let long = at(&mut s, 1_065_000);
    assert!(long.contains("working 1m 05s"), "{long}");
    // Narrow: the spinner and the time, without the key.
    let narrow = render(&s, 30, 8);
    assert!(
        narrow.contains("working 1m 05s") && !narrow.contains("cancels"),
        "{narrow}"
    );
}

#[test]
fn the_working_indicator_estimates_tokens_and_the_status_bar_shows_the_context_share() {
    let mut s = app();
    open_session(&mut s, "s1", false);
    update(&mut s, Action::Tick { now_ms: 1_000_000 });
    prompted(&mut s, "go");
    let text = "word ".repeat(1000);
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "agent_thought_chunk", "content": {"type": "text", "text": text}}),
    );
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": text}}),
    );
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "usage_update", "used": 53_000, "size": 200_000}),
    );
    let screen = render(&s, 100, 12);
    assert!(
        screen.contains("working 0s · ~2.5k tokens · Ctrl+C cancels"),
        "{screen}"
    );
    assert!(screen.contains(" context 26% "), "{screen}");
    // Nearly full, and on a line too narrow for it beside a message, it gives way.
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "usage_update", "used": 199_000, "size": 200_000}),
    );
    assert!(render(&s, 100, 12).contains(" context 99% "));
    s.say(
        crate::state::transcript::Level::Info,
        "a message that needs the whole width of the line to be read",
    );
    let narrow = render(&s, 70, 12);
    assert!(!narrow.contains("context 99%"), "{narrow}");
    assert!(narrow.contains("needs the whole width"), "{narrow}");
}

#[test]
fn fenced_tool_output_is_rendered_as_markdown_and_plain_output_keeps_its_lines() {
    let mut s = app();
    open_session(&mut s, "s1", false);
    prompted(&mut s, "go");
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "tool_call", "toolCallId": "t1", "title": "Terminal", "kind": "execute", "status": "failed",
        "content": [{"type": "content", "content": {"type": "text", "text": "```console\nmake: *** No rule to make target\nStop.\n```"}}]}),
    );
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "tool_call", "toolCallId": "t2", "title": "Read notes", "kind": "read", "status": "completed",
        "content": [{"type": "content", "content": {"type": "text", "text": "a *b*\nc # d\n- e"}}]}),
    );
    let screen = render(&s, 60, 16);
    assert!(
        !screen.contains("```"),
        "the fence is rendered, not shown:\n{screen}"
    );
    assert!(
        screen.contains("failed — make: *** No rule to make"),
        "the header says why, past the fence:\n{screen}"
    );
    assert!(screen.contains("│   │ Stop."), "under the guide:\n{screen}");
    // Plain output: its lines as they are, markdown characters included.
    for line in ["│   │ a *b*", "│   │ c # d", "│   │ - e"] {
        assert!(screen.contains(line), "{line} in:\n{screen}");
    }
    insta::assert_snapshot!("tool_output_fenced_and_plain_60x16", screen);
}

#[test]
fn alt_i_shows_a_tools_raw_input_in_place_of_its_summary() {
    let mut s = app();
    open_session(&mut s, "s1", false);
    prompted(&mut s, "go");
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "tool_call", "toolCallId": "t1", "title": "Read lib", "kind": "read", "status": "completed",
        "rawInput": {"path": "/work/src/lib.rs", "limit": 5}}),
    );
    let summary = render(&s, 60, 14);
    assert!(summary.contains("⇢ src/lib.rs"), "{summary}");
    assert!(!summary.contains("\"limit\""), "{summary}");
    key(&mut s, KeyCode::Char('i'), Modifiers::ALT);
    let raw = render(&s, 60, 14);
    assert!(
        raw.contains("⇢   \"limit\": 5"),
        "indented for reading:\n{raw}"
    );
    assert!(raw.contains("\"/work/src/lib.rs\""), "{raw}");
    assert!(raw.contains("Tool calls show their raw input"), "{raw}");
    key(&mut s, KeyCode::Char('i'), Modifiers::ALT);
    assert!(render(&s, 60, 14).contains("⇢ src/lib.rs"));
}

#[test]
fn scrolled_up_during_a_stream_a_marker_says_output_arrived_below() {
    let mut s = app();
    open_session(&mut s, "s1", false);
    prompted(&mut s, "go");
    let long: String = (0..60).map(|i| format!("line {i}\n\n")).collect();
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": long}}),
    );
    let before = render(&s, 60, 20);
    assert!(!before.contains("new output below"), "{before}");
    // The runtime reports the chat pane's layout after each frame; scrolling uses it.
    let mut buf = ratatui::buffer::Buffer::empty(Rect::new(0, 0, 60, 20));
    let mut cache = UiCache::new(
        crate::ui::theme::Theme::default_dark(),
        Highlighter::new_blocking(),
    );
    let (total, height) = draw_into(&mut buf, Rect::new(0, 0, 60, 20), &s, &mut cache);
    update(
        &mut s,
        Action::Layout {
            total,
            height,
            input_width: 60,
        },
    );
    key(&mut s, KeyCode::PageUp, Modifiers::NONE);
    let up = render(&s, 60, 20);
    assert!(!up.contains("new output below"), "nothing new yet:\n{up}");
    upd(
        &mut s,
        "s1",
        json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "more\n"}}),
    );
    let marked = render(&s, 60, 20);
    assert!(
        marked.contains("↓ new output below · Ctrl+End follows"),
        "{marked}"
    );
    key(&mut s, KeyCode::End, Modifiers::CONTROL);
    let back = render(&s, 60, 20);
    assert!(
        !back.contains("new output below") && back.contains("more"),
        "{back}"
    );
}

#[test]
fn while_a_permission_waits_the_input_says_how_to_answer_and_typing_is_not_silent() {
    let mut s = showcase();
    assert_eq!(s.context(), crate::state::command::Context::Permission);
    let screen = render(&s, 100, 45);
    assert!(
        screen.contains("Permission asked above: 1-9 or ↑↓ + Enter to choose · Esc rejects"),
        "{screen}"
    );
    key(&mut s, KeyCode::Char('h'), Modifiers::NONE);
    let said = s.shown_status().map(|m| m.text.clone()).unwrap_or_default();
    assert_eq!(
        said,
        "A permission request waits: 1-9 picks an option; Esc rejects"
    );
}

#[test]
fn light_and_high_contrast_themes_paint_every_cell() {
    // They painted the background only behind text: the rest kept the terminal's own.
    for name in ["light", "high-contrast"] {
        let (theme, err) =
            crate::ui::theme::Theme::load(name, std::path::Path::new("/nonexistent"));
        assert!(err.is_none(), "{err:?}");
        let bg = theme.style("ui").bg.expect("the theme has a background");
        for (w, h, help) in [(100u16, 45u16, false), (90, 50, true)] {
            let mut s = showcase();
            if help {
                key(&mut s, KeyCode::F(1), Modifiers::NONE);
            }
            let mut cache = UiCache::new(theme.clone(), Highlighter::new_blocking());
            let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
            term.draw(|f| {
                draw(f, &s, &mut cache);
            })
            .unwrap();
            let buf = term.backend().buffer();
            let bare: Vec<(u16, u16)> = (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .filter(|&(x, y)| buf[(x, y)].bg == ratatui::style::Color::Reset)
                // The second cell of a wide char is drawn by the terminal with the first.
                .filter(|&(x, y)| {
                    x == 0 || unicode_width::UnicodeWidthStr::width(buf[(x - 1, y)].symbol()) < 2
                })
                .collect();
            assert!(
                bare.is_empty(),
                "{name} {w}x{h}: {} cells without a background, first {:?} {:?} (bg {bg:?})",
                bare.len(),
                bare.first(),
                bare.first().map(|&p| buf[p].clone())
            );
        }
    }
}

#[test]
fn an_empty_chat_says_where_you_are_and_three_keys() {
    let mut s = app();
    open_session(&mut s, "s1", false);
    let screen = render(&s, 80, 20);
    for want in [
        "demo on local",
        "YOLO off: the agent asks before it acts",
        "Enter sends a prompt",
        "Ctrl+L nodes and agents",
        "F1 every key",
    ] {
        assert!(screen.contains(want), "{want} in\n{screen}");
    }
    // With YOLO on, its warning is a notice; the first screen still shows, saying so.
    let mut y = app();
    open_session(&mut y, "s2", true);
    let screen = render(&y, 80, 20);
    assert!(
        screen.contains("YOLO is on")
            && screen.contains("YOLO on: permission requests are approved"),
        "{screen}"
    );
    // Gone once the chat has something in it.
    prompted(&mut s, "hi");
    assert!(!render(&s, 80, 20).contains("every key"));
}

#[test]
fn history_search_has_its_own_query_line() {
    let mut s = app();
    open_session(&mut s, "s1", false);
    s.history = vec!["Fix the build".into(), "explain tests".into()];
    key(&mut s, KeyCode::Char('r'), Modifiers::CONTROL);
    for c in "fb".chars() {
        key(&mut s, KeyCode::Char(c), Modifiers::NONE);
    }
    let screen = render(&s, 80, 16);
    assert!(screen.contains("search: fb▏"), "{screen}");
    assert!(
        screen.contains("› Fix the build") && !screen.contains("explain tests"),
        "{screen}"
    );
    key(&mut s, KeyCode::Char('z'), Modifiers::NONE);
    let screen = render(&s, 80, 16);
    assert!(
        screen.contains("search: fbz▏  no earlier prompt matches"),
        "{screen}"
    );
}
