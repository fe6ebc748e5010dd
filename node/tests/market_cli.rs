//! The private market's eight steps on a dev node through `cpchain-node
//! market`: Charlie (seller A) lists an encrypted item, Eve (buyer B, with
//! a passphrase-sealed wallet) escrows, orders, decrypts and confirms,
//! Ferdie (the preset agent P) releases. Then the disputes: B disputes an
//! honest delivery and loses (A paid, B's bond to A); A delivers a wrong
//! key and loses (B refunded, A's bond to B), each ruled by `market
//! resolve` from what it finds on chain. The balances are checked to the
//! unit against the fees the chain charged, and Alice, reading everything
//! on chain before any dispute, recovers nothing.

mod common;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use common::Node;
use cpchain_primitives::{AccountId, Balance};
use cpchain_runtime::RuntimeEvent;
use serde_json::{json, Value};
use sp_core::{sr25519, Pair};

const CPC: Balance = cpchain_primitives::currency::CPC;
const PRIVATE: &str = r#"{"name":"Shenzhen air quality 2026","ipfs_cid":"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi","description":"hourly PM2.5 from 40 sensors"}"#;

fn market(args: &[&str]) -> Output {
    // Each command bounds its own wait for inclusion (60 s).
    Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
        .arg("market")
        .args(args)
        .output()
        .expect("cpchain-node runs")
}

