// Private RabbitMQ nodes for tests, and the shared broker's address.
//
// A test that stops, restarts or breaks the broker must never touch the machine's shared broker
// (127.0.0.1:5672): it starts a `PrivateBroker` instead, a fresh node of its own in a temporary
// directory, on free ports, following the recipe in shared/design/remote-nodes.md ("The broker
// on this machine"). Tests that only need some broker use `require_shared_broker()`.
//
// Include it in a test crate with `#[path = "common/rabbit.rs"] mod rabbit;` (or `mod rabbit;`
// from tests/common/mod.rs). It uses std and tempfile only.
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

    // ----- internals -----

    fn prepare() -> Result<PrivateBroker, String> {
        let dir = tempfile::Builder::new()
            .prefix("praxis-rabbit-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary dir for a private broker: {e}"))?;
        let n = NEXT_NODE.fetch_add(1, Ordering::SeqCst);
        let node = format!("{NODE_PREFIX}{}-{n}@localhost", std::process::id());
        let (port, dist_port) = pick_ports()?;
        let d = dir.path();
        let write = |name: &str, text: &str| {
            fs::write(d.join(name), text)
                .map_err(|e| format!("cannot write {}: {e}", d.join(name).display()))
        };
        for sub in ["mnesia", "log"] {
            fs::create_dir_all(d.join(sub))
                .map_err(|e| format!("cannot make {}: {e}", d.join(sub).display()))?;
        }
        write("enabled_plugins", "[].\n")?;
        write("rabbitmq-env.conf", "")?;
        write(
            "rabbitmq.conf",
            &format!("listeners.tcp.default = 127.0.0.1:{port}\nloopback_users = none\n"),
        )?;
        // The cookie is written before anything runs, so the server and the CLI cannot race to
        // create two different ones. Erlang insists that only the owner may read it.
        write(".erlang.cookie", &cookie(n))?;
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(d.join(".erlang.cookie"), fs::Permissions::from_mode(0o400))
                .map_err(|e| format!("cannot chmod the Erlang cookie: {e}"))?;
        }
        Ok(PrivateBroker {
            url: format!("amqp://guest:guest@127.0.0.1:{port}/%2f"),
            port,
            dist_port,
            node,
            dir,
            cmd_seq: AtomicU64::new(0),
        })
    }

    fn boot(&self) -> Result<(), (bool, String)> {
        self.launch().map_err(|e| (false, e))?;
        self.wait_ready_or_retry()
    }

    /// `rabbitmq-server -detached`: returns at once, the VM goes on in the background.
    fn launch(&self) -> Result<(), String> {
        let server = Path::new(RABBIT_BIN).join("rabbitmq-server");
        self.run(&server, &["-detached"], CLI_TIMEOUT).map(|_| ())
    }

    /// Waits until the port speaks AMQP and `rabbitmqctl await_startup` succeeds. Fails early
    /// when the VM exits or its log reports a failed boot.
    fn wait_ready(&self) -> Result<(), String> {
        self.wait_ready_or_retry().map_err(|(_, e)| e)
    }

    /// `wait_ready`, whose error also tells whether fresh ports may help (a port was taken).
    fn wait_ready_or_retry(&self) -> Result<(), (bool, String)> {
        let started = Instant::now();
        // The log is appended to across restarts: judge only what this boot wrote.
        let log_from = fs::metadata(self.log_file()).map_or(0, |m| m.len() as usize);
        let mut last_ctl_error = String::new();
        loop {
            if amqp_answers(self.port) {
                match self.ctl_quiet(&["await_startup", "--timeout", "60"]) {
                    Ok(_) if amqp_answers(self.port) => return Ok(()),
                    Ok(_) => {
                        last_ctl_error =
                            "await_startup succeeded but the port stopped answering AMQP".into()
                    }
                    Err(e) => {
                        last_ctl_error = e;
                        sleep(Duration::from_millis(400));
                    }
                }
            }
            let log = fs::read(self.log_file())
                .map(|b| String::from_utf8_lossy(b.get(log_from..).unwrap_or(&[])).into_owned())
                .unwrap_or_default();
            let alive = self.server_pid().is_some();
            let failed_boot =
                log.contains("BOOT FAILED") || log.contains("could_not_start_listener");
            // `rabbitmq-server -detached` returns before the VM has settled: give it a moment
            // before reading a missing process as a dead node.
            let settled = started.elapsed() > Duration::from_secs(3);
            if failed_boot || (!alive && settled) {
                let no_log = log.is_empty() && !alive;
                let port_taken =
                    log.contains("eaddrinuse") || log.contains("dist_port_already_used") || no_log;
                let why = if no_log {
                    "the node's VM exited before writing its log (is its dist port taken?)"
                } else if log.contains("eaddrinuse") {
                    "the node's boot failed: its AMQP port is taken (eaddrinuse)"
                } else if failed_boot {
                    "the node's boot failed"
                } else {
                    "the node's VM exited"
                };
                let last = if last_ctl_error.is_empty() {
                    String::new()
                } else {
                    format!("last await_startup: {last_ctl_error}\n")
                };
                return Err((
                    port_taken,
                    format!(
                        "{why} after {:.1?}\n{last}{}",
                        started.elapsed(),
                        self.diagnostics()
                    ),
                ));
            }
            if started.elapsed() > BOOT_TIMEOUT {
                return Err((
                    false,
                    format!(
                        "the node did not become ready within {BOOT_TIMEOUT:?} (port {} speaks \
                         AMQP: {}); last await_startup: {}\n{}",
                        self.port,
                        amqp_answers(self.port),
                        if last_ctl_error.is_empty() {
                            "not run (the port never spoke AMQP)"
                        } else {
                            &last_ctl_error
                        },
                        self.diagnostics()
                    ),
                ));
            }
            sleep(Duration::from_millis(100));
        }
    }

    /// The per-node environment of every rabbit command (and only of those: never cargo's).
    fn env(&self) -> Vec<(&'static str, String)> {
        let d = self.dir();
        let p = |s: &str| d.join(s).display().to_string();
        vec![
            ("RABBITMQ_NODENAME", self.node.clone()),
            ("RABBITMQ_NODE_PORT", self.port.to_string()),
            ("RABBITMQ_DIST_PORT", self.dist_port.to_string()),
            ("RABBITMQ_MNESIA_BASE", p("mnesia")),
            ("RABBITMQ_LOG_BASE", p("log")),
            ("RABBITMQ_ENABLED_PLUGINS_FILE", p("enabled_plugins")),
            ("RABBITMQ_CONF_ENV_FILE", p("rabbitmq-env.conf")),
            // The base name: RabbitMQ adds `.conf`.
            ("RABBITMQ_CONFIG_FILE", p("rabbitmq")),
            (
                "ERL_FLAGS",
                "-kernel inet_dist_use_interface {127,0,0,1}".to_string(),
            ),
            ("HOME", d.display().to_string()),
        ]
    }

    /// Runs a rabbit script with the node's environment (see `run_quiet`); an error also shows
    /// the node's state and log.
    fn run(&self, program: &Path, args: &[&str], timeout: Duration) -> Result<String, String> {
        self.run_quiet(program, args, timeout)
            .map_err(|e| format!("{e}\n{}", self.diagnostics()))
    }

    /// Runs a rabbit script with the node's environment, output to a file in the node's dir
    /// (not a pipe: a detached VM would inherit a pipe and hold it open), killed after `timeout`.
    fn run_quiet(
        &self,
        program: &Path,
        args: &[&str],
        timeout: Duration,
    ) -> Result<String, String> {
        let seq = self.cmd_seq.fetch_add(1, Ordering::SeqCst);
        let out_path = self.dir().join(format!("cmd-{seq}.out"));
        let shown = format!("`{} {}`", program.display(), args.join(" "));
        let out = fs::File::create(&out_path)
            .map_err(|e| format!("cannot create {}: {e}", out_path.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot dup a file handle: {e}"))?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .current_dir(self.dir());
        // Nothing from the caller's environment may redirect the node elsewhere.
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("RABBITMQ_") || k == "ERL_AFLAGS" || k == "ERL_ZFLAGS" {
                cmd.env_remove(k);
            }
        }
        cmd.envs(self.env());
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {shown} for node {}: {e}", self.node))?;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "{shown} did not finish within {timeout:?}; its output:\n{}",
                        read_lossy(&out_path)
                    ));
                }
                Ok(None) => sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("cannot wait for {shown}: {e}")),
            }
        };
        let output = read_lossy(&out_path);
        if status.success() {
            Ok(output)
        } else {
            Err(format!(
                "{shown} failed ({status}) after {:.1?}; its output:\n{}",
                started.elapsed(),
                tail(&output, 40)
            ))
        }
    }

    /// Every process of this node: its VM and the VM's helpers (erl_child_setup,
    /// inet_gethost), and any CLI node still running with its HOME.
    fn processes(&self) -> Vec<u32> {
        let mine = find_processes(|p| p.home() == Some(self.dir()));
        let mut all = mine.clone();
        all.extend(find_processes(|p| mine.contains(&p.ppid)));
        all.sort_unstable();
        all.dedup();
        all
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

/// `(host, port)` of an `amqp://` or `amqps://` URL.
#[allow(dead_code)]
fn host_port(url: &str) -> Result<(String, u16), String> {
    let (rest, default_port) = if let Some(r) = url.strip_prefix("amqp://") {
        (r, 5672)
    } else if let Some(r) = url.strip_prefix("amqps://") {
        (r, 5671)
    } else {
        return Err("it does not start with amqp:// or amqps://".into());
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("unclosed [ in the host")?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    let port = match port {
        Some(p) if !p.is_empty() => p.parse().map_err(|_| format!("bad port {p:?}"))?,
        _ => default_port,
    };
    let host = if host.is_empty() {
        "localhost".into()
    } else {
        host
    };
    Ok((host, port))
}

#[allow(dead_code)]
fn tcp_answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}

/// Sends the AMQP 0-9-1 protocol header and checks that the answer is a `connection.start`
/// method frame: the broker (not merely something) listens and speaks AMQP.
#[allow(dead_code)]
fn amqp_answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"AMQP\x00\x00\x09\x01").is_err() {
        return false;
    }
    let mut buf = [0u8; 11];
    if s.read_exact(&mut buf).is_err() {
        return false;
    }
    // frame type 1 (method), channel 0, 4-byte size, class 10 (connection), method 10 (start)
    buf[0] == 1 && buf[1..3] == [0, 0] && buf[7..11] == [0, 10, 0, 10]
}

