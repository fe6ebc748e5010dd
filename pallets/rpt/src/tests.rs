use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::{BuildStorage, DispatchError};

fn run_to(block: u64) {
    System::set_block_number(block);
}

#[test]
fn genesis_sets_weights_and_window() {
    new_test_ext(vec![]).execute_with(|| {
        assert_eq!(
            Rpt::settings(),
            (
                RptWeights {
                    alpha: 50,
                    beta: 15,
                    gamma: 10,
                    psi: 15,
                    omega: 10
                },
                20
            )
        );
    });
}

#[test]
fn balances_are_ranked_in_the_population() {
    new_test_ext(vec![(1, 100), (2, 400), (3, 400), (4, 200)]).execute_with(|| {
        set_population(&[1, 2, 3, 4]);
        let ab = |who| Rpt::rpt_breakdown(&who).ab;
        assert_eq!([ab(1), ab(2), ab(3), ab(4)], [25, 100, 100, 50]);
        assert_eq!(Rpt::rpt_breakdown(&2).total, 50 * 100);
    });
}

#[test]
fn an_account_outside_the_population_is_ranked_against_it() {
    new_test_ext(vec![(1, 100), (2, 400), (9, 300)]).execute_with(|| {
        set_population(&[1, 2]);
        // 9 sits between 2 and 1 among three accounts.
        assert_eq!(Rpt::rpt_breakdown(&9).ab, 66);
        assert!(Rpt::ranking().iter().all(|(who, _)| *who != 9));
    });
}

#[test]
fn no_activity_earns_no_reputation() {
    new_test_ext(vec![]).execute_with(|| {
        assert_eq!(Rpt::rpt_breakdown(&7), RptBreakdown::default());
    });
}

#[test]
fn transactions_count_within_the_window_only() {
    new_test_ext(vec![]).execute_with(|| {
        set_population(&[1, 2]);
        Rpt::note_transaction(&1);
        Rpt::note_transaction(&1);
        run_to(5);
        Rpt::note_transaction(&2);
        assert_eq!(Rpt::raw_values(&1)[1], 2);
        assert_eq!(Rpt::raw_values(&2)[1], 1);
        assert_eq!(Rpt::rpt_breakdown(&1).tx, 100);
        assert_eq!(Rpt::rpt_breakdown(&2).tx, 50);

        // Window 20: at block 20 it spans 1..=20, at 21 block 1 has left.
        run_to(20);
        assert_eq!(Rpt::raw_values(&1)[1], 2);
        run_to(21);
        assert_eq!(Rpt::raw_values(&1)[1], 0);
        assert_eq!(Rpt::raw_values(&2)[1], 1);
        assert_eq!(Rpt::rpt_breakdown(&2).tx, 100);
    });
}

#[test]
fn activity_logs_stay_within_the_largest_window() {
    new_test_ext(vec![]).execute_with(|| {
        for block in 1..=(3 * MAX_WINDOW as u64) {
            run_to(block);
            Rpt::note_transaction(&1);
            Rpt::note_transaction(&1);
            Rpt::note_block_author(&1);
            Rpt::note_block_author(&1);
        }
        let transactions = TransactionsSent::<Test>::get(1);
        assert_eq!(transactions.len(), MAX_WINDOW as usize);
        assert!(transactions.iter().all(|(_, count)| *count == 2));
        assert_eq!(BlocksProduced::<Test>::get(1).len(), MAX_WINDOW as usize);
        // The window (20) still sees exactly its own blocks.
        assert_eq!(Rpt::raw_values(&1)[1], 40);
        assert_eq!(Rpt::raw_values(&1)[3], 20);
    });
}

#[test]
fn blocks_produced_count_once_per_block() {
    new_test_ext(vec![]).execute_with(|| {
        set_population(&[1, 2]);
        Rpt::note_block_author(&1);
        Rpt::note_block_author(&1);
        run_to(2);
        Rpt::note_block_author(&2);
        run_to(3);
        Rpt::note_block_author(&2);
        assert_eq!(Rpt::raw_values(&1)[3], 1);
        assert_eq!(Rpt::raw_values(&2)[3], 2);
        assert_eq!(
            (Rpt::rpt_breakdown(&2).bm, Rpt::rpt_breakdown(&1).bm),
            (100, 50)
        );
    });
}

