//! The node's RPC methods beyond sc-service's standard set.

use std::sync::Arc;

use cpchain_primitives::{AccountId, Balance, Hash, Nonce, OpaqueBlock as Block};
use futures::channel::mpsc;
use jsonrpsee::RpcModule;
use sc_consensus_manual_seal::{
    rpc::{ManualSeal, ManualSealApiServer},
    EngineCommand,
};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P> {
    pub client: Arc<C>,
    pub pool: Arc<P>,
    /// Where `engine_createBlock` and `engine_finalizeBlock` send their
    /// commands, when the node seals blocks on request.
    pub sealing_commands: Option<mpsc::Sender<EngineCommand<Hash>>>,
    /// The DPoR worker's round state, on a DPoR node.
    pub round_state: Option<Arc<std::sync::Mutex<cpchain_consensus_dpor::worker::RoundState>>>,
}

/// `system_accountNextIndex`, `system_dryRun`, `payment_*`, the built-in
/// modules' reads (`proxyRegister_*`, `register_*`, `admission_*`,
/// `rpt_*`, `market_*`), and `engine_*` on a node with manual or interval sealing.
pub fn create_full<C, P>(
    deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
    C: ProvideRuntimeApi<Block>
        + HeaderBackend<Block>
        + HeaderMetadata<Block, Error = BlockChainError>
        + Send
        + Sync
        + 'static,
    C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
        + pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
        + BlockBuilder<Block>
        + cpchain_primitives::runtime_api::ProxyRegisterApi<Block, AccountId>
        + cpchain_primitives::runtime_api::RegisterApi<
            Block,
            AccountId,
            cpchain_primitives::BlockNumber,
        > + cpchain_primitives::runtime_api::AdmissionApi<Block>
        + cpchain_primitives::runtime_api::RptApi<Block, AccountId>
        + cpchain_primitives::runtime_api::CampaignApi<Block, AccountId, Balance>
        + cpchain_primitives::runtime_api::DporApi<Block, AccountId>
        + cpchain_primitives::runtime_api::PrivateMarketApi<Block, AccountId, Balance>,
    P: TransactionPool + 'static,
{
    use crate::builtin_rpc::{BuiltinApiServer, Builtins};
    use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
    use substrate_frame_rpc_system::{System, SystemApiServer};

    let FullDeps {
        client,
        pool,
        sealing_commands,
        round_state,
    } = deps;

    let mut module = RpcModule::new(());
    module.merge(System::new(client.clone(), pool).into_rpc())?;
    module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
    module.merge(Builtins::new(client.clone()).into_rpc())?;
    {
        use crate::market_rpc::{Market, MarketApiServer};
        module.merge(Market::new(client).into_rpc())?;
    }
    if let Some(round_state) = round_state {
        let mut dpor = RpcModule::new(round_state);
        dpor.register_method("dpor_roundState", |_, state, _| {
            state.lock().map(|state| state.clone()).map_err(|_| {
                jsonrpsee::types::ErrorObjectOwned::owned(
                    -32000,
                    "the DPoR round state is unavailable",
                    None::<()>,
                )
            })
        })?;
        module.merge(dpor)?;
    }
    if let Some(commands) = sealing_commands {
        module.merge(ManualSeal::new(commands).into_rpc())?;
    }
    Ok(module)
}
