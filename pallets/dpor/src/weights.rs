//! Weights of pallet-dpor.
//!
//! PROVISIONAL: counted from the code, to be replaced by
//! `scripts/benchmark-pallets.sh pallet_dpor` output once the pallet has
//! benchmarks. The election is bounded by `MaxProposers` seats and the
//! campaign's candidates (at most `MaxRnodes`).

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::ParityDbWeight, RuntimeDbWeight, Weight},
};

pub trait WeightInfo {
    /// A block's reward, and an election of `p` seats at a checkpoint.
    fn on_finalize(p: u32) -> Weight;
    fn set_validators(v: u32) -> Weight;
    fn set_setting() -> Weight;
}

fn on_finalize(db: RuntimeDbWeight, p: u32) -> Weight {
    // The reward: the proposer list, the schedule, the reward and a mint.
    let reward = Weight::from_parts(60_000_000, 8_000).saturating_add(db.reads_writes(6, 2));
    if p == 0 {
        return reward;
    }
    // An election: candidates, the RPT ranking of up to 100 RNodes (2.5 ms
    // and 600 reads, measured in pallet-rpt), and p weighted draws.
    reward
        .saturating_add(Weight::from_parts(3_000_000_000, 2_500_000))
        .saturating_add(Weight::from_parts(50_000_000, 0).saturating_mul(p.into()))
        .saturating_add(db.reads_writes(610, 2))
}

fn set_validators(db: RuntimeDbWeight, v: u32) -> Weight {
    Weight::from_parts(20_000_000, 2_000)
        .saturating_add(Weight::from_parts(1_000_000, 64).saturating_mul(v.into()))
        .saturating_add(db.writes(1))
}

fn set_setting(db: RuntimeDbWeight) -> Weight {
    Weight::from_parts(15_000_000, 1_000).saturating_add(db.writes(2))
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn on_finalize(p: u32) -> Weight {
        on_finalize(T::DbWeight::get(), p)
    }
    fn set_validators(v: u32) -> Weight {
        set_validators(T::DbWeight::get(), v)
    }
    fn set_setting() -> Weight {
        set_setting(T::DbWeight::get())
    }
}

impl WeightInfo for () {
    fn on_finalize(p: u32) -> Weight {
        on_finalize(ParityDbWeight::get(), p)
    }
    fn set_validators(v: u32) -> Weight {
        set_validators(ParityDbWeight::get(), v)
    }
    fn set_setting() -> Weight {
        set_setting(ParityDbWeight::get())
    }
}
