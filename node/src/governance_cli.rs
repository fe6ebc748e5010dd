//! `cpchain-node governance upgrade|vote|status`: a runtime upgrade by the
//! council, from the command line.
//!
//! A chain without a sudo key reaches Root only through the council, in two
//! motions that each need two thirds of the members:
//!
//! 1. `whitelist.whitelistCall(hash of system.authorizeUpgrade(code_hash))`;
//! 2. `whitelist.dispatchWhitelistedCallWithPreimage(system.authorizeUpgrade(code_hash))`.
//!
//! Then anyone submits `system.applyAuthorizedUpgrade(code)`, which
//! frame-system accepts only for that code and a higher `spec_version`.
//!
//! `upgrade` takes every step its signer can take, in order (propose, vote,
//! close, apply), and stops where other members must vote, saying how many
//! ayes are missing. Run again, it goes on from the chain's state, so each
//! member can run it, or `vote`, in any order.

use std::{path::PathBuf, time::Duration};

use codec::{Decode, Encode};
use cpchain_primitives::{AccountId, BlockNumber, Hash};
use cpchain_runtime::{RuntimeCall, RuntimeEvent};
use frame_support::dispatch::GetDispatchInfo;
use serde_json::json;
use sp_core::H256;
use sp_io::hashing::{twox_128, twox_64};
use sp_runtime::traits::{BlakeTwo256, Hash as _};

use crate::signing_client::{
    address, hex_bytes, hex_string, input, AccountArgs, ChainReader, EndpointArgs, SigningClient,
};

type CouncilCall = pallet_collective::Call<cpchain_runtime::Runtime, pallet_collective::Instance1>;
type CouncilEvent =
    pallet_collective::Event<cpchain_runtime::Runtime, pallet_collective::Instance1>;

/// How long a step waits for its transaction to be included.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, clap::Args)]
pub struct CodeArgs {
    /// The new runtime: a `.compact.compressed.wasm` (or plain `.wasm`)
    /// built by `cargo build --release -p cpchain-runtime`.
    #[arg(long, value_name = "FILE")]
    pub wasm: PathBuf,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum GovernanceCmd {
    /// Upgrade the runtime to `--wasm`: propose, vote and close the two
    /// council motions, then apply the code, as far as this member can.
    Upgrade {
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        code: CodeArgs,
    },
    /// Vote aye on the open motion of the upgrade to `--wasm` (`--nay` to
    /// reject it), and close it if that makes two thirds.
    Vote {
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        code: CodeArgs,
        /// Vote against the motion.
        #[arg(long)]
        nay: bool,
    },
    /// Show where the upgrade to `--wasm` stands. Signs nothing.
    Status {
        #[command(flatten)]
        endpoint: EndpointArgs,
        #[command(flatten)]
        code: CodeArgs,
    },
}

impl GovernanceCmd {
    pub fn run(&self) -> sc_cli::Result<()> {
        match self {
            GovernanceCmd::Upgrade { account, code } => {
                let upgrade = Upgrade::load(code)?;
                let session = Session::open(account)?;
                session.upgrade(&upgrade)
            }
            GovernanceCmd::Vote { account, code, nay } => {
                let upgrade = Upgrade::load(code)?;
                let session = Session::open(account)?;
                session.vote(&upgrade, !nay)
            }
            GovernanceCmd::Status { endpoint, code } => {
                let upgrade = Upgrade::load(code)?;
                let reader = ChainReader::open(endpoint)?;
                let stage = stage(&reader, &upgrade)?;
                println!("{}", describe_stage(&reader, &upgrade, &stage)?);
                Ok(())
            }
        }
    }
}

/// The runtime an upgrade installs, and the calls that install it.
struct Upgrade {
    code: Vec<u8>,
    code_hash: Hash,
    spec_name: String,
    spec_version: u32,
}

impl Upgrade {
    fn load(args: &CodeArgs) -> sc_cli::Result<Self> {
        let code = std::fs::read(&args.wasm)
            .map_err(|e| input(format!("cannot read {}: {e}", args.wasm.display())))?;
        let blob = sc_executor_common::runtime_blob::RuntimeBlob::uncompress_if_needed(&code)
            .map_err(|e| {
                input(format!(
                    "{} is not a wasm runtime: {e}",
                    args.wasm.display()
                ))
            })?;
        let version = sc_executor::read_embedded_version(&blob)
            .map_err(|e| {
                input(format!(
                    "{} is not a wasm runtime: {e}",
                    args.wasm.display()
                ))
            })?
            .ok_or_else(|| {
                input(format!(
                    "{} has no embedded runtime version; build it with substrate-wasm-builder",
                    args.wasm.display()
                ))
            })?;
        check_runtime_apis(&version)
            .map_err(|missing| input(format!("{}: {missing}", args.wasm.display())))?;
        let max_length = *cpchain_runtime::configs::RuntimeBlockLength::get()
            .max
            .get(frame_support::dispatch::DispatchClass::Operational)
            as usize;
        // The code travels in one extrinsic; leave room for its envelope.
        if code.len() + 1024 > max_length {
            return Err(input(format!(
                "{} is {} bytes; a block carries at most {max_length}: use the \
                 .compact.compressed.wasm",
                args.wasm.display(),
                code.len()
            )));
        }
        Ok(Self {
            code_hash: BlakeTwo256::hash(&code),
            code,
            spec_name: version.spec_name.to_string(),
            spec_version: version.spec_version,
        })
    }

