//! # Admission
//!
//! Checks that a would-be RNode or campaign candidate has the CPU and memory
//! resources mining needs: it must present a nonce whose SHA-256 proof and
//! a nonce whose scrypt proof (N = 4096, r = 8, p = 1) meet the current
//! difficulties, computed over the hash of a block at most
//! `AcceptableBlocks` old. [`proof`] defines the proof layout and
//! holds the prover.
//!
//! Other pallets call the check through
//! [`cpchain_primitives::traits::AdmissionCheck`]; its weight is
//! [`WeightInfo::check_proofs`], which they add to their own.
//!
//! Governance sets the difficulties and the proof age bound. (The original
//! contract's `onlyOwner` modifier forgot its `require`, so anyone could
//! change them.)

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod proof;
#[cfg(test)]
mod tests;
pub mod weights;

use codec::Encode;
use cpchain_primitives::traits::{AdmissionCheck, AdmissionProof};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use proof::{meets_difficulty, proof_data, proof_hash, ProofKind, MAX_DIFFICULTY};
use sp_runtime::traits::Saturating;

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_system::pallet_prelude::*;

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
        /// Who may change difficulties and the proof age bound: governance.
        type UpdateOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// The largest `AcceptableBlocks`; at most the number of block hashes
        /// frame-system keeps.
        #[pallet::constant]
        type MaxAcceptableBlocks: Get<u32>;
        type WeightInfo: WeightInfo;
    }

    /// The original's defaults: CPU 12, memory 6, proofs at most 10 blocks old.
    pub const DEFAULT_CPU_DIFFICULTY: u16 = 12;
    pub const DEFAULT_MEMORY_DIFFICULTY: u16 = 6;
    pub const DEFAULT_ACCEPTABLE_BLOCKS: u32 = 10;

    #[pallet::type_value]
    pub fn DefaultCpuDifficulty() -> u16 {
        DEFAULT_CPU_DIFFICULTY
    }
    #[pallet::type_value]
    pub fn DefaultMemoryDifficulty() -> u16 {
        DEFAULT_MEMORY_DIFFICULTY
    }
    #[pallet::type_value]
    pub fn DefaultAcceptableBlocks() -> u32 {
        DEFAULT_ACCEPTABLE_BLOCKS
    }

    /// Leading zero bits (about) a CPU proof needs.
    #[pallet::storage]
    pub type CpuDifficulty<T> = StorageValue<_, u16, ValueQuery, DefaultCpuDifficulty>;

    /// Leading zero bits (about) a memory proof needs.
    #[pallet::storage]
    pub type MemoryDifficulty<T> = StorageValue<_, u16, ValueQuery, DefaultMemoryDifficulty>;

    /// How many blocks old a proof's block may be.
    #[pallet::storage]
    pub type AcceptableBlocks<T> = StorageValue<_, u32, ValueQuery, DefaultAcceptableBlocks>;

    #[pallet::genesis_config]
    pub struct GenesisConfig<T: Config> {
        pub cpu_difficulty: u16,
        pub memory_difficulty: u16,
        pub acceptable_blocks: u32,
        #[serde(skip)]
        pub _config: core::marker::PhantomData<T>,
    }

    impl<T: Config> Default for GenesisConfig<T> {
        fn default() -> Self {
            Self {
                cpu_difficulty: DEFAULT_CPU_DIFFICULTY,
                memory_difficulty: DEFAULT_MEMORY_DIFFICULTY,
                acceptable_blocks: DEFAULT_ACCEPTABLE_BLOCKS,
                _config: Default::default(),
            }
        }
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            assert!(
                self.cpu_difficulty <= MAX_DIFFICULTY,
                "admission: cpu_difficulty above 256"
            );
            assert!(
                self.memory_difficulty <= MAX_DIFFICULTY,
                "admission: memory_difficulty above 256"
            );
            assert!(
                self.acceptable_blocks >= 1
                    && self.acceptable_blocks <= T::MaxAcceptableBlocks::get(),
                "admission: acceptable_blocks outside 1..=MaxAcceptableBlocks"
            );
            CpuDifficulty::<T>::put(self.cpu_difficulty);
            MemoryDifficulty::<T>::put(self.memory_difficulty);
            AcceptableBlocks::<T>::put(self.acceptable_blocks);
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        CpuDifficultyUpdated { difficulty: u16 },
        MemoryDifficultyUpdated { difficulty: u16 },
        AcceptableBlocksUpdated { blocks: u32 },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// Difficulties range over 0..=256.
        DifficultyTooHigh,
        /// The proof age bound must be at least 1 and at most `MaxAcceptableBlocks`.
        AcceptableBlocksOutOfRange,
        /// The proof's block is the current block or later.
        ProofFromTheFuture,
        /// The proof's block is older than `AcceptableBlocks`.
        ProofTooOld,
        /// The chain no longer knows the proof's block hash.
        UnknownBlock,
        /// The CPU proof does not meet the CPU difficulty.
        CpuProofInvalid,
        /// The memory proof does not meet the memory difficulty.
        MemoryProofInvalid,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        #[cfg(feature = "try-runtime")]
        fn try_state(
            _: BlockNumberFor<T>,
        ) -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Sets the CPU proof difficulty (0..=256).
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::update_difficulty())]
        pub fn update_cpu_difficulty(origin: OriginFor<T>, difficulty: u16) -> DispatchResult {
            T::UpdateOrigin::ensure_origin(origin)?;
            ensure!(difficulty <= MAX_DIFFICULTY, Error::<T>::DifficultyTooHigh);
            CpuDifficulty::<T>::put(difficulty);
            Self::deposit_event(Event::CpuDifficultyUpdated { difficulty });
            Ok(())
        }

        /// Sets the memory proof difficulty (0..=256).
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::update_difficulty())]
        pub fn update_memory_difficulty(origin: OriginFor<T>, difficulty: u16) -> DispatchResult {
            T::UpdateOrigin::ensure_origin(origin)?;
            ensure!(difficulty <= MAX_DIFFICULTY, Error::<T>::DifficultyTooHigh);
            MemoryDifficulty::<T>::put(difficulty);
            Self::deposit_event(Event::MemoryDifficultyUpdated { difficulty });
            Ok(())
        }

        /// Sets how many blocks old a proof's block may be.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::update_difficulty())]
        pub fn update_acceptable_blocks(origin: OriginFor<T>, blocks: u32) -> DispatchResult {
            T::UpdateOrigin::ensure_origin(origin)?;
            ensure!(
                blocks >= 1 && blocks <= T::MaxAcceptableBlocks::get(),
                Error::<T>::AcceptableBlocksOutOfRange
            );
            AcceptableBlocks::<T>::put(blocks);
            Self::deposit_event(Event::AcceptableBlocksUpdated { blocks });
            Ok(())
        }
    }
}

