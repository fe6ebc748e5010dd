//! Assembles the node: client, database, transaction pool, network, RPC and
//! block sealing.

use std::{sync::Arc, time::Duration};

use cpchain_primitives::{runtime_api::DporApi, Hash, OpaqueBlock as Block};
use cpchain_runtime::RuntimeApi;
use futures::{channel::mpsc, FutureExt, StreamExt};
use sc_client_api::Backend;
use sc_consensus_manual_seal::EngineCommand;
use sc_executor::WasmExecutor;
use sc_service::{error::Error as ServiceError, Configuration, TaskManager};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Block as BlockT;

use crate::{
    cli::{Sealing, TakeTransactions},
    transaction_pool::PoolSettings,
};

#[cfg(feature = "runtime-benchmarks")]
pub type HostFunctions = (
    sp_io::SubstrateHostFunctions,
    frame_benchmarking::benchmarking::HostFunctions,
);
#[cfg(not(feature = "runtime-benchmarks"))]
pub type HostFunctions = sp_io::SubstrateHostFunctions;

pub type FullClient = sc_service::TFullClient<Block, RuntimeApi, WasmExecutor<HostFunctions>>;
pub type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type FullPool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;
/// The pool as a running node serves it: submissions beyond its limits are
/// refused (see `pool_admission`).
type GatedPool = crate::pool_admission::AdmissionGate<FullPool>;

pub type Service = sc_service::PartialComponents<
    FullClient,
    FullBackend,
    FullSelectChain,
    sc_consensus::DefaultImportQueue<Block>,
    FullPool,
    (
        Option<Telemetry>,
        cpchain_consensus_dpor::warp_sync::ProvenWarpTarget,
    ),
>;

/// The parts of a node that commands other than `run` need too: blocks are
/// imported as DPoR blocks (digest, seal and certificate checked).
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
    new_partial_with(config, false, None)
}

/// As [`new_partial`]; `sealing` imports development-sealed blocks instead.
/// A running node's pool follows `pool` (see [`crate::transaction_pool`]);
/// other commands get Substrate's.
fn new_partial_with(
    config: &Configuration,
    sealing: bool,
    pool: Option<&PoolSettings>,
) -> Result<Service, ServiceError> {
    let telemetry = config
        .telemetry_endpoints
        .clone()
        .filter(|endpoints| !endpoints.is_empty())
        .map(|endpoints| -> Result<_, sc_telemetry::Error> {
            let worker = TelemetryWorker::new(16)?;
            let telemetry = worker.handle().new_telemetry(endpoints);
            Ok((worker, telemetry))
        })
        .transpose()?;

    let mut executor_config = config.executor.clone();
    executor_config.runtime_cache_size = executor_config
        .runtime_cache_size
        .max(crate::runtime_warmer::RUNTIME_CACHE_SIZE);
    let executor = sc_service::new_wasm_executor::<HostFunctions>(&executor_config);
    let warmer_executor = executor.clone();
    let (client, backend, keystore_container, task_manager) =
        sc_service::new_full_parts::<Block, RuntimeApi, _>(
            config,
            telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
            executor,
            vec![],
        )?;
    let client = Arc::new(client);

    let telemetry = telemetry.map(|(worker, telemetry)| {
        task_manager
            .spawn_handle()
            .spawn("telemetry", None, worker.run());
        telemetry
    });

    let select_chain = sc_consensus::LongestChain::new(backend.clone());

    let transaction_pool = Arc::from(match pool {
        Some(settings) if settings.single_state => crate::transaction_pool::single_state_pool(
            settings,
            config.role.is_authority(),
            client.clone(),
            task_manager.spawn_essential_handle(),
            config.prometheus_registry(),
        ),
        _ => sc_transaction_pool::Builder::new(
            task_manager.spawn_essential_handle(),
            client.clone(),
            config.role.is_authority().into(),
        )
        .with_options(config.transaction_pool.clone())
        .with_prometheus(config.prometheus_registry())
        .build(),
    });

    task_manager.spawn_handle().spawn(
        "runtime-upgrade-warmer",
        None,
        crate::runtime_warmer::run(transaction_pool.clone(), client.clone(), warmer_executor),
    );

    let proven_warp_target = cpchain_consensus_dpor::warp_sync::ProvenWarpTarget::default();
    let import_queue = if sealing {
        sc_consensus_manual_seal::import_queue(
            Box::new(client.clone()),
            &task_manager.spawn_essential_handle(),
            config.prometheus_registry(),
        )
    } else {
        let genesis = client.info().genesis_hash;
        sc_consensus::BasicQueue::new(
            cpchain_consensus_dpor::import::DporVerifier::<_, FullBackend>::new(
                client.clone(),
                genesis,
                proven_warp_target.clone(),
            ),
            Box::new(cpchain_consensus_dpor::import::DporBlockImport::new(
                client.clone(),
            )),
            Some(Box::new(
                cpchain_consensus_dpor::import::DporJustificationImport::<_, FullBackend>::new(
                    client.clone(),
                    genesis,
                ),
            )),
            &task_manager.spawn_essential_handle(),
            config.prometheus_registry(),
        )
    };

    Ok(sc_service::PartialComponents {
        client,
        backend,
        task_manager,
        import_queue,
        keystore_container,
        select_chain,
        transaction_pool,
        other: (telemetry, proven_warp_target),
    })
}

