//! # RPT: reputation
//!
//! An account's reputation combines five dimensions, each measured from
//! on-chain data over the last `Window` blocks and turned into a score by
//! ranking the account in the population (the RNodes):
//!
//! | dimension | raw value | source |
//! |---|---|---|
//! | AB | total balance (free and held) | `Currency` |
//! | TX | signed transactions sent | [`Pallet::note_transaction`], called by the runtime's fee handler |
//! | DC | uploads plus purchases | `Uploads` (register) and `Deals` (pdash) |
//! | BM | blocks produced | [`Pallet::note_block_author`], called with each block's author |
//! | PR | deals completed as a PDash proxy | `Deals` (pdash) |
//!
//! `RPT = (alpha*AB + beta*TX + gamma*BM + psi*DC + omega*PR) × (1 - n/9)`,
//! each weight 0..=100 and each score 0..=100, where `n` is the account's
//! impeached blocks as a proposer in the last 10,000 blocks (the original's
//! impeachment factor; `Impeachments`, the dpor pallet); see the README for
//! the ranking rule and how it differs from the original.
//!
//! The activity logs keep the last `MaxWindow` blocks only. Each write of a
//! log drops its older records, and an idle-time sweep
//! ([`Pallet::sweep_stale_logs`], at most `MaxSweepPerBlock` logs a block,
//! resuming where the previous block stopped) drops them from logs nobody
//! writes any more, so an account that stopped sending or producing loses
//! its entry.
//!
//! Everything is read from the state of the block being evaluated: a
//! runtime API call at block `n` uses `n`'s balances, logs, weights and
//! window, so every node gets the same figure for `n`. (The original read the
//! weights from the latest state.)

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod ranking;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use codec::FullCodec;
use cpchain_primitives::{
    traits::{DealCounter, ImpeachmentCounter, RptPopulation, RptProvider, UploadCounter},
    RptBreakdown, RptWeights,
};
use frame_support::{
    pallet_prelude::*,
    storage::{IterableStorageMap, StorageMap as StorageMapT},
    traits::fungible::Inspect,
};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto};

/// The raw values of one account: AB, TX, DC, BM, PR.
pub type RawValues = [u128; 5];

/// Where the idle sweep of stale activity logs resumes: in which log map,
/// after which account (from the map's first when `None`).
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub enum SweepCursor<AccountId> {
    Transactions(Option<AccountId>),
    Blocks(Option<AccountId>),
}

impl<AccountId> Default for SweepCursor<AccountId> {
    fn default() -> Self {
        SweepCursor::Transactions(None)
    }
}

impl<AccountId> SweepCursor<AccountId> {
    /// The account the cursor is after, if any.
    fn after(&self) -> Option<&AccountId> {
        match self {
            SweepCursor::Transactions(after) | SweepCursor::Blocks(after) => after.as_ref(),
        }
    }

    /// The beginning of the other map.
    fn next_map(self) -> Self {
        match self {
            SweepCursor::Transactions(_) => SweepCursor::Blocks(None),
            SweepCursor::Blocks(_) => SweepCursor::Transactions(None),
        }
    }

