//! # DPoR committee
//!
//! The bipartite committee: governance-nominated validators (3f+1, with
//! their consensus keys) certify blocks; elected proposers take turns
//! producing them.
//!
//! - **Schedule.** A term is `view_len` views of `term_len` slots; block
//!   `n`'s proposer is the term's proposer at `slot_of(n)` (the original's
//!   round robin). [`Pallet::proposer_of`] is the one answer to "who
//!   proposes block n", for the runtime and, through `DporApi`, the client.
//!   A new shape set by governance starts with the next term, re-anchored
//!   there so that earlier blocks keep their terms.
//! - **Validators.** Set in genesis and by governance; a change takes effect
//!   at the next term's first block, whose header announces the new set in a
//!   `ValidatorsChanged` consensus log (see `cpchain_primitives::finality`).
//! - **Election.** At a term's checkpoint (its last block) the election of
//!   the term `ELECTION_LAG` later is fixed: that term's campaign
//!   candidates with their RPT, less penalties ([`NextElection`]). It is
//!   drawn `term_len` blocks later (one block of each proposer of the next
//!   term), or at the next checkpoint if that comes first, by RPT and the
//!   seed ([`election`]); empty seats are filled from the default
//!   proposers, so a chain without candidates still runs.
//! - **Seed.** Every proposer's block folds its proposer's VRF output over
//!   (height, seed so far) into the seed ([`cpchain_primitives::vrf`]); an
//!   impeach block folds nothing. Block hashes are not folded: an author
//!   chooses its block's hash and could try many. Fixing the candidates
//!   before the outputs that draw them exist keeps the checkpoint's
//!   proposer from trying versions of its block's *state* (its candidates
//!   claiming or quitting, transfers that move RPT ranks) against a seed it
//!   knows. What is left to each proposer between the checkpoint and the
//!   draw is to publish or withhold; see the README for what that bit is
//!   worth and what it costs.
//! - **Rewards.** Governance sets each year's issuance ([`RewardSchedule`];
//!   the presets take the original's: 12.65, 9.51, 7.13, 5.39 and 4.03 CPC
//!   per 10 s block in years one to five, none after the list ends). The
//!   proposer of each block is minted the year's issuance times the period
//!   over the year (`MillisecsPerYear`), so that a year mints the same
//!   whatever the period: the original's per-block figures at a 3 s period
//!   would mint 3.3 times as much. Years are counted in block periods
//!   ([`RewardYear`]: each block adds the period in force), so a change of
//!   period by `set_timing` neither skips nor repeats part of a year;
//!   [`BlocksPerYear`] follows the period for those who read it.
//! - **Impeachment.** A block whose DPoR pre-runtime digest marks it as the
//!   committee's impeach block pays no reward, and its scheduled proposer
//!   is recorded as impeached ([`ImpeachedBlocks`]). Its RPT is multiplied
//!   by `1 - n/9` for `n` impeached blocks in the last 10,000
//!   (the original's factor, applied by the RPT pallet through
//!   [`ImpeachmentCounter`], so `rpt_getRpt` shows the figure the election
//!   starts from; the election subtracts equivocation penalties from it). Deposits are not slashed
//!   automatically: a proposer can be impeached through no fault of its
//!   own (a network split), so slashing stays governance's decision through
//!   the campaign's `punish_candidate`.
//! - **Equivocation.** Anyone may submit evidence that a validator signed
//!   two different blocks in one phase, or that a proposer sealed two
//!   blocks at one height ([`cpchain_primitives::equivocation`]), as the
//!   unsigned [`Pallet::report_equivocation`]. The runtime checks the
//!   signatures against the genesis hash and the committee of that height
//!   (and a proposal's parent against this chain's block), within
//!   [`EQUIVOCATION_REPORT_WINDOW`] blocks, and records the offender once
//!   per term. A proposer is also barred
//!   from the election held in the term of the report and loses
//!   `EquivocationRptPenalty` RPT points in elections for
//!   [`IMPEACHMENT_MEMORY_TERMS`] terms. Slashing a validator's bond stays
//!   governance's decision, with the evidence on chain to point at.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod election;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use cpchain_primitives::{
    digest::DporPreDigest,
    dpor_crypto::AuthorityId,
    equivocation::{EquivocationProof, Offender, ProvenOffence},
    finality::ValidatorsChanged,
    schedule::{Schedule, ELECTION_LAG},
    traits::{
        CandidateSource, ImpeachmentCounter, RptProvider, IMPEACHMENTS_TO_ZERO_RPT,
        IMPEACHMENT_WINDOW,
    },
};
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{Mutate, MutateHold},
        tokens::Precision,
    },
};
use frame_system::{offchain::CreateBare, pallet_prelude::*};
use sp_runtime::traits::{Convert, Hash, OpaqueKeys, SaturatedConversion, Zero};

/// Makes what the key-registration benchmarks cannot make through calls.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<Keys> {
    /// Fresh keys, and the proof that `owner` holds them.
    fn keys_with_proof(owner: &[u8]) -> (Keys, Vec<u8>);
}

pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
    <T as frame_system::Config>::AccountId,
>>::Balance;

/// A schedule and where it starts: block `first_block` is the first block of
/// term `first_term`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct AnchoredSchedule {
    pub schedule: Schedule,
    pub first_block: u32,
    pub first_term: u32,
}

impl AnchoredSchedule {
    fn offset(&self, n: u32) -> u32 {
        // Blocks before the anchor belong to earlier schedules; callers only
        // ask about blocks from the anchor on.
        n.saturating_sub(self.first_block).saturating_add(1)
    }

    pub fn term_of(&self, n: u32) -> u32 {
        self.first_term
            .saturating_add(self.schedule.term_of(self.offset(n)))
    }

    pub fn slot_of(&self, n: u32) -> u32 {
        self.schedule.slot_of(self.offset(n))
    }

    pub fn view_of(&self, n: u32) -> u32 {
        self.schedule.view_of(self.offset(n))
    }

    pub fn is_checkpoint(&self, n: u32) -> bool {
        self.schedule.is_checkpoint(self.offset(n))
    }

    /// Whether `n` is the first block of a term.
    pub fn is_term_start(&self, n: u32) -> bool {
        n >= self.first_block && (n - self.first_block) % self.schedule.blocks_per_term() == 0
    }
}

/// An election whose candidates and scores are fixed and whose draw waits
/// for VRF outputs that nobody knew when they were fixed.
#[derive(
    CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
pub struct PendingElection<T: Config> {
    /// The term it elects.
    pub term: u32,
    /// The block whose `on_finalize` draws it (or the next checkpoint, if
    /// that comes first).
    pub draw_at: u32,
    /// Each candidate with its RPT, less its penalties, as of the
    /// checkpoint; barred candidates are left out.
    pub scored: BoundedVec<(T::AccountId, u32), T::MaxCandidates>,
}

/// Consensus timing, in milliseconds.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
)]
pub struct Timing {
    /// The block period.
    pub period_ms: u64,
    /// How long validators wait in a phase before impeaching.
    pub impeach_timeout_ms: u64,
}

