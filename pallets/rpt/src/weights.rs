//! Weights of pallet-rpt.
//!
//! PROVISIONAL: to be replaced by `cpchain-node benchmark pallet --pallet
//! pallet_rpt` output. Reads and writes are counted from the code; the
//! computation parts are estimates.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::ParityDbWeight, Weight},
};

pub trait WeightInfo {
    fn update_weight() -> Weight;
    fn update_window() -> Weight;
    fn note_transaction() -> Weight;
    fn note_block_author() -> Weight;
    /// Ranking `p` accounts.
    fn rank(p: u32) -> Weight;
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn update_weight() -> Weight {
        Weight::from_parts(10_000_000, 1_500)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn update_window() -> Weight {
        Weight::from_parts(10_000_000, 1_500).saturating_add(T::DbWeight::get().writes(1))
    }
    /// Rewrites one activity log of up to `MaxWindow` entries.
    fn note_transaction() -> Weight {
        Weight::from_parts(15_000_000, 3_000)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn note_block_author() -> Weight {
        Weight::from_parts(15_000_000, 3_000)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    /// Per account: the balance, two activity logs, uploads and two deal lists.
    fn rank(p: u32) -> Weight {
        Weight::from_parts(5_000_000, 1_000)
            .saturating_add(Weight::from_parts(25_000_000, 6_000).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().reads(6u64.saturating_mul(p.into())))
    }
}

impl WeightInfo for () {
    fn update_weight() -> Weight {
        Weight::from_parts(10_000_000, 1_500)
            .saturating_add(ParityDbWeight::get().reads(1))
            .saturating_add(ParityDbWeight::get().writes(1))
    }
    fn update_window() -> Weight {
        Weight::from_parts(10_000_000, 1_500).saturating_add(ParityDbWeight::get().writes(1))
    }
    fn note_transaction() -> Weight {
        Weight::from_parts(15_000_000, 3_000)
            .saturating_add(ParityDbWeight::get().reads(1))
            .saturating_add(ParityDbWeight::get().writes(1))
    }
    fn note_block_author() -> Weight {
        Weight::from_parts(15_000_000, 3_000)
            .saturating_add(ParityDbWeight::get().reads(1))
            .saturating_add(ParityDbWeight::get().writes(1))
    }
    fn rank(p: u32) -> Weight {
        Weight::from_parts(5_000_000, 1_000)
            .saturating_add(Weight::from_parts(25_000_000, 6_000).saturating_mul(p.into()))
            .saturating_add(ParityDbWeight::get().reads(3))
            .saturating_add(ParityDbWeight::get().reads(6u64.saturating_mul(p.into())))
    }
}
