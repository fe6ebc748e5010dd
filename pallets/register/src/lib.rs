//! # Register
//!
//! Records the files accounts upload through PDash (name, hash, size, block
//! number), so that RPT can count an account's data contribution over a
//! block window.
//!
//! Only the account the proxy register names for PDash's proxy
//! (`T::PdashProxy`) may record uploads, for any uploader. Each account
//! keeps its latest `MaxUploadsPerAccount` records; when full, the oldest
//! record is dropped, since RPT only looks at a recent window. The total
//! count keeps every upload.
//!
//! Records older than `LogWindow` (RPT's largest window) are of no use to
//! RPT: they are dropped whenever the account's list is written, and an
//! idle-time sweep (`on_idle`, at most `MaxSweepPerBlock` lists a block,
//! resuming where the previous block stopped) drops them from lists nobody
//! writes, so a one-time uploader keeps no list, nor key, once the window
//! has passed. (The sweep and the pruning are
//! [`cpchain_primitives::recent`]'s, shared with PDash's deal logs.)
//!
//! Fix of the original: `getUploadCountAfterBlock` mis-counted; here
//! [`Pallet::uploads_between`] counts records with `from <= number <= to`,
//! both ends inclusive, and is tested at both edges.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use cpchain_primitives::{
    recent,
    traits::{ProxyResolver, UploadCounter},
};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::*;
use sp_runtime::traits::Saturating;

/// One uploaded file.
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxNameLen))]
pub struct UploadRecord<BlockNumber, MaxNameLen: Get<u32>> {
    pub file_name: BoundedVec<u8, MaxNameLen>,
    pub file_hash: [u8; 32],
    pub file_size: u64,
    /// The block that recorded the upload.
    pub block_number: BlockNumber,
}

