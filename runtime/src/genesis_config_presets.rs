//! Genesis presets: `development` (a single node), `local_testnet`, and
//! `production`, the mainnet's shape with placeholder accounts.
//!
//! Both use the well-known dev keys, give sudo to Alice, make Dave PDash's
//! agent and Ferdie the private market's agent (one account cannot act for
//! two proxies). `development` has Alice as its one validator and one
//! proposer; `local_testnet` has Alice, Bob, Charlie and Dave as validators
//! and Eve and Ferdie as default proposers (terms of 2 proposers by 3
//! views). A production chain spec starts from one of them and sets its own
//! accounts, council, committee and no sudo key.

use crate::{
    configs::{MarketAgentProxy, PdashProxy},
    currency::{CPC, MILLI_CPC},
    AccountId, Balance, BalancesConfig, CouncilMembershipConfig, DporConfig, ProxyRegisterConfig,
    RuntimeGenesisConfig, SudoConfig, MILLISECS_PER_YEAR,
};
use alloc::{vec, vec::Vec};
use cpchain_primitives::dpor_crypto::AuthorityId;
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each endowed dev account starts with.
pub const DEV_ENDOWMENT: Balance = 1_000_000 * CPC;

/// The original's yearly issuance in years one to five: its block rewards
/// of 12.65, 9.51, 7.13, 5.39 and 4.03 CPC per 10 s block, a year of
/// them. Each block is paid its share by its period.
pub fn yearly_issuance() -> Vec<Balance> {
    let original_blocks_per_year = (MILLISECS_PER_YEAR / 10_000) as Balance;
    [12_650, 9_510, 7_130, 5_390, 4_030]
        .iter()
        .map(|milli| milli * MILLI_CPC * original_blocks_per_year)
        .collect()
}

/// The `production` preset's name.
pub const PRODUCTION_RUNTIME_PRESET: &str = "production";

/// A placeholder key in the `production` preset: 32 copies of `byte`.
/// Nobody holds its secret, so a chain launched without replacing it
/// cannot be controlled by anyone; the node refuses to run such a live
/// chain (see `cpchain-node`'s service).
pub fn placeholder(byte: u8) -> [u8; 32] {
    [byte; 32]
}

/// Whether `key` is a `production` placeholder.
pub fn is_placeholder(key: &[u8]) -> bool {
    key.len() == 32 && key.iter().all(|b| *b == key[0]) && (0x01..=0x3f).contains(&key[0])
}

/// The committee of a CPChain network.
pub struct Committee {
    pub validators: Vec<(AccountId, AuthorityId)>,
    pub default_proposers: Vec<AccountId>,
    pub term_len: u32,
    pub view_len: u32,
    pub period_ms: u64,
    pub impeach_timeout_ms: u64,
}

/// A well-known dev account with its ed25519 consensus key.
fn dev_validator(name: Sr25519Keyring, key: Ed25519Keyring) -> (AccountId, AuthorityId) {
    (name.to_account_id(), key.public().into())
}

/// The genesis of a CPChain network with the given accounts.
pub fn cpchain_genesis(
    endowed: Vec<(AccountId, Balance)>,
    sudo: Option<AccountId>,
    council: Vec<AccountId>,
    pdash_agent: AccountId,
    market_agent: AccountId,
    committee: Committee,
) -> Value {
    build_struct_json_patch!(RuntimeGenesisConfig {
        balances: BalancesConfig { balances: endowed },
        sudo: SudoConfig { key: sudo },
        council_membership: CouncilMembershipConfig {
            members: council.try_into().unwrap_or_default(),
        },
        proxy_register: ProxyRegisterConfig {
            bindings: vec![
                (PdashProxy::get(), pdash_agent),
                (MarketAgentProxy::get(), market_agent),
            ],
        },
        dpor: DporConfig {
            validators: committee.validators,
            default_proposers: committee.default_proposers,
            term_len: committee.term_len,
            view_len: committee.view_len,
            period_ms: committee.period_ms,
            impeach_timeout_ms: committee.impeach_timeout_ms,
            low_rpt_seats: committee.term_len / 4,
            rewards: yearly_issuance(),
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
        Sr25519Keyring::Ferdie.to_account_id(),
        Committee {
            validators: vec![dev_validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
            default_proposers: vec![Sr25519Keyring::Alice.to_account_id()],
            term_len: 1,
            view_len: 3,
            period_ms: 3_000,
            impeach_timeout_ms: 3_000,
        },
    )
}

/// A local multi-node test network.
pub fn local_testnet_genesis() -> Value {
    cpchain_genesis(
        dev_endowed(),
        Some(Sr25519Keyring::Alice.to_account_id()),
        dev_council(),
        Sr25519Keyring::Dave.to_account_id(),
        Sr25519Keyring::Ferdie.to_account_id(),
        Committee {
            validators: vec![
                dev_validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
                dev_validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
                dev_validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
                dev_validator(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
            ],
            default_proposers: vec![
                Sr25519Keyring::Eve.to_account_id(),
                Sr25519Keyring::Ferdie.to_account_id(),
            ],
            term_len: 2,
            view_len: 3,
            period_ms: 3_000,
            impeach_timeout_ms: 6_000,
        },
    )
}

/// The reference mainnet's shape: a 10 s period and a 10 s impeach timeout,
/// terms of 12 proposers × 3 views, 7 validators (f = 2), no sudo key.
/// Every account is a placeholder (see [`placeholder`]): operators put
/// their council, validators (account and ed25519 consensus key),
/// proposers, agents and balances in the chain spec this preset yields
/// (`chain-specs/production.json`), then build its raw form.
pub fn production_genesis() -> Value {
    let account = |byte: u8| AccountId::from(placeholder(byte));
    let validators = (0x01..=0x07)
        .map(|i| {
            (
                account(i),
                AuthorityId::from(sp_core::ed25519::Public::from_raw(placeholder(i + 0x10))),
            )
        })
        .collect();
    let default_proposers: Vec<AccountId> = (0x21..=0x2c).map(account).collect();
    let council: Vec<AccountId> = (0x31..=0x35).map(account).collect();
    let endowed = council
        .iter()
        .chain(default_proposers.iter())
        .cloned()
        .chain((0x01..=0x07).map(account))
        .map(|who| (who, 1_000 * CPC))
        .collect();
    cpchain_genesis(
        endowed,
        None,
        council,
        account(0x3e),
        account(0x3f),
        Committee {
            validators,
            default_proposers,
            term_len: 12,
            view_len: 3,
            period_ms: 10_000,
            impeach_timeout_ms: 10_000,
        },
    )
}

/// The JSON of the preset `id`, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        DEV_RUNTIME_PRESET => development_config_genesis(),
        LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
        PRODUCTION_RUNTIME_PRESET => production_genesis(),
        _ => return None,
    };
    serde_json::to_vec(&patch).ok()
}

pub fn preset_names() -> Vec<PresetId> {
    vec![
        PresetId::from(DEV_RUNTIME_PRESET),
        PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET),
        PresetId::from(PRODUCTION_RUNTIME_PRESET),
    ]
}
