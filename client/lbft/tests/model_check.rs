//! An exhaustive explicit-state model checker for the LBFT state machine.
//!
//! # The model
//!
//! * n = 4 validators 0..4 (f = 1, quorum 3). Validator 0 is byzantine;
//!   1, 2 and 3 are honest and run real [`Machine`]s, driven exactly as the
//!   glue would: every [`Action`] is executed in order (`Persist` writes the
//!   node's durable record of the height, `Broadcast` puts the message on the
//!   network, `BuildImpeachBlock` is answered at once with
//!   [`impeach_block`], `Finalize` is recorded and, in the two-height
//!   configuration, followed by `start_height` of the next height on the
//!   finalized block). Timers are not simulated: a timeout is a step.
//! * Heights 1 (and 1..=2 in the two-height configuration); rounds
//!   0..=`max_round` (a node in `max_round` does not time out further).
//! * Candidate blocks at a height with parent `p`: the proposer's block
//!   `X = proposal(h, p)` and the impeach block `E = impeach_block(h, p)`.
//!
//! Nondeterministic steps from every state, for every honest node that has
//! not finalized its last modelled height:
//!
//! * **deliver** any message on the network (honest broadcasts and the
//!   byzantine alphabet below) to it. The network is asynchronous: any
//!   order, any delay, loss (a message never delivered is covered by the
//!   prefixes of every run). It may also *duplicate*: a message can be
//!   delivered again, since the byzantine validator can replay anything it
//!   has seen. This is a superset of "deliver each message at most once"
//!   and lets the state omit per-node delivered sets (a re-delivery that
//!   changes nothing is a self-loop, removed by deduplication);
//! * **timeout** in its current round if that is below `max_round`;
//! * **verify** the proposer's block `X` of its height (`on_block_verified`,
//!   once per node and per (re)start);
//! * **crash-restart** (at most `crashes` times in the whole run, of any
//!   one honest node each time): the node loses everything but the records
//!   it persisted and restarts with `Machine::new(records)` +
//!   `start_height`. A crash can also hit *in the middle* of a step's action
//!   list, just before any of its `Persist` actions after the first: the
//!   actions before it (broadcasts included) happened, the rest did not.
//!
//! # The byzantine validator
//!
//! It sees every honest message as soon as it is sent, and makes available
//! to every honest node every message it can construct from that knowledge,
//! bounded to the candidate blocks {X, E} and the modelled rounds:
//!
//! * its own PREPARE and COMMIT for every round 0..=`max_round` and both
//!   blocks (plain, without a justification);
//! * its round change for every round 1..=`max_round`, with no lock or with
//!   any lock (r' < r, block) it holds a P-certificate for (honest PREPAREs
//!   it has seen plus its own);
//! * as round leader (at height 1, validator 0 leads round 3; at height 2,
//!   round 2), proposals justified by a quorum of round changes of that
//!   round: honest ones it has seen plus its own with any lock it can prove.
//!   A receiver keeps of a justification only whether it verifies, its
//!   highest lock's certificate and the block, so one proposal per
//!   (block, highest lock) is generated: a lock-free one for X and for E if
//!   two honest round changes without a lock exist, and one for each lock
//!   (r', B) it has a P-certificate for if two honest round changes with
//!   locks no higher (and not conflicting) exist;
//! * VALIDATE with every C-certificate it can complete (honest COMMITs it
//!   has seen plus its own).
//!
//! The bound: certificates it builds use one canonical signer set (itself
//! and the two lowest honest signers it has seen); other signer sets of the
//! same vote only differ in bytes the receivers store, not in what they do.
//! It neither proposes other blocks, nor signs rounds above `max_round`
//! (one validator alone cannot make anyone jump there: that takes f + 1),
//! nor plays a round-0 proposer sending two blocks. These bounds keep the
//! alphabet finite (at most ~40 byzantine messages per height), and the
//! round bound with the crash budget makes the state space finite.
//!
//! # The state and its deduplication
//!
//! A state is the honest machines (their [`Machine::fingerprint`]), their
//! persisted records, verified flags, heights and finalized blocks, the set
//! of honest messages on the network (interned; the byzantine alphabet is a
//! function of it) and the remaining crash budget, hashed to 128 bits.
//!
//! # The properties, checked in every state
//!
//! * no two different blocks finalized (`Action::Finalize`) by honest nodes
//!   at one height;
//! * no two different blocks with a formable C-certificate (the honest
//!   COMMITs on the network plus the byzantine one) at one height;
//! * no honest node signs two different blocks for one (height, round,
//!   phase), across its restart, nor two different round changes for one
//!   (height, round).
//!
//! # Reduction: irreducible macro steps
//!
//! Call a step of a node *silent* in a state if it sends no message that
//! is not already on the network, finalizes nothing and uses no crash
//! budget (crashes, crash points and timeouts that move a round always
//! send or use budget, so they are visible); otherwise *visible*. A silent
//! step changes only its node's local state. The reduced search (`reduction:
//! true`) takes *macro steps*: for one node, a shortest sequence of silent
//! steps (breadth-first over its local states, the network fixed) to some
//! local state `L'`, then one visible step `v` from `L'` — and it leaves
//! out a macro step that is *reducible*: some silent step `s` from a
//! predecessor `L''` of `L'` on a shortest silent path (`L'' -s-> L'`) such
//! that `v` taken from `L''` is still visible (with the same crash point)
//! and `s` taken after it is still silent (and enabled) and ends in the
//! same global state. The states are checked after every macro step.
//!
//! Why no violation is lost. The properties read only the network, the
//! finalized blocks and the crash budget, and none of them changes in a
//! silent step. Take any run to a violating state.
//! 1. A silent step of node i commutes with the next step of another node
//!    j: it changes nothing j's step reads (the network only grows, so a
//!    delivery stays enabled; steps are deterministic in the node's local
//!    state and input) and stays silent after it (its messages are still on
//!    the network). So every silent step can be moved right, up to the next
//!    step of its own node; silent steps after a node's last visible step
//!    are dropped (only that node's local state differs at the end, which
//!    no property reads). The run becomes a sequence of per-node blocks
//!    "silent steps, then one visible step", each contiguous, so the
//!    network is fixed during its silent part; any silent path to the same
//!    local state can replace it, in particular a shortest one.
//! 2. If a block is reducible, replace `..., L'' -s-> L', v` by
//!    `..., L'', v, s`: the same global state after it, `s` silent there,
//!    so `s` joins the node's next block (or is dropped at the end). The
//!    vector of that node's block lengths decreases lexicographically
//!    (this block is one shorter, the earlier ones unchanged, the number of
//!    blocks unchanged as `v` stays visible and `s` silent), so repeating
//!    this terminates, with every block irreducible.
//! The result is a run of the reduced search ending in a state that agrees
//! with the violating one on everything the properties read. The converse
//! holds too (a macro step is a sequence of real steps), so both searches
//! reach exactly the same (network, finalized, crash budget) triples:
//! `model_check_reduction_is_exact` checks this on small configurations
//! (`model_check_custom` with LBFT_MC_COMPARE=1 on any).
//!
//! This is not a partial-order reduction of the interleavings of different
//! nodes (persistent sets of one node are unsound here: any node's step
//! can enable a delivery to any other), but it removes the states where a
//! node merely stored messages nobody has reacted to yet.
//!
//! # Configurations and figures (2-core machine, release build)
//!
//! * `model_check_round_zero_silent_byzantine` (default): height 1, round 0
//!   only, validator 0 silent, one crash-restart with crash points.
//!   Exhaustive: 752 states, 2,097 macro transitions, depth 9, 0.02 s
//!   (without the reduction 6,646 states, 87,677 transitions).
//! * `model_check_reduction_is_exact` (default): the same configuration
//!   with and without the reduction; both reach the same 44 triples.
//!   Rounds 0..=1, validator 0 silent, no crash (LBFT_MC_COMPARE=1): both
//!   reach the same 527 triples; 14,459,692 states, 306.6 M transitions,
//!   137 s without the reduction, 2,181,517 states, 15.7 M transitions,
//!   74 s with it.
//! * `model_check_full_model_depth_4` (default): the full model without the
//!   reduction, every run of at most 4 single steps: 685,639 states,
//!   2.9 M transitions, 2.7 s. Exhaustive up to that depth only.
//! * `model_check_full_model`, `model_check_two_heights` (ignored): the
//!   issue's configuration (height 1, rounds 0..=3, full byzantine
//!   alphabet, one crash with crash points) and heights 1..=2 with rounds
//!   0..=1, with the reduction. **Neither completes**: with the reduction,
//!   round 0 alone with the full byzantine alphabet and one crash passes
//!   15 M states (40 M transitions) in 147 s, rounds 0..=1 with no crash
//!   1.4 M states in 117 s, still growing. Each node's local states are
//!   essentially the subsets of the byzantine alphabet it received, and
//!   the global states their products.
//! * `model_check_custom` (ignored): any bounds from the environment
//!   (LBFT_MC_ROUNDS, _CRASHES, _CRASH_POINTS, _HEIGHTS, _BYZANTINE 0 silent
//!   / 1 no plain COMMITs / 2 full, _REDUCTION 0/1, _DROP_PERSIST 0/1,
//!   _COMPARE 0/1, _DEPTH, _MAX_STATES, _PROGRESS, _REPORT_EVERY).
//!
//! Planted bugs the reduced search finds (rounds 0..=1, validator 0
//! silent): the glue dropping every `Persist` with one crash
//! (LBFT_MC_DROP_PERSIST=1: node 3 signs two round changes for round 1,
//! 15,090 states, 0.16 s), and a machine that never takes a lock in
//! `learn_p_certificate` (no crash: C-certificates formable for X in round
//! 0 and E in round 1, 88,304 states, 1.3 s).
//!
//!   cd /work/main && CARGO_TARGET_DIR=/tmp/lbft-mc-target cargo test --release \
//!     -p cpchain-lbft --test model_check -- --nocapture

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, Hash as _, Hasher};
use std::rc::Rc;
use std::time::Instant;

