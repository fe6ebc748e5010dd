use crate::{mock::*, *};
use cpchain_primitives::traits::{CandidateSource, RptPopulation};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_runtime::DispatchError;

fn held(who: u64, reason: HoldReason) -> u64 {
    Balances::balance_on_hold(&RuntimeHoldReason::Campaign(reason), &who)
}

fn free(who: u64) -> u64 {
    Balances::free_balance(who)
}

fn join(who: u64) {
    assert_ok!(Campaign::join_rnode(
        RuntimeOrigin::signed(who),
        proof(0),
        proof(0)
    ));
}

fn claim(who: u64, terms: u32) -> sp_runtime::DispatchResult {
    Campaign::claim_campaign(RuntimeOrigin::signed(who), terms, proof(0), proof(0))
}

#[test]
fn joining_holds_the_bond() {
    new_test_ext().execute_with(|| {
        join(1);
        assert_eq!(held(1, HoldReason::RnodeBond), BOND);
        assert_eq!(free(1), START - BOND);
        assert_eq!(
            Rnodes::<Test>::get(1),
            Some(RnodeInfo {
                bond: BOND,
                joined_at: 1
            })
        );
        System::assert_last_event(Event::RnodeJoined { who: 1, bond: BOND }.into());
        assert_eq!(<Campaign as RptPopulation<u64>>::members(), vec![1]);
    });
}

#[test]
fn bad_joins_are_refused_and_move_no_funds() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Campaign::join_rnode(RuntimeOrigin::signed(1), proof(1), proof(0)),
            DispatchError::Other("CpuProofInvalid")
        );
        assert_noop!(
            Campaign::join_rnode(RuntimeOrigin::signed(1), proof(0), proof(3)),
            DispatchError::Other("MemoryProofInvalid")
        );
        join(1);
        assert_noop!(
            Campaign::join_rnode(RuntimeOrigin::signed(1), proof(0), proof(0)),
            Error::<Test>::AlreadyRnode
        );
        assert_noop!(
            Campaign::join_rnode(RuntimeOrigin::signed(9), proof(0), proof(0)),
            Error::<Test>::InsufficientFunds
        );
        assert_noop!(
            Campaign::join_rnode(RuntimeOrigin::none(), proof(0), proof(0)),
            DispatchError::BadOrigin
        );
    });
}

/// Every slot taken, and every RNode past its lock period.
fn fill_rnodes() {
    for who in 1..=MAX_RNODES as u64 {
        join(who);
    }
    System::set_block_number(System::block_number() + LOCK);
}

#[test]
fn an_rnode_within_its_lock_period_is_not_displaced() {
    new_test_ext().execute_with(|| {
        for who in 1..=MAX_RNODES as u64 {
            join(who);
        }
        // 7 outranks every RNode, but they all joined within the lock.
        set_ranking(vec![(7, 100), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1)]);
        System::set_block_number(LOCK);
        assert_noop!(
            Campaign::join_rnode(RuntimeOrigin::signed(7), proof(0), proof(0)),
            Error::<Test>::TooManyRnodes
        );
        System::set_block_number(1 + LOCK);
        assert_ok!(Campaign::join_rnode(
            RuntimeOrigin::signed(7),
            proof(0),
            proof(0)
        ));
        assert!(!Rnodes::<Test>::contains_key(5));
        // The newcomer is locked in: 5 outranks it but cannot take the
        // slot straight back.
        set_ranking(vec![
            (1, 100),
            (2, 100),
            (3, 100),
            (4, 100),
            (5, 50),
            (7, 1),
        ]);
        assert_noop!(
            Campaign::join_rnode(RuntimeOrigin::signed(5), proof(0), proof(0)),
            Error::<Test>::TooManyRnodes
        );
    });
}

#[test]
fn a_joiner_ranked_no_higher_than_every_rnode_is_refused_and_moves_no_funds() {
    new_test_ext().execute_with(|| {
        fill_rnodes();
        // Every RNode and the joiner at the same RPT: a tie displaces nobody,
        // so equals cannot churn each other out.
        set_ranking((1..=7).map(|who| (who, 10)).collect());
        assert_noop!(
            Campaign::join_rnode(RuntimeOrigin::signed(7), proof(0), proof(0)),
            Error::<Test>::TooManyRnodes
        );
        set_ranking((1..=5).map(|who| (who, 10)).chain([(7, 5)]).collect());
        assert_noop!(
            Campaign::join_rnode(RuntimeOrigin::signed(7), proof(0), proof(0)),
            Error::<Test>::TooManyRnodes
        );
    });
}

