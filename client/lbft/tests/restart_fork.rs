//! A validator that restarts must not help certify a second block at a
//! height: it keeps its round and its lock across the restart.

mod common;

use common::*;
use cpchain_lbft::*;

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const D: usize = 3;

/// The first schedule: D is byzantine and replays round-0 votes to a
/// restarted A after A helped certify the impeach block in round 1.
#[test]
fn a_byzantine_replay_after_a_restart_cannot_certify_a_second_block() {
    let mut committee = Committee::new(4, &[]);
    let x = proposal(1, &GENESIS);
    for i in [A, B, D] {
        committee.verified(i, x);
    }
    // Only B sees the round-0 P-certificate, and commits X.
    committee.deliver_outbox(A, B);
    committee.deliver_outbox(D, B);
    assert!(committee
        .honest_votes()
        .iter()
        .any(|v| v.signer == B as u16 && v.vote.phase == Phase::Commit && v.vote.hash == x));

    // A and C time out and, with D, certify another block.
    for i in [A, C, D] {
        committee.timeout(i);
    }
    for _ in 0..4 {
        committee.exchange(&[A, C, D]);
        if committee.decided(A).is_some() && committee.decided(C).is_some() {
            break;
        }
        for i in [A, C, D] {
            committee.timeout(i);
        }
    }
    let decided = committee.decided(A).expect("A, C and D decide");
    assert_ne!(decided, x);

    // A restarts; D shows it the round-0 votes for X.
    committee.restart(A);
    let round_zero: Vec<Message<Sim>> = [D, B]
        .iter()
        .flat_map(|from| committee.outbox[*from].clone())
        .filter(|m| matches!(m, Message::Vote { vote, .. } if vote.vote.round == 0))
        .collect();
    for message in round_zero {
        committee.deliver(A, message);
    }

    let certifiable = committee.certifiable(1, &[D as u16]);
    assert!(
        certifiable.len() <= 1,
        "two blocks certifiable at height 1: {certifiable:?}"
    );
}

/// The second schedule: nobody is byzantine. A, B and C commit X;
/// only C sees the C-certificate; A and B restart and, with D, must not
/// certify anything but X.
#[test]
fn honest_validators_that_restart_after_committing_keep_their_lock() {
    let mut committee = Committee::new(4, &[]);
    let x = proposal(1, &GENESIS);
    for i in [A, B, C] {
        committee.verified(i, x);
    }
    let prepares: Vec<(usize, Message<Sim>)> = [A, B, C]
        .iter()
        .map(|i| (*i, committee.outbox[*i][0].clone()))
        .collect();
    for to in [A, B, C] {
        for (from, message) in &prepares {
            if *from != to {
                committee.deliver(to, message.clone());
            }
        }
    }
    // All three COMMIT; only C receives the others' COMMITs.
    for from in [A, B] {
        let commit = committee.outbox[from][1].clone();
        committee.deliver(C, commit);
    }
    assert_eq!(committee.decided(C), Some(x));
    assert_eq!(committee.decided(A), None);
    committee.restart(A);
    committee.restart(B);

    let mut decided = None;
    for _ in 0..8 {
        for i in [A, B, D] {
            committee.timeout(i);
        }
        committee.exchange(&[A, B, D]);
        if let Some(hash) = committee.decided(D) {
            decided = Some(hash);
            break;
        }
    }
    let certifiable = committee.certifiable(1, &[]);
    assert!(
        certifiable.len() <= 1,
        "two blocks certifiable at height 1: {certifiable:?}"
    );
    assert_eq!(
        decided,
        Some(x),
        "A, B and D decide X, the block C finalized"
    );
}
