//! Benchmarks of pallet-private-market, each at its worst case: full
//! bounded lists, the longest byte fields, an order list that must be
//! pruned or scanned to its end.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;

fn funded<T: Config>(name: &'static str) -> T::AccountId {
    let who: T::AccountId = account(name, 0, 0);
    let amount = T::Currency::minimum_balance().saturating_mul(1_000_000u32.into());
    let _ = T::Currency::set_balance(&who, amount);
    who
}

fn price<T: Config>() -> BalanceOf<T> {
    T::Currency::minimum_balance().saturating_mul(1_000u32.into())
}

fn full<S: Get<u32>>(byte: u8) -> BoundedVec<u8, S> {
    BoundedVec::truncate_from(alloc::vec![byte; S::get() as usize])
}

fn setup(_: DispatchError) -> BenchmarkError {
    BenchmarkError::Stop("setup")
}

/// Lists an item with the longest fields, by a fresh funded seller.
fn listed<T: Config>() -> Result<(ItemId, T::AccountId), BenchmarkError> {
    let seller = funded::<T>("seller");
    let id = NextItemId::<T>::get();
    Pallet::<T>::list_item(
        RawOrigin::Signed(seller.clone()).into(),
        price::<T>(),
        full::<T::MaxMetaLen>(1),
        full::<T::MaxSealedLen>(2),
        full::<T::MaxKeyBoxLen>(3),
        [4; 32],
    )
    .map_err(setup)?;
    Ok((id, seller))
}

/// The buyer's x25519 secret for its benchmark orders, and its public key.
const BUYER_SECRET: [u8; 32] = [7; 32];

fn buyer_key() -> EncryptionKey {
    x25519_dalek::x25519(BUYER_SECRET, x25519_dalek::X25519_BASEPOINT_BYTES)
}

/// Fills the item's order list with `MaxOrdersPerItem - 1` orders in
/// `state`, each by its own buyer, then one order in `last`: with a
/// finished `last`, a scan for a finished order reads them all.
fn fill_orders<T: Config>(
    item: ItemId,
    seller: &T::AccountId,
    state: OrderState,
    last: OrderState,
) {
    let max = T::MaxOrdersPerItem::get() as u64;
    let first = NextOrderId::<T>::get();
    let mut ids = alloc::vec::Vec::new();
    for offset in 0..max {
        let id = first + offset;
        let state = if offset + 1 == max { last } else { state };
        Orders::<T>::insert(
            id,
            Order {
                item,
                buyer: account("filler", offset as u32, 0),
                seller: seller.clone(),
                price: price::<T>(),
                buyer_key: [5; 32],
                key_for_buyer: Some(full::<T::MaxKeyBoxLen>(6)),
                state,
                since: frame_system::Pallet::<T>::block_number(),
            },
        );
        ids.push(id);
    }
    OrdersOf::<T>::insert(item, BoundedVec::truncate_from(ids));
    NextOrderId::<T>::put(first + max);
}

