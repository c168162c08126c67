//! Exact fixed-point arithmetic: parsing, display, rounding modes, overflow, and the property tests.

use super::*;
use proptest::prelude::*;

fn f(s: &str) -> Fixed {
    s.parse().unwrap()
}

#[test]
fn parse_and_print_table() {
    let cases = [
        ("integer", "20", "20"),
        ("fraction", "0.0998", "0.0998"),
        ("trailing zeros dropped", "1.500000", "1.5"),
        ("leading point", ".5", "0.5"),
        ("trailing point", "7.", "7"),
        ("negative", "-0.000000001", "-0.000000001"),
        ("plus sign", "+3.25", "3.25"),
        ("surplus zero digits", "0.1000000000000", "0.1"),
        ("nine decimals", "123.123456789", "123.123456789"),
    ];
    for (name, input, want) in cases {
        assert_eq!(f(input).to_string(), want, "case {name}");
    }
}

#[test]
fn parse_errors_table() {
    let cases = [
        ("empty", ""),
        ("just a point", "."),
        ("letters", "1a"),
        ("exponent", "1e5"),
        ("two points", "1.2.3"),
        ("ten significant decimals", "0.1234567891"),
        ("too large", "99999999999"),
    ];
    for (name, input) in cases {
        assert!(input.parse::<Fixed>().is_err(), "case {name} should fail");
    }
    assert!(matches!(
        "0.0000000001".parse::<Fixed>(),
        Err(FixedError::TooPrecise(_))
    ));
}

#[test]
fn rounding_modes_table() {
    // (name, value, decimals, mode, expected)
    let cases = [
        (
            "half-even tie down",
            "0.00125",
            4,
            Rounding::HalfEven,
            "0.0012",
        ),
        (
            "half-even tie to even",
            "0.1002500",
            4,
            Rounding::HalfEven,
            "0.1002",
        ),
        (
            "half-even tie up to even",
            "0.1003500",
            4,
            Rounding::HalfEven,
            "0.1004",
        ),
        (
            "half-even above tie",
            "20.5000001",
            0,
            Rounding::HalfEven,
            "21",
        ),
        ("half-even integer tie", "20.5", 0, Rounding::HalfEven, "20"),
        (
            "half-even integer tie odd",
            "21.5",
            0,
            Rounding::HalfEven,
            "22",
        ),
        ("half away tie", "20.5", 0, Rounding::HalfAwayFromZero, "21"),
        (
            "half away negative tie",
            "-20.5",
            0,
            Rounding::HalfAwayFromZero,
            "-21",
        ),
        ("floor positive", "1.99", 0, Rounding::Floor, "1"),
        ("floor negative", "-1.01", 0, Rounding::Floor, "-2"),
        ("ceil positive", "1.01", 0, Rounding::Ceil, "2"),
        ("ceil negative", "-1.99", 0, Rounding::Ceil, "-1"),
        (
            "toward zero negative",
            "-1.99",
            0,
            Rounding::TowardZero,
            "-1",
        ),
        ("exact stays", "0.0998", 6, Rounding::Ceil, "0.0998"),
    ];
    for (name, v, dp, mode, want) in cases {
        assert_eq!(f(v).round_dp(dp, mode).unwrap(), f(want), "case {name}");
    }
}

#[test]
fn round_to_step() {
    assert_eq!(
        f("0.1237")
            .round_to(f("0.005"), Rounding::HalfEven)
            .unwrap(),
        f("0.125")
    );
    assert_eq!(
        f("0.1237").round_to(f("0.005"), Rounding::Floor).unwrap(),
        f("0.12")
    );
    assert!(f("1").round_to(Fixed::ZERO, Rounding::Floor).is_err());
}

