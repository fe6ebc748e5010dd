//! `cpchain-node market ...`: the private market's eight steps from the
//! command line, for sellers, buyers and the agent. Secrets stay on the
//! user's machine in a wallet file (the x25519 encryption key, the item
//! keys of the seller's listings, and a fresh x25519 key for each order the
//! buyer places); the chain sees only ciphertexts, hashes, parties,
//! amounts and states. Every command prints JSON on stdout.
//!
//! The wallet file (format 2) is JSON. With `--passphrase-file` it is
//! encrypted like polkadot.js's JSON keystore: scrypt (log N 15, r 8, p 1,
//! random 32-byte salt) derives a ChaCha20-Poly1305 key that seals the
//! wallet's JSON. Without it the JSON is in the clear, readable by the
//! owner only (mode 0600). The file is written to a fresh, randomly named
//! file in the same folder (created exclusively, so no existing file or
//! link is followed) and renamed over the wallet; a wallet path that is a
//! symbolic link is refused. Format 1 wallets (no `version`) load as
//! unencrypted ones, but items listed by that version's tool do not open
//! any more: sealing now binds each ciphertext to its listing and salts
//! the plaintext hash (see `market_crypto`).

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

use sp_core::crypto::Ss58Codec;
use zeroize::{Zeroize, Zeroizing};

use crate::{
    market_crypto::{self as crypto, Binding, EncryptionKeypair},
    signing_client::{
        hex_bytes, hex_string, input, AccountArgs, ChainReader, EndpointArgs, SigningClient,
    },
};

/// How long a command waits for its transaction to land in a block.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, clap::Args)]
pub struct WalletArg {
    /// The market wallet file: the encryption key, the item keys and the
    /// order keys.
    #[arg(long)]
    pub wallet: PathBuf,
    /// A file whose first line is the wallet's passphrase: the wallet is
    /// kept encrypted (scrypt and ChaCha20-Poly1305). Give it to `keygen`
    /// to create an encrypted wallet, and to every command that opens it.
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
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
    /// Step 4: order an item, paying from escrow, with a fresh order key
    /// the wallet keeps (disputing reveals that key only).
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
    /// Step 6: accept the order (holding the dispute bond), then deliver
    /// the item key sealed to the buyer's key. The key is public once sent,
    /// even if the delivery fails, so this refuses to send it unless the
    /// order is accepted by this seller, enough blocks of its delivery
    /// window remain and the free balance covers the fee with margin.
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
    /// Step 7, otherwise: dispute the delivery. Holds a dispute bond and
    /// reveals the order's own secret key (from the wallet) as evidence, so
    /// that the agent can check what the seller delivered.
    Dispute {
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        wallet: WalletArg,
        #[arg(long)]
        order: u64,
        /// For an order placed with the wallet's own encryption key (by a
        /// tool from before per-order keys): reveal that key's secret. It
        /// is then public for good: everything ever sealed to the wallet's
        /// key (every order placed with it, anything else sent to it) can
        /// be opened by anyone. Register a new key (`keygen`,
        /// `register-key`) afterwards.
        #[arg(long)]
        reveal_wallet_key: bool,
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
    /// Settle a dispute (the agent, with its wallet): opens the seller's
    /// delivered key with the buyer's revealed secret, decrypts the item,
    /// checks it against the salted plaintext hash and against the agent's
    /// own copy of the key, prints the finding and rules on it: for the
    /// seller if the delivered key opens the item as listed, otherwise for
    /// the buyer.
    Resolve {
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        wallet: WalletArg,
        #[arg(long)]
        order: u64,
        /// Print the finding without submitting the ruling.
        #[arg(long)]
        dry_run: bool,
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

/// The wallet's contents. It holds secrets: wiped from memory when
/// dropped, and stored as described in the module docs.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wallet {
    #[serde(default)]
    version: u32,
    encryption_secret: String,
    encryption_public: String,
    /// Item keys of this seller's listings, by item id.
    #[serde(default)]
    item_keys: BTreeMap<u64, String>,
    /// This buyer's order keys: the secret of each order's `buyer_key`, by
    /// that public key. Stored before the order is sent.
    #[serde(default)]
    order_keys: BTreeMap<String, String>,
    /// The passphrase the wallet is sealed with, to save it again.
    #[serde(skip)]
    passphrase: Option<Zeroizing<String>>,
}

impl Drop for Wallet {
    fn drop(&mut self) {
        self.encryption_secret.zeroize();
        self.item_keys.values_mut().for_each(Zeroize::zeroize);
        self.order_keys.values_mut().for_each(Zeroize::zeroize);
    }
}

const WALLET_VERSION: u32 = 2;
/// scrypt's cost for the wallet key: N = 2^15, r = 8, p = 1, as
/// polkadot.js's keystore.
const SCRYPT_LOG_N: u8 = 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;

/// An encrypted wallet file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SealedWallet {
    version: u32,
    kdf: String,
    log_n: u8,
    r: u32,
    p: u32,
    salt: String,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

fn wallet_cipher(
    passphrase: &str,
    salt: &[u8],
    (log_n, r, p): (u8, u32, u32),
) -> sc_cli::Result<chacha20poly1305::ChaCha20Poly1305> {
    use chacha20poly1305::KeyInit;
    let params = scrypt::Params::new(log_n, r, p, 32)
        .map_err(|e| input(format!("the wallet's scrypt parameters: {e}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(passphrase.as_bytes(), salt, &params, &mut key[..])
        .map_err(|e| input(format!("scrypt: {e}")))?;
    chacha20poly1305::ChaCha20Poly1305::new_from_slice(&key[..])
        .map_err(|_| input("the wallet key is not 32 bytes".into()))
}

fn random_bytes<const N: usize>() -> [u8; N] {
    use rand_core::RngCore;
    let mut bytes = [0u8; N];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn read_passphrase(arg: &WalletArg) -> sc_cli::Result<Option<Zeroizing<String>>> {
    let Some(path) = &arg.passphrase_file else {
        return Ok(None);
    };
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| input(format!("cannot read {}: {e}", path.display())))?,
    );
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(input(format!(
            "{} holds no passphrase on its first line",
            path.display()
        )));
    }
    Ok(Some(Zeroizing::new(line.to_string())))
}

/// Reads `path`, refusing a symbolic link.
fn read_no_follow(path: &Path) -> std::io::Result<Zeroizing<Vec<u8>>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let mut bytes = Zeroizing::new(Vec::new());
    options.open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Writes `bytes` to a new, randomly named file beside `path` (mode 0600,
/// created exclusively, so no existing file or link is followed) and gives
/// its path.
fn write_beside(path: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary =
        path.with_file_name(format!(".{name}.{}.tmp", hex_string(&random_bytes::<8>())));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written {
        Ok(()) => Ok(temporary),
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            Err(e)
        }
    }
}

impl Wallet {
    fn create(arg: &WalletArg) -> sc_cli::Result<Wallet> {
        let path = &arg.wallet;
        let keypair = EncryptionKeypair::generate();
        let wallet = Wallet {
            version: WALLET_VERSION,
            encryption_secret: format!("0x{}", hex_string(&keypair.secret()[..])),
            encryption_public: format!("0x{}", hex_string(&keypair.public())),
            item_keys: BTreeMap::new(),
            order_keys: BTreeMap::new(),
            passphrase: read_passphrase(arg)?,
        };
        let bytes = wallet.file_bytes()?;
        let cannot =
            |e: std::io::Error| input(format!("cannot create the wallet {}: {e}", path.display()));
        let temporary = write_beside(path, &bytes).map_err(cannot)?;
        // A hard link never replaces what is at `path`, a link included.
        let linked = std::fs::hard_link(&temporary, path);
        let _ = std::fs::remove_file(&temporary);
        linked.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                input(format!(
                    "{} exists; keygen never overwrites a wallet",
                    path.display()
                ))
            } else {
                cannot(e)
            }
        })?;
        Ok(wallet)
    }

