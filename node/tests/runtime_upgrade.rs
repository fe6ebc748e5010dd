//! A runtime upgrade by the council, on the six-node `local` network.
//!
//! The network starts on the last released runtime (`runtime/releases/`)
//! with no sudo key, so the council's two motions are the only way to Root.
//! A seller lists a market item on the old runtime. The council then
//! upgrades to the runtime this node embeds, with `cpchain-node governance`:
//! Alice proposes and votes, Bob votes, Alice closes and applies. The test
//! checks that:
//! - every node reports the new spec version;
//! - the new runtime's migration gave the old item its deposit, held from
//!   the seller, and raised the pallet's storage version;
//! - finality goes on across the upgrade with the same blocks on every
//!   node, and no block around it is an impeach block but, at most, the
//!   first attempt at the block that carries the new code (see below);
//! - the DPoR runtime API keeps its version, and the client's DPoR calls
//!   (`dpor_roundState`) keep answering;
//! - a non-member cannot propose or vote, and a wasm that does not raise
//!   `spec_version` is refused before any motion.

mod common;

use std::{path::PathBuf, time::Duration};

use codec::{Decode, Encode};
use common::{hex_decode, hex_encode, is_impeach_block, node_command, storage_at, Node, TempDir};
use cpchain_primitives::AccountId;
use serde_json::{json, Value};
use sp_keyring::Sr25519Keyring;

const NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
const LONG: Duration = Duration::from_secs(120);

#[path = "../../runtime/releases/newest.rs"]
mod releases;

/// The newest released runtime: (spec_version, path).
fn released_runtime() -> (u32, PathBuf) {
    releases::newest_release(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../runtime/releases"
    )))
}

fn spec_version(node: &Node) -> u64 {
    node.rpc("state_getRuntimeVersion", json!([]))["specVersion"]
        .as_u64()
        .expect("a spec version")
}

/// The version of the DPoR runtime API the node's best block offers.
fn dpor_api_version(node: &Node) -> Option<u64> {
    use cpchain_primitives::runtime_api::DporApi;
    let id =
        hex_encode(&<dyn DporApi<cpchain_runtime::Block, AccountId> as sp_api::RuntimeApiInfo>::ID);
    node.rpc("state_getRuntimeVersion", json!([]))["apis"]
        .as_array()?
        .iter()
        .find(|api| api[0].as_str() == Some(&id))
        .and_then(|api| api[1].as_u64())
}

