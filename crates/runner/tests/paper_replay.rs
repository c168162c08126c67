//! A paper session against the mock Kraken's public feed, fully offline: trades arrive over
//! a real WebSocket, ticks from a wall-clock timer, the engine thread stamps and records
//! them. Replaying the recording through a fresh engine gives the same journal, byte for
//! byte, and no print is lost on the way.

use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flywheel_core::{Price, Qty, Quote, Side};
use flywheel_engine::config::{instrument, BacktestConfig, VenueConfig};
use flywheel_engine::{Engine, JournalRecord, JournalSink};
use flywheel_grid::EngineConfig;
use flywheel_kraken::net::clock::{Clock, SystemClock};
use flywheel_kraken::net::market::MarketConfig;
use flywheel_kraken_mock::{MockConfig, MockKraken};
use flywheel_runner::input::Input;
use flywheel_runner::recording::{self, Recorder};
use flywheel_runner::session::{Control, PaperSession};
use flywheel_venue::SimExchange;

#[derive(Debug, Default)]
struct TextJournal(Vec<String>);

impl JournalSink for TextJournal {
    fn enabled(&self) -> bool {
        true
    }
    fn record(&mut self, rec: &JournalRecord<'_>) {
        self.0
            .push(serde_json::to_string(rec).expect("journal record serializes"));
    }
}

fn engine() -> Engine<SimExchange, TextJournal> {
    let grid = EngineConfig {
        slots: 3,
        loop_interval_sec: 1,
        // A quiet market for more than a second makes the mark stale: the ticks then cross
        // stale stretches, whose journal records depend on when the ticks came.
        stale_price_max_age_sec: 1,
        ..EngineConfig::default()
    };
    let venue = VenueConfig::default();
    let start = BacktestConfig {
        start_base: Qty::lit(3000, 0),
        start_quote: Quote::lit(500, 0),
    };
    let inst = instrument(&grid, &venue).expect("instrument");
    let sim = SimExchange::new(inst, venue.sim(), start.start_balances()).expect("sim");
    Engine::new(grid, sim, TextJournal::default())
}

#[test]
fn a_recorded_paper_session_replays_to_the_same_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec_path = dir.path().join("session.jsonl.gz");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mock = rt
        .block_on(MockKraken::start(MockConfig {
            heartbeat: Duration::from_millis(100),
            ..MockConfig::default()
        }))
        .expect("mock");
    let (tx, rx) = channel();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut market = MarketConfig::new("DOGE/USD");
    market.ws.url = mock.ws_public_url();
    let feed = {
        let _g = rt.enter();
        flywheel_runner::feed::trades(market, clock.clone(), tx.clone())
    };
    let _ticker = flywheel_runner::feed::ticker(Duration::from_millis(50), tx.clone());

    // The market: a walk around 0.18 in steps of 0.2 %, one print every 20 ms.
    let prints = 120;
    let printer = {
        let mock = mock.clone();
        let tx = tx.clone();
        std::thread::spawn(move || {
            // Give the feed time to subscribe before the first print.
            std::thread::sleep(Duration::from_millis(400));
            let mut p: i64 = 1_800_000;
            for i in 0..prints {
                let step = [4, -3, 2, -5, 6, -4, 1, -2][i % 8] * 360;
                p += step;
                let side = if step > 0 { Side::Buy } else { Side::Sell };
                mock.trade(side, Price::lit(p, 7), Qty::lit(2_000, 0))
                    .expect("print");
                // A quiet spell in the middle of the session.
                let pause = if i == prints / 2 { 6_500 } else { 20 };
                std::thread::sleep(Duration::from_millis(pause));
            }
            std::thread::sleep(Duration::from_millis(400));
            let _ = tx.send(Input::Stop);
        })
    };

    let recorder = Recorder::create(&rec_path, 16).expect("recorder");
    let mut session = PaperSession::new(engine(), Some(recorder));
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
    printer.join().expect("printer");
    assert_eq!(feed.drops(), 0, "the feed never dropped");
    feed.shutdown();
    let (trades, ticks) = session.counts();
    let (live, lines) = session.finish().expect("finish");
    assert_eq!(trades, prints as u64, "every print reached the engine");
    assert!(ticks > 10, "the timer ran: {ticks} ticks");
    let live_journal = live.into_parts().1 .0;
    assert!(
        live_journal
            .iter()
            .any(|r| r.contains("\"kind\":\"stale_loops\"")),
        "the quiet spell made a stale stretch (where tick times matter)"
    );
    assert!(
        live_journal
            .iter()
            .any(|r| r.contains("\"kind\":\"placed\"")),
        "the grid placed orders"
    );

    let recorded = recording::read(&rec_path).expect("recording reads");
    assert_eq!(Some(recorded.len() as u64), lines);
    let mut replay = PaperSession::new(engine(), None);
    for s in recorded {
        if replay.apply(s).expect("replay step") == Control::Stop {
            break;
        }
    }
    let (replayed, _) = replay.finish().expect("finish replay");
    assert_eq!(replayed.into_parts().1 .0, live_journal);
}

#[test]
fn a_recording_cut_mid_write_reads_up_to_the_cut() {
    use flywheel_runner::input::Stamped;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cut.jsonl.gz");
    let mut r = Recorder::create(&path, 1).expect("recorder");
    for i in 0..10 {
        r.write(&Stamped {
            t: flywheel_core::Timestamp::from_millis(1_000 + i),
            input: Input::Tick,
        })
        .expect("write");
    }
    // The process "dies" here: what is on disk is the stream so far, without the gzip
    // trailer (every line was flushed, flush_every = 1). Copy it before the encoder's drop
    // would finish it.
    let cut = dir.path().join("copy.jsonl.gz");
    std::fs::copy(&path, &cut).expect("copy");
    drop(r);
    let read = recording::read(&cut).expect("a readable prefix");
    assert_eq!(read.len(), 10);
    // Cut inside the last block too: fewer lines, still no error.
    let bytes = std::fs::read(&cut).expect("read");
    std::fs::write(&cut, &bytes[..bytes.len() - 3]).expect("truncate");
    let read = recording::read(&cut).expect("a readable prefix");
    assert!(read.len() <= 10);
    assert!(
        Recorder::create(&path, 1).is_err(),
        "never overwrites a recording"
    );
}

#[test]
fn recordings_are_told_from_market_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = dir.path().join("r.jsonl.gz");
    let mut r = Recorder::create(&rec, 1).expect("recorder");
    r.write(&flywheel_runner::input::Stamped {
        t: flywheel_core::Timestamp::from_millis(1),
        input: Input::Tick,
    })
    .expect("write");
    r.finish().expect("finish");
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "timestamp,price,amount\n1,0.1,5\n").expect("csv");
    let long = dir.path().join("long");
    std::fs::write(&long, vec![b'x'; 1 << 20]).expect("long");
    let cases = [
        (&rec, true),
        (&csv, false),
        (&long, false),
        (&dir.path().join("none"), false),
    ];
    for (path, want) in cases {
        assert_eq!(recording::is_recording(path), want, "{}", path.display());
    }
}