use common::*;
use cpchain_lbft::*;

const BYZANTINE: u16 = 0;
const HONEST: [u16; 3] = [1, 2, 3];

#[derive(Clone, Copy, Debug)]
struct Bounds {
    name: &'static str,
    /// Heights 1..=heights are modelled.
    heights: Height,
    /// A node in this round does not time out further.
    max_round: Round,
    /// Crash-restarts in a whole run.
    crashes: u8,
    /// Whether a crash may hit between the actions of one step.
    crash_points: bool,
    /// Fault injection in the glue: drop every `Persist`.
    drop_persist: bool,
    /// What the byzantine validator sends.
    byzantine: Byzantine,
    /// Explore macro steps (silent steps fused into the next visible
    /// one) instead of single node steps.
    reduction: bool,
    /// Explore only runs of at most this many steps (u32::MAX: all).
    max_depth: u32,
    /// Give up (and fail) beyond this many states.
    max_states: usize,
}

/// How much of the byzantine alphabet (module documentation) is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Byzantine {
    /// Everything it can construct.
    Full,
    /// Everything but its plain COMMIT votes (VALIDATE of what it can
    /// complete is kept).
    NoCommits,
    /// Nothing: validator 0 is merely crashed.
    Silent,
}

type M = Machine<Sim, SimCrypto>;

/// One honest node's local state: what survives in it and on its disk.
#[derive(Clone)]
struct Node {
    id: u16,
    machine: M,
    records: BTreeMap<Height, HeightRecord<Sim>>,
    /// The height the machine decides.
    height: Height,
    parent: Hash,
    /// Whether X of `height` was verified since the height (re)started.
    verified: bool,
    /// Every Finalize, per height.
    finalized: BTreeMap<Height, BTreeSet<Hash>>,
}

impl Node {
    fn fingerprint(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.machine.fingerprint().hash(&mut h);
        format!("{:?}", self.records).hash(&mut h);
        (self.height, self.parent, self.verified, &self.finalized).hash(&mut h);
        h.finish()
    }

    fn done(&self, bounds: &Bounds) -> bool {
        self.finalized.contains_key(&bounds.heights)
    }
}

/// A step of one node, its input named by interned message.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Step {
    Verify,
    Timeout,
    Deliver(u32),
    Crash,
}

/// What a step of one node leads to.
struct Outcome {
    node: u32,
    sent: Vec<u32>,
    /// A crash just before the step's k-th `Persist` (counting from 0).
    crash_point: Option<usize>,
    uses_crash: bool,
}

/// One node step of a run, for the report of a violation.
#[derive(Clone)]
struct TraceStep {
    who: u16,
    step: Step,
    from_round: Option<Round>,
    crash_point: Option<usize>,
}

