//! `cpchain-node admission-prove`: finds admission proof nonces for an
//! account over a block hash, offline, with the same code the runtime
//! verifies with.

use std::{str::FromStr, time::Instant};

use cpchain_primitives::AccountId;
use pallet_admission::proof::{find_nonce, ProofKind, MAX_DIFFICULTY};
use serde_json::json;
use sp_core::{crypto::Ss58Codec, H256};

#[derive(Debug, Clone, clap::Parser)]
pub struct AdmissionProveCmd {
    /// The account the proofs are for (SS58).
    #[arg(long)]
    pub account: String,

    /// The number of the block the proofs reference: recent, at most the
    /// chain's acceptable age (see `admission_getSettings`).
    #[arg(long)]
    pub block_number: u32,

    /// That block's hash (0x-prefixed hex).
    #[arg(long)]
    pub block_hash: String,

    #[arg(long, default_value_t = pallet_admission::DEFAULT_CPU_DIFFICULTY)]
    pub cpu_difficulty: u16,

    #[arg(long, default_value_t = pallet_admission::DEFAULT_MEMORY_DIFFICULTY)]
    pub memory_difficulty: u16,

    /// Give up after this many nonces per proof.
    #[arg(long, default_value_t = 100_000_000)]
    pub max_tries: u64,
}

impl AdmissionProveCmd {
    /// Prints `{"cpu": {"blockNumber", "nonce"}, "memory": {...}, "millis"}`.
    pub fn run(&self) -> sc_cli::Result<()> {
        let account = AccountId::from_ss58check(&self.account).map_err(|e| {
            sc_cli::Error::Input(format!("--account is not a CPChain address: {e:?}"))
        })?;
        let block_hash = H256::from_str(&self.block_hash).map_err(|e| {
            sc_cli::Error::Input(format!("--block-hash is not a 32-byte hex hash: {e}"))
        })?;
        for (name, difficulty) in [
            ("cpu", self.cpu_difficulty),
            ("memory", self.memory_difficulty),
        ] {
            if difficulty > MAX_DIFFICULTY {
                return Err(sc_cli::Error::Input(format!(
                    "--{name}-difficulty {difficulty} is above {MAX_DIFFICULTY}"
                )));
            }
        }

        let started = Instant::now();
        let prove = |kind, difficulty, name: &str| {
            find_nonce(
                kind,
                account.as_ref(),
                block_hash.as_ref(),
                difficulty,
                0,
                self.max_tries,
            )
            .ok_or_else(|| {
                sc_cli::Error::Input(format!(
                    "no {name} nonce within {} tries; raise --max-tries",
                    self.max_tries
                ))
            })
        };
        let cpu = prove(ProofKind::Cpu, self.cpu_difficulty, "CPU")?;
        let memory = prove(ProofKind::Memory, self.memory_difficulty, "memory")?;
        let output = json!({
            "cpu": { "blockNumber": self.block_number, "nonce": cpu },
            "memory": { "blockNumber": self.block_number, "nonce": memory },
            "millis": started.elapsed().as_millis() as u64,
        });
        println!("{output}");
        Ok(())
    }
}