/// Where the chain stands in its reward years.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Default,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
)]
pub struct RewardClock {
    /// The year, from 0: the index into the reward schedule.
    pub year: u32,
    /// The block periods summed since the year began.
    pub elapsed_ms: u64,
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;

    /// The layout of this pallet's storage; raise it with a migration in
    /// `migrations.rs` whenever stored types change.
    pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config + CreateBare<Call<Self>> {
        #[allow(deprecated)]
        type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
        /// Mints block rewards; holds key-registration deposits.
        type Currency: Mutate<Self::AccountId>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        type RuntimeHoldReason: From<HoldReason>;
        /// The consensus keys an account registers (the runtime's session
        /// keys), with the ownership proof `author_rotateKeysWithOwner` gives.
        type Keys: Parameter + OpaqueKeys;
        /// Held from an account while it has a registered key.
        #[pallet::constant]
        type KeyDeposit: Get<BalanceOf<Self>>;
        /// Each term's campaign candidates.
        type Candidates: CandidateSource<Self::AccountId>;
        /// Candidates' reputation.
        type Rpt: RptProvider<Self::AccountId>;
        /// Who changes the committee and its settings: governance.
        type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        #[pallet::constant]
        type MaxValidators: Get<u32>;
        /// Bounds `term_len`.
        #[pallet::constant]
        type MaxProposers: Get<u32>;
        /// The most reward years.
        #[pallet::constant]
        type MaxRewardYears: Get<u32>;
        /// The length of a reward year.
        #[pallet::constant]
        type MillisecsPerYear: Get<u64>;
        /// The account of a proposer's sealing key, as the digest names it.
        type ProposerAccount: Convert<cpchain_primitives::AccountId, Self::AccountId>;
        /// The sealing key, which also proves the VRF, of a proposer's
        /// account: the inverse of `ProposerAccount`. `None` for an account
        /// that is no sr25519 key, whose blocks then add nothing to the seed.
        type ProposerKey: Convert<Self::AccountId, Option<sp_core::sr25519::Public>>;
        /// The most candidates one election scores.
        #[pallet::constant]
        type MaxCandidates: Get<u32>;
        type WeightInfo: WeightInfo;
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::Keys>;
    }

    #[pallet::composite_enum]
    pub enum HoldReason {
        /// An account's deposit for its registered consensus key.
        KeyDeposit,
    }

    pub type ValidatorsOf<T> = BoundedVec<
        (<T as frame_system::Config>::AccountId, AuthorityId),
        <T as Config>::MaxValidators,
    >;
    pub type ProposersOf<T> =
        BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxProposers>;

    /// Proposer lists older than this many terms are dropped.
    pub const PROPOSER_HISTORY_TERMS: u32 = 16;

    #[pallet::storage]
    pub type Validators<T: Config> = StorageValue<_, ValidatorsOf<T>, ValueQuery>;

    /// Validators that take over at the next term's first block.
    #[pallet::storage]
    pub type NextValidators<T: Config> = StorageValue<_, ValidatorsOf<T>>;

    #[pallet::storage]
    pub type CurrentSchedule<T> = StorageValue<_, AnchoredSchedule, OptionQuery>;

    /// A schedule that starts with the next term.
    #[pallet::storage]
    pub type NextSchedule<T> = StorageValue<_, Schedule>;

    #[pallet::storage]
    pub type ConsensusTiming<T> = StorageValue<_, Timing, OptionQuery>;

    /// Each term's proposers, by slot.
    #[pallet::storage]
    pub type Proposers<T: Config> = StorageMap<_, Twox64Concat, u32, ProposersOf<T>, ValueQuery>;

    /// Fill seats no candidate won.
    #[pallet::storage]
    pub type DefaultProposers<T: Config> = StorageValue<_, ProposersOf<T>, ValueQuery>;

    /// Seats drawn from the lower half of candidates by RPT.
    #[pallet::storage]
    pub type LowRptSeats<T> = StorageValue<_, u32, ValueQuery>;

    /// What each year mints in block rewards, first year first.
    #[pallet::storage]
    pub type RewardSchedule<T: Config> =
        StorageValue<_, BoundedVec<BalanceOf<T>, T::MaxRewardYears>, ValueQuery>;

    /// Blocks in a year at the current period; follows `set_timing`.
    #[pallet::storage]
    pub type BlocksPerYear<T> = StorageValue<_, u32, ValueQuery>;

    /// The current reward year, and how far into it the chain is.
    #[pallet::storage]
    pub type RewardYear<T> = StorageValue<_, RewardClock, ValueQuery>;

    /// Each proposer's latest impeached blocks within
    /// `IMPEACHMENT_WINDOW`, oldest first; nine are enough to zero its RPT,
    /// so no more are kept.
    #[pallet::storage]
    pub type ImpeachedBlocks<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<u32, ConstU32<IMPEACHMENTS_TO_ZERO_RPT>>,
        ValueQuery,
    >;

    /// How many times the validators changed since genesis: the id of the
    /// current set in `ValidatorsChanged` logs.
    #[pallet::storage]
    pub type ValidatorSetId<T> = StorageValue<_, u64, ValueQuery>;

    /// The first block the current validators certify.
    #[pallet::storage]
    pub type ValidatorsSince<T> = StorageValue<_, u32, ValueQuery>;

    /// The validators before the current ones, kept so that evidence of an
    /// equivocation shortly before a change can still be checked: they
    /// certified blocks `.0..=.1`.
    #[pallet::storage]
    pub type PreviousValidators<T: Config> = StorageValue<_, (u32, u32, ValidatorsOf<T>)>;

    /// Offenders proven by evidence, by height: one offence per offender
    /// and term is recorded, which is all a decision needs, and bounds what
    /// reports can add to the state.
    #[pallet::storage]
    pub type Offences<T: Config> =
        StorageDoubleMap<_, Twox64Concat, u32, Blake2_128Concat, Offender, (), OptionQuery>;

    /// The term of each offender's latest recorded offence.
    #[pallet::storage]
    pub type LastOffenceTerm<T: Config> =
        StorageMap<_, Blake2_128Concat, Offender, u32, OptionQuery>;

    /// Each proposer's proven equivocations: how many within the memory
    /// span, and the term of the latest.
    #[pallet::storage]
    pub type ProposerEquivocations<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, ImpeachmentRecord, OptionQuery>;

    /// Proposers barred from elections held up to and including this term.
    #[pallet::storage]
    pub type BarredUntil<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, u32, OptionQuery>;

    #[pallet::type_value]
    pub fn DefaultEquivocationRptPenalty() -> u32 {
        DEFAULT_EQUIVOCATION_RPT_PENALTY
    }

    /// RPT points one proven equivocation costs a proposer in elections.
    #[pallet::storage]
    pub type EquivocationRptPenalty<T> =
        StorageValue<_, u32, ValueQuery, DefaultEquivocationRptPenalty>;

    /// The proposer impeached by the block being executed.
    #[pallet::storage]
    pub type ImpeachedNow<T: Config> = StorageValue<_, T::AccountId, OptionQuery>;

