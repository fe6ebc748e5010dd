//! Dispatches `cpchain-node`'s subcommands.

use cpchain_primitives::OpaqueBlock as Block;
use frame_benchmarking_cli::{BenchmarkCmd, ExtrinsicFactory, SUBSTRATE_REFERENCE_HARDWARE};
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;
use sp_keyring::Sr25519Keyring;

use crate::{
    benchmarking::{inherent_benchmark_data, RemarkBuilder, TransferKeepAliveBuilder},
    chain_spec,
    cli::{Cli, Subcommand},
    service,
};

impl SubstrateCli for Cli {
    fn impl_name() -> String {
        "CPChain Node".into()
    }

    fn impl_version() -> String {
        env!("SUBSTRATE_CLI_IMPL_VERSION").into()
    }

    fn description() -> String {
        env!("CARGO_PKG_DESCRIPTION").into()
    }

    fn author() -> String {
        env!("CARGO_PKG_AUTHORS").into()
    }

    fn support_url() -> String {
        "https://github.com/cpchain/cpchain-substrate/issues".into()
    }

    fn copyright_start_year() -> i32 {
        2026
    }

    fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
        chain_spec::load(id)
    }
}

pub fn run() -> sc_cli::Result<()> {
    let mut cli = Cli::from_args();
    // Addresses in RPC parameters, logs and `key` output use CPChain's prefix.
    sp_core::crypto::set_default_ss58_version(cpchain_primitives::SS58_PREFIX.into());

    match &cli.subcommand {
        Some(Subcommand::Key(cmd)) => cmd.run(&cli),
        Some(Subcommand::AdmissionProve(cmd)) => cmd.run(),
        Some(Subcommand::Campaign(cmd)) => cmd.run(),
        Some(Subcommand::Market(cmd)) => cmd.run(),
        Some(Subcommand::Governance(cmd)) => cmd.run(),
        #[allow(deprecated)]
        Some(Subcommand::BuildSpec(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
        }
        Some(Subcommand::ExportChainSpec(cmd)) => {
            let chain_spec = cli.load_spec(&cmd.chain)?;
            cmd.run(chain_spec)
        }
        Some(Subcommand::CheckBlock(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents {
                    client,
                    task_manager,
                    import_queue,
                    ..
                } = service::new_partial(&config)?;
                Ok((cmd.run(client, import_queue), task_manager))
            })
        }
        Some(Subcommand::ExportBlocks(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents {
                    client,
                    task_manager,
                    ..
                } = service::new_partial(&config)?;
                Ok((cmd.run(client, config.database), task_manager))
            })
        }
        Some(Subcommand::ExportState(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents {
                    client,
                    task_manager,
                    ..
                } = service::new_partial(&config)?;
                Ok((cmd.run(client, config.chain_spec), task_manager))
            })
        }
        Some(Subcommand::ImportBlocks(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents {
                    client,
                    task_manager,
                    import_queue,
                    ..
                } = service::new_partial(&config)?;
                Ok((cmd.run(client, import_queue), task_manager))
            })
        }
        Some(Subcommand::PurgeChain(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run(config.database))
        }
        Some(Subcommand::Revert(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents {
                    client,
                    task_manager,
                    backend,
                    ..
                } = service::new_partial(&config)?;
                Ok((cmd.run(client, backend, None), task_manager))
            })
        }
        Some(Subcommand::ChainInfo(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run::<Block>(&config))
        }
        Some(Subcommand::Benchmark(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| match cmd {
                BenchmarkCmd::Pallet(cmd) => {
                    if !cfg!(feature = "runtime-benchmarks") {
                        return Err(NO_RUNTIME_BENCHMARKS.into());
                    }
                    cmd.run_with_spec::<sp_runtime::traits::HashingFor<Block>, ()>(Some(
                        config.chain_spec,
                    ))
                }
                BenchmarkCmd::Block(cmd) => {
                    let PartialComponents { client, .. } = service::new_partial(&config)?;
                    cmd.run(client)
                }
                #[cfg(not(feature = "runtime-benchmarks"))]
                BenchmarkCmd::Storage(_) => Err(NO_RUNTIME_BENCHMARKS.into()),
                #[cfg(feature = "runtime-benchmarks")]
                BenchmarkCmd::Storage(cmd) => {
                    let PartialComponents {
                        client, backend, ..
                    } = service::new_partial(&config)?;
                    let db = backend.expose_db();
                    let storage = backend.expose_storage();
                    let shared_trie_cache = backend.expose_shared_trie_cache();
                    cmd.run(config, client, db, storage, shared_trie_cache)
                }
                BenchmarkCmd::Overhead(cmd) => {
                    cmd.run_with_default_builder_and_spec::<Block, ()>(Some(config.chain_spec))
                }
                BenchmarkCmd::Extrinsic(cmd) => {
                    let PartialComponents { client, .. } = service::new_partial(&config)?;
                    let ext_factory = ExtrinsicFactory(vec![
                        Box::new(RemarkBuilder::new(client.clone())),
                        Box::new(TransferKeepAliveBuilder::new(
                            client.clone(),
                            Sr25519Keyring::Alice.to_account_id(),
                            cpchain_runtime::configs::EXISTENTIAL_DEPOSIT,
                        )),
                    ]);
                    cmd.run(client, inherent_benchmark_data()?, Vec::new(), &ext_factory)
                }
                BenchmarkCmd::Machine(cmd) => {
                    cmd.run(&config, SUBSTRATE_REFERENCE_HARDWARE.clone())
                }
            })
        }
        None => {
            let pool_type_given =
                std::env::args().any(|arg| arg == "--pool-type" || arg.starts_with("--pool-type="));
            if !pool_type_given {
                // Why: crate::transaction_pool.
                cli.run.base.pool_config.pool_type = sc_cli::TransactionPoolType::SingleState;
            }
            if cli.run.sealing.is_none() {
                // For an operator who chooses the fork-aware pool: DPoR's
                // only blocks off the best chain are impeach candidates,
                // dead once their height is final, when their state is
                // discarded; a view on one refused transactions with "State
                // already discarded" (scripts/bench-network.sh --submit-to
                // one: 106 of 35,000 at 500 tx/s).
                cli.run.base.pool_config.pool_best_blocks_only = true;
            }
            let runner = cli.create_runner(&cli.run.base)?;
            let sealing = cli.run.sealing;
            let take_transactions = cli.run.take_transactions;
            let pool = crate::transaction_pool::PoolSettings::from_cli(
                &cli.run.base.pool_config,
                cli.run.base.shared_params.is_dev(),
            );
            runner.run_node_until_exit(|mut config| async move {
                claim_rpc_ports_strictly(&mut config)?;
                match config.network.network_backend {
                    sc_network::config::NetworkBackendType::Libp2p => {
                        service::new_full::<
                            sc_network::NetworkWorker<
                                Block,
                                <Block as sp_runtime::traits::Block>::Hash,
                            >,
                        >(config, sealing, take_transactions, pool)
                    }
                    sc_network::config::NetworkBackendType::Litep2p => {
                        service::new_full::<sc_network::Litep2pNetworkBackend>(
                            config,
                            sealing,
                            take_transactions,
                            pool,
                        )
                    }
                }
                .map_err(sc_cli::Error::Service)
            })
        }
    }
}

/// Substrate silently moves the RPC server to a random port when the
/// requested one is taken. Front ends and operators configured for that port
/// would then talk to whatever else holds it, so a taken port is an error.
fn claim_rpc_ports_strictly(config: &mut sc_service::Configuration) -> sc_cli::Result<()> {
    let Some(endpoints) = config.rpc.addr.as_mut() else {
        return Ok(());
    };
    for endpoint in endpoints.iter_mut() {
        endpoint.retry_random_port = false;
        if endpoint.is_optional || endpoint.listen_addr.port() == 0 {
            continue;
        }
        if let Err(e) = std::net::TcpListener::bind(endpoint.listen_addr) {
            return Err(sc_cli::Error::Input(format!(
                "cannot listen for RPC on {}: {e}; stop what uses it or choose another port with --rpc-port",
                endpoint.listen_addr
            )));
        }
    }
    Ok(())
}

const NO_RUNTIME_BENCHMARKS: &str = "this cpchain-node was built without runtime benchmarks; \
     rebuild it with `cargo build --release --features runtime-benchmarks`";
