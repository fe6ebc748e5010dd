use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_runtime::{DispatchError, TokenError};

fn free(who: u64) -> u64 {
    Balances::free_balance(who)
}

/// The seller's free balance plus the items' deposits held from it: the
/// deposits come back on cancelling, so payments are checked on this sum.
fn seller_funds() -> u64 {
    free(SELLER)
        + Balances::balance_on_hold(&HoldReason::ItemDeposit.into(), &SELLER)
        + bond_held(SELLER)
}

fn bond_held(who: u64) -> u64 {
    Balances::balance_on_hold(&HoldReason::DisputeBond.into(), &who)
}

/// `who`'s x25519 secret for its orders in these tests.
fn secret(who: u64) -> [u8; 32] {
    [who as u8 + 100; 32]
}

/// The order key of `who`: the public key of [`secret`].
fn buyer_key(who: u64) -> EncryptionKey {
    x25519_dalek::x25519(secret(who), x25519_dalek::X25519_BASEPOINT_BYTES)
}

fn held(who: u64) -> u64 {
    Balances::balance_on_hold(&HoldReason::Escrow.into(), &who)
}

fn bounded<S: Get<u32>>(bytes: &[u8]) -> BoundedVec<u8, S> {
    bytes.to_vec().try_into().unwrap()
}

fn list() -> ItemId {
    let id = NextItemId::<Test>::get();
    assert_ok!(Market::list_item(
        RuntimeOrigin::signed(SELLER),
        PRICE,
        bounded(b"weather data, 1 GB"),
        bounded(b"sealed fields"),
        bounded(b"key sealed to the agent"),
        [7; 32],
    ));
    id
}

fn order(item: ItemId) -> OrderId {
    let id = NextOrderId::<Test>::get();
    assert_ok!(Market::deposit_escrow(RuntimeOrigin::signed(BUYER), PRICE));
    assert_ok!(Market::place_order(
        RuntimeOrigin::signed(BUYER),
        item,
        buyer_key(BUYER)
    ));
    id
}

/// `who` deposits the price and orders `item`.
fn order_by(who: u64, item: ItemId) -> OrderId {
    let id = NextOrderId::<Test>::get();
    assert_ok!(Market::deposit_escrow(RuntimeOrigin::signed(who), PRICE));
    assert_ok!(Market::place_order(
        RuntimeOrigin::signed(who),
        item,
        buyer_key(who)
    ));
    id
}

fn delivered() -> OrderId {
    delivered_on(list())
}

fn delivered_on(item: ItemId) -> OrderId {
    let id = order(item);
    assert_ok!(Market::deliver_key(
        RuntimeOrigin::signed(SELLER),
        id,
        bounded(b"key sealed to the buyer")
    ));
    id
}

/// A delivered order B disputed at block 1, at the last block of its
/// dispute window: nobody can claim its timeout yet.
fn disputed_to_its_last_block() -> OrderId {
    let id = delivered();
    assert_ok!(Market::dispute(
        RuntimeOrigin::signed(BUYER),
        id,
        secret(BUYER)
    ));
    run_to(1 + DISPUTE_TIMEOUT);
    assert_noop!(
        Market::claim_timeout(RuntimeOrigin::signed(BUYER), id),
        Error::<Test>::TooEarly
    );
    id
}

fn state(order: OrderId) -> OrderState {
    Orders::<Test>::get(order).unwrap().state
}

fn run_to(n: u64) {
    System::set_block_number(n);
}

#[test]
fn the_eight_steps_pay_the_seller_exactly_the_price() {
    new_test_ext().execute_with(|| {
        // The agent publishes the key sellers seal item keys to.
        assert_ok!(Market::set_encryption_key(
            RuntimeOrigin::signed(AGENT),
            [2; 32]
        ));
        assert_eq!(EncryptionKeys::<Test>::get(AGENT), Some([2; 32]));
        let item = list();
        assert_eq!(Items::<Test>::get(item).unwrap().price, PRICE);
        assert_ok!(Market::deposit_escrow(
            RuntimeOrigin::signed(BUYER),
            PRICE + 50
        ));
        assert_eq!((free(BUYER), held(BUYER)), (START - PRICE - 50, PRICE + 50));
        assert_ok!(Market::place_order(
            RuntimeOrigin::signed(BUYER),
            item,
            buyer_key(BUYER)
        ));
        assert_eq!(FreeEscrow::<Test>::get(BUYER), 50);
        let pending = Market::pending_orders(&SELLER);
        assert_eq!(pending.len(), 1);
        let id = pending[0].0;
        assert_ok!(Market::deliver_key(
            RuntimeOrigin::signed(SELLER),
            id,
            bounded(b"key sealed to the buyer")
        ));
        assert!(Market::pending_orders(&SELLER).is_empty());
        assert_ok!(Market::confirm(RuntimeOrigin::signed(BUYER), id));
        assert_ok!(Market::release(RuntimeOrigin::signed(AGENT), id));
        assert_eq!(state(id), OrderState::Paid);
        assert_eq!(seller_funds(), START + PRICE);
        assert_eq!((free(BUYER), held(BUYER)), (START - PRICE - 50, 50));
        assert_ok!(Market::withdraw_escrow(RuntimeOrigin::signed(BUYER), 50));
        assert_eq!((free(BUYER), held(BUYER)), (START - PRICE, 0));
        assert_eq!(free(AGENT), START - Market::key_deposit());
        System::assert_last_event(
            Event::EscrowWithdrawn {
                who: BUYER,
                amount: 50,
            }
            .into(),
        );
    });
}

