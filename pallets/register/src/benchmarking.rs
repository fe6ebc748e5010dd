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

    /// `n` full lists with one stale record each, so each is rewritten
    /// (a write of nearly a full list, dearer than a removal).
    #[benchmark]
    fn sweep(n: Linear<0, { T::MaxSweepPerBlock::get() }>) {
        let now: BlockNumberFor<T> = T::LogWindow::get().saturating_add(10).into();
        frame_system::Pallet::<T>::set_block_number(now);
        let name: BoundedVec<u8, T::MaxFileNameLen> =
            BoundedVec::truncate_from(vec![b'f'; T::MaxFileNameLen::get() as usize]);
        for i in 0..n {
            let records = (0..T::MaxUploadsPerAccount::get()).map(|j| UploadRecord {
                file_name: name.clone(),
                file_hash: [1; 32],
                file_size: 1,
                block_number: if j == 0 { 1u32.into() } else { now },
            });
            Uploads::<T>::insert(
                account::<T::AccountId>("uploader", i, 0),
                BoundedVec::truncate_from(records.collect::<alloc::vec::Vec<_>>()),
            );
        }
        let visited;
        #[block]
        {
            visited = Pallet::<T>::sweep_stale_uploads(n);
        }
        assert_eq!(visited, n);
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
