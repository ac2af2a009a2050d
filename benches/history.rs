//! 10,000 past sessions (issue 13: the overlay opens on them in under 50 ms). Measured as the
//! pieces a user waits for, each through the real code:
//! - the node loading its index at start (`Index::open`, once per node start, not per list);
//! - `session/list` with the history, through a real in-process node and `NodeClient` (the
//!   node's JSON, the in-memory transport, the client's parsing);
//! - the client applying the listing and drawing the Active Sessions overlay (120×40);
//! - a keystroke in the overlay's filter (`update` + draw).
//!
//! Opening the overlay on the history = list + apply-and-draw.

use criterion::{black_box, BatchSize, Criterion};
use praxis::config::Paths;
use praxis::key::{Key, KeyCode, Modifiers};
use praxis::keymap::Keymap;
use praxis::node::index::{Entry, Index};
use praxis::node::{Connectors, LocalNode, NodeClient, NodeSettings};
use praxis::node_api::SessionStatus;
use praxis::state::{command, update, Action, AppState};
use praxis::ui::highlight::Highlighter;
use praxis::ui::theme::Theme;
use praxis::ui::{draw_into, UiCache};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::time::Duration;

const PAST: usize = 10_000;
const DAY_MS: u64 = 86_400_000;
const NOW_MS: u64 = 1_800_000_000_000;

fn index_file(paths: &Paths) {
    let dir = paths.data_dir.join("index");
    std::fs::create_dir_all(&dir).unwrap();
    let mut body = String::new();
    for i in 0..PAST as u64 {
        let created = NOW_MS - (PAST as u64 - i) * DAY_MS / 100;
        let e = Entry {
            id: format!("{i:08x}-1111-4000-8000-000000000000"),
            connector: ["demo", "gemini", "claude"][i as usize % 3].into(),
            cwd: format!("/home/user/src/project-{}/crates/core", i % 40).into(),
            created_ms: created,
            yolo: i % 7 == 0,
            prompt_timeout_secs: Some(600),
            title: Some(format!(
                "Fix the failing test in module {i} and explain why it broke"
            )),
            title_from_agent: false,
            last_activity_ms: created + 60_000,
            status: if i % 10 == 0 {
                SessionStatus::Failed
            } else {
                SessionStatus::Closed
            },
            reason: (i % 10 == 0).then(|| "agent exited (exit status 1)".to_string()),
            ended_ms: Some(created + 60_000),
            pid: None,
        };
        body.push_str(&serde_json::to_string(&e).unwrap());
        body.push('\n');
    }
    std::fs::write(dir.join("local.jsonl"), body).unwrap();
}

fn key(code: KeyCode, m: Modifiers) -> Action {
    Action::Key(Key::new(code, m))
}

fn fresh_state() -> AppState {
    let mut s = AppState::new(
        Keymap::default_keymap(&command::names()),
        "dark".into(),
        "/w".into(),
        600,
    );
    update(&mut s, Action::Tick { now_ms: NOW_MS });
    update(
        &mut s,
        Action::NodeConnected {
            node: 0,
            name: "local".into(),
            agents: vec!["demo".into()],
            remote: false,
        },
    );
    s
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    index_file(&paths);

    c.bench_function("history_10k_index_load_at_node_start", |b| {
        b.iter(|| black_box(Index::open(&paths, "local")))
    });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let settings = NodeSettings {
        name: "local".into(),
        connectors: Connectors::default(),
        paths: paths.clone(),
        prompt_timeout: Duration::from_secs(600),
        cancel_grace: Duration::from_secs(1),
    };
    let (client, _events) = rt
        .block_on(async { NodeClient::connect(LocalNode::start(settings)).await })
        .unwrap();
    let listed = rt.block_on(client.list()).unwrap();
    assert_eq!(listed.len(), PAST);
    c.bench_function("history_10k_session_list_through_the_node", |b| {
        b.iter(|| black_box(rt.block_on(client.list()).unwrap()))
    });

    let area = Rect::new(0, 0, 120, 40);
    let mut cache = UiCache::new(Theme::default_dark(), Highlighter::new_background());
    let mut buf = Buffer::empty(area);
    c.bench_function("history_10k_apply_listing_and_draw_overlay", |b| {
        b.iter_batched(
            fresh_state,
            |mut s| {
                update(
                    &mut s,
                    Action::SessionsListed {
                        node: 0,
                        result: Ok(listed.clone()),
                    },
                );
                update(&mut s, key(KeyCode::Char('w'), Modifiers::CONTROL));
                draw_into(&mut buf, area, &s, &mut cache);
                s
            },
            BatchSize::LargeInput,
        )
    });

    let mut s = fresh_state();
    update(
        &mut s,
        Action::SessionsListed {
            node: 0,
            result: Ok(listed.clone()),
        },
    );
    update(&mut s, key(KeyCode::Char('w'), Modifiers::CONTROL));
    draw_into(&mut buf, area, &s, &mut cache);
    assert!(
        format!("{buf:?}").contains("module"),
        "the overlay lists the history"
    );
    c.bench_function("history_10k_filter_keystroke_update_and_draw", |b| {
        b.iter(|| {
            update(&mut s, key(KeyCode::Char('7'), Modifiers::NONE));
            draw_into(&mut buf, area, &s, &mut cache);
            update(&mut s, key(KeyCode::Backspace, Modifiers::NONE));
            draw_into(black_box(&mut buf), area, &s, &mut cache)
        })
    });
    c.final_summary();
}
