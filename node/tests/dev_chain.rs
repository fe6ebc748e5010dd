//! Starts `cpchain-node --dev --tmp` on loopback and checks, over RPC, that
//! it seals and finalizes blocks and that a signed transfer gets finalized.

mod common;

use std::time::Duration;

use codec::{Decode, Encode};
use common::{hex_decode, hex_encode, parse_hex_u64, Node};
use cpchain_primitives::{currency::CPC, AccountId, Balance, Nonce, SS58_PREFIX};
use cpchain_runtime::{sign_extrinsic, BalancesCall, RuntimeCall};
use serde_json::json;
use sp_core::{
    crypto::{Ss58AddressFormat, Ss58Codec},
    H256,
};
use sp_keyring::Sr25519Keyring::{Alice, Bob};

fn free_balance_at(node: &Node, who: &AccountId, block: &str) -> Balance {
    common::account_data(node, who, &json!(block)).free
}

#[test]
fn dev_node_finalizes_blocks_and_a_signed_transfer() {
    let node = Node::start("dev", &["--dev", "--tmp"]);
    node.wait_for_rpc();

    let properties = node.rpc("system_properties", json!([]));
    assert_eq!(properties["tokenSymbol"], "CPC");
    assert_eq!(properties["tokenDecimals"], 18);
    assert_eq!(properties["ss58Format"], SS58_PREFIX);

    node.wait_for("a finalized block", Duration::from_secs(60), |node| {
        node.finalized_number().filter(|n| *n >= 1)
    });

    let genesis_hex = node.rpc("chain_getBlockHash", json!([0]));
    let genesis = H256::from_slice(&hex_decode(genesis_hex.as_str().unwrap()));
    let alice = Alice.to_account_id();
    let bob = Bob.to_account_id();
    let alice_ss58 = alice.to_ss58check_with_version(Ss58AddressFormat::custom(SS58_PREFIX));
    let nonce = node
        .rpc("system_accountNextIndex", json!([alice_ss58]))
        .as_u64()
        .unwrap() as Nonce;
    let bob_before = free_balance_at(&node, &bob, genesis_hex.as_str().unwrap());

    let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
        dest: bob.clone().into(),
        value: CPC,
    });
    let xt = hex_encode(&sign_extrinsic(call, &Alice.pair(), nonce, genesis).encode());

    let fee_info = node.rpc("payment_queryInfo", json!([xt]));
    assert!(
        fee_info["partialFee"].as_str().is_some(),
        "payment_queryInfo answers: {fee_info}"
    );

    node.rpc("author_submitExtrinsic", json!([xt]));

    // Walk the finalized chain until the block that carries the transfer.
    let mut next_number = 1;
    let included_in = node.wait_for(
        "the transfer to be finalized",
        Duration::from_secs(60),
        |node| {
            let finalized = node.finalized_number()?;
            while next_number <= finalized {
                let hash = node
                    .try_rpc("chain_getBlockHash", json!([next_number]))
                    .ok()?;
                let block = node.try_rpc("chain_getBlock", json!([hash])).ok()?;
                next_number += 1;
                let extrinsics = block["block"]["extrinsics"].as_array()?;
                if extrinsics.iter().any(|e| e.as_str() == Some(xt.as_str())) {
                    return Some(hash.as_str()?.to_string());
                }
            }
            None
        },
    );

    assert_eq!(free_balance_at(&node, &bob, &included_in), bob_before + CPC);
    let alice_next = node
        .rpc("system_accountNextIndex", json!([alice_ss58]))
        .as_u64()
        .unwrap();
    assert_eq!(alice_next, u64::from(nonce) + 1);
    let header = node.rpc("chain_getHeader", json!([included_in]));
    assert!(parse_hex_u64(header["number"].as_str().unwrap()).unwrap() >= 1);
}