    fn authorize(&self) -> RuntimeCall {
        RuntimeCall::System(frame_system::Call::authorize_upgrade {
            code_hash: self.code_hash,
        })
    }

    fn whitelist_motion(&self) -> RuntimeCall {
        RuntimeCall::Whitelist(pallet_whitelist::Call::whitelist_call {
            call_hash: BlakeTwo256::hash_of(&self.authorize()),
        })
    }

    fn dispatch_motion(&self) -> RuntimeCall {
        RuntimeCall::Whitelist(
            pallet_whitelist::Call::dispatch_whitelisted_call_with_preimage {
                call: Box::new(self.authorize()),
            },
        )
    }

    fn apply(&self) -> RuntimeCall {
        RuntimeCall::System(frame_system::Call::apply_authorized_upgrade {
            code: self.code.clone(),
        })
    }
}

/// The runtime APIs the node cannot run a chain without, with the lowest
/// version it understands. A runtime without them would halt the chain,
/// and a halted chain cannot vote a fix.
fn check_runtime_apis(version: &sp_version::RuntimeVersion) -> Result<(), String> {
    use cpchain_primitives::{runtime_api::DporApi, AccountId};
    use sp_api::{Core, RuntimeApiInfo};
    use sp_block_builder::BlockBuilder;
    use sp_transaction_pool::runtime_api::TaggedTransactionQueue;
    type Block = cpchain_runtime::Block;
    let needed: [(&str, [u8; 8], u32); 4] = [
        ("Core", <dyn Core<Block>>::ID, 1),
        ("BlockBuilder", <dyn BlockBuilder<Block>>::ID, 1),
        (
            "TaggedTransactionQueue",
            <dyn TaggedTransactionQueue<Block>>::ID,
            1,
        ),
        ("DporApi", <dyn DporApi<Block, AccountId>>::ID, 2),
    ];
    for (name, id, lowest) in needed {
        match version.api_version(&id) {
            Some(v) if v >= lowest => {}
            Some(v) => {
                return Err(format!(
                    "its {name} is version {v}, the node needs {lowest} or later"
                ))
            }
            None => {
                return Err(format!(
                    "it lacks the {name} runtime API; the chain would halt"
                ))
            }
        }
    }
    Ok(())
}

/// `pallet_collective::Votes`, whose fields are private.
#[derive(Decode, Debug)]
struct Votes {
    index: u32,
    threshold: u32,
    ayes: Vec<AccountId>,
    nays: Vec<AccountId>,
    end: BlockNumber,
}

/// Where an upgrade stands on chain.
enum Stage {
    /// The chain already runs a runtime of this or a higher spec version.
    Done { chain_spec: u32 },
    /// A motion is needed: `open` is its vote, if it has been proposed.
    Motion {
        step: u8,
        call: RuntimeCall,
        open: Option<Votes>,
    },
    /// The council has authorized the code; it only needs applying.
    Authorized,
}

fn storage_key(pallet: &str, item: &str) -> Vec<u8> {
    [twox_128(pallet.as_bytes()), twox_128(item.as_bytes())].concat()
}

fn read_storage(reader: &ChainReader, key: &[u8]) -> sc_cli::Result<Option<Vec<u8>>> {
    let value = reader.call(
        "state_getStorage",
        json!([format!("0x{}", hex_string(key))]),
    )?;
    match value.as_str() {
        Some(hex) => Ok(Some(hex_bytes(hex).map_err(input)?)),
        None => Ok(None),
    }
}

fn hex_string_0x(bytes: &[u8]) -> String {
    format!("0x{}", hex_string(bytes))
}

fn chain_spec_version(reader: &ChainReader) -> sc_cli::Result<(String, u32)> {
    let version = reader.call("state_getRuntimeVersion", json!([]))?;
    let spec = version["specVersion"]
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| input("state_getRuntimeVersion gave no specVersion".into()))?;
    let name = version["specName"].as_str().unwrap_or_default().to_string();
    Ok((name, spec))
}

