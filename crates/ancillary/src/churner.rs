//! Churners (spec §2.18): round trips beside a slot whose exit is stuck.
//!
//! A churner is spawned for a slot (by the operator) and, while the regime is ranging, the
//! headroom is at least `min_headroom` and the slot has a stuck position of at least
//! `min_band` ([`pick_parent`]), runs round trips near the market:
//! - entry on the parent trade's entry side (B parent → buy, A parent → sell) at
//!   `market × (1 ∓ entry_pct/100)`, size `order_size_usd + compound_usd`, funded by the
//!   slot's idle capital; the opposite side when the preferred one lacks funds; else a buy
//!   of one `order_size_usd` borrowed from the shared [`ReservePool`] (one loan per slot);
//! - exit at `fill × (1 ± profit_pct/100)`, no worse than `market × (1 ± entry_pct/100)`;
//! - entry timeout: cancel, idle; exit timeout: cancel, the rest is reported abandoned.
//!
//! **Profit routing.** Every [`ClosedTrip`](crate::ClosedTrip) is reported to the engine,
//! which adds its `net` to `ancillary_profit_usd` (seed 001 Patch C). The churner also keeps
//! the net as its own sizing budget: a positive net first restores reserve budget written
//! off for abandoned reserve-funded positions, the rest grows `compound_usd`; a loss shrinks
//! `compound_usd` (not below zero). `compound_usd` and the pool are sizing budgets, not
//! money: the engine's ledger and fund guard stay the authority on balances.
//!
//! Fixed origin defects: the reserve backstop was an internal counter with no balance behind
//! it, so reserve-funded buys failed at the exchange; here a loan also needs the account's
//! free quote (`account_free_quote`), and a loan stuck in an abandoned position is written
//! off the pool instead of being lent again. Reserve loans are buys (the pool is quote).

use std::collections::BTreeMap;

use flywheel_core::fixed::SCALE;
use flywheel_core::{Instrument, Price, Qty, Quote, Ratio, Side, Timestamp};
use serde::{Deserialize, Serialize};

use crate::config::{AgeBand, ChurnerConfig};
use crate::cycle::{cost, entry_price, size, Cycle, Phase, Rules};
use crate::event::{
    AncillaryError, BlockReason, Blocked, CancelReason, Fill, OrderKey, Outcome, Owner, Position,
    Reaction,
};

/// An open position of the slot whose exit has not filled (a churner parent candidate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StuckPosition {
    pub slot_id: u32,
    /// The slot order id of the exit.
    pub local_id: u64,
    /// Side of the parent trade's *entry* (B → buy, A → sell).
    pub trade_side: Side,
    pub exit_price: Price,
    pub entry_filled_at: Timestamp,
}

/// How stuck a position is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub age_secs: i64,
    /// `age × (1 + distance% / weight)`, floored to whole seconds (saturating).
    pub effective_age_secs: i64,
    pub band: AgeBand,
}

/// Age, distance-weighted age and band of `pos` at `now`, with `distance% = |exit − market|
/// / market × 100` (0 when the market is unknown). Exact integer arithmetic: the ranking is
/// deterministic and ties are real ties.
pub fn assess(pos: &StuckPosition, market: Price, now: Timestamp, weight: Ratio) -> Assessment {
    let age_secs = now.millis_since(pos.entry_filled_at).max(0) / 1000;
    let effective_age_secs = weighted(age_secs, pos.exit_price, market, weight);
    Assessment {
        age_secs,
        effective_age_secs,
        band: AgeBand::of_secs(effective_age_secs),
    }
}

/// `age × (w·m + 100·|x − m|) / (w·m)` in raw units; `age` when `w` or `m` is not positive.
fn weighted(age_secs: i64, exit: Price, market: Price, weight: Ratio) -> i64 {
    if !market.is_positive() || !weight.is_positive() {
        return age_secs;
    }
    let den = i128::from(weight.raw()) * i128::from(market.raw());
    let diff = (i128::from(exit.raw()) - i128::from(market.raw())).abs();
    let num = diff
        .checked_mul(100 * i128::from(SCALE))
        .and_then(|d| d.checked_add(den));
    let eff = num
        .and_then(|n| n.checked_mul(i128::from(age_secs)))
        .map(|n| n / den);
    eff.and_then(|e| i64::try_from(e).ok()).unwrap_or(i64::MAX)
}

