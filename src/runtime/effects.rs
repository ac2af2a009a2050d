//! Effects carried out: requests to nodes (spawned, their answers sent back as actions),
//! transcript files, the prompt history, and the clipboard (the system one, else OSC 52).

use crate::config::Paths;
use crate::node::NodeClient;
use crate::state::{self, Action, Effect};
use std::io::Write;
use std::path::PathBuf;
use tokio::sync::mpsc;

pub(super) fn run_effect(
    effect: Effect,
    nodes: &[Option<NodeClient>],
    tx: &mpsc::UnboundedSender<Action>,
    paths: &Paths,
) {
    let node_of = |i: usize| nodes.get(i).cloned().flatten();
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
        Effect::ListSessions { node } => {
            let Some(client) = node_of(node) else { return };
            tokio::spawn(async move {
                let result = client.list().await;
                let _ = tx.send(Action::SessionsListed { node, result });
            });
        }
        Effect::Attach { node, session } => {
            let Some(client) = node_of(node) else { return };
            tokio::spawn(async move {
                let result = client.resume(&session).await.map(|r| {
                    let _ = tx.send(Action::OptionsHeard {
                        session: session.clone(),
                        options: r.options,
                        modes: r.modes,
                    });
                });
                let _ = tx.send(Action::Attached { session, result });
            });
        }
        Effect::Reopen { node, session } => {
            let Some(client) = node_of(node) else { return };
            tokio::spawn(async move {
                let result = client.reopen(&session).await.map(|r| {
                    let _ = tx.send(Action::OptionsHeard {
                        session: session.clone(),
                        options: r.options,
                        modes: r.modes,
                    });
                });
                let _ = tx.send(Action::Attached { session, result });
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
        Effect::SetOption {
            node,
            session,
            option,
            setting,
        } => {
            let Some(client) = node_of(node) else { return };
            tokio::spawn(async move {
                let result = client.set_config_option(&session, &option, &setting).await;
                let _ = tx.send(Action::OptionSet {
                    session,
                    option,
                    result,
                });
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
        Effect::SetTheme(_)
        | Effect::SetMouseCapture(_)
        | Effect::EditDraft { .. }
        | Effect::Quit => {}
        // Written by the loop (it knows the notification style).
        Effect::Notify { .. } => {}
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