/// A live chain whose committee or council still holds the `production`
/// preset's placeholder accounts cannot work (nobody holds their keys), and
/// was launched from an unedited spec: say so instead of stalling.
fn refuse_placeholder_accounts(client: &FullClient) -> Result<(), ServiceError> {
    use codec::Decode;
    use cpchain_runtime::genesis_config_presets::is_placeholder;
    use sc_client_api::StorageProvider;
    use sp_api::ProvideRuntimeApi;

    let best = client.info().best_hash;
    let committee = client
        .runtime_api()
        .committee(best)
        .map_err(|e| ServiceError::Other(format!("reading the DPoR committee: {e}")))?;
    let council_key = [
        sp_io::hashing::twox_128(b"Council"),
        sp_io::hashing::twox_128(b"Members"),
    ]
    .concat();
    let council: Vec<cpchain_primitives::AccountId> = client
        .storage(best, &sp_storage::StorageKey(council_key))
        .ok()
        .flatten()
        .and_then(|value| Decode::decode(&mut &value.0[..]).ok())
        .unwrap_or_default();
    let placeholders = committee
        .validators
        .iter()
        .flat_map(|(who, key)| [AsRef::<[u8]>::as_ref(who), key.as_ref()])
        .chain(committee.proposers.iter().map(|who| who.as_ref()))
        .chain(council.iter().map(|who| who.as_ref()))
        .filter(|key| is_placeholder(key))
        .count();
    if placeholders > 0 {
        return Err(ServiceError::Other(format!(
            "this live chain's committee or council holds {placeholders} placeholder keys of the \
             `production` preset (0x0101…, 0x1111…): nobody can sign for them. Put your \
             validators, proposers and council into the chain spec (see chain-specs/README.md) \
             and build its raw form again"
        )));
    }
    let weak: Vec<String> = committee
        .validators
        .iter()
        .filter(|(_, key)| !cpchain_primitives::dpor_crypto::is_strong_key(key.as_ref()))
        .map(|(who, _)| who.to_string())
        .collect();
    if !weak.is_empty() {
        return Err(ServiceError::Other(format!(
            "this live chain's validators {} hold weak consensus keys (of small order, with a \
             torsion component, or not canonical): anyone can forge their votes, so their \
             signatures prove nothing. Give them keys from `cpchain-node key generate --scheme \
             ed25519` in the chain spec",
            weak.join(", ")
        )));
    }
    Ok(())
}

