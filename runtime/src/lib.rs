//! The CPChain runtime.
//!
//! CPC balances and fees, a council for the foundation's governance, and (as
//! they land) CPChain's built-in contracts as FRAME pallets.

#![cfg_attr(not(feature = "std"), no_std)]
// construct_runtime! recurses deeply.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

// Before `apis`: its benchmark macros must be in textual scope there.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
mod apis;
pub use apis::RuntimeApi;
pub mod configs;
pub mod genesis_config_presets;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;
use sp_runtime::{generic, impl_opaque_keys};
use sp_version::RuntimeVersion;

pub use cpchain_primitives::{
    currency, dpor_crypto, AccountId, Balance, BlockNumber, Hash, Nonce, Signature,
};
pub use frame_support::traits::Get;
pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_campaign::Call as CampaignCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Types the client needs to know without knowing the extrinsic format.
pub mod opaque {
    use super::*;

    pub use cpchain_primitives::{Header, OpaqueBlock as Block};
    pub type BlockId = generic::BlockId<Block>;

    impl_opaque_keys! {
        /// The consensus keys a DPoR validator or proposer holds.
        pub struct SessionKeys {
            pub dpor: DporKey,
        }
    }

    /// Binds the DPoR key type to the session keys without a session pallet:
    /// rotation happens through the committee, not through pallet-session.
    pub struct DporKey;
    impl sp_runtime::BoundToRuntimeAppPublic for DporKey {
        type Public = crate::dpor_crypto::AuthorityId;
    }
}

#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
    spec_name: alloc::borrow::Cow::Borrowed("cpchain"),
    impl_name: alloc::borrow::Cow::Borrowed("cpchain-node"),
    authoring_version: 1,
    // Bump on every change of runtime logic; governance upgrades are refused
    // by frame-system unless it grows.
    spec_version: 104,
    impl_version: 1,
    apis: apis::RUNTIME_API_VERSIONS,
    transaction_version: 2,
    system_version: 1,
};

/// Target time between blocks. DPoR's dev and test period (the reference's
/// dev and testnet chains use 3 s).
pub const MILLISECS_PER_BLOCK: u64 = 3_000;
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;
/// A reward year: 365 days.
pub const MILLISECS_PER_YEAR: u64 = 365 * 24 * 3_600 * 1_000;

/// The address format of an extrinsic's sender.
pub type Address = sp_runtime::MultiAddress<AccountId, ()>;
pub type Header = generic::Header<BlockNumber, sp_runtime::traits::BlakeTwo256>;
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
pub type SignedBlock = generic::SignedBlock<Block>;
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions every signed extrinsic carries.
///
/// Only the standard set: polkadot.js, subxt and substrate-interface sign for
/// these without extra configuration.
pub type TxExtension = (
    frame_system::CheckNonZeroSender<Runtime>,
    frame_system::CheckSpecVersion<Runtime>,
    frame_system::CheckTxVersion<Runtime>,
    frame_system::CheckGenesis<Runtime>,
    frame_system::CheckEra<Runtime>,
    frame_system::CheckNonce<Runtime>,
    frame_system::CheckWeight<Runtime>,
    pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
    frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
);

pub type UncheckedExtrinsic =
    generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// The storage migrations of this runtime, run once when a chain upgrades
/// to it. Each is versioned (`VersionedMigration`), so it runs only on
/// state at the storage version it migrates from, and a chain started from
/// this runtime's genesis skips them all. Remove an entry once every live
/// chain has run it.
pub type Migrations = (
    // 104: private-market items hold a storage deposit.
    pallet_private_market::migrations::v1::MigrateV0ToV1<Runtime>,
    // 104: the reward schedule holds yearly issuance, whatever the period.
    pallet_dpor::migrations::v1::MigrateV0ToV1<Runtime>,
    // 104: PDash's deal logs carry the counterparty.
    pallet_pdash::migrations::v1::MigrateV0ToV1<Runtime>,
);

pub type Executive = frame_executive::Executive<
    Runtime,
    Block,
    frame_system::ChainContext<Runtime>,
    Runtime,
    AllPalletsWithSystem,
    Migrations,
>;

