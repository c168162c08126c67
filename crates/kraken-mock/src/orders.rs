//! Order operations on [`MockState`]: add, batch add, amend, cancel, cancel all, and the
//! translation of the simulator's events into Kraken's records and `executions`/`balances`
//! rows.
//!
//! Invariants:
//! - A refused request changes nothing (no order, no counter increment, no frame).
//! - Checks run in Kraken's order of concern: system status, arguments (a limit order with
//!   a valid `cl_ord_id`, post-only or IOC — never both, never neither), a `cl_ord_id` already open (`EOrder:Duplicate order`), the
//!   open-order cap (`EOrder:Orders limit exceeded`), the trading counter
//!   (`EOrder:Rate limit exceeded`), then the exchange's own checks (tick, lot, minimums,
//!   funds, post-only crossing) with their `EOrder:*` strings.
//! - Every applied add increments `adds_applied[cl_ord_id]` exactly once.
//! - An IOC order executes inside its add (the simulator's taker rule: all of it at the last
//!   print moved by the half-spread, if within its limit) and is never open after it: its
//!   `new` row is followed in the same instant by its `trade`/`filled` rows, or by a
//!   `canceled` row for the remainder.

use flywheel_core::{Fixed, Liquidity, Price, Qty, Quote, Rounding, Side, Timestamp};
use flywheel_kraken::ratelimit::{Action, Decision};
use flywheel_venue::sim::fill_amounts;
use flywheel_venue::{OrderKind, OrderRequest, Venue, VenueEvent};

use crate::frames::{dec, BalanceUpdateRow, ExecRow, FeeEntry, Num};
use crate::state::{MockState, OrderRecord, OrderState, TradeRecord};

/// A new order as the mock reads it from REST or WS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddRequest {
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub cl_ord_id: Option<String>,
    pub post_only: bool,
    /// Time in force IOC (`timeinforce=IOC`, `time_in_force: "ioc"`); else good till
    /// cancelled.
    pub ioc: bool,
}

/// The `reason` of an IOC's `canceled` row: the part it could not take.
pub const IOC_REMAINDER: &str = "Immediate or cancel remainder";

/// Whether a time in force (REST `timeinforce`, WS `time_in_force`, any case) is IOC; absent
/// or `GTC` is good till cancelled; anything else (GTD, FOK) the mock does not model.
pub fn time_in_force_ioc(tif: Option<&str>) -> Result<bool, String> {
    match tif.map(str::to_ascii_uppercase).as_deref() {
        None | Some("GTC") => Ok(false),
        Some("IOC") => Ok(true),
        Some(_) => Err("EGeneral:Invalid arguments:timeinforce".into()),
    }
}

/// An accepted order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub txid: String,
    pub cl_ord_id: String,
    /// `buy 50.00000000 XDGUSD @ limit 0.1800000`.
    pub descr: String,
}

/// How a request names an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderRef {
    Txid(String),
    ClOrdId(String),
}

/// An applied amend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amended {
    pub amend_id: String,
    pub txid: String,
    pub cl_ord_id: String,
}

pub const UNKNOWN_ORDER: &str = "EOrder:Unknown order";
const RATE_LIMIT: &str = "EOrder:Rate limit exceeded";

impl MockState {
    fn fits(&self, now: Timestamp, action: &Action) -> Result<(), String> {
        match self.counter.check(now, action) {
            Decision::Send { .. } => Ok(()),
            _ => Err(RATE_LIMIT.into()),
        }
    }

    fn price_dp(&self) -> u32 {
        self.cfg.instrument.price_decimals
    }
    fn qty_dp(&self) -> u32 {
        self.cfg.instrument.volume_decimals
    }

    /// The open order a reference names.
    pub fn find_open(&self, r: &OrderRef) -> Option<String> {
        match r {
            OrderRef::Txid(t) => self
                .orders
                .get(t)
                .filter(|o| o.state == OrderState::Open)
                .map(|o| o.txid.clone()),
            OrderRef::ClOrdId(c) => self.open_by_cl.get(c).cloned(),
        }
    }

