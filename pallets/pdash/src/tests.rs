use crate::{
    mock::*, Error, Event, OrderState, Orders, ProxyRatings, Rating, RatingTotal, SellerRatings,
    Verdict,
};
use cpchain_primitives::traits::DealCounter;
use frame_support::{
    assert_noop, assert_ok,
    traits::fungible::{Inspect, InspectHold},
};
use sp_runtime::{DispatchError, TokenError};

const PRICE: u64 = 1_000;
const FEE: u64 = 100;
const BOND: u64 = 100; // 10% of the price

fn free(who: u64) -> u64 {
    Balances::balance(&who)
}

fn held(who: u64) -> u64 {
    Balances::total_balance_on_hold(&who)
}

fn total_issuance_is_unchanged() {
    assert_eq!(Balances::total_issuance(), 4 * START);
}

fn place() -> u64 {
    let id = crate::NextOrderId::<Test>::get();
    assert_ok!(Pdash::place_order(
        RuntimeOrigin::signed(BUYER),
        SELLER,
        PROXY,
        [7; 32],
        PRICE,
        FEE
    ));
    id
}

fn to_delivered() -> u64 {
    let id = place();
    assert_ok!(Pdash::seller_confirm(RuntimeOrigin::signed(SELLER), id));
    assert_ok!(Pdash::proxy_fetched(RuntimeOrigin::signed(PROXY), id));
    assert_ok!(Pdash::proxy_delivered(
        RuntimeOrigin::signed(PROXY),
        id,
        [9; 32]
    ));
    id
}

fn assert_paid_out() {
    assert_eq!(free(BUYER), START - PRICE - FEE);
    assert_eq!(free(SELLER), START + PRICE);
    assert_eq!(free(PROXY), START + FEE);
    assert_eq!(held(BUYER) + held(SELLER) + held(PROXY), 0);
    total_issuance_is_unchanged();
}

fn assert_all_refunded() {
    for who in [BUYER, SELLER, PROXY] {
        assert_eq!(free(who), START);
        assert_eq!(held(who), 0);
    }
    total_issuance_is_unchanged();
}

#[test]
fn the_happy_path_pays_seller_and_proxy_and_records_the_deal() {
    new_test_ext().execute_with(|| {
        let id = place();
        assert_eq!(held(BUYER), PRICE + FEE);
        assert_ok!(Pdash::seller_confirm(RuntimeOrigin::signed(SELLER), id));
        assert_eq!(held(SELLER), BOND);
        assert_ok!(Pdash::proxy_fetched(RuntimeOrigin::signed(PROXY), id));
        assert_ok!(Pdash::proxy_delivered(
            RuntimeOrigin::signed(PROXY),
            id,
            [9; 32]
        ));
        assert_eq!(Orders::<Test>::get(id).unwrap().delivery, Some([9; 32]));
        System::set_block_number(5);
        let rating = Rating {
            seller: 5,
            proxy: 4,
        };
        assert_ok!(Pdash::buyer_confirm(
            RuntimeOrigin::signed(BUYER),
            id,
            Some(rating)
        ));

        assert_paid_out();
        assert!(Orders::<Test>::get(id).is_none());
        assert_eq!(
            SellerRatings::<Test>::get(SELLER),
            RatingTotal { sum: 5, count: 1 }
        );
        assert_eq!(
            ProxyRatings::<Test>::get(PROXY),
            RatingTotal { sum: 4, count: 1 }
        );
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::proxy_deals_between(&PROXY, 5, 5),
            1
        );
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::purchases_between(&BUYER, 1, 10),
            1
        );
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::purchases_between(&BUYER, 6, 10),
            0
        );
        System::assert_last_event(
            Event::OrderFinished {
                id,
                rating: Some(rating),
            }
            .into(),
        );
    });
}

