//! A test runtime with balances and the committee. Candidates and RPT come
//! from per-test tables.

use crate as pallet_dpor;
use cpchain_primitives::{
    dpor_crypto::AuthorityId,
    traits::{CandidateSource, RptProvider},
};
use frame_support::{
    derive_impl,
    traits::{ConstU32, ConstU64},
    weights::Weight,
};
use sp_runtime::BuildStorage;
use std::{cell::RefCell, collections::BTreeMap};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Dpor: pallet_dpor,
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

thread_local! {
    pub static CANDIDATES: RefCell<BTreeMap<u32, Vec<u64>>> = RefCell::new(BTreeMap::new());
    pub static RPT: RefCell<Vec<(u64, u32)>> = const { RefCell::new(Vec::new()) };
}

pub struct TestCandidates;
impl CandidateSource<u64> for TestCandidates {
    fn candidates_of(term: u32) -> Vec<u64> {
        CANDIDATES.with(|c| c.borrow().get(&term).cloned().unwrap_or_default())
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn set_candidates_for_benchmarks(term: u32, candidates: Vec<u64>) {
        set_candidates(term, &candidates);
    }
}

pub struct TestRpt;
impl RptProvider<u64> for TestRpt {
    fn rpt_of(who: &u64) -> u32 {
        RPT.with(|r| {
            r.borrow()
                .iter()
                .find(|(a, _)| a == who)
                .map_or(0, |(_, rpt)| *rpt)
        })
    }
    fn ranking() -> Vec<(u64, u32)> {
        RPT.with(|r| r.borrow().clone())
    }
    fn ranking_weight() -> Weight {
        Weight::zero()
    }
}

impl pallet_dpor::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type Currency = Balances;
    type Candidates = TestCandidates;
    type Rpt = TestRpt;
    type GovernanceOrigin = frame_system::EnsureRoot<u64>;
    type MaxValidators = ConstU32<10>;
    type MaxProposers = ConstU32<8>;
    type MaxRewardYears = ConstU32<5>;
    type MillisecsPerYear = ConstU64<YEAR_MS>;
    type ProposerAccount = TestSealers;
    type ProposerKey = TestSealers;
    type MaxCandidates = ConstU32<64>;
    type WeightInfo = ();
    type RuntimeHoldReason = RuntimeHoldReason;
    type Keys = MockKeys;
    type KeyDeposit = ConstU64<KEY_DEPOSIT>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockKeys;
}

pub const KEY_DEPOSIT: u64 = 50;

pub struct MockDporKey;
impl sp_runtime::BoundToRuntimeAppPublic for MockDporKey {
    type Public = AuthorityId;
}

sp_runtime::impl_opaque_keys! {
    pub struct MockKeys {
        pub dpor: MockDporKey,
    }
}

