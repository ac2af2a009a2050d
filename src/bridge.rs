//! `praxis bridge`: ACP on this process's stdin/stdout, forwarded to an agent on a node.
//! (Being written.)

use crate::script::Env;

/// Runs the bridge until stdin closes; returns the exit code.
pub async fn run(env: Env, node: Option<String>, agent: String, yolo: bool) -> i32 {
    let _ = (env, node, agent, yolo);
    2
}