/// A run, as a linked list of transitions (each one node step or, with the
/// reduction, one macro step: a node's silent steps and its visible one).
struct Trace {
    steps: Vec<TraceStep>,
    prev: Option<Rc<Trace>>,
}

/// A global state: the honest nodes (indices into the node arena), the
/// honest messages on the network (a bit set of interned messages) and the
/// crash budget left.
#[derive(Clone, PartialEq, Eq, Hash)]
struct State {
    nodes: [u32; 3],
    pool: Vec<u64>,
    crashes_left: u8,
}

fn bits(set: &[u64]) -> impl Iterator<Item = u32> + '_ {
    set.iter().enumerate().flat_map(|(w, word)| {
        (0..64)
            .filter(move |b| word >> b & 1 == 1)
            .map(move |b| (w * 64 + b) as u32)
    })
}

fn set_bit(set: &mut Vec<u64>, id: u32) {
    let w = id as usize / 64;
    if set.len() <= w {
        set.resize(w + 1, 0);
    }
    set[w] |= 1 << (id % 64);
}

#[derive(Default)]
struct Interner {
    messages: Vec<(u16, Message<Sim>)>,
    /// A hash of each message's text, the same in every run.
    stable: Vec<u64>,
    index: HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, sender: u16, message: Message<Sim>) -> u32 {
        let key = format!("{message:?}");
        if let Some(id) = self.index.get(&key) {
            return *id;
        }
        let id = self.messages.len() as u32;
        self.messages.push((sender, message));
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        self.stable.push(h.finish());
        self.index.insert(key, id);
        id
    }
}

#[derive(Debug, Default)]
struct Stats {
    states: usize,
    transitions: usize,
    max_depth: u32,
    local_states: usize,
    messages: usize,
    seconds: f64,
}

struct Checker {
    bounds: Bounds,
    params: Params,
    validators: ValidatorSet<u16>,
    interner: Interner,
    /// Every local state of a node met so far, by fingerprint.
    arena: Vec<Node>,
    arena_index: HashMap<u64, u32>,
    /// Node steps are deterministic: each is computed once.
    steps: HashMap<(u32, Step), Rc<Vec<Outcome>>>,
    byzantine: HashMap<(Vec<u64>, Vec<(Height, Hash)>), Rc<Vec<u32>>>,
    pool_checks: HashMap<Vec<u64>, Option<String>>,
    /// If kept: what the properties see of every state explored (the
    /// network, the finalized blocks and the crash budget), hashed.
    projections: Option<std::collections::HashSet<u128>>,
    keys: (
        std::collections::hash_map::RandomState,
        std::collections::hash_map::RandomState,
    ),
}

/// Where a crash hits an action list.
struct CrashAt {
    at: Option<usize>,
    seen: usize,
}

fn name(hash: &Hash) -> String {
    if *hash == proposal(1, &GENESIS) {
        return "X1".into();
    }
    if *hash == impeach_block(1, &GENESIS) {
        return "E1".into();
    }
    for parent in [proposal(1, &GENESIS), impeach_block(1, &GENESIS)] {
        let p = name(&parent);
        if *hash == proposal(2, &parent) {
            return format!("X2/{p}");
        }
        if *hash == impeach_block(2, &parent) {
            return format!("E2/{p}");
        }
    }
    format!("{hash:?}")
}

fn describe(message: &Message<Sim>) -> String {
    let signers = |c: &Certificate<Sim>| c.signatures.iter().map(|s| s.0).collect::<Vec<_>>();
    match message {
        Message::Vote {
            vote,
            justification,
        } => {
            let v = vote.vote;
            let mut s = format!(
                "{:?} h{} r{} {} by {}",
                v.phase,
                v.height,
                v.round,
                name(&v.hash),
                vote.signer
            );
            if let Some(j) = justification {
                s += &format!(
                    " [proposal: round changes of {:?}, highest {:?}]",
                    j.round_changes.iter().map(|c| c.signer).collect::<Vec<_>>(),
                    j.highest
                        .as_ref()
                        .map(|c| (c.vote.round, name(&c.vote.hash), signers(c)))
                );
            }
            s
        }
        Message::RoundChange { change, .. } => format!(
            "RoundChange h{} r{} lock {:?} by {}",
            change.change.height,
            change.change.round,
            change.change.locked.map(|(r, h)| (r, name(&h))),
            change.signer
        ),
        Message::Validate(c) => format!(
            "Validate h{} r{} {} {:?}",
            c.vote.height,
            c.vote.round,
            name(&c.vote.hash),
            signers(c)
        ),
    }
}

impl Checker {
    fn new(bounds: Bounds) -> Self {
        Checker {
            bounds,
            params: Params::new(CHAIN_ID.to_vec(), 1_000),
            validators: ValidatorSet::new(0..4u16).unwrap(),
            interner: Interner::default(),
            arena: Vec::new(),
            arena_index: HashMap::new(),
            steps: HashMap::new(),
            byzantine: HashMap::new(),
            pool_checks: HashMap::new(),
            projections: None,
            keys: Default::default(),
        }
    }

    fn intern_node(&mut self, node: Node) -> u32 {
        let fp = node.fingerprint();
        if let Some(index) = self.arena_index.get(&fp) {
            return *index;
        }
        let index = self.arena.len() as u32;
        self.arena.push(node);
        self.arena_index.insert(fp, index);
        index
    }

    /// Executes `actions` as the glue would. False if a crash hit them.
    fn apply(
        &mut self,
        node: &mut Node,
        sent: &mut Vec<u32>,
        actions: Vec<Action<Sim>>,
        crash: &mut CrashAt,
    ) -> bool {
        for action in actions {
            match action {
                Action::Persist(record) => {
                    if crash.at == Some(crash.seen) {
                        return false;
                    }
                    crash.seen += 1;
                    if !self.bounds.drop_persist {
                        node.records.insert(record.height, record);
                    }
                }
                Action::Broadcast(message) => {
                    sent.push(self.interner.intern(node.id, message));
                }
                Action::SetTimer { .. } => {}
                Action::BuildImpeachBlock { height, parent } => {
                    let more = node
                        .machine
                        .on_impeach_block(height, impeach_block(height, &parent));
                    if !self.apply(node, sent, more, crash) {
                        return false;
                    }
                }
                Action::FetchBlock { .. } | Action::ReportEquivocation(_) => {}
                Action::Finalize(certificate) => {
                    node.finalized
                        .entry(certificate.vote.height)
                        .or_default()
                        .insert(certificate.vote.hash);
                }
            }
        }
        true
    }

