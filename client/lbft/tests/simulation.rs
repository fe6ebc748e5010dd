//! A deterministic, seeded simulation of a validator committee running LBFT
//! over an unreliable network, with faulty proposers, crashing validators
//! and up to f byzantine validators.
//!
//! Every run checks safety (no two different blocks final at one height, on
//! any node, ever) and liveness (every honest validator reaches the target
//! height once the network is stable).

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap},
};

use cpchain_lbft::*;

// ----- The plugged-in types ------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Sim;

type Hash = [u8; 8];

impl Config for Sim {
    type Hash = Hash;
    type ValidatorId = u16;
    type Signature = u64;
}

fn fnv(parts: &[&[u8]]) -> u64 {
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

/// Signatures are a keyed hash of (signer, payload): unforgeable by the
/// simulated validators, which only ever sign as themselves.
#[derive(Clone)]
struct SimCrypto {
    me: Option<u16>,
}

fn signature(signer: u16, payload: &[u8]) -> u64 {
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

fn block_hash(parts: &[&[u8]]) -> Hash {
    fnv(parts).to_le_bytes()
}

const GENESIS: Hash = [0; 8];
const CHAIN_ID: &[u8] = b"sim-chain";

fn impeach_block(height: Height, parent: &Hash) -> Hash {
    block_hash(&[b"impeach", &height.to_le_bytes(), parent])
}

// ----- Randomness ----------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

// ----- The simulated world -------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Byzantine {
    /// Sends nothing.
    Silent,
    /// Votes for a different block towards half of the committee.
    Equivocating,
    /// Sends malformed and forged messages.
    Junk,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ProposerFault {
    Silent,
    Invalid,
    TwoBlocks,
}

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
    Crash {
        node: usize,
    },
    Restart {
        node: usize,
    },
    Sync {
        node: usize,
    },
}

struct Node {
    machine: Option<Machine<Sim, SimCrypto>>,
    /// Survives crashes: the double-sign record and the final chain.
    recorded: Vec<Vote<Hash>>,
    finalized: Vec<(Hash, Certificate<Sim>)>,
    byzantine: Option<Byzantine>,
    /// Bumped on each crash so that timers of a previous life are ignored.
    epoch: u32,
}

impl Node {
    fn height(&self) -> Height {
        self.finalized.len() as Height + 1
    }
    fn head(&self) -> Hash {
        self.finalized
            .last()
            .map(|(hash, _)| *hash)
            .unwrap_or(GENESIS)
    }
}

struct Scenario {
    seed: u64,
    validators: usize,
    byzantine: Vec<Byzantine>,
    target_height: Height,
    /// Until this time the network drops, duplicates and delays messages
    /// heavily and validators crash; after it, it is stable.
    stable_after_ms: u64,
    drop_percent: u64,
    duplicate_percent: u64,
    max_delay_ms: u64,
    crash_percent: u64,
    /// Which heights have a faulty proposer, and how.
    proposer_fault: fn(&mut Rng, Height) -> Option<ProposerFault>,
}

struct World {
    rng: Rng,
    now: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<(u64, u64, usize)>>,
    events: Vec<Option<Event>>,
    nodes: Vec<Node>,
    validators: ValidatorSet<u16>,
    /// The one block final at each height, with the node that first finalized it.
    final_blocks: BTreeMap<Height, (Hash, usize)>,
    proposed: BTreeMap<Height, bool>,
    scenario: Scenario,
    params: Params,
    stats: Stats,
}

/// What a run exercised, so that the tests can show their schedules reach
/// the interesting cases.
#[derive(Default, Debug, Clone, Copy)]
struct Stats {
    impeach_blocks_final: u64,
    decided_after_round_one: u64,
    crashes: u64,
    refused_messages: u64,
    equivocations_reported: u64,
    messages_delivered: u64,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.impeach_blocks_final += o.impeach_blocks_final;
        self.decided_after_round_one += o.decided_after_round_one;
        self.crashes += o.crashes;
        self.refused_messages += o.refused_messages;
        self.equivocations_reported += o.equivocations_reported;
        self.messages_delivered += o.messages_delivered;
    }
}

const BASE_TIMEOUT_MS: u64 = 1_000;

