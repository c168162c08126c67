//! The chaos rig: a mock Kraken process replaying a market, `flywheel run --mode live`
//! processes started against it and killed with SIGKILL, and the audit that compares the
//! store with the mock's own ledger (the ground truth) once the dust settles.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flywheel_store::{BlockingStore, DbUrl, StoreOptions};

/// The mock's default credentials (`flywheel_kraken_mock::config`).
const API_KEY: &str = "flywheel-mock-key";
const SECRET: &[u8] = b"flywheel-mock-kraken-secret-0001";

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A small deterministic generator (the run prints its seed; the same seed replays the
/// same kill schedule).
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed.wrapping_mul(6364136223846793005).wrapping_add(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// DOGE-like trades swinging ±1.2 % around 0.18 with a period of 48 prints, one print a
/// second, so a grid fills entries and exits all the time.
pub fn swinging_doge_csv(n: usize) -> String {
    let mut csv = String::from("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n");
    for i in 0..n {
        let us = (1_760_000_000 + i as i64) * 1_000_000;
        let phase = (i % 48) as i64;
        let tri = if phase < 24 { phase } else { 48 - phase } - 12; // −12..12
        let price = 1_800_000 + tri * 2_160; // 0.18 ± 0.0025920 (7 decimals)
        let side = if i % 2 == 0 { "buy" } else { "sell" };
        csv.push_str(&format!(
            "gemini,DOGEUSD,{us},{us},{i},{side},0.{price:07},900\n"
        ));
    }
    csv
}

/// SOL-like trades swinging ±0.12 (±6 bps) around 200.00 in ticks of 0.01 with a period of
/// 48 prints, one print a second: calm enough for the maker to quote, wide enough to fill it.
pub fn swinging_sol_csv(n: usize) -> String {
    let mut csv = String::from("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n");
    for i in 0..n {
        let us = (1_760_000_000 + i as i64) * 1_000_000;
        let phase = (i % 48) as i64;
        let tri = if phase < 24 { phase } else { 48 - phase } - 12; // −12..12
        let cents = 20_000 + tri;
        let side = if i % 2 == 0 { "buy" } else { "sell" };
        csv.push_str(&format!(
            "gemini,SOLUSD,{us},{us},{i},{side},{}.{:02},2\n",
            cents / 100,
            cents % 100
        ));
    }
    csv
}

/// A plain HTTP/1.1 request to the mock's admin endpoints; the body of the answer.
pub fn http(method: &str, url: &str, body: &str) -> String {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(host).expect("connect to the mock");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("request");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("answer");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "{method} {url} {body}: {head}\n{answer}"
    );
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// A mock Kraken process.
pub struct Mock {
    child: Child,
    pub rest: String,
}

impl Mock {
    /// Start `flywheel mock-kraken` replaying `data` at `speed` as `symbol`.
    pub fn start(data: &Path, speed: f64, symbol: &str) -> Mock {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flywheel"))
            .args(["mock-kraken", "--replay"])
            .arg(data)
            .args(["--speed", &speed.to_string(), "--symbol", symbol])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the mock");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the mock's URL line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("URL line is JSON");
        Mock {
            child,
            rest: v["rest_url"].as_str().expect("rest_url").to_string(),
        }
    }

    pub fn ledger(&self) -> serde_json::Value {
        serde_json::from_str(&http("GET", &format!("{}/mock/ledger", self.rest), ""))
            .expect("ledger JSON")
    }

    pub fn fault(&self, json: &str) {
        http("POST", &format!("{}/mock/fault", self.rest), json);
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `flywheel run --mode live` against the mock, its stderr in a file.
pub struct Live {
    pub child: Child,
    pub log: PathBuf,
}

/// Everything a live process needs.
pub struct Rig {
    pub dir: PathBuf,
    pub db: String,
    pub mock: Mock,
    pub runs: u32,
    /// The configuration file and the arguments every live process gets.
    pub config: PathBuf,
    pub args: Vec<String>,
    /// Config overrides (`FLYWHEEL_SECTION__KEY`) every live process gets; the inherited
    /// `FLYWHEEL_*` variables are dropped.
    pub overrides: Vec<(String, String)>,
}

impl Rig {
    pub fn new(dir: &Path, prints: usize, speed: f64) -> Rig {
        Rig::with_market(
            dir,
            &swinging_doge_csv(prints),
            speed,
            "DOGE/USD",
            "kraken-doge-usd.toml",
        )
    }

    /// The maker (with its hedger) on SOL/USD: prints swinging ±6 bps around 200 with a
    /// period of 48 prints, one a second, quotes re-decided every second, and the hedger
    /// aggressive after 1 s above trigger.
    pub fn maker_sol(dir: &Path, prints: usize, speed: f64) -> Rig {
        let mut rig = Rig::with_market(
            dir,
            &swinging_sol_csv(prints),
            speed,
            "SOL/USD",
            "kraken-sol-usd-maker.toml",
        );
        rig.args = ["--strategy", "maker", "--symbol", "SOL/USD"]
            .map(String::from)
            .to_vec();
        rig.overrides
            .push(("FLYWHEEL_MAKER__REFRESH_SECONDS".into(), "1".into()));
        // The hedger goes aggressive after 1 s above trigger instead of 6: IOC clips in
        // flight when the kills come, not only passive legs.
        rig.overrides.push((
            "FLYWHEEL_HEDGER__PASSIVE_TIMEOUT_SECONDS".into(),
            "1".into(),
        ));
        rig
    }

    /// A mock replaying `csv` as `symbol` at `speed`, and live processes with `configs/CONFIG`.
    fn with_market(dir: &Path, csv: &str, speed: f64, symbol: &str, config: &str) -> Rig {
        let data = dir.join("market.csv");
        std::fs::write(&data, csv).expect("market data");
        std::fs::write(dir.join("secret"), base64(SECRET)).expect("secret");
        Rig {
            dir: dir.to_path_buf(),
            db: format!("sqlite:{}", dir.join("fw.db").display()),
            mock: Mock::start(&data, speed, symbol),
            runs: 0,
            config: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../configs")
                .join(config),
            args: Vec::new(),
            overrides: Vec::new(),
        }
    }

    /// Start a live process; `extra` args and an optional failpoint.
    pub fn spawn(&mut self, extra: &[&str], failpoint: Option<&str>) -> Live {
        self.runs += 1;
        let log = self.dir.join(format!("run{:04}.log", self.runs));
        let ws = self.mock.rest.replace("http://", "ws://");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flywheel"));
        cmd.args(["run", "--mode", "live", "--config"])
            .arg(&self.config)
            .args(&self.args)
            .args(["--db", &self.db, "--kraken-rest", &self.mock.rest])
            .args(["--kraken-ws-private", &format!("{ws}/v2-auth")])
            .args(["--kraken-ws-public", &format!("{ws}/v2")])
            .arg("--api-secret-file")
            .arg(self.dir.join("secret"))
            .args(["--deadline-ms", "1500", "--dead-man-secs", "0"])
            .args(extra)
            .current_dir(&self.dir)
            .env("KRAKEN_API_KEY", API_KEY)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("FLYWHEEL_") {
                cmd.env_remove(name);
            }
        }
        for (key, value) in &self.overrides {
            cmd.env(key, value);
        }
        if let Some(f) = failpoint {
            cmd.env("FW_FAILPOINT", f);
        }
        Live {
            child: cmd.spawn().expect("start flywheel"),
            log,
        }
    }
}

/// A test that fails mid-way must not leave a bot running.
impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Live {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait until the log contains `needle` (a leading `\n` matches the log's start too)
    /// or `timeout` passes; whether it did.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if format!("\n{}", self.log_text()).contains(needle) {
                return true;
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                return self.log_text().contains(needle);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// SIGKILL (Rust's `Child::kill` on Unix) and reap.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Wait for the process to exit by itself (at most `timeout`); its status and log.
    pub fn exit(mut self, timeout: Duration) -> (Option<std::process::ExitStatus>, String) {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return (Some(status), self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        (None, self.log_text())
    }

    /// Wait for a clean exit; panics with the log otherwise.
    pub fn finish(mut self, timeout: Duration) -> String {
        let until = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = self.log_text();
                assert!(status.success(), "flywheel exited {status}:\n{log}");
                return log;
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("flywheel did not stop:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

pub use flywheel_cli::commands::exchange_audit::Counts;

/// Compare the store at `db` with the mock's ledger
/// ([`flywheel_cli::commands::exchange_audit`], what paper sessions check too).
pub fn audit(db: &str, mock: &Mock) -> Counts {
    let store = BlockingStore::open(&DbUrl::parse(db).expect("db url"), StoreOptions::default())
        .expect("open the store");
    let counts = flywheel_cli::commands::exchange_audit::audit(&store, &mock.ledger())
        .expect("the audit reads the ledger");
    for m in &counts.mismatches {
        eprintln!("state mismatch {m}");
    }
    counts
}
