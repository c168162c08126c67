//! Helpers shared by the integration tests: where the real data is.

// Each test crate includes this module and uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `shared/data` beside the repository (`FLYWHEEL_DATA_DIR` overrides): the nearest ancestor
/// of this crate that has it, so the tests work from any checkout depth.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FLYWHEEL_DATA_DIR") {
        return Some(PathBuf::from(dir)).filter(|d| d.is_dir());
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared").join("data"))
        .find(|d| d.is_dir())
}

/// The real data files (`*.csv`, `*.csv.gz`, `*.json.gz`), sorted; `None` (with a message on
/// stderr, naming the test) when the folder is absent.
pub fn data_files(test: &str) -> Option<Vec<PathBuf>> {
    let Some(dir) = data_dir() else {
        println!(
            "{test}: skipped: no shared/data folder above {} (set FLYWHEEL_DATA_DIR)",
            env!("CARGO_MANIFEST_DIR")
        );
        return None;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".csv") || name.ends_with(".csv.gz") || name.ends_with(".json.gz")
        })
        .collect();
    files.sort();
    Some(files)
}
