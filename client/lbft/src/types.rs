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
    /// A PREPARE or COMMIT. A PREPARE of round 1 or later for a block other
    /// than the impeach block carries the P-certificate that justifies it.
    Vote {
        vote: SignedVote<C>,
        justification: Option<Certificate<C>>,
    },
    /// VALIDATE: a C-certificate; everyone finalizes its block on it.
    Validate(Certificate<C>),
}

impl<C: Config> Message<C> {
    pub fn height(&self) -> Height {
        match self {
            Message::Vote { vote, .. } => vote.vote.height,
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

/// Two different votes of one validator for one (height, round, phase).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Equivocation<C: Config> {
    pub first: SignedVote<C>,
    pub second: SignedVote<C>,
}

/// What the caller must do, in the order given.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Action<C: Config> {
    /// Durably record that this validator signed `vote`, before executing
    /// any later action: a restarted validator must never sign another
    /// block for the same (height, round, phase).
    RecordVote(Vote<C::Hash>),
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
