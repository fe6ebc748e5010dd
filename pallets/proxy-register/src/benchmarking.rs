//! Benchmarks of pallet-proxy-register.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;

#[benchmarks]
mod benchmarks {
    use super::*;

    /// The worst case: a rebind, which also frees the previous account.
    #[benchmark]
    fn register_proxy_contract() -> Result<(), BenchmarkError> {
        let origin =
            T::RegisterOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let proxy: T::AccountId = account("proxy", 0, 0);
        let old: T::AccountId = account("old", 0, 0);
        let new: T::AccountId = account("new", 0, 0);
        Pallet::<T>::register_proxy_contract(origin.clone(), proxy.clone(), old)
            .map_err(|_| BenchmarkError::Stop("first binding"))?;

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, proxy.clone(), new.clone());

        assert_eq!(RealContract::<T>::get(&proxy), Some(new));
        assert_eq!(ContractVersion::<T>::get(&proxy), 2);
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(vec![]), crate::mock::Test);
}