    fn load(arg: &WalletArg) -> sc_cli::Result<Wallet> {
        let path = &arg.wallet;
        let bytes = read_no_follow(path).map_err(|e| {
            input(format!(
                "cannot read the wallet {} (a symbolic link is refused): {e} \
                 (create one with `market keygen`)",
                path.display()
            ))
        })?;
        let not_wallet =
            |e: serde_json::Error| input(format!("{} is not a market wallet: {e}", path.display()));
        let passphrase = read_passphrase(arg)?;
        let plain = match serde_json::from_slice::<SealedWallet>(&bytes) {
            Ok(sealed) => {
                let passphrase = passphrase.as_ref().ok_or_else(|| {
                    input(format!(
                        "the wallet {} is encrypted: give --passphrase-file",
                        path.display()
                    ))
                })?;
                Self::unseal(&sealed, passphrase)
                    .map_err(|e| input(format!("the wallet {}: {e}", path.display())))?
            }
            Err(_) => bytes,
        };
        let mut wallet: Wallet = serde_json::from_slice(&plain).map_err(not_wallet)?;
        wallet.passphrase = passphrase;
        Ok(wallet)
    }

    fn unseal(sealed: &SealedWallet, passphrase: &str) -> Result<Zeroizing<Vec<u8>>, String> {
        use chacha20poly1305::aead::Aead;
        if sealed.kdf != "scrypt" || sealed.cipher != "chacha20-poly1305" {
            return Err(format!(
                "unknown sealing {} / {}",
                sealed.kdf, sealed.cipher
            ));
        }
        let salt = hex_bytes(&sealed.salt)?;
        let nonce: [u8; 12] = hex_bytes(&sealed.nonce)?
            .try_into()
            .map_err(|_| "the nonce is not 12 bytes".to_string())?;
        let cipher = wallet_cipher(passphrase, &salt, (sealed.log_n, sealed.r, sealed.p))
            .map_err(|e| e.to_string())?;
        cipher
            .decrypt(
                &chacha20poly1305::Nonce::from(nonce),
                &hex_bytes(&sealed.ciphertext)?[..],
            )
            .map(Zeroizing::new)
            .map_err(|_| "wrong passphrase, or the wallet file was changed".to_string())
    }

    /// The file's bytes: the JSON, sealed under the passphrase if any.
    fn file_bytes(&self) -> sc_cli::Result<Zeroizing<Vec<u8>>> {
        use chacha20poly1305::aead::Aead;
        let json =
            Zeroizing::new(serde_json::to_vec_pretty(self).map_err(|e| input(e.to_string()))?);
        let Some(passphrase) = &self.passphrase else {
            return Ok(json);
        };
        let (salt, nonce) = (random_bytes::<32>(), random_bytes::<12>());
        let cipher = wallet_cipher(passphrase, &salt, (SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P))?;
        let ciphertext = cipher
            .encrypt(&chacha20poly1305::Nonce::from(nonce), &json[..])
            .map_err(|_| input("cannot encrypt the wallet".into()))?;
        let sealed = SealedWallet {
            version: WALLET_VERSION,
            kdf: "scrypt".into(),
            log_n: SCRYPT_LOG_N,
            r: SCRYPT_R,
            p: SCRYPT_P,
            salt: format!("0x{}", hex_string(&salt)),
            cipher: "chacha20-poly1305".into(),
            nonce: format!("0x{}", hex_string(&nonce)),
            ciphertext: format!("0x{}", hex_string(&ciphertext)),
        };
        serde_json::to_vec_pretty(&sealed)
            .map(Zeroizing::new)
            .map_err(|e| input(e.to_string()))
    }

