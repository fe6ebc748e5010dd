use crate::{
    mock::*, Error, Event, MinimumPrice, OrderHolds, OrderState, Orders, Proxies, ProxyDeals,
    ProxyDealsSweep, ProxyRatings, Purchases, Rating, RatingTotal, SellerRatings, Verdict,
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
const DISPUTE_BOND: u64 = 100; // 10% of the price

fn free(who: u64) -> u64 {
    Balances::balance(&who)
}

fn held(who: u64) -> u64 {
    Balances::total_balance_on_hold(&who)
}

fn total_issuance_is_unchanged() {
    assert_eq!(Balances::total_issuance(), TOTAL);
}

/// What PROXY's registration holds: its bond and its entry's deposit.
fn proxy_stake() -> u64 {
    let info = Proxies::<Test>::get(PROXY).unwrap();
    info.bond + info.deposit
}

/// PROXY's free balance once registered.
fn proxy_start() -> u64 {
    START - proxy_stake()
}

fn proxy_deals(who: u64) -> u32 {
    <Pdash as DealCounter<u64, u64>>::proxy_deals_between(&who, 0, u64::MAX)
}

fn purchases(who: u64) -> u32 {
    <Pdash as DealCounter<u64, u64>>::purchases_between(&who, 0, u64::MAX)
}

fn place_with(buyer: u64, seller: u64, proxy: u64, price: u64, fee: u64) -> u64 {
    let id = crate::NextOrderId::<Test>::get();
    assert_ok!(Pdash::place_order(
        RuntimeOrigin::signed(buyer),
        seller,
        proxy,
        [7; 32],
        price,
        fee
    ));
    id
}

fn place() -> u64 {
    place_with(BUYER, SELLER, PROXY, PRICE, FEE)
}

/// Takes order `id` from `seller` through confirmation and delivery.
fn deliver(id: u64, seller: u64) -> u64 {
    assert_ok!(Pdash::seller_confirm(RuntimeOrigin::signed(seller), id));
    assert_ok!(Pdash::proxy_fetched(RuntimeOrigin::signed(PROXY), id));
    assert_ok!(Pdash::proxy_delivered(
        RuntimeOrigin::signed(PROXY),
        id,
        [9; 32]
    ));
    id
}

fn to_delivered() -> u64 {
    deliver(place(), SELLER)
}

/// The order ended: BUYER and SELLER hold nothing and have `buyer` and
/// `seller` free, PROXY got `fee`, and the sale counted `deals` times.
fn assert_ended(buyer: u64, seller: u64, fee: u64, deals: u32) {
    assert_eq!(free(BUYER), buyer);
    assert_eq!(free(SELLER), seller);
    assert_eq!(free(PROXY), proxy_start() + fee);
    assert_eq!(held(BUYER) + held(SELLER), 0);
    assert_nothing_left_for_orders();
    assert_eq!((proxy_deals(PROXY), purchases(BUYER)), (deals, deals));
}

fn assert_paid_out() {
    assert_ended(START - PRICE - FEE, START + PRICE, FEE, 1);
}

fn assert_all_refunded() {
    assert_ended(START, START, 0, 0);
}

/// No order is open: only the proxy's registration holds anything, and
/// the proxy counts no open order.
fn assert_nothing_left_for_orders() {
    assert_eq!(held(PROXY), proxy_stake());
    assert_eq!(Proxies::<Test>::get(PROXY).unwrap().open_orders, 0);
    assert_eq!(OrderHolds::<Test>::iter().count(), 0);
    assert_eq!(Orders::<Test>::iter().count(), 0);
    assert_ok!(Pdash::do_try_state());
    total_issuance_is_unchanged();
}

#[test]
fn the_happy_path_pays_seller_and_proxy_and_records_the_deal() {
    new_test_ext().execute_with(|| {
        let id = place();
        assert_eq!(held(BUYER), PRICE + FEE + Pdash::order_deposit());
        assert!(Pdash::order_deposit() > DEPOSIT_BASE);
        assert_eq!(Proxies::<Test>::get(PROXY).unwrap().open_orders, 1);
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
            Error::<Test>::PriceBelowMinimum
        );
        assert_noop!(
            place(SELLER, PROXY, MIN_PRICE - 1, FEE),
            Error::<Test>::PriceBelowMinimum
        );
        // A proxy without an account could not be paid 9: it would stay
        // held for good.
        assert_noop!(
            place(SELLER, PROXY, PRICE, EXISTENTIAL_DEPOSIT - 1),
            Error::<Test>::FeeBelowExistentialDeposit
        );
        // Linked parties: one account in two roles, even a registered proxy.
        assert_ok!(Pdash::register_proxy(RuntimeOrigin::signed(SELLER)));
        assert_ok!(Pdash::register_proxy(RuntimeOrigin::signed(BUYER)));
        let buyer_free = free(BUYER);
        assert_noop!(place(BUYER, PROXY, PRICE, FEE), Error::<Test>::SameParty);
        assert_noop!(place(SELLER, BUYER, PRICE, FEE), Error::<Test>::SameParty);
        assert_noop!(place(SELLER, SELLER, PRICE, FEE), Error::<Test>::SameParty);
        assert_ok!(Pdash::unregister_proxy(RuntimeOrigin::signed(SELLER)));
        assert_ok!(Pdash::unregister_proxy(RuntimeOrigin::signed(BUYER)));
        assert_eq!(free(BUYER), START);
        assert!(buyer_free < START);
        assert_noop!(
            place(SELLER, PROXY, u64::MAX, EXISTENTIAL_DEPOSIT),
            Error::<Test>::Overflow
        );
        assert_noop!(
            place(SELLER, PROXY, START, EXISTENTIAL_DEPOSIT),
            TokenError::FundsUnavailable
        );
        assert_eq!(held(BUYER), 0);
        // The smallest order: the minimum price, no fee.
        assert_ok!(place(SELLER, PROXY, MIN_PRICE, 0));
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
        assert_eq!(OrderHolds::<Test>::get(id).dispute_bond, DISPUTE_BOND);
        assert_eq!(
            held(BUYER),
            PRICE + FEE + Pdash::order_deposit() + DISPUTE_BOND
        );
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
        // The buyer's own dispute bond came back with its escrow and deposit.
        assert_ended(START + BOND, START - BOND, 0, 0);
    });
}

