//! # Campaign
//!
//! How an ordinary account becomes a proposer candidate:
//!
//! 1. `join_rnode(cpu, memory)`: with valid admission proofs, the account
//!    becomes an RNode and `RnodeBond` is held. `quit_rnode` returns the bond
//!    once `RnodeLockPeriod` blocks have passed and no candidacy is open.
//!    When all `MaxRnodes` slots are taken, a joiner whose RPT, ranked
//!    together with the RNodes, is strictly above the lowest RNode that
//!    holds no candidacy takes that RNode's slot; the displaced RNode gets
//!    its bond back at once. So slots cannot be squatted for ever by idle
//!    accounts, a tie displaces nobody (equals cannot churn each other
//!    out), and a candidate keeps its slot while its candidacy lasts.
//!    The bond (200,000 CPC in the runtime) is also the entry's storage
//!    deposit: it is far above the per-byte price of the entry.
//! 2. RNodes are RPT's population. Those among the top `MaxQualified` by RPT
//!    may `claim_campaign(terms, cpu, memory)`: with fresh admission proofs,
//!    `BaseDeposit` per term is held and the RNode is a candidate for
//!    `terms` terms from the first one whose election is not fixed yet
//!    ([`TermClock::first_open_term`]: the current term plus
//!    `ELECTION_LAG`).
//! 3. The committee elects each term's proposers from
//!    [`CandidateSource::candidates_of`].
//!
//! Each term's deposit is released when the term ends. `quit_campaign`
//! withdraws from every term whose election is not fixed yet and releases those
//! deposits at once. Governance may `punish_candidate(who, term)`: the
//! term's deposit is burned and the candidate leaves that term.

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

use alloc::vec::Vec;
use cpchain_primitives::{
    schedule::TermClock,
    traits::{AdmissionCheck, AdmissionProof, CandidateSource, RptPopulation, RptProvider},
};
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{Inspect, InspectHold, Mutate, MutateHold},
        tokens::{Fortitude, Precision},
    },
};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::{CheckedMul, Saturating, Zero};

pub type BalanceOf<T> =
    <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
pub type ProofOf<T> = AdmissionProof<BlockNumberFor<T>>;

/// An RNode's bond and when it joined.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct RnodeInfo<Balance, BlockNumber> {
    pub bond: Balance,
    pub joined_at: BlockNumber,
}

pub use cpchain_primitives::CandidateInfo;

/// Prepares what benchmarks cannot set up through this pallet's calls.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, BlockNumber> {
    /// CPU and memory proofs the admission check accepts for `who` now.
    fn valid_proofs(who: &AccountId) -> (AdmissionProof<BlockNumber>, AdmissionProof<BlockNumber>);
    /// Makes `who` outrank every RNode, so that its join displaces one.
    fn rank_above_rnodes(who: &AccountId);
}

/// Terms settled per block at most, so that a long stall cannot make one
/// block's initialisation unbounded.
pub const MAX_TERMS_SETTLED_PER_BLOCK: u32 = 4;

#[frame_support::pallet]
pub mod pallet {
    use super::*;

