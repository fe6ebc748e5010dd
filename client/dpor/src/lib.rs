//! DPoR on Substrate: the glue between the pure LBFT machine
//! (`cpchain-lbft`) and the client.
//!
//! - [`import`]: the import queue's verifier (DPoR digest, proposer seal)
//!   and the certificate check that makes a block final at import.
//! - [`worker`]: drives one LBFT machine per node over a notification
//!   protocol, authors the node's own turns, builds impeach blocks, and
//!   finalizes blocks with their C-certificates.
//! - [`communication`]: the notification protocol, its wire types, relay,
//!   and requests for missed certificates.
//! - [`justification`]: the certificate as a justification.
//! - [`aux_schema`]: the persisted double-sign records (votes, seals).
//! - [`equivocation`]: evidence of double signing, reported on chain.

pub mod authorship;
pub mod aux_schema;
#[cfg(feature = "byzantine-test")]
pub mod byzantine;
pub mod communication;
pub mod equivocation;
pub mod import;
pub mod justification;
pub mod metrics;
pub mod warp_sync;
pub mod worker;

use cpchain_lbft::{Config, Crypto, ValidatorSet};
use cpchain_primitives::{
    dpor_crypto::{AuthorityId, AuthorityPair, AuthoritySignature, KEY_TYPE},
    runtime_api::DporApi,
    AccountId, Hash, OpaqueBlock as Block,
};
use sp_api::ProvideRuntimeApi;
use sp_application_crypto::AppCrypto;
use sp_core::Pair;
use sp_keystore::KeystorePtr;

pub use cpchain_primitives::digest::{DporPreDigest, DPOR_ENGINE_ID};

/// Log target of everything DPoR.
pub const LOG_TARGET: &str = "dpor";

/// The LBFT types of this chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dpor;

impl Config for Dpor {
    type Hash = Hash;
    type ValidatorId = AuthorityId;
    type Signature = AuthoritySignature;
}

/// Signs votes with the validator's key in the keystore; checks others'.
#[derive(Clone)]
pub struct KeystoreCrypto {
    pub keystore: Option<KeystorePtr>,
    pub local: Option<AuthorityId>,
}

impl Crypto<Dpor> for KeystoreCrypto {
    fn sign(&self, payload: &[u8]) -> Option<AuthoritySignature> {
        let (keystore, local) = (self.keystore.as_ref()?, self.local.as_ref()?);
        keystore
            .ed25519_sign(KEY_TYPE, local.as_ref(), payload)
            .ok()
            .flatten()
            .map(Into::into)
    }

    fn verify(&self, signer: &AuthorityId, payload: &[u8], signature: &AuthoritySignature) -> bool {
        AuthorityPair::verify(signature, payload, signer)
    }
}

/// Checks signatures only.
pub fn verifier_crypto() -> KeystoreCrypto {
    KeystoreCrypto {
        keystore: None,
        local: None,
    }
}

/// The validators that certify the child of `parent`: the committee in
/// `parent`'s state. None on a chain without a committee.
pub fn validators_after<C>(
    client: &C,
    parent: Hash,
) -> Result<Option<ValidatorSet<AuthorityId>>, String>
where
    C: ProvideRuntimeApi<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let committee = client
        .runtime_api()
        .committee(parent)
        .map_err(|e| format!("DporApi::committee at {parent}: {e}"))?;
    Ok(ValidatorSet::new(
        committee.validators.into_iter().map(|(_, key)| key),
    ))
}

/// The validators of the genesis block, from which stateless checks of
/// finality (warp proofs, history below a warp-synced state) start.
pub fn genesis_validators<C>(client: &C) -> Result<Vec<AuthorityId>, String>
where
    C: ProvideRuntimeApi<Block> + sp_blockchain::HeaderBackend<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let genesis = client.info().genesis_hash;
    Ok(client
        .runtime_api()
        .committee(genesis)
        .map_err(|e| format!("DporApi::committee at genesis: {e}"))?
        .validators
        .into_iter()
        .map(|(_, key)| key)
        .collect())
}

/// The key type of the consensus key, for operators' `key insert`.
pub fn consensus_key_type() -> sp_core::crypto::KeyTypeId {
    <AuthorityId as AppCrypto>::ID
}