#[test]
fn builtin_modules_answer_over_rpc() {
    let node = Node::start("builtins", &["--dev", "--tmp"]);
    node.wait_for_rpc();
    let ss58 =
        |who: &AccountId| who.to_ss58check_with_version(Ss58AddressFormat::custom(SS58_PREFIX));
    let pdash_proxy = ss58(&cpchain_runtime::configs::PdashProxy::get());
    let dave = ss58(&sp_keyring::Sr25519Keyring::Dave.to_account_id());

    assert_eq!(
        node.rpc("proxyRegister_getRealContract", json!([pdash_proxy])),
        json!(dave)
    );
    assert_eq!(
        node.rpc("proxyRegister_getProxyContract", json!([dave])),
        json!(pdash_proxy)
    );
    assert_eq!(
        node.rpc("proxyRegister_getContractVersion", json!([pdash_proxy])),
        json!(1)
    );
    assert_eq!(
        node.rpc("proxyRegister_getOldContract", json!([pdash_proxy, 1])),
        json!(dave)
    );
    assert_eq!(
        node.rpc("proxyRegister_getOldContract", json!([pdash_proxy, 2])),
        json!(null)
    );

    assert_eq!(
        node.rpc("admission_getSettings", json!([])),
        json!({"cpuDifficulty": 12, "memoryDifficulty": 6, "acceptableBlocks": 10})
    );
    let settings = node.rpc("rpt_getSettings", json!([]));
    assert_eq!(settings["window"], 100);
    assert_eq!(
        settings["weights"],
        json!({"alpha": 50, "beta": 15, "gamma": 10, "psi": 15, "omega": 10})
    );

    let alice = ss58(&Alice.to_account_id());
    let rpt = node.rpc("rpt_getRpt", json!([alice]));
    assert_eq!(rpt["ab"], 100, "Alice holds CPC: {rpt}");
    // AB alone, or with BM once Alice (the dev proposer) has produced a block.
    let total = rpt["total"].as_u64().unwrap();
    assert!(total == 50 * 100 || total == 50 * 100 + 10 * 100, "{rpt}");
    // Many accounts at once, all at one block.
    let head = node.rpc("chain_getFinalizedHead", json!([]));
    let bob = ss58(&Bob.to_account_id());
    let both = node.rpc("rpt_getRpts", json!([[alice, bob], head]));
    assert_eq!(both[0], node.rpc("rpt_getRpt", json!([alice, head])));
    assert_eq!(both[1], node.rpc("rpt_getRpt", json!([bob, head])));
    let too_many = vec![alice.clone(); 257];
    let refused = node
        .try_rpc("rpt_getRpts", json!([too_many]))
        .expect_err("more than 256 accounts are refused");
    assert!(refused.contains("at most 256"), "{refused}");
    assert_eq!(node.rpc("rpt_getRanking", json!([])), json!([]));
    assert_eq!(
        node.rpc("register_getUploadCount", json!([alice])),
        json!(0)
    );
    assert_eq!(
        node.rpc("register_getUploadCountBetween", json!([alice, 0, 10])),
        json!(0)
    );

    assert_eq!(node.rpc("dpor_getCandidates", json!([1])), json!([]));
    assert_eq!(node.rpc("campaign_getRnodes", json!([])), json!([]));
    assert_eq!(
        node.rpc("campaign_getCandidateInfo", json!([alice])),
        json!(null)
    );
    assert!(node.rpc("dpor_getCurrentTerm", json!([])).is_u64());
    let committee = node.rpc("dpor_getCommittee", json!([]));
    assert_eq!(
        committee["validators"].as_array().map(Vec::len),
        Some(1),
        "{committee}"
    );
    assert_eq!(committee["validators"][0]["account"], json!(alice));
    assert_eq!(committee["proposers"], json!([alice]));
    assert_eq!(node.rpc("dpor_getProposer", json!([5])), json!(alice));
    let config = node.rpc("dpor_getConfig", json!([]));
    assert_eq!(
        (config["termLen"].as_u64(), config["electionLag"].as_u64()),
        (Some(1), Some(2))
    );

    let ferdie = ss58(&sp_keyring::Sr25519Keyring::Ferdie.to_account_id());
    assert_eq!(node.rpc("market_getAgent", json!([])), json!(ferdie));
    assert_eq!(node.rpc("market_getItems", json!([])), json!([]));
    assert_eq!(node.rpc("market_getItem", json!([0])), json!(null));
    assert_eq!(node.rpc("market_getOrder", json!([0])), json!(null));
    assert_eq!(
        node.rpc("market_getPendingOrders", json!([alice])),
        json!([])
    );
    assert_eq!(
        node.rpc("market_getEncryptionKey", json!([alice])),
        json!(null)
    );
    assert_eq!(node.rpc("market_getFreeEscrow", json!([alice])), json!("0"));

    // Bad input is refused with a clear error.
    let error = node.try_rpc("market_getItem", json!(["zero"])).unwrap_err();
    assert!(error.contains("-32602"), "{error}");
    let error = node
        .try_rpc("rpt_getRpt", json!(["not-an-address"]))
        .unwrap_err();
    assert!(error.contains("-32602"), "{error}");
    let error = node
        .try_rpc("register_getUploadCountBetween", json!([alice, 10, 0]))
        .unwrap_err();
    assert!(error.contains("`from` is after `to`"), "{error}");
}