/// Starts a full node: with `sealing`, a development node sealing blocks on
/// its own; without, a DPoR node (a validator or proposer when its keystore
/// holds the keys, a follower otherwise).
pub fn new_full<N: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>(
    mut config: Configuration,
    sealing: Option<Sealing>,
    take_transactions: TakeTransactions,
    pool: PoolSettings,
) -> Result<TaskManager, ServiceError> {
    if sealing.is_none() {
        // The DPoR worker announces blocks itself: proposals and final
        // blocks, never a pending impeach block (peers refuse one without
        // its certificate, and would drop the node that offered it).
        config.announce_block = false;
    }
    let sc_service::PartialComponents {
        client,
        backend,
        mut task_manager,
        import_queue,
        keystore_container,
        select_chain,
        transaction_pool,
        other: (mut telemetry, proven_warp_target),
    } = new_partial_with(&config, sealing.is_some(), Some(&pool))?;
    let transaction_pool: Arc<GatedPool> = Arc::new(
        crate::pool_admission::AdmissionGate::new(
            transaction_pool,
            pool.limits,
            if sealing.is_none() && pool.single_state {
                crate::pool_admission::Maintenance::FinalOnly
            } else {
                crate::pool_admission::Maintenance::Every
            },
            config.prometheus_registry(),
        )
        .map_err(|e| ServiceError::Other(format!("transaction pool metrics: {e}")))?,
    );

    if config.chain_spec.chain_type() == sc_service::ChainType::Live {
        refuse_placeholder_accounts(&*client)?;
    }

    let mut net_config =
        sc_network::config::FullNetworkConfiguration::<Block, <Block as BlockT>::Hash, N>::new(
            &config.network,
            config
                .prometheus_config
                .as_ref()
                .map(|cfg| cfg.registry.clone()),
        );
    let metrics = N::register_notification_metrics(config.prometheus_registry());
    let genesis = client.info().genesis_hash;
    // Beside the database, so that `purge-chain` keeps what was signed.
    let record_dir = config
        .base_path
        .config_dir(config.chain_spec.id())
        .join("dpor");
    let dpor_notifications = if sealing.is_none() {
        let (protocol, notifications) =
            cpchain_consensus_dpor::communication::notification_protocol::<N>(
                genesis,
                metrics.clone(),
                net_config.peer_store_handle(),
            );
        net_config.add_notification_protocol(protocol);
        Some(notifications)
    } else {
        None
    };
    let transaction_relay = if sealing.is_none() {
        let keystore = keystore_container.keystore();
        insert_development_keys(&config, &client, &keystore)?;
        let take_transactions = match take_transactions {
            TakeTransactions::Yes => Some(true),
            TakeTransactions::No => Some(false),
            TakeTransactions::Auto => None,
        };
        let (protocol, notifications) =
            cpchain_consensus_dpor::communication::transactions::notification_protocol::<N>(
                genesis,
                metrics.clone(),
                net_config.peer_store_handle(),
            );
        net_config.add_notification_protocol(protocol);
        Some((notifications, take_transactions))
    } else {
        None
    };

    let finality_prover = sealing.is_none().then(|| {
        Arc::new(cpchain_consensus_dpor::warp_sync::FinalityProver::new(
            client.clone(),
        ))
    });
    // DPoR nodes keep a handle on sync's block requests, to fetch the
    // certificates of blocks they finalized without their own.
    let block_requests = sealing.is_none().then(|| {
        let provider = sc_network_sync::service::network::NetworkServiceProvider::new();
        let relay = sc_network_sync::block_request_handler::BlockRequestHandler::new::<N>(
            provider.handle(),
            &config.protocol_id(),
            config.chain_spec.fork_id(),
            client.clone(),
            config.network.default_peers_set.in_peers as usize
                + config.network.default_peers_set.out_peers as usize,
        );
        (provider, relay)
    });
    let (block_request_provider, block_relay, block_downloader) = match block_requests {
        Some((provider, relay)) => {
            let downloader = relay.downloader.clone();
            (Some(provider), Some(relay), Some(downloader))
        }
        None => (None, None, None),
    };
    let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
        sc_service::build_network(sc_service::BuildNetworkParams {
            config: &config,
            net_config,
            client: client.clone(),
            // DPoR nodes pass transactions on by their own relay
            // (`communication::transactions`), towards the proposers;
            // Substrate's protocol, which sends each one to every peer,
            // sees an empty pool. A sealing node seals alone.
            transaction_pool: Arc::new(
                cpchain_consensus_dpor::communication::transactions::StarvedPool(
                    transaction_pool.clone(),
                ),
            ),
            spawn_handle: task_manager.spawn_handle(),
            spawn_essential_handle: task_manager.spawn_essential_handle(),
            import_queue,
            block_announce_validator_builder: None,
            // DPoR nodes serve and check warp proofs (certified headers
            // of every validator set change); sealed dev chains have none.
            warp_sync_config: finality_prover.clone().map(|prover| {
                sc_network_sync::strategy::warp::WarpSyncConfig::WithProvider(Arc::new(
                    cpchain_consensus_dpor::warp_sync::DporWarpSyncProvider::new(
                        client.clone(),
                        prover,
                        proven_warp_target.clone(),
                    ),
                ))
            }),
            block_relay,
            metrics,
            gap_sync_body_policy: None,
        })?;

    if let Some(provider) = block_request_provider {
        task_manager.spawn_handle().spawn_blocking(
            "dpor-block-request-service",
            Some("networking"),
            provider.run(Arc::new(network.clone())),
        );
    }

    if config.offchain_worker.enabled {
        let offchain_workers =
            sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
                runtime_api_provider: client.clone(),
                is_validator: config.role.is_authority(),
                keystore: Some(keystore_container.keystore()),
                offchain_db: backend.offchain_storage(),
                transaction_pool: Some(OffchainTransactionPoolFactory::new(
                    transaction_pool.clone(),
                )),
                network_provider: Arc::new(network.clone()),
                enable_http_requests: true,
                custom_extensions: |_| vec![],
            })?;
        task_manager.spawn_handle().spawn(
            "offchain-workers-runner",
            "offchain-worker",
            offchain_workers
                .run(client.clone(), task_manager.spawn_handle())
                .boxed(),
        );
    }

    // Manual sealing, and interval sealing too, take commands from the
    // engine_* RPC methods.
    let (sealing_command_sink, rpc_sealing_commands) = mpsc::channel(1024);
    let sealing_commands = matches!(sealing, Some(Sealing::Manual | Sealing::Interval(_)))
        .then_some(sealing_command_sink);

    let round_state = Arc::new(std::sync::Mutex::new(
        cpchain_consensus_dpor::worker::RoundState::default(),
    ));
    let rpc_extensions_builder = {
        let client = client.clone();
        let pool = transaction_pool.clone();
        let round_state = dpor_notifications.is_some().then(|| round_state.clone());
        Box::new(move |_| {
            crate::rpc::create_full(crate::rpc::FullDeps {
                client: client.clone(),
                pool: pool.clone(),
                sealing_commands: sealing_commands.clone(),
                round_state: round_state.clone(),
                finality_prover: finality_prover.clone(),
            })
            .map_err(Into::into)
        })
    };

    let prometheus_registry = config.prometheus_registry().cloned();

    let dpor_network = network.clone();
    let dpor_sync = sync_service.clone();
    let keystore = keystore_container.keystore();
    let dpor_backend = backend.clone();
    sc_service::spawn_tasks(sc_service::SpawnTasksParams {
        network,
        client: client.clone(),
        keystore: keystore_container.keystore(),
        task_manager: &mut task_manager,
        transaction_pool: transaction_pool.clone(),
        rpc_builder: rpc_extensions_builder,
        backend,
        system_rpc_tx,
        tx_handler_controller,
        sync_service,
        config,
        telemetry: telemetry.as_mut(),
        tracing_execute_block: None,
    })?;

    let Some(sealing) = sealing else {
        let relay_pool = transaction_pool.clone();
        let offchain_tx_pool_factory =
            OffchainTransactionPoolFactory::new(transaction_pool.clone());
        let env = sc_basic_authorship::ProposerFactory::new(
            task_manager.spawn_handle(),
            client.clone(),
            transaction_pool,
            prometheus_registry.as_ref(),
            telemetry.as_ref().map(|telemetry| telemetry.handle()),
        );
        let metrics = prometheus_registry
            .as_ref()
            .map(cpchain_consensus_dpor::metrics::Metrics::register)
            .transpose()
            .map_err(|e| ServiceError::Other(format!("DPoR metrics: {e}")))?;
        if let Some((notifications, take_transactions)) = transaction_relay {
            task_manager.spawn_handle().spawn(
                "dpor-transaction-relay",
                Some("dpor"),
                cpchain_consensus_dpor::communication::transactions::run(
                    cpchain_consensus_dpor::communication::transactions::RelayParams {
                        client: client.clone(),
                        pool: relay_pool,
                        network: dpor_network.clone(),
                        sync: dpor_sync.clone(),
                        notifications,
                        genesis,
                        take_transactions,
                        keystore: keystore.clone(),
                        local_peer_id: dpor_network.local_peer_id(),
                        for_every_node: {
                            let client = client.clone();
                            Arc::new(move |extrinsic: &[u8]| {
                                crate::runtime_warmer::is_authorized_upgrade(&*client, extrinsic)
                            })
                        },
                        metrics: metrics.clone(),
                    },
                ),
            );
        }
        if let Some(downloader) = block_downloader {
            let backfill =
                cpchain_consensus_dpor::communication::backfill::CertificateBackfill::new(
                    client.clone(),
                    dpor_backend.clone(),
                    downloader,
                    dpor_sync.clone(),
                );
            task_manager.spawn_handle().spawn(
                "dpor-certificate-backfill",
                Some("dpor"),
                backfill.run(),
            );
        }
        let worker = cpchain_consensus_dpor::worker::run::<_, FullBackend, _, _>(
            cpchain_consensus_dpor::worker::WorkerParams {
                client: client.clone(),
                backend: dpor_backend,
                block_import: client,
                env,
                keystore,
                network: dpor_network,
                sync: dpor_sync,
                notifications: dpor_notifications
                    .ok_or_else(|| ServiceError::Other("no DPoR protocol".into()))?,
                genesis,
                record_dir,
                round_state,
                metrics,
                telemetry: telemetry.as_ref().map(|telemetry| telemetry.handle()),
                offchain_tx_pool_factory,
            },
        );
        task_manager
            .spawn_essential_handle()
            .spawn_blocking("dpor", Some("dpor"), worker);
        return Ok(task_manager);
    };
    log::info!("Sealing blocks: {sealing}");

    let proposer = sc_basic_authorship::ProposerFactory::new(
        task_manager.spawn_handle(),
        client.clone(),
        transaction_pool.clone(),
        prometheus_registry.as_ref(),
        telemetry.as_ref().map(|telemetry| telemetry.handle()),
    );
    let create_inherent_data_providers = {
        let client = client.clone();
        move |parent: Hash, ()| {
            let timestamp = next_timestamp(&client, parent);
            async move { Ok(sp_timestamp::InherentDataProvider::new(timestamp.into())) }
        }
    };

    let sealing_task = match sealing {
        Sealing::Instant => {
            let commands_stream =
                instant_seal_commands(transaction_pool.clone(), &task_manager.spawn_handle());
            sc_consensus_manual_seal::run_manual_seal(sc_consensus_manual_seal::ManualSealParams {
                block_import: client.clone(),
                env: proposer,
                client,
                pool: transaction_pool,
                commands_stream,
                select_chain,
                consensus_data_provider: None,
                create_inherent_data_providers,
            })
            .boxed()
        }
        Sealing::Manual | Sealing::Interval(_) => {
            let commands_stream = match sealing {
                Sealing::Interval(period) => {
                    futures::stream::select(rpc_sealing_commands, sealing_ticks(period)).boxed()
                }
                _ => rpc_sealing_commands.boxed(),
            };
            sc_consensus_manual_seal::run_manual_seal(sc_consensus_manual_seal::ManualSealParams {
                block_import: client.clone(),
                env: proposer,
                client,
                pool: transaction_pool,
                commands_stream,
                select_chain,
                consensus_data_provider: None,
                create_inherent_data_providers,
            })
            .boxed()
        }
    };
    task_manager
        .spawn_essential_handle()
        .spawn_blocking("sealing", None, sealing_task);

    Ok(task_manager)
}

