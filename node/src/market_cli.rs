//! `cpchain-node market ...`: the private market's eight steps from the
//! command line, for sellers, buyers and the agent. Secrets stay on the
//! user's machine in a wallet file (the x25519 encryption key and the item
//! keys of the seller's listings); the chain sees only ciphertexts, hashes,
//! parties, amounts and states. Every command prints JSON on stdout.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Duration,
};

use cpchain_primitives::{currency::CPC, Balance};
use cpchain_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use pallet_private_market::{Call as MarketCall, Event as MarketEvent};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sp_runtime::BoundedVec;

use crate::{
    market_crypto::{self as crypto, EncryptionKeypair},
    signing_client::{
        hex_bytes, hex_string, input, AccountArgs, ChainReader, EndpointArgs, SigningClient,
    },
};

/// How long a command waits for its transaction to land in a block.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, clap::Args)]
pub struct WalletArg {
    /// The market wallet file: the encryption key and the item keys.
    #[arg(long)]
    pub wallet: PathBuf,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum MarketCmd {
    /// Create a wallet file with a fresh x25519 encryption key.
    Keygen {
        #[command(flatten)]
        wallet: WalletArg,
    },
    /// Publish the wallet's encryption public key for the account (agents
    /// must; buyers may, or give it per order).
    RegisterKey {
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        wallet: WalletArg,
    },
    /// Step 1: encrypt the private fields and list an item.
    List {
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        wallet: WalletArg,
        /// The price: plancks (`1500`) or CPC (`1.5cpc`).
        #[arg(long)]
        price: String,
        /// What everyone may read: title, category, size.
        #[arg(long, default_value = "")]
        meta: String,
        /// The private fields (name, ipfs cid, description), as text.
        #[arg(long, conflicts_with = "private_file")]
        private: Option<String>,
        /// The private fields, from a file.
        #[arg(long)]
        private_file: Option<PathBuf>,
    },
    /// Step 2: the listed items' public data.
    Items {
        #[command(flatten)]
        endpoint: EndpointArgs,
        #[arg(long, default_value_t = 0)]
        from: u64,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Step 3: hold an amount of the account's balance as market escrow.
    Deposit {
        #[command(flatten)]
        account: AccountArgs,
        /// Plancks (`1500`) or CPC (`1.5cpc`).
        #[arg(long)]
        amount: String,
    },
    /// Release escrow not committed to an order.
    Withdraw {
        #[command(flatten)]
        account: AccountArgs,
        /// Plancks (`1500`) or CPC (`1.5cpc`).
        #[arg(long)]
        amount: String,
    },
    /// Step 4: order an item, paying from escrow; the wallet's key receives the item key.
    Order {
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        wallet: WalletArg,
        #[arg(long)]
        item: u64,
    },
    /// Step 5: orders waiting for this seller to deliver.
    Pending {
        #[command(flatten)]
        account: AccountArgs,
    },
    /// Step 6: deliver the item key, sealed to the buyer's key.
    Deliver {
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        wallet: WalletArg,
        #[arg(long)]
        order: u64,
    },
    /// Step 7: decrypt an item: the buyer by `--order`, the seller or the
    /// agent by `--item`.
    Open {
        #[command(flatten)]
        endpoint: EndpointArgs,
        #[command(flatten)]
        wallet: WalletArg,
        #[arg(long, conflicts_with = "item", required_unless_present = "item")]
        order: Option<u64>,
        #[arg(long)]
        item: Option<u64>,
    },
    /// Step 7: confirm the delivery, after checking that the delivered key
    /// opens the item and the plaintext matches its hash.
    Confirm {
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        wallet: WalletArg,
        #[arg(long)]
        order: u64,
    },
    /// Step 7, otherwise: dispute the delivery.
    Dispute {
        #[command(flatten)]
        account: AccountArgs,
        #[arg(long)]
        order: u64,
    },
    /// Turn down an order not delivered yet (the seller): the buyer's
    /// escrow is refunded in full and the order slot is freed.
    Reject {
        #[command(flatten)]
        account: AccountArgs,
        #[arg(long)]
        order: u64,
    },
    /// Step 8 (the agent): pay the seller of a confirmed order.
    Release {
        #[command(flatten)]
        account: AccountArgs,
        #[arg(long)]
        order: u64,
    },
    /// Settle a dispute (the agent).
    Resolve {
        #[command(flatten)]
        account: AccountArgs,
        #[arg(long)]
        order: u64,
        /// Pay the seller; without it the buyer is refunded.
        #[arg(long)]
        pay_seller: bool,
    },
    /// Apply an order's timeout rule once its timeout has passed.
    ClaimTimeout {
        #[command(flatten)]
        account: AccountArgs,
        #[arg(long)]
        order: u64,
    },
    /// Withdraw an unsold item.
    Cancel {
        #[command(flatten)]
        account: AccountArgs,
        #[arg(long)]
        item: u64,
    },
    /// An order's public state.
    ShowOrder {
        #[command(flatten)]
        endpoint: EndpointArgs,
        #[arg(long)]
        order: u64,
    },
}

/// Parses `1500` (plancks) or `1.5cpc` / `1.5 CPC` (18 decimals).
pub fn parse_amount(text: &str) -> Result<Balance, String> {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    let bad = || format!("{text:?} is not an amount: give plancks (1500) or CPC (1.5cpc)");
    let Some(cpc) = lower.strip_suffix("cpc") else {
        return trimmed.parse::<Balance>().map_err(|_| bad());
    };
    let cpc = cpc.trim();
    let (whole, fraction) = cpc.split_once('.').unwrap_or((cpc, ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.len() > 18
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: Balance = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let fraction: Balance = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<18}").parse().map_err(|_| bad())?
    };
    whole
        .checked_mul(CPC)
        .and_then(|p| p.checked_add(fraction))
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// The wallet file. It holds secrets: written with mode 0600.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wallet {
    encryption_secret: String,
    encryption_public: String,
    /// Item keys of this seller's listings, by item id.
    #[serde(default)]
    item_keys: BTreeMap<u64, String>,
}

impl Wallet {
    fn create(path: &Path) -> sc_cli::Result<Wallet> {
        if path.exists() {
            return Err(input(format!(
                "{} exists; keygen never overwrites a wallet",
                path.display()
            )));
        }
        let keypair = EncryptionKeypair::generate();
        let wallet = Wallet {
            encryption_secret: format!("0x{}", hex_string(&keypair.secret())),
            encryption_public: format!("0x{}", hex_string(&keypair.public())),
            item_keys: BTreeMap::new(),
        };
        wallet.save(path)?;
        Ok(wallet)
    }

    fn load(path: &Path) -> sc_cli::Result<Wallet> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            input(format!(
                "cannot read the wallet {}: {e} (create one with `market keygen`)",
                path.display()
            ))
        })?;
        serde_json::from_str(&text)
            .map_err(|e| input(format!("{} is not a market wallet: {e}", path.display())))
    }

    /// Writes a temporary file and renames it over the wallet, so that a
    /// crash leaves the old or the new wallet, never half of one.
    fn save(&self, path: &Path) -> sc_cli::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| input(e.to_string()))?;
        let temporary = path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let write = |options: &std::fs::OpenOptions| -> std::io::Result<()> {
            use std::io::Write;
            let mut file = options.open(&temporary)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temporary, path)
        };
        write(&options)
            .map_err(|e| input(format!("cannot write the wallet {}: {e}", path.display())))
    }

    fn keypair(&self) -> sc_cli::Result<EncryptionKeypair> {
        Ok(EncryptionKeypair::from_secret(key32(
            &self.encryption_secret,
            "the wallet's encryption secret",
        )?))
    }

    fn public(&self) -> sc_cli::Result<[u8; 32]> {
        Ok(self.keypair()?.public())
    }

    fn item_key(&self, item: u64) -> sc_cli::Result<Option<[u8; 32]>> {
        self.item_keys
            .get(&item)
            .map(|hex| key32(hex, "an item key in the wallet"))
            .transpose()
    }
}

