//! Rangers and churners in the loop (seed 001 Patch C; spec §2.17–2.18): the pure cyclers of
//! `flywheel_ancillary` driven against the same venue as the slots.
//!
//! - Each loop (after the slots, before bootstrap) every ranger steps with the free base, the
//!   open-order headroom and the mark; every slot's churner steps with the slot's resting
//!   exits as parent candidates and an even share of the free quote and base. No regime
//!   detector runs, so the regime is `RANGING` (the origin's label when its HMM is off).
//! - Their orders are sent under the engine's client order ids and followed by id like slot
//!   orders; an order's executions are reported to its cycler once, when the order is done
//!   (the same rule as for slots). An order proven never placed is reported as refused (the
//!   cycler tries again); acks, unknown outcomes and refused cancels change nothing here.
//! - Every outcome — a closed round trip (profit or loss, from real fills only) or an abandoned
//!   position — goes into [`AncillaryTotals`]; the totals feed the `ancillary_profit` status
//!   block, the leak attribution (L2/L3) and the A-side compounding share (seed 001 §5.2).
//! - A cycler error (an event it did not expect) is journalled and counted as an untracked
//!   execution; it never touches the slots.

use std::collections::BTreeMap;

use flywheel_ancillary::{
    ancillary_status, AncillaryTotals, ChurnerConfig, ChurnerCtx, Churners, Command, Fill,
    OrderKey, RangerConfig, RangerCtx, RangerSet, Reaction, StuckPosition,
};
use flywheel_core::{Qty, Quote, Rounding, Side, Timestamp};
use flywheel_grid::Role;
use flywheel_venue::{ClOrdId, OrderKind, OrderRequest, Venue};
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::journal::{JournalRecord, JournalSink};

/// A venue order of a ranger or churner, with its executions so far.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AncTrack {
    key: OrderKey,
    qty: Qty,
    notional: Quote,
    fee: Quote,
    last: Timestamp,
}

/// The cyclers and their bookkeeping.
#[derive(Clone, Debug)]
pub(crate) struct AncillaryRun {
    pub rangers_cfg: RangerConfig,
    pub churners_cfg: ChurnerConfig,
    pub rangers: RangerSet,
    pub churners: Churners,
    pub totals: AncillaryTotals,
    pub tracks: BTreeMap<ClOrdId, AncTrack>,
}

impl AncillaryRun {
    pub fn new(rangers_cfg: RangerConfig, churners_cfg: ChurnerConfig, slots: u32) -> Self {
        let mut churners = Churners::new(&churners_cfg);
        if churners_cfg.enabled {
            for s in 0..slots {
                churners.spawn(s);
            }
        }
        AncillaryRun {
            rangers: RangerSet::new(&rangers_cfg),
            rangers_cfg,
            churners_cfg,
            churners,
            totals: AncillaryTotals::default(),
            tracks: BTreeMap::new(),
        }
    }

    pub fn active(&self) -> bool {
        self.rangers_cfg.enabled || self.churners_cfg.enabled || !self.tracks.is_empty()
    }

    fn txid_of(&self, key: OrderKey) -> Option<ClOrdId> {
        self.tracks
            .iter()
            .find(|(_, t)| t.key == key)
            .map(|(id, _)| id.clone())
    }
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// Step every ranger and churner (see the module docs).
    pub(crate) fn ancillary_step(&mut self) {
        if !self.anc.active() || !self.mark.is_positive() {
            return;
        }
        self.touch();
        let inst = self.venue.instrument().clone();
        let ctx = RangerCtx {
            now: self.now,
            market: self.mark,
            free_base: self.loop_free_base,
            headroom: self.capacity.headroom,
            ranging: true,
            instrument: &inst,
        };
        let cfg = self.anc.rangers_cfg.clone();
        let reaction = self.anc.rangers.step(&cfg, &ctx);
        self.absorb(reaction);
        if !self.anc.churners_cfg.enabled {
            return;
        }
        let n = Quote::from_int(self.slots.len().max(1) as i64).unwrap_or_default();
        let share_quote = self
            .loop_free_quote
            .fixed()
            .div_round(n.fixed(), 9, Rounding::Floor)
            .map(Quote::new)
            .unwrap_or_default();
        let share_base = self
            .loop_free_base
            .fixed()
            .div_round(n.fixed(), inst.volume_decimals, Rounding::Floor)
            .map(Qty::new)
            .unwrap_or_default();
        let cfg = self.anc.churners_cfg.clone();
        for idx in 0..self.slots.len() {
            let slot = &self.slots[idx];
            let positions: Vec<StuckPosition> = slot
                .state
                .orders
                .iter()
                .filter(|o| o.role == Role::Exit && o.txid.is_some())
                .map(|o| StuckPosition {
                    slot_id: slot.id,
                    local_id: o.local_id,
                    trade_side: o.trade_id.entry_side(),
                    exit_price: o.price,
                    entry_filled_at: o.entry_filled_at.unwrap_or(o.placed_at),
                })
                .collect();
            let ctx = ChurnerCtx {
                now: self.now,
                market: self.mark,
                headroom: self.capacity.headroom,
                ranging: true,
                instrument: &inst,
                positions: &positions,
                free_quote: share_quote,
                free_base: share_base,
                account_free_quote: self.loop_free_quote,
            };
            let slot_id = slot.id;
            let reaction = self.anc.churners.step_slot(&cfg, slot_id, &ctx);
            self.absorb(reaction);
        }
    }

