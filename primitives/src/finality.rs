//! Proofs of finality that need no state: the certificates of the blocks
//! that changed the validator set, from genesis on, then the certificate of
//! the block to prove.
//!
//! Every block is final with its C-certificate: 2f+1 COMMIT signatures of
//! the validators in its parent's state. Checking one therefore needs to
//! know that set. The runtime announces each change in the header of the
//! last block the outgoing set certifies (the first block of a term, where
//! the change applies), as a [`ValidatorsChanged`] consensus log. Starting
//! from the genesis set, a verifier follows the logs of certified headers
//! from set to set ([`verify_finality`]), knowing nothing but the genesis
//! hash and the genesis validators.
//!
//! Like every proof-of-stake light client this trusts that validators of
//! a retired set do not later sign a fork (long-range attack): a verifier
//! that already knows a later set should start from it.

use alloc::{collections::BTreeSet, vec::Vec};
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;
use sp_application_crypto::RuntimeAppPublic;
use sp_runtime::DigestItem;

use crate::{
    digest::DPOR_ENGINE_ID,
    dpor_crypto::{AuthorityId, AuthoritySignature},
    equivocation::{vote_signing_payload, VotePhase},
    Hash, Header,
};

/// The C-certificate stored as a block's `dpor` justification: the round
/// it was reached in and the COMMIT signatures.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct DporJustification {
    pub round: u32,
    pub signatures: Vec<(AuthorityId, AuthoritySignature)>,
}

impl DporJustification {
    /// Decodes a justification, refusing trailing bytes.
    pub fn decode_all(mut bytes: &[u8]) -> Result<Self, &'static str> {
        let justification = Self::decode(&mut bytes).map_err(|_| "undecodable justification")?;
        if !bytes.is_empty() {
            return Err("trailing bytes in justification");
        }
        Ok(justification)
    }
}

/// The consensus log of the last block a validator set certifies: from
/// the next block on, `validators` certify.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct ValidatorsChanged {
    /// 0 is the genesis set; each change adds one.
    pub set_id: u64,
    /// The term the new set starts in.
    pub term: u32,
    pub validators: Vec<AuthorityId>,
}

impl ValidatorsChanged {
    pub fn to_digest_item(&self) -> DigestItem {
        DigestItem::Consensus(DPOR_ENGINE_ID, self.encode())
    }

    /// The change a header announces, if any: its one `dpor` consensus log,
    /// decoded in full. A header with two such logs, or one that does not
    /// decode, announces nothing (and is no valid proof step, see
    /// [`Verifier::verify_fragment`]).
    pub fn find_in(header: &Header) -> Option<Self> {
        Self::read(header).ok().flatten()
    }

    /// The change a header announces: Err if its `dpor` consensus logs are
    /// not exactly one well-formed change or none.
    fn read(header: &Header) -> Result<Option<Self>, ()> {
        let mut logs = header.digest.logs.iter().filter_map(|item| match item {
            DigestItem::Consensus(id, data) if *id == DPOR_ENGINE_ID => Some(data.as_slice()),
            _ => None,
        });
        match (logs.next(), logs.next()) {
            (None, _) => Ok(None),
            (Some(one), None) => Self::decode_exact(one).map(Some).ok_or(()),
            (Some(_), Some(_)) => Err(()),
        }
    }

    fn decode_exact(mut data: &[u8]) -> Option<Self> {
        let change = Self::decode(&mut data).ok()?;
        data.is_empty().then_some(change)
    }
}

/// A validator set and its id.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct ValidatorSet {
    pub set_id: u64,
    validators: BTreeSet<AuthorityId>,
}

impl ValidatorSet {
    pub fn new(set_id: u64, validators: impl IntoIterator<Item = AuthorityId>) -> Self {
        Self {
            set_id,
            validators: validators.into_iter().collect(),
        }
    }

    /// Signatures a certificate needs: n - f, which is 2f + 1 for n = 3f + 1.
    pub fn quorum(&self) -> usize {
        let n = self.validators.len();
        n - n.saturating_sub(1) / 3
    }

    pub fn contains(&self, key: &AuthorityId) -> bool {
        self.validators.contains(key)
    }
}

/// A certified header: one step of a proof.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct Fragment {
    pub header: Header,
    pub justification: DporJustification,
}