    /// Folds every proposer's VRF output; seeds the elections.
    #[pallet::storage]
    pub type Seed<T: Config> = StorageValue<_, T::Hash, ValueQuery>;

    /// The election fixed at the last checkpoint and not drawn yet.
    #[pallet::storage]
    pub type NextElection<T: Config> = StorageValue<_, PendingElection<T>>;

    /// The consensus key each account registered, with proof it holds it;
    /// governance names validators by account from these
    /// ([`Pallet::set_validator_accounts`]).
    #[pallet::storage]
    pub type RegisteredKeys<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, AuthorityId, OptionQuery>;

    /// The account that registered each key: one key, one account.
    #[pallet::storage]
    pub type KeyOwners<T: Config> =
        StorageMap<_, Blake2_128Concat, AuthorityId, T::AccountId, OptionQuery>;

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        pub validators: Vec<(T::AccountId, AuthorityId)>,
        /// Fill empty seats; also the proposers of the first terms.
        pub default_proposers: Vec<T::AccountId>,
        pub term_len: u32,
        pub view_len: u32,
        pub period_ms: u64,
        pub impeach_timeout_ms: u64,
        pub low_rpt_seats: u32,
        /// What each year mints in block rewards.
        pub rewards: Vec<BalanceOf<T>>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            // No validators: no committee; the chain is sealed otherwise
            // (development sealing) and this pallet stays idle.
            if self.validators.is_empty() {
                return;
            }
            let validators = Pallet::<T>::check_validators(self.validators.clone())
                .unwrap_or_else(|e| panic!("dpor: genesis validators: {e:?}"));
            Validators::<T>::put(validators);
            ValidatorsSince::<T>::put(1);
            let schedule = Schedule {
                term_len: self.term_len,
                view_len: self.view_len,
            };
            Pallet::<T>::check_schedule(&schedule)
                .unwrap_or_else(|e| panic!("dpor: genesis schedule: {e:?}"));
            CurrentSchedule::<T>::put(AnchoredSchedule {
                schedule,
                first_block: 1,
                first_term: 0,
            });
            let timing = Timing {
                period_ms: self.period_ms,
                impeach_timeout_ms: self.impeach_timeout_ms,
            };
            Pallet::<T>::check_timing(&timing)
                .unwrap_or_else(|e| panic!("dpor: genesis timing: {e:?}"));
            ConsensusTiming::<T>::put(timing);
            let defaults: ProposersOf<T> = self
                .default_proposers
                .clone()
                .try_into()
                .unwrap_or_else(|_| panic!("dpor: more default proposers than MaxProposers"));
            assert!(!defaults.is_empty(), "dpor: at least one default proposer");
            // The terms before the first election are the defaults'.
            for term in 0..ELECTION_LAG {
                let seats: Vec<_> = defaults
                    .iter()
                    .cycle()
                    .take(self.term_len as usize)
                    .cloned()
                    .collect();
                Proposers::<T>::insert(term, ProposersOf::<T>::truncate_from(seats));
            }
            DefaultProposers::<T>::put(defaults);
            LowRptSeats::<T>::put(self.low_rpt_seats.min(self.term_len));
            RewardSchedule::<T>::put(
                BoundedVec::try_from(self.rewards.clone())
                    .unwrap_or_else(|_| panic!("dpor: more reward years than MaxRewardYears")),
            );
            BlocksPerYear::<T>::put(Pallet::<T>::blocks_per_year(&timing));
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// These validators take over at the next term.
        ValidatorsScheduled {
            count: u32,
        },
        /// The validators changed, at the first block of `term`.
        ValidatorsChanged {
            term: u32,
            count: u32,
        },
        /// This term shape starts with the next term.
        ScheduleScheduled {
            schedule: Schedule,
        },
        ScheduleChanged {
            term: u32,
            schedule: Schedule,
        },
        TimingChanged {
            timing: Timing,
        },
        /// The proposers of `term` were elected: `candidates` of them from the campaign.
        ProposersElected {
            term: u32,
            proposers: Vec<T::AccountId>,
            candidates: u32,
        },
        BlockRewarded {
            proposer: T::AccountId,
            reward: BalanceOf<T>,
        },
        DefaultProposersChanged {
            count: u32,
        },
        /// The committee certified an impeach block for `block`: its
        /// scheduled proposer failed and earns nothing for it.
        /// `impeachments`: its impeached blocks in the window, up to nine.
        ProposerImpeached {
            proposer: T::AccountId,
            block: u32,
            impeachments: u32,
        },
        RewardsChanged,
        /// Evidence proved that `offender` equivocated at `height`.
        EquivocationReported {
            height: u32,
            offender: Offender,
        },
        EquivocationRptPenaltyChanged {
            points: u32,
        },
        /// `who` registered `key`; a sitting validator's key changes at the
        /// next term (`ValidatorsScheduled` comes with it).
        KeyRegistered {
            who: T::AccountId,
            key: AuthorityId,
        },
        /// `who` removed its registered key and got its deposit back.
        KeyPurged {
            who: T::AccountId,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// A committee needs 3f+1 validators: 1, 4, 7, ...
        NotThreeFPlusOne,
        /// A validator account or key appears twice.
        DuplicateValidator,
        TooManyValidators,
        /// `term_len` and `view_len` must be at least 1, `term_len` at most `MaxProposers`.
        BadSchedule,
        /// The period and the timeout must be positive.
        BadTiming,
        /// At least one default proposer, at most `MaxProposers`.
        BadDefaultProposers,
        TooManyRewardYears,
        /// Blocks per year must be positive.
        BadBlocksPerYear,
        /// The equivocation penalty cannot exceed the highest RPT.
        PenaltyTooHigh,
        /// The evidence's signatures do not prove two conflicting votes or
        /// proposals.
        InvalidEquivocationProof,
        /// The offender was not a validator, or not the scheduled
        /// proposer, at that height.
        NotInCommittee,
        /// The height is older than the committee the runtime still knows,
        /// or not decided yet.
        EquivocationOutOfRange,
        /// This offender is already recorded in this term.
        DuplicateEquivocation,
        /// The proof does not show that the caller holds the keys.
        InvalidKeyProof,
        /// The keys hold no DPoR consensus key.
        NoDporKey,
        /// Another account registered this key or holds it in the committee.
        KeyInUse,
        /// A named account has no registered key.
        NoRegisteredKey,
        /// The account cannot pay the key deposit.
        InsufficientDeposit,
        /// A key of small order or with a torsion component, or not a
        /// canonical encoding: signatures under it can be forged.
        WeakKey,
        /// The committee changed less than `EQUIVOCATION_REPORT_WINDOW`
        /// blocks ago; a sitting validator's key may change after that.
        RotationTooSoon,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        #[cfg(feature = "try-runtime")]
        fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }

