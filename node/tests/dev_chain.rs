//! Starts `cpchain-node --dev --tmp` on loopback and checks, over RPC, that
//! it seals and finalizes blocks and that a signed transfer gets finalized.

mod common;

use std::time::Duration;

use codec::{Decode, Encode};
use common::{hex_decode, hex_encode, parse_hex_u64, Node};
use cpchain_primitives::{currency::CPC, AccountId, Balance, Nonce, SS58_PREFIX};
use cpchain_runtime::{sign_extrinsic, BalancesCall, Runtime, RuntimeCall};
use serde_json::json;
use sp_core::{
    crypto::{Ss58AddressFormat, Ss58Codec},
    H256,
};
use sp_keyring::Sr25519Keyring::{Alice, Bob};

type AccountInfo = frame_system::AccountInfo<Nonce, pallet_balances::AccountData<Balance>>;

fn free_balance_at(node: &Node, who: &AccountId, block: &str) -> Balance {
    let key = frame_system::Account::<Runtime>::hashed_key_for(who);
    let data = node.rpc("state_getStorage", json!([hex_encode(&key), block]));
    let bytes = hex_decode(data.as_str().expect("account exists"));
    AccountInfo::decode(&mut &bytes[..])
        .expect("AccountInfo decodes")
        .data
        .free
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