fn timestamp_of(node: &Node, number: u64) -> u64 {
    let hash = node.rpc("chain_getBlockHash", json!([number]));
    let key = [
        sp_io::hashing::twox_128(b"Timestamp"),
        sp_io::hashing::twox_128(b"Now"),
    ]
    .concat();
    let value = common::storage_at(node, &key, &hash).expect("a timestamp");
    u64::decode(&mut &value[..]).expect("u64")
}

/// Governance shortens the block period on a running dev node: the blocks
/// after the change follow the new period, without a restart.
#[test]
fn a_timing_change_by_governance_applies_without_a_restart() {
    let node = Node::start("dev-timing", &["--dev", "--tmp"]);
    node.wait_for_rpc();
    node.wait_for("block #2 final", Duration::from_secs(60), |node| {
        node.finalized_number().filter(|n| *n >= 2)
    });
    assert_eq!(timestamp_of(&node, 2) - timestamp_of(&node, 1), 3_000);

    let genesis_hex = node.rpc("chain_getBlockHash", json!([0]));
    let genesis = H256::from_slice(&hex_decode(genesis_hex.as_str().unwrap()));
    let alice_ss58 = Alice
        .to_account_id()
        .to_ss58check_with_version(Ss58AddressFormat::custom(SS58_PREFIX));
    let nonce = node
        .rpc("system_accountNextIndex", json!([alice_ss58]))
        .as_u64()
        .unwrap() as Nonce;
    let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo {
        call: Box::new(RuntimeCall::Dpor(pallet_dpor::Call::set_timing {
            period_ms: 1_000,
            impeach_timeout_ms: 2_000,
        })),
    });
    let xt = hex_encode(&sign_extrinsic(call, &Alice.pair(), nonce, genesis).encode());
    node.rpc("author_submitExtrinsic", json!([xt]));

    let changed = node.wait_for("the new timing", Duration::from_secs(60), |node| {
        let finalized = node.finalized_number()?;
        let hash = node.rpc("chain_getBlockHash", json!([finalized]));
        let config = node.rpc("dpor_getConfig", json!([hash]));
        (config["periodMs"] == 1_000).then_some(finalized)
    });
    node.wait_for("three more blocks", Duration::from_secs(60), |node| {
        node.finalized_number().filter(|n| *n >= changed + 3)
    });
    for number in changed + 1..=changed + 3 {
        let gap = timestamp_of(&node, number) - timestamp_of(&node, number - 1);
        assert!(
            (1_000..2_000).contains(&gap),
            "#{number} came {gap} ms after its parent"
        );
    }
}
