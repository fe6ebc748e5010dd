//! An exhaustive check of the LBFT *protocol rules* (rather than of the
//! machine's code, which `model_check.rs` runs but cannot exhaust beyond
//! small bounds): n = 4 validators, one byzantine, one crash-restart,
//! rounds 0..=3, one height, every interleaving.
//!
//! # Why a model of the rules finishes where the model of the code does not
//!
//! The code-level checker keeps, per honest node, which messages it has
//! received; with a byzantine alphabet of ~40 messages the global states are
//! products of subsets and pass 15 M before round 1. Here, as in the TLA+
//! specifications of Tendermint and Paxos, the network is the *set of
//! messages ever signed*, and an honest step may use any message in that set
//! (plus anything the byzantine validator can sign) at any time. Every
//! delivery order, loss, delay, duplication and partition is a way of
//! choosing which available messages a node uses and when, so this is a
//! superset of all network behaviours; a node's local state shrinks to what
//! it persisted. One height is modelled: every height has its own validator
//! set, records and certificates, and the safety argument is per height.
//!
//! # The model (each step cites the machine function it abstracts)
//!
//! Validators 0, 1, 2 are honest, 3 is byzantine; quorum 3, f = 1. Blocks:
//! the proposer's `X` and the impeach block `E`, which every honest
//! validator builds identically. The round-0 proposer is byzantine. A second
//! proposer block `Y` adds nothing: a P-certificate of round 0 needs two
//! honest PREPAREs, so at most one of X and Y gets one, and a validator that
//! prepared the other is, from then on, one that prepared nothing in round 0
//! (blocks of later rounds are E or a P-certificate's block). The leader of
//! round r ≥ 1 is `(offset + r) mod 4` (`round_leader`); every offset is
//! checked, so the byzantine validator leads round 1, 2, 3 or none of them.
//!
//! An honest validator's state is its record: its round, the block it
//! PREPAREd and COMMITted in each round and the lock each round change
//! claimed. Every signature persists the record before the message leaves
//! (`Action::Persist` before `Broadcast`), and the record is all the rules
//! read, except the lock in memory. Learning a lock is folded into the next
//! round change: a lock learnt and not yet persisted is lost by a crash,
//! which is the same as not having learnt it, and a P-certificate that can
//! be formed stays so. So a round change may claim the persisted lock (the
//! highest earlier claim or COMMIT: a COMMIT of (r, b) is persisted with the
//! lock (r, b) it follows) or any higher one that can be formed.
//!
//! Steps of an honest validator i, in any order, whenever enabled:
//!
//! * **prepare in round 0** X while in round 0 (`on_block_verified`);
//! * **learn a P-certificate** (r, b) that can be formed: honest PREPAREs
//!   signed for (r, b) plus the byzantine one reach a quorum
//!   (`learn_p_certificate`, reached from votes, round changes and
//!   justifications): enter r if later (`advance_to`, signing the round
//!   change), then COMMIT b if r is the current round (RULE S1);
//! * **time out** into the next round (`on_timeout` → `advance_to`): persist
//!   the round and sign ROUND-CHANGE(r, lock);
//! * **jump** to a later round in which f + 1 validators signed something
//!   (`jump_if_ahead`); the byzantine one always counts;
//! * **lead**: as leader of its current round r ≥ 1, PREPARE the highest
//!   lock among any quorum of available round changes of r (`try_propose`),
//!   or E if none claims a lock. Its own round change need not be among
//!   them: a leader restarted after its lock moved past the one its round
//!   change claimed cannot show that round change again;
//! * **follow**: in its current round r ≥ 1, PREPARE the leader's proposal
//!   (`on_proposal` + `try_prepare_proposal`, RULES S2–S4): for an honest
//!   leader, a block it PREPAREd in r; for the byzantine leader, any block
//!   a valid justification exists for: a quorum of distinct signers' round
//!   changes of r (honest ones signed so far, the byzantine one with no lock
//!   or any lock it can prove), all claims below r, no two claims of one
//!   round for different blocks, the proposal the highest claim (with a
//!   formable P-certificate) or E without claims;
//! * **crash-restart** (once in the whole run): the validator keeps its
//!   record (`Machine::new` + `start_height`). Since the state *is* the
//!   record, this is a self-loop here: that is what RULE P buys, and the
//!   planted bugs `RecordNotPersisted` and `LockLostOnRestart` show what a
//!   restart does without it. Whether the code keeps P is checked where the
//!   code runs: `model_check.rs` crashes real machines part-way through
//!   their action lists, and the simulator crashes them right after they
//!   persist a signature.
//!
//! Signing obeys RULE S5 from the record: nothing below the current round,
//! one block per (round, phase), one round change per round.
//!
//! Deciding is not modelled as a stop: a node that decides only stops
//! acting, a subset of what it may do here. Instead the property is global:
//!
//! * **agreement**: C-certificates (honest COMMITs plus the byzantine one
//!   reach a quorum) never exist for two different blocks, in any rounds.
//!   This covers every node, followers included, since a node finalizes
//!   only with a C-certificate;
//! * **no honest double-sign**: no honest validator signs two blocks in one
//!   (round, phase) or two round changes in one round.
//!
//! Each planted bug (a rule of the proof dropped) produces a violation, so
//! the model and the checker can fail.
//!
//! # The search
//!
//! Breadth-first over states, each remembered by a 128-bit fingerprint. A
//! validator's signatures in rounds it has left matter to the future only
//! through the number of signatures per (round, phase, block), the claims
//! per round, its own lock and the round leader's proposal, so states that
//! agree on those are one (`State::fingerprint`); a test checks on rounds
//! 0..=2 that this reaches exactly the network contents the plain search
//! reaches.
//!
//! `tests/byzantine_schedules.rs` closes the loop between these rules and
//! the code: its simulator checks every signature an honest [`Machine`]
//! persists against the same guards (`tests/sim/conformance.rs`).

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::time::Instant;

