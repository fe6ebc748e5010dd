//! Checks every signature an honest [`Machine`] persists against the guards
//! of the protocol model in `tests/protocol_model.rs`, so that the model's
//! exhaustive result speaks about this code: whatever the simulator makes
//! the machine do, each thing it signs is a step the model also takes.
//!
//! As in the model, a message counts as available from the moment an honest
//! validator persists it, and the byzantine validators of the height add
//! their signatures to any certificate or quorum. The guards:
//!
//! * any vote or round change is of the signer's current round (S2, S5:
//!   nothing below the round entered, nothing above it);
//! * a COMMIT is for a P-certificate that can be formed (S1);
//! * a PREPARE of round r ≥ 1 is the leader's proposal: for an honest
//!   leader, a block it prepared; for the leader itself or a byzantine
//!   leader, a block that a quorum of round changes of r justifies (S3, S4);
//! * a round is entered by a timeout (the next one), by f + 1 validators
//!   there (one of them honest), or by a P-certificate of it that can be
//!   formed, and never left for a lower one;
//! * a round change claims the lock its signer persisted (the highest of
//!   its earlier claims and COMMITs) or a higher one with a P-certificate
//!   that can be formed, below the round (I3).

use std::collections::{BTreeMap, BTreeSet};

use cpchain_lbft::*;

use super::Hash;

type Lock = Option<(Round, Hash)>;

#[derive(Default)]
pub struct Conformance {
    /// Honest signers by (height, round, phase, block).
    votes: BTreeMap<(Height, Round, u8, Hash), BTreeSet<u16>>,
    /// Honest round changes by (height, round): signer → claimed lock.
    round_changes: BTreeMap<(Height, Round), BTreeMap<u16, Lock>>,
    pub checked: u64,
}

/// What the checker needs of the height being signed for.
pub struct HeightView<'a> {
    pub validators: &'a ValidatorSet<u16>,
    /// The byzantine members of the set.
    pub byzantine: &'a [u16],
    pub impeach_block: Hash,
}

fn phase_index(phase: Phase) -> u8 {
    match phase {
        Phase::Prepare => 1,
        Phase::Commit => 2,
    }
}

impl Conformance {
    fn signers(&self, height: Height, round: Round, phase: Phase, hash: Hash) -> usize {
        self.votes
            .get(&(height, round, phase_index(phase), hash))
            .map_or(0, BTreeSet::len)
    }

    fn p_certificate(&self, view: &HeightView, height: Height, round: Round, hash: Hash) -> bool {
        self.signers(height, round, Phase::Prepare, hash) + view.byzantine.len()
            >= view.validators.quorum()
    }

    /// Whether a quorum of round changes of (height, round) justifies
    /// `hash`. Not necessarily with the leader's own: a leader restarted
    /// after its lock moved past the one its round change claims cannot
    /// show that round change again, and justifies with the others'.
    fn justified(&self, view: &HeightView, height: Height, round: Round, hash: Hash) -> bool {
        let empty = BTreeMap::new();
        let honest = self.round_changes.get(&(height, round)).unwrap_or(&empty);
        let quorum = view.validators.quorum();
        let counts = |admit: &dyn Fn(&Lock) -> bool| honest.values().filter(|c| admit(c)).count();
        // No claim at all: the impeach block.
        if hash == view.impeach_block
            && counts(&|claim| claim.is_none()) + view.byzantine.len() >= quorum
        {
            return true;
        }
        // The highest claim (q, hash), with claims of other blocks only
        // below q.
        (0..round).any(|q| {
            if !self.p_certificate(view, height, q, hash) {
                return false;
            }
            let admit = |claim: &Lock| match claim {
                None => true,
                Some((r, h)) => *r < q || (*r == q && *h == hash),
            };
            let has_claim = !view.byzantine.is_empty()
                || honest.values().any(|claim| *claim == Some((q, hash)));
            has_claim && counts(&admit) + view.byzantine.len() >= quorum
        })
    }

