//! The adversarial simulator over random schedules, and named scenarios
//! that pin down one kind of trouble each. See `sim/mod.rs` for what the
//! adversary may do and what every run checks.
//!
//! `LBFT_SCHEDULES=N LBFT_SEED=S cargo test --release -p cpchain-lbft
//! --test byzantine_schedules` runs N schedules from seed S; the
//! `lbft_sim` example does the same from the command line and replays a
//! failing seed exactly.

mod sim;

use sim::*;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn ten_thousand_adversarial_schedules_are_safe_and_live() {
    let count = env_u64("LBFT_SCHEDULES", 10_000);
    let seed = env_u64("LBFT_SEED", 0);
    let started = std::time::Instant::now();
    let total = match run_schedules(seed, count) {
        Ok(total) => total,
        Err(v) => panic!(
            "seed {} broke at {} ms: {} (replay: cargo run --release -p cpchain-lbft --example lbft_sim -- --seed {} --schedules 1)",
            v.seed, v.at_ms, v.what, v.seed
        ),
    };
    eprintln!("{count} schedules in {:?}: {total:?}", started.elapsed());
    // The schedules reach what they are meant to.
    assert!(total.impeach_blocks_final > count / 10, "{total:?}");
    assert!(total.decided_after_round_one > count / 20, "{total:?}");
    assert!(total.crashes > count, "{total:?}");
    assert!(total.crashes_after_sign > count / 20, "{total:?}");
    assert!(total.restarts_with_lock > count / 20, "{total:?}");
    assert!(total.certificates_revealed > count, "{total:?}");
    assert!(total.leader_equivocations > count / 100, "{total:?}");
    assert!(total.equivocations_reported > count, "{total:?}");
    assert!(total.set_changes > count / 10, "{total:?}");
    assert!(total.follower_heights > count, "{total:?}");
    assert!(total.refused_messages > count, "{total:?}");
}

fn quiet(seed: u64) -> Scenario {
    Scenario {
        seed,
        set_size: 4,
        spare_validators: 0,
        followers: 0,
        byzantine: 0,
        strategies: Strategies::default(),
        target_height: 6,
        gst_ms: 0,
        crash_until_ms: 0,
        crash_percent: 0,
        crash_after_sign_percent: 0,
        finality_lost_percent: 0,
        drop_percent: 0,
        duplicate_percent: 0,
        max_delay_ms: 50,
        partition: false,
        hold_back_percent: 0,
        proposer_faults: false,
        rotate_every: None,
        base_timeout_ms: 1_000,
    }
}

fn run_seeds(count: u64, make: impl Fn(u64) -> Scenario) -> Stats {
    let mut total = Stats::default();
    for seed in 0..count {
        match World::new(make(seed)).run() {
            Ok(stats) => total += stats,
            Err(v) => panic!("seed {} broke at {} ms: {}", v.seed, v.at_ms, v.what),
        }
    }
    total
}

#[test]
fn crash_restart_of_every_node_right_after_signing() {
    let total = run_seeds(300, |seed| Scenario {
        gst_ms: 4_000,
        crash_until_ms: 9_000,
        crash_percent: 40,
        crash_after_sign_percent: 10,
        finality_lost_percent: 30,
        drop_percent: 10,
        ..quiet(seed)
    });
    assert!(total.crashes_after_sign > 100, "{total:?}");
    assert!(total.finality_lost > 100, "{total:?}");
    assert!(total.silent_heights > 30, "{total:?}");
    assert!(total.restarts_with_lock > 30, "{total:?}");
}

#[test]
fn byzantine_split_with_double_signing_and_equivocating_leaders() {
    let total = run_seeds(300, |seed| Scenario {
        set_size: [4, 7][(seed % 2) as usize],
        byzantine: [1, 2][(seed % 2) as usize],
        strategies: Strategies {
            double_sign: true,
            hide_and_reveal: true,
            equivocating_leader: true,
            split_validate: true,
            ..Strategies::default()
        },
        gst_ms: 6_000,
        drop_percent: 20,
        max_delay_ms: 120,
        proposer_faults: true,
        ..quiet(seed)
    });
    assert!(total.certificates_revealed > 300, "{total:?}");
    assert!(total.equivocations_reported > 300, "{total:?}");
}

#[test]
fn partition_that_heals_with_lagging_followers() {
    let total = run_seeds(300, |seed| Scenario {
        followers: 2,
        byzantine: 1,
        strategies: Strategies {
            replay: true,
            flood: true,
            junk: true,
            ..Strategies::default()
        },
        gst_ms: 8_000,
        partition: true,
        crash_until_ms: 5_000,
        crash_percent: 20,
        ..quiet(seed)
    });
    assert!(total.follower_heights > 300 * 2 * 5, "{total:?}");
}

#[test]
fn validator_set_changes_between_heights() {
    let total = run_seeds(300, |seed| Scenario {
        set_size: 4,
        spare_validators: 2,
        byzantine: 1,
        strategies: Strategies {
            double_sign: true,
            equivocating_leader: true,
            ..Strategies::default()
        },
        rotate_every: Some(1 + seed % 2),
        gst_ms: 3_000,
        drop_percent: 20,
        crash_until_ms: 3_000,
        crash_percent: 20,
        ..quiet(seed)
    });
    assert!(total.set_changes > 300, "{total:?}");
}

#[test]
fn a_stable_network_finalizes_the_proposers_blocks_in_round_zero() {
    let mut world = World::new(quiet(7));
    let stats = world.run().unwrap_or_else(|v| panic!("{v:?}"));
    assert_eq!(stats.impeach_blocks_final, 0);
    assert_eq!(stats.max_round, 0);
}
