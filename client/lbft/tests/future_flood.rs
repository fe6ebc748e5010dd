//! A byzantine validator floods messages for later heights; honest early
//! votes must still be kept and counted when the height starts.

mod common;

use common::*;
use cpchain_lbft::*;

#[test]
fn a_flood_of_future_messages_does_not_crowd_out_honest_early_votes() {
    let mut committee = Committee::new(4, &[3]);
    let x1 = proposal(1, &GENESIS);
    let x2 = proposal(2, &x1);
    let validate = Message::Validate(certificate(&[1, 2, 3], vote(1, 0, Phase::Commit, x1)));

    // Validator 3 floods height 2: validly signed votes for many rounds and
    // blocks, forged votes of others, and votes of outsiders.
    for k in 0..6_000u32 {
        let junk = block_hash(&[b"junk", &k.to_le_bytes()]);
        let message = match k % 3 {
            0 => Message::Vote {
                vote: sign_vote(3, vote(2, k % 900, Phase::Prepare, junk)),
                justification: None,
            },
            1 => {
                let mut forged = sign_vote(3, vote(2, 0, Phase::Prepare, junk));
                forged.signer = 1;
                Message::Vote {
                    vote: forged,
                    justification: None,
                }
            }
            _ => Message::Vote {
                vote: sign_vote(77, vote(2, 0, Phase::Commit, junk)),
                justification: None,
            },
        };
        committee.deliver(0, message);
    }
    // Then validators 1 and 2, already at height 2, prepare its block.
    for signer in [1, 2] {
        committee.deliver(
            0,
            Message::Vote {
                vote: sign_vote(signer, vote(2, 0, Phase::Prepare, x2)),
                justification: None,
            },
        );
    }
    // Validator 0 learns height 1 is final, starts height 2, verifies x2:
    // with the two buffered PREPAREs its own makes a P-certificate, and it
    // COMMITs at once.
    committee.deliver(0, validate);
    assert_eq!(committee.decided(0), Some(x1));
    let validators = committee.validators.clone();
    let actions = committee.machine(0).start_height(2, x1, validators);
    committee.apply(0, actions);
    let actions = committee.machine(0).on_block_verified(2, x2, true);
    committee.apply(0, actions);
    assert!(
        committee
            .honest_votes()
            .iter()
            .any(|v| v.signer == 0 && v.vote == vote(2, 0, Phase::Commit, x2)),
        "validator 0 did not commit x2: the honest early PREPAREs were lost"
    );
}
