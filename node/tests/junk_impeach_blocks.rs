//! A peer that serves junk impeach blocks. An impeach block carries no
//! seal, so anyone can build one: here, on the dev chain's genesis, with a
//! transfer in it, executed natively from the chain's raw genesis storage
//! so that it is a fully valid block but for its certificate. The blocks
//! go through `import-blocks`, which runs the same import queue (verifier
//! and all) as blocks a peer serves to sync.
//!
//! The verifier refuses the junk before executing it: an impeach block
//! without a certificate must be the one the node builds itself on its last
//! final block.
//!
//! (The blocks here are executed natively from the raw genesis storage of
//! `build-spec --raw`; the node's genesis state root differs from the one
//! `TestExternalities` computes for the same 63 entries, so these blocks
//! would also fail the state-root check at execution. The test therefore
//! shows the refusal at verification, by its message, not that execution
//! would have accepted them.)

mod common;

use std::{collections::BTreeMap, process::Command};

use codec::Encode;
use common::{hex_decode, node_command, TempDir};
use cpchain_primitives::{digest::DporPreDigest, AccountId, Hash};
use cpchain_runtime::{
    BalancesCall, Block, Executive, Header, Runtime, RuntimeCall, UncheckedExtrinsic,
};
use sp_core::storage::Storage;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{generic::SignedBlock, traits::Header as _};

/// The dev chain's raw genesis storage, from `build-spec --raw`.
fn raw_genesis() -> Storage {
    let output = Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
        .args(["build-spec", "--chain", "dev", "--raw"])
        .output()
        .expect("cpchain-node runs");
    assert!(output.status.success(), "build-spec failed: {output:?}");
    let spec: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let top: BTreeMap<Vec<u8>, Vec<u8>> = spec["genesis"]["raw"]["top"]
        .as_object()
        .expect("raw genesis storage")
        .iter()
        .map(|(k, v)| (hex_decode(k), hex_decode(v.as_str().unwrap())))
        .collect();
    Storage {
        top,
        children_default: Default::default(),
    }
}

/// Builds and executes impeach blocks, one on top of the other, starting
/// on genesis. `junk` adds a transfer to the first one.
fn impeach_chain(genesis: Hash, count: usize, junk: bool) -> Vec<Block> {
    let mut ext = sp_io::TestExternalities::new(raw_genesis());
    ext.execute_with(|| {
        let mut blocks = Vec::new();
        let mut parent = genesis;
        for number in 1..=count as u32 {
            let committee = <Runtime as cpchain_primitives::runtime_api::runtime_decl_for_dpor_api::DporApiV3<Block, AccountId>>::committee();
            let config = pallet_dpor::Pallet::<Runtime>::timing().expect("timing");
            let digest = DporPreDigest {
                term: committee.term,
                view: committee.view,
                proposer: pallet_dpor::Pallet::<Runtime>::proposer_of(number).expect("a proposer"),
                impeach: true,
                vrf: None,
            };
            let now = pallet_timestamp::Now::<Runtime>::get()
                + config.period_ms
                + config.impeach_timeout_ms;
            let header = Header::new(
                number,
                Default::default(),
                Default::default(),
                parent,
                sp_runtime::Digest {
                    logs: vec![digest.to_digest_item()],
                },
            );
            Executive::initialize_block(&header);
            let mut extrinsics = vec![UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(
                pallet_timestamp::Call::set { now },
            ))];
            if junk && number == 1 {
                extrinsics.push(cpchain_runtime::sign_extrinsic(
                    RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
                        dest: Sr25519Keyring::Ferdie.to_account_id().into(),
                        value: 1_000_000_000_000,
                    }),
                    &Sr25519Keyring::Alice.pair(),
                    0,
                    genesis,
                ));
            }
            for extrinsic in &extrinsics {
                Executive::apply_extrinsic(extrinsic.clone())
                    .expect("valid")
                    .expect("dispatched");
            }
            let header = Executive::finalize_block();
            parent = header.hash();
            blocks.push(Block { header, extrinsics });
        }
        blocks
    })
}

fn import(base: &str, dir: &TempDir, name: &str, blocks: &[Block]) -> String {
    let file = dir.0.join(name);
    let mut bytes = (blocks.len() as u64).encode();
    for block in blocks {
        SignedBlock {
            block: block.clone(),
            justifications: None,
        }
        .encode_to(&mut bytes);
    }
    std::fs::write(&file, bytes).unwrap();
    let (_, log) = node_command(&[
        "import-blocks",
        "--dev",
        "--base-path",
        base,
        "--binary",
        &file.display().to_string(),
    ]);
    log
}

fn chain_info(base: &str) -> serde_json::Value {
    let (ok, info) = node_command(&["chain-info", "--dev", "--base-path", base]);
    assert!(ok, "chain-info failed: {info}");
    let start = info.find('{').expect("JSON");
    serde_json::from_str(&info[start..]).expect("JSON")
}

#[test]
fn junk_impeach_blocks_are_refused_before_execution() {
    let dir = TempDir::new("cpchain-junk-impeach");
    std::fs::create_dir_all(&dir.0).unwrap();
    let base = dir.0.join("node").display().to_string();
    // Importing nothing creates the database with its genesis block.
    import(&base, &dir, "empty.bin", &[]);
    let genesis = chain_info(&base)["genesis_hash"]
        .as_str()
        .map(|hash| Hash::from_slice(&hex_decode(hash)))
        .expect("chain-info names the genesis hash");

    let junk = impeach_chain(genesis, 1, true);
    let log = import(&base, &dir, "junk.bin", &junk);
    assert!(
        log.contains("without a certificate differs from the one this node builds"),
        "{log}"
    );
    assert_eq!(chain_info(&base)["best_number"], 0);

    // A chain of them on top of one another: the first is refused, so are
    // the rest.
    let chain = impeach_chain(genesis, 3, true);
    import(&base, &dir, "chain.bin", &chain);
    let info = chain_info(&base);
    assert_eq!(info["best_number"], 0, "{info}");
    assert_eq!(info["finalized_number"], 0, "{info}");
}