/// Two distinct ports that nobody listens on, never handed out before in this process.
#[allow(dead_code)]
fn pick_ports() -> Result<(u16, u16), String> {
    let mut used = USED_PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = now ^ (u64::from(std::process::id()) << 32) ^ (used.len() as u64 + 1);
    let mut next = move || {
        // xorshift64*
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut picked = Vec::new();
    for _ in 0..2000 {
        let p = PORT_LOW + (next() % u64::from(PORT_HIGH - PORT_LOW)) as u16;
        if used.contains(&p) || picked.contains(&p) || NEVER_PORTS.contains(&p) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", p)).is_err() || tcp_answers(p) {
            continue;
        }
        picked.push(p);
        if picked.len() == 2 {
            used.extend_from_slice(&picked);
            return Ok((picked[0], picked[1]));
        }
    }
    Err(format!(
        "found no two free ports in 127.0.0.1:{PORT_LOW}-{PORT_HIGH}"
    ))
}

#[allow(dead_code)]
fn cookie(n: u64) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = nanos ^ (u64::from(std::process::id()) << 20) ^ n.wrapping_mul(0x9E37_79B9);
    (0..20)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(b'A' + ((x >> 33) % 26) as u8)
        })
        .collect()
}

/// The Erlang port mapper must run for nodes to be reached by name. The shared broker started
/// one; on a machine without it, start it here (`epmd -daemon` detaches and outlives the tests,
/// as it would for a broker started by hand).
#[allow(dead_code)]
fn ensure_epmd() -> Result<(), String> {
    let _guard = EPMD.lock().unwrap_or_else(|e| e.into_inner());
    let port: u16 = std::env::var("ERL_EPMD_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(4369);
    if tcp_answers(port) {
        return Ok(());
    }
    let mut tried = Vec::new();
    for epmd in ["epmd", "/usr/lib/erlang/bin/epmd"] {
        // Loopback only, as the shared broker's own epmd is configured on this machine.
        let result = Command::new(epmd)
            .arg("-daemon")
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match result {
            Ok(status) => {
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline {
                    if tcp_answers(port) {
                        return Ok(());
                    }
                    sleep(Duration::from_millis(50));
                }
                tried.push(format!(
                    "`{epmd} -daemon` exited {status} but nothing answers on 127.0.0.1:{port}"
                ));
            }
            Err(e) => tried.push(format!("`{epmd} -daemon`: {e}")),
        }
    }
    Err(format!(
        "epmd is not running and could not be started: {}",
        tried.join("; ")
    ))
}

/// A process as seen in /proc.
#[allow(dead_code)]
struct Proc {
    ppid: u32,
    args: Vec<String>,
    environ: Vec<String>,
}

#[allow(dead_code)]
impl Proc {
    /// The `-home DIR` an Erlang VM was started with (erl passes `$HOME` on).
    fn home(&self) -> Option<&Path> {
        let i = self.args.iter().position(|a| a == "-home")?;
        self.args.get(i + 1).map(Path::new)
    }

    /// The broker's VM for this dir, not a CLI node (those are `-hidden`).
    fn is_server_of(&self, dir: &Path) -> bool {
        self.home() == Some(dir)
            && self.args.first().is_some_and(|a| a.ends_with("beam.smp"))
            && !self.args.iter().any(|a| a == "-hidden")
    }

    fn env(&self, key: &str) -> Option<&str> {
        self.environ
            .iter()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
    }
}

#[allow(dead_code)]
fn find_processes(mut pred: impl FnMut(&Proc) -> bool) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(p) = read_proc(pid) {
            if pred(&p) {
                out.push(pid);
            }
        }
    }
    out
}