/// Fragments in increasing height: every header that changed the
/// validator set after the verifier's starting point, then the block to
/// prove (unless it is the last of them). `is_finished` is false when the
/// prover cut the proof short; the verifier asks again from its last
/// fragment.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct FinalityProof {
    pub fragments: Vec<Fragment>,
    pub is_finished: bool,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum FinalityProofError {
    /// No fragments.
    Empty,
    /// A fragment is not above the previous one.
    OutOfOrder {
        number: u32,
    },
    /// A signer is not in the set of that height, or signs twice.
    UnknownOrDuplicateSigner {
        number: u32,
    },
    BadSignature {
        number: u32,
    },
    TooFewSignatures {
        number: u32,
        got: usize,
        needed: usize,
    },
    /// A set change skips an id: the prover left out a change.
    MissingSetChange {
        number: u32,
        expected: u64,
        got: u64,
    },
    /// An intermediate fragment changes no validator set: the prover sent
    /// something else than the proof asked for.
    NotASetChange {
        number: u32,
    },
    /// A `dpor` consensus log that is not exactly one well-formed change.
    MalformedSetChange {
        number: u32,
    },
    /// The set to check against is empty: nothing could be proven.
    NoValidators,
    /// A fragment is not the child of the block before it.
    NotAChild {
        number: u32,
    },
}

/// Where a verifier stands: the set that certifies the next blocks, and
/// the last header it proved.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Verifier {
    pub chain_id: Vec<u8>,
    pub set: ValidatorSet,
    pub last_number: u32,
    pub last_hash: Hash,
}

impl Verifier {
    /// A verifier that knows the genesis block and its validators.
    pub fn from_genesis(genesis_hash: Hash, validators: Vec<AuthorityId>) -> Self {
        Self {
            chain_id: genesis_hash.as_ref().to_vec(),
            set: ValidatorSet::new(0, validators),
            last_number: 0,
            last_hash: genesis_hash,
        }
    }

    /// Checks one certified header against the current set and follows
    /// the set change it announces.
    pub fn verify_fragment(&mut self, fragment: &Fragment) -> Result<(), FinalityProofError> {
        let header = &fragment.header;
        let number = header.number;
        if number <= self.last_number {
            return Err(FinalityProofError::OutOfOrder { number });
        }
        if self.set.validators.is_empty() {
            return Err(FinalityProofError::NoValidators);
        }
        let hash = header.hash();
        let payload = vote_signing_payload(
            &self.chain_id,
            u64::from(number),
            fragment.justification.round,
            VotePhase::Commit,
            hash.as_ref(),
        );
        let mut signers = BTreeSet::new();
        for (signer, signature) in &fragment.justification.signatures {
            if !self.set.contains(signer) || !signers.insert(signer) {
                return Err(FinalityProofError::UnknownOrDuplicateSigner { number });
            }
            if !signer.verify(&payload, signature) {
                return Err(FinalityProofError::BadSignature { number });
            }
        }
        let needed = self.set.quorum();
        if signers.len() < needed {
            return Err(FinalityProofError::TooFewSignatures {
                number,
                got: signers.len(),
                needed,
            });
        }
        let change = ValidatorsChanged::read(header)
            .map_err(|()| FinalityProofError::MalformedSetChange { number })?;
        if let Some(change) = change {
            let expected = self.set.set_id.saturating_add(1);
            if change.set_id != expected {
                return Err(FinalityProofError::MissingSetChange {
                    number,
                    expected,
                    got: change.set_id,
                });
            }
            self.set = ValidatorSet::new(change.set_id, change.validators);
        }
        self.last_number = number;
        self.last_hash = hash;
        Ok(())
    }

    /// As [`Verifier::verify_fragment`], for a fragment that must be the
    /// very next block: how history below a warp-synced state is checked,
    /// block by block.
    pub fn verify_child(&mut self, fragment: &Fragment) -> Result<(), FinalityProofError> {
        let number = fragment.header.number;
        if number != self.last_number.saturating_add(1)
            || fragment.header.parent_hash != self.last_hash
        {
            return Err(FinalityProofError::NotAChild { number });
        }
        self.verify_fragment(fragment)
    }

    /// Checks a proof from where this verifier stands; returns the last
    /// header it proves final.
    pub fn verify(&mut self, proof: &FinalityProof) -> Result<Header, FinalityProofError> {
        let (last, changes) = proof
            .fragments
            .split_last()
            .ok_or(FinalityProofError::Empty)?;
        // A partial proof ends on a set change too: one that ended anywhere
        // else would let a prover stall a verifier a block at a time.
        let steps = if proof.is_finished {
            changes
        } else {
            &proof.fragments[..]
        };
        for fragment in steps {
            if ValidatorsChanged::find_in(&fragment.header).is_none() {
                return Err(FinalityProofError::NotASetChange {
                    number: fragment.header.number,
                });
            }
            self.verify_fragment(fragment)?;
        }
        if proof.is_finished {
            self.verify_fragment(last)?;
        }
        Ok(last.header.clone())
    }
}

