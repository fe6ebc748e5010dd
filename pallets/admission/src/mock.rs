//! A test runtime with the admission pallet; root is governance.

use crate as pallet_admission;
use frame_support::{derive_impl, traits::ConstU32};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Admission: pallet_admission,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountId = u64;
    type Lookup = sp_runtime::traits::IdentityLookup<u64>;
}

impl pallet_admission::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type UpdateOrigin = frame_system::EnsureRoot<u64>;
    type MaxAcceptableBlocks = ConstU32<100>;
    type WeightInfo = ();
}

/// A chain at block 20 whose block hashes are known, with low difficulties
/// so that tests find nonces fast.
pub fn new_test_ext() -> sp_io::TestExternalities {
    let storage = RuntimeGenesisConfig {
        system: Default::default(),
        admission: pallet_admission::GenesisConfig {
            cpu_difficulty: 8,
            memory_difficulty: 3,
            acceptable_blocks: 10,
            _config: Default::default(),
        },
    }
    .build_storage()
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| {
        for n in 1..=20u64 {
            System::initialize(
                &n,
                &sp_core::H256::repeat_byte(n as u8),
                &Default::default(),
            );
        }
    });
    ext
}
