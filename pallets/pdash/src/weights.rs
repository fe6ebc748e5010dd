//! Weights of pallet-pdash.
//!
//! PROVISIONAL: to be replaced by `cpchain-node benchmark pallet --pallet
//! pallet_pdash` output. Each figure counts the call's storage accesses with
//! a conservative compute term.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::ParityDbWeight, Weight},
};

pub trait WeightInfo {
    fn place_order() -> Weight;
    fn seller_confirm() -> Weight;
    fn proxy_fetched() -> Weight;
    fn proxy_delivered() -> Weight;
    fn buyer_confirm() -> Weight;
    fn dispute() -> Weight;
    fn resolve_dispute() -> Weight;
    fn cancel() -> Weight;
    fn claim_timeout() -> Weight;
}

fn weight(reads: u64, writes: u64, db: frame_support::weights::RuntimeDbWeight) -> Weight {
    Weight::from_parts(80_000_000, 10_000)
        .saturating_add(db.reads(reads))
        .saturating_add(db.writes(writes))
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn place_order() -> Weight {
        weight(4, 4, T::DbWeight::get())
    }
    fn seller_confirm() -> Weight {
        weight(3, 3, T::DbWeight::get())
    }
    fn proxy_fetched() -> Weight {
        weight(1, 1, T::DbWeight::get())
    }
    fn proxy_delivered() -> Weight {
        weight(1, 1, T::DbWeight::get())
    }
    fn buyer_confirm() -> Weight {
        weight(10, 10, T::DbWeight::get())
    }
    fn dispute() -> Weight {
        weight(1, 1, T::DbWeight::get())
    }
    fn resolve_dispute() -> Weight {
        weight(10, 10, T::DbWeight::get())
    }
    fn cancel() -> Weight {
        weight(3, 3, T::DbWeight::get())
    }
    fn claim_timeout() -> Weight {
        weight(10, 10, T::DbWeight::get())
    }
}

impl WeightInfo for () {
    fn place_order() -> Weight {
        weight(4, 4, ParityDbWeight::get())
    }
    fn seller_confirm() -> Weight {
        weight(3, 3, ParityDbWeight::get())
    }
    fn proxy_fetched() -> Weight {
        weight(1, 1, ParityDbWeight::get())
    }
    fn proxy_delivered() -> Weight {
        weight(1, 1, ParityDbWeight::get())
    }
    fn buyer_confirm() -> Weight {
        weight(10, 10, ParityDbWeight::get())
    }
    fn dispute() -> Weight {
        weight(1, 1, ParityDbWeight::get())
    }
    fn resolve_dispute() -> Weight {
        weight(10, 10, ParityDbWeight::get())
    }
    fn cancel() -> Weight {
        weight(3, 3, ParityDbWeight::get())
    }
    fn claim_timeout() -> Weight {
        weight(10, 10, ParityDbWeight::get())
    }
}