fn council_members(reader: &ChainReader) -> sc_cli::Result<Vec<AccountId>> {
    let Some(bytes) = read_storage(reader, &storage_key("Council", "Members"))? else {
        return Ok(Vec::new());
    };
    Vec::<AccountId>::decode(&mut &bytes[..])
        .map_err(|e| input(format!("Council.Members does not decode: {e}")))
}

/// Two thirds of `members`, rounded up: what `CouncilTwoThirds` accepts.
fn two_thirds(members: usize) -> u32 {
    (2 * members as u32).div_ceil(3).max(1)
}

fn stage(reader: &ChainReader, upgrade: &Upgrade) -> sc_cli::Result<Stage> {
    let (chain_name, chain_spec) = chain_spec_version(reader)?;
    if chain_name != upgrade.spec_name {
        return Err(input(format!(
            "the wasm is runtime `{}`, the chain runs `{chain_name}`",
            upgrade.spec_name
        )));
    }
    let running = reader.call("state_getStorageHash", json!([hex_string_0x(b":code")]))?;
    if running.as_str() == Some(&format!("{:?}", upgrade.code_hash)) {
        return Ok(Stage::Done { chain_spec });
    }
    if chain_spec >= upgrade.spec_version {
        // frame-system would refuse it too (SpecVersionNeedsToIncrease),
        // but only after two motions.
        return Err(input(format!(
            "the wasm's spec_version {} is not above the chain's {chain_spec}: \
             a runtime upgrade must raise spec_version",
            upgrade.spec_version
        )));
    }
    if let Some(bytes) = read_storage(reader, &storage_key("System", "AuthorizedUpgrade"))? {
        // `CodeUpgradeAuthorization { code_hash, check_version }`.
        let authorized = H256::decode(&mut &bytes[..])
            .map_err(|e| input(format!("System.AuthorizedUpgrade does not decode: {e}")))?;
        if authorized == upgrade.code_hash {
            return Ok(Stage::Authorized);
        }
    }
    let authorize_hash = BlakeTwo256::hash_of(&upgrade.authorize());
    let whitelisted_key = [
        storage_key("Whitelist", "WhitelistedCall"),
        twox_64(authorize_hash.as_bytes()).to_vec(),
        authorize_hash.as_bytes().to_vec(),
    ]
    .concat();
    let (step, call) = if read_storage(reader, &whitelisted_key)?.is_some() {
        (2, upgrade.dispatch_motion())
    } else {
        (1, upgrade.whitelist_motion())
    };
    let voting_key = [
        storage_key("Council", "Voting"),
        BlakeTwo256::hash_of(&call).as_bytes().to_vec(),
    ]
    .concat();
    let open = read_storage(reader, &voting_key)?
        .map(|bytes| {
            Votes::decode(&mut &bytes[..])
                .map_err(|e| input(format!("Council.Voting does not decode: {e}")))
        })
        .transpose()?;
    Ok(Stage::Motion { step, call, open })
}