#[test]
fn a_joiner_with_higher_rpt_displaces_the_lowest_rnode_and_its_bond_is_returned() {
    new_test_ext().execute_with(|| {
        fill_rnodes();
        // Squatters 1..=5 sit on every slot; 3 ranks lowest.
        set_ranking(vec![(1, 40), (2, 30), (4, 20), (5, 20), (3, 10), (7, 11)]);
        assert_ok!(Campaign::join_rnode(
            RuntimeOrigin::signed(7),
            proof(0),
            proof(0)
        ));
        assert!(Rnodes::<Test>::contains_key(7));
        assert!(!Rnodes::<Test>::contains_key(3));
        assert_eq!(Rnodes::<Test>::count(), MAX_RNODES);
        assert_eq!(held(3, HoldReason::RnodeBond), 0);
        assert_eq!(free(3), START);
        assert_eq!(held(7, HoldReason::RnodeBond), BOND);
        System::assert_has_event(
            Event::RnodeDisplaced {
                who: 3,
                by: 7,
                bond: BOND,
            }
            .into(),
        );
        assert_ok!(Campaign::do_try_state());
    });
}

#[test]
fn among_equally_low_rnodes_the_last_in_account_order_goes() {
    new_test_ext().execute_with(|| {
        fill_rnodes();
        set_ranking(vec![(1, 40), (2, 30), (3, 10), (4, 10), (5, 10), (7, 11)]);
        assert_ok!(Campaign::join_rnode(
            RuntimeOrigin::signed(7),
            proof(0),
            proof(0)
        ));
        assert!(!Rnodes::<Test>::contains_key(5));
        assert!(Rnodes::<Test>::contains_key(3) && Rnodes::<Test>::contains_key(4));
    });
}

#[test]
fn an_rnode_holding_a_candidacy_is_never_displaced() {
    new_test_ext().execute_with(|| {
        fill_rnodes();
        set_ranking((1..=5).map(|who| (who, 10)).collect());
        for who in 1..=4 {
            assert_ok!(claim(who, 1));
        }
        // 5 is the only RNode without a candidacy, and it ranks above the
        // candidates: they stay, and 5 goes.
        set_ranking(vec![(7, 20), (5, 15), (1, 1), (2, 1), (3, 1), (4, 1)]);
        assert_ok!(Campaign::join_rnode(
            RuntimeOrigin::signed(7),
            proof(0),
            proof(0)
        ));
        assert!(!Rnodes::<Test>::contains_key(5));
        assert!((1..=4).all(Rnodes::<Test>::contains_key));
        // Every remaining RNode is a candidate: nobody can be displaced.
        assert_ok!(claim(7, 1));
        set_ranking(vec![(6, 100), (1, 1), (2, 1), (3, 1), (4, 1), (7, 1)]);
        assert_noop!(
            Campaign::join_rnode(RuntimeOrigin::signed(6), proof(0), proof(0)),
            Error::<Test>::TooManyRnodes
        );
    });
}

#[test]
fn quitting_as_rnode_waits_for_the_lock_and_for_candidacies() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Campaign::quit_rnode(RuntimeOrigin::signed(1)),
            Error::<Test>::NotRnode
        );
        join(1);
        assert_noop!(
            Campaign::quit_rnode(RuntimeOrigin::signed(1)),
            Error::<Test>::RnodeLocked
        );
        System::set_block_number(1 + LOCK);
        assert_ok!(claim(1, 1));
        assert_noop!(
            Campaign::quit_rnode(RuntimeOrigin::signed(1)),
            Error::<Test>::StillCandidate
        );
        enter_term(3);
        assert_ok!(Campaign::quit_rnode(RuntimeOrigin::signed(1)));
        assert_eq!(free(1), START);
        assert_eq!(Rnodes::<Test>::count(), 0);
        System::assert_last_event(Event::RnodeQuit { who: 1, bond: BOND }.into());
    });
}

#[test]
fn a_claim_holds_a_deposit_per_term_for_the_next_terms() {
    new_test_ext().execute_with(|| {
        join(1);
        set_term(4);
        assert_ok!(claim(1, 3));
        assert_eq!(held(1, HoldReason::CampaignDeposit), 3 * BASE_DEPOSIT);
        assert_eq!(
            Campaign::candidate_info(&1),
            Some(CandidateInfo {
                terms: 3,
                start: 6,
                stop: 8,
                deposit: 3 * BASE_DEPOSIT
            })
        );
        for term in 6..=8 {
            assert_eq!(
                <Campaign as CandidateSource<u64>>::candidates_of(term),
                vec![1]
            );
        }
        assert!(<Campaign as CandidateSource<u64>>::candidates_of(5).is_empty());
        assert!(<Campaign as CandidateSource<u64>>::candidates_of(9).is_empty());
        System::assert_last_event(
            Event::CampaignClaimed {
                who: 1,
                start: 6,
                stop: 8,
                deposit: 300,
            }
            .into(),
        );
    });
}

