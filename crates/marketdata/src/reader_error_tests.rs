//! The readers' errors: every malformed input names its file and line, truncated and
//! corrupt streams fail after the rows read, and a failed reader stays failed.

use super::*;

#[test]
fn errors_table() {
    let truncated_gzip = {
        let mut rows = String::from(TARDIS);
        for i in 0..5000i64 {
            rows.push_str(&format!(
                "coinbase,DOGE-USD,{},1,{i},buy,0.25,1\n",
                1_760_054_400_300_000 + i * 1000
            ));
        }
        let gz = gzip(rows.as_bytes());
        gz[..gz.len() / 2].to_vec()
    };
    let gzip_missing_trailer = {
        let gz = gzip(TARDIS.as_bytes());
        gz[..gz.len() - 4].to_vec()
    };
    let cases: Vec<ErrorCase> = vec![
        (
            "bad price",
            "data.csv",
            b"TS,PRICE,VOLUME\n1,2,3\n2,abc,3\n".to_vec(),
            r#"data.csv:3: price "abc" is not a decimal number"#,
        ),
        (
            "bad volume in tardis",
            "t.csv",
            format!("{TARDIS}coinbase,DOGE-USD,1760054400225893,1,2,buy,0.2,1.2.3\n").into(),
            r#"t.csv:5: amount "1.2.3" is not a decimal number"#,
        ),
        (
            "missing column",
            "t.csv",
            b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
              coinbase,DOGE-USD,1760054400172744,1760054400220266,151769426,buy,0.24864\n"
                .to_vec(),
            "t.csv:2: expected 8 fields (as in the header), found 7",
        ),
        (
            "missing column headerless",
            "k.csv",
            b"1,2,3\n2,2\n".to_vec(),
            "k.csv:2: expected 3 fields (as in the first line), found 2",
        ),
        (
            "backwards time",
            "k.csv",
            b"TS,PRICE,VOLUME\n1688169651,1,1\n1688169651,1,1\n1688169650,1,1\n".to_vec(),
            "k.csv:4: time 2023-07-01T00:00:50Z (1688169650000 ms) is before the previous \
             row's 2023-07-01T00:00:51Z (1688169651000 ms) (time goes backwards)",
        ),
        (
            "bad timestamp",
            "t.csv",
            format!("{TARDIS}coinbase,DOGE-USD,17600x,1,2,buy,0.2,1\n").into(),
            r#"t.csv:5: timestamp "17600x" is not an integer number of microseconds"#,
        ),
        (
            "bad side",
            "t.csv",
            format!("{TARDIS}coinbase,DOGE-USD,1760054400225893,1,2,long,0.2,1\n").into(),
            r#"t.csv:5: side "long" is not buy or sell"#,
        ),
        (
            "zero price",
            "k.csv",
            b"1,0,3\n".to_vec(),
            "k.csv:1: price 0 is not positive",
        ),
        (
            "zero size",
            "k.csv",
            b"1,1,0.000\n".to_vec(),
            "k.csv:1: size 0 is not positive",
        ),
        (
            "negative price",
            "k.csv",
            b"1,-1,1\n".to_vec(),
            "k.csv:1: price -1 is not positive",
        ),
        (
            "high below close",
            "b.csv",
            b"time,open,high,low,close\n1631917380,1,1.4,0.5,1.5\n".to_vec(),
            "b.csv:2: high 1.4 is below max(open 1, close 1.5)",
        ),
        (
            "low above open",
            "b.csv",
            b"time,open,high,low,close\n1631917380,1,2,1.1,1.5\n".to_vec(),
            "b.csv:2: low 1.1 is above min(open 1, close 1.5)",
        ),
        (
            "negative volume",
            "b.csv",
            b"time,open,high,low,close,volume\n1631917380,1,2,1,1.5,-3\n".to_vec(),
            "b.csv:2: volume -3 is negative",
        ),
        (
            "duplicate bar",
            "b.csv",
            b"time,open,high,low,close\n1631917380,1,2,1,1.5\n1631917380,1,2,1,1.5\n".to_vec(),
            "b.csv:3: bar open time 2021-09-17T22:23:00Z (1631917380000 ms) repeats the previous bar's",
        ),
        (
            "bad iso time",
            "b.csv",
            b"time,open,high,low,close\n2021-09-31T00:00:00Z,1,2,1,1.5\n".to_vec(),
            r#"b.csv:2: time "2021-09-31T00:00:00Z" is neither a unix time nor an ISO-8601 date-time (day 31 is out of range for 2021-09)"#,
        ),
        (
            "time before 1970",
            "b.csv",
            b"time,open,high,low,close\n1960-01-01,1,2,1,1.5\n".to_vec(),
            "b.csv:2: time -315619200000 ms is outside 1970-01-01..9999-12-31",
        ),
        (
            "bad json number",
            "d.json",
            b"[[1631917380000,1,2,1,1],\n [1631917440000, 1, x, 1, 1]]".to_vec(),
            "d.json:2:21: bar 2: expected a number, found 'x'",
        ),
        (
            "bad json decimal",
            "d.json",
            b"[[1631917380000,1,2,1,1],[1631917440000,1,\"2..0\",1,1]]".to_vec(),
            r#"d.json:1:43: bar 2: high "2..0" is not a decimal number"#,
        ),
        (
            "json bar too short",
            "d.json",
            b"[[1631917380000,1,2,1]]".to_vec(),
            "d.json:1:2: bar 1 has 4 fields; expected [open_time, open, high, low, close, volume]",
        ),
        (
            "json invalid bar",
            "d.json",
            b"[[1631917380000,1,2,1,1],\n[1631917440000,1,2,3,1,1]]".to_vec(),
            "d.json:2:1: low 3 is above min(open 1, close 1)",
        ),
        (
            "truncated json",
            "d.json",
            b"[[1631917380000,1,2,1,1,5],\n[1631917440000,1,2,1,1,5],\n[1631917500000,1,2,1"
                .to_vec(),
            "d.json:3:21: unexpected end of file inside the JSON array (truncated file?)",
        ),
        (
            "truncated json after a bar",
            "d.json",
            b"[[1631917380000,1,2,1,1,5],\n".to_vec(),
            "d.json:2:1: unexpected end of file inside the JSON array (truncated file?)",
        ),
        (
            "json trailing garbage",
            "d.json",
            b"[[1631917380000,1,2,1,1,5]]\n]".to_vec(),
            "d.json:2:1: unexpected ']' after the end of the JSON array",
        ),
        (
            "json missing comma",
            "d.json",
            b"[[1631917380000,1,2,1,1,5] [1631917440000,1,2,1,1,5]]".to_vec(),
            "d.json:1:28: expected ',' or ']' after a bar, found '['",
        ),
        (
            "json time not integer",
            "d.json",
            b"[[1.6e12,1,2,1,1,5]]".to_vec(),
            r#"d.json:1:3: bar 1: open time "1.6e12" is not an integer number of milliseconds"#,
        ),
        (
            "truncated gzip",
            "t.csv.gz",
            truncated_gzip,
            "t.csv.gz:",
        ),
        (
            "gzip missing its trailer",
            "t.csv.gz",
            gzip_missing_trailer,
            "t.csv.gz:5: read error: unexpected end of file (truncated or corrupt file?)",
        ),
        (
            "truncated gzip header",
            "t.csv.gz",
            gzip(TARDIS.as_bytes())[..5].to_vec(),
            "t.csv.gz:1: read error:",
        ),
        ("empty", "e.csv", b"".to_vec(), "e.csv: the file is empty"),
        (
            "whitespace only",
            "e.csv",
            b" \n\n ".to_vec(),
            "e.csv: the file is empty",
        ),
        (
            "unknown header",
            "u.csv",
            b"a,b,c\n1,2,3\n".to_vec(),
            r#"u.csv:1: unrecognized CSV header "a,b,c": expected a Tardis trades header"#,
        ),
        (
            "headerless with five fields",
            "u.csv",
            b"1,2,3,4,5\n".to_vec(),
            "u.csv:1: headerless CSV with 5 fields",
        ),
    ];
    assert_errors(cases);
}

