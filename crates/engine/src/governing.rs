//! The inventory governor in the loop (seed 000): the controller update on its own interval,
//! the gates, and the size scaling inside the one sizing function.
//!
//! - The update reads the idle ratio from a scoreboard computed from fresh balances (the
//!   scoreboard's percent ÷ 100) and runs every `rebalance.interval_sec` of engine time.
//! - Gates (seed §5): capacity band not `ok` ⇒ both sides ×1.00; free quote below the part of
//!   the quote runway floor it must still fund — `floor − committed buys` = 1.5 × the next
//!   entries — ⇒ B ×1.00; free base (at the mark) below 1.5 × the A entries the slots would
//!   place next ⇒ A ×1.00. The seed compares "available USD" with the whole floor, but the
//!   floor includes the committed buys, which are already out of the available USD: counting
//!   them twice held B at ×1.00 whenever the quote was deployed (quote-first keeps it
//!   deployed), so the skew never acted.
//! - Scaling applies only to entries from the reducer's normal path (ticks, timers, fills);
//!   bootstrap, reseed and auto-repair size at base (Locked decision 7).
//! - `entry_pct` is checked unchanged after every update (Locked decision 3): a change would
//!   be an invariant breach and halts trading.

use flywheel_core::{Quote, Ratio, Rounding, Side, Timestamp, TradeId, Wide};
use flywheel_governor::feasibility::{Feasibility, Infeasibility};
use flywheel_governor::{
    applied_skew, effective_multipliers, held_by, oscillation_warning, scale_entry, Gates,
    GovernorConfig, GovernorState, Multipliers, RebalancerStatus,
};
use flywheel_grid::{OrderSizes, Role};
use flywheel_venue::Venue;
use serde::{Deserialize, Serialize};

use crate::capacity::CapacityBand;
use crate::engine::Engine;
use crate::journal::{JournalRecord, JournalSink};
use crate::sizing::{allocate_b, order_size_usd, Deployable};

/// Warm-up excluded from the in-band figures: two half-lives of the default smoothing.
pub const WARM_UP_SECS: u64 = 3600;

/// Counters of the governor over a run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GovernorStats {
    pub updates: u64,
    pub max_sign_flips_1h: u32,
    /// Sign flips of the skew over the run.
    pub sign_flips: u64,
    pub damped_ms: i64,
    pub max_abs_skew: f64,
    /// Post-warm-up time with |idle − target| ≤ neutral band, and all post-warm-up time.
    pub in_band_ms: i64,
    pub measured_ms: i64,
    /// Σ |idle − target| × dt over post-warm-up time (ratio·ms).
    pub abs_error_ms: f64,
}

/// The governor as the engine holds it.
#[derive(Clone, Debug)]
pub(crate) struct Governance {
    pub cfg: GovernorConfig,
    pub state: GovernorState,
    /// The multipliers in force (after gates) since the last loop, and as exact ratios.
    pub mult: Multipliers,
    pub ratio_a: Ratio,
    pub ratio_b: Ratio,
    pub stats: GovernorStats,
    pub started: Option<Timestamp>,
    /// The gate holding the skewed side at ×1.00 this loop, if any (named in the status).
    pub held_by: Option<&'static str>,
    /// The infeasible-target detector, and its cause this loop (no skew is applied then).
    pub feasibility: Feasibility,
    pub infeasible: Option<String>,
    /// The cause `infeasible` was last formed from (`None`: set otherwise, by a snapshot
    /// restore): the text is formed again only when the cause changes, not every loop.
    pub infeasible_from: Option<Option<Infeasibility>>,
}

impl Governance {
    pub fn new(cfg: GovernorConfig) -> Self {
        Governance {
            cfg,
            state: GovernorState::default(),
            mult: Multipliers::NEUTRAL,
            ratio_a: Ratio::ONE,
            ratio_b: Ratio::ONE,
            stats: GovernorStats::default(),
            started: None,
            held_by: None,
            feasibility: Feasibility::default(),
            infeasible: None,
            infeasible_from: None,
        }
    }
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// The ungoverned size of a slot's next A entry: [`Self::sizes_for`]`(idx, false).a`
    /// without the B side's work (the gates read it for every slot in every loop).
    pub(crate) fn a_size(&self, idx: usize) -> Quote {
        let profit = self.slots[idx].state.compounding_profit();
        order_size_usd(&self.cfg, Some(TradeId::A), profit, &self.sizing)
    }

