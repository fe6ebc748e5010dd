//! Transactions travel to the proposers only (issue 14). On the six-node
//! `local` network (validators Alice..Dave, proposers Eve and Ferdie),
//! transfers submitted to a validator's RPC (Alice's) and to a proposer's
//! (Eve's) all become final, while Bob, Charlie and Dave, who get none
//! over RPC, validate none: a validator that is no proposer takes no
//! transactions from its peers. Alice's pool holds only what was submitted
//! to her, and she passes it on.
//!
//! Each block is executed once per node: a validator imports a proposal
//! through its import queue once, and the certificate only marks it final.

mod common;

use std::time::{Duration, Instant};

use codec::Encode;
use common::*;
use cpchain_primitives::AccountId;
use cpchain_runtime::{BalancesCall, RuntimeCall};
use serde_json::json;
use sp_core::{sr25519, Pair, H256};
use sp_runtime::MultiAddress;

const NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
const PER_SENDER: u32 = 20;
const WITHIN: Duration = Duration::from_secs(180);

fn signer(name: &str) -> sr25519::Pair {
    sr25519::Pair::from_string(&format!("//{}", capitalized(name)), None).unwrap()
}

fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[test]
fn transfers_reach_the_proposers_and_validators_validate_none_from_peers() {
    let dir = TempDir::new("cpchain-transaction-relay");
    let spec = local_spec_with_period(&dir, 1_000);
    let prometheus: Vec<u16> = NAMES.iter().map(|_| free_port()).collect();
    let nodes = start_network_with(
        &dir,
        "relay",
        &spec,
        &NAMES,
        |_| Vec::new(),
        |name| {
            let index = NAMES.iter().position(|n| *n == name).unwrap();
            vec!["--prometheus-port".into(), prometheus[index].to_string()]
        },
    );
    let (alice, charlie, eve) = (&nodes[0], &nodes[2], &nodes[4]);
    charlie.wait_for("block #2 final", Duration::from_secs(120), |node| {
        node.finalized_number().filter(|n| *n >= 2)
    });
    for (index, name) in NAMES.iter().enumerate() {
        // The relay decides when its task starts, which may be after the
        // first final blocks.
        let expected = if index < 4 { "not taken" } else { "taken" };
        let said = nodes[index].wait_for(
            &format!("{name} to say whether it takes transactions"),
            Duration::from_secs(30),
            |node| {
                let lines = node.log_lines_with("Transactions from peers:");
                (!lines.is_empty()).then_some(lines)
            },
        );
        assert!(
            said.iter().any(|line| line.contains(expected)),
            "{name} should say transactions from peers are {expected}: {said:?}"
        );
    }

    let genesis = alice.rpc("chain_getBlockHash", json!([0]));
    let genesis = H256::from_slice(&hex_decode(genesis.as_str().unwrap()));
    let dest = MultiAddress::Id(AccountId::from(
        sr25519::Pair::from_string("//relay-destination", None)
            .unwrap()
            .public(),
    ));
    // Alice, Bob and Charlie's transfers go to Alice's RPC; Dave, Eve and
    // Ferdie's to Eve's.
    let submit_to = |node: &Node, senders: &[&str]| {
        let signed: Vec<String> = (0..PER_SENDER)
            .flat_map(|nonce| senders.iter().map(move |name| (nonce, *name)))
            .map(|(nonce, name)| {
                let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
                    dest: dest.clone(),
                    value: 1_000_000_000_000,
                });
                hex_encode(
                    &cpchain_runtime::sign_extrinsic(call, &signer(name), nonce, genesis).encode(),
                )
            })
            .collect();
        let answers = node.rpc_batch(RpcClient::submit_batch(signed.iter().map(String::as_str)));
        let refused: Vec<&serde_json::Value> = answers
            .iter()
            .filter(|answer| answer.get("result").is_none())
            .collect();
        assert!(refused.is_empty(), "refused: {refused:?}");
        signed.len()
    };
    let to_alice = submit_to(alice, &NAMES[..3]);
    let to_eve = submit_to(eve, &NAMES[3..]);

    let started = Instant::now();
    loop {
        let at = charlie.rpc("chain_getFinalizedHead", json!([]));
        let nonces: Vec<u32> = NAMES
            .iter()
            .map(|name| nonce_at(charlie, &AccountId::from(signer(name).public()), &at))
            .collect();
        if nonces.iter().all(|nonce| *nonce >= PER_SENDER) {
            eprintln!("all transfers final after {:?}", started.elapsed());
            break;
        }
        assert!(
            started.elapsed() < WITHIN,
            "not all transfers final after {WITHIN:?}: final nonces {nonces:?}\n{}",
            alice.log_tail()
        );
        std::thread::sleep(Duration::from_secs(1));
    }

    let final_height = charlie.finalized_number().unwrap();
    let metrics: Vec<String> = prometheus
        .iter()
        .map(|port| scrape_metrics(*port))
        .collect();
    // The single-state pool (the default) and the fork-aware one name
    // their counter of transactions submitted differently.
    let submitted: Vec<f64> = metrics
        .iter()
        .map(|m| {
            metric_sum(m, "substrate_sub_txpool_submitted_transactions")
                + metric_sum(m, "substrate_sub_txpool_submitted_txs_total")
        })
        .collect();
    eprintln!("transactions submitted to each pool: {submitted:?}");
    for (index, name) in NAMES.iter().enumerate().take(4).skip(1) {
        assert_eq!(
            submitted[index], 0.0,
            "{name}, a validator that is no proposer, validated transactions"
        );
    }
    assert_eq!(
        submitted[0], to_alice as f64,
        "Alice validates what she is given over RPC, and nothing from peers"
    );
    // Eve validates what she is given; Alice's reach the term's
    // proposers (Eve, Ferdie or both, as the election drew them).
    assert!(submitted[4] >= to_eve as f64);
    assert!(
        submitted[4] + submitted[5] >= (to_eve + to_alice) as f64,
        "the proposers got Alice's transactions: {submitted:?}"
    );
    let sent_by_alice = metric_sum(&metrics[0], "cpchain_dpor_transactions_sent_total");
    assert!(
        sent_by_alice >= to_alice as f64,
        "Alice passed on {sent_by_alice} of the {to_alice} given to her"
    );

    for (index, name) in NAMES.iter().enumerate().take(4) {
        // The queue also counts blocks it found already imported (sync
        // fetching an impeach block this node built itself): those are not
        // executed. Only blocks past that check and the verifier are timed.
        let processed = metric_sum(&metrics[index], "substrate_import_queue_processed_total");
        let executed = metric_sum(
            &metrics[index],
            "substrate_block_verification_and_import_time_count",
        );
        eprintln!(
            "{name}: {executed} blocks executed by the import queue ({processed} processed), {final_height} final"
        );
        // Blocks #1 and #2 are impeach blocks each node builds itself, so
        // a second execution of each proposal would pass the final count.
        assert!(
            executed <= final_height as f64,
            "{name} executed {executed} blocks for {final_height} final ones"
        );
    }
}