impl<T: Config> Pallet<T> {
    /// Admission's invariant: the parameters are within the bounds their
    /// setters enforce.
    #[cfg(any(feature = "try-runtime", test))]
    pub fn do_try_state() -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
        ensure!(
            CpuDifficulty::<T>::get() <= MAX_DIFFICULTY
                && MemoryDifficulty::<T>::get() <= MAX_DIFFICULTY,
            "admission: a difficulty is above the maximum"
        );
        let blocks = AcceptableBlocks::<T>::get();
        ensure!(
            blocks >= 1 && blocks <= T::MaxAcceptableBlocks::get(),
            "admission: acceptable blocks out of range"
        );
        Ok(())
    }

    /// Checks one proof of `who`.
    pub fn check_proof(
        kind: ProofKind,
        who: &T::AccountId,
        proof: &AdmissionProof<BlockNumberFor<T>>,
    ) -> DispatchResult {
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(proof.block_number < now, Error::<T>::ProofFromTheFuture);
        let age = now.saturating_sub(proof.block_number);
        ensure!(
            age <= AcceptableBlocks::<T>::get().into(),
            Error::<T>::ProofTooOld
        );
        let block_hash = frame_system::Pallet::<T>::block_hash(proof.block_number);
        ensure!(block_hash != T::Hash::default(), Error::<T>::UnknownBlock);

        let data = proof_data(&who.encode(), block_hash.as_ref(), proof.nonce);
        let (difficulty, error) = match kind {
            ProofKind::Cpu => (CpuDifficulty::<T>::get(), Error::<T>::CpuProofInvalid),
            ProofKind::Memory => (MemoryDifficulty::<T>::get(), Error::<T>::MemoryProofInvalid),
        };
        ensure!(
            meets_difficulty(&proof_hash(kind, &data), difficulty),
            error
        );
        Ok(())
    }
}

impl<T: Config> AdmissionCheck<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
    fn check(
        who: &T::AccountId,
        cpu: &AdmissionProof<BlockNumberFor<T>>,
        memory: &AdmissionProof<BlockNumberFor<T>>,
    ) -> DispatchResult {
        // The cheap proof first: a bad CPU proof costs no scrypt.
        Self::check_proof(ProofKind::Cpu, who, cpu)?;
        Self::check_proof(ProofKind::Memory, who, memory)
    }

    fn check_weight() -> Weight {
        T::WeightInfo::check_proofs()
    }
}