#[test]
fn uploads_purchases_and_proxy_deals_feed_dc_and_pr() {
    new_test_ext(vec![]).execute_with(|| {
        set_population(&[1, 2, 3]);
        with_activity(|a| {
            a.uploads = vec![(1, 1), (1, 2)];
            a.purchases = vec![(2, 3), (1, 30)];
            a.proxy_deals = vec![(3, 4), (3, 25)];
        });
        run_to(25);
        // Window 20 at block 25: blocks 6..=25.
        assert_eq!(Rpt::raw_values(&1)[2], 0);
        assert_eq!(Rpt::raw_values(&3)[4], 1);
        run_to(20);
        assert_eq!(Rpt::raw_values(&1)[2], 2);
        assert_eq!(Rpt::raw_values(&2)[2], 1);
        assert_eq!(Rpt::raw_values(&3)[4], 1);
        let rpt = Rpt::rpt_breakdown(&3);
        assert_eq!((rpt.pr, rpt.dc), (100, 0));
        assert_eq!(rpt.total, 10 * 100);
    });
}

#[test]
fn the_ranking_is_highest_first_with_ties_in_account_order() {
    new_test_ext(vec![(1, 10), (2, 30), (3, 30), (4, 20)]).execute_with(|| {
        set_population(&[4, 3, 3, 2, 1]);
        let order: Vec<u64> = Rpt::ranking().into_iter().map(|(who, _)| who).collect();
        assert_eq!(order, vec![2, 3, 4, 1]);
        assert_eq!(
            <Rpt as RptProvider<u64>>::ranking(),
            vec![(2, 5_000), (3, 5_000), (4, 2_500), (1, 1_250)]
        );
        assert_eq!(<Rpt as RptProvider<u64>>::rpt_of(&4), 2_500);
    });
}

#[test]
fn impeachments_scale_the_total_and_the_ranking_shows_them() {
    new_test_ext(vec![(1, 400), (2, 300)]).execute_with(|| {
        set_population(&[1, 2]);
        assert_eq!(Rpt::rpt_breakdown(&1).total, 50 * 100);
        // 1 has the larger balance but was impeached three times.
        with_activity(|a| a.impeachments = vec![(1, 3)]);
        let one = Rpt::rpt_breakdown(&1);
        assert_eq!((one.ab, one.impeached), (100, 3));
        assert_eq!(one.total, 50 * 100 * 6 / 9);
        let two = Rpt::rpt_breakdown(&2);
        assert_eq!((two.impeached, two.total), (0, 50 * 50));
        assert_eq!(
            Rpt::ranking()
                .iter()
                .map(|(who, rpt)| (*who, rpt.total))
                .collect::<Vec<_>>(),
            vec![(1, 3_333), (2, 2_500)]
        );
        // Nine in the window leave nothing, so the other ranks first.
        with_activity(|a| a.impeachments = vec![(1, 12)]);
        assert_eq!(Rpt::rpt_breakdown(&1).total, 0);
        assert_eq!(Rpt::rpt_breakdown(&1).impeached, 9);
        assert_eq!(Rpt::ranking()[0].0, 2);
        assert_eq!(<Rpt as RptProvider<u64>>::rpt_of(&1), 0);
    });
}

#[test]
fn the_population_is_capped() {
    new_test_ext(vec![]).execute_with(|| {
        set_population(&(1..=20).collect::<Vec<_>>());
        assert_eq!(Rpt::population().len(), MAX_POPULATION as usize);
    });
}

