//! Finality without state: warp sync and `dpor_proveFinality`.
//!
//! The six-node `local` network runs with a short period. Early on, sudo
//! replaces Alice by Eve as a validator, so that the chain holds one
//! validator-set change, announced in the header of the outgoing set's
//! last block. After 500 blocks:
//!
//! - a seventh node with `--sync warp` gets the certified headers of every
//!   set change, then the state at the tip, without executing the blocks
//!   before it, and then follows finality like any node;
//! - `dpor_proveFinality` gives a proof that the standalone verifier in the
//!   primitives accepts from the genesis validators alone, and tampered
//!   proofs are refused.

mod common;

use std::time::Duration;

use codec::{Decode, Encode};
use common::{free_port, hex_decode, node_key_peer_id, Node, TempDir};
use cpchain_primitives::{
    dpor_crypto::AuthorityId,
    finality::{verify_finality, FinalityProof, FinalityProofError, ValidatorsChanged},
    Hash, SS58_PREFIX,
};
use cpchain_runtime::RuntimeCall;
use serde_json::json;
use sp_core::crypto::{Ss58AddressFormat, Ss58Codec};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

const NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
const BLOCKS: u64 = 500;
const PERIOD_MS: u64 = 100;

fn validator(
    account: Sr25519Keyring,
    key: Ed25519Keyring,
) -> (cpchain_primitives::AccountId, AuthorityId) {
    (account.to_account_id(), AuthorityId::from(key.public()))
}

fn genesis(node: &Node) -> Hash {
    let hash = node.rpc("chain_getBlockHash", json!([0]));
    Hash::from_slice(&hex_decode(hash.as_str().unwrap()))
}

/// Sudo (Alice) replaces the validators from the next term on.
fn replace_alice_by_eve(alice: &Node) {
    let new_set = vec![
        validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
        validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
        validator(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
        validator(Sr25519Keyring::Eve, Ed25519Keyring::Eve),
    ];
    let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo {
        call: Box::new(RuntimeCall::Dpor(pallet_dpor::Call::set_validators {
            validators: new_set,
        })),
    });
    let address = Sr25519Keyring::Alice
        .to_account_id()
        .to_ss58check_with_version(Ss58AddressFormat::custom(SS58_PREFIX));
    let nonce = alice
        .rpc("system_accountNextIndex", json!([address]))
        .as_u64()
        .unwrap() as u32;
    let xt =
        cpchain_runtime::sign_extrinsic(call, &Sr25519Keyring::Alice.pair(), nonce, genesis(alice));
    alice.rpc(
        "author_submitExtrinsic",
        json!([common::hex_encode(&xt.encode())]),
    );
}

/// The blocks up to `up_to` that `node` holds without a DPoR justification.
fn blocks_without_certificate(node: &Node, up_to: u64) -> Vec<u64> {
    (1..=up_to)
        .filter(|number| {
            let hash = node.rpc("chain_getBlockHash", json!([number]));
            let block = node.rpc("chain_getBlock", json!([hash]));
            !block["justifications"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|justification| {
                    justification[0] == json!(cpchain_primitives::digest::DPOR_ENGINE_ID)
                })
        })
        .collect()
}

fn proof_of(node: &Node, number: u64) -> FinalityProof {
    let answer = node.rpc("dpor_proveFinality", json!([number]));
    let bytes = hex_decode(answer["proof"].as_str().expect("a hex proof"));
    FinalityProof::decode(&mut &bytes[..]).expect("a SCALE proof")
}