#[test]
fn each_step_belongs_to_one_party() {
    new_test_ext().execute_with(|| {
        let id = order(list());
        let key = || bounded(b"k");
        assert_noop!(
            Market::deliver_key(RuntimeOrigin::signed(BUYER), id, key()),
            Error::<Test>::WrongParty
        );
        assert_ok!(Market::deliver_key(
            RuntimeOrigin::signed(SELLER),
            id,
            key()
        ));
        assert_noop!(
            Market::confirm(RuntimeOrigin::signed(SELLER), id),
            Error::<Test>::WrongParty
        );
        assert_noop!(
            Market::dispute(RuntimeOrigin::signed(OTHER), id, secret(OTHER)),
            Error::<Test>::WrongParty
        );
        assert_ok!(Market::confirm(RuntimeOrigin::signed(BUYER), id));
        assert_noop!(
            Market::release(RuntimeOrigin::signed(SELLER), id),
            Error::<Test>::WrongParty
        );
        assert_noop!(
            Market::release(RuntimeOrigin::signed(BUYER), id),
            Error::<Test>::WrongParty
        );
        assert_noop!(
            Market::release(RuntimeOrigin::root(), id),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn steps_out_of_order_and_double_steps_are_refused() {
    new_test_ext().execute_with(|| {
        let id = order(list());
        assert_noop!(
            Market::confirm(RuntimeOrigin::signed(BUYER), id),
            Error::<Test>::WrongState
        );
        assert_noop!(
            Market::release(RuntimeOrigin::signed(AGENT), id),
            Error::<Test>::WrongState
        );
        assert_ok!(Market::deliver_key(
            RuntimeOrigin::signed(SELLER),
            id,
            bounded(b"k")
        ));
        assert_noop!(
            Market::deliver_key(RuntimeOrigin::signed(SELLER), id, bounded(b"k")),
            Error::<Test>::WrongState
        );
        assert_ok!(Market::confirm(RuntimeOrigin::signed(BUYER), id));
        assert_noop!(
            Market::confirm(RuntimeOrigin::signed(BUYER), id),
            Error::<Test>::WrongState
        );
        assert_noop!(
            Market::dispute(RuntimeOrigin::signed(BUYER), id, secret(BUYER)),
            Error::<Test>::WrongState
        );
        assert_ok!(Market::release(RuntimeOrigin::signed(AGENT), id));
        assert_noop!(
            Market::release(RuntimeOrigin::signed(AGENT), id),
            Error::<Test>::WrongState
        );
        assert_noop!(
            Market::claim_timeout(RuntimeOrigin::signed(OTHER), id),
            Error::<Test>::WrongState
        );
        assert_noop!(
            Market::confirm(RuntimeOrigin::signed(BUYER), 77),
            Error::<Test>::UnknownOrder
        );
    });
}

#[test]
fn an_order_needs_escrow_covering_the_price() {
    new_test_ext().execute_with(|| {
        let item = list();
        assert_noop!(
            Market::place_order(RuntimeOrigin::signed(BUYER), item, buyer_key(BUYER)),
            Error::<Test>::InsufficientEscrow
        );
        assert_ok!(Market::deposit_escrow(
            RuntimeOrigin::signed(BUYER),
            PRICE - 1
        ));
        assert_noop!(
            Market::place_order(RuntimeOrigin::signed(BUYER), item, buyer_key(BUYER)),
            Error::<Test>::InsufficientEscrow
        );
        assert_noop!(
            Market::place_order(RuntimeOrigin::signed(SELLER), item, buyer_key(SELLER)),
            Error::<Test>::OwnItem
        );
        assert_noop!(
            Market::place_order(RuntimeOrigin::signed(BUYER), 9, buyer_key(BUYER)),
            Error::<Test>::UnknownItem
        );
        // More escrow than the balance: nothing moves.
        assert_noop!(
            Market::deposit_escrow(RuntimeOrigin::signed(OTHER), START + 1),
            TokenError::FundsUnavailable
        );
        assert_noop!(
            Market::deposit_escrow(RuntimeOrigin::signed(OTHER), 0),
            Error::<Test>::ZeroAmount
        );
        assert_noop!(
            Market::withdraw_escrow(RuntimeOrigin::signed(BUYER), PRICE),
            Error::<Test>::InsufficientEscrow
        );
    });
}

#[test]
fn escrow_committed_to_an_order_cannot_be_withdrawn() {
    new_test_ext().execute_with(|| {
        let _ = order(list());
        assert_eq!(held(BUYER), PRICE);
        assert_noop!(
            Market::withdraw_escrow(RuntimeOrigin::signed(BUYER), 1),
            Error::<Test>::InsufficientEscrow
        );
    });
}

#[test]
fn a_silent_seller_lets_the_buyer_take_the_price_back() {
    new_test_ext().execute_with(|| {
        let id = order(list());
        run_to(1 + DELIVERY_TIMEOUT);
        assert_noop!(
            Market::claim_timeout(RuntimeOrigin::signed(OTHER), id),
            Error::<Test>::TooEarly
        );
        run_to(2 + DELIVERY_TIMEOUT);
        assert_ok!(Market::claim_timeout(RuntimeOrigin::signed(OTHER), id));
        assert_eq!(state(id), OrderState::Refunded);
        assert_ok!(Market::withdraw_escrow(RuntimeOrigin::signed(BUYER), PRICE));
        assert_eq!(
            (free(BUYER), held(BUYER), seller_funds()),
            (START, 0, START)
        );
    });
}

/// Past `CheckTimeout` the buyer can no longer confirm or dispute (review
/// finding P5: a late dispute would front-run the seller's claim).
#[test]
fn a_silent_buyer_after_delivery_pays_the_seller_and_can_no_longer_dispute() {
    new_test_ext().execute_with(|| {
        let id = delivered();
        run_to(1 + CHECK_TIMEOUT);
        assert_noop!(
            Market::claim_timeout(RuntimeOrigin::signed(SELLER), id),
            Error::<Test>::TooEarly
        );
        run_to(2 + CHECK_TIMEOUT);
        assert_noop!(
            Market::dispute(RuntimeOrigin::signed(BUYER), id, secret(BUYER)),
            Error::<Test>::TooLate
        );
        assert_noop!(
            Market::confirm(RuntimeOrigin::signed(BUYER), id),
            Error::<Test>::TooLate
        );
        assert_ok!(Market::claim_timeout(RuntimeOrigin::signed(SELLER), id));
        assert_eq!((seller_funds(), held(BUYER)), (START + PRICE, 0));
    });
}

#[test]
fn a_silent_agent_after_confirmation_still_pays_the_seller() {
    new_test_ext().execute_with(|| {
        let id = delivered();
        run_to(5);
        assert_ok!(Market::confirm(RuntimeOrigin::signed(BUYER), id));
        run_to(5 + RELEASE_TIMEOUT);
        assert_noop!(
            Market::claim_timeout(RuntimeOrigin::signed(SELLER), id),
            Error::<Test>::TooEarly
        );
        run_to(6 + RELEASE_TIMEOUT);
        assert_ok!(Market::claim_timeout(RuntimeOrigin::signed(SELLER), id));
        assert_eq!(seller_funds(), START + PRICE);
    });
}

#[test]
fn disputes_are_settled_by_the_agent_or_governance() {
    new_test_ext().execute_with(|| {
        let first = delivered();
        assert_ok!(Market::dispute(
            RuntimeOrigin::signed(BUYER),
            first,
            secret(BUYER)
        ));
        assert_noop!(
            Market::resolve_dispute(RuntimeOrigin::signed(OTHER), first, true),
            Error::<Test>::WrongParty
        );
        assert_ok!(Market::resolve_dispute(
            RuntimeOrigin::signed(AGENT),
            first,
            false
        ));
        assert_eq!(state(first), OrderState::Refunded);
        assert_eq!(FreeEscrow::<Test>::get(BUYER), PRICE);
        // The seller's delivery bond went to the buyer.
        assert_eq!(free(BUYER), START - PRICE + BOND);
        assert_eq!(seller_funds(), START - BOND);

        assert_ok!(Market::place_order(
            RuntimeOrigin::signed(BUYER),
            0,
            buyer_key(BUYER)
        ));
        let second = first + 1;
        assert_ok!(Market::deliver_key(
            RuntimeOrigin::signed(SELLER),
            second,
            bounded(b"k")
        ));
        assert_ok!(Market::dispute(
            RuntimeOrigin::signed(BUYER),
            second,
            secret(BUYER)
        ));
        // Governance decides even when no agent is registered.
        AGENT_REGISTERED.with(|r| r.set(false));
        assert_noop!(
            Market::resolve_dispute(RuntimeOrigin::signed(AGENT), second, true),
            Error::<Test>::NoAgent
        );
        assert_ok!(Market::resolve_dispute(RuntimeOrigin::root(), second, true));
        // The buyer's dispute bond went to the seller: the two cancel out.
        assert_eq!(seller_funds(), START + PRICE);
        assert_eq!(held(BUYER), 0);
        assert_eq!(free(BUYER), START - PRICE);
        assert_eq!((bond_held(SELLER), bond_held(BUYER)), (0, 0));
        assert_ok!(Market::do_try_state());
    });
}

/// The attack: a buyer holding the key disputes to get the data free.
#[test]
fn a_buyer_disputing_an_honest_delivery_pays_the_price_and_its_bond() {
    new_test_ext().execute_with(|| {
        let id = delivered();
        assert_eq!(bond_held(SELLER), BOND);
        assert_ok!(Market::dispute(
            RuntimeOrigin::signed(BUYER),
            id,
            secret(BUYER)
        ));
        assert_eq!(bond_held(BUYER), BOND);
        assert_eq!(DisputeEvidence::<Test>::get(id), Some(secret(BUYER)));
        assert_ok!(Market::do_try_state());
        assert_ok!(Market::resolve_dispute(
            RuntimeOrigin::signed(AGENT),
            id,
            true
        ));
        assert_eq!(state(id), OrderState::Paid);
        // Attacker's cost: the price and its bond. The seller is paid in
        // full and has its own bond back.
        assert_eq!(free(BUYER), START - PRICE - BOND);
        assert_eq!(held(BUYER) + bond_held(BUYER), 0);
        assert_eq!(seller_funds(), START + PRICE + BOND);
        assert_eq!(bond_held(SELLER), 0);
        assert!(DisputeEvidence::<Test>::get(id).is_none());
        assert!(DisputeBonds::<Test>::get(id).is_none());
        assert_ok!(Market::do_try_state());
    });
}

#[test]
fn a_dispute_needs_the_orders_secret_and_a_bond() {
    new_test_ext().execute_with(|| {
        let id = delivered();
        // Another key's secret, or the public key itself, is no evidence.
        for wrong in [secret(OTHER), buyer_key(BUYER), [0; 32]] {
            assert_noop!(
                Market::dispute(RuntimeOrigin::signed(BUYER), id, wrong),
                Error::<Test>::BadEvidence
            );
        }
        // A buyer that cannot hold the bond cannot dispute.
        let spare = free(BUYER);
        assert_ok!(Balances::transfer_allow_death(
            RuntimeOrigin::signed(BUYER),
            OTHER,
            spare - BOND + 1
        ));
        assert_noop!(
            Market::dispute(RuntimeOrigin::signed(BUYER), id, secret(BUYER)),
            TokenError::FundsUnavailable
        );
        assert_eq!(state(id), OrderState::Delivered);
    });
}

#[test]
fn a_seller_that_cannot_hold_its_bond_cannot_deliver() {
    new_test_ext().execute_with(|| {
        let id = order(list());
        let spare = free(SELLER);
        assert_ok!(Balances::transfer_allow_death(
            RuntimeOrigin::signed(SELLER),
            OTHER,
            spare - BOND + 1
        ));
        assert_noop!(
            Market::deliver_key(RuntimeOrigin::signed(SELLER), id, bounded(b"k")),
            TokenError::FundsUnavailable
        );
    });
}

#[test]
fn a_normal_end_returns_the_sellers_bond() {
    new_test_ext().execute_with(|| {
        let id = delivered();
        assert_eq!(bond_held(SELLER), BOND);
        run_to(2 + CHECK_TIMEOUT);
        assert_ok!(Market::claim_timeout(RuntimeOrigin::signed(SELLER), id));
        assert_eq!((bond_held(SELLER), seller_funds()), (0, START + PRICE));
        assert_ok!(Market::do_try_state());
    });
}

#[test]
fn an_unresolved_dispute_splits_the_price_and_returns_both_bonds() {
    new_test_ext().execute_with(|| {
        let id = disputed_to_its_last_block();
        run_to(2 + DISPUTE_TIMEOUT);
        assert_ok!(Market::claim_timeout(RuntimeOrigin::signed(OTHER), id));
        assert_eq!(state(id), OrderState::Split);
        // TimeoutSellerShare is 50 %.
        assert_eq!(FreeEscrow::<Test>::get(BUYER), PRICE / 2);
        assert_eq!(seller_funds(), START + PRICE / 2);
        assert_eq!(free(BUYER) + held(BUYER), START - PRICE / 2);
        assert_eq!((bond_held(SELLER), bond_held(BUYER)), (0, 0));
        System::assert_last_event(
            Event::DisputeSettled {
                order: id,
                price_to_seller: PRICE / 2,
                price_to_buyer: PRICE / 2,
            }
            .into(),
        );
        assert_ok!(Market::do_try_state());
    });
}

#[test]
fn only_the_seller_cancels_an_item_without_delivered_open_orders() {
    new_test_ext().execute_with(|| {
        let item = list();
        let id = delivered_on(item);
        assert_noop!(
            Market::cancel_item(RuntimeOrigin::signed(BUYER), item),
            Error::<Test>::WrongParty
        );
        assert_noop!(
            Market::cancel_item(RuntimeOrigin::signed(SELLER), item),
            Error::<Test>::OpenOrders
        );
        run_to(2 + CHECK_TIMEOUT);
        assert_ok!(Market::claim_timeout(RuntimeOrigin::signed(BUYER), id));
        assert_ok!(Market::cancel_item(RuntimeOrigin::signed(SELLER), item));
        assert!(Items::<Test>::get(item).is_none());
        assert!(Orders::<Test>::get(id).is_none());
        assert!(ItemsOf::<Test>::get(SELLER).is_empty());
        assert_noop!(
            Market::cancel_item(RuntimeOrigin::signed(SELLER), item),
            Error::<Test>::UnknownItem
        );
    });
}

#[test]
fn listings_and_orders_are_bounded() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Market::list_item(
                RuntimeOrigin::signed(SELLER),
                0,
                bounded(b""),
                bounded(b""),
                bounded(b""),
                [0; 32]
            ),
            Error::<Test>::PriceBelowExistentialDeposit
        );
        assert_noop!(
            Market::list_item(
                RuntimeOrigin::signed(SELLER),
                EXISTENTIAL_DEPOSIT - 1,
                bounded(b""),
                bounded(b""),
                bounded(b""),
                [0; 32]
            ),
            Error::<Test>::PriceBelowExistentialDeposit
        );
        let item = list();
        let _ = list();
        assert_noop!(
            Market::list_item(
                RuntimeOrigin::signed(SELLER),
                PRICE,
                bounded(b""),
                bounded(b""),
                bounded(b""),
                [0; 32]
            ),
            Error::<Test>::TooManyItems
        );
        // Two open orders (of two buyers) fill the item's list; a finished
        // one makes room.
        let first = order(item);
        let _second = order_by(OTHER, item);
        assert_ok!(Market::deposit_escrow(RuntimeOrigin::signed(AGENT), PRICE));
        assert_noop!(
            Market::place_order(RuntimeOrigin::signed(AGENT), item, buyer_key(AGENT)),
            Error::<Test>::TooManyOrders
        );
        run_to(2 + DELIVERY_TIMEOUT);
        assert_ok!(Market::claim_timeout(RuntimeOrigin::signed(BUYER), first));
        assert_ok!(Market::place_order(
            RuntimeOrigin::signed(AGENT),
            item,
            buyer_key(AGENT)
        ));
        assert!(Orders::<Test>::get(first).is_none());
    });
}

