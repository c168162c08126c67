//! Range checks, their messages, the generated boundaries and the test driver itself.

use super::*;

#[derive(Debug, Default)]
struct Cfg {
    count: u32,
    pct: Ratio,
    gain: f64,
    opt: Option<Quote>,
}

const TABLE: &[KeyRange<Cfg>] = &[
    KeyRange {
        key: "count",
        get: |c| c.count.num(),
        min: Bound::Incl(Num::Int(1)),
        max: Bound::Incl(Num::Int(10)),
        unit: "",
        why: "a count",
    },
    KeyRange {
        key: "pct",
        get: |c| c.pct.num(),
        min: Bound::Excl(Num::dec(0, 0)),
        max: Bound::Excl(Num::dec(100, 0)),
        unit: "percent",
        why: "a share",
    },
    KeyRange {
        key: "gain",
        get: |c| c.gain.num(),
        min: Bound::Incl(Num::Float(0.0)),
        max: Bound::Incl(Num::Float(2.5)),
        unit: "",
        why: "a gain",
    },
    KeyRange {
        key: "opt",
        get: |c| c.opt.num(),
        min: Bound::Incl(Num::dec(0, 0)),
        max: MAX_BALANCE_BOUND,
        unit: "quote",
        why: "a pool",
    },
];
const MAX_BALANCE_BOUND: Bound = Bound::Incl(MAX_BALANCE);

fn set(key: &str, v: &Num) -> Option<Cfg> {
    let mut c = Cfg {
        count: 1,
        pct: Ratio::ONE,
        ..Cfg::default()
    };
    match (key, *v) {
        ("count", Num::Int(i)) => c.count = u32::try_from(i).ok()?,
        ("pct", Num::Dec(d)) => c.pct = Ratio::new(d),
        ("gain", Num::Float(f)) => c.gain = f,
        ("opt", Num::Dec(d)) => c.opt = Some(Quote::new(d)),
        _ => return None,
    }
    Some(c)
}

#[test]
fn messages_quote_value_range_unit_and_reason() {
    let cases = [
        (
            "below an inclusive min",
            Cfg {
                pct: Ratio::ONE,
                ..Cfg::default()
            },
            "count: must be between 1 and 10, not 0 (a count)",
        ),
        (
            "at an exclusive min",
            Cfg {
                count: 1,
                ..Cfg::default()
            },
            "pct: must be > 0 and < 100 percent, not 0 (a share)",
        ),
        (
            "NaN",
            Cfg {
                count: 1,
                pct: Ratio::ONE,
                gain: f64::NAN,
                opt: None,
            },
            "gain: must be between 0 and 2.5, not NaN (a gain)",
        ),
        (
            "an unset optional key is not checked",
            Cfg {
                count: 1,
                pct: Ratio::ONE,
                ..Cfg::default()
            },
            "",
        ),
    ];
    for (name, cfg, want) in cases {
        let got: Vec<String> = check_ranges(TABLE, &cfg)
            .iter()
            .map(ToString::to_string)
            .collect();
        let want: Vec<&str> = [want].into_iter().filter(|w| !w.is_empty()).collect();
        assert_eq!(got, want, "case {name}");
    }
}

#[test]
fn boundaries_of_every_kind() {
    assert_eq!(
        boundary_failures("t", TABLE, set),
        Vec::<String>::new(),
        "the driver accepts a correct table"
    );
    let names: Vec<(&str, String, bool)> = TABLE[1]
        .boundaries()
        .iter()
        .map(|b| (b.name, b.value.to_string(), b.in_range))
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "just above the excluded min",
                "0.000000001".to_string(),
                true
            ),
            ("excluded min", "0".to_string(), false),
            (
                "just below the excluded max",
                "99.999999999".to_string(),
                true
            ),
            ("excluded max", "100".to_string(), false),
        ]
    );
}

#[test]
fn the_driver_catches_broken_tables() {
    const BROKEN: &[KeyRange<Cfg>] = &[
        // Reads the wrong field.
        KeyRange {
            key: "count",
            get: |c| Some(Num::Int(i128::from(c.count) + 1)),
            min: Bound::Incl(Num::Int(1)),
            max: Bound::Incl(Num::Int(10)),
            unit: "",
            why: "",
        },
        // Inverted, and of the wrong kind for its key.
        KeyRange {
            key: "gain",
            get: |c| c.gain.num(),
            min: Bound::Incl(Num::Int(5)),
            max: Bound::Incl(Num::Int(1)),
            unit: "",
            why: "",
        },
        KeyRange {
            key: "count",
            get: |c| c.count.num(),
            min: Bound::Incl(Num::Int(1)),
            max: Bound::Incl(Num::Int(10)),
            unit: "",
            why: "",
        },
    ];
    let failures = boundary_failures("t", BROKEN, set);
    let has = |s: &str| failures.iter().any(|f| f.contains(s));
    assert!(has("t.count = 1 (min): the row reads another value"));
    assert!(has("t.gain: min is not below max"));
    assert!(has("t.gain = 5 (min): an in-range value cannot be set"));
    assert!(has("t.count: more than one row"));
}

#[test]
fn missing_ranges_lists_unranged_keys() {
    assert_eq!(
        missing_ranges(TABLE, ["count", "extra", "pct"]),
        vec!["extra"]
    );
}

#[test]
fn nudges() {
    let cases = [
        ("int up", Num::Int(5), true, Some(Num::Int(6))),
        ("int at the edge", Num::Int(i128::MIN), false, None),
        (
            "dec down",
            Num::dec(0, 0),
            false,
            Some(Num::Dec(Fixed::from_raw(-1))),
        ),
        (
            "float up",
            Num::Float(2.0),
            true,
            Some(Num::Float(2.0 + 2e-9)),
        ),
    ];
    for (name, v, up, want) in cases {
        assert_eq!(v.nudge(up), want, "case {name}");
    }
}