    /// After `who` in the same map.
    fn same_map(self, who: AccountId) -> Self {
        match self {
            SweepCursor::Transactions(_) => SweepCursor::Transactions(Some(who)),
            SweepCursor::Blocks(_) => SweepCursor::Blocks(Some(who)),
        }
    }
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;

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
        /// Balances, for AB.
        type Currency: Inspect<Self::AccountId>;
        /// Uploads per account, for DC.
        type Uploads: UploadCounter<Self::AccountId, BlockNumberFor<Self>>;
        /// Purchases (DC) and proxy deals (PR).
        type Deals: DealCounter<Self::AccountId, BlockNumberFor<Self>>;
        /// The accounts an account is ranked against.
        type Population: RptPopulation<Self::AccountId>;
        /// Impeached blocks per proposer, for the impeachment factor.
        type Impeachments: ImpeachmentCounter<Self::AccountId>;
        /// At most this many population members are ranked.
        #[pallet::constant]
        type MaxPopulation: Get<u32>;
        /// The largest window, in blocks; it bounds the activity logs.
        #[pallet::constant]
        type MaxWindow: Get<u32>;
        /// At most this many activity logs are swept for stale records in
        /// a block (in `on_idle`, and only as far as the weight left allows).
        #[pallet::constant]
        type MaxSweepPerBlock: Get<u32>;
        /// Who may change weights and the window: governance.
        type UpdateOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        type WeightInfo: WeightInfo;
    }

    /// The smallest window: a reputation needs more than a few blocks.
    pub const MIN_WINDOW: u32 = 10;
    /// The original's window.
    pub const DEFAULT_WINDOW: u32 = 100;
    /// The largest weight of a dimension.
    pub const MAX_WEIGHT: u8 = 100;

    #[pallet::type_value]
    pub fn DefaultWindow<T: Config>() -> u32 {
        DEFAULT_WINDOW.min(T::MaxWindow::get())
    }

    /// The dimension weights.
    #[pallet::storage]
    pub type Weights<T> = StorageValue<_, RptWeights, ValueQuery>;

    /// How many blocks, up to the evaluated one, the dimensions look at.
    #[pallet::storage]
    pub type Window<T: Config> = StorageValue<_, u32, ValueQuery, DefaultWindow<T>>;

    /// Signed transactions per account, per block, over the last `MaxWindow` blocks.
    #[pallet::storage]
    pub type TransactionsSent<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<(BlockNumberFor<T>, u32), T::MaxWindow>,
        ValueQuery,
    >;

    /// Blocks produced per account over the last `MaxWindow` blocks.
    #[pallet::storage]
    pub type BlocksProduced<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<BlockNumberFor<T>, T::MaxWindow>,
        ValueQuery,
    >;

    /// Where the idle sweep resumes in the next block.
    #[pallet::storage]
    pub type Sweep<T: Config> = StorageValue<_, SweepCursor<T::AccountId>, ValueQuery>;

    #[pallet::genesis_config]
    pub struct GenesisConfig<T: Config> {
        pub weights: RptWeights,
        pub window: u32,
        #[serde(skip)]
        pub _config: core::marker::PhantomData<T>,
    }

    impl<T: Config> Default for GenesisConfig<T> {
        fn default() -> Self {
            Self {
                weights: RptWeights::default(),
                window: DefaultWindow::<T>::get(),
                _config: Default::default(),
            }
        }
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            let w = self.weights;
            assert!(
                [w.alpha, w.beta, w.gamma, w.psi, w.omega]
                    .iter()
                    .all(|w| *w <= MAX_WEIGHT),
                "rpt: every weight must be at most 100"
            );
            assert!(
                Pallet::<T>::window_in_range(self.window),
                "rpt: window outside MIN_WINDOW..=MaxWindow"
            );
            Weights::<T>::put(w);
            Window::<T>::put(self.window);
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A weight changed; these are all the weights now.
        WeightsUpdated {
            weights: RptWeights,
        },
        WindowUpdated {
            window: u32,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// A weight is at most 100.
        WeightTooHigh,
        /// The window is at least 10 blocks and at most `MaxWindow`.
        WindowOutOfRange,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        #[cfg(feature = "try-runtime")]
        fn try_state(
            _: BlockNumberFor<T>,
        ) -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }

        fn on_initialize(_: BlockNumberFor<T>) -> Weight {
            // The block author is noted in this block's initialisation.
            T::WeightInfo::note_block_author()
        }

        /// Sweeps as many activity logs as the weight left affords, at most
        /// `MaxSweepPerBlock`, and gives the weight of what it did.
        fn on_idle(_: BlockNumberFor<T>, remaining: Weight) -> Weight {
            // Each of the sweep's up to three passes may read one key past
            // its last log (the end of a map, or past where it stops), a
            // read the per-log benchmark does not see.
            let base = T::WeightInfo::sweep(0).saturating_add(T::DbWeight::get().reads(3));
            let per_log = T::WeightInfo::sweep(1).saturating_sub(base);
            let Some(left) = remaining.checked_sub(&base) else {
                return Weight::zero();
            };
            let affordable = |left: u64, each: u64| left.checked_div(each).unwrap_or(u64::MAX);
            let limit = affordable(left.ref_time(), per_log.ref_time())
                .min(affordable(left.proof_size(), per_log.proof_size()))
                .min(T::MaxSweepPerBlock::get().into()) as u32;
            if limit == 0 {
                return Weight::zero();
            }
            T::WeightInfo::sweep(Self::sweep_stale_logs(limit))
                .saturating_add(T::DbWeight::get().reads(3))
        }

        fn integrity_test() {
            // The weight of a sweep grows with the logs it visits; on_idle
            // divides the weight left by that growth.
            assert!(
                T::WeightInfo::sweep(1).all_gt(T::WeightInfo::sweep(0)),
                "rpt: sweep(n) must grow with n"
            );
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Sets alpha, the weight of AB (account balance).
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::update_weight())]
        pub fn update_alpha(origin: OriginFor<T>, weight: u8) -> DispatchResult {
            Self::update_weights(origin, weight, |w| &mut w.alpha)
        }

        /// Sets beta, the weight of TX (transactions).
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::update_weight())]
        pub fn update_beta(origin: OriginFor<T>, weight: u8) -> DispatchResult {
            Self::update_weights(origin, weight, |w| &mut w.beta)
        }

        /// Sets gamma, the weight of BM (blocks produced).
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::update_weight())]
        pub fn update_gamma(origin: OriginFor<T>, weight: u8) -> DispatchResult {
            Self::update_weights(origin, weight, |w| &mut w.gamma)
        }

        /// Sets psi, the weight of DC (data contribution).
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::update_weight())]
        pub fn update_psi(origin: OriginFor<T>, weight: u8) -> DispatchResult {
            Self::update_weights(origin, weight, |w| &mut w.psi)
        }

        /// Sets omega, the weight of PR (proxy reputation).
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::update_weight())]
        pub fn update_omega(origin: OriginFor<T>, weight: u8) -> DispatchResult {
            Self::update_weights(origin, weight, |w| &mut w.omega)
        }

        /// Sets the window, in blocks.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::update_window())]
        pub fn update_window(origin: OriginFor<T>, window: u32) -> DispatchResult {
            T::UpdateOrigin::ensure_origin(origin)?;
            ensure!(Self::window_in_range(window), Error::<T>::WindowOutOfRange);
            Window::<T>::put(window);
            Self::deposit_event(Event::WindowUpdated { window });
            Ok(())
        }
    }
}

