//! What the scenario tests share: the plugged-in types, keyed-hash
//! signatures, and a hand-driven committee for directed schedules.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use cpchain_lbft::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sim;

pub type Hash = [u8; 8];

impl Config for Sim {
    type Hash = Hash;
    type ValidatorId = u16;
    type Signature = u64;
}

pub fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Signatures are a keyed hash of (signer, payload): the simulated honest
/// validators only ever sign as themselves, and the adversary signs only as
/// the validators it controls.
#[derive(Clone)]
pub struct SimCrypto {
    pub me: Option<u16>,
}

pub fn signature(signer: u16, payload: &[u8]) -> u64 {
    fnv(&[b"sig", &signer.to_le_bytes(), payload])
}

impl Crypto<Sim> for SimCrypto {
    fn sign(&self, payload: &[u8]) -> Option<u64> {
        self.me.map(|me| signature(me, payload))
    }
    fn verify(&self, signer: &u16, payload: &[u8], sig: &u64) -> bool {
        signature(*signer, payload) == *sig
    }
}

/// splitmix64: reproducible randomness for schedules.
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len() as u64) as usize])
    }
}

pub fn block_hash(parts: &[&[u8]]) -> Hash {
    fnv(parts).to_le_bytes()
}

pub const GENESIS: Hash = [0; 8];
pub const CHAIN_ID: &[u8] = b"sim-chain";

pub fn impeach_block(height: Height, parent: &Hash) -> Hash {
    block_hash(&[b"impeach", &height.to_le_bytes(), parent])
}

pub fn proposal(height: Height, parent: &Hash) -> Hash {
    block_hash(&[b"block", &height.to_le_bytes(), parent])
}

pub fn sign_vote(signer: u16, vote: Vote<Hash>) -> SignedVote<Sim> {
    SignedVote {
        vote,
        signer,
        signature: signature(signer, &vote.signing_payload(CHAIN_ID)),
    }
}

/// `signer`'s signed round change.
pub fn sign_change(signer: u16, change: RoundChange<Hash>) -> SignedRoundChange<Sim> {
    SignedRoundChange {
        change,
        signer,
        signature: signature(signer, &change.signing_payload(CHAIN_ID)),
    }
}

pub fn vote(height: Height, round: Round, phase: Phase, hash: Hash) -> Vote<Hash> {
    Vote {
        height,
        round,
        phase,
        hash,
    }
}

pub fn certificate(signers: &[u16], vote: Vote<Hash>) -> Certificate<Sim> {
    Certificate {
        vote,
        signatures: signers
            .iter()
            .map(|s| (*s, signature(*s, &vote.signing_payload(CHAIN_ID))))
            .collect(),
    }
}

/// A committee driven step by step: every broadcast lands in its sender's
/// outbox, and the test decides who receives what, and when.
pub struct Committee {
    pub validators: ValidatorSet<u16>,
    pub params: Params,
    pub machines: Vec<Option<Machine<Sim, SimCrypto>>>,
    /// What survives a crash: the persisted protocol record.
    pub records: Vec<BTreeMap<Height, HeightRecord<Sim>>>,
    pub outbox: Vec<Vec<Message<Sim>>>,
    pub finalized: Vec<Option<Certificate<Sim>>>,
    pub timers: Vec<Vec<(Height, Round, u64)>>,
    pub height: Height,
    pub parent: Hash,
    /// Report the impeach block as soon as it is asked for, in the middle
    /// of a batch, instead of after it: a caller the machine must survive.
    pub reentrant_impeach: bool,
}

impl Committee {
    /// `n` validators 0..n, all started at `height` 1 on genesis; those in
    /// `byzantine` get no machine (the test plays them).
    pub fn new(n: u16, byzantine: &[u16]) -> Self {
        let validators = ValidatorSet::new(0..n).unwrap();
        let params = Params::new(CHAIN_ID.to_vec(), 1_000);
        let mut committee = Committee {
            validators,
            params,
            machines: Vec::new(),
            records: vec![BTreeMap::new(); n as usize],
            outbox: vec![Vec::new(); n as usize],
            finalized: vec![None; n as usize],
            timers: vec![Vec::new(); n as usize],
            height: 1,
            parent: GENESIS,
            reentrant_impeach: false,
        };
        for i in 0..n {
            committee.machines.push(None);
            if !byzantine.contains(&i) {
                committee.boot(i as usize);
            }
        }
        committee
    }

