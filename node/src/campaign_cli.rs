//! `cpchain-node campaign start|stop|status`: the seed's "start mining"
//! from the command line. `start` proves admission with the prover, joins
//! as an RNode if needed and claims a campaign; `stop` quits it; `status`
//! shows the candidacy. They talk to a node over JSON-RPC.

use std::time::{Duration, Instant};

use cpchain_primitives::traits::AdmissionProof;
use cpchain_runtime::{CampaignCall, RuntimeCall};
use pallet_admission::proof::{find_nonce, ProofKind};
use serde_json::{json, Value};

use crate::signing_client::{input, AccountArgs, SigningClient};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum CampaignCmd {
    /// Prove admission, join as an RNode if needed, and claim a campaign.
    Start {
        #[command(flatten)]
        account: AccountArgs,
        /// How many terms to claim.
        #[arg(long, default_value_t = 1)]
        terms: u32,
        /// Give up the proof search after this many nonces per proof.
        #[arg(long, default_value_t = 100_000_000)]
        max_tries: u64,
    },
    /// Quit the campaign: leave every term not yet elected.
    Stop {
        #[command(flatten)]
        account: AccountArgs,
    },
    /// Show the account's RNode and campaign state.
    Status {
        #[command(flatten)]
        account: AccountArgs,
    },
}

struct Session {
    client: SigningClient,
}

impl Session {
    fn open(args: &AccountArgs) -> sc_cli::Result<Self> {
        Ok(Self {
            client: SigningClient::open(args)?,
        })
    }

    fn call(&self, method: &str, params: Value) -> sc_cli::Result<Value> {
        self.client.call(method, params)
    }

    fn status(&self) -> sc_cli::Result<Value> {
        let who = self.client.address();
        let rnodes = self.call("campaign_getRnodes", json!([]))?;
        let is_rnode = rnodes
            .as_array()
            .is_some_and(|list| list.iter().any(|a| a.as_str() == Some(&who)));
        Ok(json!({
            "account": who,
            "rnode": is_rnode,
            "candidacy": self.call("campaign_getCandidateInfo", json!([who]))?,
            "rpt": self.call("rpt_getRpt", json!([who]))?,
            "currentTerm": self.call("dpor_getCurrentTerm", json!([]))?,
        }))
    }

    fn submit(&self, calls: Vec<RuntimeCall>) -> sc_cli::Result<()> {
        self.client.submit(calls).map(drop)
    }

    /// Polls `done` on the status until it holds or `timeout` passes.
    fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> sc_cli::Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self.status()?;
            if done(&status) {
                return Ok(status);
            }
            if Instant::now() > deadline {
                return Err(input(format!(
                    "the transactions were submitted but not seen in a block within {timeout:?}; \
                     check again with `campaign status`: {status}"
                )));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl CampaignCmd {
    pub fn run(&self) -> sc_cli::Result<()> {
        let wait = Duration::from_secs(120);
        let output = match self {
            CampaignCmd::Status { account } => Session::open(account)?.status()?,
            CampaignCmd::Stop { account } => {
                let session = Session::open(account)?;
                let before = session.status()?["candidacy"].clone();
                if before.is_null() {
                    return Err(input("the account holds no candidacy".into()));
                }
                let before = before["terms"].clone();
                session.submit(vec![RuntimeCall::Campaign(CampaignCall::quit_campaign {})])?;
                session.wait_until(wait, |status| status["candidacy"]["terms"] != before)?
            }
            CampaignCmd::Start {
                account,
                terms,
                max_tries,
            } => {
                let session = Session::open(account)?;
                let status = session.status()?;
                if !status["candidacy"].is_null() {
                    return Err(input(format!(
                        "the account is a candidate already: {}",
                        status["candidacy"]
                    )));
                }
                // The proofs reference the best block's parent, as the original did.
                let block_number = session.client.reader.best_number()?.saturating_sub(1);
                let block_hash = session.client.reader.hash_of(block_number)?;
                let settings = session.call("admission_getSettings", json!([]))?;
                let difficulty =
                    |key: &str| settings[key].as_u64().unwrap_or(u64::MAX).min(256) as u16;
                let prove = |kind, difficulty| {
                    find_nonce(
                        kind,
                        session.client.account.as_ref(),
                        block_hash.as_ref(),
                        difficulty,
                        0,
                        *max_tries,
                    )
                    .ok_or_else(|| input(format!("no {kind:?} proof within {max_tries} nonces")))
                };
                let block_number = u32::try_from(block_number)
                    .map_err(|_| input("block number overflow".into()))?;
                let cpu = AdmissionProof {
                    block_number,
                    nonce: prove(ProofKind::Cpu, difficulty("cpuDifficulty"))?,
                };
                let memory = AdmissionProof {
                    block_number,
                    nonce: prove(ProofKind::Memory, difficulty("memoryDifficulty"))?,
                };

                let mut calls = Vec::new();
                if status["rnode"] != json!(true) {
                    calls.push(RuntimeCall::Campaign(CampaignCall::join_rnode {
                        cpu,
                        memory,
                    }));
                }
                calls.push(RuntimeCall::Campaign(CampaignCall::claim_campaign {
                    terms: *terms,
                    cpu,
                    memory,
                }));
                session.submit(calls)?;
                session.wait_until(wait, |status| !status["candidacy"].is_null())?
            }
        };
        println!("{output}");
        Ok(())
    }
}