fn key32(hex: &str, what: &str) -> sc_cli::Result<[u8; 32]> {
    hex_bytes(hex)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| input(format!("{what} is not 32 bytes of hex")))
}

fn bytes_field(value: &Value, field: &str) -> sc_cli::Result<Vec<u8>> {
    value[field]
        .as_str()
        .ok_or_else(|| input(format!("the node's answer has no {field}: {value}")))
        .and_then(|hex| hex_bytes(hex).map_err(input))
}

fn bounded<S: sp_core::Get<u32>>(bytes: Vec<u8>, what: &str) -> sc_cli::Result<BoundedVec<u8, S>> {
    let len = bytes.len();
    BoundedVec::try_from(bytes).map_err(|_| {
        input(format!(
            "{what} is {len} bytes; the chain takes at most {}",
            S::get()
        ))
    })
}

fn market(call: MarketCall<Runtime>) -> RuntimeCall {
    RuntimeCall::PrivateMarket(call)
}

fn item_of(reader: &ChainReader, item: u64) -> sc_cli::Result<Value> {
    let found = reader.call("market_getItem", json!([item]))?;
    if found.is_null() {
        return Err(input(format!("no item {item} is listed")));
    }
    Ok(found)
}

fn order_of(reader: &ChainReader, order: u64) -> sc_cli::Result<Value> {
    let found = reader.call("market_getOrder", json!([order]))?;
    if found.is_null() {
        return Err(input(format!("no order {order} exists")));
    }
    Ok(found)
}