mod storage_deposit {
    use super::*;
    use crate::migrations::v1::{v0, ItemV0, MigrateV0ToV1};
    use frame_support::traits::{
        fungible::InspectHold, GetStorageVersion, OnRuntimeUpgrade, StorageVersion,
    };

    fn held_deposit(who: u64) -> u64 {
        Balances::balance_on_hold(&HoldReason::ItemDeposit.into(), &who)
    }

    #[test]
    fn listing_holds_a_deposit_per_byte_and_cancelling_returns_it() {
        new_test_ext().execute_with(|| {
            let free = Balances::free_balance(SELLER);
            list();
            let item = Items::<Test>::get(0).unwrap();
            let bytes = item.encoded_size() as u64;
            assert_eq!(item.deposit, ITEM_DEPOSIT_BASE + bytes);
            assert_eq!(held_deposit(SELLER), item.deposit);
            assert_eq!(Balances::free_balance(SELLER), free - item.deposit);

            assert_ok!(Market::cancel_item(RuntimeOrigin::signed(SELLER), 0));
            assert_eq!(held_deposit(SELLER), 0);
            assert_eq!(Balances::free_balance(SELLER), free);
        });
    }

    #[test]
    fn a_seller_who_cannot_cover_the_deposit_lists_nothing() {
        new_test_ext().execute_with(|| {
            let poor = 77;
            assert_ok!(Balances::force_set_balance(
                RuntimeOrigin::root(),
                poor,
                ITEM_DEPOSIT_BASE
            ));
            assert!(Market::list_item(
                RuntimeOrigin::signed(poor),
                PRICE,
                Default::default(),
                Default::default(),
                Default::default(),
                [0; 32],
            )
            .is_err());
            assert!(Items::<Test>::get(0).is_none());
            assert!(ItemsOf::<Test>::get(poor).is_empty());
            assert_eq!(Balances::free_balance(poor), ITEM_DEPOSIT_BASE);
        });
    }