    /// Writes a new file and renames it over the wallet, so that a crash
    /// leaves the old or the new wallet, never half of one, and a link at
    /// the path is replaced, not followed.
    fn save(&self, path: &Path) -> sc_cli::Result<()> {
        let bytes = self.file_bytes()?;
        write_beside(path, &bytes)
            .and_then(|temporary| {
                std::fs::rename(&temporary, path).inspect_err(|_| {
                    let _ = std::fs::remove_file(&temporary);
                })
            })
            .map_err(|e| input(format!("cannot write the wallet {}: {e}", path.display())))
    }

    fn keypair(&self) -> sc_cli::Result<EncryptionKeypair> {
        let secret = key32(&self.encryption_secret, "the wallet's encryption secret")?;
        Ok(EncryptionKeypair::from_secret(&secret))
    }

    fn public(&self) -> sc_cli::Result<[u8; 32]> {
        Ok(self.keypair()?.public())
    }

    fn item_key(&self, item: u64) -> sc_cli::Result<Option<Zeroizing<[u8; 32]>>> {
        self.item_keys
            .get(&item)
            .map(|hex| key32(hex, "an item key in the wallet"))
            .transpose()
    }

    /// A fresh order key, stored in the wallet; gives its public key.
    fn new_order_key(&mut self) -> [u8; 32] {
        let keypair = EncryptionKeypair::generate();
        let public = keypair.public();
        self.order_keys.insert(
            format!("0x{}", hex_string(&public)),
            format!("0x{}", hex_string(&keypair.secret()[..])),
        );
        public
    }

    /// The secret to reveal in a dispute of an order placed for
    /// `buyer_key`: its order key. The wallet's own key (orders placed by a
    /// tool from before per-order keys) only with `reveal_wallet_key`, as
    /// revealing it opens everything ever sealed to it.
    fn dispute_secret(
        &self,
        buyer_key: &[u8; 32],
        reveal_wallet_key: bool,
    ) -> Result<Zeroizing<[u8; 32]>, String> {
        let secret = self
            .order_secret(buyer_key)
            .map_err(|e| e.to_string())?
            .ok_or("it was placed for an encryption key this wallet does not hold")?;
        if !self
            .order_keys
            .contains_key(&format!("0x{}", hex_string(buyer_key)))
            && !reveal_wallet_key
        {
            return Err(
                "it was placed with this wallet's own encryption key, not an order key: \
                 disputing reveals that key's secret on chain, and with it everything ever \
                 sealed to the wallet's key (every order placed with it). Give \
                 --reveal-wallet-key to do so anyway, then register a new key"
                    .into(),
            );
        }
        Ok(secret)
    }

    /// The secret of `buyer_key`: an order key, or the wallet's own key
    /// for orders placed with it.
    fn order_secret(&self, buyer_key: &[u8; 32]) -> sc_cli::Result<Option<Zeroizing<[u8; 32]>>> {
        if let Some(secret) = self.order_keys.get(&format!("0x{}", hex_string(buyer_key))) {
            return key32(secret, "an order key in the wallet").map(Some);
        }
        let own = self.keypair()?;
        Ok((own.public() == *buyer_key).then(|| own.secret()))
    }
}

fn key32(hex: &str, what: &str) -> sc_cli::Result<Zeroizing<[u8; 32]>> {
    let mut bytes = Zeroizing::new(hex_bytes(hex).unwrap_or_default());
    let key: [u8; 32] = bytes[..]
        .try_into()
        .map_err(|_| input(format!("{what} is not 32 bytes of hex")))?;
    bytes.zeroize();
    Ok(Zeroizing::new(key))
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

fn account_field(value: &Value, field: &str) -> sc_cli::Result<[u8; 32]> {
    value[field]
        .as_str()
        .and_then(|text| sp_core::crypto::AccountId32::from_ss58check(text).ok())
        .map(Into::into)
        .ok_or_else(|| input(format!("the node's answer has no account {field}: {value}")))
}

/// The listing `item`'s ciphertexts are bound to.
struct Listing {
    seller: [u8; 32],
    plaintext_hash: [u8; 32],
}

impl Listing {
    fn of(item: &Value) -> sc_cli::Result<Self> {
        Ok(Self {
            seller: account_field(item, "seller")?,
            plaintext_hash: bytes_field(item, "plaintextHash")?
                .try_into()
                .map_err(|_| {
                    input(format!(
                        "item {}: the plaintext hash is not 32 bytes",
                        item["id"]
                    ))
                })?,
        })
    }

    fn binding(&self) -> Binding<'_> {
        Binding {
            seller: &self.seller,
            plaintext_hash: &self.plaintext_hash,
        }
    }
}

