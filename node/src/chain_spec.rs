//! Chain specifications: the built-in `dev`, `local` and `production`
//! (template) chains, or a JSON file.

use cpchain_primitives::{currency, SS58_PREFIX};
use sc_service::{ChainType, Properties};
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};

/// A chain spec of the CPChain runtime. No extensions yet.
pub type ChainSpec = sc_service::GenericChainSpec;

/// The token as wallets show it: CPC, 18 decimals, CPChain addresses.
fn properties() -> Properties {
    let mut properties = Properties::new();
    properties.insert("tokenSymbol".into(), currency::TOKEN_SYMBOL.into());
    properties.insert("tokenDecimals".into(), currency::TOKEN_DECIMALS.into());
    properties.insert("ss58Format".into(), SS58_PREFIX.into());
    properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
    cpchain_runtime::WASM_BINARY.ok_or_else(|| {
        "this cpchain-node was built without its runtime (SKIP_WASM_BUILD was set); \
         rebuild it without SKIP_WASM_BUILD, or pass a chain spec JSON with --chain"
            .to_string()
    })
}

/// A single-node development chain (`--dev`, `--chain dev`).
pub fn development_chain_spec() -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm_binary()?, None)
        .with_name("CPChain Development")
        .with_id("cpchain_dev")
        .with_protocol_id("cpc")
        .with_chain_type(ChainType::Development)
        .with_genesis_config_preset_name(DEV_RUNTIME_PRESET)
        .with_properties(properties())
        .build())
}

/// A local multi-node test network (`--chain local`).
pub fn local_testnet_chain_spec() -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm_binary()?, None)
        .with_name("CPChain Local Testnet")
        .with_id("cpchain_local_testnet")
        .with_protocol_id("cpc")
        .with_chain_type(ChainType::Local)
        .with_genesis_config_preset_name(LOCAL_TESTNET_RUNTIME_PRESET)
        .with_properties(properties())
        .build())
}

/// The mainnet's shape with placeholder accounts (`--chain production`): a
/// template for operators, who edit the accounts in (see
/// `chain-specs/README.md`). A node refuses to run it unedited.
pub fn production_chain_spec() -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm_binary()?, None)
        .with_name("CPChain")
        .with_id("cpchain")
        .with_protocol_id("cpc")
        .with_chain_type(ChainType::Live)
        .with_genesis_config_preset_name(
            cpchain_runtime::genesis_config_presets::PRODUCTION_RUNTIME_PRESET,
        )
        .with_properties(properties())
        .build())
}

/// Resolves `--chain`: a built-in name, or the path of a chain spec JSON file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
    Ok(match id {
        "dev" | "development" => Box::new(development_chain_spec()?),
        "" | "local" | "local_testnet" => Box::new(local_testnet_chain_spec()?),
        "production" => Box::new(production_chain_spec()?),
        path => {
            let path = std::path::PathBuf::from(path);
            if !path.is_file() {
                return Err(format!(
                    "--chain {}: no built-in chain has this name (try dev, local or production) \
                     and no chain spec file exists at this path",
                    path.display()
                ));
            }
            Box::new(
                ChainSpec::from_json_file(path.clone()).map_err(|e| {
                    format!("--chain {}: not a valid chain spec: {e}", path.display())
                })?,
            )
        }
    })
}
