//! Mock Kraken (issue 12): work in progress.
