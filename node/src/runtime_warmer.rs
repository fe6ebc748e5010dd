//! Compiles an authorized runtime upgrade before the chain switches to it.
//!
//! The first runtime call on new code compiles it: about 3 s on an idle
//! core, far more when every node of a machine compiles at once. If that
//! happens while validators vote on the block that applies the upgrade,
//! their votes miss the round and the block is impeached. So as soon as
//! `system.applyAuthorizedUpgrade(code)` reaches this node's transaction
//! pool, and its code is the one the council authorized, the node compiles
//! it into the executor's cache, where the block import and the runtime
//! calls that follow will find it.

use std::{sync::Arc, time::Instant};

use codec::{Decode, Encode};
use cpchain_primitives::{Hash, OpaqueBlock as Block};
use cpchain_runtime::{RuntimeCall, UncheckedExtrinsic};
use futures::StreamExt;
use sc_client_api::StorageProvider;
use sc_transaction_pool_api::{InPoolTransaction, TransactionPool};
use sp_blockchain::HeaderBackend;
use sp_core::traits::{CallContext, CodeExecutor, RuntimeCode, WrappedRuntimeCode};
use sp_storage::StorageKey;

/// Runtime instances the executor caches. Two are SDK's default; the
/// warmed code takes two more (block import and other calls use different
/// heap sizes), which must not evict the running code's.
pub const RUNTIME_CACHE_SIZE: u8 = 4;

/// Watches the pool; compiles the code of an authorized upgrade once.
pub async fn run<Pool, Client, Executor>(pool: Arc<Pool>, client: Arc<Client>, executor: Executor)
where
    Pool: TransactionPool<Block = Block>,
    Client: StorageProvider<Block, crate::service::FullBackend> + HeaderBackend<Block>,
    Executor: CodeExecutor + Clone + Send + 'static,
{
    let mut ready = pool.import_notification_stream();
    let mut warmed: Option<[u8; 32]> = None;
    while let Some(tx_hash) = ready.next().await {
        let Some(tx) = pool.ready_transaction(&tx_hash) else {
            continue;
        };
        // Runtime code is hundreds of kilobytes: skip decoding transfers.
        if tx.data().inner().len() < MIN_CODE_EXTRINSIC_LEN {
            continue;
        }
        let Some(code) = upgrade_code(&tx.data().encode()) else {
            continue;
        };
        let code_hash = sp_io::hashing::blake2_256(&code);
        if warmed == Some(code_hash) || authorized_code_hash(&*client) != Some(code_hash) {
            // Only the council's code: anyone could otherwise make every
            // node compile junk.
            continue;
        }
        warmed = Some(code_hash);
        let executor = executor.clone();
        tokio::task::spawn_blocking(move || compile(&executor, code, code_hash));
    }
}

/// Whether `extrinsic` applies the upgrade the council authorized. Every
/// node must see that one, also a validator that takes no transactions
/// from peers (`communication::transactions`), so that it compiles the
/// code here before it votes on the block that applies it.
pub fn is_authorized_upgrade<Client>(client: &Client, extrinsic: &[u8]) -> bool
where
    Client: StorageProvider<Block, crate::service::FullBackend> + HeaderBackend<Block>,
{
    extrinsic.len() >= MIN_CODE_EXTRINSIC_LEN
        && upgrade_code(extrinsic).is_some_and(|code| {
            authorized_code_hash(client) == Some(sp_io::hashing::blake2_256(&code))
        })
}

/// Shorter extrinsics cannot carry a runtime.
const MIN_CODE_EXTRINSIC_LEN: usize = 16 * 1024;

/// The code of an `applyAuthorizedUpgrade` extrinsic.
fn upgrade_code(extrinsic: &[u8]) -> Option<Vec<u8>> {
    let extrinsic = UncheckedExtrinsic::decode(&mut &extrinsic[..]).ok()?;
    match extrinsic.function {
        RuntimeCall::System(frame_system::Call::apply_authorized_upgrade { code }) => Some(code),
        _ => None,
    }
}

/// `System.AuthorizedUpgrade`'s code hash at the best block.
fn authorized_code_hash<Client>(client: &Client) -> Option<[u8; 32]>
where
    Client: StorageProvider<Block, crate::service::FullBackend> + HeaderBackend<Block>,
{
    let key = [
        sp_io::hashing::twox_128(b"System"),
        sp_io::hashing::twox_128(b"AuthorizedUpgrade"),
    ]
    .concat();
    let best = client.info().best_hash;
    let value = client.storage(best, &StorageKey(key)).ok()??;
    // `CodeUpgradeAuthorization { code_hash, check_version }`.
    Hash::decode(&mut &value.0[..]).ok().map(|hash| hash.0)
}

fn compile<Executor: CodeExecutor>(executor: &Executor, code: Vec<u8>, code_hash: [u8; 32]) {
    let fetch = WrappedRuntimeCode(code.into());
    // Keyed as the client keys the code it reads from `:code`: by its
    // blake2-256 hash, with no `:heappages` override.
    let runtime_code = RuntimeCode {
        code_fetcher: &fetch,
        heap_pages: None,
        hash: code_hash.to_vec(),
    };
    let started = Instant::now();
    let mut ext = sp_io::TestExternalities::default();
    for import in [false, true] {
        let (result, _) = executor.call(
            &mut ext.ext(),
            &runtime_code,
            "Core_version",
            &[],
            CallContext::Onchain { import },
        );
        if let Err(error) = result {
            log::warn!(
                target: "cpchain",
                "the authorized runtime upgrade does not run: {error}"
            );
            return;
        }
    }
    log::info!(
        target: "cpchain",
        "Compiled the authorized runtime upgrade 0x{} in {} ms, ahead of its block",
        sp_core::hexdisplay::HexDisplay::from(&code_hash),
        started.elapsed().as_millis()
    );
}
