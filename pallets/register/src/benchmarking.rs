//! Benchmarks of pallet-register.

use super::*;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

#[benchmarks]
mod benchmarks {
    use super::*;

    /// The worst case: a full record list, so the oldest record is dropped,
    /// and the longest file name.
    #[benchmark]
    fn claim_register() -> Result<(), BenchmarkError> {
        let agent = T::Proxies::real_of(&T::PdashProxy::get()).ok_or(BenchmarkError::Stop(
            "PDash's proxy must be bound for this benchmark",
        ))?;
        let uploader: T::AccountId = account("uploader", 0, 0);
        let name = vec![b'f'; T::MaxFileNameLen::get() as usize];
        for _ in 0..T::MaxUploadsPerAccount::get() {
            Pallet::<T>::claim_register(
                RawOrigin::Signed(agent.clone()).into(),
                uploader.clone(),
                name.clone(),
                [1; 32],
                1,
            )
            .map_err(|_| BenchmarkError::Stop("setup upload"))?;
        }

        #[extrinsic_call]
        _(RawOrigin::Signed(agent), uploader.clone(), name, [2; 32], 2);

        assert_eq!(
            UploadCount::<T>::get(&uploader),
            T::MaxUploadsPerAccount::get() + 1
        );
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
