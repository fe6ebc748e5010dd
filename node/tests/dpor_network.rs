//! A DPoR network of six node processes on loopback, with the
//! `local_testnet` preset: validators Alice, Bob, Charlie and Dave, default
//! proposers Eve and Ferdie. Every block must be final on every node with
//! the same hash; a silent proposer must be impeached; a restarted
//! validator must catch up; one crashed validator must not stop the chain;
//! two must stop finality without a fork, and their restart resume it
//! without an equivocation.

mod common;

use std::time::Duration;

use common::{is_impeach_block, Node, TempDir};
use serde_json::{json, Value};

const NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
/// The peer id of network key 0x00..01, Alice's, so that the others can
/// name her as bootnode.
const ALICE_PEER_ID: &str = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";
const LONG: Duration = Duration::from_secs(150);

fn start(name: &str, index: usize, base: &TempDir, alice_port: Option<u16>) -> Node {
    let node_key = format!("{:064x}", index + 1);
    let base_path = base.0.join(name);
    let mut args = vec![
        "--chain".to_string(),
        "local".into(),
        format!("--{name}"),
        "--base-path".into(),
        base_path.display().to_string(),
        "--node-key".into(),
        node_key,
    ];
    if let Some(port) = alice_port {
        args.push("--bootnodes".into());
        args.push(format!("/ip4/127.0.0.1/tcp/{port}/p2p/{ALICE_PEER_ID}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Node::start(&format!("dpor-{name}"), &args)
}

fn block_hash(node: &Node, height: u64) -> Option<String> {
    let hash = node.try_rpc("chain_getBlockHash", json!([height])).ok()?;
    hash.as_str().map(str::to_string)
}

fn wait_finalized(node: &Node, height: u64) {
    node.wait_for(&format!("block #{height} final"), LONG, |node| {
        node.finalized_number().filter(|n| *n >= height)
    });
}

fn assert_same_chain(nodes: &[&Node], heights: std::ops::RangeInclusive<u64>) {
    for height in heights {
        let hashes: Vec<Option<String>> =
            nodes.iter().map(|node| block_hash(node, height)).collect();
        assert!(hashes[0].is_some(), "no block #{height}");
        assert!(
            hashes.iter().all(|hash| *hash == hashes[0]),
            "nodes disagree at #{height}: {hashes:?}"
        );
    }
}

#[test]
fn a_six_node_network_finalizes_every_block_and_impeaches_a_silent_proposer() {
    let base = TempDir(std::env::temp_dir().join(format!("cpchain-dpor-{}", std::process::id())));
    let alice = start("alice", 0, &base, None);
    alice.wait_for_rpc();
    let mut nodes: Vec<Option<Node>> = vec![Some(alice)];
    let alice_port = nodes[0].as_ref().unwrap().p2p_port;
    for (index, name) in NAMES.iter().enumerate().skip(1) {
        nodes.push(Some(start(name, index, &base, Some(alice_port))));
    }
    for node in nodes.iter().flatten() {
        node.wait_for_rpc();
    }

    // Normal case: every node finalizes the proposers' blocks. The first
    // block may be impeached: Alice's validators start before the others
    // have connected.
    for node in nodes.iter().flatten() {
        wait_finalized(node, 6);
    }
    let all: Vec<&Node> = nodes.iter().flatten().collect();
    assert_same_chain(&all, 1..=6);
    let alice = nodes[0].as_ref().unwrap();
    let mut proposed = 0;
    for height in 1..=6 {
        let hash = block_hash(alice, height).unwrap();
        if !is_impeach_block(alice, &hash) {
            proposed += 1;
        }
        let block = alice.rpc("chain_getBlock", json!([hash]));
        let justifications = block["justifications"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let engines: Vec<Value> = justifications.iter().map(|j| j[0].clone()).collect();
        assert!(
            engines.contains(&json!([100, 112, 111, 114])),
            "#{height} has no DPoR certificate: {block}"
        );
    }
    assert!(
        proposed >= 4,
        "only {proposed} of blocks #1..=#6 came from proposers"
    );
    assert!(!is_impeach_block(alice, &block_hash(alice, 6).unwrap()));
    let round = alice.rpc("dpor_roundState", json!([]));
    assert_eq!(round["validator"], true, "{round}");
    assert_eq!(round["validators"], 4, "{round}");

    // Abnormal case: Eve goes silent; the committee impeaches her turns and
    // the chain goes on with Ferdie's blocks.
    nodes[4].take().unwrap().stop();
    let from = nodes[0].as_ref().unwrap().finalized_number().unwrap();
    let to = from + 4;
    let alice = nodes[0].as_ref().unwrap();
    wait_finalized(alice, to);
    let impeached = (from + 1..=to)
        .filter(|height| is_impeach_block(alice, &block_hash(alice, *height).unwrap()))
        .count();
    assert!(
        (1..=3).contains(&impeached),
        "expected Eve's turns among #{}..=#{to} to be impeach blocks, found {impeached}",
        from + 1
    );
    let live: Vec<&Node> = nodes.iter().flatten().collect();
    for node in &live {
        wait_finalized(node, to);
    }
    assert_same_chain(&live, 1..=to);

    // A validator restarts from its database and catches up.
    nodes[1].take().unwrap().stop();
    let bob = start("bob", 1, &base, Some(alice_port));
    bob.wait_for_rpc();
    let target = nodes[0].as_ref().unwrap().finalized_number().unwrap() + 2;
    wait_finalized(&bob, target);
    assert_same_chain(&[nodes[0].as_ref().unwrap(), &bob], 1..=target);
    nodes[1] = Some(bob);

    // One validator crashes (SIGKILL): three of four still certify.
    let mut crashed = vec![nodes[1].take().unwrap()];
    crashed[0].kill();
    let alice = nodes[0].as_ref().unwrap();
    wait_finalized(alice, alice.finalized_number().unwrap() + 2);

    // A second one crashes: two votes are short of 2f+1 = 3, so nothing is
    // certified. Proposals are built on the last final block only, so
    // whatever is pending sits one above it and never becomes final: the
    // final chain cannot fork.
    let mut charlie = nodes[2].take().unwrap();
    charlie.kill();
    crashed.push(charlie);
    let alice = nodes[0].as_ref().unwrap();
    // A round whose votes were already out may still complete.
    std::thread::sleep(Duration::from_secs(4));
    let stalled = alice.finalized_number().unwrap();
    std::thread::sleep(Duration::from_secs(12));
    for node in [alice, nodes[3].as_ref().unwrap()] {
        assert_eq!(node.finalized_number(), Some(stalled), "finality went on");
        let best = node.rpc("chain_getHeader", json!([]));
        let best = common::parse_hex_u64(best["number"].as_str().unwrap()).unwrap();
        assert!(
            best <= stalled + 1,
            "#{best} was built on blocks that are not final (#{stalled} is)"
        );
    }

    // Both restart from their databases; finality resumes. Neither votes
    // against what it voted before the crash: no node saw an equivocation.
    let bob = start("bob", 1, &base, Some(alice_port));
    let charlie = start("charlie", 2, &base, Some(alice_port));
    nodes[1] = Some(bob);
    nodes[2] = Some(charlie);
    let live: Vec<&Node> = nodes.iter().flatten().collect();
    for node in &live {
        node.wait_for_rpc();
        wait_finalized(node, stalled + 2);
    }
    assert_same_chain(&live, 1..=stalled + 2);
    for node in live.iter().copied().chain(&crashed) {
        let reports = node.log_lines_with("equivocated");
        assert!(reports.is_empty(), "{reports:?}");
    }
}
