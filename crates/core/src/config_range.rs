//! Documented ranges for numeric configuration keys: one table per section, checked by one
//! function, and boundary test cases generated from the same table.
//!
//! # Why these budgets
//!
//! Money is [`Fixed`]: an `i64` of nano-units, so every amount must stay below
//! ±9.2 × 10⁹. Products (`price × volume`, percentages of amounts) are computed in `i128` and
//! *checked*: an oversized product is an error the engine handles, never a wrap. Sums
//! (balances, totals over slots) use plain `+`, which panics on overflow (overflow checks
//! are on in every profile): so the configuration must keep every sum the engine forms from
//! it well inside the range. The budgets every section's table uses:
//!
//! - [`MAX_BALANCE`] = 10⁹: a balance, pool, buffer or loss limit in quote (or base) units.
//!   The design point — a year of 1-second loops with 10 million quote — sits 100× below,
//!   and a start of 10⁸ quote is allowed. Balance plus everything committed in orders stays
//!   below 3 × 10⁹, a 3× margin under the `Fixed` limit.
//! - [`MAX_ORDER`] = 10⁶: one order's size in quote, or an instrument's minimum volume or
//!   cost. With at most [`MAX_SLOTS`] = 1000 slots, a sum over all slots stays ≤ 10⁹.
//! - [`MAX_SLOTS`] = 1000: any count that sizes memory (slots, rangers, kept history). The
//!   Kraken open-order cap is 225 per pair, so more than 1000 of anything order-like cannot
//!   trade anyway, and 1000 × the per-slot state is a few megabytes.
//! - [`MAX_DURATION_SEC`] = 30 days for cooldowns and timeouts, [`DAY_SEC`] for cadences
//!   and staleness. Timestamps saturate, so larger values could not overflow, but a cooldown
//!   longer than a month is a typo, not a strategy.
//! - Percentages: a distance from market ≤ 50 % (a buy at `market × (1 − p/100)` stays
//!   positive and the grid stays a grid), fees ≤ 5 % (exchanges charge < 1 %).
//!
//! Not covered by any configuration range: totals that grow with the *length* of a run
//! (volume and quote flows summed over every fill). They depend on turnover, not on a key,
//! and must be accumulated with checked or wider arithmetic by the engine.
//!
//! # Using a table
//!
//! Each section declares `&[KeyRange<Section>]` with [`key_ranges!`](crate::key_ranges), one
//! row per numeric key: the field, its minimum ([`ge`] or [`gt`]) and maximum ([`le`] or
//! [`lt`]), its unit and a short reason. The row reads the field of the same name, so a row
//! cannot check one key under another's name.
//! [`check_ranges`] reports every value outside its row as an error that quotes the value,
//! the range and the reason. [`boundary_failures`] drives a section's tests: for every row,
//! the minimum and maximum pass and the values just outside fail.

use std::cmp::Ordering;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::config_problem::ConfigProblem;
use crate::fixed::Fixed;
use crate::money::{Price, Qty, Quote, Ratio};

/// Largest balance-like amount (quote or base units): 10⁹.
pub const MAX_BALANCE: Num = Num::dec(1_000_000_000, 0);
/// Largest per-order amount (an order's quote size, an instrument minimum): 10⁶.
pub const MAX_ORDER: Num = Num::dec(1_000_000, 0);
/// Largest count of anything that sizes memory (slots, rangers, kept records).
pub const MAX_SLOTS: Num = Num::Int(1000);
/// Longest cooldown or timeout: 30 days, in seconds.
pub const MAX_DURATION_SEC: Num = Num::Int(30 * 86_400);
/// One day, in seconds: the longest cadence or staleness limit.
pub const DAY_SEC: Num = Num::Int(86_400);

/// Integer literal for a table.
pub const fn int(v: i128) -> Num {
    Num::Int(v)
}

/// Exact decimal literal `mantissa × 10^-decimals` for a table.
pub const fn dec(mantissa: i64, decimals: u32) -> Num {
    Num::dec(mantissa, decimals)
}