#[test]
fn bad_claims_get_distinct_errors_and_move_no_funds() {
    new_test_ext().execute_with(|| {
        assert_noop!(claim(1, 1), Error::<Test>::NotRnode);
        join(1);
        assert_noop!(claim(1, 0), Error::<Test>::TermsOutOfRange);
        assert_noop!(claim(1, MAX_TERMS + 1), Error::<Test>::TermsOutOfRange);
        assert_noop!(
            Campaign::claim_campaign(RuntimeOrigin::signed(1), 1, proof(1), proof(0)),
            DispatchError::Other("CpuProofInvalid")
        );
        assert_noop!(
            Campaign::claim_campaign(RuntimeOrigin::signed(1), 1, proof(0), proof(1)),
            DispatchError::Other("MemoryProofInvalid")
        );
        assert_ok!(claim(1, 1));
        assert_noop!(claim(1, 1), Error::<Test>::AlreadyCandidate);

        // The poor account can bond but not also deposit.
        join(POOR);
        assert_noop!(claim(POOR, 1), Error::<Test>::InsufficientFunds);
    });
}

#[test]
fn only_the_top_rnodes_by_rpt_may_claim() {
    new_test_ext().execute_with(|| {
        for who in 1..=3 {
            join(who);
        }
        assert_ok!(Campaign::set_max_qualified(RuntimeOrigin::root(), 2));
        set_ranking(vec![(3, 900), (1, 500), (2, 100)]);
        assert_noop!(claim(2, 1), Error::<Test>::NotQualified);
        assert_ok!(claim(3, 1));
        assert_ok!(claim(1, 1));
        assert!(Campaign::is_qualified(&1));
        assert!(!Campaign::is_qualified(&2));
    });
}

#[test]
fn deposits_come_back_term_by_term() {
    new_test_ext().execute_with(|| {
        join(1);
        join(2);
        assert_ok!(claim(1, 2)); // terms 2 and 3
        assert_ok!(claim(2, 1)); // term 2
        enter_term(2);
        assert_eq!(held(1, HoldReason::CampaignDeposit), 2 * BASE_DEPOSIT);
        enter_term(3);
        System::assert_has_event(
            Event::TermSettled {
                term: 2,
                candidates: 2,
            }
            .into(),
        );
        assert_eq!(held(1, HoldReason::CampaignDeposit), BASE_DEPOSIT);
        assert_eq!(held(2, HoldReason::CampaignDeposit), 0);
        assert_eq!(Campaign::candidate_info(&2), None);
        enter_term(4);
        assert_eq!(held(1, HoldReason::CampaignDeposit), 0);
        assert_eq!(Campaign::candidate_info(&1), None);
        assert_eq!(free(1), START - BOND);
        // Once every claimed term is over, a new claim is possible.
        assert_ok!(claim(1, 1));
        assert_eq!(Campaign::candidate_info(&1).unwrap().start, 6);
    });
}

#[test]
fn a_long_stall_is_settled_a_few_terms_per_block() {
    new_test_ext().execute_with(|| {
        join(1);
        assert_ok!(claim(1, 3));
        enter_term(20);
        assert_eq!(NextTermToSettle::<Test>::get(), MAX_TERMS_SETTLED_PER_BLOCK);
        assert_eq!(held(1, HoldReason::CampaignDeposit), BASE_DEPOSIT);
        enter_term(20);
        assert_eq!(
            NextTermToSettle::<Test>::get(),
            2 * MAX_TERMS_SETTLED_PER_BLOCK
        );
        assert_eq!(held(1, HoldReason::CampaignDeposit), 0);
    });
}

