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

use std::io::Write;

mod editor;
mod effects;
mod notify;
mod remote;
mod term_input;

use effects::run_effect;
pub use effects::write_transcript;

use crate::config::{Config, Paths};
use crate::node::client::Sink;
use crate::node::{LocalNode, NodeClient, NodeSettings};
use crate::state::{self, Action, AppState, Effect};
use crate::ui::{self, UiCache};
use crossterm::event::{Event, EventStream};
use crossterm::{cursor, event, execute, terminal};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
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
        enter_screen(true)?;
        Ok(TerminalGuard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Raw mode, the alternate screen, bracketed paste, mouse capture (when `mouse`), and the
/// keyboard flags that let terminals report Shift+Enter and friends distinctly.
fn enter_screen(mouse: bool) -> std::io::Result<()> {
    terminal::enable_raw_mode()?;
    let mut out = std::io::stdout();
    execute!(
        out,
        terminal::EnterAlternateScreen,
        event::EnableBracketedPaste
    )?;
    if mouse {
        execute!(out, event::EnableMouseCapture)?;
    }
    let _ = execute!(
        out,
        event::PushKeyboardEnhancementFlags(
            event::KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES
        )
    );
    Ok(())
}

/// Undoes [`enter_screen`] (idempotent).
fn leave_screen() {
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

/// Hands the terminal to the external editor on `draft` and takes it back: the full screen
/// is left (the editor gets a plain terminal) and set up again, then redrawn whole.
async fn in_editor(
    terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
    mouse_capture: bool,
    draft: &str,
) -> Result<String, String> {
    let editor = editor::command()?;
    leave_screen();
    let result = editor::edit(&editor, draft).await;
    if let Err(e) = enter_screen(mouse_capture) {
        tracing::warn!(error = %e, "the full screen could not be set up again after the editor");
    }
    let _ = terminal.clear();
    result
}

/// Leaves the terminal as it was (idempotent).
pub fn restore() {
    let was_active = TUI_ACTIVE.swap(false, Ordering::SeqCst);
    if was_active {
        let _ = std::io::stdout().write_all(notify::POP_TITLE);
    }
    leave_screen();
}

/// What the first session is started with (`praxis --agent --cwd --yolo --node`); None: the
/// configured default agent, the current directory, the local node.
#[derive(Debug, Clone, Default)]
pub struct Start {
    pub agent: Option<String>,
    pub cwd: Option<PathBuf>,
    pub yolo: bool,
    pub node: Option<String>,
}

/// Runs the full-screen client until the user quits; returns the signal that ended it, if
/// one did (the caller exits 128+N).
pub async fn run(
    config: Config,
    paths: Paths,
    settings: NodeSettings,
    warnings: Vec<String>,
    started: Instant,
    launch: Option<state::Launch>,
    start: Start,
) -> anyhow::Result<Option<crate::signals::Signal>> {
    let names = state::command::names();
    let (keymap, keymap_err) =
        crate::keymap::Keymap::load(&config.ui.keymap, &paths.config_dir, &names);
    let (theme, theme_err) = crate::ui::theme::Theme::load(&config.ui.theme, &paths.config_dir);
    let cwd = match &start.cwd {
        Some(dir) => dir.display().to_string(),
        None => std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| ".".into()),
    };
    let mut app = AppState::new(
        keymap,
        theme.name().to_string(),
        cwd.clone(),
        config.node.prompt_timeout_secs,
    );
    app.auto_start = Some(crate::node::SessionOptions {
        agent: start
            .agent
            .clone()
            .unwrap_or_else(|| config.node.default_agent.clone()),
        cwd: PathBuf::from(&cwd),
        yolo: start.yolo,
        prompt_timeout_secs: None,
    });
    app.auto_start_node = start.node.clone();
    // `--continue` / `--resume` are applied once the local node has listed its sessions;
    // `auto_start` stays as the fallback when there is nothing to continue.
    app.launch = launch;
    app.notify = config.ui.notify != crate::config::Notify::Off;
    app.ended_keep_ms = config.ui.ended_keep_minutes.saturating_mul(60_000);
    let notify_style = notify::Style::from_env(config.ui.notify);
    app.history = crate::history::load(&paths.history_file(), state::HISTORY_LIMIT);
    app.themes = crate::ui::theme::Theme::available(&paths.config_dir);
    // Shown whole in the first session's chat (and logged); the status bar only points there.
    let problems: Vec<String> = warnings
        .into_iter()
        .chain(keymap_err)
        .chain(theme_err)
        .collect();
    for p in &problems {
        tracing::error!(problem = %p, "configuration");
    }
    if !problems.is_empty() {
        let n = problems.len();
        app.say(
            state::transcript::Level::Error,
            format!(
                "{n} configuration problem{}: see the chat (and logs/praxis.log)",
                if n == 1 { "" } else { "s" }
            ),
        );
    }
    app.startup_notices = problems;
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
    notify::write(notify::PUSH_TITLE);
    let mut shown_title = String::new();

    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let mut nodes: Vec<Option<NodeClient>> = Vec::new();
    // Every node's events arrive on this one stream, tagged with the node's index, and are
    // read in this loop (not relayed through another task), so that effect results such as
    // "prompt done" can never overtake the updates that preceded them.
    let (events_tx, node_events) = mpsc::channel(crate::node::client::EVENT_CAPACITY);
    let mut node_events = Some(node_events);
    let local = Sink::Shared(0, events_tx.clone());
    match NodeClient::connect_into(LocalNode::start(settings), local, None).await {
        Ok(client) => {
            let _ = tx.send(Action::NodeConnected {
                node: 0,
                name: client.node_name.clone(),
                agents: client.agents.clone(),
                remote: false,
            });
            nodes.push(Some(client));
        }
        Err(e) => {
            nodes.push(None);
            app.say(
                state::transcript::Level::Error,
                format!("The local node did not start: {}", e.message),
            );
        }
    };
    // Node daemons (the local one's socket, the broker's nodes) join as they are found.
    let (joined_tx, mut joined) = mpsc::unbounded_channel::<remote::Joined>();
    let (dropped_tx, dropped) = mpsc::unbounded_channel::<usize>();
    remote::start(&config, &paths, events_tx, joined_tx, tx.clone(), dropped);

    let mut input = EventStream::new();
    let mut edit: Option<(String, String)> = None;
    // What effects need from the loop, borrowed anew for each action.
    macro_rules! cx {
        () => {
            &mut Cx {
                nodes: &nodes,
                tx: &tx,
                paths: &paths,
                cache: &mut cache,
                notify: notify_style,
                edit: &mut edit,
            }
        };
    }
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
                    apply(&mut app, a, cx!());
                    dirty = true;
                }
            }
            signal = signals.next() => {
                tracing::info!(%signal, "quitting on a signal");
                ended_by = Some(signal);
                app.quit = true;
            }
            Some((node, event)) = recv_node(&mut node_events) => {
                let mut bytes = text_len(&event);
                apply(&mut app, node_action(node, event, &dropped_tx), cx!());
                // Drain the burst (many chunks, one frame), within the budgets so keys and
                // frames are served during a flood.
                for _ in 1..DRAIN_BUDGET {
                    if bytes >= DRAIN_BYTES {
                        break;
                    }
                    let Some((node, event)) = node_events.as_mut().and_then(|rx| rx.try_recv().ok()) else { break };
                    bytes += text_len(&event);
                    apply(&mut app, node_action(node, event, &dropped_tx), cx!());
                }
                dirty = true;
            }
            Some(()) = highlighted.recv() => {
                while highlighted.try_recv().is_ok() {}
                dirty = true;
            }
            Some(j) = joined.recv() => {
                while nodes.len() <= j.node {
                    nodes.push(None);
                }
                let action = Action::NodeConnected {
                    node: j.node,
                    name: j.client.node_name.clone(),
                    agents: j.client.agents.clone(),
                    remote: true,
                };
                nodes[j.node] = Some(j.client);
                apply(&mut app, action, cx!());
                dirty = true;
            }
            Some(action) = rx.recv() => {
                // Everything a node sent before this result is already queued: apply it
                // first, so a result never overtakes its prompt's updates (what arrives
                // meanwhile waits for the next turn, so a flood cannot hold the loop here).
                let queued = node_events.as_ref().map_or(0, |rx| rx.len());
                for _ in 0..queued {
                    let Some((node, event)) = node_events.as_mut().and_then(|rx| rx.try_recv().ok()) else { break };
                    apply(&mut app, node_action(node, event, &dropped_tx), cx!());
                }
                apply(&mut app, action, cx!());
                // Drain what is already queued so a burst of chunks costs one frame.
                while let Ok(more) = rx.try_recv() {
                    apply(&mut app, more, cx!());
                }
                dirty = true;
            }
            _ = clock.tick() => {
                let now_ms = epoch_ms + start.elapsed().as_millis() as u64;
                // An idle screen is not redrawn for the clock alone (the tick that ends a
                // faded message or an armed guard still is).
                let before = app.ticking();
                apply(&mut app, Action::Tick { now_ms }, cx!());
                dirty |= before || app.ticking();
            }
            _ = tokio::time::sleep_until(next_frame.into()), if dirty => {}
        }
        if app.quit {
            break;
        }
        if let Some((session, draft)) = edit.take() {
            // The event reader stops first: every key goes to the editor.
            drop(input);
            let result = in_editor(&mut terminal, app.mouse_capture, &draft).await;
            input = EventStream::new();
            apply(&mut app, Action::Edited { session, result }, cx!());
            dirty = true;
            key_waiting.get_or_insert_with(Instant::now);
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
            // Layout left for later frames (after a resize): they come at the frame rate.
            dirty = cache.pending;
            let title = state::terminal_title(&app);
            if title != shown_title {
                notify::write(&notify::title(&title));
                shown_title = title;
            }
            if layout != app.layout || cache.input_width != app.input_width {
                state::update(
                    &mut app,
                    Action::Layout {
                        total: layout.0,
                        height: layout.1,
                        input_width: cache.input_width,
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
    // Sessions of the in-process node end with it; remote ones keep running (dropping the
    // connection detaches from them).
    let closing = app
        .sessions
        .iter()
        .filter(|s| s.node == 0 && s.status.is_live())
        .filter_map(|s| {
            let client = nodes.get(s.node)?.clone()?;
            let id = s.id.clone();
            Some(async move { client.close(&id).await })
        });
    let _ = tokio::time::timeout(Duration::from_secs(3), futures::future::join_all(closing)).await;
    Ok(ended_by)
}

/// A node event as an action; a remote node's closed link is also reported to the finder,
/// so the node is linked again at its next heartbeat.
fn node_action(
    node: usize,
    event: crate::node::NodeEvent,
    dropped: &mpsc::UnboundedSender<usize>,
) -> Action {
    if node > 0 && matches!(event, crate::node::NodeEvent::Disconnected(_)) {
        let _ = dropped.send(node);
    }
    Action::Node { node, event }
}

async fn recv_node(
    rx: &mut Option<mpsc::Receiver<(usize, crate::node::NodeEvent)>>,
) -> Option<(usize, crate::node::NodeEvent)> {
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
        if let Effect::SetMouseCapture(on) = effect {
            // Between frames, like the theme.
            let mut out = std::io::stdout();
            let _ = if on {
                execute!(out, event::EnableMouseCapture)
            } else {
                execute!(out, event::DisableMouseCapture)
            };
            continue;
        }
        if let Effect::EditDraft { session, text } = effect {
            // Run by the loop, which can stop reading the terminal while the editor has it.
            *cx.edit = Some((session, text));
            continue;
        }
        if let Effect::Notify { title, body } = &effect {
            // Between frames: the terminal's buffer is flushed after every draw.
            notify::write(&notify::notification(cx.notify, title, body));
            continue;
        }
        run_effect(effect, cx.nodes, cx.tx, cx.paths);
    }
}

/// What effects need from the loop.
struct Cx<'a> {
    nodes: &'a [Option<NodeClient>],
    tx: &'a mpsc::UnboundedSender<Action>,
    paths: &'a Paths,
    cache: &'a mut UiCache,
    notify: notify::Style,
    /// A draft to edit in the external editor (session, text), taken by the loop.
    edit: &'a mut Option<(String, String)>,
}