impl World {
    fn new(scenario: Scenario) -> World {
        let n = scenario.validators;
        let validators = ValidatorSet::new(0..n as u16).unwrap();
        assert!(scenario.byzantine.len() <= validators.max_faulty());
        let params = Params::new(CHAIN_ID.to_vec(), BASE_TIMEOUT_MS);
        let mut nodes = Vec::new();
        for i in 0..n {
            let byzantine = scenario.byzantine.get(i).copied();
            nodes.push(Node {
                machine: None,
                recorded: Vec::new(),
                finalized: Vec::new(),
                byzantine,
                epoch: 0,
            });
        }
        let mut world = World {
            rng: Rng(scenario.seed),
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            events: Vec::new(),
            nodes,
            validators,
            final_blocks: BTreeMap::new(),
            proposed: BTreeMap::new(),
            scenario,
            params,
            stats: Stats::default(),
        };
        for i in 0..n {
            world.boot(i);
            let first_sync = 500 + world.rng.below(500);
            world.schedule(first_sync, Event::Sync { node: i });
        }
        world
    }

    fn schedule(&mut self, after: u64, event: Event) {
        self.seq += 1;
        self.events.push(Some(event));
        self.queue
            .push(Reverse((self.now + after, self.seq, self.events.len() - 1)));
    }

    fn stable(&self) -> bool {
        self.now >= self.scenario.stable_after_ms
    }

    fn is_honest(&self, node: usize) -> bool {
        self.nodes[node].byzantine.is_none()
    }

    /// (Re)starts a node's machine from its persisted record and chain.
    fn boot(&mut self, i: usize) {
        let me = (self.nodes[i].byzantine != Some(Byzantine::Silent)).then_some(i as u16);
        let machine = Machine::new(
            self.params.clone(),
            me,
            SimCrypto { me },
            self.nodes[i].recorded.clone(),
        );
        self.nodes[i].machine = Some(machine);
        self.start_height(i);
    }

    fn start_height(&mut self, i: usize) {
        let height = self.nodes[i].height();
        let parent = self.nodes[i].head();
        let validators = self.validators.clone();
        let Some(machine) = self.nodes[i].machine.as_mut() else {
            return;
        };
        let actions = machine.start_height(height, parent, validators);
        self.execute(i, actions);
        self.propose(height, parent);
    }

