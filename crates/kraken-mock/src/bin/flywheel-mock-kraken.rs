//! `flywheel-mock-kraken`: the mock Kraken as a separate process, for chaos tests (see
//! [`flywheel_kraken_mock::cli`]).

use clap::Parser;
use flywheel_kraken_mock::cli::{serve, MockArgs};

#[derive(Parser, Debug)]
#[command(
    name = "flywheel-mock-kraken",
    about = "A local mock of Kraken spot (REST + WS v2)"
)]
struct Args {
    #[command(flatten)]
    mock: MockArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    serve(Args::parse().mock).await
}