const HONEST: usize = 3;
const QUORUM: u32 = 3;
/// The byzantine validator's index; it signs anything, so it adds one
/// signature to every certificate and round-change quorum.
const BYZANTINE: usize = 3;
const ROUNDS: usize = 4;
/// Blocks: 0 = X (the proposer's), 1 = E (the impeach block).
const BLOCKS: usize = 2;
const E: u8 = 1;

/// A lock or a claimed lock: 0 = none, otherwise 1 + round × BLOCKS + block.
type Lock = u8;

fn lock_of(round: usize, block: u8) -> Lock {
    1 + (round * BLOCKS) as u8 + block
}

fn lock_round(lock: Lock) -> Option<usize> {
    (lock != 0).then(|| (lock as usize - 1) / BLOCKS)
}

fn lock_block(lock: Lock) -> u8 {
    (lock - 1) % BLOCKS as u8
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Honest {
    round: u8,
    /// Per round: 0 = nothing signed, else 1 + block.
    prepared: [u8; ROUNDS],
    committed: [u8; ROUNDS],
    /// Per round: 0 = no round change, else 1 + the claimed lock.
    round_change: [u8; ROUNDS],
    /// Planted bug [`Bug::LockLostOnRestart`] only: restarted, and the
    /// locks of its COMMITs were not in the record.
    lost_commit_locks: bool,
}

impl Honest {
    /// The lock as persisted: the highest of the locks its round changes
    /// claimed and of the P-certificates its COMMITs were for (a COMMIT of
    /// (r, b) follows learning that certificate, and the record is persisted
    /// with the lock before the COMMIT leaves).
    fn lock(&self) -> Lock {
        let mut lock = 0;
        for r in 0..ROUNDS {
            if self.round_change[r] > 1 {
                let claimed = self.round_change[r] - 1;
                if lock_round(lock) < lock_round(claimed) {
                    lock = claimed;
                }
            }
            if self.committed[r] != 0 && lock_round(lock) < Some(r) && !self.lost_commit_locks {
                lock = lock_of(r, self.committed[r] - 1);
            }
        }
        lock
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct State {
    nodes: [Honest; HONEST],
    /// Honest signers (bitmask) of PREPARE and COMMIT per (round, block):
    /// every message ever signed, whatever records later say.
    prepares: [[u8; BLOCKS]; ROUNDS],
    commits: [[u8; BLOCKS]; ROUNDS],
    /// Per (round, honest signer): the claimed locks signed (bitmask).
    round_changes: [[u16; HONEST]; ROUNDS],
    crashes_left: u8,
}

/// A rule of the protocol switched off, to show the check can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    None,
    /// A restart forgets the record (the glue drops `Persist`).
    RecordNotPersisted,
    /// A restart keeps the signatures but not the lock that justified a
    /// COMMIT (the lock persisted only with the next round change).
    LockLostOnRestart,
    /// Round changes never claim a lock.
    NoLockClaimed,
    /// A follower accepts the byzantine leader's proposal of any claimed
    /// lock, not only the highest one (S4 weakened).
    AnyClaimAccepted,
    /// COMMIT for a P-certificate of an earlier round (S1 dropped).
    CommitInEarlierRound,
    /// Certificates of f + 1 instead of a quorum (the reference's impeach
    /// rule).
    SmallCertificates,
}

#[derive(Clone, Copy, Debug)]
struct Config {
    /// The leader of round r ≥ 1 is `(offset + r) % 4`.
    offset: usize,
    crashes: u8,
    max_round: usize,
    bug: Bug,
}

impl Config {
    fn leader(&self, round: usize) -> usize {
        (self.offset + round) % (HONEST + 1)
    }

    fn quorum(&self) -> u32 {
        if self.bug == Bug::SmallCertificates {
            2
        } else {
            QUORUM
        }
    }
}

impl State {
    fn p_certificate(&self, config: &Config, round: usize, block: u8) -> bool {
        self.prepares[round][block as usize].count_ones() + 1 >= config.quorum()
    }

    fn c_certificate(&self, config: &Config, round: usize, block: u8) -> bool {
        self.commits[round][block as usize].count_ones() + 1 >= config.quorum()
    }

    /// Locks with a formable P-certificate, of rounds in `from..below`.
    fn provable_locks(&self, config: &Config, from: usize, below: usize) -> Vec<Lock> {
        let mut locks = Vec::new();
        for r in from..below {
            for b in 0..BLOCKS as u8 {
                if self.p_certificate(config, r, b) {
                    locks.push(lock_of(r, b));
                }
            }
        }
        locks
    }

    /// Blocks a justification of `round` can be made for, from a quorum of
    /// distinct signers' round changes: honest ones signed so far and the
    /// byzantine one (no lock or any it can prove).
    fn justifiable(&self, config: &Config, round: usize, any_claim: bool) -> Vec<u8> {
        // Per signer: the options, `None` = not counted.
        let mut options: Vec<Vec<Option<Lock>>> = Vec::new();
        for j in 0..HONEST {
            let mut mine: Vec<Option<Lock>> = vec![None];
            let signed = self.round_changes[round][j];
            for lock in 0..16u8 {
                if signed & (1 << lock) != 0 {
                    mine.push(Some(lock));
                }
            }
            options.push(mine);
        }
        let mut byzantine: Vec<Option<Lock>> = vec![None, Some(0)];
        byzantine.extend(self.provable_locks(config, 0, round).into_iter().map(Some));
        options.push(byzantine);

        let mut blocks = Vec::new();
        let mut choice = [0usize; HONEST + 1];
        loop {
            let picked: Vec<Lock> = (0..=HONEST).filter_map(|j| options[j][choice[j]]).collect();
            if picked.len() as u32 >= config.quorum() {
                let claims: Vec<Lock> = picked.iter().copied().filter(|l| *l != 0).collect();
                let valid = claims.iter().all(|l| lock_round(*l) < Some(round))
                    && !claims.iter().any(|a| {
                        claims
                            .iter()
                            .any(|b| lock_round(*a) == lock_round(*b) && a != b)
                    });
                if valid {
                    match claims.iter().max_by_key(|l| lock_round(**l)) {
                        None => blocks.push(E),
                        Some(highest) => {
                            let allowed: Vec<Lock> = if any_claim {
                                claims.clone()
                            } else {
                                vec![*highest]
                            };
                            for lock in allowed {
                                let r = lock_round(lock).unwrap_or_default();
                                if self.p_certificate(config, r, lock_block(lock)) {
                                    blocks.push(lock_block(lock));
                                }
                            }
                        }
                    }
                }
            }
            // Next combination.
            let mut j = 0;
            loop {
                if j > HONEST {
                    blocks.sort();
                    blocks.dedup();
                    return blocks;
                }
                choice[j] += 1;
                if choice[j] < options[j].len() {
                    break;
                }
                choice[j] = 0;
                j += 1;
            }
        }
    }

    /// RULE S5 and `sign_and_send`: signs unless below the round or another
    /// block is recorded.
    fn sign_vote(&mut self, config: &Config, i: usize, round: usize, commit: bool, block: u8) {
        let node = &mut self.nodes[i];
        let below_round = round < node.round as usize;
        if below_round && !(commit && config.bug == Bug::CommitInEarlierRound) {
            return;
        }
        let slot = if commit {
            &mut node.committed[round]
        } else {
            &mut node.prepared[round]
        };
        if *slot != 0 {
            return;
        }
        *slot = 1 + block;
        let sent = if commit {
            &mut self.commits[round][block as usize]
        } else {
            &mut self.prepares[round][block as usize]
        };
        *sent |= 1 << i;
    }

    /// The locks validator i may claim when it enters `round`: the one it
    /// persisted, or any higher one it may have learnt since (any
    /// P-certificate that can be formed: the byzantine validator can show it
    /// any of them). Learning is folded into the next signature: a lock
    /// learnt and not yet persisted is lost by a crash, which is the same as
    /// not having learnt it, and a certificate that can be formed stays so.
    fn claims(&self, config: &Config, i: usize, round: usize) -> Vec<Lock> {
        if config.bug == Bug::NoLockClaimed {
            return vec![0];
        }
        let lock = self.nodes[i].lock();
        let from = lock_round(lock).map_or(0, |r| r + 1);
        let mut claims = vec![lock];
        claims.extend(self.provable_locks(config, from, round));
        claims
    }

    /// `advance_to` + `sign_round_change`, with each lock it may claim.
    fn advance(&self, config: &Config, i: usize, round: usize) -> Vec<State> {
        if round <= self.nodes[i].round as usize {
            return Vec::new();
        }
        let recorded = self.nodes[i].round_change[round];
        let claims = if recorded != 0 {
            vec![recorded - 1]
        } else {
            self.claims(config, i, round)
        };
        claims
            .into_iter()
            .map(|claim| {
                let mut next = *self;
                let node = &mut next.nodes[i];
                node.round = round as u8;
                node.round_change[round] = 1 + claim;
                next.round_changes[round][i] |= 1 << claim;
                next
            })
            .collect()
    }

    /// The blocks a quorum of round changes of `round` justifies, as
    /// [`State::justifiable`] finds them by trying every quorum, computed
    /// directly: the block of a lock L = (q, b) with a P-certificate that
    /// can be formed is justified if a quorum of signers can claim nothing,
    /// a lock below q, or L itself (the byzantine validator claims L); the
    /// impeach block if a quorum can claim nothing.
    fn justified_blocks(&self, config: &Config, round: usize) -> Vec<u8> {
        let admitted = |admit: &dyn Fn(Lock) -> bool| {
            let can = |j: usize| {
                let claims = self.round_changes[round][j];
                (0..16u8).any(|c| claims & (1 << c) != 0 && admit(c))
            };
            (0..HONEST).filter(|&j| can(j)).count() as u32 + 1 >= config.quorum()
        };
        let mut blocks = Vec::new();
        if admitted(&|claim| claim == 0) {
            blocks.push(E);
        }
        for b in 0..BLOCKS as u8 {
            let justified = (0..round).any(|q| {
                self.p_certificate(config, q, b)
                    && admitted(&|claim| {
                        claim == 0 || lock_round(claim) < Some(q) || claim == lock_of(q, b)
                    })
            });
            if justified && !blocks.contains(&b) {
                blocks.push(b);
            }
        }
        blocks.sort();
        blocks
    }

    /// What the future of this state depends on, for deduplication. Once a
    /// validator has left a round, who signed what there matters only
    /// through the counts (certificates need a number of signatures), its
    /// own lock (kept), and the round leader's proposal (kept); its slot of
    /// the current round stays whole, since RULE S5 reads it. Only without
    /// planted bugs: some of them sign in rounds already left.
    fn fingerprint(&self, config: &Config) -> u128 {
        if config.bug != Bug::None {
            return fingerprint(self);
        }
        let mut key: Vec<u8> = Vec::with_capacity(64);
        for node in &self.nodes {
            let r = node.round as usize;
            key.extend([
                node.round,
                node.lock(),
                node.prepared[r],
                node.committed[r],
                node.round_change[r],
            ]);
        }
        for r in 0..ROUNDS {
            for b in 0..BLOCKS {
                key.push(self.prepares[r][b].count_ones() as u8);
                key.push(self.commits[r][b].count_ones() as u8);
            }
            let mut claims = [0u8; 16];
            for signed in self.round_changes[r] {
                for (c, count) in claims.iter_mut().enumerate() {
                    if signed & (1 << c) != 0 {
                        *count += 1;
                    }
                }
            }
            key.extend(claims);
            let leader = config.leader(r);
            if r >= 1 && leader != BYZANTINE {
                key.push(self.nodes[leader].prepared[r]);
            }
        }
        key.push(self.crashes_left);
        fingerprint(&key)
    }

    fn successors(&self, config: &Config, out: &mut Vec<State>) {
        for i in 0..HONEST {
            let node = self.nodes[i];
            let round = node.round as usize;
            let mut push = |next: State| {
                if next != *self {
                    out.push(next);
                }
            };

            if round == 0 {
                let mut next = *self;
                next.sign_vote(config, i, 0, false, 0);
                push(next);
            }
            // `learn_p_certificate`: enter a later round first, then
            // COMMIT in the current one (RULE S1).
            for r in 0..=config.max_round {
                for b in 0..BLOCKS as u8 {
                    if !self.p_certificate(config, r, b) {
                        continue;
                    }
                    if r > round {
                        for mut next in self.advance(config, i, r) {
                            next.sign_vote(config, i, r, true, b);
                            push(next);
                        }
                    } else if r == round || config.bug == Bug::CommitInEarlierRound {
                        let mut next = *self;
                        next.sign_vote(config, i, r, true, b);
                        push(next);
                    }
                }
            }
            // `on_timeout`, and `jump_if_ahead`: f + 1 validators signed
            // something in a later round (the byzantine one always counts).
            for r in round + 1..=config.max_round {
                let others = (0..HONEST)
                    .filter(|&j| j != i && self.nodes[j].round_change[r] != 0)
                    .count();
                if r == round + 1 || others + 1 > 1 {
                    for next in self.advance(config, i, r) {
                        push(next);
                    }
                }
            }
            if round >= 1 && node.prepared[round] == 0 {
                let leader = config.leader(round);
                // The leader justifies its proposal with any quorum of round
                // changes, not necessarily with its own: restarted after its
                // lock moved past the one its round change claims, it cannot
                // show that round change again (`sign_round_change`).
                let blocks: Vec<u8> = if leader == BYZANTINE && config.bug == Bug::AnyClaimAccepted
                {
                    self.justifiable(config, round, true)
                } else if leader == i || leader == BYZANTINE {
                    self.justified_blocks(config, round)
                } else {
                    (0..BLOCKS as u8)
                        .filter(|b| self.prepares[round][*b as usize] & (1 << leader) != 0)
                        .collect()
                };
                for block in blocks {
                    let mut next = *self;
                    next.sign_vote(config, i, round, false, block);
                    push(next);
                }
            }
            // A crash-restart keeps exactly the record (RULE P): with every
            // lock folded into the record, it changes nothing here, which is
            // the point of P. Without P it loses the record, but not the
            // messages already sent.
            if self.crashes_left > 0 && config.bug == Bug::RecordNotPersisted {
                let mut next = *self;
                next.crashes_left -= 1;
                next.nodes[i] = Honest::default();
                push(next);
            }
            if self.crashes_left > 0 && config.bug == Bug::LockLostOnRestart {
                let mut next = *self;
                next.crashes_left -= 1;
                next.nodes[i].lost_commit_locks = true;
                push(next);
            }
        }
    }

    fn violation(&self, config: &Config) -> Option<String> {
        for r in 0..ROUNDS {
            for (phase, sent) in [("PREPARE", &self.prepares[r]), ("COMMIT", &self.commits[r])] {
                for a in 0..BLOCKS {
                    for b in a + 1..BLOCKS {
                        if sent[a] & sent[b] != 0 {
                            return Some(format!(
                                "an honest validator signed two {phase}s in round {r}"
                            ));
                        }
                    }
                }
            }
            for (i, claims) in self.round_changes[r].iter().enumerate() {
                if claims.count_ones() > 1 {
                    return Some(format!("honest {i} signed two round changes in round {r}"));
                }
            }
        }
        let mut final_blocks = Vec::new();
        for r in 0..ROUNDS {
            for b in 0..BLOCKS as u8 {
                if self.c_certificate(config, r, b) {
                    final_blocks.push((r, b));
                }
            }
        }
        if let Some((r, b)) = final_blocks.first() {
            if let Some((r2, b2)) = final_blocks.iter().find(|(_, b2)| b2 != b) {
                return Some(format!(
                    "C-certificates for block {b} in round {r} and block {b2} in round {r2}"
                ));
            }
        }
        None
    }
}

struct Outcome {
    states: usize,
    transitions: u64,
    violation: Option<(String, State)>,
}

/// A 128-bit fingerprint of a state (as TLC keeps): two independent
/// 64-bit multiply-xorshift hashes of its bytes. At 10^9 states the chance
/// of any collision is below 10^-20.
fn fingerprint(state: &impl Hash) -> u128 {
    struct Fingerprint(u64, u64);
    impl Hasher for Fingerprint {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for &byte in bytes {
                self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
                self.1 = (self.1 ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                self.1 ^= self.1 >> 29;
            }
        }
    }
    let mut hasher = Fingerprint(0xcbf2_9ce4_8422_2325, 0x2545_f491_4f6c_dd1d);
    state.hash(&mut hasher);
    let mix = |mut x: u64| {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    };
    (u128::from(mix(hasher.0)) << 64) | u128::from(mix(hasher.1))
}

/// Hashes a fingerprint by its low bits: it is random already.
#[derive(Default)]
struct LowBits(u64);

impl Hasher for LowBits {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u128 fingerprints are hashed")
    }
    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

/// Explores every state reachable from the start (breadth-first, so that a
/// violation is found by a shortest run; each state once, remembered by
/// fingerprint) and checks the properties in each.
fn check(config: Config) -> Outcome {
    explore(config, true, &mut |_| {})
}

/// [`check`], with or without the reduction of [`State::fingerprint`],
/// calling `visit` on each state explored.
fn explore(config: Config, reduce: bool, visit: &mut dyn FnMut(&State)) -> Outcome {
    let key = |state: &State| {
        if reduce {
            state.fingerprint(&config)
        } else {
            fingerprint(state)
        }
    };
    let start = State {
        crashes_left: config.crashes,
        ..State::default()
    };
    let mut seen: HashSet<u128, BuildHasherDefault<LowBits>> = HashSet::default();
    seen.insert(key(&start));
    let mut queue = VecDeque::from([start]);
    let mut transitions = 0u64;
    let mut next = Vec::new();
    while let Some(state) = queue.pop_front() {
        visit(&state);
        if let Some(what) = state.violation(&config) {
            return Outcome {
                states: seen.len(),
                transitions,
                violation: Some((what, state)),
            };
        }
        next.clear();
        state.successors(&config, &mut next);
        for successor in next.drain(..) {
            transitions += 1;
            if seen.insert(key(&successor)) {
                queue.push_back(successor);
            }
        }
    }
    Outcome {
        states: seen.len(),
        transitions,
        violation: None,
    }
}

fn config(offset: usize, max_round: usize, bug: Bug) -> Config {
    Config {
        offset,
        crashes: 1,
        max_round,
        bug,
    }
}

fn no_violation_for_every_leader_order(max_round: usize) {
    for offset in 0..4 {
        let config = config(offset, max_round, Bug::None);
        let started = Instant::now();
        let outcome = check(config);
        println!(
            "rounds 0..={max_round}, leaders of rounds 1..={max_round}: {:?} (3 = byzantine): \
             {} states, {} transitions, {:.1} s",
            (1..=max_round)
                .map(|r| config.leader(r))
                .collect::<Vec<_>>(),
            outcome.states,
            outcome.transitions,
            started.elapsed().as_secs_f64()
        );
        if let Some((what, state)) = outcome.violation {
            panic!("{what} in {state:#?}");
        }
    }
}

#[test]
fn no_fork_and_no_double_sign_in_rounds_up_to_2() {
    no_violation_for_every_leader_order(2);
}

/// The full configuration (rounds 0..=3, every leader order): about three
/// minutes, so outside the test suite. Run it with
/// `cargo test --release -p cpchain-lbft --test protocol_model -- --ignored --nocapture`.
#[test]
#[ignore]
fn no_fork_and_no_double_sign_in_rounds_up_to_3() {
    no_violation_for_every_leader_order(3);
}

/// What a state shows the rest of the world: how many honest signatures
/// each (round, phase, block) has and which locks the round changes of
/// each round claim, how often.
fn observable(state: &State) -> Vec<u32> {
    let mut seen = Vec::new();
    for r in 0..ROUNDS {
        for b in 0..BLOCKS {
            seen.push(state.prepares[r][b].count_ones());
            seen.push(state.commits[r][b].count_ones());
        }
        for c in 0..16 {
            seen.push(
                (0..HONEST)
                    .filter(|&j| state.round_changes[r][j] & (1 << c) != 0)
                    .count() as u32,
            );
        }
    }
    seen
}

/// The reduction of [`State::fingerprint`] loses no behaviour: with and
/// without it, the search reaches exactly the same observable contents of
/// the network. Also checks, in every state, that the direct computation of
/// justified blocks agrees with trying every quorum.
#[test]
fn the_reduction_reaches_what_the_plain_search_reaches() {
    for offset in [0, 2] {
        let config = config(offset, 2, Bug::None);
        let mut reduced = HashSet::new();
        let with = explore(config, true, &mut |state| {
            reduced.insert(observable(state));
        });
        let mut plain = HashSet::new();
        let without = explore(config, false, &mut |state| {
            plain.insert(observable(state));
            for round in 1..=config.max_round {
                assert_eq!(
                    state.justified_blocks(&config, round),
                    state.justifiable(&config, round, false),
                    "{state:?}"
                );
            }
        });
        assert!(with.violation.is_none() && without.violation.is_none());
        println!(
            "offset {offset}: {} observable contents; {} states with the reduction, {} without",
            plain.len(),
            with.states,
            without.states
        );
        assert_eq!(reduced, plain);
        assert!(with.states < without.states);
    }
}

fn assert_caught(bug: Bug) {
    let found = [2, 3].into_iter().find_map(|max_round| {
        (0..4).find_map(|offset| {
            let outcome = check(config(offset, max_round, bug));
            outcome
                .violation
                .map(|v| (max_round, offset, outcome.states, v.0))
        })
    });
    let Some((max_round, offset, states, what)) = found else {
        panic!("{bug:?} was not caught");
    };
    println!(
        "{bug:?} caught in rounds 0..={max_round}, offset {offset}, after {states} states: {what}"
    );
}

#[test]
fn a_restart_that_forgets_the_record_is_caught() {
    assert_caught(Bug::RecordNotPersisted);
}

#[test]
fn a_restart_that_loses_the_lock_of_a_commit_is_caught() {
    assert_caught(Bug::LockLostOnRestart);
}

#[test]
fn round_changes_without_locks_are_caught() {
    assert_caught(Bug::NoLockClaimed);
}

#[test]
fn accepting_a_lower_claim_is_caught() {
    assert_caught(Bug::AnyClaimAccepted);
}

#[test]
fn committing_in_an_earlier_round_is_caught() {
    assert_caught(Bug::CommitInEarlierRound);
}

#[test]
fn certificates_of_f_plus_one_are_caught() {
    assert_caught(Bug::SmallCertificates);
}
