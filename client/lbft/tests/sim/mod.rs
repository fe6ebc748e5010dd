//! An adversarial, deterministic simulation of LBFT.
//!
//! The adversary controls up to f validators of every height's set and the
//! network: before the network stabilizes (GST) it drops, duplicates,
//! delays and partitions; at any time until `crash_until_ms` it crashes and
//! restarts honest nodes (all at once, at times, and right after they
//! persist a signature). Its validators collude: they see everything sent
//! to any of them, sign anything with their own keys, build certificates
//! from honest votes and show them to chosen subsets, equivocate as round
//! leaders, split VALIDATEs, replay old messages and flood later heights.
//!
//! Laggards and followers catch up only through the network: they ask a
//! random peer for the certificate of their height, and a byzantine peer
//! may answer with junk.
//!
//! Every run checks, on every node including followers:
//! - safety: no two different blocks final at one height, every final
//!   block carrying a valid C-certificate of its height's validator set;
//! - no honest validator ever signs two different things in one slot,
//!   across restarts;
//! - liveness: once the network is stable and crashes have stopped, every
//!   node reaches the target height within the bound of the README.
#![allow(dead_code)]

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet, BinaryHeap},
};

use cpchain_lbft::*;

#[path = "../common/mod.rs"]
mod common;
mod conformance;
pub use common::{
    block_hash, impeach_block, signature, Hash, Rng, Sim, SimCrypto, CHAIN_ID, GENESIS,
};

// ----- Scenarios -----------------------------------------------------------------------------

/// What the byzantine coalition does; any combination.
#[derive(Clone, Copy, Debug, Default)]
pub struct Strategies {
    /// Signs PREPARE and COMMIT for every candidate block of a round (the
    /// proposer's, the impeach block, others) and sends different ones to
    /// different nodes; sends round changes with different locks.
    pub double_sign: bool,
    /// Completes P-certificates with its own PREPAREs and shows each to at
    /// most f honest validators, through round changes.
    pub hide_and_reveal: bool,
    /// As round leader, proposes different justified blocks to different
    /// halves of the committee.
    pub equivocating_leader: bool,
    /// Sends certificates it can complete as VALIDATE to some nodes and
    /// broken VALIDATEs to others.
    pub split_validate: bool,
    /// Replays old messages to random nodes.
    pub replay: bool,
    /// Floods later heights with validly signed votes and round changes.
    pub flood: bool,
    /// Forged signatures, outsiders and justifications that justify nothing.
    pub junk: bool,
    /// Sends nothing at all (overrides the others).
    pub silent: bool,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub seed: u64,
    /// Validators per height's set: 3f + 1.
    pub set_size: usize,
    /// Honest validators outside the set at any time; with `rotate_every`
    /// they take turns in the set.
    pub spare_validators: usize,
    /// Nodes that are never validators.
    pub followers: usize,
    /// Byzantine validators, in every set; at most f.
    pub byzantine: usize,
    pub strategies: Strategies,
    pub target_height: Height,
    /// The network is stable (no loss, delays at most `max_delay_ms`, no
    /// partition) from here on.
    pub gst_ms: u64,
    /// Honest nodes crash and restart until here.
    pub crash_until_ms: u64,
    pub crash_percent: u64,
    /// Chance a node crashes right after it persisted a signature.
    pub crash_after_sign_percent: u64,
    /// Chance that a crash also loses the node's last one or two final
    /// blocks: the client database acknowledges a commit before it is on
    /// disk (ParityDB), while the LBFT record is written durably.
    pub finality_lost_percent: u64,
    pub drop_percent: u64,
    pub duplicate_percent: u64,
    pub max_delay_ms: u64,
    /// A partition in two until GST.
    pub partition: bool,
    /// Chance that a COMMIT or VALIDATE sent before GST is held until GST.
    pub hold_back_percent: u64,
    /// Proposers misbehave before GST.
    pub proposer_faults: bool,
    /// The validator set changes every this many heights.
    pub rotate_every: Option<Height>,
    pub base_timeout_ms: u64,
}

impl Scenario {
    /// A random scenario: everything above drawn from `seed`.
    pub fn random(seed: u64) -> Scenario {
        let mut rng = Rng(seed ^ 0x5eed_5eed);
        let set_size = [4, 4, 4, 7, 7, 10][rng.below(6) as usize];
        let f = (set_size - 1) / 3;
        let strategies = Strategies {
            double_sign: rng.chance(50),
            hide_and_reveal: rng.chance(50),
            equivocating_leader: rng.chance(50),
            split_validate: rng.chance(40),
            replay: rng.chance(40),
            flood: rng.chance(25),
            junk: rng.chance(25),
            silent: rng.chance(10),
        };
        let gst_ms = 1_000 + rng.below(12_000);
        let crash_until_ms = if rng.chance(30) {
            gst_ms + rng.below(8_000)
        } else {
            rng.below(gst_ms)
        };
        Scenario {
            seed,
            set_size,
            spare_validators: rng.below(3) as usize,
            followers: rng.below(3) as usize,
            byzantine: if rng.chance(85) {
                f
            } else {
                rng.below(f as u64 + 1) as usize
            },
            strategies,
            target_height: 4 + rng.below(4),
            gst_ms,
            crash_until_ms,
            crash_percent: rng.below(40),
            crash_after_sign_percent: [0, 0, 2, 5, 10][rng.below(5) as usize],
            drop_percent: rng.below(40),
            duplicate_percent: rng.below(20),
            max_delay_ms: 5 + rng.below(150),
            partition: rng.chance(30),
            hold_back_percent: [0, 30, 60, 90][rng.below(4) as usize],
            proposer_faults: rng.chance(70),
            rotate_every: if rng.chance(40) {
                Some(1 + rng.below(3))
            } else {
                None
            },
            base_timeout_ms: 1_000,
            finality_lost_percent: [0, 0, 20, 50][rng.below(4) as usize],
        }
    }

    fn f(&self) -> usize {
        (self.set_size - 1) / 3
    }
}

// ----- Outcomes ------------------------------------------------------------------------------

