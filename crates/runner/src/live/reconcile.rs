//! Restart, the exchange's half (live.md §6, restart steps 3–6), run before the engine
//! trades again:
//!
//! 1. wait for the private connection (its `executions` snapshot and balances);
//! 2. read `OpenOrders`: an open order under our prefix that the store does not know is a
//!    **stray** and is cancelled; orders under other ids are **foreign**: never touched,
//!    their holds counted and reported;
//! 3. **settle** every order followed again — lookups by `cl_ord_id`, missed fills fetched
//!    back to the last stored one and applied by the engine in exchange order, each step
//!    committed before anything is sent — until none is pending, unknown or missing fills;
//! 4. **check the ledger** against `BalanceEx` exactly. A first start adopts the exchange's
//!    totals (recorded as an operator action). A mismatch is retried (a fill may land
//!    between the two reads) and, if it stays, halts new entries with both figures.
//!
//! Invariant: nothing here places an order; exits the engine sends for fills it learns
//! about on the way go through the session's commit-then-send step like any other.

use std::time::{Duration, Instant};

use flywheel_core::{Qty, Quote, Side, Timestamp};
use flywheel_kraken::net::clock::{Clock, SystemClock};
use flywheel_kraken::net::connector::KrakenTransport;
use flywheel_kraken::net::private::PrivateRest;
use flywheel_kraken::outcome::RestOutcome;
use flywheel_kraken::rest::requests::OrderRef;
use flywheel_kraken::symbols::normalize_asset;
use flywheel_store::{BalanceAudit, OperatorAction};
use flywheel_venue::ClOrdId;

use crate::live::ledger::{Ledger, LedgerCheck};
use crate::live::session::{LiveError, LiveSession};
use crate::live::strategy::LiveStrategy;

/// Settings of the reconciliation.
#[derive(Clone, Debug)]
pub struct ReconcileConfig {
    /// Our `cl_ord_id` prefix (`fw1`).
    pub prefix: String,
    pub base_asset: String,
    pub quote_asset: String,
    /// Give up waiting for the connection / for every order to settle after this long
    /// (the run goes on with entries halted: see [`ReconcileReport::ready`]).
    pub settle_timeout: Duration,
    /// Ledger reads before a mismatch is believed.
    pub ledger_attempts: u32,
    /// Replace the stored ledger by the exchange's totals (an operator who moved funds).
    pub accept_balances: bool,
}

/// How the ledger check ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerOutcome {
    /// No ledger yet (or `accept_balances`): the exchange's totals became it.
    Adopted(Ledger),
    Matched(Ledger),
    Mismatch(LedgerCheck),
    /// `BalanceEx` could not be read.
    Unreadable(String),
}

/// What the reconciliation found.
#[derive(Clone, Debug)]
pub struct ReconcileReport {
    pub connected: bool,
    pub strays_cancelled: Vec<String>,
    pub strays_not_cancelled: Vec<String>,
    pub foreign_orders: usize,
    pub foreign_hold_base: Qty,
    pub foreign_hold_quote: Quote,
    /// Orders still unsettled when it gave up (0 when done).
    pub unsettled: usize,
    pub ledger: LedgerOutcome,
    pub took: Duration,
}

impl ReconcileReport {
    /// Done: every order settled and the ledger agrees (`/readyz`).
    pub fn ready(&self) -> bool {
        self.connected
            && self.unsettled == 0
            && matches!(
                self.ledger,
                LedgerOutcome::Adopted(_) | LedgerOutcome::Matched(_)
            )
    }
}

fn now() -> Timestamp {
    SystemClock.now()
}