        fn on_initialize(n: BlockNumberFor<T>) -> Weight {
            let n: u32 = n.saturated_into();
            // The schedule; the reward clock and the timing it advances by.
            let mut weight = T::DbWeight::get().reads_writes(3, 1);
            if let Some(mut anchored) = CurrentSchedule::<T>::get() {
                if n > 1 && anchored.is_term_start(n) {
                    weight = weight.saturating_add(Self::start_term(anchored, n));
                    // A new shape is anchored at this block; on_finalize
                    // reads it, so the weight must too.
                    anchored = CurrentSchedule::<T>::get().unwrap_or(anchored);
                }
                // After `start_term`, so that the schedule names this
                // block's proposer as import did.
                let digest = Self::pre_digest();
                Self::fold_vrf_output(n, digest.as_ref());
                weight = weight.saturating_add(T::WeightInfo::fold_vrf_output());
                if digest.is_some_and(|digest| digest.impeach) {
                    Self::note_impeachment(n);
                    weight = weight.saturating_add(T::DbWeight::get().reads_writes(3, 2));
                }
                // on_finalize fixes an election at a checkpoint and draws
                // one at its `draw_at`; otherwise it only rewards. The
                // benchmark's block does both, the worst case.
                let checkpoint = anchored.is_checkpoint(n);
                let draws = NextElection::<T>::get()
                    .is_some_and(|election| checkpoint || n >= election.draw_at);
                let seats = if checkpoint || draws {
                    anchored.schedule.term_len
                } else {
                    0
                };
                weight = weight.saturating_add(T::WeightInfo::on_finalize(seats));
                if checkpoint {
                    // Fixing the election ranks the candidates by RPT.
                    weight = weight.saturating_add(T::Rpt::ranking_weight());
                }
            }
            weight
        }

        fn on_finalize(n: BlockNumberFor<T>) {
            let n: u32 = n.saturated_into();
            if ImpeachedNow::<T>::take().is_none() {
                Self::reward(n);
            }
            Self::advance_reward_clock();
            if let Some(anchored) = CurrentSchedule::<T>::get() {
                let checkpoint = anchored.is_checkpoint(n);
                if NextElection::<T>::get()
                    .is_some_and(|election| checkpoint || n >= election.draw_at)
                {
                    Self::draw_election();
                }
                if checkpoint {
                    Self::fix_election(anchored, n);
                }
            }
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Replaces the validators from the next term on.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::set_validators(T::MaxValidators::get().saturating_sub(1) / 3))]
        pub fn set_validators(
            origin: OriginFor<T>,
            validators: Vec<(T::AccountId, AuthorityId)>,
        ) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            Self::schedule_validators(validators)
        }

        /// Sets the term shape from the next term on.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::set_setting())]
        pub fn set_schedule(origin: OriginFor<T>, term_len: u32, view_len: u32) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            let schedule = Schedule { term_len, view_len };
            Self::check_schedule(&schedule)?;
            NextSchedule::<T>::put(schedule);
            Self::deposit_event(Event::ScheduleScheduled { schedule });
            Ok(())
        }

        /// Sets the block period and the impeachment timeout, at once.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::set_setting())]
        pub fn set_timing(
            origin: OriginFor<T>,
            period_ms: u64,
            impeach_timeout_ms: u64,
        ) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            let timing = Timing {
                period_ms,
                impeach_timeout_ms,
            };
            Self::check_timing(&timing)?;
            ConsensusTiming::<T>::put(timing);
            BlocksPerYear::<T>::put(Self::blocks_per_year(&timing));
            Self::deposit_event(Event::TimingChanged { timing });
            Ok(())
        }

        /// Sets the proposers that fill empty seats.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::set_setting())]
        pub fn set_default_proposers(
            origin: OriginFor<T>,
            proposers: Vec<T::AccountId>,
        ) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            ensure!(!proposers.is_empty(), Error::<T>::BadDefaultProposers);
            let proposers: ProposersOf<T> = proposers
                .try_into()
                .map_err(|_| Error::<T>::BadDefaultProposers)?;
            let count = proposers.len() as u32;
            DefaultProposers::<T>::put(proposers);
            Self::deposit_event(Event::DefaultProposersChanged { count });
            Ok(())
        }

        /// Sets what each year mints in block rewards, from the chain's
        /// first year on, as block rewards at `blocks_per_year` blocks a
        /// year (the original's: 12.65 CPC at 3,153,600 blocks of 10 s):
        /// year `i` mints `rewards[i] * blocks_per_year`, whatever this
        /// chain's period. Years already past are kept for the record.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::set_setting())]
        pub fn set_rewards(
            origin: OriginFor<T>,
            rewards: Vec<BalanceOf<T>>,
            blocks_per_year: u32,
        ) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            ensure!(blocks_per_year > 0, Error::<T>::BadBlocksPerYear);
            ensure!(
                rewards.len() <= T::MaxRewardYears::get() as usize,
                Error::<T>::TooManyRewardYears
            );
            let yearly = rewards
                .into_iter()
                .map(|reward| {
                    let reward: u128 = reward.saturated_into();
                    reward
                        .saturating_mul(u128::from(blocks_per_year))
                        .saturated_into()
                })
                .collect::<Vec<BalanceOf<T>>>();
            RewardSchedule::<T>::put(BoundedVec::truncate_from(yearly));
            Self::deposit_event(Event::RewardsChanged);
            Ok(())
        }

        /// Sets how many seats go to the lower half of candidates by RPT.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::set_setting())]
        pub fn set_low_rpt_seats(origin: OriginFor<T>, seats: u32) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            ensure!(seats <= T::MaxProposers::get(), Error::<T>::BadSchedule);
            LowRptSeats::<T>::put(seats);
            Ok(())
        }

        // Call index 6 was `set_impeach_rpt_penalty`: impeachments now
        // scale RPT by the original's factor, which has no setting.

        /// Records the offender that `proof` shows equivocated. Unsigned:
        /// any node that sees the evidence submits it, and the evidence is
        /// its own authorization.
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::report_equivocation())]
        pub fn report_equivocation(
            origin: OriginFor<T>,
            proof: alloc::boxed::Box<EquivocationProof>,
        ) -> DispatchResult {
            ensure_none(origin)?;
            let offence = Self::check_equivocation(&proof)?;
            Self::note_equivocation(offence);
            Ok(())
        }

        /// Registers the caller's consensus key, proven with the ownership
        /// proof of `author_rotateKeysWithOwner(caller)`. A sitting (or
        /// scheduled) validator's committee key changes to it at the next
        /// term, through the same change of set as `set_validators`.
        #[pallet::call_index(9)]
        #[pallet::weight(T::WeightInfo::set_keys())]
        pub fn set_keys(origin: OriginFor<T>, keys: T::Keys, proof: Vec<u8>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(
                who.using_encoded(|owner| keys.ownership_proof_is_valid(owner, &proof)),
                Error::<T>::InvalidKeyProof
            );
            let key: AuthorityId = keys
                .get(cpchain_primitives::dpor_crypto::KEY_TYPE)
                .ok_or(Error::<T>::NoDporKey)?;
            Self::register_key(who, key)
        }

        /// Removes the caller's registered key and releases its deposit.
        /// The committee keeps the keys it holds until governance changes it.
        #[pallet::call_index(10)]
        #[pallet::weight(T::WeightInfo::purge_keys())]
        pub fn purge_keys(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let key = RegisteredKeys::<T>::take(&who).ok_or(Error::<T>::NoRegisteredKey)?;
            KeyOwners::<T>::remove(&key);
            // All of it: one registration per account, whatever the
            // deposit was when it was made.
            T::Currency::release_all(&HoldReason::KeyDeposit.into(), &who, Precision::BestEffort)?;
            Self::deposit_event(Event::KeyPurged { who });
            Ok(())
        }

        /// Names the validators from the next term on by account, each with
        /// the key it registered.
        #[pallet::call_index(11)]
        #[pallet::weight(T::WeightInfo::set_validator_accounts(T::MaxValidators::get().saturating_sub(1) / 3))]
        pub fn set_validator_accounts(
            origin: OriginFor<T>,
            accounts: Vec<T::AccountId>,
        ) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            ensure!(
                accounts.len() <= T::MaxValidators::get() as usize,
                Error::<T>::TooManyValidators
            );
            let validators = accounts
                .into_iter()
                .map(|who| {
                    let key = RegisteredKeys::<T>::get(&who).ok_or(Error::<T>::NoRegisteredKey)?;
                    Ok((who, key))
                })
                .collect::<Result<Vec<_>, Error<T>>>()?;
            Self::schedule_validators(validators)
        }

        /// Sets the RPT points one proven equivocation costs in elections.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::set_setting())]
        pub fn set_equivocation_rpt_penalty(origin: OriginFor<T>, points: u32) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            ensure!(points <= MAX_RPT_POINTS, Error::<T>::PenaltyTooHigh);
            EquivocationRptPenalty::<T>::put(points);
            Self::deposit_event(Event::EquivocationRptPenaltyChanged { points });
            Ok(())
        }
    }

    // `#[pallet::authorize]` replaces this once the runtime's transaction
    // extensions include `AuthorizeCall`; until April 2027 both work.
    #[allow(deprecated)]
    #[pallet::validate_unsigned]
    impl<T: Config> ValidateUnsigned for Pallet<T> {
        type Call = Call<T>;

        /// Evidence from any source is checked in full, so a peer cannot
        /// fill the pool with reports that fail at dispatch; one report per
        /// (height, offender) is kept.
        fn validate_unsigned(_source: TransactionSource, call: &Self::Call) -> TransactionValidity {
            let Call::report_equivocation { proof } = call else {
                return InvalidTransaction::Call.into();
            };
            let offence = Self::check_equivocation(proof).map_err(|e| match e {
                Error::<T>::DuplicateEquivocation => InvalidTransaction::Stale,
                Error::<T>::EquivocationOutOfRange => InvalidTransaction::Future,
                _ => InvalidTransaction::BadProof,
            })?;
            ValidTransaction::with_tag_prefix("DporEquivocation")
                .priority(TransactionPriority::MAX / 2)
                .and_provides((Self::term_of(offence.height), offence.offender))
                .longevity(EQUIVOCATION_REPORT_LONGEVITY)
                .propagate(true)
                .build()
        }
    }
}