#[frame_support::runtime]
mod runtime {
    #[runtime::runtime]
    #[runtime::derive(
        RuntimeCall,
        RuntimeEvent,
        RuntimeError,
        RuntimeOrigin,
        RuntimeFreezeReason,
        RuntimeHoldReason,
        RuntimeSlashReason,
        RuntimeLockId,
        RuntimeTask,
        RuntimeViewFunction
    )]
    pub struct Runtime;

    #[runtime::pallet_index(0)]
    pub type System = frame_system;

    #[runtime::pallet_index(1)]
    pub type Timestamp = pallet_timestamp;

    #[runtime::pallet_index(2)]
    pub type Balances = pallet_balances;

    #[runtime::pallet_index(3)]
    pub type TransactionPayment = pallet_transaction_payment;

    #[runtime::pallet_index(4)]
    pub type Sudo = pallet_sudo;

    #[runtime::pallet_index(5)]
    pub type Council = pallet_collective<Instance1>;

    #[runtime::pallet_index(6)]
    pub type CouncilMembership = pallet_membership<Instance1>;

    #[runtime::pallet_index(7)]
    pub type Authorship = pallet_authorship;

    #[runtime::pallet_index(8)]
    pub type Preimage = pallet_preimage;

    #[runtime::pallet_index(9)]
    pub type Whitelist = pallet_whitelist;

    // CPChain's built-in contracts.
    #[runtime::pallet_index(10)]
    pub type ProxyRegister = pallet_proxy_register;

    #[runtime::pallet_index(11)]
    pub type Admission = pallet_admission;

    #[runtime::pallet_index(12)]
    pub type Register = pallet_register;

    #[runtime::pallet_index(13)]
    pub type Pdash = pallet_pdash;

    #[runtime::pallet_index(14)]
    pub type Rpt = pallet_rpt;

    #[runtime::pallet_index(15)]
    pub type Campaign = pallet_campaign;

    #[runtime::pallet_index(16)]
    pub type Dpor = pallet_dpor;

    #[runtime::pallet_index(17)]
    pub type PrivateMarket = pallet_private_market;
}

/// Builds the signed extensions for an extrinsic the node creates itself
/// (benchmarks, tests, tooling), with an immortal era.
pub fn tx_extension_for(nonce: Nonce, tip: Balance) -> TxExtension {
    (
        frame_system::CheckNonZeroSender::<Runtime>::new(),
        frame_system::CheckSpecVersion::<Runtime>::new(),
        frame_system::CheckTxVersion::<Runtime>::new(),
        frame_system::CheckGenesis::<Runtime>::new(),
        frame_system::CheckEra::<Runtime>::from(sp_runtime::generic::Era::Immortal),
        frame_system::CheckNonce::<Runtime>::from(nonce),
        frame_system::CheckWeight::<Runtime>::new(),
        pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip),
        frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
    )
}

/// The implicit data `tx_extension_for` signs over, given the chain it targets.
pub fn tx_extension_implicit(
    genesis_hash: Hash,
) -> <TxExtension as sp_runtime::traits::TransactionExtension<RuntimeCall>>::Implicit {
    tx_extension_implicit_at(
        genesis_hash,
        VERSION.spec_version,
        VERSION.transaction_version,
    )
}

/// [`tx_extension_implicit`] for a chain whose runtime has `spec_version`
/// and `transaction_version`, for calls that encode alike in both runtimes
/// (the same `transaction_version`, or calls of pallets that did not
/// change: `cpchain-node governance` checks).
pub fn tx_extension_implicit_at(
    genesis_hash: Hash,
    spec_version: u32,
    transaction_version: u32,
) -> <TxExtension as sp_runtime::traits::TransactionExtension<RuntimeCall>>::Implicit {
    (
        (),
        spec_version,
        transaction_version,
        genesis_hash,
        genesis_hash,
        (),
        (),
        (),
        None,
    )
}

/// Signs `call` as `signer`, for the chain with `genesis_hash`, with an
/// immortal era and no tip: what tooling, tests and benchmarks submit.
#[cfg(feature = "std")]
pub fn sign_extrinsic(
    call: RuntimeCall,
    signer: &sp_core::sr25519::Pair,
    nonce: Nonce,
    genesis_hash: Hash,
) -> UncheckedExtrinsic {
    use sp_core::Pair;

    sign_extrinsic_with(call, signer.public(), nonce, genesis_hash, |payload| {
        Some(signer.sign(payload))
    })
    .expect("signing with a key pair cannot fail")
}

/// [`sign_extrinsic`] with the signature made by `sign` (a keystore, a
/// hardware signer) for the account `signer`; `None` if `sign` gives none.
#[cfg(feature = "std")]
pub fn sign_extrinsic_with(
    call: RuntimeCall,
    signer: sp_core::sr25519::Public,
    nonce: Nonce,
    genesis_hash: Hash,
    sign: impl FnOnce(&[u8]) -> Option<sp_core::sr25519::Signature>,
) -> Option<UncheckedExtrinsic> {
    sign_extrinsic_at(
        call,
        signer,
        nonce,
        genesis_hash,
        (VERSION.spec_version, VERSION.transaction_version),
        sign,
    )
}

/// [`sign_extrinsic_with`] for a chain whose runtime has `spec_version`
/// (see [`tx_extension_implicit_at`]).
#[cfg(feature = "std")]
pub fn sign_extrinsic_at(
    call: RuntimeCall,
    signer: sp_core::sr25519::Public,
    nonce: Nonce,
    genesis_hash: Hash,
    (spec_version, transaction_version): (u32, u32),
    sign: impl FnOnce(&[u8]) -> Option<sp_core::sr25519::Signature>,
) -> Option<UncheckedExtrinsic> {
    use codec::Encode;

    let tx_extension = tx_extension_for(nonce, 0);
    let payload = SignedPayload::from_raw(
        call.clone(),
        tx_extension.clone(),
        tx_extension_implicit_at(genesis_hash, spec_version, transaction_version),
    );
    let signature = payload.using_encoded(sign)?;
    Some(UncheckedExtrinsic::new_signed(
        call,
        AccountId::from(signer).into(),
        Signature::from(signature),
        tx_extension,
    ))
}
