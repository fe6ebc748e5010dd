//! Votes, certificates, messages, and the boundary traits.

use std::{collections::BTreeSet, fmt::Debug};

/// A block number.
pub type Height = u64;
/// A round within a height: 0 is the proposer's, 1 and later impeach.
pub type Round = u32;

/// The types a deployment of the protocol plugs in.
pub trait Config: Clone + Debug + 'static {
    /// A block hash.
    type Hash: Copy + Ord + Debug + AsRef<[u8]>;
    /// A validator's public key.
    type ValidatorId: Clone + Ord + Debug;
    /// A validator's signature over a vote.
    type Signature: Clone + Eq + Debug;
}

/// Signs with the local validator key and checks others' signatures.
///
/// Both must be deterministic functions of their arguments.
pub trait Crypto<C: Config> {
    /// Signs `payload` with the local key, or None if the key is unavailable.
    fn sign(&self, payload: &[u8]) -> Option<C::Signature>;
    /// Whether `signature` is `signer`'s over `payload`.
    fn verify(&self, signer: &C::ValidatorId, payload: &[u8], signature: &C::Signature) -> bool;
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Phase {
    Prepare,
    Commit,
}

impl Phase {
    fn tag(self) -> u8 {
        match self {
            Phase::Prepare => 1,
            Phase::Commit => 2,
        }
    }
}

/// What a validator votes for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Vote<H> {
    pub height: Height,
    pub round: Round,
    pub phase: Phase,
    pub hash: H,
}

/// Prefix of every signed vote payload.
pub const SIGNING_DOMAIN: &[u8] = b"cpchain/lbft/v1";

impl<H: AsRef<[u8]>> Vote<H> {
    /// The bytes a validator signs: domain-separated by protocol, chain,
    /// height, round and phase, so that no vote is valid for another.
    pub fn signing_payload(&self, chain_id: &[u8]) -> Vec<u8> {
        let hash = self.hash.as_ref();
        let mut payload =
            Vec::with_capacity(SIGNING_DOMAIN.len() + 4 + chain_id.len() + 13 + hash.len());
        payload.extend_from_slice(SIGNING_DOMAIN);
        payload.extend_from_slice(&(chain_id.len() as u32).to_le_bytes());
        payload.extend_from_slice(chain_id);
        payload.extend_from_slice(&self.height.to_le_bytes());
        payload.extend_from_slice(&self.round.to_le_bytes());
        payload.push(self.phase.tag());
        payload.extend_from_slice(hash);
        payload
    }
}

/// A validator's announcement that it entered `round`, with the lock it
/// holds: the (round, block) of the highest P-certificate it knows.
///
/// A round leader proposes the highest lock among a quorum of these, so
/// that a block that may have been certified in an earlier round is the
/// only one the committee can prepare again.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct RoundChange<H> {
    pub height: Height,
    pub round: Round,
    pub locked: Option<(Round, H)>,
}

/// Distinguishes a round change's signed bytes from every vote's.
const ROUND_CHANGE_TAG: u8 = 3;

impl<H: AsRef<[u8]>> RoundChange<H> {
    /// The bytes a validator signs, domain-separated like a vote's.
    pub fn signing_payload(&self, chain_id: &[u8]) -> Vec<u8> {
        let mut payload = Vec::with_capacity(SIGNING_DOMAIN.len() + 4 + chain_id.len() + 50);
        payload.extend_from_slice(SIGNING_DOMAIN);
        payload.extend_from_slice(&(chain_id.len() as u32).to_le_bytes());
        payload.extend_from_slice(chain_id);
        payload.extend_from_slice(&self.height.to_le_bytes());
        payload.extend_from_slice(&self.round.to_le_bytes());
        payload.push(ROUND_CHANGE_TAG);
        match &self.locked {
            None => payload.push(0),
            Some((round, hash)) => {
                payload.push(1);
                payload.extend_from_slice(&round.to_le_bytes());
                payload.extend_from_slice(hash.as_ref());
            }
        }
        payload
    }
}

/// A round change with its signer and signature.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedRoundChange<C: Config> {
    pub change: RoundChange<C::Hash>,
    pub signer: C::ValidatorId,
    pub signature: C::Signature,
}

/// Why a round leader's proposal (its PREPARE in round 1 or later) names
/// its block: a quorum of round changes for that round, and the
/// P-certificate of the highest lock among them. With no lock among them
/// the block must be the impeach block.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Justification<C: Config> {
    pub round_changes: Vec<SignedRoundChange<C>>,
    pub highest: Option<Certificate<C>>,
}

/// A vote with its signer and signature.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedVote<C: Config> {
    pub vote: Vote<C::Hash>,
    pub signer: C::ValidatorId,
    pub signature: C::Signature,
}

/// A quorum of signatures over one vote: a P-certificate (PREPARE) or a
/// C-certificate (COMMIT). A C-certificate is a block's justification.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Certificate<C: Config> {
    pub vote: Vote<C::Hash>,
    pub signatures: Vec<(C::ValidatorId, C::Signature)>,
}

/// Why a certificate is not valid.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CertificateError {
    /// A signer is not in the validator set.
    UnknownSigner,
    /// A signer appears twice.
    DuplicateSigner,
    /// A signature does not verify.
    BadSignature,
    /// Fewer valid signers than a quorum.
    TooFewSignatures { got: usize, needed: usize },
}

