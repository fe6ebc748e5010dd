//! Signed transactions for the node's tooling subcommands (`campaign`,
//! `market`): signs calls with an account's sr25519 key, submits them over
//! JSON-RPC, and, where asked, follows a transaction into a block and reads
//! its outcome from the block's events, so that a refused call is reported
//! by its error's name instead of being lost.

use std::{
    path::PathBuf,
    str::FromStr,
    time::{Duration, Instant},
};

use codec::{Decode, Encode};
use cpchain_primitives::{AccountId, Hash, SS58_PREFIX};
use cpchain_runtime::{RuntimeCall, RuntimeError, RuntimeEvent, VERSION};
use frame_system::{EventRecord, Phase};
use serde_json::{json, Value};
use sp_core::{
    crypto::{Ss58AddressFormat, Ss58Codec},
    sr25519, Pair, H256,
};
use sp_io::hashing::{blake2_256, twox_128};
use sp_runtime::DispatchError;

use crate::rpc_client::RpcClient;

#[derive(Debug, Clone, clap::Args)]
pub struct EndpointArgs {
    /// The node's JSON-RPC endpoint.
    #[arg(long, default_value = "http://127.0.0.1:9944")]
    pub url: String,
}

#[derive(Debug, Clone, clap::Args)]
#[group(id = "signer", required = true, multiple = false)]
pub struct SignerArgs {
    /// The account's secret URI (`//Alice`, a mnemonic, a hex seed). Keep
    /// it out of shell history: `--suri "$(cat key-file)"`.
    #[arg(long)]
    pub suri: Option<String>,
    /// Sign with the proposer sealing key (type `dpsl`, sr25519) in this
    /// keystore, e.g. a node's `<base-path>/chains/<chain>/keystore`; it
    /// must hold exactly one. Password-protected keystores are not supported.
    #[arg(long)]
    pub keystore_path: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct AccountArgs {
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// Who signs: a key pair from `--suri`, or a sealing key in a keystore.
pub enum Signer {
    Pair(sr25519::Pair),
    Keystore(sc_keystore::LocalKeystore, sr25519::Public),
}

impl Signer {
    pub fn public(&self) -> sr25519::Public {
        match self {
            Signer::Pair(pair) => pair.public(),
            Signer::Keystore(_, public) => *public,
        }
    }

    pub fn sign(&self, payload: &[u8]) -> Option<sr25519::Signature> {
        match self {
            Signer::Pair(pair) => Some(pair.sign(payload)),
            Signer::Keystore(keystore, public) => sp_keystore::Keystore::sr25519_sign(
                keystore,
                cpchain_primitives::seal_crypto::KEY_TYPE,
                public,
                payload,
            )
            .ok()
            .flatten(),
        }
    }
}

impl SignerArgs {
    pub fn signer(&self) -> sc_cli::Result<Signer> {
        if let Some(suri) = &self.suri {
            return sr25519::Pair::from_string(suri, None)
                .map(Signer::Pair)
                .map_err(|e| input(format!("--suri is not a valid sr25519 secret: {e:?}")));
        }
        let path = self
            .keystore_path
            .as_ref()
            .ok_or_else(|| input("give --suri or --keystore-path".into()))?;
        if !path.is_dir() {
            return Err(input(format!(
                "--keystore-path {}: no such directory",
                path.display()
            )));
        }
        let keystore = sc_keystore::LocalKeystore::open(path, None)
            .map_err(|e| input(format!("--keystore-path {}: {e}", path.display())))?;
        let keys = sp_keystore::Keystore::sr25519_public_keys(
            &keystore,
            cpchain_primitives::seal_crypto::KEY_TYPE,
        );
        let [public] = keys[..] else {
            return Err(input(format!(
                "--keystore-path {} holds {} sealing keys (type dpsl); it must hold exactly one \
                 (`cpchain-node key insert --key-type dpsl --scheme sr25519 ...`), or give --suri",
                path.display(),
                keys.len()
            )));
        };
        Ok(Signer::Keystore(keystore, public))
    }
}

pub fn input(message: String) -> sc_cli::Error {
    sc_cli::Error::Input(message)
}

/// `who` in the chain's ss58 format.
pub fn address(who: &AccountId) -> String {
    who.to_ss58check_with_version(Ss58AddressFormat::custom(SS58_PREFIX))
}

pub fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes `0x`-prefixed (or bare) hex.
pub fn hex_bytes(hex: &str) -> Result<Vec<u8>, String> {
    let digits = hex.strip_prefix("0x").unwrap_or(hex);
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits in {hex:?}"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|_| format!("not hex: {hex:?}")))
        .collect()
}

/// A read-only connection to a node.
pub struct ChainReader {
    rpc: RpcClient,
}

impl ChainReader {
    pub fn open(endpoint: &EndpointArgs) -> sc_cli::Result<Self> {
        Ok(Self {
            rpc: RpcClient::new(&endpoint.url).map_err(input)?,
        })
    }

    pub fn call(&self, method: &str, params: Value) -> sc_cli::Result<Value> {
        self.rpc.call(method, params).map_err(input)
    }

    pub fn hash_of(&self, number: u64) -> sc_cli::Result<H256> {
        let hash = self.call("chain_getBlockHash", json!([number]))?;
        hash.as_str()
            .and_then(|hex| H256::from_str(hex).ok())
            .ok_or_else(|| input(format!("the node knows no block {number}")))
    }

    pub fn best_number(&self) -> sc_cli::Result<u64> {
        let header = self.call("chain_getHeader", json!([]))?;
        header["number"]
            .as_str()
            .and_then(|hex| u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok())
            .ok_or_else(|| input("the node's best header has no number".into()))
    }

    /// The events of the block `at`, decoded with this binary's runtime types.
    pub fn events_at(&self, at: H256) -> sc_cli::Result<Vec<EventRecord<RuntimeEvent, Hash>>> {
        let key = [twox_128(b"System"), twox_128(b"Events")].concat();
        let value = self.call(
            "state_getStorage",
            json!([format!("0x{}", hex_string(&key)), format!("{at:?}")]),
        )?;
        let Some(hex) = value.as_str() else {
            return Ok(Vec::new());
        };
        let bytes = hex_bytes(hex).map_err(input)?;
        Vec::<EventRecord<RuntimeEvent, Hash>>::decode(&mut &bytes[..]).map_err(|e| {
            input(format!(
                "the block's events do not decode with this binary's runtime types ({e}); \
                 use a cpchain-node matching the node's runtime"
            ))
        })
    }
}

/// A transaction that made it into a block.
pub struct Included {
    pub block: H256,
    /// The events the transaction emitted, the outcome event included.
    pub events: Vec<RuntimeEvent>,
}

/// An account that signs and submits calls.
pub struct SigningClient {
    pub reader: ChainReader,
    pub signer: Signer,
    pub account: AccountId,
    /// Sign for the chain's runtime when it differs from this binary's,
    /// if the calls of these pallets, the only ones signed, encode alike in
    /// both (`call_compat`): what `governance` needs, since it upgrades a
    /// chain that still runs the old runtime.
    pub sign_for_older_runtime: Option<&'static [&'static str]>,
}

impl SigningClient {
    pub fn open(args: &AccountArgs) -> sc_cli::Result<Self> {
        let reader = ChainReader::open(&args.endpoint)?;
        let signer = args.signer.signer()?;
        let account = AccountId::from(signer.public());
        Ok(Self {
            reader,
            signer,
            account,
            sign_for_older_runtime: None,
        })
    }

