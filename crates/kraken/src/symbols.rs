//! Pair and asset names per protocol.
//!
//! One market has several names (kraken.md §3.7–3.8):
//!
//! | | DOGE/USD | SOL/USD |
//! |---|---|---|
//! | REST `AssetPairs` key (what REST requests and replies use) | `XDGUSD` | `SOLUSD` |
//! | REST `altname` | `XDGUSD` | `SOLUSD` |
//! | REST `wsname` (WS v1) | `XDG/USD` | `SOL/USD` |
//! | REST `base` / `quote` assets | `XXDG` / `ZUSD` | `SOL` / `ZUSD` |
//! | WS v2 `symbol` | `DOGE/USD` | `SOL/USD` |
//!
//! WS v2 rejects `XDG/USD` ("Currency pair not supported"), and REST rejects `XXDGZUSD`
//! (`EQuery:Unknown asset pair`), so neither name is ever built by string surgery on another
//! protocol's name: the v2 symbol comes from the normalised `base`/`quote` assets, the REST
//! name from the `AssetPairs` key, and a [`PairDirectory`] maps between them.
//!
//! Invariants: [`normalize_asset`] is a fixed table plus two aliases (`XBT`→`BTC`,
//! `XDG`→`DOGE`), never a guess on a prefix (`XTZ` is Tezos, not "TZ"); a lookup that fails
//! is an error naming the symbol and the protocol.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::rest::market::AssetPair;

#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum SymbolError {
    #[error("no Kraken pair for WS v2 symbol {0:?} in AssetPairs")]
    UnknownV2(String),
    #[error("no Kraken pair named {0:?} (REST key, altname or v1 wsname) in AssetPairs")]
    UnknownRest(String),
}

/// A Kraken asset code split into the common name and a wallet suffix (`DOGE.F` → `DOGE`,
/// `F`: the earn/staking wallets `.F .S .M .B .T` of BalanceEx).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Asset {
    pub name: String,
    pub wallet: Option<String>,
}

/// Legacy four-letter REST codes and their common names.
const LEGACY: &[(&str, &str)] = &[
    ("XXBT", "BTC"),
    ("XETH", "ETH"),
    ("XXDG", "DOGE"),
    ("XLTC", "LTC"),
    ("XXRP", "XRP"),
    ("XXLM", "XLM"),
    ("XXMR", "XMR"),
    ("XZEC", "ZEC"),
    ("XETC", "ETC"),
    ("XREP", "REP"),
    ("XMLN", "MLN"),
    ("ZUSD", "USD"),
    ("ZEUR", "EUR"),
    ("ZGBP", "GBP"),
    ("ZCAD", "CAD"),
    ("ZJPY", "JPY"),
    ("ZAUD", "AUD"),
    ("ZCHF", "CHF"),
];

/// The common (WS v2) name of a REST asset code.
pub fn normalize_asset(code: &str) -> Asset {
    let (base, wallet) = match code.split_once('.') {
        Some((b, w)) => (b, Some(w.to_string())),
        None => (code, None),
    };
    let name = LEGACY
        .iter()
        .find(|(k, _)| *k == base)
        .map(|(_, v)| *v)
        .unwrap_or(base);
    let name = match name {
        "XBT" => "BTC",
        "XDG" => "DOGE",
        other => other,
    };
    Asset {
        name: name.to_string(),
        wallet,
    }
}

/// A v1 `wsname` (`XDG/USD`, `XBT/EUR`) as a v2 symbol (`DOGE/USD`, `BTC/EUR`).
pub fn v2_from_v1(wsname: &str) -> String {
    match wsname.split_once('/') {
        Some((b, q)) => format!("{}/{}", normalize_asset(b).name, normalize_asset(q).name),
        None => wsname.to_string(),
    }
}

/// Every name of one pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairNames {
    /// The `AssetPairs` key: what REST requests send and REST replies are keyed by.
    pub rest: String,
    pub altname: String,
    /// The v1 WebSocket name (`XDG/USD`); never sent to WS v2.
    pub wsname_v1: Option<String>,
    /// The WS v2 symbol (`DOGE/USD`).
    pub v2: String,
    /// Common names of the base and quote assets (`DOGE`, `USD`).
    pub base: String,
    pub quote: String,
}

impl PairNames {
    pub fn from_asset_pair(key: &str, pair: &AssetPair) -> Self {
        let base = normalize_asset(&pair.base).name;
        let quote = normalize_asset(&pair.quote).name;
        PairNames {
            rest: key.to_string(),
            altname: pair.altname.clone(),
            wsname_v1: pair.wsname.clone(),
            v2: format!("{base}/{quote}"),
            base,
            quote,
        }
    }
}

/// Names of every pair in an `AssetPairs` reply, looked up by any protocol's name.
#[derive(Clone, Debug, Default)]
pub struct PairDirectory {
    by_v2: BTreeMap<String, PairNames>,
}

impl PairDirectory {
    pub fn from_asset_pairs(pairs: &BTreeMap<String, AssetPair>) -> Self {
        let by_v2 = pairs
            .iter()
            .map(|(key, p)| {
                let names = PairNames::from_asset_pair(key, p);
                (names.v2.clone(), names)
            })
            .collect();
        PairDirectory { by_v2 }
    }

    /// By WS v2 symbol (`DOGE/USD`).
    pub fn by_v2(&self, symbol: &str) -> Result<&PairNames, SymbolError> {
        self.by_v2
            .get(symbol)
            .ok_or_else(|| SymbolError::UnknownV2(symbol.to_string()))
    }

    /// By a REST name: the key, the altname or the v1 wsname (`XDGUSD`, `XDG/USD`).
    pub fn by_rest(&self, name: &str) -> Result<&PairNames, SymbolError> {
        self.by_v2
            .values()
            .find(|n| n.rest == name || n.altname == name || n.wsname_v1.as_deref() == Some(name))
            .ok_or_else(|| SymbolError::UnknownRest(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_table() {
        let cases = [
            ("XXDG", "DOGE", None),
            ("XDG", "DOGE", None),
            ("XXBT", "BTC", None),
            ("XBT", "BTC", None),
            ("ZUSD", "USD", None),
            ("SOL", "SOL", None),
            ("XTZ", "XTZ", None),
            ("USDT", "USDT", None),
            ("DOGE.F", "DOGE", Some("F")),
            ("XXBT.M", "BTC", Some("M")),
            ("SOL.S", "SOL", Some("S")),
        ];
        for (code, name, wallet) in cases {
            let a = normalize_asset(code);
            assert_eq!(a.name, name, "case {code}");
            assert_eq!(a.wallet.as_deref(), wallet, "case {code}");
        }
    }

    #[test]
    fn v1_to_v2_table() {
        for (v1, v2) in [
            ("XDG/USD", "DOGE/USD"),
            ("XBT/USD", "BTC/USD"),
            ("SOL/USD", "SOL/USD"),
            ("XBT/EUR", "BTC/EUR"),
        ] {
            assert_eq!(v2_from_v1(v1), v2, "case {v1}");
        }
    }
}