    /// After a Finalize of its height, the glue imports the block and
    /// starts the next height (if modelled).
    fn next_height(&mut self, node: &mut Node, sent: &mut Vec<u32>) {
        while node.height < self.bounds.heights {
            let Some(hash) = node
                .finalized
                .get(&node.height)
                .and_then(|set| set.iter().next().copied())
            else {
                return;
            };
            node.height += 1;
            node.parent = hash;
            node.verified = false;
            let actions =
                node.machine
                    .start_height(node.height, node.parent, self.validators.clone());
            self.apply(node, sent, actions, &mut CrashAt { at: None, seen: 0 });
        }
    }

    /// (Re)starts the node from its persisted records.
    fn boot(&mut self, node: &mut Node, sent: &mut Vec<u32>) {
        node.machine = Machine::new(
            self.params.clone(),
            Some(node.id),
            SimCrypto { me: Some(node.id) },
            node.records.values().cloned(),
        );
        node.verified = false;
        let actions = node
            .machine
            .start_height(node.height, node.parent, self.validators.clone());
        self.apply(node, sent, actions, &mut CrashAt { at: None, seen: 0 });
        self.next_height(node, sent);
    }

    fn initial(&mut self) -> State {
        let mut pool = Vec::new();
        let mut nodes = [0; 3];
        for (slot, id) in HONEST.into_iter().enumerate() {
            let mut node = Node {
                id,
                machine: Machine::new(
                    self.params.clone(),
                    Some(id),
                    SimCrypto { me: Some(id) },
                    [],
                ),
                records: BTreeMap::new(),
                height: 1,
                parent: GENESIS,
                verified: false,
                finalized: BTreeMap::new(),
            };
            let mut sent = Vec::new();
            self.boot(&mut node, &mut sent);
            for id in sent {
                set_bit(&mut pool, id);
            }
            nodes[slot] = self.intern_node(node);
        }
        State {
            nodes,
            pool,
            crashes_left: self.bounds.crashes,
        }
    }

    fn key(&self, state: &State) -> u128 {
        let mut out = 0u128;
        for key in [&self.keys.0, &self.keys.1] {
            let mut h = key.build_hasher();
            state.hash(&mut h);
            out = (out << 64) | u128::from(h.finish());
        }
        out
    }

    /// What the properties see of `state`: the honest messages on the
    /// network, the blocks each node finalized, and the crash budget left.
    fn projection(&self, state: &State) -> u128 {
        let finalized: Vec<_> = state
            .nodes
            .iter()
            .map(|i| &self.arena[*i as usize].finalized)
            .collect();
        // Message ids depend on the order of discovery: use their text.
        let mut pool: Vec<u64> = bits(&state.pool)
            .map(|m| self.interner.stable[m as usize])
            .collect();
        pool.sort_unstable();
        let mut out = 0u128;
        for salt in [0u8, 1] {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (salt, &pool, &finalized, state.crashes_left).hash(&mut h);
            out = (out << 64) | u128::from(h.finish());
        }
        out
    }

    /// Runs `step` on a copy of node `index`; with `crash_at`, the node
    /// crashes just before that `Persist` of the step and restarts. None if
    /// the step has no such `Persist`.
    fn run_step(
        &mut self,
        index: u32,
        step: Step,
        crash_at: Option<usize>,
    ) -> Option<(Node, Vec<u32>, usize)> {
        let mut node = self.arena[index as usize].clone();
        let mut sent = Vec::new();
        let mut crash = CrashAt {
            at: crash_at,
            seen: 0,
        };
        let completed = match step {
            Step::Verify => {
                node.verified = true;
                let x = proposal(node.height, &node.parent);
                let actions = node.machine.on_block_verified(node.height, x, true);
                self.apply(&mut node, &mut sent, actions, &mut crash)
            }
            Step::Timeout => {
                let round = node.machine.round().unwrap_or_default();
                let actions = node.machine.on_timeout(node.height, round);
                self.apply(&mut node, &mut sent, actions, &mut crash)
            }
            Step::Deliver(message) => {
                let message = self.interner.messages[message as usize].1.clone();
                // A refused message's actions are dropped, as by the glue.
                let actions = node.machine.on_message(message).unwrap_or_default();
                self.apply(&mut node, &mut sent, actions, &mut crash)
            }
            Step::Crash => {
                self.boot(&mut node, &mut sent);
                true
            }
        };
        if crash_at.is_some() && completed {
            return None;
        }
        self.next_height(&mut node, &mut sent);
        if !completed && !node.done(&self.bounds) {
            self.boot(&mut node, &mut sent);
        }
        Some((node, sent, crash.seen))
    }

    /// The outcomes of a node's step, computed once.
    fn outcomes(&mut self, index: u32, step: Step) -> Rc<Vec<Outcome>> {
        if let Some(outcomes) = self.steps.get(&(index, step)) {
            return outcomes.clone();
        }
        let mut outcomes = Vec::new();
        let (node, sent, persists) = self.run_step(index, step, None).unwrap();
        outcomes.push(Outcome {
            node: self.intern_node(node),
            sent,
            crash_point: None,
            uses_crash: step == Step::Crash,
        });
        if self.bounds.crash_points && self.bounds.crashes > 0 && step != Step::Crash {
            for k in 1..persists {
                if let Some((node, sent, _)) = self.run_step(index, step, Some(k)) {
                    outcomes.push(Outcome {
                        node: self.intern_node(node),
                        sent,
                        crash_point: Some(k),
                        uses_crash: true,
                    });
                }
            }
        }
        let outcomes = Rc::new(outcomes);
        self.steps.insert((index, step), outcomes.clone());
        outcomes
    }

