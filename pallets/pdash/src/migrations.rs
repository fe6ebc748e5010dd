//! Storage migrations of PDash, one module per storage version.

use crate::*;
use frame_support::{
    migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade, weights::Weight,
};

/// Version 1: each deal log entry carries the counterparty, for the cap on
/// deals with one counterparty.
pub mod v1 {
    use super::*;

    /// Version 0's deal log: the blocks of the latest deals.
    pub type OldDealLog<T> = BoundedVec<BlockNumberFor<T>, <T as Config>::MaxRecentDeals>;

    /// Version 0 did not record counterparties. Its entries become deals
    /// with the log's own account, which no real deal has (buyer, seller
    /// and proxy always differ), so they never count against a real
    /// counterparty's cap; they leave the log with RPT's window, and the
    /// sweep removes the log when they have.
    pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

    fn translate<T: Config>(who: T::AccountId, old: OldDealLog<T>) -> Option<DealLog<T>> {
        let deals: alloc::vec::Vec<_> = old
            .into_iter()
            .map(|block| Deal {
                block,
                counterparty: who.clone(),
            })
            .collect();
        // As long as the old log: within the same bound.
        Some(BoundedVec::truncate_from(deals))
    }

    impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
        fn on_runtime_upgrade() -> Weight {
            let mut logs = 0u64;
            ProxyDeals::<T>::translate::<OldDealLog<T>, _>(|who, old| {
                logs += 1;
                translate::<T>(who, old)
            });
            Purchases::<T>::translate::<OldDealLog<T>, _>(|who, old| {
                logs += 1;
                translate::<T>(who, old)
            });
            T::DbWeight::get().reads_writes(logs, logs)
        }

        #[cfg(feature = "try-runtime")]
        fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
            use frame_support::storage::unhashed;
            // Version 0's logs, read raw: the maps' types are version 1's.
            let proxy: u64 = ProxyDeals::<T>::iter_keys()
                .filter_map(|who| {
                    unhashed::get::<OldDealLog<T>>(&ProxyDeals::<T>::hashed_key_for(&who))
                })
                .map(|log| log.len() as u64)
                .sum();
            let buyer: u64 = Purchases::<T>::iter_keys()
                .filter_map(|who| {
                    unhashed::get::<OldDealLog<T>>(&Purchases::<T>::hashed_key_for(&who))
                })
                .map(|log| log.len() as u64)
                .sum();
            Ok((proxy, buyer).encode())
        }

        #[cfg(feature = "try-runtime")]
        fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
            let (proxy, buyer) = <(u64, u64)>::decode(&mut &state[..])
                .map_err(|_| sp_runtime::TryRuntimeError::Other("pre_upgrade state"))?;
            let entries = |logs: &mut dyn Iterator<Item = DealLog<T>>| {
                logs.map(|log| log.len() as u64).sum::<u64>()
            };
            frame_support::ensure!(
                entries(&mut ProxyDeals::<T>::iter_values()) == proxy,
                "proxy deals were lost"
            );
            frame_support::ensure!(
                entries(&mut Purchases::<T>::iter_values()) == buyer,
                "purchases were lost"
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
