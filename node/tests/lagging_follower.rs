//! A validator offline for 1,000 heights catches up and votes again. The
//! six-node `local` network runs at a 100 ms period; Dave (a validator)
//! stops, the other three certify 1,000 more blocks, and Dave restarts
//! from his database. He must sync the blocks he missed with their
//! certificates, finalize every one of them, reach the tip, and from then
//! on sign certificates again.

mod common;

use std::time::{Duration, Instant};

use common::TempDir;
use cpchain_primitives::dpor_crypto::AuthorityId;
use serde_json::json;
use sp_keyring::Ed25519Keyring;

const NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
const MISSED: u64 = 1_000;

#[test]
fn a_validator_offline_for_a_thousand_heights_catches_up_and_votes_again() {
    let base = TempDir::new("cpchain-lagging");
    let spec = common::local_spec_with_period(&base, 100);
    let mut nodes = common::start_network(&base, "lagging", &spec, &NAMES, |_| Vec::new());
    nodes[0].wait_for("block #3 final", Duration::from_secs(120), |node| {
        node.finalized_number().filter(|n| *n >= 3)
    });

    nodes[3].stop();
    let left_at = nodes[0].finalized_number().unwrap();
    let back_at = left_at + MISSED;
    let started = Instant::now();
    nodes[0].wait_for(
        "1,000 heights without Dave",
        Duration::from_secs(400),
        |node| node.finalized_number().filter(|n| *n >= back_at),
    );
    eprintln!("{MISSED} heights without Dave in {:?}", started.elapsed());

    nodes[3].restart();
    let dave = &nodes[3];
    dave.wait_for_rpc();
    let started = Instant::now();
    let tip = nodes[0].finalized_number().unwrap();
    dave.wait_for(
        "Dave to finalize the tip",
        Duration::from_secs(240),
        |node| node.finalized_number().filter(|n| *n >= tip),
    );
    eprintln!(
        "Dave finalized #{tip} {:?} after his restart",
        started.elapsed()
    );
    // Every block he missed is final on his node, with its certificate,
    // and the same as the network's.
    for height in [left_at + 1, left_at + MISSED / 2, back_at] {
        assert_eq!(
            dave.rpc("chain_getBlockHash", json!([height])),
            nodes[0].rpc("chain_getBlockHash", json!([height]))
        );
        assert!(!common::certificate_signers(dave, height).is_empty());
    }

    // He votes again: his signature appears in certificates.
    let dave_key = AuthorityId::from(Ed25519Keyring::Dave.public());
    let from = nodes[0].finalized_number().unwrap();
    let signed_by_dave = nodes[0].wait_for(
        "a certificate Dave signed",
        Duration::from_secs(120),
        |node| {
            let to = node.finalized_number()?;
            (from + 1..=to)
                .find(|height| common::certificate_signers(node, *height).contains(&dave_key))
        },
    );
    eprintln!("Dave signed the certificate of #{signed_by_dave}");
}
