//! Attacks from an adversarial review of the machine, kept as regression
//! tests: each failed on the version reviewed and passes now.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use cpchain_lbft::*;

// ----- helpers ---------------------------------------------------------------------------------

fn leader(validators: &ValidatorSet<u16>, height: Height, round: Round) -> u16 {
    let members = validators.members();
    members[((height + u64::from(round)) % members.len() as u64) as usize]
}

/// The round changes an honest validator has broadcast.
fn honest_changes(
    committee: &Committee,
) -> Vec<(SignedRoundChange<Sim>, Option<Certificate<Sim>>)> {
    let mut out = Vec::new();
    for i in committee.honest() {
        for message in &committee.outbox[i] {
            if let Message::RoundChange { change, lock } = message {
                if change.signer == i as u16 {
                    out.push((change.clone(), lock.clone()));
                }
            }
        }
    }
    out
}

/// Every P-certificate the adversary can assemble from honest PREPAREs
/// plus its own signatures.
fn known_p_certificates(
    committee: &Committee,
    byzantine: &[u16],
    height: Height,
) -> BTreeMap<Round, Vec<Certificate<Sim>>> {
    let mut prepares: BTreeMap<(Round, Hash), BTreeSet<u16>> = BTreeMap::new();
    for vote in committee.honest_votes() {
        if vote.vote.height == height && vote.vote.phase == Phase::Prepare {
            prepares
                .entry((vote.vote.round, vote.vote.hash))
                .or_default()
                .insert(vote.signer);
        }
    }
    let mut out: BTreeMap<Round, Vec<Certificate<Sim>>> = BTreeMap::new();
    for ((round, hash), mut signers) in prepares {
        signers.extend(byzantine.iter().copied());
        if signers.len() >= committee.validators.quorum() {
            let signers: Vec<u16> = signers.into_iter().collect();
            out.entry(round).or_default().push(certificate(
                &signers,
                vote(height, round, Phase::Prepare, hash),
            ));
        }
    }
    out
}

fn no_honest_equivocation(committee: &Committee) -> Result<(), String> {
    let mut seen: BTreeMap<(u16, Height, Round, Phase), Hash> = BTreeMap::new();
    for v in committee.honest_votes() {
        let key = (v.signer, v.vote.height, v.vote.round, v.vote.phase);
        if let Some(h) = seen.insert(key, v.vote.hash) {
            if h != v.vote.hash {
                return Err(format!(
                    "honest equivocation {key:?}: {h:?} vs {:?}",
                    v.vote.hash
                ));
            }
        }
    }
    Ok(())
}

/// Executes actions breadth-first, like the glue: the impeach block's
/// follow-up actions run after the rest of the batch.
fn apply_q(c: &mut Committee, i: usize, actions: Vec<Action<Sim>>) {
    let mut queue: std::collections::VecDeque<Action<Sim>> = actions.into();
    while let Some(action) = queue.pop_front() {
        match action {
            Action::BuildImpeachBlock { height, parent } => {
                let hash = impeach_block(height, &parent);
                let more = c.machine(i).on_impeach_block(height, hash);
                queue.extend(more);
            }
            other => c.apply(i, vec![other]),
        }
    }
}

fn deliver_q(c: &mut Committee, to: usize, m: Message<Sim>) {
    if c.machines[to].is_none() {
        return;
    }
    let actions = c.machine(to).on_message(m).unwrap_or_default();
    apply_q(c, to, actions);
}

fn timeout_q(c: &mut Committee, i: usize) {
    let h = c.height;
    let round = c.machine(i).round().unwrap_or_default();
    let actions = c.machine(i).on_timeout(h, round);
    apply_q(c, i, actions);
}

fn verified_q(c: &mut Committee, i: usize, hash: Hash) {
    let h = c.height;
    let actions = c.machine(i).on_block_verified(h, hash, true);
    apply_q(c, i, actions);
}

fn restart_q(c: &mut Committee, i: usize) {
    c.machines[i] = None;
    c.timers[i].clear();
    let mut machine = Machine::new(
        c.params.clone(),
        Some(i as u16),
        SimCrypto { me: Some(i as u16) },
        c.records[i].values().cloned(),
    );
    let actions = machine.start_height(c.height, c.parent, c.validators.clone());
    c.machines[i] = Some(machine);
    apply_q(c, i, actions);
}