fn describe_stage(
    reader: &ChainReader,
    upgrade: &Upgrade,
    stage: &Stage,
) -> sc_cli::Result<String> {
    let (_, chain_spec) = chain_spec_version(reader)?;
    let head = format!(
        "upgrade of runtime spec {chain_spec} to spec {} (code hash {:?}, {} bytes)",
        upgrade.spec_version,
        upgrade.code_hash,
        upgrade.code.len()
    );
    let members = council_members(reader)?;
    Ok(match stage {
        Stage::Done { chain_spec } => format!("{head}: done, the chain runs spec {chain_spec}"),
        Stage::Authorized => format!(
            "{head}: authorized by the council; missing: anyone applies it \
             (`cpchain-node governance upgrade`, or system.applyAuthorizedUpgrade)"
        ),
        Stage::Motion {
            step, open: None, ..
        } => format!(
            "{head}: motion {step} of 2 ({}) not proposed yet; missing: a council member \
             ({} members) runs `cpchain-node governance upgrade`",
            motion_name(*step),
            members.len()
        ),
        Stage::Motion {
            step,
            open: Some(votes),
            ..
        } => format!(
            "{head}: motion {step} of 2 ({}), council proposal #{}: {} of {} ayes, {} nays, \
             voting ends at block {}; {}",
            motion_name(*step),
            votes.index,
            votes.ayes.len(),
            votes.threshold,
            votes.nays.len(),
            votes.end,
            if votes.threshold < two_thirds(members.len()) {
                format!(
                    "its threshold is below two thirds of {} members, so it cannot pass as \
                     Root: members vote nay (`governance vote --nay`) and close it, then \
                     `governance upgrade` proposes it again",
                    members.len()
                )
            } else if votes.ayes.len() as u32 >= votes.threshold {
                "missing: a member closes it (`governance vote` or `governance upgrade`)"
                    .to_string()
            } else {
                format!(
                    "missing: {} more aye(s) (`cpchain-node governance vote`); not yet voted: {}",
                    votes.threshold - votes.ayes.len() as u32,
                    members
                        .iter()
                        .filter(|m| !votes.ayes.contains(m) && !votes.nays.contains(m))
                        .map(address)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ),
    })
}

/// The weight the chain's runtime gives `call`: `close` must bound the
/// weight that runtime computes, which may exceed this binary's figure.
fn chain_call_weight(
    reader: &ChainReader,
    call: &RuntimeCall,
) -> sc_cli::Result<frame_support::weights::Weight> {
    let mut args = call.encode();
    (call.encoded_size() as u32).encode_to(&mut args);
    let answer = reader.call(
        "state_call",
        json!([
            "TransactionPaymentCallApi_query_call_info",
            hex_string_0x(&args)
        ]),
    )?;
    let bytes = hex_bytes(answer.as_str().unwrap_or_default()).map_err(input)?;
    let info =
        pallet_transaction_payment::RuntimeDispatchInfo::<cpchain_primitives::Balance>::decode(
            &mut &bytes[..],
        )
        .map_err(|e| {
            input(format!(
                "the chain's weight of the motion does not decode: {e}"
            ))
        })?;
    // Its total weight includes the extrinsic overhead, so it covers the
    // call's own weight, which is what `close` compares.
    Ok(info.weight.max(call.get_dispatch_info().call_weight))
}

fn motion_name(step: u8) -> &'static str {
    match step {
        1 => "whitelist the authorization",
        _ => "dispatch the whitelisted authorization",
    }
}

/// The pallets whose calls `governance` signs: an upgrade's motions, their
/// whitelisted call and its dispatch.
const GOVERNANCE_PALLETS: &[&str] = &["System", "Council", "Whitelist"];

struct Session {
    client: SigningClient,
}

impl Session {
    fn open(args: &AccountArgs) -> sc_cli::Result<Self> {
        let mut client = SigningClient::open(args)?;
        // The chain runs the runtime being replaced, not this binary's.
        client.sign_for_older_runtime = Some(GOVERNANCE_PALLETS);
        Ok(Self { client })
    }

    fn reader(&self) -> &ChainReader {
        &self.client.reader
    }

    fn is_member(&self) -> sc_cli::Result<bool> {
        Ok(council_members(self.reader())?.contains(&self.client.account))
    }

    fn submit(&self, what: &str, call: RuntimeCall) -> sc_cli::Result<Vec<RuntimeEvent>> {
        let included = self.client.submit_and_watch(call, STEP_TIMEOUT)?;
        println!("{what}: included in block {:?}", included.block);
        Ok(included.events)
    }

    fn upgrade(&self, upgrade: &Upgrade) -> sc_cli::Result<()> {
        // Each pass takes one step; a motion can need three (propose, vote,
        // close), so two motions and the apply fit in ten.
        for _ in 0..10 {
            let stage = stage(self.reader(), upgrade)?;
            match stage {
                Stage::Done { .. } => {
                    println!("{}", describe_stage(self.reader(), upgrade, &stage)?);
                    return Ok(());
                }
                Stage::Authorized => {
                    self.submit(
                        "applied the authorized code (system.applyAuthorizedUpgrade)",
                        upgrade.apply(),
                    )?;
                    return self.await_new_runtime(upgrade);
                }
                Stage::Motion {
                    open: None,
                    step,
                    call,
                } => {
                    self.require_member()?;
                    let members = council_members(self.reader())?;
                    let threshold = two_thirds(members.len());
                    let length = call.encoded_size() as u32;
                    self.submit(
                        &format!(
                            "proposed motion {step} of 2 ({}) with threshold {threshold} of {}",
                            motion_name(step),
                            members.len()
                        ),
                        RuntimeCall::Council(CouncilCall::propose {
                            threshold,
                            proposal: Box::new(call),
                            length_bound: length,
                        }),
                    )?;
                }
                Stage::Motion {
                    open: Some(votes),
                    step,
                    call,
                } => {
                    if !self.step_motion(step, &call, &votes)? {
                        println!(
                            "{}",
                            describe_stage(self.reader(), upgrade, &self.current(upgrade)?)?
                        );
                        return Ok(());
                    }
                }
            }
        }
        Err(input(
            "the upgrade did not settle in ten steps; run `governance status`".into(),
        ))
    }

    fn current(&self, upgrade: &Upgrade) -> sc_cli::Result<Stage> {
        stage(self.reader(), upgrade)
    }

    fn vote(&self, upgrade: &Upgrade, aye: bool) -> sc_cli::Result<()> {
        match self.current(upgrade)? {
            Stage::Motion {
                open: Some(votes),
                step,
                call,
            } => {
                if aye {
                    self.step_motion(step, &call, &votes)?;
                    // Close at once if this aye made two thirds.
                    if let Stage::Motion {
                        open: Some(votes),
                        step,
                        call,
                    } = self.current(upgrade)?
                    {
                        let seats = council_members(self.reader())?.len();
                        if votes.ayes.len() as u32 >= votes.threshold.max(two_thirds(seats)) {
                            self.close(&call, &votes, step)?;
                        }
                    }
                } else {
                    self.require_member()?;
                    self.cast(&call, &votes, false, step)?;
                }
            }
            Stage::Motion {
                open: None, step, ..
            } => {
                return Err(input(format!(
                    "motion {step} of 2 ({}) is not proposed yet: a member runs \
                     `cpchain-node governance upgrade` first",
                    motion_name(step)
                )))
            }
            _ => {}
        }
        println!(
            "{}",
            describe_stage(self.reader(), upgrade, &self.current(upgrade)?)?
        );
        Ok(())
    }

    fn require_member(&self) -> sc_cli::Result<()> {
        if self.is_member()? {
            Ok(())
        } else {
            Err(input(format!(
                "{} is not a council member: only members propose and vote",
                self.client.address()
            )))
        }
    }

    /// Votes aye on an open motion if this member has not, and closes it
    /// once it has two thirds. Whether anything was done.
    fn step_motion(&self, step: u8, call: &RuntimeCall, votes: &Votes) -> sc_cli::Result<bool> {
        let seats = council_members(self.reader())?.len();
        if votes.threshold < two_thirds(seats) {
            // Someone proposed the same call with a low threshold: closed
            // with its ayes it would fail with BadOrigin and spend the
            // motion. Vote it down instead, and close it once it cannot pass.
            if !votes.nays.contains(&self.client.account) {
                self.require_member()?;
                self.cast(call, votes, false, step)?;
                return Ok(true);
            }
            if votes.nays.len() as u32 > seats as u32 - votes.threshold {
                self.close(call, votes, step)?;
                return Ok(true);
            }
            return Ok(false);
        }
        if votes.ayes.len() as u32 >= votes.threshold {
            self.close(call, votes, step)?;
            return Ok(true);
        }
        if votes.ayes.contains(&self.client.account) {
            return Ok(false);
        }
        self.require_member()?;
        self.cast(call, votes, true, step)?;
        Ok(true)
    }

    fn cast(
        &self,
        call: &RuntimeCall,
        votes: &Votes,
        approve: bool,
        step: u8,
    ) -> sc_cli::Result<()> {
        self.submit(
            &format!(
                "voted {} on motion {step} of 2, council proposal #{}",
                if approve { "aye" } else { "nay" },
                votes.index
            ),
            RuntimeCall::Council(CouncilCall::vote {
                proposal: BlakeTwo256::hash_of(call),
                index: votes.index,
                approve,
            }),
        )?;
        Ok(())
    }

    fn close(&self, call: &RuntimeCall, votes: &Votes, step: u8) -> sc_cli::Result<()> {
        let events = self.submit(
            &format!(
                "closed motion {step} of 2, council proposal #{}",
                votes.index
            ),
            RuntimeCall::Council(CouncilCall::close {
                proposal_hash: BlakeTwo256::hash_of(call),
                index: votes.index,
                proposal_weight_bound: chain_call_weight(self.reader(), call)?,
                length_bound: call.encoded_size() as u32,
            }),
        )?;
        for event in events {
            match event {
                RuntimeEvent::Council(CouncilEvent::Executed {
                    result: Err(error), ..
                }) => {
                    return Err(input(format!(
                        "motion {step} passed but its call failed: {error:?}"
                    )))
                }
                RuntimeEvent::Council(CouncilEvent::Disapproved { .. }) => {
                    return Err(input(format!("motion {step} was disapproved")))
                }
                RuntimeEvent::Whitelist(pallet_whitelist::Event::DispatchDeferred { .. }) => {
                    return Err(input(format!(
                        "motion {step} passed, but the authorization was no longer whitelisted, \
                         so nothing was dispatched; run `governance status`"
                    )))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Waits for the block after the upgrade, whose runtime is the new one.
    fn await_new_runtime(&self, upgrade: &Upgrade) -> sc_cli::Result<()> {
        let deadline = std::time::Instant::now() + STEP_TIMEOUT;
        loop {
            let (_, chain_spec) = chain_spec_version(self.reader())?;
            if chain_spec == upgrade.spec_version {
                println!("the chain runs spec {chain_spec}: upgrade done");
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(input(format!(
                    "the code was applied but the node still reports spec {chain_spec} after \
                     {STEP_TIMEOUT:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{check_runtime_apis, two_thirds};

    #[test]
    fn a_runtime_without_the_apis_the_node_needs_is_refused() {
        let mut version = cpchain_runtime::VERSION;
        assert_eq!(check_runtime_apis(&version), Ok(()));
        let without_dpor: Vec<([u8; 8], u32)> = version
            .apis
            .iter()
            .filter(|(id, _)| {
                *id != <dyn cpchain_primitives::runtime_api::DporApi<
                    cpchain_runtime::Block,
                    cpchain_primitives::AccountId,
                > as sp_api::RuntimeApiInfo>::ID
            })
            .cloned()
            .collect();
        version.apis = without_dpor.into();
        let refusal = check_runtime_apis(&version).unwrap_err();
        assert!(refusal.contains("DporApi"), "{refusal}");
    }

    #[test]
    fn the_threshold_is_two_thirds_rounded_up() {
        assert_eq!(two_thirds(1), 1);
        assert_eq!(two_thirds(2), 2);
        assert_eq!(two_thirds(3), 2);
        assert_eq!(two_thirds(4), 3);
        assert_eq!(two_thirds(6), 4);
        assert_eq!(two_thirds(7), 5);
    }
}