    /// Checks common to single and batch adds, before the counter.
    fn check_add(&self, req: &AddRequest) -> Result<String, String> {
        if let Some(e) = self.status.add_refusal() {
            return Err(e.into());
        }
        if req.post_only == req.ioc {
            // The mock models Flywheel's account: an order rests without taking (post-only)
            // or takes without resting (IOC). A resting order that may take, or a post-only
            // IOC, is a defect of the client.
            return Err("EGeneral:Invalid arguments:post_only".into());
        }
        let cl = req
            .cl_ord_id
            .as_deref()
            .ok_or("EGeneral:Invalid arguments:cl_ord_id")?;
        flywheel_kraken::ids::ClOrdId::new(cl)
            .map_err(|_| "EGeneral:Invalid arguments:cl_ord_id".to_string())?;
        if self.open_by_cl.contains_key(cl) {
            return Err("EOrder:Duplicate order".into());
        }
        if self.open_by_cl.len() >= self.cfg.max_open_orders() as usize {
            return Err("EOrder:Orders limit exceeded".into());
        }
        Ok(cl.to_string())
    }

    /// Place one order (REST `AddOrder`, WS `add_order`).
    pub fn add_order(&mut self, req: &AddRequest, now: Timestamp) -> Result<Accepted, String> {
        self.check_add(req)?;
        self.fits(now, &Action::Add)?;
        let acc = self.place(req, now)?;
        self.counter.record(now, &Action::Add);
        self.after_change(now);
        Ok(acc)
    }

    /// Place 2–15 orders (WS `batch_add`): the whole batch is checked against the status and
    /// the counter (n/2), then each order on its own.
    pub fn add_batch(
        &mut self,
        reqs: &[AddRequest],
        now: Timestamp,
    ) -> Result<Vec<Result<Accepted, String>>, String> {
        if let Some(e) = self.status.add_refusal() {
            return Err(e.into());
        }
        if !(2..=15).contains(&reqs.len()) {
            return Err("EGeneral:Invalid arguments:orders".into());
        }
        let n = u32::try_from(reqs.len()).unwrap_or(u32::MAX);
        self.fits(now, &Action::BatchAdd { orders: n })?;
        let out = reqs
            .iter()
            .map(|r| self.check_add(r).and_then(|_| self.place(r, now)))
            .collect();
        self.counter.record(now, &Action::BatchAdd { orders: n });
        self.after_change(now);
        Ok(out)
    }

    fn place(&mut self, req: &AddRequest, now: Timestamp) -> Result<Accepted, String> {
        let cl = self.check_add(req)?;
        let sim_id = self.ids.sim_id().ok_or("EGeneral:Internal error")?;
        let order = OrderRequest {
            cl_ord_id: sim_id.clone(),
            side: req.side,
            price: req.price,
            qty: req.qty,
            kind: if req.ioc {
                OrderKind::Ioc
            } else {
                OrderKind::PostOnly
            },
        };
        self.sim.place(&order, now).map_err(|r| r.to_string())?;
        // The ack, known with the reply (latency 0); an IOC's execution or expiry follows
        // once the order is on record.
        let mut evs = Vec::new();
        self.sim.poll_events(&mut evs);
        let txid = self.ids.kraken('O');
        self.orders.insert(
            txid.clone(),
            OrderRecord {
                txid: txid.clone(),
                cl_ord_id: cl.clone(),
                side: req.side,
                price: req.price,
                qty: req.qty,
                filled: Qty::ZERO,
                cost: Quote::ZERO,
                fee: Quote::ZERO,
                state: OrderState::Open,
                reason: None,
                opened: now,
                closed: None,
                trades: Vec::new(),
                sim_id: sim_id.clone(),
                sim_filled: Qty::ZERO,
                ioc: req.ioc,
            },
        );
        self.open_by_cl.insert(cl.clone(), txid.clone());
        self.by_sim.insert(sim_id, txid.clone());
        *self.adds_applied.entry(cl.clone()).or_insert(0) += 1;
        let symbol = self.cfg.names.symbol.clone();
        let descr = format!(
            "{} {} {} @ limit {}",
            req.side,
            dec(req.qty.fixed(), self.qty_dp()),
            self.cfg.names.rest_pair,
            dec(req.price.fixed(), self.price_dp())
        );
        let pending = ExecRow {
            order_id: txid.clone(),
            cl_ord_id: Some(cl.clone()),
            symbol: symbol.clone(),
            side: Some(req.side.as_str()),
            order_type: Some("limit"),
            order_qty: Some(Num::new(req.qty.fixed(), self.qty_dp())),
            limit_price: Some(Num::new(req.price.fixed(), self.price_dp())),
            time_in_force: Some(if req.ioc { "IOC" } else { "GTC" }),
            post_only: Some(req.post_only),
            order_status: "pending_new",
            exec_type: "pending_new",
            timestamp: crate::frames::ws_time(now),
            ..ExecRow::default()
        };
        let new = ExecRow {
            order_id: txid.clone(),
            cl_ord_id: Some(cl.clone()),
            symbol,
            order_status: "new",
            exec_type: "new",
            timestamp: crate::frames::ws_time(now),
            ..ExecRow::default()
        };
        self.publish_executions(vec![pending], now);
        self.publish_executions(vec![new], now);
        for ev in evs {
            self.translate(ev, now, IOC_REMAINDER);
        }
        Ok(Accepted {
            txid,
            cl_ord_id: cl,
            descr,
        })
    }

