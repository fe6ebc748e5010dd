//! Which transaction pool a node runs, and how it revalidates.
//!
//! A DPoR block is final within its round, so there are no forks for
//! Substrate's fork-aware pool to follow, and its view bookkeeping lost
//! accepted transfers (`lost_transactions`, and 71,723 of 720,000 in a
//! 20-minute soak at 600 tx/s, each sent to one proposer). Nodes run the
//! single-state pool unless `--pool-type` names one.
//!
//! Substrate builds its single-state pool with "full" revalidation: after
//! every block, every ready transaction is queued to be validated again in
//! the background. With a backlog of N ready transfers that is N runtime
//! calls a block, on the proposers that also build the blocks: at 1,000
//! tx/s offered, each proposer validated every included transfer 3.3 to
//! 3.6 times, and the backlog grew because of it (scripts/bench-network.sh,
//! row "pool validations per included transfer"). Here the single-state
//! pool revalidates "lightly": all ready transactions once every 20 blocks
//! or 60 s. In between, a transaction a final block includes is pruned by
//! its tags (the pool follows finality: `crate::pool_admission`), one whose
//! era expired is dropped at each block, and one that no longer applies
//! (its sender's balance spent) is dropped when a proposer tries it. The
//! cost of that moves into block building: after a runtime upgrade, which
//! every signed transaction's spec version check turns invalid, proposers
//! try the old ones once each, until the next revalidation. Light
//! revalidation never resubmits the transactions of retracted blocks; a
//! pool that follows finality retracts none.

use std::{sync::Arc, time::Duration};

use prometheus_endpoint::Registry;
use sc_client_api::UsageProvider;
use sc_transaction_pool::{
    BasicPool, FullChainApi, Options, PoolLimit, RevalidationType, TransactionPoolHandle,
    TransactionPoolWrapper,
};
use sp_core::traits::SpawnEssentialNamed;
use sp_runtime::traits::Block as BlockT;

use crate::pool_admission::PoolLimits;

/// The pool a node runs, from its command line.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    /// `--pool-limit` and `--pool-kbytes`, for the admission gate.
    pub limits: PoolLimits,
    /// Whether the node runs the single-state pool (built here) rather than
    /// the fork-aware one (built by Substrate's builder).
    pub single_state: bool,
    /// How long a transaction found invalid stays banned.
    pub ban_time: Duration,
}

impl PoolSettings {
    /// From the command line, as Substrate's `TransactionPoolParams` reads
    /// it: the future queue gets a tenth of the limits, and a `--dev` node
    /// bans nothing unless `--tx-ban-seconds` says so.
    pub fn from_cli(params: &sc_cli::TransactionPoolParams, is_dev: bool) -> Self {
        let ban_time = match params.tx_ban_seconds {
            Some(seconds) => Duration::from_secs(seconds),
            None if is_dev => Duration::ZERO,
            None => Duration::from_secs(30 * 60),
        };
        Self {
            limits: PoolLimits::from_cli(params),
            single_state: matches!(params.pool_type, sc_cli::TransactionPoolType::SingleState),
            ban_time,
        }
    }

    /// The limits and ban time of Substrate's pool.
    pub fn options(&self) -> Options {
        Options {
            ready: PoolLimit {
                count: self.limits.count,
                total_bytes: self.limits.bytes,
            },
            future: PoolLimit {
                count: self.limits.count / 10,
                total_bytes: self.limits.bytes / 10,
            },
            reject_future_transactions: false,
            ban_time: self.ban_time,
        }
    }
}

/// The single-state pool with light revalidation.
pub fn single_state_pool<Block, Client>(
    settings: &PoolSettings,
    is_validator: bool,
    client: Arc<Client>,
    spawner: impl SpawnEssentialNamed,
    prometheus: Option<&Registry>,
) -> TransactionPoolHandle<Block, Client>
where
    Block: BlockT,
    Client: sp_api::ProvideRuntimeApi<Block>
        + sc_client_api::BlockBackend<Block>
        + sc_client_api::blockchain::HeaderBackend<Block>
        + sp_runtime::traits::BlockIdTo<Block>
        + sc_client_api::ExecutorProvider<Block>
        + UsageProvider<Block>
        + sp_blockchain::HeaderMetadata<Block, Error = sp_blockchain::Error>
        + Send
        + Sync
        + 'static,
    Client::Api: sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block>,
{
    let chain = client.usage_info().chain;
    let options = settings.options();
    log::info!(
        "Transaction pool: single-state, light revalidation, {} ready / {} future transactions, {} / {} KiB",
        options.ready.count,
        options.future.count,
        options.ready.total_bytes / 1024,
        options.future.total_bytes / 1024,
    );
    let api = Arc::new(FullChainApi::new(client, prometheus, &spawner));
    TransactionPoolWrapper(Box::new(BasicPool::with_revalidation_type(
        options,
        is_validator.into(),
        api,
        prometheus,
        RevalidationType::Light,
        spawner,
        chain.best_number,
        chain.best_hash,
        chain.finalized_hash,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Params {
        #[clap(flatten)]
        pool: sc_cli::TransactionPoolParams,
    }

    fn settings(args: &[&str], is_dev: bool) -> PoolSettings {
        let params = Params::parse_from(std::iter::once("node").chain(args.iter().copied()));
        PoolSettings::from_cli(&params.pool, is_dev)
    }

    #[test]
    fn the_options_are_substrates_for_the_same_flags() {
        let settings = settings(&["--pool-limit", "500", "--pool-kbytes", "100"], false);
        let options = settings.options();
        assert_eq!(
            (options.ready.count, options.ready.total_bytes),
            (500, 102_400)
        );
        assert_eq!(
            (options.future.count, options.future.total_bytes),
            (50, 10_240)
        );
        assert_eq!(options.ban_time, Duration::from_secs(1800));
        assert!(!options.reject_future_transactions);
    }

    /// Substrate's own reading of the same flags, compared through its
    /// `Debug` output (its fields are private), follows its code if it
    /// changes.
    #[test]
    fn the_options_equal_the_ones_substrate_makes() {
        for (args, is_dev) in [
            (&[][..], false),
            (&[][..], true),
            (&["--pool-limit", "123", "--pool-kbytes", "77"][..], false),
            (&["--tx-ban-seconds", "9"][..], true),
        ] {
            let params = Params::parse_from(std::iter::once("node").chain(args.iter().copied()));
            let ours = PoolSettings::from_cli(&params.pool, is_dev).options();
            let substrates = format!("{:?}", params.pool.transaction_pool(is_dev));
            assert!(
                substrates.contains(&format!("options: {ours:?}")),
                "{args:?}, dev {is_dev}: ours {ours:?}, Substrate's {substrates}"
            );
        }
    }

    #[test]
    fn a_dev_node_bans_nothing_unless_told() {
        assert_eq!(settings(&[], true).ban_time, Duration::ZERO);
        assert_eq!(
            settings(&["--tx-ban-seconds", "7"], true).ban_time,
            Duration::from_secs(7)
        );
    }

    #[test]
    fn the_pool_type_is_read() {
        assert!(settings(&["--pool-type", "single-state"], false).single_state);
        assert!(!settings(&["--pool-type", "fork-aware"], false).single_state);
    }
}
