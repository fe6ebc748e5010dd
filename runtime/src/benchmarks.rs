//! The pallets `cpchain-node benchmark pallet` measures.

frame_benchmarking::define_benchmarks!(
    [frame_system, SystemBench::<Runtime>]
    [pallet_balances, Balances]
    [pallet_timestamp, Timestamp]
    [pallet_sudo, Sudo]
    [pallet_collective, Council]
    [pallet_membership, CouncilMembership]
    [pallet_preimage, Preimage]
    [pallet_whitelist, Whitelist]
    [pallet_proxy_register, ProxyRegister]
    [pallet_admission, Admission]
    [pallet_register, Register]
    [pallet_pdash, Pdash]
    [pallet_rpt, Rpt]
    [pallet_campaign, Campaign]
    [pallet_dpor, Dpor]
    [pallet_private_market, PrivateMarket]
);

impl frame_system_benchmarking::Config for crate::Runtime {}