impl<T: Config> Pallet<T> {
    /// RPT's invariants: the window is in range and every activity log is
    /// in block order, one entry per block.
    #[cfg(any(feature = "try-runtime", test))]
    pub fn do_try_state() -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
        ensure!(
            Self::window_in_range(Window::<T>::get()),
            "rpt: the window is out of range"
        );
        ensure!(
            TransactionsSent::<T>::iter_values()
                .all(|log| log.windows(2).all(|pair| pair[0].0 < pair[1].0)),
            "rpt: a transaction log is out of order"
        );
        ensure!(
            BlocksProduced::<T>::iter_values()
                .all(|log| log.windows(2).all(|pair| pair[0] < pair[1])),
            "rpt: a block log is out of order"
        );
        Ok(())
    }

    fn update_weights(
        origin: OriginFor<T>,
        weight: u8,
        field: impl FnOnce(&mut RptWeights) -> &mut u8,
    ) -> DispatchResult {
        T::UpdateOrigin::ensure_origin(origin)?;
        ensure!(weight <= MAX_WEIGHT, Error::<T>::WeightTooHigh);
        let mut weights = Weights::<T>::get();
        *field(&mut weights) = weight;
        Weights::<T>::put(weights);
        Self::deposit_event(Event::WeightsUpdated { weights });
        Ok(())
    }

    fn window_in_range(window: u32) -> bool {
        (MIN_WINDOW..=T::MaxWindow::get()).contains(&window)
    }

    /// Blocks older than this have left every possible window.
    fn log_horizon(now: BlockNumberFor<T>) -> BlockNumberFor<T> {
        now.saturating_sub(T::MaxWindow::get().into())
    }

    /// Visits up to `limit` activity logs from where the previous sweep
    /// stopped, drops their records older than the largest window and
    /// removes logs left empty; a log inside the window is left as it is.
    /// The logs form one cycle, `TransactionsSent` then `BlocksProduced`;
    /// a call walks at most once around it, so it visits no log twice.
    /// Gives the number of logs visited.
    pub fn sweep_stale_logs(limit: u32) -> u32 {
        let horizon = Self::log_horizon(frame_system::Pallet::<T>::block_number());
        let start = Sweep::<T>::get();
        let mut cursor = start.clone();
        let mut visited = 0u32;
        // The rest of the starting map, the other map, then the starting
        // map's beginning up to where this call began.
        for pass in 0..3 {
            let budget = limit.saturating_sub(visited);
            if budget == 0 {
                break;
            }
            let until = match (pass, start.after()) {
                (2, None) => break,
                (2, Some(who)) => Some(who),
                _ => None,
            };
            let (seen, last) = match &cursor {
                SweepCursor::Transactions(after) => Self::sweep_map::<TransactionsSent<T>, _>(
                    after.as_ref(),
                    until,
                    budget,
                    |(block, _)| *block > horizon,
                ),
                SweepCursor::Blocks(after) => Self::sweep_map::<BlocksProduced<T>, _>(
                    after.as_ref(),
                    until,
                    budget,
                    |block| *block > horizon,
                ),
            };
            visited = visited.saturating_add(seen);
            if seen == budget {
                // The budget is spent: the next call resumes after the
                // last log visited.
                if let Some(who) = last {
                    cursor = cursor.same_map(who);
                }
                break;
            }
            // The map ended, or on the third pass this call came back to
            // where it began.
            cursor = if pass < 2 {
                cursor.next_map()
            } else {
                start.clone()
            };
        }
        if cursor != start {
            Sweep::<T>::put(cursor);
        }
        visited
    }

    /// Visits up to `budget` logs of the map `M`, after `after` and up to
    /// `until` (both in the map's order), keeping the records `keep`
    /// accepts and removing logs left empty. Gives the logs visited and the
    /// last of them.
    fn sweep_map<M, E>(
        after: Option<&T::AccountId>,
        until: Option<&T::AccountId>,
        budget: u32,
        keep: impl Fn(&E) -> bool,
    ) -> (u32, Option<T::AccountId>)
    where
        M: IterableStorageMap<T::AccountId, BoundedVec<E, T::MaxWindow>>
            + StorageMapT<T::AccountId, BoundedVec<E, T::MaxWindow>>,
        E: FullCodec,
    {
        let logs = match after {
            Some(who) => M::iter_from(M::hashed_key_for(who)),
            None => M::iter(),
        };
        let until = until.map(M::hashed_key_for);
        let batch: Vec<_> = logs
            .take_while(|(who, _)| {
                until
                    .as_ref()
                    .is_none_or(|until| M::hashed_key_for(who) <= *until)
            })
            .take(budget as usize)
            .collect();
        let seen = batch.len() as u32;
        let mut last = None;
        for (who, mut log) in batch {
            let before = log.len();
            log.retain(|record| keep(record));
            if log.is_empty() {
                M::remove(&who);
            } else if log.len() != before {
                M::insert(&who, log);
            }
            last = Some(who);
        }
        (seen, last)
    }

    /// Counts one signed transaction of `who` in the current block.
    pub fn note_transaction(who: &T::AccountId) {
        let now = frame_system::Pallet::<T>::block_number();
        let horizon = Self::log_horizon(now);
        TransactionsSent::<T>::mutate(who, |log| {
            log.retain(|(block, _)| *block > horizon);
            match log.last_mut() {
                Some((block, count)) if *block == now => *count = count.saturating_add(1),
                // After the retain the log spans fewer than MaxWindow blocks,
                // all before `now`, so there is room.
                _ => {
                    let _ = log.try_push((now, 1));
                }
            }
        });
    }

    /// Counts the current block as produced by `author`.
    pub fn note_block_author(author: &T::AccountId) {
        let now = frame_system::Pallet::<T>::block_number();
        let horizon = Self::log_horizon(now);
        BlocksProduced::<T>::mutate(author, |log| {
            log.retain(|block| *block > horizon);
            if log.last() != Some(&now) {
                let _ = log.try_push(now);
            }
        });
    }

    /// The first block of the window that ends at the current block.
    fn window_start() -> BlockNumberFor<T> {
        let now = frame_system::Pallet::<T>::block_number();
        now.saturating_sub(Window::<T>::get().saturating_sub(1).into())
    }

    /// `who`'s raw values over the window ending at the current block.
    pub fn raw_values(who: &T::AccountId) -> RawValues {
        let from = Self::window_start();
        let to = frame_system::Pallet::<T>::block_number();
        let in_window = |block: &BlockNumberFor<T>| *block >= from && *block <= to;

        let balance: u128 = T::Currency::total_balance(who).unique_saturated_into();
        let transactions: u32 = TransactionsSent::<T>::get(who)
            .iter()
            .filter(|(block, _)| in_window(block))
            .fold(0u32, |sum, (_, count)| sum.saturating_add(*count));
        let data = T::Uploads::uploads_between(who, from, to)
            .saturating_add(T::Deals::purchases_between(who, from, to));
        let blocks = BlocksProduced::<T>::get(who)
            .iter()
            .filter(|block| in_window(block))
            .count() as u32;
        let proxy_deals = T::Deals::proxy_deals_between(who, from, to);
        [
            balance,
            transactions.into(),
            data.into(),
            blocks.into(),
            proxy_deals.into(),
        ]
    }

    /// The population: at most `MaxPopulation` members, in account order,
    /// without repeats.
    pub fn population() -> Vec<T::AccountId> {
        let mut members = T::Population::members();
        members.truncate(T::MaxPopulation::get() as usize);
        members.sort();
        members.dedup();
        members
    }

    /// Each account's RPT, ranked among `accounts` (which must not repeat).
    pub fn breakdowns_of(accounts: &[T::AccountId]) -> Vec<RptBreakdown> {
        let raw: Vec<RawValues> = accounts.iter().map(Self::raw_values).collect();
        ranking::breakdowns(&raw, &Weights::<T>::get())
            .into_iter()
            .zip(accounts)
            .map(|(breakdown, who)| {
                ranking::with_impeachments(breakdown, T::Impeachments::recent_impeachments(who))
            })
            .collect()
    }

    /// `who`'s RPT, ranked against the population and `who` itself.
    pub fn rpt_breakdown(who: &T::AccountId) -> RptBreakdown {
        let mut accounts = Self::population();
        let index = match accounts.binary_search(who) {
            Ok(index) => index,
            Err(index) => {
                accounts.insert(index, who.clone());
                index
            }
        };
        Self::breakdowns_of(&accounts)
            .get(index)
            .copied()
            .unwrap_or_default()
    }

    /// [`Self::rpt_breakdown`] of each of `whos`, ranking the population
    /// once: a member's is read from that ranking, and only an account
    /// outside the population is ranked on its own against it.
    pub fn rpt_breakdowns(whos: &[T::AccountId]) -> Vec<RptBreakdown> {
        let accounts = Self::population();
        let breakdowns = Self::breakdowns_of(&accounts);
        whos.iter()
            .map(|who| match accounts.binary_search(who) {
                Ok(index) => breakdowns.get(index).copied().unwrap_or_default(),
                Err(_) => Self::rpt_breakdown(who),
            })
            .collect()
    }

    /// The population with its RPT, highest first, ties in account order.
    pub fn ranking() -> Vec<(T::AccountId, RptBreakdown)> {
        Self::ranking_of(Self::population())
    }

    /// `accounts` (in account order, without repeats) ranked together,
    /// highest first, ties in account order.
    fn ranking_of(accounts: Vec<T::AccountId>) -> Vec<(T::AccountId, RptBreakdown)> {
        let breakdowns = Self::breakdowns_of(&accounts);
        let mut ranking: Vec<_> = accounts.into_iter().zip(breakdowns).collect();
        // A stable sort keeps account order among equal totals.
        ranking.sort_by(|(_, a), (_, b)| b.total.cmp(&a.total));
        ranking
    }

    /// The weights and the window.
    pub fn settings() -> (RptWeights, u32) {
        (Weights::<T>::get(), Window::<T>::get())
    }
}

impl<T: Config> RptProvider<T::AccountId> for Pallet<T> {
    fn rpt_of(who: &T::AccountId) -> u32 {
        Self::rpt_breakdown(who).total
    }

    fn ranking() -> Vec<(T::AccountId, u32)> {
        Self::ranking()
            .into_iter()
            .map(|(who, rpt)| (who, rpt.total))
            .collect()
    }

    fn ranking_with(who: &T::AccountId) -> Vec<(T::AccountId, u32)> {
        let mut accounts = Self::population();
        if let Err(index) = accounts.binary_search(who) {
            accounts.insert(index, who.clone());
        }
        Self::ranking_of(accounts)
            .into_iter()
            .map(|(who, rpt)| (who, rpt.total))
            .collect()
    }

    fn ranking_weight() -> Weight {
        // The population and the evaluated account.
        T::WeightInfo::rank(T::MaxPopulation::get().saturating_add(1))
    }
}
