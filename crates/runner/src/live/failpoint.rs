//! Failpoints for the chaos tests: `FW_FAILPOINT=name:n` makes the `n`-th pass
//! through the point `name` print `FAILPOINT name` on standard error and stop dead (sleep
//! for ever), so the test harness kills the process with SIGKILL at exactly that instant.
//!
//! Points: `after_commit` (a step with orders or cancels committed, not sent yet), `after_send` (the
//! outbox handed to the socket), `after_fill` (a step with fills committed, the exits they
//! triggered not sent yet — the middle of a fill burst).
//!
//! Invariant: without the variable, a failpoint is one comparison and does nothing.

/// The armed failpoint, if any.
#[derive(Clone, Debug, Default)]
pub struct Failpoints {
    armed: Option<(String, u64)>,
    hits: u64,
}

impl Failpoints {
    /// Read `FW_FAILPOINT`; a malformed value is an error naming it.
    pub fn from_env() -> Result<Failpoints, String> {
        match std::env::var("FW_FAILPOINT") {
            Ok(v) => Failpoints::parse(&v),
            Err(_) => Ok(Failpoints::default()),
        }
    }

    pub fn parse(v: &str) -> Result<Failpoints, String> {
        let bad = || format!("FW_FAILPOINT={v:?}: expected NAME:N, e.g. after_commit:3");
        let (name, n) = v.split_once(':').ok_or_else(bad)?;
        let n: u64 = n.parse().map_err(|_| bad())?;
        if !["after_commit", "after_send", "after_fill"].contains(&name) || n == 0 {
            return Err(bad());
        }
        Ok(Failpoints {
            armed: Some((name.to_string(), n)),
            hits: 0,
        })
    }

    /// Pass through point `name`.
    pub fn hit(&mut self, name: &str) {
        let Some((armed, n)) = &self.armed else {
            return;
        };
        if armed != name {
            return;
        }
        self.hits += 1;
        if self.hits == *n {
            eprintln!("FAILPOINT {name}");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases = [
            ("after_commit:3", true),
            ("after_send:1", true),
            ("after_fill:2", true),
            ("after_commit", false),
            ("after_commit:0", false),
            ("after_commit:x", false),
            ("before_commit:1", false),
        ];
        for (v, ok) in cases {
            assert_eq!(Failpoints::parse(v).is_ok(), ok, "{v}");
        }
        let mut f = Failpoints::parse("after_send:2").unwrap();
        f.hit("after_commit");
        f.hit("after_send");
        assert_eq!(f.hits, 1);
    }
}