#[allow(dead_code)]
fn read_proc(pid: u32) -> Option<Proc> {
    let base = PathBuf::from(format!("/proc/{pid}"));
    let split = |bytes: Vec<u8>| -> Vec<String> {
        bytes
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    };
    let stat = fs::read_to_string(base.join("stat")).ok()?;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    let ppid = after.split_whitespace().nth(1)?.parse().ok()?;
    let args = split(fs::read(base.join("cmdline")).unwrap_or_default());
    let environ = split(fs::read(base.join("environ")).unwrap_or_default());
    Some(Proc {
        ppid,
        args,
        environ,
    })
}

#[allow(dead_code)]
fn alive(pid: u32) -> bool {
    // A zombie (exited, not yet reaped by init) counts as gone.
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Sends `signal` to each pid (by id, with /bin/kill), waits up to `wait` for them to go, and
/// returns those still alive.
#[allow(dead_code)]
fn kill_and_wait_with(pids: &[u32], signal: &str, wait: Duration) -> Vec<u32> {
    for pid in pids {
        let _ = Command::new("kill")
            .arg(signal)
            .arg(pid.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let deadline = Instant::now() + wait;
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|p| alive(*p)).collect();
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        sleep(Duration::from_millis(50));
    }
}

#[allow(dead_code)]
fn kill_and_wait(pids: &[u32], wait: Duration) -> Vec<u32> {
    kill_and_wait_with(pids, "-KILL", wait)
}

/// Kills nodes this harness started in test processes that have since died (killed before
/// their `Drop` ran), and removes their temporary dirs. Only processes whose
/// `RABBITMQ_NODENAME` is `praxis-test-<pid>-...` with `<pid>` no longer running are touched.
#[allow(dead_code)]
fn reap_orphans() {
    let me = std::process::id();
    let mut dirs = Vec::new();
    let orphans = find_processes(|p| {
        let Some(name) = p.env("RABBITMQ_NODENAME") else {
            return false;
        };
        let Some(owner) = name
            .strip_prefix(NODE_PREFIX)
            .and_then(|r| r.split('-').next())
            .and_then(|o| o.parse::<u32>().ok())
        else {
            return false;
        };
        // A killed owner may linger as a zombie until init reaps it: that is dead too.
        let orphan = owner != me && !alive(owner);
        if orphan {
            if let Some(home) = p.home() {
                dirs.push(home.to_path_buf());
            }
        }
        orphan
    });
    if orphans.is_empty() {
        return;
    }
    eprintln!("rabbit harness: killing leftover private nodes of dead test processes: {orphans:?}");
    kill_and_wait(&orphans, Duration::from_secs(10));
    let tmp = std::env::temp_dir();
    for d in dirs {
        let ours = d.parent() == Some(tmp.as_path())
            && d.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("praxis-rabbit-"));
        if ours {
            let _ = fs::remove_dir_all(&d);
        }
    }
}

#[allow(dead_code)]
fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("(cannot read {}: {e})", path.display()))
}

#[allow(dead_code)]
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    let mut s = all[start..].join("\n");
    s.push('\n');
    s
}