fn governance(args: &[&str], node: &Node) -> (bool, String) {
    let url = format!("http://127.0.0.1:{}", node.rpc_port);
    let mut all = vec!["governance"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--url", &url]);
    let (ok, text) = node_command(&all);
    eprintln!("$ cpchain-node governance {}\n{text}", args.join(" "));
    (ok, text)
}

fn block_hash(node: &Node, height: u64) -> String {
    node.rpc("chain_getBlockHash", json!([height]))
        .as_str()
        .unwrap_or_else(|| panic!("no block #{height}"))
        .to_string()
}

/// The block whose post-state first holds the code of `spec`: the one that
/// applied the upgrade; the block after it runs the new runtime.
fn upgrade_height(node: &Node, spec: u64, to: u64) -> u64 {
    (1..=to)
        .find(|height| {
            let hash = block_hash(node, *height);
            node.rpc("state_getRuntimeVersion", json!([hash]))["specVersion"].as_u64() == Some(spec)
        })
        .expect("the upgrade block is final")
}

/// Lists an item on the old runtime, signing for its spec version with
/// this crate's call types (the market's calls did not change).
fn list_item_on(node: &Node, seller: Sr25519Keyring, old_spec: u32) {
    let genesis = block_hash(node, 0);
    let genesis = cpchain_primitives::Hash::from_slice(&hex_decode(&genesis));
    let nonce = node
        .rpc(
            "system_accountNextIndex",
            json!([seller.to_account_id().to_string()]),
        )
        .as_u64()
        .unwrap() as u32;
    let call =
        cpchain_runtime::RuntimeCall::PrivateMarket(pallet_private_market::Call::list_item {
            price: cpchain_runtime::currency::CPC,
            public_meta: b"air quality, Shanghai, 2026".to_vec().try_into().unwrap(),
            sealed_fields: vec![0xab; 300].try_into().unwrap(),
            key_for_agent: vec![0xcd; 80].try_into().unwrap(),
            plaintext_hash: [5; 32],
        });
    let pair = seller.pair();
    let xt = cpchain_runtime::sign_extrinsic_at(
        call,
        seller.public(),
        nonce,
        genesis,
        (old_spec, 1),
        |p| Some(sp_core::Pair::sign(&pair, p)),
    )
    .unwrap();
    node.rpc("author_submitExtrinsic", json!([hex_encode(&xt.encode())]));
}

fn item_key(id: u64) -> Vec<u8> {
    pallet_private_market::Items::<cpchain_runtime::Runtime>::hashed_key_for(id)
}

#[test]
fn the_council_upgrades_the_runtime_of_a_network_without_sudo() {
    let (old_spec, old_wasm) = released_runtime();
    let new_spec = cpchain_runtime::VERSION.spec_version;
    assert!(
        new_spec > old_spec,
        "the node's runtime must be newer than the released one"
    );

    // The chain spec: the released runtime's code, and no sudo key.
    let base = TempDir::new("runtime-upgrade");
    let mut spec = common::build_spec("local");
    let new_code = hex_decode(
        spec["genesis"]["runtimeGenesis"]["code"]
            .as_str()
            .expect("the spec embeds code"),
    );
    let new_wasm = base.0.join(format!("cpchain_runtime-{new_spec}.wasm"));
    std::fs::create_dir_all(&base.0).unwrap();
    std::fs::write(&new_wasm, &new_code).unwrap();
    spec["genesis"]["runtimeGenesis"]["code"] =
        json!(hex_encode(&std::fs::read(&old_wasm).unwrap()));
    spec["genesis"]["runtimeGenesis"]["patch"]["sudo"] = json!({ "key": null });
    let spec_path = base.0.join("old-runtime-spec.json");
    std::fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();

    let nodes = common::start_network(
        &base,
        "upgrade",
        &spec_path.display().to_string(),
        &NAMES,
        |_| Vec::new(),
    );
    let alice = &nodes[0];
    alice.wait_for("block #2 final", LONG, |n| {
        n.finalized_number().filter(|h| *h >= 2)
    });
    for node in &nodes {
        assert_eq!(spec_version(node), u64::from(old_spec));
    }
    let sudo_key = storage_at(
        alice,
        &[
            sp_io::hashing::twox_128(b"Sudo"),
            sp_io::hashing::twox_128(b"Key"),
        ]
        .concat(),
        &Value::Null,
    );
    assert_eq!(sudo_key, None, "the chain must have no sudo key");
    let dpor_api_before = dpor_api_version(alice).expect("the old runtime has DporApi");

    // State for the migration: an item listed under the old runtime.
    list_item_on(alice, Sr25519Keyring::Eve, old_spec);
    alice.wait_for("the item listed", LONG, |n| {
        storage_at(n, &item_key(0), &Value::Null)
    });
    let first_motion_height = alice.finalized_number().unwrap();

    // Refusals before any motion.
    let new_wasm_arg = new_wasm.display().to_string();
    let old_wasm_arg = old_wasm.display().to_string();
    let (ok, text) = governance(
        &["upgrade", "--suri", "//Eve", "--wasm", &new_wasm_arg],
        alice,
    );
    assert!(!ok && text.contains("is not a council member"), "{text}");

    // Alice proposes motion 1 and votes for it; one aye of two.
    let (ok, text) = governance(
        &["upgrade", "--suri", "//Alice", "--wasm", &new_wasm_arg],
        alice,
    );
    assert!(ok, "{text}");
    assert!(text.contains("proposed motion 1 of 2"), "{text}");
    assert!(text.contains("1 of 2 ayes"), "{text}");
    let (ok, text) = governance(&["status", "--wasm", &new_wasm_arg], alice);
    assert!(ok && text.contains("1 of 2 ayes"), "{text}");
    let (ok, text) = governance(&["vote", "--suri", "//Eve", "--wasm", &new_wasm_arg], alice);
    assert!(!ok && text.contains("is not a council member"), "{text}");

    // Bob's aye makes two thirds and closes motion 1.
    let (ok, text) = governance(
        &["vote", "--suri", "//Bob", "--wasm", &new_wasm_arg],
        &nodes[1],
    );
    assert!(ok, "{text}");
    assert!(text.contains("closed motion 1 of 2"), "{text}");
    assert!(text.contains("motion 2 of 2"), "{text}");

    // Alice proposes motion 2; Bob votes and closes it; Alice applies.
    let (ok, text) = governance(
        &["upgrade", "--suri", "//Alice", "--wasm", &new_wasm_arg],
        alice,
    );
    assert!(ok && text.contains("proposed motion 2 of 2"), "{text}");
    let (ok, text) = governance(
        &["vote", "--suri", "//Bob", "--wasm", &new_wasm_arg],
        &nodes[1],
    );
    assert!(ok && text.contains("closed motion 2 of 2"), "{text}");
    assert!(text.contains("authorized by the council"), "{text}");
    let (ok, text) = governance(
        &["upgrade", "--suri", "//Charlie", "--wasm", &new_wasm_arg],
        alice,
    );
    assert!(ok && text.contains("upgrade done"), "{text}");

    // Every node runs the new runtime.
    for node in &nodes {
        node.wait_for("the new spec version", LONG, |n| {
            (spec_version(n) == u64::from(new_spec)).then_some(())
        });
    }

    // Finality goes on, the same on every node, without impeachments.
    let upgraded_best = alice.finalized_number().unwrap();
    let target = upgraded_best + 10;
    for node in &nodes {
        node.wait_for(&format!("block #{target} final"), LONG, |n| {
            n.finalized_number().filter(|h| *h >= target)
        });
    }
    let upgrade_at = upgrade_height(alice, u64::from(new_spec), target);
    let moments: Vec<u64> = (upgrade_at - 2..=upgrade_at + 2)
        .map(|height| {
            let at = json!(block_hash(alice, height));
            let bytes = storage_at(
                alice,
                &[
                    sp_io::hashing::twox_128(b"Timestamp"),
                    sp_io::hashing::twox_128(b"Now"),
                ]
                .concat(),
                &at,
            )
            .expect("a timestamp");
            u64::decode(&mut &bytes[..]).unwrap()
        })
        .collect();
    eprintln!(
        "block intervals (ms) from #{} to #{}; the code changed in #{upgrade_at}, #{} ran the new runtime and its migration first: {:?}",
        upgrade_at - 2,
        upgrade_at + 2,
        upgrade_at + 1,
        moments.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()
    );
    for height in first_motion_height..=target {
        let hash = block_hash(alice, height);
        for node in &nodes[1..] {
            assert_eq!(
                block_hash(node, height),
                hash,
                "nodes disagree at #{height}"
            );
        }
        // Known limit: every node starts compiling the new code when the
        // upgrade transaction reaches its pool, which is also when the next
        // proposer includes it. Six nodes compiling at once on this 2-core
        // machine took 9 s (2026-11-28), and the round of that block timed
        // out once in three suite runs. The fix is for proposers to hold the
        // transaction back until their warm-up is done; until then that one
        // block may be impeached, never the others.
        let carries_the_code = height + 1 == upgrade_at;
        assert!(
            carries_the_code || !is_impeach_block(alice, &hash),
            "#{height} is an impeach block (the code changed in #{upgrade_at})"
        );
    }

    // A quorum of validators compiled the new code before its block (the
    // warmer); compiling it while voting made that block miss its round.
    let warmed = nodes[..4]
        .iter()
        .filter(|node| {
            !node
                .log_lines_with("Compiled the authorized runtime upgrade")
                .is_empty()
        })
        .count();
    assert!(
        warmed >= 3,
        "only {warmed} of 4 validators compiled the upgrade ahead"
    );

    // The migration: the old item now holds its deposit from the seller.
    let bytes = storage_at(alice, &item_key(0), &Value::Null).expect("the item survives");
    let item = pallet_private_market::Item::<cpchain_runtime::Runtime>::decode(&mut &bytes[..])
        .expect("the item decodes with the new layout");
    assert_eq!(item.seller, AccountId::from(Sr25519Keyring::Eve.public()));
    assert!(item.deposit > 0, "the migrated item holds no deposit");
    let holds_key = pallet_balances::Holds::<cpchain_runtime::Runtime>::hashed_key_for(
        AccountId::from(Sr25519Keyring::Eve.public()),
    );
    let holds = storage_at(alice, &holds_key, &Value::Null).expect("Eve has holds");
    let holds = Vec::<
        frame_support::traits::tokens::IdAmount<cpchain_runtime::RuntimeHoldReason, u128>,
    >::decode(&mut &holds[..])
    .unwrap();
    assert!(
        holds.iter().any(|hold| hold.id
            == cpchain_runtime::RuntimeHoldReason::PrivateMarket(
                pallet_private_market::HoldReason::ItemDeposit
            )
            && hold.amount == item.deposit),
        "no item-deposit hold of {} in {holds:?}",
        item.deposit
    );
    let version_key = [
        sp_io::hashing::twox_128(b"PrivateMarket"),
        sp_io::hashing::twox_128(b":__STORAGE_VERSION__:"),
    ]
    .concat();
    assert_eq!(
        storage_at(alice, &version_key, &Value::Null),
        Some(1u16.encode()),
        "the pallet's storage version is 1"
    );

    // The client's DPoR API: same version, and its calls still answer.
    assert_eq!(dpor_api_version(alice), Some(dpor_api_before));
    for node in &nodes {
        let state = node.rpc("dpor_roundState", json!([]));
        assert!(state.is_object(), "dpor_roundState: {state}");
    }

    // A wasm that does not raise spec_version is refused before any motion.
    let (ok, text) = governance(
        &["upgrade", "--suri", "//Alice", "--wasm", &old_wasm_arg],
        alice,
    );
    assert!(!ok && text.contains("is not above the chain's"), "{text}");
    // Running the finished upgrade again changes nothing.
    let (ok, text) = governance(&["status", "--wasm", &new_wasm_arg], alice);
    assert!(ok && text.contains("done"), "{text}");
}
