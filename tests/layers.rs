//! The layering as a check anyone can run: every `crate::<module>` a top-level module of
//! `src/` names must be in the table below, and the graph of top-level modules has no cycle.
//! A new upward import (protocol naming the node, the node naming the UI, ...) fails here.
//!
//! Terminal crates (ratatui, crossterm, ...) may only be named by the UI and the runtime, so the
//! node, the protocol and the node daemon build on terminal-free modules.
//!
//! The table is the layering as it stands; edges still to be cut are marked so.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// module → the modules it may name.
const ALLOWED: &[(&str, &[&str])] = &[
    ("sanitize", &[]),
    ("signals", &[]),
    ("stderr", &["sanitize"]),
    ("key", &[]),
    ("config", &[]),
    ("keymap", &["key", "config"]),
    ("wire", &["sanitize"]),
    ("amqp", &["wire", "sanitize"]),
    ("transport", &["wire", "sanitize"]),
    ("protocol", &["wire", "sanitize"]),
    ("node_api", &["protocol", "sanitize"]),
    (
        "node",
        &[
            "wire",
            "transport",
            "protocol",
            "node_api",
            "sanitize",
            "config",
            "transcript",
            "amqp",
            "signals",
        ],
    ),
    (
        "reach",
        &[
            "amqp",
            "config",
            "node",
            "sanitize",
            "stderr",
            "transport",
            "wire",
        ],
    ),
    ("demo_agent", &["wire", "transport", "protocol"]),
    ("history", &["sanitize"]),
    ("growth", &["sanitize"]),
    ("tool_text", &[]),
    ("transcript", &["sanitize"]),
    (
        "state",
        &[
            "protocol", "node_api", "key", "keymap", "sanitize", "growth",
        ],
    ),
    (
        "ui",
        &[
            "state",
            "protocol",
            "node_api",
            "config",
            "key",
            "keymap",
            "sanitize",
            "growth",
            "tool_text",
        ],
    ),
    (
        "script",
        &[
            "amqp",
            "config",
            "headless",
            "node",
            "node_api",
            "protocol",
            "reach",
            "sanitize",
            "stderr",
            "stderr",
            "signals",
            "transport",
            "wire",
        ],
    ),
    (
        "bridge",
        &[
            "config",
            "node",
            "protocol",
            "reach",
            "sanitize",
            "stderr",
            "script",
            "signals",
            "transport",
            "wire",
        ],
    ),
    (
        "headless",
        &[
            "node",
            "node_api",
            "protocol",
            "reach",
            "sanitize",
            "signals",
            "stderr",
            "growth",
            "tool_text",
        ],
    ),
    (
        "runtime",
        &[
            "amqp",
            "config",
            "history",
            "key",
            "keymap",
            "node",
            "node_api",
            "protocol",
            "reach",
            "signals",
            "state",
            "transcript",
            "transport",
            "ui",
        ],
    ),
];

/// The crates that draw on or read from a terminal: only the UI and the runtime may name them.
const TERMINAL_CRATES: &[&str] = &["ratatui", "crossterm", "tui_textarea", "syntect", "arboard"];

/// Modules that may name [`TERMINAL_CRATES`].
const TERMINAL_MODULES: &[&str] = &["ui", "runtime"];

fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::name` in `text`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let top = top_module(&src, &file);
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let named = edges.entry(top.clone()).or_default();
        for m in named_modules(&text) {
            if m != top {
                named.insert(m);
            }
        }
    }
    edges
}

#[test]
fn no_module_names_a_layer_it_may_not() {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(m, deps)| (*m, deps.iter().copied().collect()))
        .collect();
    let mut wrong = Vec::new();
    for (module, named) in graph() {
        let Some(ok) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "`{module}` is not in the layer table of tests/layers.rs"
            ));
            continue;
        };
        for n in named {
            if !ok.contains(n.as_str()) {
                wrong.push(format!("`{module}` names `crate::{n}`"));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

/// (module, crate) for every terminal crate a module names, outside [`TERMINAL_MODULES`].
fn terminal_uses() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let top = top_module(&src, &file);
        if TERMINAL_MODULES.contains(&top.as_str()) || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for krate in TERMINAL_CRATES {
            if names_crate(&text, krate) {
                let rel = file.strip_prefix(&src).unwrap().display().to_string();
                wrong.push(format!("src/{rel} (module `{top}`) names `{krate}`"));
            }
        }
    }
    wrong
}

/// Whether `text` names `krate::…` as a path of its own (not `my_krate::`).
fn names_crate(text: &str, krate: &str) -> bool {
    let pat = format!("{krate}::");
    text.match_indices(&pat).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[test]
fn only_the_ui_and_the_runtime_name_terminal_crates() {
    let wrong = terminal_uses();
    assert!(
        wrong.is_empty(),
        "terminal crates below the UI:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_module_graph_has_no_cycle() {
    let g = graph();
    // Depth-first search with colours: 1 = on the stack, 2 = done.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        colour: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match colour.get(m) {
            Some(2) => return None,
            Some(1) => {
                let from = stack.iter().position(|s| s == m).unwrap_or(0);
                let mut cycle = stack[from..].to_vec();
                cycle.push(m.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        colour.insert(m.to_string(), 1);
        stack.push(m.to_string());
        for n in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(n, g, colour, stack) {
                return Some(c);
            }
        }
        stack.pop();
        colour.insert(m.to_string(), 2);
        None
    }
    let mut colour = BTreeMap::new();
    for m in g.keys() {
        if let Some(cycle) = visit(m, &g, &mut colour, &mut Vec::new()) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_scan_sees_imports() {
    // The scan itself must find what is there, or the checks above prove nothing.
    let g = graph();
    assert!(g["protocol"].contains("wire"), "{g:?}");
    assert!(g["runtime"].contains("ui"), "{g:?}");
    assert!(names_crate("use ratatui::style;", "ratatui"));
    assert!(!names_crate("use my_ratatui::style;", "ratatui"));
    assert!(!names_crate("ratatui is fine in prose", "ratatui"));
    assert_eq!(
        named_modules("use crate::a::b; crate::c_d::e"),
        ["a".to_string(), "c_d".to_string()].into()
    );
}
