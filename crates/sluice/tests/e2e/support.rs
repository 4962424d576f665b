//! Helpers for black-box tests: start the real `sluice` binary on free
//! loopback ports with a config in a temp dir, talk to it, stop it with a signal.
//!
//! Tests that need a third-party client (logger, python3, rsyslogd, promtool) skip when
//! it is missing, except under `CI=true`, where a missing client is a failure: `.ci/run`
//! installs them.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Path of the sluice binary Cargo built for these tests, with the same profile.
pub fn sluice_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_sluice"))
}

/// The repository's root (the workspace), where `config/`, `deploy/` and `tests/` live.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("crates/sluice sits two levels below the workspace root")
}

/// A free TCP port on 127.0.0.1 (that is also free for UDP with high probability).
///
/// The ports come from below the kernel's ephemeral range (32768 and up on Linux), and
/// each is handed out once per test process: the tests run in parallel in one process, and
/// a port taken from the ephemeral range could be given to some test's outgoing
/// connection between our check and the server's bind.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    // Processes that run at once (several test binaries) start at different places.
    let _ = NEXT.compare_exchange(
        0,
        20_000 + (std::process::id() % 500) as u16 * 20,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let p = NEXT.fetch_add(1, Ordering::SeqCst);
        if p >= 32_000 {
            NEXT.store(20_000, Ordering::SeqCst);
            continue;
        }
        let tcp = TcpListener::bind(("127.0.0.1", p));
        if tcp.is_ok() && std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
}

/// True when `tool` is on PATH. Under CI=true a missing tool fails the test.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is required under CI=true; .ci/run installs it"
        );
        eprintln!("skipping: {tool} not installed");
    }
    found
}

/// True when python3 can import `module`. Under CI=true a missing module fails the test.
pub fn have_py(module: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python module {module} is required under CI=true; .ci/run installs tests/clients/requirements.txt"
        );
        eprintln!("skipping: python module {module} not installed");
    }
    found
}

/// Runs one of our client drivers in tests/clients with python3.
pub fn py_client(script: &str, args: &str) -> String {
    let path = workspace_root().join("tests/clients").join(script);
    sh(&format!("timeout 120 python3 {} {args}", path.display()))
}

/// A running sluice process with its own temp dir.
pub struct Server {
    pub child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub admin: u16,
    pub port: u16,
}

impl Server {
    /// Starts sluice with `body` appended to a header that sets data_dir and admin.
    /// `{PORT}` in the body is replaced by a free port (the same for UDP and TCP).
    pub fn start(body: &str) -> Server {
        Self::start_with_env(body, &[("TZ", "UTC")])
    }

    /// [`Server::start`] with environment variables set for the process (`TZ=UTC` unless
    /// given: times without a zone are read in the local zone).
    pub fn start_with_env(body: &str, env: &[(&str, &str)]) -> Server {
        let s = Self::spawn(body, env);
        s.wait_ready();
        s
    }

    /// [`Server::start`] with more configuration files beside the generated one
    /// (`(name, text)`, written in the server's directory, `{PORT}` replaced), given
    /// to `sluice run` after it: Logstash `.conf` pipelines, say.
    pub fn start_with_files(body: &str, files: &[(&str, &str)]) -> Server {
        let s = Self::spawn_with(body, &[("TZ", "UTC")], files);
        s.wait_ready();
        s
    }

    /// [`Server::start_with_files`] with environment variables set for the process.
    pub fn start_with_env_files(
        body: &str,
        env: &[(&str, &str)],
        files: &[(&str, &str)],
    ) -> Server {
        let s = Self::spawn_with(body, env, files);
        s.wait_ready();
        s
    }

    fn spawn(body: &str, env: &[(&str, &str)]) -> Server {
        Self::spawn_with(body, env, &[])
    }

    /// [`Server::start`] with more arguments to `sluice run` (`--watch-config`).
    pub fn start_with_args(body: &str, args: &[&str]) -> Server {
        let s = Self::spawn_full(body, &[("TZ", "UTC")], &[], args);
        s.wait_ready();
        s
    }

    fn spawn_with(body: &str, env: &[(&str, &str)], files: &[(&str, &str)]) -> Server {
        Self::spawn_full(body, env, files, &[])
    }