    fn old_item(seller: u64) -> ItemV0<Test> {
        ItemV0 {
            seller,
            price: PRICE,
            public_meta: b"title".to_vec().try_into().unwrap(),
            sealed_fields: vec![7; 40].try_into().unwrap(),
            key_for_agent: vec![9; 80].try_into().unwrap(),
            plaintext_hash: [3; 32],
            listed_at: 1,
        }
    }

    #[test]
    fn the_v1_migration_holds_deposits_for_items_listed_before_it() {
        new_test_ext().execute_with(|| {
            StorageVersion::new(0).put::<Market>();
            let poor = 77;
            assert_ok!(Balances::force_set_balance(
                RuntimeOrigin::root(),
                poor,
                EXISTENTIAL_DEPOSIT + 1
            ));
            v0::Items::<Test>::insert(0, old_item(SELLER));
            v0::Items::<Test>::insert(1, old_item(poor));
            let seller_free = Balances::free_balance(SELLER);

            MigrateV0ToV1::<Test>::on_runtime_upgrade();

            assert_eq!(Market::on_chain_storage_version(), 1);
            let rich = Items::<Test>::get(0).expect("the item decodes as v1");
            assert_eq!(rich.seller, SELLER);
            assert_eq!(rich.plaintext_hash, [3; 32]);
            assert_eq!(rich.deposit, Market::item_deposit(&rich));
            assert!(rich.deposit > ITEM_DEPOSIT_BASE);
            assert_eq!(held_deposit(SELLER), rich.deposit);
            assert_eq!(Balances::free_balance(SELLER), seller_free - rich.deposit);

            // Kept, without a deposit, and the seller's funds untouched.
            let kept = Items::<Test>::get(1).expect("the item decodes as v1");
            assert_eq!(kept.deposit, 0);
            assert_eq!(held_deposit(poor), 0);
            assert_eq!(Balances::free_balance(poor), EXISTENTIAL_DEPOSIT + 1);

            // Cancelling the kept item releases nothing and still works.
            assert_ok!(Market::cancel_item(RuntimeOrigin::signed(poor), 1));
        });
    }

    #[test]
    fn the_v1_migration_runs_once() {
        new_test_ext().execute_with(|| {
            StorageVersion::new(0).put::<Market>();
            v0::Items::<Test>::insert(0, old_item(SELLER));
            MigrateV0ToV1::<Test>::on_runtime_upgrade();
            let held = held_deposit(SELLER);
            // A second run at version 1 must not hold again or re-decode
            // v1 items as v0.
            MigrateV0ToV1::<Test>::on_runtime_upgrade();
            assert_eq!(held_deposit(SELLER), held);
            assert!(Items::<Test>::get(0).is_some());
        });
    }
}