/// What a run exercised, so that the tests can show their schedules reach
/// the interesting cases.
#[derive(Default, Debug, Clone, Copy)]
pub struct Stats {
    pub schedules: u64,
    pub heights_final: u64,
    pub impeach_blocks_final: u64,
    pub decided_after_round_one: u64,
    pub crashes: u64,
    pub crashes_after_sign: u64,
    pub restarts_with_lock: u64,
    pub refused_messages: u64,
    pub equivocations_reported: u64,
    pub byzantine_messages: u64,
    pub certificates_revealed: u64,
    pub leader_equivocations: u64,
    pub set_changes: u64,
    pub follower_heights: u64,
    pub messages_delivered: u64,
    pub max_round: u64,
    /// Crashes that lost final blocks from the node's database.
    pub finality_lost: u64,
    /// Heights a restarted node finalized again from its own certificate,
    /// or (without one) signed nothing at: decided before, its record
    /// pruned.
    pub silent_heights: u64,
    /// Signatures checked against the protocol model's guards.
    pub conformance_checks: u64,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.schedules += o.schedules;
        self.heights_final += o.heights_final;
        self.impeach_blocks_final += o.impeach_blocks_final;
        self.decided_after_round_one += o.decided_after_round_one;
        self.crashes += o.crashes;
        self.crashes_after_sign += o.crashes_after_sign;
        self.restarts_with_lock += o.restarts_with_lock;
        self.refused_messages += o.refused_messages;
        self.equivocations_reported += o.equivocations_reported;
        self.byzantine_messages += o.byzantine_messages;
        self.certificates_revealed += o.certificates_revealed;
        self.leader_equivocations += o.leader_equivocations;
        self.set_changes += o.set_changes;
        self.follower_heights += o.follower_heights;
        self.messages_delivered += o.messages_delivered;
        self.max_round = self.max_round.max(o.max_round);
        self.conformance_checks += o.conformance_checks;
        self.finality_lost += o.finality_lost;
        self.silent_heights += o.silent_heights;
    }
}

/// A broken property, with the seed that replays it.
#[derive(Debug, Clone)]
pub struct Violation {
    pub seed: u64,
    pub at_ms: u64,
    pub what: String,
}

// ----- The world -----------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Event {
    Deliver {
        to: usize,
        message: Message<Sim>,
    },
    Block {
        to: usize,
        height: Height,
        hash: Hash,
        valid: bool,
    },
    Timer {
        node: usize,
        epoch: u32,
        height: Height,
        round: Round,
    },
    Restart {
        node: usize,
    },
    SyncTick {
        node: usize,
    },
    SyncRequest {
        from: usize,
        to: usize,
        height: Height,
    },
    Tick,
}

struct Node {
    machine: Option<Machine<Sim, SimCrypto>>,
    /// Survives crashes: the persisted records and the final chain.
    records: BTreeMap<Height, HeightRecord<Sim>>,
    chain: Vec<(Hash, Certificate<Sim>)>,
    key: Option<u16>,
    byzantine: bool,
    /// Bumped on each crash so that timers of a previous life are ignored.
    epoch: u32,
    /// Survive crashes, unlike the tail of `chain`: persisted with the
    /// records, as the glue does.
    decided_up_to: Option<Height>,
    decided_certificates: BTreeMap<Height, Certificate<Sim>>,
}

impl Node {
    fn next_height(&self) -> Height {
        self.chain.len() as Height + 1
    }
    fn head(&self) -> Hash {
        self.chain.last().map(|(hash, _)| *hash).unwrap_or(GENESIS)
    }
}

/// What the colluding byzantine validators know.
#[derive(Default)]
struct Coalition {
    /// Signatures by (height, round, phase, hash).
    votes: BTreeMap<(Height, Round, Phase, Hash), BTreeMap<u16, u64>>,
    /// Round changes by (height, round).
    round_changes: BTreeMap<(Height, Round), BTreeMap<u16, SignedRoundChange<Sim>>>,
    /// P-certificates by (height, round).
    p_certificates: BTreeMap<(Height, Round), Certificate<Sim>>,
    /// Candidate blocks seen per height.
    candidates: BTreeMap<Height, BTreeSet<Hash>>,
    revealed: BTreeSet<(Height, Round, Phase, Hash)>,
    led: BTreeSet<(Height, Round)>,
    seen: Vec<Message<Sim>>,
}

pub struct World {
    rng: Rng,
    now: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<(u64, u64, usize)>>,
    events: Vec<Option<Event>>,
    nodes: Vec<Node>,
    coalition: Coalition,
    /// The one block final at each height, with the node that first finalized it.
    final_blocks: BTreeMap<Height, (Hash, usize)>,
    proposed: BTreeSet<Height>,
    /// Every slot an honest validator signed, across its lives.
    honest_signed: BTreeMap<(u16, Height, Round, u8), Hash>,
    honest_round_changes: BTreeMap<(u16, Height, Round), Option<(Round, Hash)>>,
    conformance: conformance::Conformance,
    partition: Option<Vec<bool>>,
    last_restart_ms: u64,
    scenario: Scenario,
    params: Params,
    pub stats: Stats,
    violation: Option<Violation>,
}

const SYNC_EVERY_MS: u64 = 700;
const TICK_MS: u64 = 300;

impl World {
    pub fn new(scenario: Scenario) -> World {
        assert!(scenario.byzantine <= scenario.f());
        let honest_validators = scenario.set_size - scenario.byzantine + scenario.spare_validators;
        let validator_count = scenario.byzantine + honest_validators;
        let mut nodes = Vec::new();
        for i in 0..validator_count + scenario.followers {
            nodes.push(Node {
                machine: None,
                records: BTreeMap::new(),
                chain: Vec::new(),
                key: (i < validator_count).then_some(i as u16),
                byzantine: i < scenario.byzantine,
                epoch: 0,
                decided_up_to: None,
                decided_certificates: BTreeMap::new(),
            });
        }
        let params = Params::new(CHAIN_ID.to_vec(), scenario.base_timeout_ms);
        let mut rng = Rng(scenario.seed);
        let partition = scenario
            .partition
            .then(|| (0..nodes.len()).map(|_| rng.chance(50)).collect());
        let mut world = World {
            rng,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            events: Vec::new(),
            nodes,
            coalition: Coalition::default(),
            final_blocks: BTreeMap::new(),
            proposed: BTreeSet::new(),
            honest_signed: BTreeMap::new(),
            honest_round_changes: BTreeMap::new(),
            conformance: conformance::Conformance::default(),
            partition,
            last_restart_ms: 0,
            scenario,
            params,
            stats: Stats {
                schedules: 1,
                ..Stats::default()
            },
            violation: None,
        };
        for i in 0..world.nodes.len() {
            if !world.nodes[i].byzantine {
                world.boot(i);
                let first = world.rng.below(SYNC_EVERY_MS);
                world.schedule(first, Event::SyncTick { node: i });
            }
        }
        world.schedule(TICK_MS, Event::Tick);
        world
    }

