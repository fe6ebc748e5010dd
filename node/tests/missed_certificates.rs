//! A proposer whose links go down right after it proposes misses the
//! certificate of its own block and of the next height, which the
//! committee decides without it (Eve never runs, so her turn is
//! impeached; `CPCHAIN_TEST_DEAF_AFTER_PROPOSING` keeps Ferdie deaf until
//! a second after that certificate). The committee then waits in silence for this proposer's
//! next turn. No peer announces the final blocks
//! (`CPCHAIN_TEST_NO_FINAL_ANNOUNCE`), so sync cannot fetch them, as in a
//! CI run where sync was busy elsewhere for 20 s
//! (`future_clock`, 2026-11-28: Ferdie impeached at #4; this test makes
//! the same gap on purpose).
//!
//! Once its links are back the proposer must catch up through the
//! consensus protocol alone, in time for its turn: the later certificate
//! its peers keep sending shows it is behind, and its peers answer the
//! certificate it sends while stuck with the ones it missed. Before, it
//! kept the later certificate for later and waited, and its turn was
//! impeached.
#![cfg(feature = "byzantine-test")]

mod common;

use std::time::Duration;

use common::TempDir;
use serde_json::json;
use sp_keyring::Sr25519Keyring;

/// Eve is not started: every turn of hers is impeached.
const NAMES: [&str; 5] = ["alice", "bob", "charlie", "dave", "ferdie"];
/// Ferdie goes deaf after his first proposal at this height or above.
/// Eve's turn after it is impeached 9 s later (period 3 s + timeout 6 s
/// on the `local` chain); Ferdie's next turn is due 3 s after that, and
/// impeached 6 s later.
const DEAF_FROM: &str = "4";

#[test]
fn a_proposer_that_missed_two_certificates_catches_up_in_time_for_its_turn() {
    let base = TempDir::new("cpchain-missed");
    let nodes = common::start_local_network(&base, "missed", &NAMES, |name| {
        let knob = if name == "ferdie" {
            ("CPCHAIN_TEST_DEAF_AFTER_PROPOSING", DEAF_FROM)
        } else {
            ("CPCHAIN_TEST_NO_FINAL_ANNOUNCE", "1")
        };
        vec![(knob.0.to_string(), knob.1.to_string())]
    });
    let (alice, ferdie) = (&nodes[0], &nodes[4]);

    let line = ferdie.wait_for("Ferdie going deaf", Duration::from_secs(180), |ferdie| {
        ferdie
            .log_lines_with("byzantine-test: deaf")
            .into_iter()
            .next()
    });
    let proposed: u64 = line
        .rsplit('#')
        .next()
        .and_then(|height| height.trim().parse().ok())
        .unwrap_or_else(|| panic!("no height in {line:?}"));
    eprintln!("Ferdie deaf after proposing #{proposed}");

    // The gap: the committee decides two heights while Ferdie hears none
    // (he stays deaf for a second after it decided the second).
    alice.wait_for(
        "the committee two heights on",
        Duration::from_secs(30),
        |alice| alice.finalized_number().filter(|n| *n > proposed),
    );
    let ferdie_final = ferdie.finalized_number().unwrap_or(0);
    assert!(
        ferdie_final < proposed,
        "no gap to catch up: Ferdie finalized #{ferdie_final}, his #{proposed} included"
    );

    let turn = proposed + 2;
    alice.wait_for(
        "Ferdie's next turn final",
        Duration::from_secs(60),
        |alice| alice.finalized_number().filter(|n| *n >= turn),
    );
    let expect = |height: u64, proposer: Sr25519Keyring, impeach: bool| {
        let hash = alice.rpc("chain_getBlockHash", json!([height]));
        let origin = common::block_origin(alice, hash.as_str().unwrap());
        assert_eq!(
            origin,
            (proposer.to_account_id(), impeach),
            "#{height}: expected {proposer:?}{}\n--- Ferdie ---\n{}",
            if impeach {
                ", impeached"
            } else {
                "'s proposal"
            },
            ferdie.log_tail()
        );
    };
    expect(proposed, Sr25519Keyring::Ferdie, false);
    // Eve's turn: the height Ferdie missed besides his own.
    expect(proposed + 1, Sr25519Keyring::Eve, true);
    expect(turn, Sr25519Keyring::Ferdie, false);
}