#[test]
fn mul_and_div_round_exactly_once() {
    // 0.1 × (1 − 0.002) = 0.0998 exactly.
    assert_eq!(
        f("0.1")
            .mul_round(f("0.998"), 6, Rounding::HalfEven)
            .unwrap(),
        f("0.0998")
    );
    // 2 / 0.0998 = 20.0400801… → 20 at 0 dp.
    assert_eq!(
        f("2")
            .div_round(f("0.0998"), 0, Rounding::HalfEven)
            .unwrap(),
        f("20")
    );
    // A product just above a tie must not be rounded down by an intermediate step:
    // 0.000000001 × 0.5 = 5e-10, a tie at 9 dp → even (0); × 0.500000001 → above → 1e-9.
    assert_eq!(
        f("0.000000001")
            .mul_round(f("0.5"), 9, Rounding::HalfEven)
            .unwrap(),
        Fixed::ZERO
    );
    assert_eq!(
        f("0.000000001")
            .mul_round(f("0.500000001"), 9, Rounding::HalfEven)
            .unwrap(),
        f("0.000000001")
    );
    assert_eq!(
        f("1").div_round(Fixed::ZERO, 2, Rounding::Floor),
        Err(FixedError::DivisionByZero)
    );
    assert_eq!(
        Fixed::MAX.mul_round(f("2"), 9, Rounding::Floor),
        Err(FixedError::Overflow)
    );
}

#[test]
fn from_f64_uses_shortest_decimal() {
    assert_eq!(Fixed::from_f64(0.2, Rounding::HalfEven).unwrap(), f("0.2"));
    assert_eq!(
        Fixed::from_f64(0.1 + 0.2, Rounding::HalfEven).unwrap(),
        f("0.3")
    );
    assert_eq!(
        Fixed::from_f64(1e-5, Rounding::HalfEven).unwrap(),
        f("0.00001")
    );
    assert_eq!(
        Fixed::from_f64(1.0000000005, Rounding::HalfEven).unwrap(),
        f("1")
    );
    assert_eq!(
        Fixed::from_f64(1.0000000015, Rounding::HalfEven).unwrap(),
        f("1.000000002")
    );
    assert_eq!(
        Fixed::from_f64(-1.0000000015, Rounding::Floor).unwrap(),
        f("-1.000000002")
    );
    assert!(Fixed::from_f64(f64::NAN, Rounding::HalfEven).is_err());
}

#[test]
fn parse_lenient_table() {
    use Rounding::*;
    // (name, input, mode, expected canonical value)
    let cases = [
        ("plain", "0.2412", HalfEven, "0.2412"),
        ("integer", "20", HalfEven, "20"),
        ("negative", "-1.5", HalfEven, "-1.5"),
        ("whitespace", "  7.25 ", HalfEven, "7.25"),
        ("exponent negative", "1e-06", HalfEven, "0.000001"),
        ("exponent upper plus", "1.2E+3", HalfEven, "1200"),
        ("exponent no sign", "5e2", HalfEven, "500"),
        ("exponent fraction", "2.5e-1", HalfEven, "0.25"),
        ("exponent leading point", ".5e1", HalfEven, "5"),
        ("exponent trailing point", "7.e0", HalfEven, "7"),
        ("exponent smallest unit", "1e-9", HalfEven, "0.000000001"),
        ("exponent below unit half-even tie", "5e-10", HalfEven, "0"),
        ("exponent below unit ceil", "1e-10", Ceil, "0.000000001"),
        ("exponent far below unit floor", "1e-400", Floor, "0"),
        (
            "exponent far below unit ceil",
            "1e-400",
            Ceil,
            "0.000000001",
        ),
        (
            "negative far below unit floor",
            "-1e-400",
            Floor,
            "-0.000000001",
        ),
        (
            "zero with huge exponent",
            "0e999999999999999999999",
            HalfEven,
            "0",
        ),
        (
            "freqtrade float noise",
            "2554077.1000000001",
            HalfEven,
            "2554077.1",
        ),
        (
            "float noise below",
            "6104598.0999999996",
            HalfEven,
            "6104598.1",
        ),
        (
            "ten decimals truncated",
            "0.1234567899",
            TowardZero,
            "0.123456789",
        ),
        ("tie to even down", "0.0000000025", HalfEven, "0.000000002"),
        ("tie to even up", "0.0000000035", HalfEven, "0.000000004"),
        ("tie away", "0.0000000025", HalfAwayFromZero, "0.000000003"),
        (
            "negative tie away",
            "-0.0000000025",
            HalfAwayFromZero,
            "-0.000000003",
        ),
        (
            "sticky digit past 18 breaks a tie",
            "0.00000000250000000000000000001",
            HalfEven,
            "0.000000003",
        ),
        (
            "long exact tail zeros",
            "1.50000000000000000000000000",
            Floor,
            "1.5",
        ),
        (
            "max value",
            "9223372036.854775807",
            HalfEven,
            "9223372036.854775807",
        ),
        (
            "max value in exponent form",
            "9.223372036854775807e9",
            HalfEven,
            "9223372036.854775807",
        ),
        (
            "min value",
            "-9223372036.854775808",
            HalfEven,
            "-9223372036.854775808",
        ),
    ];
    for (name, input, mode, want) in cases {
        let got = parse_lenient(input, mode).unwrap_or_else(|e| panic!("case {name}: {e}"));
        let want = if want.starts_with("-9223372036") {
            Fixed::from_raw(i64::MIN)
        } else {
            f(want)
        };
        assert_eq!(got, want, "case {name}");
    }
}