    /// The validator set of `height`: the byzantine validators, and
    /// `set_size - byzantine` of the honest ones, rotating.
    pub fn validators_at(&self, height: Height) -> ValidatorSet<u16> {
        let s = &self.scenario;
        let honest_in_set = s.set_size - s.byzantine;
        let honest_pool = honest_in_set + s.spare_validators;
        let shift = match s.rotate_every {
            Some(every) => ((height - 1) / every) as usize,
            None => 0,
        };
        let members = (0..s.byzantine as u16)
            .chain((0..honest_in_set).map(|k| (s.byzantine + (k + shift) % honest_pool) as u16));
        ValidatorSet::new(members).expect("a non-empty set")
    }

    fn schedule(&mut self, after: u64, event: Event) {
        self.seq += 1;
        self.events.push(Some(event));
        self.queue
            .push(Reverse((self.now + after, self.seq, self.events.len() - 1)));
    }

    fn stable(&self) -> bool {
        self.now >= self.scenario.gst_ms
    }

    fn crashes_allowed(&self) -> bool {
        self.now < self.scenario.crash_until_ms
    }

    fn fail(&mut self, what: String) {
        if self.violation.is_none() {
            self.violation = Some(Violation {
                seed: self.scenario.seed,
                at_ms: self.now,
                what,
            });
        }
    }

    /// (Re)starts a node's machine from its persisted records and chain.
    fn boot(&mut self, i: usize) {
        let key = self.nodes[i].key;
        let records: Vec<HeightRecord<Sim>> = self.nodes[i].records.values().cloned().collect();
        if records.iter().any(|r| r.lock.is_some()) {
            self.stats.restarts_with_lock += 1;
        }
        let mut machine = Machine::new(self.params.clone(), key, SimCrypto { me: key }, records);
        if let Some(decided) = self.nodes[i].decided_up_to {
            let certificates = self.nodes[i].decided_certificates.values().cloned();
            machine.remember_decided(decided, certificates);
        }
        self.nodes[i].machine = Some(machine);
        self.start_height(i);
    }

    fn start_height(&mut self, i: usize) {
        let height = self.nodes[i].next_height();
        let parent = self.nodes[i].head();
        let validators = self.validators_at(height);
        if height > 1 && validators != self.validators_at(height - 1) {
            self.stats.set_changes += 1;
        }
        // As the glue: the pruned heights are remembered as decided, in the
        // same durable write (`client/dpor/src/aux_schema.rs`).
        let records = &mut self.nodes[i].records;
        *records = records.split_off(&height);
        let certificates = &mut self.nodes[i].decided_certificates;
        *certificates = certificates.split_off(&keep_certificates_from(height));
        if height > 1 {
            self.nodes[i].decided_up_to = self.nodes[i].decided_up_to.max(Some(height - 1));
        }
        let Some(machine) = self.nodes[i].machine.as_mut() else {
            return;
        };
        let actions = machine.start_height(height, parent, validators);
        if machine.is_silent() {
            self.stats.silent_heights += 1;
        }
        self.execute(i, actions);
        self.propose(height, parent);
    }

    /// The proposer of `height` sends its block(s) once the height starts
    /// somewhere.
    fn propose(&mut self, height: Height, parent: Hash) {
        if !self.proposed.insert(height) {
            return;
        }
        let fault = if self.stable() || !self.scenario.proposer_faults {
            0
        } else {
            self.rng.below(6)
        };
        let good = block_hash(&[b"block", &height.to_le_bytes(), &parent]);
        let other = block_hash(&[b"other", &height.to_le_bytes(), &parent]);
        let candidates = self.coalition.candidates.entry(height).or_default();
        candidates.insert(good);
        candidates.insert(other);
        candidates.insert(impeach_block(height, &parent));
        for to in 0..self.nodes.len() {
            let (hash, valid) = match fault {
                1 => continue,
                2 => (good, false),
                3 => (if to % 2 == 0 { good } else { other }, true),
                _ => (good, true),
            };
            let delay = 1 + self.rng.below(self.scenario.max_delay_ms * 2);
            self.schedule(
                delay,
                Event::Block {
                    to,
                    height,
                    hash,
                    valid,
                },
            );
        }
    }

    fn reachable(&self, from: usize, to: usize) -> bool {
        match &self.partition {
            Some(side) if !self.stable() => side[from] == side[to],
            _ => true,
        }
    }

    fn transmit(&mut self, from: usize, to: usize, message: Message<Sim>) {
        if from == to || !self.reachable(from, to) {
            return;
        }
        let unstable = !self.stable();
        if unstable && self.rng.chance(self.scenario.drop_percent) {
            return;
        }
        let max_delay = if unstable {
            self.scenario.max_delay_ms * 4
        } else {
            self.scenario.max_delay_ms
        };
        if unstable && self.rng.chance(self.scenario.duplicate_percent) {
            let again = 1 + self.rng.below(max_delay);
            self.schedule(
                again,
                Event::Deliver {
                    to,
                    message: message.clone(),
                },
            );
        }
        let mut delay = 1 + self.rng.below(max_delay);
        // The adversary schedules the network until GST: it holds back
        // what settles a height (COMMITs and VALIDATEs) from some nodes.
        let settles = match &message {
            Message::Validate(_) => true,
            Message::Vote { vote, .. } => vote.vote.phase == Phase::Commit,
            Message::RoundChange { .. } => false,
        };
        if unstable
            && settles
            && self.scenario.hold_back_percent > 0
            && self.rng.chance(self.scenario.hold_back_percent)
        {
            delay = self.scenario.gst_ms - self.now + self.rng.below(max_delay);
        }
        self.schedule(delay, Event::Deliver { to, message });
    }

