//! The per-validator state machine.
//!
//! The rules the README's safety and liveness arguments rely on are marked
//! `RULE S1` .. `RULE L3` where they are enforced.

use std::collections::{BTreeMap, BTreeSet};

use crate::types::*;

/// Settings shared by all heights.
#[derive(Clone, Debug)]
pub struct Params {
    /// Identifies the chain in every signature: the genesis hash.
    pub chain_id: Vec<u8>,
    /// How long round 0 waits for a C-certificate; round r waits (r + 1)
    /// times as long, without a cap.
    pub base_timeout_ms: u64,
    /// Messages for rounds further ahead of the current one are refused.
    pub max_rounds_ahead: Round,
    /// How many heights ahead messages are kept until their height starts.
    pub max_heights_ahead: Height,
    /// Messages kept per signer for later heights.
    pub max_buffered_per_signer: usize,
}

impl Params {
    pub fn new(chain_id: Vec<u8>, base_timeout_ms: u64) -> Self {
        Self {
            chain_id,
            base_timeout_ms,
            max_rounds_ahead: 1024,
            max_heights_ahead: 4,
            max_buffered_per_signer: 64,
        }
    }

    /// RULE L1: round timers grow without bound, so after the network
    /// stabilizes some round is long enough for any fixed message delay.
    pub fn timeout(&self, round: Round) -> u64 {
        self.base_timeout_ms.saturating_mul(u64::from(round) + 1)
    }
}

/// How many decided heights' certificates a caller keeps: a crash may lose
/// the last few final blocks from the client database (see
/// [`Machine::remember_decided`]), and a height whose certificate survives
/// is finalized again at once instead of waiting, silent, for a peer's.
pub const KEEP_DECIDED_CERTIFICATES: Height = 16;

/// The lowest height whose certificate a caller keeps once `height` starts.
pub fn keep_certificates_from(height: Height) -> Height {
    height.saturating_sub(KEEP_DECIDED_CERTIFICATES)
}

/// Why a message was refused. The sender of such a message misbehaves or
/// is broken; the glue lowers its reputation.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum MessageError {
    /// The signer is not a validator of the height.
    UnknownSigner,
    /// The signature does not verify.
    BadSignature,
    /// The message is for a round too far ahead of this node's.
    RoundTooFarAhead,
    /// A justification or claimed lock that does not justify its message.
    BadJustification,
    /// A certificate that does not verify.
    BadCertificate(CertificateError),
}

/// The round leader of `round` ≥ 1: validators take turns, shifted by the
/// height so that no validator leads the same round at every height.
pub fn round_leader<V: Ord + Clone>(
    validators: &ValidatorSet<V>,
    height: Height,
    round: Round,
) -> V {
    let members = validators.members();
    let index = height.wrapping_add(u64::from(round)) % members.len() as u64;
    members[index as usize].clone()
}

/// A round leader's proposal that checked out, except, for an impeach
/// proposal, against this node's own impeach block.
#[derive(Clone, Copy, Debug)]
struct Proposal<H> {
    hash: H,
    /// Justified only if `hash` is the impeach block this node builds.
    must_be_impeach_block: bool,
}

#[derive(Clone, Debug)]
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
    /// The first round change of each validator per round, with its lock
    /// certificate checked.
    round_changes: BTreeMap<Round, BTreeMap<C::ValidatorId, SignedRoundChange<C>>>,
    /// Every P-certificate learnt, by round.
    p_certificates: BTreeMap<Round, Certificate<C>>,
    /// Round leaders' justified proposals, by round.
    proposals: BTreeMap<Round, Proposal<C::Hash>>,
    /// This validator's own proposal as round leader, to show again.
    own_justification: Option<(Round, Justification<C>)>,
    /// This validator's persisted record of the height; its lock is the
    /// P-certificate of the highest round known.
    record: HeightRecord<C>,
    decided: bool,
    /// RULE P2: a height this node may have signed at before, whose record
    /// and certificate are gone: it signs nothing here.
    silent: bool,
}

