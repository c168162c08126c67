//! The maker's paper session against the mock Kraken's public feed, fully offline, on real
//! SOL/USD prints: the mock (with Kraken's SOL/USD names) replays an excerpt of the Gemini
//! SOL/USD crash day over a real WebSocket, a wall-clock timer ticks, the engine thread
//! stamps and records every input and drives the maker with its hedger on the simulated
//! exchange. Replaying the recording through a fresh maker gives the same journal, byte for
//! byte; no print is lost on the way; and the maker really quoted and was filled.
//!
//! Skips with a message when the data file is absent (`shared/data` beside the repository,
//! or `FLYWHEEL_DATA_DIR`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flywheel_engine::config::{BacktestConfig, VenueConfig};
use flywheel_engine::maker_journal::{MakerRecord, MakerSink};
use flywheel_engine::maker_run::MakerEngine;
use flywheel_kraken::net::clock::{Clock, SystemClock};
use flywheel_kraken::net::market::MarketConfig;
use flywheel_kraken_mock::{MockConfig, MockKraken, ReplayConfig};
use flywheel_maker::{HedgerConfig, MakerConfig};
use flywheel_runner::input::Input;
use flywheel_runner::maker_session::MakerPaperSession;
use flywheel_runner::recording::{self, Recorder};
use flywheel_runner::session::Control;
use flywheel_venue::SimExchange;

const DAY: &str = "gemini_SOLUSD_trades_2025-10-10.csv.gz";
/// The excerpt: 07:00–07:20 UTC, 281 prints in a range of about 0.5 % (Tardis times, µs) —
/// a market the maker quotes on both sides (the crash hours pause it).
const FROM_US: i64 = 1_760_079_600_000_000;
const TO_US: i64 = 1_760_080_800_000_000;
/// Replay speed: the twenty minutes in five seconds. The maker's clock is the wall clock, so
/// it refreshes about five times (`refresh_seconds` = 1); measured: 14 orders, 4 quote fills,
/// 3 hedger orders, identical under CPU load.
const SPEED: f64 = 240.0;

/// `shared/data/NAME` beside the repository (`FLYWHEEL_DATA_DIR` overrides), or `None`.
fn data_file(name: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("FLYWHEEL_DATA_DIR") {
        Some(d) => Some(PathBuf::from(d)),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|a| a.join("shared").join("data"))
            .find(|d| d.is_dir()),
    };
    dir.map(|d| d.join(name)).filter(|p| p.is_file())
}

/// The rows of `src` (Tardis trades CSV, gzipped) between `FROM_US` and `TO_US`, written to
/// `dst` with the header: a real excerpt, unmodified row by row.
fn excerpt(src: &Path, dst: &Path) -> usize {
    let file = std::fs::File::open(src).expect("open data");
    let lines = BufReader::new(flate2::read::MultiGzDecoder::new(file)).lines();
    let mut out = String::new();
    let mut rows = 0;
    for (i, line) in lines.enumerate() {
        let line = line.expect("read data");
        if i == 0 {
            out.push_str(&line);
            out.push('\n');
            continue;
        }
        let ts: i64 = line
            .split(',')
            .nth(2)
            .and_then(|f| f.parse().ok())
            .expect("timestamp");
        if (FROM_US..TO_US).contains(&ts) {
            out.push_str(&line);
            out.push('\n');
            rows += 1;
        }
    }
    std::fs::write(dst, out).expect("write excerpt");
    rows
}

#[derive(Debug, Default)]
struct TextJournal(Vec<String>);

impl MakerSink for TextJournal {
    fn enabled(&self) -> bool {
        true
    }
    fn record(&mut self, rec: &MakerRecord<'_>) {
        self.0
            .push(serde_json::to_string(rec).expect("journal record serializes"));
    }
}

/// The maker as `flywheel run --strategy maker` builds it, re-deciding every second (the
/// default 5 s would give one refresh per 10 minutes of data at this speed).
fn maker() -> MakerEngine<SimExchange, TextJournal> {
    let cfg = MakerConfig {
        refresh_seconds: 1,
        ..MakerConfig::default()
    };
    let inst = cfg.instrument("SOL/USD").expect("instrument");
    let sim = SimExchange::new(
        inst,
        VenueConfig::default().sim(),
        BacktestConfig::default().start_balances(),
    )
    .expect("sim");
    MakerEngine::with_journal(cfg, HedgerConfig::default(), sim, TextJournal::default())
}