    fn broadcast(&mut self, from: usize, message: Message<Sim>) {
        for to in 0..self.nodes.len() {
            self.transmit(from, to, message.clone());
        }
    }

    fn crash(&mut self, node: usize) {
        if self.nodes[node].machine.is_none() {
            return;
        }
        self.stats.crashes += 1;
        self.nodes[node].machine = None;
        if self.rng.chance(self.scenario.finality_lost_percent)
            && !self.nodes[node].chain.is_empty()
        {
            self.stats.finality_lost += 1;
            let lost = 1 + self.rng.below(2) as usize;
            let chain = &mut self.nodes[node].chain;
            chain.truncate(chain.len().saturating_sub(lost));
        }
        self.nodes[node].epoch += 1;
        let back = 100 + self.rng.below(3_000);
        self.last_restart_ms = self.last_restart_ms.max(self.now + back);
        self.schedule(back, Event::Restart { node });
    }

    /// Checks what an honest node is about to send: never two different
    /// signed things in one slot, across all its lives.
    fn monitor_honest(&mut self, i: usize, message: &Message<Sim>) {
        match message {
            Message::Vote { vote, .. } if vote.signer == i as u16 => {
                let v = vote.vote;
                let phase = if v.phase == Phase::Prepare { 1 } else { 2 };
                let key = (vote.signer, v.height, v.round, phase);
                match self.honest_signed.get(&key) {
                    Some(hash) if *hash != v.hash => {
                        self.fail(format!("honest validator {i} signed two blocks for {v:?}"))
                    }
                    Some(_) => {}
                    None => {
                        self.honest_signed.insert(key, v.hash);
                    }
                }
            }
            Message::RoundChange { change, .. } => {
                let c = change.change;
                let key = (change.signer, c.height, c.round);
                match self.honest_round_changes.get(&key) {
                    Some(locked) if *locked != c.locked => self.fail(format!(
                        "honest validator {i} signed two round changes for {c:?}"
                    )),
                    Some(_) => {}
                    None => {
                        self.honest_round_changes.insert(key, c.locked);
                    }
                }
            }
            _ => {}
        }
    }

    /// Checks a record about to be persisted against the protocol model's
    /// guards (see `conformance.rs`).
    fn check_conformance(&mut self, i: usize, record: &HeightRecord<Sim>) {
        let height = record.height;
        let validators = self.validators_at(height);
        let byzantine: Vec<u16> = validators
            .members()
            .iter()
            .copied()
            .filter(|v| self.nodes[*v as usize].byzantine)
            .collect();
        let view = conformance::HeightView {
            validators: &validators,
            byzantine: &byzantine,
            impeach_block: impeach_block(height, &self.nodes[i].head()),
        };
        let old = self.nodes[i].records.get(&height);
        let result = self.conformance.check(i as u16, &view, old, record);
        self.stats.conformance_checks = self.conformance.checked;
        if let Err(what) = result {
            self.fail(format!("outside the protocol model: {what}"));
        }
    }

    /// Executes actions as the glue does: in order, follow-ups after the
    /// batch, and an older record never written over a newer one.
    fn execute(&mut self, i: usize, actions: Vec<Action<Sim>>) {
        let mut follow_ups = Vec::new();
        for action in actions {
            if self.nodes[i].machine.is_none() {
                // Crashed part-way: the rest of the actions never happen.
                return;
            }
            match action {
                Action::Persist(record) => {
                    self.check_conformance(i, &record);
                    let newer = self.nodes[i]
                        .records
                        .get(&record.height)
                        .is_none_or(|old| old.revision <= record.revision);
                    if newer {
                        self.nodes[i].records.insert(record.height, record);
                    }
                    if self.crashes_allowed()
                        && self.rng.chance(self.scenario.crash_after_sign_percent)
                    {
                        self.stats.crashes_after_sign += 1;
                        self.crash(i);
                    }
                }
                Action::Broadcast(message) => {
                    self.monitor_honest(i, &message);
                    self.broadcast(i, message);
                }
                Action::SetTimer {
                    height,
                    round,
                    after_ms,
                } => {
                    let epoch = self.nodes[i].epoch;
                    self.schedule(
                        after_ms,
                        Event::Timer {
                            node: i,
                            epoch,
                            height,
                            round,
                        },
                    );
                }
                Action::BuildImpeachBlock { height, parent } => {
                    follow_ups.push((height, impeach_block(height, &parent)));
                }
                Action::FetchBlock { .. } => {}
                Action::Finalize(certificate) => self.finalize(i, certificate),
                Action::ReportEquivocation(evidence) => {
                    self.stats.equivocations_reported += 1;
                    let culprit = evidence.first.signer as usize;
                    if !self.nodes[culprit].byzantine {
                        self.fail(format!("honest node {culprit} reported for {evidence:?}"));
                    }
                }
            }
        }
        for (height, hash) in follow_ups {
            let more = self.nodes[i]
                .machine
                .as_mut()
                .map(|m| m.on_impeach_block(height, hash))
                .unwrap_or_default();
            self.execute(i, more);
        }
    }

    fn finalize(&mut self, i: usize, certificate: Certificate<Sim>) {
        let height = certificate.vote.height;
        let hash = certificate.vote.hash;
        if height != self.nodes[i].next_height() {
            return;
        }
        if certificate.vote.phase != Phase::Commit
            || certificate
                .verify(
                    &self.validators_at(height),
                    CHAIN_ID,
                    &SimCrypto { me: None },
                )
                .is_err()
        {
            self.fail(format!(
                "node {i} finalized {height} without a valid certificate"
            ));
            return;
        }
        match self.final_blocks.get(&height) {
            Some((other, first)) if *other != hash => {
                let first = *first;
                let other = *other;
                self.fail(format!(
                    "SAFETY: node {i} finalized {hash:?} at {height}, node {first} finalized {other:?}"
                ));
                return;
            }
            Some(_) => {}
            None => {
                self.final_blocks.insert(height, (hash, i));
                self.stats.heights_final += 1;
                let parent = self.nodes[i].head();
                if hash == impeach_block(height, &parent) {
                    self.stats.impeach_blocks_final += 1;
                }
                if certificate.vote.round > 1 {
                    self.stats.decided_after_round_one += 1;
                }
                self.stats.max_round = self.stats.max_round.max(u64::from(certificate.vote.round));
            }
        }
        if self.nodes[i].key.is_none() {
            self.stats.follower_heights += 1;
        }
        self.nodes[i]
            .decided_certificates
            .insert(height, certificate.clone());
        self.nodes[i].decided_up_to = self.nodes[i].decided_up_to.max(Some(height));
        self.nodes[i].chain.push((hash, certificate));
        if self.nodes[i].machine.is_some() {
            self.start_height(i);
        }
    }