/// One validator's (or observer's) LBFT state.
#[derive(Clone)]
pub struct Machine<C: Config, K: Crypto<C>> {
    params: Params,
    crypto: K,
    local: Option<C::ValidatorId>,
    /// Records restored at start-up, for heights not started yet.
    restored: BTreeMap<Height, HeightRecord<C>>,
    /// The highest height this node knows it saw decided, and the
    /// certificates of the last ones, as persisted by the caller (see
    /// [`Machine::remember_decided`]).
    decided_up_to: Option<Height>,
    decided_certificates: BTreeMap<Height, Certificate<C>>,
    current: Option<HeightState<C>>,
    /// Checked messages for later heights, per signer and (height, round,
    /// kind).
    buffered: BTreeMap<C::ValidatorId, BTreeMap<(Height, Round, u8), Message<C>>>,
    /// At most one checked VALIDATE per later height.
    buffered_certificates: BTreeMap<Height, Certificate<C>>,
    early_verdicts: BTreeMap<Height, Vec<(C::Hash, bool)>>,
    /// The certificate of the last height decided, for peers that missed it.
    last_certificate: Option<Certificate<C>>,
}

impl<C: Config, K: Crypto<C>> Machine<C, K> {
    /// A hash of the machine's whole state except its crypto object, for
    /// explicit-state model checking (tests/model_check.rs): equal states
    /// give equal fingerprints. Not part of the protocol.
    #[doc(hidden)]
    pub fn fingerprint(&self) -> u64 {
        use std::fmt::Write as _;
        use std::hash::Hasher as _;
        struct HashWriter(std::collections::hash_map::DefaultHasher);
        impl std::fmt::Write for HashWriter {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                self.0.write(s.as_bytes());
                Ok(())
            }
        }
        let mut writer = HashWriter(std::collections::hash_map::DefaultHasher::new());
        let _ = write!(
            writer,
            "{:?}",
            (
                &self.params,
                &self.local,
                &self.restored,
                &self.decided_up_to,
                &self.decided_certificates,
                &self.current,
                &self.buffered,
                &self.buffered_certificates,
                &self.early_verdicts,
                &self.last_certificate,
            )
        );
        writer.0.finish()
    }

    /// A machine for the validator `local` (None for a node that only
    /// follows), resuming from the records it persisted before a restart.
    pub fn new(
        params: Params,
        local: Option<C::ValidatorId>,
        crypto: K,
        records: impl IntoIterator<Item = HeightRecord<C>>,
    ) -> Self {
        let restored = records
            .into_iter()
            .map(|record| (record.height, record))
            .collect();
        Self {
            params,
            crypto,
            local,
            restored,
            decided_up_to: None,
            decided_certificates: BTreeMap::new(),
            current: None,
            buffered: BTreeMap::new(),
            buffered_certificates: BTreeMap::new(),
            early_verdicts: BTreeMap::new(),
            last_certificate: None,
        }
    }

    /// RULE P2: tells the machine, after a restart, what its caller
    /// persisted about decided heights: every height up to `up_to` was
    /// decided, with the certificates of the last ones. The client database
    /// may acknowledge a final block before it is on disk (ParityDB does),
    /// so a crash can restart the chain below a height this node already
    /// voted at, and whose record its caller pruned. Voting there afresh
    /// could sign another block. Instead such a height is finalized at once
    /// with its certificate, and without one the machine signs nothing there
    /// and waits for a peer's certificate.
    pub fn remember_decided(
        &mut self,
        up_to: Height,
        certificates: impl IntoIterator<Item = Certificate<C>>,
    ) {
        self.decided_up_to = self.decided_up_to.max(Some(up_to));
        for certificate in certificates {
            self.decided_certificates
                .insert(certificate.vote.height, certificate);
        }
    }

    /// Whether the current height is one this node signs nothing at (see
    /// [`Machine::remember_decided`]).
    pub fn is_silent(&self) -> bool {
        self.current.as_ref().is_some_and(|state| state.silent)
    }

    /// Changes the round-0 timeout from the next timer on: the glue calls it
    /// between heights when governance changed the timing.
    pub fn set_base_timeout(&mut self, base_timeout_ms: u64) {
        self.params.base_timeout_ms = base_timeout_ms;
    }

    /// Changes who this node is: the validator `local` (None to follow
    /// only), signing with `crypto`. The glue calls it before
    /// [`Machine::start_height`] when the committee of the next height
    /// holds another of its keys, or none. The records stay: they are
    /// this node's, whichever key it signed with.
    pub fn set_local(&mut self, local: Option<C::ValidatorId>, crypto: K) {
        self.local = local;
        self.crypto = crypto;
    }

    /// The validator this node signs as, if any.
    pub fn local(&self) -> Option<&C::ValidatorId> {
        self.local.as_ref()
    }

    /// Whether [`Machine::on_message`] checks this message's signatures
    /// and acts on it or keeps it now: a message of the height being
    /// decided (until it is decided), or a vote or round change of a later
    /// height within the buffer window that a current validator signed. A
    /// later height's VALIDATE is kept only if it verifies against this
    /// height's validators, and silently dropped otherwise (that height's
    /// set may differ), so it is not counted, and not relayed; the glue
    /// reads [`Machine::highest_certified_ahead`] as a sign that this node
    /// is behind. The glue
    /// relays a message to its peers only if this held
    /// before `on_message` and `on_message` then accepted it, so that
    /// nothing unchecked, stale or unsigned by the committee travels
    /// further than one hop.
    pub fn accepts(&self, message: &Message<C>) -> bool {
        let Some(state) = self.current.as_ref() else {
            return false;
        };
        let height = message.height();
        if height == state.height {
            return !state.decided;
        }
        if height < state.height
            || height > state.height.saturating_add(self.params.max_heights_ahead)
        {
            return false;
        }
        match message {
            Message::Vote { vote, .. } => state.validators.contains(&vote.signer),
            Message::RoundChange { change, .. } => state.validators.contains(&change.signer),
            Message::Validate(_) => false,
        }
    }

    /// The highest later height whose certificate this machine keeps (it
    /// verified against the current validators): proof that the height
    /// being decided was decided without this node, whose peers will not
    /// send that height's messages again. The glue then asks for the
    /// missed certificate; while the committee waits in silence (for
    /// instance for this node's own proposal) no later vote shows it.
    pub fn highest_certified_ahead(&self) -> Option<Height> {
        self.buffered_certificates.keys().next_back().copied()
    }

    /// The height being decided, if any.
    pub fn height(&self) -> Option<Height> {
        self.current.as_ref().map(|state| state.height)
    }

    /// The current round, if a height is being decided.
    pub fn round(&self) -> Option<Round> {
        self.current.as_ref().map(|state| state.round)
    }

    /// The lock (round and block) held at the current height, if any.
    pub fn lock(&self) -> Option<(Round, C::Hash)> {
        let state = self.current.as_ref()?;
        let lock = state.record.lock.as_ref()?;
        Some((lock.vote.round, lock.vote.hash))
    }

    /// Starts deciding `height` on top of the final block `parent`,
    /// resuming from this validator's record of the height if it has one.
    ///
    /// Records below `height` are dropped; the caller may prune its
    /// persisted copies likewise.
    pub fn start_height(
        &mut self,
        height: Height,
        parent: C::Hash,
        validators: ValidatorSet<C::ValidatorId>,
    ) -> Vec<Action<C>> {
        self.restored = self.restored.split_off(&height);
        let restored = self.restored.remove(&height);
        self.decided_certificates = self.decided_certificates.split_off(&height);
        let decided = self.decided_certificates.remove(&height);
        let silent = decided.is_some()
            || (restored.is_none() && self.decided_up_to.is_some_and(|d| height <= d));
        let record = restored.unwrap_or_else(|| HeightRecord::new(height));
        let round = record.round;
        let mut p_certificates = BTreeMap::new();
        if let Some(lock) = &record.lock {
            p_certificates.insert(lock.vote.round, lock.clone());
        }
        self.current = Some(HeightState {
            height,
            parent,
            validators,
            round,
            proposal: None,
            verified: BTreeSet::new(),
            impeach_block: None,
            impeach_requested: false,
            votes: BTreeMap::new(),
            round_changes: BTreeMap::new(),
            p_certificates,
            proposals: BTreeMap::new(),
            own_justification: None,
            record,
            decided: false,
            silent,
        });
        if let Some(certificate) = decided {
            return self.decide(certificate);
        }
        let mut actions = vec![Action::SetTimer {
            height,
            round,
            after_ms: self.params.timeout(round),
        }];
        if round >= 1 {
            actions.extend(self.request_impeach_block());
        }
        actions.extend(self.resend_current_round());

        self.early_verdicts = self.early_verdicts.split_off(&height);
        if let Some(verdicts) = self.early_verdicts.remove(&height) {
            for (hash, valid) in verdicts {
                actions.extend(self.on_block_verified(height, hash, valid));
            }
        }

        let mut certificates = std::mem::take(&mut self.buffered_certificates);
        self.buffered_certificates = certificates.split_off(&height.saturating_add(1));
        let mut ready: Vec<Message<C>> = certificates
            .remove(&height)
            .map(Message::Validate)
            .into_iter()
            .collect();
        for messages in self.buffered.values_mut() {
            let mut later = messages.split_off(&(height.saturating_add(1), 0, 0));
            let now = messages.split_off(&(height, 0, 0));
            std::mem::swap(messages, &mut later);
            ready.extend(now.into_values());
        }
        self.buffered.retain(|_, messages| !messages.is_empty());
        for message in ready {
            // Checked again against this height's validators; there is no
            // sender left to blame for a bad one.
            if let Ok(more) = self.on_message(message) {
                actions.extend(more);
            }
        }
        actions
    }

    /// Sends again what this validator signed in its current round (the
    /// leader's proposal with its justification) and the certificate of the
    /// last height it decided, if that is this height or the one before.
    /// The glue calls it now and then, and when a peer connects: nothing is
    /// retransmitted otherwise, and a message lost while peers reconnect
    /// would cost a round. Signs nothing new. An older certificate (this
    /// node caught up without deciding) would tell peers it is behind.
    pub fn rebroadcast(&mut self) -> Vec<Action<C>> {
        let mut actions = Vec::new();
        let height = self.height().unwrap_or_default();
        if self.is_member() {
            if let Some(certificate) = self
                .last_certificate
                .as_ref()
                .filter(|c| c.vote.height.saturating_add(1) >= height)
            {
                actions.push(Action::Broadcast(Message::Validate(certificate.clone())));
            }
        }
        if self.current.as_ref().is_some_and(|state| !state.decided) {
            actions.extend(self.resend_current_round());
        }
        actions
    }

    /// Re-sends what this validator signed in its current round, e.g. before
    /// a restart, so that peers that missed it can still form certificates.
    fn resend_current_round(&mut self) -> Vec<Action<C>> {
        let Some(state) = self.current.as_ref() else {
            return Vec::new();
        };
        let round = state.round;
        let height = state.height;
        let mut actions = Vec::new();
        if let Some(change) = state.record.round_change(round) {
            actions.extend(self.sign_round_change(change));
        }
        for phase in [Phase::Prepare, Phase::Commit] {
            let signed = self
                .current
                .as_ref()
                .and_then(|state| state.record.signed(round, phase));
            if let Some(hash) = signed {
                let vote = Vote {
                    height,
                    round,
                    phase,
                    hash,
                };
                let justification = match (&self.current, phase) {
                    (Some(state), Phase::Prepare) => state
                        .own_justification
                        .as_ref()
                        .filter(|(r, _)| *r == round)
                        .map(|(_, j)| j.clone()),
                    _ => None,
                };
                // Sent again as signed before, if signed in this life:
                // no keystore work for a retransmission.
                let local = self.local.clone();
                let counted = self.current.as_ref().and_then(|state| {
                    state
                        .votes
                        .get(&(round, phase))
                        .and_then(|slot| slot.get(local.as_ref()?))
                        .filter(|own| own.vote == vote)
                        .cloned()
                });
                match counted {
                    Some(own) => actions.push(Action::Broadcast(Message::Vote {
                        vote: own,
                        justification,
                    })),
                    None => actions.extend(self.sign_and_send(vote, justification)),
                }
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
            if height <= state.height.saturating_add(self.params.max_heights_ahead) {
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
        let mut actions = self.try_propose(round);
        actions.extend(self.try_prepare_proposal(round));
        actions
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
            return Ok(Vec::new());
        };
        let height = message.height();
        if height > state.height {
            if height <= state.height.saturating_add(self.params.max_heights_ahead) {
                self.buffer(message)?;
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
            Message::RoundChange { change, lock } => self.on_round_change(change, lock),
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

    /// RULE L3: only messages signed by a current validator are kept for a
    /// later height, one per (height, round, kind) and at most
    /// `max_buffered_per_signer` of each signer, so that no signer, and no
    /// replay of a signer's messages, crowds out another's early votes.
    ///
    /// A message that cannot be checked yet (a signer outside the current
    /// set: the set may change at that height) is dropped without blame;
    /// only a bad signature of a current validator is refused.
    fn buffer(&mut self, message: Message<C>) -> Result<(), MessageError> {
        let Some(state) = self.current.as_ref() else {
            return Ok(());
        };
        let (signer, slot) = match &message {
            Message::Validate(certificate) => {
                // One per height is kept: the next copy costs no check.
                if self
                    .buffered_certificates
                    .contains_key(&certificate.vote.height)
                {
                    return Ok(());
                }
                let checks = certificate.vote.phase == Phase::Commit
                    && certificate
                        .verify(&state.validators, &self.params.chain_id, &self.crypto)
                        .is_ok();
                if checks {
                    self.buffered_certificates
                        .entry(certificate.vote.height)
                        .or_insert_with(|| certificate.clone());
                }
                return Ok(());
            }
            Message::Vote { vote, .. } => {
                if !state.validators.contains(&vote.signer) {
                    return Ok(());
                }
                self.check_signed(
                    &vote.signer,
                    &vote.vote.signing_payload(&self.params.chain_id),
                    &vote.signature,
                )?;
                let kind = match vote.vote.phase {
                    Phase::Prepare => 0,
                    Phase::Commit => 1,
                };
                (
                    vote.signer.clone(),
                    (vote.vote.height, vote.vote.round, kind),
                )
            }
            Message::RoundChange { change, .. } => {
                if !state.validators.contains(&change.signer) {
                    return Ok(());
                }
                self.check_signed(
                    &change.signer,
                    &change.change.signing_payload(&self.params.chain_id),
                    &change.signature,
                )?;
                (
                    change.signer.clone(),
                    (change.change.height, change.change.round, 2),
                )
            }
        };
        let kept = self.buffered.entry(signer).or_default();
        if kept.len() < self.params.max_buffered_per_signer {
            kept.entry(slot).or_insert(message);
        }
        Ok(())
    }

    fn check_signed(
        &self,
        signer: &C::ValidatorId,
        payload: &[u8],
        signature: &C::Signature,
    ) -> Result<(), MessageError> {
        let Some(state) = self.current.as_ref() else {
            return Ok(());
        };
        if !state.validators.contains(signer) {
            return Err(MessageError::UnknownSigner);
        }
        if !self.crypto.verify(signer, payload, signature) {
            return Err(MessageError::BadSignature);
        }
        Ok(())
    }

    fn check_round(&self, round: Round) -> Result<(), MessageError> {
        match &self.current {
            Some(state) if round > state.round.saturating_add(self.params.max_rounds_ahead) => {
                Err(MessageError::RoundTooFarAhead)
            }
            _ => Ok(()),
        }
    }

    /// Checks that `certificate` is a P-certificate of the current height
    /// for (round, hash).
    fn check_p_certificate(
        &self,
        certificate: &Certificate<C>,
        round: Round,
        hash: &C::Hash,
    ) -> Result<(), MessageError> {
        let Some(state) = self.current.as_ref() else {
            return Ok(());
        };
        let expected = Vote {
            height: state.height,
            round,
            phase: Phase::Prepare,
            hash: *hash,
        };
        if certificate.vote != expected {
            return Err(MessageError::BadJustification);
        }
        certificate
            .verify(&state.validators, &self.params.chain_id, &self.crypto)
            .map_err(MessageError::BadCertificate)
    }

    fn on_round_change(
        &mut self,
        change: SignedRoundChange<C>,
        lock: Option<Certificate<C>>,
    ) -> Result<Vec<Action<C>>, MessageError> {
        self.check_round(change.change.round)?;
        self.check_signed(
            &change.signer,
            &change.change.signing_payload(&self.params.chain_id),
            &change.signature,
        )?;
        if change.change.round == 0 {
            return Err(MessageError::BadJustification);
        }
        match (&change.change.locked, &lock) {
            (None, None) => {}
            (Some((round, hash)), Some(certificate)) if *round < change.change.round => {
                self.check_p_certificate(certificate, *round, hash)?;
            }
            _ => return Err(MessageError::BadJustification),
        }
        let mut actions = Vec::new();
        if let Some(certificate) = lock {
            actions.extend(self.learn_p_certificate(certificate));
        }
        let Some(state) = self.current.as_mut() else {
            return Ok(actions);
        };
        let round = change.change.round;
        let slot = state.round_changes.entry(round).or_default();
        if slot.contains_key(&change.signer) {
            return Ok(actions);
        }
        slot.insert(change.signer.clone(), change);
        actions.extend(self.jump_if_ahead(round));
        actions.extend(self.try_propose(round));
        Ok(actions)
    }

    fn on_vote(
        &mut self,
        vote: SignedVote<C>,
        justification: Option<Justification<C>>,
    ) -> Result<Vec<Action<C>>, MessageError> {
        self.check_round(vote.vote.round)?;
        self.check_signed(
            &vote.signer,
            &vote.vote.signing_payload(&self.params.chain_id),
            &vote.signature,
        )?;
        let mut actions = Vec::new();
        if let Some(justification) = justification {
            actions.extend(self.on_proposal(&vote, justification)?);
        }
        actions.extend(self.add_vote(vote));
        Ok(actions)
    }

    /// A round leader's PREPARE with its justification: checks it, and
    /// prepares the same block if this validator is in that round.
    fn on_proposal(
        &mut self,
        vote: &SignedVote<C>,
        justification: Justification<C>,
    ) -> Result<Vec<Action<C>>, MessageError> {
        let Some(state) = self.current.as_ref() else {
            return Ok(Vec::new());
        };
        let round = vote.vote.round;
        if vote.vote.phase != Phase::Prepare
            || round == 0
            || vote.signer != round_leader(&state.validators, state.height, round)
        {
            return Err(MessageError::BadJustification);
        }
        // RULE S3: a quorum of round changes for this round, each signed by
        // a distinct validator.
        let mut signers = BTreeSet::new();
        let mut highest: Option<(Round, C::Hash)> = None;
        for change in &justification.round_changes {
            if change.change.height != state.height || change.change.round != round {
                return Err(MessageError::BadJustification);
            }
            self.check_signed(
                &change.signer,
                &change.change.signing_payload(&self.params.chain_id),
                &change.signature,
            )?;
            if !signers.insert(change.signer.clone()) {
                return Err(MessageError::BadJustification);
            }
            if let Some(locked) = change.change.locked {
                if locked.0 >= round {
                    return Err(MessageError::BadJustification);
                }
                if highest.is_none_or(|h| locked.0 > h.0) {
                    highest = Some(locked);
                } else if highest.is_some_and(|h| locked.0 == h.0 && locked.1 != h.1) {
                    // Two P-certificates in one round cannot both be real.
                    return Err(MessageError::BadJustification);
                }
            }
        }
        if signers.len() < state.validators.quorum() {
            return Err(MessageError::BadJustification);
        }
        // RULE S4: the block is the highest lock among them, proven by its
        // P-certificate, or with no lock at all the impeach block.
        let proposal = match (highest, &justification.highest) {
            (Some((locked_round, hash)), Some(certificate)) if hash == vote.vote.hash => {
                self.check_p_certificate(certificate, locked_round, &hash)?;
                Proposal {
                    hash,
                    must_be_impeach_block: false,
                }
            }
            (None, None) => Proposal {
                hash: vote.vote.hash,
                must_be_impeach_block: true,
            },
            _ => return Err(MessageError::BadJustification),
        };
        let mut actions = Vec::new();
        if let Some(certificate) = justification.highest {
            actions.extend(self.learn_p_certificate(certificate));
        }
        let Some(state) = self.current.as_mut() else {
            return Ok(actions);
        };
        if let Some(built) = state.impeach_block {
            if proposal.must_be_impeach_block && proposal.hash != built {
                return Err(MessageError::BadJustification);
            }
        }
        state.proposals.entry(round).or_insert(proposal);
        if proposal.must_be_impeach_block {
            actions.extend(self.request_impeach_block());
        }
        actions.extend(self.try_prepare_proposal(round));
        Ok(actions)
    }

    /// RULE S2: in a round of 1 or later, a validator PREPAREs only its
    /// leader's justified proposal, and only while in that round.
    fn try_prepare_proposal(&mut self, round: Round) -> Vec<Action<C>> {
        let Some(state) = self.current.as_ref() else {
            return Vec::new();
        };
        if round == 0 || round != state.round || state.decided {
            return Vec::new();
        }
        let Some(proposal) = state.proposals.get(&round).copied() else {
            return Vec::new();
        };
        if proposal.must_be_impeach_block && state.impeach_block != Some(proposal.hash) {
            return Vec::new();
        }
        let vote = Vote {
            height: state.height,
            round,
            phase: Phase::Prepare,
            hash: proposal.hash,
        };
        self.sign_and_send(vote, None)
    }

    /// As the leader of `round`, proposes once a quorum of round changes
    /// is in.
    fn try_propose(&mut self, round: Round) -> Vec<Action<C>> {
        let Some(state) = self.current.as_ref() else {
            return Vec::new();
        };
        let Some(local) = self.local.as_ref() else {
            return Vec::new();
        };
        if round == 0
            || round != state.round
            || state.decided
            || *local != round_leader(&state.validators, state.height, round)
            || state.record.signed(round, Phase::Prepare).is_some()
        {
            return Vec::new();
        }
        let Some(changes) = state.round_changes.get(&round) else {
            return Vec::new();
        };
        if changes.len() < state.validators.quorum() {
            return Vec::new();
        }
        let round_changes: Vec<SignedRoundChange<C>> = changes.values().cloned().collect();
        let highest = round_changes
            .iter()
            .filter_map(|change| change.change.locked)
            .max_by_key(|(locked_round, _)| *locked_round);
        let (hash, certificate) = match highest {
            Some((locked_round, hash)) => match state.p_certificates.get(&locked_round) {
                Some(certificate) if certificate.vote.hash == hash => {
                    (hash, Some(certificate.clone()))
                }
                // Every counted round change's certificate was learnt.
                _ => return Vec::new(),
            },
            None => match state.impeach_block {
                Some(hash) => (hash, None),
                None => return self.request_impeach_block(),
            },
        };
        let height = state.height;
        let vote = Vote {
            height,
            round,
            phase: Phase::Prepare,
            hash,
        };
        let justification = Justification {
            round_changes,
            highest: certificate,
        };
        if let Some(state) = self.current.as_mut() {
            state.own_justification = Some((round, justification.clone()));
        }
        self.sign_and_send(vote, Some(justification))
    }

    fn request_impeach_block(&mut self) -> Vec<Action<C>> {
        let Some(state) = self.current.as_mut() else {
            return Vec::new();
        };
        if state.impeach_block.is_some() || state.impeach_requested {
            return Vec::new();
        }
        state.impeach_requested = true;
        vec![Action::BuildImpeachBlock {
            height: state.height,
            parent: state.parent,
        }]
    }

    /// RULE L2: messages of f + 1 validators in a later round mean at
    /// least one honest validator is there: follow it.
    fn jump_if_ahead(&mut self, round: Round) -> Vec<Action<C>> {
        let Some(state) = self.current.as_ref() else {
            return Vec::new();
        };
        if round <= state.round {
            return Vec::new();
        }
        let mut present: BTreeSet<&C::ValidatorId> = state
            .votes
            .range((round, Phase::Prepare)..=(round, Phase::Commit))
            .flat_map(|(_, votes)| votes.keys())
            .collect();
        if let Some(changes) = state.round_changes.get(&round) {
            present.extend(changes.keys());
        }
        if present.len() > state.validators.max_faulty() {
            self.advance_to(round)
        } else {
            Vec::new()
        }
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

        actions.extend(self.jump_if_ahead(round));

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

    /// A P-certificate, formed here or received with a message.
    fn learn_p_certificate(&mut self, certificate: Certificate<C>) -> Vec<Action<C>> {
        let mut actions = Vec::new();
        let Some(state) = self.current.as_mut() else {
            return actions;
        };
        let round = certificate.vote.round;
        let hash = certificate.vote.hash;
        // A quorum prepared in a later round: honest validators are there.
        // Entering it first keeps the lock's round at most the current
        // round, so the round change below claims a lock of an earlier one.
        if round > state.round {
            actions.extend(self.advance_to(round));
        }
        let Some(state) = self.current.as_mut() else {
            return actions;
        };
        state
            .p_certificates
            .entry(round)
            .or_insert_with(|| certificate.clone());
        // The lock is the highest P-certificate known; it is persisted with
        // the next thing this validator signs, before that leaves.
        if state
            .record
            .lock
            .as_ref()
            .is_none_or(|lock| lock.vote.round < round)
        {
            state.record.lock = Some(certificate);
        }
        if !state.verified.contains(&hash) {
            actions.push(Action::FetchBlock {
                height: state.height,
                hash,
            });
        }
        // RULE S1: COMMIT only in the current round, and so never in a round
        // once anything of a later round was signed.
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
        self.last_certificate = Some(certificate.clone());
        let Some(state) = self.current.as_mut() else {
            return actions;
        };
        if !state.verified.contains(&certificate.vote.hash) {
            actions.push(Action::FetchBlock {
                height: state.height,
                hash: certificate.vote.hash,
            });
        }
        if self.is_member() {
            actions.push(Action::Broadcast(Message::Validate(certificate.clone())));
        }
        actions.push(Action::Finalize(certificate));
        actions
    }

    /// Moves to `round` (a later one): persists it, announces it with the
    /// lock, and acts on what already arrived for it.
    fn advance_to(&mut self, round: Round) -> Vec<Action<C>> {
        let Some(state) = self.current.as_mut() else {
            return Vec::new();
        };
        if round <= state.round || state.decided {
            return Vec::new();
        }
        state.round = round;
        state.record.round = round;
        let height = state.height;
        let locked = state
            .record
            .lock
            .as_ref()
            .map(|lock| (lock.vote.round, lock.vote.hash));
        let mut actions = vec![Action::SetTimer {
            height,
            round,
            after_ms: self.params.timeout(round),
        }];
        actions.extend(self.request_impeach_block());
        let change = RoundChange {
            height,
            round,
            locked,
        };
        actions.extend(self.sign_round_change(change));
        actions.extend(self.try_propose(round));
        actions.extend(self.try_prepare_proposal(round));

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

    /// Whether this node signs at the current height.
    fn is_validator(&self) -> bool {
        self.is_member() && self.current.as_ref().is_some_and(|state| !state.silent)
    }

    /// Whether this node is in the current height's committee: it passes
    /// certificates on even where it signs nothing.
    fn is_member(&self) -> bool {
        match (&self.local, &self.current) {
            (Some(local), Some(state)) => state.validators.contains(local),
            _ => false,
        }
    }

    /// Signs and sends the round change of its round (the recorded one, if
    /// this validator already signed one there), with its lock's
    /// certificate. The record, with the round, is persisted first.
    fn sign_round_change(&mut self, change: RoundChange<C::Hash>) -> Vec<Action<C>> {
        if !self.is_validator() {
            return Vec::new();
        }
        let Some(local) = self.local.clone() else {
            return Vec::new();
        };
        let Some(state) = self.current.as_mut() else {
            return Vec::new();
        };
        let change = match state.record.round_change(change.round) {
            Some(recorded) => recorded,
            None => {
                state.record.round_changes.push(change);
                change
            }
        };
        let lock = change
            .locked
            .and_then(|(round, _)| state.p_certificates.get(&round).cloned());
        state.record.revision += 1;
        let mut actions = vec![Action::Persist(state.record.clone())];
        if change.locked.is_some() && lock.is_none() {
            // A recorded round change whose lock has since been superseded
            // (only the highest certificate is kept): it still binds this
            // validator, but cannot be shown again.
            return actions;
        }
        let payload = change.signing_payload(&self.params.chain_id);
        let Some(signature) = self.crypto.sign(&payload) else {
            return actions;
        };
        let signed = SignedRoundChange {
            change,
            signer: local.clone(),
            signature,
        };
        actions.push(Action::Broadcast(Message::RoundChange {
            change: signed.clone(),
            lock,
        }));
        state
            .round_changes
            .entry(change.round)
            .or_default()
            .entry(local)
            .or_insert(signed);
        actions
    }

    /// Signs `vote` unless this validator signed another block for the same
    /// (height, round, phase); persists the record, sends it and counts it.
    fn sign_and_send(
        &mut self,
        vote: Vote<C::Hash>,
        justification: Option<Justification<C>>,
    ) -> Vec<Action<C>> {
        if !self.is_validator() {
            return Vec::new();
        }
        let Some(local) = self.local.clone() else {
            return Vec::new();
        };
        let Some(state) = self.current.as_mut() else {
            return Vec::new();
        };
        // RULE S5: at most one block per (height, round, phase), across
        // restarts, and nothing in a round below the one entered.
        if vote.round < state.round {
            return Vec::new();
        }
        let mut actions = Vec::new();
        match state.record.signed(vote.round, vote.phase) {
            Some(hash) if hash != vote.hash => return actions,
            // Signed and counted in this life already: a repeated trigger
            // (a copy of a proposal's justification in another order, a
            // lock learned again) sends nothing new. Retransmission is
            // `resend_current_round`'s job.
            Some(_)
                if state
                    .votes
                    .get(&(vote.round, vote.phase))
                    .and_then(|slot| slot.get(&local))
                    .is_some_and(|own| own.vote == vote) =>
            {
                return actions
            }
            Some(_) => {}
            None => {
                state.record.votes.push(vote);
                state.record.revision += 1;
                actions.push(Action::Persist(state.record.clone()));
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
