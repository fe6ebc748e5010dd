//! The sc-cli chain commands on a DPoR chain: blocks exported from one node
//! import into an empty database, final on their certificates; `check-block`
//! re-executes one; `revert` has nothing to undo, since every block is final.

mod common;

use std::time::Duration;

use common::{node_command, Node, TempDir};

#[test]
fn exported_blocks_import_final_and_check() {
    let dir = TempDir(std::env::temp_dir().join(format!("cpchain-ops-{}", std::process::id())));
    let source = dir.0.join("source");
    let target = dir.0.join("target");
    let file = dir.0.join("blocks.bin");
    let (source_s, target_s, file_s) = (
        source.display().to_string(),
        target.display().to_string(),
        file.display().to_string(),
    );

    let mut node = Node::start("ops", &["--dev", "--base-path", &source_s]);
    node.wait_for_rpc();
    node.wait_for("block 3 final", Duration::from_secs(60), |node| {
        node.finalized_number().filter(|n| *n >= 3)
    });
    node.stop();

    let (ok, log) = node_command(&[
        "export-blocks",
        "--dev",
        "--base-path",
        &source_s,
        "--binary",
        "--from",
        "1",
        "--to",
        "3",
        &file_s,
    ]);
    assert!(ok, "export-blocks failed: {log}");

    let (ok, log) = node_command(&[
        "import-blocks",
        "--dev",
        "--base-path",
        &target_s,
        "--binary",
        &file_s,
    ]);
    assert!(ok, "import-blocks failed: {log}");
    assert!(log.contains("Imported 3 blocks"), "{log}");

    // The certificates came along: the imported blocks are final.
    let (ok, info) = node_command(&["chain-info", "--dev", "--base-path", &target_s]);
    assert!(ok, "chain-info failed: {info}");
    assert!(info.contains("\"finalized_number\": 3"), "{info}");

    let (ok, log) = node_command(&["check-block", "--dev", "--base-path", &target_s, "2"]);
    assert!(ok, "check-block failed: {log}");

    let (ok, log) = node_command(&["revert", "--dev", "--base-path", &target_s, "2"]);
    assert!(ok, "revert failed: {log}");
    assert!(log.contains("aren't any non-finalized blocks"), "{log}");
}

#[test]
fn blocks_without_dpor_digests_are_refused_on_import() {
    let dir = TempDir(std::env::temp_dir().join(format!("cpchain-ops-bad-{}", std::process::id())));
    let source = dir.0.join("sealed");
    let target = dir.0.join("target");
    let file = dir.0.join("sealed.bin");
    let (source_s, target_s, file_s) = (
        source.display().to_string(),
        target.display().to_string(),
        file.display().to_string(),
    );
    // A development-sealed chain: its blocks carry no DPoR digest or certificate.
    let mut node = Node::start(
        "ops-sealed",
        &["--dev", "--sealing", "manual", "--base-path", &source_s],
    );
    node.wait_for_rpc();
    node.rpc("engine_createBlock", serde_json::json!([true, true]));
    node.rpc("engine_createBlock", serde_json::json!([true, true]));
    node.stop();
    let (ok, log) = node_command(&[
        "export-blocks",
        "--dev",
        "--base-path",
        &source_s,
        "--binary",
        &file_s,
    ]);
    assert!(ok, "export-blocks failed: {log}");
    let (_, log) = node_command(&[
        "import-blocks",
        "--dev",
        "--base-path",
        &target_s,
        "--binary",
        &file_s,
    ]);
    assert!(log.contains("no DPoR pre-runtime digest"), "{log}");
    let (_, info) = node_command(&["chain-info", "--dev", "--base-path", &target_s]);
    assert!(info.contains("\"best_number\": 0"), "{info}");
}