    /// The proposer of `height` sends its block(s) once the height starts.
    fn propose(&mut self, height: Height, parent: Hash) {
        if self.proposed.contains_key(&height) {
            return;
        }
        self.proposed.insert(height, true);
        let fault = if self.stable() {
            None
        } else {
            (self.scenario.proposer_fault)(&mut self.rng, height)
        };
        let good = block_hash(&[b"block", &height.to_le_bytes(), &parent]);
        let other = block_hash(&[b"other", &height.to_le_bytes(), &parent]);
        for to in 0..self.nodes.len() {
            let (hash, valid) = match fault {
                None => (good, true),
                Some(ProposerFault::Silent) => continue,
                Some(ProposerFault::Invalid) => (good, false),
                Some(ProposerFault::TwoBlocks) => (if to % 2 == 0 { good } else { other }, true),
            };
            let delay = 1 + self.rng.below(self.scenario.max_delay_ms);
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

    fn send(&mut self, from: usize, message: Message<Sim>) {
        for to in 0..self.nodes.len() {
            if to == from {
                continue;
            }
            let message = match (self.nodes[from].byzantine, &message) {
                (
                    Some(Byzantine::Equivocating),
                    Message::Vote {
                        vote,
                        justification,
                    },
                ) if to % 2 == 1 => {
                    let mut forked = vote.vote;
                    forked.hash = block_hash(&[b"fork", &forked.hash]);
                    let forked_message = Message::Vote {
                        vote: SignedVote {
                            vote: forked,
                            signer: from as u16,
                            signature: signature(from as u16, &forked.signing_payload(CHAIN_ID)),
                        },
                        justification: justification.clone().filter(|_| false),
                    };
                    // Odd validators see both votes, the fork usually first.
                    self.transmit(to, message.clone());
                    forked_message
                }
                _ => message.clone(),
            };
            self.transmit(to, message);
        }
    }

    fn transmit(&mut self, to: usize, message: Message<Sim>) {
        let unstable = !self.stable();
        if unstable && self.rng.chance(self.scenario.drop_percent) {
            return;
        }
        let max_delay = if unstable {
            self.scenario.max_delay_ms * 4
        } else {
            self.scenario.max_delay_ms
        };
        let delay = 1 + self.rng.below(max_delay);
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
        self.schedule(delay, Event::Deliver { to, message });
    }

    fn execute(&mut self, i: usize, actions: Vec<Action<Sim>>) {
        for action in actions {
            match action {
                Action::RecordVote(vote) => {
                    if self.is_honest(i) {
                        // Double-sign guard: never two blocks per (height, round, phase).
                        for old in &self.nodes[i].recorded {
                            let same_slot = (old.height, old.round, old.phase)
                                == (vote.height, vote.round, vote.phase);
                            assert!(
                                !same_slot || old.hash == vote.hash,
                                "node {i} double-signed {vote:?}"
                            );
                        }
                        self.nodes[i].recorded.push(vote);
                    }
                }
                Action::Broadcast(message) => match self.nodes[i].byzantine {
                    Some(Byzantine::Silent) => {}
                    Some(Byzantine::Junk) => self.send_junk(i, message),
                    _ => self.send(i, message),
                },
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
                    let hash = impeach_block(height, &parent);
                    let more = self.nodes[i]
                        .machine
                        .as_mut()
                        .map(|m| m.on_impeach_block(height, hash))
                        .unwrap_or_default();
                    self.execute(i, more);
                }
                Action::FetchBlock { .. } => {}
                Action::Finalize(certificate) => self.finalize(i, certificate),
                Action::ReportEquivocation(evidence) => {
                    self.stats.equivocations_reported += 1;
                    // Only byzantine validators equivocate.
                    let culprit = evidence.first.signer as usize;
                    assert!(
                        !self.is_honest(culprit),
                        "honest node {culprit} reported for {evidence:?}"
                    );
                }
            }
        }
    }

    fn send_junk(&mut self, from: usize, message: Message<Sim>) {
        let Message::Vote { vote, .. } = message else {
            return;
        };
        let mut junk = Vec::new();
        // A forged signature of another validator.
        let mut forged = vote.clone();
        forged.signer = ((from + 1) % self.nodes.len()) as u16;
        junk.push(Message::Vote {
            vote: forged,
            justification: None,
        });
        // A signer outside the committee.
        let mut outsider = vote.clone();
        outsider.signer = 999;
        outsider.signature = signature(999, &outsider.vote.signing_payload(CHAIN_ID));
        junk.push(Message::Vote {
            vote: outsider,
            justification: None,
        });
        // A justification that justifies nothing.
        let bogus = Certificate {
            vote: vote.vote,
            signatures: vec![(from as u16, vote.signature)],
        };
        let mut later = vote.vote;
        later.round += 1;
        junk.push(Message::Vote {
            vote: SignedVote {
                vote: later,
                signer: from as u16,
                signature: signature(from as u16, &later.signing_payload(CHAIN_ID)),
            },
            justification: Some(bogus.clone()),
        });
        // A VALIDATE with one signature.
        let mut commit = bogus;
        commit.vote.phase = Phase::Commit;
        junk.push(Message::Validate(commit));
        // A vote from the distant future.
        let mut far = vote.vote;
        far.round = far.round.saturating_add(5_000);
        junk.push(Message::Vote {
            vote: SignedVote {
                vote: far,
                signer: from as u16,
                signature: signature(from as u16, &far.signing_payload(CHAIN_ID)),
            },
            justification: None,
        });
        for message in junk {
            for to in 0..self.nodes.len() {
                if to != from {
                    self.transmit(to, message.clone());
                }
            }
        }
    }

    fn finalize(&mut self, i: usize, certificate: Certificate<Sim>) {
        assert_eq!(certificate.vote.phase, Phase::Commit);
        certificate
            .verify(&self.validators, CHAIN_ID, &SimCrypto { me: None })
            .expect("final blocks carry valid C-certificates");
        let height = certificate.vote.height;
        let hash = certificate.vote.hash;
        if height != self.nodes[i].height() {
            return;
        }
        match self.final_blocks.get(&height) {
            Some((other, first)) => assert_eq!(
                *other, hash,
                "SAFETY: node {i} finalized {hash:?} at {height}, node {first} finalized {other:?} (seed {})",
                self.scenario.seed
            ),
            None => {
                self.final_blocks.insert(height, (hash, i));
                let parent = self.nodes[i].head();
                if hash == impeach_block(height, &parent) {
                    self.stats.impeach_blocks_final += 1;
                }
                if certificate.vote.round > 1 {
                    self.stats.decided_after_round_one += 1;
                }
            }
        }
        self.nodes[i].finalized.push((hash, certificate));
        if self.nodes[i].machine.is_some() {
            self.start_height(i);
        }
    }

    /// Block sync: a node behind another catches up on certified blocks, as
    /// Substrate's sync with justifications does.
    fn sync(&mut self, i: usize) {
        if self.nodes[i].machine.is_some() {
            let peer = self.rng.below(self.nodes.len() as u64) as usize;
            if self.is_honest(peer) {
                while self.nodes[i].finalized.len() < self.nodes[peer].finalized.len() {
                    let certificate = self.nodes[peer].finalized[self.nodes[i].finalized.len()]
                        .1
                        .clone();
                    self.finalize(i, certificate);
                }
            }
        }
        let next = 500 + self.rng.below(500);
        self.schedule(next, Event::Sync { node: i });
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
            Event::Deliver { to, message } => {
                self.stats.messages_delivered += 1;
                if let Some(machine) = self.nodes[to].machine.as_mut() {
                    match machine.on_message(message.clone()) {
                        Ok(actions) => self.execute(to, actions),
                        Err(error) => {
                            self.stats.refused_messages += 1;
                            // Only byzantine senders produce refused messages.
                            let from = match &message {
                                Message::Vote { vote, .. } => vote.signer as usize,
                                Message::Validate(_) => usize::MAX,
                            };
                            assert!(
                                from >= self.nodes.len()
                                    || !self.is_honest(from)
                                    || self
                                        .nodes
                                        .iter()
                                        .any(|n| n.byzantine == Some(Byzantine::Junk)),
                                "honest node {from}'s message refused: {error:?}"
                            );
                        }
                    }
                }
            }
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
            Event::Crash { node } => {
                self.stats.crashes += 1;
                self.nodes[node].machine = None;
                self.nodes[node].epoch += 1;
                let back = 200 + self.rng.below(3_000);
                self.schedule(back, Event::Restart { node });
            }
            Event::Restart { node } => self.boot(node),
            Event::Sync { node } => self.sync(node),
        }
        true
    }

