//! The real `praxis` binary run as a user would: `praxis prompt` against the demo agent
//! (exit statuses, plain-text output, permission handling), bad configuration, and transcript
//! export from the journal.

use std::path::Path;
use std::process::{Command, Output};

const PRAXIS: &str = env!("CARGO_BIN_EXE_praxis");

fn praxis(root: &Path, args: &[&str]) -> Output {
    std::fs::create_dir_all(root.join("work")).unwrap();
    Command::new(PRAXIS)
        .args(args)
        .current_dir(root.join("work"))
        .env("PRAXIS_CONFIG_DIR", root.join("config"))
        .env("PRAXIS_DATA_DIR", root.join("data"))
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn prompt_prints_the_answer_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = praxis(dir.path(), &["prompt", "--yolo", "fix", "the", "build"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains("[plan] [x] Read the project layout"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[tool] cargo test: failed — error[E0425]"),
        "{stdout}"
    );
    // The tool's output, indented under its line (issue 16).
    assert!(
        stdout.contains("[tool] cargo test (execute): in_progress\n    ```console\n    error[E0425]: cannot find value `answer` in this scope\n     --> src/lib.rs:3:5\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[yolo] approved: Edit src/lib.rs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("## What I found") && stdout.ends_with("demo's commands.\n"),
        "{stdout}"
    );
}

#[test]
fn prompt_without_yolo_rejects_permission_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = praxis(dir.path(), &["prompt", "/permission"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("permission: reject"));
    assert!(
        text(&out.stderr).contains("use --yolo"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn failures_exit_non_zero_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let crash = praxis(dir.path(), &["prompt", "/crash"]);
    assert_eq!(crash.status.code(), Some(1));
    assert!(
        text(&crash.stderr).contains("exit status 3"),
        "{}",
        text(&crash.stderr)
    );
    assert!(text(&crash.stdout).contains("About to crash"));

    let unknown = praxis(dir.path(), &["prompt", "--agent", "nope", "hi"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("cannot start agent `nope`"),
        "{}",
        text(&unknown.stderr)
    );

    let timeout = praxis(dir.path(), &["prompt", "-T", "1", "/slow 1000"]);
    assert_eq!(timeout.status.code(), Some(1));
    assert!(
        text(&timeout.stderr).contains("cancelled (prompt timed out)"),
        "{}",
        text(&timeout.stderr)
    );
}

#[test]
fn bad_config_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/config.toml"),
        "[agents.x]\ncommand = 5\n",
    )
    .unwrap();
    let out = praxis(dir.path(), &["prompt", "hi"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("config.toml: line 2"), "{err}");
}

#[test]
fn configured_agents_are_listed_with_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/config.toml"),
        "[agents.gemini]\ncommand = \"gemini\"\nargs = [\"--experimental-acp\"]\n",
    )
    .unwrap();
    let out = praxis(dir.path(), &["agents"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("demo") && stdout.contains("agent demo"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  gemini       gemini --experimental-acp"),
        "{stdout}"
    );
    assert!(
        stdout.contains("* demo "),
        "the default is marked: {stdout}"
    );
}

#[test]
fn start_flags_are_checked_and_help_says_what_no_subcommand_does() {
    let dir = tempfile::tempdir().unwrap();
    let out = praxis(dir.path(), &["--agent", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--agent nope: no such agent (praxis agents lists them: demo)"),
        "{}",
        text(&out.stderr)
    );
    let out = praxis(dir.path(), &["--cwd", "/no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--cwd /no/such/dir"));
    let help = text(&praxis(dir.path(), &["--help"]).stdout);
    assert!(
        help.contains("Without a subcommand, praxis opens the full-screen client"),
        "{help}"
    );
    for flag in ["--agent <NAME>", "--cwd <DIR>", "--yolo", "--node <NAME>"] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}

#[test]
fn transcript_is_exported_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let out = praxis(dir.path(), &["prompt", "--yolo", "/echo transcript me"]);
    assert_eq!(out.status.code(), Some(0));
    let sessions = dir.path().join("data/sessions");
    let journal = std::fs::read_dir(&sessions)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let id = journal.file_stem().unwrap().to_str().unwrap().to_string();
    let md_path = dir.path().join("t.md");
    let out = praxis(
        dir.path(),
        &["transcript", &id, "-o", md_path.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let md = std::fs::read_to_string(md_path).unwrap();
    assert!(md.contains("## ▸ you\n\n/echo transcript me"), "{md}");
    assert!(md.contains("## ● demo\n\ntranscript me"), "{md}");
}

#[test]
fn an_unwritable_data_dir_does_not_stop_the_agent_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    // `logs` and `sessions` cannot be created (files stand where the directories go): the
    // same failure a read-only data dir gives, without needing privileges to make one.
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/logs"), "").unwrap();
    std::fs::write(dir.path().join("data/sessions"), "").unwrap();
    let out = praxis(dir.path(), &["prompt", "/echo still here"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("still here"), "{stdout}");
    assert!(
        stderr.contains("the agent's stderr is not logged: cannot create"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the session journal is not kept: cannot create"),
        "{stderr}"
    );
}
