//! The `praxis` command line: parses arguments, loads the configuration, sets up logging, and
//! hands off to the headless runner, the demo agent, or the transcript exporter.

use clap::{Parser, Subcommand};
use praxis::config::{Config, Paths};
use praxis::headless::say;
use praxis::headless::{self, PromptArgs};
use praxis::node::{NodeSettings, SessionOptions};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "praxis",
    version,
    about = "A terminal chat client for ACP agents",
    long_about = "A terminal chat client for ACP agents.\n\nWithout a subcommand, praxis opens the full-screen client on a new session (the default agent in the current directory, on the local node; the flags below change that). The subcommands run without it.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Start the first session with this agent (from `praxis agents`) instead of the default.
    #[arg(long, short, value_name = "NAME")]
    agent: Option<String>,
    /// Start the first session in this directory instead of the current one.
    #[arg(long, value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// Start the first session in YOLO mode (every permission request approved).
    #[arg(long)]
    yolo: bool,
    /// Start the first session on this node (a `praxis node` daemon, over the broker when one
    /// is configured) instead of the local one.
    #[arg(long, value_name = "NAME")]
    node: Option<String>,
    /// Show the broker and every node that answers (agents, sessions by status), or the
    /// local node daemon when no broker is configured; exits 3 when unreachable.
    #[arg(long)]
    status: bool,
    /// Open the most recent session (of the current directory when there is one) instead of
    /// starting a new one.
    #[arg(long = "continue", short = 'c', conflicts_with = "resume")]
    continue_: bool,
    /// Open the Active Sessions overlay on every earlier session; with an id (any unique
    /// prefix, as the overlay shows it), open that session.
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "")]
    resume: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Send one prompt to an agent and print the streamed answer.
    Prompt {
        /// The agent to use (from config.toml, or `demo`).
        #[arg(long, short)]
        agent: Option<String>,
        /// Approve every permission request the agent makes.
        #[arg(long)]
        yolo: bool,
        /// The agent's working directory (default: the current one).
        #[arg(long)]
        cwd: Option<PathBuf>,
        /// Prompt timeout in seconds (default: prompt_timeout_secs from config.toml).
        #[arg(long, short = 'T')]
        timeout: Option<u64>,
        /// Run it on this node (over the broker when one is configured, else the local
        /// `praxis node` daemon's socket) instead of a fresh in-process node.
        #[arg(long)]
        node: Option<String>,
        /// The prompt.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Run a built-in agent on stdin/stdout.
    Agent {
        #[command(subcommand)]
        which: AgentCommand,
    },
    /// Export a session's transcript (Markdown) from its journal.
    Transcript {
        /// The session id, or any unique prefix of it (the 8 characters praxis shows).
        session: String,
        /// Where to write it (default: stdout).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// List the agents praxis can start.
    Agents,
    /// Drive sessions on node daemons from the shell: start, list, prompt, stream, show, stop.
    /// Without a broker the local daemon is used (`start` and `prompt` start it when none runs).
    Session {
        #[command(subcommand)]
        command: praxis::script::SessionCmd,
    },
    /// Speak ACP on stdin/stdout and forward it to an agent on a node (the local daemon when
    /// no node is named, started when none runs): any ACP client reaches praxis nodes.
    Bridge {
        /// The node (over the broker when one is configured; default: the local daemon).
        #[arg(long)]
        node: Option<String>,
        /// The agent every new session starts (from the node's config.toml, or `demo`).
        #[arg(long, short)]
        agent: Option<String>,
        /// Approve every permission request the agent makes.
        #[arg(long)]
        yolo: bool,
    },
    /// Run a node daemon: serves this machine's agents on a Unix socket and (with a broker)
    /// over RabbitMQ; its sessions outlive the clients that start them.
    Node {
        /// The name it announces (default: node_name from config.toml, else the host name).
        #[arg(long)]
        name: Option<String>,
        /// amqp://USER:PASS@HOST:PORT/VHOST or amqps://… (default: broker from config.toml
        /// or PRAXIS_BROKER; none: socket only).
        #[arg(long)]
        broker: Option<String>,
        /// Demand this token on every command (default: node_token or PRAXIS_NODE_TOKEN).
        #[arg(long)]
        token: Option<String>,
        /// The Unix socket to serve (default: <runtime dir>/praxis/node.sock).
        #[arg(long)]
        listen: Option<PathBuf>,
        /// Serve no Unix socket (broker only).
        #[arg(long, conflicts_with = "listen")]
        no_listen: bool,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// The demo agent: a real ACP agent that needs no API key.
    Demo {
        /// Demand authentication (succeeds when PRAXIS_DEMO_TOKEN is set).
        #[arg(long)]
        require_auth: bool,
        /// Pause between streamed chunks, in milliseconds.
        #[arg(long, default_value_t = 12)]
        delay_ms: u64,
    },
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    // A panic anywhere ends the process: agents are killed, the terminal is restored first
    // (so the message is readable), and nothing keeps running without a screen.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        praxis::transport::stdio::kill_all_agents();
        if praxis::runtime::tui_active() {
            praxis::runtime::restore();
        }
        default_hook(info);
        praxis::node::journal::flush_all();
        std::process::exit(101);
    }));
    let paths = Paths::discover();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            say(&format!("cannot start the async runtime: {e}"));
            return ExitCode::from(2);
        }
    };
    if cli.status {
        let Some(config) = load_config(&paths) else {
            return ExitCode::from(2);
        };
        let remote = config.remote.clone().with_env();
        let mut out = std::io::stdout().lock();
        let code = runtime.block_on(praxis::reach::status(&remote, &paths, &mut out));
        return ExitCode::from(code as u8);
    }
    let code = match cli.command {
        Some(Command::Agent {
            which:
                AgentCommand::Demo {
                    require_auth,
                    delay_ms,
                },
        }) => {
            init_logging(None);
            let opts = praxis::demo_agent::DemoOptions {
                require_auth,
                delay_ms,
            };
            runtime.block_on(praxis::demo_agent::run(opts))
        }
        Some(Command::Prompt {
            agent,
            yolo,
            cwd,
            timeout,
            node,
            text,
        }) => {
            init_logging(Some(&paths));
            let Some(config) = load_config(&paths) else {
                return ExitCode::from(2);
            };
            let cwd = match cwd.map(Ok).unwrap_or_else(std::env::current_dir) {
                Ok(c) => c,
                Err(e) => {
                    say(&format!("no usable working directory: {e}"));
                    return ExitCode::from(2);
                }
            };
            let options = SessionOptions {
                agent: agent.unwrap_or_else(|| config.node.default_agent.clone()),
                cwd,
                yolo,
                prompt_timeout_secs: timeout,
            };
            let args = PromptArgs {
                options,
                text: text.join(" "),
            };
            let target = match node {
                None => headless::Target::Local(node_settings(&config, paths)),
                Some(name) => {
                    let remote = config.remote.clone().with_env();
                    match runtime.block_on(praxis::reach::open(&remote, &paths, &name)) {
                        Ok(reached) => headless::Target::Node {
                            name,
                            reached,
                            token: remote.node_token,
                        },
                        Err(e) => {
                            say(&e);
                            return ExitCode::from(3);
                        }
                    }
                }
            };
            runtime.block_on(headless::run(target, args))
        }
        Some(Command::Node {
            name,
            broker,
            token,
            listen,
            no_listen,
        }) => {
            init_logging(None);
            let Some(config) = load_config(&paths) else {
                return ExitCode::from(2);
            };
            let remote = config.remote.clone().with_env();
            let mut settings = node_settings(&config, paths.clone());
            settings.name = name
                .or(remote.node_name.clone())
                .unwrap_or_else(praxis::reach::host_name);
            if let Err(e) = praxis::reach::check_name(&settings.name) {
                say(&e);
                return ExitCode::from(2);
            }
            let opts = praxis::node::daemon::DaemonOptions {
                listen: if no_listen {
                    None
                } else {
                    Some(listen.unwrap_or_else(|| paths.node_socket()))
                },
                broker: broker.or(remote.broker),
                token: token.or(remote.node_token),
            };
            if opts.listen.is_none() && opts.broker.is_none() {
                say("nothing to serve on: give --broker, or drop --no-listen");
                return ExitCode::from(2);
            }
            runtime.block_on(praxis::node::daemon::run(settings, opts))
        }
        Some(Command::Transcript { session, output }) => {
            export_transcript(&paths, &session, output)
        }
        Some(Command::Session { command }) => {
            init_logging(Some(&paths));
            let Some(config) = load_config(&paths) else {
                return ExitCode::from(2);
            };
            let env = praxis::script::Env::of(&config, paths);
            runtime.block_on(praxis::script::run(env, command))
        }
        Some(Command::Bridge { node, agent, yolo }) => {
            init_logging(Some(&paths));
            let Some(config) = load_config(&paths) else {
                return ExitCode::from(2);
            };
            let env = praxis::script::Env::of(&config, paths);
            let agent = agent.unwrap_or_else(|| env.default_agent.clone());
            runtime.block_on(praxis::bridge::run(env, node, agent, yolo))
        }
        Some(Command::Agents) => {
            let Some(config) = load_config(&paths) else {
                return ExitCode::from(2);
            };
            let settings = node_settings(&config, paths);
            let mut out = std::io::stdout().lock();
            for c in settings.connectors.iter() {
                let mark = if c.name == config.node.default_agent {
                    "*"
                } else {
                    " "
                };
                let _ = writeln!(
                    out,
                    "{mark} {:<12} {} {}",
                    c.name,
                    c.command.program.display(),
                    c.command.args.join(" ")
                );
            }
            let _ = writeln!(out, "(* the default: config.toml's node.default_agent)");
            0
        }
        None => {
            init_logging(Some(&paths));
            let (config, warnings) = match Config::load(&paths.config_dir) {
                Ok(c) => (c, Vec::new()),
                // The full-screen client starts anyway, on the defaults, and shows the error.
                Err(e) => (Config::default(), vec![format!("{e} (using the defaults)")]),
            };
            let settings = node_settings(&config, paths.clone());
            let launch = match (cli.continue_, cli.resume) {
                (true, _) => Some(praxis::state::Launch::Continue),
                (false, Some(id)) if id.is_empty() => Some(praxis::state::Launch::Resume(None)),
                (false, Some(id)) => Some(praxis::state::Launch::Resume(Some(id))),
                (false, None) => None,
            };
            let cwd = match cli.cwd.map(|d| d.canonicalize().map_err(|e| (d, e))) {
                None => None,
                Some(Ok(dir)) if dir.is_dir() => Some(dir),
                Some(Ok(dir)) => {
                    say(&format!("--cwd {}: not a directory", dir.display()));
                    return ExitCode::from(2);
                }
                Some(Err((dir, e))) => {
                    say(&format!("--cwd {}: {e}", dir.display()));
                    return ExitCode::from(2);
                }
            };
            if let Some(agent) = &cli.agent {
                if !settings.connectors.iter().any(|c| c.name == *agent) && cli.node.is_none() {
                    let known: Vec<&str> = settings
                        .connectors
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect();
                    say(&format!(
                        "--agent {agent}: no such agent (praxis agents lists them: {})",
                        known.join(", ")
                    ));
                    return ExitCode::from(2);
                }
            }
            let start = praxis::runtime::Start {
                agent: cli.agent,
                cwd,
                yolo: cli.yolo,
                node: cli.node,
            };
            match runtime.block_on(praxis::runtime::run(
                config, paths, settings, warnings, started, launch, start,
            )) {
                Ok(None) => 0,
                Ok(Some(signal)) => 128 + signal.number(),
                Err(e) => {
                    say(&format!("{e:#}"));
                    1
                }
            }
        }
    };
    praxis::transport::stdio::kill_all_agents();
    praxis::node::journal::flush_all();
    drop(runtime);
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn load_config(paths: &Paths) -> Option<Config> {
    match Config::load(&paths.config_dir) {
        Ok(c) => Some(c),
        Err(e) => {
            say(&e.to_string());
            None
        }
    }
}