    /// The sizes for a slot's next entries; `governed` applies the governor's scaling.
    pub(crate) fn sizes_for(&self, idx: usize, governed: bool) -> OrderSizes {
        let profit = self.slots[idx].state.compounding_profit();
        let a = self.a_size(idx);
        let b = order_size_usd(&self.cfg, Some(TradeId::B), profit, &self.sizing);
        // Quote-first: a slot holding a resting B entry was not buy-ready when the quote was
        // split, so it has no share; if the reducer refreshes that entry, the replacement
        // re-uses the quote its cancel releases (less the fee and rounding room). Pooled
        // quote (patch F): a slot outside the funded ones waits for quote.
        let b = if !self.cfg.quote_first_allocation {
            b
        } else if let Some(held) = self.resting_b_usd(idx) {
            held
        } else if self.b_released[idx].is_positive() {
            let released = Deployable {
                free: self.b_released[idx],
                buffer: Quote::ZERO,
                runway: Quote::ZERO,
                fee_pct: self.venue.instrument().maker_fee_pct,
                margin: self.sizing.rounding_margin,
            };
            allocate_b(&released, 1).per_slot
        } else if !self.b_funded[idx] {
            Quote::ZERO
        } else {
            b
        };
        // Patch B: the slot's rounding residual rides on its next B order.
        let b = self.with_residual(idx, b);
        let m = self.governor.mult;
        if !governed || m == Multipliers::NEUTRAL {
            return OrderSizes { a, b };
        }
        let free_base_value = self.loop_free_base_value;
        OrderSizes {
            a: scale_entry(
                TradeId::A,
                a,
                self.governor.ratio_a,
                self.loop_free_quote,
                free_base_value,
            ),
            b: scale_entry(
                TradeId::B,
                b,
                self.governor.ratio_b,
                self.loop_free_quote,
                free_base_value,
            ),
        }
    }

    /// The notional of slot `idx`'s resting B entry (floored to the cent), if it has one.
    fn resting_b_usd(&self, idx: usize) -> Option<Quote> {
        self.slots[idx]
            .state
            .orders
            .iter()
            .find(|o| o.role == Role::Entry && o.side == Side::Buy && o.txid.is_some())
            .and_then(|o| o.price.notional(o.volume, Rounding::Floor).ok())
            .and_then(|n| n.round_dp(2, Rounding::Floor).ok())
    }

    /// The governor step of the loop: update when due, then set this loop's multipliers.
    pub(crate) fn governor_step(&mut self) {
        let now = self.now;
        self.governor.started.get_or_insert(now);
        if !self.governor.cfg.enabled {
            // Off: sizes stay at base; the state keeps its (zero) skew.
            self.governor.mult = Multipliers::NEUTRAL;
            (self.governor.ratio_a, self.governor.ratio_b) = (Ratio::ONE, Ratio::ONE);
            return;
        }
        // A fresh scoreboard when the controller updates; between updates the gates read
        // the one from the end of the previous loop (at most one loop old).
        let board = if self.governor.state.due(&self.governor.cfg, now) {
            self.scoreboard_now()
        } else {
            self.scoreboard
        };
        let idle_ratio = board.idle_usd_pct.to_f64() / 100.0;
        let entry_pct = self.cfg.entry_pct;
        let update = self
            .governor
            .state
            .update(&self.governor.cfg, idle_ratio, now);
        if update.is_some() {
            let g = &mut self.governor;
            g.feasibility.observe_update(&g.cfg, &g.state, now);
        }
        self.apply_gates(board, update.is_some());
        if update.is_none() {
            return;
        }
        let g = &mut self.governor;
        g.stats.updates += 1;
        g.stats.max_sign_flips_1h = g.stats.max_sign_flips_1h.max(g.state.sign_flips_1h);
        // The controller records a flip at the update's own time.
        if g.state.flip_times.last() == Some(&now) {
            g.stats.sign_flips += 1;
        }
        g.stats.max_abs_skew = g.stats.max_abs_skew.max(g.state.current_skew.abs());
        let logging = tracing::enabled!(target: "flywheel::rebal", tracing::Level::INFO);
        if !logging
            && !self.journal.enabled()
            && update.as_ref().is_some_and(|u| !u.damping_started)
        {
            // Nobody reads the line: skip formatting it.
            self.check_entry_pct(entry_pct);
            return;
        }
        let status = RebalancerStatus::new(&g.cfg, &g.state, g.mult, now)
            .held_by(g.held_by)
            .infeasible(g.infeasible.clone());
        let line = status.log_line();
        tracing::info!(target: "flywheel::rebal", "{line}");
        let warning = update
            .filter(|u| u.damping_started)
            .map(|_| oscillation_warning(&g.cfg, g.state.sign_flips_1h));
        if let Some(w) = &warning {
            tracing::warn!(target: "flywheel::rebal", "{w}");
        }
        if self.journal.enabled() {
            self.journal.record(&JournalRecord::Rebalance {
                ts: now,
                line: &line,
                status: &status,
            });
            if let Some(w) = &warning {
                self.journal
                    .record(&JournalRecord::RebalanceWarning { ts: now, line: w });
            }
        }
        self.check_entry_pct(entry_pct);
    }