    /// Whether `signer`, in `from`, may enter `round`: by a timeout (the
    /// next round), because f + 1 validators are there (the byzantine ones
    /// may be), or by a P-certificate of that round that can be formed.
    fn may_enter(
        &self,
        signer: u16,
        view: &HeightView,
        height: Height,
        from: Round,
        round: Round,
    ) -> bool {
        let others_there = self
            .round_changes
            .get(&(height, round))
            .map_or(0, |changes| {
                changes.keys().filter(|s| **s != signer).count()
            });
        let p_certificate = self
            .votes
            .range((height, round, 1, [0; 8])..=(height, round, 1, [u8::MAX; 8]))
            .any(|(_, signers)| signers.len() + view.byzantine.len() >= view.validators.quorum());
        round == from + 1
            || others_there + view.byzantine.len() > view.validators.max_faulty()
            || p_certificate
    }

    /// Checks what `new` adds to `old` (the signer's record of the height
    /// before this write), then makes it available.
    pub fn check(
        &mut self,
        signer: u16,
        view: &HeightView,
        old: Option<&HeightRecord<super::Sim>>,
        new: &HeightRecord<super::Sim>,
    ) -> Result<(), String> {
        let height = new.height;
        let old_votes: &[Vote<Hash>] = old.map_or(&[], |o| &o.votes);
        let old_changes: &[RoundChange<Hash>] = old.map_or(&[], |o| &o.round_changes);
        let lock = persisted_lock(old_votes, old_changes);
        let old_round = old.map_or(0, |o| o.round);
        if new.round < old_round {
            return Err(format!(
                "{signer} went back from round {old_round} to {}",
                new.round
            ));
        }
        for change in new
            .round_changes
            .iter()
            .filter(|c| !old_changes.contains(c))
        {
            self.checked += 1;
            if change.round != new.round {
                return Err(format!(
                    "{signer} signed {change:?} while in round {}",
                    new.round
                ));
            }
            if !self.may_enter(signer, view, height, old_round, change.round) {
                return Err(format!(
                    "{signer} entered round {} from {old_round} by no rule",
                    change.round
                ));
            }
            let allowed = change.locked == lock
                || change.locked.is_some_and(|(q, hash)| {
                    q < change.round
                        && lock.is_none_or(|(floor, _)| q > floor)
                        && self.p_certificate(view, height, q, hash)
                });
            if !allowed {
                return Err(format!(
                    "{signer} signed {change:?} with its persisted lock at {lock:?}"
                ));
            }
            self.round_changes
                .entry((height, change.round))
                .or_default()
                .insert(signer, change.locked);
        }
        for vote in new.votes.iter().filter(|v| !old_votes.contains(v)) {
            self.checked += 1;
            if vote.round != new.round {
                return Err(format!(
                    "{signer} signed {vote:?} while in round {}",
                    new.round
                ));
            }
            let allowed = match (vote.phase, vote.round) {
                (Phase::Commit, round) => self.p_certificate(view, height, round, vote.hash),
                (Phase::Prepare, 0) => vote.hash != view.impeach_block,
                (Phase::Prepare, round) => {
                    let leader = round_leader(view.validators, height, round);
                    if leader == signer || view.byzantine.contains(&leader) {
                        self.justified(view, height, round, vote.hash)
                    } else {
                        self.votes
                            .get(&(height, round, 1, vote.hash))
                            .is_some_and(|signers| signers.contains(&leader))
                    }
                }
            };
            if !allowed {
                return Err(format!("{signer} signed {vote:?}, which no rule allows"));
            }
            self.votes
                .entry((height, vote.round, phase_index(vote.phase), vote.hash))
                .or_default()
                .insert(signer);
        }
        Ok(())
    }
}

/// The lock a record holds: the highest of its claims and of the
/// P-certificates its COMMITs were for.
fn persisted_lock(votes: &[Vote<Hash>], changes: &[RoundChange<Hash>]) -> Lock {
    let claims = changes.iter().filter_map(|c| c.locked);
    let commits = votes
        .iter()
        .filter(|v| v.phase == Phase::Commit)
        .map(|v| (v.round, v.hash));
    claims.chain(commits).max_by_key(|(round, _)| *round)
}
