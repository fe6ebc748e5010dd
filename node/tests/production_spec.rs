//! The `production` chain spec: the checked-in `chain-specs/production.json`
//! is what `cpchain-node build-spec --chain production` makes; a node
//! refuses to run it before the operator replaces its placeholder accounts,
//! and runs it once they are replaced.

mod common;

use std::time::Duration;

use common::{build_spec, run_to_exit, Node, TempDir};
use serde_json::{json, Value};

const CHECKED_IN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../chain-specs/production.json"
);

fn checked_in() -> Value {
    serde_json::from_str(&std::fs::read_to_string(CHECKED_IN).expect("the spec is checked in"))
        .expect("it is JSON")
}

#[test]
fn the_checked_in_spec_is_the_presets() {
    let fresh = build_spec("production");
    let file = checked_in();
    for field in ["name", "id", "chainType", "protocolId", "properties"] {
        assert_eq!(fresh[field], file[field], "{field}");
    }
    assert_eq!(
        fresh["genesis"]["runtimeGenesis"]["patch"], file["genesis"]["runtimeGenesis"]["patch"],
        "chain-specs/production.json is stale: regenerate it (chain-specs/README.md)"
    );
    assert_eq!(file["chainType"], "Live");
    assert_eq!(
        file["genesis"]["runtimeGenesis"]["patch"]["sudo"]["key"],
        Value::Null
    );
}

#[test]
fn an_unedited_production_spec_is_refused() {
    let base = TempDir::new("production-unedited");
    let (status, stderr) = run_to_exit(
        &[
            "--chain",
            CHECKED_IN,
            "--base-path",
            &base.0.display().to_string(),
            "--node-key",
            &format!("{:064x}", 1),
            "--rpc-port",
            &common::free_port().to_string(),
            "--listen-addr",
            &format!("/ip4/127.0.0.1/tcp/{}", common::free_port()),
            "--no-prometheus",
            "--no-mdns",
            "--no-telemetry",
        ],
        Duration::from_secs(60),
    );
    assert!(!status.success());
    assert!(stderr.contains("placeholder keys"), "{stderr}");
}

#[test]
fn an_edited_production_spec_runs() {
    // The operator's edit: the local testnet's accounts in place of the
    // placeholders.
    let local = build_spec("local");
    let mut spec = checked_in();
    let from = &local["genesis"]["runtimeGenesis"]["patch"];
    let to = &mut spec["genesis"]["runtimeGenesis"]["patch"];
    to["balances"] = from["balances"].clone();
    to["councilMembership"] = from["councilMembership"].clone();
    to["proxyRegister"] = from["proxyRegister"].clone();
    to["dpor"]["validators"] = from["dpor"]["validators"].clone();
    to["dpor"]["defaultProposers"] = from["dpor"]["defaultProposers"].clone();
    to["dpor"]["termLen"] = json!(2);
    let base = TempDir::new("production-edited");
    std::fs::create_dir_all(&base.0).unwrap();
    let path = base.0.join("edited.json");
    std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();

    let node = Node::start(
        "production-edited",
        &[
            "--chain",
            &path.display().to_string(),
            "--alice",
            "--base-path",
            &base.0.join("db").display().to_string(),
            "--node-key",
            &format!("{:064x}", 1),
        ],
    );
    node.wait_for_rpc();
    assert_eq!(node.rpc("system_chain", json!([])), json!("CPChain"));
    assert_eq!(node.rpc("system_chainType", json!([])), json!("Live"));
    let version = node.rpc("state_getRuntimeVersion", json!([]));
    assert_eq!(version["specName"], "cpchain");
}