    /// Every message the byzantine validator can send, from what the honest
    /// validators sent (see the module documentation), interned.
    fn byzantine_messages(&mut self, state: &State) -> Rc<Vec<u32>> {
        let mut contexts: Vec<(Height, Hash)> = Vec::new();
        for index in state.nodes {
            let node = &self.arena[index as usize];
            if !node.done(&self.bounds) && !contexts.contains(&(node.height, node.parent)) {
                contexts.push((node.height, node.parent));
            }
        }
        contexts.sort();
        let memo_key = (state.pool.clone(), contexts);
        if let Some(ids) = self.byzantine.get(&memo_key) {
            return ids.clone();
        }
        // Honest votes and round changes on the network.
        let mut votes: BTreeMap<(Height, Round, Phase, Hash), BTreeSet<u16>> = BTreeMap::new();
        let mut changes: BTreeMap<(Height, Round), BTreeMap<u16, SignedRoundChange<Sim>>> =
            BTreeMap::new();
        for id in bits(&state.pool) {
            match &self.interner.messages[id as usize].1 {
                Message::Vote { vote, .. } if vote.signer != BYZANTINE => {
                    let v = vote.vote;
                    votes
                        .entry((v.height, v.round, v.phase, v.hash))
                        .or_default()
                        .insert(vote.signer);
                }
                Message::RoundChange { change, .. } if change.signer != BYZANTINE => {
                    changes
                        .entry((change.change.height, change.change.round))
                        .or_default()
                        .entry(change.signer)
                        .or_insert_with(|| change.clone());
                }
                _ => {}
            }
        }
        let quorum = self.validators.quorum();
        let certificate_of = |v: Vote<Hash>| -> Option<Certificate<Sim>> {
            let honest = votes.get(&(v.height, v.round, v.phase, v.hash))?;
            if honest.len() + 1 < quorum {
                return None;
            }
            let mut signers = vec![BYZANTINE];
            signers.extend(honest.iter().take(quorum - 1));
            Some(certificate(&signers, v))
        };
        let sign_change = |change: RoundChange<Hash>| SignedRoundChange::<Sim> {
            change,
            signer: BYZANTINE,
            signature: signature(BYZANTINE, &change.signing_payload(CHAIN_ID)),
        };
        let mut out = Vec::new();
        let max_round = self.bounds.max_round;
        let contexts = match self.bounds.byzantine {
            Byzantine::Silent => &[][..],
            _ => &memo_key.1[..],
        };
        for &(height, parent) in contexts {
            let blocks = [proposal(height, &parent), impeach_block(height, &parent)];
            // Plain votes.
            for round in 0..=max_round {
                for phase in [Phase::Prepare, Phase::Commit] {
                    if phase == Phase::Commit && self.bounds.byzantine == Byzantine::NoCommits {
                        continue;
                    }
                    for hash in blocks {
                        out.push(Message::Vote {
                            vote: sign_vote(BYZANTINE, vote(height, round, phase, hash)),
                            justification: None,
                        });
                    }
                }
            }
            // P-certificates it can show, as (round, block) -> certificate.
            let mut locks: BTreeMap<(Round, Hash), Certificate<Sim>> = BTreeMap::new();
            for round in 0..=max_round {
                for hash in blocks {
                    if let Some(c) = certificate_of(vote(height, round, Phase::Prepare, hash)) {
                        locks.insert((round, hash), c);
                    }
                }
            }
            // Round changes.
            for round in 1..=max_round {
                out.push(Message::RoundChange {
                    change: sign_change(RoundChange {
                        height,
                        round,
                        locked: None,
                    }),
                    lock: None,
                });
                for ((locked_round, hash), c) in &locks {
                    if *locked_round < round {
                        out.push(Message::RoundChange {
                            change: sign_change(RoundChange {
                                height,
                                round,
                                locked: Some((*locked_round, *hash)),
                            }),
                            lock: Some(c.clone()),
                        });
                    }
                }
            }
            // Proposals of the rounds it leads: one per (block, highest lock).
            for round in 1..=max_round {
                if round_leader(&self.validators, height, round) != BYZANTINE {
                    continue;
                }
                let empty = BTreeMap::new();
                let honest = changes.get(&(height, round)).unwrap_or(&empty);
                type Option_ = (Option<(Round, Hash)>, Option<Certificate<Sim>>, Vec<Hash>);
                let mut options: Vec<Option_> = vec![(None, None, blocks.to_vec())];
                for ((locked_round, hash), c) in &locks {
                    if *locked_round < round {
                        options.push((Some((*locked_round, *hash)), Some(c.clone()), vec![*hash]));
                    }
                }
                for (highest, cert, hashes) in options {
                    let fitting: Vec<SignedRoundChange<Sim>> = honest
                        .values()
                        .filter(|c| match (c.change.locked, highest) {
                            (None, _) => true,
                            (Some(_), None) => false,
                            (Some((r, h)), Some((hr, hh))) => r < hr || (r == hr && h == hh),
                        })
                        .take(quorum - 1)
                        .cloned()
                        .collect();
                    if fitting.len() + 1 < quorum {
                        continue;
                    }
                    let mut round_changes = vec![sign_change(RoundChange {
                        height,
                        round,
                        locked: highest,
                    })];
                    round_changes.extend(fitting);
                    for hash in hashes {
                        out.push(Message::Vote {
                            vote: sign_vote(BYZANTINE, vote(height, round, Phase::Prepare, hash)),
                            justification: Some(Justification {
                                round_changes: round_changes.clone(),
                                highest: cert.clone(),
                            }),
                        });
                    }
                }
            }
            // VALIDATE with every C-certificate it can complete.
            for round in 0..=max_round {
                for hash in blocks {
                    if let Some(c) = certificate_of(vote(height, round, Phase::Commit, hash)) {
                        out.push(Message::Validate(c));
                    }
                }
            }
        }
        let ids: Vec<u32> = out
            .into_iter()
            .map(|m| self.interner.intern(BYZANTINE, m))
            .collect();
        let ids = Rc::new(ids);
        self.byzantine.insert(memo_key, ids.clone());
        ids
    }

    /// The steps node `index` can take in `state` (deliveries of the
    /// messages on the network, honest ones and the byzantine alphabet).
    fn node_steps(&self, index: u32, state: &State, byzantine: &[u32]) -> Vec<Step> {
        let node = &self.arena[index as usize];
        let (id, height) = (node.id, node.height);
        let mut steps = Vec::new();
        if !node.verified {
            steps.push(Step::Verify);
        }
        if node
            .machine
            .round()
            .is_some_and(|r| r < self.bounds.max_round)
        {
            steps.push(Step::Timeout);
        }
        for message in bits(&state.pool).chain(byzantine.iter().copied()) {
            let (sender, m) = &self.interner.messages[message as usize];
            if *sender != id && m.height() >= height {
                steps.push(Step::Deliver(message));
            }
        }
        if state.crashes_left > 0 {
            steps.push(Step::Crash);
        }
        steps
    }