    /// The gates (seed §5) on this loop's balances, and the multipliers they leave in force.
    /// `updated`: the controller updated this loop, so the applied skew may take a step.
    /// The base runway gate's floor: 1.5 × the next A entries (a Wide sum: with a hostile
    /// mark the entry floor of every slot can be near the top of the Quote range, and
    /// their sum beyond it).
    pub(crate) fn base_runway(&self) -> Wide {
        // The A size is the generic order size: their sum is the next entries' estimate.
        let next_a = self.next_entries_sum(self.sizing.floor, self.sizing.ancillary_share);
        next_a
            .mul_fixed(Ratio::lit(15, 1).fixed(), Rounding::Ceil)
            .unwrap_or(next_a)
    }

    fn apply_gates(&mut self, board: crate::scoreboard::Scoreboard, updated: bool) {
        let free_base_value = self.loop_free_base_value;
        let base_runway = self.base_runway_now();
        let gates = Gates {
            capacity_ok: self.capacity.band == CapacityBand::Ok,
            quote_runway_ok: self.loop_free_quote
                >= (board.usd_runway_floor - board.usd_committed_buy_orders).max(Quote::ZERO),
            base_runway_ok: Wide::from(free_base_value) >= base_runway,
        };
        let now = self.now;
        let runway_above_balance = board.usd_runway_floor > board.observed_usd;
        let g = &mut self.governor;
        let skew = g.state.current_skew;
        g.held_by = held_by(&g.cfg, skew, gates);
        g.feasibility.observe_gate(g.held_by, now);
        let cause = g
            .feasibility
            .infeasibility(runway_above_balance, g.held_by, now);
        if g.infeasible_from != Some(cause) {
            g.infeasible = cause.map(|c| c.to_string());
            g.infeasible_from = Some(cause);
        }
        // Held: zero at once. Open: back toward the controller's skew, one slew step per
        // update (between updates it stays, unless the skew shrank: that applies at once).
        let applied = g.state.applied_skew;
        // Standing down (an infeasible target) applies no skew, like a closed gate.
        let stand_down = g.held_by.is_some() || g.infeasible.is_some();
        if stand_down || updated || skew.abs() < applied.abs() {
            g.state.applied_skew = applied_skew(&g.cfg, applied, skew, stand_down);
        }
        let mult = effective_multipliers(&g.cfg, g.state.applied_skew, gates);
        if mult != g.mult {
            g.ratio_a = mult.ratio(TradeId::A);
            g.ratio_b = mult.ratio(TradeId::B);
            g.mult = mult;
        }
    }

    /// Locked decision 3: the governor path never changes `entry_pct`.
    fn check_entry_pct(&mut self, before: flywheel_core::Ratio) {
        if self.cfg.entry_pct != before {
            self.stats.invariant_violations += 1;
            self.halt("the governor path changed entry_pct");
        }
    }

    /// Time-weighted governor figures for `n` loops at `first`, `first + iv`, …; the first
    /// loop lasted `dt0` ms, the others `iv`. Whether a loop counts as damped or warm is read
    /// at its own time; both change once at most (damping ends, warm-up ends), so the loops
    /// split into at most three stretches that are each accounted at once.
    pub(crate) fn governor_account_run(&mut self, first: Timestamp, n: u64, dt0: i64, iv: i64) {
        let damped_until = self.governor.state.damped_until;
        let warm_from = self
            .governor
            .started
            .map(|s| s.millis().saturating_add(WARM_UP_SECS as i64 * 1000));
        let cuts = [damped_until.map(|t| t.millis()), warm_from];
        let mut i = 0;
        while i < n {
            // The stretch from loop i to just before the next loop at or past a cut.
            let t_i = crate::stale::loop_time(first, iv, i).millis();
            let mut end = n;
            for cut in cuts.into_iter().flatten() {
                if cut > t_i && iv > 0 {
                    let k = (cut - first.millis() + iv - 1) / iv;
                    end = end.min(u64::try_from(k).unwrap_or(n).max(i + 1));
                }
            }
            let count = end - i;
            let dt = if i == 0 {
                dt0.saturating_add(iv.saturating_mul(count as i64 - 1))
            } else {
                iv.saturating_mul(count as i64)
            };
            self.governor_account(Timestamp::from_millis(t_i), dt);
            i = end;
        }
    }

