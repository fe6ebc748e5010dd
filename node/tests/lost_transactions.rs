//! Every transfer the pool accepts becomes final. On a dev node with room
//! in its pool (`--pool-limit 50000 --pool-kbytes 200000`), 60 funded
//! senders submit 200 pre-signed `transfer_keep_alive` each (12,000, in
//! JSON-RPC batches, as fast as the node takes them). Each accepted
//! submission must end up in a final block: each sender's nonce in the
//! final state reaches the number of its transfers the pool accepted.
//!
//! Submission is nonce-major (each batch spreads over the senders);
//! `LOST_TX_SENDER_MAJOR=1` submits each sender's 200 in a row instead.
//!
//! Issue 14 found some thousands of accepted transfers never included on
//! a DPoR dev node, where an Aura+GRANDPA node of the same SDK release
//! included them all.

mod common;

use std::time::{Duration, Instant};

use codec::Encode;
use common::{hex_encode, Node, TempDir};
use cpchain_primitives::AccountId;
use cpchain_runtime::{BalancesCall, RuntimeCall};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};
use sp_runtime::MultiAddress;

const SENDERS: u32 = 60;
const PER_SENDER: u32 = 200;
const BATCH: usize = 500;
const WITHIN: Duration = Duration::from_secs(240);

/// The dev chain spec with `funded` endowed.
fn dev_spec_funding(dir: &TempDir, funded: &[AccountId]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
        .args(["build-spec", "--chain", "dev", "--disable-default-bootnode"])
        .output()
        .expect("cpchain-node runs");
    assert!(output.status.success(), "build-spec failed");
    let mut spec: Value = serde_json::from_slice(&output.stdout).expect("a JSON chain spec");
    let balances = spec
        .pointer_mut("/genesis/runtimeGenesis/patch/balances/balances")
        .and_then(Value::as_array_mut)
        .expect("the dev spec endows balances");
    for who in funded {
        balances.push(json!([
            who.to_ss58check(),
            1_000_000_000_000_000_000_000u128
        ]));
    }
    std::fs::create_dir_all(&dir.0).expect("the test directory");
    let path = dir.0.join("dev-funded.json");
    std::fs::write(&path, spec.to_string()).expect("the spec is written");
    path.display().to_string()
}

#[test]
fn every_transfer_the_pool_accepts_becomes_final() {
    every_accepted_transfer_becomes_final("dpor", &[]);
}

/// Substrate's instant sealing sealed once per pool notification and lost
/// most notifications under a burst, and the fork-aware pool kept most
/// transfers out of its views while every block was final at import:
/// 10,846 of 12,000 accepted transfers stayed in the pool for good. A
/// sealing node now seals while the pool holds ready transactions, on the
/// single-state pool unless `--pool-type` says otherwise.
#[test]
fn every_transfer_the_pool_accepts_becomes_final_with_instant_sealing() {
    every_accepted_transfer_becomes_final("instant", &["--sealing", "instant"]);
}

fn every_accepted_transfer_becomes_final(label: &str, extra_args: &[&str]) {
    let dir = TempDir::new(&format!("cpchain-lost-transactions-{label}"));
    let senders: Vec<sr25519::Pair> = (0..SENDERS)
        .map(|i| sr25519::Pair::from_string(&format!("//lost//{i}"), None).unwrap())
        .collect();
    let funded: Vec<AccountId> = senders.iter().map(|pair| pair.public().into()).collect();
    let spec = dev_spec_funding(&dir, &funded);
    let mut args = vec![
        "--chain",
        &spec,
        "--alice",
        "--tmp",
        "--node-key",
        "0000000000000000000000000000000000000000000000000000000000000001",
        "--pool-limit",
        "50000",
        "--pool-kbytes",
        "200000",
    ];
    args.extend_from_slice(extra_args);
    let node = Node::start(&format!("lost-transactions-{label}"), &args);
    if extra_args.is_empty() {
        node.wait_for("block #1 final", Duration::from_secs(60), |node| {
            node.finalized_number().filter(|n| *n >= 1)
        });
    } else {
        // Instant sealing makes no block until a transaction comes.
        node.wait_for_rpc();
    }
    let genesis = node.rpc("chain_getBlockHash", json!([0]));
    let genesis = H256::from_slice(&common::hex_decode(genesis.as_str().unwrap()));
    let dest = MultiAddress::Id(AccountId::from(
        sr25519::Pair::from_string("//Bob", None).unwrap().public(),
    ));

    // Nonce-major, so that every batch spreads over the senders, as a busy
    // network's traffic does.
    let mut signed = Vec::new();
    let sender_major = std::env::var("LOST_TX_SENDER_MAJOR").is_ok();
    let order: Vec<(u32, usize)> = if sender_major {
        (0..senders.len())
            .flat_map(|i| (0..PER_SENDER).map(move |n| (n, i)))
            .collect()
    } else {
        (0..PER_SENDER)
            .flat_map(|n| (0..senders.len()).map(move |i| (n, i)))
            .collect()
    };
    for (nonce, index) in order {
        let pair = &senders[index];
        {
            let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
                dest: dest.clone(),
                value: 1_000_000_000_000,
            });
            let xt = cpchain_runtime::sign_extrinsic(call, pair, nonce, genesis).encode();
            signed.push((index, hex_encode(&xt)));
        }
    }
    let mut accepted = vec![0u32; SENDERS as usize];
    let mut refused = Vec::new();
    let started = Instant::now();
    for chunk in signed.chunks(BATCH) {
        let request = common::RpcClient::submit_batch(chunk.iter().map(|(_, hex)| hex.as_str()));
        let answers = node.rpc_batch(request);
        for answer in answers {
            let id = answer["id"].as_u64().expect("an id") as usize;
            let sender = chunk[id].0;
            if answer.get("result").is_some() {
                accepted[sender] += 1;
            } else {
                refused.push(answer["error"].to_string());
            }
        }
    }
    let total: u32 = accepted.iter().sum();
    eprintln!(
        "accepted {total} of {} in {:?}; refused {}: {:?}",
        signed.len(),
        started.elapsed(),
        refused.len(),
        refused.first()
    );
    assert!(total > 0, "the pool accepted nothing");

    let deadline = Instant::now() + WITHIN;
    loop {
        let at = node.rpc("chain_getFinalizedHead", json!([]));
        let nonces: Vec<u32> = funded
            .iter()
            .map(|who| common::nonce_at(&node, who, &at))
            .collect();
        let missing: u32 = nonces
            .iter()
            .zip(&accepted)
            .map(|(nonce, accepted)| accepted.saturating_sub(*nonce))
            .sum();
        if missing == 0 {
            eprintln!(
                "all {total} accepted transfers final after {:?}",
                started.elapsed()
            );
            break;
        }
        if Instant::now() > deadline {
            let stuck: Vec<(usize, u32, u32)> = nonces
                .iter()
                .zip(&accepted)
                .enumerate()
                .filter(|(_, (nonce, accepted))| nonce < accepted)
                .map(|(i, (nonce, accepted))| (i, *nonce, *accepted))
                .take(10)
                .collect();
            panic!(
                "{missing} of {total} accepted transfers not final after {WITHIN:?}; \
                 (sender, final nonce, accepted): {stuck:?}\n{}",
                node.log_tail()
            );
        }
        std::thread::sleep(Duration::from_secs(3));
    }
}
