//! The files an operator launches a network with: `scripts/make-chain-spec.sh`
//! and the container network in `docker/network/` (compose file, Prometheus
//! configuration, Grafana dashboard). Each is checked against the node
//! itself, so that a renamed metric, a changed peer id or a preset field the
//! script no longer fills fails here rather than on the operator's machine.

mod common;

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use common::*;
use serde_json::{json, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `cpchain-node key generate` for `scheme`: (SS58 address or public key, secret phrase).
fn generate_key(scheme: &str) -> (String, String, String) {
    let (ok, out) = node_command(&[
        "key",
        "generate",
        "--scheme",
        scheme,
        "--output-type",
        "json",
    ]);
    assert!(ok, "{out}");
    let key: Value = serde_json::from_str(&out).expect("key generate prints JSON");
    (
        key["ss58Address"].as_str().unwrap().to_string(),
        key["publicKey"].as_str().unwrap().to_string(),
        key["secretPhrase"].as_str().unwrap().to_string(),
    )
}

/// Runs the script on `network` (TOML text): whether it succeeded, and its stderr.
fn make_chain_spec(dir: &TempDir, network: &str, out: &str) -> (bool, String) {
    let file = dir.0.join("network.toml");
    std::fs::write(&file, network).unwrap();
    let output = Command::new(repo().join("scripts/make-chain-spec.sh"))
        .env("CPCHAIN_NODE", env!("CARGO_BIN_EXE_cpchain-node"))
        .arg(&file)
        .arg(dir.0.join(out))
        .output()
        .expect("the script runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn a_spec_made_from_the_operators_keys_runs_and_bad_input_is_refused() {
    let dir = TempDir::new("cpchain-operator-spec");
    std::fs::create_dir_all(&dir.0).unwrap();
    let (validator, _, validator_phrase) = generate_key("sr25519");
    let (_, dpor_key, dpor_phrase) = generate_key("ed25519");
    let (proposer, _, proposer_phrase) = generate_key("sr25519");
    let (agent, _, _) = generate_key("sr25519");
    let (market_agent, _, _) = generate_key("sr25519");
    let _ = validator_phrase;
    let network = format!(
        r#"name = "Operator test"
id = "cpchain_operator_test"
council = ["{validator}"]
default_proposers = ["{proposer}"]
pdash_agent = "{agent}"
market_agent = "{market_agent}"
balances = [["{validator}", 1000], ["{proposer}", "0.5"]]
[dpor]
period_ms = 1000
impeach_timeout_ms = 2000
term_len = 4
view_len = 2
[[validators]]
account = "{validator}"
dpor_key = "{dpor_key}"
"#
    );

    // Refused: two validators are not 3f+1, and a typo breaks a checksum.
    let second = format!("[[validators]]\naccount = \"{proposer}\"\ndpor_key = \"{dpor_key}\"\n");
    let (ok, err) = make_chain_spec(&dir, &format!("{network}{second}"), "bad.json");
    assert!(!ok && err.contains("3f+1"), "{err}");
    let typo = network.replacen(&agent, &agent.replacen('a', "b", 1), 1);
    if typo != network {
        let (ok, err) = make_chain_spec(&dir, &typo, "bad.json");
        assert!(!ok && err.contains("bad checksum"), "{err}");
    }
    let (ok, err) = make_chain_spec(&dir, &network.replace("market_agent", "#"), "bad.json");
    assert!(!ok && err.contains("no market_agent"), "{err}");
    let (ok, err) = make_chain_spec(&dir, &network.replace(&market_agent, &agent), "bad.json");
    assert!(!ok && err.contains("must be two accounts"), "{err}");

    // A validator whose key is the curve's identity: any signature "by" it
    // can be made without a secret. The spec builds, the node refuses it.
    let weak_key = format!("0x01{}", "00".repeat(31));
    let (ok, err) = make_chain_spec(&dir, &network.replace(&dpor_key, &weak_key), "weak.json");
    assert!(ok, "{err}");
    let weak_spec = dir.0.join("weak.json").display().to_string();
    let (status, stderr) = run_to_exit(
        &[
            "--chain",
            &weak_spec,
            "--tmp",
            "--no-prometheus",
            "--no-telemetry",
            "--rpc-port",
            "0",
        ],
        Duration::from_secs(60),
    );
    assert!(
        !status.success() && stderr.contains("weak consensus keys"),
        "{stderr}"
    );

    let (ok, err) = make_chain_spec(&dir, &network, "raw.json");
    assert!(ok, "{err}");
    let spec = dir.0.join("raw.json").display().to_string();
    let db = dir.0.join("db").display().to_string();
    for (key_type, scheme, phrase) in [
        ("dpor", "ed25519", &dpor_phrase),
        ("dpsl", "sr25519", &proposer_phrase),
    ] {
        let (ok, out) = node_command(&[
            "key",
            "insert",
            "--chain",
            &spec,
            "--base-path",
            &db,
            "--key-type",
            key_type,
            "--scheme",
            scheme,
            "--suri",
            phrase,
        ]);
        assert!(ok, "{out}");
    }

    let node = Node::start(
        "operator",
        &[
            "--chain",
            &spec,
            "--base-path",
            &db,
            "--validator",
            "--node-key",
            "0000000000000000000000000000000000000000000000000000000000000007",
        ],
    );
    node.wait_for_rpc();
    node.wait_for(
        "three final blocks on the operator's chain",
        Duration::from_secs(60),
        |node| node.finalized_number().filter(|n| *n >= 3),
    );
    let name = node.rpc("system_chain", json!([]));
    assert_eq!(name, json!("Operator test"));
    assert!(
        !node.log_lines_with("certified").is_empty(),
        "blocks are final by certificate: {}",
        node.log_tail()
    );
}

fn yaml(path: &str) -> serde_yaml::Value {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const NODES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];

fn command_of(compose: &serde_yaml::Value, service: &str) -> Vec<String> {
    compose["services"][service]["command"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{service} has a command list"))
        .iter()
        .map(|arg| arg.as_str().unwrap().to_string())
        .collect()
}

fn argument_after<'a>(command: &'a [String], flag: &str) -> Option<&'a str> {
    let at = command.iter().position(|arg| arg == flag)?;
    command.get(at + 1).map(String::as_str)
}

/// Names of the metrics a PromQL expression reads.
fn metric_names(expr: &str) -> Vec<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|word| word.starts_with("substrate_") || word.starts_with("cpchain_"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_container_network_and_its_dashboard_match_the_node() {
    let compose = yaml("docker/network/docker-compose.yml");
    let dir = TempDir::new("cpchain-operator-compose");

    // Every node finds Alice under the peer id her fixed key gives.
    let alice_peer = node_key_peer_id(&dir, 0);
    for (index, name) in NODES.iter().enumerate() {
        let command = command_of(&compose, name);
        assert_eq!(
            argument_after(&command, "--node-key"),
            Some(format!("{:064x}", index + 1).as_str()),
            "{name}'s node key"
        );
        assert!(
            command.iter().any(|arg| arg == &format!("--{name}")),
            "{name}'s keys"
        );
        assert!(
            command.iter().any(|arg| arg == "--prometheus-external"),
            "{name} must serve metrics to the Prometheus container"
        );
        if *name != "alice" {
            assert_eq!(
                argument_after(&command, "--bootnodes"),
                Some(format!("/dns/alice/tcp/30333/p2p/{alice_peer}").as_str()),
                "{name}'s bootnode"
            );
        }
    }
    // Published ports stay on the host's loopback.
    for service in compose["services"].as_mapping().unwrap().values() {
        for port in service["ports"].as_sequence().into_iter().flatten() {
            assert!(port.as_str().unwrap().starts_with("127.0.0.1:"), "{port:?}");
        }
    }

    // Prometheus scrapes each node, and nothing else.
    let prometheus = yaml("docker/network/prometheus.yml");
    let targets: BTreeSet<String> = prometheus["scrape_configs"][0]["static_configs"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|config| config["targets"].as_sequence().unwrap().clone())
        .map(|target| target.as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = NODES.iter().map(|name| format!("{name}:9615")).collect();
    assert_eq!(targets, expected);

    // The dashboard's queries read metrics a running node exposes.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("docker/network/grafana/dashboards/cpchain.json"))
            .unwrap(),
    )
    .expect("the dashboard is JSON");
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().unwrap().clone())
        .map(|target| target["expr"].as_str().unwrap().to_string())
        .collect();
    assert!(exprs.len() >= 8, "{exprs:?}");
    let prometheus_port = free_port().to_string();
    let node = Node::start(
        "metrics",
        &["--dev", "--tmp", "--prometheus-port", &prometheus_port],
    );
    node.wait_for_rpc();
    node.wait_for("two final blocks", Duration::from_secs(60), |node| {
        node.finalized_number().filter(|n| *n >= 2)
    });
    let metrics = scrape_metrics(prometheus_port.parse().unwrap());
    let exposed: BTreeSet<&str> = metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split(['{', ' ']).next())
        .collect();
    for expr in &exprs {
        let names = metric_names(expr);
        assert!(!names.is_empty(), "{expr} reads no node metric");
        for name in names {
            assert!(
                exposed.contains(name.as_str()),
                "the node has no metric {name} ({expr})"
            );
        }
    }

    // Where the compose plugin exists, it must accept the file too.
    let compose_plugin = Command::new("docker").args(["compose", "version"]).output();
    if compose_plugin.is_ok_and(|out| out.status.success()) {
        let out = Command::new("docker")
            .args(["compose", "-f"])
            .arg(repo().join("docker/network/docker-compose.yml"))
            .args(["config", "--quiet"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    } else {
        eprintln!(
            "docker compose is not installed here: the compose file was checked structurally only"
        );
    }
}
