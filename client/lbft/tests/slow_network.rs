//! When every message takes far longer than the base timeout, rounds must
//! keep growing until one is long enough to decide.

mod common;

use common::*;

#[test]
fn a_committee_decides_when_messages_take_forty_base_timeouts() {
    // Base timeout 1 s; every message takes 40 s; the proposer is silent.
    let committee = Committee::new(4, &[]);
    let mut timed = Timed::new(committee, 40_000);
    let decided = timed.run(48 * 3_600 * 1_000);
    let rounds: Vec<_> = (0..4)
        .map(|i| timed.committee.finalized[i].as_ref().map(|c| c.vote.round))
        .collect();
    assert!(
        decided,
        "no decision after {} simulated s; rounds reached {:?}",
        timed.now / 1_000,
        (0..4)
            .map(|i| timed.committee.machine(i).round())
            .collect::<Vec<_>>()
    );
    eprintln!(
        "decided in rounds {rounds:?} after {} simulated s",
        timed.now / 1_000
    );
}
