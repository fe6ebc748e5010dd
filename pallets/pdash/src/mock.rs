//! A test runtime with balances and PDash; root is the arbiter.

use crate as pallet_pdash;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::{BuildStorage, Permill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Pdash: pallet_pdash,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountId = u64;
    type Lookup = sp_runtime::traits::IdentityLookup<u64>;
    type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type AccountStore = System;
    type ExistentialDeposit = frame_support::traits::ConstU64<EXISTENTIAL_DEPOSIT>;
    type RuntimeHoldReason = RuntimeHoldReason;
}

/// Above the default 1, so that a price or fee below it is not merely zero.
pub const EXISTENTIAL_DEPOSIT: u64 = 10;

parameter_types! {
    pub const SellerBondRatio: Permill = Permill::from_percent(10);
}

pub const CONFIRM_TIMEOUT: u64 = 10;
pub const DELIVERY_TIMEOUT: u64 = 20;
pub const CHECK_TIMEOUT: u64 = 30;
pub const DISPUTE_TIMEOUT: u64 = 40;

impl pallet_pdash::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type ArbiterOrigin = frame_system::EnsureRoot<u64>;
    type SellerBondRatio = SellerBondRatio;
    type ConfirmTimeout = frame_support::traits::ConstU64<CONFIRM_TIMEOUT>;
    type DeliveryTimeout = frame_support::traits::ConstU64<DELIVERY_TIMEOUT>;
    type CheckTimeout = frame_support::traits::ConstU64<CHECK_TIMEOUT>;
    type DisputeTimeout = frame_support::traits::ConstU64<DISPUTE_TIMEOUT>;
    type MaxRecentDeals = ConstU32<3>;
    type WeightInfo = ();
}

pub const BUYER: u64 = 1;
pub const SELLER: u64 = 2;
pub const PROXY: u64 = 3;
pub const OTHER: u64 = 4;
pub const START: u64 = 10_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
    let storage = RuntimeGenesisConfig {
        system: Default::default(),
        balances: pallet_balances::GenesisConfig {
            balances: vec![
                (BUYER, START),
                (SELLER, START),
                (PROXY, START),
                (OTHER, START),
            ],
            ..Default::default()
        },
    }
    .build_storage()
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
