//! Finds the newest released runtime; shared by the tests that start a
//! chain on it (`#[path]`-included, as the crates are in two workspaces).

use std::path::{Path, PathBuf};

/// The newest `cpchain_runtime-<spec_version>.compact.compressed.wasm` in
/// `dir`: its spec version and path.
pub fn newest_release(dir: &Path) -> (u32, PathBuf) {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{} is unreadable: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?.to_string();
            let spec = name
                .strip_prefix("cpchain_runtime-")?
                .strip_suffix(".compact.compressed.wasm")?
                .parse()
                .ok()?;
            Some((spec, path))
        })
        .max()
        .unwrap_or_else(|| panic!("no released runtime in {}", dir.display()))
}
