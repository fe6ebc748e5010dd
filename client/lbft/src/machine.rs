//! The per-validator state machine.

use std::collections::{BTreeMap, BTreeSet};

use crate::types::*;

/// Settings shared by all heights.
#[derive(Clone, Debug)]
pub struct Params {
    /// Identifies the chain in every signature: the genesis hash.
    pub chain_id: Vec<u8>,
    /// How long round 0 waits for a C-certificate; round r waits (r + 1) times as long.
    pub base_timeout_ms: u64,
    /// The longest any round waits.
    pub max_timeout_ms: u64,
    /// Votes for rounds further ahead of the current one are refused.
    pub max_rounds_ahead: Round,
    /// Messages for later heights kept until those heights start.
    pub max_buffered_messages: usize,
    /// How many heights ahead messages are buffered.
    pub max_heights_ahead: Height,
}

impl Params {
    pub fn new(chain_id: Vec<u8>, base_timeout_ms: u64) -> Self {
        Self {
            chain_id,
            base_timeout_ms,
            max_timeout_ms: base_timeout_ms.saturating_mul(16),
            max_rounds_ahead: 1024,
            max_buffered_messages: 4096,
            max_heights_ahead: 4,
        }
    }

    fn timeout(&self, round: Round) -> u64 {
        self.base_timeout_ms
            .saturating_mul(u64::from(round) + 1)
            .min(self.max_timeout_ms)
    }
}

/// Why a message was refused. The sender of such a message misbehaves or
/// is broken; the glue lowers its reputation.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum MessageError {
    /// The signer is not a validator of the height.
    UnknownSigner,
    /// The vote's signature does not verify.
    BadSignature,
    /// The vote is for a round too far ahead of this node's.
    RoundTooFarAhead,
    /// A justification that does not justify the vote it comes with.
    BadJustification,
    /// A certificate that does not verify.
    BadCertificate(CertificateError),
}

struct HeightState<C: Config> {
    height: Height,
    parent: C::Hash,
    validators: ValidatorSet<C::ValidatorId>,
    round: Round,
    /// The proposer's block, once verified.
    proposal: Option<C::Hash>,
    verified: BTreeSet<C::Hash>,
    impeach_block: Option<C::Hash>,
    impeach_requested: bool,
    /// The first vote of each validator per (round, phase).
    votes: BTreeMap<(Round, Phase), BTreeMap<C::ValidatorId, SignedVote<C>>>,
    /// The P-certificate of the highest round known: this node's lock.
    lock: Option<Certificate<C>>,
    decided: bool,
}

/// One validator's (or observer's) LBFT state.
pub struct Machine<C: Config, K: Crypto<C>> {
    params: Params,
    crypto: K,
    local: Option<C::ValidatorId>,
    /// What this validator has signed: at most one hash per (height, round, phase).
    signed: BTreeMap<(Height, Round, Phase), C::Hash>,
    current: Option<HeightState<C>>,
    buffered: Vec<Message<C>>,
    early_verdicts: BTreeMap<Height, Vec<(C::Hash, bool)>>,
}

impl<C: Config, K: Crypto<C>> Machine<C, K> {
    /// A machine for the validator `local` (None for a node that only
    /// follows), resuming from the votes it recorded before a restart.
    pub fn new(
        params: Params,
        local: Option<C::ValidatorId>,
        crypto: K,
        recorded_votes: impl IntoIterator<Item = Vote<C::Hash>>,
    ) -> Self {
        let signed = recorded_votes
            .into_iter()
            .map(|vote| ((vote.height, vote.round, vote.phase), vote.hash))
            .collect();
        Self {
            params,
            crypto,
            local,
            signed,
            current: None,
            buffered: Vec::new(),
            early_verdicts: BTreeMap::new(),
        }
    }

    /// Changes the round-0 timeout (and the cap, 16 times it) from the next
    /// timer on: the glue calls it between heights when governance changed
    /// the timing.
    pub fn set_base_timeout(&mut self, base_timeout_ms: u64) {
        self.params.base_timeout_ms = base_timeout_ms;
        self.params.max_timeout_ms = base_timeout_ms.saturating_mul(16);
    }

    /// The height being decided, if any.
    pub fn height(&self) -> Option<Height> {
        self.current.as_ref().map(|state| state.height)
    }

    /// The current round, if a height is being decided.
    pub fn round(&self) -> Option<Round> {
        self.current.as_ref().map(|state| state.round)
    }

