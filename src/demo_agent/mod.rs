//! The built-in demo agent: a real ACP agent over stdio (`praxis agent demo`), so praxis does
//! something on a fresh machine with no API key and tests run against a real process.
//!
//! A plain prompt gets the showcase turn ([`turn::showcase`]): thoughts, a plan whose steps
//! progress, tool calls (one failing), a diff behind a permission request, and a streamed
//! markdown answer with tables and code. Prompts starting with `/` select deterministic modes
//! for tests and benchmarks (see [`COMMANDS`]).

pub mod content;
mod options;
mod turn;

use crate::protocol::acp::{method, PROTOCOL_VERSION};
use crate::protocol::jsonrpc::codes;
use crate::protocol::{Id, Incoming, Peer, RpcError};
use crate::transport::stdio;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The demo agent's commands, advertised with `available_commands_update`.
pub const COMMANDS: &[(&str, &str, Option<&str>)] = &[
    ("help", "List the demo agent's commands", None),
    ("echo", "Answer with the given text", Some("text")),
    (
        "stream",
        "Stream BYTES of markdown in CHUNK-byte pieces, as fast as possible",
        Some("BYTES [CHUNK]"),
    ),
    (
        "slow",
        "Stream N ticks, 100 ms apart (for cancelling)",
        Some("[N]"),
    ),
    (
        "permission",
        "Ask for permission and report the answer",
        None,
    ),
    (
        "write",
        "Ask for permission, then write a file in the working directory",
        Some("NAME TEXT"),
    ),
    ("read", "Read a file through the client", Some("PATH")),
    (
        "fs-escape",
        "Try to read and write outside the working directory",
        None,
    ),
    (
        "crash",
        "Exit with status 3 in the middle of an answer",
        None,
    ),
    ("hang", "Stop answering and ignore cancel", None),
    (
        "malformed",
        "Emit malformed and unknown frames, then answer",
        None,
    ),
];

/// Start-up options (`praxis agent demo [--require-auth] [--delay-ms N]`).
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Demand `authenticate` before `session/new`; succeeds only when `PRAXIS_DEMO_TOKEN` is set.
    pub require_auth: bool,
    /// Pause between streamed chunks in the showcase turn (ms).
    pub delay_ms: u64,
}

struct Session {
    cwd: PathBuf,
    cancel: watch::Sender<bool>,
    settings: options::Settings,
}

struct Demo {
    peer: Peer,
    opts: DemoOptions,
    authenticated: AtomicBool,
    sessions: Mutex<HashMap<String, Session>>,
}

/// A string member of a request's params ("" when missing or not a string).
fn str_param<'a>(params: &'a Value, key: &str) -> &'a str {
    params.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Serves ACP on this process's stdin/stdout until the client goes away.
pub async fn run(opts: DemoOptions) -> i32 {
    let (peer, mut incoming) = Peer::spawn(stdio::own_stdio());
    let demo = Arc::new(Demo {
        peer,
        authenticated: AtomicBool::new(!opts.require_auth),
        opts,
        sessions: Mutex::new(HashMap::new()),
    });
    while let Some(item) = incoming.recv().await {
        match item {
            Incoming::Request { id, method, params } => {
                tokio::spawn(demo.clone().handle(id, method, params));
            }
            Incoming::Notification { method: m, params } if m == method::SESSION_CANCEL => {
                let sid = str_param(&params, "sessionId");
                if let Some(s) = demo.lock().get(sid) {
                    let _ = s.cancel.send(true);
                }
            }
            Incoming::Notification { .. } | Incoming::Skipped(_) => {}
            Incoming::Closed(_) => break,
        }
    }
    0
}

impl Demo {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on session `sid`'s settings.
    fn with_settings<T>(
        &self,
        sid: &str,
        f: impl FnOnce(&mut options::Settings) -> Result<T, RpcError>,
    ) -> Result<T, RpcError> {
        match self.lock().get_mut(sid) {
            Some(s) => f(&mut s.settings),
            None => Err(RpcError::not_found(format!("no session {sid}"))),
        }
    }

    async fn handle(self: Arc<Self>, id: Id, m: String, params: Value) {
        let result = match m.as_str() {
            method::INITIALIZE => Ok(self.initialize()),
            method::AUTHENTICATE => self.authenticate(&params),
            method::SESSION_NEW => {
                match self.new_session(&params) {
                    Ok((sid, answer)) => {
                        // Answer first, then advertise commands, so the client knows the id.
                        self.peer.respond(id, Ok(answer)).await;
                        self.advertise_commands(&sid).await;
                    }
                    Err(e) => self.peer.respond(id, Err(e)).await,
                }
                return;
            }
            method::SESSION_PROMPT => self.prompt(params).await,
            method::SESSION_SET_MODE => self.set_mode(&params).await,
            method::SESSION_SET_CONFIG_OPTION => self.set_config_option(&params),
            method::SESSION_LIST => Ok(self.list()),
            method::SESSION_CLOSE => {
                let sid = str_param(&params, "sessionId");
                match self.lock().remove(sid) {
                    Some(s) => {
                        let _ = s.cancel.send(true);
                        Ok(json!({}))
                    }
                    None => Err(RpcError::not_found(format!("no session {sid}"))),
                }
            }
            other => Err(RpcError::method_not_found(other)),
        };
        self.peer.respond(id, result).await;
    }

