//! The one loop that touches every layer: terminal input, node events and effect results in;
//! `state::update`; effects out to nodes, disk and clipboard; frames drawn on demand, at most
//! every [`FRAME`] (many updates coalesce into one frame).
//!
//! The terminal is restored on every exit path: quitting, SIGTERM/SIGHUP/SIGQUIT (handled like
//! Ctrl+Q), and a panic (the process's panic hook calls [`restore`] when [`tui_active`], then
//! ends the process).
//!
//! During a flood the loop stays responsive: each turn applies at most [`DRAIN_BUDGET`] node
//! events before it looks at the keyboard and draws again, and the event stream is bounded,
//! so a fast agent waits for the screen instead of filling memory.

mod term_input;

use crate::config::{Config, Paths};
use crate::node::{LocalNode, NodeClient, NodeSettings};
use crate::state::{self, Action, AppState, Effect};
use crate::ui::{self, UiCache};
use crossterm::event::{Event, EventStream};
use crossterm::{cursor, event, execute, terminal};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The shortest time between two frames (~120 fps cap).
pub const FRAME: Duration = Duration::from_millis(8);

/// The most node events applied in one turn of the loop before keys and drawing get a turn.
pub const DRAIN_BUDGET: usize = 256;

/// The most streamed text (bytes) applied in one turn: what a frame has to lay out stays
/// small, so a key waits at most one short frame even while an agent floods.
pub const DRAIN_BYTES: usize = 32 * 1024;

/// How much streamed text an event carries (what the next frame will have to lay out).
fn text_len(event: &crate::node::NodeEvent) -> usize {
    use crate::protocol::acp::{content_text, schema::SessionUpdate as U, Update};
    match event {
        crate::node::NodeEvent::Update {
            update: Update::Known(u),
            ..
        } => match u.as_ref() {
            U::AgentMessageChunk(c) | U::AgentThoughtChunk(c) | U::UserMessageChunk(c) => {
                content_text(&c.content).map_or(0, str::len)
            }
            _ => 64,
        },
        _ => 64,
    }
}

/// Whether the terminal is in full-screen mode (read by the panic hook).
static TUI_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Whether the full-screen client owns the terminal right now.
pub fn tui_active() -> bool {
    TUI_ACTIVE.load(Ordering::SeqCst)
}

/// Puts the terminal in raw mode + alternate screen, and restores it when dropped.
pub struct TerminalGuard;