/// Session keys from ed25519 seed `seed`, and the ownership proof of
/// account `owner` (`author_rotateKeysWithOwner`'s).
pub fn keys_with_proof(seed: u8, owner: u64) -> (MockKeys, Vec<u8>) {
    use codec::Encode;
    use sp_core::{proof_of_possession::ProofOfPossessionGenerator, Pair};
    let mut pair = sp_core::ed25519::Pair::from_seed(&[seed; 32]);
    let proof = pair.generate_proof_of_possession(&owner.encode());
    (
        MockKeys {
            dpor: pair.public().into(),
        },
        proof.encode(),
    )
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<MockKeys> for MockKeys {
    fn keys_with_proof(owner: &[u8]) -> (MockKeys, Vec<u8>) {
        use codec::Decode;
        thread_local!(static SEED: std::cell::Cell<u8> = const { std::cell::Cell::new(200) });
        let seed = SEED.with(|s| {
            s.set(s.get().wrapping_add(1));
            s.get()
        });
        let owner = u64::decode(&mut &owner[..]).expect("test accounts are u64");
        keys_with_proof(seed, owner)
    }
}

impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Test
where
    RuntimeCall: From<LocalCall>,
{
    type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;
    type RuntimeCall = RuntimeCall;
}

impl<LocalCall> frame_system::offchain::CreateBare<LocalCall> for Test
where
    RuntimeCall: From<LocalCall>,
{
    fn create_bare(call: RuntimeCall) -> Self::Extrinsic {
        frame_system::mocking::MockUncheckedExtrinsic::<Test>::new_bare(call)
    }
}

thread_local! {
    /// The test account of each sealing key; unknown keys map to `u64::MAX`.
    pub static SEALERS: RefCell<BTreeMap<cpchain_primitives::AccountId, u64>> =
        const { RefCell::new(BTreeMap::new()) };
}

pub struct TestSealers;
impl sp_runtime::traits::Convert<cpchain_primitives::AccountId, u64> for TestSealers {
    fn convert(account: cpchain_primitives::AccountId) -> u64 {
        SEALERS.with(|s| s.borrow().get(&account).copied().unwrap_or(u64::MAX))
    }
}

impl sp_runtime::traits::Convert<u64, Option<sp_core::sr25519::Public>> for TestSealers {
    fn convert(who: u64) -> Option<sp_core::sr25519::Public> {
        SEALERS.with(|s| {
            s.borrow()
                .iter()
                .find(|(_, account)| **account == who)
                .map(|(key, _)| sp_core::sr25519::Public::from_raw(*AsRef::<[u8; 32]>::as_ref(key)))
        })
    }
}

/// Makes `pair`'s sealing key test account `who`.
pub fn register_sealer(pair: &sp_core::sr25519::Pair, who: u64) {
    use sp_core::Pair;
    SEALERS.with(|s| s.borrow_mut().insert(pair.public().into(), who));
}

/// Test validator `i`'s consensus key: a real ed25519 key, since weak
/// keys are refused (seeds apart from `keys_with_proof`'s).
pub fn key(i: u8) -> AuthorityId {
    use sp_core::Pair;
    let mut seed = [i; 32];
    seed[0] = 0xee;
    sp_core::ed25519::Pair::from_seed(&seed).public().into()
}

pub const TERM_LEN: u32 = 2;
pub const VIEW_LEN: u32 = 3;
/// Blocks per term.
pub const TERM: u64 = (TERM_LEN * VIEW_LEN) as u64;
/// The block that draws the election fixed at block `TERM` (of term 2's
/// proposers): one block of each proposer later.
pub const DRAWN: u64 = TERM + TERM_LEN as u64;
pub const DEFAULTS: [u64; 2] = [100, 101];
/// A short reward year: 20 blocks of 3 s.
pub const YEAR_MS: u64 = 60_000;
pub const BLOCKS_PER_YEAR: u32 = 20;
/// What the first two years mint.
pub const YEARLY: [u64; 2] = [1_000, 600];
/// Their block rewards at 3 s.
pub const REWARDS: [u64; 2] = [50, 30];

pub fn new_test_ext() -> sp_io::TestExternalities {
    CANDIDATES.with(|c| c.borrow_mut().clear());
    RPT.with(|r| r.borrow_mut().clear());
    SEALERS.with(|s| s.borrow_mut().clear());
    let storage = RuntimeGenesisConfig {
        system: Default::default(),
        balances: Default::default(),
        dpor: pallet_dpor::GenesisConfig {
            validators: (1..=4).map(|i| (i as u64, key(i))).collect(),
            default_proposers: DEFAULTS.to_vec(),
            term_len: TERM_LEN,
            view_len: VIEW_LEN,
            period_ms: 3_000,
            impeach_timeout_ms: 3_000,
            low_rpt_seats: 0,
            rewards: YEARLY.to_vec(),
        },
    }
    .build_storage()
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    // Benchmarks sign evidence with keys they generate.
    ext.register_extension(sp_keystore::KeystoreExt::new(
        sp_keystore::testing::MemoryKeystore::new(),
    ));
    ext.execute_with(|| System::set_block_number(0));
    ext
}

pub fn set_candidates(term: u32, candidates: &[u64]) {
    CANDIDATES.with(|c| c.borrow_mut().insert(term, candidates.to_vec()));
}

pub fn set_rpt(ranking: &[(u64, u32)]) {
    RPT.with(|r| *r.borrow_mut() = ranking.to_vec());
}

/// Runs blocks up to and including `n`, with their hooks.
pub fn run_to(n: u64) {
    use frame_support::traits::Hooks;
    while System::block_number() < n {
        let next = System::block_number() + 1;
        // An ordinary block: no impeach digest left from an earlier one.
        System::initialize(
            &next,
            &sp_core::H256::repeat_byte(next as u8),
            &Default::default(),
        );
        Dpor::on_initialize(next);
        Dpor::on_finalize(next);
    }
}

/// The test sealing key of account `who`.
pub fn sealer_of(who: u64) -> sp_core::sr25519::Pair {
    use sp_core::Pair;
    sp_core::sr25519::Pair::from_string(&format!("//sealer{who}"), None)
        .expect("a valid derivation path")
}

/// Registers [`sealer_of`] as the sealing key of each of `accounts`.
pub fn register_sealers(accounts: &[u64]) {
    for who in accounts {
        register_sealer(&sealer_of(*who), *who);
    }
}

/// The VRF the scheduled proposer of block `n` computes when the seed is
/// the current one.
pub fn honest_vrf(n: u64) -> cpchain_primitives::vrf::DporVrf {
    use sp_core::crypto::VrfSecret;
    let proposer = Dpor::proposer_of(n as u32).expect("a scheduled proposer");
    let data = cpchain_primitives::vrf::vrf_sign_data(n as u32, &Dpor::seed_bytes());
    cpchain_primitives::vrf::DporVrf::from_signature(&sealer_of(proposer).vrf_sign(&data))
}

/// Runs the next block as its proposer's block on `parent`, carrying `vrf`.
pub fn run_proposed_block(parent: sp_core::H256, vrf: Option<cpchain_primitives::vrf::DporVrf>) {
    use cpchain_primitives::digest::DporPreDigest;
    use frame_support::traits::Hooks;
    let next = System::block_number() + 1;
    System::initialize(
        &next,
        &parent,
        &sp_runtime::generic::Digest {
            logs: vec![DporPreDigest {
                term: 0,
                view: 0,
                proposer: Dpor::proposer_of(next as u32).expect("a scheduled proposer"),
                impeach: false,
                vrf,
            }
            .to_digest_item()],
        },
    );
    Dpor::on_initialize(next);
    Dpor::on_finalize(next);
}

/// Runs block `n` (the next one) as the committee's impeach block.
pub fn run_impeach_block() {
    use cpchain_primitives::digest::DporPreDigest;
    use frame_support::traits::Hooks;
    let next = System::block_number() + 1;
    System::initialize(
        &next,
        &sp_core::H256::repeat_byte(next as u8),
        &sp_runtime::generic::Digest {
            logs: vec![DporPreDigest {
                term: 0,
                view: 0,
                // The runtime ignores this and blames its own schedule's proposer.
                proposer: 999u64,
                impeach: true,
                vrf: None,
            }
            .to_digest_item()],
        },
    );
    Dpor::on_initialize(next);
    Dpor::on_finalize(next);
}
