//! Types shared by the CPChain runtime and the node.
//!
//! Anything both sides must agree on byte for byte lives here, so that the
//! runtime (wasm) and the client (native) can never drift apart.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod digest;
pub mod dispute;
pub mod equivocation;
pub mod finality;
pub mod recent;
pub mod runtime_api;
pub mod schedule;
pub mod traits;
pub mod try_state;
pub mod vrf;

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

/// An account's reputation: each dimension's score (0..=100, its rank in
/// the population) and the weighted total.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Default,
    codec::Encode,
    codec::Decode,
    codec::DecodeWithMemTracking,
    scale_info::TypeInfo,
    codec::MaxEncodedLen,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct RptBreakdown {
    /// Account balance.
    pub ab: u8,
    /// Transactions sent.
    pub tx: u8,
    /// Data contribution: uploads and purchases.
    pub dc: u8,
    /// Blocks produced.
    pub bm: u8,
    /// Proxy reputation: deals completed as a PDash proxy.
    pub pr: u8,
    /// The account's impeached blocks in the last
    /// [`traits::IMPEACHMENT_WINDOW`] blocks, counted up to
    /// [`traits::IMPEACHMENTS_TO_ZERO_RPT`].
    pub impeached: u8,
    /// (alpha*ab + beta*tx + gamma*bm + psi*dc + omega*pr) × (9 − impeached) / 9,
    /// the original's impeachment factor.
    pub total: u32,
}

/// RPT's dimension weights, each 0..=100.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    codec::Encode,
    codec::Decode,
    codec::DecodeWithMemTracking,
    scale_info::TypeInfo,
    codec::MaxEncodedLen,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct RptWeights {
    /// Weight of AB (account balance).
    pub alpha: u8,
    /// Weight of TX (transactions).
    pub beta: u8,
    /// Weight of BM (blocks produced).
    pub gamma: u8,
    /// Weight of DC (data contribution).
    pub psi: u8,
    /// Weight of PR (proxy reputation).
    pub omega: u8,
}

impl Default for RptWeights {
    /// The original CPChain's weights: 50/15/10/15/10.
    fn default() -> Self {
        Self {
            alpha: 50,
            beta: 15,
            gamma: 10,
            psi: 15,
            omega: 10,
        }
    }
}

/// A campaign candidacy: the terms `start..=stop` it was claimed for, how
/// many of them are still ahead or running, and the deposit still held.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    codec::Encode,
    codec::Decode,
    codec::DecodeWithMemTracking,
    scale_info::TypeInfo,
    codec::MaxEncodedLen,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(bound(
    serialize = "Balance: core::fmt::Display",
    deserialize = "Balance: core::str::FromStr"
))]
pub struct CandidateInfo<Balance> {
    pub terms: u32,
    pub start: u32,
    pub stop: u32,
    /// A decimal string in JSON: CPC amounts in the smallest unit exceed
    /// the 2^53 that JavaScript numbers hold exactly.
    #[serde(with = "balance_as_string")]
    pub deposit: Balance,
}

/// Serializes an amount as a decimal string, as front ends need.
pub mod balance_as_string {
    use alloc::string::{String, ToString};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, B: core::fmt::Display>(
        amount: &B,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&amount.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>, B: core::str::FromStr>(
        deserializer: D,
    ) -> Result<B, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|_| serde::de::Error::custom("expected an amount as a decimal string"))
    }
}

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

    /// Whether signatures under the ed25519 public key `key` prove that its
    /// holder signed: a canonical encoding of a point of prime order. The
    /// host's ed25519 check (ZIP-215) accepts keys of small order, for which
    /// a signature over any message can be made without a secret (for the
    /// identity, R = identity and s = 0), and keys with a torsion
    /// component. A validator seated with such a key could sign twice and
    /// deny it.
    pub fn is_strong_key(key: &[u8]) -> bool {
        use curve25519_dalek::edwards::CompressedEdwardsY;
        let Ok(bytes) = <[u8; 32]>::try_from(key) else {
            return false;
        };
        CompressedEdwardsY(bytes).decompress().is_some_and(|point| {
            !point.is_small_order()
                && point.is_torsion_free()
                && point.compress().to_bytes() == bytes
        })
    }
}

/// The proposer's block-sealing key: the sr25519 key of its account, kept
/// in the keystore under its own key type so that an operator can hold it
/// apart from other keys.
pub mod seal_crypto {
    use sp_core::crypto::KeyTypeId;

    /// Keystore type of a proposer's sealing key.
    pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"dpsl");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_decimal_strings_in_json() {
        let info = CandidateInfo::<Balance> {
            terms: 2,
            start: 4,
            stop: 5,
            deposit: 1_000 * currency::CPC + 1,
        };
        let json = serde_json::to_value(info).unwrap();
        assert_eq!(json["deposit"], "1000000000000000000001");
        assert_eq!(
            serde_json::from_value::<CandidateInfo<Balance>>(json).unwrap(),
            info
        );
        let bad = serde_json::json!({"terms": 1, "start": 1, "stop": 1, "deposit": "1e3"});
        assert!(serde_json::from_value::<CandidateInfo<Balance>>(bad).is_err());
    }
}
