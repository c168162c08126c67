//! A real headless Chromium for tests, driven over WebDriver (chromedriver + fantoccini), and
//! the dashboard checks built on it. Another test crate reuses it with
//! `#[path = "../../dashboard/tests/support/browser.rs"] mod browser;` (it then needs the
//! dev-dependencies `fantoccini`, `hyper-util`, `serde_json` and `tokio`).
//!
//! Invariants:
//! - [`Browser::start`] returns `None` (after printing why) only when Chromium or chromedriver
//!   is missing and `CI` is not set; under `CI=true` a missing browser panics, so CI cannot
//!   pass by skipping.
//! - Chromium starts with the flags that keep it off the (closed) network and a fresh profile
//!   directory. Ending is chromedriver's own `/shutdown` (it quits its browsers), then, if it
//!   is still there after 5 s, a kill of that one child by its id. Never a signal to a process
//!   group: on this machine `kill -KILL -PGID` (procps-ng 4.0.2) was seen to end every process.
//! - Page text is read with `textContent` through a script, so what is compared is exactly
//!   what the page put in the DOM.
#![allow(dead_code)] // each including crate uses a different part

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// Chromium flags: headless, no sandbox (CI runs as root), and no background traffic — the
/// machine's network is closed and each of these would otherwise stall the start.
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// A running chromedriver with one Chromium session.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    driver: Child,
    port: u16,
    profile: PathBuf,
}