/// Whether `proof` shows its last header final on the chain whose genesis
/// block is `genesis_hash` with `genesis_validators`. Returns that header.
pub fn verify_finality(
    genesis_hash: Hash,
    genesis_validators: Vec<AuthorityId>,
    proof: &FinalityProof,
) -> Result<Header, FinalityProofError> {
    Verifier::from_genesis(genesis_hash, genesis_validators).verify(proof)
}

/// Certificates for tests of proofs, here, in the client and the node.
#[cfg(feature = "std")]
pub mod test_utils {
    use super::*;
    use crate::dpor_crypto::AuthorityPair;
    use sp_core::Pair;

    /// A certificate of `header` in round 0 by `signers`.
    pub fn certify(chain_id: &[u8], header: &Header, signers: &[AuthorityPair]) -> Fragment {
        let payload = vote_signing_payload(
            chain_id,
            u64::from(header.number),
            0,
            VotePhase::Commit,
            header.hash().as_ref(),
        );
        Fragment {
            header: header.clone(),
            justification: DporJustification {
                round: 0,
                signatures: signers
                    .iter()
                    .map(|pair| (pair.public(), pair.sign(&payload)))
                    .collect(),
            },
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::{test_utils::certify, *};
    use crate::dpor_crypto::AuthorityPair;
    use sp_core::Pair;
    use sp_runtime::traits::Header as _;

    fn pairs(names: &[&str]) -> Vec<AuthorityPair> {
        names
            .iter()
            .map(|name| AuthorityPair::from_string(&format!("//{name}"), None).unwrap())
            .collect()
    }

    fn keys(pairs: &[AuthorityPair]) -> Vec<AuthorityId> {
        pairs.iter().map(|p| p.public()).collect()
    }

    fn header(number: u32, change: Option<ValidatorsChanged>) -> Header {
        let mut header = Header::new(
            number,
            Hash::repeat_byte(number as u8),
            Hash::zero(),
            Hash::zero(),
            Default::default(),
        );
        if let Some(change) = change {
            header.digest.push(change.to_digest_item());
        }
        header
    }

    const GENESIS: Hash = Hash::repeat_byte(0x42);

    /// Genesis set A B C D; block 6 hands over to B C D E; block 9 is
    /// certified by the new set.
    fn two_sets() -> (Vec<AuthorityPair>, Vec<AuthorityPair>, FinalityProof) {
        let first = pairs(&["A", "B", "C", "D"]);
        let second = pairs(&["B", "C", "D", "E"]);
        let handover = header(
            6,
            Some(ValidatorsChanged {
                set_id: 1,
                term: 1,
                validators: keys(&second),
            }),
        );
        let proof = FinalityProof {
            fragments: vec![
                certify(GENESIS.as_ref(), &handover, &first[..3]),
                certify(GENESIS.as_ref(), &header(9, None), &second[1..]),
            ],
            is_finished: true,
        };
        (first, second, proof)
    }

    #[test]
    fn a_proof_follows_the_sets_from_genesis_to_the_block() {
        let (first, _, proof) = two_sets();
        let proven = verify_finality(GENESIS, keys(&first), &proof).unwrap();
        assert_eq!(proven.number, 9);
    }

    #[test]
    fn tampered_proofs_prove_nothing() {
        let (first, second, proof) = two_sets();
        let check = |proof: &FinalityProof| verify_finality(GENESIS, keys(&first), proof);

        // Another chain's genesis.
        assert_eq!(
            verify_finality(Hash::repeat_byte(1), keys(&first), &proof),
            Err(FinalityProofError::BadSignature { number: 6 })
        );
        // A header changed after it was certified.
        let mut changed = proof.clone();
        changed.fragments[1].header.state_root = Hash::repeat_byte(9);
        assert_eq!(
            check(&changed),
            Err(FinalityProofError::BadSignature { number: 9 })
        );
        // Too few signatures.
        let mut thin = proof.clone();
        thin.fragments[1].justification.signatures.pop();
        assert_eq!(
            check(&thin),
            Err(FinalityProofError::TooFewSignatures {
                number: 9,
                got: 2,
                needed: 3
            })
        );
        // One signer counted twice.
        let mut doubled = proof.clone();
        let again = doubled.fragments[1].justification.signatures[0].clone();
        doubled.fragments[1].justification.signatures[2] = again;
        assert_eq!(
            check(&doubled),
            Err(FinalityProofError::UnknownOrDuplicateSigner { number: 9 })
        );
        // The set change left out: the new set is unknown.
        let skipped = FinalityProof {
            fragments: vec![proof.fragments[1].clone()],
            is_finished: true,
        };
        assert_eq!(
            check(&skipped),
            Err(FinalityProofError::UnknownOrDuplicateSigner { number: 9 })
        );
        // A retired set (A B C, a quorum of the first set) certifying a
        // block after its hand-over is refused.
        let retired = FinalityProof {
            fragments: vec![
                proof.fragments[0].clone(),
                certify(GENESIS.as_ref(), &header(9, None), &first[..3]),
            ],
            is_finished: true,
        };
        assert_eq!(
            check(&retired),
            Err(FinalityProofError::UnknownOrDuplicateSigner { number: 9 })
        );
        // A set change that skips an id.
        let jump = header(
            6,
            Some(ValidatorsChanged {
                set_id: 2,
                term: 1,
                validators: keys(&second),
            }),
        );
        let jumped = FinalityProof {
            fragments: vec![certify(GENESIS.as_ref(), &jump, &first[..3])],
            is_finished: true,
        };
        assert_eq!(
            check(&jumped),
            Err(FinalityProofError::MissingSetChange {
                number: 6,
                expected: 1,
                got: 2
            })
        );
        // Padding with a certified block that changes nothing.
        let padded = FinalityProof {
            fragments: vec![
                certify(GENESIS.as_ref(), &header(3, None), &first[..3]),
                proof.fragments[0].clone(),
                proof.fragments[1].clone(),
            ],
            is_finished: true,
        };
        assert_eq!(
            check(&padded),
            Err(FinalityProofError::NotASetChange { number: 3 })
        );
        // Out of order, and empty.
        let reversed = FinalityProof {
            fragments: vec![proof.fragments[0].clone(), proof.fragments[0].clone()],
            is_finished: true,
        };
        assert_eq!(
            check(&reversed),
            Err(FinalityProofError::OutOfOrder { number: 6 })
        );
        let empty = FinalityProof {
            fragments: Vec::new(),
            is_finished: true,
        };
        assert_eq!(check(&empty), Err(FinalityProofError::Empty));
        // No genesis validators: nothing is proven, not everything.
        assert_eq!(
            verify_finality(GENESIS, Vec::new(), &proof),
            Err(FinalityProofError::NoValidators)
        );
        // Two change logs in one certified header.
        let mut twice = header(
            6,
            Some(ValidatorsChanged {
                set_id: 1,
                term: 1,
                validators: keys(&second),
            }),
        );
        twice.digest.push(
            ValidatorsChanged {
                set_id: 1,
                term: 1,
                validators: keys(&first),
            }
            .to_digest_item(),
        );
        let doubled_log = FinalityProof {
            fragments: vec![certify(GENESIS.as_ref(), &twice, &first[..3])],
            is_finished: true,
        };
        assert_eq!(
            check(&doubled_log),
            Err(FinalityProofError::MalformedSetChange { number: 6 })
        );
        // A partial proof that does not end on a set change.
        let stalling = FinalityProof {
            fragments: vec![certify(GENESIS.as_ref(), &header(3, None), &first[..3])],
            is_finished: false,
        };
        assert_eq!(
            check(&stalling),
            Err(FinalityProofError::NotASetChange { number: 3 })
        );
    }

    #[test]
    fn history_is_checked_block_by_block_from_genesis() {
        let validators = pairs(&["A", "B", "C", "D"]);
        let mut verifier = Verifier::from_genesis(GENESIS, keys(&validators));
        let mut parent = GENESIS;
        for number in 1..=3 {
            let mut block = header(number, None);
            block.parent_hash = parent;
            let fragment = certify(GENESIS.as_ref(), &block, &validators[1..]);
            verifier.verify_child(&fragment).unwrap();
            parent = block.hash();
        }
        // A block that does not build on the last one.
        let mut stray = header(4, None);
        stray.parent_hash = Hash::repeat_byte(7);
        let fragment = certify(GENESIS.as_ref(), &stray, &validators[1..]);
        assert_eq!(
            verifier.verify_child(&fragment),
            Err(FinalityProofError::NotAChild { number: 4 })
        );
    }
}
