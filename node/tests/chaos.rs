//! Chaos on the six-node `local_testnet` network: validators (Alice, Bob,
//! Charlie, Dave) and proposers (Eve, Ferdie) are killed with SIGKILL at
//! random, one, two or all six at once, and restarted from their
//! databases. After every restart finality must resume on every node,
//! proposers included, and every node must hold the same final block at
//! every height, with no equivocation (two votes, or two sealed blocks of
//! one height) logged by anyone.
//!
//! The suite runs two minutes from seed 1. `scripts/chaos.sh --minutes 10
//! --seed S` runs longer ones: it sets `CHAOS_SECONDS` and `CHAOS_SEED`.

mod common;

use std::time::{Duration, Instant};

use common::{free_port, node_key_peer_id, Node, TempDir};
use serde_json::json;

const NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
/// How long finality may take to resume on every node after a restart:
/// a few rounds of the local testnet's 9 s first-round timeout, growing.
const RESUME_WITHIN: Duration = Duration::from_secs(150);

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Network {
    base: TempDir,
    ports: Vec<(u16, u16)>,
    bootnodes: Vec<String>,
    nodes: Vec<Option<Node>>,
}

impl Network {
    fn start(&mut self, index: usize) {
        let name = NAMES[index];
        let mut args = vec![
            "--chain".to_string(),
            "local".into(),
            format!("--{name}"),
            "--base-path".into(),
            self.base.0.join(name).display().to_string(),
            "--node-key".into(),
            format!("{:064x}", index + 1),
            "--bootnodes".into(),
        ];
        for (other, address) in self.bootnodes.iter().enumerate() {
            if other != index {
                args.push(address.clone());
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (rpc, p2p) = self.ports[index];
        self.nodes[index] = Some(Node::start_on(&format!("chaos-{name}"), &args, rpc, p2p));
    }

    fn live(&self) -> Vec<&Node> {
        self.nodes.iter().flatten().collect()
    }

    fn finalized(&self) -> Vec<Option<u64>> {
        self.nodes
            .iter()
            .map(|n| n.as_ref().and_then(Node::finalized_number))
            .collect()
    }

    /// Waits until every node has finalized `height`.
    fn wait_all_final(&self, height: u64, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let finalized = self.finalized();
            if finalized.iter().all(|f| f.is_some_and(|f| f >= height)) {
                return;
            }
            if Instant::now() > deadline {
                let tails: Vec<String> = self
                    .live()
                    .iter()
                    .map(|n| format!("--- {} ---\n{}", n.log.display(), n.log_tail()))
                    .collect();
                panic!(
                    "finality did not reach #{height} on every node within {within:?}: {finalized:?}\n{}",
                    tails.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Every node holds the same final block at each height in `heights`.
    fn assert_agree(&self, heights: std::ops::RangeInclusive<u64>) {
        for height in heights {
            let hashes: Vec<Option<String>> = self
                .live()
                .iter()
                .map(|n| {
                    n.try_rpc("chain_getBlockHash", json!([height]))
                        .ok()
                        .and_then(|h| h.as_str().map(str::to_string))
                })
                .collect();
            assert!(
                hashes[0].is_some() && hashes.iter().all(|h| *h == hashes[0]),
                "nodes disagree on final block #{height}: {hashes:?}"
            );
        }
    }
}

#[test]
fn kill_nine_at_random_never_forks_and_finality_always_resumes() {
    let seconds = env_u64("CHAOS_SECONDS", 120);
    let seed = env_u64("CHAOS_SEED", 1);
    let mut rng = Rng(seed);
    let base = TempDir(std::env::temp_dir().join(format!("cpchain-chaos-{}", std::process::id())));
    std::fs::create_dir_all(&base.0).unwrap();
    let ports: Vec<(u16, u16)> = (0..6).map(|_| (free_port(), free_port())).collect();
    let bootnodes = (0..6)
        .map(|i| {
            format!(
                "/ip4/127.0.0.1/tcp/{}/p2p/{}",
                ports[i].1,
                node_key_peer_id(&base, i)
            )
        })
        .collect();
    let mut network = Network {
        base,
        ports,
        bootnodes,
        nodes: (0..6).map(|_| None).collect(),
    };
    for index in 0..6 {
        network.start(index);
    }
    for node in network.live() {
        node.wait_for_rpc();
    }
    network.wait_all_final(2, RESUME_WITHIN);

    let started = Instant::now();
    let mut checked = 0;
    let mut cycles = 0;
    let mut all_at_once = 0;
    while started.elapsed() < Duration::from_secs(seconds) || cycles == 0 {
        // Let the chain run, then crash one, two or every node.
        std::thread::sleep(Duration::from_millis(2_000 + rng.below(6_000)));
        let victims: Vec<usize> = match rng.below(10) {
            0 | 1 => (0..6).collect(),
            2..=4 => {
                let first = rng.below(6) as usize;
                let second = (first + 1 + rng.below(5) as usize) % 6;
                vec![first, second]
            }
            _ => vec![rng.below(6) as usize],
        };
        if victims.len() == 6 {
            all_at_once += 1;
        }
        let before = network.finalized().into_iter().flatten().max().unwrap_or(0);
        eprintln!(
            "chaos cycle {cycles}: kill -9 {:?} at final #{before}",
            victims.iter().map(|v| NAMES[*v]).collect::<Vec<_>>()
        );
        let killed_at = Instant::now();
        for &victim in &victims {
            if let Some(mut node) = network.nodes[victim].take() {
                node.kill();
            }
        }
        std::thread::sleep(Duration::from_millis(500 + rng.below(4_000)));
        for &victim in &victims {
            network.start(victim);
        }
        for node in network.live() {
            node.wait_for_rpc();
        }
        // Finality resumes everywhere: two heights beyond anything final
        // anywhere once every node is back.
        let back = network
            .finalized()
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(before)
            .max(before);
        network.wait_all_final(back + 2, RESUME_WITHIN);
        eprintln!(
            "  every node final at #{} {:?} after the kill",
            back + 2,
            killed_at.elapsed()
        );
        let common = network.finalized().into_iter().flatten().min().unwrap_or(0);
        network.assert_agree(checked + 1..=common);
        checked = common;
        cycles += 1;
    }
    // Neither a validator's two votes nor a proposer's two sealed blocks
    // of a height, whatever moment a kill interrupted.
    for node in network.live() {
        let mut reports = node.log_lines_with("equivocated");
        reports.extend(node.log_lines_with("sealed two blocks"));
        assert!(reports.is_empty(), "{}: {reports:?}", node.log.display());
    }
    eprintln!(
        "chaos: {cycles} cycles ({all_at_once} with every node killed) in {:?}, {checked} final heights agreed on six nodes",
        started.elapsed()
    );
}
