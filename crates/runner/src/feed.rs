//! Feeds into the engine thread's channel: public trades from a WS v2 market feed (Kraken
//! or the mock Kraken) and a ticker.
//!
//! Invariants: feeds never stamp time (the engine thread does, on arrival); a feed that
//! ends or a channel that closes ends its task quietly — the engine thread decides when the
//! session stops.

use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use flywheel_kraken::net::clock::Clock;
use flywheel_kraken::net::market::{spawn_market, MarketConfig, MarketHandle, MarketInput};

use crate::input::Input;

/// Subscribe to `cfg`'s public market and forward every trade print as an [`Input::Trade`].
/// Must be called inside a tokio runtime.
pub fn trades(cfg: MarketConfig, clock: Arc<dyn Clock>, out: Sender<Input>) -> MarketHandle {
    let (handle, mut rx) = spawn_market(cfg, clock);
    tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if let MarketInput::Trade {
                price, qty, side, ..
            } = m
            {
                let input = Input::Trade {
                    price,
                    qty,
                    side: Some(side),
                };
                if out.send(input).is_err() {
                    break;
                }
            }
        }
    });
    handle
}

/// Send an [`Input::Tick`] every `every` until the channel closes (a plain thread: the
/// timer must keep going even if the async runtime is busy).
pub fn ticker(every: Duration, out: Sender<Input>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || loop {
        std::thread::sleep(every);
        if out.send(Input::Tick).is_err() {
            break;
        }
    })
}
