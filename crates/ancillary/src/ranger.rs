//! Rangers (spec §2.17): standalone sell→buy micro-cyclers.
//!
//! A ranger sells `order_size_usd` at `market × (1 + entry_pct/100)` while the regime is
//! ranging, the open-order headroom is at least `min_headroom` and the free base stays at or
//! above `base_reserve` after the sale; on the fill it buys the volume back at
//! `fill × (1 − max(profit_pct, 2 × maker_fee + 0.20)/100)`. Entry timeout: cancel, back to
//! idle. Exit timeout: cancel, then the rest of the position is reported
//! [`Outcome::Abandoned`](crate::Outcome) and the ranger cools down. A closed exit reports
//! [`Outcome::Closed`](crate::Outcome) with `net = (entry − exit) × qty − entry fee − exit fee`,
//! which the engine adds to `ancillary_profit_usd` (the origin booked it nowhere).
//!
//! Deliberate differences from the origin: an open **exit** is not cancelled when the regime
//! or headroom gate closes (cancelling it would only turn a position that may still close into
//! an abandoned one; the exit timeout bounds it); the profit floor is computed from the
//! instrument's maker fee; ranger state is serializable so a snapshot can keep it.

use flywheel_core::{Instrument, Price, Qty, Side, Timestamp};
use serde::{Deserialize, Serialize};

use crate::config::RangerConfig;
use crate::cycle::{entry_price, size, Cycle, Phase, Rules};
use crate::event::{
    AncillaryError, BlockReason, Blocked, CancelReason, Command, Fill, Leg, OrderKey, Owner,
    Position, Reaction,
};

/// What a ranger sees of the world at one step.
#[derive(Clone, Copy, Debug)]
pub struct RangerCtx<'a> {
    pub now: Timestamp,
    /// Current mark; zero when unknown (no entries then).
    pub market: Price,
    /// Free base (not held by any open order).
    pub free_base: Qty,
    /// Open-order headroom (safe cap − open orders); may be negative.
    pub headroom: i64,
    /// The policy regime is `RANGING` (the default label when no regime detector runs).
    pub ranging: bool,
    pub instrument: &'a Instrument,
}

/// One ranger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranger {
    pub id: u32,
    pub trip: Cycle,
}

fn rules(cfg: &RangerConfig, inst: &Instrument) -> Result<Rules, AncillaryError> {
    Ok(Rules {
        entry_timeout_sec: cfg.entry_timeout_sec,
        exit_timeout_sec: cfg.exit_timeout_sec.max(cfg.entry_timeout_sec),
        entry_pct: cfg.entry_pct,
        profit_pct: cfg.effective_profit_pct(inst.maker_fee_pct)?,
        rest_sec: cfg.cooldown_sec,
    })
}

impl Ranger {
    pub fn new(id: u32) -> Ranger {
        Ranger {
            id,
            trip: Cycle::new(Owner::Ranger(id)),
        }
    }

    pub fn owner(&self) -> Owner {
        Owner::Ranger(self.id)
    }
    pub fn phase(&self) -> &Phase {
        &self.trip.phase
    }
    /// The one live order, if any.
    pub fn live_order(&self) -> Option<OrderKey> {
        self.trip.live_order()
    }
    /// The open position (entry filled, exit not yet), if any.
    pub fn position(&self) -> Option<&Position> {
        self.trip.position()
    }
    /// Idle: no order, no position, no cooldown.
    pub fn is_idle(&self) -> bool {
        self.trip.is_idle()
    }

    /// One loop step: timers, a pending exit, the entry gate, and a new entry when idle.
    pub fn step(
        &mut self,
        cfg: &RangerConfig,
        ctx: &RangerCtx<'_>,
    ) -> Result<Reaction, AncillaryError> {
        self.step_gated(cfg, ctx, true)
    }