/// Index of the parent a churner should work for: among `positions` whose band is at least
/// `cfg.min_band`, the largest effective age; ties go to the earlier entry fill, then the
/// lower order id.
pub fn pick_parent(
    positions: &[StuckPosition],
    market: Price,
    now: Timestamp,
    cfg: &ChurnerConfig,
) -> Option<usize> {
    positions
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p, assess(p, market, now, cfg.age_distance_weight)))
        .filter(|(_, _, a)| a.band >= cfg.min_band)
        .max_by(|(_, p, a), (_, q, b)| {
            a.effective_age_secs
                .cmp(&b.effective_age_secs)
                .then(q.entry_filled_at.cmp(&p.entry_filled_at))
                .then(q.local_id.cmp(&p.local_id))
        })
        .map(|(i, _, _)| i)
}

/// The shared reserve backstop (`CHURNER_RESERVE_USD`): a budget of quote a churner may borrow
/// for one order when its slot has no idle capital, at most one loan per slot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservePool {
    pub capacity: Quote,
    /// Outstanding loans by slot id.
    pub loans: BTreeMap<u32, Quote>,
    /// Budget stuck in abandoned reserve-funded positions (restored by churner profit).
    pub written_off: Quote,
}

impl ReservePool {
    pub fn new(capacity: Quote) -> ReservePool {
        ReservePool {
            capacity,
            ..ReservePool::default()
        }
    }

    pub fn lent(&self) -> Quote {
        self.loans.values().copied().sum()
    }

    /// `capacity − lent − written_off`, not below zero.
    pub fn available(&self) -> Quote {
        (self.capacity - self.lent() - self.written_off).max(Quote::ZERO)
    }

    pub fn loan(&self, slot_id: u32) -> Option<Quote> {
        self.loans.get(&slot_id).copied()
    }

    fn can_lend(&self, slot_id: u32, amount: Quote) -> bool {
        !self.loans.contains_key(&slot_id) && amount.is_positive() && amount <= self.available()
    }

    /// End `slot_id`'s loan; `lost` of it (capped at the loan) stays in an abandoned position.
    fn settle(&mut self, slot_id: u32, lost: Quote) {
        if let Some(loan) = self.loans.remove(&slot_id) {
            self.written_off += lost.min(loan).max(Quote::ZERO);
        }
    }

    /// Restore written-off budget from `profit`; returns what is left of it.
    fn replenish(&mut self, profit: Quote) -> Quote {
        let restored = profit.min(self.written_off).max(Quote::ZERO);
        self.written_off -= restored;
        profit - restored
    }
}

/// How the current round trip is funded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Funding {
    /// The slot's idle capital (or nothing in flight).
    #[default]
    Own,
    /// A loan from the reserve pool.
    Reserve { loan: Quote },
}

/// What a churner sees of its slot and the market at one step.
#[derive(Clone, Copy, Debug)]
pub struct ChurnerCtx<'a> {
    pub now: Timestamp,
    /// Current mark; zero when unknown.
    pub market: Price,
    pub headroom: i64,
    pub ranging: bool,
    pub instrument: &'a Instrument,
    /// The slot's open positions whose exits have not filled (churner rows excluded).
    pub positions: &'a [StuckPosition],
    /// The slot's idle quote the churner may use.
    pub free_quote: Quote,
    /// The slot's idle base the churner may use.
    pub free_base: Qty,
    /// Free quote of the whole account: a reserve loan must be backed by it.
    pub account_free_quote: Quote,
}

/// One slot's churner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Churner {
    pub slot_id: u32,
    pub trip: Cycle,
    /// Retained net profit; grows the next order.
    pub compound_usd: Quote,
    /// Order id of the parent position of the current (or, once over, the last) round trip:
    /// the engine can journal a closed trip's profit against it.
    pub parent: Option<u64>,
    pub funding: Funding,
    /// Killed: no new entries; removable once idle.
    pub retiring: bool,
}

