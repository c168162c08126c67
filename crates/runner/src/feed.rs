//! Feeds into the engine thread's channel: public trades from a WS v2 market feed (Kraken
//! or the mock Kraken) and a ticker.
//!
//! Invariants: feeds never stamp time (the engine thread does, on arrival); a feed that
//! ends or a channel that closes ends its task quietly — the engine thread decides when the
//! session stops.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use flywheel_kraken::net::clock::Clock;
use flywheel_kraken::net::market::{spawn_market, MarketConfig, MarketHandle, MarketInput};
use flywheel_kraken::net::ws::DisconnectReason;

use crate::input::Input;

/// A running trade feed.
#[derive(Debug)]
pub struct TradeFeed {
    pub handle: MarketHandle,
    drops: Arc<AtomicU64>,
    forwarded: Arc<AtomicU64>,
}

impl TradeFeed {
    /// How many times the feed's connection was lost: prints made while it reconnected
    /// never reached the session (a WebSocket feed has no replay).
    pub fn drops(&self) -> u64 {
        self.drops.load(Ordering::Relaxed)
    }

    /// Trade prints handed to the session's channel so far.
    pub fn forwarded(&self) -> u64 {
        self.forwarded.load(Ordering::Relaxed)
    }

    /// A handle to the forwarded count, for a task that waits for the feed to catch up.
    pub fn forwarded_counter(&self) -> Arc<AtomicU64> {
        self.forwarded.clone()
    }

    pub fn shutdown(&self) {
        self.handle.shutdown();
    }
}

/// Subscribe to `cfg`'s public market and forward every trade print as an [`Input::Trade`],
/// or, with [`MarketConfig::frames`], every frame verbatim as an [`Input::Frame`] (which the
/// engine thread decodes, so a recording holds the raw feed). Must be called inside a tokio
/// runtime.
pub fn trades(cfg: MarketConfig, clock: Arc<dyn Clock>, out: Sender<Input>) -> TradeFeed {
    let frames = cfg.frames;
    let (handle, mut rx) = spawn_market(cfg, clock);
    let drops = Arc::new(AtomicU64::new(0));
    let counted = drops.clone();
    let forwarded = Arc::new(AtomicU64::new(0));
    let sent = forwarded.clone();
    tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            match m {
                MarketInput::Frame { raw, .. } => {
                    let delivered = out.send(Input::Frame(raw.to_string())).is_ok();
                    if !delivered {
                        break;
                    }
                }
                MarketInput::Trade {
                    price, qty, side, ..
                } => {
                    // With frames on, the print went with its frame (which precedes it).
                    if !frames {
                        let input = Input::Trade {
                            price,
                            qty,
                            side: Some(side),
                        };
                        if out.send(input).is_err() {
                            break;
                        }
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                MarketInput::Disconnected { reason, .. }
                    if reason != DisconnectReason::Shutdown =>
                {
                    counted.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: "flywheel::feed", ?reason, "public feed lost: prints are missed until it reconnects");
                }
                _ => {}
            }
        }
    });
    TradeFeed {
        handle,
        drops,
        forwarded,
    }
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