/// (name, file name, content, expected message start)
pub(crate) type ErrorCase = (&'static str, &'static str, Vec<u8>, &'static str);

/// Each case must fail with a one-line message starting with the expected text, naming the
/// file; the same when every byte arrives in its own read.
pub(crate) fn assert_errors(cases: Vec<ErrorCase>) {
    for (name, file, data, want) in cases {
        let got = read_all(file, &data);
        let err = match got {
            Ok(events) => panic!(
                "case {name}: expected an error, got {} events",
                events.len()
            ),
            Err(e) => e,
        };
        let msg = err.to_string();
        assert!(
            msg.starts_with(want),
            "case {name}:\n got: {msg}\nwant: {want}"
        );
        assert!(
            !msg.contains('\n'),
            "case {name}: message spans lines: {msg}"
        );
        assert_eq!(err.file(), file, "case {name}");
        // The same error when every byte arrives in its own read (buffer refills mid-token).
        let trickled = MarketDataReader::from_reader(Trickle(Cursor::new(data)), file)
            .and_then(|r| r.collect::<Result<Vec<_>, _>>());
        let err = trickled.expect_err(name).to_string();
        assert!(
            err.starts_with(want),
            "case {name} (one byte per read):\n got: {err}\nwant: {want}"
        );
    }
}

#[test]
fn truncated_gzip_names_a_line_after_the_rows_read() {
    let mut rows = String::from(TARDIS);
    for i in 0..5000i64 {
        rows.push_str(&format!(
            "coinbase,DOGE-USD,{},1,{i},buy,0.25,1\n",
            1_760_054_400_300_000 + i * 1000
        ));
    }
    let gz = gzip(rows.as_bytes());
    let mut r = reader("t.csv.gz", &gz[..gz.len() / 2]).unwrap();
    let ok = r.by_ref().take_while(Result::is_ok).count();
    assert!(ok > 10, "read {ok} rows before the error");
    // `take_while` consumed the error; read again from scratch to inspect it.
    let err = reader("t.csv.gz", &gz[..gz.len() / 2])
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(
        matches!(err, DataError::Read { .. } | DataError::Row { .. }),
        "{err}"
    );
    let line = err.line().unwrap();
    assert!(line as usize > ok, "line {line} vs {ok} rows: {err}");
    assert!(r.next().is_none(), "fused after the error");
}

#[test]
fn error_after_the_probe_comes_after_the_good_bars_and_fuses() {
    let data = b"[[1631917380000,1,2,1,1,5],[1631917440000,1,2,1,1,5],[1631917500000,1,2,1,x]]";
    let mut r = reader("d.json", data).unwrap();
    assert_eq!(r.bar_interval(), Some(M));
    assert!(matches!(r.next(), Some(Ok(MarketEvent::Bar(_)))));
    assert!(matches!(r.next(), Some(Ok(MarketEvent::Bar(_)))));
    let err = r.next().unwrap().unwrap_err();
    assert!(err.to_string().starts_with("d.json:1:"), "{err}");
    assert_eq!(err.line(), Some(1));
    assert!(r.next().is_none());
    assert!(r.next().is_none());
}
