//! A `flywheel run --http` under test: a separate process with its operator address, plain
//! HTTP/1.1 requests and the event stream read by hand (no client library needed).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const TOKEN: &str = "test-token-0123456789abcdef0123456789";

/// A running `flywheel run` with its operator address.
pub struct Bot {
    child: Child,
    pub addr: SocketAddr,
    stderr: mpsc::Receiver<String>,
}

impl Bot {
    pub fn start(dir: &std::path::Path, extra: &[&str]) -> Bot {
        Bot::start_with(dir, extra, &[])
    }

    /// [`Bot::start`] with more environment variables.
    pub fn start_with(dir: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> Bot {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flywheel"));
        cmd.args([
            "run",
            "--mode",
            "paper",
            "--replay",
            "doge.csv",
            "--speed",
            "30",
            "--http",
            "127.0.0.1:0",
        ])
        .args(extra)
        .current_dir(dir)
        .env("FW_API_TOKEN", TOKEN)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("FLYWHEEL_") {
                cmd.env_remove(name);
            }
        }
        let mut child = cmd.spawn().expect("spawn flywheel");
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let until = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        let addr = loop {
            let left = until.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.split("on http://").nth(1) {
                        let a = rest.split('/').next().unwrap_or_default();
                        break a.parse().unwrap_or_else(|e| panic!("{line:?}: {e}"));
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("no operator address within 60 s: {seen:#?}");
                }
            }
        };
        Bot {
            child,
            addr,
            stderr: rx,
        }
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        http(self.addr, "GET", path, None, "")
    }

    pub fn status(&self) -> Value {
        let (code, body) = self.get("/api/status");
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).expect("status JSON")
    }

    /// Waits up to `secs` for `ok(status)` (a 503 before the engine's first status counts
    /// as not yet).
    pub fn wait_status(&self, what: &str, secs: u64, ok: impl Fn(&Value) -> bool) -> Value {
        let until = Instant::now() + Duration::from_secs(secs);
        loop {
            let (code, body) = self.get("/api/status");
            let s = match code {
                200 => serde_json::from_str(&body).expect("status JSON"),
                503 => Value::Null,
                _ => panic!("/api/status: {code} {body}"),
            };
            if ok(&s) {
                return s;
            }
            assert!(
                Instant::now() < until,
                "{what} not seen in {secs} s: {code} {s:#}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then the exit status within 30 s, and the rest of standard error.
    pub fn stop(mut self) -> (std::process::ExitStatus, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("flywheel did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let rest: Vec<String> = self.stderr.try_iter().collect();
        (status, rest.join("\n"))
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        // A failed assertion must not leave a bot running.
        let _ = self.child.kill();
    }
}

/// One HTTP/1.1 request (`Connection: close`), the status code and the body.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).to_string();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (code, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Reads the event stream until an event named `name` arrives (≤ 15 s); its data.
pub fn first_event(addr: SocketAddr, name: &str) -> String {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    write!(
        s,
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("send");
    let mut r = BufReader::new(s);
    let mut current = String::new();
    let until = Instant::now() + Duration::from_secs(15);
    let mut line = String::new();
    while Instant::now() < until {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let l = line.trim_end();
        if let Some(ev) = l.strip_prefix("event:") {
            current = ev.trim().to_string();
        } else if let Some(data) = l.strip_prefix("data:") {
            if current == name {
                return data.trim().to_string();
            }
        }
    }
    panic!("no `{name}` event within 15 s");
}
