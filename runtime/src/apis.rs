//! The runtime APIs the node and external clients call.

use alloc::vec::Vec;
use frame_support::{
    genesis_builder_helper::{build_state, get_preset},
    weights::Weight,
};
use sp_api::impl_runtime_apis;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
    traits::Block as BlockT,
    transaction_validity::{TransactionSource, TransactionValidity},
    ApplyExtrinsicResult, ExtrinsicInclusionMode,
};
use sp_version::RuntimeVersion;

use crate::{
    genesis_config_presets, opaque::SessionKeys, AccountId, Balance, Block, BlockNumber, Campaign,
    Dpor, Executive, InherentDataExt, Nonce, PrivateMarket, ProxyRegister, Register, Rpt, Runtime,
    RuntimeCall, RuntimeGenesisConfig, System, TransactionPayment, VERSION,
};
use cpchain_primitives::{
    runtime_api::{DporCommittee, DporConfig, MarketItem, MarketOrder},
    traits::{CandidateSource, UploadCounter},
    CandidateInfo, RptBreakdown, RptWeights,
};

impl_runtime_apis! {
    impl sp_api::Core<Block> for Runtime {
        fn version() -> RuntimeVersion {
            VERSION
        }

        fn execute_block(block: <Block as BlockT>::LazyBlock) {
            Executive::execute_block(block);
        }

        fn initialize_block(header: &<Block as BlockT>::Header) -> ExtrinsicInclusionMode {
            Executive::initialize_block(header)
        }
    }

    impl sp_api::Metadata<Block> for Runtime {
        fn metadata() -> OpaqueMetadata {
            OpaqueMetadata::new(Runtime::metadata().into())
        }

        fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
            Runtime::metadata_at_version(version)
        }

        fn metadata_versions() -> Vec<u32> {
            Runtime::metadata_versions()
        }
    }

    impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
        fn execute_view_function(
            id: frame_support::view_functions::ViewFunctionId,
            input: Vec<u8>,
        ) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
            Runtime::execute_view_function(id, input)
        }
    }

    impl sp_block_builder::BlockBuilder<Block> for Runtime {
        fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
            Executive::apply_extrinsic(extrinsic)
        }

        fn finalize_block() -> <Block as BlockT>::Header {
            Executive::finalize_block()
        }

        fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
            data.create_extrinsics()
        }

        fn check_inherents(
            block: <Block as BlockT>::LazyBlock,
            data: sp_inherents::InherentData,
        ) -> sp_inherents::CheckInherentsResult {
            data.check_extrinsics(&block)
        }
    }

    impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
        fn validate_transaction(
            source: TransactionSource,
            tx: <Block as BlockT>::Extrinsic,
            block_hash: <Block as BlockT>::Hash,
        ) -> TransactionValidity {
            Executive::validate_transaction(source, tx, block_hash)
        }
    }

    impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
        fn offchain_worker(header: &<Block as BlockT>::Header) {
            Executive::offchain_worker(header)
        }
    }

    impl sp_session::SessionKeys<Block> for Runtime {
        fn generate_session_keys(
            owner: Vec<u8>,
            seed: Option<Vec<u8>>,
        ) -> sp_session::OpaqueGeneratedSessionKeys {
            SessionKeys::generate(&owner, seed).into()
        }

        fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
            SessionKeys::decode_into_raw_public_keys(&encoded)
        }
    }

    impl cpchain_primitives::runtime_api::ProxyRegisterApi<Block, AccountId> for Runtime {
        fn real_contract(proxy: AccountId) -> Option<AccountId> {
            ProxyRegister::real_contract(&proxy)
        }
        fn proxy_contract(real: AccountId) -> Option<AccountId> {
            ProxyRegister::proxy_contract(&real)
        }
        fn contract_version(proxy: AccountId) -> u32 {
            ProxyRegister::contract_version(&proxy)
        }
        fn old_contract(proxy: AccountId, version: u32) -> Option<AccountId> {
            ProxyRegister::old_contract(&proxy, version)
        }
    }

    impl cpchain_primitives::runtime_api::RegisterApi<Block, AccountId, BlockNumber> for Runtime {
        fn upload_count(who: AccountId) -> u32 {
            pallet_register::UploadCount::<Runtime>::get(&who)
        }
        fn uploads_between(who: AccountId, from: BlockNumber, to: BlockNumber) -> u32 {
            <Register as UploadCounter<AccountId, BlockNumber>>::uploads_between(&who, from, to)
        }
    }

    impl cpchain_primitives::runtime_api::AdmissionApi<Block> for Runtime {
        fn admission_settings() -> (u16, u16, u32) {
            (
                pallet_admission::CpuDifficulty::<Runtime>::get(),
                pallet_admission::MemoryDifficulty::<Runtime>::get(),
                pallet_admission::AcceptableBlocks::<Runtime>::get(),
            )
        }
    }

    impl cpchain_primitives::runtime_api::RptApi<Block, AccountId> for Runtime {
        fn rpt_of(who: AccountId) -> RptBreakdown {
            Rpt::rpt_breakdown(&who)
        }
        fn rpts_of(accounts: Vec<AccountId>) -> Vec<RptBreakdown> {
            Rpt::rpt_breakdowns(&accounts)
        }
        fn ranking() -> Vec<(AccountId, RptBreakdown)> {
            Rpt::ranking()
        }
        fn rpt_settings() -> (RptWeights, u32) {
            Rpt::settings()
        }
    }

    impl cpchain_primitives::runtime_api::CampaignApi<Block, AccountId, Balance> for Runtime {
        fn candidates_of(term: u32) -> Vec<AccountId> {
            <Campaign as CandidateSource<AccountId>>::candidates_of(term)
        }
        fn candidate_info_of(who: AccountId) -> Option<CandidateInfo<Balance>> {
            Campaign::candidate_info(&who)
        }
        fn rnodes() -> Vec<AccountId> {
            Campaign::rnodes()
        }
        fn current_term() -> u32 {
            Dpor::current_term()
        }
    }

    impl cpchain_primitives::runtime_api::PrivateMarketApi<Block, AccountId, Balance> for Runtime {
        fn items(from: u64, limit: u32) -> Vec<MarketItem<AccountId, Balance>> {
            PrivateMarket::items_from(from, limit.min(MAX_MARKET_PAGE))
                .into_iter()
                .map(|(id, item)| market_item(id, item))
                .collect()
        }

        fn item(id: u64) -> Option<MarketItem<AccountId, Balance>> {
            pallet_private_market::Items::<Runtime>::get(id).map(|item| market_item(id, item))
        }

        fn order(id: u64) -> Option<MarketOrder<AccountId, Balance>> {
            pallet_private_market::Orders::<Runtime>::get(id).map(|order| market_order(id, order))
        }

        fn pending_orders(seller: AccountId) -> Vec<MarketOrder<AccountId, Balance>> {
            PrivateMarket::pending_orders(&seller)
                .into_iter()
                .map(|(id, order)| market_order(id, order))
                .collect()
        }

        fn encryption_key(who: AccountId) -> Option<[u8; 32]> {
            pallet_private_market::EncryptionKeys::<Runtime>::get(who)
        }

        fn free_escrow(who: AccountId) -> Balance {
            pallet_private_market::FreeEscrow::<Runtime>::get(who)
        }

        fn agent() -> Option<AccountId> {
            PrivateMarket::agent().ok()
        }
    }

    #[api_version(3)]
    impl cpchain_primitives::runtime_api::DporApi<Block, AccountId> for Runtime {
        fn committee() -> DporCommittee<AccountId> {
            let term = Dpor::current_term();
            let now = System::block_number();
            DporCommittee {
                validators: Dpor::validators(),
                proposers: Dpor::proposers_of_term(term),
                term,
                view: Dpor::schedule().map_or(0, |s| s.view_of(now.max(1))),
            }
        }
        fn proposer_of(block: BlockNumber) -> Option<AccountId> {
            Dpor::proposer_of(block)
        }
        fn proposers_of_term(term: u32) -> Vec<AccountId> {
            Dpor::proposers_of_term(term)
        }
        fn config() -> Option<DporConfig> {
            let schedule = Dpor::schedule()?;
            let timing = Dpor::timing()?;
            Some(DporConfig {
                term_len: schedule.schedule.term_len,
                view_len: schedule.schedule.view_len,
                period_ms: timing.period_ms,
                impeach_timeout_ms: timing.impeach_timeout_ms,
                election_lag: cpchain_primitives::schedule::ELECTION_LAG,
            })
        }
        fn next_committee_change() -> Option<BlockNumber> {
            Dpor::next_committee_change()
        }
        fn election_seed() -> [u8; 32] {
            Dpor::seed_bytes()
        }
        fn submit_report_equivocation_unsigned_extrinsic(
            proof: cpchain_primitives::equivocation::EquivocationProof,
        ) -> bool {
            Dpor::submit_report_equivocation(proof)
        }
    }

    impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
        fn account_nonce(account: AccountId) -> Nonce {
            System::account_nonce(account)
        }
    }

    impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
        fn query_info(
            uxt: <Block as BlockT>::Extrinsic,
            len: u32,
        ) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
            TransactionPayment::query_info(uxt, len)
        }
        fn query_fee_details(
            uxt: <Block as BlockT>::Extrinsic,
            len: u32,
        ) -> pallet_transaction_payment::FeeDetails<Balance> {
            TransactionPayment::query_fee_details(uxt, len)
        }
        fn query_weight_to_fee(weight: Weight) -> Balance {
            TransactionPayment::weight_to_fee(weight)
        }
        fn query_length_to_fee(length: u32) -> Balance {
            TransactionPayment::length_to_fee(length)
        }
    }

    impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
        for Runtime
    {
        fn query_call_info(
            call: RuntimeCall,
            len: u32,
        ) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
            TransactionPayment::query_call_info(call, len)
        }
        fn query_call_fee_details(
            call: RuntimeCall,
            len: u32,
        ) -> pallet_transaction_payment::FeeDetails<Balance> {
            TransactionPayment::query_call_fee_details(call, len)
        }
        fn query_weight_to_fee(weight: Weight) -> Balance {
            TransactionPayment::weight_to_fee(weight)
        }
        fn query_length_to_fee(length: u32) -> Balance {
            TransactionPayment::length_to_fee(length)
        }
    }

    impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
        fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
            build_state::<RuntimeGenesisConfig>(config)
        }

        fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
            get_preset::<RuntimeGenesisConfig>(id, genesis_config_presets::get_preset)
        }

        fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
            genesis_config_presets::preset_names()
        }
    }

    #[cfg(feature = "try-runtime")]
    impl frame_try_runtime::TryRuntime<Block> for Runtime {
        fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
            // try-runtime builds only: a failed check must stop the tool.
            let weight = Executive::try_runtime_upgrade(checks)
                .unwrap_or_else(|error| panic!("a migration check failed: {error:?}"));
            (weight, crate::configs::RuntimeBlockWeights::get().max_block)
        }

        fn execute_block(
            block: <Block as BlockT>::LazyBlock,
            state_root_check: bool,
            signature_check: bool,
            select: frame_try_runtime::TryStateSelect,
        ) -> Weight {
            Executive::try_execute_block(block, state_root_check, signature_check, select)
                .unwrap_or_else(|error| panic!("executing the block failed: {error:?}"))
        }
    }

    #[cfg(feature = "runtime-benchmarks")]
    impl frame_benchmarking::Benchmark<Block> for Runtime {
        fn benchmark_metadata(extra: bool) -> (
            Vec<frame_benchmarking::BenchmarkList>,
            Vec<frame_support::traits::StorageInfo>,
        ) {
            use frame_benchmarking::BenchmarkList;
            use frame_support::traits::StorageInfoTrait;
            use frame_system_benchmarking::Pallet as SystemBench;
            #[allow(unused_imports)]
            use crate::{
                Admission, Balances, Council, CouncilMembership, Pdash, Preimage, Sudo, Timestamp,
                Whitelist,
            };

            let mut list = Vec::<BenchmarkList>::new();
            list_benchmarks!(list, extra);

            let storage_info = crate::AllPalletsWithSystem::storage_info();
            (list, storage_info)
        }

        fn dispatch_benchmark(
            config: frame_benchmarking::BenchmarkConfig,
        ) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
            use frame_benchmarking::BenchmarkBatch;
            use frame_support::traits::{TrackedStorageKey, WhitelistedStorageKeys};
            use frame_system_benchmarking::Pallet as SystemBench;
            #[allow(unused_imports)]
            use crate::{
                Admission, Balances, Council, CouncilMembership, Pdash, Preimage, Sudo, Timestamp,
                Whitelist,
            };

            let whitelist: Vec<TrackedStorageKey> = crate::AllPalletsWithSystem::whitelisted_storage_keys();
            let mut batches = Vec::<BenchmarkBatch>::new();
            let params = (&config, &whitelist);
            add_benchmarks!(params, batches);
            Ok(batches)
        }
    }
}

/// The most items one `PrivateMarketApi::items` call returns.
const MAX_MARKET_PAGE: u32 = 100;

fn market_item(
    id: u64,
    item: pallet_private_market::Item<Runtime>,
) -> MarketItem<AccountId, Balance> {
    MarketItem {
        id,
        seller: item.seller,
        price: item.price,
        public_meta: item.public_meta.into_inner(),
        sealed_fields: item.sealed_fields.into_inner(),
        key_for_agent: item.key_for_agent.into_inner(),
        plaintext_hash: item.plaintext_hash,
        listed_at: item.listed_at,
    }
}

fn market_order(
    id: u64,
    order: pallet_private_market::Order<Runtime>,
) -> MarketOrder<AccountId, Balance> {
    MarketOrder {
        id,
        item: order.item,
        buyer: order.buyer,
        seller: order.seller,
        price: order.price,
        buyer_key: order.buyer_key,
        key_for_buyer: order.key_for_buyer.map(|key| key.into_inner()),
        state: order.state.name().as_bytes().to_vec(),
        since: order.since,
    }
}
