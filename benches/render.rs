//! Full-screen client benchmarks, through the real state `update` and `ui::draw_into`:
//! - streaming a 1 MiB markdown answer in 16-byte chunks with a draw after every chunk,
//!   against one render of the finished answer (the ratio is printed);
//! - one 200×50 frame of a session holding a 100,000-line transcript (warm caches);
//! - a keystroke in that state: `update` + draw;
//! - the process's peak RSS after building that transcript (printed);
//! - a resize of a 10 MiB transcript: the first frame after it, the frames until the whole
//!   transcript is laid out at the new width, and the peak RSS (printed; `PRAXIS_BENCH_RESIZE=1`
//!   runs only this);
//! - 256 KiB of each kind of growing content (prose, a thought, a tool's output plain and
//!   fenced, code inside a list item, one long paragraph, one long block quote) at a model's
//!   pace: the cost of the last fifth over the first (printed; `PRAXIS_BENCH_GROWTH=tool,quote`
//!   runs only those).

use criterion::{black_box, Criterion};
use praxis::demo_agent::content::{chunks, markdown_of_size};
use praxis::key::{Key, KeyCode, Modifiers};
use praxis::keymap::Keymap;
use praxis::node_api::{NodeEvent, PromptDone, SessionCreated, SessionOptions, StopReason};
use praxis::protocol::acp::Update;
use praxis::state::{command, update, Action, AppState};
use praxis::ui::highlight::Highlighter;
use praxis::ui::theme::Theme;
use praxis::ui::{draw_into, UiCache};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use serde_json::json;
use std::time::{Duration, Instant};

fn app() -> AppState {
    let mut s = AppState::new(
        Keymap::default_keymap(&command::names()),
        "dark".into(),
        "/w".into(),
        600,
    );
    update(
        &mut s,
        Action::NodeConnected {
            node: 0,
            name: "local".into(),
            agents: vec!["demo".into()],
            remote: false,
        },
    );
    let options = SessionOptions {
        agent: "demo".into(),
        cwd: "/w".into(),
        yolo: false,
        prompt_timeout_secs: None,
    };
    let created = SessionCreated {
        session_id: "s".into(),
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
    s
}

fn chunk_action(text: &str) -> Action {
    Action::Node {
        node: 0,
        event: NodeEvent::Update {
            session: "s".into(),
            update: Update::from_value(
                json!({"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": text}}),
            ),
        },
    }
}

fn prompt(s: &mut AppState, text: &str) {
    for c in text.chars() {
        update(s, Action::Key(Key::new(KeyCode::Char(c), Modifiers::NONE)));
    }
    update(s, Action::Key(Key::new(KeyCode::Enter, Modifiers::NONE)));
}

fn finish(s: &mut AppState) {
    let done = PromptDone {
        stop_reason: StopReason::EndTurn,
        timed_out: false,
        usage: None,
    };
    update(
        s,
        Action::PromptDone {
            session: "s".into(),
            result: Ok(done),
        },
    );
}

fn cache(hl: &Highlighter) -> UiCache {
    UiCache::new(Theme::default_dark(), hl.clone())
}

/// Streams `doc` in 16-byte chunks, drawing after every `draw_every` chunks (1 = after each;
/// the app itself draws once per frame, after draining every queued update); returns the
/// elapsed time.
fn stream_and_draw(doc: &str, hl: &Highlighter, area: Rect, draw_every: usize) -> Duration {
    let mut s = app();
    let mut c = cache(hl);
    let mut buf = Buffer::empty(area);
    prompt(&mut s, "go");
    // Decoding frames belongs to the protocol layer; build the actions before timing.
    let actions: Vec<Action> = chunks(doc, 16).map(chunk_action).collect();
    let start = Instant::now();
    for (i, action) in actions.into_iter().enumerate() {
        update(&mut s, action);
        if i % draw_every == 0 {
            draw_into(&mut buf, area, &s, &mut c);
        }
    }
    finish(&mut s);
    draw_into(&mut buf, area, &s, &mut c);
    start.elapsed()
}

/// One render of the finished document with cold caches.
fn render_once(doc: &str, hl: &Highlighter, area: Rect) -> Duration {
    let mut s = app();
    prompt(&mut s, "go");
    update(&mut s, chunk_action(doc));
    finish(&mut s);
    let mut c = cache(hl);
    let mut buf = Buffer::empty(area);
    let start = Instant::now();
    draw_into(&mut buf, area, &s, &mut c);
    start.elapsed()
}

