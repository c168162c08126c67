//! Operator commands through the sessions: recorded like any input, replayed to the same
//! journal, journaled as `operator` records; the live session writes the action in the
//! store's `operator_actions` table with the step.

use std::sync::mpsc::channel;

use flywheel_core::{Instrument, Price, Qty, Quote, Side, Timestamp};
use flywheel_engine::config::{instrument, BacktestConfig, VenueConfig};
use flywheel_engine::maker_journal::{MakerRecord, MakerSink};
use flywheel_engine::maker_run::MakerEngine;
use flywheel_engine::operator::Setting;
use flywheel_engine::{Engine, JournalRecord, JournalSink};
use flywheel_grid::EngineConfig;
use flywheel_kraken::live::venue::{IoRequest, LiveConfig, LiveVenue, NotSent, OrderTransport};
use flywheel_kraken::nonce::MemoryNonceStore;
use flywheel_kraken::ratelimit::{Tier, TradingCounters};
use flywheel_maker::{HedgerConfig, MakerConfig, MinSizePolicy};
use flywheel_runner::command::{OperatorCommand, SetValidator, ValidatedSet};
use flywheel_runner::input::Input;
use flywheel_runner::live::capture::StepCapture;
use flywheel_runner::live::failpoint::Failpoints;
use flywheel_runner::live::rows::Rows;
use flywheel_runner::live::session::LiveSession;
use flywheel_runner::live::strategy::GridLive;
use flywheel_runner::maker_session::MakerPaperSession;
use flywheel_runner::recording::{self, Recorder};
use flywheel_runner::session::{Control, PaperSession};
use flywheel_store::{BlockingStore, DbUrl, StoreOptions};
use flywheel_venue::{ClOrdId, OrderRequest, SimExchange};

#[derive(Debug, Default)]
struct TextJournal(Vec<String>);

impl JournalSink for TextJournal {
    fn enabled(&self) -> bool {
        true
    }
    fn record(&mut self, rec: &JournalRecord<'_>) {
        self.0.push(serde_json::to_string(rec).expect("serializes"));
    }
}

impl MakerSink for TextJournal {
    fn enabled(&self) -> bool {
        true
    }
    fn record(&mut self, rec: &MakerRecord<'_>) {
        self.0.push(serde_json::to_string(rec).expect("serializes"));
    }
}

/// A stand-in for the CLI's validator (which needs the configuration loader): governor
/// and maker keys as plain numbers, anything else refused.
#[derive(Debug)]
struct Numbers;

impl SetValidator for Numbers {
    fn validate(&self, key: &str, value: &str) -> Result<ValidatedSet, String> {
        let f = || value.parse::<f64>().map_err(|e| format!("{key}: {e}"));
        let q = || value.parse::<Qty>().map_err(|e| format!("{key}: {e}"));
        Ok(match key {
            "rebalance.kp" => Setting::RebalanceKp(f()?),
            "rebalance.kd" => Setting::RebalanceKd(f()?),
            "maker.spread_bps" => Setting::MakerSpreadBps(f()?),
            "maker.base_size" => Setting::MakerBaseSize(q()?),
            _ => return Err(format!("{key} is not settable")),
        })
    }
}

fn grid_cfg() -> EngineConfig {
    EngineConfig {
        slots: 3,
        loop_interval_sec: 1,
        ..EngineConfig::default()
    }
}

fn grid_engine<J: JournalSink>(j: J) -> Engine<SimExchange, J> {
    let grid = grid_cfg();
    let venue = VenueConfig::default();
    let start = BacktestConfig {
        start_base: Qty::lit(3000, 0),
        start_quote: Quote::lit(500, 0),
    };
    let inst = instrument(&grid, &venue).expect("instrument");
    let sim = SimExchange::new(inst, venue.sim(), start.start_balances()).expect("sim");
    Engine::new(grid, sim, j)
}

const T0: i64 = 1_764_561_600_000;

