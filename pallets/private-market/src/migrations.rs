//! Storage migrations of the private market, one module per storage version.

use crate::*;
use frame_support::{
    migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade, weights::Weight,
};

/// Version 1: every item holds a storage deposit from its seller.
pub mod v1 {
    use super::*;

    /// An item as version 0 stored it, without a deposit.
    #[derive(Encode, Decode)]
    pub struct ItemV0<T: Config> {
        pub seller: T::AccountId,
        pub price: BalanceOf<T>,
        pub public_meta: BoundedVec<u8, T::MaxMetaLen>,
        pub sealed_fields: BoundedVec<u8, T::MaxSealedLen>,
        pub key_for_agent: BoundedVec<u8, T::MaxKeyBoxLen>,
        pub plaintext_hash: [u8; 32],
        pub listed_at: BlockNumberFor<T>,
    }

    /// Storage as version 0 typed it, for tests that write an old chain's
    /// state and for try-runtime's checks.
    pub mod v0 {
        use super::*;

        #[frame_support::storage_alias]
        pub type Items<T: Config> = StorageMap<Pallet<T>, Twox64Concat, ItemId, ItemV0<T>>;
    }

    /// Holds each listed item's deposit from its seller, as `list_item` now
    /// does. A seller who cannot cover it keeps the item with a zero deposit:
    /// dropping a paid-for listing, or its open orders' escrow, would hurt
    /// buyers who did nothing wrong.
    ///
    /// It visits every item in one block: about 3 reads and 3 writes each,
    /// some 170 µs, so about 5,700 items fill half of a 2 s block. Its
    /// try-runtime `pre_upgrade` refuses a chain with more, which needs this
    /// as a multi-block migration instead: run the try-runtime check on the
    /// live chain before proposing the upgrade.
    pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

    impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
        fn on_runtime_upgrade() -> Weight {
            let (mut items, mut held) = (0u64, 0u64);
            Items::<T>::translate::<ItemV0<T>, _>(|_, old| {
                items += 1;
                let mut item = Item {
                    seller: old.seller,
                    price: old.price,
                    public_meta: old.public_meta,
                    sealed_fields: old.sealed_fields,
                    key_for_agent: old.key_for_agent,
                    plaintext_hash: old.plaintext_hash,
                    listed_at: old.listed_at,
                    deposit: Zero::zero(),
                };
                let deposit = Pallet::<T>::item_deposit(&item);
                if T::Currency::hold(&HoldReason::ItemDeposit.into(), &item.seller, deposit).is_ok()
                {
                    item.deposit = deposit;
                    held += 1;
                }
                Some(item)
            });
            log::info!(
                target: "runtime::private-market",
                "storage v1: {items} items migrated, {held} of them now hold a deposit"
            );
            T::DbWeight::get().reads_writes(3 * items, 3 * items)
        }

        #[cfg(feature = "try-runtime")]
        fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
            let items = v0::Items::<T>::iter_keys().count() as u64;
            // The whole migration runs in the first block of the new
            // runtime; past half a block it would outlast DPoR's phase
            // timers on every attempt, impeach blocks included.
            let weight = T::DbWeight::get().reads_writes(3 * items, 3 * items);
            let budget = <T as frame_system::Config>::BlockWeights::get().max_block / 2;
            frame_support::ensure!(
                weight.all_lte(budget),
                "too many items to migrate in one block: make this a multi-block migration"
            );
            Ok(items.encode())
        }

        #[cfg(feature = "try-runtime")]
        fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
            let before = u64::decode(&mut &state[..])
                .map_err(|_| sp_runtime::TryRuntimeError::Other("pre_upgrade state"))?;
            let after = Items::<T>::iter().count() as u64;
            frame_support::ensure!(before == after, "items were lost");
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