#[test]
fn weights_change_only_by_governance_and_apply_at_once() {
    new_test_ext(vec![(1, 100)]).execute_with(|| {
        assert_noop!(
            Rpt::update_alpha(RuntimeOrigin::signed(1), 10),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Rpt::update_alpha(RuntimeOrigin::root(), 101),
            Error::<Test>::WeightTooHigh
        );
        assert_eq!(Rpt::rpt_breakdown(&1).total, 50 * 100);

        assert_ok!(Rpt::update_alpha(RuntimeOrigin::root(), 100));
        assert_ok!(Rpt::update_beta(RuntimeOrigin::root(), 1));
        assert_ok!(Rpt::update_gamma(RuntimeOrigin::root(), 2));
        assert_ok!(Rpt::update_psi(RuntimeOrigin::root(), 3));
        assert_ok!(Rpt::update_omega(RuntimeOrigin::root(), 0));
        let weights = RptWeights {
            alpha: 100,
            beta: 1,
            gamma: 2,
            psi: 3,
            omega: 0,
        };
        assert_eq!(Weights::<Test>::get(), weights);
        System::assert_last_event(Event::WeightsUpdated { weights }.into());
        assert_eq!(Rpt::rpt_breakdown(&1).total, 100 * 100);

        for update in [
            Rpt::update_beta,
            Rpt::update_gamma,
            Rpt::update_psi,
            Rpt::update_omega,
        ] {
            assert_noop!(
                update(RuntimeOrigin::signed(1), 1),
                DispatchError::BadOrigin
            );
            assert_noop!(
                update(RuntimeOrigin::root(), 200),
                Error::<Test>::WeightTooHigh
            );
        }
    });
}

#[test]
fn the_window_changes_only_by_governance_within_bounds() {
    new_test_ext(vec![]).execute_with(|| {
        assert_noop!(
            Rpt::update_window(RuntimeOrigin::signed(1), 30),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Rpt::update_window(RuntimeOrigin::root(), MIN_WINDOW - 1),
            Error::<Test>::WindowOutOfRange
        );
        assert_noop!(
            Rpt::update_window(RuntimeOrigin::root(), MAX_WINDOW + 1),
            Error::<Test>::WindowOutOfRange
        );
        assert_ok!(Rpt::update_window(RuntimeOrigin::root(), MAX_WINDOW));
        System::assert_last_event(Event::WindowUpdated { window: MAX_WINDOW }.into());

        Rpt::note_transaction(&1);
        run_to(MAX_WINDOW as u64);
        assert_eq!(Rpt::raw_values(&1)[1], 1);
        assert_ok!(Rpt::update_window(RuntimeOrigin::root(), MIN_WINDOW));
        assert_eq!(Rpt::raw_values(&1)[1], 0);
    });
}

#[test]
#[should_panic(expected = "window outside")]
fn a_genesis_window_out_of_range_is_refused() {
    let _ = RuntimeGenesisConfig {
        system: Default::default(),
        balances: Default::default(),
        rpt: crate::GenesisConfig {
            window: MAX_WINDOW + 1,
            ..Default::default()
        },
    }
    .build_storage();
}

#[test]
#[should_panic(expected = "at most 100")]
fn a_genesis_weight_above_100_is_refused() {
    let _ = RuntimeGenesisConfig {
        system: Default::default(),
        balances: Default::default(),
        rpt: crate::GenesisConfig {
            weights: RptWeights {
                omega: 101,
                ..Default::default()
            },
            ..Default::default()
        },
    }
    .build_storage();
}

#[test]
fn try_state_holds_with_activity_and_catches_a_window_out_of_range() {
    new_test_ext(vec![]).execute_with(|| {
        run_to(5);
        Rpt::note_transaction(&1);
        Rpt::note_transaction(&1);
        run_to(6);
        Rpt::note_transaction(&1);
        Rpt::note_block_author(&2);
        assert_ok!(Rpt::do_try_state());
        Window::<Test>::put(0);
        assert!(Rpt::do_try_state().is_err());
    });
}

/// `rpt_getRpts` made one runtime call per account, and each ranked the
/// whole population (issue 15). The batch ranks it once and gives each
/// account what `rpt_breakdown` gives it alone, outsiders included.
#[test]
fn a_batch_ranks_the_population_once_and_agrees_with_single_reads() {
    new_test_ext(vec![(1, 1_000), (2, 500), (3, 250), (4, 10), (9, 700)]).execute_with(|| {
        set_population(&[1, 2, 3, 4]);
        let whos = [4, 9, 1, 2, 7, 3];
        let single: Vec<RptBreakdown> = whos.iter().map(Rpt::rpt_breakdown).collect();
        POPULATION_READS.with(|reads| *reads.borrow_mut() = 0);
        let batch = Rpt::rpt_breakdowns(&whos);
        assert_eq!(batch, single);
        // Once for the members, once for each of the two outsiders.
        assert_eq!(POPULATION_READS.with(|reads| *reads.borrow()), 3);
        POPULATION_READS.with(|reads| *reads.borrow_mut() = 0);
        Rpt::rpt_breakdowns(&[1, 2, 3, 4]);
        assert_eq!(POPULATION_READS.with(|reads| *reads.borrow()), 1);
    });
}

