//! Evidence that a validator or a proposer signed two conflicting things,
//! checkable by anyone who knows the chain's genesis hash: the runtime
//! checks it before recording the offender, the node before reporting it.
//!
//! - A validator that signs two different blocks in one (height, round,
//!   phase) could help certify two blocks at one height if more than f
//!   validators did so. Its two signed votes are the evidence.
//! - A proposer that seals two different blocks at one height hands
//!   different validators different proposals, to split their votes and
//!   force an impeachment it can blame on the network. Its two sealed
//!   headers are the evidence. An honest proposer seals one block per
//!   height: the node records its seal before signing (see the client's
//!   `aux_schema`), so a restart cannot make it seal a second one.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_application_crypto::RuntimeAppPublic;
use sp_runtime::{traits::Verify, DigestItem};

use crate::{
    digest::{DporPreDigest, DPOR_ENGINE_ID},
    dpor_crypto::{AuthorityId, AuthoritySignature},
    AccountId, Hash, Header,
};

/// Prefix of every signed LBFT payload. The LBFT crate signs the same
/// bytes; a test in the client checks that the two never drift apart.
pub const VOTE_SIGNING_DOMAIN: &[u8] = b"cpchain/lbft/v1";

/// The phase of an LBFT vote.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
)]
pub enum VotePhase {
    Prepare,
    Commit,
}

impl VotePhase {
    fn tag(self) -> u8 {
        match self {
            VotePhase::Prepare => 1,
            VotePhase::Commit => 2,
        }
    }
}

/// The bytes a validator signs to vote for `hash` in (`height`, `round`,
/// `phase`) on the chain whose genesis hash is `chain_id`.
pub fn vote_signing_payload(
    chain_id: &[u8],
    height: u64,
    round: u32,
    phase: VotePhase,
    hash: &[u8],
) -> Vec<u8> {
    let mut payload =
        Vec::with_capacity(VOTE_SIGNING_DOMAIN.len() + 4 + chain_id.len() + 13 + hash.len());
    payload.extend_from_slice(VOTE_SIGNING_DOMAIN);
    payload.extend_from_slice(&(chain_id.len() as u32).to_le_bytes());
    payload.extend_from_slice(chain_id);
    payload.extend_from_slice(&height.to_le_bytes());
    payload.extend_from_slice(&round.to_le_bytes());
    payload.push(phase.tag());
    payload.extend_from_slice(hash);
    payload
}

/// Two votes of one validator for different blocks in one (height, round, phase).
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct VoteEquivocation {
    pub offender: AuthorityId,
    pub height: u32,
    pub round: u32,
    pub phase: VotePhase,
    pub first: (Hash, AuthoritySignature),
    pub second: (Hash, AuthoritySignature),
}

/// Two blocks of one height sealed by one proposer.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct ProposalEquivocation {
    /// The headers as imported: the seal is the last digest item.
    pub first: Header,
    pub second: Header,
}

#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum EquivocationProof {
    Vote(VoteEquivocation),
    Proposal(ProposalEquivocation),
}

/// Who misbehaved.
#[derive(
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Debug,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
)]
pub enum Offender {
    /// A validator, by its consensus key.
    Validator(AuthorityId),
    /// A proposer, by its account.
    Proposer(AccountId),
}

/// Why evidence proves nothing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EquivocationError {
    /// Both signed the same thing.
    NotConflicting,
    /// A signature is not the offender's.
    BadSignature,
    /// The headers differ in height or proposer, or one is not a sealed
    /// proposal.
    Mismatched,
}

/// What checked evidence proves: `offender` misbehaved at `height`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProvenOffence {
    pub height: u32,
    pub offender: Offender,
}

impl EquivocationProof {
    /// Checks the signatures and that they conflict. Whether the offender
    /// was a validator or the scheduled proposer at that height is for the
    /// caller, which knows the committee.
    pub fn check(&self, chain_id: &[u8]) -> Result<ProvenOffence, EquivocationError> {
        match self {
            EquivocationProof::Vote(vote) => vote.check(chain_id),
            EquivocationProof::Proposal(proposal) => proposal.check(),
        }
    }
}

