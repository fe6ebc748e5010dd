//! `cpchain-node campaign start|stop|status`: the seed's "start mining"
//! from the command line. `start` proves admission with the prover, joins
//! as an RNode if needed and claims a campaign; `stop` quits it; `status`
//! shows the candidacy. They talk to a node over JSON-RPC.

use std::{
    str::FromStr,
    time::{Duration, Instant},
};

use codec::Encode;
use cpchain_primitives::{traits::AdmissionProof, AccountId, SS58_PREFIX};
use cpchain_runtime::{CampaignCall, RuntimeCall, VERSION};
use pallet_admission::proof::{find_nonce, ProofKind};
use serde_json::{json, Value};
use sp_core::{
    crypto::{Ss58AddressFormat, Ss58Codec},
    sr25519, Pair, H256,
};

use crate::rpc_client::RpcClient;

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

#[derive(Debug, Clone, clap::Args)]
pub struct AccountArgs {
    /// The node's JSON-RPC endpoint.
    #[arg(long, default_value = "http://127.0.0.1:9944")]
    pub url: String,
    /// The account's secret URI (`//Alice`, a mnemonic, a hex seed). Keep
    /// it out of shell history: `--suri "$(cat key-file)"`.
    #[arg(long)]
    pub suri: String,
}

fn input(message: String) -> sc_cli::Error {
    sc_cli::Error::Input(message)
}

fn address(who: &AccountId) -> String {
    who.to_ss58check_with_version(Ss58AddressFormat::custom(SS58_PREFIX))
}

struct Session {
    rpc: RpcClient,
    pair: sr25519::Pair,
    account: AccountId,
}

impl Session {
    fn open(args: &AccountArgs) -> sc_cli::Result<Self> {
        let rpc = RpcClient::new(&args.url).map_err(input)?;
        let pair = sr25519::Pair::from_string(&args.suri, None)
            .map_err(|e| input(format!("--suri is not a valid sr25519 secret: {e:?}")))?;
        let account = AccountId::from(pair.public());
        Ok(Self { rpc, pair, account })
    }

    fn call(&self, method: &str, params: Value) -> sc_cli::Result<Value> {
        self.rpc.call(method, params).map_err(input)
    }

    fn hash_of(&self, number: u64) -> sc_cli::Result<H256> {
        let hash = self.call("chain_getBlockHash", json!([number]))?;
        hash.as_str()
            .and_then(|hex| H256::from_str(hex).ok())
            .ok_or_else(|| input(format!("the node knows no block {number}")))
    }

    fn best_number(&self) -> sc_cli::Result<u64> {
        let header = self.call("chain_getHeader", json!([]))?;
        header["number"]
            .as_str()
            .and_then(|hex| u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok())
            .ok_or_else(|| input("the node's best header has no number".into()))
    }

    fn status(&self) -> sc_cli::Result<Value> {
        let who = address(&self.account);
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

    /// Signs `calls` with consecutive nonces and submits them in order.
    fn submit(&self, calls: Vec<RuntimeCall>) -> sc_cli::Result<()> {
        let version = self.call("state_getRuntimeVersion", json!([]))?;
        if version["specVersion"].as_u64() != Some(u64::from(VERSION.spec_version)) {
            return Err(input(format!(
                "the node runs runtime spec version {}, this binary signs for {}; use a matching cpchain-node",
                version["specVersion"], VERSION.spec_version
            )));
        }
        let genesis = self.hash_of(0)?;
        let nonce = self
            .call("system_accountNextIndex", json!([address(&self.account)]))?
            .as_u64()
            .ok_or_else(|| input("system_accountNextIndex gave no number".into()))?;
        for (offset, call) in calls.into_iter().enumerate() {
            let nonce =
                u32::try_from(nonce + offset as u64).map_err(|_| input("nonce overflow".into()))?;
            let xt = cpchain_runtime::sign_extrinsic(call, &self.pair, nonce, genesis);
            let hex = format!("0x{}", hex_string(&xt.encode()));
            self.call("author_submitExtrinsic", json!([hex]))?;
        }
        Ok(())
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

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
                let block_number = session.best_number()?.saturating_sub(1);
                let block_hash = session.hash_of(block_number)?;
                let settings = session.call("admission_getSettings", json!([]))?;
                let difficulty =
                    |key: &str| settings[key].as_u64().unwrap_or(u64::MAX).min(256) as u16;
                let prove = |kind, difficulty| {
                    find_nonce(
                        kind,
                        session.account.as_ref(),
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