#[test]
fn a_new_node_warp_syncs_across_a_validator_change_and_proofs_need_no_state() {
    let base = TempDir::new("cpchain-warp");
    let spec = common::local_spec_with_period(&base, PERIOD_MS);
    // Ferdie finalizes the first blocks without storing their
    // certificates, as a node does that loses the race between its own
    // certificate and a later block's from sync; she must fetch them.
    let nodes = common::start_network(&base, "warp", &spec, &NAMES, |name| {
        if name == "ferdie" {
            vec![("CPCHAIN_TEST_LOSE_CERTIFICATES".into(), "20".into())]
        } else {
            Vec::new()
        }
    });
    let alice = &nodes[0];
    alice.wait_for("block #2 final", Duration::from_secs(120), |node| {
        node.finalized_number().filter(|n| *n >= 2)
    });
    replace_alice_by_eve(alice);

    let started = std::time::Instant::now();
    alice.wait_for("500 final blocks", Duration::from_secs(400), |node| {
        node.finalized_number().filter(|n| *n >= BLOCKS)
    });
    eprintln!("500 blocks final after {:?}", started.elapsed());

    // Every node serves the history with a certificate per block, Ferdie
    // too: a syncing node refuses history without them and drops the peer
    // that sent it.
    for node in &nodes {
        node.wait_for(
            "a certificate for every final block",
            Duration::from_secs(60),
            |node| {
                let missing = blocks_without_certificate(node, BLOCKS);
                if !missing.is_empty() {
                    eprintln!("{}: no certificate for {missing:?}", node.log.display());
                }
                missing.is_empty().then_some(())
            },
        );
    }

    // A proof from the genesis validators alone.
    let genesis_validators: Vec<AuthorityId> = [
        Ed25519Keyring::Alice,
        Ed25519Keyring::Bob,
        Ed25519Keyring::Charlie,
        Ed25519Keyring::Dave,
    ]
    .iter()
    .map(|key| AuthorityId::from(key.public()))
    .collect();
    let target = alice.finalized_number().unwrap();
    let proof = proof_of(alice, target);
    assert_eq!(proof.fragments.len(), 2, "the hand-over and the target");
    let change = ValidatorsChanged::find_in(&proof.fragments[0].header).expect("a set change");
    assert_eq!(change.set_id, 1);
    assert!(change
        .validators
        .contains(&AuthorityId::from(Ed25519Keyring::Eve.public())));
    let proven = verify_finality(genesis(alice), genesis_validators.clone(), &proof)
        .expect("the proof checks");
    assert_eq!(u64::from(proven.number), target);
    let hash = alice.rpc("chain_getBlockHash", json!([target]));
    assert_eq!(json!(proven.hash()), hash);

    // Tampered proofs prove nothing.
    let mut changed = proof.clone();
    changed.fragments[1].header.state_root = Hash::repeat_byte(1);
    assert!(matches!(
        verify_finality(genesis(alice), genesis_validators.clone(), &changed),
        Err(FinalityProofError::BadSignature { .. })
    ));
    let skipped = FinalityProof {
        fragments: vec![proof.fragments[1].clone()],
        is_finished: true,
    };
    // Without the hand-over, the target's certificate is checked against
    // the genesis set: it fails if Eve signed it; if only validators of
    // both sets did, it is a quorum of the genesis set too, and rightly
    // proves the block.
    let eve_signed = proof.fragments[1]
        .justification
        .signatures
        .iter()
        .any(|(signer, _)| !genesis_validators.contains(signer));
    let without_change = verify_finality(genesis(alice), genesis_validators.clone(), &skipped);
    assert_eq!(without_change.is_err(), eve_signed, "{without_change:?}");
    let mut other_chain = proof.clone();
    other_chain.fragments[0].header.number += 1;
    assert!(verify_finality(genesis(alice), genesis_validators.clone(), &other_chain).is_err());

    // A new node warp-syncs.
    let (rpc, p2p) = (free_port(), free_port());
    let bootnodes: Vec<String> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            format!(
                "/ip4/127.0.0.1/tcp/{}/p2p/{}",
                node.p2p_port,
                node_key_peer_id(&base, i)
            )
        })
        .collect();
    let mut args = vec![
        "--chain".to_string(),
        spec.clone(),
        "--base-path".into(),
        base.0.join("newcomer").display().to_string(),
        "--sync".into(),
        "warp".into(),
        "-lsync=debug,txpool=debug,dpor=debug,db=debug".into(),
        "--bootnodes".into(),
    ];
    args.extend(bootnodes);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let newcomer = Node::start_with_env("warp-newcomer", &args, rpc, p2p, &[]);
    newcomer.wait_for_rpc();
    let synced_at = std::time::Instant::now();
    newcomer.wait_for(
        "the newcomer to finalize the tip",
        Duration::from_secs(180),
        |node| node.finalized_number().filter(|n| *n >= target),
    );
    eprintln!("warp sync to #{target} in {:?}", synced_at.elapsed());
    // It never executed the early blocks: their state is not there.
    // (Its header may not be there yet either: history fills in behind.)
    let early = newcomer.rpc("chain_getBlockHash", json!([10]));
    if !early.is_null() {
        let state = newcomer.try_rpc("state_getRuntimeVersion", json!([early]));
        assert!(
            state.is_err(),
            "block #10's state is on the newcomer: {state:?}"
        );
    }
    // Sync logs it just after the target is final: the first RPC answer
    // can come in between (the cold run of 2026-11-27 did).
    newcomer.wait_for(
        &format!("a warp sync in {}", newcomer.log.display()),
        Duration::from_secs(10),
        |node| (!node.log_lines_with("State sync is complete").is_empty()).then_some(()),
    );
    // And it follows finality from there, with the same blocks. (It
    // warped to the network's final block of the moment, above `target`.)
    let warped_to = newcomer.finalized_number().unwrap();
    let later = warped_to + 20;
    newcomer.wait_for("finality to go on", Duration::from_secs(120), |node| {
        node.finalized_number().filter(|n| *n >= later)
    });
    assert_eq!(
        newcomer.rpc("chain_getBlockHash", json!([later])),
        alice.rpc("chain_getBlockHash", json!([later]))
    );
    // The history below fills in, each block checked by its certificate
    // without state; then the newcomer proves finality as any node does.
    newcomer.wait_for(
        "the history below the warp target",
        Duration::from_secs(120),
        |node| {
            let history = [1, warped_to - 1].map(|n| node.rpc("chain_getBlockHash", json!([n])));
            history.iter().all(|hash| !hash.is_null()).then_some(())
        },
    );
    for height in [1, 7, target / 2, target - 1] {
        assert_eq!(
            newcomer.rpc("chain_getBlockHash", json!([height])),
            alice.rpc("chain_getBlockHash", json!([height])),
            "#{height}"
        );
    }
    let theirs = newcomer.wait_for(
        "a proof from the newcomer",
        Duration::from_secs(60),
        |node| node.try_rpc("dpor_proveFinality", json!([target])).ok(),
    );
    let bytes = hex_decode(theirs["proof"].as_str().unwrap());
    let theirs = FinalityProof::decode(&mut &bytes[..]).unwrap();
    assert_eq!(theirs.fragments[0].header, proof.fragments[0].header);
    verify_finality(genesis(alice), genesis_validators.clone(), &theirs)
        .expect("the newcomer's proof checks");
    let mut errors = newcomer.log_lines_with("Block import error");
    errors.extend(newcomer.log_lines_with("Verification failed"));
    // (Logged by any node that stops, so meaningful only while it runs.)
    errors.extend(newcomer.log_lines_with("Essential task"));
    assert!(errors.is_empty(), "{errors:#?}");
}
