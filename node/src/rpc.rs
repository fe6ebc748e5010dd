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
    /// Builds `dpor_proveFinality`'s proofs, on a DPoR node.
    pub finality_prover: Option<Arc<cpchain_consensus_dpor::warp_sync::FinalityProver<C>>>,
}

fn rpc_error(message: impl Into<String>) -> jsonrpsee::types::ErrorObjectOwned {
    jsonrpsee::types::ErrorObjectOwned::owned(-32000, message.into(), None::<()>)
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
        + sc_client_api::BlockBackend<Block>
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
        finality_prover,
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
            state
                .lock()
                .map(|state| state.clone())
                .map_err(|_| rpc_error("the DPoR round state is unavailable"))
        })?;
        module.merge(dpor)?;
    }
    if let Some(prover) = finality_prover {
        let mut dpor = RpcModule::new(prover);
        // The proof a light client needs to know that final block `number`
        // is final, from the genesis validators on: SCALE-encoded
        // `cpchain_primitives::finality::FinalityProof`, checked by
        // `cpchain_primitives::finality::verify_finality`. Blocking: it
        // reads headers (all of them, the first time), off the async
        // workers that serve consensus.
        dpor.register_blocking_method("dpor_proveFinality", |params, prover, _| {
            use codec::Encode;
            let number: u32 = params
                .one()
                .map_err(|e| rpc_error(format!("expected a block number: {e}")))?;
            let proof = prover.prove(0, number).map_err(rpc_error)?;
            let last = proof.fragments.last().map(|f| f.header.hash());
            Ok::<_, jsonrpsee::types::ErrorObjectOwned>(serde_json::json!({
                "block": last,
                "fragments": proof.fragments.len(),
                "proof": sp_core::bytes::to_hex(&proof.encode(), false),
            }))
        })?;
        module.merge(dpor)?;
    }
    if let Some(commands) = sealing_commands {
        module.merge(ManualSeal::new(commands).into_rpc())?;
    }
    Ok(module)
}