    /// Book outcomes and execute commands of a cycler reaction (bounded: a refusal feeds
    /// back at most a few times).
    fn absorb(&mut self, reaction: Result<Reaction, flywheel_ancillary::AncillaryError>) {
        let mut queue = vec![reaction];
        let mut rounds = 0;
        while let Some(r) = queue.pop() {
            rounds += 1;
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    self.anc_error(&e.to_string());
                    continue;
                }
            };
            self.anc.totals.apply_all(&r.outcomes);
            for cmd in r.commands {
                match cmd {
                    Command::Place {
                        key,
                        side,
                        price,
                        qty,
                    } => {
                        let Some(id) = self.issue_id() else {
                            continue;
                        };
                        let req = OrderRequest {
                            cl_ord_id: id.clone(),
                            side,
                            price,
                            qty,
                            kind: OrderKind::PostOnly,
                        };
                        match self.venue.place(&req, self.now) {
                            Ok(()) => {
                                self.stats.orders_placed += 1;
                                match side {
                                    Side::Buy => {
                                        // Beyond the range the whole free quote is spent
                                        // (conservative), never none of it.
                                        let cost = price
                                            .notional(qty, Rounding::Ceil)
                                            .unwrap_or(self.loop_free_quote);
                                        self.loop_free_quote =
                                            (self.loop_free_quote - cost).max(Quote::ZERO);
                                    }
                                    Side::Sell => {
                                        self.set_free_base(
                                            (self.loop_free_base - qty).max(Qty::ZERO),
                                        );
                                    }
                                }
                                let track = AncTrack {
                                    key,
                                    qty: Qty::ZERO,
                                    notional: Quote::ZERO,
                                    fee: Quote::ZERO,
                                    last: self.now,
                                };
                                self.anc.tracks.insert(id, track);
                            }
                            Err(reason) => {
                                self.stats.reject(reason.name());
                                if rounds < 8 {
                                    let (cfg_r, cfg_c) = (
                                        self.anc.rangers_cfg.clone(),
                                        self.anc.churners_cfg.clone(),
                                    );
                                    let inst = self.venue.instrument().clone();
                                    let now = self.now;
                                    let back = match key.owner {
                                        flywheel_ancillary::Owner::Ranger(_) => {
                                            self.anc.rangers.on_rejected(&cfg_r, &inst, key, now)
                                        }
                                        flywheel_ancillary::Owner::Churner(_) => {
                                            self.anc.churners.on_rejected(&cfg_c, &inst, key, now)
                                        }
                                    };
                                    queue.push(back);
                                }
                            }
                        }
                    }
                    Command::Cancel { key, .. } => {
                        if let Some(txid) = self.anc.txid_of(key) {
                            if self.venue.cancel(&txid, self.now).is_ok() {
                                self.stats.orders_cancelled += 1;
                            }
                        }
                    }
                }
            }
        }
        self.ancillary = {
            let st = ancillary_status(&self.anc.totals, self.now);
            crate::leak::AncillaryProfit {
                ranger_usd: st.ranger_usd,
                churner_usd: st.churner_usd,
                total_lifetime_usd: st.total_lifetime_usd,
            }
        };
    }

    fn anc_error(&mut self, why: &str) {
        self.stats.untracked_executions += 1;
        if self.journal.enabled() {
            self.journal.record(&JournalRecord::FillRejected {
                ts: self.now,
                slot: u32::MAX,
                error: why,
            });
        }
    }

    /// Route a venue event of an ancillary order; returns false if it is not one.
    pub(crate) fn ancillary_venue_event(&mut self, ev: &flywheel_venue::VenueEvent) -> bool {
        use flywheel_venue::VenueEvent as E;
        let txid = ev.cl_ord_id();
        if !self.anc.tracks.contains_key(txid) {
            return false;
        }
        let (cfg_r, cfg_c) = (self.anc.rangers_cfg.clone(), self.anc.churners_cfg.clone());
        let inst = self.venue.instrument().clone();
        let market = self.mark;
        let now = self.now;
        let done: Option<(AncTrack, bool)> = match ev {
            E::Fill {
                price,
                qty,
                fee,
                ts,
                leaves,
                ..
            } => {
                let notional = price.notional(*qty, Rounding::HalfEven);
                let notional = self.or_halt(notional, "an ancillary execution's notional");
                if let Some(t) = self.anc.tracks.get_mut(txid) {
                    t.qty += *qty;
                    t.notional += notional;
                    t.fee += *fee;
                    t.last = *ts;
                }
                if leaves.is_zero() {
                    self.anc.tracks.remove(txid).map(|t| (t, false))
                } else {
                    None
                }
            }
            E::Done { .. } => self.anc.tracks.remove(txid).map(|t| (t, false)),
            E::Rejected { .. } | E::NeverPlaced { .. } => {
                self.anc.tracks.remove(txid).map(|t| (t, true))
            }
            E::Acked { .. } | E::Unknown { .. } | E::CancelRejected { .. } => None,
        };
        let Some((t, rejected)) = done else {
            return true;
        };
        let is_ranger = matches!(t.key.owner, flywheel_ancillary::Owner::Ranger(_));
        let reaction = if rejected {
            if is_ranger {
                self.anc.rangers.on_rejected(&cfg_r, &inst, t.key, now)
            } else {
                self.anc.churners.on_rejected(&cfg_c, &inst, t.key, now)
            }
        } else if t.qty.is_positive() {
            let avg = t
                .notional
                .fixed()
                .div_round(t.qty.fixed(), inst.price_decimals, Rounding::HalfEven)
                .map(flywheel_core::Price::new)
                .unwrap_or(market);
            let fill = Fill {
                at: t.last,
                price: avg,
                qty: t.qty,
                fee: t.fee,
            };
            if is_ranger {
                self.anc
                    .rangers
                    .on_fill(&cfg_r, &inst, market, t.key, &fill)
            } else {
                self.anc
                    .churners
                    .on_fill(&cfg_c, &inst, market, t.key, &fill)
            }
        } else if is_ranger {
            self.anc.rangers.on_cancelled(&cfg_r, &inst, t.key, now)
        } else {
            self.anc.churners.on_cancelled(&cfg_c, &inst, t.key, now)
        };
        self.absorb(reaction);
        true
    }

    /// The A-side compounding share of ancillary profit (seed 001 §5.2).
    pub(crate) fn ancillary_share(&self) -> Quote {
        self.anc.totals.a_side_share(self.slots.len())
    }

    pub fn ancillary_totals(&self) -> &AncillaryTotals {
        &self.anc.totals
    }
}

