//! The agents a node can start: the user's `[agents.NAME]` entries plus the built-in demo
//! agent, which is this very binary run as `praxis agent demo`.

use crate::config::{AgentDef, NodeConfig, DEMO_AGENT};
use crate::transport::stdio::AgentCommand;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One startable agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connector {
    pub name: String,
    pub command: AgentCommand,
    /// The auth method to use when the agent demands authentication.
    pub auth_method: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Connectors {
    map: BTreeMap<String, Connector>,
}

impl Connectors {
    /// The demo agent (run from `praxis_exe`) plus every agent in `config`; a user entry named
    /// `demo` replaces the built-in one.
    pub fn from_config(config: &NodeConfig, praxis_exe: &Path) -> Connectors {
        let mut map = BTreeMap::new();
        map.insert(DEMO_AGENT.to_string(), demo(praxis_exe, &[]));
        for (name, def) in &config.agents {
            map.insert(name.clone(), from_def(name, def));
        }
        Connectors { map }
    }

    pub fn insert(&mut self, connector: Connector) {
        self.map.insert(connector.name.clone(), connector);
    }

    pub fn get(&self, name: &str) -> Option<&Connector> {
        self.map.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Connector> {
        self.map.values()
    }
}

/// The built-in demo agent with extra arguments (tests use `--require-auth` and friends).
pub fn demo(praxis_exe: &Path, extra: &[&str]) -> Connector {
    let mut args = vec!["agent".to_string(), "demo".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    Connector {
        name: DEMO_AGENT.into(),
        command: AgentCommand {
            program: praxis_exe.to_owned(),
            args,
            env: BTreeMap::new(),
        },
        auth_method: None,
    }
}

fn from_def(name: &str, def: &AgentDef) -> Connector {
    Connector {
        name: name.to_string(),
        command: AgentCommand {
            program: PathBuf::from(&def.command),
            args: def.args.clone(),
            env: def.env.clone(),
        },
        auth_method: def.auth_method.clone(),
    }
}