fn node_settings(config: &Config, paths: Paths) -> NodeSettings {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("praxis"));
    NodeSettings::from_config(&config.node, paths, &exe)
}

fn export_transcript(paths: &Paths, session: &str, output: Option<PathBuf>) -> i32 {
    let file = match praxis::node::journal::find(&paths.sessions_dir(), session) {
        Ok(f) => f,
        Err(e) => {
            say(&e);
            return 2;
        }
    };
    let journal = match std::fs::read_to_string(&file) {
        Ok(j) => j,
        Err(e) => {
            say(&format!("cannot read the journal {}: {e}", file.display()));
            return 2;
        }
    };
    let markdown = praxis::transcript::journal_to_markdown(&journal);
    match output {
        Some(path) => match std::fs::write(&path, markdown) {
            Ok(()) => {
                say(&format!("transcript written to {}", path.display()));
                0
            }
            Err(e) => {
                say(&format!("cannot write {}: {e}", path.display()));
                1
            }
        },
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(markdown.as_bytes()).and_then(|_| out.flush()) {
                Ok(()) => 0,
                Err(_) => 1,
            }
        }
    }
}

/// Logs go to `<data>/logs/praxis.log` (or stderr for agents, whose stderr the node captures).
/// `PRAXIS_LOG` sets the filter (default `info`).
fn init_logging(paths: Option<&Paths>) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PRAXIS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    match paths {
        None => {
            let _ = builder.with_writer(std::io::stderr).try_init();
        }
        Some(paths) => {
            let dir = paths.logs_dir();
            let file = std::fs::create_dir_all(&dir).and_then(|_| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join("praxis.log"))
            });
            if let Ok(file) = file {
                let _ = builder.with_writer(std::sync::Mutex::new(file)).try_init();
            }
        }
    }
}
