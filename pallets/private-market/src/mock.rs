//! A test runtime with balances and the market; root is governance and
//! account `AGENT` is registered under the agent proxy.

use crate as pallet_private_market;
use cpchain_primitives::traits::ProxyResolver;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Market: pallet_private_market,
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

pub const SELLER: u64 = 1;
pub const BUYER: u64 = 2;
pub const AGENT: u64 = 3;
pub const OTHER: u64 = 4;
pub const AGENT_PROXY: u64 = 99;
pub const START: u64 = 10_000;
pub const PRICE: u64 = 700;
pub const ITEM_DEPOSIT_BASE: u64 = 50;

pub const DELIVERY_TIMEOUT: u64 = 10;
pub const CHECK_TIMEOUT: u64 = 20;
pub const RELEASE_TIMEOUT: u64 = 30;
pub const DISPUTE_TIMEOUT: u64 = 40;
pub const REJECTION_COOLDOWN: u64 = 50;
/// Below 10 % of `PRICE`, so the bond is the ratio's: 70.
pub const BOND_MINIMUM: u64 = 20;
/// The dispute bond on an order at `PRICE`.
pub const BOND: u64 = PRICE / 10;

std::thread_local! {
    pub static AGENT_REGISTERED: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
    pub static BOND_MINIMUM_SET: std::cell::Cell<u64> = const { std::cell::Cell::new(BOND_MINIMUM) };
}

/// `DisputeBondMinimum`: [`BOND_MINIMUM`] unless a test sets another.
pub struct BondMinimum;
impl frame_support::traits::Get<u64> for BondMinimum {
    fn get() -> u64 {
        BOND_MINIMUM_SET.with(|m| m.get())
    }
}

pub struct TestProxies;
impl ProxyResolver<u64> for TestProxies {
    fn real_of(proxy: &u64) -> Option<u64> {
        (*proxy == AGENT_PROXY && AGENT_REGISTERED.with(|r| r.get())).then_some(AGENT)
    }
}

parameter_types! {
    pub const AgentProxy: u64 = AGENT_PROXY;
    pub const BondRatio: sp_runtime::Permill = sp_runtime::Permill::from_percent(10);
    pub const SellerShare: sp_runtime::Permill = sp_runtime::Permill::from_percent(50);
}

impl pallet_private_market::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Proxies = TestProxies;
    type AgentProxy = AgentProxy;
    type GovernanceOrigin = frame_system::EnsureRoot<u64>;
    type MaxMetaLen = ConstU32<64>;
    type MaxSealedLen = ConstU32<256>;
    type MaxKeyBoxLen = ConstU32<96>;
    type ItemDepositBase = frame_support::traits::ConstU64<ITEM_DEPOSIT_BASE>;
    type ItemDepositPerByte = frame_support::traits::ConstU64<1>;
    type MaxItemsPerSeller = ConstU32<2>;
    type MaxOrdersPerItem = ConstU32<2>;
    type MaxOpenOrdersPerBuyer = ConstU32<1>;
    type DeliveryTimeout = frame_support::traits::ConstU64<DELIVERY_TIMEOUT>;
    type CheckTimeout = frame_support::traits::ConstU64<CHECK_TIMEOUT>;
    type ReleaseTimeout = frame_support::traits::ConstU64<RELEASE_TIMEOUT>;
    type DisputeTimeout = frame_support::traits::ConstU64<DISPUTE_TIMEOUT>;
    type DisputeBondRatio = BondRatio;
    type DisputeBondMinimum = BondMinimum;
    type TimeoutSellerShare = SellerShare;
    type RejectionCooldown = frame_support::traits::ConstU64<REJECTION_COOLDOWN>;
    type WeightInfo = ();
}

pub fn new_test_ext() -> sp_io::TestExternalities {
    let storage = RuntimeGenesisConfig {
        balances: pallet_balances::GenesisConfig {
            balances: vec![
                (SELLER, START),
                (BUYER, START),
                (AGENT, START),
                (OTHER, START),
            ],
            ..Default::default()
        },
        ..Default::default()
    }
    .build_storage()
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