    fn trace_step(&self, index: u32, step: Step, crash_point: Option<usize>) -> TraceStep {
        let node = &self.arena[index as usize];
        TraceStep {
            who: node.id,
            step,
            from_round: node.machine.round(),
            crash_point,
        }
    }

    /// The state after node `slot` took a step with `outcome`.
    fn after(state: &State, slot: usize, outcome: &Outcome) -> State {
        let mut next = state.clone();
        next.nodes[slot] = outcome.node;
        for m in &outcome.sent {
            set_bit(&mut next.pool, *m);
        }
        if outcome.uses_crash {
            next.crashes_left -= 1;
        }
        next
    }

    fn successors(&mut self, state: &State) -> Vec<(Vec<TraceStep>, State)> {
        if self.bounds.reduction {
            return self.macro_successors(state);
        }
        let byzantine = self.byzantine_messages(state);
        let mut out = Vec::new();
        for slot in 0..3 {
            let index = state.nodes[slot];
            if self.arena[index as usize].done(&self.bounds) {
                continue;
            }
            for step in self.node_steps(index, state, &byzantine) {
                let outcomes = self.outcomes(index, step);
                for outcome in outcomes.iter() {
                    if outcome.uses_crash && state.crashes_left == 0 {
                        continue;
                    }
                    let trace = self.trace_step(index, step, outcome.crash_point);
                    out.push((vec![trace], Self::after(state, slot, outcome)));
                }
            }
        }
        out
    }

    /// Whether a step of a node from local state `from` with `outcome` is
    /// visible in `state`: it sends a message not yet on the network,
    /// finalizes a block or uses the crash budget. A silent step changes
    /// nothing but its node's local state (module documentation).
    fn visible(&self, state: &State, from: u32, outcome: &Outcome) -> bool {
        outcome.uses_crash
            || outcome.sent.iter().any(|m| {
                state
                    .pool
                    .get(*m as usize / 64)
                    .is_none_or(|w| w >> (m % 64) & 1 == 0)
            })
            || self.arena[from as usize].finalized != self.arena[outcome.node as usize].finalized
    }

    /// The reduced transition relation: the irreducible macro steps of
    /// each node (module documentation, "Reduction"): a shortest sequence
    /// of silent steps to some local state, then one visible step, unless
    /// the last silent step could as well come after the visible one.
    fn macro_successors(&mut self, state: &State) -> Vec<(Vec<TraceStep>, State)> {
        let byzantine = self.byzantine_messages(state);
        let mut out = Vec::new();
        let mut emitted: std::collections::HashSet<(usize, State)> = Default::default();
        for slot in 0..3 {
            let start = state.nodes[slot];
            if self.arena[start as usize].done(&self.bounds) {
                continue;
            }
            // Breadth-first over silent steps: each local state's distance
            // and its predecessors on shortest silent paths.
            let mut distance: HashMap<u32, u32> = HashMap::new();
            let mut preds: HashMap<u32, Vec<(u32, Step)>> = HashMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            distance.insert(start, 0);
            let mut candidates: Vec<(u32, Step, usize)> = Vec::new();
            while let Some(at) = queue.pop_front() {
                let d = distance[&at];
                for step in self.node_steps(at, state, &byzantine) {
                    let outcomes = self.outcomes(at, step);
                    for (k, outcome) in outcomes.iter().enumerate() {
                        if outcome.uses_crash && state.crashes_left == 0 {
                            continue;
                        }
                        if self.visible(state, at, outcome) {
                            candidates.push((at, step, k));
                        } else if outcome.node != at {
                            match distance.get(&outcome.node) {
                                None => {
                                    distance.insert(outcome.node, d + 1);
                                    preds.insert(outcome.node, vec![(at, step)]);
                                    queue.push_back(outcome.node);
                                }
                                Some(&e) if e == d + 1 => {
                                    preds.entry(outcome.node).or_default().push((at, step));
                                }
                                Some(_) => {}
                            }
                        }
                    }
                }
            }
            for (at, step, k) in candidates {
                let outcome = &self.outcomes(at, step)[k];
                let next = Self::after(state, slot, outcome);
                if self.bounds.reduction
                    && preds.get(&at).is_some_and(|ps| {
                        ps.iter()
                            .any(|&(p, s)| self.postponable(state, slot, p, s, at, step, k, &next))
                    })
                {
                    continue;
                }
                if !emitted.insert((slot, next.clone())) {
                    continue;
                }
                let mut path = vec![self.trace_step(at, step, outcome.crash_point)];
                let mut back = at;
                while let Some(&(prev, s)) = preds.get(&back).and_then(|ps| ps.first()) {
                    path.push(self.trace_step(prev, s, None));
                    back = prev;
                }
                path.reverse();
                out.push((path, next));
            }
        }
        out
    }

    /// Whether the silent step `silent` from `before` (to the local state
    /// the visible step `visible` (outcome `k`) is taken from) can come
    /// after that visible step instead, with the same result `next`, the
    /// visible step still visible and the silent one still silent.
    #[allow(clippy::too_many_arguments)]
    fn postponable(
        &mut self,
        state: &State,
        slot: usize,
        before: u32,
        silent: Step,
        from: u32,
        visible: Step,
        k: usize,
        next: &State,
    ) -> bool {
        let target_point = self.outcomes(from, visible)[k].crash_point;
        let outcomes = self.outcomes(before, visible);
        let Some(first) = outcomes.iter().find(|o| o.crash_point == target_point) else {
            return false;
        };
        if !self.visible(state, before, first) {
            return false;
        }
        let middle = Self::after(state, slot, first);
        let byzantine = self.byzantine_messages(&middle);
        if !self
            .node_steps(first.node, &middle, &byzantine)
            .contains(&silent)
        {
            return false;
        }
        let then = &self.outcomes(first.node, silent)[0];
        if self.visible(&middle, first.node, then) {
            return false;
        }
        Self::after(&middle, slot, then) == *next
    }

