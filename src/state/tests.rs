//! Key-sequence tests: praxis key values through the default keymap into `update`,
//! checking the state and the effects.

use super::*;
use crate::key::{Key, KeyCode, Modifiers};
use crate::node_api::{
    NodeEvent, PermissionAnswer, PromptDone, RpcError, SessionCreated, SessionStatus, StopReason,
    Usage,
};
use crate::protocol::acp::Update;
use crate::protocol::Id;
use serde_json::json;
use transcript::{EntryKind, Item, TurnState};

fn key(code: KeyCode, m: Modifiers) -> Action {
    Action::Key(Key::new(code, m))
}
fn ch(c: char) -> Action {
    key(KeyCode::Char(c), Modifiers::NONE)
}
fn ctrl(c: char) -> Action {
    key(KeyCode::Char(c), Modifiers::CONTROL)
}
fn enter() -> Action {
    key(KeyCode::Enter, Modifiers::NONE)
}
fn typed(state: &mut AppState, text: &str) {
    for c in text.chars() {
        update(state, ch(c));
    }
}

/// An app with one connected node (agents demo, py) and one open demo session "s1".
fn app_with_session() -> AppState {
    let keymap = crate::keymap::Keymap::default_keymap(&command::names());
    let mut s = AppState::new(keymap, "dark".into(), "/work".into(), 600);
    update(
        &mut s,
        Action::NodeConnected {
            node: 0,
            name: "local".into(),
            agents: vec!["demo".into(), "py".into()],
            remote: false,
        },
    );
    let options = SessionOptions {
        agent: "demo".into(),
        cwd: "/work".into(),
        yolo: false,
        prompt_timeout_secs: None,
    };
    let created = SessionCreated {
        session_id: "s1".into(),
        agent_name: Some("demo".into()),
        prompt_timeout_secs: Some(600),
        modes: None,
        model: None,
        options: Vec::new(),
    };
    update(
        &mut s,
        Action::SessionCreated {
            node: 0,
            options,
            result: Ok(created),
        },
    );
    s
}

fn chunk(text: &str) -> Action {
    Action::Node {
        node: 0,
        event: NodeEvent::Update {
            session: "s1".into(),
            update: Update::from_value(
                json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": text}}),
            ),
        },
    }
}

#[test]
fn enter_sends_the_prompt_and_clears_the_input() {
    let mut s = app_with_session();
    assert_eq!(s.context(), "chat");
    typed(&mut s, "hello");
    let fx = update(&mut s, enter());
    assert_eq!(
        fx,
        vec![
            Effect::AppendHistory("hello".into()),
            Effect::Prompt {
                node: 0,
                session: "s1".into(),
                text: "hello".into()
            }
        ]
    );
    let v = s.active_session().unwrap();
    assert!(v.prompt_in_flight && v.input_text().is_empty());
    assert!(matches!(&v.transcript.entries[0].kind, EntryKind::User { text } if text == "hello"));
    // While the agent works, Enter does not send a second prompt: it queues it (issue 16).
    typed(&mut s, "more");
    let fx = update(&mut s, enter());
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Prompt { .. })),
        "{fx:?}"
    );
    let v = s.active_session().unwrap();
    assert_eq!(v.input_text(), "");
    assert_eq!(v.queued, ["more"]);
}

#[test]
fn newline_keys_insert_newlines_and_paste_never_sends() {
    let mut s = app_with_session();
    typed(&mut s, "a");
    update(&mut s, key(KeyCode::Enter, Modifiers::SHIFT));
    typed(&mut s, "b");
    update(&mut s, key(KeyCode::Enter, Modifiers::ALT));
    typed(&mut s, "c");
    update(&mut s, ctrl('j'));
    update(&mut s, Action::Paste("line1\nline2\r\nline3".into()));
    assert_eq!(
        s.active_session().unwrap().input_text(),
        "a\nb\nc\nline1\nline2\nline3"
    );
}

