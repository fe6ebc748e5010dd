//! Weights of pallet-register.
//!
//! PROVISIONAL: to be replaced by `cpchain-node benchmark pallet --pallet
//! pallet_register` output. The worst case rewrites a full record list.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::ParityDbWeight, Weight},
};

pub trait WeightInfo {
    fn claim_register() -> Weight;
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    /// Reads the proxy binding, the record list and the count; writes both.
    fn claim_register() -> Weight {
        Weight::from_parts(60_000_000, 50_000)
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(2))
    }
}

impl WeightInfo for () {
    fn claim_register() -> Weight {
        Weight::from_parts(60_000_000, 50_000)
            .saturating_add(ParityDbWeight::get().reads(3))
            .saturating_add(ParityDbWeight::get().writes(2))
    }
}