#[test]
fn try_state_holds_through_the_flow_and_catches_a_hold_released_behind_the_pallet() {
    use frame_support::traits::{fungible::MutateHold, tokens::Precision};
    new_test_ext().execute_with(|| {
        let id = delivered();
        assert_ok!(Market::do_try_state());
        assert_ok!(Market::confirm(RuntimeOrigin::signed(BUYER), id));
        assert_ok!(Market::release(RuntimeOrigin::signed(AGENT), id));
        assert_ok!(Market::do_try_state());

        assert_ok!(Market::deposit_escrow(RuntimeOrigin::signed(BUYER), 100));
        assert_ok!(<Balances as MutateHold<u64>>::release(
            &HoldReason::Escrow.into(),
            &BUYER,
            1,
            Precision::Exact
        ));
        assert!(Market::do_try_state().is_err());
    });
}

#[test]
fn try_state_catches_an_item_deposit_that_is_not_held() {
    use frame_support::traits::{fungible::MutateHold, tokens::Precision};
    new_test_ext().execute_with(|| {
        list();
        assert_ok!(Market::do_try_state());
        assert_ok!(<Balances as MutateHold<u64>>::release(
            &HoldReason::ItemDeposit.into(),
            &SELLER,
            1,
            Precision::Exact
        ));
        assert!(Market::do_try_state().is_err());
    });
}

/// Order-slot squatting (issue 15): one buyer holds at most
/// `MaxOpenOrdersPerBuyer` open orders on an item, and the seller may
/// reject an order it has not delivered, which refunds the buyer in full.
mod squatting {
    use super::*;

    /// Sybil accounts of the attacker.
    const SYBILS: [u64; 2] = [10, 11];

    fn fund(who: u64) {
        assert_ok!(Balances::force_set_balance(
            RuntimeOrigin::root(),
            who,
            START
        ));
    }

    /// Everything `who` owns: free balance and the market's escrow hold.
    fn owned(who: u64) -> u64 {
        free(who) + held(who)
    }

    fn reject(order: OrderId) -> DispatchResult {
        Market::reject_order(RuntimeOrigin::signed(SELLER), order)
    }

    #[test]
    fn one_buyer_cannot_hold_a_second_open_order_on_an_item() {
        new_test_ext().execute_with(|| {
            let item = list();
            let other_item = list();
            let first = order(item);
            assert_ok!(Market::deposit_escrow(RuntimeOrigin::signed(BUYER), PRICE));
            assert_noop!(
                Market::place_order(RuntimeOrigin::signed(BUYER), item, buyer_key(BUYER)),
                Error::<Test>::BuyerOrderLimit
            );
            // The refusal took no slot: another buyer still orders.
            let _ = order_by(OTHER, item);
            // Delivered is still open.
            assert_ok!(Market::deliver_key(
                RuntimeOrigin::signed(SELLER),
                first,
                bounded(b"k")
            ));
            assert_noop!(
                Market::place_order(RuntimeOrigin::signed(BUYER), item, buyer_key(BUYER)),
                Error::<Test>::BuyerOrderLimit
            );
            // The limit is per item.
            assert_ok!(Market::place_order(
                RuntimeOrigin::signed(BUYER),
                other_item,
                buyer_key(BUYER)
            ));
            // Once the first order ends, the buyer may order the item again.
            assert_ok!(Market::confirm(RuntimeOrigin::signed(BUYER), first));
            assert_ok!(Market::release(RuntimeOrigin::signed(AGENT), first));
            assert_ok!(Market::deposit_escrow(RuntimeOrigin::signed(BUYER), PRICE));
            // The item's list is full (two orders); the paid one makes room.
            assert_ok!(Market::place_order(
                RuntimeOrigin::signed(BUYER),
                item,
                buyer_key(BUYER)
            ));
            assert_ok!(Market::do_try_state());
        });
    }

    #[test]
    fn sybils_filling_every_slot_are_rejected_and_an_honest_buyer_buys() {
        new_test_ext().execute_with(|| {
            SYBILS.iter().copied().for_each(fund);
            let item = list();
            let squatted: Vec<OrderId> = SYBILS.iter().map(|s| order_by(*s, item)).collect();
            // The attacker's cost while squatting: the price held per slot.
            for sybil in SYBILS {
                assert_eq!((held(sybil), owned(sybil)), (PRICE, START));
            }
            assert_ok!(Market::deposit_escrow(RuntimeOrigin::signed(OTHER), PRICE));
            assert_noop!(
                Market::place_order(RuntimeOrigin::signed(OTHER), item, [4; 32]),
                Error::<Test>::TooManyOrders
            );

            assert_ok!(reject(squatted[0]));
            System::assert_has_event(
                Event::OrderRejected {
                    order: squatted[0],
                    item,
                    buyer: SYBILS[0],
                }
                .into(),
            );
            assert_eq!(state(squatted[0]), OrderState::Rejected);
            assert!(Market::pending_orders(&SELLER)
                .iter()
                .all(|(id, _)| *id != squatted[0]));

            // The freed slot goes to the honest buyer, who gets the item.
            assert_ok!(Market::place_order(
                RuntimeOrigin::signed(OTHER),
                item,
                [4; 32]
            ));
            let honest = squatted[1] + 1;
            assert_ok!(Market::deliver_key(
                RuntimeOrigin::signed(SELLER),
                honest,
                bounded(b"k")
            ));
            assert_ok!(Market::confirm(RuntimeOrigin::signed(OTHER), honest));
            assert_ok!(Market::release(RuntimeOrigin::signed(AGENT), honest));
            assert_ok!(reject(squatted[1]));

            // The victim seller got exactly the honest price; the attacker
            // got everything back and can withdraw it.
            assert_eq!(seller_funds(), START + PRICE);
            assert_eq!(owned(OTHER), START - PRICE);
            for sybil in SYBILS {
                assert_ok!(Market::withdraw_escrow(RuntimeOrigin::signed(sybil), PRICE));
                assert_eq!((free(sybil), held(sybil)), (START, 0));
            }
            assert_ok!(Market::do_try_state());
        });
    }