    /// Starts deciding `height` on top of the final block `parent`.
    ///
    /// Records of votes below `height` are dropped here; the caller may
    /// prune its persisted copy likewise.
    pub fn start_height(
        &mut self,
        height: Height,
        parent: C::Hash,
        validators: ValidatorSet<C::ValidatorId>,
    ) -> Vec<Action<C>> {
        self.signed = self.signed.split_off(&(height, 0, Phase::Prepare));
        self.current = Some(HeightState {
            height,
            parent,
            validators,
            round: 0,
            proposal: None,
            verified: BTreeSet::new(),
            impeach_block: None,
            impeach_requested: false,
            votes: BTreeMap::new(),
            lock: None,
            decided: false,
        });
        let mut actions = vec![Action::SetTimer {
            height,
            round: 0,
            after_ms: self.params.timeout(0),
        }];

        self.early_verdicts = self.early_verdicts.split_off(&height);
        if let Some(verdicts) = self.early_verdicts.remove(&height) {
            for (hash, valid) in verdicts {
                actions.extend(self.on_block_verified(height, hash, valid));
            }
        }
        // Re-send what this validator already signed here before a restart,
        // so that peers that missed it can still form certificates.
        let resend: Vec<Vote<C::Hash>> = self
            .signed
            .range((height, 0, Phase::Prepare)..(height + 1, 0, Phase::Prepare))
            .map(|(&(height, round, phase), &hash)| Vote {
                height,
                round,
                phase,
                hash,
            })
            .collect();
        for vote in resend {
            if vote.round == 0 {
                actions.extend(self.sign_and_send(vote, None));
            }
        }

        let buffered = std::mem::take(&mut self.buffered);
        for message in buffered {
            if message.height() == height {
                // Messages buffered before their height started are checked
                // now; there is no sender left to blame for bad ones.
                if let Ok(more) = self.on_message(message) {
                    actions.extend(more);
                }
            } else if message.height() > height {
                self.buffered.push(message);
            }
        }
        actions
    }

    /// The glue verified (or rejected) a block the proposer of `height` sent.
    pub fn on_block_verified(
        &mut self,
        height: Height,
        hash: C::Hash,
        valid: bool,
    ) -> Vec<Action<C>> {
        let Some(state) = self.current.as_mut() else {
            return Vec::new();
        };
        if height > state.height {
            if height <= state.height + self.params.max_heights_ahead {
                let verdicts = self.early_verdicts.entry(height).or_default();
                if verdicts.len() < 16 {
                    verdicts.push((hash, valid));
                }
            }
            return Vec::new();
        }
        if height < state.height || state.decided {
            return Vec::new();
        }
        if !valid {
            // Abnormal case 2: a faulty block. Impeach without waiting.
            return if state.round == 0 && state.proposal.is_none() {
                self.advance_to(1)
            } else {
                Vec::new()
            };
        }
        state.verified.insert(hash);
        match state.proposal {
            None => {
                state.proposal = Some(hash);
                if state.round == 0 {
                    let vote = Vote {
                        height,
                        round: 0,
                        phase: Phase::Prepare,
                        hash,
                    };
                    return self.sign_and_send(vote, None);
                }
                Vec::new()
            }
            // Abnormal case 3: two valid blocks from one proposer. It is
            // faulty; impeach without waiting for the timer.
            Some(first) if first != hash && state.round == 0 => self.advance_to(1),
            Some(_) => Vec::new(),
        }
    }

    /// The glue built the impeach block of `height`.
    pub fn on_impeach_block(&mut self, height: Height, hash: C::Hash) -> Vec<Action<C>> {
        let Some(state) = self.current.as_mut() else {
            return Vec::new();
        };
        if state.height != height || state.impeach_block.is_some() {
            return Vec::new();
        }
        state.impeach_block = Some(hash);
        state.verified.insert(hash);
        let round = state.round;
        if round >= 1 && state.lock.is_none() && !state.decided {
            return self.prepare_in_round(round);
        }
        Vec::new()
    }

    /// A timer set by [`Action::SetTimer`] expired.
    pub fn on_timeout(&mut self, height: Height, round: Round) -> Vec<Action<C>> {
        match &self.current {
            Some(state) if state.height == height && state.round == round && !state.decided => {
                self.advance_to(round + 1)
            }
            _ => Vec::new(),
        }
    }

    /// A message from the network.
    pub fn on_message(&mut self, message: Message<C>) -> Result<Vec<Action<C>>, MessageError> {
        let Some(state) = self.current.as_ref() else {
            self.buffer(message);
            return Ok(Vec::new());
        };
        let height = message.height();
        if height > state.height {
            if height <= state.height + self.params.max_heights_ahead {
                self.buffer(message);
            }
            return Ok(Vec::new());
        }
        if height < state.height || state.decided {
            return Ok(Vec::new());
        }
        match message {
            Message::Vote {
                vote,
                justification,
            } => self.on_vote(vote, justification),
            Message::Validate(certificate) => {
                if certificate.vote.phase != Phase::Commit {
                    return Err(MessageError::BadCertificate(CertificateError::BadSignature));
                }
                certificate
                    .verify(&state.validators, &self.params.chain_id, &self.crypto)
                    .map_err(MessageError::BadCertificate)?;
                Ok(self.decide(certificate))
            }
        }
    }

