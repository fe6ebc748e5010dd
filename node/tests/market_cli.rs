//! The private market's eight steps on a dev node through `cpchain-node
//! market`: Charlie (seller A) lists an encrypted item, Eve (buyer B)
//! escrows, orders, decrypts and confirms, Ferdie (the preset agent P)
//! releases. A second order is disputed and refunded by the agent. The
//! balances are checked to the unit against the fees the chain charged,
//! and Alice, reading everything on chain, recovers nothing.

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
}

impl Drop for Wallets {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
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
    let (seller, buyer, agent, outsider) = (
        wallets.create("seller"),
        wallets.create("buyer"),
        wallets.create("agent"),
        wallets.create("outsider"),
    );
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
    let order_item = ["order", "--wallet", &buyer, "--item", &item];
    market.refused(b, &order_item, "PrivateMarket(InsufficientEscrow)");
    let deposited = market.ok(b, &["deposit", "--amount", "4cpc"]);
    assert_eq!(deposited["freeEscrow"], (5 * CPC).to_string());

    // 4. B orders with its wallet's key.
    let order = market.ok(b, &order_item)["order"]
        .as_u64()
        .expect("an order id")
        .to_string();

    // 5. A sees the pending order.
    let pending = market.ok(a, &["pending"]);
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["price"], price.to_string());
    let open_order = ["open", "--wallet", &buyer, "--order", &order];
    market.refused(None, &open_order, "no delivered key yet");

    // 6. A delivers the key sealed to B.
    market.ok(a, &["deliver", "--wallet", &seller, "--order", &order]);

    // 7. B decrypts, checks and confirms.
    let opened = market.ok(None, &open_order);
    assert_eq!(opened["fields"], PRIVATE);
    assert_eq!(opened["plaintextHashMatches"], true);
    market.refused(
        a,
        &["release", "--order", &order],
        "PrivateMarket(WrongParty)",
    );
    market.ok(b, &["confirm", "--wallet", &buyer, "--order", &order]);

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
    market.refused(None, &outsider_order, "another encryption key");

    // A second order of the same item, disputed and refunded by the agent.
    let second = market.ok(b, &order_item)["order"]
        .as_u64()
        .unwrap()
        .to_string();
    market.ok(a, &["deliver", "--wallet", &seller, "--order", &second]);
    market.ok(b, &["dispute", "--order", &second]);
    let resolved = market.ok(p, &["resolve", "--order", &second]);
    assert_eq!(resolved["state"], "refunded", "{resolved}");
    // A third, which A turns down before delivering: B is refunded in
    // full, and only the seller may do so.
    let third = market.ok(b, &order_item)["order"]
        .as_u64()
        .unwrap()
        .to_string();
    market.refused(
        b,
        &["reject", "--order", &third],
        "PrivateMarket(WrongParty)",
    );
    let rejected = market.ok(a, &["reject", "--order", &third]);
    assert_eq!(rejected["state"], "rejected", "{rejected}");
    // The unsold item goes; B takes its escrow back.
    market.ok(a, &["cancel", "--item", &item]);
    let withdrawn = market.ok(b, &["withdraw", "--amount", "2.5cpc"]);
    assert_eq!(withdrawn["freeEscrow"], "0");

    // Balances to the unit: the price moved from B to A once, everything
    // else is the fees each paid, and nothing stays held (A's cancel gave
    // back the item's storage deposit).
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
    assert_eq!(after[0].free, before[0].free + price - fee(&a_id), "seller");
    assert_eq!(after[1].free, before[1].free - price - fee(&b_id), "buyer");
    assert_eq!(after[2].free, before[2].free - fee(&p_id), "agent");
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(after.reserved, before.reserved);
    }

    // An outsider reading every block of the run finds neither the private
    // fields nor the item key in the clear.
    let wallet: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&seller)).unwrap()).unwrap();
    let item_key = common::hex_decode(wallet["itemKeys"][&item].as_str().unwrap());
    for number in start + 1..=end {
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