    #[test]
    fn the_seller_cannot_reject_to_take_lock_or_block_a_buyers_funds() {
        new_test_ext().execute_with(|| {
            let item = list();
            let id = order(item);
            // Only the seller rejects.
            for who in [BUYER, OTHER, AGENT] {
                assert_noop!(
                    Market::reject_order(RuntimeOrigin::signed(who), id),
                    Error::<Test>::WrongParty
                );
            }
            assert_noop!(
                Market::reject_order(RuntimeOrigin::root(), id),
                DispatchError::BadOrigin
            );
            assert_noop!(
                Market::reject_order(RuntimeOrigin::none(), id),
                DispatchError::BadOrigin
            );
            assert_noop!(reject(77), Error::<Test>::UnknownOrder);

            assert_ok!(reject(id));
            // Not a unit taken: the price is the buyer's free escrow again.
            assert_eq!(seller_funds(), START);
            assert_eq!(
                (owned(BUYER), FreeEscrow::<Test>::get(BUYER)),
                (START, PRICE)
            );
            // A rejected order is finished: nothing more happens to it.
            assert_noop!(reject(id), Error::<Test>::WrongState);
            assert_noop!(
                Market::claim_timeout(RuntimeOrigin::signed(BUYER), id),
                Error::<Test>::WrongState
            );
            assert_noop!(
                Market::deliver_key(RuntimeOrigin::signed(SELLER), id, bounded(b"k")),
                Error::<Test>::WrongState
            );
            // Not locked: the item goes away and the buyer withdraws.
            assert_ok!(Market::cancel_item(RuntimeOrigin::signed(SELLER), item));
            assert_ok!(Market::withdraw_escrow(RuntimeOrigin::signed(BUYER), PRICE));
            assert_eq!((free(BUYER), held(BUYER)), (START, 0));
            assert_ok!(Market::do_try_state());
        });
    }

    #[test]
    fn a_delivered_order_cannot_be_rejected_so_the_buyer_keeps_its_recourse() {
        new_test_ext().execute_with(|| {
            let id = delivered();
            assert_noop!(reject(id), Error::<Test>::WrongState);
            assert_ok!(Market::dispute(
                RuntimeOrigin::signed(BUYER),
                id,
                secret(BUYER)
            ));
            assert_noop!(reject(id), Error::<Test>::WrongState);
            assert_ok!(Market::resolve_dispute(RuntimeOrigin::root(), id, false));
            assert_eq!((owned(BUYER), seller_funds()), (START + BOND, START - BOND));

            let paid = order(0);
            assert_ok!(Market::deliver_key(
                RuntimeOrigin::signed(SELLER),
                paid,
                bounded(b"k")
            ));
            assert_ok!(Market::confirm(RuntimeOrigin::signed(BUYER), paid));
            assert_noop!(reject(paid), Error::<Test>::WrongState);
            assert_ok!(Market::release(RuntimeOrigin::signed(AGENT), paid));
            assert_noop!(reject(paid), Error::<Test>::WrongState);
            assert_eq!(seller_funds(), START + PRICE - BOND);
            assert_ok!(Market::do_try_state());
        });
    }
}

/// The review finding: a buyer orders just ahead of the seller's cancel.
#[test]
fn an_order_placed_ahead_of_a_cancel_is_refunded_by_it() {
    new_test_ext().execute_with(|| {
        let item = list();
        let front_runner = order(item);
        assert_ok!(Market::cancel_item(RuntimeOrigin::signed(SELLER), item));
        assert!(Items::<Test>::get(item).is_none());
        assert!(Orders::<Test>::get(front_runner).is_none());
        // The buyer has its price back as free escrow, the seller its deposit.
        assert_eq!(FreeEscrow::<Test>::get(BUYER), PRICE);
        assert_eq!(free(BUYER) + held(BUYER), START);
        assert_eq!(free(SELLER), START);
        System::assert_has_event(
            Event::BuyerRefunded {
                order: front_runner,
                buyer: BUYER,
                price: PRICE,
            }
            .into(),
        );
        assert_ok!(Market::do_try_state());
    });
}

/// Rejection churn: the same rejected account cannot come straight back,
/// so each rejected round needs a fresh funded Sybil.
#[test]
fn a_rejected_buyer_waits_out_the_cooldown_before_ordering_the_item_again() {
    new_test_ext().execute_with(|| {
        let item = list();
        let other_item = list();
        let first = order(item);
        run_to(5);
        assert_ok!(Market::reject_order(RuntimeOrigin::signed(SELLER), first));
        assert_noop!(
            Market::place_order(RuntimeOrigin::signed(BUYER), item, buyer_key(BUYER)),
            Error::<Test>::RejectedRecently
        );
        // Other buyers and other items are not affected.
        assert_ok!(Market::place_order(
            RuntimeOrigin::signed(BUYER),
            other_item,
            buyer_key(BUYER)
        ));
        let _ = order_by(OTHER, item);
        run_to(5 + REJECTION_COOLDOWN - 1);
        assert_ok!(Market::deposit_escrow(RuntimeOrigin::signed(BUYER), PRICE));
        assert_noop!(
            Market::place_order(RuntimeOrigin::signed(BUYER), item, buyer_key(BUYER)),
            Error::<Test>::RejectedRecently
        );
        run_to(5 + REJECTION_COOLDOWN);
        assert_ok!(Market::place_order(
            RuntimeOrigin::signed(BUYER),
            item,
            buyer_key(BUYER)
        ));
        // The seller lost nothing to the churn.
        assert_eq!(
            free(SELLER) + Balances::balance_on_hold(&HoldReason::ItemDeposit.into(), &SELLER),
            START
        );
        assert_ok!(Market::do_try_state());
    });
}

mod key_deposits {
    use super::*;

    fn key_held(who: u64) -> u64 {
        Balances::balance_on_hold(&HoldReason::KeyDeposit.into(), &who)
    }

    #[test]
    fn a_key_holds_a_deposit_until_it_is_removed() {
        new_test_ext().execute_with(|| {
            let deposit = ITEM_DEPOSIT_BASE + 32;
            assert_eq!(Market::key_deposit(), deposit);
            assert_ok!(Market::set_encryption_key(
                RuntimeOrigin::signed(BUYER),
                [2; 32]
            ));
            assert_eq!((key_held(BUYER), free(BUYER)), (deposit, START - deposit));
            // Changing the key holds nothing more.
            assert_ok!(Market::set_encryption_key(
                RuntimeOrigin::signed(BUYER),
                [3; 32]
            ));
            assert_eq!(key_held(BUYER), deposit);
            assert_ok!(Market::do_try_state());
            assert_ok!(Market::remove_encryption_key(RuntimeOrigin::signed(BUYER)));
            assert_eq!((key_held(BUYER), free(BUYER)), (0, START));
            assert!(EncryptionKeys::<Test>::get(BUYER).is_none());
            System::assert_last_event(Event::EncryptionKeyRemoved { who: BUYER }.into());
            assert_noop!(
                Market::remove_encryption_key(RuntimeOrigin::signed(BUYER)),
                Error::<Test>::NoEncryptionKey
            );
            assert_noop!(
                Market::remove_encryption_key(RuntimeOrigin::none()),
                DispatchError::BadOrigin
            );
        });
    }