fn ok(args: &[&str]) -> Value {
    let output = market(args);
    assert!(
        output.status.success(),
        "market {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn refused(args: &[&str], expected: &str) {
    let output = market(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "market {args:?} succeeded");
    assert!(stderr.contains(expected), "market {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn account(suri: &str) -> AccountId {
    AccountId::from(sr25519::Pair::from_string(suri, None).unwrap().public())
}

fn block_hash(node: &Node, number: u64) -> Value {
    let hash = node.rpc("chain_getBlockHash", json!([number]));
    assert!(hash.is_string(), "no block #{number}");
    hash
}

fn best_number(node: &Node) -> u64 {
    let header = node.rpc("chain_getHeader", json!([]));
    common::parse_hex_u64(header["number"].as_str().unwrap()).unwrap()
}

/// Transaction fees each account paid in blocks `from+1 ..= to`.
fn fees_paid(node: &Node, from: u64, to: u64) -> BTreeMap<AccountId, Balance> {
    let mut fees = BTreeMap::new();
    for number in from + 1..=to {
        for event in common::events_at(node, &block_hash(node, number)) {
            if let RuntimeEvent::TransactionPayment(
                pallet_transaction_payment::Event::TransactionFeePaid {
                    who,
                    actual_fee,
                    tip,
                },
            ) = event
            {
                *fees.entry(who).or_default() += actual_fee + tip;
            }
        }
    }
    fees
}

struct Wallets {
    dir: PathBuf,
}

impl Wallets {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("cpchain-market-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(format!("{name}.json")).display().to_string()
    }

    fn create(&self, name: &str) -> String {
        let path = self.path(name);
        ok(&["keygen", "--wallet", &path]);
        path
    }

    /// A wallet sealed under a passphrase: its `--wallet` and
    /// `--passphrase-file` arguments.
    fn create_sealed(&self, name: &str) -> [String; 4] {
        let pass = self.dir.join(format!("{name}.pass")).display().to_string();
        std::fs::write(&pass, "a buyer's passphrase\n").unwrap();
        let args = [
            "--wallet".to_string(),
            self.path(name),
            "--passphrase-file".to_string(),
            pass,
        ];
        let mut keygen = vec!["keygen"];
        keygen.extend(args.iter().map(String::as_str));
        let created = ok(&keygen);
        assert_eq!(created["encrypted"], true);
        args
    }
}

impl Drop for Wallets {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `command` with `wallet`'s arguments after its name.
fn with_wallet<'a>(command: &[&'a str], wallet: &[&'a str]) -> Vec<&'a str> {
    let mut args = command.to_vec();
    args.splice(1..1, wallet.iter().copied());
    args
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Runs `market <command>` against `url`, signing as `suri` when given.
struct Market<'a> {
    url: &'a str,
}

impl Market<'_> {
    fn args<'b>(&'b self, suri: Option<&'b str>, command: &'b [&'b str]) -> Vec<&'b str> {
        let mut args = vec![command[0], "--url", self.url];
        if let Some(suri) = suri {
            args.extend(["--suri", suri]);
        }
        args.extend(&command[1..]);
        args
    }

    fn ok(&self, suri: Option<&str>, command: &[&str]) -> Value {
        ok(&self.args(suri, command))
    }

    fn refused(&self, suri: Option<&str>, command: &[&str], expected: &str) {
        refused(&self.args(suri, command), expected)
    }
}

#[test]
fn the_eight_steps_settle_to_the_unit_and_outsiders_learn_nothing() {
    let node = Node::start("market", &["--dev", "--tmp"]);
    node.wait_for_rpc();
    node.wait_for("block 1", std::time::Duration::from_secs(60), |node| {
        node.finalized_number().filter(|n| *n >= 1)
    });
    let url = format!("http://127.0.0.1:{}", node.rpc_port);
    let market = Market { url: &url };
    let wallets = Wallets::new();
    let (seller, agent, outsider) = (
        wallets.create("seller"),
        wallets.create("agent"),
        wallets.create("outsider"),
    );
    let buyer_args = wallets.create_sealed("buyer");
    let buyer = buyer_args.each_ref().map(String::as_str);
    let (a, b, p) = (Some("//Charlie"), Some("//Eve"), Some("//Ferdie"));
    let (a_id, b_id, p_id) = (account("//Charlie"), account("//Eve"), account("//Ferdie"));
    let start = best_number(&node);
    let start_hash = block_hash(&node, start);
    let before: Vec<_> = [&a_id, &b_id, &p_id]
        .iter()
        .map(|who| common::account_data(&node, who, &start_hash))
        .collect();

    // Listing needs the agent's published key.
    let listing = [
        "list",
        "--wallet",
        &seller,
        "--price",
        "2.5cpc",
        "--private",
        PRIVATE,
    ];
    market.refused(a, &listing, "registered no encryption key");
    market.ok(p, &["register-key", "--wallet", &agent]);
    let after_key = common::account_data(&node, &p_id, &block_hash(&node, best_number(&node)));
    let key_deposit = after_key.reserved - before[2].reserved;
    assert_eq!(
        key_deposit,
        cpchain_runtime::configs::DEPOSIT_PER_ENTRY
            + 32 * cpchain_runtime::configs::DEPOSIT_PER_BYTE
    );

    // 1. A lists the item.
    let listed = market.ok(
        a,
        &[&listing[..], &["--meta", "air quality, 40 sensors"]].concat(),
    );
    let item = listed["item"].as_u64().expect("an item id").to_string();
    let price = 5 * CPC / 2;
    assert_eq!(listed["price"], price.to_string());

    // 2. B reads the listing: public fields in the clear, private ones sealed.
    let items = market.ok(None, &["items"]);
    let entry = &items.as_array().unwrap()[0];
    assert_eq!(entry["price"], price.to_string());
    assert_eq!(
        common::hex_decode(entry["publicMeta"].as_str().unwrap()),
        b"air quality, 40 sensors"
    );

    // 3. B escrows, with too little first.
    market.ok(b, &["deposit", "--amount", "1cpc"]);
    let order_item = with_wallet(&["order", "--item", &item], &buyer);
    market.refused(b, &order_item, "PrivateMarket(InsufficientEscrow)");
    let deposited = market.ok(b, &["deposit", "--amount", "4cpc"]);
    assert_eq!(deposited["freeEscrow"], (5 * CPC).to_string());

    // 4. B orders with a fresh key of its wallet's for this order.
    let placed = market.ok(b, &order_item);
    let order = placed["order"].as_u64().expect("an order id").to_string();
    let first_key = placed["buyerKey"].clone();

    // 5. A sees the pending order.
    let pending = market.ok(a, &["pending"]);
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["price"], price.to_string());
    let open_order = with_wallet(&["open", "--order", &order], &buyer);
    market.refused(None, &open_order, "no delivered key yet");

    // 6. A accepts the order (holding its bond) and delivers the key
    // sealed to B; only the order's seller, and only once.
    let deliver = ["deliver", "--wallet", &seller, "--order", &order];
    market.refused(b, &deliver, "not an order of this account's items");
    let delivered = market.ok(a, &deliver);
    assert!(delivered["acceptedIn"].is_string(), "{delivered}");
    market.refused(a, &deliver, "not waiting for a delivery");

    // 7. B decrypts, checks and confirms.
    let opened = market.ok(None, &open_order);
    assert_eq!(opened["fields"], PRIVATE);
    assert_eq!(opened["plaintextHashMatches"], true);
    market.refused(
        a,
        &["release", "--order", &order],
        "PrivateMarket(WrongParty)",
    );
    let confirm = with_wallet(&["confirm", "--order", &order], &buyer);
    market.ok(b, &confirm);

    // 8. P releases the escrow to A.
    let released = market.ok(p, &["release", "--order", &order]);
    assert_eq!(released["state"], "paid", "{released}");

    // The agent can read the item (for disputes); the outsider cannot,
    // neither through the order nor through the listing.
    let by_agent = market.ok(None, &["open", "--wallet", &agent, "--item", &item]);
    assert_eq!(by_agent["fields"], PRIVATE);
    let outsider_item = ["open", "--wallet", &outsider, "--item", &item];
    market.refused(None, &outsider_item, "does not open");
    let outsider_order = ["open", "--wallet", &outsider, "--order", &order];
    market.refused(None, &outsider_order, "does not hold");
    // Nothing has revealed a secret yet: what an outsider could read.
    let before_disputes = best_number(&node);

    let dispute_bond = CPC as i128; // 10 % of 2.5 CPC is below the 1 CPC minimum.
    let owned = |who: &AccountId, number: u64| -> i128 {
        let data = common::account_data(&node, who, &block_hash(&node, number));
        (data.free + data.reserved) as i128
    };
    // What A and B gained since block `from`, fees aside.
    let gains_since = |from: u64| -> (i128, i128) {
        let to = best_number(&node);
        let fees = fees_paid(&node, from, to);
        let gain = |who: &AccountId| {
            owned(who, to) - owned(who, from) + fees.get(who).copied().unwrap_or_default() as i128
        };
        (gain(&a_id), gain(&b_id))
    };
    let price_i = price as i128;
    let order_again = |market: &Market| -> String {
        let placed = market.ok(b, &order_item);
        assert_ne!(placed["buyerKey"], first_key, "an order key is used once");
        placed["order"].as_u64().unwrap().to_string()
    };

    // B disputes an honest delivery, to keep the data without paying: the
    // agent finds the delivered key right and rules for A.
    let from = best_number(&node);
    let second = order_again(&market);
    market.ok(a, &["deliver", "--wallet", &seller, "--order", &second]);
    let dispute = with_wallet(&["dispute", "--order", &second], &buyer);
    let disputed = market.ok(b, &dispute);
    assert_eq!(disputed["state"], "disputed", "{disputed}");
    let resolve = ["resolve", "--wallet", &agent, "--order", &second];
    market.refused(
        a,
        &["resolve", "--wallet", &seller, "--order", &second],
        "does not hold the encryption key the market's agent",
    );
    let finding = market.ok(p, &[&resolve[..], &["--dry-run"][..]].concat());
    assert_eq!(finding["paySeller"], true, "{finding}");
    let resolved = market.ok(p, &resolve);
    assert_eq!(resolved["deliveredKeyIsAgentsKey"], true, "{resolved}");
    assert_eq!(resolved["state"], "paid", "{resolved}");
    // The attacker's cost: the price and its bond (and its fees); A is
    // paid the price and B's bond.
    assert_eq!(
        gains_since(from),
        (price_i + dispute_bond, -price_i - dispute_bond)
    );

    // A delivers a wrong key: B's tool refuses to confirm, B disputes, and
    // the agent rules for B.
    let from = best_number(&node);
    market.ok(b, &["deposit", "--amount", "2.5cpc"]);
    let third = order_again(&market);
    let honest_wallet = std::fs::read_to_string(&seller).unwrap();
    let mut forged: Value = serde_json::from_str(&honest_wallet).unwrap();
    forged["itemKeys"][&item] = json!(format!("0x{}", "42".repeat(32)));
    std::fs::write(&seller, forged.to_string()).unwrap();
    market.ok(a, &["deliver", "--wallet", &seller, "--order", &third]);
    std::fs::write(&seller, honest_wallet).unwrap();
    let confirm = with_wallet(&["confirm", "--order", &third], &buyer);
    market.refused(b, &confirm, "decryption failed");
    let dispute = with_wallet(&["dispute", "--order", &third], &buyer);
    market.ok(b, &dispute);
    let resolved = market.ok(p, &["resolve", "--wallet", &agent, "--order", &third]);
    assert_eq!(resolved["paySeller"], false, "{resolved}");
    assert_eq!(resolved["deliveredKeyIsAgentsKey"], false, "{resolved}");
    assert_eq!(resolved["state"], "refunded", "{resolved}");
    // A loses its bond to B; B's price is its free escrow again.
    assert_eq!(gains_since(from), (-dispute_bond, dispute_bond));

    // A fourth, which A turns down before delivering: B is refunded in
    // full, and only the seller may do so.
    let fourth = order_again(&market);
    market.refused(
        b,
        &["reject", "--order", &fourth],
        "PrivateMarket(WrongParty)",
    );
    let rejected = market.ok(a, &["reject", "--order", &fourth]);
    assert_eq!(rejected["state"], "rejected", "{rejected}");
    // The unsold item goes; B takes its escrow back.
    market.ok(a, &["cancel", "--item", &item]);
    let withdrawn = market.ok(b, &["withdraw", "--amount", "2.5cpc"]);
    assert_eq!(withdrawn["freeEscrow"], "0");

    // Balances to the unit: the price moved from B to A twice (the two
    // bonds lost, one each way, cancel out), everything else is the fees
    // each paid, and nothing stays held but the agent's key deposit (A's
    // cancel gave back the item's storage deposit, every bond was
    // released or paid over).
    let end = best_number(&node);
    let end_hash = block_hash(&node, end);
    let fees = fees_paid(&node, start, end);
    let fee = |who: &AccountId| fees.get(who).copied().unwrap_or_default();
    assert!(
        fee(&a_id) > 0 && fee(&b_id) > 0 && fee(&p_id) > 0,
        "{fees:?}"
    );
    let after: Vec<_> = [&a_id, &b_id, &p_id]
        .iter()
        .map(|who| common::account_data(&node, who, &end_hash))
        .collect();
    assert_eq!(
        after[0].free,
        before[0].free + 2 * price - fee(&a_id),
        "seller"
    );
    assert_eq!(
        after[1].free,
        before[1].free - 2 * price - fee(&b_id),
        "buyer"
    );
    assert_eq!(
        after[2].free,
        before[2].free - key_deposit - fee(&p_id),
        "agent"
    );
    assert_eq!(after[2].reserved, before[2].reserved + key_deposit);
    for (before, after) in before.iter().zip(&after).take(2) {
        assert_eq!(after.reserved, before.reserved);
    }

    // An outsider reading every block up to the first dispute finds
    // neither the private fields nor the item key in the clear. (A dispute
    // reveals its order's key on purpose, so the agent can check the
    // delivery: see the pallet docs.)
    let wallet: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&seller)).unwrap()).unwrap();
    let item_key = common::hex_decode(wallet["itemKeys"][&item].as_str().unwrap());
    for number in start + 1..=before_disputes {
        let block = node.rpc("chain_getBlock", json!([block_hash(&node, number)]));
        for xt in block["block"]["extrinsics"].as_array().unwrap() {
            let bytes = common::hex_decode(xt.as_str().unwrap());
            assert!(
                !contains(&bytes, b"Shenzhen"),
                "plaintext in block #{number}"
            );
            assert!(!contains(&bytes, b"bafybeig"), "cid in block #{number}");
            assert!(!contains(&bytes, &item_key), "item key in block #{number}");
        }
    }
}