/// Decrypts `item`'s private fields with `key` and checks them against the
/// hash the chain recorded.
fn open_item(item: &Value, key: &[u8; 32]) -> sc_cli::Result<Value> {
    let fields = crypto::decrypt_fields(key, &bytes_field(item, "sealedFields")?)
        .map_err(|e| input(format!("item {}: {e}", item["id"])))?;
    let hash_matches = bytes_field(item, "plaintextHash")? == crypto::plaintext_hash(&fields);
    Ok(json!({
        "item": item["id"],
        "plaintextHashMatches": hash_matches,
        "fields": String::from_utf8(fields.clone())
            .unwrap_or_else(|_| format!("0x{}", hex_string(&fields))),
    }))
}

/// What a buyer recovers through its order's delivered key.
fn open_order(reader: &ChainReader, wallet: &Wallet, order: u64) -> sc_cli::Result<Value> {
    let found = order_of(reader, order)?;
    let keypair = wallet.keypair()?;
    if bytes_field(&found, "buyerKey")? != keypair.public() {
        return Err(input(format!(
            "order {order} was placed for another encryption key than this wallet's"
        )));
    }
    let sealed = found["keyForBuyer"].as_str().ok_or_else(|| {
        input(format!(
            "order {order} has no delivered key yet ({})",
            found["state"]
        ))
    })?;
    let key = keypair
        .open(&hex_bytes(sealed).map_err(input)?)
        .map_err(|e| input(format!("order {order}'s delivered key: {e}")))?;
    let item = found["item"]
        .as_u64()
        .ok_or_else(|| input(format!("order {order} names no item")))?;
    let mut opened = open_item(&item_of(reader, item)?, &key)?;
    opened["order"] = json!(order);
    Ok(opened)
}

fn market_events(included: &crate::signing_client::Included) -> Vec<&MarketEvent<Runtime>> {
    included
        .events
        .iter()
        .filter_map(|event| match event {
            RuntimeEvent::PrivateMarket(event) => Some(event),
            _ => None,
        })
        .collect()
}

/// The id `pick` finds in the transaction's market events.
fn first_event(
    included: &crate::signing_client::Included,
    name: &str,
    pick: impl Fn(&MarketEvent<Runtime>) -> Option<u64>,
) -> sc_cli::Result<u64> {
    market_events(included)
        .into_iter()
        .find_map(pick)
        .ok_or_else(|| input(format!("the transaction emitted no {name} event")))
}

fn event_names(included: &crate::signing_client::Included) -> Value {
    json!(market_events(included)
        .iter()
        .map(|event| format!("{event:?}")
            .split([' ', '{', '('])
            .next()
            .unwrap_or_default()
            .to_string())
        .collect::<Vec<_>>())
}

impl MarketCmd {
    pub fn run(&self) -> sc_cli::Result<()> {
        let output = self.output()?;
        println!("{output}");
        Ok(())
    }

