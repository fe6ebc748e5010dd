//! One byzantine validator (of four) completes P-certificates with its own
//! PREPARE and shows each to a single honest validator. The honest ones
//! must still decide within a few rounds of a synchronous network.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use cpchain_lbft::*;

const D: u16 = 3;

/// The adversary's move in the current round: for every block that honest
/// validators prepared, it adds its own PREPARE, but shows it to one of them
/// only. It never commits, never proposes and sends nothing else.
fn reveal_to_one(committee: &mut Committee, shown: &mut BTreeSet<(Round, Hash)>) {
    let mut prepared: BTreeMap<(Round, Hash), Vec<u16>> = BTreeMap::new();
    for vote in committee.honest_votes() {
        if vote.vote.phase == Phase::Prepare {
            prepared
                .entry((vote.vote.round, vote.vote.hash))
                .or_default()
                .push(vote.signer);
        }
    }
    for ((round, hash), signers) in prepared {
        if signers.len() + 1 < committee.validators.quorum() || !shown.insert((round, hash)) {
            continue;
        }
        let own = sign_vote(D, vote(committee.height, round, Phase::Prepare, hash));
        let to = *signers.iter().min().unwrap() as usize;
        committee.deliver(
            to,
            Message::Vote {
                vote: own,
                justification: None,
            },
        );
    }
}

#[test]
fn certificates_shown_to_one_validator_do_not_stall_the_committee() {
    let mut committee = Committee::new(4, &[D]);
    let honest = committee.honest();
    let x = proposal(1, &GENESIS);
    // The proposer's block reaches A and B only.
    committee.verified(0, x);
    committee.verified(1, x);

    let mut shown = BTreeSet::new();
    let mut rounds = 0;
    while honest.iter().any(|i| committee.decided(*i).is_none()) {
        assert!(
            rounds < 12,
            "no decision after {rounds} synchronous rounds: rounds {:?}",
            honest
                .iter()
                .map(|i| committee.machine(*i).round())
                .collect::<Vec<_>>()
        );
        // Each honest validator acts on entering the round before it hears
        // the others; then everything honest is delivered, with the
        // adversary's PREPAREs slipped in as soon as they complete a quorum.
        loop {
            let before: usize = committee.outbox.iter().map(Vec::len).sum();
            reveal_to_one(&mut committee, &mut shown);
            committee.exchange(&honest);
            let after: usize = committee.outbox.iter().map(Vec::len).sum();
            if after == before {
                break;
            }
        }
        if honest.iter().all(|i| committee.decided(*i).is_some()) {
            break;
        }
        for &i in &honest {
            if committee.decided(i).is_none() {
                committee.timeout(i);
            }
        }
        rounds += 1;
    }
    let decided: BTreeSet<Hash> = honest
        .iter()
        .filter_map(|i| committee.decided(*i))
        .collect();
    assert_eq!(decided.len(), 1, "{decided:?}");
}