    fn honest_min_height(&self) -> Height {
        (0..self.nodes.len())
            .filter(|i| self.is_honest(*i))
            .map(|i| self.nodes[i].finalized.len() as Height)
            .min()
            .unwrap_or(0)
    }

    /// Runs until every honest node has `target_height` final blocks, or the
    /// liveness bound passes.
    fn run(&mut self) {
        let crash_every = 700;
        let mut next_crash = crash_every;
        let deadline = self.scenario.stable_after_ms + 120_000;
        while self.honest_min_height() < self.scenario.target_height {
            if !self.step() {
                break;
            }
            if self.now >= next_crash && !self.stable() {
                next_crash += crash_every;
                if self.rng.chance(self.scenario.crash_percent) {
                    let node = self.rng.below(self.nodes.len() as u64) as usize;
                    if self.is_honest(node) && self.nodes[node].machine.is_some() {
                        self.schedule(0, Event::Crash { node });
                    }
                }
            }
            assert!(
                self.now <= deadline,
                "LIVENESS: seed {} stuck at heights {:?} at {} ms (stable since {} ms)",
                self.scenario.seed,
                self.nodes
                    .iter()
                    .map(|n| n.finalized.len())
                    .collect::<Vec<_>>(),
                self.now,
                self.scenario.stable_after_ms,
            );
        }
    }
}

