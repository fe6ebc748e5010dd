//! Types shared by the CPChain runtime and the node.
//!
//! Anything both sides must agree on byte for byte lives here, so that the
//! runtime (wasm) and the client (native) can never drift apart.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod runtime_api;
pub mod traits;

use sp_runtime::{
    generic,
    traits::{BlakeTwo256, IdentifyAccount, Verify},
    MultiSignature,
};

/// Signature of an extrinsic; MultiSignature keeps sr25519, ed25519 and ecdsa wallets usable.
pub type Signature = MultiSignature;
/// An account is the public key behind its signature.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// CPC amounts in the smallest unit (10^-18 CPC).
pub type Balance = u128;
pub type BlockNumber = u32;
pub type Nonce = u32;
pub type Hash = sp_core::H256;
pub type Hashing = BlakeTwo256;
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// A block with opaque extrinsics, as the client sees it.
pub type OpaqueBlock = generic::Block<Header, sp_runtime::OpaqueExtrinsic>;

/// The CPC token: symbol, decimals and the units used across the runtime.
pub mod currency {
    use super::Balance;

    pub const TOKEN_SYMBOL: &str = "CPC";
    pub const TOKEN_DECIMALS: u8 = 18;

    /// 1 CPC.
    pub const CPC: Balance = 1_000_000_000_000_000_000;
    pub const MILLI_CPC: Balance = CPC / 1_000;
    pub const MICRO_CPC: Balance = MILLI_CPC / 1_000;
    pub const NANO_CPC: Balance = MICRO_CPC / 1_000;
}

/// The SS58 address prefix of CPChain accounts.
///
/// 3337 is not in the public SS58 registry, so CPChain addresses cannot be
/// mistaken for those of another registered network.
pub const SS58_PREFIX: u16 = 3337;

/// Consensus keys of DPoR validators and proposers.
///
/// ed25519, as GRANDPA uses for votes: certificates carry 2f+1 signatures that
/// every node verifies on import, and ed25519 verifies fastest.
pub mod dpor_crypto {
    use sp_core::crypto::KeyTypeId;

    /// Keystore type of the DPoR consensus key.
    pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"dpor");

    mod app {
        use sp_application_crypto::ed25519;
        sp_application_crypto::app_crypto!(ed25519, super::KEY_TYPE);
    }

    /// A DPoR consensus public key.
    pub type AuthorityId = app::Public;
    /// A DPoR consensus signature.
    pub type AuthoritySignature = app::Signature;
    #[cfg(feature = "std")]
    pub type AuthorityPair = app::Pair;
}