impl TerminalGuard {
    pub fn enter() -> std::io::Result<TerminalGuard> {
        TUI_ACTIVE.store(true, Ordering::SeqCst);
        terminal::enable_raw_mode()?;
        let mut out = std::io::stdout();
        execute!(
            out,
            terminal::EnterAlternateScreen,
            event::EnableBracketedPaste,
            event::EnableMouseCapture
        )?;
        // Lets terminals that support it report Shift+Enter and friends distinctly.
        let _ = execute!(
            out,
            event::PushKeyboardEnhancementFlags(
                event::KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES
            )
        );
        Ok(TerminalGuard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the terminal as it was (idempotent).
pub fn restore() {
    TUI_ACTIVE.store(false, Ordering::SeqCst);
    let mut out = std::io::stdout();
    let _ = execute!(out, event::PopKeyboardEnhancementFlags);
    let _ = execute!(
        out,
        event::DisableMouseCapture,
        event::DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
}

/// Runs the full-screen client until the user quits; returns the signal that ended it, if
/// one did (the caller exits 128+N).
pub async fn run(
    config: Config,
    paths: Paths,
    settings: NodeSettings,
    warnings: Vec<String>,
    started: Instant,
) -> anyhow::Result<Option<crate::signals::Signal>> {
    let names = state::command::names();
    let (keymap, keymap_err) =
        crate::keymap::Keymap::load(&config.ui.keymap, &paths.config_dir, &names);
    let (theme, theme_err) = crate::ui::theme::Theme::load(&config.ui.theme, &paths.config_dir);
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| ".".into());
    let mut app = AppState::new(
        keymap,
        theme.name().to_string(),
        cwd.clone(),
        config.node.prompt_timeout_secs,
    );
    app.auto_start = Some(crate::node::SessionOptions {
        agent: config.node.default_agent.clone(),
        cwd: PathBuf::from(&cwd),
        yolo: false,
        prompt_timeout_secs: None,
    });
    app.history = crate::history::load(&paths.history_file(), state::HISTORY_LIMIT);
    app.themes = crate::ui::theme::Theme::available(&paths.config_dir);
    for w in warnings.into_iter().chain(keymap_err).chain(theme_err) {
        app.say(state::transcript::Level::Error, w);
    }
    let highlighter = crate::ui::highlight::Highlighter::new_background();
    // Code highlighted in the background shows at the next frame.
    let (highlighted_tx, mut highlighted) = mpsc::unbounded_channel::<()>();
    highlighter.set_waker(move || {
        let _ = highlighted_tx.send(());
    });
    let mut cache = UiCache::new(theme, highlighter);

    let _guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    terminal.clear()?;

    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let mut nodes: Vec<NodeClient> = Vec::new();
    // Node events are read in this loop (not relayed through another task), so that effect
    // results such as "prompt done" can never overtake the updates that preceded them.
    let mut node_events = match NodeClient::connect(LocalNode::start(settings)).await {
        Ok((client, events)) => {
            let _ = tx.send(Action::NodeConnected {
                node: 0,
                name: client.node_name.clone(),
                agents: client.agents.clone(),
            });
            nodes.push(client);
            Some(events)
        }
        Err(e) => {
            app.say(
                state::transcript::Level::Error,
                format!("The local node did not start: {}", e.message),
            );
            None
        }
    };

    let mut input = EventStream::new();
    let mut signals = crate::signals::Signals::new();
    let mut ended_by: Option<crate::signals::Signal> = None;
    // When the oldest key not yet shown on screen arrived (for the "key answered" log line).
    let mut key_waiting: Option<Instant> = None;
    let mut frames = 0u64;
    let mut dirty = true;
    let mut last_frame = Instant::now() - FRAME;
    let mut clock = tokio::time::interval(Duration::from_millis(500));
    let start = Instant::now();
    let epoch_ms = crate::node::journal::now_ms();
    loop {
        let next_frame = last_frame + FRAME;
        tokio::select! {
            biased;
            Some(Ok(ev)) = input.next() => {
                if matches!(ev, Event::Resize(..)) {
                    dirty = true;
                }
                let action = term_input::action(ev);
                if matches!(action, Some(Action::Key(_))) {
                    key_waiting.get_or_insert_with(Instant::now);
                }
                if let Some(a) = action {
                    apply(&mut app, a, &mut Cx { nodes: &nodes, tx: &tx, paths: &paths, cache: &mut cache });
                    dirty = true;
                }
            }
            signal = signals.next() => {
                tracing::info!(%signal, "quitting on a signal");
                ended_by = Some(signal);
                app.quit = true;
            }
            Some(event) = recv_node(&mut node_events) => {
                let mut bytes = text_len(&event);
                apply(&mut app, Action::Node { node: 0, event }, &mut Cx { nodes: &nodes, tx: &tx, paths: &paths, cache: &mut cache });
                // Drain the burst (many chunks, one frame), within the budgets so keys and
                // frames are served during a flood.
                for _ in 1..DRAIN_BUDGET {
                    if bytes >= DRAIN_BYTES {
                        break;
                    }
                    let Some(event) = node_events.as_mut().and_then(|rx| rx.try_recv().ok()) else { break };
                    bytes += text_len(&event);
                    apply(&mut app, Action::Node { node: 0, event }, &mut Cx { nodes: &nodes, tx: &tx, paths: &paths, cache: &mut cache });
                }
                dirty = true;
            }
            Some(()) = highlighted.recv() => {
                while highlighted.try_recv().is_ok() {}
                dirty = true;
            }
            Some(action) = rx.recv() => {
                // Everything a node sent before this result is already queued: apply it
                // first, so a result never overtakes its prompt's updates (what arrives
                // meanwhile waits for the next turn, so a flood cannot hold the loop here).
                let queued = node_events.as_ref().map_or(0, |rx| rx.len());
                for _ in 0..queued {
                    let Some(event) = node_events.as_mut().and_then(|rx| rx.try_recv().ok()) else { break };
                    apply(&mut app, Action::Node { node: 0, event }, &mut Cx { nodes: &nodes, tx: &tx, paths: &paths, cache: &mut cache });
                }
                apply(&mut app, action, &mut Cx { nodes: &nodes, tx: &tx, paths: &paths, cache: &mut cache });
                // Drain what is already queued so a burst of chunks costs one frame.
                while let Ok(more) = rx.try_recv() {
                    apply(&mut app, more, &mut Cx { nodes: &nodes, tx: &tx, paths: &paths, cache: &mut cache });
                }
                dirty = true;
            }
            _ = clock.tick() => {
                let now_ms = epoch_ms + start.elapsed().as_millis() as u64;
                apply(&mut app, Action::Tick { now_ms }, &mut Cx { nodes: &nodes, tx: &tx, paths: &paths, cache: &mut cache });
                dirty = true;
            }
            _ = tokio::time::sleep_until(next_frame.into()), if dirty => {}
        }
        if app.quit {
            break;
        }
        // A key is drawn at once (the frame cap is for streamed output), so typing never
        // waits for the next frame slot.
        if dirty && (key_waiting.is_some() || Instant::now() >= last_frame + FRAME) {
            let mut layout = (0, 0);
            let drawing = Instant::now();
            terminal.draw(|f| layout = ui::draw(f, &app, &mut cache))?;
            if drawing.elapsed() > FRAME * 2 {
                tracing::debug!(ms = drawing.elapsed().as_secs_f64() * 1e3, "slow frame");
            }
            if frames == 0 {
                tracing::info!(
                    ms = started.elapsed().as_secs_f64() * 1e3,
                    "first frame drawn"
                );
            }
            frames += 1;
            last_frame = Instant::now();
            if let Some(at) = key_waiting.take() {
                tracing::debug!(
                    us = at.elapsed().as_micros() as u64,
                    "key answered on screen"
                );
            }
            dirty = false;
            if layout != app.layout {
                state::update(
                    &mut app,
                    Action::Layout {
                        total: layout.0,
                        height: layout.1,
                    },
                );
            }
        }
    }
    let _ = terminal.show_cursor();
    drop(terminal);
    restore();
    // Nobody reads node events any more: dropping the stream keeps the node from waiting.
    drop(node_events);
    let closing = app.sessions.iter().filter_map(|s| {
        let client = nodes.get(s.node)?.clone();
        let id = s.id.clone();
        Some(async move { client.close(&id).await })
    });
    let _ = tokio::time::timeout(Duration::from_secs(3), futures::future::join_all(closing)).await;
    Ok(ended_by)
}

async fn recv_node(
    rx: &mut Option<mpsc::Receiver<crate::node::NodeEvent>>,
) -> Option<crate::node::NodeEvent> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn apply(app: &mut AppState, action: Action, cx: &mut Cx<'_>) {
    for effect in state::update(app, action) {
        if let Effect::SetTheme(name) = &effect {
            // The theme lives in the UI cache; switching it re-keys every render cache.
            let (theme, err) = crate::ui::theme::Theme::load(name, &cx.paths.config_dir);
            cx.cache.theme.set_theme(theme);
            if let Some(e) = err {
                let _ = cx.tx.send(Action::Failed(e));
            }
            continue;
        }
        run_effect(effect, cx.nodes, cx.tx, cx.paths);
    }
}

/// What effects need from the loop.
struct Cx<'a> {
    nodes: &'a [NodeClient],
    tx: &'a mpsc::UnboundedSender<Action>,
    paths: &'a Paths,
    cache: &'a mut UiCache,
}

fn run_effect(
    effect: Effect,
    nodes: &[NodeClient],
    tx: &mpsc::UnboundedSender<Action>,
    paths: &Paths,
) {
    let node_of = |i: usize| nodes.get(i).cloned();
    let tx = tx.clone();
    match effect {
        Effect::NewSession { node, options } => {
            let Some(client) = node_of(node) else { return };
            tokio::spawn(async move {
                let result = client.new_session(&options).await;
                let _ = tx.send(Action::SessionCreated {
                    node,
                    options,
                    result,
                });
            });
        }
        Effect::Prompt {
            node,
            session,
            text,
        } => {
            let Some(client) = node_of(node) else { return };
            tokio::spawn(async move {
                let result = client.prompt(&session, &text).await;
                let _ = tx.send(Action::PromptDone { session, result });
            });
        }
        Effect::Cancel { node, session } => {
            if let Some(c) = node_of(node) {
                tokio::spawn(async move { c.cancel(&session).await });
            }
        }
        Effect::Close { node, session } => {
            let Some(client) = node_of(node) else { return };
            tokio::spawn(async move {
                let _ = client.close(&session).await;
            });
        }
        Effect::SetYolo { node, session, on } => {
            let Some(client) = node_of(node) else { return };
            tokio::spawn(async move {
                let _ = client.set_yolo(&session, on).await;
            });
        }
        Effect::AnswerPermission {
            node,
            request,
            answer,
        } => {
            if let Some(c) = node_of(node) {
                tokio::spawn(async move { c.answer_permission(request, answer).await });
            }
        }
        Effect::SaveTranscript {
            node,
            session,
            path,
        } => {
            let Some(client) = node_of(node) else { return };
            let paths = paths.clone();
            tokio::spawn(async move {
                let result = match client.transcript(&session).await {
                    Ok(markdown) => {
                        let id = session.clone();
                        tokio::task::spawn_blocking(move || {
                            write_transcript(&paths, &id, path, &markdown)
                        })
                        .await
                        .unwrap_or_else(|e| Err(e.to_string()))
                    }
                    Err(e) => Err(e.message),
                };
                let _ = tx.send(Action::TranscriptSaved { session, result });
            });
        }
        Effect::Copy(text) => {
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Action::Copied(copy(&text)));
            });
        }
        Effect::SetMode {
            node,
            session,
            mode,
        } => {
            let Some(client) = node_of(node) else { return };
            tokio::spawn(async move {
                let result = client.set_mode(&session, &mode).await;
                if result.is_err() {
                    let _ = tx.send(Action::ModeSet {
                        session,
                        mode,
                        result,
                    });
                }
            });
        }
        Effect::AppendHistory(prompt) => {
            let path = paths.history_file();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = crate::history::append(&path, &prompt, state::HISTORY_LIMIT) {
                    let _ = tx.send(Action::Failed(format!(
                        "Could not save the prompt history: {e}"
                    )));
                }
            });
        }
        Effect::SetTheme(_) | Effect::Quit => {}
    }
}