fn random_scenario(seed: u64) -> Scenario {
    let mut rng = Rng(seed ^ 0x5eed);
    let validators = [4, 4, 7, 10][rng.below(4) as usize];
    let f = (validators - 1) / 3;
    let faulty = rng.below(f as u64 + 1) as usize;
    let kinds = [Byzantine::Silent, Byzantine::Equivocating, Byzantine::Junk];
    let byzantine = (0..faulty).map(|_| kinds[rng.below(3) as usize]).collect();
    Scenario {
        seed,
        validators,
        byzantine,
        target_height: 6,
        stable_after_ms: 2_000 + rng.below(10_000),
        drop_percent: rng.below(40),
        duplicate_percent: rng.below(20),
        max_delay_ms: 10 + rng.below(150),
        crash_percent: rng.below(50),
        proposer_fault: |rng, _| match rng.below(6) {
            0 => Some(ProposerFault::Silent),
            1 => Some(ProposerFault::Invalid),
            2 => Some(ProposerFault::TwoBlocks),
            _ => None,
        },
    }
}

#[test]
fn a_thousand_random_schedules_are_safe_and_live() {
    let mut total = Stats::default();
    for seed in 0..1_000 {
        let mut world = World::new(random_scenario(seed));
        world.run();
        total += world.stats;
    }
    eprintln!("1,000 schedules exercised: {total:?}");
    assert!(total.impeach_blocks_final > 100, "{total:?}");
    assert!(total.decided_after_round_one > 10, "{total:?}");
    assert!(total.crashes > 100, "{total:?}");
    assert!(total.refused_messages > 1_000, "{total:?}");
    assert!(total.equivocations_reported > 100, "{total:?}");
}

#[test]
fn a_stable_network_finalizes_the_proposers_blocks_in_round_zero() {
    let mut world = World::new(Scenario {
        seed: 7,
        validators: 4,
        byzantine: vec![],
        target_height: 20,
        stable_after_ms: 0,
        drop_percent: 0,
        duplicate_percent: 0,
        max_delay_ms: 50,
        crash_percent: 0,
        proposer_fault: |_, _| None,
    });
    world.run();
    for (height, (hash, _)) in &world.final_blocks {
        let parent = if *height == 1 {
            GENESIS
        } else {
            world.final_blocks[&(height - 1)].0
        };
        assert_eq!(
            *hash,
            block_hash(&[b"block", &height.to_le_bytes(), &parent])
        );
    }
    // 20 heights at a few round trips each, far below one timeout per height.
    assert!(world.now < 20 * BASE_TIMEOUT_MS, "took {} ms", world.now);
}

#[test]
fn a_silent_proposer_is_impeached_by_the_committee() {
    let mut world = World::new(Scenario {
        seed: 11,
        validators: 4,
        byzantine: vec![],
        target_height: 3,
        stable_after_ms: u64::MAX / 4,
        drop_percent: 0,
        duplicate_percent: 0,
        max_delay_ms: 20,
        crash_percent: 0,
        proposer_fault: |_, height| (height == 2).then_some(ProposerFault::Silent),
    });
    world.run();
    let parent = world.final_blocks[&1].0;
    assert_eq!(world.final_blocks[&2].0, impeach_block(2, &parent));
}

#[test]
fn the_seeds_split_prepare_case_still_decides() {
    // Seed's case: some validators hold a P-certificate for the proposer's
    // block, others time out and prepare the impeach block. The original
    // design dead-locks here; rounds with locks decide.
    for seed in 0..200 {
        let mut world = World::new(Scenario {
            seed: 10_000 + seed,
            validators: 4,
            byzantine: vec![Byzantine::Silent],
            target_height: 4,
            stable_after_ms: 6_000,
            drop_percent: 30,
            duplicate_percent: 0,
            max_delay_ms: 400,
            crash_percent: 0,
            proposer_fault: |_, _| None,
        });
        world.run();
    }
}

#[test]
#[ignore = "soak: run with --ignored; about a minute in release"]
fn soak_fifty_thousand_schedules() {
    let mut total = Stats::default();
    for seed in 1_000_000..1_050_000 {
        let mut world = World::new(random_scenario(seed));
        world.run();
        total += world.stats;
    }
    eprintln!("50,000 schedules exercised: {total:?}");
}

#[test]
fn a_vote_signed_for_one_phase_round_height_or_chain_is_not_valid_for_another() {
    let vote = Vote {
        height: 5,
        round: 0,
        phase: Phase::Prepare,
        hash: [1; 8],
    };
    let payload = vote.signing_payload(CHAIN_ID);
    let variants = [
        Vote {
            phase: Phase::Commit,
            ..vote
        }
        .signing_payload(CHAIN_ID),
        Vote { round: 1, ..vote }.signing_payload(CHAIN_ID),
        Vote { height: 6, ..vote }.signing_payload(CHAIN_ID),
        vote.signing_payload(b"other-chain"),
    ];
    for other in variants {
        assert_ne!(payload, other);
    }
}