    /// The layout of this pallet's storage; raise it with a migration in
    /// `migrations.rs` whenever stored types change.
    pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::composite_enum]
    pub enum HoldReason {
        /// An RNode's bond.
        RnodeBond,
        /// A candidate's deposit for its claimed terms.
        CampaignDeposit,
    }

    #[pallet::config]
    pub trait Config: frame_system::Config {
        #[allow(deprecated)]
        type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
        type Currency: Inspect<Self::AccountId>
            + InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + Mutate<Self::AccountId>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        type RuntimeHoldReason: From<HoldReason>;
        /// Checks the CPU and memory proofs.
        type Admission: AdmissionCheck<Self::AccountId, BlockNumberFor<Self>>;
        /// Ranks RNodes by reputation.
        type Rpt: RptProvider<Self::AccountId>;
        /// The current term.
        type Terms: TermClock;
        /// Who may punish candidates and change `MaxQualified`: governance.
        type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// Held from each RNode while it is one.
        #[pallet::constant]
        type RnodeBond: Get<BalanceOf<Self>>;
        /// Blocks an RNode must stay before it may quit.
        #[pallet::constant]
        type RnodeLockPeriod: Get<BlockNumberFor<Self>>;
        /// Held per claimed term.
        #[pallet::constant]
        type BaseDeposit: Get<BalanceOf<Self>>;
        /// The fewest terms one claim may cover.
        #[pallet::constant]
        type MinTerms: Get<u32>;
        /// The most terms one claim may cover.
        #[pallet::constant]
        type MaxTerms: Get<u32>;
        /// The most RNodes at a time; also bounds each term's candidates.
        #[pallet::constant]
        type MaxRnodes: Get<u32>;
        type WeightInfo: WeightInfo;
        /// Makes admission proofs that pass, for benchmarks.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId, BlockNumberFor<Self>>;
    }

    /// The original's 21.
    pub const DEFAULT_MAX_QUALIFIED: u32 = 21;

    #[pallet::type_value]
    pub fn DefaultMaxQualified() -> u32 {
        DEFAULT_MAX_QUALIFIED
    }

    #[pallet::storage]
    pub type Rnodes<T: Config> = CountedStorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        RnodeInfo<BalanceOf<T>, BlockNumberFor<T>>,
    >;

    /// Only RNodes ranked this high by RPT may claim a campaign.
    #[pallet::storage]
    pub type MaxQualified<T> = StorageValue<_, u32, ValueQuery, DefaultMaxQualified>;

    /// Each term's candidates, in claim order.
    #[pallet::storage]
    pub type Candidates<T: Config> =
        StorageMap<_, Twox64Concat, u32, BoundedVec<T::AccountId, T::MaxRnodes>, ValueQuery>;

    #[pallet::storage]
    pub type CandidateInfoOf<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, CandidateInfo<BalanceOf<T>>>;

    /// Terms before this one have been settled: their deposits released.
    #[pallet::storage]
    pub type NextTermToSettle<T> = StorageValue<_, u32, ValueQuery>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        RnodeJoined {
            who: T::AccountId,
            bond: BalanceOf<T>,
        },
        RnodeQuit {
            who: T::AccountId,
            bond: BalanceOf<T>,
        },
        /// `who` lost its slot to `by`, which outranks it; `bond` was released.
        RnodeDisplaced {
            who: T::AccountId,
            by: T::AccountId,
            bond: BalanceOf<T>,
        },
        CampaignClaimed {
            who: T::AccountId,
            start: u32,
            stop: u32,
            deposit: BalanceOf<T>,
        },
        /// `who` left the terms after `current`; `refunded` was released.
        CampaignQuit {
            who: T::AccountId,
            refunded: BalanceOf<T>,
        },
        /// `term` ended; each of its `candidates` got one term's deposit back.
        TermSettled {
            term: u32,
            candidates: u32,
        },
        CandidatePunished {
            who: T::AccountId,
            term: u32,
            slashed: BalanceOf<T>,
        },
        MaxQualifiedUpdated {
            max_qualified: u32,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The account is an RNode already.
        AlreadyRnode,
        /// The account is not an RNode.
        NotRnode,
        /// `MaxRnodes` RNodes exist, and the joiner's RPT is not above the
        /// lowest RNode without a candidacy.
        TooManyRnodes,
        /// The account cannot pay the bond or the deposit.
        InsufficientFunds,
        /// The RNode lock period has not passed.
        RnodeLocked,
        /// Quit the campaign, and wait for its running term to end, first.
        StillCandidate,
        /// `terms` is outside `MinTerms..=MaxTerms`.
        TermsOutOfRange,
        /// The account already holds a candidacy; claims may not overlap.
        AlreadyCandidate,
        /// The account's RPT is not among the top `MaxQualified` RNodes.
        NotQualified,
        /// The account holds no candidacy.
        NotCandidate,
        /// Every claimed term is elected already; those cannot be left.
        NothingToWithdraw,
        /// The account is not a candidate in that term.
        NotCandidateInTerm,
        /// `MaxQualified` must be at least 1 and at most `MaxRnodes`.
        MaxQualifiedOutOfRange,
        /// A term is full.
        TooManyCandidates,
        /// The deposit overflows.
        Overflow,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        #[cfg(feature = "try-runtime")]
        fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }

        fn on_initialize(_: BlockNumberFor<T>) -> Weight {
            let current = T::Terms::current_term();
            let mut weight = T::DbWeight::get().reads(2);
            let mut next = NextTermToSettle::<T>::get();
            let mut settled = 0;
            while next < current && settled < MAX_TERMS_SETTLED_PER_BLOCK {
                let candidates = Self::settle_term(next);
                weight = weight.saturating_add(T::WeightInfo::settle_term(candidates));
                next += 1;
                settled += 1;
            }
            if settled > 0 {
                NextTermToSettle::<T>::put(next);
                weight = weight.saturating_add(T::DbWeight::get().writes(1));
            }
            weight
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Becomes an RNode: checks the admission proofs and holds the bond.
        /// When every slot is taken, displaces the lowest-ranked RNode
        /// without a candidacy if the caller outranks it.
        #[pallet::call_index(0)]
        // The benchmark runs the runtime's real admission check, so the
        // weight includes the scrypt proof; the ranking is RPT's.
        #[pallet::weight(T::WeightInfo::join_rnode().saturating_add(T::Rpt::ranking_weight()))]
        pub fn join_rnode(
            origin: OriginFor<T>,
            cpu: ProofOf<T>,
            memory: ProofOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(!Rnodes::<T>::contains_key(&who), Error::<T>::AlreadyRnode);
            let displaced = if Rnodes::<T>::count() < T::MaxRnodes::get() {
                None
            } else {
                Some(Self::outranked_rnode(&who).ok_or(Error::<T>::TooManyRnodes)?)
            };
            T::Admission::check(&who, &cpu, &memory)?;
            let bond = T::RnodeBond::get();
            T::Currency::hold(&HoldReason::RnodeBond.into(), &who, bond)
                .map_err(|_| Error::<T>::InsufficientFunds)?;
            if let Some(displaced) = displaced {
                Self::displace(displaced, &who)?;
            }
            let joined_at = frame_system::Pallet::<T>::block_number();
            Rnodes::<T>::insert(&who, RnodeInfo { bond, joined_at });
            Self::deposit_event(Event::RnodeJoined { who, bond });
            Ok(())
        }

        /// Stops being an RNode and gets the bond back.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::quit_rnode())]
        pub fn quit_rnode(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let info = Rnodes::<T>::get(&who).ok_or(Error::<T>::NotRnode)?;
            ensure!(
                !CandidateInfoOf::<T>::contains_key(&who),
                Error::<T>::StillCandidate
            );
            let now = frame_system::Pallet::<T>::block_number();
            ensure!(
                now >= info.joined_at.saturating_add(T::RnodeLockPeriod::get()),
                Error::<T>::RnodeLocked
            );
            let bond = Self::end_membership(&who)?;
            Self::deposit_event(Event::RnodeQuit { who, bond });
            Ok(())
        }

        /// Claims candidacy for the next `terms` terms.
        #[pallet::call_index(2)]
        // The benchmark includes the real admission check; the ranking is
        // measured there with one RNode, so the full population's cost is added.
        #[pallet::weight(
            T::WeightInfo::claim_campaign(T::MaxTerms::get()).saturating_add(T::Rpt::ranking_weight())
        )]
        pub fn claim_campaign(
            origin: OriginFor<T>,
            terms: u32,
            cpu: ProofOf<T>,
            memory: ProofOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(Rnodes::<T>::contains_key(&who), Error::<T>::NotRnode);
            ensure!(
                (T::MinTerms::get()..=T::MaxTerms::get()).contains(&terms),
                Error::<T>::TermsOutOfRange
            );
            ensure!(
                !CandidateInfoOf::<T>::contains_key(&who),
                Error::<T>::AlreadyCandidate
            );
            ensure!(Self::is_qualified(&who), Error::<T>::NotQualified);
            T::Admission::check(&who, &cpu, &memory)?;

            let deposit = T::BaseDeposit::get()
                .checked_mul(&BalanceOf::<T>::from(terms))
                .ok_or(Error::<T>::Overflow)?;
            T::Currency::hold(&HoldReason::CampaignDeposit.into(), &who, deposit)
                .map_err(|_| Error::<T>::InsufficientFunds)?;
            let start = T::Terms::first_open_term();
            let stop = start.saturating_add(terms - 1);
            for term in start..=stop {
                Candidates::<T>::try_mutate(term, |candidates| candidates.try_push(who.clone()))
                    .map_err(|_| Error::<T>::TooManyCandidates)?;
            }
            CandidateInfoOf::<T>::insert(
                &who,
                CandidateInfo {
                    terms,
                    start,
                    stop,
                    deposit,
                },
            );
            Self::deposit_event(Event::CampaignClaimed {
                who,
                start,
                stop,
                deposit,
            });
            Ok(())
        }

        /// Withdraws from every term whose election is not fixed yet;
        /// their deposits are released now, the others' as those terms end.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::quit_campaign(T::MaxTerms::get()))]
        pub fn quit_campaign(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut info = CandidateInfoOf::<T>::get(&who).ok_or(Error::<T>::NotCandidate)?;
            let mut refunded = BalanceOf::<T>::zero();
            let first_open = T::Terms::first_open_term();
            for term in info.start.max(first_open)..=info.stop {
                if Self::remove_from_term(&who, term) {
                    refunded = refunded.saturating_add(T::BaseDeposit::get().min(info.deposit));
                    info.deposit = info.deposit.saturating_sub(T::BaseDeposit::get());
                    info.terms = info.terms.saturating_sub(1);
                }
            }
            ensure!(!refunded.is_zero(), Error::<T>::NothingToWithdraw);
            T::Currency::release(
                &HoldReason::CampaignDeposit.into(),
                &who,
                refunded,
                Precision::BestEffort,
            )?;
            info.stop = first_open.saturating_sub(1).min(info.stop);
            Self::store_candidacy(&who, info);
            Self::deposit_event(Event::CampaignQuit { who, refunded });
            Ok(())
        }

        /// Burns `who`'s deposit for `term` and removes it from that term.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::punish_candidate())]
        pub fn punish_candidate(
            origin: OriginFor<T>,
            who: T::AccountId,
            term: u32,
        ) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            let mut info = CandidateInfoOf::<T>::get(&who).ok_or(Error::<T>::NotCandidate)?;
            ensure!(
                Self::remove_from_term(&who, term),
                Error::<T>::NotCandidateInTerm
            );
            let slashed = T::Currency::burn_held(
                &HoldReason::CampaignDeposit.into(),
                &who,
                T::BaseDeposit::get().min(info.deposit),
                Precision::BestEffort,
                Fortitude::Force,
            )?;
            info.deposit = info.deposit.saturating_sub(T::BaseDeposit::get());
            info.terms = info.terms.saturating_sub(1);
            Self::store_candidacy(&who, info);
            Self::deposit_event(Event::CandidatePunished { who, term, slashed });
            Ok(())
        }

        /// Sets how many of the top RNodes by RPT may claim a campaign.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::set_max_qualified())]
        pub fn set_max_qualified(origin: OriginFor<T>, max_qualified: u32) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            ensure!(
                (1..=T::MaxRnodes::get()).contains(&max_qualified),
                Error::<T>::MaxQualifiedOutOfRange
            );
            MaxQualified::<T>::put(max_qualified);
            Self::deposit_event(Event::MaxQualifiedUpdated { max_qualified });
            Ok(())
        }
    }
}

