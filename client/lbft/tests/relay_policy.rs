//! What a node relays (`Machine::accepts` before `on_message`, `on_message`
//! accepting), and a node whose key joins or leaves the committee between
//! heights (`Machine::set_local`).

mod common;

use common::*;
use cpchain_lbft::*;

/// Whether the glue would relay `message`: the machine counted it before,
/// and accepted it.
fn relays(machine: &mut Machine<Sim, SimCrypto>, message: Message<Sim>) -> bool {
    let accepts = machine.accepts(&message);
    machine.on_message(message).is_ok() && accepts
}

fn follower() -> Machine<Sim, SimCrypto> {
    let mut machine = Machine::new(
        Params::new(CHAIN_ID.to_vec(), 1_000),
        None,
        SimCrypto { me: None },
        Vec::new(),
    );
    machine.start_height(2, proposal(1, &GENESIS), ValidatorSet::new(0..4).unwrap());
    machine
}

fn prepare(signer: u16, height: Height, round: Round) -> Message<Sim> {
    Message::Vote {
        vote: sign_vote(
            signer,
            vote(height, round, Phase::Prepare, block_hash(&[b"x"])),
        ),
        justification: None,
    }
}

#[test]
fn current_votes_of_validators_are_relayed_and_forgeries_are_not() {
    let mut machine = follower();
    assert!(relays(&mut machine, prepare(1, 2, 0)));
    let mut forged = sign_vote(1, vote(2, 0, Phase::Commit, block_hash(&[b"x"])));
    forged.signer = 2;
    let forged = Message::Vote {
        vote: forged,
        justification: None,
    };
    assert!(!relays(&mut machine, forged));
    // An outsider's vote.
    assert!(!relays(&mut machine, prepare(9, 2, 0)));
}

#[test]
fn stale_and_far_future_messages_are_not_relayed() {
    let mut machine = follower();
    assert!(!relays(&mut machine, prepare(1, 1, 0)), "an old height");
    assert!(
        relays(&mut machine, prepare(1, 3, 0)),
        "the next height, signed by a current validator"
    );
    assert!(
        !relays(&mut machine, prepare(9, 3, 0)),
        "an outsider, unchecked"
    );
    assert!(
        !relays(&mut machine, prepare(1, 2 + 5, 0)),
        "beyond the window"
    );
    let later = certificate(&[0, 1, 2], vote(3, 0, Phase::Commit, block_hash(&[b"y"])));
    assert!(!relays(&mut machine, Message::Validate(later)));
}

#[test]
fn a_certificate_is_relayed_once_and_nothing_after_the_decision() {
    let mut machine = follower();
    let hash = block_hash(&[b"x"]);
    let validate = Message::Validate(certificate(&[0, 1, 2], vote(2, 0, Phase::Commit, hash)));
    assert!(relays(&mut machine, validate.clone()));
    assert!(!relays(&mut machine, validate), "the height is decided");
    assert!(!relays(&mut machine, prepare(3, 2, 0)));
}

#[test]
fn a_key_that_joins_the_committee_votes_from_the_next_height_and_one_that_leaves_stops() {
    let x1 = proposal(1, &GENESIS);
    let mut machine = Machine::new(
        Params::new(CHAIN_ID.to_vec(), 1_000),
        None,
        SimCrypto { me: None },
        Vec::new(),
    );
    machine.start_height(1, GENESIS, ValidatorSet::new(0..4).unwrap());
    let actions = machine.on_block_verified(1, x1, true);
    assert!(
        !actions.iter().any(|a| matches!(a, Action::Broadcast(_))),
        "not a validator yet: {actions:?}"
    );

    // Governance adds validator 4 at height 2.
    machine.set_local(Some(4), SimCrypto { me: Some(4) });
    machine.start_height(2, x1, ValidatorSet::new(0..5).unwrap());
    let x2 = proposal(2, &x1);
    let actions = machine.on_block_verified(2, x2, true);
    let prepared = actions.iter().any(|action| {
        matches!(action, Action::Broadcast(Message::Vote { vote, .. })
            if vote.signer == 4 && vote.vote.hash == x2)
    });
    assert!(prepared, "{actions:?}");

    // And removes it at height 3.
    machine.set_local(None, SimCrypto { me: None });
    machine.start_height(3, x2, ValidatorSet::new(0..4).unwrap());
    let actions = machine.on_block_verified(3, proposal(3, &x2), true);
    assert!(
        !actions.iter().any(|a| matches!(a, Action::Broadcast(_))),
        "{actions:?}"
    );
}

#[test]
fn a_copy_of_a_justified_proposal_with_its_round_changes_reordered_is_not_signed_again() {
    // Validators 0..=2 time out round 0; the leader of round 1 (validator
    // 2 at height 1) proposes the impeach block with three round changes.
    let mut committee = Committee::new(4, &[3]);
    for i in 0..3 {
        committee.timeout(i);
    }
    // The leader hears the round changes; validator 0 hears the leader.
    committee.deliver_outbox(0, 2);
    committee.deliver_outbox(1, 2);
    committee.deliver_outbox(2, 0);
    let proposal = committee.outbox[2]
        .iter()
        .find_map(|message| match message {
            Message::Vote {
                vote,
                justification: Some(justification),
            } if vote.vote.round == 1 => Some((vote.clone(), justification.clone())),
            _ => None,
        })
        .expect("the round-1 leader proposed");
    let prepared = |committee: &Committee| {
        committee.outbox[0]
            .iter()
            .filter(|message| {
                matches!(message, Message::Vote { vote, .. }
                    if vote.signer == 0 && vote.vote.round == 1 && vote.vote.phase == Phase::Prepare)
            })
            .count()
    };
    assert_eq!(prepared(&committee), 1, "validator 0 prepared once");

    // A peer replays the proposal with the round changes in another order:
    // a valid message, but nothing new to sign or send.
    let (vote, mut justification) = proposal;
    justification.round_changes.reverse();
    committee.deliver(
        0,
        Message::Vote {
            vote,
            justification: Some(justification),
        },
    );
    assert_eq!(prepared(&committee), 1);
}

#[test]
fn retransmission_sends_the_vote_as_signed_before() {
    let mut committee = Committee::new(4, &[]);
    let x1 = proposal(1, &GENESIS);
    committee.verified(0, x1);
    let first = committee.outbox[0].clone();
    let actions = committee.machine(0).rebroadcast();
    let resent: Vec<&Message<Sim>> = actions
        .iter()
        .filter_map(|action| match action {
            Action::Broadcast(message) => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(resent, first.iter().collect::<Vec<_>>(), "{actions:?}");
}
