//! [`MockConfig`]: what the mock trades, what it accepts and how fast it talks.
//!
//! Invariants:
//! - The defaults are Kraken's DOGE/USD as captured in `spec/kraken.md` §3.8 (tick 0.0000001,
//!   lot 0.00000001, `ordermin` 50, `costmin` 0.5, maker 0.25 %, taker 0.40 %) and its three
//!   names (REST `XDGUSD`, v1 `XDG/USD`, v2 `DOGE/USD`), so a connector that works against the
//!   mock resolves names the way it must against Kraken.
//! - SOL/USD ([`MockConfig::sol_usd`], [`sol_usd_instrument`]) is Kraken's as captured from
//!   `AssetPairs` in public client test fixtures (`spec/kraken.md` has no SOL/USD entry): REST
//!   pair `SOLUSD` (also its `altname`), `wsname` and v2 symbol `SOL/USD`, assets `SOL` and
//!   `ZUSD` (v2: `SOL`, `USD`), `tick_size` 0.01 (`pair_decimals` 2), `lot_decimals` 8,
//!   `ordermin` 0.06 SOL, `costmin` 0.5 USD, with the same entry-tier fees as DOGE/USD. SOL
//!   needs no legacy-name substitution, unlike DOGE's `XXDG`/`XDG`.
//! - Every duration the tests depend on (heartbeat, token lifetime, timer tick) is a field, so
//!   tests can make them short instead of sleeping.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use flywheel_core::{Instrument, Price, Qty, Quote, Ratio};
use flywheel_kraken::ratelimit::Tier;
use flywheel_kraken::secret::{ApiKey, ApiSecret, Credentials, SecretError};
use flywheel_venue::FillRule;

/// The names one market goes by on each protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketNames {
    /// REST pair key and `altname` (`XDGUSD`).
    pub rest_pair: String,
    /// REST `wsname`, the v1 name (`XDG/USD`): v2 refuses it.
    pub wsname: String,
    /// The v2 symbol (`DOGE/USD`).
    pub symbol: String,
    /// REST asset codes (`XXDG`, `ZUSD`): keys of `BalanceEx`.
    pub rest_base: String,
    pub rest_quote: String,
    /// v2 asset names (`DOGE`, `USD`): `balances` channel and fee assets.
    pub ws_base: String,
    pub ws_quote: String,
}

impl MarketNames {
    pub fn doge_usd() -> Self {
        MarketNames {
            rest_pair: "XDGUSD".into(),
            wsname: "XDG/USD".into(),
            symbol: "DOGE/USD".into(),
            rest_base: "XXDG".into(),
            rest_quote: "ZUSD".into(),
            ws_base: "DOGE".into(),
            ws_quote: "USD".into(),
        }
    }

    pub fn sol_usd() -> Self {
        MarketNames {
            rest_pair: "SOLUSD".into(),
            wsname: "SOL/USD".into(),
            symbol: "SOL/USD".into(),
            rest_base: "SOL".into(),
            rest_quote: "ZUSD".into(),
            ws_base: "SOL".into(),
            ws_quote: "USD".into(),
        }
    }
}

/// Replay a recorded market-data file through the public feed.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayConfig {
    pub path: PathBuf,
    /// Speed factor: 1.0 real time, 10.0 ten times faster. Non-positive or non-finite values
    /// mean "as fast as possible".
    pub speed: f64,
}

/// The mock's configuration (see the module docs).
#[derive(Clone, Debug)]
pub struct MockConfig {
    pub names: MarketNames,
    pub instrument: Instrument,
    pub start_base: Qty,
    pub start_quote: Quote,
    /// Last trade price before any print: the synthetic book and the post-only reference
    /// start here.
    pub start_price: Price,
    /// The one API key accepted.
    pub api_key: String,
    /// Its secret, base64 as Kraken shows it.
    pub api_secret_b64: String,
    /// Verification tier: trading counter threshold/decay and open-order cap (60/80/225).
    pub tier: Tier,
    /// `heartbeat` period on sockets that subscribed to anything.
    pub heartbeat: Duration,
    /// How long a `GetWebSocketsToken` token may wait before its first use.
    pub token_lifetime: Duration,
    /// Period of the background timer (dead-man switch).
    pub timer_tick: Duration,
    /// Port to bind on 127.0.0.1 (`None`: any free port).
    pub port: Option<u16>,
    pub replay: Option<ReplayConfig>,
    /// Distance between synthetic book levels, in ticks.
    pub book_step_ticks: i64,
    /// How a print at an order's price fills it (the simulated exchange's rule).
    pub fill_rule: FillRule,
    /// How many bps worse than the last print an IOC order executes (the simulated
    /// exchange's taker rule; the synthetic book is not matched against).
    pub ioc_half_spread_bps: Ratio,
    /// How long `TimeoutAfterApply` holds a response.
    pub timeout_hold: Duration,
}

/// The default secret: 32 fixed bytes, for tests and local runs only.
pub const DEFAULT_SECRET_BYTES: &[u8; 32] = b"flywheel-mock-kraken-secret-0001";
pub const DEFAULT_API_KEY: &str = "flywheel-mock-key";