#[test]
fn a_dispute_for_the_seller_pays_as_a_confirmation_and_hands_it_the_buyers_bond() {
    new_test_ext().execute_with(|| {
        let id = to_delivered();
        assert_ok!(Pdash::dispute(RuntimeOrigin::signed(BUYER), id));
        assert_ok!(Pdash::resolve_dispute(
            RuntimeOrigin::root(),
            id,
            Verdict::ForSeller
        ));
        // As a confirmation, and the buyer's dispute bond goes to the seller.
        assert_ended(
            START - PRICE - FEE - DISPUTE_BOND,
            START + PRICE + DISPUTE_BOND,
            FEE,
            1,
        );
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
fn an_unresolved_dispute_splits_the_price_returns_the_bonds_and_pays_the_proxy() {
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
        // TimeoutSellerShare is 50 %: half the price each way.
        // No ruling, no reputation.
        let half = PRICE / 2;
        assert_ended(START - half - FEE, START + half, FEE, 0);
        System::assert_last_event(
            Event::DisputeTimedOut {
                id,
                to_seller: half,
                to_buyer: half,
            }
            .into(),
        );
    });
}

#[test]
fn disputing_needs_the_bond_and_disputing_a_cheap_item_still_costs_the_minimum() {
    new_test_ext().execute_with(|| {
        // 10 % of the minimum price is 2, below MinDisputeBond.
        let id = deliver(place_with(BUYER, SELLER, PROXY, MIN_PRICE, 0), SELLER);
        // A buyer that cannot afford the bond cannot dispute.
        let spare = free(BUYER) - MIN_DISPUTE_BOND + 1;
        assert_ok!(Balances::transfer_keep_alive(
            RuntimeOrigin::signed(BUYER),
            OTHER,
            spare
        ));
        assert!(Pdash::dispute(RuntimeOrigin::signed(BUYER), id).is_err());
        assert_ok!(Balances::transfer_keep_alive(
            RuntimeOrigin::signed(OTHER),
            BUYER,
            spare
        ));
        assert_ok!(Pdash::dispute(RuntimeOrigin::signed(BUYER), id));
        assert_eq!(OrderHolds::<Test>::get(id).dispute_bond, MIN_DISPUTE_BOND);
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
        for (block, buyer) in [10, 20, 30, 40].into_iter().zip(CROWD) {
            System::set_block_number(block);
            finish_deal(buyer, 100 + block);
        }
        // MaxRecentDeals is 3: the deals of block 10 are dropped.
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::proxy_deals_between(&PROXY, 0, 100),
            3
        );
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::proxy_deals_between(&PROXY, 20, 30),
            2
        );
        let last_buyer = CROWD.start() + 3;
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::purchases_between(&last_buyer, 40, 40),
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

/// A finished sale from `buyer` to `seller` through PROXY, funding the seller.
fn finish_deal(buyer: u64, seller: u64) {
    if free(seller) == 0 {
        assert_ok!(Balances::transfer_keep_alive(
            RuntimeOrigin::signed(OTHER),
            seller,
            BOND + EXISTENTIAL_DEPOSIT
        ));
    }
    let id = deliver(place_with(buyer, seller, PROXY, PRICE, FEE), seller);
    assert_ok!(Pdash::buyer_confirm(RuntimeOrigin::signed(buyer), id, None));
}

#[test]
fn sybil_deals_with_one_counterparty_add_at_most_the_cap() {
    new_test_ext().execute_with(|| {
        // An honest proxy's and buyer's standing, for comparison.
        let honest = *CROWD.start();
        // Attacker: BUYER, SELLER and PROXY are one person's Sybils, trading
        // with themselves six times in one window.
        let before = (free(BUYER) + free(SELLER) + free(PROXY), held(PROXY));
        for n in 0..6u64 {
            System::set_block_number(1 + n);
            finish_deal(BUYER, SELLER);
        }
        assert_eq!(proxy_deals(PROXY), MAX_PER_COUNTERPARTY);
        assert_eq!(purchases(BUYER), MAX_PER_COUNTERPARTY);
        // What it cost: the attacker's funds only moved among its Sybils
        // (fees are charged by the transaction payment, outside this mock),
        // and the proxy's bond stays held as long as it acts as a proxy.
        assert_eq!(
            (free(BUYER) + free(SELLER) + free(PROXY), held(PROXY)),
            before
        );
        assert_eq!(
            held(PROXY),
            PROXY_BOND + Proxies::<Test>::get(PROXY).unwrap().deposit
        );
        // Nobody else's standing moved.
        assert_eq!((proxy_deals(honest), purchases(honest)), (0, 0));
        assert_eq!(free(honest), START);
        // Once the old deals leave the window, the pair counts again, but
        // never more than the cap within any window.
        System::set_block_number(1 + LOG_WINDOW as u64);
        finish_deal(BUYER, SELLER);
        assert_eq!(
            <Pdash as DealCounter<u64, u64>>::proxy_deals_between(&PROXY, 2, 1 + LOG_WINDOW as u64),
            MAX_PER_COUNTERPARTY
        );
    });
}

#[test]
fn an_unregistered_proxy_is_refused() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Pdash::place_order(
                RuntimeOrigin::signed(BUYER),
                SELLER,
                OTHER,
                [7; 32],
                PRICE,
                FEE
            ),
            Error::<Test>::NotRegisteredProxy
        );
        assert_eq!((free(BUYER), held(BUYER)), (START, 0));
    });
}