impl<T: Config> Pallet<T> {
    /// The campaign's invariants: each candidate's deposit hold equals its
    /// recorded deposit, each RNode's bond hold its recorded bond, and every
    /// listed candidate has a candidacy.
    #[cfg(any(feature = "try-runtime", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use cpchain_primitives::try_state::{ensure_holds, sum_by_account};
        let deposits =
            sum_by_account(CandidateInfoOf::<T>::iter().map(|(who, info)| (who, info.deposit)));
        ensure_holds(
            &deposits,
            |who| T::Currency::balance_on_hold(&HoldReason::CampaignDeposit.into(), who),
            "campaign: deposits held are not the candidates' deposits",
        )?;
        let bonds = sum_by_account(Rnodes::<T>::iter().map(|(who, info)| (who, info.bond)));
        ensure_holds(
            &bonds,
            |who| T::Currency::balance_on_hold(&HoldReason::RnodeBond.into(), who),
            "campaign: bonds held are not the RNodes' bonds",
        )?;
        ensure!(
            Candidates::<T>::iter_values()
                .flatten()
                .all(|who| CandidateInfoOf::<T>::contains_key(&who)),
            "campaign: a term lists a candidate without a candidacy"
        );
        Ok(())
    }

    /// Whether `who` ranks among the top `MaxQualified` RNodes by RPT.
    pub fn is_qualified(who: &T::AccountId) -> bool {
        let top = MaxQualified::<T>::get() as usize;
        T::Rpt::ranking()
            .iter()
            .take(top)
            .any(|(account, _)| account == who)
    }

    /// The RNode `joiner` would displace: the lowest-ranked RNode without a
    /// candidacy and past its `RnodeLockPeriod`, the last in account order
    /// among equals, if `joiner` ranks strictly above it when ranked
    /// together with the RNodes. The lock period protects a new RNode as
    /// it binds it: slots cannot be churned back and forth, and an RNode
    /// cannot leave early by having a second account displace it.
    fn outranked_rnode(joiner: &T::AccountId) -> Option<T::AccountId> {
        let now = frame_system::Pallet::<T>::block_number();
        let ranking = T::Rpt::ranking_with(joiner);
        let joiner_rpt = ranking
            .iter()
            .find(|(who, _)| who == joiner)
            .map(|(_, rpt)| *rpt)?;
        let (lowest, lowest_rpt) = ranking.into_iter().rev().find(|(who, _)| {
            who != joiner
                && Rnodes::<T>::get(who).is_some_and(|info| {
                    now >= info.joined_at.saturating_add(T::RnodeLockPeriod::get())
                })
                && !CandidateInfoOf::<T>::contains_key(who)
        })?;
        (joiner_rpt > lowest_rpt).then_some(lowest)
    }

    /// Ends `who`'s RNode membership for `by`, releasing its bond.
    fn displace(who: T::AccountId, by: &T::AccountId) -> DispatchResult {
        let bond = Self::end_membership(&who)?;
        Self::deposit_event(Event::RnodeDisplaced {
            who,
            by: by.clone(),
            bond,
        });
        Ok(())
    }

    /// Removes `who`'s RNode entry and releases its bond; returns the bond.
    fn end_membership(who: &T::AccountId) -> Result<BalanceOf<T>, DispatchError> {
        let info = Rnodes::<T>::take(who).ok_or(Error::<T>::NotRnode)?;
        T::Currency::release(
            &HoldReason::RnodeBond.into(),
            who,
            info.bond,
            Precision::BestEffort,
        )?;
        Ok(info.bond)
    }

    /// Removes `who` from `term`'s candidates; false if it was not one.
    fn remove_from_term(who: &T::AccountId, term: u32) -> bool {
        Candidates::<T>::mutate(term, |candidates| {
            let before = candidates.len();
            candidates.retain(|candidate| candidate != who);
            candidates.len() != before
        })
    }

    fn store_candidacy(who: &T::AccountId, info: CandidateInfo<BalanceOf<T>>) {
        if info.terms == 0 {
            // Whatever is left (rounding) goes back with the candidacy.
            if !info.deposit.is_zero() {
                let _ = T::Currency::release(
                    &HoldReason::CampaignDeposit.into(),
                    who,
                    info.deposit,
                    Precision::BestEffort,
                );
            }
            CandidateInfoOf::<T>::remove(who);
        } else {
            CandidateInfoOf::<T>::insert(who, info);
        }
    }

    /// Releases one term's deposit to each of `term`'s candidates; returns
    /// how many there were.
    pub(crate) fn settle_term(term: u32) -> u32 {
        let candidates = Candidates::<T>::take(term);
        for who in &candidates {
            let Some(mut info) = CandidateInfoOf::<T>::get(who) else {
                continue;
            };
            let amount = T::BaseDeposit::get().min(info.deposit);
            // The hold was made for exactly these terms; BestEffort only
            // guards against a deposit already partly burned.
            let _ = T::Currency::release(
                &HoldReason::CampaignDeposit.into(),
                who,
                amount,
                Precision::BestEffort,
            );
            info.deposit = info.deposit.saturating_sub(amount);
            info.terms = info.terms.saturating_sub(1);
            Self::store_candidacy(who, info);
        }
        let count = candidates.len() as u32;
        if count > 0 {
            Self::deposit_event(Event::TermSettled {
                term,
                candidates: count,
            });
        }
        count
    }

    /// The RNodes, in account order.
    pub fn rnodes() -> Vec<T::AccountId> {
        let mut rnodes: Vec<_> = Rnodes::<T>::iter_keys().collect();
        rnodes.sort();
        rnodes
    }

    pub fn candidate_info(who: &T::AccountId) -> Option<CandidateInfo<BalanceOf<T>>> {
        CandidateInfoOf::<T>::get(who)
    }
}

impl<T: Config> CandidateSource<T::AccountId> for Pallet<T> {
    fn candidates_of(term: u32) -> Vec<T::AccountId> {
        Candidates::<T>::get(term).into_inner()
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn set_candidates_for_benchmarks(term: u32, candidates: Vec<T::AccountId>) {
        Candidates::<T>::insert(term, BoundedVec::truncate_from(candidates));
    }
}

impl<T: Config> RptPopulation<T::AccountId> for Pallet<T> {
    fn members() -> Vec<T::AccountId> {
        Self::rnodes()
    }
}