#[test]
fn parse_lenient_errors_table() {
    let cases = [
        ("empty", "", FixedError::Syntax(String::new())),
        ("just a point", ".", FixedError::Syntax(".".into())),
        ("letters", "1a", FixedError::Syntax("1a".into())),
        ("no exponent digits", "1e", FixedError::Syntax("1e".into())),
        (
            "exponent sign only",
            "1e-",
            FixedError::Syntax("1e-".into()),
        ),
        ("no mantissa", "e5", FixedError::Syntax("e5".into())),
        ("two exponents", "1e2e3", FixedError::Syntax("1e2e3".into())),
        (
            "fractional exponent",
            "1e2.5",
            FixedError::Syntax("1e2.5".into()),
        ),
        ("two points", "1.2.3", FixedError::Syntax("1.2.3".into())),
        ("inner space", "1 e5", FixedError::Syntax("1 e5".into())),
        ("nan", "NaN", FixedError::Syntax("NaN".into())),
        ("infinity", "inf", FixedError::Syntax("inf".into())),
        ("too large", "99999999999", FixedError::Overflow),
        ("too large by exponent", "1e10", FixedError::Overflow),
        (
            "huge exponent",
            "1e999999999999999999999",
            FixedError::Overflow,
        ),
        (
            "just above max",
            "9223372036.854775808",
            FixedError::Overflow,
        ),
        (
            "long integer",
            "1234567890123456789012345678901234567890",
            FixedError::Overflow,
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(
            parse_lenient(input, Rounding::HalfEven),
            Err(want),
            "case {name}"
        );
    }
}

proptest! {
    #[test]
    fn parse_lenient_agrees_with_exact_parse(raw in any::<i64>()) {
        let x = Fixed::from_raw(raw);
        prop_assert_eq!(parse_lenient(&x.to_string(), Rounding::Floor), Ok(x));
    }

    #[test]
    fn parse_lenient_exponent_equals_shifted_decimal(
        m in 0u64..1_000_000_000_000,
        e in 0u32..26,
        neg in any::<bool>(),
        mode in prop_oneof![
            Just(Rounding::HalfEven),
            Just(Rounding::HalfAwayFromZero),
            Just(Rounding::Floor),
            Just(Rounding::Ceil),
            Just(Rounding::TowardZero),
        ],
    ) {
        // m × 10^-e written out as a plain decimal, rounded by the reference parser.
        let digits = format!("{m:0>width$}", width = e as usize + 1);
        let (int, frac) = digits.split_at(digits.len() - e as usize);
        let sign = if neg { "-" } else { "" };
        let plain = format!("{sign}{int}.{frac}");
        let reference = parse_decimal(&plain, Some(mode));
        prop_assert_eq!(parse_lenient(&format!("{sign}{m}e-{e}"), mode), reference.clone());
        prop_assert_eq!(parse_lenient(&format!("{sign}{m}E-{e}"), mode), reference);
    }
}

#[test]
fn serde_is_a_string_and_accepts_numbers() {
    assert_eq!(serde_json::to_string(&f("0.0998")).unwrap(), "\"0.0998\"");
    assert_eq!(
        serde_json::from_str::<Fixed>("\"0.0998\"").unwrap(),
        f("0.0998")
    );
    assert_eq!(serde_json::from_str::<Fixed>("0.2").unwrap(), f("0.2"));
    assert_eq!(serde_json::from_str::<Fixed>("13").unwrap(), f("13"));
    assert!(serde_json::from_str::<Fixed>("\"abc\"").is_err());
}

#[test]
fn precision_formatting() {
    assert_eq!(format!("{:.4}", f("0.1")), "0.1000");
    assert_eq!(format!("{:.2}", f("0.125")), "0.12");
    assert_eq!(format!("{:>8}", f("1.5")), "     1.5");
}

proptest! {
    #[test]
    fn display_parse_round_trip(raw in any::<i64>()) {
        let x = Fixed::from_raw(raw);
        prop_assert_eq!(x.to_string().parse::<Fixed>().unwrap(), x);
    }

    #[test]
    fn rounding_brackets_the_value(raw in -1_000_000_000_000i64..1_000_000_000_000, dp in 0u32..=9) {
        let x = Fixed::from_raw(raw);
        let lo = x.round_dp(dp, Rounding::Floor).unwrap();
        let hi = x.round_dp(dp, Rounding::Ceil).unwrap();
        let ne = x.round_dp(dp, Rounding::HalfEven).unwrap();
        prop_assert!(lo <= x && x <= hi);
        prop_assert!(ne == lo || ne == hi);
        prop_assert!((hi - lo).raw() <= 10i64.pow(9 - dp));
        // Nearest really is nearest.
        prop_assert!((ne - x).abs() <= (x - lo).abs().min((hi - x).abs()));
    }

    #[test]
    fn div_round_matches_mul(a in 1i64..1_000_000_000_000, b in 1i64..1_000_000_000_000) {
        let (x, y) = (Fixed::from_raw(a), Fixed::from_raw(b));
        let q = x.div_round(y, 9, Rounding::Floor).unwrap();
        // q × y ≤ x < (q + 1e-9) × y
        let below = q.raw() as i128 * b as i128;
        let above = (q.raw() as i128 + 1) * b as i128;
        prop_assert!(below <= a as i128 * SCALE as i128);
        prop_assert!(above > a as i128 * SCALE as i128);
    }
}

/// `from_f64` as it was defined: print the shortest round-trip digits, parse them.
fn from_f64_printed(v: f64, mode: Rounding) -> Result<Fixed, FixedError> {
    parse_decimal(&format!("{v}"), Some(mode))
}

const MODES: [Rounding; 5] = [
    Rounding::HalfEven,
    Rounding::HalfAwayFromZero,
    Rounding::Floor,
    Rounding::Ceil,
    Rounding::TowardZero,
];

#[test]
fn from_f64_fast_path_edges() {
    // (name, value): nine-place floats, floats between nine-place decimals, the limit.
    let cases = [
        ("zero", 0.0),
        ("negative zero", -0.0),
        ("a tenth", 0.1),
        ("sum with a float tail", 0.1 + 0.2),
        ("one nano", 1e-9),
        ("half a nano", 5e-10),
        ("below a nano", 1.5e-10),
        ("ten places", 1.0000000005),
        ("nine places, negative", -0.123456789),
        ("a controller output", 1.0 / 3.0),
        ("at the limit", 1_048_576.0),
        ("at the limit with places", 1_048_575.999999999),
        ("above the limit", 1_048_576.5),
        ("large", 123_456_789.123),
        ("tiny", 1e-300),
    ];
    for (name, v) in cases {
        for mode in MODES {
            assert_eq!(
                Fixed::from_f64(v, mode),
                from_f64_printed(v, mode),
                "{name} ({v}) {mode:?}"
            );
        }
    }
}

proptest! {
    /// The fast path of `from_f64` answers exactly as the printed path, for any float and
    /// for floats made from nine-place decimals.
    #[test]
    fn from_f64_agrees_with_printing(bits in any::<u64>(), raw in -2_000_000_000_000_000i64..2_000_000_000_000_000, scale in 0u32..12) {
        let any_float = f64::from_bits(bits);
        let decimal_float = raw as f64 / 10f64.powi(scale as i32);
        let near = decimal_float * (1.0 + f64::EPSILON);
        for v in [any_float, decimal_float, near] {
            if !v.is_finite() {
                continue;
            }
            for mode in MODES {
                prop_assert_eq!(Fixed::from_f64(v, mode), from_f64_printed(v, mode), "{} {:?}", v, mode);
            }
        }
    }
}

/// `div_round` by Euclid's quotient and remainder, as it was first written.
fn div_round_euclid(num: i128, den: i128, mode: Rounding) -> i128 {
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    let (q, r) = (num.div_euclid(den), num.rem_euclid(den));
    if r == 0 {
        return q;
    }
    let up = q + 1;
    match mode {
        Rounding::Floor => q,
        Rounding::Ceil => up,
        Rounding::TowardZero => {
            if q < 0 {
                up
            } else {
                q
            }
        }
        Rounding::HalfEven | Rounding::HalfAwayFromZero => match (2 * r).cmp(&den) {
            std::cmp::Ordering::Less => q,
            std::cmp::Ordering::Greater => up,
            std::cmp::Ordering::Equal if mode == Rounding::HalfEven => {
                if q.rem_euclid(2) == 0 {
                    q
                } else {
                    up
                }
            }
            std::cmp::Ordering::Equal => {
                if up > 0 {
                    up
                } else {
                    q
                }
            }
        },
    }
}

proptest! {
    /// One division and a sign fix give Euclid's answer, on 64-bit and 128-bit operands,
    /// either sign, every mode.
    #[test]
    fn div_round_agrees_with_euclid(
        a in any::<i64>(), b in any::<i64>(), den in 1i64..=i64::MAX, wide in any::<bool>(), neg in any::<bool>(),
    ) {
        let num = if wide { i128::from(a) * i128::from(b) } else { i128::from(a) };
        let den = if neg { -i128::from(den) } else { i128::from(den) };
        for mode in MODES {
            prop_assert_eq!(div_round(num, den, mode), div_round_euclid(num, den, mode), "{} / {} {:?}", num, den, mode);
        }
    }

    /// Small denominators: remainders at and around the half.
    #[test]
    fn div_round_agrees_with_euclid_near_halves(num in -1000i128..1000, den in 1i128..20) {
        for mode in MODES {
            for d in [den, -den] {
                prop_assert_eq!(div_round(num, d, mode), div_round_euclid(num, d, mode), "{} / {} {:?}", num, d, mode);
            }
        }
    }
}

proptest! {
    /// The long division by 10^9 gives the library's quotient and remainder for any
    /// 128-bit numerator.
    #[test]
    fn by_scale_agrees_with_library_division(hi in any::<i64>(), lo in any::<u64>(), small in any::<i64>()) {
        let wide = (i128::from(hi) << 64) | i128::from(lo);
        for num in [wide, i128::from(small), i128::MAX, i128::MIN + 1, 0] {
            let d = SCALE as i128;
            prop_assert_eq!(super::by_scale(num), (num / d, num % d), "{}", num);
            for mode in MODES {
                prop_assert_eq!(div_round(num, d, mode), div_round_euclid(num, d, mode), "{} {:?}", num, mode);
            }
        }
    }
}
