//! A test runtime with the proxy register; root is governance.

use crate as pallet_proxy_register;
use frame_support::derive_impl;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        ProxyRegister: pallet_proxy_register,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountId = u64;
    type Lookup = sp_runtime::traits::IdentityLookup<u64>;
}

impl pallet_proxy_register::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type RegisterOrigin = frame_system::EnsureRoot<u64>;
    type WeightInfo = ();
}

pub fn new_test_ext(bindings: Vec<(u64, u64)>) -> sp_io::TestExternalities {
    let storage = RuntimeGenesisConfig {
        system: Default::default(),
        proxy_register: pallet_proxy_register::GenesisConfig { bindings },
    }
    .build_storage()
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