#[test]
fn a_recorded_maker_session_on_sol_replays_to_the_same_journal() {
    let Some(src) = data_file(DAY) else {
        eprintln!("SKIP: shared/data/{DAY} not found beside the repository (or FLYWHEEL_DATA_DIR); the maker paper session was not run");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("sol.csv");
    let rows = excerpt(&src, &data);
    assert!(rows > 200, "the excerpt holds {rows} prints");
    let rec_path = dir.path().join("session.jsonl.gz");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mock = rt
        .block_on(MockKraken::start(MockConfig {
            heartbeat: Duration::from_millis(100),
            ..MockConfig::sol_usd()
        }))
        .expect("mock");
    let (tx, rx) = channel();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut market = MarketConfig::new("SOL/USD");
    market.ws.url = mock.ws_public_url();
    let feed = {
        let _g = rt.enter();
        flywheel_runner::feed::trades(market, clock.clone(), tx.clone())
    };
    let _ticker = flywheel_runner::feed::ticker(Duration::from_millis(250), tx.clone());

    // The replay starts once the feed is subscribed and stops the session once every print
    // came through.
    let ws = feed.handle.ws().clone();
    let forwarded = feed.forwarded_counter();
    let replayer = {
        let mock = mock.clone();
        let handle = rt.handle().clone();
        let path = data.clone();
        std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(10);
            while !ws.state().connected && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            std::thread::sleep(Duration::from_millis(300));
            // A failed replay still stops the session (the test then fails on the count).
            let prints = handle
                .block_on(async { mock.replay(ReplayConfig { path, speed: SPEED }).await })
                .map_err(|e| e.to_string())
                .and_then(|r| r)
                .unwrap_or_else(|e| {
                    eprintln!("replay failed: {e}");
                    0
                });
            let until = Instant::now() + Duration::from_secs(20);
            while forwarded.load(std::sync::atomic::Ordering::Relaxed) < prints as u64
                && Instant::now() < until
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = tx.send(Input::Stop);
            prints
        })
    };

    let recorder = Recorder::create(&rec_path, 16).expect("recorder");
    let mut session = MakerPaperSession::new(maker(), Some(recorder));
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        assert!(Instant::now() < deadline, "the session did not stop");
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(input) => {
                if session.step(input, clock.now()).expect("step") == Control::Stop {
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => panic!("inputs ended"),
        }
    }
    let prints = replayer.join().expect("replayer");
    assert_eq!(prints, rows, "the mock replayed every row");
    assert_eq!(feed.drops(), 0, "the feed never dropped");
    feed.shutdown();
    let (trades, ticks) = session.counts();
    assert_eq!(trades, rows as u64, "every print reached the maker");
    assert!(ticks > 5, "the timer ran: {ticks} ticks");
    let (live, lines) = session.finish().expect("finish");
    let st = &live.stats;
    assert!(
        st.orders_placed > 0 && st.quote_fills > 0,
        "the maker quoted and was filled: {st:?}"
    );
    assert_eq!(st.fifo_errors, 0);
    let (placed, quote_fills, refreshes) = (st.orders_placed, st.quote_fills, st.refreshes);
    let live_journal = live.finish_journal().0;
    let hedges = live_journal
        .iter()
        .filter(|r| r.contains("\"kind\":\"placed\"") && r.contains("\"role\":\"hedge_"))
        .count();
    eprintln!(
        "{rows} prints, {ticks} ticks: {} orders placed ({hedges} by the hedger), {} quote fills, {} refreshes",
        placed, quote_fills, refreshes
    );
    assert!(hedges > 0, "the hedger placed an order to flatten a fill");
    for kind in ["quote", "placed", "fill"] {
        let tag = format!("\"kind\":\"{kind}\"");
        assert!(
            live_journal.iter().any(|r| r.contains(&tag)),
            "the journal has a {kind} record"
        );
    }

    let recorded = recording::read(&rec_path).expect("recording reads");
    assert_eq!(Some(recorded.len() as u64), lines);
    let mut replay = MakerPaperSession::new(maker(), None);
    for s in recorded {
        if replay.apply(s).expect("replay step") == Control::Stop {
            break;
        }
    }
    let (replayed, _) = replay.finish().expect("finish replay");
    let replay_journal = replayed.finish_journal().0;
    assert_eq!(replay_journal.len(), live_journal.len());
    assert!(
        replay_journal == live_journal,
        "the replay's journal differs from the session's"
    );
}