/// Decrypts `item`'s private fields with `key` and checks them against the
/// hash the chain recorded.
fn open_item(item: &Value, key: &[u8; 32]) -> sc_cli::Result<Value> {
    let listing = Listing::of(item)?;
    let opened = crypto::open_item(key, &bytes_field(item, "sealedFields")?, listing.binding())
        .map_err(|e| input(format!("item {}: {e}", item["id"])))?;
    Ok(json!({
        "item": item["id"],
        "plaintextHashMatches": opened.hash_matches,
        "fields": String::from_utf8(opened.fields.clone())
            .unwrap_or_else(|_| format!("0x{}", hex_string(&opened.fields))),
    }))
}

fn item_id(order: &Value) -> sc_cli::Result<u64> {
    order["item"]
        .as_u64()
        .ok_or_else(|| input(format!("order {} names no item", order["id"])))
}

/// The wallet's secret for `order`'s buyer key.
fn order_keypair(wallet: &Wallet, order: &Value) -> sc_cli::Result<EncryptionKeypair> {
    let buyer_key = key32(
        order["buyerKey"].as_str().unwrap_or_default(),
        "the order's buyer key",
    )?;
    let secret = wallet.order_secret(&buyer_key)?.ok_or_else(|| {
        input(format!(
            "order {} was placed for an encryption key this wallet does not hold",
            order["id"]
        ))
    })?;
    Ok(EncryptionKeypair::from_secret(&secret))
}

/// What a buyer recovers through its order's delivered key.
fn open_order(reader: &ChainReader, wallet: &Wallet, order: u64) -> sc_cli::Result<Value> {
    let found = order_of(reader, order)?;
    let keypair = order_keypair(wallet, &found)?;
    let sealed = found["keyForBuyer"].as_str().ok_or_else(|| {
        input(format!(
            "order {order} has no delivered key yet ({})",
            found["state"]
        ))
    })?;
    let item = item_of(reader, item_id(&found)?)?;
    let key = keypair
        .open(
            &hex_bytes(sealed).map_err(input)?,
            Listing::of(&item)?.binding(),
        )
        .map_err(|e| input(format!("order {order}'s delivered key: {e}")))?;
    let mut opened = open_item(&item, &key)?;
    opened["order"] = json!(order);
    Ok(opened)
}

/// The agent's finding on a disputed order, from what is on chain: the
/// buyer's revealed secret opens the seller's delivered key, which must
/// open the item as listed ([`rule`]). The agent's own copy of the key
/// (`keyForAgent`) is compared but does not decide: a seller that sealed
/// a bad copy to the agent still wins if it delivered right.
fn dispute_finding(reader: &ChainReader, agent: &Wallet, order: u64) -> sc_cli::Result<Value> {
    let found = order_of(reader, order)?;
    if found["state"] != "disputed" {
        return Err(input(format!(
            "order {order} is {}, not disputed",
            found["state"]
        )));
    }
    let key = pallet_private_market::DisputeEvidence::<Runtime>::hashed_key_for(order);
    let evidence = reader.call(
        "state_getStorage",
        json!([format!("0x{}", hex_string(&key))]),
    )?;
    let evidence = evidence
        .as_str()
        .ok_or_else(|| input(format!("order {order} has no dispute evidence on chain")))?;
    let evidence = key32(evidence, "the dispute evidence")?;
    let keypair = agent.keypair()?;
    ensure_agents_wallet(reader, &keypair)?;
    let item = item_of(reader, item_id(&found)?)?;
    let listing = Listing::of(&item)?;
    let delivered = found["keyForBuyer"]
        .as_str()
        .and_then(|hex| hex_bytes(hex).ok())
        .unwrap_or_default();
    let agents_copy = keypair
        .open(&bytes_field(&item, "keyForAgent")?, listing.binding())
        .map(Zeroizing::new);
    let mut finding = rule(
        &evidence,
        &delivered,
        agents_copy,
        &bytes_field(&item, "sealedFields")?,
        listing.binding(),
    );
    finding["order"] = json!(order);
    finding["item"] = item["id"].clone();
    Ok(finding)
}

/// Refuses a wallet whose key is not the one the market's agent
/// registered: it could open neither the agent's copies nor anything
/// meant for the agent, and its finding would mislead.
fn ensure_agents_wallet(reader: &ChainReader, keypair: &EncryptionKeypair) -> sc_cli::Result<()> {
    let agent = reader.call("market_getAgent", json!([]))?;
    let agent = agent
        .as_str()
        .ok_or_else(|| input("the market has no agent".into()))?;
    let registered = reader.call("market_getEncryptionKey", json!([agent]))?;
    let registered = registered
        .as_str()
        .map(|hex| key32(hex, "the agent's encryption key"))
        .transpose()?;
    if registered.is_none_or(|key| *key != keypair.public()) {
        return Err(input(format!(
            "this wallet does not hold the encryption key the market's agent {agent} \
             registered; resolve with the agent's wallet"
        )));
    }
    Ok(())
}