/// Default RPT points one proven equivocation costs: half of the best RPT
/// under the default weights.
pub const DEFAULT_EQUIVOCATION_RPT_PENALTY: u32 = 5_000;
/// Blocks an equivocation report stays in the pool.
pub const EQUIVOCATION_REPORT_LONGEVITY: u64 = 64;
/// How many blocks back evidence is accepted: well within frame-system's
/// block hash memory, which proposal evidence is checked against.
pub const EQUIVOCATION_REPORT_WINDOW: u32 = 256;

/// The highest RPT a candidate can have (every weight 100, every score 100).
pub const MAX_RPT_POINTS: u32 = 50_000;
/// How long a proven equivocation weighs on elections.
pub const IMPEACHMENT_MEMORY_TERMS: u32 = 4;

/// A proposer's recent proven equivocations.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct ImpeachmentRecord {
    /// Impeachments since the memory span last restarted.
    pub count: u32,
    /// The term of the latest.
    pub last_term: u32,
}

impl ImpeachmentRecord {
    fn remembered(record: Option<Self>, now: u32) -> Option<Self> {
        record.filter(|record| now <= record.last_term.saturating_add(IMPEACHMENT_MEMORY_TERMS))
    }

    /// `record` with one more count in term `term`; a count older than the
    /// memory span is forgotten first.
    fn count_one(record: Option<Self>, term: u32) -> Self {
        Self::remembered(record, term).map_or(
            Self {
                count: 1,
                last_term: term,
            },
            |record| Self {
                count: record.count.saturating_add(1),
                last_term: term,
            },
        )
    }

    /// The RPT points `record` costs in an election held in term `now`.
    fn penalty(record: Option<Self>, now: u32, points_each: u32) -> u32 {
        Self::remembered(record, now).map_or(0, |record| record.count.saturating_mul(points_each))
    }
}