/// Campaign decides displacement from this ranking: an outsider stands
/// where `rpt_of` puts it, and the members where they would stand with it.
#[test]
fn ranking_with_an_outsider_ranks_it_together_with_the_population_once() {
    new_test_ext(vec![(1, 1_000), (2, 500), (3, 250), (4, 10), (9, 700)]).execute_with(|| {
        set_population(&[1, 2, 3, 4]);
        POPULATION_READS.with(|reads| *reads.borrow_mut() = 0);
        let ranking = <Rpt as RptProvider<u64>>::ranking_with(&9);
        assert_eq!(POPULATION_READS.with(|reads| *reads.borrow()), 1);
        let order: Vec<u64> = ranking.iter().map(|(who, _)| *who).collect();
        assert_eq!(order, vec![1, 9, 2, 3, 4]);
        let together = Rpt::breakdowns_of(&[1, 2, 3, 4, 9]);
        for (who, expected) in [1u64, 2, 3, 4, 9].iter().zip(&together) {
            let found = ranking
                .iter()
                .find(|(member, _)| member == who)
                .map(|(_, rpt)| *rpt);
            assert_eq!(found, Some(expected.total), "account {who}");
        }
        assert_eq!(
            ranking
                .iter()
                .find(|(who, _)| *who == 9)
                .map(|(_, rpt)| *rpt),
            Some(<Rpt as RptProvider<u64>>::rpt_of(&9))
        );
        // A member is not ranked twice.
        assert_eq!(<Rpt as RptProvider<u64>>::ranking_with(&2).len(), 4);
    });
}

mod sweep {
    use super::*;
    use frame_support::{
        dispatch::DispatchClass,
        traits::{Hooks, OnFinalize, OnIdle, OnInitialize},
    };

    /// Ends the current block as the executive does: `on_idle` with the
    /// weight the block left, then `on_finalize`.
    fn end_block() -> Weight {
        let n = System::block_number();
        let weights: frame_system::limits::BlockWeights =
            <Test as frame_system::Config>::BlockWeights::get();
        let max = weights.max_block;
        let remaining = max.saturating_sub(System::block_weight().total());
        let used = AllPalletsWithSystem::on_idle(n, remaining);
        System::register_extra_weight_unchecked(used, DispatchClass::Mandatory);
        AllPalletsWithSystem::on_finalize(n);
        used
    }

    /// Starts block `n` as the executive does.
    fn start_block(n: u64) {
        System::initialize(&n, &Default::default(), &Default::default());
        AllPalletsWithSystem::on_initialize(n);
    }

    /// Ends the current block and runs every block up to `n`, ending all
    /// but `n`, whose extrinsics come next.
    fn run_blocks_to(n: u64) {
        while System::block_number() < n {
            end_block();
            start_block(System::block_number() + 1);
        }
    }

    #[test]
    fn a_one_time_sender_leaves_no_entry_once_the_largest_window_passes() {
        new_test_ext(vec![(1, 100), (2, 200), (3, 300)]).execute_with(|| {
            set_population(&[1, 2, 3]);
            Rpt::note_transaction(&1);
            Rpt::note_transaction(&3);
            // Outside the scored window (20) at block 51, inside the largest.
            run_blocks_to(25);
            Rpt::note_transaction(&2);
            run_blocks_to(45);
            Rpt::note_transaction(&3);
            // Block 1 is inside the largest window up to block 50 ...
            run_blocks_to(MAX_WINDOW as u64);
            end_block();
            assert!(TransactionsSent::<Test>::contains_key(1));

            // ... and outside it from block 51 on.
            start_block(MAX_WINDOW as u64 + 1);
            let before: Vec<_> = [2, 3]
                .map(|who| (TransactionsSent::<Test>::get(who), Rpt::rpt_breakdown(&who)))
                .into();
            end_block();
            assert!(!TransactionsSent::<Test>::contains_key(1));
            // Accounts with records in the largest window keep them, and
            // their scores do not move; 3's record of block 1 is gone.
            let after: Vec<_> = [2, 3]
                .map(|who| (TransactionsSent::<Test>::get(who), Rpt::rpt_breakdown(&who)))
                .into();
            assert_eq!(after[0], before[0]);
            assert_eq!(after[1].0.to_vec(), vec![(45, 1)]);
            assert_eq!(after[1].1, before[1].1);
            assert_eq!(Rpt::raw_values(&3)[1], 1);
        });
    }

