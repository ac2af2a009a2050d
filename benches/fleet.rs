//! 50 remote nodes × 20 sessions each, through the real state `update` and `ui::draw_into`:
//! one 200×50 frame with the Nodes window open, one with the Active Sessions overlay, and a
//! keystroke (↓ in the overlay: `update` + draw). Issue 12 asks for under 1 ms per frame.

use criterion::{black_box, Criterion};
use praxis::key::{Key, KeyCode, Modifiers};
use praxis::keymap::Keymap;
use praxis::node_api::{SessionStatus, SessionSummary};
use praxis::state::{command, update, Action, AppState};
use praxis::ui::highlight::Highlighter;
use praxis::ui::theme::Theme;
use praxis::ui::{draw_into, UiCache};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const NODES: usize = 50;
const SESSIONS: usize = 20;

fn fleet() -> AppState {
    let mut s = AppState::new(
        Keymap::default_keymap(&command::names()),
        "dark".into(),
        "/w".into(),
        600,
    );
    for n in 0..NODES {
        update(
            &mut s,
            Action::NodeConnected {
                node: n,
                name: format!("node-{n:02}"),
                agents: vec!["demo".into(), "gemini".into(), "claude".into()],
                remote: n > 0,
            },
        );
        let statuses = [
            SessionStatus::Idle,
            SessionStatus::Working,
            SessionStatus::NeedsPermission,
        ];
        let list = (0..SESSIONS)
            .map(|i| SessionSummary {
                session_id: format!("{n:02}{i:02}aaaa-0000-4000-8000-000000000000"),
                connector: "demo".into(),
                status: statuses[i % 3],
                reason: None,
                yolo: false,
                created_ms: (n * SESSIONS + i) as u64,
                cwd: Some(format!("/srv/project-{i}").into()),
                ..Default::default()
            })
            .collect();
        update(
            &mut s,
            Action::SessionsListed {
                node: n,
                result: Ok(list),
            },
        );
    }
    assert_eq!(s.sessions.len(), NODES * SESSIONS);
    s
}

fn key(code: KeyCode, m: Modifiers) -> Action {
    Action::Key(Key::new(code, m))
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(50)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3));
    let hl = Highlighter::new_background();
    let area = Rect::new(0, 0, 200, 50);

    let mut nodes = fleet();
    update(&mut nodes, key(KeyCode::Char('l'), Modifiers::CONTROL));
    let mut cache = UiCache::new(Theme::default_dark(), hl.clone());
    let mut buf = Buffer::empty(area);
    c.bench_function("fleet_50x20_nodes_window_frame", |b| {
        b.iter(|| draw_into(black_box(&mut buf), area, &nodes, &mut cache))
    });

    let mut overlay = fleet();
    update(&mut overlay, key(KeyCode::Char('l'), Modifiers::CONTROL));
    update(&mut overlay, key(KeyCode::Char('w'), Modifiers::CONTROL));
    c.bench_function("fleet_50x20_sessions_overlay_frame", |b| {
        b.iter(|| draw_into(black_box(&mut buf), area, &overlay, &mut cache))
    });
    c.bench_function("fleet_50x20_overlay_keystroke_update_and_draw", |b| {
        b.iter(|| {
            update(&mut overlay, key(KeyCode::Down, Modifiers::NONE));
            draw_into(black_box(&mut buf), area, &overlay, &mut cache)
        })
    });
    c.final_summary();
}