    #[test]
    fn no_key_without_funds_for_its_deposit() {
        new_test_ext().execute_with(|| {
            const POOR: u64 = 77;
            assert_ok!(Balances::force_set_balance(
                RuntimeOrigin::root(),
                POOR,
                EXISTENTIAL_DEPOSIT + ITEM_DEPOSIT_BASE
            ));
            assert_noop!(
                Market::set_encryption_key(RuntimeOrigin::signed(POOR), [2; 32]),
                TokenError::FundsUnavailable
            );
            assert!(EncryptionKeys::<Test>::get(POOR).is_none());
        });
    }

    #[test]
    fn a_key_set_before_deposits_is_removed_without_one() {
        new_test_ext().execute_with(|| {
            EncryptionKeys::<Test>::insert(BUYER, [2; 32]);
            assert_ok!(Market::remove_encryption_key(RuntimeOrigin::signed(BUYER)));
            assert_eq!(free(BUYER), START);
        });
    }
}

/// A dispute opened under runtime 103 (no bonds, no evidence) keeps the
/// rule it was opened under when it times out: the buyer is refunded.
#[test]
fn a_dispute_from_before_bonds_times_out_as_it_did() {
    new_test_ext().execute_with(|| {
        let id = order(list());
        Orders::<Test>::mutate(id, |o| {
            let o = o.as_mut().unwrap();
            o.key_for_buyer = Some(bounded(b"k"));
            o.state = OrderState::Disputed;
        });
        run_to(2 + DISPUTE_TIMEOUT);
        assert_ok!(Market::claim_timeout(RuntimeOrigin::signed(OTHER), id));
        assert_eq!(state(id), OrderState::Refunded);
        assert_eq!(FreeEscrow::<Test>::get(BUYER), PRICE);
        assert_eq!(seller_funds(), START);
        assert_ok!(Market::do_try_state());
    });
}

/// Review finding P1: the key travels in `deliver_key`'s arguments, so a
/// delivery that fails has still published it.
mod delivering_safely {
    use super::*;

    fn accept(order: OrderId) -> DispatchResult {
        Market::accept_order(RuntimeOrigin::signed(SELLER), order)
    }

    fn deliver(order: OrderId) -> DispatchResult {
        Market::deliver_key(RuntimeOrigin::signed(SELLER), order, bounded(b"k"))
    }

    #[test]
    fn accepting_holds_the_bond_before_any_key_is_sent() {
        new_test_ext().execute_with(|| {
            let id = order(list());
            // A seller short of the bond fails at accepting, which carries
            // no secret; the order stays placed.
            let spare = free(SELLER);
            assert_ok!(Balances::transfer_allow_death(
                RuntimeOrigin::signed(SELLER),
                OTHER,
                spare - BOND + 1
            ));
            assert_noop!(accept(id), TokenError::FundsUnavailable);
            assert_ok!(Balances::transfer_allow_death(
                RuntimeOrigin::signed(OTHER),
                SELLER,
                spare
            ));
            for who in [BUYER, OTHER, AGENT] {
                assert_noop!(
                    Market::accept_order(RuntimeOrigin::signed(who), id),
                    Error::<Test>::WrongParty
                );
            }
            assert_ok!(accept(id));
            System::assert_last_event(Event::OrderAccepted { order: id }.into());
            assert_eq!(state(id), OrderState::Accepted);
            assert_eq!(bond_held(SELLER), BOND);
            assert_noop!(accept(id), Error::<Test>::WrongState);
            assert_eq!(Market::pending_orders(&SELLER).len(), 1);
            assert_ok!(Market::do_try_state());
            // The bond is held: however little the seller keeps free, the
            // delivery cannot fail for it.
            let spare = free(SELLER) - EXISTENTIAL_DEPOSIT;
            assert_ok!(Balances::transfer_allow_death(
                RuntimeOrigin::signed(SELLER),
                OTHER,
                spare
            ));
            assert_ok!(deliver(id));
            assert_eq!(state(id), OrderState::Delivered);
            assert_eq!(bond_held(SELLER), BOND);
            assert_ok!(Market::do_try_state());
            assert_ok!(Market::confirm(RuntimeOrigin::signed(BUYER), id));
            assert_ok!(Market::release(RuntimeOrigin::signed(AGENT), id));
            assert_eq!(
                (bond_held(SELLER), free(SELLER)),
                (0, EXISTENTIAL_DEPOSIT + BOND + PRICE)
            );
            assert_ok!(Market::do_try_state());
        });
    }

    #[test]
    fn accepting_opens_the_sellers_own_delivery_window() {
        new_test_ext().execute_with(|| {
            let id = order(list());
            // Accepted at the last block of the order's delivery window.
            run_to(1 + DELIVERY_TIMEOUT);
            assert_ok!(accept(id));
            // Past the order's window, the buyer cannot front-run the
            // delivery with a refund: the window restarted at the accept.
            run_to(2 + DELIVERY_TIMEOUT);
            assert_noop!(
                Market::claim_timeout(RuntimeOrigin::signed(BUYER), id),
                Error::<Test>::TooEarly
            );
            run_to(1 + 2 * DELIVERY_TIMEOUT);
            assert_noop!(
                Market::claim_timeout(RuntimeOrigin::signed(BUYER), id),
                Error::<Test>::TooEarly
            );
            assert_ok!(deliver(id));
            assert_eq!(state(id), OrderState::Delivered);
        });
    }

    #[test]
    fn an_accepted_order_left_undelivered_refunds_the_buyer_and_returns_the_bond() {
        new_test_ext().execute_with(|| {
            let id = order(list());
            assert_ok!(accept(id));
            run_to(2 + DELIVERY_TIMEOUT);
            assert_ok!(Market::claim_timeout(RuntimeOrigin::signed(BUYER), id));
            assert_eq!(state(id), OrderState::Refunded);
            assert_eq!(FreeEscrow::<Test>::get(BUYER), PRICE);
            assert_eq!((bond_held(SELLER), seller_funds()), (0, START));
            assert!(DisputeBonds::<Test>::get(id).is_none());
            assert_ok!(Market::do_try_state());
        });
    }