#[test]
fn each_step_belongs_to_one_party() {
    new_test_ext().execute_with(|| {
        let id = place();
        assert_noop!(
            Pdash::seller_confirm(RuntimeOrigin::signed(BUYER), id),
            Error::<Test>::NotSeller
        );
        assert_ok!(Pdash::seller_confirm(RuntimeOrigin::signed(SELLER), id));
        assert_noop!(
            Pdash::proxy_fetched(RuntimeOrigin::signed(SELLER), id),
            Error::<Test>::NotProxy
        );
        assert_ok!(Pdash::proxy_fetched(RuntimeOrigin::signed(PROXY), id));
        assert_noop!(
            Pdash::proxy_delivered(RuntimeOrigin::signed(OTHER), id, [0; 32]),
            Error::<Test>::NotProxy
        );
        assert_ok!(Pdash::proxy_delivered(
            RuntimeOrigin::signed(PROXY),
            id,
            [0; 32]
        ));
        assert_noop!(
            Pdash::buyer_confirm(RuntimeOrigin::signed(SELLER), id, None),
            Error::<Test>::NotBuyer
        );
        assert_noop!(
            Pdash::dispute(RuntimeOrigin::signed(PROXY), id),
            Error::<Test>::NotBuyer
        );
        assert_noop!(
            Pdash::cancel(RuntimeOrigin::signed(SELLER), id),
            Error::<Test>::NotBuyer
        );
    });
}

#[test]
fn steps_out_of_order_or_twice_are_refused() {
    new_test_ext().execute_with(|| {
        let id = place();
        assert_noop!(
            Pdash::proxy_fetched(RuntimeOrigin::signed(PROXY), id),
            Error::<Test>::WrongState
        );
        assert_noop!(
            Pdash::buyer_confirm(RuntimeOrigin::signed(BUYER), id, None),
            Error::<Test>::WrongState
        );
        assert_ok!(Pdash::seller_confirm(RuntimeOrigin::signed(SELLER), id));
        assert_noop!(
            Pdash::seller_confirm(RuntimeOrigin::signed(SELLER), id),
            Error::<Test>::WrongState
        );
        assert_noop!(
            Pdash::cancel(RuntimeOrigin::signed(BUYER), id),
            Error::<Test>::WrongState
        );
        assert_noop!(
            Pdash::dispute(RuntimeOrigin::signed(BUYER), id),
            Error::<Test>::WrongState
        );
        assert_noop!(
            Pdash::seller_confirm(RuntimeOrigin::signed(SELLER), 99),
            Error::<Test>::UnknownOrder
        );
        assert_noop!(
            Pdash::resolve_dispute(RuntimeOrigin::root(), id, Verdict::ForBuyer),
            Error::<Test>::WrongState
        );
    });
}

#[test]
fn bad_orders_are_refused_and_hold_nothing() {
    new_test_ext().execute_with(|| {
        let place = |seller, proxy, price, fee| {
            Pdash::place_order(
                RuntimeOrigin::signed(BUYER),
                seller,
                proxy,
                [0; 32],
                price,
                fee,
            )
        };
        assert_noop!(
            place(SELLER, PROXY, 0, FEE),
            Error::<Test>::PriceBelowExistentialDeposit
        );
        // A seller without an account could not be paid 9: it would stay
        // held for good. The same for a proxy's fee.
        assert_noop!(
            place(SELLER, PROXY, EXISTENTIAL_DEPOSIT - 1, FEE),
            Error::<Test>::PriceBelowExistentialDeposit
        );
        assert_noop!(
            place(SELLER, PROXY, PRICE, EXISTENTIAL_DEPOSIT - 1),
            Error::<Test>::FeeBelowExistentialDeposit
        );
        assert_noop!(place(BUYER, PROXY, PRICE, FEE), Error::<Test>::SameParty);
        assert_noop!(place(SELLER, BUYER, PRICE, FEE), Error::<Test>::SameParty);
        assert_noop!(place(SELLER, SELLER, PRICE, FEE), Error::<Test>::SameParty);
        assert_noop!(
            place(SELLER, PROXY, u64::MAX, EXISTENTIAL_DEPOSIT),
            Error::<Test>::Overflow
        );
        assert_noop!(
            place(SELLER, PROXY, START, EXISTENTIAL_DEPOSIT),
            TokenError::FundsUnavailable
        );
        assert_eq!(held(BUYER), 0);
        // The smallest order that can be paid out: the existential deposit,
        // no fee.
        assert_ok!(place(SELLER, PROXY, EXISTENTIAL_DEPOSIT, 0));
    });
}