    /// `step`, with `may_enter = false` for a ranger beyond `max_slots` (winding down).
    fn step_gated(
        &mut self,
        cfg: &RangerConfig,
        ctx: &RangerCtx<'_>,
        may_enter: bool,
    ) -> Result<Reaction, AncillaryError> {
        let mut next = self.clone();
        let out = next.step_inner(cfg, ctx, may_enter)?;
        *self = next;
        Ok(out)
    }

    fn step_inner(
        &mut self,
        cfg: &RangerConfig,
        ctx: &RangerCtx<'_>,
        may_enter: bool,
    ) -> Result<Reaction, AncillaryError> {
        let inst = ctx.instrument;
        let rules = rules(cfg, inst)?;
        let mut out = self.trip.tick(ctx.now, &rules, ctx.market, inst)?;
        let closed = gate(cfg, ctx, may_enter);
        if closed.is_some() {
            out.commands
                .extend(self.trip.cancel_entry(CancelReason::GateClosed));
        }
        if !self.trip.is_idle() {
            return Ok(out);
        }
        let blocked = match closed {
            Some(reason) => Some(reason),
            None => self.try_entry(cfg, ctx, &mut out)?,
        };
        if let Some(reason) = blocked {
            out.blocked.push(Blocked {
                owner: self.owner(),
                reason,
            });
        }
        Ok(out)
    }

    fn try_entry(
        &mut self,
        cfg: &RangerConfig,
        ctx: &RangerCtx<'_>,
        out: &mut Reaction,
    ) -> Result<Option<BlockReason>, AncillaryError> {
        let inst = ctx.instrument;
        let price = entry_price(ctx.market, Side::Sell, cfg.entry_pct, inst)?;
        let Some(qty) = size(cfg.order_size_usd, price, inst)? else {
            return Ok(Some(BlockReason::BelowMinimum));
        };
        if ctx.free_base.checked_sub(qty)? < cfg.base_reserve {
            return Ok(Some(BlockReason::BaseReserve));
        }
        out.commands
            .extend(self.trip.open_entry(ctx.now, Side::Sell, price, qty));
        Ok(None)
    }

    /// The live order `key` is done with `fill.qty` executed. An entry fill places the exit
    /// (or reports the position abandoned when it is below the exchange minimums); an exit
    /// fill reports the closed trip (and any unfilled rest as abandoned).
    pub fn on_fill(
        &mut self,
        cfg: &RangerConfig,
        inst: &Instrument,
        market: Price,
        key: OrderKey,
        fill: &Fill,
    ) -> Result<Reaction, AncillaryError> {
        self.on_trip(cfg, inst, |trip, rules| {
            trip.on_fill(key, fill, rules, market, inst)
        })
    }

    /// The live order `key` is gone with nothing executed (after our cancel or otherwise).
    pub fn on_cancelled(
        &mut self,
        cfg: &RangerConfig,
        inst: &Instrument,
        key: OrderKey,
        now: Timestamp,
    ) -> Result<Reaction, AncillaryError> {
        self.on_trip(cfg, inst, |trip, rules| trip.on_cancelled(key, now, rules))
    }

    /// The venue refused the live order `key`: an entry cools down; an exit is placed again
    /// at the next step (until its timeout).
    pub fn on_rejected(
        &mut self,
        cfg: &RangerConfig,
        inst: &Instrument,
        key: OrderKey,
        now: Timestamp,
    ) -> Result<Reaction, AncillaryError> {
        self.on_trip(cfg, inst, |trip, rules| trip.on_rejected(key, now, rules))
    }

    /// Apply an order hook to a copy of the trip and keep it only on success, so an error
    /// leaves the ranger unchanged.
    fn on_trip(
        &mut self,
        cfg: &RangerConfig,
        inst: &Instrument,
        hook: impl FnOnce(&mut Cycle, &Rules) -> Result<Reaction, AncillaryError>,
    ) -> Result<Reaction, AncillaryError> {
        let rules = rules(cfg, inst)?;
        let mut next = self.trip.clone();
        let out = hook(&mut next, &rules)?;
        self.trip = next;
        Ok(out)
    }
}