/// Renders the session's journal as Markdown into `path` or `<data>/transcripts/`.
/// Writes a transcript the node rendered: to `path`, or `<data>/transcripts/<id8>-<secs>.md`.
pub fn write_transcript(
    paths: &Paths,
    session: &str,
    path: Option<PathBuf>,
    markdown: &str,
) -> Result<PathBuf, String> {
    let path = path.unwrap_or_else(|| {
        let short: String = session.chars().take(8).collect();
        paths.transcripts_dir().join(format!(
            "{short}-{}.md",
            crate::node::journal::now_ms() / 1000
        ))
    });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, markdown).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// The system clipboard, else OSC 52 (which reaches the local clipboard over SSH too).
///
/// One `arboard::Clipboard` lives as long as the process: on X11 the copied text is served by
/// its owner, so dropping it right after `set_text` would lose the text.
fn copy(text: &str) -> Result<&'static str, String> {
    static CLIPBOARD: std::sync::Mutex<Option<arboard::Clipboard>> = std::sync::Mutex::new(None);
    {
        let mut cb = CLIPBOARD.lock().unwrap_or_else(|e| e.into_inner());
        if cb.is_none() {
            *cb = arboard::Clipboard::new().ok();
        }
        if let Some(c) = cb.as_mut() {
            if c.set_text(text.to_owned()).is_ok() {
                return Ok("clipboard");
            }
        }
    }
    let seq = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    let mut out = std::io::stdout();
    out.write_all(seq.as_bytes())
        .and_then(|_| out.flush())
        .map(|_| "OSC 52")
        .map_err(|e| e.to_string())
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_rfc_examples() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(i.as_bytes()), o);
        }
    }
}
