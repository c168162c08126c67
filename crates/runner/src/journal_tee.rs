//! A journal sink that also hands every record, as JSON, to a second consumer — the
//! operator API's event stream — while the wrapped sink (the `--journal` file, the order
//! log) gets exactly what it got before.
//!
//! Invariant: the wrapped sink sees the same records in the same order whether a consumer
//! is attached or not, so attaching the API never changes a journal.

use flywheel_engine::maker_journal::{MakerRecord, MakerSink};
use flywheel_engine::{JournalRecord, JournalSink};
use serde_json::Value;

/// Where the copies go (called on the engine thread; it must not block).
pub type Consumer = Box<dyn FnMut(Value) + Send>;

/// Wraps a sink; `consumer` gets each record as a JSON value.
pub struct Tee<J> {
    inner: J,
    consumer: Option<Consumer>,
}

impl<J> Tee<J> {
    pub fn new(inner: J, consumer: Option<Consumer>) -> Self {
        Tee { inner, consumer }
    }

    pub fn into_inner(self) -> J {
        self.inner
    }

    fn copy<T: serde::Serialize>(&mut self, rec: &T) {
        if let Some(c) = self.consumer.as_mut() {
            // A record that does not serialize would be a bug in the journal types; the
            // wrapped sink reports it, the stream skips it.
            if let Ok(v) = serde_json::to_value(rec) {
                c(v);
            }
        }
    }
}

impl<J: std::fmt::Debug> std::fmt::Debug for Tee<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tee")
            .field("inner", &self.inner)
            .field("consumer", &self.consumer.is_some())
            .finish()
    }
}

impl<J: JournalSink> JournalSink for Tee<J> {
    fn enabled(&self) -> bool {
        self.consumer.is_some() || self.inner.enabled()
    }

    fn record(&mut self, rec: &JournalRecord<'_>) {
        self.inner.record(rec);
        self.copy(rec);
    }
}

impl<J: MakerSink> MakerSink for Tee<J> {
    fn enabled(&self) -> bool {
        self.consumer.is_some() || self.inner.enabled()
    }

    fn record(&mut self, rec: &MakerRecord<'_>) {
        self.inner.record(rec);
        self.copy(rec);
    }

    fn venue_event(&mut self, ev: &flywheel_venue::VenueEvent) {
        self.inner.venue_event(ev);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use flywheel_core::Timestamp;
    use flywheel_engine::NoJournal;

    #[test]
    fn the_consumer_gets_each_record_as_json_and_the_inner_sink_is_unchanged() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let mut tee = Tee::new(
            flywheel_engine::JsonLines::new(Vec::new()),
            Some(Box::new(move |v| g.lock().unwrap().push(v))),
        );
        let rec = JournalRecord::Resume {
            ts: Timestamp::from_secs(1),
            reason: "test",
        };
        JournalSink::record(&mut tee, &rec);
        let mut plain = flywheel_engine::JsonLines::new(Vec::new());
        JournalSink::record(&mut plain, &rec);
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["kind"], "resume");
        assert_eq!(
            tee.into_inner().into_inner().unwrap(),
            plain.into_inner().unwrap(),
            "the wrapped journal is byte-identical"
        );
    }

    #[test]
    fn without_a_consumer_it_is_as_enabled_as_the_inner_sink() {
        assert!(!JournalSink::enabled(&Tee::new(NoJournal, None)));
        assert!(JournalSink::enabled(&Tee::new(
            NoJournal,
            Some(Box::new(|_| {}))
        )));
    }
}