    /// Time-weighted governor figures for loops at `at` lasting `dt` ms in all.
    fn governor_account(&mut self, at: Timestamp, dt: i64) {
        let g = &mut self.governor;
        if g.state.is_damped(at) {
            g.stats.damped_ms += dt;
        }
        let warm = g
            .started
            .is_some_and(|s| at.elapsed_at_least(s, WARM_UP_SECS));
        if warm {
            let err = (self.scoreboard.idle_usd_pct.to_f64() / 100.0 - g.cfg.target_idle_pct).abs();
            g.stats.measured_ms += dt;
            g.stats.abs_error_ms += err * dt as f64;
            if err <= g.cfg.neutral_band {
                g.stats.in_band_ms += dt;
            }
        }
    }

    /// The governor while the mark is stale: no controller update (its input is not new
    /// information, and no entry can act on a new skew), but the gates are read again so the
    /// multipliers in force match the balances.
    pub(crate) fn governor_hold(&mut self) {
        let now = self.now;
        self.governor.started.get_or_insert(now);
        if !self.governor.cfg.enabled {
            return;
        }
        self.apply_gates(self.scoreboard, false);
    }

    /// The `rebalancer` status block (seed §9.1).
    pub fn rebalancer_status(&self) -> RebalancerStatus {
        let g = &self.governor;
        RebalancerStatus::new(&g.cfg, &g.state, g.mult, self.now)
            .held_by(g.held_by)
            .infeasible(g.infeasible.clone())
    }

    pub fn governor_stats(&self) -> &GovernorStats {
        &self.governor.stats
    }

    pub fn governor_config(&self) -> &GovernorConfig {
        &self.governor.cfg
    }

    pub fn governor_state(&self) -> &GovernorState {
        &self.governor.state
    }
}

#[cfg(test)]
mod tests {
    use flywheel_core::{Price, Qty, Quote, Timestamp};
    use flywheel_governor::GovernorState;
    use flywheel_grid::EngineConfig;
    use flywheel_venue::SimExchange;

    use crate::engine::Engine;
    use crate::journal::NoJournal;

    const T0: i64 = 1_700_000_000;

    fn engine(grid: EngineConfig, quote: &str, base: &str) -> Engine<SimExchange, NoJournal> {
        crate::test_support::sim_engine(grid, quote, base)
    }

    /// Put the governor at `skew` with its last update just now (so no update is due).
    fn force_skew(e: &mut Engine<SimExchange, NoJournal>, skew: f64) {
        let mut snap = e.snapshot();
        snap.governor = GovernorState {
            current_skew: skew,
            applied_skew: skew,
            smoothed_error: skew / 2.0,
            last_update_ts: Some(Timestamp::from_secs(T0)),
            ..GovernorState::default()
        };
        e.restore(snap).expect("restores");
    }

    fn entry_volumes(e: &Engine<SimExchange, NoJournal>) -> Vec<(u32, flywheel_core::Side, Qty)> {
        e.slots()
            .iter()
            .flat_map(|s| s.state.orders.iter().map(move |o| (s.id, o.side, o.volume)))
            .collect()
    }

    #[test]
    fn bootstrap_entries_are_never_scaled() {
        let grid = EngineConfig {
            slots: 3,
            ..EngineConfig::default()
        };
        let mut volumes = Vec::new();
        for skew in [0.0, 0.3, -0.3] {
            let mut e = engine(grid.clone(), "100", "1000");
            force_skew(&mut e, skew);
            e.on_market(Price::lit(1, 1), Timestamp::from_secs(T0));
            e.run_loop(Timestamp::from_secs(T0));
            let m = e.rebalancer_status();
            assert!(
                skew == 0.0 || m.size_mult_a > 1.0 || m.size_mult_b > 1.0,
                "skew {skew} acts"
            );
            volumes.push(entry_volumes(&e));
        }
        assert!(!volumes[0].is_empty());
        assert_eq!(
            volumes[0], volumes[1],
            "bootstrap at skew +0.3 used base size"
        );
        assert_eq!(
            volumes[0], volumes[2],
            "bootstrap at skew -0.3 used base size"
        );
    }

