//! Benchmarks of pallet-pdash.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;

fn funded<T: Config>(name: &'static str) -> T::AccountId {
    let who: T::AccountId = account(name, 0, 0);
    let amount = T::Currency::minimum_balance()
        .saturating_mul(1_000_000u32.into())
        .saturating_add(T::ProxyBond::get().saturating_mul(2u32.into()))
        .saturating_add(price::<T>().saturating_mul(100u32.into()))
        .saturating_add(T::MinDisputeBond::get());
    let _ = T::Currency::set_balance(&who, amount);
    who
}

fn price<T: Config>() -> BalanceOf<T> {
    T::Currency::minimum_balance()
        .saturating_mul(1_000u32.into())
        .max(Pallet::<T>::minimum_price())
}

/// A funded, registered proxy.
fn registered_proxy<T: Config>() -> Result<T::AccountId, BenchmarkError> {
    let proxy = funded::<T>("proxy");
    if !Proxies::<T>::contains_key(&proxy) {
        Pallet::<T>::register_proxy(RawOrigin::Signed(proxy.clone()).into())
            .map_err(|_| BenchmarkError::Stop("register proxy"))?;
    }
    Ok(proxy)
}

/// A full log of deals at `block`, each with another counterparty.
fn full_log<T: Config>(block: BlockNumberFor<T>) -> DealLog<T> {
    let deals = (0..T::MaxRecentDeals::get())
        .map(|i| Deal {
            block,
            counterparty: account("counterparty", i, 0),
        })
        .collect();
    BoundedVec::truncate_from(deals)
}

/// The most a sale's logging costs: both logs full and inside the window,
/// so nothing is pruned and each append drops the oldest entry.
fn fill_logs<T: Config>(proxy: &T::AccountId, buyer: &T::AccountId) {
    // Deals of block 0 count as stale (no window reaches it): the
    // benchmark's chain may still be at genesis.
    let now = frame_system::Pallet::<T>::block_number().max(1u32.into());
    frame_system::Pallet::<T>::set_block_number(now);
    ProxyDeals::<T>::insert(proxy, full_log::<T>(now));
    Purchases::<T>::insert(buyer, full_log::<T>(now));
}

/// An order by fresh parties, advanced to `state`.
fn order_in<T: Config>(
    state: OrderState,
) -> Result<(OrderId, T::AccountId, T::AccountId, T::AccountId), BenchmarkError> {
    let (buyer, seller, proxy) = (
        funded::<T>("buyer"),
        funded::<T>("seller"),
        registered_proxy::<T>()?,
    );
    let id = NextOrderId::<T>::get();
    let stop = |_| BenchmarkError::Stop("setup");
    Pallet::<T>::place_order(
        RawOrigin::Signed(buyer.clone()).into(),
        seller.clone(),
        proxy.clone(),
        [1; 32],
        price::<T>(),
        price::<T>(),
    )
    .map_err(stop)?;
    if state == OrderState::Created {
        return Ok((id, buyer, seller, proxy));
    }
    Pallet::<T>::seller_confirm(RawOrigin::Signed(seller.clone()).into(), id).map_err(stop)?;
    if state == OrderState::SellerConfirmed {
        return Ok((id, buyer, seller, proxy));
    }
    Pallet::<T>::proxy_fetched(RawOrigin::Signed(proxy.clone()).into(), id).map_err(stop)?;
    if state == OrderState::ProxyFetched {
        return Ok((id, buyer, seller, proxy));
    }
    Pallet::<T>::proxy_delivered(RawOrigin::Signed(proxy.clone()).into(), id, [2; 32])
        .map_err(stop)?;
    fill_logs::<T>(&proxy, &buyer);
    if state == OrderState::Disputed {
        Pallet::<T>::dispute(RawOrigin::Signed(buyer.clone()).into(), id).map_err(stop)?;
    }
    Ok((id, buyer, seller, proxy))
}

