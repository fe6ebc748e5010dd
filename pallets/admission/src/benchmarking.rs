//! Benchmarks of pallet-admission. Run through `cpchain-node benchmark
//! pallet`, they execute in the runtime's wasm with its heap settings, which
//! is what the scrypt check costs on chain.

use super::*;
use cpchain_primitives::traits::AdmissionProof;
use frame_benchmarking::v2::*;

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn update_difficulty() -> Result<(), BenchmarkError> {
        let origin =
            T::UpdateOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        #[extrinsic_call]
        update_cpu_difficulty(origin as T::RuntimeOrigin, 20);
        assert_eq!(CpuDifficulty::<T>::get(), 20);
        Ok(())
    }

    /// A CPU and a memory proof. The hashing work does not depend on the
    /// difficulty, so difficulty 0 lets any nonce pass and measures the
    /// full check.
    #[benchmark]
    fn check_proofs() -> Result<(), BenchmarkError> {
        CpuDifficulty::<T>::put(0);
        MemoryDifficulty::<T>::put(0);
        let who: T::AccountId = account("miner", 0, 0);
        let now = frame_system::Pallet::<T>::block_number().saturating_add(5u32.into());
        frame_system::Pallet::<T>::set_block_number(now);
        let block_number = now.saturating_sub(1u32.into());
        let mut hash = T::Hash::default();
        hash.as_mut().fill(7);
        frame_system::BlockHash::<T>::insert(block_number, hash);
        let proof = AdmissionProof {
            block_number,
            nonce: 42,
        };

        #[block]
        {
            <Pallet<T> as AdmissionCheck<_, _>>::check(&who, &proof, &proof)
                .map_err(|_| BenchmarkError::Stop("valid proofs"))?;
        }
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