    fn deliver(&mut self, to: usize, message: Message<Sim>) {
        self.stats.messages_delivered += 1;
        if self.nodes[to].byzantine {
            self.adversary_observes(message);
            return;
        }
        let current = self.nodes[to].machine.as_ref().and_then(|m| m.height());
        let Some(machine) = self.nodes[to].machine.as_mut() else {
            return;
        };
        match machine.on_message(message.clone()) {
            Ok(actions) => self.execute(to, actions),
            Err(error) => {
                self.stats.refused_messages += 1;
                // An honest validator's message of the receiver's own height
                // is never refused.
                // Forged messages name honest signers too: only a genuine
                // signature makes a message an honest node's.
                let from = match &message {
                    Message::Vote { vote, .. }
                        if vote.signature
                            == signature(vote.signer, &vote.vote.signing_payload(CHAIN_ID)) =>
                    {
                        Some(vote.signer as usize)
                    }
                    Message::RoundChange { change, .. }
                        if change.signature
                            == signature(
                                change.signer,
                                &change.change.signing_payload(CHAIN_ID),
                            ) =>
                    {
                        Some(change.signer as usize)
                    }
                    _ => None,
                }
                .filter(|from| *from < self.nodes.len());
                if let Some(from) = from {
                    if !self.nodes[from].byzantine && current == Some(message.height()) {
                        self.fail(format!(
                            "node {to} refused honest {from}'s {message:?}: {error:?}"
                        ));
                    }
                }
            }
        }
    }

    fn sync_tick(&mut self, node: usize) {
        if self.nodes[node].machine.is_some() {
            let to = self.rng.below(self.nodes.len() as u64) as usize;
            let height = self.nodes[node].next_height();
            if self.reachable(node, to) {
                let delay = 1 + self.rng.below(self.scenario.max_delay_ms);
                self.schedule(
                    delay,
                    Event::SyncRequest {
                        from: node,
                        to,
                        height,
                    },
                );
            }
        }
        self.schedule(SYNC_EVERY_MS, Event::SyncTick { node });
    }

    /// A peer answers a request for the certificate of `height`; a
    /// byzantine one with something broken.
    fn answer_sync(&mut self, from: usize, to: usize, height: Height) {
        if self.nodes[to].byzantine {
            if self.scenario.strategies.silent {
                return;
            }
            let junk = self.junk_certificate(height);
            self.transmit(to, from, Message::Validate(junk));
            return;
        }
        if let Some((_, certificate)) = self.nodes[to].chain.get(height as usize - 1) {
            let certificate = certificate.clone();
            self.transmit(to, from, Message::Validate(certificate));
        }
    }

    fn junk_certificate(&mut self, height: Height) -> Certificate<Sim> {
        let hash = block_hash(&[b"junk", &height.to_le_bytes()]);
        let vote = Vote {
            height,
            round: 0,
            phase: Phase::Commit,
            hash,
        };
        let f = self.scenario.byzantine as u16;
        Certificate {
            vote,
            signatures: (0..f.max(1))
                .map(|b| (b, signature(b, &vote.signing_payload(CHAIN_ID))))
                .collect(),
        }
    }

    fn tick(&mut self) {
        if self.crashes_allowed() {
            if self.rng.chance(self.scenario.crash_percent) {
                let node = self.rng.below(self.nodes.len() as u64) as usize;
                if !self.nodes[node].byzantine {
                    self.crash(node);
                }
            }
            // Now and then every node at once.
            if self.rng.chance(self.scenario.crash_percent / 10) {
                for node in 0..self.nodes.len() {
                    if !self.nodes[node].byzantine {
                        self.crash(node);
                    }
                }
            }
        }
        // As the glue does now and then and when a peer connects: send again
        // what was signed in the current round, and the last certificate.
        for node in 0..self.nodes.len() {
            if !self.nodes[node].byzantine && self.rng.chance(10) {
                let actions = self.nodes[node]
                    .machine
                    .as_mut()
                    .map(|m| m.rebroadcast())
                    .unwrap_or_default();
                self.execute(node, actions);
            }
        }
        if !self.scenario.strategies.silent && self.scenario.byzantine > 0 {
            self.adversary_acts_on_time();
        }
        self.schedule(TICK_MS, Event::Tick);
    }

    fn step(&mut self) -> bool {
        let Some(Reverse((time, _, index))) = self.queue.pop() else {
            return false;
        };
        self.now = time;
        let Some(event) = self.events[index].take() else {
            return true;
        };
        match event {
            Event::Deliver { to, message } => self.deliver(to, message),
            Event::Block {
                to,
                height,
                hash,
                valid,
            } => {
                if let Some(machine) = self.nodes[to].machine.as_mut() {
                    let actions = machine.on_block_verified(height, hash, valid);
                    self.execute(to, actions);
                }
            }
            Event::Timer {
                node,
                epoch,
                height,
                round,
            } => {
                if self.nodes[node].epoch == epoch {
                    if let Some(machine) = self.nodes[node].machine.as_mut() {
                        let actions = machine.on_timeout(height, round);
                        self.execute(node, actions);
                    }
                }
            }
            Event::Restart { node } => {
                if self.nodes[node].machine.is_none() {
                    self.boot(node);
                }
            }
            Event::SyncTick { node } => self.sync_tick(node),
            Event::SyncRequest { from, to, height } => self.answer_sync(from, to, height),
            Event::Tick => self.tick(),
        }
        true
    }

    fn honest_min_height(&self) -> Height {
        self.nodes
            .iter()
            .filter(|n| !n.byzantine)
            .map(|n| n.chain.len() as Height)
            .min()
            .unwrap_or(0)
    }