    fn initialize(&self) -> Value {
        let auth = if self.opts.require_auth {
            json!([{ "id": "demo-token", "name": "Demo token", "description": "Set PRAXIS_DEMO_TOKEN" }])
        } else {
            json!([])
        };
        json!({
            "protocolVersion": PROTOCOL_VERSION,
            "agentCapabilities": {
                "loadSession": false,
                "promptCapabilities": { "image": false, "audio": false, "embeddedContext": false },
                "sessionCapabilities": { "list": {}, "close": {} },
            },
            "agentInfo": { "name": "demo", "title": "praxis demo agent", "version": env!("CARGO_PKG_VERSION") },
            "authMethods": auth,
        })
    }

    fn authenticate(&self, params: &Value) -> Result<Value, RpcError> {
        let method_id = str_param(params, "methodId");
        if method_id != "demo-token" {
            return Err(RpcError::invalid_params(format!(
                "unknown auth method `{method_id}`"
            )));
        }
        if std::env::var_os("PRAXIS_DEMO_TOKEN").is_none() {
            return Err(RpcError::new(
                codes::AUTH_REQUIRED,
                "PRAXIS_DEMO_TOKEN is not set",
            ));
        }
        self.authenticated.store(true, Ordering::Relaxed);
        Ok(json!({}))
    }

    fn new_session(&self, params: &Value) -> Result<(String, Value), RpcError> {
        if !self.authenticated.load(Ordering::Relaxed) {
            return Err(RpcError::new(
                codes::AUTH_REQUIRED,
                "Authentication required",
            ));
        }
        let cwd = params
            .get("cwd")
            .and_then(Value::as_str)
            .map(PathBuf::from)
            .ok_or_else(|| RpcError::invalid_params("missing cwd"))?;
        let sid = format!("demo-{}", uuid::Uuid::new_v4().simple());
        let (cancel, _) = watch::channel(false);
        let settings = options::Settings::default();
        let modes: Vec<Value> = options::MODES
            .iter()
            .map(|(id, name, description)| json!({ "id": id, "name": name, "description": description }))
            .collect();
        let answer = json!({
            "sessionId": sid,
            "modes": { "currentModeId": settings.mode, "availableModes": modes },
            "configOptions": settings.to_json(),
        });
        self.lock().insert(
            sid.clone(),
            Session {
                cwd,
                cancel,
                settings,
            },
        );
        Ok((sid, answer))
    }

    async fn advertise_commands(&self, sid: &str) {
        let commands: Vec<Value> = COMMANDS
            .iter()
            .map(|(name, description, hint)| {
                let mut c = json!({ "name": name, "description": description });
                if let Some(hint) = hint {
                    c["input"] = json!({ "hint": hint });
                }
                c
            })
            .collect();
        let _ = self
            .peer
            .notify(
                method::SESSION_UPDATE,
                json!({ "sessionId": sid, "update": {
                    "sessionUpdate": "available_commands_update", "availableCommands": commands,
                }}),
            )
            .await;
    }

    async fn set_mode(&self, params: &Value) -> Result<Value, RpcError> {
        let sid = str_param(params, "sessionId");
        let mode = str_param(params, "modeId");
        let options = self.with_settings(sid, |settings| {
            settings.set("mode", &json!(mode))?;
            Ok(settings.to_json())
        })?;
        for update in [
            json!({ "sessionUpdate": "current_mode_update", "currentModeId": mode }),
            json!({ "sessionUpdate": "config_option_update", "configOptions": options }),
        ] {
            let _ = self
                .peer
                .notify(
                    method::SESSION_UPDATE,
                    json!({ "sessionId": sid, "update": update }),
                )
                .await;
        }
        Ok(json!({}))
    }

    /// `session/set_config_option`: answers with every option as it is now.
    fn set_config_option(&self, params: &Value) -> Result<Value, RpcError> {
        let sid = str_param(params, "sessionId");
        let id = str_param(params, "configId");
        let value = params.get("value").cloned().unwrap_or(Value::Null);
        let options = self.with_settings(sid, |settings| {
            settings.set(id, &value)?;
            Ok(settings.to_json())
        })?;
        Ok(json!({ "configOptions": options }))
    }

    fn list(&self) -> Value {
        let sessions: Vec<Value> = self
            .lock()
            .iter()
            .map(|(id, s)| json!({ "sessionId": id, "cwd": s.cwd }))
            .collect();
        json!({ "sessions": sessions })
    }

    async fn prompt(&self, params: Value) -> Result<Value, RpcError> {
        let sid = str_param(&params, "sessionId").to_string();
        let (cwd, cancel) = {
            let sessions = self.lock();
            let s = sessions
                .get(&sid)
                .ok_or_else(|| RpcError::not_found(format!("no session {sid}")))?;
            s.cancel.send_replace(false);
            (s.cwd.clone(), s.cancel.subscribe())
        };
        let text: String = params
            .get("prompt")
            .and_then(Value::as_array)
            .map(|blocks| {
                blocks
                    .iter()
                    .filter_map(|b| b.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        let t = turn::Turn {
            peer: self.peer.clone(),
            session_id: sid,
            cwd,
            cancel,
            delay: Duration::from_millis(self.opts.delay_ms),
        };
        let stop = turn::run(&t, text.trim()).await?;
        Ok(json!({
            "stopReason": stop,
            "usage": { "inputTokens": t.input_tokens(&text), "outputTokens": 1024, "totalTokens": 1024 + t.input_tokens(&text) },
        }))
    }
}