/// The ruling on a dispute, from the delivered key alone: the buyer's
/// revealed secret (`evidence`) opens the seller's delivered key box, the
/// key decrypts `sealed_fields`, and the plaintext matches the listing's
/// salted hash: then the seller delivered right (`paySeller`), otherwise
/// the buyer is right. `agents_copy` (the agent's opening of
/// `keyForAgent`) is reported, never decisive: a copy that does not open
/// counts for the buyer only through a delivered key that fails too.
fn rule(
    evidence: &[u8; 32],
    delivered: &[u8],
    agents_copy: Result<Zeroizing<[u8; 32]>, crypto::CryptoError>,
    sealed_fields: &[u8],
    binding: Binding,
) -> Value {
    let opens_as_listed = |key: &[u8; 32]| {
        crypto::open_item(key, sealed_fields, binding).is_ok_and(|opened| opened.hash_matches)
    };
    let opens_item = |key: &[u8; 32]| crypto::open_item(key, sealed_fields, binding).is_ok();
    let delivered_key = EncryptionKeypair::from_secret(evidence)
        .open(delivered, binding)
        .map(Zeroizing::new);
    let delivered_right = delivered_key.as_deref().is_ok_and(opens_as_listed);
    let described = |opened: &Result<Zeroizing<[u8; 32]>, crypto::CryptoError>| match opened {
        Ok(_) => "yes".to_string(),
        Err(e) => format!("no: {e}"),
    };
    json!({
        "deliveredKeyOpens": described(&delivered_key),
        "deliveredKeyIsAgentsKey": matches!(
            (&delivered_key, &agents_copy),
            (Ok(delivered), Ok(copy)) if **delivered == **copy
        ),
        "deliveredKeyOpensItem": delivered_key.as_deref().is_ok_and(opens_item),
        "plaintextHashMatches": delivered_right,
        "agentsCopyOpens": described(&agents_copy),
        "agentsCopyOpensItem": agents_copy.as_deref().is_ok_and(opens_as_listed),
        "paySeller": delivered_right,
    })
}

/// Blocks of an accepted order's delivery window a delivery must still
/// have: one that lands after the window can lose to the buyer's
/// `claim_timeout`, with the key already public. 100 blocks are 5 minutes.
const DELIVERY_MARGIN: u64 = 100;

/// How many times the estimated need the seller's spendable balance must
/// cover before a delivery is sent.
const FUNDS_MARGIN: Balance = 2;

/// Refuses to deliver `order` unless [`DELIVERY_MARGIN`] blocks of its
/// delivery window remain.
fn ensure_window(reader: &ChainReader, order: &Value) -> sc_cli::Result<()> {
    use sp_core::Get;
    let since = order["since"]
        .as_u64()
        .ok_or_else(|| input(format!("order {} has no `since`", order["id"])))?;
    let timeout =
        u64::from(<<Runtime as pallet_private_market::Config>::DeliveryTimeout as Get<u32>>::get());
    let best = reader.best_number()?;
    let left = window_blocks_left(since, timeout, best);
    if left < DELIVERY_MARGIN {
        return Err(input(format!(
            "only {left} blocks of order {}'s delivery window remain (it closes at block {}); \
             a delivery landing after it can lose to the buyer's claim_timeout, and the key \
             would be public all the same. Not delivered: reject the order (`market reject`) \
             instead",
            order["id"],
            since.saturating_add(timeout)
        )));
    }
    Ok(())
}

/// Blocks from `best` until the window that opened at `since` closes: a
/// delivery (or a dispute) in block `since + timeout` still lands, the
/// other side's `claim_timeout` only after it.
fn window_blocks_left(since: u64, timeout: u64, best: u64) -> u64 {
    since.saturating_add(timeout).saturating_sub(best)
}

/// The fee `call` would cost, from the chain's `TransactionPaymentCallApi`,
/// for the call and a signed extrinsic's usual overhead.
fn call_fee(client: &SigningClient, call: MarketCall<Runtime>) -> sc_cli::Result<Balance> {
    use codec::{Decode, Encode};
    let call = market(call);
    // Signature, address and extensions: well under 200 bytes.
    let len = call.encoded_size() as u32 + 200;
    let answer = client.call(
        "state_call",
        json!([
            "TransactionPaymentCallApi_query_call_info",
            format!("0x{}", hex_string(&(call, len).encode()))
        ]),
    )?;
    let bytes = answer
        .as_str()
        .and_then(|hex| hex_bytes(hex).ok())
        .ok_or_else(|| input("the node priced no fee".into()))?;
    pallet_transaction_payment::RuntimeDispatchInfo::<Balance>::decode(&mut &bytes[..])
        .map(|info| info.partial_fee)
        .map_err(|e| input(format!("the node's fee does not decode: {e}")))
}