/// Float literal for a table.
pub const fn float(v: f64) -> Num {
    Num::Float(v)
}

/// Minimum, inclusive: `>= v`.
pub const fn ge(v: Num) -> Bound {
    Bound::Incl(v)
}

/// Minimum, exclusive: `> v`.
pub const fn gt(v: Num) -> Bound {
    Bound::Excl(v)
}

/// Maximum, inclusive: `<= v`.
pub const fn le(v: Num) -> Bound {
    Bound::Incl(v)
}

/// Maximum, exclusive: `< v`.
pub const fn lt(v: Num) -> Bound {
    Bound::Excl(v)
}

/// A range table for the fields of a section struct, one row per field:
///
/// ```
/// use flywheel_core::config_range::{ge, gt, int, le, KeyRange, dec};
/// struct Section { slots: u32, pct: flywheel_core::Ratio }
/// const RANGES: &[KeyRange<Section>] = flywheel_core::key_ranges! { Section;
///     slots: ge(int(1)), le(int(1000)), "", "bounds memory";
///     pct: gt(dec(0, 0)), le(dec(50, 0)), "percent", "a distance from market";
/// };
/// ```
#[macro_export]
macro_rules! key_ranges {
    ($cfg:ty; $($key:ident: $min:expr, $max:expr, $unit:expr, $why:expr;)*) => {
        &[$($crate::config_range::KeyRange::<$cfg> {
            key: stringify!($key),
            get: |c| $crate::config_range::ToNum::num(c.$key),
            min: $min,
            max: $max,
            unit: $unit,
            why: $why,
        },)*]
    };
}

/// A configuration value as the range check sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// Any integer key (`u32`, `u64`, `usize`).
    Int(i128),
    /// Any exact decimal key (`Fixed`, `Price`, `Qty`, `Quote`, `Ratio`).
    Dec(Fixed),
    /// Any controller key (`f64`).
    Float(f64),
}

impl Num {
    /// An exact decimal literal `mantissa × 10^-decimals`, for tables.
    pub const fn dec(mantissa: i64, decimals: u32) -> Num {
        Num::Dec(Fixed::lit(mantissa, decimals))
    }

    /// The nearest representable value above (`up`) or below this one: one integer, one
    /// nano-unit, or one part in 10⁹ for a float (at least 10⁻⁹).
    pub fn nudge(self, up: bool) -> Option<Num> {
        let sign: i64 = if up { 1 } else { -1 };
        match self {
            Num::Int(v) => v.checked_add(i128::from(sign)).map(Num::Int),
            Num::Dec(f) => f
                .raw()
                .checked_add(sign)
                .map(|raw| Num::Dec(Fixed::from_raw(raw))),
            Num::Float(v) => {
                let step = v.abs().max(1.0) * 1e-9;
                Some(Num::Float(v + step * sign as f64))
            }
        }
    }
}

impl PartialOrd for Num {
    /// Values of different kinds are unordered, so a table row of the wrong kind fails
    /// every check instead of comparing nonsense.
    fn partial_cmp(&self, other: &Num) -> Option<Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a.partial_cmp(b),
            (Num::Dec(a), Num::Dec(b)) => a.partial_cmp(b),
            (Num::Float(a), Num::Float(b)) => a.partial_cmp(b),
            _ => None,
        }
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Int(v) => write!(f, "{v}"),
            Num::Dec(v) => write!(f, "{v}"),
            Num::Float(v) => write!(f, "{v}"),
        }
    }
}

impl Serialize for Num {
    /// As a config file would hold it: integers and floats as numbers, decimals as strings
    /// (exact).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Num::Int(v) => s.serialize_i128(*v),
            Num::Dec(v) => v.serialize(s),
            Num::Float(v) => s.serialize_f64(*v),
        }
    }
}

/// A key's value as a [`Num`]; `None` for an optional key that is unset.
pub trait ToNum {
    fn num(self) -> Option<Num>;
}

