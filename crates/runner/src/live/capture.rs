//! [`StepCapture`]: a journal sink that forwards every record to the sink it wraps and keeps
//! what one engine step must commit — every record as a journal row, and, typed, the
//! placements (slot, role, order) and the venue events the engine applied. It wraps the
//! grid's journal ([`JournalSink`]) and the maker's ([`MakerSink`]) alike.
//!
//! Invariant: the engines hand over every venue event before applying it (the grid
//! journals it, the maker passes it to [`MakerSink::venue_event`]) and journal every
//! placement as they send it, so what is captured here is exactly what the step changed;
//! [`StepCapture::take`] empties it for the next step.

use flywheel_core::{Price, Qty, Side, Timestamp};
use flywheel_engine::maker_journal::{MakerRecord, MakerSink};
use flywheel_engine::{JournalRecord, JournalSink};
use flywheel_grid::Role;
use flywheel_store::JournalEntry;
use flywheel_venue::{ClOrdId, VenueEvent};

use crate::maker_order_log::role_name as maker_role_name;

/// An order the engine sent in this step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub cl_ord_id: ClOrdId,
    /// The grid's slot; the maker has none.
    pub slot: Option<u32>,
    /// What the order is for, as the store names it (see [`grid_role`] and the maker's
    /// `maker_order_log::role_name`).
    pub role: &'static str,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub ts: Timestamp,
}

/// What one step journaled.
#[derive(Debug, Default)]
pub struct Captured {
    pub journal: Vec<JournalEntry>,
    pub placements: Vec<Placement>,
    pub events: Vec<VenueEvent>,
    /// Records that could not be serialized (never expected: counted, not hidden).
    pub unserializable: u64,
}

impl Captured {
    pub fn is_empty(&self) -> bool {
        self.journal.is_empty() && self.placements.is_empty() && self.events.is_empty()
    }
}

/// The store's name of a grid order's role.
pub fn grid_role(role: Option<Role>) -> &'static str {
    match role {
        Some(Role::Entry) => "entry",
        Some(Role::Exit) => "exit",
        // Orders outside the slot's pair (recovery exits) carry no role.
        None => "recovery",
    }
}

/// Wraps a journal sink (see the module docs).
#[derive(Debug)]
pub struct StepCapture<J> {
    inner: J,
    step: Captured,
}

impl<J> StepCapture<J> {
    pub fn new(inner: J) -> Self {
        StepCapture {
            inner,
            step: Captured::default(),
        }
    }

    /// What the step captured so far; the capture starts empty again.
    pub fn take(&mut self) -> Captured {
        std::mem::take(&mut self.step)
    }

    pub fn inner(&self) -> &J {
        &self.inner
    }

    pub fn into_inner(self) -> J {
        self.inner
    }
}

/// The record's own time (every record carries `ts`).
fn record_ts(body: &serde_json::Value) -> Timestamp {
    body.get("ts")
        .and_then(serde_json::Value::as_i64)
        .map_or(Timestamp::EPOCH, Timestamp::from_millis)
}

impl<J> StepCapture<J> {
    /// Keep `rec` as a journal row (kind and time read from its JSON).
    fn keep<R: serde::Serialize>(&mut self, rec: &R) {
        match serde_json::to_value(rec) {
            Ok(body) => {
                let kind = body
                    .get("kind")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("unknown")
                    .to_string();
                let at = record_ts(&body);
                self.step.journal.push(JournalEntry {
                    at,
                    kind,
                    body: body.to_string(),
                });
            }
            Err(_) => self.step.unserializable += 1,
        }
    }

    /// An order sent under `cl_ord_id` (ids this process issued always parse).
    fn placed(&mut self, cl_ord_id: &str, p: impl FnOnce(ClOrdId) -> Placement) {
        if let Ok(id) = ClOrdId::parse(cl_ord_id) {
            self.step.placements.push(p(id));
        }
    }
}

impl<J: JournalSink> JournalSink for StepCapture<J> {
    fn enabled(&self) -> bool {
        // The store keeps every record whatever the wrapped sink wants.
        true
    }