#[test]
fn streamed_chunks_build_one_agent_turn_and_prompt_done_completes_it() {
    let mut s = app_with_session();
    typed(&mut s, "hi");
    update(&mut s, enter());
    update(&mut s, chunk("Hel"));
    update(&mut s, chunk("lo \x1b[31mred"));
    let done = PromptDone {
        stop_reason: StopReason::EndTurn,
        timed_out: false,
        usage: Some(Usage {
            input_tokens: 12,
            output_tokens: 34,
        }),
    };
    update(
        &mut s,
        Action::PromptDone {
            session: "s1".into(),
            result: Ok(done),
        },
    );
    let v = s.active_session().unwrap();
    let EntryKind::Agent(turn) = &v.transcript.entries[1].kind else {
        panic!()
    };
    assert_eq!(turn.items, vec![Item::Text("Hello red".into())]);
    assert_eq!(turn.state, TurnState::Done);
    assert_eq!((turn.tokens_in, turn.tokens_out), (Some(12), Some(34)));
    assert!(!v.prompt_in_flight);
}

#[test]
fn ctrl_c_cancels_while_working_and_needs_two_presses_to_close_when_idle() {
    let mut s = app_with_session();
    typed(&mut s, "go");
    update(&mut s, enter());
    assert_eq!(
        update(&mut s, ctrl('c')),
        vec![Effect::Cancel {
            node: 0,
            session: "s1".into()
        }]
    );
    let done = PromptDone {
        stop_reason: StopReason::Cancelled,
        timed_out: false,
        usage: None,
    };
    update(
        &mut s,
        Action::PromptDone {
            session: "s1".into(),
            result: Ok(done),
        },
    );
    let EntryKind::Agent(turn) = &s.active_session().unwrap().transcript.entries[1].kind else {
        panic!()
    };
    assert_eq!(turn.state, TurnState::Cancelled);
    // Idle: the first Ctrl+C only arms; the second closes.
    assert!(update(&mut s, ctrl('c')).is_empty());
    assert!(s.close_armed.is_some());
    assert_eq!(
        update(&mut s, ctrl('c')),
        vec![Effect::Close {
            node: 0,
            session: "s1".into()
        }]
    );
    // Closed, not forgotten: it is listed as ended and can be reopened.
    assert!(s.active.is_none());
    assert_eq!(s.sessions[0].status, SessionStatus::Closed);
    assert!(s.sessions[0].ended_ms.is_some());
}

#[test]
fn the_close_guard_expires() {
    let mut s = app_with_session();
    update(&mut s, ctrl('c'));
    update(
        &mut s,
        Action::Tick {
            now_ms: CLOSE_GUARD_MS + 1,
        },
    );
    assert!(
        update(&mut s, ctrl('c')).is_empty(),
        "a late second press only re-arms"
    );
    assert_eq!(s.sessions.len(), 1);
}

#[test]
fn esc_pauses_and_the_overlay_resumes() {
    let mut s = app_with_session();
    update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    assert!(s.active.is_none());
    assert_eq!(s.sessions.len(), 1, "pausing keeps the session");
    assert_eq!(s.context(), "nodes");
    update(&mut s, ctrl('w'));
    assert_eq!(s.context(), "sessions");
    update(&mut s, enter());
    assert_eq!(s.active.as_deref(), Some("s1"));
    assert!(s.overlays.is_empty());
}

#[test]
fn ctrl_w_in_chat_pauses_and_in_the_nodes_window_toggles_the_overlay() {
    let mut s = app_with_session();
    update(&mut s, ctrl('w'));
    assert!(s.active.is_none());
    update(&mut s, ctrl('w'));
    assert_eq!(s.overlays, vec![Overlay::Sessions]);
    update(&mut s, ctrl('w'));
    assert!(s.overlays.is_empty());
}

#[test]
fn discarding_from_the_overlay_cancels_a_working_session_then_closes_it() {
    let mut s = app_with_session();
    typed(&mut s, "go");
    update(&mut s, enter());
    update(&mut s, ctrl('w'));
    update(&mut s, ctrl('w'));
    let fx = update(&mut s, ctrl('d'));
    assert_eq!(
        fx,
        vec![
            Effect::Cancel {
                node: 0,
                session: "s1".into()
            },
            Effect::Close {
                node: 0,
                session: "s1".into()
            }
        ]
    );
    assert!(s.sessions.is_empty());
    assert!(
        s.discarded.contains("s1"),
        "a later listing does not bring it back"
    );
}