macro_rules! to_num {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl ToNum for $t {
            fn num(self) -> Option<Num> {
                let $v = self;
                Some($e)
            }
        }
    )*};
}
to_num!(
    u32 => |v| Num::Int(i128::from(v)),
    u64 => |v| Num::Int(i128::from(v)),
    i64 => |v| Num::Int(i128::from(v)),
    usize => |v| Num::Int(i128::try_from(v).unwrap_or(i128::MAX)),
    Fixed => |v| Num::Dec(v),
    Price => |v| Num::Dec(v.fixed()),
    Qty => |v| Num::Dec(v.fixed()),
    Quote => |v| Num::Dec(v.fixed()),
    Ratio => |v| Num::Dec(v.fixed()),
);

impl ToNum for f64 {
    fn num(self) -> Option<Num> {
        Some(Num::Float(self))
    }
}

impl<T: ToNum> ToNum for Option<T> {
    fn num(self) -> Option<Num> {
        self.and_then(ToNum::num)
    }
}

/// One end of a range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// The end value itself is allowed.
    Incl(Num),
    /// Only values strictly beyond the end are allowed.
    Excl(Num),
}

impl Bound {
    fn value(self) -> Num {
        match self {
            Bound::Incl(v) | Bound::Excl(v) => v,
        }
    }
}

/// The documented range of one numeric key of section `C`.
#[derive(Debug)]
pub struct KeyRange<C> {
    /// The key inside its section.
    pub key: &'static str,
    /// Reads the value (`None`: an optional key that is unset, not checked).
    pub get: fn(&C) -> Option<Num>,
    pub min: Bound,
    pub max: Bound,
    /// Unit shown after the range, e.g. `seconds` (empty for plain numbers).
    pub unit: &'static str,
    /// Why the range is what it is, shown with every error.
    pub why: &'static str,
}

impl<C> KeyRange<C> {
    /// The error for this key's value in `cfg`, if it is out of range.
    pub fn check(&self, cfg: &C) -> Option<ConfigProblem> {
        let value = (self.get)(cfg)?;
        check_range(self.key, value, self.min, self.max, self.unit, self.why)
    }

    /// `between 1 and 3600 seconds`, `> 0 and <= 50 percent`, …
    pub fn describe(&self) -> String {
        describe(self.min, self.max, self.unit)
    }

    /// The values at and just beyond each end, each with whether it is in range.
    pub fn boundaries(&self) -> Vec<Boundary> {
        let mut out = Vec::with_capacity(4);
        let mut push = |name, value: Option<Num>, in_range| {
            if let Some(value) = value {
                out.push(Boundary {
                    name,
                    value,
                    in_range,
                });
            }
        };
        match self.min {
            Bound::Incl(m) => {
                push("min", Some(m), true);
                push("below min", m.nudge(false), false);
            }
            Bound::Excl(m) => {
                push("just above the excluded min", m.nudge(true), true);
                push("excluded min", Some(m), false);
            }
        }
        match self.max {
            Bound::Incl(m) => {
                push("max", Some(m), true);
                push("above max", m.nudge(true), false);
            }
            Bound::Excl(m) => {
                push("just below the excluded max", m.nudge(false), true);
                push("excluded max", Some(m), false);
            }
        }
        out
    }
}

/// One generated boundary case of a [`KeyRange`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Boundary {
    pub name: &'static str,
    pub value: Num,
    pub in_range: bool,
}

/// `value` of `key` against `[min, max]`: `None` when inside, else an error quoting the
/// value, the range and the reason. NaN is outside every range.
pub fn check_range(
    key: &'static str,
    value: Num,
    min: Bound,
    max: Bound,
    unit: &'static str,
    why: &'static str,
) -> Option<ConfigProblem> {
    let above_min = match min {
        Bound::Incl(m) => value >= m,
        Bound::Excl(m) => value > m,
    };
    let below_max = match max {
        Bound::Incl(m) => value <= m,
        Bound::Excl(m) => value < m,
    };
    if above_min && below_max {
        return None;
    }
    let range = describe(min, max, unit);
    Some(ConfigProblem::error(
        key,
        format!("must be {range}, not {value} ({why})"),
    ))
}

