//! The maker's order events as structured log lines (tracing, target `flywheel::orders`, as
//! the grid's [`crate::order_log`]): placements, acks, refusals, cancels, fills and order
//! ends, each with its role (`quote_buy`, `quote_sell`, `hedge_passive`, `hedge_ioc`) and
//! `cl_ord_id`. The maker has no slots, so no slot is named. A journal sink that forwards
//! every record to the sink it wraps, so the journal is unchanged.
//!
//! Invariant: a fill or cancel whose record carries no role (an order this run did not place)
//! logs `role=-`; nothing is dropped from the journal because it was logged.

use flywheel_engine::maker_journal::{MakerRecord, MakerRole, MakerSink};
use flywheel_venue::OrderKind;

/// Wraps a maker journal sink and logs order events.
#[derive(Debug)]
pub struct MakerOrderLog<J: MakerSink> {
    inner: J,
}

impl<J: MakerSink> MakerOrderLog<J> {
    pub fn new(inner: J) -> Self {
        MakerOrderLog { inner }
    }

    pub fn into_inner(self) -> J {
        self.inner
    }
}

/// The role as one word for the log line.
pub fn role_name(role: Option<MakerRole>) -> &'static str {
    match role {
        Some(MakerRole::Quote(flywheel_core::Side::Buy)) => "quote_buy",
        Some(MakerRole::Quote(flywheel_core::Side::Sell)) => "quote_sell",
        Some(MakerRole::HedgePassive) => "hedge_passive",
        Some(MakerRole::HedgeIoc) => "hedge_ioc",
        None => "-",
    }
}

fn kind_name(kind: OrderKind) -> &'static str {
    match kind {
        OrderKind::PostOnly => "post_only",
        OrderKind::Ioc => "ioc",
    }
}

impl<J: MakerSink> MakerSink for MakerOrderLog<J> {
    fn enabled(&self) -> bool {
        // Records are built for the log even when the wrapped sink keeps none.
        true
    }

    fn record(&mut self, rec: &MakerRecord<'_>) {
        match rec {
            MakerRecord::Placed {
                cl_ord_id,
                role,
                side,
                price,
                qty,
                order,
                ..
            } => {
                let role = role_name(Some(*role));
                let order = kind_name(*order);
                tracing::info!(target: "flywheel::orders", role, cl_ord_id, side = side.as_str(), %price, %qty, order, "placed");
            }
            MakerRecord::Acked {
                cl_ord_id,
                txid,
                role,
                ..
            } => {
                let role = role_name(Some(*role));
                tracing::info!(target: "flywheel::orders", role, cl_ord_id, txid, "acked");
            }
            MakerRecord::PlaceRejected {
                role,
                side,
                price,
                qty,
                reason,
                ..
            } => {
                let role = role_name(Some(*role));
                tracing::warn!(target: "flywheel::orders", role, side = side.as_str(), %price, %qty, reason, "place refused");
            }
            MakerRecord::Cancelled {
                cl_ord_id, role, ..
            } => {
                let role = role_name(*role);
                tracing::info!(target: "flywheel::orders", role, cl_ord_id, "cancel requested");
            }
            MakerRecord::Fill {
                cl_ord_id,
                role,
                side,
                price,
                qty,
                fee,
                leaves,
                inventory,
                ..
            } => {
                let role = role_name(*role);
                tracing::info!(target: "flywheel::orders", role, cl_ord_id, side = side.as_str(), %price, %qty, %fee, %leaves, %inventory, "fill");
            }
            MakerRecord::Done {
                cl_ord_id,
                role,
                filled,
                ..
            } => {
                let role = role_name(Some(*role));
                tracing::info!(target: "flywheel::orders", role, cl_ord_id, %filled, "done");
            }
            MakerRecord::Halt { reason, .. } => {
                tracing::error!(target: "flywheel::orders", reason, "quoting halted");
            }
            MakerRecord::Quote { .. }
            | MakerRecord::Requote { .. }
            | MakerRecord::Operator { .. }
            | MakerRecord::Status { .. } => {}
        }
        if self.inner.enabled() {
            self.inner.record(rec);
        }
    }

    fn venue_event(&mut self, ev: &flywheel_venue::VenueEvent) {
        self.inner.venue_event(ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flywheel_core::{Price, Qty, Quote, Side, Timestamp};

    #[derive(Default)]
    struct Keep(Vec<String>);
    impl MakerSink for Keep {
        fn enabled(&self) -> bool {
            true
        }
        fn record(&mut self, rec: &MakerRecord<'_>) {
            self.0.push(serde_json::to_string(rec).expect("serializes"));
        }
    }

    #[test]
    fn every_record_reaches_the_wrapped_journal_unchanged() {
        let ts = Timestamp::from_millis(1_000);
        let (price, qty) = (Price::lit(15_025, 2), Qty::lit(75, 3));
        let recs = [
            MakerRecord::Placed {
                ts,
                cl_ord_id: "fw1",
                role: MakerRole::Quote(Side::Buy),
                side: Side::Buy,
                price,
                qty,
                order: OrderKind::PostOnly,
            },
            MakerRecord::Acked {
                ts,
                cl_ord_id: "fw1",
                txid: "O-1",
                role: MakerRole::Quote(Side::Buy),
            },
            MakerRecord::Fill {
                ts,
                cl_ord_id: "fw1",
                role: None,
                side: Side::Buy,
                price,
                qty,
                fee: Quote::ZERO,
                leaves: Qty::ZERO,
                inventory: qty,
                fifo_realized: Quote::ZERO,
            },
            MakerRecord::Done {
                ts,
                cl_ord_id: "fw1",
                role: MakerRole::HedgeIoc,
                filled: qty,
            },
        ];
        let mut direct = Keep::default();
        let mut logged = MakerOrderLog::new(Keep::default());
        for r in &recs {
            direct.record(r);
            logged.record(r);
        }
        assert_eq!(logged.into_inner().0, direct.0);
    }

    #[test]
    fn roles_have_one_word_names() {
        let cases = [
            (Some(MakerRole::Quote(Side::Buy)), "quote_buy"),
            (Some(MakerRole::Quote(Side::Sell)), "quote_sell"),
            (Some(MakerRole::HedgePassive), "hedge_passive"),
            (Some(MakerRole::HedgeIoc), "hedge_ioc"),
            (None, "-"),
        ];
        for (role, want) in cases {
            assert_eq!(role_name(role), want, "{role:?}");
        }
    }
}