/// A DOGE walk around 0.18 with a tick every 500 ms, and the commands at their places.
fn grid_inputs() -> Vec<(i64, Input)> {
    let mut p: i64 = 1_800_000;
    let mut out = Vec::new();
    for i in 0..200i64 {
        let step = [4, -3, 2, -5, 6, -4, 1, -2][(i % 8) as usize] * 360;
        p += step;
        let side = if step > 0 { Side::Buy } else { Side::Sell };
        out.push((
            T0 + i * 250,
            Input::Trade {
                price: Price::lit(p, 7),
                qty: Qty::lit(2_000, 0),
                side: Some(side),
            },
        ));
        if i % 2 == 1 {
            out.push((T0 + i * 250 + 10, Input::Tick));
        }
        let cmd = match i {
            40 => Some(OperatorCommand::Pause),
            41 => Some(OperatorCommand::CancelEntries),
            60 => Some(OperatorCommand::Set {
                key: "rebalance.kp".into(),
                value: "3.5".into(),
            }),
            61 => Some(OperatorCommand::Set {
                key: "grid.slots".into(),
                value: "9".into(),
            }),
            70 => Some(OperatorCommand::Reconcile),
            120 => Some(OperatorCommand::Resume),
            _ => None,
        };
        if let Some(cmd) = cmd {
            out.push((T0 + i * 250 + 20, Input::Command(cmd)));
        }
    }
    out.push((T0 + 200 * 250, Input::Stop));
    out
}

fn operator_records(journal: &[String]) -> Vec<serde_json::Value> {
    journal
        .iter()
        .filter(|r| r.contains("\"kind\":\"operator\""))
        .map(|r| serde_json::from_str(r).expect("json"))
        .collect()
}

#[test]
fn a_grid_session_with_commands_replays_to_the_same_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("grid.jsonl.gz");
    let recorder = Recorder::create(&path, 8).expect("recorder");
    let mut session = PaperSession::new(grid_engine(TextJournal::default()), Some(recorder))
        .with_validator(Box::new(Numbers));
    let mut answers = Vec::new();
    for (t, input) in grid_inputs() {
        let now = Timestamp::from_millis(t);
        match input {
            Input::Command(cmd) => {
                let out = session.command(cmd.clone(), now).expect("command");
                if cmd == OperatorCommand::Pause {
                    assert!(session.engine().status().paused, "paused at once");
                }
                answers.push((cmd, out));
            }
            other => {
                if session.step(other, now).expect("step") == Control::Stop {
                    break;
                }
            }
        }
    }
    let (live, _) = session.finish().expect("finish");
    let journal = live.into_parts().1 .0;

    // The answers: (command, ok, a piece of the message).
    let want = [
        ("pause", true, "paused"),
        ("cancel_entries", true, "cancel requested for"),
        ("set", true, "rebalance.kp = 3.5"),
        ("set", false, "grid.slots is not settable"),
        ("reconcile", true, "paper: nothing to reconcile"),
        ("resume", true, "resumed"),
    ];
    assert_eq!(answers.len(), want.len());
    for ((cmd, out), (action, ok, msg)) in answers.iter().zip(want) {
        assert_eq!(cmd.action(), action);
        assert_eq!(out.ok, ok, "{action}: {out:?}");
        assert!(out.message.contains(msg), "{action}: {out:?}");
    }
    let ops = operator_records(&journal);
    assert_eq!(ops.len(), want.len(), "one journal record per command");
    for (rec, (action, ok, msg)) in ops.iter().zip(want) {
        assert_eq!(rec["action"], action);
        assert_eq!(rec["ok"], ok);
        assert!(rec["result"].as_str().expect("result").contains(msg));
    }
    // Between the pause and the resume no entry was placed.
    let pos = |action: &str| {
        journal
            .iter()
            .position(|r| r.contains(&format!("\"action\":\"{action}\"")))
            .expect("journaled")
    };
    let placed_entries = journal[pos("pause")..pos("resume")]
        .iter()
        .filter(|r| r.contains("\"kind\":\"placed\"") && r.contains("\"role\":\"entry\""))
        .count();
    assert_eq!(placed_entries, 0, "entries placed while paused");
    let after = journal[pos("resume")..]
        .iter()
        .filter(|r| r.contains("\"kind\":\"placed\"") && r.contains("\"role\":\"entry\""))
        .count();
    assert!(after > 0, "entries again after the resume");

    // The replay, from the recording, with the same validator.
    let recorded = recording::read(&path).expect("reads");
    assert_eq!(
        recorded
            .iter()
            .filter(|s| matches!(s.input, Input::Command(_)))
            .count(),
        want.len(),
        "every command recorded"
    );
    let mut replay = PaperSession::new(grid_engine(TextJournal::default()), None)
        .with_validator(Box::new(Numbers));
    for s in recorded {
        if replay.apply(s).expect("replay") == Control::Stop {
            break;
        }
    }
    let (replayed, _) = replay.finish().expect("finish");
    assert_eq!(replayed.into_parts().1 .0, journal, "byte for byte");
}