impl<T: Config> Pallet<T> {
    /// The committee's invariant: the current and the next validator sets
    /// pass the check their setters apply (3f+1 members, so that 2f+1
    /// signatures make a certificate, with no account or key twice).
    #[cfg(any(feature = "try-runtime", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        Self::check_validators(Validators::<T>::get().into_inner())?;
        if let Some(next) = NextValidators::<T>::get() {
            Self::check_validators(next.into_inner())?;
        }
        use cpchain_primitives::try_state::{ensure_holds, sum_by_account};
        use frame_support::traits::fungible::InspectHold;
        ensure!(
            RegisteredKeys::<T>::iter()
                .all(|(who, key)| KeyOwners::<T>::get(&key).as_ref() == Some(&who))
                && KeyOwners::<T>::iter_keys().count() == RegisteredKeys::<T>::iter_keys().count(),
            "dpor: registered keys and their owners disagree"
        );
        let deposits =
            sum_by_account(RegisteredKeys::<T>::iter_keys().map(|who| (who, T::KeyDeposit::get())));
        ensure_holds(
            &deposits,
            |who| T::Currency::balance_on_hold(&HoldReason::KeyDeposit.into(), who),
            "dpor: key deposits held are not one per registered key",
        )
    }

    /// The seed as the 32 bytes the VRF input and the election take.
    pub fn seed_bytes() -> [u8; 32] {
        let mut seed = [0u8; 32];
        let seed_hash = Seed::<T>::get();
        let bytes = seed_hash.as_ref();
        let len = bytes.len().min(32);
        seed[..len].copy_from_slice(&bytes[..len]);
        seed
    }

    /// Folds block `n`'s VRF output into the seed: its scheduled proposer's
    /// output for `(n, seed)`, with a proof that verifies. Import rejects a
    /// proposer's block without one; the runtime checks again rather than
    /// trust the client, and folds nothing for a block that fails (or an
    /// impeach block), so no unproven byte reaches an election.
    fn fold_vrf_output(n: u32, digest: Option<&DporPreDigest<T::AccountId>>) {
        let Some(vrf) = digest
            .filter(|digest| !digest.impeach)
            .and_then(|digest| digest.vrf.as_ref())
        else {
            return;
        };
        let Some(key) = Self::proposer_of(n).and_then(T::ProposerKey::convert) else {
            return;
        };
        let seed = Self::seed_bytes();
        if let Some(output) = vrf.verified_output(&key, n, &seed) {
            Seed::<T>::put(T::Hashing::hash_of(&(seed, output)));
        }
    }

    /// Whether the block being executed is the committee's impeach block.
    pub fn is_impeach_block() -> bool {
        Self::pre_digest().is_some_and(|digest| digest.impeach)
    }

    /// The DPoR pre-runtime digest of the block being executed.
    fn pre_digest() -> Option<DporPreDigest<T::AccountId>> {
        DporPreDigest::find_in_items(frame_system::Pallet::<T>::digest().logs.iter())
    }

    /// Records that block `n`'s scheduled proposer was impeached. The
    /// runtime names the proposer from its own schedule rather than from
    /// the digest, so a header cannot blame anyone else.
    fn note_impeachment(n: u32) {
        let Some(proposer) = Self::proposer_of(n) else {
            return;
        };
        let horizon = n.saturating_sub(IMPEACHMENT_WINDOW);
        let count = ImpeachedBlocks::<T>::mutate(&proposer, |blocks| {
            blocks.retain(|block| *block > horizon);
            if blocks.is_full() {
                // The oldest goes: nine in the window zero the RPT anyway.
                blocks.remove(0);
            }
            let _ = blocks.try_push(n);
            blocks.len() as u32
        });
        ImpeachedNow::<T>::put(&proposer);
        Self::deposit_event(Event::ProposerImpeached {
            proposer,
            block: n,
            impeachments: count,
        });
    }

    /// The RPT points `who`'s proven equivocations cost it in an election
    /// held in term `now`.
    pub fn equivocation_penalty(who: &T::AccountId, now: u32) -> u32 {
        ImpeachmentRecord::penalty(
            ProposerEquivocations::<T>::get(who),
            now,
            EquivocationRptPenalty::<T>::get(),
        )
    }

    /// Whether `who` may not stand in the election held in term `held_in`.
    pub fn is_barred(who: &T::AccountId, held_in: u32) -> bool {
        BarredUntil::<T>::get(who).is_some_and(|until| held_in <= until)
    }

    /// The validators that certified block `height`, if the runtime still
    /// knows them and the height is decided or being decided.
    fn validators_of(height: u32) -> Option<ValidatorsOf<T>> {
        if height >= ValidatorsSince::<T>::get() {
            return Some(Validators::<T>::get());
        }
        PreviousValidators::<T>::get()
            .filter(|(first, last, _)| (*first..=*last).contains(&height))
            .map(|(_, _, validators)| validators)
    }

    /// What `proof` proves, if its offender was in the committee of its
    /// height and is not recorded there yet.
    pub fn check_equivocation(proof: &EquivocationProof) -> Result<ProvenOffence, Error<T>> {
        let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
        let offence = proof
            .check(genesis.as_ref())
            .map_err(|_| Error::<T>::InvalidEquivocationProof)?;
        // Nodes report at once; old heights would only let an offender
        // flood the chain with reports of its own past.
        let now: u32 = frame_system::Pallet::<T>::block_number().saturated_into();
        ensure!(
            offence.height > 0
                && offence.height <= now.saturating_add(1)
                && offence.height.saturating_add(EQUIVOCATION_REPORT_WINDOW) > now,
            Error::<T>::EquivocationOutOfRange
        );
        match &offence.offender {
            Offender::Validator(key) => {
                let validators = Self::validators_of(offence.height)
                    .ok_or(Error::<T>::EquivocationOutOfRange)?;
                ensure!(
                    validators.iter().any(|(_, k)| k == key),
                    Error::<T>::NotInCommittee
                );
            }
            Offender::Proposer(account) => {
                let anchored = CurrentSchedule::<T>::get().ok_or(Error::<T>::NotInCommittee)?;
                // The schedule answers for blocks from its anchor on.
                ensure!(
                    offence.height >= anchored.first_block && offence.height <= now,
                    Error::<T>::EquivocationOutOfRange
                );
                // Both blocks build on this chain's block below: headers the
                // same key sealed on another network prove nothing here.
                if let EquivocationProof::Proposal(proposal) = proof {
                    let parent = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::from(
                        offence.height.saturating_sub(1),
                    ));
                    ensure!(
                        parent != T::Hash::default()
                            && [&proposal.first, &proposal.second]
                                .iter()
                                .all(|header| header.parent_hash.as_ref() == parent.as_ref()),
                        Error::<T>::InvalidEquivocationProof
                    );
                }
                let scheduled =
                    Self::proposer_of(offence.height).ok_or(Error::<T>::EquivocationOutOfRange)?;
                ensure!(
                    T::ProposerAccount::convert(account.clone()) == scheduled,
                    Error::<T>::NotInCommittee
                );
            }
        }
        ensure!(
            LastOffenceTerm::<T>::get(&offence.offender) != Some(Self::term_of(offence.height)),
            Error::<T>::DuplicateEquivocation
        );
        Ok(offence)
    }

    /// Submits `proof` to the local transaction pool as an unsigned
    /// `report_equivocation`. Called by the node through `DporApi`, with
    /// the pool registered as an offchain extension.
    pub fn submit_report_equivocation(proof: EquivocationProof) -> bool {
        let call = Call::<T>::report_equivocation {
            proof: alloc::boxed::Box::new(proof),
        };
        let extrinsic = T::create_bare(call.into());
        frame_system::offchain::SubmitTransaction::<T, Call<T>>::submit_transaction(extrinsic)
            .is_ok()
    }

    fn note_equivocation(offence: ProvenOffence) {
        Offences::<T>::insert(offence.height, &offence.offender, ());
        LastOffenceTerm::<T>::insert(&offence.offender, Self::term_of(offence.height));
        if let Offender::Proposer(account) = &offence.offender {
            let proposer = T::ProposerAccount::convert(account.clone());
            let term = Self::current_term();
            let record =
                ImpeachmentRecord::count_one(ProposerEquivocations::<T>::get(&proposer), term);
            ProposerEquivocations::<T>::insert(&proposer, record);
            // The next election is the one held at this term's checkpoint.
            BarredUntil::<T>::insert(&proposer, term);
        }
        Self::deposit_event(Event::EquivocationReported {
            height: offence.height,
            offender: offence.offender,
        });
    }

    /// Records `key` as `who`'s, holding the deposit for a first key, and
    /// schedules the committee's copy to change if `who` sits in it.
    fn register_key(who: T::AccountId, key: AuthorityId) -> DispatchResult {
        Self::ensure_strong_keys([&key])?;
        let current = Validators::<T>::get();
        let scheduled = NextValidators::<T>::get();
        let committee_holder = scheduled
            .iter()
            .flatten()
            .chain(current.iter())
            .find(|(_, held)| *held == key)
            .map(|(holder, _)| holder.clone());
        let registered_holder = KeyOwners::<T>::get(&key);
        ensure!(
            committee_holder
                .iter()
                .chain(registered_holder.iter())
                .all(|holder| *holder == who),
            Error::<T>::KeyInUse
        );
        match RegisteredKeys::<T>::get(&who) {
            Some(old) => KeyOwners::<T>::remove(&old),
            None => T::Currency::hold(&HoldReason::KeyDeposit.into(), &who, T::KeyDeposit::get())
                .map_err(|_| Error::<T>::InsufficientDeposit)?,
        }
        RegisteredKeys::<T>::insert(&who, key.clone());
        KeyOwners::<T>::insert(&key, who.clone());
        let mut next = scheduled.clone().unwrap_or_else(|| current.clone());
        if let Some(seat) = next.iter_mut().find(|(holder, _)| *holder == who) {
            if seat.1 != key {
                // Evidence of an equivocation is checked against the set of
                // its height, and only the current and previous sets are
                // kept: a change of set of its own making every term would
                // let a validator age its evidence out in a few dozen blocks.
                // A change already scheduled adds no change of set.
                let now = frame_system::Pallet::<T>::block_number().saturated_into::<u32>();
                ensure!(
                    scheduled.is_some()
                        || now
                            >= ValidatorsSince::<T>::get()
                                .saturating_add(EQUIVOCATION_REPORT_WINDOW),
                    Error::<T>::RotationTooSoon
                );
                seat.1 = key.clone();
                let count = next.len() as u32;
                if next == current {
                    // Back to the keys in force: no change of set at all.
                    NextValidators::<T>::kill();
                } else {
                    NextValidators::<T>::put(next);
                }
                Self::deposit_event(Event::ValidatorsScheduled { count });
            }
        }
        Self::deposit_event(Event::KeyRegistered { who, key });
        Ok(())
    }

    /// Checks `validators` as every call that names them must, and makes
    /// them the next term's.
    fn schedule_validators(validators: Vec<(T::AccountId, AuthorityId)>) -> DispatchResult {
        Self::ensure_strong_keys(validators.iter().map(|(_, key)| key))?;
        let validators = Self::check_validators(validators)?;
        let count = validators.len() as u32;
        NextValidators::<T>::put(validators);
        Self::deposit_event(Event::ValidatorsScheduled { count });
        Ok(())
    }

    /// Refuses keys whose signatures prove nothing
    /// ([`cpchain_primitives::dpor_crypto::is_strong_key`]). Genesis does
    /// not check: its keys are the operators' (the node refuses a live
    /// chain whose committee holds a weak key), and the `production`
    /// preset's placeholders are refused there too.
    fn ensure_strong_keys<'a>(keys: impl IntoIterator<Item = &'a AuthorityId>) -> DispatchResult {
        for key in keys {
            ensure!(
                cpchain_primitives::dpor_crypto::is_strong_key(key.as_ref()),
                Error::<T>::WeakKey
            );
        }
        Ok(())
    }

    fn check_validators(
        validators: Vec<(T::AccountId, AuthorityId)>,
    ) -> Result<ValidatorsOf<T>, Error<T>> {
        ensure!(validators.len() % 3 == 1, Error::<T>::NotThreeFPlusOne);
        let mut accounts: Vec<_> = validators.iter().map(|(a, _)| a.clone()).collect();
        let mut keys: Vec<_> = validators.iter().map(|(_, k)| k.clone()).collect();
        accounts.sort();
        accounts.dedup();
        keys.sort();
        keys.dedup();
        ensure!(
            accounts.len() == validators.len() && keys.len() == validators.len(),
            Error::<T>::DuplicateValidator
        );
        validators
            .try_into()
            .map_err(|_| Error::<T>::TooManyValidators)
    }

    fn check_schedule(schedule: &Schedule) -> Result<(), Error<T>> {
        ensure!(
            schedule.term_len >= 1
                && schedule.view_len >= 1
                && schedule.term_len <= T::MaxProposers::get(),
            Error::<T>::BadSchedule
        );
        Ok(())
    }

    fn check_timing(timing: &Timing) -> Result<(), Error<T>> {
        ensure!(
            timing.period_ms > 0
                && timing.impeach_timeout_ms > 0
                && timing.period_ms <= T::MillisecsPerYear::get(),
            Error::<T>::BadTiming
        );
        Ok(())
    }

    /// Blocks in a reward year at `timing`'s period.
    pub fn blocks_per_year(timing: &Timing) -> u32 {
        (T::MillisecsPerYear::get() / timing.period_ms.max(1)).saturated_into()
    }

    /// Applies pending changes at the first block `n` of a term.
    fn start_term(anchored: AnchoredSchedule, n: u32) -> Weight {
        let term = anchored.term_of(n);
        if let Some(validators) = NextValidators::<T>::take() {
            let count = validators.len() as u32;
            // The outgoing set certified up to this block; the new one,
            // in this block's state, certifies its children.
            let previous = Validators::<T>::get();
            PreviousValidators::<T>::put((ValidatorsSince::<T>::get(), n, previous));
            ValidatorsSince::<T>::put(n.saturating_add(1));
            let set_id = ValidatorSetId::<T>::get().saturating_add(1);
            ValidatorSetId::<T>::put(set_id);
            // Light clients and warp sync follow the sets through these
            // logs: this block is the outgoing set's last.
            frame_system::Pallet::<T>::deposit_log(
                ValidatorsChanged {
                    set_id,
                    term,
                    validators: validators.iter().map(|(_, key)| key.clone()).collect(),
                }
                .to_digest_item(),
            );
            Validators::<T>::put(validators);
            Self::deposit_event(Event::ValidatorsChanged { term, count });
        }
        if let Some(schedule) = NextSchedule::<T>::take() {
            CurrentSchedule::<T>::put(AnchoredSchedule {
                schedule,
                first_block: n,
                first_term: term,
            });
            // Terms elected under the old shape get the new number of
            // seats; a term still to be drawn gets them at its draw, which
            // reads the schedule then.
            let pending = NextElection::<T>::get().map(|election| election.term);
            for elected in term..term.saturating_add(ELECTION_LAG) {
                if pending == Some(elected) {
                    continue;
                }
                let proposers =
                    Self::fill_seats(Proposers::<T>::get(elected).into_inner(), schedule.term_len);
                Proposers::<T>::insert(elected, proposers);
            }
            Self::deposit_event(Event::ScheduleChanged { term, schedule });
        }
        Proposers::<T>::remove(term.saturating_sub(PROPOSER_HISTORY_TERMS));
        T::DbWeight::get().reads_writes(4, 8)
    }

    /// Fixes, at checkpoint `n`, the election of the term `ELECTION_LAG`
    /// later: its candidates and their scores, from this block's state. The
    /// draw waits `term_len` blocks, one block of every proposer of the
    /// next term, so that the seed that draws it folds VRF outputs
    /// that did not exist when the candidates were fixed. Drawing here
    /// would let this block's proposer, which knows the seed (its own
    /// output is the last folded in), try versions of its block (claims and
    /// quits of its own candidates, transfers that move RPT ranks) against
    /// the known seed and publish the one that elects whom it likes.
    fn fix_election(anchored: AnchoredSchedule, n: u32) {
        let held_in = anchored.term_of(n);
        let term = held_in.saturating_add(ELECTION_LAG);
        let candidates = T::Candidates::candidates_of(term);
        let ranking = if candidates.is_empty() {
            Vec::new()
        } else {
            T::Rpt::ranking()
        };
        let scored: Vec<(T::AccountId, u32)> = candidates
            .iter()
            .filter(|who| !Self::is_barred(who, held_in))
            .map(|who| {
                let rpt = ranking
                    .iter()
                    .find(|(account, _)| account == who)
                    .map_or(0, |(_, rpt)| *rpt);
                // Impeachments are in the RPT already (its factor).
                let penalty = Self::equivocation_penalty(who, held_in);
                (who.clone(), rpt.saturating_sub(penalty))
            })
            .collect();
        NextElection::<T>::put(PendingElection {
            term,
            draw_at: n.saturating_add(anchored.schedule.term_len),
            scored: BoundedVec::truncate_from(scored),
        });
    }

    /// Draws the fixed election with the seed as of this block, for as
    /// many seats as the current schedule has: a new shape set since the
    /// checkpoint took effect at this term's start, and `start_term` left
    /// the undrawn term to this draw.
    fn draw_election() {
        let Some(election) = NextElection::<T>::take() else {
            return;
        };
        let Some(anchored) = CurrentSchedule::<T>::get() else {
            return;
        };
        let seed = Self::seed_bytes();
        // The bar keeps a candidate out of the election; a default proposer
        // still fills empty seats (removing it is governance's call), or a
        // slot could be left without anyone to build its blocks.
        let defaults = DefaultProposers::<T>::get();
        let elected = election::elect(
            &election.scored,
            anchored.schedule.term_len as usize,
            LowRptSeats::<T>::get() as usize,
            &defaults,
            &seed,
        );
        let from_campaign = elected
            .iter()
            .filter(|who| {
                election
                    .scored
                    .iter()
                    .any(|(candidate, _)| candidate == *who)
            })
            .count() as u32;
        Proposers::<T>::insert(
            election.term,
            ProposersOf::<T>::truncate_from(elected.clone()),
        );
        Self::deposit_event(Event::ProposersElected {
            term: election.term,
            proposers: elected,
            candidates: from_campaign,
        });
    }

    /// `proposers` cut or filled (from the defaults, cycled) to `seats`.
    fn fill_seats(mut proposers: Vec<T::AccountId>, seats: u32) -> ProposersOf<T> {
        let seats = seats as usize;
        proposers.truncate(seats);
        let defaults = DefaultProposers::<T>::get();
        for default in defaults.iter().cycle().take(seats.saturating_mul(2)) {
            if proposers.len() >= seats {
                break;
            }
            if !proposers.contains(default) || defaults.len() < seats {
                proposers.push(default.clone());
            }
        }
        ProposersOf::<T>::truncate_from(proposers)
    }

    /// The reward of the block being built: its year's issuance times
    /// the period over the year; none after the schedule ends.
    pub fn block_reward() -> BalanceOf<T> {
        let year = RewardYear::<T>::get().year;
        let Some(yearly) = RewardSchedule::<T>::get().get(year as usize).copied() else {
            return Zero::zero();
        };
        let period_ms = ConsensusTiming::<T>::get().map_or(0, |timing| timing.period_ms);
        let yearly: u128 = yearly.saturated_into();
        let reward = yearly.saturating_mul(u128::from(period_ms))
            / u128::from(T::MillisecsPerYear::get().max(1));
        reward.saturated_into()
    }

    /// Counts the block's period into the reward year, which ends once a
    /// year's worth of periods has passed.
    fn advance_reward_clock() {
        let period_ms = ConsensusTiming::<T>::get().map_or(0, |timing| timing.period_ms);
        if period_ms == 0 {
            return;
        }
        let year_ms = T::MillisecsPerYear::get().max(1);
        RewardYear::<T>::mutate(|clock| {
            clock.elapsed_ms = clock.elapsed_ms.saturating_add(period_ms);
            while clock.elapsed_ms >= year_ms {
                clock.elapsed_ms -= year_ms;
                clock.year = clock.year.saturating_add(1);
            }
        });
    }

    fn reward(n: u32) {
        let Some(proposer) = Self::proposer_of(n) else {
            return;
        };
        let reward = Self::block_reward();
        if reward.is_zero() {
            return;
        }
        // Minting fails only below the existential deposit for a new
        // account; the proposer then simply gets nothing for this block.
        if T::Currency::mint_into(&proposer, reward).is_ok() {
            Self::deposit_event(Event::BlockRewarded { proposer, reward });
        }
    }

    /// The proposer of block `n`, for blocks of the current schedule.
    pub fn proposer_of(n: u32) -> Option<T::AccountId> {
        let anchored = CurrentSchedule::<T>::get()?;
        if n == 0 {
            return None;
        }
        Proposers::<T>::get(anchored.term_of(n))
            .get(anchored.slot_of(n) as usize)
            .cloned()
    }

    /// The term of block `n`.
    pub fn term_of(n: u32) -> u32 {
        CurrentSchedule::<T>::get().map_or(0, |anchored| anchored.term_of(n))
    }

    pub fn current_term() -> u32 {
        Self::term_of(frame_system::Pallet::<T>::block_number().saturated_into())
    }

    /// The block where a scheduled validator or schedule change applies.
    pub fn next_committee_change() -> Option<u32> {
        if !NextValidators::<T>::exists() && !NextSchedule::<T>::exists() {
            return None;
        }
        let anchored = CurrentSchedule::<T>::get()?;
        let now: u32 = frame_system::Pallet::<T>::block_number().saturated_into();
        let next_term = anchored.term_of(now).saturating_add(1);
        let terms_in = next_term.saturating_sub(anchored.first_term);
        Some(
            anchored
                .first_block
                .saturating_add(terms_in.saturating_mul(anchored.schedule.blocks_per_term())),
        )
    }

    pub fn validators() -> Vec<(T::AccountId, AuthorityId)> {
        Validators::<T>::get().into_inner()
    }

    pub fn proposers_of_term(term: u32) -> Vec<T::AccountId> {
        Proposers::<T>::get(term).into_inner()
    }

    pub fn schedule() -> Option<AnchoredSchedule> {
        CurrentSchedule::<T>::get()
    }

    pub fn timing() -> Option<Timing> {
        ConsensusTiming::<T>::get()
    }
}

impl<T: Config> cpchain_primitives::schedule::TermClock for Pallet<T> {
    fn current_term() -> u32 {
        Self::current_term()
    }
}

impl<T: Config> ImpeachmentCounter<T::AccountId> for Pallet<T> {
    fn recent_impeachments(who: &T::AccountId) -> u32 {
        let now: u32 = frame_system::Pallet::<T>::block_number().saturated_into();
        let horizon = now.saturating_sub(IMPEACHMENT_WINDOW);
        ImpeachedBlocks::<T>::get(who)
            .iter()
            .filter(|block| **block > horizon)
            .count() as u32
    }
}