fn rules(cfg: &ChurnerConfig, inst: &Instrument) -> Result<Rules, AncillaryError> {
    Ok(Rules {
        entry_timeout_sec: cfg.entry_timeout_sec,
        exit_timeout_sec: cfg.exit_timeout_sec.max(cfg.entry_timeout_sec),
        entry_pct: cfg.entry_pct,
        profit_pct: cfg.effective_profit_pct(inst.maker_fee_pct)?,
        rest_sec: 0,
    })
}

/// A planned entry.
struct Plan {
    side: Side,
    price: Price,
    qty: Qty,
    funding: Funding,
}

impl Churner {
    pub fn new(slot_id: u32) -> Churner {
        Churner {
            slot_id,
            trip: Cycle::new(Owner::Churner(slot_id)),
            compound_usd: Quote::ZERO,
            parent: None,
            funding: Funding::Own,
            retiring: false,
        }
    }

    pub fn owner(&self) -> Owner {
        Owner::Churner(self.slot_id)
    }
    pub fn phase(&self) -> &Phase {
        &self.trip.phase
    }
    pub fn live_order(&self) -> Option<OrderKey> {
        self.trip.live_order()
    }
    pub fn position(&self) -> Option<&Position> {
        self.trip.position()
    }
    /// Idle: no order, no position.
    pub fn is_idle(&self) -> bool {
        self.trip.is_idle()
    }

    /// One loop step: timers, a pending exit, the gate, and a new entry when idle.
    pub fn step(
        &mut self,
        cfg: &ChurnerConfig,
        ctx: &ChurnerCtx<'_>,
        pool: &mut ReservePool,
    ) -> Result<Reaction, AncillaryError> {
        let mut next = (self.clone(), pool.clone());
        let out = next.0.step_inner(cfg, ctx, &mut next.1)?;
        (*self, *pool) = next;
        Ok(out)
    }

    fn step_inner(
        &mut self,
        cfg: &ChurnerConfig,
        ctx: &ChurnerCtx<'_>,
        pool: &mut ReservePool,
    ) -> Result<Reaction, AncillaryError> {
        let inst = ctx.instrument;
        let rules = rules(cfg, inst)?;
        let mut out = self.trip.tick(ctx.now, &rules, ctx.market, inst)?;
        self.settle(&out, pool)?;
        let parent = pick_parent(ctx.positions, ctx.market, ctx.now, cfg);
        let closed = if !cfg.enabled || self.retiring {
            Some(BlockReason::Disabled)
        } else if !ctx.ranging {
            Some(BlockReason::NotRanging)
        } else if ctx.headroom < i64::from(cfg.min_headroom) {
            Some(BlockReason::Headroom)
        } else if !ctx.market.is_positive() {
            Some(BlockReason::NoMarket)
        } else if parent.is_none() {
            Some(BlockReason::NoCandidate)
        } else {
            None
        };
        if closed.is_some() {
            out.commands
                .extend(self.trip.cancel_entry(CancelReason::GateClosed));
        }
        if !self.trip.is_idle() {
            return Ok(out);
        }
        let blocked = match (closed, parent.and_then(|i| ctx.positions.get(i))) {
            (None, Some(parent)) => match self.plan(cfg, ctx, pool, parent)? {
                Ok(plan) => {
                    if let Funding::Reserve { loan } = plan.funding {
                        pool.loans.insert(self.slot_id, loan);
                    }
                    self.funding = plan.funding;
                    self.parent = Some(parent.local_id);
                    out.commands.extend(
                        self.trip
                            .open_entry(ctx.now, plan.side, plan.price, plan.qty),
                    );
                    None
                }
                Err(reason) => Some(reason),
            },
            (Some(reason), _) => Some(reason),
            (None, None) => Some(BlockReason::NoCandidate),
        };
        if let Some(reason) = blocked {
            out.blocked.push(Blocked {
                owner: self.owner(),
                reason,
            });
        }
        Ok(out)
    }