/// Refuses unless the signer's spendable balance (free, less the
/// existential deposit and any freeze) covers `FUNDS_MARGIN` times `need`.
fn ensure_spendable(client: &SigningClient, need: Balance, what: &str) -> sc_cli::Result<()> {
    use codec::Decode;
    let key = frame_system::Account::<Runtime>::hashed_key_for(&client.account);
    let stored = client.call(
        "state_getStorage",
        json!([format!("0x{}", hex_string(&key))]),
    )?;
    let data = match stored.as_str() {
        None => Default::default(),
        Some(hex) => {
            let bytes = hex_bytes(hex).map_err(input)?;
            frame_system::AccountInfo::<
                cpchain_primitives::Nonce,
                <Runtime as frame_system::Config>::AccountData,
            >::decode(&mut &bytes[..])
            .map_err(|e| input(format!("the account does not decode: {e}")))?
            .data
        }
    };
    let kept = data
        .frozen
        .saturating_sub(data.reserved)
        .max(cpchain_runtime::configs::EXISTENTIAL_DEPOSIT);
    let spendable = data.free.saturating_sub(kept);
    let wanted = need.saturating_mul(FUNDS_MARGIN);
    if spendable < wanted {
        return Err(input(format!(
            "the account can spend {spendable} plancks; {what} need about {need}, and the \
             delivery is only sent with {wanted} (the key is public once sent, even if the \
             delivery then fails): top the account up first"
        )));
    }
    Ok(())
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
                let created = Wallet::create(wallet)?;
                json!({
                    "wallet": wallet.wallet,
                    "encryptionPublic": created.encryption_public,
                    "encrypted": created.passphrase.is_some(),
                })
            }
            MarketCmd::RegisterKey { account, wallet } => {
                let client = SigningClient::open(account)?;
                let key = Wallet::load(wallet)?.public()?;
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
                let mut stored = Wallet::load(wallet)?;
                let price = parse_amount(price).map_err(input)?;
                let plaintext = Zeroizing::new(match (private, private_file) {
                    (Some(text), _) => text.as_bytes().to_vec(),
                    (None, Some(path)) => std::fs::read(path)
                        .map_err(|e| input(format!("cannot read {}: {e}", path.display())))?,
                    (None, None) => {
                        return Err(input(
                            "give the private fields: --private or --private-file".into(),
                        ))
                    }
                });
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

                let item_key = Zeroizing::new(crypto::generate_item_key());
                let seller: [u8; 32] = client.account.clone().into();
                let sealed = crypto::seal_item(&item_key, &plaintext, &seller);
                let binding = Binding {
                    seller: &seller,
                    plaintext_hash: &sealed.plaintext_hash,
                };
                let key_for_agent = crypto::seal_key(&item_key, &agent_key, binding)
                    .map_err(|e| input(format!("the agent's encryption key: {e}")))?;
                let included = send(
                    &client,
                    MarketCall::list_item {
                        price,
                        public_meta: bounded(meta.as_bytes().to_vec(), "--meta")?,
                        sealed_fields: bounded(
                            sealed.sealed_fields,
                            "the encrypted private fields",
                        )?,
                        key_for_agent: bounded(key_for_agent, "the sealed key")?,
                        plaintext_hash: sealed.plaintext_hash,
                    },
                )?;
                let item = first_event(&included, "ItemListed", |event| match event {
                    MarketEvent::ItemListed { item, .. } => Some(*item),
                    _ => None,
                })?;
                stored
                    .item_keys
                    .insert(item, format!("0x{}", hex_string(&item_key[..])));
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
                let listed = item_of(&client.reader, *item)?;
                // A fresh key for this order, saved before the order is
                // sent: revealing it in a dispute exposes nothing else.
                let mut stored = Wallet::load(wallet)?;
                let buyer_key = stored.new_order_key();
                stored.save(&wallet.wallet)?;
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
                json!({
                    "order": order,
                    "item": item,
                    "price": listed["price"],
                    "buyerKey": format!("0x{}", hex_string(&buyer_key)),
                    "block": included.block,
                })
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
                let stored = Wallet::load(wallet)?;
                let found = order_of(&client.reader, *order)?;
                if account_field(&found, "seller")? != <[u8; 32]>::from(client.account.clone()) {
                    return Err(input(format!(
                        "order {order} is not an order of this account's items"
                    )));
                }
                let item = item_id(&found)?;
                let listing = Listing::of(&item_of(&client.reader, item)?)?;
                let item_key = stored.item_key(item)?.ok_or_else(|| {
                    input(format!(
                        "the wallet holds no key for item {item}; list with this wallet"
                    ))
                })?;
                let buyer_key = key32(
                    found["buyerKey"].as_str().unwrap_or_default(),
                    "the order's buyer key",
                )?;
                let sealed = crypto::seal_key(&item_key, &buyer_key, listing.binding())
                    .map_err(|e| input(format!("the buyer's key: {e}")))?;
                let deliver = MarketCall::deliver_key {
                    order: *order,
                    key_for_buyer: bounded(sealed, "the sealed key")?,
                };
                // The fee, priced on a call of the same length: the
                // sealed key itself goes nowhere before the checks pass.
                let deliver_fee = call_fee(
                    &client,
                    MarketCall::deliver_key {
                        order: *order,
                        key_for_buyer: bounded(vec![0; crypto::SEALED_KEY_LEN], "the sealed key")?,
                    },
                )?;
                let mut accepted = None;
                match found["state"].as_str() {
                    Some("placed") => {
                        // Accepting sends no secret: it holds the bond
                        // and opens this seller's delivery window.
                        let price = found["price"]
                            .as_str()
                            .and_then(|p| p.parse::<Balance>().ok())
                            .ok_or_else(|| input(format!("order {order} has no price")))?;
                        let accept = MarketCall::accept_order { order: *order };
                        let need = pallet_private_market::Pallet::<Runtime>::dispute_bond(price)
                            .saturating_add(call_fee(&client, accept.clone())?)
                            .saturating_add(deliver_fee);
                        ensure_spendable(&client, need, "the dispute bond and the fees")?;
                        accepted = Some(send(&client, accept)?.block);
                    }
                    Some("accepted") => {}
                    _ => {
                        return Err(input(format!(
                            "order {order} is {}, not waiting for a delivery",
                            found["state"]
                        )))
                    }
                }
                let found = order_of(&client.reader, *order)?;
                if found["state"] != "accepted" {
                    return Err(input(format!(
                        "order {order} is {}, not accepted; nothing was delivered",
                        found["state"]
                    )));
                }
                ensure_window(&client.reader, &found)?;
                ensure_spendable(&client, deliver_fee, "the delivery's fee")?;
                let included = send(&client, deliver)?;
                json!({
                    "order": order,
                    "acceptedIn": accepted,
                    "events": event_names(&included),
                    "block": included.block,
                })
            }
            MarketCmd::Open {
                endpoint,
                wallet,
                order,
                item,
            } => {
                let reader = ChainReader::open(endpoint)?;
                let stored = Wallet::load(wallet)?;
                match (order, item) {
                    (Some(order), _) => open_order(&reader, &stored, *order)?,
                    (None, Some(item)) => {
                        let listed = item_of(&reader, *item)?;
                        let key = match stored.item_key(*item)? {
                            Some(key) => key,
                            None => stored
                                .keypair()?
                                .open(
                                    &bytes_field(&listed, "keyForAgent")?,
                                    Listing::of(&listed)?.binding(),
                                )
                                .map(Zeroizing::new)
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
                let opened = open_order(&client.reader, &Wallet::load(wallet)?, *order)?;
                if opened["plaintextHashMatches"] != json!(true) {
                    return Err(input(format!(
                        "order {order}: the delivered data does not match the hash the seller listed; \
                         dispute it with `market dispute --wallet <this wallet> --order {order}`"
                    )));
                }
                let included = send(&client, MarketCall::confirm { order: *order })?;
                json!({ "order": order, "events": event_names(&included), "block": included.block })
            }
            MarketCmd::Dispute {
                account,
                wallet,
                order,
                reveal_wallet_key,
            } => {
                let client = SigningClient::open(account)?;
                let found = order_of(&client.reader, *order)?;
                // A dispute that fails has still published the order's
                // secret, and with it the item key, to everyone.
                let since = found["since"].as_u64().unwrap_or_default();
                let check = u64::from(
                    <<Runtime as pallet_private_market::Config>::CheckTimeout as sp_core::Get<
                        u32,
                    >>::get(),
                );
                if found["state"] != "delivered"
                    || window_blocks_left(since, check, client.reader.best_number()?) == 0
                {
                    return Err(input(format!(
                        "order {order} is {} and can no longer be disputed (the buyer disputes \
                         a delivered order within {check} blocks of the delivery); not sent",
                        found["state"]
                    )));
                }
                let buyer_key = key32(
                    found["buyerKey"].as_str().unwrap_or_default(),
                    "the order's buyer key",
                )?;
                let evidence = Wallet::load(wallet)?
                    .dispute_secret(&buyer_key, *reveal_wallet_key)
                    .map_err(|e| input(format!("order {order}: {e}")))?;
                let included = send(
                    &client,
                    MarketCall::dispute {
                        order: *order,
                        evidence: *evidence,
                    },
                )?;
                json!({
                    "order": order,
                    "state": order_of(&client.reader, *order)?["state"],
                    "events": event_names(&included),
                    "block": included.block,
                })
            }
            MarketCmd::Reject { account, order }
            | MarketCmd::Release { account, order }
            | MarketCmd::ClaimTimeout { account, order } => {
                let client = SigningClient::open(account)?;
                let order = *order;
                let call = match self {
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
                wallet,
                order,
                dry_run,
            } => {
                let client = SigningClient::open(account)?;
                let mut finding = dispute_finding(&client.reader, &Wallet::load(wallet)?, *order)?;
                if *dry_run {
                    return Ok(finding);
                }
                let pay_seller = finding["paySeller"] == json!(true);
                let included = send(
                    &client,
                    MarketCall::resolve_dispute {
                        order: *order,
                        pay_seller,
                    },
                )?;
                finding["state"] = order_of(&client.reader, *order)?["state"].clone();
                finding["events"] = event_names(&included);
                finding["block"] = json!(included.block);
                finding
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

    /// A fresh folder for one test's wallet files.
    struct Folder(PathBuf);

    impl Folder {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "cpchain-market-{name}-{}-{}",
                std::process::id(),
                hex_string(&random_bytes::<4>())
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn arg(&self, passphrase: Option<&str>) -> WalletArg {
            let passphrase_file = passphrase.map(|text| {
                let path = self.0.join(format!("pass-{}", hex_string(text.as_bytes())));
                std::fs::write(&path, format!("{text}\n")).unwrap();
                path
            });
            WalletArg {
                wallet: self.0.join("wallet.json"),
                passphrase_file,
            }
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn error(result: sc_cli::Result<Wallet>) -> String {
        match result {
            Ok(_) => panic!("the wallet opened"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_wallet_round_trips_and_is_never_overwritten() {
        let folder = Folder::new("plain");
        let arg = folder.arg(None);
        let path = arg.wallet.clone();
        let created = Wallet::create(&arg).unwrap();
        assert!(error(Wallet::create(&arg)).contains("never overwrites"));
        let mut loaded = Wallet::load(&arg).unwrap();
        assert_eq!(loaded.public().unwrap(), created.public().unwrap());
        loaded
            .item_keys
            .insert(7, format!("0x{}", hex_string(&[9; 32])));
        let order_key = loaded.new_order_key();
        loaded.save(&path).unwrap();
        let reloaded = Wallet::load(&arg).unwrap();
        assert_eq!(*reloaded.item_key(7).unwrap().unwrap(), [9; 32]);
        let secret = reloaded.order_secret(&order_key).unwrap().unwrap();
        assert_eq!(EncryptionKeypair::from_secret(&secret).public(), order_key);
        assert!(reloaded.order_secret(&[1; 32]).unwrap().is_none());
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
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&folder.0).unwrap().count(), 1);
        std::fs::write(&path, "{}").unwrap();
        assert!(error(Wallet::load(&arg)).contains("not a market wallet"));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_wallet_path_is_never_followed() {
        let folder = Folder::new("link");
        let arg = folder.arg(None);
        let target = folder.0.join("elsewhere");
        std::fs::write(&target, "precious").unwrap();
        std::os::unix::fs::symlink(&target, &arg.wallet).unwrap();
        // keygen does not write through the link.
        assert!(error(Wallet::create(&arg)).contains("never overwrites"));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        // Loading refuses the link.
        assert!(error(Wallet::load(&arg)).contains("symbolic link"));
        // Saving replaces the link itself, not what it points to.
        let other = Folder::new("link-source");
        let wallet = Wallet::create(&other.arg(None)).unwrap();
        wallet.save(&arg.wallet).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(&arg.wallet)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            Wallet::load(&arg).unwrap().public().unwrap(),
            wallet.public().unwrap()
        );
    }

    /// Review finding P2: a `keyForAgent` the agent cannot open must not
    /// decide the dispute; the delivered key does.
    #[test]
    fn the_delivered_key_alone_decides_a_dispute() {
        let seller = [5u8; 32];
        let item_key = crypto::generate_item_key();
        let sealed = crypto::seal_item(&item_key, b"the private fields", &seller);
        let binding = Binding {
            seller: &seller,
            plaintext_hash: &sealed.plaintext_hash,
        };
        let buyer = EncryptionKeypair::generate();
        let right = crypto::seal_key(&item_key, &buyer.public(), binding).unwrap();
        let wrong = crypto::seal_key(&[42; 32], &buyer.public(), binding).unwrap();
        let bad_copy = || Err(crypto::CryptoError::Rejected);
        let good_copy = || Ok(Zeroizing::new(item_key));
        let ruling = |delivered: &[u8], copy| {
            rule(
                &buyer.secret(),
                delivered,
                copy,
                &sealed.sealed_fields,
                binding,
            )
        };
        // A right delivery wins though the agent's copy does not open.
        let finding = ruling(&right, bad_copy());
        assert_eq!(finding["paySeller"], true, "{finding}");
        assert_eq!(finding["deliveredKeyIsAgentsKey"], false);
        assert!(finding["agentsCopyOpens"]
            .as_str()
            .unwrap()
            .starts_with("no"));
        let finding = ruling(&right, good_copy());
        assert_eq!(finding["paySeller"], true, "{finding}");
        assert_eq!(finding["deliveredKeyIsAgentsKey"], true);
        // A wrong delivery loses, whatever the agent's copy.
        for copy in [bad_copy(), good_copy()] {
            let finding = ruling(&wrong, copy);
            assert_eq!(finding["paySeller"], false, "{finding}");
            assert_eq!(finding["deliveredKeyOpens"], "yes");
            assert_eq!(finding["deliveredKeyOpensItem"], false);
        }
        let finding = ruling(b"garbage", bad_copy());
        assert_eq!(finding["paySeller"], false, "{finding}");
    }

    /// Review finding P3: an order placed with the wallet's own key (a
    /// tool from before per-order keys) is disputed only on request.
    #[test]
    fn disputing_reveals_the_wallets_own_key_only_on_request() {
        let folder = Folder::new("legacy");
        let mut wallet = Wallet::create(&folder.arg(None)).unwrap();
        let order_key = wallet.new_order_key();
        let own = wallet.public().unwrap();
        let revealed = wallet.dispute_secret(&order_key, false).unwrap();
        assert_eq!(
            EncryptionKeypair::from_secret(&revealed).public(),
            order_key
        );
        let refused = wallet.dispute_secret(&own, false).unwrap_err();
        assert!(refused.contains("--reveal-wallet-key"), "{refused}");
        let revealed = wallet.dispute_secret(&own, true).unwrap();
        assert_eq!(EncryptionKeypair::from_secret(&revealed).public(), own);
        assert!(wallet
            .dispute_secret(&[1; 32], true)
            .unwrap_err()
            .contains("does not hold"));
    }

    #[test]
    fn the_delivery_window_counts_to_its_last_block() {
        // Placed or accepted at 10 with a 100-block timeout: a delivery in
        // block 110 still lands, claim_timeout only from 111.
        assert_eq!(window_blocks_left(10, 100, 10), 100);
        assert_eq!(window_blocks_left(10, 100, 109), 1);
        assert_eq!(window_blocks_left(10, 100, 110), 0);
        assert_eq!(window_blocks_left(10, 100, 500), 0);
    }

    #[test]
    fn a_passphrase_seals_the_wallet() {
        let folder = Folder::new("sealed");
        let arg = folder.arg(Some("correct horse battery staple"));
        let created = Wallet::create(&arg).unwrap();
        let secret = created
            .encryption_secret
            .trim_start_matches("0x")
            .to_string();
        let file = std::fs::read_to_string(&arg.wallet).unwrap();
        assert!(!file.contains(&secret), "the secret is in the clear");
        assert!(!file.contains("encryptionSecret"));
        assert!(file.contains("\"kdf\": \"scrypt\""));
        // The right passphrase opens it, and a save keeps it sealed.
        let mut loaded = Wallet::load(&arg).unwrap();
        assert_eq!(loaded.public().unwrap(), created.public().unwrap());
        loaded.new_order_key();
        loaded.save(&arg.wallet).unwrap();
        assert!(!std::fs::read_to_string(&arg.wallet)
            .unwrap()
            .contains(&secret));
        assert_eq!(Wallet::load(&arg).unwrap().order_keys.len(), 1);
        // A wrong or missing passphrase is a clear error.
        let wrong = WalletArg {
            passphrase_file: folder.arg(Some("wrong")).passphrase_file,
            ..arg.clone()
        };
        assert!(error(Wallet::load(&wrong)).contains("wrong passphrase"));
        let none = WalletArg {
            passphrase_file: None,
            ..arg
        };
        assert!(error(Wallet::load(&none)).contains("give --passphrase-file"));
    }
}
