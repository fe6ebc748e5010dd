//! DPoR without a full mesh: the six nodes of `local_testnet` each peer
//! only with one full node (a hub, holding no key), and a follower reaches
//! the network only through a second full node that peers with the hub.
//!
//! ```text
//!   alice  bob  charlie  dave  eve  ferdie
//!      \    \      |      /    /    /
//!                 hub ── relay ── follower
//! ```
//!
//! No validator hears another directly: every vote, certificate and block
//! must be relayed by the hub, and the follower's by the relay too. Every
//! node, the follower included, must finalize the same blocks.

mod common;

use std::time::Duration;

use common::{free_port, node_key_peer_id, Node, TempDir};
use serde_json::json;

const PROPOSERS_AND_VALIDATORS: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
const WITHIN: Duration = Duration::from_secs(180);
const HEIGHTS: u64 = 6;

struct Peer {
    rpc: u16,
    p2p: u16,
    address: String,
}

fn peer(base: &TempDir, key_index: usize) -> Peer {
    let p2p = free_port();
    Peer {
        rpc: free_port(),
        p2p,
        address: format!(
            "/ip4/127.0.0.1/tcp/{p2p}/p2p/{}",
            node_key_peer_id(base, key_index)
        ),
    }
}

fn start(
    name: &str,
    key_index: usize,
    at: &Peer,
    base: &TempDir,
    role: Option<&str>,
    reserved: &[&Peer],
) -> Node {
    let mut args = vec![
        "--chain".to_string(),
        "local".into(),
        "--base-path".into(),
        base.0.join(name).display().to_string(),
        "--node-key".into(),
        format!("{:064x}", key_index + 1),
    ];
    args.extend(role.map(str::to_string));
    if !reserved.is_empty() {
        args.push("--reserved-only".into());
        for peer in reserved {
            args.push("--reserved-nodes".into());
            args.push(peer.address.clone());
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Node::start_on(&format!("mesh-{name}"), &args, at.rpc, at.p2p)
}

fn peer_count(node: &Node) -> usize {
    node.rpc("system_peers", json!([]))
        .as_array()
        .map(Vec::len)
        .unwrap_or(0)
}

#[test]
fn validators_behind_one_hub_and_a_follower_two_hops_away_finalize_every_block() {
    let base = TempDir::new("cpchain-mesh");
    let hub_at = peer(&base, 10);
    let relay_at = peer(&base, 11);
    let follower_at = peer(&base, 12);

    // One at a time: nine nodes compiling the runtime at once on two cores
    // would outlast the RPC wait.
    let hub = start("hub", 10, &hub_at, &base, None, &[]);
    hub.wait_for_rpc();
    let relay = start(
        "relay",
        11,
        &relay_at,
        &base,
        None,
        &[&hub_at, &follower_at],
    );
    relay.wait_for_rpc();
    let follower = start("follower", 12, &follower_at, &base, None, &[&relay_at]);
    follower.wait_for_rpc();
    let mut committee = Vec::new();
    for (index, name) in PROPOSERS_AND_VALIDATORS.iter().enumerate() {
        let at = peer(&base, index);
        let role = format!("--{name}");
        let node = start(name, index, &at, &base, Some(&role), &[&hub_at]);
        node.wait_for_rpc();
        committee.push(node);
    }
    let all: Vec<&Node> = committee.iter().chain([&hub, &relay, &follower]).collect();

    for node in &all {
        node.wait_for(&format!("block #{HEIGHTS} final"), WITHIN, |node| {
            node.finalized_number().filter(|n| *n >= HEIGHTS)
        });
    }
    for height in 1..=HEIGHTS {
        let hashes: Vec<String> = all
            .iter()
            .map(|node| {
                node.rpc("chain_getBlockHash", json!([height]))
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert!(
            hashes
                .iter()
                .all(|hash| *hash == hashes[0] && !hash.is_empty()),
            "nodes disagree at #{height}: {hashes:?}"
        );
    }
    // The topology held: no validator or proposer found another.
    for node in &committee {
        assert_eq!(peer_count(node), 1, "{}", node.log_tail());
    }
    assert_eq!(peer_count(&follower), 1);
}
