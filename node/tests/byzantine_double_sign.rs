//! Double signing is reported on chain. On the six-node `local` network,
//! Bob (a validator) sends a second PREPARE for another block with each of
//! his own, and Eve (a proposer) seals a second block at each of her
//! heights; both through the test-only `byzantine-test` build of the node.
//!
//! The honest nodes must turn what they see into `report_equivocation`
//! transactions that the runtime accepts: Bob and Eve end up recorded as
//! offenders, Eve barred from the next election, no honest node recorded,
//! and finality goes on.

#![cfg(feature = "byzantine-test")]

mod common;

use std::{collections::BTreeSet, time::Duration};

use codec::Decode;
use common::{hex_decode, hex_encode, Node, TempDir};
use cpchain_primitives::{dpor_crypto::AuthorityId, equivocation::Offender};
use serde_json::json;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

const NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
const WITHIN: Duration = Duration::from_secs(150);

/// The offenders recorded in the final state, from the keys of
/// `Dpor::Offences` (height, then the offender, each after its hash).
fn recorded_offenders(node: &Node) -> BTreeSet<(u32, Offender)> {
    let prefix = [
        sp_io::hashing::twox_128(b"Dpor"),
        sp_io::hashing::twox_128(b"Offences"),
    ]
    .concat();
    let at = node.rpc("chain_getFinalizedHead", json!([]));
    let keys = node.rpc(
        "state_getKeysPaged",
        json!([hex_encode(&prefix), 1000, null, at]),
    );
    keys.as_array()
        .expect("a list of keys")
        .iter()
        .map(|key| {
            let key = hex_decode(key.as_str().unwrap());
            // twox64(height) ++ height ++ blake2_128(offender) ++ offender
            let rest = &key[prefix.len() + 8..];
            let height = u32::decode(&mut &rest[..4]).unwrap();
            let offender = Offender::decode(&mut &rest[4 + 16..]).expect("an offender");
            (height, offender)
        })
        .collect()
}

#[test]
fn a_double_voting_validator_and_a_double_sealing_proposer_are_recorded_on_chain() {
    let base = TempDir::new("cpchain-byzantine");
    let nodes = common::start_local_network(&base, "byzantine", &NAMES, |name| match name {
        "bob" => vec![("CPCHAIN_TEST_DOUBLE_VOTE".into(), "1".into())],
        "eve" => vec![("CPCHAIN_TEST_DOUBLE_SEAL".into(), "1".into())],
        _ => Vec::new(),
    });
    let alice = &nodes[0];
    let bob = Offender::Validator(AuthorityId::from(Ed25519Keyring::Bob.public()));
    let eve = Offender::Proposer(Sr25519Keyring::Eve.to_account_id());

    let offenders = alice.wait_for("Bob and Eve recorded as offenders", WITHIN, |node| {
        let recorded = recorded_offenders(node);
        let who: BTreeSet<&Offender> = recorded.iter().map(|(_, o)| o).collect();
        (who.contains(&bob) && who.contains(&eve)).then_some(recorded)
    });
    for (height, offender) in &offenders {
        assert!(
            *offender == bob || *offender == eve,
            "an honest node was recorded at #{height}: {offender:?}"
        );
    }

    // Eve cannot stand in the election of the term she was caught in.
    let barred_key = pallet_dpor::BarredUntil::<cpchain_runtime::Runtime>::hashed_key_for(
        Sr25519Keyring::Eve.to_account_id(),
    );
    assert!(
        common::storage_at(alice, &barred_key, &json!(null)).is_some(),
        "Eve is not barred"
    );

    // The committee still finalizes, on every node.
    let target = alice.finalized_number().unwrap() + 3;
    for node in &nodes {
        node.wait_for("finality to go on", WITHIN, |node| {
            node.finalized_number().filter(|n| *n >= target)
        });
    }
    for (node, name) in nodes.iter().zip(NAMES) {
        if name != "bob" && name != "eve" {
            assert!(
                !node.log_lines_with("Reported the equivocation").is_empty()
                    || !node.log_lines_with("equivocated").is_empty()
                    || !node.log_lines_with("sealed two blocks").is_empty(),
                "{name} saw no double signing"
            );
        }
    }
}