fn binary(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Browser {
    /// Start chromedriver and a headless Chromium (`/usr/bin/chromium` and
    /// `/usr/bin/chromedriver`, or `FW_CHROMIUM` / `FW_CHROMEDRIVER`). `None` when they are
    /// absent outside CI; panics when they are absent under `CI`, or present but failing.
    pub async fn start() -> Option<Browser> {
        let chromium = binary("FW_CHROMIUM", "/usr/bin/chromium");
        let driver_bin = binary("FW_CHROMEDRIVER", "/usr/bin/chromedriver");
        let missing: Vec<&Path> = [chromium.as_path(), driver_bin.as_path()]
            .into_iter()
            .filter(|p| !p.exists())
            .collect();
        if !missing.is_empty() {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
            let msg = format!(
                "{missing:?} not found: install the Debian packages `chromium chromium-driver` \
                 (.ci/run does), or set FW_CHROMIUM / FW_CHROMEDRIVER"
            );
            assert!(!ci, "CI is set and the browser test cannot run: {msg}");
            // Straight to stderr: libtest captures eprintln!, and a skip must be seen.
            let _ = writeln!(std::io::stderr(), "SKIPPED: headless Chromium test: {msg}");
            return None;
        }
        match Self::launch(&chromium, &driver_bin).await {
            Ok(b) => Some(b),
            Err(e) => panic!("starting headless Chromium: {e}"),
        }
    }

    async fn launch(chromium: &Path, driver_bin: &Path) -> Result<Browser, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let mut cmd = Command::new(driver_bin);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut driver = cmd
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", driver_bin.display()))?;
        let profile = std::env::temp_dir().join(format!(
            "fw-chromium-{}-{}-{}",
            std::process::id(),
            port,
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let up = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if up.elapsed() > Duration::from_secs(20) {
                let _ = driver.kill();
                let _ = driver.wait();
                return Err(format!("chromedriver did not listen on {addr} within 20 s"));
            }
            if let Ok(Some(st)) = driver.try_wait() {
                return Err(format!("chromedriver exited at start: {st}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push("--window-size=1280,900".to_string());
        args.push("--disable-dev-shm-usage".to_string());
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium.display().to_string(), "args": args},
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!("a json object literal"),
        };
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let url = format!("http://{addr}");
        let connect = builder.connect(&url);
        // A Chromium that stalls at start (a network lookup the flags missed) must fail the
        // test with a reason, not hang CI.
        let client = match tokio::time::timeout(Duration::from_secs(60), connect).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err("Chromium did not start within 60 s".to_string()),
        };
        match client {
            Ok(client) => Ok(Browser {
                client,
                driver,
                port,
                profile,
            }),
            Err(e) => {
                shutdown_driver(&mut driver, port);
                let _ = std::fs::remove_dir_all(&profile);
                Err(format!("new WebDriver session: {e}"))
            }
        }
    }

    /// Load a URL and wait for the document to finish loading.
    pub async fn goto(&self, url: &str) -> Result<(), String> {
        self.client
            .goto(url)
            .await
            .map_err(|e| format!("goto {url}: {e}"))
    }

    /// Run a script (a function body: `return ...`) and return its value.
    pub async fn eval(&self, js: &str) -> Result<Value, String> {
        self.client
            .execute(js, vec![])
            .await
            .map_err(|e| format!("script `{js}`: {e}"))
    }

    /// Run a script with one argument (`arguments[0]` in the script).
    pub async fn eval_with(&self, js: &str, arg: Value) -> Result<Value, String> {
        self.client
            .execute(js, vec![arg])
            .await
            .map_err(|e| format!("script `{js}`: {e}"))
    }

    /// Run an asynchronous script: it gets `done` (the last argument) to call with its value.
    pub async fn eval_async(&self, js: &str) -> Result<Value, String> {
        let body = format!("const done = arguments[arguments.length - 1]; {js}");
        self.client
            .execute_async(&body, vec![])
            .await
            .map_err(|e| format!("async script `{js}`: {e}"))
    }

    /// The `textContent` of the first element matching `css`; `None` when there is none.
    pub async fn text_of(&self, css: &str) -> Result<Option<String>, String> {
        let v = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
                vec![json!(css)],
            )
            .await
            .map_err(|e| format!("text of {css}: {e}"))?;
        Ok(v.as_str().map(str::to_string))
    }

    /// An attribute (`data-color`, `hidden`, `class`) of the first element matching `css`.
    pub async fn attr_of(&self, css: &str, name: &str) -> Result<Option<String>, String> {
        let v = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); \
                 return e ? e.getAttribute(arguments[1]) : null;",
                vec![json!(css), json!(name)],
            )
            .await
            .map_err(|e| format!("attribute {name} of {css}: {e}"))?;
        Ok(v.as_str().map(str::to_string))
    }

    /// Click the element matching `css` (a real WebDriver click: it must be visible).
    pub async fn click(&self, css: &str) -> Result<(), String> {
        let e = self
            .client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("find {css}: {e}"))?;
        e.click().await.map_err(|e| format!("click {css}: {e}"))
    }

    /// Clear the field matching `css` and type `text` into it, key by key.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<(), String> {
        let e = self
            .client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("find {css}: {e}"))?;
        e.clear().await.map_err(|e| format!("clear {css}: {e}"))?;
        e.send_keys(text)
            .await
            .map_err(|e| format!("type into {css}: {e}"))
    }

    /// Choose the option with this value in the `<select>` matching `css`.
    pub async fn select(&self, css: &str, value: &str) -> Result<(), String> {
        let e = self
            .client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("find {css}: {e}"))?;
        e.select_by_value(value)
            .await
            .map_err(|e| format!("select {value} in {css}: {e}"))
    }

    /// Save a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) -> Result<(), String> {
        let png = self
            .client
            .screenshot()
            .await
            .map_err(|e| format!("screenshot: {e}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Resize the window; headless Chromium has no window chrome, so the viewport is
    /// `w` × `h` CSS pixels.
    pub async fn set_window(&self, w: u32, h: u32) -> Result<(), String> {
        self.client
            .set_window_size(w, h)
            .await
            .map_err(|e| format!("set window {w}x{h}: {e}"))
    }

    /// Poll `probe` every 100 ms until it returns `Ok(Some(_))`, for at most `timeout`; the
    /// error names `what` and the last answer.
    pub async fn wait_for<T, F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        mut probe: F,
    ) -> Result<T, String>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, String>>,
    {
        let t0 = Instant::now();
        let mut last = String::from("no answer yet");
        loop {
            match probe().await {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(e) => last = e,
            }
            if t0.elapsed() > timeout {
                return Err(format!(
                    "timed out after {timeout:?} waiting for {what} ({last})"
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// End the session, chromedriver and the profile directory.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        shutdown_driver(&mut self.driver, self.port);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if matches!(self.driver.try_wait(), Ok(None)) {
            shutdown_driver(&mut self.driver, self.port);
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Ask chromedriver to quit (it closes the browsers it started), wait for it up to 5 s, and
/// kill that one process, by its id, only if it is still running.
fn shutdown_driver(driver: &mut Child, port: u16) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    if let Ok(mut conn) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
        let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = conn
            .write_all(b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let _ = std::io::Read::read(&mut conn, &mut [0u8; 256]);
    }
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(5) {
        if !matches!(driver.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = driver.kill();
    let _ = driver.wait();
}

/// Where the screenshots go: the workspace's `target/` (or `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    )
}

#[path = "checks.rs"]
pub mod checks;