    fn age_ms(&self, txid: &str, now: Timestamp) -> i64 {
        self.orders
            .get(txid)
            .map_or(0, |o| now.millis_since(o.opened).max(0))
    }

    /// Cancel the named open orders (REST `CancelOrder`, WS `cancel_order`, `batch_cancel`).
    /// Every reference must name an open order, else nothing is cancelled.
    pub fn cancel_orders(
        &mut self,
        refs: &[OrderRef],
        now: Timestamp,
    ) -> Result<Vec<(String, String)>, String> {
        let mut txids = Vec::new();
        for r in refs {
            let t = self.find_open(r).ok_or(UNKNOWN_ORDER)?;
            if !txids.contains(&t) {
                txids.push(t);
            }
        }
        if txids.is_empty() {
            return Err(UNKNOWN_ORDER.into());
        }
        let ages: Vec<i64> = txids.iter().map(|t| self.age_ms(t, now)).collect();
        // One cancel or several: the same per-order penalties by age.
        let action = match ages.as_slice() {
            [age] => Action::Cancel { age_ms: *age },
            _ => Action::BatchCancel { ages_ms: ages },
        };
        self.fits(now, &action)?;
        let mut out = Vec::new();
        for t in &txids {
            if let Some(o) = self.orders.get(t) {
                let (sim_id, cl) = (o.sim_id.clone(), o.cl_ord_id.clone());
                self.sim.cancel(&sim_id, now).map_err(|r| r.to_string())?;
                out.push((t.clone(), cl));
            }
        }
        self.counter.record(now, &action);
        self.drain_sim(now, "User requested");
        self.after_change(now);
        Ok(out)
    }

    /// Cancel every open order (dead-man switch, `CancelAll`); no counter cost.
    pub fn cancel_all(&mut self, now: Timestamp, reason: &str) -> u32 {
        let ids: Vec<_> = self
            .open_by_cl
            .values()
            .filter_map(|t| self.orders.get(t).map(|o| o.sim_id.clone()))
            .collect();
        let mut n = 0;
        for id in ids {
            if self.sim.cancel(&id, now).is_ok() {
                n += 1;
            }
        }
        self.drain_sim(now, reason);
        self.after_change(now);
        n
    }

    /// Amend an open order in place: new total `qty` and/or `price` (REST `AmendOrder`, WS
    /// `amend_order`). Carried out as cancel + place on a trial copy of the exchange, kept
    /// only if both succeed, so a refused amend leaves the order as it was.
    pub fn amend_order(
        &mut self,
        r: &OrderRef,
        qty: Option<Qty>,
        price: Option<Price>,
        now: Timestamp,
    ) -> Result<Amended, String> {
        if self.status.add_refusal().is_some() {
            return Err("EService:Market in cancel_only mode".into());
        }
        let txid = self.find_open(r).ok_or(UNKNOWN_ORDER)?;
        let o = self.orders.get(&txid).ok_or(UNKNOWN_ORDER)?.clone();
        let new_qty = qty.unwrap_or(o.qty);
        let new_price = price.unwrap_or(o.price);
        if new_qty <= o.filled {
            return Err("EGeneral:Invalid arguments:order_qty".into());
        }
        let action = Action::Amend {
            age_ms: self.age_ms(&txid, now),
        };
        self.fits(now, &action)?;
        let new_sim = self.ids.sim_id().ok_or("EGeneral:Internal error")?;
        let mut trial = self.sim.clone();
        trial.cancel(&o.sim_id, now).map_err(|e| e.to_string())?;
        trial
            .place(
                &OrderRequest {
                    cl_ord_id: new_sim.clone(),
                    side: o.side,
                    price: new_price,
                    qty: new_qty - o.filled,
                    kind: OrderKind::PostOnly,
                },
                now,
            )
            .map_err(|e| e.to_string())?;
        let mut evs = Vec::new();
        trial.poll_events(&mut evs); // the internal cancel and ack: not the client's business
        self.sim = trial;
        self.counter.record(now, &action);
        self.by_sim.remove(&o.sim_id);
        self.by_sim.insert(new_sim.clone(), txid.clone());
        if let Some(rec) = self.orders.get_mut(&txid) {
            rec.qty = new_qty;
            rec.price = new_price;
            rec.sim_id = new_sim;
            rec.sim_filled = Qty::ZERO;
        }
        let row = ExecRow {
            order_id: txid.clone(),
            cl_ord_id: Some(o.cl_ord_id.clone()),
            symbol: self.cfg.names.symbol.clone(),
            order_qty: Some(Num::new(new_qty.fixed(), self.qty_dp())),
            limit_price: Some(Num::new(new_price.fixed(), self.price_dp())),
            order_status: if o.filled.is_zero() {
                "new"
            } else {
                "partially_filled"
            },
            exec_type: "amended",
            reason: Some("User requested".into()),
            amended: Some(true),
            timestamp: crate::frames::ws_time(now),
            ..ExecRow::default()
        };
        self.publish_executions(vec![row], now);
        self.after_change(now);
        Ok(Amended {
            amend_id: self.ids.kraken('T'),
            txid,
            cl_ord_id: o.cl_ord_id,
        })
    }