    /// The safety properties; an error names the violation.
    fn check(&mut self, state: &State) -> Result<(), String> {
        // Finalized blocks.
        let mut finalized: BTreeMap<Height, BTreeMap<Hash, Vec<u16>>> = BTreeMap::new();
        for index in state.nodes {
            let node = &self.arena[index as usize];
            for (height, hashes) in &node.finalized {
                for hash in hashes {
                    finalized
                        .entry(*height)
                        .or_default()
                        .entry(*hash)
                        .or_default()
                        .push(node.id);
                }
            }
        }
        for (height, blocks) in &finalized {
            if blocks.len() > 1 {
                return Err(format!(
                    "two different blocks finalized at height {height}: {:?}",
                    blocks
                        .iter()
                        .map(|(h, who)| (name(h), who))
                        .collect::<Vec<_>>()
                ));
            }
        }
        if let Some(result) = self.pool_checks.get(&state.pool) {
            return result.clone().map_or(Ok(()), Err);
        }
        let result = self.check_pool(&state.pool);
        self.pool_checks
            .insert(state.pool.clone(), result.clone().err());
        result
    }

    /// The properties of the honest signatures on the network.
    fn check_pool(&self, pool: &[u64]) -> Result<(), String> {
        let mut commits: BTreeMap<(Height, Round, Hash), BTreeSet<u16>> = BTreeMap::new();
        let mut signed: BTreeMap<(u16, Height, Round, Phase), BTreeSet<Hash>> = BTreeMap::new();
        let mut changes: BTreeMap<(u16, Height, Round), BTreeSet<Option<(Round, Hash)>>> =
            BTreeMap::new();
        for id in bits(pool) {
            match &self.interner.messages[id as usize].1 {
                Message::Vote { vote, .. } if vote.signer != BYZANTINE => {
                    let v = vote.vote;
                    signed
                        .entry((vote.signer, v.height, v.round, v.phase))
                        .or_default()
                        .insert(v.hash);
                    if v.phase == Phase::Commit {
                        commits
                            .entry((v.height, v.round, v.hash))
                            .or_default()
                            .insert(vote.signer);
                    }
                }
                Message::RoundChange { change, .. } if change.signer != BYZANTINE => {
                    changes
                        .entry((change.signer, change.change.height, change.change.round))
                        .or_default()
                        .insert(change.change.locked);
                }
                _ => {}
            }
        }
        for ((signer, height, round, phase), hashes) in &signed {
            if hashes.len() > 1 {
                return Err(format!(
                    "honest node {signer} signed two blocks for (height {height}, round {round}, {phase:?}): {:?}",
                    hashes.iter().map(name).collect::<Vec<_>>()
                ));
            }
        }
        for ((signer, height, round), locks) in &changes {
            if locks.len() > 1 {
                return Err(format!(
                    "honest node {signer} signed two round changes for (height {height}, round {round}): {:?}",
                    locks
                        .iter()
                        .map(|l| l.map(|(r, h)| (r, name(&h))))
                        .collect::<Vec<_>>()
                ));
            }
        }
        let quorum = self.validators.quorum();
        let mut certifiable: BTreeMap<Height, BTreeSet<(Round, Hash)>> = BTreeMap::new();
        for ((height, round, hash), signers) in &commits {
            if signers.len() + 1 >= quorum {
                certifiable
                    .entry(*height)
                    .or_default()
                    .insert((*round, *hash));
            }
        }
        for (height, certs) in &certifiable {
            let blocks: BTreeSet<Hash> = certs.iter().map(|(_, h)| *h).collect();
            if blocks.len() > 1 {
                return Err(format!(
                    "C-certificates formable for two different blocks at height {height}: {:?}",
                    certs.iter().map(|(r, h)| (*r, name(h))).collect::<Vec<_>>()
                ));
            }
        }
        Ok(())
    }

    fn render(&self, trace: &Option<Rc<Trace>>) -> String {
        let mut steps = Vec::new();
        let mut at = trace.clone();
        while let Some(macro_step) = at {
            for t in macro_step.steps.iter().rev() {
                let who = t.who;
                let mut s = match t.step {
                    Step::Verify => format!("node {who} verifies X"),
                    Step::Timeout => format!(
                        "node {who} times out in round {:?}",
                        t.from_round.unwrap_or(0)
                    ),
                    Step::Deliver(m) => format!(
                        "deliver to {who}: {}",
                        describe(&self.interner.messages[m as usize].1)
                    ),
                    Step::Crash => format!("node {who} crashes and restarts from its records"),
                };
                if let Some(k) = t.crash_point {
                    s += &format!(" -- node {who} crashes just before Persist #{k} of this step, and restarts from its records");
                }
                steps.push(s);
            }
            at = macro_step.prev.clone();
        }
        steps.reverse();
        steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("  {:>3}. {s}\n", i + 1))
            .collect()
    }

    /// Depth-first search over all reachable states; the first violation
    /// with the run that reaches it, or the statistics.
    fn explore(&mut self) -> (Stats, Option<String>) {
        let started = Instant::now();
        let progress = std::env::var_os("LBFT_MC_PROGRESS").is_some();
        let mut next_report = std::env::var("LBFT_MC_REPORT_EVERY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000usize);
        let report_every = next_report;
        let mut stats = Stats::default();
        // The least depth each state was reached at: with a depth bound, a
        // state met again by a shorter run is explored again.
        let mut visited: HashMap<u128, u32> = HashMap::new();
        let initial = self.initial();
        visited.insert(self.key(&initial), 0);
        let key = self.projection(&initial);
        if let Some(p) = self.projections.as_mut() {
            p.insert(key);
        }
        stats.states = 1;
        let mut violation = self.check(&initial).err().map(|e| (e, None));
        let mut stack: Vec<(State, u32, Option<Rc<Trace>>)> = vec![(initial, 0, None)];
        while violation.is_none() {
            let Some((state, depth, trace)) = stack.pop() else {
                break;
            };
            if depth >= self.bounds.max_depth {
                continue;
            }
            for (steps, next) in self.successors(&state) {
                stats.transitions += 1;
                match visited.entry(self.key(&next)) {
                    std::collections::hash_map::Entry::Occupied(mut seen) => {
                        if *seen.get() <= depth + 1 {
                            continue;
                        }
                        seen.insert(depth + 1);
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(depth + 1);
                        stats.states += 1;
                    }
                }
                let next_trace = Some(Rc::new(Trace {
                    steps,
                    prev: trace.clone(),
                }));
                stats.max_depth = stats.max_depth.max(depth + 1);
                if self.projections.is_some() {
                    let key = self.projection(&next);
                    self.projections.as_mut().unwrap().insert(key);
                }
                if let Err(e) = self.check(&next) {
                    violation = Some((e, next_trace));
                    break;
                }
                stack.push((next, depth + 1, next_trace));
            }
            if progress && stats.states >= next_report {
                next_report += report_every;
                eprintln!(
                    "[model_check] ... {} states, {} transitions, stack {}, depth {}, {} local states, {} messages, {:.1} s",
                    stats.states,
                    stats.transitions,
                    stack.len(),
                    stats.max_depth,
                    self.arena.len(),
                    self.interner.messages.len(),
                    started.elapsed().as_secs_f64()
                );
            }
            assert!(
                stats.states <= self.bounds.max_states,
                "{}: more than {} states; raise the limit or shrink the bounds",
                self.bounds.name,
                self.bounds.max_states
            );
        }
        stats.seconds = started.elapsed().as_secs_f64();
        stats.messages = self.interner.messages.len();
        stats.local_states = self.arena.len();
        let report = violation.map(|(e, trace)| {
            let steps = self.render(&trace);
            format!(
                "VIOLATION in {}: {e}\nreached after {} steps:\n{steps}",
                self.bounds.name,
                steps.lines().count(),
            )
        });
        (stats, report)
    }
}