#[test]
fn nodes_window_opens_a_form_and_submits_a_session() {
    let mut s = app_with_session();
    update(&mut s, ctrl('l'));
    assert_eq!(s.context(), "nodes");
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    update(&mut s, enter());
    assert_eq!(s.context(), "form");
    update(&mut s, ch(' ')); // YOLO on
    update(&mut s, key(KeyCode::Tab, Modifiers::NONE));
    update(&mut s, key(KeyCode::Tab, Modifiers::NONE)); // timeout field
    for _ in 0..3 {
        update(&mut s, key(KeyCode::Backspace, Modifiers::NONE));
    }
    typed(&mut s, "9x0");
    let fx = update(&mut s, enter());
    let Some(Effect::NewSession { node: 0, options }) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(options.agent, "py");
    assert!(options.yolo);
    assert_eq!(options.prompt_timeout_secs, Some(90));
    assert!(s.form_mut().unwrap().pending);
    // A failure stays in the form, readable.
    update(
        &mut s,
        Action::SessionCreated {
            node: 0,
            options: options.clone(),
            result: Err(RpcError::new(-32000, "agent `py` requires authentication")),
        },
    );
    let f = s.form_mut().unwrap();
    assert!(
        !f.pending
            && f.error
                .as_deref()
                .unwrap()
                .contains("requires authentication")
    );
}

#[test]
fn permission_requests_are_answered_by_number_or_arrows_and_enter() {
    let mut s = app_with_session();
    typed(&mut s, "go");
    update(&mut s, enter());
    let ask = |id: i64| {
        let ask = serde_json::from_value(json!({
            "sessionId": "s1", "toolCall": {"toolCallId": "t", "title": "Edit x"},
            "options": [
                {"optionId": "allow", "name": "Allow once", "kind": "allow_once"},
                {"optionId": "reject", "name": "Reject", "kind": "reject_once"}
            ]
        }))
        .unwrap();
        Action::Node {
            node: 0,
            event: NodeEvent::Permission {
                request: Id::Num(id),
                session: "s1".into(),
                ask: Box::new(ask),
            },
        }
    };
    update(&mut s, ask(1));
    assert_eq!(s.context(), "permission");
    let fx = update(&mut s, ch('2'));
    assert_eq!(
        fx,
        vec![Effect::AnswerPermission {
            node: 0,
            request: Id::Num(1),
            answer: PermissionAnswer::Selected("reject".into())
        }]
    );
    assert_eq!(s.context(), "chat");
    update(&mut s, ask(2));
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    update(&mut s, key(KeyCode::Down, Modifiers::NONE)); // wraps back to the first
    let fx = update(&mut s, enter());
    assert_eq!(
        fx,
        vec![Effect::AnswerPermission {
            node: 0,
            request: Id::Num(2),
            answer: PermissionAnswer::Selected("allow".into())
        }]
    );
    update(&mut s, ask(3));
    let fx = update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    assert_eq!(
        fx,
        vec![Effect::AnswerPermission {
            node: 0,
            request: Id::Num(3),
            answer: PermissionAnswer::Selected("reject".into())
        }]
    );
}

#[test]
fn yolo_toggle_is_per_session_and_confirmed() {
    let mut s = app_with_session();
    let fx = update(&mut s, key(KeyCode::Char('y'), Modifiers::ALT));
    assert_eq!(
        fx,
        vec![Effect::SetYolo {
            node: 0,
            session: "s1".into(),
            on: true
        }]
    );
    assert!(s.active_session().unwrap().yolo);
    assert!(s.status.as_ref().unwrap().text.contains("YOLO on"));
}

#[test]
fn up_and_down_recall_earlier_prompts() {
    let mut s = app_with_session();
    for p in ["first", "second"] {
        typed(&mut s, p);
        update(&mut s, enter());
        update(
            &mut s,
            Action::PromptDone {
                session: "s1".into(),
                result: Ok(PromptDone {
                    stop_reason: StopReason::EndTurn,
                    timed_out: false,
                    usage: None,
                }),
            },
        );
    }
    update(&mut s, key(KeyCode::Up, Modifiers::NONE));
    assert_eq!(s.active_session().unwrap().input_text(), "second");
    update(&mut s, key(KeyCode::Up, Modifiers::NONE));
    assert_eq!(s.active_session().unwrap().input_text(), "first");
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    assert_eq!(s.active_session().unwrap().input_text(), "second");
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    assert_eq!(s.active_session().unwrap().input_text(), "");
}

