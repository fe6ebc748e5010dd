//! A test runtime with the register; PDash's proxy (100) is bound to the
//! account in `PDASH_AGENT`, which tests may change.

use crate as pallet_register;
use cpchain_primitives::traits::ProxyResolver;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Register: pallet_register,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountId = u64;
    type Lookup = sp_runtime::traits::IdentityLookup<u64>;
}

pub const PDASH_PROXY: u64 = 100;
pub const PDASH_AGENT: u64 = 1;
pub const LOG_WINDOW: u32 = 100;
pub const MAX_SWEEP: u32 = 3;

parameter_types! {
    pub const PdashProxy: u64 = PDASH_PROXY;
    pub static Agent: Option<u64> = Some(PDASH_AGENT);
}

pub struct Proxies;
impl ProxyResolver<u64> for Proxies {
    fn real_of(proxy: &u64) -> Option<u64> {
        (*proxy == PDASH_PROXY).then(Agent::get).flatten()
    }
}

impl pallet_register::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type Proxies = Proxies;
    type PdashProxy = PdashProxy;
    type MaxFileNameLen = ConstU32<16>;
    type MaxUploadsPerAccount = ConstU32<4>;
    type LogWindow = ConstU32<LOG_WINDOW>;
    type MaxSweepPerBlock = ConstU32<MAX_SWEEP>;
    type WeightInfo = ();
}

pub fn new_test_ext() -> sp_io::TestExternalities {
    let storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