impl VoteEquivocation {
    fn check(&self, chain_id: &[u8]) -> Result<ProvenOffence, EquivocationError> {
        if self.first.0 == self.second.0 {
            return Err(EquivocationError::NotConflicting);
        }
        for (hash, signature) in [&self.first, &self.second] {
            let payload = vote_signing_payload(
                chain_id,
                u64::from(self.height),
                self.round,
                self.phase,
                hash.as_ref(),
            );
            if !self.offender.verify(&payload, signature) {
                return Err(EquivocationError::BadSignature);
            }
        }
        Ok(ProvenOffence {
            height: self.height,
            offender: Offender::Validator(self.offender.clone()),
        })
    }
}

/// A sealed proposal's proposer and the hash it signed (the header
/// without its seal), if its seal is the proposer's.
fn sealed_by(header: &Header) -> Result<(AccountId, Hash), EquivocationError> {
    let digest = DporPreDigest::<AccountId>::find_in_items(header.digest.logs.iter())
        .filter(|digest| !digest.impeach)
        .ok_or(EquivocationError::Mismatched)?;
    let mut unsealed = header.clone();
    let signature = match unsealed.digest.pop() {
        Some(DigestItem::Seal(id, signature)) if id == DPOR_ENGINE_ID => signature,
        _ => return Err(EquivocationError::Mismatched),
    };
    let signature = sp_core::sr25519::Signature::try_from(signature.as_slice())
        .map_err(|_| EquivocationError::BadSignature)?;
    let public = sp_core::sr25519::Public::from_raw(*AsRef::<[u8; 32]>::as_ref(&digest.proposer));
    let signed = unsealed.hash();
    if !signature.verify(signed.as_ref(), &public) {
        return Err(EquivocationError::BadSignature);
    }
    Ok((digest.proposer, signed))
}

impl ProposalEquivocation {
    fn check(&self) -> Result<ProvenOffence, EquivocationError> {
        if self.first.number != self.second.number {
            return Err(EquivocationError::Mismatched);
        }
        let (first_proposer, first_signed) = sealed_by(&self.first)?;
        let (second_proposer, second_signed) = sealed_by(&self.second)?;
        if first_proposer != second_proposer {
            return Err(EquivocationError::Mismatched);
        }
        if first_signed == second_signed {
            // One block, two seals (sr25519 signatures are randomized).
            return Err(EquivocationError::NotConflicting);
        }
        Ok(ProvenOffence {
            height: self.first.number,
            offender: Offender::Proposer(first_proposer),
        })
    }
}

/// Headers for tests of evidence, here and in the pallet and the client.
#[cfg(feature = "std")]
pub mod test_utils {
    use super::*;
    use sp_core::{sr25519, Pair};
    use sp_runtime::traits::Header as _;

    /// A block `number` named as `pair`'s proposal, sealed by `pair`
    /// unless it is an impeach block; `root` tells blocks apart.
    pub fn sealed_header(pair: &sr25519::Pair, number: u32, root: Hash, impeach: bool) -> Header {
        sealed_header_on(pair, number, Hash::zero(), root, impeach)
    }

