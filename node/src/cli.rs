//! Command-line interface of `cpchain-node`.

use std::{fmt, str::FromStr, time::Duration};

/// How a development node seals blocks.
///
/// A developer feature that stays next to DPoR: front-end developers want a
/// chain that seals on demand or on every transaction.
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub enum Sealing {
    /// A block for every transaction that enters the pool, final at once.
    Instant,
    /// Blocks only when the `engine_createBlock` RPC asks for one.
    Manual,
    /// A block, final at once, every so many milliseconds.
    Interval(Duration),
}

impl Sealing {
    /// The default interval: one DPoR period of the dev chain.
    pub const DEFAULT_INTERVAL: Duration =
        Duration::from_millis(cpchain_runtime::MILLISECS_PER_BLOCK);
}

impl FromStr for Sealing {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "instant" => Ok(Sealing::Instant),
            "manual" => Ok(Sealing::Manual),
            "interval" => Ok(Sealing::Interval(Sealing::DEFAULT_INTERVAL)),
            other => match other.strip_prefix("interval=") {
                Some(ms) => match ms.parse::<u64>() {
                    Ok(ms) if ms > 0 => Ok(Sealing::Interval(Duration::from_millis(ms))),
                    _ => Err(format!(
                        "invalid interval {ms:?}: expected a positive number of milliseconds"
                    )),
                },
                None => Err(format!(
                    "unknown sealing mode {other:?}: expected instant, manual, interval or interval=<ms>"
                )),
            },
        }
    }
}

impl fmt::Display for Sealing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sealing::Instant => write!(f, "instant"),
            Sealing::Manual => write!(f, "manual"),
            Sealing::Interval(d) => write!(f, "interval={}", d.as_millis()),
        }
    }
}

/// Whether a DPoR node takes transactions from its peers.
#[derive(Debug, Copy, Clone, PartialEq, Eq, clap::ValueEnum)]
pub enum TakeTransactions {
    /// Every node but a validator that is no proposer of the current or next term.
    Auto,
    Yes,
    No,
}

#[derive(Debug, clap::Parser)]
#[command(
    propagate_version = true,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub subcommand: Option<Subcommand>,

    #[clap(flatten)]
    pub run: RunCmd,
}

#[derive(Debug, clap::Args)]
pub struct RunCmd {
    #[clap(flatten)]
    pub base: sc_cli::RunCmd,

    /// How this node seals blocks: `instant`, `manual`, `interval` (every 3 s) or
    /// `interval=<ms>`.
    ///
    /// Without this flag the node runs DPoR: it proposes and votes with the keys in its
    /// keystore (`--alice` and the like insert the well-known development keys) and
    /// otherwise follows the committee. Sealed blocks are final at once and carry no
    /// certificate; use sealing on development chains only.
    #[arg(long, value_name = "MODE")]
    pub sealing: Option<Sealing>,

    /// Whether this DPoR node takes transactions from its peers into its pool.
    ///
    /// Only proposers build blocks, and transactions travel towards them. With `auto` a
    /// validator that is no proposer of the current or next term takes none: it would
    /// validate transactions it never includes. Every other node takes them and passes
    /// them on towards the proposers. A node that takes none still validates and passes
    /// on what is submitted to its own RPC. Decided at start; the log says what and why.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = TakeTransactions::Auto)]
    pub take_transactions: TakeTransactions,
}

#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
    /// Key management: generate, inspect and insert keys.
    #[command(subcommand)]
    Key(sc_cli::KeySubcommand),

    /// Build a chain specification.
    #[deprecated(note = "build-spec will be removed; use export-chain-spec instead")]
    BuildSpec(sc_cli::BuildSpecCmd),

    /// Export the chain specification.
    ExportChainSpec(sc_cli::ExportChainSpecCmd),

    /// Validate blocks.
    CheckBlock(sc_cli::CheckBlockCmd),

    /// Export blocks.
    ExportBlocks(sc_cli::ExportBlocksCmd),

    /// Export the state of a given block into a chain spec.
    ExportState(sc_cli::ExportStateCmd),

    /// Import blocks.
    ImportBlocks(sc_cli::ImportBlocksCmd),

    /// Remove the whole chain.
    PurgeChain(sc_cli::PurgeChainCmd),

    /// Revert the chain to a previous state.
    Revert(sc_cli::RevertCmd),

    /// Database metadata: best and finalized blocks, genesis.
    ChainInfo(sc_cli::ChainInfoCmd),

    /// Runtime and node benchmarks.
    #[command(subcommand)]
    Benchmark(frame_benchmarking_cli::BenchmarkCmd),

    /// Find admission proof nonces (CPU and memory) for an account.
    AdmissionProve(crate::prover::AdmissionProveCmd),

    /// Start or stop campaigning for a proposer seat, or show its status.
    #[command(subcommand)]
    Campaign(crate::campaign_cli::CampaignCmd),

    /// The private market: keys, listings, orders, delivery and release.
    #[command(subcommand)]
    Market(crate::market_cli::MarketCmd),

    /// Runtime upgrades by the council: propose, vote, close and apply.
    #[command(subcommand)]
    Governance(crate::governance_cli::GovernanceCmd),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_modes_parse() {
        assert_eq!("instant".parse(), Ok(Sealing::Instant));
        assert_eq!("manual".parse(), Ok(Sealing::Manual));
        assert_eq!(
            "interval".parse(),
            Ok(Sealing::Interval(Duration::from_millis(3000)))
        );
        assert_eq!(
            "interval=250".parse(),
            Ok(Sealing::Interval(Duration::from_millis(250)))
        );
    }

    #[test]
    fn bad_sealing_modes_are_refused() {
        for bad in [
            "",
            "Instant",
            "interval=",
            "interval=0",
            "interval=-5",
            "interval=x",
            "aura",
        ] {
            assert!(bad.parse::<Sealing>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn sealing_round_trips_through_display() {
        for mode in [
            Sealing::Instant,
            Sealing::Manual,
            Sealing::Interval(Duration::from_millis(1234)),
        ] {
            assert_eq!(mode.to_string().parse(), Ok(mode));
        }
    }
}
