//! Genesis presets: `development` (a single node) and `local_testnet`.
//!
//! Both use the well-known dev keys, give sudo to Alice and make Dave
//! PDash's agent; a production
//! chain spec starts from one of them and sets its own accounts, council and
//! no sudo key.

use crate::{
    configs::PdashProxy, currency::CPC, AccountId, Balance, BalancesConfig,
    CouncilMembershipConfig, ProxyRegisterConfig, RuntimeGenesisConfig, SudoConfig,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring;

/// What each endowed dev account starts with.
pub const DEV_ENDOWMENT: Balance = 1_000_000 * CPC;

/// The genesis of a CPChain network with the given accounts.
pub fn cpchain_genesis(
    endowed: Vec<(AccountId, Balance)>,
    sudo: Option<AccountId>,
    council: Vec<AccountId>,
    pdash_agent: AccountId,
) -> Value {
    build_struct_json_patch!(RuntimeGenesisConfig {
        balances: BalancesConfig { balances: endowed },
        sudo: SudoConfig { key: sudo },
        council_membership: CouncilMembershipConfig {
            members: council.try_into().unwrap_or_default(),
        },
        proxy_register: ProxyRegisterConfig {
            bindings: vec![(PdashProxy::get(), pdash_agent)],
        },
    })
}

fn dev_endowed() -> Vec<(AccountId, Balance)> {
    Sr25519Keyring::well_known()
        .map(|k| (k.to_account_id(), DEV_ENDOWMENT))
        .collect()
}

fn dev_council() -> Vec<AccountId> {
    vec![
        Sr25519Keyring::Alice.to_account_id(),
        Sr25519Keyring::Bob.to_account_id(),
        Sr25519Keyring::Charlie.to_account_id(),
    ]
}

/// A single-node development chain.
pub fn development_config_genesis() -> Value {
    cpchain_genesis(
        dev_endowed(),
        Some(Sr25519Keyring::Alice.to_account_id()),
        dev_council(),
        Sr25519Keyring::Dave.to_account_id(),
    )
}

/// A local multi-node test network.
pub fn local_testnet_genesis() -> Value {
    cpchain_genesis(
        dev_endowed(),
        Some(Sr25519Keyring::Alice.to_account_id()),
        dev_council(),
        Sr25519Keyring::Dave.to_account_id(),
    )
}

/// The JSON of the preset `id`, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        DEV_RUNTIME_PRESET => development_config_genesis(),
        LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
        _ => return None,
    };
    serde_json::to_vec(&patch).ok()
}

pub fn preset_names() -> Vec<PresetId> {
    vec![
        PresetId::from(DEV_RUNTIME_PRESET),
        PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET),
    ]
}