    #[test]
    fn an_accepted_order_can_still_be_rejected_or_cancelled_and_the_bond_comes_back() {
        new_test_ext().execute_with(|| {
            let item = list();
            let first = order(item);
            assert_ok!(accept(first));
            assert_ok!(Market::reject_order(RuntimeOrigin::signed(SELLER), first));
            assert_eq!(state(first), OrderState::Rejected);
            assert_eq!(bond_held(SELLER), 0);
            let second = order_by(OTHER, item);
            assert_ok!(accept(second));
            assert_ok!(Market::cancel_item(RuntimeOrigin::signed(SELLER), item));
            assert_eq!(FreeEscrow::<Test>::get(OTHER), PRICE);
            assert_eq!((bond_held(SELLER), free(SELLER)), (0, START));
            assert_ok!(Market::do_try_state());
        });
    }
}

/// Review finding P3: an order under the buyer's registered key would
/// publish that key's secret in a dispute.
#[test]
fn an_order_key_must_not_be_the_buyers_registered_key() {
    new_test_ext().execute_with(|| {
        let item = list();
        assert_ok!(Market::set_encryption_key(
            RuntimeOrigin::signed(BUYER),
            buyer_key(BUYER)
        ));
        assert_ok!(Market::deposit_escrow(RuntimeOrigin::signed(BUYER), PRICE));
        assert_noop!(
            Market::place_order(RuntimeOrigin::signed(BUYER), item, buyer_key(BUYER)),
            Error::<Test>::RegisteredKeyAsOrderKey
        );
        // Another buyer's registered key is not the caller's.
        assert_ok!(Market::place_order(
            RuntimeOrigin::signed(BUYER),
            item,
            buyer_key(OTHER)
        ));
    });
}

/// Review finding P5: deadlines on confirming and disputing, and a ruling's
/// precedence over the dispute timeout.
mod deadlines {
    use super::*;

    #[test]
    fn the_buyer_may_dispute_or_confirm_up_to_the_last_block() {
        new_test_ext().execute_with(|| {
            let id = delivered();
            run_to(1 + CHECK_TIMEOUT);
            assert_ok!(Market::dispute(
                RuntimeOrigin::signed(BUYER),
                id,
                secret(BUYER)
            ));
            let item = Orders::<Test>::get(id).unwrap().item;
            let next = order_by(OTHER, item);
            assert_ok!(Market::deliver_key(
                RuntimeOrigin::signed(SELLER),
                next,
                bounded(b"k")
            ));
            run_to(1 + 2 * CHECK_TIMEOUT);
            assert_ok!(Market::confirm(RuntimeOrigin::signed(OTHER), next));
        });
    }

    #[test]
    fn only_a_ruling_ends_a_dispute_before_its_timeout_and_first_come_after() {
        new_test_ext().execute_with(|| {
            let id = disputed_to_its_last_block();
            // Past the timeout nobody has claimed: the agent's ruling still
            // lands.
            run_to(5 + DISPUTE_TIMEOUT);
            assert_ok!(Market::resolve_dispute(
                RuntimeOrigin::signed(AGENT),
                id,
                true
            ));
            assert_eq!(state(id), OrderState::Paid);
            assert_noop!(
                Market::claim_timeout(RuntimeOrigin::signed(BUYER), id),
                Error::<Test>::WrongState
            );
        });
    }
}

/// Review finding P6: the agent never rules on its own order.
#[test]
fn an_agent_that_is_a_party_cannot_rule_but_governance_can() {
    new_test_ext().execute_with(|| {
        let theirs = list();
        let agents = NextItemId::<Test>::get();
        assert_ok!(Market::list_item(
            RuntimeOrigin::signed(AGENT),
            PRICE,
            bounded(b"m"),
            bounded(b"s"),
            bounded(b"k"),
            [7; 32],
        ));
        // The agent as buyer, then as seller; governance rules either way.
        for (seller, buyer, item, pay_seller, end) in [
            (SELLER, AGENT, theirs, true, OrderState::Paid),
            (AGENT, BUYER, agents, false, OrderState::Refunded),
        ] {
            let id = order_by(buyer, item);
            assert_ok!(Market::deliver_key(
                RuntimeOrigin::signed(seller),
                id,
                bounded(b"k")
            ));
            assert_ok!(Market::dispute(
                RuntimeOrigin::signed(buyer),
                id,
                secret(buyer)
            ));
            assert_noop!(
                Market::resolve_dispute(RuntimeOrigin::signed(AGENT), id, pay_seller),
                Error::<Test>::AgentIsParty
            );
            assert_ok!(Market::resolve_dispute(
                RuntimeOrigin::root(),
                id,
                pay_seller
            ));
            assert_eq!(state(id), end);
        }
        assert_ok!(Market::do_try_state());
    });
}

/// Review finding P7: a zero buyer bond would make `claim_timeout` treat a
/// bonded dispute as one opened before bonds.
#[test]
#[should_panic(expected = "DisputeBondMinimum 0")]
fn the_integrity_test_refuses_a_zero_bond_minimum() {
    use frame_support::traits::Hooks;
    <Market as Hooks<u64>>::integrity_test();
    BOND_MINIMUM_SET.with(|m| m.set(0));
    <Market as Hooks<u64>>::integrity_test();
}

/// Review finding P10: bonds and evidence only on orders that can hold them.
#[test]
fn try_state_catches_bonds_or_evidence_on_orders_that_cannot_hold_them() {
    new_test_ext().execute_with(|| {
        let placed = order_by(OTHER, list());
        let id = delivered();
        assert_ok!(Market::do_try_state());
        // Evidence on an order that is not disputed.
        DisputeEvidence::<Test>::insert(id, secret(BUYER));
        assert!(Market::do_try_state().is_err());
        DisputeEvidence::<Test>::remove(id);
        // Evidence for an order that does not exist.
        DisputeEvidence::<Test>::insert(77, secret(BUYER));
        assert!(Market::do_try_state().is_err());
        DisputeEvidence::<Test>::remove(77);
        assert_ok!(Market::do_try_state());
        // A zero bond record on a placed order (the holds still add up).
        DisputeBonds::<Test>::insert(placed, Bonds::default());
        assert!(Market::do_try_state().is_err());
        DisputeBonds::<Test>::remove(placed);
        // A bond record left on a finished order.
        assert_ok!(Market::confirm(RuntimeOrigin::signed(BUYER), id));
        assert_ok!(Market::release(RuntimeOrigin::signed(AGENT), id));
        DisputeBonds::<Test>::insert(id, Bonds::default());
        assert!(Market::do_try_state().is_err());
    });
}
