//! A test runtime with balances and PDash; root is the arbiter.

use crate as pallet_pdash;
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, ConstU64},
};
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
    type ExistentialDeposit = ConstU64<EXISTENTIAL_DEPOSIT>;
    type RuntimeHoldReason = RuntimeHoldReason;
}

/// Above the default 1, so that a price or fee below it is not merely zero.
pub const EXISTENTIAL_DEPOSIT: u64 = 10;

parameter_types! {
    pub const SellerBondRatio: Permill = Permill::from_percent(10);
    pub const DisputeBondRatio: Permill = Permill::from_percent(10);
    pub const TimeoutSellerShare: Permill = Permill::from_percent(50);
}

pub const MIN_DISPUTE_BOND: u64 = 15;
pub const MIN_PRICE: u64 = 20;
pub const PROXY_BOND: u64 = 500;
pub const DEPOSIT_BASE: u64 = 5;
pub const DEPOSIT_PER_BYTE: u64 = 1;
pub const LOG_WINDOW: u32 = 100;
pub const MAX_PER_COUNTERPARTY: u32 = 2;
pub const MAX_SWEEP: u32 = 3;

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
    type ConfirmTimeout = ConstU64<CONFIRM_TIMEOUT>;
    type DeliveryTimeout = ConstU64<DELIVERY_TIMEOUT>;
    type CheckTimeout = ConstU64<CHECK_TIMEOUT>;
    type DisputeTimeout = ConstU64<DISPUTE_TIMEOUT>;
    type DisputeBondRatio = DisputeBondRatio;
    type MinDisputeBond = ConstU64<MIN_DISPUTE_BOND>;
    type TimeoutSellerShare = TimeoutSellerShare;
    type DefaultMinimumPrice = ConstU64<MIN_PRICE>;
    type ProxyBond = ConstU64<PROXY_BOND>;
    type DepositBase = ConstU64<DEPOSIT_BASE>;
    type DepositPerByte = ConstU64<DEPOSIT_PER_BYTE>;
    type MaxRecentDeals = ConstU32<3>;
    type LogWindow = ConstU32<LOG_WINDOW>;
    type MaxDealsPerCounterparty = ConstU32<MAX_PER_COUNTERPARTY>;
    type MaxSweepPerBlock = ConstU32<MAX_SWEEP>;
    type WeightInfo = ();
}

pub const BUYER: u64 = 1;
pub const SELLER: u64 = 2;
pub const PROXY: u64 = 3;
pub const OTHER: u64 = 4;
/// An account with no balance.
pub const NOBODY: u64 = 99;
/// More funded accounts, for deals with many counterparties.
pub const CROWD: core::ops::RangeInclusive<u64> = 11..=16;
/// Everything issued at genesis.
pub const TOTAL: u64 = 10 * START;
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
            ]
            .into_iter()
            .chain(CROWD.map(|who| (who, START)))
            .collect(),
            ..Default::default()
        },
    }
    .build_storage()
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| {
        System::set_block_number(1);
        // PROXY is a registered proxy; OTHER is not.
        Pdash::register_proxy(RuntimeOrigin::signed(PROXY)).unwrap();
    });
    ext
}