#[test]
fn scrolling_leaves_follow_mode_and_end_returns_to_it() {
    let mut s = app_with_session();
    update(
        &mut s,
        Action::Layout {
            total: 100,
            height: 20,
            input_width: 80,
        },
    );
    update(&mut s, key(KeyCode::PageUp, Modifiers::NONE));
    assert_eq!(s.active_session().unwrap().scroll, Scroll::Top(62));
    update(&mut s, key(KeyCode::Home, Modifiers::CONTROL));
    assert_eq!(s.active_session().unwrap().scroll, Scroll::Top(0));
    update(&mut s, key(KeyCode::PageDown, Modifiers::NONE));
    assert_eq!(s.active_session().unwrap().scroll, Scroll::Top(18));
    update(&mut s, key(KeyCode::End, Modifiers::CONTROL));
    assert_eq!(s.active_session().unwrap().scroll, Scroll::Follow);
}

#[test]
fn a_failed_session_shows_why_and_refuses_prompts() {
    let mut s = app_with_session();
    typed(&mut s, "go");
    update(&mut s, enter());
    update(
        &mut s,
        Action::Node {
            node: 0,
            event: NodeEvent::Status {
                session: "s1".into(),
                status: crate::node_api::SessionStatus::Failed,
                reason: Some("agent exited (exit status 3)".into()),
            },
        },
    );
    let v = s.active_session().unwrap();
    assert!(!v.prompt_in_flight);
    assert!(v.transcript.entries.iter().any(
        |e| matches!(&e.kind, EntryKind::Notice { text, .. } if text.contains("exit status 3"))
    ));
    typed(&mut s, "again");
    assert!(update(&mut s, enter()).is_empty());
    let msg = &s.status.as_ref().unwrap().text;
    assert!(
        msg.contains("has ended") && msg.contains("/session resume s1"),
        "{msg}"
    );
    // The client's own commands still work there: this one reopens it.
    s.active_session_mut().unwrap().clear_input();
    typed(&mut s, "/session resume s1");
    let fx = update(&mut s, enter());
    assert!(fx.contains(&Effect::Reopen {
        node: 0,
        session: "s1".into()
    }));
}

#[test]
fn quit_and_save_and_copy_are_effects() {
    let mut s = app_with_session();
    assert_eq!(
        update(
            &mut s,
            key(KeyCode::Char('w'), Modifiers::CONTROL | Modifiers::ALT)
        ),
        vec![Effect::SaveTranscript {
            node: 0,
            session: "s1".into(),
            path: None
        }]
    );
    assert!(
        update(&mut s, key(KeyCode::Char('c'), Modifiers::ALT)).is_empty(),
        "nothing to copy yet"
    );
    update(&mut s, chunk("answer"));
    assert_eq!(
        update(&mut s, key(KeyCode::Char('c'), Modifiers::ALT)),
        vec![Effect::Copy("answer".into())]
    );
    // A session runs in this process (issue 16): quitting asks first.
    assert!(update(&mut s, ctrl('q')).is_empty());
    assert!(s.confirm_quit && !s.quit);
    assert_eq!(
        update(&mut s, key(KeyCode::Char('y'), Modifiers::NONE)),
        vec![Effect::Quit]
    );
    assert!(s.quit);
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut s = app_with_session();
    update(&mut s, key(KeyCode::F(1), Modifiers::NONE));
    assert_eq!(s.context(), "help");
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    update(&mut s, key(KeyCode::PageDown, Modifiers::NONE));
    assert_eq!(s.help_scroll, 11);
    update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    assert_eq!(s.context(), "chat");
}

#[test]
fn form_text_fields_take_spaces() {
    let mut s = app_with_session();
    update(&mut s, ctrl('l'));
    update(&mut s, enter());
    update(&mut s, key(KeyCode::Tab, Modifiers::NONE));
    typed(&mut s, "/my dir");
    assert_eq!(s.form_mut().unwrap().cwd, "/work/my dir");
    assert!(
        !s.form_mut().unwrap().yolo,
        "space typed into a field does not toggle YOLO"
    );
}