    /// Side, price, volume and funding of the next entry, or why there is none.
    fn plan(
        &self,
        cfg: &ChurnerConfig,
        ctx: &ChurnerCtx<'_>,
        pool: &ReservePool,
        parent: &StuckPosition,
    ) -> Result<Result<Plan, BlockReason>, AncillaryError> {
        let inst = ctx.instrument;
        let usd = cfg.order_size_usd.checked_add(self.compound_usd)?;
        let mut sized = false;
        for side in [parent.trade_side, parent.trade_side.opposite()] {
            let price = entry_price(ctx.market, side, cfg.entry_pct, inst)?;
            let Some(qty) = size(usd, price, inst)? else {
                continue;
            };
            sized = true;
            let funded = match side {
                Side::Buy => cost(price, qty)? <= ctx.free_quote,
                Side::Sell => qty <= ctx.free_base,
            };
            if funded {
                return Ok(Ok(Plan {
                    side,
                    price,
                    qty,
                    funding: Funding::Own,
                }));
            }
        }
        let price = entry_price(ctx.market, Side::Buy, cfg.entry_pct, inst)?;
        if let Some(qty) = size(cfg.order_size_usd, price, inst)? {
            sized = true;
            let loan = cost(price, qty)?;
            if pool.can_lend(self.slot_id, loan) && loan <= ctx.account_free_quote {
                return Ok(Ok(Plan {
                    side: Side::Buy,
                    price,
                    qty,
                    funding: Funding::Reserve { loan },
                }));
            }
        }
        Ok(Err(if sized {
            BlockReason::NoFunds
        } else {
            BlockReason::BelowMinimum
        }))
    }

    /// After a transition: when the round trip is over, end its reserve loan (writing off
    /// what stays in abandoned buys) and route each closed trip's net.
    fn settle(&mut self, out: &Reaction, pool: &mut ReservePool) -> Result<(), AncillaryError> {
        let over = matches!(self.trip.phase, Phase::Idle | Phase::Cooldown { .. });
        if over {
            if let Funding::Reserve { .. } = self.funding {
                let mut lost = Quote::ZERO;
                for o in &out.outcomes {
                    if let Outcome::Abandoned(a) = o {
                        if a.entry_side == Side::Buy {
                            lost = lost.checked_add(cost(a.entry_price, a.qty)?)?;
                        }
                    }
                }
                pool.settle(self.slot_id, lost);
            }
            self.funding = Funding::Own;
        }
        for o in &out.outcomes {
            if let Outcome::Closed(c) = o {
                if c.net.is_positive() {
                    let kept = pool.replenish(c.net);
                    self.compound_usd = self.compound_usd.checked_add(kept)?;
                } else {
                    self.compound_usd = self.compound_usd.checked_add(c.net)?.max(Quote::ZERO);
                }
            }
        }
        Ok(())
    }

    /// The live order `key` is done with `fill.qty` executed.
    pub fn on_fill(
        &mut self,
        cfg: &ChurnerConfig,
        inst: &Instrument,
        market: Price,
        pool: &mut ReservePool,
        key: OrderKey,
        fill: &Fill,
    ) -> Result<Reaction, AncillaryError> {
        let rules = rules(cfg, inst)?;
        self.apply(pool, |c| c.trip.on_fill(key, fill, &rules, market, inst))
    }

    /// The live order `key` is gone with nothing executed.
    pub fn on_cancelled(
        &mut self,
        cfg: &ChurnerConfig,
        inst: &Instrument,
        pool: &mut ReservePool,
        key: OrderKey,
        now: Timestamp,
    ) -> Result<Reaction, AncillaryError> {
        let rules = rules(cfg, inst)?;
        self.apply(pool, |c| c.trip.on_cancelled(key, now, &rules))
    }

    /// The venue refused the live order `key`.
    pub fn on_rejected(
        &mut self,
        cfg: &ChurnerConfig,
        inst: &Instrument,
        pool: &mut ReservePool,
        key: OrderKey,
        now: Timestamp,
    ) -> Result<Reaction, AncillaryError> {
        let rules = rules(cfg, inst)?;
        self.apply(pool, |c| c.trip.on_rejected(key, now, &rules))
    }

    /// Run `event` on a copy, settle, and commit only on success.
    fn apply(
        &mut self,
        pool: &mut ReservePool,
        event: impl FnOnce(&mut Churner) -> Result<Reaction, AncillaryError>,
    ) -> Result<Reaction, AncillaryError> {
        let (mut c, mut p) = (self.clone(), pool.clone());
        let out = event(&mut c)?;
        c.settle(&out, &mut p)?;
        (*self, *pool) = (c, p);
        Ok(out)
    }
}

