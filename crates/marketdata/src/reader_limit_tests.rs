//! Reader tests of the input limits ([`crate::limits`]): endless lines, fields, blank lines
//! and whitespace end with an error naming the place; line numbers survive CRLF and blank
//! lines; and every event's location ([`MarketDataReader::next_located`]).

use super::tests::{assert_errors, gzip, reader, ErrorCase, FREQTRADE, KRAKEN_BARE, KRAKEN_HEADER};
use super::*;
use crate::limits::{MAX_LINE_BYTES, MAX_WHITESPACE_RUN};

#[test]
fn limit_errors_table() {
    let cases: Vec<ErrorCase> =
        vec![
        (
            "NUL bytes without a line break",
            "n.csv",
            vec![0; 3 * MAX_LINE_BYTES],
            "n.csv:1: line longer than 65536 bytes",
        ),
        (
            "NUL bytes gzipped",
            "n.csv.gz",
            gzip(&vec![0; 3 * MAX_LINE_BYTES]),
            "n.csv.gz:1: line longer than 65536 bytes",
        ),
        (
            "long line after the header",
            "k.csv",
            [b"TS,PRICE,VOLUME\n".as_slice(), &[b'1'; MAX_LINE_BYTES + 1]].concat(),
            "k.csv:2: line longer than 65536 bytes",
        ),
        (
            "unclosed quote",
            "k.csv",
            [b"TS,PRICE,VOLUME\n\"".as_slice(), &b"x\n".repeat(MAX_LINE_BYTES)].concat(),
            "k.csv:2: record starting on this line is longer than 65536 bytes (an unclosed quote?)",
        ),
        (
            "too many fields",
            "k.csv",
            [b"TS,PRICE,VOLUME\n".as_slice(), &[b','; 2000]].concat(),
            "k.csv:2: more than 1024 fields on one line",
        ),
        (
            "endless blank lines",
            "k.csv",
            [b"TS,PRICE,VOLUME\n".as_slice(), &[b'\n'; MAX_WHITESPACE_RUN + 9]].concat(),
            "k.csv:1048579: more than 1048576 bytes of blank lines in a row",
        ),
        (
            "endless whitespace inside JSON",
            "w.json",
            [b"[".as_slice(), &[b' '; MAX_WHITESPACE_RUN + 9]].concat(),
            "w.json:1:1048579: more than 1048576 bytes of whitespace in a row",
        ),
        (
            "a JSON bar with endless fields",
            "f.json",
            format!("[[1631917380000,1,2,1,1{}]]", ",5".repeat(2000)).into(),
            "f.json:1:2: bar 1 has more than 1024 fields",
        ),
        (
            "CRLF line ends keep the line numbers",
            "c.csv",
            b"TS,PRICE,VOLUME\r\n1688169649,18.89,1\r\n1688169650,x,1\r\n".to_vec(),
            r#"c.csv:3: price "x" is not a decimal number"#,
        ),
        (
            "a blank line keeps the line numbers",
            "b.csv",
            b"TS,PRICE,VOLUME\n1688169649,18.89,1\n\n1688169650,x,1\n".to_vec(),
            r#"b.csv:4: price "x" is not a decimal number"#,
        ),
    ];
    assert_errors(cases);
}

#[test]
fn next_located_table() {
    // (name, content, expected locations in order)
    let cases: [(&str, &[u8], &[Location]); 4] = [
        (
            "csv lines after a header",
            KRAKEN_HEADER.as_bytes(),
            &[Location::line(2), Location::line(3), Location::line(4)],
        ),
        (
            "headerless csv",
            KRAKEN_BARE.as_bytes(),
            &[Location::line(1), Location::line(2)],
        ),
        (
            "json bars on one line: the column of each '['",
            FREQTRADE.as_bytes(),
            &[
                Location::at(1, 2),
                Location::at(1, 54),
                Location::at(1, 116),
            ],
        ),
        (
            "json bars on their own lines (through the interval probe)",
            b"[\n[1631917380000,1,2,1,1],\n  [1631917440000,1,2,1,1]\n]",
            &[Location::at(2, 1), Location::at(3, 3)],
        ),
    ];
    for (name, data, want) in cases {
        let mut r = reader("f", data).unwrap();
        let mut got = Vec::new();
        while let Some(item) = r.next_located() {
            got.push(item.unwrap().1);
        }
        assert_eq!(got, want, "case {name}");
    }
}
