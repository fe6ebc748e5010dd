//! Proofs of finality from headers and certificates alone, for warp sync
//! and for `dpor_proveFinality`.
//!
//! A proof ([`cpchain_primitives::finality::FinalityProof`]) is the chain of
//! certified headers that changed the validator set, then the block to
//! prove. [`FinalityProver`] finds those headers (scanning finalized headers
//! once, then only new ones) and reads their stored certificates;
//! [`DporWarpSyncProvider`] serves and checks proofs for sc-network-sync's
//! warp sync, starting from the genesis validators.

use std::sync::{Arc, Mutex};

use codec::{Decode, Encode};
use cpchain_primitives::{
    digest::DPOR_ENGINE_ID,
    finality::{DporJustification, FinalityProof, Fragment, ValidatorsChanged, Verifier},
    runtime_api::DporApi,
    AccountId, Hash, OpaqueBlock as Block,
};
use sc_client_api::BlockBackend;
use sc_network_sync::strategy::warp::{
    EncodedProof, VerificationResult, Verifier as WarpVerifier, WarpSyncProvider,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::Justifications;

/// Fragments per proof: a verifier asks again from the last one.
const MAX_FRAGMENTS: usize = 1_024;

/// Finds set changes and builds proofs.
pub struct FinalityProver<C> {
    client: Arc<C>,
    /// (highest height scanned, the set-change heights up to it).
    changes: Mutex<(u32, Vec<u32>)>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<C> FinalityProver<C>
where
    C: HeaderBackend<Block> + BlockBackend<Block>,
{
    pub fn new(client: Arc<C>) -> Self {
        Self {
            client,
            changes: Mutex::new((0, Vec::new())),
        }
    }

    /// The heights of the set changes in `(after, up_to]`, all final.
    fn changes_between(&self, after: u32, up_to: u32) -> Result<Vec<u32>, String> {
        let mut index = self.changes.lock().map_err(|_| "prover lock poisoned")?;
        while index.0 < up_to {
            let number = index.0 + 1;
            let (_, header) = self.header_at(number)?;
            if ValidatorsChanged::find_in(&header).is_some() {
                index.1.push(number);
            }
            index.0 = number;
        }
        Ok(index
            .1
            .iter()
            .copied()
            .filter(|n| *n > after && *n <= up_to)
            .collect())
    }

    /// The final block `number`'s hash and header.
    fn header_at(&self, number: u32) -> Result<(Hash, cpchain_primitives::Header), String> {
        let hash = self
            .client
            .hash(number)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("block #{number} is not stored (history still syncing?)"))?;
        let header = self
            .client
            .header(hash)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("header #{number} is not stored"))?;
        Ok((hash, header))
    }

    fn fragment(&self, number: u32) -> Result<Fragment, String> {
        let (hash, header) = self.header_at(number)?;
        let justification = crate::justification::stored_justification(&*self.client, hash)
            .map_err(|e| format!("block #{number}: {e}"))?
            .ok_or_else(|| format!("block #{number} has no stored certificate"))?;
        Ok(Fragment {
            header,
            justification,
        })
    }

    /// The proof that final block `target` is final, for a verifier that
    /// has followed the sets up to block `after`.
    pub fn prove(&self, after: u32, target: u32) -> Result<FinalityProof, String> {
        let finalized = self.client.info().finalized_number;
        if target > finalized {
            return Err(format!(
                "block #{target} is not final yet (final: #{finalized})"
            ));
        }
        if target <= after {
            return Err(format!("block #{target} is not above #{after}"));
        }
        let mut heights = self.changes_between(after, target.saturating_sub(1))?;
        let is_finished = heights.len() < MAX_FRAGMENTS;
        heights.truncate(MAX_FRAGMENTS - 1);
        if is_finished {
            heights.push(target);
        }
        let fragments = heights
            .into_iter()
            .map(|number| self.fragment(number))
            .collect::<Result<_, _>>()?;
        Ok(FinalityProof {
            fragments,
            is_finished,
        })
    }
}

/// The block a warp proof proved final, with the justification the proof
/// carried for it. Sync then downloads that block with its state from any
/// peer, and with whatever justification that peer offers; the import
/// keeps this one instead (`import::DporVerifier`), so that a node never
/// stores, and serves again, a certificate nobody checked.
#[derive(Clone, Default)]
pub struct ProvenWarpTarget(Arc<Mutex<Option<(Hash, DporJustification)>>>);

impl ProvenWarpTarget {
    fn prove(&self, hash: Hash, justification: DporJustification) {
        if let Ok(mut target) = self.0.lock() {
            *target = Some((hash, justification));
        }
    }

    /// The proven justification of `hash`, if a warp proof ended on it.
    pub fn justification_of(&self, hash: Hash) -> Option<DporJustification> {
        let target = self.0.lock().ok()?;
        target
            .as_ref()
            .filter(|(proven, _)| *proven == hash)
            .map(|(_, justification)| justification.clone())
    }
}