#[cfg(test)]
mod tests {
    use flywheel_ancillary::{ChurnerConfig, RangerConfig};
    use flywheel_core::{Price, Timestamp};
    use flywheel_grid::EngineConfig;

    #[test]
    fn test_ancillary_profit_tracked() {
        // Rangers on, a two-day seeded synthetic market: ranger round trips happen, their net
        // reaches the ancillary totals and the status block, and the account reconciles.
        let grid = EngineConfig {
            slots: 2,
            ..EngineConfig::default()
        };
        let rangers = RangerConfig {
            enabled: true,
            ..RangerConfig::default()
        };
        let mut e = crate::test_support::sim_engine(grid, "200", "1000")
            .with_ancillary(rangers, ChurnerConfig::default());
        let start = Timestamp::from_secs(1_735_689_600);
        let market = crate::demo::DemoMarket::new(3, 2 * 1440, Price::lit(1, 1), start);
        crate::run_backtest(
            &mut e,
            market.map(Ok::<_, std::convert::Infallible>),
            |_| {},
        )
        .unwrap();
        let t = e.ancillary_totals();
        assert!(t.ranger_cycles > 0, "rangers closed round trips: {t:?}");
        assert_eq!(
            e.ancillary_profit().total_lifetime_usd,
            t.total_lifetime_usd
        );
        assert!(t.total_lifetime_usd.is_positive(), "{t:?}");
        assert_eq!(e.stats().untracked_executions, 0);
    }
}