#[test]
fn a_proxy_bond_is_held_while_registered_and_returned_without_open_orders() {
    new_test_ext().execute_with(|| {
        assert_eq!(free(OTHER), START);
        assert_ok!(Pdash::register_proxy(RuntimeOrigin::signed(OTHER)));
        let info = Proxies::<Test>::get(OTHER).unwrap();
        assert_eq!(info.bond, PROXY_BOND);
        assert!(info.deposit > DEPOSIT_BASE);
        assert_eq!(held(OTHER), info.bond + info.deposit);
        assert_noop!(
            Pdash::register_proxy(RuntimeOrigin::signed(OTHER)),
            Error::<Test>::AlreadyRegistered
        );
        let id = place_with(BUYER, SELLER, OTHER, PRICE, FEE);
        assert_noop!(
            Pdash::unregister_proxy(RuntimeOrigin::signed(OTHER)),
            Error::<Test>::ProxyHasOpenOrders
        );
        assert_ok!(Pdash::cancel(RuntimeOrigin::signed(BUYER), id));
        assert_ok!(Pdash::unregister_proxy(RuntimeOrigin::signed(OTHER)));
        assert_eq!((free(OTHER), held(OTHER)), (START, 0));
        assert!(Proxies::<Test>::get(OTHER).is_none());
        assert_noop!(
            Pdash::unregister_proxy(RuntimeOrigin::signed(OTHER)),
            Error::<Test>::NotRegisteredProxy
        );
        // Without the bond, no registration.
        assert_noop!(
            Pdash::register_proxy(RuntimeOrigin::signed(NOBODY)),
            TokenError::FundsUnavailable
        );
    });
}