    pub fn honest(&self) -> Vec<usize> {
        (0..self.machines.len())
            .filter(|i| self.machines[*i].is_some())
            .collect()
    }

    /// Starts (or restarts, from its record) validator `i`'s machine.
    pub fn boot(&mut self, i: usize) {
        let mut machine = Machine::new(
            self.params.clone(),
            Some(i as u16),
            SimCrypto { me: Some(i as u16) },
            self.records[i].values().cloned(),
        );
        let actions = machine.start_height(self.height, self.parent, self.validators.clone());
        self.machines[i] = Some(machine);
        self.apply(i, actions);
    }

    /// Loses everything but the record, then boots again.
    pub fn restart(&mut self, i: usize) {
        self.machines[i] = None;
        self.timers[i].clear();
        self.boot(i);
    }

    /// Executes actions in order, as the glue does: follow-ups (the impeach
    /// block's) after the batch, and an older record never over a newer one.
    pub fn apply(&mut self, i: usize, actions: Vec<Action<Sim>>) {
        let mut follow_ups = Vec::new();
        for action in actions {
            match action {
                Action::Persist(record) => {
                    let newer = self.records[i]
                        .get(&record.height)
                        .is_none_or(|old| old.revision <= record.revision);
                    if newer {
                        self.records[i].insert(record.height, record);
                    }
                }
                Action::Broadcast(message) => self.outbox[i].push(message),
                Action::SetTimer {
                    height,
                    round,
                    after_ms,
                } => self.timers[i].push((height, round, after_ms)),
                Action::BuildImpeachBlock { height, parent } if self.reentrant_impeach => {
                    let more = self
                        .machine(i)
                        .on_impeach_block(height, impeach_block(height, &parent));
                    self.apply(i, more);
                }
                Action::BuildImpeachBlock { height, parent } => {
                    follow_ups.push((height, impeach_block(height, &parent)));
                }
                Action::FetchBlock { .. } | Action::ReportEquivocation(_) => {}
                Action::Finalize(certificate) => {
                    if self.finalized[i].is_none() {
                        self.finalized[i] = Some(certificate);
                    }
                }
            }
        }
        for (height, hash) in follow_ups {
            if self.machines[i].is_some() {
                let more = self.machine(i).on_impeach_block(height, hash);
                self.apply(i, more);
            }
        }
    }

    pub fn machine(&mut self, i: usize) -> &mut Machine<Sim, SimCrypto> {
        self.machines[i].as_mut().expect("an honest validator")
    }

    pub fn deliver(&mut self, to: usize, message: Message<Sim>) {
        if self.machines[to].is_none() {
            return;
        }
        let actions = self.machine(to).on_message(message).unwrap_or_default();
        self.apply(to, actions);
    }

    /// Delivers to `to` everything `from` has broadcast so far.
    pub fn deliver_outbox(&mut self, from: usize, to: usize) {
        for message in self.outbox[from].clone() {
            self.deliver(to, message);
        }
    }

    pub fn verified(&mut self, i: usize, hash: Hash) {
        let height = self.height;
        let actions = self.machine(i).on_block_verified(height, hash, true);
        self.apply(i, actions);
    }

    pub fn timeout(&mut self, i: usize) {
        let height = self.height;
        let round = self.machine(i).round().unwrap_or_default();
        let actions = self.machine(i).on_timeout(height, round);
        self.apply(i, actions);
    }

    /// Every signed vote any honest validator has broadcast.
    pub fn honest_votes(&self) -> Vec<SignedVote<Sim>> {
        let mut votes = Vec::new();
        for i in self.honest() {
            for message in &self.outbox[i] {
                if let Message::Vote { vote, .. } = message {
                    if vote.signer == i as u16 {
                        votes.push(vote.clone());
                    }
                }
            }
        }
        votes
    }