    fn honest_max_round(&self) -> Round {
        self.nodes
            .iter()
            .filter_map(|n| n.machine.as_ref().and_then(|m| m.round()))
            .max()
            .unwrap_or(0)
    }

    /// The liveness bound of the README: once the network is stable and
    /// crashes are over (time S), with every message then taking at most
    /// Δ, base timeout B and rounds reached r₀: every node has the target
    /// height by S + H · (Σ_{k=0}^{r₀ + r_Δ + f + 2} B·(k+1) + 2 · sync), where
    /// H is the number of heights still to decide and r_Δ = ⌈8Δ/B⌉.
    fn liveness_deadline(&self, stable_at: u64, r0: Round, heights_left: u64) -> u64 {
        let s = &self.scenario;
        let delta = s.max_delay_ms;
        let r_delta = (8 * delta).div_ceil(s.base_timeout_ms) as u64;
        let rounds = u64::from(r0) + r_delta + s.f() as u64 + 2;
        let per_height: u64 = (0..=rounds)
            .map(|k| s.base_timeout_ms * (k + 1))
            .sum::<u64>()
            + 2 * SYNC_EVERY_MS;
        stable_at + heights_left.max(1) * per_height
    }

    /// Runs until every honest node has the target height, a property
    /// breaks, or the liveness bound passes.
    pub fn run(&mut self) -> Result<Stats, Violation> {
        let mut deadline: Option<u64> = None;
        while self.honest_min_height() < self.scenario.target_height {
            if !self.step() {
                break;
            }
            if let Some(violation) = self.violation.take() {
                return Err(violation);
            }
            let stable_at = self
                .scenario
                .gst_ms
                .max(self.scenario.crash_until_ms)
                .max(self.last_restart_ms);
            if deadline.is_none() && self.now >= stable_at {
                let left = self.scenario.target_height - self.honest_min_height();
                deadline = Some(self.liveness_deadline(self.now, self.honest_max_round(), left));
            }
            if deadline.is_some_and(|d| self.now > d) {
                return Err(Violation {
                    seed: self.scenario.seed,
                    at_ms: self.now,
                    what: format!(
                        "LIVENESS: heights {:?}, rounds {:?} at {} ms (stable since {stable_at} ms)",
                        self.nodes.iter().map(|n| n.chain.len()).collect::<Vec<_>>(),
                        self.nodes
                            .iter()
                            .map(|n| n.machine.as_ref().and_then(|m| m.round()))
                            .collect::<Vec<_>>(),
                        self.now,
                    ),
                });
            }
        }
        Ok(self.stats)
    }
}

// ----- The adversary -------------------------------------------------------------------------

impl World {
    fn byzantine_ids(&self) -> Vec<u16> {
        (0..self.scenario.byzantine as u16).collect()
    }