#[test]
fn quitting_the_campaign_refunds_the_terms_not_started() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Campaign::quit_campaign(RuntimeOrigin::signed(1)),
            Error::<Test>::NotCandidate
        );
        join(1);
        assert_ok!(claim(1, 3)); // terms 2..=4
        enter_term(1); // term 2 is elected now
        assert_ok!(Campaign::quit_campaign(RuntimeOrigin::signed(1)));
        System::assert_last_event(
            Event::CampaignQuit {
                who: 1,
                refunded: 2 * BASE_DEPOSIT,
            }
            .into(),
        );
        assert_eq!(held(1, HoldReason::CampaignDeposit), BASE_DEPOSIT);
        assert!(<Campaign as CandidateSource<u64>>::candidates_of(3).is_empty());
        assert_eq!(
            <Campaign as CandidateSource<u64>>::candidates_of(2),
            vec![1]
        );
        // Only the elected term is left: nothing to withdraw.
        assert_noop!(
            Campaign::quit_campaign(RuntimeOrigin::signed(1)),
            Error::<Test>::NothingToWithdraw
        );
        enter_term(3);
        assert_eq!(held(1, HoldReason::CampaignDeposit), 0);
        assert_eq!(Campaign::candidate_info(&1), None);
        assert_eq!(free(1), START - BOND);
    });
}

#[test]
fn quitting_before_any_term_starts_refunds_everything() {
    new_test_ext().execute_with(|| {
        join(1);
        assert_ok!(claim(1, 2));
        assert_ok!(Campaign::quit_campaign(RuntimeOrigin::signed(1)));
        assert_eq!(held(1, HoldReason::CampaignDeposit), 0);
        assert_eq!(Campaign::candidate_info(&1), None);
    });
}

#[test]
fn governance_punishes_a_candidate_for_one_term() {
    new_test_ext().execute_with(|| {
        join(1);
        assert_ok!(claim(1, 2)); // terms 2 and 3
        let issuance = Balances::total_issuance();
        assert_noop!(
            Campaign::punish_candidate(RuntimeOrigin::signed(2), 1, 1),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Campaign::punish_candidate(RuntimeOrigin::root(), 2, 1),
            Error::<Test>::NotCandidate
        );
        assert_noop!(
            Campaign::punish_candidate(RuntimeOrigin::root(), 1, 5),
            Error::<Test>::NotCandidateInTerm
        );
        assert_ok!(Campaign::punish_candidate(RuntimeOrigin::root(), 1, 3));
        System::assert_last_event(
            Event::CandidatePunished {
                who: 1,
                term: 3,
                slashed: BASE_DEPOSIT,
            }
            .into(),
        );
        assert_eq!(Balances::total_issuance(), issuance - BASE_DEPOSIT);
        assert!(<Campaign as CandidateSource<u64>>::candidates_of(3).is_empty());
        assert_eq!(held(1, HoldReason::CampaignDeposit), BASE_DEPOSIT);
        // Term 2 still ends normally and returns the rest.
        enter_term(3);
        assert_eq!(held(1, HoldReason::CampaignDeposit), 0);
        assert_eq!(Campaign::candidate_info(&1), None);
        assert_eq!(free(1), START - BOND - BASE_DEPOSIT);
    });
}

#[test]
fn max_qualified_changes_only_by_governance_within_bounds() {
    new_test_ext().execute_with(|| {
        assert_eq!(MaxQualified::<Test>::get(), 21);
        assert_noop!(
            Campaign::set_max_qualified(RuntimeOrigin::signed(1), 3),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Campaign::set_max_qualified(RuntimeOrigin::root(), 0),
            Error::<Test>::MaxQualifiedOutOfRange
        );
        assert_noop!(
            Campaign::set_max_qualified(RuntimeOrigin::root(), MAX_RNODES + 1),
            Error::<Test>::MaxQualifiedOutOfRange
        );
        assert_ok!(Campaign::set_max_qualified(RuntimeOrigin::root(), 3));
        System::assert_last_event(Event::MaxQualifiedUpdated { max_qualified: 3 }.into());
    });
}

#[test]
fn a_frozen_balance_cannot_pay_a_deposit() {
    new_test_ext().execute_with(|| {
        join(1);
        // Holding everything but the existential deposit leaves no room.
        assert_ok!(<Balances as frame_support::traits::fungible::MutateHold<
            u64,
        >>::hold(
            &RuntimeHoldReason::Campaign(HoldReason::RnodeBond),
            &1,
            free(1) - 1
        ));
        assert_noop!(claim(1, 1), Error::<Test>::InsufficientFunds);
    });
}

#[test]
fn try_state_holds_for_rnodes_and_candidates_and_catches_a_lost_deposit() {
    use frame_support::traits::{fungible::MutateHold, tokens::Precision};
    new_test_ext().execute_with(|| {
        join(1);
        assert_ok!(claim(1, 2));
        assert_ok!(Campaign::do_try_state());
        assert_ok!(<Balances as MutateHold<u64>>::release(
            &HoldReason::CampaignDeposit.into(),
            &1,
            1,
            Precision::Exact
        ));
        assert!(Campaign::do_try_state().is_err());
    });
}