/// Kraken's DOGE/USD trading rules.
pub fn doge_usd_instrument() -> Instrument {
    Instrument {
        symbol: "DOGE/USD".into(),
        price_decimals: 7,
        tick: Price::lit(1, 7),
        volume_decimals: 8,
        lot: Qty::lit(1, 8),
        min_volume: Qty::lit(50, 0),
        min_cost: Quote::lit(5, 1),
        maker_fee_pct: Ratio::lit(25, 2),
        taker_fee_pct: Ratio::lit(40, 2),
    }
}

/// Kraken's SOL/USD trading rules (see the module docs for where they come from).
pub fn sol_usd_instrument() -> Instrument {
    Instrument {
        symbol: "SOL/USD".into(),
        price_decimals: 2,
        tick: Price::lit(1, 2),
        volume_decimals: 8,
        lot: Qty::lit(1, 8),
        min_volume: Qty::lit(6, 2),
        min_cost: Quote::lit(5, 1),
        maker_fee_pct: Ratio::lit(25, 2),
        taker_fee_pct: Ratio::lit(40, 2),
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            names: MarketNames::doge_usd(),
            instrument: doge_usd_instrument(),
            start_base: Qty::lit(5000, 0),
            start_quote: Quote::lit(1000, 0),
            start_price: Price::lit(1_800_000, 7),
            api_key: DEFAULT_API_KEY.into(),
            api_secret_b64: base64::engine::general_purpose::STANDARD.encode(DEFAULT_SECRET_BYTES),
            tier: Tier::Starter,
            heartbeat: Duration::from_secs(1),
            token_lifetime: Duration::from_secs(900),
            timer_tick: Duration::from_millis(100),
            port: None,
            replay: None,
            book_step_ticks: 10,
            fill_rule: FillRule::Touch,
            ioc_half_spread_bps: flywheel_venue::sim::config::DEFAULT_IOC_HALF_SPREAD_BPS,
            timeout_hold: Duration::from_secs(3600),
        }
    }
}

impl MockConfig {
    /// The mock trading SOL/USD: Kraken's names and rules, an account of 10 SOL and 2000 USD,
    /// and a start price near SOL's recent range (the synthetic book sits there until the
    /// first print moves it).
    pub fn sol_usd() -> Self {
        MockConfig {
            names: MarketNames::sol_usd(),
            instrument: sol_usd_instrument(),
            start_base: Qty::lit(10, 0),
            start_quote: Quote::lit(2000, 0),
            start_price: Price::lit(150, 0),
            ..MockConfig::default()
        }
    }

    /// The configuration for the market whose v2 symbol is `symbol` (`DOGE/USD`, `SOL/USD`);
    /// `None` for a market the mock does not know.
    pub fn for_symbol(symbol: &str) -> Option<Self> {
        match symbol {
            "DOGE/USD" => Some(MockConfig::default()),
            "SOL/USD" => Some(MockConfig::sol_usd()),
            _ => None,
        }
    }

    /// The key pair a client must use.
    pub fn credentials(&self) -> Result<Credentials, SecretError> {
        Ok(Credentials {
            key: ApiKey::new(self.api_key.clone()),
            secret: ApiSecret::from_base64(&self.api_secret_b64)?,
        })
    }

    /// The tier's open-order cap per pair.
    pub fn max_open_orders(&self) -> u32 {
        self.tier.limits().max_open_orders
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sol_usd_has_krakens_names_and_rules() {
        let cfg = MockConfig::sol_usd();
        let n = &cfg.names;
        let names = [
            ("rest_pair", n.rest_pair.as_str(), "SOLUSD"),
            ("wsname", n.wsname.as_str(), "SOL/USD"),
            ("symbol", n.symbol.as_str(), "SOL/USD"),
            ("rest_base", n.rest_base.as_str(), "SOL"),
            ("rest_quote", n.rest_quote.as_str(), "ZUSD"),
            ("ws_base", n.ws_base.as_str(), "SOL"),
            ("ws_quote", n.ws_quote.as_str(), "USD"),
        ];
        for (field, got, want) in names {
            assert_eq!(got, want, "{field}");
        }
        let i = &cfg.instrument;
        assert_eq!(i.symbol, n.symbol, "the instrument names the v2 symbol");
        assert_eq!((i.price_decimals, i.tick), (2, Price::lit(1, 2)));
        assert_eq!((i.volume_decimals, i.lot), (8, Qty::lit(1, 8)));
        assert_eq!(i.min_volume, Qty::lit(6, 2));
        assert_eq!(i.min_cost, Quote::lit(5, 1));
        // The start price lies on the tick: the synthetic book's levels are valid prices.
        assert_eq!(
            cfg.start_price
                .round_to(i.tick, flywheel_core::Rounding::Floor)
                .ok(),
            Some(cfg.start_price)
        );
    }

    #[test]
    fn markets_are_picked_by_their_v2_symbol() {
        let cases = [
            ("DOGE/USD", Some("XDGUSD")),
            ("SOL/USD", Some("SOLUSD")),
            // v1 names and REST keys are not v2 symbols.
            ("XDG/USD", None),
            ("SOLUSD", None),
            ("", None),
        ];
        for (symbol, want) in cases {
            let got = MockConfig::for_symbol(symbol).map(|c| c.names.rest_pair);
            assert_eq!(got.as_deref(), want, "{symbol:?}");
            if let Some(c) = MockConfig::for_symbol(symbol) {
                assert_eq!(c.names.symbol, symbol);
                assert_eq!(c.instrument.symbol, symbol);
            }
        }
    }
}