    #[test]
    fn an_author_who_stopped_producing_leaves_no_entry() {
        new_test_ext(vec![]).execute_with(|| {
            Rpt::note_block_author(&7);
            run_blocks_to(30);
            Rpt::note_block_author(&8);
            run_blocks_to(MAX_WINDOW as u64 + 1);
            let kept = BlocksProduced::<Test>::get(8);
            end_block();
            assert!(!BlocksProduced::<Test>::contains_key(7));
            assert_eq!(BlocksProduced::<Test>::get(8), kept);
            assert_eq!(kept.into_inner(), vec![30]);
        });
    }

    #[test]
    fn the_sweep_stays_within_the_weight_left_and_reports_what_it_used() {
        new_test_ext(vec![]).execute_with(|| {
            for who in 100..110 {
                Rpt::note_transaction(&who);
            }
            run_to(MAX_WINDOW as u64 + 1);
            let n = System::block_number();
            let sweep = <() as WeightInfo>::sweep;
            let count = || TransactionsSent::<Test>::iter_keys().count();
            // Too little for one log: nothing done, nothing charged.
            let short = sweep(1) - Weight::from_parts(1, 0);
            assert_eq!(<Rpt as Hooks<u64>>::on_idle(n, short), Weight::zero());
            assert_eq!(count(), 10);
            // Enough for two logs: two swept, their weight charged.
            assert_eq!(<Rpt as Hooks<u64>>::on_idle(n, sweep(2)), sweep(2));
            assert_eq!(count(), 8);
            // Plenty: the bound stops it.
            assert_eq!(
                <Rpt as Hooks<u64>>::on_idle(n, Weight::MAX),
                sweep(SWEEP_LIMIT)
            );
            assert_eq!(count(), 8 - SWEEP_LIMIT as usize);
        });
    }

    #[test]
    fn a_sweep_visits_each_log_at_most_once_and_resumes_where_it_stopped() {
        new_test_ext(vec![]).execute_with(|| {
            for who in 100..105 {
                Rpt::note_transaction(&who);
            }
            for who in 200..203 {
                Rpt::note_block_author(&who);
            }
            // Nothing is stale yet: the sweep visits and keeps every log.
            assert_eq!(Rpt::sweep_stale_logs(2), 2);
            assert!(matches!(
                Sweep::<Test>::get(),
                SweepCursor::Transactions(Some(_))
            ));
            let cursor = Sweep::<Test>::get();
            // A bound above the logs: once around the cycle from the
            // cursor, back to it.
            assert_eq!(Rpt::sweep_stale_logs(100), 8);
            assert_eq!(Sweep::<Test>::get(), cursor);
            assert_eq!(Rpt::sweep_stale_logs(5), 5);
            assert!(matches!(Sweep::<Test>::get(), SweepCursor::Blocks(Some(_))));
            assert_eq!(TransactionsSent::<Test>::iter_keys().count(), 5);
            assert_eq!(BlocksProduced::<Test>::iter_keys().count(), 3);
        });
    }

    #[test]
    fn a_block_sweeps_at_most_its_bound_of_stale_logs() {
        new_test_ext(vec![]).execute_with(|| {
            let senders = 3 * SWEEP_LIMIT as u64 + 1;
            for who in 100..100 + senders {
                Rpt::note_transaction(&who);
            }
            run_blocks_to(MAX_WINDOW as u64 + 1);
            let mut left = senders;
            while left > 0 {
                end_block();
                let now = TransactionsSent::<Test>::iter_keys().count() as u64;
                assert_eq!(now, left.saturating_sub(SWEEP_LIMIT as u64));
                left = now;
                start_block(System::block_number() + 1);
            }
        });
    }
}
