//! Weights of pallet-private-market.
//!
//! PROVISIONAL: counted from the code (reads, writes, a hold operation as
//! in pallet-pdash's measured calls), until `scripts/benchmark-pallets.sh`
//! generates this file from the pallet's benchmarks.

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::ParityDbWeight, RuntimeDbWeight, Weight},
};

pub trait WeightInfo {
    fn set_encryption_key() -> Weight;
    fn list_item() -> Weight;
    fn cancel_item() -> Weight;
    fn deposit_escrow() -> Weight;
    fn withdraw_escrow() -> Weight;
    fn place_order() -> Weight;
    fn deliver_key() -> Weight;
    fn confirm() -> Weight;
    fn settle() -> Weight;
}

/// (reference time in µs, proof bytes, reads, writes) per call.
const SET_KEY: (u64, u64, u64, u64) = (20, 100, 0, 1);
const LIST: (u64, u64, u64, u64) = (60, 12_000, 2, 3);
/// Cancelling visits every order of the item (at most `MaxOrdersPerItem`, 64).
const CANCEL: (u64, u64, u64, u64) = (400, 40_000, 67, 67);
const DEPOSIT: (u64, u64, u64, u64) = (120, 4_000, 3, 3);
const WITHDRAW: (u64, u64, u64, u64) = (120, 4_000, 3, 3);
const PLACE: (u64, u64, u64, u64) = (150, 16_000, 6, 5);
const DELIVER: (u64, u64, u64, u64) = (60, 2_000, 1, 1);
const CONFIRM: (u64, u64, u64, u64) = (50, 2_000, 1, 1);
const SETTLE: (u64, u64, u64, u64) = (200, 8_000, 5, 4);

fn weight(db: RuntimeDbWeight, (micros, proof, reads, writes): (u64, u64, u64, u64)) -> Weight {
    Weight::from_parts(micros * 1_000_000, proof).saturating_add(db.reads_writes(reads, writes))
}

pub struct SubstrateWeight<T>(PhantomData<T>);

macro_rules! weights {
    ($db:expr) => {
        fn set_encryption_key() -> Weight {
            weight($db, SET_KEY)
        }
        fn list_item() -> Weight {
            weight($db, LIST)
        }
        fn cancel_item() -> Weight {
            weight($db, CANCEL)
        }
        fn deposit_escrow() -> Weight {
            weight($db, DEPOSIT)
        }
        fn withdraw_escrow() -> Weight {
            weight($db, WITHDRAW)
        }
        fn place_order() -> Weight {
            weight($db, PLACE)
        }
        fn deliver_key() -> Weight {
            weight($db, DELIVER)
        }
        fn confirm() -> Weight {
            weight($db, CONFIRM)
        }
        fn settle() -> Weight {
            weight($db, SETTLE)
        }
    };
}

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    weights!(T::DbWeight::get());
}

impl WeightInfo for () {
    weights!(ParityDbWeight::get());
}