    fn spawn_full(
        body: &str,
        env: &[(&str, &str)],
        files: &[(&str, &str)],
        args: &[&str],
    ) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let admin = free_port();
        let port = free_port();
        let text = format!(
            "data_dir = \"{}\"\nshutdown_grace = \"20s\"\n[admin]\naddress = \"127.0.0.1:{admin}\"\n{}",
            dir.path().join("data").display(),
            body.replace("{PORT}", &port.to_string())
        );
        let cfg = dir.path().join("sluice.toml");
        std::fs::write(&cfg, text).unwrap();
        let mut extra = Vec::new();
        for (name, body) in files {
            let p = dir.path().join(name);
            std::fs::write(&p, body.replace("{PORT}", &port.to_string())).unwrap();
            extra.push("--config".to_owned());
            extra.push(p.display().to_string());
        }
        let child = Command::new(sluice_bin())
            .args(["run", "--config"])
            .arg(&cfg)
            .args(&extra)
            .args(args)
            .env("TZ", "UTC")
            .envs(env.iter().copied())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .stdout(Stdio::null())
            .spawn()
            .expect("start sluice");
        Server {
            child: Some(child),
            dir,
            admin,
            port,
        }
    }

    /// [`Server::start`] for a server that may come up degraded: waits until the admin
    /// endpoint answers at all, not until it is ready.
    pub fn start_degraded(body: &str) -> Server {
        let text = body.to_owned();
        let s = Self::spawn(&text, &[("TZ", "UTC")]);
        s.wait_for(30, "the admin endpoint", || {
            http_get(s.admin, "/health").is_ok()
        });
        s
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok((200, _)) = http_get(self.admin, "/ready") {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("sluice did not become ready; stderr:\n{}", self.stderr());
    }

    pub fn data(&self, rel: &str) -> PathBuf {
        self.dir.path().join("data").join(rel)
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    pub fn metrics(&self) -> String {
        http_get(self.admin, "/metrics").expect("scrape /metrics").1
    }

    /// The value of one sample line `name{labels}` in /metrics, 0 when absent.
    pub fn metric(&self, name_and_labels: &str) -> f64 {
        self.metrics()
            .lines()
            .find_map(|l| {
                l.strip_prefix(name_and_labels)
                    .and_then(|r| r.strip_prefix(' '))
                    .and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(0.0)
    }

    /// Waits until `f` holds, polling; panics with `what` after `secs`.
    pub fn wait_for(&self, secs: u64, what: &str, mut f: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if f() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out waiting for {what}; stderr:\n{}", self.stderr());
    }

    /// Sends `signal` (`HUP`, `TERM`...) to the server.
    pub fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("running");
        let st = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -{signal} failed");
    }

    /// True while the process has not exited.
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// SIGKILL (no chance to flush anything), then the same config again, on the same
    /// ports and data directory; waits until the admin endpoint answers.
    pub fn kill9_and_restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join("stderr.log"))
            .unwrap();
        let child = Command::new(sluice_bin())
            .args(["run", "--config"])
            .arg(self.dir.path().join("sluice.toml"))
            .env("TZ", "UTC")
            .stderr(log)
            .stdout(Stdio::null())
            .spawn()
            .expect("start sluice");
        self.child = Some(child);
        self.wait_for(30, "the admin endpoint after a restart", || {
            http_get(self.admin, "/health").is_ok()
        });
    }

    /// SIGTERM, then wait; returns the exit code.
    pub fn stop(&mut self) -> i32 {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("sluice did not exit after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs `sluice ARGS... --config CONFIG` to the end: its exit status and output.
pub fn sluice(args: &[&str], config: &Path) -> std::process::Output {
    Command::new(sluice_bin())
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("run sluice")
}

/// Minimal HTTP/1.0 GET against 127.0.0.1: (status, body).
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let status = buf
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Every JSON line of a file and its rotated siblings (not gzipped).
pub fn read_json_lines(path: &Path) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let dir = path.parent().unwrap();
    let base = path.file_name().unwrap().to_string_lossy().into_owned();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == base || name.starts_with(&format!("{base}.")) {
            let text = std::fs::read_to_string(e.path()).unwrap();
            for l in text.lines() {
                out.push(
                    serde_json::from_str(l)
                        .unwrap_or_else(|err| panic!("broken line in {name}: {l:?}: {err}")),
                );
            }
        }
    }
    out
}

/// A deterministic byte generator (no dependency needed for "random" input).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_byte(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u8
    }
}