#[test]
fn governance_sets_the_minimum_price_never_below_the_existential_deposit() {
    new_test_ext().execute_with(|| {
        assert_eq!(Pdash::minimum_price(), MIN_PRICE);
        assert_noop!(
            Pdash::set_minimum_price(RuntimeOrigin::signed(BUYER), 500),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Pdash::set_minimum_price(RuntimeOrigin::root(), EXISTENTIAL_DEPOSIT - 1),
            Error::<Test>::MinimumBelowExistentialDeposit
        );
        assert_ok!(Pdash::set_minimum_price(RuntimeOrigin::root(), 500));
        assert_eq!(MinimumPrice::<Test>::get(), 500);
        let place = |price| {
            Pdash::place_order(
                RuntimeOrigin::signed(BUYER),
                SELLER,
                PROXY,
                [7; 32],
                price,
                FEE,
            )
        };
        assert_noop!(place(499), Error::<Test>::PriceBelowMinimum);
        assert_ok!(place(500));
    });
}

#[test]
fn a_one_time_dealer_leaves_no_entry_after_the_window() {
    new_test_ext().execute_with(|| {
        finish_deal(BUYER, SELLER);
        assert!(ProxyDeals::<Test>::contains_key(PROXY));
        assert!(Purchases::<Test>::contains_key(BUYER));
        // Still inside the window: the sweep keeps it.
        System::set_block_number(LOG_WINDOW as u64);
        assert_eq!(Pdash::sweep_stale_logs(10), 2);
        assert_eq!(purchases(BUYER), 1);
        System::set_block_number(1 + LOG_WINDOW as u64);
        Pdash::sweep_stale_logs(10);
        assert!(!ProxyDeals::<Test>::contains_key(PROXY));
        assert!(!Purchases::<Test>::contains_key(BUYER));
        assert_eq!(
            ProxyDeals::<Test>::iter().count() + Purchases::<Test>::iter().count(),
            0
        );
    });
}

#[test]
fn a_block_sweeps_at_most_its_bound_and_reports_its_weight() {
    use crate::WeightInfo;
    use frame_support::{traits::Hooks, weights::Weight};
    new_test_ext().execute_with(|| {
        // Five buyers with one purchase each, and PROXY's log: six logs.
        for buyer in CROWD.take(5) {
            finish_deal(buyer, SELLER);
        }
        System::set_block_number(2 + LOG_WINDOW as u64);
        let logs = || ProxyDeals::<Test>::iter().count() + Purchases::<Test>::iter().count();
        assert_eq!(logs(), 6);
        let used = Pdash::on_idle(System::block_number(), Weight::MAX);
        // MaxSweepPerBlock is 3.
        assert_eq!(used, <() as WeightInfo>::sweep(MAX_SWEEP));
        assert_eq!(logs(), 3);
        // Too little weight for one log: nothing is done or charged.
        let base = <() as WeightInfo>::sweep(0);
        assert_eq!(Pdash::on_idle(System::block_number(), base), Weight::zero());
        assert_eq!(logs(), 3);
        // Weight for two logs: two are swept.
        let two = <() as WeightInfo>::sweep(2);
        assert_eq!(Pdash::on_idle(System::block_number(), two), two);
        assert_eq!(logs(), 1);
        Pdash::on_idle(System::block_number(), Weight::MAX);
        assert_eq!(logs(), 0);
        assert_eq!(ProxyDealsSweep::<Test>::get(), None);
    });
}