#[test]
fn a_restarted_validator_never_signs_a_second_block_for_a_recorded_slot() {
    let validators = ValidatorSet::new(0u16..4).unwrap();
    let recorded = vec![Vote {
        height: 1,
        round: 0,
        phase: Phase::Prepare,
        hash: [1; 8],
    }];
    let mut machine = Machine::new(
        Params::new(CHAIN_ID.to_vec(), 1_000),
        Some(0),
        SimCrypto { me: Some(0) },
        recorded,
    );
    let actions = machine.start_height(1, GENESIS, validators);
    // It re-sends the recorded vote...
    assert!(actions.iter().any(
        |a| matches!(a, Action::Broadcast(Message::Vote { vote, .. }) if vote.vote.hash == [1; 8])
    ));
    // ...and refuses to prepare a different block at the same slot.
    let actions = machine.on_block_verified(1, [2; 8], true);
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::Broadcast(_) | Action::RecordVote(_))),
        "{actions:?}"
    );
}

#[test]
fn certificates_need_a_quorum_of_distinct_members() {
    let validators = ValidatorSet::new(0u16..4).unwrap();
    assert_eq!(validators.quorum(), 3);
    let vote = Vote {
        height: 1,
        round: 0,
        phase: Phase::Commit,
        hash: [1; 8],
    };
    let sig = |who: u16| (who, signature(who, &vote.signing_payload(CHAIN_ID)));
    let crypto = SimCrypto { me: None };
    let ok = Certificate::<Sim> {
        vote,
        signatures: vec![sig(0), sig(1), sig(2)],
    };
    assert_eq!(ok.verify(&validators, CHAIN_ID, &crypto), Ok(()));
    let short = Certificate::<Sim> {
        vote,
        signatures: vec![sig(0), sig(1)],
    };
    assert_eq!(
        short.verify(&validators, CHAIN_ID, &crypto),
        Err(CertificateError::TooFewSignatures { got: 2, needed: 3 })
    );
    let duplicate = Certificate::<Sim> {
        vote,
        signatures: vec![sig(0), sig(1), sig(1)],
    };
    assert_eq!(
        duplicate.verify(&validators, CHAIN_ID, &crypto),
        Err(CertificateError::DuplicateSigner)
    );
    let outsider = Certificate::<Sim> {
        vote,
        signatures: vec![sig(0), sig(1), sig(9)],
    };
    assert_eq!(
        outsider.verify(&validators, CHAIN_ID, &crypto),
        Err(CertificateError::UnknownSigner)
    );
    let mut forged = ok.clone();
    forged.signatures[2].1 ^= 1;
    assert_eq!(
        forged.verify(&validators, CHAIN_ID, &crypto),
        Err(CertificateError::BadSignature)
    );
    // A certificate of another chain does not verify here.
    assert_eq!(
        ok.verify(&validators, b"other-chain", &crypto),
        Err(CertificateError::BadSignature)
    );
}

#[test]
fn a_new_base_timeout_applies_from_the_next_height() {
    let timer = |actions: &[Action<Sim>]| {
        actions.iter().find_map(|a| match a {
            Action::SetTimer { after_ms, .. } => Some(*after_ms),
            _ => None,
        })
    };
    let validators = ValidatorSet::new(0u16..4).unwrap();
    let mut machine = Machine::new(
        Params::new(CHAIN_ID.to_vec(), 9_000),
        Some(0),
        SimCrypto { me: Some(0) },
        Vec::new(),
    );
    let actions = machine.start_height(1, GENESIS, validators.clone());
    assert_eq!(timer(&actions), Some(9_000));
    machine.set_base_timeout(3_000);
    let actions = machine.start_height(2, [7; 8], validators);
    assert_eq!(timer(&actions), Some(3_000));
    // Later rounds grow from the new base.
    let actions = machine.on_timeout(2, 0);
    assert_eq!(timer(&actions), Some(6_000));
}