/// Runs a shell command, panicking with its output on failure.
pub fn sh(cmd: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "`{cmd}` failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `../shared` beside the repo, when present.
pub fn shared_dir() -> Option<PathBuf> {
    let p = workspace_root().join("../shared");
    if p.exists() {
        Some(p)
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "../shared is required under CI=true"
        );
        None
    }
}

/// A test CA and a server certificate it signed for 127.0.0.1 and localhost, made by the
/// openssl command line in `dir`: `(ca.crt, server.crt, server.key)`.
/// A certificate signed by the CA of [`make_certs`] in `dir`: `name.crt` and `name.key`
/// with common name `cn`, for a server (`serverAuth`, with 127.0.0.1 as its address) or
/// a client (`clientAuth`).
pub fn sign_cert(dir: &Path, name: &str, cn: &str, client: bool) -> (PathBuf, PathBuf) {
    let run = |args: &[&str]| openssl(dir, args);
    let (key, csr, ext, crt) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.ext"),
        format!("{name}.crt"),
    );
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        &format!("/CN={cn}"),
        "-keyout",
        &key,
        "-out",
        &csr,
    ]);
    let usage = if client {
        "extendedKeyUsage=clientAuth\n"
    } else {
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
    };
    std::fs::write(
        dir.join(&ext),
        format!("basicConstraints=CA:FALSE\n{usage}"),
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &ext,
        "-out",
        &crt,
    ]);
    (dir.join(crt), dir.join(key))
}

/// Runs `openssl ARGS` in `dir`; panics with its error output when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA (`ca.crt`, `ca.key`) and a server certificate it signed for 127.0.0.1
/// (`server.crt`, `server.key`) in `dir`: (CA, certificate, key).
pub fn make_certs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=sluice test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
    );
    let (crt, key) = sign_cert(dir, "server", "127.0.0.1", false);
    (dir.join("ca.crt"), crt, key)
}

/// A child process killed (and reaped) when this is dropped, even when a test panics.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One request a [`Capture`] server took.
#[derive(Clone, Debug)]
pub struct Captured {
    pub request_line: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An HTTP/1.1 capture server on loopback, for webhook tests: it records every request
/// and answers each with the next status of its script (then 200); a 429 carries
/// `Retry-After: 1`. Keep-alive, Content-Length bodies only.
pub struct Capture {
    pub port: u16,
    pub got: std::sync::Arc<std::sync::Mutex<Vec<Captured>>>,
}

impl Capture {
    pub fn start(script: &[u16]) -> Capture {
        use std::io::{BufRead, BufReader, Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let script = std::sync::Arc::new(std::sync::Mutex::new(
            script
                .iter()
                .copied()
                .collect::<std::collections::VecDeque<u16>>(),
        ));
        let g = got.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(conn) = conn else { return };
                let (g, script) = (g.clone(), script.clone());
                std::thread::spawn(move || {
                    let mut w = conn.try_clone().unwrap();
                    let mut r = BufReader::new(conn);
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let mut headers = Vec::new();
                        loop {
                            let mut h = String::new();
                            if r.read_line(&mut h).unwrap_or(0) == 0 {
                                return;
                            }
                            let h = h.trim_end();
                            if h.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = h.split_once(':') {
                                headers.push((k.trim().to_lowercase(), v.trim().to_owned()));
                            }
                        }
                        let len: usize = headers
                            .iter()
                            .find(|(k, _)| k == "content-length")
                            .and_then(|(_, v)| v.parse().ok())
                            .unwrap_or(0);
                        let mut body = vec![0; len];
                        if r.read_exact(&mut body).is_err() {
                            return;
                        }
                        g.lock().unwrap().push(Captured {
                            request_line: line.trim_end().to_owned(),
                            headers,
                            body,
                        });
                        let status = script.lock().unwrap().pop_front().unwrap_or(200);
                        let extra = if status == 429 {
                            "Retry-After: 1\r\n"
                        } else {
                            ""
                        };
                        let resp = format!(
                            "HTTP/1.1 {status} X\r\n{extra}Content-Length: 7\r\nContent-Type: text/plain\r\n\r\nanswer!"
                        );
                        if w.write_all(resp.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Capture { port, got }
    }

    pub fn requests(&self) -> Vec<Captured> {
        self.got.lock().unwrap().clone()
    }
}
