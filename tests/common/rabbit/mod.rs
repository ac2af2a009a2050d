// Private RabbitMQ nodes for tests, and the shared broker's address.
//
// A test that stops, restarts or breaks the broker must never touch the machine's shared broker
// (127.0.0.1:5672): it starts a `PrivateBroker` instead, a fresh node of its own in a temporary
// directory, on free ports, following the recipe in shared/design/remote-nodes.md ("The broker
// on this machine"). Tests that only need some broker use `require_shared_broker()`.
//
// Include it in a test crate with `#[path = "common/rabbit/mod.rs"] mod rabbit;`. It uses std and
// tempfile only. Booting and the environment are in `boot.rs`, processes in `procs.rs`.
//
// Nothing here skips: every failure is an `Err` (or, for `require_shared_broker`, a panic) that
// says what was run and shows its output and the tail of the node's log.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod boot;
mod procs;
#[allow(unused_imports)]
use boot::*;
#[allow(unused_imports)]
use procs::*;

/// Where Debian's package puts the scripts (the `/usr/sbin` wrappers switch user and log to
/// /var/log, so they are not used).
#[allow(dead_code)]
pub const RABBIT_BIN: &str = "/usr/lib/rabbitmq/bin";
/// The shared broker when `PRAXIS_TEST_BROKER` is not set.
#[allow(dead_code)]
pub const DEFAULT_SHARED_BROKER: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// How long a boot (or `start_app`) may take before it counts as failed. Generous: the machine
/// has 2 cores and cargo runs tests (and so boots) in parallel.
#[allow(dead_code)]
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one CLI command (`rabbitmqctl ...`) may run before it is killed.
#[allow(dead_code)]
const CLI_TIMEOUT: Duration = Duration::from_secs(90);
/// How long `stop_app` may take to close the AMQP listener.
#[allow(dead_code)]
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Fresh node, fresh ports: how many boots `start` tries when the ports turn out to be taken
/// (another process may bind them between our check and the node's own bind).
#[allow(dead_code)]
const START_ATTEMPTS: u32 = 3;
/// Ports are drawn from here: below Linux's ephemeral range (32768-60999), so an outgoing
/// connection cannot take them, and clear of the shared broker's 5672/25672/15672 and epmd.
#[allow(dead_code)]
const PORT_LOW: u16 = 20000;
#[allow(dead_code)]
const PORT_HIGH: u16 = 32000;
#[allow(dead_code)]
const NEVER_PORTS: [u16; 4] = [4369, 5672, 15672, 25672];
/// Prefix of every node name: `praxis-test-<pid>-<n>@localhost`.
#[allow(dead_code)]
const NODE_PREFIX: &str = "praxis-test-";

#[allow(dead_code)]
static NEXT_NODE: AtomicU64 = AtomicU64::new(0);
/// Ports handed out in this process (never reused by it, so concurrent tests cannot collide).
#[allow(dead_code)]
static USED_PORTS: Mutex<Vec<u16>> = Mutex::new(Vec::new());
#[allow(dead_code)]
static EPMD: Mutex<()> = Mutex::new(());
#[allow(dead_code)]
static REAP: Once = Once::new();

/// A RabbitMQ node of the test's own: its own name, ports, mnesia and log dirs, and Erlang
/// cookie, all in a temporary directory removed on drop. Dropping it kills the node.
#[allow(dead_code)]
pub struct PrivateBroker {
    /// `amqp://guest:guest@127.0.0.1:PORT/%2f`
    pub url: String,
    /// The AMQP port (127.0.0.1 only).
    pub port: u16,
    /// The Erlang distribution port (127.0.0.1 only).
    pub dist_port: u16,
    /// `praxis-test-<pid>-<n>@localhost`
    pub node: String,
    dir: tempfile::TempDir,
    cmd_seq: AtomicU64,
}