    /// Turn the simulator's queued events into records and rows; `reason` is written on
    /// cancellations.
    pub fn drain_sim(&mut self, now: Timestamp, reason: &str) {
        let mut evs = Vec::new();
        self.sim.poll_events(&mut evs);
        for ev in evs {
            self.translate(ev, now, reason);
        }
    }

    /// One simulator event as records and rows (acks are written by `place`).
    fn translate(&mut self, ev: VenueEvent, now: Timestamp, reason: &str) {
        match ev {
            VenueEvent::Fill {
                cl_ord_id,
                price,
                qty,
                fee,
                leaves,
                ts,
                ..
            } => self.on_fill(&cl_ord_id, price, qty, fee, leaves, ts),
            VenueEvent::Done { cl_ord_id, .. } => self.on_done(&cl_ord_id, reason, now),
            VenueEvent::Rejected {
                cl_ord_id, reason, ..
            } => self.on_done(&cl_ord_id, &reason.to_string(), now),
            _ => {}
        }
    }

    fn close(&mut self, txid: &str, state: OrderState, reason: Option<String>, at: Timestamp) {
        if let Some(rec) = self.orders.get_mut(txid) {
            rec.state = state;
            rec.reason = reason;
            rec.closed = Some(at);
            let (cl, sim) = (rec.cl_ord_id.clone(), rec.sim_id.clone());
            self.open_by_cl.remove(&cl);
            self.by_sim.remove(&sim);
        }
    }

    fn on_done(&mut self, sim_id: &flywheel_venue::ClOrdId, reason: &str, now: Timestamp) {
        let Some(txid) = self.by_sim.get(sim_id).cloned() else {
            return;
        };
        self.close(&txid, OrderState::Canceled, Some(reason.to_string()), now);
        let Some(o) = self.orders.get(&txid) else {
            return;
        };
        let row = ExecRow {
            order_id: txid.clone(),
            cl_ord_id: Some(o.cl_ord_id.clone()),
            symbol: self.cfg.names.symbol.clone(),
            cum_qty: Some(Num::new(o.filled.fixed(), self.qty_dp())),
            order_status: "canceled",
            exec_type: "canceled",
            reason: Some(reason.to_string()),
            timestamp: crate::frames::ws_time(now),
            ..ExecRow::default()
        };
        self.publish_executions(vec![row], now);
    }