fn run(bounds: Bounds) -> (Stats, Option<String>) {
    let mut checker = Checker::new(bounds);
    let (stats, violation) = checker.explore();
    println!(
        "[model_check] {}: {} states, {} transitions, max depth {}, {} local node states, {} distinct messages, {:.2} s{}",
        bounds.name,
        stats.states,
        stats.transitions,
        stats.max_depth,
        stats.local_states,
        stats.messages,
        stats.seconds,
        if violation.is_some() { " (stopped at a violation)" } else { "" }
    );
    (stats, violation)
}

fn expect_safe(bounds: Bounds) {
    let (_, violation) = run(bounds);
    if let Some(report) = violation {
        panic!("{report}");
    }
}

/// The full model of the brief: height 1, rounds 0..=3, the whole
/// byzantine alphabet, one crash-restart with mid-step crash points.
const FULL: Bounds = Bounds {
    name:
        "height 1, rounds 0..=3, full byzantine alphabet, 1 crash-restart (mid-step crash points)",
    heights: 1,
    max_round: 3,
    crashes: 1,
    crash_points: true,
    drop_persist: false,
    byzantine: Byzantine::Full,
    reduction: true,
    max_depth: u32::MAX,
    max_states: 2_000_000_000,
};

/// The reduction loses nothing the properties see: with and without it,
/// the same (network, finalized blocks, crash budget) triples are reachable.
fn same_projections(bounds: Bounds) {
    let mut sets = Vec::new();
    for reduction in [false, true] {
        let mut checker = Checker::new(Bounds {
            reduction,
            ..bounds
        });
        checker.projections = Some(Default::default());
        let (stats, violation) = checker.explore();
        assert!(violation.is_none(), "{violation:?}");
        let projections = checker.projections.take().unwrap();
        println!(
            "[model_check] {} (reduction {reduction}): {} states, {} transitions, {} projections, {:.2} s",
            bounds.name,
            stats.states,
            stats.transitions,
            projections.len(),
            stats.seconds
        );
        sets.push(projections);
    }
    assert_eq!(sets[0].len(), sets[1].len());
    assert!(sets[0] == sets[1]);
}

#[test]
fn model_check_reduction_is_exact() {
    same_projections(Bounds {
        name: "height 1, round 0 only, validator 0 silent, 1 crash-restart (mid-step crash points)",
        max_round: 0,
        byzantine: Byzantine::Silent,
        ..FULL
    });
}

/// Default, exhaustive: validator 0 silent (crash-faulty), round 0 only,
/// one crash-restart with mid-step crash points.
#[test]
fn model_check_round_zero_silent_byzantine() {
    expect_safe(Bounds {
        name: "height 1, round 0 only, validator 0 silent, 1 crash-restart (mid-step crash points)",
        max_round: 0,
        byzantine: Byzantine::Silent,
        ..FULL
    });
}

/// Default, exhaustive up to a depth: the full model, every run of at most
/// 4 steps (a state reached again by a shorter run is explored again).
#[test]
fn model_check_full_model_depth_4() {
    expect_safe(Bounds {
        name: "full model (height 1, rounds 0..=3, full byzantine alphabet, 1 crash), runs of <= 4 steps",
        reduction: false,
        max_depth: 4,
        ..FULL
    });
}

/// The full model, unbounded, with the reduction. Does not finish (module
/// documentation, figures).
#[test]
#[ignore = "state space too large for CI: run with --ignored (hours)"]
fn model_check_full_model() {
    expect_safe(FULL);
}

/// Two heights, rounds 0..=1 per height. Not run to completion either.
#[test]
#[ignore = "state space too large for CI: run with --ignored (hours)"]
fn model_check_two_heights() {
    expect_safe(Bounds {
        name: "heights 1..=2, rounds 0..=1, full byzantine alphabet, 1 crash-restart",
        heights: 2,
        max_round: 1,
        ..FULL
    });
}

/// Any configuration, from the environment: LBFT_MC_HEIGHTS, LBFT_MC_ROUNDS,
/// LBFT_MC_CRASHES, LBFT_MC_CRASH_POINTS (0/1), LBFT_MC_MAX_STATES;
/// LBFT_MC_PROGRESS prints progress.
#[test]
#[ignore = "configured from the environment"]
fn model_check_custom() {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let bounds = Bounds {
        name: "custom (from the environment)",
        heights: var("LBFT_MC_HEIGHTS", 1),
        max_round: var("LBFT_MC_ROUNDS", 3) as Round,
        crashes: var("LBFT_MC_CRASHES", 1) as u8,
        crash_points: var("LBFT_MC_CRASH_POINTS", 1) == 1,
        drop_persist: var("LBFT_MC_DROP_PERSIST", 0) == 1,
        byzantine: match var("LBFT_MC_BYZANTINE", 2) {
            0 => Byzantine::Silent,
            1 => Byzantine::NoCommits,
            _ => Byzantine::Full,
        },
        reduction: var("LBFT_MC_REDUCTION", 1) == 1,
        max_depth: var("LBFT_MC_DEPTH", u64::from(u32::MAX)) as u32,
        max_states: var("LBFT_MC_MAX_STATES", 2_000_000_000) as usize,
    };
    if var("LBFT_MC_COMPARE", 0) == 1 {
        same_projections(bounds);
    } else {
        expect_safe(bounds);
    }
}