/// All churners of an engine and their shared reserve pool.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Churners {
    pub pool: ReservePool,
    pub by_slot: BTreeMap<u32, Churner>,
}

impl Churners {
    pub fn new(cfg: &ChurnerConfig) -> Churners {
        Churners {
            pool: ReservePool::new(cfg.reserve_usd),
            by_slot: BTreeMap::new(),
        }
    }

    /// Attach a churner to `slot_id` (operator action); false if one is already there
    /// (a retiring one is revived).
    pub fn spawn(&mut self, slot_id: u32) -> bool {
        match self.by_slot.get_mut(&slot_id) {
            Some(c) => {
                let revived = c.retiring;
                c.retiring = false;
                revived
            }
            None => {
                self.by_slot.insert(slot_id, Churner::new(slot_id));
                true
            }
        }
    }

    /// Stop `slot_id`'s churner: no new entries; its open entry is cancelled at the next
    /// step and an open position runs to its exit or timeout.
    pub fn kill(&mut self, slot_id: u32) -> bool {
        match self.by_slot.get_mut(&slot_id) {
            Some(c) => {
                c.retiring = true;
                true
            }
            None => false,
        }
    }

    /// Drop retired churners that hold nothing; returns their slot ids.
    pub fn remove_finished(&mut self) -> Vec<u32> {
        let done: Vec<u32> = self
            .by_slot
            .values()
            .filter(|c| c.retiring && c.is_idle())
            .map(|c| c.slot_id)
            .collect();
        for id in &done {
            self.by_slot.remove(id);
        }
        done
    }

    /// Step `slot_id`'s churner (the pool's capacity follows `cfg.reserve_usd`).
    pub fn step_slot(
        &mut self,
        cfg: &ChurnerConfig,
        slot_id: u32,
        ctx: &ChurnerCtx<'_>,
    ) -> Result<Reaction, AncillaryError> {
        self.pool.capacity = cfg.reserve_usd;
        match self.by_slot.get_mut(&slot_id) {
            Some(c) => c.step(cfg, ctx, &mut self.pool),
            None => Ok(Reaction::default()),
        }
    }

    pub fn on_fill(
        &mut self,
        cfg: &ChurnerConfig,
        inst: &Instrument,
        market: Price,
        key: OrderKey,
        fill: &Fill,
    ) -> Result<Reaction, AncillaryError> {
        self.routed(key, |c, pool| c.on_fill(cfg, inst, market, pool, key, fill))
    }

    pub fn on_cancelled(
        &mut self,
        cfg: &ChurnerConfig,
        inst: &Instrument,
        key: OrderKey,
        now: Timestamp,
    ) -> Result<Reaction, AncillaryError> {
        self.routed(key, |c, pool| c.on_cancelled(cfg, inst, pool, key, now))
    }

    pub fn on_rejected(
        &mut self,
        cfg: &ChurnerConfig,
        inst: &Instrument,
        key: OrderKey,
        now: Timestamp,
    ) -> Result<Reaction, AncillaryError> {
        self.routed(key, |c, pool| c.on_rejected(cfg, inst, pool, key, now))
    }

    /// Hand the order hook to the churner owning `key`, with the shared pool. The
    /// churner's hooks are all-or-nothing (they work on copies of itself and the pool), so
    /// an error leaves both unchanged.
    fn routed(
        &mut self,
        key: OrderKey,
        hook: impl FnOnce(&mut Churner, &mut ReservePool) -> Result<Reaction, AncillaryError>,
    ) -> Result<Reaction, AncillaryError> {
        let not_live = AncillaryError::NotLive {
            got: key,
            live: None,
        };
        let Owner::Churner(slot) = key.owner else {
            return Err(not_live);
        };
        let churner = self.by_slot.get_mut(&slot).ok_or(not_live)?;
        hook(churner, &mut self.pool)
    }

    pub fn live_orders(&self) -> Vec<OrderKey> {
        self.by_slot
            .values()
            .filter_map(Churner::live_order)
            .collect()
    }
}