    fn output(&self) -> sc_cli::Result<Value> {
        let send = |client: &SigningClient, call: MarketCall<Runtime>| {
            client.submit_and_watch(market(call), INCLUSION_TIMEOUT)
        };
        Ok(match self {
            MarketCmd::Keygen { wallet } => {
                let created = Wallet::create(&wallet.wallet)?;
                json!({ "wallet": wallet.wallet, "encryptionPublic": created.encryption_public })
            }
            MarketCmd::RegisterKey { account, wallet } => {
                let client = SigningClient::open(account)?;
                let key = Wallet::load(&wallet.wallet)?.public()?;
                let included = send(&client, MarketCall::set_encryption_key { key })?;
                json!({
                    "account": client.address(),
                    "encryptionPublic": format!("0x{}", hex_string(&key)),
                    "block": included.block,
                })
            }
            MarketCmd::List {
                account,
                wallet,
                price,
                meta,
                private,
                private_file,
            } => {
                let client = SigningClient::open(account)?;
                let mut stored = Wallet::load(&wallet.wallet)?;
                let price = parse_amount(price).map_err(input)?;
                let plaintext = match (private, private_file) {
                    (Some(text), _) => text.as_bytes().to_vec(),
                    (None, Some(path)) => std::fs::read(path)
                        .map_err(|e| input(format!("cannot read {}: {e}", path.display())))?,
                    (None, None) => {
                        return Err(input(
                            "give the private fields: --private or --private-file".into(),
                        ))
                    }
                };
                let agent = client.call("market_getAgent", json!([]))?;
                let agent = agent
                    .as_str()
                    .ok_or_else(|| {
                        input("the market has no agent configured; nothing can be listed".into())
                    })?
                    .to_string();
                let agent_key = client.call("market_getEncryptionKey", json!([agent]))?;
                let agent_key = agent_key.as_str().ok_or_else(|| {
                    input(format!(
                        "the market agent {agent} has registered no encryption key, so it could not read the item in a dispute; ask it to run `market register-key`"
                    ))
                })?;
                let agent_key = key32(agent_key, "the agent's encryption key")?;

                let item_key = crypto::generate_item_key();
                let sealed_fields = crypto::encrypt_fields(&item_key, &plaintext);
                let key_for_agent = crypto::seal_key(&item_key, &agent_key)
                    .map_err(|e| input(format!("the agent's encryption key: {e}")))?;
                let included = send(
                    &client,
                    MarketCall::list_item {
                        price,
                        public_meta: bounded(meta.as_bytes().to_vec(), "--meta")?,
                        sealed_fields: bounded(sealed_fields, "the encrypted private fields")?,
                        key_for_agent: bounded(key_for_agent, "the sealed key")?,
                        plaintext_hash: crypto::plaintext_hash(&plaintext),
                    },
                )?;
                let item = first_event(&included, "ItemListed", |event| match event {
                    MarketEvent::ItemListed { item, .. } => Some(*item),
                    _ => None,
                })?;
                stored
                    .item_keys
                    .insert(item, format!("0x{}", hex_string(&item_key)));
                stored.save(&wallet.wallet)?;
                json!({ "item": item, "seller": client.address(), "price": price.to_string(), "block": included.block })
            }
            MarketCmd::Items {
                endpoint,
                from,
                limit,
            } => ChainReader::open(endpoint)?.call("market_getItems", json!([from, limit]))?,
            MarketCmd::Deposit { account, amount } | MarketCmd::Withdraw { account, amount } => {
                let client = SigningClient::open(account)?;
                let amount = parse_amount(amount).map_err(input)?;
                let call = match self {
                    MarketCmd::Deposit { .. } => MarketCall::deposit_escrow { amount },
                    _ => MarketCall::withdraw_escrow { amount },
                };
                let included = send(&client, call)?;
                json!({
                    "account": client.address(),
                    "freeEscrow": client.call("market_getFreeEscrow", json!([client.address()]))?,
                    "events": event_names(&included),
                })
            }
            MarketCmd::Order {
                account,
                wallet,
                item,
            } => {
                let client = SigningClient::open(account)?;
                let buyer_key = Wallet::load(&wallet.wallet)?.public()?;
                let listed = item_of(&client.reader, *item)?;
                let included = send(
                    &client,
                    MarketCall::place_order {
                        item: *item,
                        buyer_key,
                    },
                )?;
                let order = first_event(&included, "OrderPlaced", |event| match event {
                    MarketEvent::OrderPlaced { order, .. } => Some(*order),
                    _ => None,
                })?;
                json!({ "order": order, "item": item, "price": listed["price"], "block": included.block })
            }
            MarketCmd::Pending { account } => {
                let client = SigningClient::open(account)?;
                // The pallet commits the price from the buyer's free escrow
                // when the order is placed, so a pending order is covered.
                client.call("market_getPendingOrders", json!([client.address()]))?
            }
            MarketCmd::Deliver {
                account,
                wallet,
                order,
            } => {
                let client = SigningClient::open(account)?;
                let stored = Wallet::load(&wallet.wallet)?;
                let found = order_of(&client.reader, *order)?;
                if found["state"] != "placed" {
                    return Err(input(format!(
                        "order {order} is {}, not waiting for a delivery",
                        found["state"]
                    )));
                }
                let item = found["item"].as_u64().unwrap_or(u64::MAX);
                let item_key = stored.item_key(item)?.ok_or_else(|| {
                    input(format!(
                        "the wallet holds no key for item {item}; list with this wallet"
                    ))
                })?;
                let buyer_key = key32(
                    found["buyerKey"].as_str().unwrap_or_default(),
                    "the order's buyer key",
                )?;
                let sealed = crypto::seal_key(&item_key, &buyer_key)
                    .map_err(|e| input(format!("the buyer's key: {e}")))?;
                let included = send(
                    &client,
                    MarketCall::deliver_key {
                        order: *order,
                        key_for_buyer: bounded(sealed, "the sealed key")?,
                    },
                )?;
                json!({ "order": order, "events": event_names(&included), "block": included.block })
            }
            MarketCmd::Open {
                endpoint,
                wallet,
                order,
                item,
            } => {
                let reader = ChainReader::open(endpoint)?;
                let stored = Wallet::load(&wallet.wallet)?;
                match (order, item) {
                    (Some(order), _) => open_order(&reader, &stored, *order)?,
                    (None, Some(item)) => {
                        let listed = item_of(&reader, *item)?;
                        let key = match stored.item_key(*item)? {
                            Some(key) => key,
                            None => stored
                                .keypair()?
                                .open(&bytes_field(&listed, "keyForAgent")?)
                                .map_err(|e| {
                                    input(format!(
                                        "item {item}: the wallet holds no item key and the agent's sealed key does not open: {e}"
                                    ))
                                })?,
                        };
                        open_item(&listed, &key)?
                    }
                    (None, None) => return Err(input("give --order or --item".into())),
                }
            }
            MarketCmd::Confirm {
                account,
                wallet,
                order,
            } => {
                let client = SigningClient::open(account)?;
                let opened = open_order(&client.reader, &Wallet::load(&wallet.wallet)?, *order)?;
                if opened["plaintextHashMatches"] != json!(true) {
                    return Err(input(format!(
                        "order {order}: the delivered data does not match the hash the seller listed; \
                         dispute it with `market dispute --order {order}`"
                    )));
                }
                let included = send(&client, MarketCall::confirm { order: *order })?;
                json!({ "order": order, "events": event_names(&included), "block": included.block })
            }
            MarketCmd::Dispute { account, order }
            | MarketCmd::Reject { account, order }
            | MarketCmd::Release { account, order }
            | MarketCmd::ClaimTimeout { account, order } => {
                let client = SigningClient::open(account)?;
                let order = *order;
                let call = match self {
                    MarketCmd::Dispute { .. } => MarketCall::dispute { order },
                    MarketCmd::Reject { .. } => MarketCall::reject_order { order },
                    MarketCmd::Release { .. } => MarketCall::release { order },
                    _ => MarketCall::claim_timeout { order },
                };
                let included = send(&client, call)?;
                json!({
                    "order": order,
                    "state": order_of(&client.reader, order)?["state"],
                    "events": event_names(&included),
                    "block": included.block,
                })
            }
            MarketCmd::Resolve {
                account,
                order,
                pay_seller,
            } => {
                let client = SigningClient::open(account)?;
                let included = send(
                    &client,
                    MarketCall::resolve_dispute {
                        order: *order,
                        pay_seller: *pay_seller,
                    },
                )?;
                json!({
                    "order": order,
                    "state": order_of(&client.reader, *order)?["state"],
                    "events": event_names(&included),
                    "block": included.block,
                })
            }
            MarketCmd::Cancel { account, item } => {
                let client = SigningClient::open(account)?;
                let included = send(&client, MarketCall::cancel_item { item: *item })?;
                json!({ "item": item, "events": event_names(&included), "block": included.block })
            }
            MarketCmd::ShowOrder { endpoint, order } => {
                order_of(&ChainReader::open(endpoint)?, *order)?
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_as_plancks_or_cpc() {
        assert_eq!(parse_amount("1500"), Ok(1500));
        assert_eq!(parse_amount("1.5cpc"), Ok(CPC + CPC / 2));
        assert_eq!(parse_amount("2 CPC"), Ok(2 * CPC));
        assert_eq!(parse_amount(".25cpc"), Ok(CPC / 4));
        assert_eq!(parse_amount("0.000000000000000001cpc"), Ok(1));
        for bad in [
            "",
            "cpc",
            "-1",
            "1.5",
            "1.0000000000000000001cpc",
            "1e3cpc",
            "x",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad:?}");
        }
        assert!(parse_amount("1000000000000000000000000cpc")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn a_wallet_round_trips_and_is_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("cpchain-wallet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("wallet.json");
        let _ = std::fs::remove_file(&path);
        let created = Wallet::create(&path).unwrap();
        assert!(Wallet::create(&path).is_err());
        let mut loaded = Wallet::load(&path).unwrap();
        assert_eq!(loaded.public().unwrap(), created.public().unwrap());
        loaded
            .item_keys
            .insert(7, format!("0x{}", hex_string(&[9; 32])));
        loaded.save(&path).unwrap();
        assert_eq!(
            Wallet::load(&path).unwrap().item_key(7).unwrap(),
            Some([9; 32])
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o077,
                0,
                "the wallet is readable by others: {mode:o}"
            );
        }
        std::fs::write(&path, "{}").unwrap();
        assert!(Wallet::load(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