/// Serves warp proofs up to the latest final block, and checks them.
pub struct DporWarpSyncProvider<C> {
    prover: Arc<FinalityProver<C>>,
    client: Arc<C>,
    proven: ProvenWarpTarget,
}

impl<C> DporWarpSyncProvider<C> {
    /// `proven` is shared with the import queue's verifier.
    pub fn new(client: Arc<C>, prover: Arc<FinalityProver<C>>, proven: ProvenWarpTarget) -> Self {
        Self {
            prover,
            client,
            proven,
        }
    }
}

impl<C> WarpSyncProvider<Block> for DporWarpSyncProvider<C>
where
    C: HeaderBackend<Block> + BlockBackend<Block> + ProvideRuntimeApi<Block> + Send + Sync,
    C::Api: DporApi<Block, AccountId>,
{
    fn generate(&self, start: Hash) -> Result<EncodedProof, BoxError> {
        let after = self
            .client
            .number(start)?
            .ok_or_else(|| format!("unknown block {start}"))?;
        let target = self.client.info().finalized_number;
        let proof = self.prover.prove(after, target)?;
        Ok(EncodedProof(proof.encode()))
    }

    fn create_verifier(&self) -> Box<dyn WarpVerifier<Block>> {
        let genesis = self.client.info().genesis_hash;
        // Without them the verifier's set is empty, and it proves nothing.
        let validators = crate::genesis_validators(&*self.client).unwrap_or_else(|e| {
            log::error!(target: crate::LOG_TARGET, "No genesis validators for warp sync: {e}");
            Vec::new()
        });
        Box::new(DporWarpVerifier {
            verifier: Verifier::from_genesis(genesis, validators),
            proven: self.proven.clone(),
        })
    }
}

/// Checks warp proofs from the genesis validators on.
pub struct DporWarpVerifier {
    verifier: Verifier,
    proven: ProvenWarpTarget,
}

impl WarpVerifier<Block> for DporWarpVerifier {
    fn verify(&mut self, proof: &EncodedProof) -> Result<VerificationResult<Block>, BoxError> {
        let proof = FinalityProof::decode(&mut &proof.0[..])?;
        // A proof that fails part-way leaves this verifier where it was.
        let mut verifier = self.verifier.clone();
        let last = verifier
            .verify(&proof)
            .map_err(|e| format!("invalid warp proof: {e:?}"))?;
        self.verifier = verifier;
        if proof.is_finished {
            if let Some(target) = proof.fragments.last() {
                self.proven
                    .prove(target.header.hash(), target.justification.clone());
            }
        }
        let blocks = proof
            .fragments
            .into_iter()
            .map(|fragment| {
                let justifications =
                    Justifications::from((DPOR_ENGINE_ID, fragment.justification.encode()));
                (fragment.header, justifications)
            })
            .collect();
        Ok(if proof.is_finished {
            VerificationResult::Complete(last, blocks)
        } else {
            VerificationResult::Partial(blocks)
        })
    }

    fn next_proof_context(&self) -> Hash {
        self.verifier.last_hash
    }

    fn status(&self) -> Option<String> {
        Some(format!(
            "validator set {}, block #{}",
            self.verifier.set.set_id, self.verifier.last_number
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpchain_primitives::{dpor_crypto::AuthorityPair, finality::test_utils::certify, Header};
    use sp_core::Pair;
    use sp_runtime::traits::Header as _;

    const GENESIS: Hash = Hash::repeat_byte(0x42);

    /// Review finding: the warp target's justification came from whichever
    /// peer served the block with its state, and was stored unchecked.
    /// Only a complete proof names a target, with the justification it
    /// checked.
    #[test]
    fn a_complete_warp_proof_names_its_target_and_justification() {
        let pairs: Vec<AuthorityPair> = ["//A", "//B", "//C", "//D"]
            .iter()
            .map(|seed| AuthorityPair::from_string(seed, None).unwrap())
            .collect();
        let proven = ProvenWarpTarget::default();
        let mut verifier = DporWarpVerifier {
            verifier: Verifier::from_genesis(GENESIS, pairs.iter().map(|p| p.public()).collect()),
            proven: proven.clone(),
        };
        let target = Header::new(
            9,
            Hash::repeat_byte(9),
            Hash::zero(),
            Hash::zero(),
            Default::default(),
        );
        let fragment = certify(GENESIS.as_ref(), &target, &pairs[..3]);

        // A proof that does not check names nothing.
        let forged = FinalityProof {
            fragments: vec![certify(b"another chain", &target, &pairs[..3])],
            is_finished: true,
        };
        assert!(verifier.verify(&EncodedProof(forged.encode())).is_err());
        assert_eq!(proven.justification_of(target.hash()), None);

        let proof = FinalityProof {
            fragments: vec![fragment.clone()],
            is_finished: true,
        };
        assert!(matches!(
            verifier.verify(&EncodedProof(proof.encode())),
            Ok(VerificationResult::Complete(..))
        ));
        assert_eq!(
            proven.justification_of(target.hash()),
            Some(fragment.justification)
        );
        assert_eq!(proven.justification_of(Hash::repeat_byte(1)), None);
    }
}