fn tab() -> Action {
    key(KeyCode::Tab, Modifiers::NONE)
}

fn popup_labels(s: &AppState) -> Vec<String> {
    s.completion
        .as_ref()
        .map(|c| c.items.iter().map(|i| i.label.clone()).collect())
        .unwrap_or_default()
}

fn with_agent_commands(s: &mut AppState) {
    update(
        s,
        Action::Node {
            node: 0,
            event: NodeEvent::Update {
                session: "s1".into(),
                update: Update::from_value(
                    json!({"sessionUpdate": "available_commands_update", "availableCommands": [
                        {"name": "stream", "description": "Stream bytes", "input": {"hint": "BYTES"}},
                        {"name": "slow", "description": "Slow ticks"}
                    ]}),
                ),
            },
        },
    );
}

#[test]
fn tab_opens_the_popup_with_the_first_highlighted_and_wraps_both_ways() {
    let mut s = app_with_session();
    with_agent_commands(&mut s);
    typed(&mut s, "/s");
    update(&mut s, tab());
    assert_eq!(
        popup_labels(&s),
        vec!["/status", "/stop", "/session", "/stream BYTES", "/slow"]
    );
    let sel = |s: &AppState| s.completion.as_ref().unwrap().selected;
    assert_eq!(sel(&s), 0);
    update(&mut s, key(KeyCode::Up, Modifiers::NONE));
    assert_eq!(sel(&s), 4, "Up wraps to the last");
    update(&mut s, tab());
    assert_eq!(sel(&s), 0, "Tab wraps to the first");
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    assert_eq!(sel(&s), 1);
    assert_eq!(
        s.completion.as_ref().unwrap().items[3].source,
        slash::Source::Agent
    );
}

#[test]
fn enter_accepts_without_sending_and_routed_roots_get_a_space_then_tab_completes_subcommands() {
    let mut s = app_with_session();
    typed(&mut s, "/se");
    update(&mut s, tab());
    assert_eq!(popup_labels(&s), vec!["/session"]);
    let fx = update(&mut s, enter());
    assert!(fx.is_empty(), "accepting never sends: {fx:?}");
    assert!(s.completion.is_none());
    assert_eq!(s.active_session().unwrap().input_text(), "/session ");
    update(&mut s, tab());
    assert_eq!(popup_labels(&s), vec!["list", "resume", "close"]);
    update(&mut s, tab());
    update(&mut s, enter());
    assert_eq!(s.active_session().unwrap().input_text(), "/session resume ");
    update(&mut s, tab());
    assert_eq!(popup_labels(&s), vec!["s1"]);
    update(&mut s, enter());
    assert_eq!(
        s.active_session().unwrap().input_text(),
        "/session resume s1"
    );
}

#[test]
fn typing_refilters_by_strict_prefix_and_esc_dismisses() {
    let mut s = app_with_session();
    typed(&mut s, "/");
    update(&mut s, tab());
    assert!(popup_labels(&s).len() >= 15);
    typed(&mut s, "h");
    assert_eq!(popup_labels(&s), vec!["/help", "/history"]);
    typed(&mut s, "e");
    assert_eq!(popup_labels(&s), vec!["/help"]);
    update(&mut s, key(KeyCode::Esc, Modifiers::NONE));
    assert!(s.completion.is_none());
    assert_eq!(s.active_session().unwrap().input_text(), "/he");
    assert!(
        s.active.is_some(),
        "Esc closed the popup, it did not pause the session"
    );
    typed(&mut s, "x");
    update(&mut s, tab());
    assert!(s.completion.is_none());
}

#[test]
fn builtin_commands_act_locally_and_agent_commands_reach_the_agent() {
    let mut s = app_with_session();
    with_agent_commands(&mut s);
    typed(&mut s, "/status");
    let fx = update(&mut s, enter());
    assert_eq!(fx, vec![Effect::AppendHistory("/status".into())]);
    let v = s.active_session().unwrap();
    assert!(v.transcript.entries.iter().any(|e| matches!(&e.kind, EntryKind::Notice { text, .. } if text.contains("session s1") && text.contains("YOLO off"))));
    assert!(v.input_text().is_empty());

    typed(&mut s, "/stream 100");
    let fx = update(&mut s, enter());
    assert!(
        fx.contains(&Effect::Prompt {
            node: 0,
            session: "s1".into(),
            text: "/stream 100".into()
        }),
        "{fx:?}"
    );
}