// ----- randomized adversarial schedules ---------------------------------------------------------

/// One height, n validators, f byzantine that sign anything and, when they
/// lead a round, craft justified proposals from any quorum of round changes
/// they know. Arbitrary delivery order, duplicates, timeouts at any time,
/// crashes and restarts of honest validators at any point, an equivocating
/// proposer. Checks that no two blocks are certifiable.
fn fuzz_one(seed: u64, n: u16, steps: usize, bfs: bool) -> Result<(usize, Round, usize), String> {
    let mut rng = Rng(seed);
    let f = (n - 1) / 3;
    let byzantine: Vec<u16> = (n - f..n).collect();
    let mut committee = Committee::new(n, &byzantine);
    let height = 1;
    let x = proposal(1, &GENESIS);
    let y = block_hash(&[b"other", &[1]]);
    let e = impeach_block(1, &GENESIS);
    let hashes = [x, y, e];
    let honest = committee.honest();
    let mut pools: Vec<Vec<Message<Sim>>> = vec![Vec::new(); n as usize];
    let mut sent = vec![0usize; n as usize];

    for _ in 0..steps {
        // Move what honest validators sent into the others' pools.
        for &i in &honest {
            let new: Vec<Message<Sim>> = committee.outbox[i][sent[i]..].to_vec();
            sent[i] = committee.outbox[i].len();
            for m in new {
                for &to in &honest {
                    if to != i {
                        pools[to].push(m.clone());
                    }
                }
            }
        }
        let max_round = honest
            .iter()
            .filter_map(|i| committee.machines[*i].as_ref().and_then(|m| m.round()))
            .max()
            .unwrap_or(0);
        let to = honest[rng.below(honest.len() as u64) as usize];
        let choice = rng.below(100);
        if std::env::var("TRACE").is_ok() {
            let rounds: Vec<_> = honest
                .iter()
                .map(|i| committee.machines[*i].as_ref().and_then(|m| m.round()))
                .collect();
            let locks: Vec<_> = honest
                .iter()
                .map(|i| {
                    committee.machines[*i]
                        .as_ref()
                        .and_then(|m| m.lock())
                        .map(|(r, h)| (r, h[0]))
                })
                .collect();
            eprintln!(
                "step to={to} choice={choice} rounds={rounds:?} locks={locks:?} x={} y={} e={}",
                x[0], y[0], e[0]
            );
            for v in committee.honest_votes().iter().filter(|v| v.signer == 2) {
                eprintln!(
                    "   2 signed {:?} {} {}",
                    v.vote.phase, v.vote.round, v.vote.hash[0]
                );
            }
            if let Some(r) = committee.records[2].get(&1) {
                eprintln!(
                    "   rec2 round={} lock={:?} votes={:?} rcs={:?}",
                    r.round,
                    r.lock.as_ref().map(|c| (c.vote.round, c.vote.hash[0])),
                    r.votes
                        .iter()
                        .map(|v| (v.round, v.phase, v.hash[0]))
                        .collect::<Vec<_>>(),
                    r.round_changes
                        .iter()
                        .map(|c| (c.round, c.locked.map(|l| (l.0, l.1[0]))))
                        .collect::<Vec<_>>()
                );
            }
        }
        match choice {
            0..=54 => {
                if !pools[to].is_empty() {
                    let k = rng.below(pools[to].len() as u64) as usize;
                    let m = if rng.chance(5) {
                        pools[to][k].clone()
                    } else {
                        pools[to].swap_remove(k)
                    };
                    if bfs {
                        deliver_q(&mut committee, to, m)
                    } else {
                        committee.deliver(to, m)
                    }
                }
            }
            55..=64 => {
                if bfs {
                    timeout_q(&mut committee, to)
                } else {
                    committee.timeout(to)
                }
            }
            65..=68 => {
                let h = if rng.chance(70) { x } else { y };
                if bfs {
                    verified_q(&mut committee, to, h)
                } else {
                    committee.verified(to, h)
                }
            }
            69..=70 => {
                if bfs {
                    restart_q(&mut committee, to)
                } else {
                    committee.restart(to)
                }
            }
            71..=80 => {
                // A byzantine vote.
                let b = byzantine[rng.below(byzantine.len() as u64) as usize];
                let round = rng.below(u64::from(max_round) + 2) as Round;
                let phase = if rng.chance(50) {
                    Phase::Prepare
                } else {
                    Phase::Commit
                };
                let h = hashes[rng.below(3) as usize];
                deliver_any(
                    &mut committee,
                    bfs,
                    to,
                    Message::Vote {
                        vote: sign_vote(b, vote(height, round, phase, h)),
                        justification: None,
                    },
                );
            }
            81..=87 => {
                // A byzantine round change with any lock it can prove.
                let b = byzantine[rng.below(byzantine.len() as u64) as usize];
                let round = 1 + rng.below(u64::from(max_round) + 2) as Round;
                let certs = known_p_certificates(&committee, &byzantine, height);
                let choices: Vec<Certificate<Sim>> =
                    certs.range(..round).flat_map(|(_, c)| c.clone()).collect();
                let lock = if choices.is_empty() || rng.chance(30) {
                    None
                } else {
                    Some(choices[rng.below(choices.len() as u64) as usize].clone())
                };
                let change = RoundChange {
                    height,
                    round,
                    locked: lock.as_ref().map(|c| (c.vote.round, c.vote.hash)),
                };
                deliver_any(
                    &mut committee,
                    bfs,
                    to,
                    Message::RoundChange {
                        change: sign_change(b, change),
                        lock,
                    },
                );
            }
            88..=97 => {
                // A byzantine leader's proposal from a chosen quorum.
                let round = 1 + rng.below(u64::from(max_round) + 2) as Round;
                let l = leader(&committee.validators, height, round);
                if !byzantine.contains(&l) {
                    continue;
                }
                let certs = known_p_certificates(&committee, &byzantine, height);
                let mut pool: Vec<(SignedRoundChange<Sim>, Option<Certificate<Sim>>)> =
                    honest_changes(&committee)
                        .into_iter()
                        .filter(|(c, _)| c.change.round == round && c.change.height == height)
                        .collect();
                for &b in &byzantine {
                    let choices: Vec<Certificate<Sim>> =
                        certs.range(..round).flat_map(|(_, c)| c.clone()).collect();
                    let lock = if choices.is_empty() || rng.chance(50) {
                        None
                    } else {
                        Some(choices[rng.below(choices.len() as u64) as usize].clone())
                    };
                    let change = RoundChange {
                        height,
                        round,
                        locked: lock.as_ref().map(|c| (c.vote.round, c.vote.hash)),
                    };
                    pool.push((sign_change(b, change), lock));
                }
                // Random subset of distinct signers, at least a quorum.
                let mut chosen: BTreeMap<u16, (SignedRoundChange<Sim>, Option<Certificate<Sim>>)> =
                    BTreeMap::new();
                for _ in 0..pool.len() * 2 {
                    let k = rng.below(pool.len() as u64) as usize;
                    chosen.entry(pool[k].0.signer).or_insert(pool[k].clone());
                }
                if chosen.len() < committee.validators.quorum() {
                    continue;
                }
                let mut highest: Option<(Round, Hash, Option<Certificate<Sim>>)> = None;
                for (c, lock) in chosen.values() {
                    if let Some((r, h)) = c.change.locked {
                        if highest.as_ref().is_none_or(|(hr, _, _)| r > *hr) {
                            highest = Some((r, h, lock.clone()));
                        }
                    }
                }
                let (hash, cert) = match highest {
                    Some((r, h, Some(c))) => (h, Some(c)).clone_with(r),
                    Some((_, _, None)) => continue,
                    None => (e, None),
                };
                let justification = Justification {
                    round_changes: chosen.values().map(|(c, _)| c.clone()).collect(),
                    highest: cert,
                };
                deliver_any(
                    &mut committee,
                    bfs,
                    to,
                    Message::Vote {
                        vote: sign_vote(l, vote(height, round, Phase::Prepare, hash)),
                        justification: Some(justification),
                    },
                );
            }
            _ => {
                // Byzantine VALIDATE of anything certifiable.
                let certifiable = committee.certifiable(height, &byzantine);
                if let Some(h) = certifiable.iter().next() {
                    let _ = h;
                }
            }
        }
        no_honest_equivocation(&committee).map_err(|e| format!("seed {seed}: {e}"))?;
        let certifiable = committee.certifiable(height, &byzantine);
        if certifiable.len() > 1 {
            return Err(format!(
                "seed {seed}: two blocks certifiable: {certifiable:?}"
            ));
        }
        let decided: BTreeSet<Hash> = honest
            .iter()
            .filter_map(|i| committee.decided(*i))
            .collect();
        if decided.len() > 1 {
            return Err(format!("seed {seed}: honest decided {decided:?}"));
        }
    }
    // The network stabilizes: no more crashes, the adversary is silent,
    // every message ever sent is (re)delivered 100 ms later, timers run.
    if std::env::var("NO_LIVENESS").is_err() {
        let mut timed = Timed::new(committee, 100);
        let ok = timed.run(30 * 24 * 3_600 * 1_000);
        committee = timed.committee;
        if !ok {
            let rs: Vec<_> = honest
                .iter()
                .map(|i| committee.machines[*i].as_ref().and_then(|m| m.round()))
                .collect();
            return Err(format!(
                "seed {seed}: no decision after stabilization; rounds {rs:?}"
            ));
        }
        let certifiable = committee.certifiable(height, &byzantine);
        if certifiable.len() > 1 {
            return Err(format!(
                "seed {seed}: two blocks certifiable: {certifiable:?}"
            ));
        }
    }
    let certs = known_p_certificates(&committee, &[], height);
    let decided = honest
        .iter()
        .filter(|i| committee.decided(**i).is_some())
        .count();
    let max_round = honest
        .iter()
        .filter_map(|i| committee.machines[*i].as_ref().and_then(|m| m.round()))
        .max()
        .unwrap_or(0);
    let distinct: BTreeSet<Hash> = certs.values().flatten().map(|c| c.vote.hash).collect();
    Ok((decided, max_round, distinct.len()))
}