fn maker_engine() -> MakerEngine<SimExchange, TextJournal> {
    let cfg = MakerConfig {
        min_size_policy: MinSizePolicy::Raise,
        ..MakerConfig::default()
    };
    let inst = cfg.instrument("SOL/USD").expect("instrument");
    let start = BacktestConfig {
        start_base: Qty::lit(10, 0),
        start_quote: Quote::lit(5000, 0),
    };
    let sim = SimExchange::new(inst, Default::default(), start.start_balances()).expect("sim");
    MakerEngine::with_journal(cfg, HedgerConfig::default(), sim, TextJournal::default())
}

#[test]
fn a_maker_session_with_commands_replays_to_the_same_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("maker.jsonl.gz");
    let recorder = Recorder::create(&path, 8).expect("recorder");
    let mut session =
        MakerPaperSession::new(maker_engine(), Some(recorder)).with_validator(Box::new(Numbers));
    let mut p: i64 = 200_000;
    for i in 0..600i64 {
        let now = Timestamp::from_millis(T0 + i * 2_000);
        p += [40, -30, 20, -50, 60, -40, 10, -20][(i % 8) as usize];
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let trade = Input::Trade {
            price: Price::lit(p, 3),
            qty: Qty::lit(5, 0),
            side: Some(side),
        };
        session.step(trade, now).expect("step");
        let cmd = match i {
            100 => Some(OperatorCommand::Pause),
            200 => Some(OperatorCommand::Set {
                key: "maker.spread_bps".into(),
                value: "20".into(),
            }),
            300 => Some(OperatorCommand::Resume),
            400 => Some(OperatorCommand::CancelEntries),
            _ => None,
        };
        if let Some(cmd) = cmd {
            let out = session
                .command(cmd, Timestamp::from_millis(now.millis() + 5))
                .expect("command");
            assert!(out.ok, "{out:?}");
        }
    }
    session
        .step(Input::Stop, Timestamp::from_millis(T0 + 600 * 2_000))
        .expect("stop");
    assert_eq!(session.maker().config().0.spread_bps, 20.0);
    let (maker, _) = session.finish().expect("finish");
    let journal = maker.into_parts().1 .0;
    let ops = operator_records(&journal);
    let actions: Vec<&str> = ops.iter().filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(actions, ["pause", "set", "resume", "cancel_entries"]);

    let mut replay = MakerPaperSession::new(maker_engine(), None).with_validator(Box::new(Numbers));
    for s in recording::read(&path).expect("reads") {
        if replay.apply(s).expect("replay") == Control::Stop {
            break;
        }
    }
    let (replayed, _) = replay.finish().expect("finish");
    assert_eq!(replayed.into_parts().1 .0, journal, "byte for byte");
}

/// A transport that takes everything and sends nothing (no exchange in this test).
#[derive(Debug, Default)]
struct Nowhere;