#[test]
fn an_unknown_command_is_refused_and_nothing_is_sent() {
    let mut s = app_with_session();
    typed(&mut s, "/frobnicate now");
    let fx = update(&mut s, enter());
    assert!(fx.is_empty(), "{fx:?}");
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .text
        .contains("Unknown command /frobnicate"));
    assert_eq!(
        s.active_session().unwrap().input_text(),
        "/frobnicate now",
        "kept for fixing"
    );
}

#[test]
fn commands_reach_the_rest_of_the_app() {
    let mut s = app_with_session();
    s.themes = vec!["dark".into(), "light".into()];
    typed(&mut s, "/theme light");
    assert!(update(&mut s, enter()).contains(&Effect::SetTheme("light".into())));
    assert_eq!(
        s.shown_status().unwrap().text,
        "Theme: light",
        "the switch is confirmed"
    );
    typed(&mut s, "/transcript /tmp/t.md");
    assert!(update(&mut s, enter()).contains(&Effect::SaveTranscript {
        node: 0,
        session: "s1".into(),
        path: Some("/tmp/t.md".into())
    }));
    typed(&mut s, "/yolo");
    assert!(update(&mut s, enter()).contains(&Effect::SetYolo {
        node: 0,
        session: "s1".into(),
        on: true
    }));
    typed(&mut s, "/new");
    assert!(update(&mut s, enter()).iter().any(|e| matches!(e, Effect::NewSession { options, .. } if options.agent == "demo" && !options.yolo)));
    typed(&mut s, "/detach");
    update(&mut s, enter());
    assert!(s.active.is_none());
}

#[test]
fn ctrl_r_searches_history() {
    let mut s = app_with_session();
    s.history = vec![
        "fix the build".into(),
        "explain tests".into(),
        "fix lint".into(),
    ];
    typed(&mut s, "draft");
    update(&mut s, ctrl('r'));
    assert_eq!(
        popup_labels(&s),
        vec!["fix lint", "explain tests", "fix the build"],
        "everything, newest first"
    );
    // Issue 16: its own query line (the draft is untouched), fuzzy and whatever the case.
    typed(&mut s, "FX");
    assert_eq!(s.active_session().unwrap().input_text(), "draft");
    assert_eq!(s.completion.as_ref().unwrap().query, "FX");
    assert_eq!(popup_labels(&s), vec!["fix lint", "fix the build"]);
    typed(&mut s, "q");
    assert!(
        popup_labels(&s).is_empty(),
        "no match, still open to mend the query"
    );
    update(&mut s, key(KeyCode::Backspace, Modifiers::NONE));
    update(&mut s, key(KeyCode::Down, Modifiers::NONE));
    update(&mut s, enter());
    assert_eq!(s.active_session().unwrap().input_text(), "fix the build");
}

#[test]
fn updates_that_arrive_before_session_new_is_applied_are_kept() {
    let keymap = crate::keymap::Keymap::default_keymap(&command::names());
    let mut s = AppState::new(keymap, "dark".into(), "/work".into(), 600);
    s.auto_start = Some(SessionOptions {
        agent: "demo".into(),
        cwd: "/work".into(),
        yolo: false,
        prompt_timeout_secs: None,
    });
    update(
        &mut s,
        Action::NodeConnected {
            node: 0,
            name: "local".into(),
            agents: vec!["demo".into()],
            remote: false,
        },
    );
    with_agent_commands(&mut s);
    let options = SessionOptions {
        agent: "demo".into(),
        cwd: "/work".into(),
        yolo: false,
        prompt_timeout_secs: None,
    };
    let created = SessionCreated {
        session_id: "s1".into(),
        agent_name: None,
        prompt_timeout_secs: None,
        modes: None,
        model: None,
        options: Vec::new(),
    };
    update(
        &mut s,
        Action::SessionCreated {
            node: 0,
            options,
            result: Ok(created),
        },
    );
    assert_eq!(s.active_session().unwrap().commands.len(), 2);
    assert!(s.early_events.is_empty());
}
