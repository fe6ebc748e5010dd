//! What `benchmark extrinsic` and `benchmark overhead` need from the node:
//! signed extrinsics of the CPChain runtime and the inherents of a block.

use std::{sync::Arc, time::Duration};

use cpchain_primitives::{AccountId, Balance};
use cpchain_runtime::{sign_extrinsic, BalancesCall, RuntimeCall, SystemCall};
use sc_cli::Result;
use sp_blockchain::HeaderBackend;
use sp_inherents::{InherentData, InherentDataProvider};
use sp_keyring::Sr25519Keyring;
use sp_runtime::OpaqueExtrinsic;

use crate::service::FullClient;

/// Builds `System::remark` extrinsics signed by Bob.
pub struct RemarkBuilder {
    client: Arc<FullClient>,
}

impl RemarkBuilder {
    pub fn new(client: Arc<FullClient>) -> Self {
        Self { client }
    }
}

impl frame_benchmarking_cli::ExtrinsicBuilder for RemarkBuilder {
    fn pallet(&self) -> &str {
        "system"
    }

    fn extrinsic(&self) -> &str {
        "remark"
    }

    fn build(&self, nonce: u32) -> std::result::Result<OpaqueExtrinsic, &'static str> {
        let call = RuntimeCall::System(SystemCall::remark { remark: vec![] });
        Ok(signed_by_bob(&self.client, call, nonce))
    }
}

/// Builds `Balances::transfer_keep_alive` extrinsics signed by Bob.
pub struct TransferKeepAliveBuilder {
    client: Arc<FullClient>,
    dest: AccountId,
    value: Balance,
}

impl TransferKeepAliveBuilder {
    pub fn new(client: Arc<FullClient>, dest: AccountId, value: Balance) -> Self {
        Self {
            client,
            dest,
            value,
        }
    }
}

impl frame_benchmarking_cli::ExtrinsicBuilder for TransferKeepAliveBuilder {
    fn pallet(&self) -> &str {
        "balances"
    }

    fn extrinsic(&self) -> &str {
        "transfer_keep_alive"
    }

    fn build(&self, nonce: u32) -> std::result::Result<OpaqueExtrinsic, &'static str> {
        let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
            dest: self.dest.clone().into(),
            value: self.value,
        });
        Ok(signed_by_bob(&self.client, call, nonce))
    }
}

fn signed_by_bob(client: &FullClient, call: RuntimeCall, nonce: u32) -> OpaqueExtrinsic {
    let genesis_hash = client.info().genesis_hash;
    let extrinsic = sign_extrinsic(call, &Sr25519Keyring::Bob.pair(), nonce, genesis_hash);
    OpaqueExtrinsic::from_blob(codec::Encode::encode(&extrinsic))
}

/// The inherent data of a benchmark block: only the timestamp.
pub fn inherent_benchmark_data() -> Result<InherentData> {
    let mut inherent_data = InherentData::new();
    let timestamp = sp_timestamp::InherentDataProvider::new(Duration::ZERO.into());
    futures::executor::block_on(timestamp.provide_inherent_data(&mut inherent_data))
        .map_err(|e| format!("creating the timestamp inherent: {e:?}"))?;
    Ok(inherent_data)
}
