//! A proposer cannot offer a VRF output of its choosing. On the six-node
//! `local` network, Ferdie (a proposer) puts in each of her blocks her VRF
//! for the next height: a valid proof by her key, over the wrong input,
//! which is what a proposer picking among its outputs would send.
//!
//! Every node must refuse those blocks at import, so the committee
//! impeaches Ferdie at each of her heights, Eve's blocks still become
//! final, and every final block's VRF verifies (import checks it).

#![cfg(feature = "byzantine-test")]

mod common;

use std::time::Duration;

use codec::Decode;
use common::{Node, TempDir};
use cpchain_primitives::digest::DporPreDigest;
use serde_json::json;
use sp_keyring::Sr25519Keyring;

const NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
const WITHIN: Duration = Duration::from_secs(150);

/// The DPoR pre-digest of final block `number`.
fn pre_digest(node: &Node, number: u64) -> DporPreDigest<cpchain_primitives::AccountId> {
    let hash = node.rpc("chain_getBlockHash", json!([number]));
    let header = node.rpc("chain_getHeader", json!([hash]));
    let logs = header["digest"]["logs"].as_array().expect("digest logs");
    let items: Vec<sp_runtime::DigestItem> = logs
        .iter()
        .map(|log| {
            let bytes = common::hex_decode(log.as_str().unwrap());
            sp_runtime::DigestItem::decode(&mut &bytes[..]).expect("a digest item")
        })
        .collect();
    DporPreDigest::find_in_items(&items).expect("a DPoR pre-digest")
}

#[test]
fn a_proposer_whose_vrf_is_not_for_its_height_is_impeached() {
    let base = TempDir::new("cpchain-forged-vrf");
    let nodes = common::start_local_network(&base, "forged-vrf", &NAMES, |name| match name {
        "ferdie" => vec![("CPCHAIN_TEST_FORGED_VRF".into(), "1".into())],
        _ => Vec::new(),
    });
    let alice = &nodes[0];
    let ferdie = Sr25519Keyring::Ferdie.to_account_id();
    let eve = Sr25519Keyring::Eve.to_account_id();
    let impeached_key =
        pallet_dpor::ImpeachedBlocks::<cpchain_runtime::Runtime>::hashed_key_for(&ferdie);

    alice.wait_for("Ferdie impeached twice", WITHIN, |node| {
        let blocks = common::storage_at(node, &impeached_key, &json!(null))?;
        let blocks = Vec::<u32>::decode(&mut &blocks[..]).ok()?;
        (blocks.len() >= 2).then_some(())
    });
    // rpt_getRpt shows the impeachments and their factor.
    let rpt = alice.rpc("rpt_getRpt", json!([ferdie.to_string()]));
    assert!(rpt["impeached"].as_u64().unwrap_or(0) >= 2, "{rpt}");
    let last = alice.finalized_number().expect("a final height");
    let (mut eves, mut ferdies) = (0, 0);
    for number in 1..=last {
        let digest = pre_digest(alice, number);
        if digest.impeach {
            assert!(
                digest.vrf.is_none(),
                "#{number}: an impeach block with a VRF"
            );
            continue;
        }
        assert!(
            digest.vrf.is_some(),
            "#{number}: a final block without a VRF"
        );
        if digest.proposer == ferdie {
            ferdies += 1;
        } else if digest.proposer == eve {
            eves += 1;
        }
    }
    assert_eq!(
        ferdies, 0,
        "a block of Ferdie's with a forged VRF became final"
    );
    assert!(eves >= 1, "Eve's blocks did not become final");
    for (node, name) in nodes.iter().zip(NAMES) {
        if name != "ferdie" && name != "eve" {
            assert!(
                !node.log_lines_with("the VRF is not").is_empty(),
                "{name} never refused Ferdie's VRF"
            );
        }
    }
    let target = last + 3;
    for node in &nodes {
        node.wait_for("finality to go on", WITHIN, |node| {
            node.finalized_number().filter(|n| *n >= target)
        });
    }
}