/// Moves past the order's deadline.
fn past_deadline<T: Config>(id: OrderId) -> Result<(), BenchmarkError> {
    let order = Orders::<T>::get(id).ok_or(BenchmarkError::Stop("no order"))?;
    frame_system::Pallet::<T>::set_block_number(order.deadline.saturating_add(1u32.into()));
    Ok(())
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn place_order() -> Result<(), BenchmarkError> {
        let (buyer, seller, proxy) = (
            funded::<T>("buyer"),
            funded::<T>("seller"),
            registered_proxy::<T>()?,
        );
        #[extrinsic_call]
        _(
            RawOrigin::Signed(buyer),
            seller,
            proxy,
            [1; 32],
            price::<T>(),
            price::<T>(),
        );
        assert!(Orders::<T>::contains_key(0));
        Ok(())
    }

    #[benchmark]
    fn seller_confirm() -> Result<(), BenchmarkError> {
        let (id, _, seller, _) = order_in::<T>(OrderState::Created)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(seller), id);
        Ok(())
    }

    #[benchmark]
    fn proxy_fetched() -> Result<(), BenchmarkError> {
        let (id, _, _, proxy) = order_in::<T>(OrderState::SellerConfirmed)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(proxy), id);
        Ok(())
    }

    #[benchmark]
    fn proxy_delivered() -> Result<(), BenchmarkError> {
        let (id, _, _, proxy) = order_in::<T>(OrderState::ProxyFetched)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(proxy), id, [3; 32]);
        Ok(())
    }

    /// With both deal logs full (see `fill_logs`).
    #[benchmark]
    fn buyer_confirm() -> Result<(), BenchmarkError> {
        let (id, buyer, _, _) = order_in::<T>(OrderState::ProxyDelivered)?;
        #[extrinsic_call]
        _(
            RawOrigin::Signed(buyer),
            id,
            Some(Rating {
                seller: 5,
                proxy: 5,
            }),
        );
        assert!(!Orders::<T>::contains_key(id));
        Ok(())
    }

    #[benchmark]
    fn dispute() -> Result<(), BenchmarkError> {
        let (id, buyer, _, _) = order_in::<T>(OrderState::ProxyDelivered)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(buyer.clone()), id);
        assert!(!OrderHolds::<T>::get(id).dispute_bond.is_zero());
        Ok(())
    }

    /// The expensive branch: a ruling for the seller moves the most funds
    /// (price, fee and the buyer's dispute bond are transferred, the
    /// seller's bond released) and writes both deal logs, here full.
    #[benchmark]
    fn resolve_dispute() -> Result<(), BenchmarkError> {
        let origin =
            T::ArbiterOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let (id, buyer, _, proxy) = order_in::<T>(OrderState::Disputed)?;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, id, Verdict::ForSeller);
        assert!(!Orders::<T>::contains_key(id));
        assert_eq!(
            ProxyDeals::<T>::get(&proxy).len() as u32,
            T::MaxRecentDeals::get()
        );
        assert_eq!(
            Purchases::<T>::get(&buyer).len() as u32,
            T::MaxRecentDeals::get()
        );
        Ok(())
    }

    #[benchmark]
    fn cancel() -> Result<(), BenchmarkError> {
        let (id, buyer, _, _) = order_in::<T>(OrderState::Created)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(buyer), id);
        Ok(())
    }

    /// A silent buyer's delivery is paid out, both deal logs full. The
    /// call's weight is the larger of this and `claim_timeout_unresolved`.
    #[benchmark]
    fn claim_timeout() -> Result<(), BenchmarkError> {
        let (id, buyer, seller, proxy) = order_in::<T>(OrderState::ProxyDelivered)?;
        past_deadline::<T>(id)?;
        // Still full and inside the window after the wait.
        fill_logs::<T>(&proxy, &buyer);
        #[extrinsic_call]
        claim_timeout(RawOrigin::Signed(seller), id);
        assert!(!Orders::<T>::contains_key(id));
        Ok(())
    }

    /// A dispute nobody ruled on: the price is split, every bond released.
    #[benchmark]
    fn claim_timeout_unresolved() -> Result<(), BenchmarkError> {
        let (id, _, seller, _) = order_in::<T>(OrderState::Disputed)?;
        past_deadline::<T>(id)?;
        #[extrinsic_call]
        claim_timeout(RawOrigin::Signed(seller), id);
        assert!(!Orders::<T>::contains_key(id));
        Ok(())
    }

    #[benchmark]
    fn register_proxy() -> Result<(), BenchmarkError> {
        let proxy = funded::<T>("new proxy");
        #[extrinsic_call]
        _(RawOrigin::Signed(proxy.clone()));
        assert!(Proxies::<T>::contains_key(&proxy));
        Ok(())
    }

    #[benchmark]
    fn unregister_proxy() -> Result<(), BenchmarkError> {
        let proxy = registered_proxy::<T>()?;
        #[extrinsic_call]
        _(RawOrigin::Signed(proxy.clone()));
        assert!(!Proxies::<T>::contains_key(&proxy));
        Ok(())
    }

    #[benchmark]
    fn set_minimum_price() -> Result<(), BenchmarkError> {
        let origin =
            T::ArbiterOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let price = T::Currency::minimum_balance().saturating_mul(2u32.into());
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, price);
        assert_eq!(MinimumPrice::<T>::get(), price);
        Ok(())
    }

    /// `n` logs, each full with one stale entry, so each is rewritten (a
    /// write of nearly a full log, dearer than a removal); both maps are
    /// walked, `ProxyDeals` from a cursor to its end (so its cursor is
    /// reset, a write), `Purchases` for the `n` (its cursor moves, a write).
    #[benchmark]
    fn sweep(n: Linear<0, { T::MaxSweepPerBlock::get() }>) {
        let now: BlockNumberFor<T> = T::LogWindow::get().saturating_add(10).into();
        frame_system::Pallet::<T>::set_block_number(now);
        for i in 0..n {
            let mut log = full_log::<T>(now);
            if let Some(first) = log.get_mut(0) {
                first.block = 1u32.into();
            }
            Purchases::<T>::insert(account::<T::AccountId>("buyer", i, 0), log);
        }
        ProxyDealsSweep::<T>::put(account::<T::AccountId>("proxy", 0, 0));
        let visited;
        #[block]
        {
            visited = Pallet::<T>::sweep_stale_logs(n);
        }
        assert_eq!(visited, n);
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