#[test]
fn a_seller_without_funds_for_the_bond_cannot_confirm() {
    new_test_ext().execute_with(|| {
        assert_ok!(Balances::transfer_allow_death(
            RuntimeOrigin::signed(SELLER),
            OTHER,
            START - 50
        ));
        let id = place();
        assert_noop!(
            Pdash::seller_confirm(RuntimeOrigin::signed(SELLER), id),
            TokenError::FundsUnavailable
        );
        assert_eq!(Orders::<Test>::get(id).unwrap().state, OrderState::Created);
    });
}

#[test]
fn the_buyer_cancels_before_the_seller_confirms() {
    new_test_ext().execute_with(|| {
        let id = place();
        assert_ok!(Pdash::cancel(RuntimeOrigin::signed(BUYER), id));
        assert_all_refunded();
        System::assert_last_event(Event::OrderRefunded { id }.into());
    });
}

#[test]
fn a_silent_seller_lets_anyone_refund_the_buyer_after_the_deadline() {
    new_test_ext().execute_with(|| {
        let id = place();
        System::set_block_number(1 + CONFIRM_TIMEOUT);
        assert_noop!(
            Pdash::claim_timeout(RuntimeOrigin::signed(OTHER), id),
            Error::<Test>::DeadlineNotReached
        );
        System::set_block_number(2 + CONFIRM_TIMEOUT);
        assert_noop!(
            Pdash::seller_confirm(RuntimeOrigin::signed(SELLER), id),
            Error::<Test>::DeadlinePassed
        );
        assert_ok!(Pdash::claim_timeout(RuntimeOrigin::signed(OTHER), id));
        assert_all_refunded();
    });
}

#[test]
fn a_silent_proxy_refunds_buyer_and_seller() {
    new_test_ext().execute_with(|| {
        for fetched in [false, true] {
            let id = place();
            assert_ok!(Pdash::seller_confirm(RuntimeOrigin::signed(SELLER), id));
            if fetched {
                assert_ok!(Pdash::proxy_fetched(RuntimeOrigin::signed(PROXY), id));
            }
            let deadline = Orders::<Test>::get(id).unwrap().deadline;
            System::set_block_number(deadline + 1);
            assert_noop!(
                Pdash::proxy_delivered(RuntimeOrigin::signed(PROXY), id, [0; 32]),
                if fetched {
                    Error::<Test>::DeadlinePassed
                } else {
                    Error::<Test>::WrongState
                }
            );
            assert_ok!(Pdash::claim_timeout(RuntimeOrigin::signed(BUYER), id));
            assert_all_refunded();
        }
    });
}

#[test]
fn a_silent_buyer_accepts_the_delivery_by_timeout() {
    new_test_ext().execute_with(|| {
        let id = to_delivered();
        System::set_block_number(2 + CHECK_TIMEOUT);
        assert_noop!(
            Pdash::buyer_confirm(RuntimeOrigin::signed(BUYER), id, None),
            Error::<Test>::DeadlinePassed
        );
        assert_noop!(
            Pdash::dispute(RuntimeOrigin::signed(BUYER), id),
            Error::<Test>::DeadlinePassed
        );
        assert_ok!(Pdash::claim_timeout(RuntimeOrigin::signed(SELLER), id));
        assert_paid_out();
    });
}

