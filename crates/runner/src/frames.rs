//! Raw public frames: the market feed's WebSocket frames, verbatim, decoded into the trade
//! prints a session applies. A paper session records the frames themselves (not what it
//! made of them), and a replay or `flywheel backtest` decodes the recording with this same
//! decoder, so both runs apply the same prints at the same stamps.
//!
//! Invariants:
//! - Decoding is pure and deterministic: the same frames give the same prints, in the order
//!   the frames list them.
//! - A feed is one symbol: the first trade fixes it, and a trade of another symbol is an
//!   error (a recording of two markets would mix their prices into one mark), never skipped.
//! - Frames other than trades (book, ticker, heartbeats, replies) decode to no prints; a
//!   frame that does not parse is an error naming what failed.

use flywheel_core::{Price, Qty, Side};
use flywheel_kraken::ws::{parse_message, WsMessage};

/// One public trade taken from a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Print {
    pub price: Price,
    pub qty: Qty,
    pub side: Side,
}

/// Decodes one feed's frames, in order.
#[derive(Clone, Debug, Default)]
pub struct FrameDecoder {
    symbol: Option<String>,
}

impl FrameDecoder {
    /// The symbol the feed's trades are of (`None` before the first trade).
    pub fn symbol(&self) -> Option<&str> {
        self.symbol.as_deref()
    }

    /// The trade prints in `raw` (none for a frame of another channel).
    pub fn prints(&mut self, raw: &str) -> Result<Vec<Print>, String> {
        let msg = parse_message(raw).map_err(|e| e.to_string())?;
        let WsMessage::Trade(t) = msg else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(t.data.len());
        for d in t.data {
            match &self.symbol {
                None => self.symbol = Some(d.symbol.clone()),
                Some(s) if *s != d.symbol => {
                    return Err(format!(
                        "a trade of {} in a feed of {s} (trade_id {})",
                        d.symbol, d.trade_id
                    ))
                }
                Some(_) => {}
            }
            out.push(Print {
                price: d.price,
                qty: d.qty,
                side: d.side,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(symbol: &str, price: &str, id: u64) -> String {
        format!(
            r#"{{"channel":"trade","type":"update","data":[{{"symbol":"{symbol}","side":"buy","price":{price},"qty":120.5,"ord_type":"limit","trade_id":{id},"timestamp":"2026-11-30T10:00:00.123456Z"}}]}}"#
        )
    }

    #[test]
    fn frames_decode_to_their_prints_and_nothing_else() {
        let p = |s: &str| s.parse::<Price>().expect("price");
        // (name, frames in order, prints expected after each, error expected)
        type Case = (&'static str, Vec<String>, Vec<usize>, Option<&'static str>);
        let cases: &[Case] = &[
            (
                "a trade frame gives its print",
                vec![trade("DOGE/USD", "0.18", 1)],
                vec![1],
                None,
            ),
            (
                "heartbeats and books give none",
                vec![
                    r#"{"channel":"heartbeat"}"#.into(),
                    r#"{"channel":"book","type":"snapshot","data":[{"symbol":"DOGE/USD","bids":[],"asks":[],"checksum":0}]}"#.into(),
                    trade("DOGE/USD", "0.18", 2),
                ],
                vec![0, 0, 1],
                None,
            ),
            (
                "a second symbol is an error",
                vec![trade("DOGE/USD", "0.18", 1), trade("SOL/USD", "140", 2)],
                vec![1],
                Some("a trade of SOL/USD in a feed of DOGE/USD"),
            ),
            (
                "a broken frame is an error",
                vec![r#"{"channel":"trade","type":"update","data":[{"symbol":"#.into()],
                vec![],
                Some("WS frame"),
            ),
        ];
        for (name, frames, counts, error) in cases {
            let mut d = FrameDecoder::default();
            let mut got = Vec::new();
            let mut err = None;
            for f in frames {
                match d.prints(f) {
                    Ok(v) => got.push(v.len()),
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
            }
            assert_eq!(&got, counts, "{name}");
            match (error, err) {
                (None, None) => {}
                (Some(want), Some(e)) => assert!(e.contains(want), "{name}: {e}"),
                (want, got) => panic!("{name}: error {want:?} vs {got:?}"),
            }
        }
        let mut d = FrameDecoder::default();
        let prints = d.prints(&trade("DOGE/USD", "0.1834", 9)).expect("decodes");
        assert_eq!(
            prints,
            vec![Print {
                price: p("0.1834"),
                qty: "120.5".parse().expect("qty"),
                side: Side::Buy
            }]
        );
        assert_eq!(d.symbol(), Some("DOGE/USD"));
    }
}
