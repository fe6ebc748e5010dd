//! Weights of pallet-proxy-register.
//!
//! PROVISIONAL: counted from the storage accesses of each call, with
//! ParityDB's read and write costs and a conservative compute term, until
//! `cpchain-node benchmark pallet --pallet pallet_proxy_register` output
//! replaces this file.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::ParityDbWeight, Weight},
};

pub trait WeightInfo {
    fn register_proxy_contract() -> Weight;
}

/// Weights for the runtime, scaled by its database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    /// Reads RealContract, ProxyContract, ContractVersion; writes RealContract,
    /// ProxyContract (twice on a rebind), ContractVersion, OldContract.
    fn register_proxy_contract() -> Weight {
        Weight::from_parts(40_000_000, 3_600)
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(5))
    }
}

/// For tests.
impl WeightInfo for () {
    fn register_proxy_contract() -> Weight {
        Weight::from_parts(40_000_000, 3_600)
            .saturating_add(ParityDbWeight::get().reads(3))
            .saturating_add(ParityDbWeight::get().writes(5))
    }
}