    fn buffer(&mut self, message: Message<C>) {
        if self.buffered.len() < self.params.max_buffered_messages {
            self.buffered.push(message);
        }
    }

    fn on_vote(
        &mut self,
        vote: SignedVote<C>,
        justification: Option<Certificate<C>>,
    ) -> Result<Vec<Action<C>>, MessageError> {
        let Some(state) = self.current.as_ref() else {
            return Ok(Vec::new());
        };
        if !state.validators.contains(&vote.signer) {
            return Err(MessageError::UnknownSigner);
        }
        if vote.vote.round > state.round.saturating_add(self.params.max_rounds_ahead) {
            return Err(MessageError::RoundTooFarAhead);
        }
        let payload = vote.vote.signing_payload(&self.params.chain_id);
        if !self.crypto.verify(&vote.signer, &payload, &vote.signature) {
            return Err(MessageError::BadSignature);
        }
        let mut actions = Vec::new();
        if let Some(certificate) = justification {
            let justifies = vote.vote.phase == Phase::Prepare
                && certificate.vote.phase == Phase::Prepare
                && certificate.vote.height == vote.vote.height
                && certificate.vote.round < vote.vote.round
                && certificate.vote.hash == vote.vote.hash;
            if !justifies {
                return Err(MessageError::BadJustification);
            }
            certificate
                .verify(&state.validators, &self.params.chain_id, &self.crypto)
                .map_err(MessageError::BadCertificate)?;
            actions.extend(self.learn_p_certificate(certificate));
        }
        actions.extend(self.add_vote(vote));
        Ok(actions)
    }

    /// Counts a verified vote and acts on the quorums it completes.
    fn add_vote(&mut self, vote: SignedVote<C>) -> Vec<Action<C>> {
        let mut actions = Vec::new();
        let Some(state) = self.current.as_mut() else {
            return actions;
        };
        let key = (vote.vote.round, vote.vote.phase);
        let slot = state.votes.entry(key).or_default();
        match slot.get(&vote.signer) {
            Some(first) if first.vote == vote.vote => return actions,
            Some(first) => {
                actions.push(Action::ReportEquivocation(Equivocation {
                    first: first.clone(),
                    second: vote,
                }));
                return actions;
            }
            None => {
                slot.insert(vote.signer.clone(), vote.clone());
            }
        }

        let round = vote.vote.round;
        let hash = vote.vote.hash;
        let signatures: Vec<(C::ValidatorId, C::Signature)> = slot
            .values()
            .filter(|v| v.vote.hash == hash)
            .map(|v| (v.signer.clone(), v.signature.clone()))
            .collect();
        let quorum = state.validators.quorum();

        // f + 1 validators in a later round: at least one honest one is there.
        if round > state.round {
            let present: BTreeSet<&C::ValidatorId> = state
                .votes
                .range((round, Phase::Prepare)..=(round, Phase::Commit))
                .flat_map(|(_, votes)| votes.keys())
                .collect();
            if present.len() > state.validators.max_faulty() {
                actions.extend(self.advance_to(round));
            }
        }

        if signatures.len() >= quorum {
            let certificate = Certificate {
                vote: vote.vote,
                signatures,
            };
            match vote.vote.phase {
                Phase::Prepare => actions.extend(self.learn_p_certificate(certificate)),
                Phase::Commit => actions.extend(self.decide(certificate)),
            }
        }
        actions
    }

    /// A P-certificate, formed here or received as a justification.
    fn learn_p_certificate(&mut self, certificate: Certificate<C>) -> Vec<Action<C>> {
        let mut actions = Vec::new();
        let Some(state) = self.current.as_mut() else {
            return actions;
        };
        let round = certificate.vote.round;
        let hash = certificate.vote.hash;
        if state
            .lock
            .as_ref()
            .is_none_or(|lock| lock.vote.round < round)
        {
            state.lock = Some(certificate);
        }
        if !state.verified.contains(&hash) {
            actions.push(Action::FetchBlock {
                height: state.height,
                hash,
            });
        }
        // A quorum prepared in a later round: honest validators are there.
        if round > state.round {
            actions.extend(self.advance_to(round));
        }
        let Some(state) = self.current.as_ref() else {
            return actions;
        };
        // COMMIT only in the current round: the safety argument relies on it.
        if round == state.round && !state.decided {
            let vote = Vote {
                height: state.height,
                round,
                phase: Phase::Commit,
                hash,
            };
            actions.extend(self.sign_and_send(vote, None));
        }
        actions
    }