/// `--alice` and friends: the account's sealing key and its session keys
/// (the consensus key), in the keystore before the network starts, so that
/// the transaction relay's handshake can tell what this node is.
/// `spawn_tasks` inserts the session keys again, which changes nothing.
fn insert_development_keys(
    config: &Configuration,
    client: &Arc<FullClient>,
    keystore: &sp_keystore::KeystorePtr,
) -> Result<(), ServiceError> {
    let Some(seed) = &config.dev_key_seed else {
        return Ok(());
    };
    keystore
        .sr25519_generate_new(cpchain_primitives::seal_crypto::KEY_TYPE, Some(seed))
        .map_err(|e| ServiceError::Other(format!("cannot insert the sealing key: {e}")))?;
    sp_session::generate_initial_session_keys(
        client.clone(),
        client.info().best_hash,
        vec![seed.clone()],
        keystore.clone(),
    )
    .map_err(|e| ServiceError::Other(format!("cannot insert the session keys: {e}")))
}

/// How often instant sealing looks at the pool when no transaction arrives.
const INSTANT_SEAL_RECHECK: Duration = Duration::from_millis(100);
/// How long instant sealing waits after a block that took nothing from a
/// pool that holds ready transactions (ones no block can take).
const INSTANT_SEAL_BACKOFF: Duration = Duration::from_secs(1);