#[test]
fn writing_a_log_drops_its_stale_entries() {
    new_test_ext().execute_with(|| {
        finish_deal(BUYER, SELLER);
        System::set_block_number(5 + LOG_WINDOW as u64);
        finish_deal(BUYER, 100);
        let blocks: Vec<u64> = Purchases::<Test>::get(BUYER)
            .iter()
            .map(|d| d.block)
            .collect();
        assert_eq!(blocks, vec![5 + LOG_WINDOW as u64]);
    });
}

#[test]
fn the_migration_gives_old_deals_the_logs_own_account() {
    use crate::migrations::v1::{InnerMigrateV0ToV1, OldDealLog};
    use codec::Encode;
    use frame_support::{storage::unhashed, traits::UncheckedOnRuntimeUpgrade};
    new_test_ext().execute_with(|| {
        let old: OldDealLog<Test> = vec![3u64, 4].try_into().unwrap();
        unhashed::put_raw(&ProxyDeals::<Test>::hashed_key_for(PROXY), &old.encode());
        unhashed::put_raw(&Purchases::<Test>::hashed_key_for(BUYER), &old.encode());
        InnerMigrateV0ToV1::<Test>::on_runtime_upgrade();
        let log = ProxyDeals::<Test>::get(PROXY);
        assert_eq!(log.len(), 2);
        assert!(log.iter().all(|d| d.counterparty == PROXY));
        assert_eq!(proxy_deals(PROXY), 2);
        assert_eq!(purchases(BUYER), 2);
        // Real deals with real counterparties still reach the cap.
        System::set_block_number(5);
        for _ in 0..3 {
            finish_deal(BUYER, SELLER);
        }
        let with_seller = Purchases::<Test>::get(BUYER)
            .iter()
            .filter(|deal| deal.counterparty == SELLER)
            .count() as u32;
        assert_eq!(with_seller, MAX_PER_COUNTERPARTY);
    });
}

#[test]
fn an_order_placed_before_the_upgrade_ends_without_touching_proxy_counts() {
    use frame_support::traits::fungible::MutateHold;
    new_test_ext().execute_with(|| {
        // Runtime 103's order: escrow held, no storage deposit, no entry in
        // `OrderHolds`; its proxy registered only afterwards.
        let legacy = 7;
        assert_ok!(<Balances as MutateHold<u64>>::hold(
            &crate::HoldReason::BuyerEscrow.into(),
            &BUYER,
            PRICE + FEE
        ));
        Orders::<Test>::insert(
            legacy,
            crate::Order {
                buyer: BUYER,
                seller: SELLER,
                proxy: PROXY,
                item: [7; 32],
                price: PRICE,
                proxy_fee: FEE,
                seller_bond: 0,
                state: OrderState::Created,
                deadline: 100,
                delivery: None,
            },
        );
        crate::NextOrderId::<Test>::put(legacy + 1);
        let id = place();
        assert_eq!(Proxies::<Test>::get(PROXY).unwrap().open_orders, 1);
        assert_ok!(Pdash::do_try_state());
        assert_ok!(Pdash::cancel(RuntimeOrigin::signed(BUYER), legacy));
        assert_eq!(Proxies::<Test>::get(PROXY).unwrap().open_orders, 1);
        assert_noop!(
            Pdash::unregister_proxy(RuntimeOrigin::signed(PROXY)),
            Error::<Test>::ProxyHasOpenOrders
        );
        assert_ok!(Pdash::cancel(RuntimeOrigin::signed(BUYER), id));
        assert_all_refunded();
    });
}