/// Run the reconciliation (see the module docs) on the engine thread; REST calls run on
/// `rt`.
pub fn reconcile<S: LiveStrategy<Transport = KrakenTransport>>(
    session: &mut LiveSession<S>,
    rest: &PrivateRest,
    rt: &tokio::runtime::Handle,
    cfg: &ReconcileConfig,
) -> Result<ReconcileReport, LiveError> {
    let started = Instant::now();
    let until = started + cfg.settle_timeout;
    // 1. The connection.
    while !session.strategy().venue().status().connected && Instant::now() < until {
        session.settle(now())?;
        std::thread::sleep(Duration::from_millis(20));
    }
    let connected = session.strategy().venue().status().connected;
    // 2. Strays and foreign orders.
    let mut report = ReconcileReport {
        connected,
        strays_cancelled: Vec::new(),
        strays_not_cancelled: Vec::new(),
        foreign_orders: 0,
        foreign_hold_base: Qty::ZERO,
        foreign_hold_quote: Quote::ZERO,
        unsettled: 0,
        ledger: LedgerOutcome::Unreadable("not checked".into()),
        took: Duration::ZERO,
    };
    let open = retry(rt, until, || rest.open_orders(None));
    match open {
        Some(open) => {
            for (txid, info) in open.open {
                let ours = info
                    .cl_ord_id
                    .as_deref()
                    .and_then(|c| ClOrdId::parse(c).ok())
                    .filter(|id| id.sequence(&cfg.prefix).is_some());
                match ours {
                    Some(id) if session.strategy().venue().tracker().knows(&id) => {}
                    Some(id) => {
                        let r = rt.block_on(rest.cancel_order(&OrderRef::Txid(txid.clone())));
                        let done = matches!(r, Ok(RestOutcome::Done { .. }));
                        tracing::warn!(target: "flywheel::restart", cl_ord_id = %id, txid, cancelled = done, "an open order of ours that the store does not know (a stray)");
                        if done {
                            report.strays_cancelled.push(id.as_str().to_string());
                        } else {
                            report.strays_not_cancelled.push(id.as_str().to_string());
                        }
                    }
                    None => {
                        report.foreign_orders += 1;
                        let leaves = info.vol - info.vol_exec;
                        match info.descr.side {
                            Side::Buy => {
                                if let Ok(h) = info
                                    .descr
                                    .price
                                    .notional(leaves, flywheel_core::Rounding::Ceil)
                                {
                                    report.foreign_hold_quote += h;
                                }
                            }
                            Side::Sell => report.foreign_hold_base += leaves,
                        }
                    }
                }
            }
        }
        None => {
            tracing::error!(target: "flywheel::restart", "OpenOrders could not be read: strays are not checked")
        }
    }
    // 3. Settle.
    loop {
        session.settle(now())?;
        let left = session.strategy().venue().tracker().unsettled();
        if left == 0 || Instant::now() >= until {
            report.unsettled = left;
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    // 4. The ledger.
    report.ledger = check_ledger(session, rest, rt, cfg)?;
    if let LedgerOutcome::Mismatch(c) = &report.ledger {
        let reason = format!("ledger mismatch at restart: {}", c.describe());
        tracing::error!(target: "flywheel::restart", %reason, "new entries halted");
        session.strategy_mut().halt(&reason);
    }
    if report.unsettled > 0 {
        let reason = format!(
            "restart reconciliation incomplete: {} order(s) not settled with the exchange",
            report.unsettled
        );
        session.strategy_mut().halt(&reason);
    }
    session.checkpoint(now())?;
    report.took = started.elapsed();
    Ok(report)
}

/// Call `f` until it answers `Done` or `until` passes.
fn retry<T, F, Fut>(rt: &tokio::runtime::Handle, until: Instant, f: F) -> Option<T>
where
    F: Fn() -> Fut,
    Fut:
        std::future::Future<Output = Result<RestOutcome<T>, flywheel_kraken::net::rest::RestError>>,
{
    loop {
        if let Ok(RestOutcome::Done { result, .. }) = rt.block_on(f()) {
            return Some(result);
        }
        if Instant::now() >= until {
            return None;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The exchange's totals of our two assets from `BalanceEx`.
fn exchange_totals(
    rest: &PrivateRest,
    rt: &tokio::runtime::Handle,
    cfg: &ReconcileConfig,
) -> Result<Ledger, String> {
    let until = Instant::now() + Duration::from_secs(10);
    let bal = retry(rt, until, || rest.balance_ex()).ok_or("BalanceEx unreadable")?;
    let mut out = Ledger {
        base: Qty::ZERO,
        quote: Quote::ZERO,
    };
    for (code, b) in bal {
        let name = normalize_asset(&code);
        if name.wallet.is_some() {
            continue;
        }
        let v = b
            .balance
            .value()
            .map_err(|e| format!("BalanceEx {code}: {e}"))?;
        if name.name == cfg.base_asset {
            out.base = Qty::new(v);
        } else if name.name == cfg.quote_asset {
            out.quote = Quote::new(v);
        }
    }
    Ok(out)
}

fn audit_rows(at: Timestamp, c: &LedgerCheck, cfg: &ReconcileConfig) -> Vec<BalanceAudit> {
    vec![
        BalanceAudit {
            at,
            asset: cfg.base_asset.clone(),
            ours: Quote::new(c.ours.base.fixed()),
            exchange: Quote::new(c.exchange.base.fixed()),
            held_ours: Quote::ZERO,
            held_exchange: Quote::ZERO,
            ok: c.ours.base == c.exchange.base,
        },
        BalanceAudit {
            at,
            asset: cfg.quote_asset.clone(),
            ours: c.ours.quote,
            exchange: c.exchange.quote,
            held_ours: Quote::ZERO,
            held_exchange: Quote::ZERO,
            ok: c.ours.quote == c.exchange.quote,
        },
    ]
}

fn check_ledger<S: LiveStrategy<Transport = KrakenTransport>>(
    session: &mut LiveSession<S>,
    rest: &PrivateRest,
    rt: &tokio::runtime::Handle,
    cfg: &ReconcileConfig,
) -> Result<LedgerOutcome, LiveError> {
    let mut last = None;
    for attempt in 0..cfg.ledger_attempts.max(1) {
        if attempt > 0 {
            // A fill may have landed between our fills and the balance read: apply what
            // arrived, then read again.
            std::thread::sleep(Duration::from_millis(500));
            session.settle(now())?;
        }
        let exchange = match exchange_totals(rest, rt, cfg) {
            Ok(e) => e,
            Err(e) => return Ok(LedgerOutcome::Unreadable(e)),
        };
        session.settle(now())?;
        let at = now();
        let ours = match session.ledger() {
            Some(l) if !cfg.accept_balances => l,
            previous => {
                let action = OperatorAction {
                    at,
                    source: "restart".into(),
                    action: if previous.is_none() {
                        "ledger_adopted".into()
                    } else {
                        "ledger_accepted".into()
                    },
                    params: serde_json::json!({
                        "previous": previous.map(|l| [l.base.to_string(), l.quote.to_string()]),
                    })
                    .to_string(),
                    result: serde_json::json!({
                        "base": exchange.base.to_string(),
                        "quote": exchange.quote.to_string(),
                    })
                    .to_string(),
                };
                session.set_ledger(exchange, action);
                return Ok(LedgerOutcome::Adopted(exchange));
            }
        };
        let check = ours.check(exchange);
        session.audit(audit_rows(at, &check, cfg));
        if check.ok() {
            return Ok(LedgerOutcome::Matched(ours));
        }
        last = Some(check);
    }
    Ok(last.map_or_else(
        || LedgerOutcome::Unreadable("no attempt".into()),
        LedgerOutcome::Mismatch,
    ))
}