/// Instant sealing that leaves nothing behind: a block, final at once,
/// whenever the pool holds ready transactions, one block at a time.
///
/// Substrate's `run_instant_seal_and_finalize` seals once per import
/// notification, and the pool drops notifications its bounded channel
/// cannot hold: under a burst most are lost, and the transactions left
/// in the pool then wait for a next submission that may never come
/// (issue 14 measured 10,846 of 12,000 accepted transfers never final).
/// Here a notification only wakes the loop; what it seals is decided by
/// the pool's ready count, read once the pool has taken in the last block.
fn instant_seal_commands(
    pool: Arc<GatedPool>,
    spawner: &sc_service::SpawnTaskHandle,
) -> impl futures::Stream<Item = EngineCommand<Hash>> + Send + 'static {
    use sc_transaction_pool_api::TransactionPool;
    let mut notifications = pool.import_notification_stream();
    let (mut commands, stream) = mpsc::channel(1);
    spawner.spawn("instant-sealing-commands", None, async move {
        let mut wait = INSTANT_SEAL_RECHECK;
        loop {
            let ready_before = pool.status().ready;
            if ready_before > 0 {
                let (sender, sealed) = futures::channel::oneshot::channel();
                let command = EngineCommand::SealNewBlock {
                    create_empty: false,
                    finalize: true,
                    parent_hash: None,
                    sender: Some(sender),
                };
                if futures::SinkExt::send(&mut commands, command)
                    .await
                    .is_err()
                {
                    return;
                }
                if let Ok(Ok(created)) = sealed.await {
                    // The ready count is current once the pool has
                    // taken in the block.
                    pool.ready_at_with_timeout(created.hash, Duration::from_secs(1))
                        .await;
                }
                if pool.status().ready < ready_before {
                    wait = INSTANT_SEAL_RECHECK;
                    continue;
                }
                wait = INSTANT_SEAL_BACKOFF;
            }
            let tick = tokio::time::sleep(wait);
            futures::select! {
                woken = notifications.next() => if woken.is_none() { return },
                _ = FutureExt::fuse(tick) => {},
            }
            // A burst's other notifications say nothing more.
            while notifications.try_recv().is_ok() {}
            wait = INSTANT_SEAL_RECHECK;
        }
    });
    stream
}