/// An order by a fresh buyer, advanced to `state`.
fn order_in<T: Config>(
    state: OrderState,
) -> Result<(OrderId, T::AccountId, T::AccountId), BenchmarkError> {
    let (item, seller) = listed::<T>()?;
    let buyer = funded::<T>("buyer");
    Pallet::<T>::deposit_escrow(RawOrigin::Signed(buyer.clone()).into(), price::<T>())
        .map_err(setup)?;
    let id = NextOrderId::<T>::get();
    Pallet::<T>::place_order(RawOrigin::Signed(buyer.clone()).into(), item, buyer_key())
        .map_err(setup)?;
    if state == OrderState::Placed {
        return Ok((id, buyer, seller));
    }
    if state == OrderState::Accepted {
        Pallet::<T>::accept_order(RawOrigin::Signed(seller.clone()).into(), id).map_err(setup)?;
        return Ok((id, buyer, seller));
    }
    Pallet::<T>::deliver_key(
        RawOrigin::Signed(seller.clone()).into(),
        id,
        full::<T::MaxKeyBoxLen>(8),
    )
    .map_err(setup)?;
    match state {
        OrderState::Confirmed => {
            Pallet::<T>::confirm(RawOrigin::Signed(buyer.clone()).into(), id).map_err(setup)?
        }
        OrderState::Disputed => {
            Pallet::<T>::dispute(RawOrigin::Signed(buyer.clone()).into(), id, BUYER_SECRET)
                .map_err(setup)?
        }
        _ => {}
    }
    Ok((id, buyer, seller))
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// A first key: its deposit is held.
    #[benchmark]
    fn set_encryption_key() {
        let who = funded::<T>("who");
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), [9; 32]);
        assert_eq!(EncryptionKeys::<T>::get(&who), Some([9; 32]));
        assert!(KeyDeposits::<T>::contains_key(who));
    }

    /// A key with a deposit to release.
    #[benchmark]
    fn remove_encryption_key() -> Result<(), BenchmarkError> {
        let who = funded::<T>("who");
        Pallet::<T>::set_encryption_key(RawOrigin::Signed(who.clone()).into(), [9; 32])
            .map_err(setup)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));
        assert!(!EncryptionKeys::<T>::contains_key(&who));
        assert!(!KeyDeposits::<T>::contains_key(who));
        Ok(())
    }

    /// The seller's item list one short of full.
    #[benchmark]
    fn list_item() {
        let seller = funded::<T>("seller");
        let others = (1..T::MaxItemsPerSeller::get() as u64).collect::<alloc::vec::Vec<_>>();
        ItemsOf::<T>::insert(&seller, BoundedVec::truncate_from(others));
        NextItemId::<T>::put(1_000);
        #[extrinsic_call]
        _(
            RawOrigin::Signed(seller),
            price::<T>(),
            full::<T::MaxMetaLen>(1),
            full::<T::MaxSealedLen>(2),
            full::<T::MaxKeyBoxLen>(3),
            [4; 32],
        );
        assert!(Items::<T>::contains_key(1_000));
    }

    /// Every order slot of the item used by an undelivered order, each
    /// refunded to its own buyer.
    #[benchmark]
    fn cancel_item() -> Result<(), BenchmarkError> {
        let (item, seller) = listed::<T>()?;
        // Accepted orders, the dearest to refund: each also releases the
        // seller's bond.
        fill_orders::<T>(item, &seller, OrderState::Accepted, OrderState::Accepted);
        let bond = Pallet::<T>::dispute_bond(price::<T>());
        let mut held = BalanceOf::<T>::zero();
        for id in OrdersOf::<T>::get(item) {
            DisputeBonds::<T>::insert(
                id,
                Bonds {
                    seller: bond,
                    buyer: Zero::zero(),
                },
            );
            held = held.saturating_add(bond);
        }
        T::Currency::hold(&HoldReason::DisputeBond.into(), &seller, held).map_err(setup)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(seller), item);
        assert!(!Items::<T>::contains_key(item));
        assert!(OrdersOf::<T>::get(item).is_empty());
        Ok(())
    }

    #[benchmark]
    fn deposit_escrow() {
        let buyer = funded::<T>("buyer");
        #[extrinsic_call]
        _(RawOrigin::Signed(buyer.clone()), price::<T>());
        assert_eq!(FreeEscrow::<T>::get(buyer), price::<T>());
    }

    #[benchmark]
    fn withdraw_escrow() -> Result<(), BenchmarkError> {
        let buyer = funded::<T>("buyer");
        Pallet::<T>::deposit_escrow(RawOrigin::Signed(buyer.clone()).into(), price::<T>())
            .map_err(setup)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(buyer.clone()), price::<T>());
        assert!(FreeEscrow::<T>::get(buyer).is_zero());
        Ok(())
    }

    /// The item's order list is full; only its last order is finished, so
    /// making room (and counting the buyer's open orders) scans the whole
    /// list.
    #[benchmark]
    fn place_order() -> Result<(), BenchmarkError> {
        let (item, seller) = listed::<T>()?;
        fill_orders::<T>(item, &seller, OrderState::Placed, OrderState::Refunded);
        let buyer = funded::<T>("buyer");
        Pallet::<T>::deposit_escrow(RawOrigin::Signed(buyer.clone()).into(), price::<T>())
            .map_err(setup)?;
        let id = NextOrderId::<T>::get();
        #[extrinsic_call]
        _(RawOrigin::Signed(buyer), item, buyer_key());
        assert!(Orders::<T>::contains_key(id));
        Ok(())
    }

    /// The seller's bond is held.
    #[benchmark]
    fn deliver_key() -> Result<(), BenchmarkError> {
        let (id, _, seller) = order_in::<T>(OrderState::Placed)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(seller), id, full::<T::MaxKeyBoxLen>(8));
        assert_eq!(
            Orders::<T>::get(id).map(|o| o.state),
            Some(OrderState::Delivered)
        );
        Ok(())
    }

    #[benchmark]
    fn confirm() -> Result<(), BenchmarkError> {
        let (id, buyer, _) = order_in::<T>(OrderState::Delivered)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(buyer), id);
        assert_eq!(
            Orders::<T>::get(id).map(|o| o.state),
            Some(OrderState::Confirmed)
        );
        Ok(())
    }

    /// The evidence is checked (an x25519 base-point multiplication) and
    /// the buyer's bond held.
    #[benchmark]
    fn dispute() -> Result<(), BenchmarkError> {
        let (id, buyer, _) = order_in::<T>(OrderState::Delivered)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(buyer), id, BUYER_SECRET);
        assert_eq!(
            Orders::<T>::get(id).map(|o| o.state),
            Some(OrderState::Disputed)
        );
        Ok(())
    }

    #[benchmark]
    fn release() -> Result<(), BenchmarkError> {
        let (id, _, _) = order_in::<T>(OrderState::Confirmed)?;
        let agent = Pallet::<T>::agent().map_err(setup)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(agent), id);
        assert_eq!(
            Orders::<T>::get(id).map(|o| o.state),
            Some(OrderState::Paid)
        );
        Ok(())
    }

    /// The agent rules for the seller: the price and the buyer's bond move
    /// between holds and the seller's bond is released, the dearer outcome.
    #[benchmark]
    fn resolve_dispute() -> Result<(), BenchmarkError> {
        let (id, _, _) = order_in::<T>(OrderState::Disputed)?;
        let agent = Pallet::<T>::agent().map_err(setup)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(agent), id, true);
        assert_eq!(
            Orders::<T>::get(id).map(|o| o.state),
            Some(OrderState::Paid)
        );
        Ok(())
    }

    /// A dispute nobody resolved: the price is split (a transfer between
    /// holds and a refund to free escrow) and both bonds are released.
    #[benchmark]
    fn claim_timeout() -> Result<(), BenchmarkError> {
        let (id, buyer, _) = order_in::<T>(OrderState::Disputed)?;
        let now = frame_system::Pallet::<T>::block_number();
        frame_system::Pallet::<T>::set_block_number(
            now.saturating_add(T::DisputeTimeout::get())
                .saturating_add(1u32.into()),
        );
        #[extrinsic_call]
        _(RawOrigin::Signed(buyer), id);
        assert_eq!(
            Orders::<T>::get(id).map(|o| o.state),
            Some(OrderState::Split)
        );
        Ok(())
    }

    /// The seller rejects an order it has not delivered.
    #[benchmark]
    fn reject_order() -> Result<(), BenchmarkError> {
        // Accepted: the refund also releases the seller's bond.
        let (id, buyer, seller) = order_in::<T>(OrderState::Accepted)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(seller), id);
        assert_eq!(
            Orders::<T>::get(id).map(|o| o.state),
            Some(OrderState::Rejected)
        );
        assert_eq!(FreeEscrow::<T>::get(buyer), price::<T>());
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