fn deliver_any(c: &mut Committee, bfs: bool, to: usize, m: Message<Sim>) {
    if bfs {
        deliver_q(c, to, m)
    } else {
        c.deliver(to, m)
    }
}

trait CloneWith {
    fn clone_with(self, r: Round) -> Self;
}
impl CloneWith for (Hash, Option<Certificate<Sim>>) {
    fn clone_with(self, _r: Round) -> Self {
        self
    }
}

#[test]
fn fuzz_random_adversarial_schedules_n4() {
    let mut stats = (0, 0, 0);
    let seeds: u64 = std::env::var("FUZZ_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let steps: usize = std::env::var("FUZZ_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    for seed in 0..seeds {
        match fuzz_one(seed, 4, steps, std::env::var("DFS").is_err()) {
            Err(e) => panic!("{e}"),
            Ok((d, r, c)) => {
                stats.0 += usize::from(d > 0);
                stats.1 = stats.1.max(r);
                stats.2 += usize::from(c > 1);
            }
        }
    }
    eprintln!(
        "runs with a decision, max round, runs with honest-only P-certs of 2 blocks: {stats:?}"
    );
}

#[test]
fn fuzz_trace() {
    if let Ok(seed) = std::env::var("TRACE") {
        fuzz_one(seed.parse().unwrap(), 4, 800, std::env::var("DFS").is_err()).unwrap();
    }
}

#[test]
fn fuzz_random_adversarial_schedules_n7() {
    for seed in 0..1000 {
        if let Err(e) = fuzz_one(seed, 7, 600, true) {
            panic!("{e}");
        }
    }
}

// ----- directed attacks --------------------------------------------------------------------------

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const D: u16 = 3;

fn last_vote(c: &Committee, from: usize, round: Round, phase: Phase) -> Message<Sim> {
    c.outbox[from]
        .iter()
        .rev()
        .find(|m| matches!(m, Message::Vote { vote, .. } if vote.signer == from as u16 && vote.vote.round == round && vote.vote.phase == phase))
        .cloned()
        .expect("vote sent")
}

fn last_change(c: &Committee, from: usize, round: Round) -> Message<Sim> {
    c.outbox[from]
        .iter()
        .rev()
        .find(|m| matches!(m, Message::RoundChange { change, .. } if change.signer == from as u16 && change.change.round == round))
        .cloned()
        .expect("round change sent")
}

fn byz_vote(round: Round, phase: Phase, hash: Hash) -> Message<Sim> {
    Message::Vote {
        vote: sign_vote(D, vote(1, round, phase, hash)),
        justification: None,
    }
}

/// ATTACK 1 (safety). `Action::BuildImpeachBlock` is emitted *before* the
/// `Persist` of the same batch. When the caller executes actions in order and
/// reports the impeach block at once (as `Committee::apply` does),
/// `on_impeach_block` signs a PREPARE and a COMMIT and persists them, and then
/// the rest of the first batch persists an OLDER snapshot of the record over
/// it. After a restart the validator has forgotten its COMMIT and its lock.
///
/// Schedule (n = 4, D byzantine; leaders: round 1 = C, round 2 = D):
/// round 0: A and C prepare X (nobody sees a P-certificate). B, C, D enter
/// round 1; C proposes the impeach block E. A (round 0) gets D's PREPARE(1,E),
/// then C's proposal: on_proposal emits BuildImpeachBlock, add_vote jumps A to
/// round 1 and emits Persist(record without round-1 votes). Executing
/// BuildImpeachBlock first makes A PREPARE and COMMIT E (with D and C), then
/// the stale Persist overwrites. B commits E too: {A, B, D} certify E.
/// A restarts (lock None), D leads round 2 with RCs {A: none, C: none,
/// D: (0, X) with the real P-cert {A, C, D}} and proposes X: {A, C, D}
/// certify X.
#[test]
fn stale_persist_after_impeach_block_reentrancy_forks() {
    let mut c = Committee::new(4, &[D]);
    c.reentrant_impeach = true;
    let x = proposal(1, &GENESIS);
    let e = impeach_block(1, &GENESIS);
    c.verified(A, x);
    c.verified(C, x);

    // B and C enter round 1; D too.
    c.timeout(B);
    c.timeout(C);
    let d_rc1 = Message::RoundChange {
        change: sign_change(
            D,
            RoundChange {
                height: 1,
                round: 1,
                locked: None,
            },
        ),
        lock: None,
    };
    c.deliver(C, last_change(&c, B, 1));
    c.deliver(C, d_rc1);
    let proposal_msg = last_vote(&c, C, 1, Phase::Prepare);
    assert!(
        matches!(&proposal_msg, Message::Vote { vote, justification: Some(_) } if vote.vote.hash == e)
    );

    // A, still in round 0: D's PREPARE(1, E), then C's proposal.
    c.deliver(A, byz_vote(1, Phase::Prepare, e));
    c.deliver(A, proposal_msg.clone());
    assert!(
        c.honest_votes()
            .iter()
            .any(|v| v.signer == A as u16 && v.vote == vote(1, 1, Phase::Commit, e)),
        "A committed E in round 1"
    );

    // B prepares and commits E; B decides E with A's and D's COMMITs.
    c.deliver(B, proposal_msg);
    c.deliver(B, byz_vote(1, Phase::Prepare, e));
    c.deliver(B, last_vote(&c, A, 1, Phase::Commit));
    c.deliver(B, byz_vote(1, Phase::Commit, e));
    assert_eq!(c.decided(B), Some(e));

    // What A persisted: no COMMIT, no lock.
    let record = c.records[A][&1].clone();
    eprintln!(
        "A's persisted record: round {} lock {:?} votes {:?}",
        record.round,
        record.lock.as_ref().map(|l| l.vote),
        record.votes
    );

    // A restarts and forgets. A and C move to round 2 (leader D).
    c.restart(A);
    c.timeout(A);
    c.timeout(C);
    let rc_a = match last_change(&c, A, 2) {
        Message::RoundChange { change, .. } => change,
        _ => unreachable!(),
    };
    let rc_c = match last_change(&c, C, 2) {
        Message::RoundChange { change, .. } => change,
        _ => unreachable!(),
    };
    let p0 = certificate(&[0, 2, 3], vote(1, 0, Phase::Prepare, x));
    let rc_d = sign_change(
        D,
        RoundChange {
            height: 1,
            round: 2,
            locked: Some((0, x)),
        },
    );
    let d_proposal = Message::Vote {
        vote: sign_vote(D, vote(1, 2, Phase::Prepare, x)),
        justification: Some(Justification {
            round_changes: vec![rc_a, rc_c, rc_d],
            highest: Some(p0),
        }),
    };
    c.deliver(A, d_proposal.clone());
    c.deliver(C, d_proposal);
    // With A's lock on E remembered, D's proposal of X does not follow the
    // highest lock and is refused: nobody prepares X in round 2.
    assert!(!c
        .honest_votes()
        .iter()
        .any(|v| v.vote.round == 2 && v.vote.hash == x));
    c.exchange(&[A, C]);

    let certifiable = c.certifiable(1, &[D]);
    assert!(
        certifiable.len() <= 1,
        "two blocks certifiable at height 1: {certifiable:?}"
    );
}

/// ATTACK 2 (liveness/reputation). A validator that enters round r because
/// it learnt a P-certificate OF round r (here via a round change of round
/// r + 1 carrying it) updates its lock first, then announces ROUND-CHANGE(r)
/// with lock (r, _). Every peer rejects that as BadJustification
/// (on_round_change requires lock round < change round), so honest
/// validators are punished (COST_INVALID_VOTE) and their round change is
/// not counted.
#[test]
fn a_round_change_after_a_certificate_jump_is_accepted_by_peers() {
    let mut c = Committee::new(4, &[D]);
    let e = impeach_block(1, &GENESIS);
    c.timeout(B);
    c.timeout(C);
    c.deliver(C, last_change(&c, B, 1));
    c.deliver(
        C,
        Message::RoundChange {
            change: sign_change(
                D,
                RoundChange {
                    height: 1,
                    round: 1,
                    locked: None,
                },
            ),
            lock: None,
        },
    );
    let proposal_msg = last_vote(&c, C, 1, Phase::Prepare);
    c.deliver(B, proposal_msg);
    // {B, C, D} prepared E in round 1. D shows A a round change for round 2
    // carrying that certificate.
    let p1 = certificate(&[1, 2, 3], vote(1, 1, Phase::Prepare, e));
    assert_eq!(c.machine(A).round(), Some(0));
    let actions = c.machine(A).on_message(Message::RoundChange {
        change: sign_change(
            D,
            RoundChange {
                height: 1,
                round: 2,
                locked: Some((1, e)),
            },
        ),
        lock: Some(p1),
    });
    eprintln!("{actions:?}");
    c.apply(A, actions.unwrap());
    assert_eq!(c.machine(A).round(), Some(1));
    let rc = last_change(&c, A, 1);
    eprintln!("A's round change: {rc:?}");
    let result = c.machine(B).on_message(rc);
    assert!(
        result.is_ok(),
        "B refuses honest A's round change: {result:?}"
    );
}

/// ATTACK 3 (liveness after a restart). A validator re-sends its recorded
/// round change of the current round on restart, but attaches the lock
/// certificate by the RECORDED lock round from `p_certificates`, which after
/// a restart holds only the current lock: if the lock moved up after the
/// round change was signed, the re-sent round change carries no certificate
/// and every peer rejects it.
#[test]
fn a_round_change_resent_after_a_restart_is_accepted_by_peers() {
    let mut c = Committee::new(4, &[]);
    let x = proposal(1, &GENESIS);
    for i in [0, 1, 2] {
        c.verified(i, x);
    }
    // A learns the round-0 P-certificate (and commits X); nobody else does.
    c.deliver_outbox(1, A);
    c.deliver_outbox(2, A);
    assert_eq!(c.machine(A).lock().map(|l| l.0), Some(0));
    // Everyone to round 1 (leader C); A's round change claims (0, X).
    for i in 0..4 {
        c.timeout(i);
    }
    c.exchange(&[0, 1, 2, 3]);
    // Round 1 re-certifies X: A's lock is now (1, X).
    assert_eq!(
        c.machine(A).lock().map(|l| l.0),
        Some(1),
        "A locked in round 1"
    );
    c.restart(A);
    let rc = last_change(&c, A, 1);
    let result = c.machine(B).on_message(rc.clone());
    assert!(
        result.is_ok(),
        "re-sent round change refused: {result:?}\n{rc:?}"
    );
}

/// ATTACK 4 (liveness/resources). The per-signer buffer for later heights
/// does not deduplicate: any peer can replay ONE validly signed message of an
/// honest validator 64 times and fill that validator's slot, so its later
/// early votes are dropped (RULE L3 only stops a signer crowding out others).
#[test]
fn replaying_an_honest_message_does_not_crowd_out_its_later_votes() {
    replay_schedule(64);
}

/// Control: the same schedule without the replays decides.
#[test]
fn control_without_replays_decides() {
    replay_schedule(0);
}

fn replay_schedule(replays: usize) {
    let mut c = Committee::new(4, &[3]);
    let x1 = proposal(1, &GENESIS);
    let x2 = proposal(2, &x1);
    // Validators 1 and 2 are at height 2 and prepared X2 ...
    let prepares: Vec<Message<Sim>> = [1u16, 2]
        .iter()
        .map(|s| Message::Vote {
            vote: sign_vote(*s, vote(2, 0, Phase::Prepare, x2)),
            justification: None,
        })
        .collect();
    for m in &prepares {
        c.deliver(0, m.clone());
    }
    // ... a peer replays those PREPAREs 64 times each to validator 0 ...
    for _ in 0..replays {
        for m in &prepares {
            c.deliver(0, m.clone());
        }
    }
    // ... then their COMMITs (with 3's PREPARE they had a P-certificate).
    for s in [1u16, 2] {
        c.deliver(
            0,
            Message::Vote {
                vote: sign_vote(s, vote(2, 0, Phase::Commit, x2)),
                justification: None,
            },
        );
    }
    c.deliver(
        0,
        Message::Validate(certificate(&[1, 2, 3], vote(1, 0, Phase::Commit, x1))),
    );
    let validators = c.validators.clone();
    let actions = c.machine(0).start_height(2, x1, validators);
    c.apply(0, actions);
    let actions = c.machine(0).on_block_verified(2, x2, true);
    let finalized = actions.iter().any(|a| matches!(a, Action::Finalize(_)));
    c.apply(0, actions);
    assert!(
        finalized,
        "validator 0 lost the early COMMITs of 1 and 2 to replayed copies"
    );
}

/// ATTACK 5 (reputation, validator-set change). Messages for a later
/// height are checked against the current height's validators, so a
/// validator that joins at height 2 cannot be checked yet. Its early
/// messages, and the VALIDATE of height 2 its committee signed, must be
/// dropped without blaming the sender (no error for the glue to punish).
/// Keeping them needs the next set in advance: per-height sets from headers
/// (issue 12).
#[test]
fn early_messages_of_a_new_validator_set_are_not_blamed() {
    let mut c = Committee::new(4, &[]);
    let x1 = proposal(1, &GENESIS);
    let x2 = proposal(2, &x1);
    // Height 2's committee: 0, 1, 4, 5 (2 and 3 left, 4 and 5 joined).
    let validate2 = Message::Validate(certificate(&[1, 4, 5], vote(2, 0, Phase::Commit, x2)));
    assert_eq!(c.machine(0).on_message(validate2).map(|a| a.len()), Ok(0));
    let prepare2 = Message::Vote {
        vote: sign_vote(4, vote(2, 0, Phase::Prepare, x2)),
        justification: None,
    };
    assert_eq!(c.machine(0).on_message(prepare2).map(|a| a.len()), Ok(0));
    // A current validator's forged early vote is still refused.
    let mut forged = sign_vote(3, vote(2, 0, Phase::Prepare, x2));
    forged.signer = 1;
    assert_eq!(
        c.machine(0)
            .on_message(Message::Vote {
                vote: forged,
                justification: None
            })
            .map(|a| a.len()),
        Err(MessageError::BadSignature)
    );
}

/// ATTACK 6 (panic). Heights are u64 and the machine adds to them without
/// checking: `start_height(u64::MAX, ..)` overflows at `height + 1`
/// (buffered certificates), and at a height h > u64::MAX - max_heights_ahead
/// any message of a later height overflows `state.height + max_heights_ahead`.
#[test]
fn extreme_heights_do_not_panic() {
    let validators = ValidatorSet::new(0u16..4).unwrap();
    let params = Params::new(CHAIN_ID.to_vec(), 1_000);
    let r = std::panic::catch_unwind(|| {
        let mut m = Machine::new(
            params.clone(),
            Some(0),
            SimCrypto { me: Some(0) },
            Vec::new(),
        );
        m.start_height(u64::MAX - 1, GENESIS, validators.clone());
        let _ = m.on_message(Message::Vote {
            vote: sign_vote(1, vote(u64::MAX, 0, Phase::Prepare, GENESIS)),
            justification: None,
        });
        m.start_height(u64::MAX, GENESIS, validators.clone());
    });
    assert!(r.is_ok(), "the machine panicked on an extreme height");
}
