//! A test runtime with balances and RPT. Uploads, deals and the population
//! come from per-test tables that tests fill.

use crate as pallet_rpt;
use cpchain_primitives::traits::{DealCounter, RptPopulation, UploadCounter};
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::BuildStorage;
use std::cell::RefCell;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Rpt: pallet_rpt,
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
}

/// What happened where: (account, block) for each upload, purchase and proxy deal.
#[derive(Default)]
pub struct Activity {
    pub uploads: Vec<(u64, u64)>,
    pub purchases: Vec<(u64, u64)>,
    pub proxy_deals: Vec<(u64, u64)>,
    pub population: Vec<u64>,
    /// Each account's impeached blocks in the window, as the dpor pallet
    /// would count them.
    pub impeachments: Vec<(u64, u32)>,
}

thread_local! {
    pub static ACTIVITY: RefCell<Activity> = RefCell::new(Activity::default());
}

fn count(events: &[(u64, u64)], who: &u64, from: u64, to: u64) -> u32 {
    events
        .iter()
        .filter(|(account, block)| account == who && (from..=to).contains(block))
        .count() as u32
}

pub struct TestCounters;
impl UploadCounter<u64, u64> for TestCounters {
    fn uploads_between(who: &u64, from: u64, to: u64) -> u32 {
        ACTIVITY.with(|a| count(&a.borrow().uploads, who, from, to))
    }
}
impl DealCounter<u64, u64> for TestCounters {
    fn proxy_deals_between(who: &u64, from: u64, to: u64) -> u32 {
        ACTIVITY.with(|a| count(&a.borrow().proxy_deals, who, from, to))
    }
    fn purchases_between(who: &u64, from: u64, to: u64) -> u32 {
        ACTIVITY.with(|a| count(&a.borrow().purchases, who, from, to))
    }
}
impl cpchain_primitives::traits::ImpeachmentCounter<u64> for TestCounters {
    fn recent_impeachments(who: &u64) -> u32 {
        ACTIVITY.with(|a| {
            a.borrow()
                .impeachments
                .iter()
                .find(|(account, _)| account == who)
                .map_or(0, |(_, n)| *n)
        })
    }
}
impl RptPopulation<u64> for TestCounters {
    fn members() -> Vec<u64> {
        POPULATION_READS.with(|reads| *reads.borrow_mut() += 1);
        ACTIVITY.with(|a| a.borrow().population.clone())
    }
}

thread_local! {
    /// How often the population was read: once per ranking.
    pub static POPULATION_READS: RefCell<u32> = const { RefCell::new(0) };
}

pub const MAX_WINDOW: u32 = 50;
pub const MAX_POPULATION: u32 = 8;
/// Activity logs the idle sweep visits per block at most.
pub const SWEEP_LIMIT: u32 = 4;

parameter_types! {
    pub const MaxWindow: u32 = MAX_WINDOW;
}

impl pallet_rpt::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type Currency = Balances;
    type Uploads = TestCounters;
    type Deals = TestCounters;
    type Population = TestCounters;
    type Impeachments = TestCounters;
    type MaxPopulation = ConstU32<MAX_POPULATION>;
    type MaxWindow = MaxWindow;
    type MaxSweepPerBlock = ConstU32<SWEEP_LIMIT>;
    type UpdateOrigin = frame_system::EnsureRoot<u64>;
    type WeightInfo = ();
}

pub fn new_test_ext(balances: Vec<(u64, u64)>) -> sp_io::TestExternalities {
    ACTIVITY.with(|a| *a.borrow_mut() = Activity::default());
    let storage = RuntimeGenesisConfig {
        system: Default::default(),
        balances: pallet_balances::GenesisConfig {
            balances,
            ..Default::default()
        },
        rpt: pallet_rpt::GenesisConfig {
            window: 20,
            ..Default::default()
        },
    }
    .build_storage()
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

pub fn set_population(members: &[u64]) {
    ACTIVITY.with(|a| a.borrow_mut().population = members.to_vec());
}

pub fn with_activity(f: impl FnOnce(&mut Activity)) {
    ACTIVITY.with(|a| f(&mut a.borrow_mut()));
}