    fn honest_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| !self.nodes[*i].byzantine)
            .collect()
    }

    /// A random subset of the honest nodes with at most `max` members.
    fn some_honest(&mut self, max: usize) -> Vec<usize> {
        let mut nodes = self.honest_nodes();
        let mut picked = Vec::new();
        while picked.len() < max && !nodes.is_empty() {
            let k = self.rng.below(nodes.len() as u64) as usize;
            picked.push(nodes.swap_remove(k));
        }
        picked
    }

    fn send_byzantine(&mut self, from: u16, to: usize, message: Message<Sim>) {
        self.stats.byzantine_messages += 1;
        self.transmit(from as usize, to, message);
    }

    fn learn(&mut self, message: &Message<Sim>) {
        let c = &mut self.coalition;
        match message {
            Message::Vote {
                vote,
                justification,
            } => {
                let v = vote.vote;
                c.votes
                    .entry((v.height, v.round, v.phase, v.hash))
                    .or_default()
                    .insert(vote.signer, vote.signature);
                c.candidates.entry(v.height).or_default().insert(v.hash);
                if let Some(j) = justification {
                    for change in &j.round_changes {
                        c.round_changes
                            .entry((change.change.height, change.change.round))
                            .or_default()
                            .entry(change.signer)
                            .or_insert_with(|| change.clone());
                    }
                    if let Some(cert) = &j.highest {
                        c.p_certificates
                            .entry((cert.vote.height, cert.vote.round))
                            .or_insert_with(|| cert.clone());
                    }
                }
            }
            Message::RoundChange { change, lock } => {
                c.round_changes
                    .entry((change.change.height, change.change.round))
                    .or_default()
                    .entry(change.signer)
                    .or_insert_with(|| change.clone());
                if let Some(cert) = lock {
                    c.p_certificates
                        .entry((cert.vote.height, cert.vote.round))
                        .or_insert_with(|| cert.clone());
                }
            }
            Message::Validate(_) => {}
        }
        if c.seen.len() < 4_096 {
            c.seen.push(message.clone());
        } else {
            let k = (self.rng.next() % 4_096) as usize;
            self.coalition.seen[k] = message.clone();
        }
    }

    /// A byzantine validator received `message`.
    fn adversary_observes(&mut self, message: Message<Sim>) {
        if self.scenario.strategies.silent {
            return;
        }
        self.learn(&message);
        let height = message.height();
        let round = match &message {
            Message::Vote { vote, .. } => vote.vote.round,
            Message::RoundChange { change, .. } => change.change.round,
            Message::Validate(_) => return,
        };
        let s = self.scenario.strategies;
        if s.double_sign && self.rng.chance(30) {
            self.double_sign(height, round);
        }
        if s.hide_and_reveal {
            self.complete_and_reveal(height, round);
        }
        if s.equivocating_leader {
            self.lead_two_ways(height, round);
        }
        if s.split_validate {
            self.split_validate(height, round);
        }
        if s.replay && self.rng.chance(10) {
            self.replay();
        }
        if s.junk && self.rng.chance(5) {
            self.send_junk(height, round);
        }
    }

    /// Every tick: the coalition pushes rounds along with its own round
    /// changes, and floods later heights.
    fn adversary_acts_on_time(&mut self) {
        let Some(height) = self
            .nodes
            .iter()
            .filter_map(|n| n.machine.as_ref().and_then(|m| m.height()))
            .max()
        else {
            return;
        };
        let round = self.honest_max_round();
        if self.scenario.strategies.double_sign {
            self.lying_round_changes(height, round + 1);
        }
        if self.scenario.strategies.flood {
            for _ in 0..20 {
                let b = self.rng.below(self.scenario.byzantine as u64) as u16;
                let ahead = 1 + self.rng.below(4);
                let hash = block_hash(&[b"flood", &self.rng.next().to_le_bytes()]);
                let vote = Vote {
                    height: height + ahead,
                    round: self.rng.below(50) as Round,
                    phase: if self.rng.chance(50) {
                        Phase::Prepare
                    } else {
                        Phase::Commit
                    },
                    hash,
                };
                let to = self.rng.below(self.nodes.len() as u64) as usize;
                self.send_byzantine(
                    b,
                    to,
                    Message::Vote {
                        vote: common::sign_vote(b, vote),
                        justification: None,
                    },
                );
            }
        }
    }

    fn double_sign(&mut self, height: Height, round: Round) {
        let candidates: Vec<Hash> = self
            .coalition
            .candidates
            .get(&height)
            .map(|c| c.iter().copied().collect())
            .unwrap_or_default();
        if candidates.len() < 2 {
            return;
        }
        for b in self.byzantine_ids() {
            for phase in [Phase::Prepare, Phase::Commit] {
                let first = self.rng.pick(&candidates).unwrap();
                let second = self.rng.pick(&candidates).unwrap();
                for to in self.honest_nodes() {
                    let hash = if self.rng.chance(50) { first } else { second };
                    let vote = Vote {
                        height,
                        round,
                        phase,
                        hash,
                    };
                    let signed = common::sign_vote(b, vote);
                    self.learn_own(&signed);
                    self.send_byzantine(
                        b,
                        to,
                        Message::Vote {
                            vote: signed,
                            justification: None,
                        },
                    );
                }
            }
        }
    }

    fn learn_own(&mut self, vote: &SignedVote<Sim>) {
        let v = vote.vote;
        self.coalition
            .votes
            .entry((v.height, v.round, v.phase, v.hash))
            .or_default()
            .insert(vote.signer, vote.signature);
    }

    /// Round changes claiming different locks (any certificate the
    /// coalition holds, or none) to different nodes.
    fn lying_round_changes(&mut self, height: Height, round: Round) {
        if round == 0 {
            return;
        }
        let locks: Vec<Certificate<Sim>> = self
            .coalition
            .p_certificates
            .range((height, 0)..(height, round))
            .map(|(_, c)| c.clone())
            .collect();
        for b in self.byzantine_ids() {
            for to in self.some_honest(2) {
                let lock = if locks.is_empty() || self.rng.chance(40) {
                    None
                } else {
                    Some(locks[self.rng.below(locks.len() as u64) as usize].clone())
                };
                let change = RoundChange {
                    height,
                    round,
                    locked: lock.as_ref().map(|c| (c.vote.round, c.vote.hash)),
                };
                let signed = common::sign_change(b, change);
                self.coalition
                    .round_changes
                    .entry((height, round))
                    .or_default()
                    .entry(b)
                    .or_insert_with(|| signed.clone());
                self.send_byzantine(
                    b,
                    to,
                    Message::RoundChange {
                        change: signed,
                        lock,
                    },
                );
            }
        }
    }

    /// Whatever quorum honest votes and the coalition's own signatures can
    /// complete at (height, round), as certificates.
    fn completable(&mut self, height: Height, round: Round, phase: Phase) -> Vec<Certificate<Sim>> {
        let validators = self.validators_at(height);
        let quorum = validators.quorum();
        let byzantine = self.byzantine_ids();
        let mut certificates = Vec::new();
        let keys: Vec<Hash> = self
            .coalition
            .votes
            .range((height, round, phase, [0; 8])..=(height, round, phase, [0xff; 8]))
            .map(|((_, _, _, hash), _)| *hash)
            .collect();
        for hash in keys {
            let vote = Vote {
                height,
                round,
                phase,
                hash,
            };
            let mut signatures: BTreeMap<u16, u64> = self
                .coalition
                .votes
                .get(&(height, round, phase, hash))
                .cloned()
                .unwrap_or_default();
            signatures.retain(|signer, _| validators.contains(signer));
            for b in &byzantine {
                if signatures.len() >= quorum {
                    break;
                }
                signatures
                    .entry(*b)
                    .or_insert_with(|| signature(*b, &vote.signing_payload(CHAIN_ID)));
            }
            if signatures.len() >= quorum {
                certificates.push(Certificate {
                    vote,
                    signatures: signatures.into_iter().collect(),
                });
            }
        }
        certificates
    }

    /// Completes P-certificates with the coalition's PREPAREs and shows
    /// each to at most f honest nodes, in a round change of the next round.
    fn complete_and_reveal(&mut self, height: Height, round: Round) {
        let f = self.scenario.f();
        for certificate in self.completable(height, round, Phase::Prepare) {
            let key = (height, round, Phase::Prepare, certificate.vote.hash);
            if !self.coalition.revealed.insert(key) {
                continue;
            }
            self.stats.certificates_revealed += 1;
            self.coalition
                .p_certificates
                .entry((height, round))
                .or_insert_with(|| certificate.clone());
            let Some(b) = self.byzantine_ids().first().copied() else {
                return;
            };
            let change = RoundChange {
                height,
                round: round + 1,
                locked: Some((round, certificate.vote.hash)),
            };
            let signed = common::sign_change(b, change);
            for to in self.some_honest(f) {
                let delay_more = self.rng.below(2) == 0;
                let message = Message::RoundChange {
                    change: signed.clone(),
                    lock: Some(certificate.clone()),
                };
                if delay_more {
                    let at = self.rng.below(4 * self.scenario.base_timeout_ms);
                    self.stats.byzantine_messages += 1;
                    self.schedule(at, Event::Deliver { to, message });
                } else {
                    self.send_byzantine(b, to, message);
                }
            }
        }
    }

    /// As round leader, proposes the block of the highest lock to one half
    /// and, where the round changes allow another quorum with a lower lock,
    /// that block to the other half.
    fn lead_two_ways(&mut self, height: Height, round: Round) {
        if round == 0 || self.coalition.led.contains(&(height, round)) {
            return;
        }
        let validators = self.validators_at(height);
        let leader = round_leader(&validators, height, round);
        if !self.byzantine_ids().contains(&leader) {
            return;
        }
        let mut changes: Vec<SignedRoundChange<Sim>> = self
            .coalition
            .round_changes
            .get(&(height, round))
            .map(|c| {
                c.values()
                    .filter(|c| validators.contains(&c.signer))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        // Its own coalition's round changes claim no lock.
        for b in self.byzantine_ids() {
            if changes.iter().all(|c| c.signer != b) {
                let change = RoundChange {
                    height,
                    round,
                    locked: None,
                };
                changes.push(common::sign_change(b, change));
            }
        }
        let quorum = validators.quorum();
        if changes.len() < quorum {
            return;
        }
        // Sorted by claimed lock, lowest first: the first quorum has the
        // lowest highest-lock the coalition can justify, the last the
        // highest.
        changes.sort_by_key(|c| c.change.locked.map(|(r, _)| r));
        let low = changes[..quorum].to_vec();
        let high = changes[changes.len() - quorum..].to_vec();
        let parent = self.final_blocks.get(&(height - 1)).map(|(h, _)| *h);
        let mut proposals = Vec::new();
        for set in [low, high] {
            let highest = set
                .iter()
                .filter_map(|c| c.change.locked)
                .max_by_key(|l| l.0);
            let (hash, certificate) = match highest {
                Some((r, hash)) => match self.coalition.p_certificates.get(&(height, r)) {
                    Some(c) if c.vote.hash == hash => (hash, Some(c.clone())),
                    _ => continue,
                },
                None => match (height, parent) {
                    (1, _) => (impeach_block(1, &GENESIS), None),
                    (_, Some(parent)) => (impeach_block(height, &parent), None),
                    _ => continue,
                },
            };
            proposals.push((hash, certificate, set));
        }
        // And the impeach block with the whole set, its locks ignored: a
        // justification that justifies nothing, which voters must refuse.
        if let (Some((_, Some(_), set)), Some(parent)) = (
            proposals.last().cloned(),
            if height == 1 { Some(GENESIS) } else { parent },
        ) {
            if self.rng.chance(50) {
                proposals.push((impeach_block(height, &parent), None, set));
            }
        }
        let two_ways = proposals.len() >= 2 && proposals[0].0 != proposals[1].0;
        if !two_ways && changes.len() < validators.len() {
            // Waits for more round changes, hoping for two justifiable blocks.
            return;
        }
        self.coalition.led.insert((height, round));
        if two_ways {
            self.stats.leader_equivocations += 1;
        }
        let honest = self.honest_nodes();
        let proposals_count = proposals.len().max(1);
        for (k, (hash, certificate, set)) in proposals.into_iter().enumerate() {
            let vote = Vote {
                height,
                round,
                phase: Phase::Prepare,
                hash,
            };
            let signed = common::sign_vote(leader, vote);
            self.learn_own(&signed);
            let message = Message::Vote {
                vote: signed,
                justification: Some(Justification {
                    round_changes: set,
                    highest: certificate,
                }),
            };
            // Each proposal to an overlapping random part of the committee.
            let _ = k;
            for to in honest.iter() {
                if self.rng.chance(100 - 100 / (proposals_count as u64 + 1)) {
                    self.send_byzantine(leader, *to, message.clone());
                }
            }
        }
    }

    /// VALIDATEs for whatever the coalition can complete, to some nodes;
    /// one-signature VALIDATEs to the others.
    fn split_validate(&mut self, height: Height, round: Round) {
        for certificate in self.completable(height, round, Phase::Commit) {
            let key = (height, round, Phase::Commit, certificate.vote.hash);
            if !self.coalition.revealed.insert(key) {
                continue;
            }
            let b = 0u16;
            for to in self.honest_nodes() {
                let message = if self.rng.chance(50) {
                    Message::Validate(certificate.clone())
                } else {
                    let mut broken = certificate.clone();
                    broken.signatures.truncate(1);
                    Message::Validate(broken)
                };
                self.send_byzantine(b, to, message);
            }
        }
    }

    fn replay(&mut self) {
        let seen = self.coalition.seen.len();
        if seen == 0 {
            return;
        }
        let message = self.coalition.seen[self.rng.below(seen as u64) as usize].clone();
        let to = self.rng.below(self.nodes.len() as u64) as usize;
        self.send_byzantine(0, to, message);
    }

    fn send_junk(&mut self, height: Height, round: Round) {
        let b = 0u16;
        let hash = block_hash(&[b"junk", &self.rng.next().to_le_bytes()]);
        let vote = Vote {
            height,
            round,
            phase: Phase::Prepare,
            hash,
        };
        let mut forged = common::sign_vote(b, vote);
        forged.signer = (self.scenario.byzantine + 1) as u16;
        let outsider = common::sign_vote(999, vote);
        let later = Vote {
            round: round + 1,
            ..vote
        };
        let bogus_change = RoundChange {
            height,
            round: round + 1,
            locked: Some((round, hash)),
        };
        let junk = vec![
            Message::Vote {
                vote: forged,
                justification: None,
            },
            Message::Vote {
                vote: outsider,
                justification: None,
            },
            // A proposal whose justification has too few round changes.
            Message::Vote {
                vote: common::sign_vote(b, later),
                justification: Some(Justification {
                    round_changes: Vec::new(),
                    highest: None,
                }),
            },
            // A round change claiming a lock with no certificate.
            Message::RoundChange {
                change: common::sign_change(b, bogus_change),
                lock: None,
            },
            Message::Vote {
                vote: common::sign_vote(
                    b,
                    Vote {
                        round: round.saturating_add(5_000),
                        ..vote
                    },
                ),
                justification: None,
            },
        ];
        for message in junk {
            let to = self.rng.below(self.nodes.len() as u64) as usize;
            self.send_byzantine(b, to, message);
        }
    }
}

/// Runs `count` random schedules from `first_seed`; the first violation
/// stops the run.
pub fn run_schedules(first_seed: u64, count: u64) -> Result<Stats, Violation> {
    let mut total = Stats::default();
    for seed in first_seed..first_seed + count {
        let mut world = World::new(Scenario::random(seed));
        total += world.run()?;
    }
    Ok(total)
}