    pub fn call(&self, method: &str, params: Value) -> sc_cli::Result<Value> {
        self.reader.call(method, params)
    }

    /// Which of `pallets` have calls that encode otherwise in the chain's
    /// runtime than in this binary's.
    fn differing_pallets(&self, pallets: &[&str]) -> sc_cli::Result<Vec<String>> {
        let answer = self.call(
            "state_call",
            json!(["Metadata_metadata_at_version", "0x0f000000"]),
        )?;
        let bytes = answer
            .as_str()
            .and_then(|hex| hex_bytes(hex).ok())
            .ok_or_else(|| input("state_call gave no metadata".into()))?;
        let theirs = crate::call_compat::decode_v15(&bytes).map_err(input)?;
        let ours = crate::call_compat::own_v15().map_err(input)?;
        Ok(crate::call_compat::differing_pallets(
            &ours, &theirs, pallets,
        ))
    }

    pub fn address(&self) -> String {
        address(&self.account)
    }

    /// Signs `calls` with consecutive nonces and submits them in order;
    /// gives their hashes.
    pub fn submit(&self, calls: Vec<RuntimeCall>) -> sc_cli::Result<Vec<H256>> {
        let version = self.call("state_getRuntimeVersion", json!([]))?;
        let chain_spec = version["specVersion"]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| input("state_getRuntimeVersion gave no specVersion".into()))?;
        let chain_tx = version["transactionVersion"]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| input("state_getRuntimeVersion gave no transactionVersion".into()))?;
        let mismatch = |why: String| {
            input(format!(
                "the node runs runtime spec version {chain_spec} (transaction version \
                 {chain_tx}), this binary signs for {} (transaction version {}){why}; use a \
                 matching cpchain-node",
                VERSION.spec_version, VERSION.transaction_version
            ))
        };
        if chain_spec != VERSION.spec_version {
            let Some(pallets) = self.sign_for_older_runtime else {
                return Err(mismatch(String::new()));
            };
            // Also on an equal transaction version: that one covers the
            // calls, not the transaction extensions around them.
            let differing = self.differing_pallets(pallets)?;
            if !differing.is_empty() {
                return Err(mismatch(format!(", and {} differ", differing.join(", "))));
            }
        }
        let genesis = self.reader.hash_of(0)?;
        let nonce = self
            .call("system_accountNextIndex", json!([self.address()]))?
            .as_u64()
            .ok_or_else(|| input("system_accountNextIndex gave no number".into()))?;
        let mut hashes = Vec::new();
        for (offset, call) in calls.into_iter().enumerate() {
            let nonce =
                u32::try_from(nonce + offset as u64).map_err(|_| input("nonce overflow".into()))?;
            let encoded = cpchain_runtime::sign_extrinsic_at(
                call,
                self.signer.public(),
                nonce,
                genesis,
                (chain_spec, chain_tx),
                |payload| self.signer.sign(payload),
            )
            .ok_or_else(|| input("the keystore did not sign".into()))?
            .encode();
            self.call(
                "author_submitExtrinsic",
                json!([format!("0x{}", hex_string(&encoded))]),
            )?;
            hashes.push(H256(blake2_256(&encoded)));
        }
        Ok(hashes)
    }

    /// Submits `call` and follows it into a block. A dispatch error comes
    /// back as an error naming it, e.g. `PrivateMarket(InsufficientEscrow)`.
    pub fn submit_and_watch(
        &self,
        call: RuntimeCall,
        timeout: Duration,
    ) -> sc_cli::Result<Included> {
        let from = self.reader.best_number()?;
        let hash = self.submit(vec![call])?[0];
        let deadline = Instant::now() + timeout;
        let mut next = from;
        loop {
            while next <= self.reader.best_number()? {
                let block = self.reader.hash_of(next)?;
                if let Some(index) = self.position_in(block, hash)? {
                    return self.outcome(block, index);
                }
                next += 1;
            }
            if Instant::now() > deadline {
                return Err(input(format!(
                    "transaction {hash:?} was submitted but not seen in a block within {timeout:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    fn position_in(&self, block: H256, tx: H256) -> sc_cli::Result<Option<u32>> {
        let body = self.call("chain_getBlock", json!([format!("{block:?}")]))?;
        let extrinsics = body["block"]["extrinsics"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (index, xt) in extrinsics.iter().enumerate() {
            let bytes = hex_bytes(xt.as_str().unwrap_or_default()).map_err(input)?;
            if blake2_256(&bytes) == tx.0 {
                return Ok(Some(index as u32));
            }
        }
        Ok(None)
    }

    fn outcome(&self, block: H256, index: u32) -> sc_cli::Result<Included> {
        let events: Vec<RuntimeEvent> = self
            .reader
            .events_at(block)?
            .into_iter()
            .filter(|record| record.phase == Phase::ApplyExtrinsic(index))
            .map(|record| record.event)
            .collect();
        for event in &events {
            if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
                dispatch_error,
                ..
            }) = event
            {
                return Err(input(format!(
                    "the chain refused the call: {}",
                    describe(*dispatch_error)
                )));
            }
        }
        Ok(Included { block, events })
    }
}

fn describe(error: DispatchError) -> String {
    match RuntimeError::from_dispatch_error(error) {
        Some(named) => format!("{named:?}"),
        None => format!("{error:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_bad_hex_is_refused() {
        assert_eq!(hex_bytes("0x00ff10"), Ok(vec![0, 255, 16]));
        assert_eq!(hex_bytes("abcd"), Ok(vec![0xab, 0xcd]));
        assert!(hex_bytes("0xabc").is_err());
        assert!(hex_bytes("0xzz").is_err());
        assert_eq!(hex_string(&[1, 0xab]), "01ab");
    }

    #[test]
    fn module_errors_are_named() {
        let error = DispatchError::from(
            pallet_private_market::Error::<cpchain_runtime::Runtime>::InsufficientEscrow,
        );
        assert_eq!(describe(error), "PrivateMarket(InsufficientEscrow)");
    }
}