#[test]
fn a_dispute_for_the_buyer_refunds_it_and_hands_it_the_sellers_bond() {
    new_test_ext().execute_with(|| {
        let id = to_delivered();
        assert_ok!(Pdash::dispute(RuntimeOrigin::signed(BUYER), id));
        assert_noop!(
            Pdash::buyer_confirm(RuntimeOrigin::signed(BUYER), id, None),
            Error::<Test>::WrongState
        );
        assert_noop!(
            Pdash::resolve_dispute(RuntimeOrigin::signed(OTHER), id, Verdict::ForBuyer),
            DispatchError::BadOrigin
        );
        assert_ok!(Pdash::resolve_dispute(
            RuntimeOrigin::root(),
            id,
            Verdict::ForBuyer
        ));
        assert_eq!(free(BUYER), START + BOND);
        assert_eq!(free(SELLER), START - BOND);
        assert_eq!(free(PROXY), START);
        assert_eq!(held(BUYER) + held(SELLER), 0);
        total_issuance_is_unchanged();
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::proxy_deals_between(&PROXY, 0, 100),
            0
        );
    });
}

#[test]
fn a_dispute_for_the_seller_pays_as_a_confirmation() {
    new_test_ext().execute_with(|| {
        let id = to_delivered();
        assert_ok!(Pdash::dispute(RuntimeOrigin::signed(BUYER), id));
        assert_ok!(Pdash::resolve_dispute(
            RuntimeOrigin::root(),
            id,
            Verdict::ForSeller
        ));
        assert_paid_out();
        System::assert_last_event(
            Event::DisputeResolved {
                id,
                verdict: Verdict::ForSeller,
            }
            .into(),
        );
    });
}

#[test]
fn an_unresolved_dispute_refunds_everyone_after_its_deadline() {
    new_test_ext().execute_with(|| {
        let id = to_delivered();
        assert_ok!(Pdash::dispute(RuntimeOrigin::signed(BUYER), id));
        System::set_block_number(1 + DISPUTE_TIMEOUT);
        assert_noop!(
            Pdash::claim_timeout(RuntimeOrigin::signed(OTHER), id),
            Error::<Test>::DeadlineNotReached
        );
        System::set_block_number(2 + DISPUTE_TIMEOUT);
        assert_ok!(Pdash::claim_timeout(RuntimeOrigin::signed(OTHER), id));
        assert_all_refunded();
    });
}

#[test]
fn ratings_must_be_one_to_five() {
    new_test_ext().execute_with(|| {
        let id = to_delivered();
        for bad in [
            Rating {
                seller: 0,
                proxy: 3,
            },
            Rating {
                seller: 3,
                proxy: 6,
            },
        ] {
            assert_noop!(
                Pdash::buyer_confirm(RuntimeOrigin::signed(BUYER), id, Some(bad)),
                Error::<Test>::BadRating
            );
        }
        assert_ok!(Pdash::buyer_confirm(RuntimeOrigin::signed(BUYER), id, None));
        assert_eq!(SellerRatings::<Test>::get(SELLER).count, 0);
    });
}

#[test]
fn deal_counts_keep_the_latest_deals_only() {
    new_test_ext().execute_with(|| {
        for block in [10, 20, 30, 40] {
            System::set_block_number(block);
            let id = to_delivered();
            assert_ok!(Pdash::buyer_confirm(RuntimeOrigin::signed(BUYER), id, None));
        }
        // MaxRecentDeals is 3: the deal of block 10 is dropped.
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::proxy_deals_between(&PROXY, 0, 100),
            3
        );
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::proxy_deals_between(&PROXY, 20, 30),
            2
        );
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::purchases_between(&BUYER, 40, 40),
            1
        );
    });
}

#[test]
fn try_state_holds_through_the_flow_and_catches_a_lost_bond() {
    use frame_support::traits::{fungible::MutateHold, tokens::Precision};
    new_test_ext().execute_with(|| {
        to_delivered();
        assert_ok!(Pdash::do_try_state());
        assert_ok!(<Balances as MutateHold<u64>>::release(
            &crate::HoldReason::SellerBond.into(),
            &SELLER,
            1,
            Precision::Exact
        ));
        assert!(Pdash::do_try_state().is_err());
    });
}