fn describe(min: Bound, max: Bound, unit: &str) -> String {
    let range = match (min, max) {
        (Bound::Incl(a), Bound::Incl(b)) => format!("between {a} and {b}"),
        (Bound::Excl(a), Bound::Incl(b)) => format!("> {a} and <= {b}"),
        (Bound::Incl(a), Bound::Excl(b)) => format!(">= {a} and < {b}"),
        (Bound::Excl(a), Bound::Excl(b)) => format!("> {a} and < {b}"),
    };
    if unit.is_empty() {
        range
    } else {
        format!("{range} {unit}")
    }
}

/// Every value of `cfg` outside its row of `table`, in table order.
pub fn check_ranges<C>(table: &[KeyRange<C>], cfg: &C) -> Vec<ConfigProblem> {
    table.iter().filter_map(|row| row.check(cfg)).collect()
}

/// Test driver: for every row of `table` and each of its [`KeyRange::boundaries`], build a
/// configuration with `set(key, value)` (`None` when the value cannot even be represented in
/// the key's type, which counts as refused) and check that the row reads back that value and
/// accepts it exactly when it is in range. Also checks that every row's minimum is below its
/// maximum and that no key has two rows. Returns one line per failure, naming
/// `section.key` and the case.
pub fn boundary_failures<C>(
    section: &str,
    table: &[KeyRange<C>],
    set: impl Fn(&str, &Num) -> Option<C>,
) -> Vec<String> {
    let mut failures = Vec::new();
    for (i, row) in table.iter().enumerate() {
        let key = format!("{section}.{}", row.key);
        if table[..i].iter().any(|r| r.key == row.key) {
            failures.push(format!("{key}: more than one row"));
        }
        if row.min.value().partial_cmp(&row.max.value()) != Some(Ordering::Less) {
            failures.push(format!("{key}: min is not below max"));
        }
        for case in row.boundaries() {
            let what = format!("{key} = {} ({})", case.value, case.name);
            let Some(cfg) = set(row.key, &case.value) else {
                if case.in_range {
                    failures.push(format!("{what}: an in-range value cannot be set"));
                }
                continue;
            };
            if (row.get)(&cfg) != Some(case.value) {
                failures.push(format!("{what}: the row reads another value"));
            }
            match (row.check(&cfg), case.in_range) {
                (Some(p), true) => failures.push(format!("{what}: refused: {p}")),
                (None, false) => failures.push(format!("{what}: accepted")),
                _ => {}
            }
        }
    }
    failures
}

/// The numeric `keys` of a section that have no row in `table`.
pub fn missing_ranges<'a, C>(
    table: &[KeyRange<C>],
    keys: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    keys.into_iter()
        .filter(|k| !table.iter().any(|row| row.key == *k))
        .collect()
}

#[cfg(test)]
#[path = "config_range_tests.rs"]
mod tests;

/// Helpers for each section's range tests (feature `testkit`, used as a dev-dependency).
#[cfg(feature = "testkit")]
pub mod testkit {
    use super::Num;

    /// `base` with `key` set to `value` the way a config file sets it (`None` when the
    /// value does not deserialize into the key's type).
    pub fn set<C: serde::Serialize + serde::de::DeserializeOwned>(
        base: &C,
        key: &str,
        value: &Num,
    ) -> Option<C> {
        let mut json = serde_json::to_value(base).ok()?;
        json.as_object_mut()?
            .insert(key.to_string(), serde_json::to_value(value).ok()?);
        serde_json::from_value(json).ok()
    }

    /// The keys of `cfg` whose serialized value is a number (or an exact decimal string).
    pub fn numeric_keys<C: serde::Serialize>(cfg: &C) -> Vec<String> {
        let Ok(serde_json::Value::Object(map)) = serde_json::to_value(cfg) else {
            return Vec::new();
        };
        map.iter()
            .filter(|(_, v)| v.is_number() || v.as_str().is_some_and(|s| s.parse::<f64>().is_ok()))
            .map(|(k, _)| k.clone())
            .collect()
    }
}
