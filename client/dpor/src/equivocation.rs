//! Turning what the node sees into evidence the runtime accepts, and
//! submitting it.
//!
//! - The LBFT machine reports two votes of one validator for different
//!   blocks in one phase; [`vote_evidence`] converts them.
//! - Two sealed proposals of one height by one proposer arrive as two
//!   imported blocks; [`SealedProposals`] keeps the first header of each
//!   height and returns the evidence when a second one appears.
//!
//! Every node, validator or not, submits what it finds as an unsigned
//! `report_equivocation` to its own pool, which gossips it; the runtime
//! keeps one report per offender and height.

use std::collections::{BTreeMap, BTreeSet};

use cpchain_lbft::{Equivocation, Phase};
use cpchain_primitives::{
    digest::DporPreDigest,
    equivocation::{
        EquivocationProof, Offender, ProposalEquivocation, VoteEquivocation, VotePhase,
    },
    AccountId, Header,
};

use crate::Dpor;

/// The evidence of a validator's two votes, if the height fits the chain's
/// block numbers.
pub fn vote_evidence(equivocation: &Equivocation<Dpor>) -> Option<EquivocationProof> {
    let (first, second) = (&equivocation.first, &equivocation.second);
    Some(EquivocationProof::Vote(VoteEquivocation {
        offender: first.signer.clone(),
        height: u32::try_from(first.vote.height).ok()?,
        round: first.vote.round,
        phase: match first.vote.phase {
            Phase::Prepare => VotePhase::Prepare,
            Phase::Commit => VotePhase::Commit,
        },
        first: (first.vote.hash, first.signature.clone()),
        second: (second.vote.hash, second.signature.clone()),
    }))
}

/// How many heights of sealed proposals are kept.
const HEIGHTS_KEPT: usize = 64;

/// The first sealed proposal of each recent height.
#[derive(Default)]
pub struct SealedProposals {
    first: BTreeMap<u32, Header>,
}

impl SealedProposals {
    /// Notes an imported proposal (its header with the seal); returns the
    /// evidence if another proposal of its height by the same proposer
    /// came first. Impeach blocks are no proposals and are ignored.
    pub fn note(&mut self, header: &Header) -> Option<EquivocationProof> {
        let digest = DporPreDigest::<AccountId>::find_in_items(header.digest.logs.iter())?;
        if digest.impeach {
            return None;
        }
        let Some(first) = self.first.get(&header.number) else {
            self.first.insert(header.number, header.clone());
            while self.first.len() > HEIGHTS_KEPT {
                self.first.pop_first();
            }
            return None;
        };
        if first.hash() == header.hash() {
            return None;
        }
        let proof = EquivocationProof::Proposal(ProposalEquivocation {
            first: first.clone(),
            second: header.clone(),
        });
        // Import checked both seals against the schedule; check the pair
        // as the runtime will, so that only evidence that holds goes out.
        proof.check(&[]).ok().map(|_| proof)
    }
}

/// Offences this node already reported, so that it submits each once.
#[derive(Default)]
pub struct Reported {
    offences: BTreeSet<(u32, Offender)>,
}

impl Reported {
    pub fn contains(&self, height: u32, offender: &Offender) -> bool {
        self.offences.contains(&(height, offender.clone()))
    }

    /// Remembers a report the pool answered; one that could not be
    /// submitted is tried again when the evidence shows up again.
    pub fn remember(&mut self, height: u32, offender: Offender) {
        self.offences.insert((height, offender));
        while self.offences.len() > 1024 {
            self.offences.pop_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpchain_lbft::{SignedVote, Vote};
    use cpchain_primitives::{
        dpor_crypto::AuthorityPair,
        equivocation::{test_utils::sealed_header, vote_signing_payload},
        Hash,
    };
    use sp_core::{sr25519, Pair};

    const CHAIN: &[u8] = b"genesis hash";

    fn vote(pair: &AuthorityPair, phase: Phase, hash: Hash) -> SignedVote<Dpor> {
        let vote = Vote {
            height: 9,
            round: 2,
            phase,
            hash,
        };
        SignedVote {
            vote,
            signer: pair.public(),
            signature: pair.sign(&vote.signing_payload(CHAIN)),
        }
    }

    /// The runtime rebuilds the signed bytes without the LBFT crate: the
    /// two must never differ, or no report would ever check.
    #[test]
    fn the_runtime_rebuilds_the_bytes_the_machine_signs() {
        for (height, round, hash) in [(0u64, 0u32, [0u8; 32]), (u64::from(u32::MAX), 7, [9; 32])] {
            for (phase, tag) in [
                (Phase::Prepare, VotePhase::Prepare),
                (Phase::Commit, VotePhase::Commit),
            ] {
                let vote = Vote {
                    height,
                    round,
                    phase,
                    hash: Hash::from(hash),
                };
                assert_eq!(
                    vote.signing_payload(CHAIN),
                    vote_signing_payload(CHAIN, height, round, tag, &hash)
                );
            }
        }
    }

    #[test]
    fn the_machines_equivocation_becomes_evidence_that_checks() {
        let pair = AuthorityPair::from_string("//Charlie", None).unwrap();
        for phase in [Phase::Prepare, Phase::Commit] {
            let equivocation = Equivocation {
                first: vote(&pair, phase, Hash::repeat_byte(1)),
                second: vote(&pair, phase, Hash::repeat_byte(2)),
            };
            let proof = vote_evidence(&equivocation).unwrap();
            let offence = proof.check(CHAIN).unwrap();
            assert_eq!(offence.height, 9);
            assert_eq!(offence.offender, Offender::Validator(pair.public()));
        }
    }

    fn sealed(pair: &sr25519::Pair, number: u32, root: u8, impeach: bool) -> Header {
        sealed_header(pair, number, Hash::repeat_byte(root), impeach)
    }

    #[test]
    fn a_second_sealed_proposal_of_a_height_is_evidence() {
        let pair = sr25519::Pair::from_string("//Dave", None).unwrap();
        let mut seen = SealedProposals::default();
        let first = sealed(&pair, 4, 1, false);
        assert_eq!(seen.note(&first), None);
        assert_eq!(seen.note(&first), None, "the same block again");
        assert_eq!(
            seen.note(&sealed(&pair, 4, 2, true)),
            None,
            "an impeach block"
        );
        assert_eq!(
            seen.note(&sealed(&pair, 5, 2, false)),
            None,
            "another height"
        );
        let proof = seen.note(&sealed(&pair, 4, 3, false)).expect("evidence");
        assert_eq!(
            proof.check(&[]).unwrap().offender,
            Offender::Proposer(pair.public().into())
        );
    }

    #[test]
    fn each_offence_is_reported_once() {
        let mut reported = Reported::default();
        let offender = Offender::Proposer(AccountId::from([1; 32]));
        assert!(!reported.contains(3, &offender));
        reported.remember(3, offender.clone());
        assert!(reported.contains(3, &offender));
        assert!(!reported.contains(4, &offender));
    }
}
