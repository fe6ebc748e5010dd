//! `cpchain-node`: the CPChain node.

mod benchmarking;
mod builtin_rpc;
mod call_compat;
mod campaign_cli;
mod chain_spec;
mod cli;
mod command;
mod governance_cli;
mod market_cli;
mod market_crypto;
mod market_rpc;
mod pool_admission;
mod prover;
mod rpc;
mod rpc_client;
mod runtime_warmer;
mod service;
mod signing_client;
mod transaction_pool;

fn main() {
    if let Err(error) = command::run() {
        // One readable line instead of the Debug dump `main` would print.
        eprintln!("Error: {error}");
        std::process::exit(1);
    }
}