    /// The blocks that the honest validators' COMMITs, together with every
    /// signature the byzantine `adversary` can add, certify at `height`.
    /// Two of them is a fork.
    pub fn certifiable(&self, height: Height, adversary: &[u16]) -> BTreeSet<Hash> {
        let mut commits: BTreeMap<(Round, Hash), BTreeSet<u16>> = BTreeMap::new();
        for vote in self.honest_votes() {
            if vote.vote.height == height && vote.vote.phase == Phase::Commit {
                commits
                    .entry((vote.vote.round, vote.vote.hash))
                    .or_default()
                    .insert(vote.signer);
            }
        }
        commits
            .into_iter()
            .filter(|(_, signers)| signers.len() + adversary.len() >= self.validators.quorum())
            .map(|((_, hash), _)| hash)
            .collect()
    }
}

impl Committee {
    /// Delivers, among `group`, every message not yet delivered, until no
    /// member has anything new to say.
    pub fn exchange(&mut self, group: &[usize]) {
        let mut delivered: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        loop {
            let mut progress = false;
            for &from in group {
                for &to in group {
                    if from == to {
                        continue;
                    }
                    let done = delivered.entry((from, to)).or_insert(0);
                    let start = *done;
                    let pending: Vec<Message<Sim>> = self.outbox[from][start..].to_vec();
                    *done = self.outbox[from].len();
                    for message in pending {
                        progress = true;
                        self.deliver(to, message);
                    }
                }
            }
            if !progress {
                return;
            }
        }
    }

    pub fn decided(&self, i: usize) -> Option<Hash> {
        self.finalized[i].as_ref().map(|c| c.vote.hash)
    }
}

/// A committee on a network with a fixed message delay, driven by its own
/// timers: everything sent arrives, `delay_ms` later.
pub struct Timed {
    pub committee: Committee,
    pub now: u64,
    pub delay_ms: u64,
    queue: std::collections::BinaryHeap<std::cmp::Reverse<(u64, u64, usize)>>,
    events: Vec<Option<TimedEvent>>,
    drained: Vec<(usize, usize)>,
    seq: u64,
}

enum TimedEvent {
    Deliver(usize, Message<Sim>),
    Timer(usize, Height, Round),
}

impl Timed {
    pub fn new(committee: Committee, delay_ms: u64) -> Self {
        let n = committee.machines.len();
        let mut timed = Timed {
            committee,
            now: 0,
            delay_ms,
            queue: Default::default(),
            events: Vec::new(),
            drained: vec![(0, 0); n],
            seq: 0,
        };
        timed.drain();
        timed
    }

    fn push(&mut self, at: u64, event: TimedEvent) {
        self.seq += 1;
        self.events.push(Some(event));
        self.queue
            .push(std::cmp::Reverse((at, self.seq, self.events.len() - 1)));
    }

    /// Moves what the machines sent and the timers they set into the queue.
    fn drain(&mut self) {
        for i in 0..self.committee.machines.len() {
            let (sent, timers) = self.drained[i];
            let messages = self.committee.outbox[i][sent..].to_vec();
            let new_timers = self.committee.timers[i][timers..].to_vec();
            self.drained[i] = (
                self.committee.outbox[i].len(),
                self.committee.timers[i].len(),
            );
            for message in messages {
                for to in 0..self.committee.machines.len() {
                    if to != i {
                        self.push(
                            self.now + self.delay_ms,
                            TimedEvent::Deliver(to, message.clone()),
                        );
                    }
                }
            }
            for (height, round, after) in new_timers {
                self.push(self.now + after, TimedEvent::Timer(i, height, round));
            }
        }
    }

    /// Runs until every honest validator decided or `until_ms` passes.
    pub fn run(&mut self, until_ms: u64) -> bool {
        let honest = self.committee.honest();
        while let Some(std::cmp::Reverse((at, _, index))) = self.queue.pop() {
            if at > until_ms {
                break;
            }
            self.now = at;
            match self.events[index].take() {
                Some(TimedEvent::Deliver(to, message)) => self.committee.deliver(to, message),
                Some(TimedEvent::Timer(node, height, round)) => {
                    if self.committee.machines[node].is_some() {
                        let actions = self.committee.machine(node).on_timeout(height, round);
                        self.committee.apply(node, actions);
                    }
                }
                None => {}
            }
            self.drain();
            if honest.iter().all(|i| self.committee.decided(*i).is_some()) {
                return true;
            }
        }
        false
    }
}
