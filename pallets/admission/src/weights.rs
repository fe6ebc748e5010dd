//! Weights of pallet-admission.
//!
//! PROVISIONAL: to be replaced by `cpchain-node benchmark pallet --pallet
//! pallet_admission` output. `check_proofs` is dominated by one scrypt
//! evaluation (N = 4096, r = 8: 4 MiB touched twice); the figure below is a
//! deliberately high estimate for wasm execution, pending the measurement.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::ParityDbWeight, Weight},
};

pub trait WeightInfo {
    fn update_difficulty() -> Weight;
    /// Checking a CPU and a memory proof.
    fn check_proofs() -> Weight;
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn update_difficulty() -> Weight {
        Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1))
    }
    /// Reads the block number, two block hashes, two difficulties and the age bound.
    fn check_proofs() -> Weight {
        Weight::from_parts(150_000_000_000, 4 * 1024 * 1024)
            .saturating_add(T::DbWeight::get().reads(6))
    }
}

impl WeightInfo for () {
    fn update_difficulty() -> Weight {
        Weight::from_parts(10_000_000, 0).saturating_add(ParityDbWeight::get().writes(1))
    }
    fn check_proofs() -> Weight {
        Weight::from_parts(150_000_000_000, 4 * 1024 * 1024)
            .saturating_add(ParityDbWeight::get().reads(6))
    }
}