impl OrderTransport for Nowhere {
    fn add(&mut self, _: u64, _: &OrderRequest, _: &str, _: Timestamp) -> Result<(), NotSent> {
        Ok(())
    }
    fn cancel(&mut self, _: u64, _: &ClOrdId) -> Result<(), NotSent> {
        Ok(())
    }
    fn request(&mut self, _: IoRequest) {}
}

fn live_instrument() -> Instrument {
    let grid = grid_cfg();
    instrument(&grid, &VenueConfig::default()).expect("instrument")
}

#[test]
fn a_live_command_is_committed_with_its_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = BlockingStore::open(
        &DbUrl::sqlite(dir.path().join("live.db")),
        StoreOptions::default(),
    )
    .expect("store");
    let _lock = store
        .lock(&flywheel_store::InstanceInfo::this_process(
            "commands test",
            "test",
        ))
        .expect("lock");
    let (_tx, rx) = channel();
    let cfg = LiveConfig {
        instrument: live_instrument(),
        base_asset: "DOGE".into(),
        quote_asset: "USD".into(),
        id_prefix: "fw1".into(),
        deadline_ms: 5_000,
        reply_timeout_ms: 5_000,
        lookup_interval_ms: 2_000,
        audit_interval_ms: 10_000,
        counters: TradingCounters::new(Tier::Starter.limits()),
        hold_until_flushed: true,
    };
    let now = Timestamp::from_millis(T0);
    let venue = LiveVenue::new(cfg, Nowhere, rx, Box::new(MemoryNonceStore::default()), now)
        .expect("venue");
    let engine = Engine::new(grid_cfg(), venue, StepCapture::new(TextJournal::default()));
    let mut session = LiveSession::new(
        GridLive::new(engine),
        store.clone(),
        Rows::default(),
        None,
        0,
        Failpoints::default(),
    )
    .with_validator(Box::new(Numbers));

    // (case, command, ok, reconcile requested)
    let cases = [
        ("pause", OperatorCommand::Pause, true, false),
        (
            "set",
            OperatorCommand::Set {
                key: "rebalance.kd".into(),
                value: "0.75".into(),
            },
            true,
            false,
        ),
        (
            "refused set",
            OperatorCommand::Set {
                key: "grid.slots".into(),
                value: "4".into(),
            },
            false,
            false,
        ),
        ("reconcile", OperatorCommand::Reconcile, true, true),
    ];
    let mut last_id = 0;
    for (i, (name, cmd, ok, reconcile)) in cases.into_iter().enumerate() {
        let at = Timestamp::from_millis(T0 + 1_000 * (i as i64 + 1));
        let out = session.command(cmd.clone(), at).expect("command");
        assert_eq!(out.ok, ok, "{name}: {out:?}");
        assert_eq!(session.take_reconcile_request(), reconcile, "{name}");
        let rows = store.operator_actions_since(last_id, 10).expect("rows");
        assert_eq!(rows.len(), 1, "{name}: one row");
        let (id, step, row) = &rows[0];
        last_id = *id;
        assert_eq!(row.action, cmd.action(), "{name}");
        assert_eq!(row.source, "api");
        assert_eq!(row.at, at);
        let result: serde_json::Value = serde_json::from_str(&row.result).expect("json");
        assert_eq!(result["ok"], ok, "{name}");
        let params: serde_json::Value = serde_json::from_str(&row.params).expect("json");
        if let OperatorCommand::Set { key, .. } = &cmd {
            assert_eq!(params["key"], key.as_str());
        }
        // The same step committed the journal record and the snapshot.
        let journal = store.journal_since(0, 10_000).expect("journal");
        assert!(
            journal
                .iter()
                .any(|j| j.step == *step && j.kind == "operator"),
            "{name}: the operator record is in step {step}"
        );
        let snap = store
            .latest_snapshot(flywheel_store::SnapshotKind::Grid)
            .expect("snapshot")
            .expect("one");
        assert_eq!(snap.step, *step, "{name}: the snapshot of that step");
    }
    assert!(session.engine().operator_paused());
    assert_eq!(session.engine().governor_config().kd, 0.75);
}