pub type UploadRecordOf<T> = UploadRecord<BlockNumberFor<T>, <T as Config>::MaxFileNameLen>;

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;

    /// The layout of this pallet's storage; raise it with a migration in
    /// `migrations.rs` whenever stored types change.
    pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        #[allow(deprecated)]
        type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
        /// Resolves PDash's proxy to the account allowed to record uploads.
        type Proxies: ProxyResolver<Self::AccountId>;
        /// PDash's well-known proxy account.
        type PdashProxy: Get<Self::AccountId>;
        #[pallet::constant]
        type MaxFileNameLen: Get<u32>;
        #[pallet::constant]
        type MaxUploadsPerAccount: Get<u32>;
        /// RPT's largest window, in blocks: older records are dropped.
        #[pallet::constant]
        type LogWindow: Get<u32>;
        /// At most this many upload lists are swept for stale records in a
        /// block (in `on_idle`, and only as far as the weight left allows).
        #[pallet::constant]
        type MaxSweepPerBlock: Get<u32>;
        type WeightInfo: WeightInfo;
    }

    /// The latest uploads of each account, oldest first.
    #[pallet::storage]
    pub type Uploads<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<UploadRecordOf<T>, T::MaxUploadsPerAccount>,
        ValueQuery,
    >;

    /// Where the idle sweep of `Uploads` resumes.
    #[pallet::storage]
    pub type UploadsSweep<T: Config> = StorageValue<_, T::AccountId>;

    /// Every upload each account ever recorded.
    #[pallet::storage]
    pub type UploadCount<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// `uploader` uploaded a file.
        UploadRecorded {
            uploader: T::AccountId,
            file_hash: [u8; 32],
            file_size: u64,
            total: u32,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// Only the account acting for PDash's proxy records uploads.
        NotPdashAgent,
        /// The file name is longer than `MaxFileNameLen`.
        FileNameTooLong,
        /// A file of zero bytes is no contribution.
        EmptyFile,
        /// The uploader's total count reached `u32::MAX`.
        CountOverflow,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        #[cfg(feature = "try-runtime")]
        fn try_state(
            _: BlockNumberFor<T>,
        ) -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }

        /// Sweeps as many upload lists as the weight left affords, at most
        /// `MaxSweepPerBlock`, and gives the weight of what it did.
        fn on_idle(_: BlockNumberFor<T>, remaining: Weight) -> Weight {
            recent::idle_sweep(
                remaining,
                T::WeightInfo::sweep,
                T::MaxSweepPerBlock::get(),
                Self::sweep_stale_uploads,
            )
        }

        fn integrity_test() {
            assert!(
                recent::sweep_weight_grows(T::WeightInfo::sweep),
                "register: sweep(n) must grow with n"
            );
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Records that `uploader` uploaded a file. PDash's agent only.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::claim_register())]
        pub fn claim_register(
            origin: OriginFor<T>,
            uploader: T::AccountId,
            file_name: Vec<u8>,
            file_hash: [u8; 32],
            file_size: u64,
        ) -> DispatchResult {
            let caller = ensure_signed(origin)?;
            let agent = T::Proxies::real_of(&T::PdashProxy::get());
            ensure!(agent.as_ref() == Some(&caller), Error::<T>::NotPdashAgent);
            let file_name: BoundedVec<u8, T::MaxFileNameLen> = file_name
                .try_into()
                .map_err(|_| Error::<T>::FileNameTooLong)?;
            ensure!(file_size > 0, Error::<T>::EmptyFile);
            let total = UploadCount::<T>::get(&uploader)
                .checked_add(1)
                .ok_or(Error::<T>::CountOverflow)?;

            let record = UploadRecord {
                file_name,
                file_hash,
                file_size,
                block_number: frame_system::Pallet::<T>::block_number(),
            };
            let horizon = Self::log_horizon();
            Uploads::<T>::mutate(&uploader, |records| {
                recent::prune(records, |record| record.block_number <= horizon);
                recent::push_evicting(records, record);
            });
            UploadCount::<T>::insert(&uploader, total);
            Self::deposit_event(Event::UploadRecorded {
                uploader,
                file_hash,
                file_size,
                total,
            });
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        /// The register's invariant: the all-time count covers the uploads
        /// still listed.
        #[cfg(any(feature = "try-runtime", test))]
        pub fn do_try_state() -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
            for (who, uploads) in Uploads::<T>::iter() {
                ensure!(
                    UploadCount::<T>::get(&who) as usize >= uploads.len(),
                    "register: fewer uploads counted than listed"
                );
            }
            Ok(())
        }

        /// Every upload `who` ever recorded.
        pub fn upload_count(who: &T::AccountId) -> u32 {
            UploadCount::<T>::get(who)
        }

        /// Kept uploads of `who` recorded in blocks `from..=to`.
        pub fn uploads_between(
            who: &T::AccountId,
            from: BlockNumberFor<T>,
            to: BlockNumberFor<T>,
        ) -> u32 {
            recent::count_between(
                Uploads::<T>::get(who)
                    .iter()
                    .map(|record| record.block_number),
                &from,
                &to,
            )
        }

        /// Records at or before this block have left every RPT window.
        fn log_horizon() -> BlockNumberFor<T> {
            frame_system::Pallet::<T>::block_number().saturating_sub(T::LogWindow::get().into())
        }

        /// Visits up to `limit` upload lists from where the previous sweep
        /// stopped, drops their stale records and the lists left empty.
        /// Gives the lists visited.
        pub fn sweep_stale_uploads(limit: u32) -> u32 {
            let horizon = Self::log_horizon();
            recent::sweep::<Uploads<T>, UploadsSweep<T>, _, _, _>(
                limit,
                |record: &UploadRecordOf<T>| record.block_number <= horizon,
            )
        }
    }
}

impl<T: Config> UploadCounter<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
    fn uploads_between(who: &T::AccountId, from: BlockNumberFor<T>, to: BlockNumberFor<T>) -> u32 {
        Pallet::<T>::uploads_between(who, from, to)
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn fill_log_for_benchmarks(who: &T::AccountId, at: BlockNumberFor<T>) {
        let name = alloc::vec![b'f'; T::MaxFileNameLen::get() as usize];
        let records = (0..T::MaxUploadsPerAccount::get()).map(|_| UploadRecord {
            file_name: BoundedVec::truncate_from(name.clone()),
            file_hash: [7; 32],
            file_size: u64::MAX,
            block_number: at,
        });
        Uploads::<T>::insert(who, BoundedVec::truncate_from(records.collect()));
    }
}
