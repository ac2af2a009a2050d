//! Booting a private node: its directory, environment, ports, cookie and epmd; running the
//! RabbitMQ scripts with a timeout; waiting until it speaks AMQP.

#![allow(dead_code)]

use super::*;

#[allow(dead_code)]
impl PrivateBroker {
    pub(super) fn prepare() -> Result<PrivateBroker, String> {
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

    pub(super) fn boot(&self) -> Result<(), (bool, String)> {
        self.launch().map_err(|e| (false, e))?;
        self.wait_ready_or_retry()
    }

    /// `rabbitmq-server -detached`: returns at once, the VM goes on in the background.
    pub(super) fn launch(&self) -> Result<(), String> {
        let server = Path::new(RABBIT_BIN).join("rabbitmq-server");
        self.run(&server, &["-detached"], CLI_TIMEOUT).map(|_| ())
    }

    /// Waits until the port speaks AMQP and `rabbitmqctl await_startup` succeeds. Fails early
    /// when the VM exits or its log reports a failed boot.
    pub(super) fn wait_ready(&self) -> Result<(), String> {
        self.wait_ready_or_retry().map_err(|(_, e)| e)
    }

    /// `wait_ready`, whose error also tells whether fresh ports may help (a port was taken).
    pub(super) fn wait_ready_or_retry(&self) -> Result<(), (bool, String)> {
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
    pub(super) fn env(&self) -> Vec<(&'static str, String)> {
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
    pub(super) fn run(
        &self,
        program: &Path,
        args: &[&str],
        timeout: Duration,
    ) -> Result<String, String> {
        self.run_quiet(program, args, timeout)
            .map_err(|e| format!("{e}\n{}", self.diagnostics()))
    }

    /// Runs a rabbit script with the node's environment, output to a file in the node's dir
    /// (not a pipe: a detached VM would inherit a pipe and hold it open), killed after `timeout`.
    pub(super) fn run_quiet(
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
    pub(super) fn processes(&self) -> Vec<u32> {
        let mine = find_processes(|p| p.home() == Some(self.dir()));
        let mut all = mine.clone();
        all.extend(find_processes(|p| mine.contains(&p.ppid)));
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// `(host, port)` of an `amqp://` or `amqps://` URL.
#[allow(dead_code)]
pub(super) fn host_port(url: &str) -> Result<(String, u16), String> {
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
pub(super) fn tcp_answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}

/// Sends the AMQP 0-9-1 protocol header and checks that the answer is a `connection.start`
/// method frame: the broker (not merely something) listens and speaks AMQP.
#[allow(dead_code)]
pub(super) fn amqp_answers(port: u16) -> bool {
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
pub(super) fn pick_ports() -> Result<(u16, u16), String> {
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
pub(super) fn cookie(n: u64) -> String {
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
pub(super) fn ensure_epmd() -> Result<(), String> {
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
