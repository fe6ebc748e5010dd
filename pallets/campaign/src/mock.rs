//! A test runtime with balances and the campaign. Admission accepts even
//! nonces, RPT ranks from a per-test table, and tests move the term.

use crate as pallet_campaign;
use cpchain_primitives::{
    schedule::TermClock,
    traits::{AdmissionCheck, AdmissionProof, RptProvider},
};
use frame_support::{derive_impl, parameter_types, traits::ConstU32, weights::Weight};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult};
use std::cell::RefCell;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Campaign: pallet_campaign,
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
    type RuntimeHoldReason = RuntimeHoldReason;
}

thread_local! {
    static TERM: RefCell<u32> = const { RefCell::new(0) };
    /// `None`: every RNode ranks equally, in account order.
    static RANKING: RefCell<Option<Vec<(u64, u32)>>> = const { RefCell::new(None) };
}

pub fn set_term(term: u32) {
    TERM.with(|t| *t.borrow_mut() = term);
}

pub fn set_ranking(ranking: Vec<(u64, u32)>) {
    RANKING.with(|r| *r.borrow_mut() = Some(ranking));
}

pub struct TestTerms;
impl TermClock for TestTerms {
    fn current_term() -> u32 {
        TERM.with(|t| *t.borrow())
    }
}

pub struct TestRpt;
impl RptProvider<u64> for TestRpt {
    fn rpt_of(who: &u64) -> u32 {
        Self::ranking()
            .into_iter()
            .find(|(a, _)| a == who)
            .map_or(0, |(_, rpt)| rpt)
    }
    fn ranking() -> Vec<(u64, u32)> {
        RANKING
            .with(|r| r.borrow().clone())
            .unwrap_or_else(|| Campaign::rnodes().into_iter().map(|who| (who, 1)).collect())
    }
    fn ranking_weight() -> Weight {
        Weight::zero()
    }
}

/// Even nonces are valid proofs.
pub struct TestAdmission;
impl AdmissionCheck<u64, u64> for TestAdmission {
    fn check(_: &u64, cpu: &AdmissionProof<u64>, memory: &AdmissionProof<u64>) -> DispatchResult {
        if cpu.nonce % 2 != 0 {
            return Err(DispatchError::Other("CpuProofInvalid"));
        }
        if memory.nonce % 2 != 0 {
            return Err(DispatchError::Other("MemoryProofInvalid"));
        }
        Ok(())
    }
    fn check_weight() -> Weight {
        Weight::zero()
    }
}

pub const BOND: u64 = 1_000;
pub const BASE_DEPOSIT: u64 = 100;
pub const LOCK: u64 = 50;
pub const MAX_TERMS: u32 = 3;
pub const MAX_RNODES: u32 = 5;

parameter_types! {
    pub const RnodeBond: u64 = BOND;
    pub const BaseDeposit: u64 = BASE_DEPOSIT;
    pub const RnodeLockPeriod: u64 = LOCK;
}

impl pallet_campaign::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Admission = TestAdmission;
    type Rpt = TestRpt;
    type Terms = TestTerms;
    type GovernanceOrigin = frame_system::EnsureRoot<u64>;
    type RnodeBond = RnodeBond;
    type RnodeLockPeriod = RnodeLockPeriod;
    type BaseDeposit = BaseDeposit;
    type MinTerms = ConstU32<1>;
    type MaxTerms = ConstU32<MAX_TERMS>;
    type MaxRnodes = ConstU32<MAX_RNODES>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = EvenNonces;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct EvenNonces;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64, u64> for EvenNonces {
    fn valid_proofs(_: &u64) -> (AdmissionProof<u64>, AdmissionProof<u64>) {
        (proof(0), proof(0))
    }
    fn rank_above_rnodes(who: &u64) {
        let mut ranking: Vec<(u64, u32)> = Campaign::rnodes()
            .into_iter()
            .map(|rnode| (rnode, 1))
            .collect();
        ranking.insert(0, (*who, 2));
        set_ranking(ranking);
    }
}

pub const START: u64 = 10_000;
/// Accounts 1..=7 start with `START`; 8 has only enough for a bond.
pub const POOR: u64 = 8;

pub fn new_test_ext() -> sp_io::TestExternalities {
    set_term(0);
    RANKING.with(|r| *r.borrow_mut() = None);
    let mut balances: Vec<(u64, u64)> = (1..=7).map(|who| (who, START)).collect();
    balances.push((POOR, BOND + 10));
    let storage = RuntimeGenesisConfig {
        system: Default::default(),
        balances: pallet_balances::GenesisConfig {
            balances,
            ..Default::default()
        },
    }
    .build_storage()
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

pub fn proof(nonce: u64) -> AdmissionProof<u64> {
    AdmissionProof {
        block_number: 0,
        nonce,
    }
}

/// Moves to `term` and runs the campaign's block initialisation.
pub fn enter_term(term: u32) {
    use frame_support::traits::Hooks;
    set_term(term);
    let next = System::block_number() + 1;
    System::set_block_number(next);
    Campaign::on_initialize(next);
}