    /// As [`sealed_header`], on block `parent`.
    pub fn sealed_header_on(
        pair: &sr25519::Pair,
        number: u32,
        parent: Hash,
        root: Hash,
        impeach: bool,
    ) -> Header {
        let mut header = Header::new(number, root, Hash::zero(), parent, Default::default());
        header.digest.push(
            DporPreDigest {
                term: 0,
                view: 0,
                proposer: AccountId::from(pair.public()),
                impeach,
                vrf: None,
            }
            .to_digest_item(),
        );
        if !impeach {
            let signature = pair.sign(header.hash().as_ref());
            header
                .digest
                .push(crate::digest::seal_item(signature.as_ref()));
        }
        header
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::{digest::seal_item, dpor_crypto::AuthorityPair};
    use sp_core::{sr25519, Pair};

    const CHAIN: &[u8] = &[9; 32];

    fn vote(pair: &AuthorityPair, height: u32, hash: Hash) -> (Hash, AuthoritySignature) {
        let payload =
            vote_signing_payload(CHAIN, height.into(), 0, VotePhase::Prepare, hash.as_ref());
        (hash, pair.sign(&payload))
    }

    fn double_vote(pair: &AuthorityPair) -> VoteEquivocation {
        VoteEquivocation {
            offender: pair.public(),
            height: 5,
            round: 0,
            phase: VotePhase::Prepare,
            first: vote(pair, 5, Hash::repeat_byte(1)),
            second: vote(pair, 5, Hash::repeat_byte(2)),
        }
    }

    #[test]
    fn two_votes_for_different_blocks_prove_a_validator_equivocated() {
        let pair = AuthorityPair::from_string("//Alice", None).unwrap();
        let proof = EquivocationProof::Vote(double_vote(&pair));
        assert_eq!(
            proof.check(CHAIN),
            Ok(ProvenOffence {
                height: 5,
                offender: Offender::Validator(pair.public())
            })
        );
        // Signed for another chain: proves nothing here.
        assert_eq!(proof.check(&[8; 32]), Err(EquivocationError::BadSignature));
    }

    #[test]
    fn forged_or_agreeing_votes_prove_nothing() {
        let alice = AuthorityPair::from_string("//Alice", None).unwrap();
        let bob = AuthorityPair::from_string("//Bob", None).unwrap();
        let mut framed = double_vote(&alice);
        framed.offender = bob.public();
        assert_eq!(
            EquivocationProof::Vote(framed).check(CHAIN),
            Err(EquivocationError::BadSignature)
        );
        let mut same = double_vote(&alice);
        same.second = same.first.clone();
        assert_eq!(
            EquivocationProof::Vote(same).check(CHAIN),
            Err(EquivocationError::NotConflicting)
        );
        // A signature moved to another round.
        let mut moved = double_vote(&alice);
        moved.round = 1;
        assert_eq!(
            EquivocationProof::Vote(moved).check(CHAIN),
            Err(EquivocationError::BadSignature)
        );
    }

    fn sealed(pair: &sr25519::Pair, number: u32, root: Hash, impeach: bool) -> Header {
        test_utils::sealed_header(pair, number, root, impeach)
    }

    #[test]
    fn two_sealed_blocks_of_one_height_prove_a_proposer_equivocated() {
        let pair = sr25519::Pair::from_string("//Alice", None).unwrap();
        let proof = EquivocationProof::Proposal(ProposalEquivocation {
            first: sealed(&pair, 7, Hash::repeat_byte(1), false),
            second: sealed(&pair, 7, Hash::repeat_byte(2), false),
        });
        assert_eq!(
            proof.check(CHAIN),
            Ok(ProvenOffence {
                height: 7,
                offender: Offender::Proposer(pair.public().into())
            })
        );
    }

    #[test]
    fn mismatched_or_resealed_blocks_prove_nothing() {
        let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
        let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
        let check = |first, second| {
            EquivocationProof::Proposal(ProposalEquivocation { first, second }).check(CHAIN)
        };
        let one = sealed(&alice, 7, Hash::repeat_byte(1), false);
        // The same block sealed twice.
        let resealed = sealed(&alice, 7, Hash::repeat_byte(1), false);
        assert_ne!(one, resealed);
        assert_eq!(
            check(one.clone(), resealed),
            Err(EquivocationError::NotConflicting)
        );
        assert_eq!(
            check(one.clone(), sealed(&alice, 8, Hash::repeat_byte(2), false)),
            Err(EquivocationError::Mismatched)
        );
        assert_eq!(
            check(one.clone(), sealed(&bob, 7, Hash::repeat_byte(2), false)),
            Err(EquivocationError::Mismatched)
        );
        assert_eq!(
            check(one.clone(), sealed(&alice, 7, Hash::repeat_byte(2), true)),
            Err(EquivocationError::Mismatched)
        );
        // Bob's seal on a block naming Alice.
        let mut forged = sealed(&alice, 7, Hash::repeat_byte(2), false);
        forged.digest.pop();
        let signature = bob.sign(forged.hash().as_ref());
        forged.digest.push(seal_item(signature.as_ref()));
        assert_eq!(check(one, forged), Err(EquivocationError::BadSignature));
    }
}