    fn on_fill(
        &mut self,
        sim_id: &flywheel_venue::ClOrdId,
        price: Price,
        qty: Qty,
        fee: Quote,
        leaves: Qty,
        ts: Timestamp,
    ) {
        let Some(txid) = self.by_sim.get(sim_id).cloned() else {
            return;
        };
        let Some(o) = self.orders.get(&txid).cloned() else {
            return;
        };
        let liquidity = if o.ioc {
            Liquidity::Taker
        } else {
            Liquidity::Maker
        };
        // The notional the simulator booked (its cumulative rule), so trades add up to the
        // balances exactly.
        let notional = fill_amounts(&self.cfg.instrument, price, o.sim_filled, qty, liquidity)
            .map(|a| a.notional)
            .unwrap_or(Quote::ZERO);
        let trade_txid = self.ids.kraken('T');
        let trade = TradeRecord {
            txid: trade_txid.clone(),
            postxid: self.ids.kraken('T'),
            ordertxid: txid.clone(),
            cl_ord_id: o.cl_ord_id.clone(),
            trade_id: self.last_public_trade,
            time: ts,
            side: o.side,
            price,
            qty,
            cost: notional,
            fee,
            taker: o.ioc,
            ledgers: [self.ids.kraken('L'), self.ids.kraken('L')],
        };
        let (filled, cost, total_fee) = (o.filled + qty, o.cost + notional, o.fee + fee);
        if let Some(rec) = self.orders.get_mut(&txid) {
            rec.filled = filled;
            rec.cost = cost;
            rec.fee = total_fee;
            rec.sim_filled = o.sim_filled + qty;
            rec.trades.push(trade_txid.clone());
        }
        let (pdp, qdp) = (self.price_dp(), self.qty_dp());
        let avg = cost
            .fixed()
            .div_round(filled.fixed(), 9, Rounding::HalfEven)
            .unwrap_or(Fixed::ZERO);
        let done = leaves.is_zero();
        let when = crate::frames::ws_time(ts);
        let mut rows = vec![ExecRow {
            order_id: txid.clone(),
            cl_ord_id: Some(o.cl_ord_id.clone()),
            symbol: self.cfg.names.symbol.clone(),
            exec_id: Some(trade_txid.clone()),
            trade_id: Some(trade.trade_id),
            side: Some(o.side.as_str()),
            order_type: Some("limit"),
            order_qty: Some(Num::new(o.qty.fixed(), qdp)),
            limit_price: Some(Num::new(o.price.fixed(), pdp)),
            last_qty: Some(Num::new(qty.fixed(), qdp)),
            last_price: Some(Num::new(price.fixed(), pdp)),
            liquidity_ind: Some(if o.ioc { "t" } else { "m" }),
            cost: Some(Num::new(notional.fixed(), pdp)),
            cum_qty: Some(Num::new(filled.fixed(), qdp)),
            cum_cost: Some(Num::new(cost.fixed(), pdp)),
            avg_price: Some(Num::new(avg, pdp)),
            order_status: if done { "filled" } else { "partially_filled" },
            exec_type: "trade",
            fees: Some(vec![FeeEntry {
                asset: self.cfg.names.ws_quote.clone(),
                qty: Num::new(fee.fixed(), pdp),
            }]),
            fee_usd_equiv: Some(Num::new(fee.fixed(), pdp)),
            timestamp: when.clone(),
            ..ExecRow::default()
        }];
        if done {
            rows.push(ExecRow {
                order_id: txid.clone(),
                cl_ord_id: Some(o.cl_ord_id.clone()),
                symbol: self.cfg.names.symbol.clone(),
                cum_qty: Some(Num::new(filled.fixed(), qdp)),
                cum_cost: Some(Num::new(cost.fixed(), pdp)),
                avg_price: Some(Num::new(avg, pdp)),
                order_status: "filled",
                exec_type: "filled",
                timestamp: when.clone(),
                ..ExecRow::default()
            });
            self.close(&txid, OrderState::Closed, None, ts);
        }
        self.publish_executions(rows, ts);
        let balances = self.balance_entries(&trade, when);
        self.trades.push(trade);
        self.publish_balances(balances);
    }

    /// The two ledger entries of a fill, moving the running balances.
    fn balance_entries(&mut self, t: &TradeRecord, when: String) -> Vec<BalanceUpdateRow> {
        let (base, quote) = self.ws_balances;
        let (base_amount, quote_amount) = match t.side {
            Side::Buy => (t.qty.fixed(), -t.cost.fixed()),
            Side::Sell => (-t.qty.fixed(), t.cost.fixed()),
        };
        let new_base = base + Qty::new(base_amount);
        let new_quote = quote + Quote::new(quote_amount) - t.fee;
        self.ws_balances = (new_base, new_quote);
        let (pdp, qdp) = (self.price_dp(), self.qty_dp());
        let row =
            |ledger: &str, asset: &str, amount: Fixed, fee: Fixed, balance: Fixed, dp: u32| {
                BalanceUpdateRow {
                    ledger_id: ledger.to_string(),
                    ref_id: t.txid.clone(),
                    timestamp: when.clone(),
                    kind: "trade",
                    subtype: "",
                    asset: asset.to_string(),
                    asset_class: "currency",
                    wallet_type: "spot",
                    wallet_id: "main",
                    amount: Num::new(amount, dp),
                    fee: Num::new(fee, dp),
                    balance: Num::new(balance, dp),
                }
            };
        vec![
            row(
                &t.ledgers[0],
                &self.cfg.names.ws_quote,
                quote_amount,
                t.fee.fixed(),
                new_quote.fixed(),
                pdp,
            ),
            row(
                &t.ledgers[1],
                &self.cfg.names.ws_base,
                base_amount,
                Fixed::ZERO,
                new_base.fixed(),
                qdp,
            ),
        ]
    }
}