    fn decide(&mut self, certificate: Certificate<C>) -> Vec<Action<C>> {
        let mut actions = Vec::new();
        let Some(state) = self.current.as_mut() else {
            return actions;
        };
        if state.decided {
            return actions;
        }
        state.decided = true;
        if !state.verified.contains(&certificate.vote.hash) {
            actions.push(Action::FetchBlock {
                height: state.height,
                hash: certificate.vote.hash,
            });
        }
        if self.is_validator() {
            actions.push(Action::Broadcast(Message::Validate(certificate.clone())));
        }
        actions.push(Action::Finalize(certificate));
        actions
    }

    /// Moves to `round` (a later one) and votes there if it can.
    fn advance_to(&mut self, round: Round) -> Vec<Action<C>> {
        let Some(state) = self.current.as_mut() else {
            return Vec::new();
        };
        if round <= state.round || state.decided {
            return Vec::new();
        }
        state.round = round;
        let height = state.height;
        let mut actions = vec![Action::SetTimer {
            height,
            round,
            after_ms: self.params.timeout(round),
        }];
        actions.extend(self.prepare_in_round(round));

        // Votes that arrived early may already make a P-certificate here.
        let Some(state) = self.current.as_ref() else {
            return actions;
        };
        let quorum = state.validators.quorum();
        let early_certificate = state.votes.get(&(round, Phase::Prepare)).and_then(|votes| {
            let mut by_hash: BTreeMap<C::Hash, Vec<(C::ValidatorId, C::Signature)>> =
                BTreeMap::new();
            for vote in votes.values() {
                by_hash
                    .entry(vote.vote.hash)
                    .or_default()
                    .push((vote.signer.clone(), vote.signature.clone()));
            }
            by_hash
                .into_iter()
                .find(|(_, sigs)| sigs.len() >= quorum)
                .map(|(hash, signatures)| Certificate {
                    vote: Vote {
                        height,
                        round,
                        phase: Phase::Prepare,
                        hash,
                    },
                    signatures,
                })
        });
        if let Some(certificate) = early_certificate {
            actions.extend(self.learn_p_certificate(certificate));
        }
        actions
    }

    /// PREPAREs in an impeach round: the locked block with its
    /// certificate, or the impeach block.
    fn prepare_in_round(&mut self, round: Round) -> Vec<Action<C>> {
        let Some(state) = self.current.as_mut() else {
            return Vec::new();
        };
        if round == 0 || state.decided {
            return Vec::new();
        }
        let height = state.height;
        if let Some(lock) = state.lock.clone() {
            if lock.vote.round >= round {
                // This round already has its P-certificate; nothing to add.
                return Vec::new();
            }
            let vote = Vote {
                height,
                round,
                phase: Phase::Prepare,
                hash: lock.vote.hash,
            };
            return self.sign_and_send(vote, Some(lock));
        }
        match state.impeach_block {
            Some(hash) => {
                let vote = Vote {
                    height,
                    round,
                    phase: Phase::Prepare,
                    hash,
                };
                self.sign_and_send(vote, None)
            }
            None if !state.impeach_requested => {
                state.impeach_requested = true;
                vec![Action::BuildImpeachBlock {
                    height,
                    parent: state.parent,
                }]
            }
            None => Vec::new(),
        }
    }

    fn is_validator(&self) -> bool {
        match (&self.local, &self.current) {
            (Some(local), Some(state)) => state.validators.contains(local),
            _ => false,
        }
    }

    /// Signs `vote` unless this validator signed another block for the same
    /// (height, round, phase), records it, sends it and counts it.
    fn sign_and_send(
        &mut self,
        vote: Vote<C::Hash>,
        justification: Option<Certificate<C>>,
    ) -> Vec<Action<C>> {
        if !self.is_validator() {
            return Vec::new();
        }
        let Some(local) = self.local.clone() else {
            return Vec::new();
        };
        let key = (vote.height, vote.round, vote.phase);
        let mut actions = Vec::new();
        match self.signed.get(&key) {
            Some(hash) if *hash != vote.hash => return actions,
            Some(_) => {}
            None => {
                self.signed.insert(key, vote.hash);
                actions.push(Action::RecordVote(vote));
            }
        }
        let payload = vote.signing_payload(&self.params.chain_id);
        let Some(signature) = self.crypto.sign(&payload) else {
            return actions;
        };
        let signed = SignedVote {
            vote,
            signer: local,
            signature,
        };
        actions.push(Action::Broadcast(Message::Vote {
            vote: signed.clone(),
            justification,
        }));
        actions.extend(self.add_vote(signed));
        actions
    }
}