#[allow(dead_code)]
impl PrivateBroker {
    /// Starts a fresh node and waits until it speaks AMQP on `port` and `await_startup` says it
    /// is booted.
    pub fn start() -> Result<PrivateBroker, String> {
        let server = Path::new(RABBIT_BIN).join("rabbitmq-server");
        if !server.exists() {
            return Err(format!(
                "{} is missing: RabbitMQ is not installed (apt-get install -y rabbitmq-server; \
                 .ci/run does this)",
                server.display()
            ));
        }
        REAP.call_once(reap_orphans);
        ensure_epmd()?;
        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            let broker = PrivateBroker::prepare()?;
            match broker.boot() {
                Ok(()) => return Ok(broker),
                Err((retry, e)) => {
                    failures.push(format!("attempt {attempt}: {e}"));
                    drop(broker);
                    if !retry {
                        break;
                    }
                }
            }
        }
        Err(format!(
            "could not start a private RabbitMQ node:\n{}",
            failures.join("\n\n")
        ))
    }

    /// Stops the RabbitMQ application (`rabbitmqctl stop_app`): the listener closes and every
    /// connection is dropped, while the Erlang node stays up. Returns once the port refuses.
    pub fn stop_app(&self) -> Result<(), String> {
        self.ctl(&["stop_app"])?;
        let deadline = Instant::now() + STOP_TIMEOUT;
        while tcp_answers(self.port) {
            if Instant::now() > deadline {
                return Err(format!(
                    "after `rabbitmqctl stop_app`, port {} still accepts connections after {:?}\n{}",
                    self.port,
                    STOP_TIMEOUT,
                    self.diagnostics()
                ));
            }
            sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Starts the application again (`rabbitmqctl start_app`) and waits until it is ready.
    pub fn start_app(&self) -> Result<(), String> {
        self.ctl(&["start_app"])?;
        self.wait_ready()
    }

    /// `stop_app` then `start_app`: durable queues and persistent messages survive.
    pub fn restart(&self) -> Result<(), String> {
        self.stop_app()?;
        self.start_app()
    }

    /// Shuts the whole Erlang node down (`shutdown`), then boots it again on the same
    /// name, ports and mnesia dir, and waits until it is ready.
    pub fn restart_full(&self) -> Result<(), String> {
        self.shutdown()?;
        self.launch()?;
        self.wait_ready()
    }

    /// Shuts the whole node down in order (`rabbitmqctl stop`), waits until its VM has exited
    /// and both ports are closed, and kills anything of it still left. `restart_full` uses it;
    /// after it, only `restart_full` brings the node back (dropping is fine too).
    /// (`rabbitmqctl shutdown` does the same waiting, but polls slowly: 3.5 s against 1.5 s.)
    pub fn shutdown(&self) -> Result<(), String> {
        let vm = self.server_pid();
        self.ctl(&["stop"])?;
        let deadline = Instant::now() + STOP_TIMEOUT;
        while vm.is_some_and(alive) {
            if Instant::now() > deadline {
                return Err(format!(
                    "after `rabbitmqctl stop`, the VM (pid {vm:?}) still runs after {STOP_TIMEOUT:?}\n{}",
                    self.diagnostics()
                ));
            }
            sleep(Duration::from_millis(20));
        }
        let left = self.processes();
        if !left.is_empty() {
            kill_and_wait(&left, Duration::from_secs(10));
        }
        while tcp_answers(self.port) || tcp_answers(self.dist_port) {
            if Instant::now() > deadline {
                return Err(format!(
                    "after `rabbitmqctl stop`, port {} or {} still answers\n{}",
                    self.port,
                    self.dist_port,
                    self.diagnostics()
                ));
            }
            sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Runs `rabbitmqctl -n NODE ARGS...` against this node and returns its output.
    pub fn ctl(&self, args: &[&str]) -> Result<String, String> {
        let ctl = Path::new(RABBIT_BIN).join("rabbitmqctl");
        let mut full = vec!["-n", self.node.as_str()];
        full.extend_from_slice(args);
        self.run(&ctl, &full, CLI_TIMEOUT)
    }

    /// `ctl` whose error holds the command's output but not the node's log.
    fn ctl_quiet(&self, args: &[&str]) -> Result<String, String> {
        let ctl = Path::new(RABBIT_BIN).join("rabbitmqctl");
        let mut full = vec!["-n", self.node.as_str()];
        full.extend_from_slice(args);
        self.run_quiet(&ctl, &full, CLI_TIMEOUT)
    }

    /// The node's own folder (HOME, config, mnesia, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The node's main log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir().join("log").join(format!("{}.log", self.node))
    }

    /// Pid of the node's Erlang VM, if it runs.
    pub fn server_pid(&self) -> Option<u32> {
        find_processes(|p| p.is_server_of(self.dir()))
            .first()
            .copied()
    }

    /// Everything, what was run and what the node logged, for a failure message.
    pub fn diagnostics(&self) -> String {
        let mut s = format!(
            "node {} (AMQP 127.0.0.1:{}, dist 127.0.0.1:{}), dir {}, VM pid {:?}\n\
             environment of the rabbit commands: {}\n",
            self.node,
            self.port,
            self.dist_port,
            self.dir().display(),
            self.server_pid(),
            self.env()
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        match fs::read_to_string(self.log_file()) {
            Ok(log) => {
                // The first errors usually say why; the tail says where it ended.
                let errors: Vec<&str> = log
                    .lines()
                    .filter(|l| {
                        l.contains("[error]")
                            && l.split_once("> ")
                                .is_some_and(|(_, t)| !t.trim().is_empty())
                    })
                    .take(12)
                    .collect();
                if !errors.is_empty() {
                    s += &format!(
                        "--- first errors in {}:\n{}\n",
                        self.log_file().display(),
                        errors.join("\n")
                    );
                }
                s += &format!(
                    "--- last lines of {}:\n{}",
                    self.log_file().display(),
                    tail(&log, 40)
                );
            }
            Err(e) => s += &format!("--- no log at {}: {e}\n", self.log_file().display()),
        }
        let dump = self.dir().join("log").join("erl_crash.dump");
        if let Ok(text) = fs::read_to_string(&dump) {
            if let Some(slogan) = text.lines().find(|l| l.starts_with("Slogan:")) {
                s += &format!("--- {}: {slogan}\n", dump.display());
            }
        }
        s
    }
}

impl Drop for PrivateBroker {
    /// Stops the node (SIGTERM makes the VM stop in order), then kills whatever is left of it, so
    /// no Erlang node outlives the test. The temporary dir goes after that.
    fn drop(&mut self) {
        let pids = self.processes();
        if pids.is_empty() {
            return;
        }
        let left = kill_and_wait_with(&pids, "-TERM", Duration::from_secs(10));
        if !left.is_empty() {
            let still = kill_and_wait(&left, Duration::from_secs(10));
            if !still.is_empty() {
                eprintln!(
                    "rabbit harness: processes {still:?} of node {} survived SIGKILL",
                    self.node
                );
            }
        }
    }
}

/// The broker shared by tests that do not restart it: `PRAXIS_TEST_BROKER`, else
/// `amqp://guest:guest@127.0.0.1:5672/%2f`.
#[allow(dead_code)]
pub fn shared_broker_url() -> String {
    match std::env::var("PRAXIS_TEST_BROKER") {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => DEFAULT_SHARED_BROKER.to_string(),
    }
}

/// The shared broker's URL, after checking that it accepts TCP connections. Panics with the
/// reason when it does not: such a test fails, it is never skipped.
#[allow(dead_code)]
pub fn require_shared_broker() -> String {
    let url = shared_broker_url();
    let from = if std::env::var("PRAXIS_TEST_BROKER").is_ok() {
        "PRAXIS_TEST_BROKER"
    } else {
        "the default; set PRAXIS_TEST_BROKER to use another"
    };
    let (host, port) = match host_port(&url) {
        Ok(hp) => hp,
        Err(e) => panic!("the shared RabbitMQ broker URL {url:?} ({from}) is not usable: {e}"),
    };
    let addrs: Vec<SocketAddr> = match (host.as_str(), port).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => panic!("the shared RabbitMQ broker {url} ({from}): cannot resolve {host}: {e}"),
    };
    let mut errors = Vec::new();
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, Duration::from_secs(3)) {
            Ok(_) => return url,
            Err(e) => errors.push(format!("{addr}: {e}")),
        }
    }
    panic!(
        "the shared RabbitMQ broker {url} ({from}) does not answer: {}. Start it with \
         `rabbitmq-server -detached` (.ci/run starts it when it is down).",
        if errors.is_empty() {
            format!("{host} resolves to no address")
        } else {
            errors.join("; ")
        }
    );
}

// ----- helpers -----