/// Why no entry may be open, or `None` when the gate is open.
fn gate(cfg: &RangerConfig, ctx: &RangerCtx<'_>, may_enter: bool) -> Option<BlockReason> {
    if !cfg.enabled || !may_enter {
        Some(BlockReason::Disabled)
    } else if !ctx.ranging {
        Some(BlockReason::NotRanging)
    } else if ctx.headroom < i64::from(cfg.min_headroom) {
        Some(BlockReason::Headroom)
    } else if !ctx.market.is_positive() {
        Some(BlockReason::NoMarket)
    } else {
        None
    }
}

/// The rangers of one engine, stepped together so that one step's entries share the free
/// base and the open-order headroom (each placed entry uses its volume and one order).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangerSet {
    pub rangers: Vec<Ranger>,
}

impl RangerSet {
    pub fn new(cfg: &RangerConfig) -> RangerSet {
        RangerSet {
            rangers: (0..cfg.max_slots).map(Ranger::new).collect(),
        }
    }

    pub fn get(&self, id: u32) -> Option<&Ranger> {
        self.rangers.iter().find(|r| r.id == id)
    }

    fn get_mut(&mut self, key: OrderKey) -> Result<&mut Ranger, AncillaryError> {
        let not_live = AncillaryError::NotLive {
            got: key,
            live: None,
        };
        let Owner::Ranger(id) = key.owner else {
            return Err(not_live);
        };
        self.rangers.iter_mut().find(|r| r.id == id).ok_or(not_live)
    }

    /// Step every ranger in id order. Rangers are added up to `max_slots`; those beyond it
    /// place no new entries and finish what they hold.
    pub fn step(
        &mut self,
        cfg: &RangerConfig,
        ctx: &RangerCtx<'_>,
    ) -> Result<Reaction, AncillaryError> {
        let mut next = self.clone();
        while next.rangers.len() < cfg.max_slots as usize {
            let id = u32::try_from(next.rangers.len()).unwrap_or(u32::MAX);
            next.rangers.push(Ranger::new(id));
        }
        let mut local = *ctx;
        let mut out = Reaction::default();
        for ranger in &mut next.rangers {
            let may_enter = ranger.id < cfg.max_slots;
            let reaction = ranger.step_gated(cfg, &local, may_enter)?;
            for c in &reaction.commands {
                if let Command::Place { key, qty, .. } = c {
                    if key.leg == Leg::Entry {
                        local.free_base = local.free_base.checked_sub(*qty)?;
                        local.headroom -= 1;
                    }
                }
            }
            out.extend(reaction);
        }
        *self = next;
        Ok(out)
    }

    /// Route a fill to its ranger.
    pub fn on_fill(
        &mut self,
        cfg: &RangerConfig,
        inst: &Instrument,
        market: Price,
        key: OrderKey,
        fill: &Fill,
    ) -> Result<Reaction, AncillaryError> {
        self.get_mut(key)?.on_fill(cfg, inst, market, key, fill)
    }

    /// Route a cancel acknowledgement to its ranger.
    pub fn on_cancelled(
        &mut self,
        cfg: &RangerConfig,
        inst: &Instrument,
        key: OrderKey,
        now: Timestamp,
    ) -> Result<Reaction, AncillaryError> {
        self.get_mut(key)?.on_cancelled(cfg, inst, key, now)
    }

    /// Route a rejection to its ranger.
    pub fn on_rejected(
        &mut self,
        cfg: &RangerConfig,
        inst: &Instrument,
        key: OrderKey,
        now: Timestamp,
    ) -> Result<Reaction, AncillaryError> {
        self.get_mut(key)?.on_rejected(cfg, inst, key, now)
    }

    /// Live orders of all rangers (at most one each).
    pub fn live_orders(&self) -> Vec<OrderKey> {
        self.rangers.iter().filter_map(Ranger::live_order).collect()
    }
}