/// A session whose transcript is at least `lines` lines at `area`'s width.
fn big_transcript(lines: usize, hl: &Highlighter, area: Rect) -> (AppState, UiCache) {
    let mut s = app();
    let mut c = cache(hl);
    let mut buf = Buffer::empty(area);
    let mut total = 0;
    let mut n = 0;
    while total < lines {
        prompt(&mut s, &format!("question {n}"));
        update(&mut s, chunk_action(&markdown_of_size(16 * 1024)));
        finish(&mut s);
        n += 1;
        if n % 8 == 0 {
            total = draw_into(&mut buf, area, &s, &mut c).0;
        }
    }
    draw_into(&mut buf, area, &s, &mut c);
    (s, c)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// A transcript of `bytes` of markdown answers (16 KiB each) at 200×50, laid out; then the
/// frames after narrowing it by one column, timed.
fn resize(bytes: usize, hl: &Highlighter) {
    let area = Rect::new(0, 0, 200, 50);
    let mut s = app();
    let mut c = cache(hl);
    let mut buf = Buffer::empty(area);
    for n in 0..bytes / (16 * 1024) {
        prompt(&mut s, &format!("question {n}"));
        update(&mut s, chunk_action(&markdown_of_size(16 * 1024)));
        finish(&mut s);
    }
    let (lines, _) = draw_into(&mut buf, area, &s, &mut c);
    let narrow = Rect::new(0, 0, 199, 50);
    let mut buf = Buffer::empty(narrow);
    let t0 = Instant::now();
    draw_into(&mut buf, narrow, &s, &mut c);
    let first = t0.elapsed();
    let mut frames = 1;
    while c.pending {
        draw_into(&mut buf, narrow, &s, &mut c);
        frames += 1;
    }
    let all = t0.elapsed();
    let rss = peak_rss_mib();
    let mut fresh = cache(hl);
    let t1 = Instant::now();
    draw_into(&mut buf, narrow, &s, &mut fresh);
    println!(
        "resize of a {} MiB transcript ({lines} lines): first frame {:.1} ms; laid out in {frames} frames, {:.0} ms in all; one whole relayout {:.0} ms; peak RSS before that {:.1} MiB",
        bytes >> 20,
        first.as_secs_f64() * 1e3,
        all.as_secs_f64() * 1e3,
        t1.elapsed().as_secs_f64() * 1e3,
        rss
    );
}

/// The 256 KiB document streamed as `kind`: the same line repeated, shaped as the kind asks.
fn growth_doc(kind: &str) -> String {
    let total = 256 * 1024;
    let words = "a line of reasoning or of a test run's output, as long as they come ... ok";
    let (head, line) = match kind {
        // Paragraphs of a few lines each, as a model writes prose.
        "prose" => (String::new(), format!("{words} with *some* `code`.\n")),
        "paragraph" => (String::new(), format!("{words} and **more** words\n")),
        "quote" => (String::new(), format!("> {words} and _more_\n")),
        // A tool's output as Claude's adapter sends it: rendered as markdown.
        "fenced tool" => ("```console\n".to_string(), format!("{words}\n")),
        "code in list" => (
            "1. Build it:\n\n   ```rust\n".to_string(),
            "   let x = compute(\"a line of code inside a numbered step\", 42);\n".to_string(),
        ),
        _ => (String::new(), format!("{words}\n")),
    };
    let mut doc = head;
    let mut n = 0;
    while doc.len() < total {
        doc.push_str(&line);
        n += 1;
        if kind == "prose" && n % 6 == 0 {
            doc.push('\n');
        }
    }
    doc.truncate(total);
    doc
}

/// A 256 KiB `kind` (a thought, a tool's output, or an answer shaped as prose, one long
/// paragraph, one long block quote or one long code block inside a list item) streamed in
/// 128-byte chunks with a frame every 4 chunks (a model's pace at 200 chunks/s is about that
/// per 16 ms frame): the time of the last fifth over that of the first (1.0 = linear in size),
/// for `update` and drawing together, and for drawing alone.
fn growth(kind: &str, hl: &Highlighter) -> (f64, f64) {
    let area = Rect::new(0, 0, 120, 40);
    let mut s = app();
    let mut c = cache(hl);
    let mut buf = Buffer::empty(area);
    prompt(&mut s, "go");
    let doc = growth_doc(kind);
    let pieces: Vec<&str> = doc
        .as_bytes()
        .chunks(128)
        .map(|b| std::str::from_utf8(b).unwrap())
        .collect();
    let fifth = pieces.len() / 5;
    let mut times = Vec::new();
    let mut output = String::new();
    if kind.ends_with("tool") {
        update(
            &mut s,
            Action::Node {
                node: 0,
                event: NodeEvent::Update {
                    session: "s".into(),
                    update: Update::from_value(
                        json!({"sessionUpdate": "tool_call", "toolCallId": "t", "title": "cargo test", "kind": "execute", "status": "in_progress"}),
                    ),
                },
            },
        );
    }
    // Decoding frames belongs to the protocol layer (and ACP sends a tool's whole output in
    // each update): each fifth's actions are built before it is timed.
    let action = |p: &str, output: &mut String| match kind {
        "tool" | "fenced tool" => {
            output.push_str(p);
            let v = json!({"sessionUpdate": "tool_call_update", "toolCallId": "t", "content": [{"type": "content", "content": {"type": "text", "text": output}}]});
            Action::Node {
                node: 0,
                event: NodeEvent::Update {
                    session: "s".into(),
                    update: Update::from_value(v),
                },
            }
        }
        "thought" => {
            let v = json!({"sessionUpdate": "agent_thought_chunk", "content": {"type": "text", "text": p}});
            Action::Node {
                node: 0,
                event: NodeEvent::Update {
                    session: "s".into(),
                    update: Update::from_value(v),
                },
            }
        }
        _ => chunk_action(p),
    };
    for (k, part) in pieces.chunks(fifth).take(5).enumerate() {
        let actions: Vec<Action> = part.iter().map(|p| action(p, &mut output)).collect();
        let (t0, mut drawing) = (Instant::now(), Duration::ZERO);
        for (i, a) in actions.into_iter().enumerate() {
            update(&mut s, a);
            if (k * fifth + i) % 4 == 3 {
                let t = Instant::now();
                draw_into(&mut buf, area, &s, &mut c);
                drawing += t.elapsed();
            }
        }
        times.push((t0.elapsed(), drawing));
    }
    let ratio = |f: fn(&(Duration, Duration)) -> Duration| {
        f(&times[4]).as_secs_f64() / f(&times[0]).as_secs_f64()
    };
    (ratio(|t| t.0), ratio(|t| t.1))
}

/// Prints the growth figure of each kind in `kinds` (comma-separated; empty: all).
fn growth_figures(kinds: &str, hl: &Highlighter) {
    for kind in [
        "prose",
        "thought",
        "tool",
        "fenced tool",
        "code in list",
        "paragraph",
        "quote",
    ]
    .into_iter()
    .filter(|k| kinds.is_empty() || kinds.split(',').any(|w| w == *k))
    {
        let (all, drawing) = growth(kind, hl);
        println!(
            "a 256 KiB {kind} at a model's pace: last fifth / first fifth = {all:.2} (drawing alone {drawing:.2})"
        );
    }
}

fn benches(c: &mut Criterion) {
    let hl = Highlighter::new_blocking();
    // PRAXIS_BENCH_RESIZE=1: only the resize (first, so its peak RSS is its own);
    // PRAXIS_BENCH_GROWTH=kind,kind: only those growth figures.
    let only_resize = std::env::var_os("PRAXIS_BENCH_RESIZE").is_some();
    let kinds = std::env::var("PRAXIS_BENCH_GROWTH").unwrap_or_default();
    if kinds.is_empty() {
        resize(10 << 20, &hl);
        if only_resize {
            return;
        }
    }
    if !kinds.is_empty() {
        growth_figures(&kinds, &hl);
        return;
    }
    let doc = markdown_of_size(1 << 20);
    let area = Rect::new(0, 0, 120, 40);

    // The headline ratio, measured directly (one run each is long enough to be stable).
    let big = Rect::new(0, 0, 200, 50);
    let (mut s, mut cache) = big_transcript(100_000, &hl, big);
    let mut buf = Buffer::empty(big);
    let total = draw_into(&mut buf, big, &s, &mut cache).0;
    println!(
        "transcript: {total} lines at 200 columns; peak RSS {:.1} MiB",
        peak_rss_mib()
    );
    growth_figures(&kinds, &hl);
    if std::env::var_os("PRAXIS_PROFILE_STREAM").is_some() {
        for _ in 0..10 {
            stream_and_draw(&doc, &hl, area, 64);
        }
        return;
    }
    let once = (0..3).map(|_| render_once(&doc, &hl, area)).min().unwrap();
    println!(
        "one render of the finished 1 MiB answer (cold caches): {:.1} ms",
        once.as_secs_f64() * 1e3
    );
    // As the app runs: every update applied, one frame per burst. The real pipeline (demo
    // agent → node → client) delivers 1 MiB of 16-byte chunks in about 1 s, so at the 120 fps
    // cap a frame covers about 8 KiB; 1 KiB per frame is the stress case.
    for (label, every) in [("8 KiB", 512), ("1 KiB", 64)] {
        let t = stream_and_draw(&doc, &hl, area, every);
        println!(
            "stream 1 MiB in 16-byte chunks, a frame per {label}: {:.1} ms, ratio to one render {:.2}",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / once.as_secs_f64()
        );
    }
    // Worst case, a frame after every chunk: linear in size (same cost per chunk at any size).
    for size in [256 << 10, 1 << 20] {
        let d = markdown_of_size(size);
        let t = stream_and_draw(&d, &hl, area, 1);
        println!(
            "stream {} KiB, a frame after every 16-byte chunk: {:.1} ms, {:.1} µs per chunk",
            size >> 10,
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e6 / (size / 16) as f64
        );
    }

    c.bench_function("draw_200x50_100k_lines", |b| {
        b.iter(|| black_box(draw_into(&mut buf, big, &s, &mut cache)))
    });
    // Two keystrokes per iteration (type, erase) so the input stays short: halve the time.
    c.bench_function("two_keystrokes_update_and_draw_100k_lines", |b| {
        b.iter(|| {
            update(
                &mut s,
                Action::Key(Key::new(KeyCode::Char('x'), Modifiers::NONE)),
            );
            black_box(draw_into(&mut buf, big, &s, &mut cache));
            update(
                &mut s,
                Action::Key(Key::new(KeyCode::Backspace, Modifiers::NONE)),
            );
            black_box(draw_into(&mut buf, big, &s, &mut cache))
        })
    });
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    benches(&mut c);
    c.final_summary();
}