impl<C: Config> Certificate<C> {
    /// Checks that a quorum of distinct validators of `validators` signed the vote.
    pub fn verify(
        &self,
        validators: &ValidatorSet<C::ValidatorId>,
        chain_id: &[u8],
        crypto: &impl Crypto<C>,
    ) -> Result<(), CertificateError> {
        let payload = self.vote.signing_payload(chain_id);
        let mut seen = BTreeSet::new();
        for (signer, signature) in &self.signatures {
            if !validators.contains(signer) {
                return Err(CertificateError::UnknownSigner);
            }
            if !seen.insert(signer) {
                return Err(CertificateError::DuplicateSigner);
            }
            if !crypto.verify(signer, &payload, signature) {
                return Err(CertificateError::BadSignature);
            }
        }
        let needed = validators.quorum();
        if seen.len() < needed {
            return Err(CertificateError::TooFewSignatures {
                got: seen.len(),
                needed,
            });
        }
        Ok(())
    }
}

/// What validators send each other.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Message<C: Config> {
    /// A PREPARE or COMMIT. The round leader's PREPARE in round 1 or later
    /// is the round's proposal and carries its justification.
    Vote {
        vote: SignedVote<C>,
        justification: Option<Justification<C>>,
    },
    /// Entering a round of 1 or later; `lock` is the P-certificate of the
    /// claimed lock, present exactly when one is claimed.
    RoundChange {
        change: SignedRoundChange<C>,
        lock: Option<Certificate<C>>,
    },
    /// VALIDATE: a C-certificate; everyone finalizes its block on it.
    Validate(Certificate<C>),
}

impl<C: Config> Message<C> {
    pub fn height(&self) -> Height {
        match self {
            Message::Vote { vote, .. } => vote.vote.height,
            Message::RoundChange { change, .. } => change.change.height,
            Message::Validate(certificate) => certificate.vote.height,
        }
    }
}

/// The validator committee of a height.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ValidatorSet<V> {
    members: Vec<V>,
}

impl<V: Ord + Clone> ValidatorSet<V> {
    /// A set of the given validators (duplicates are dropped). None if empty.
    pub fn new(members: impl IntoIterator<Item = V>) -> Option<Self> {
        let mut members: Vec<V> = members.into_iter().collect();
        members.sort();
        members.dedup();
        (!members.is_empty()).then_some(Self { members })
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// How many faulty validators the set tolerates.
    pub fn max_faulty(&self) -> usize {
        (self.members.len() - 1) / 3
    }

    /// Signatures needed for a certificate: n - f, which is 2f + 1 when n = 3f + 1.
    pub fn quorum(&self) -> usize {
        self.members.len() - self.max_faulty()
    }

    pub fn contains(&self, who: &V) -> bool {
        self.members.binary_search(who).is_ok()
    }

    pub fn members(&self) -> &[V] {
        &self.members
    }
}

/// What a validator must remember of an undecided height across a
/// restart: the highest round it entered, its lock, and everything it
/// signed there. Restored by [`crate::Machine::new`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HeightRecord<C: Config> {
    pub height: Height,
    /// Grows with every change. A record only ever grows, so the caller
    /// keeps the highest revision of a height and drops an older one that
    /// arrives late (when it handles follow-up actions re-entrantly).
    pub revision: u64,
    pub round: Round,
    pub lock: Option<Certificate<C>>,
    pub votes: Vec<Vote<C::Hash>>,
    pub round_changes: Vec<RoundChange<C::Hash>>,
}

impl<C: Config> HeightRecord<C> {
    pub fn new(height: Height) -> Self {
        Self {
            height,
            revision: 0,
            round: 0,
            lock: None,
            votes: Vec::new(),
            round_changes: Vec::new(),
        }
    }

    /// What this validator signed for (round, phase), if anything.
    pub fn signed(&self, round: Round, phase: Phase) -> Option<C::Hash> {
        self.votes
            .iter()
            .find(|v| v.round == round && v.phase == phase)
            .map(|v| v.hash)
    }

    /// The round change this validator signed for `round`, if any.
    pub fn round_change(&self, round: Round) -> Option<RoundChange<C::Hash>> {
        self.round_changes
            .iter()
            .find(|c| c.round == round)
            .copied()
    }
}

/// Two different votes of one validator for one (height, round, phase).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Equivocation<C: Config> {
    pub first: SignedVote<C>,
    pub second: SignedVote<C>,
}

/// What the caller must do, in the order given.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Action<C: Config> {
    /// Durably write this height's record, replacing the previous one of
    /// the height, before executing any later action. If the write fails,
    /// the caller must not execute the actions that follow, and must stop
    /// signing: a vote sent without its record could contradict itself
    /// after a restart.
    /// Records only grow: of two records of one height, the one with the
    /// higher `revision` holds everything the other does, so a caller that
    /// sees an older revision after a newer one must skip it.
    Persist(HeightRecord<C>),
    /// Send to all validators (and, for VALIDATE, to all peers).
    Broadcast(Message<C>),
    /// Call [`crate::Machine::on_timeout`] with these arguments after `after_ms`.
    SetTimer {
        height: Height,
        round: Round,
        after_ms: u64,
    },
    /// Build the impeach block on `parent` and report its hash with
    /// [`crate::Machine::on_impeach_block`].
    BuildImpeachBlock { height: Height, parent: C::Hash },
    /// A quorum vouches for a block this node has not verified: fetch it so
    /// that it can be imported once final.
    FetchBlock { height: Height, hash: C::Hash },
    /// The block is final: import it with this C-certificate as its
    /// justification, then start the next height.
    Finalize(Certificate<C>),
    /// A validator signed two different blocks in one phase.
    ReportEquivocation(Equivocation<C>),
}
