//! Benchmarks of pallet-pdash.

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

/// An order by fresh parties, advanced to `state`.
fn order_in<T: Config>(
    state: OrderState,
) -> Result<(OrderId, T::AccountId, T::AccountId, T::AccountId), BenchmarkError> {
    let (buyer, seller, proxy) = (
        funded::<T>("buyer"),
        funded::<T>("seller"),
        funded::<T>("proxy"),
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
    if state == OrderState::Disputed {
        Pallet::<T>::dispute(RawOrigin::Signed(buyer.clone()).into(), id).map_err(stop)?;
    }
    Ok((id, buyer, seller, proxy))
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn place_order() -> Result<(), BenchmarkError> {
        let (buyer, seller, proxy) = (
            funded::<T>("buyer"),
            funded::<T>("seller"),
            funded::<T>("proxy"),
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
        _(RawOrigin::Signed(buyer), id);
        Ok(())
    }

    #[benchmark]
    fn resolve_dispute() -> Result<(), BenchmarkError> {
        let origin =
            T::ArbiterOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let (id, _, _, _) = order_in::<T>(OrderState::Disputed)?;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, id, Verdict::ForBuyer);
        Ok(())
    }

    #[benchmark]
    fn cancel() -> Result<(), BenchmarkError> {
        let (id, buyer, _, _) = order_in::<T>(OrderState::Created)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(buyer), id);
        Ok(())
    }

    /// The worst case: a silent buyer's delivery is paid out.
    #[benchmark]
    fn claim_timeout() -> Result<(), BenchmarkError> {
        let (id, _, seller, _) = order_in::<T>(OrderState::ProxyDelivered)?;
        let now = frame_system::Pallet::<T>::block_number();
        frame_system::Pallet::<T>::set_block_number(
            now.saturating_add(T::CheckTimeout::get())
                .saturating_add(1u32.into()),
        );
        #[extrinsic_call]
        _(RawOrigin::Signed(seller), id);
        assert!(!Orders::<T>::contains_key(id));
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