    #[test]
    fn fresh_entries_scale_and_the_starvation_guard_clamps() {
        // One slot: A size $2 base; with skew −0.3 a fresh A entry is $2.60 when base is
        // plentiful, and clamped to leave one base order when it is not. The bootstrap's
        // A entry holds 20 of the starting base; the rest is free (at 0.10).
        // (name, start base, expected fresh A size)
        let cases = [
            ("plenty of base", "1000", "2.6"),
            ("free $4.50: clamped to leave $2", "65", "2.5"),
            ("free $2.50: below the base runway, x1.00", "45", "2"),
        ];
        for (name, base, want) in cases {
            // Without quote-first the B entry does not commit the whole quote, so the quote
            // runway floor stays below the balance and the target is feasible.
            let grid = EngineConfig {
                slots: 1,
                quote_first_allocation: false,
                ..EngineConfig::default()
            };
            let mut e = engine(grid, "100", base);
            e.on_market(Price::lit(1, 1), Timestamp::from_secs(T0));
            e.run_loop(Timestamp::from_secs(T0));
            force_skew(&mut e, -0.3);
            e.governor_step();
            let fresh = e.sizes_for(0, true);
            let base_sizes = e.sizes_for(0, false);
            assert_eq!(base_sizes.a, "2".parse::<Quote>().unwrap(), "case {name}");
            assert_eq!(fresh.a, want.parse::<Quote>().unwrap(), "case {name}");
            assert_eq!(
                fresh.b, base_sizes.b,
                "case {name}: the deficit side stays at base"
            );
        }
    }

    /// Entries so large that the runway floor (1.5 × the next entries) sits above the quote
    /// balance: no size skew can raise idle USD, so the governor stands down (no
    /// multiplier) and says why, instead of pinning ×1.30.
    #[test]
    fn an_infeasible_target_stands_down_and_says_why() {
        let grid = EngineConfig {
            slots: 1,
            order_size_usd: "80".parse().unwrap(),
            ..EngineConfig::default()
        };
        let mut e = engine(grid, "100", "1000");
        e.on_market(Price::lit(1, 1), Timestamp::from_secs(T0));
        e.run_loop(Timestamp::from_secs(T0));
        force_skew(&mut e, -0.3);
        e.governor_step();
        let s = e.rebalancer_status();
        assert!(
            s.infeasible
                .as_deref()
                .is_some_and(|c| c.starts_with("the quote runway floor is above")),
            "{:?}",
            s.infeasible
        );
        assert_eq!((s.size_mult_a, s.size_mult_b), (1.0, 1.0));
        assert!(s
            .dashboard()
            .starts_with("Governor: ■ Standing down: the quote runway"));
    }

    #[test]
    fn capacity_caution_zeroes_the_multipliers() {
        // 15 slots' 30 entries against a cap of 0.75 × 60 = 45: headroom 15 → caution.
        let grid = EngineConfig {
            slots: 15,
            open_orders_limit: 60,
            ..EngineConfig::default()
        };
        let mut e = engine(grid, "1000", "10000");
        e.on_market(Price::lit(1, 1), Timestamp::from_secs(T0));
        e.run_loop(Timestamp::from_secs(T0));
        force_skew(&mut e, 0.3);
        e.run_loop(Timestamp::from_secs(T0 + 30));
        let s = e.rebalancer_status();
        assert!(
            (s.skew - 0.3).abs() < 1e-12,
            "the controller keeps its skew"
        );
        assert_eq!(
            (s.size_mult_a, s.size_mult_b),
            (1.0, 1.0),
            "caution: no scaling"
        );
    }

    #[test]
    fn restore_resumes_without_a_cold_start_spike() {
        let grid = EngineConfig {
            slots: 1,
            ..EngineConfig::default()
        };
        let mut e = engine(grid.clone(), "100", "1000");
        force_skew(&mut e, 0.3);
        let json = serde_json::to_string(&e.snapshot()).unwrap();
        for key in [
            "smoothed_error",
            "smoothed_velocity",
            "current_skew",
            "last_update_ts",
            "sign_flips_1h",
            "damped_until",
        ] {
            assert!(json.contains(key), "snapshot lacks {key}");
        }
        let mut restarted = engine(grid, "100", "1000");
        restarted
            .restore(serde_json::from_str(&json).unwrap())
            .expect("restores");
        restarted.on_market(Price::lit(1, 1), Timestamp::from_secs(T0 + 300));
        restarted.run_loop(Timestamp::from_secs(T0 + 300));
        let skew = restarted.governor_state().current_skew;
        assert!(
            (0.25..=0.30).contains(&skew),
            "resumed from 0.3, moved one step at most: {skew}"
        );
        let old: crate::EngineSnapshot =
            serde_json::from_str(r#"{"slots": []}"#).expect("an old snapshot without governor");
        assert_eq!(old.governor, GovernorState::default());
    }
}
