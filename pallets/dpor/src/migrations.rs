//! Storage migrations of the committee pallet, one module per storage
//! version.

use crate::*;
use frame_support::{
    migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade, weights::Weight,
};

/// Version 1: the reward schedule holds each year's issuance, and the
/// reward year is counted in block periods.
pub mod v1 {
    use super::*;

    /// The period the original's per-block rewards were paid at, and that
    /// version 0's reward schedules (the presets') were figures for.
    pub const ORIGINAL_PERIOD_MS: u64 = 10_000;

    /// Turns each year's per-block reward into that year's issuance at
    /// the original's period: at a shorter period, version 0 minted the
    /// same figure for every one of more blocks (3.3 times the issuance at
    /// 3 s). Starts the reward clock where version 0's block count stood.
    pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

    impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
        fn on_runtime_upgrade() -> Weight {
            let original_blocks_per_year =
                u128::from(T::MillisecsPerYear::get() / ORIGINAL_PERIOD_MS);
            RewardSchedule::<T>::mutate(|schedule| {
                for reward in schedule.iter_mut() {
                    let per_block: u128 = (*reward).saturated_into();
                    *reward = per_block
                        .saturating_mul(original_blocks_per_year)
                        .saturated_into();
                }
            });
            // Version 0 counted years in blocks: the blocks before this one
            // made `done / blocks_per_year` years, and part of the next.
            // Migrations run before the block is initialized, so the block
            // number is still the parent's: the blocks done.
            let old_blocks_per_year = BlocksPerYear::<T>::get().max(1);
            let done: u32 = frame_system::Pallet::<T>::block_number().saturated_into();
            let timing = ConsensusTiming::<T>::get();
            let year_ms = T::MillisecsPerYear::get();
            let into_year = u128::from(done % old_blocks_per_year);
            let elapsed_ms: u64 = (into_year.saturating_mul(u128::from(year_ms))
                / u128::from(old_blocks_per_year))
            .saturated_into();
            RewardYear::<T>::put(RewardClock {
                year: done / old_blocks_per_year,
                elapsed_ms: elapsed_ms.min(year_ms.saturating_sub(1)),
            });
            if let Some(timing) = timing {
                BlocksPerYear::<T>::put(Pallet::<T>::blocks_per_year(&timing));
            }
            T::DbWeight::get().reads_writes(4, 3)
        }

        #[cfg(feature = "try-runtime")]
        fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
            Ok((RewardSchedule::<T>::get().len() as u32).encode())
        }

        #[cfg(feature = "try-runtime")]
        fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
            let before = u32::decode(&mut &state[..])
                .map_err(|_| sp_runtime::TryRuntimeError::Other("pre_upgrade state"))?;
            frame_support::ensure!(
                RewardSchedule::<T>::get().len() as u32 == before,
                "reward years were lost"
            );
            frame_support::ensure!(
                RewardYear::<T>::get().elapsed_ms < T::MillisecsPerYear::get(),
                "the reward clock is past its year"
            );
            Ok(())
        }
    }

    /// Runs [`InnerMigrateV0ToV1`] once, on a chain at storage version 0.
    pub type MigrateV0ToV1<T> = VersionedMigration<
        0,
        1,
        InnerMigrateV0ToV1<T>,
        Pallet<T>,
        <T as frame_system::Config>::DbWeight,
    >;
}