    fn record(&mut self, rec: &JournalRecord<'_>) {
        match rec {
            JournalRecord::Placed {
                ts,
                slot,
                role,
                cl_ord_id,
                side,
                price,
                qty,
                ..
            } => self.placed(cl_ord_id, |cl_ord_id| Placement {
                cl_ord_id,
                slot: Some(*slot),
                role: grid_role(*role),
                side: *side,
                price: *price,
                qty: *qty,
                ts: *ts,
            }),
            JournalRecord::Venue { event, .. } => self.step.events.push((*event).clone()),
            _ => {}
        }
        self.keep(rec);
        if self.inner.enabled() {
            self.inner.record(rec);
        }
    }
}

impl<J: MakerSink> MakerSink for StepCapture<J> {
    fn enabled(&self) -> bool {
        true
    }

    fn record(&mut self, rec: &MakerRecord<'_>) {
        if let MakerRecord::Placed {
            ts,
            cl_ord_id,
            role,
            side,
            price,
            qty,
            ..
        } = rec
        {
            self.placed(cl_ord_id, |cl_ord_id| Placement {
                cl_ord_id,
                slot: None,
                role: maker_role_name(Some(*role)),
                side: *side,
                price: *price,
                qty: *qty,
                ts: *ts,
            });
        }
        self.keep(rec);
        if self.inner.enabled() {
            self.inner.record(rec);
        }
    }

    fn venue_event(&mut self, ev: &VenueEvent) {
        self.step.events.push(ev.clone());
        self.inner.venue_event(ev);
    }
}

#[cfg(test)]
mod tests {
    use flywheel_core::{Price, Qty, Side, Timestamp};
    use flywheel_engine::config::{BacktestConfig, VenueConfig};
    use flywheel_engine::maker_run::{on_sim_event, MakerEngine};
    use flywheel_engine::NoJournal;
    use flywheel_maker::{HedgerConfig, MakerConfig};
    use flywheel_marketdata::{MarketEvent, Trade};
    use flywheel_venue::{SimExchange, VenueEvent};

    use super::StepCapture;

    /// The maker over the simulated exchange on SOL-like prints swinging ±0.3 %, captured
    /// step by step: what the journal says it placed and filled is what the capture holds.
    #[test]
    fn the_maker_capture_holds_its_placements_and_venue_events() {
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
        let mut maker = MakerEngine::with_journal(
            cfg,
            HedgerConfig::default(),
            sim,
            StepCapture::new(NoJournal),
        );
        let path = [
            "200.0", "199.4", "198.8", "199.4", "200.0", "200.6", "201.2", "200.6",
        ];
        let (mut placed, mut fills, mut placements, mut fill_events, mut others) = (0, 0, 0, 0, 0);
        for i in 0..400i64 {
            let price: Price = path[i as usize % path.len()].parse().expect("price");
            let ev = MarketEvent::Trade(Trade {
                ts: Timestamp::from_millis(1_760_000_000_000 + 2_000 * i),
                price,
                qty: Qty::lit(2, 0),
                taker_side: Some(if i % 2 == 0 { Side::Buy } else { Side::Sell }),
            });
            on_sim_event(&mut maker, &ev).expect("step");
            let cap = maker.journal_mut().take();
            placed += cap.journal.iter().filter(|j| j.kind == "placed").count();
            fills += cap.journal.iter().filter(|j| j.kind == "fill").count();
            for p in &cap.placements {
                assert_eq!(p.slot, None, "the maker has no slots");
                assert!(
                    ["quote_buy", "quote_sell", "hedge_passive", "hedge_ioc"].contains(&p.role),
                    "{p:?}"
                );
            }
            placements += cap.placements.len();
            for ev in &cap.events {
                match ev {
                    VenueEvent::Fill { .. } => fill_events += 1,
                    _ => others += 1,
                }
            }
            assert_eq!(cap.unserializable, 0);
        }
        assert!(
            placed >= 4 && fills >= 1,
            "the maker quoted and was filled: {placed} placed, {fills} fills"
        );
        assert_eq!(placements, placed, "one placement per placed record");
        assert_eq!(fill_events, fills, "one fill event per fill record");
        assert!(
            others >= placed,
            "every placement is acknowledged (or refused): {others}"
        );
    }
}