/// A command to seal and finalize a block every `period`.
fn sealing_ticks(
    period: Duration,
) -> impl futures::Stream<Item = EngineCommand<Hash>> + Send + 'static {
    let mut interval = tokio::time::interval(period);
    // After a slow block, carry on at the period rather than catching up in a burst.
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    futures::stream::unfold(interval, |mut interval| async move {
        interval.tick().await;
        let command = EngineCommand::SealNewBlock {
            create_empty: true,
            finalize: true,
            parent_hash: None,
            sender: None,
        };
        Some((command, interval))
    })
}

/// The timestamp of a block built on `parent`: the wall clock, but at
/// least one period past the parent's (the runtime's `MinimumPeriod`). A
/// burst of instant sealing runs the chain's clock ahead of the wall clock
/// by a period per block; it falls back in step while blocks are rarer.
fn next_timestamp(client: &FullClient, parent: Hash) -> u64 {
    let now = sp_timestamp::Timestamp::current().as_millis();
    let parent_timestamp = cpchain_consensus_dpor::authorship::timestamp_at(client, parent);
    let period = client
        .runtime_api()
        .config(parent)
        .ok()
        .flatten()
        .map_or(1, |config| config.period_ms)
        .max(1);
    now.max(parent_timestamp.saturating_add(period))
}
