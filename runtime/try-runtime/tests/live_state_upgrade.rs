//! The check an operator runs before a runtime upgrade, on a live chain:
//! load the chain's state from a running node with frame-remote-externalities,
//! run every migration of this runtime with its pre- and post-upgrade checks
//! (`Executive::try_runtime_upgrade`), then every pallet's `try_state`.
//!
//! The node runs the last released runtime (`runtime/releases/`) with some
//! market state (listed items, escrow, an open order) and PDash state (a
//! finished deal, an open order through an unregistered proxy), so the
//! migrations meet the state they were written for.
//!
//! Needs the `cpchain-node` binary of the same target directory (built by
//! the workspace's tests; `scripts/test.sh` runs this crate after them).

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use codec::{Decode, Encode};
use cpchain_runtime::{Executive, Runtime, RuntimeCall};
use frame_remote_externalities::{Builder, Mode, OnlineConfig};
use frame_support::traits::{GetStorageVersion, StorageVersion};
use frame_try_runtime::{TryStateSelect, UpgradeCheckSelect};
use serde_json::{json, Value};
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave, Eve, Ferdie};

fn node_binary() -> PathBuf {
    // target/<profile>/deps/live_state_upgrade-<hash> -> target/<profile>/cpchain-node
    let exe = std::env::current_exe().expect("the test's path");
    let binary = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a target directory")
        .join("cpchain-node");
    assert!(
        binary.exists(),
        "{} is missing: build it first with `cargo build --release -p cpchain-node`",
        binary.display()
    );
    binary
}

#[path = "../../releases/newest.rs"]
mod releases;

// The node's own JSON-RPC client (std and serde_json only).
#[path = "../../../node/src/rpc_client.rs"]
mod rpc_client;
use rpc_client::RpcClient;

fn released_runtime() -> (u32, Vec<u8>) {
    let (spec, path) = releases::newest_release(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../releases"
    )));
    (spec, std::fs::read(path).unwrap())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn hex(bytes: &[u8]) -> String {
    format!(
        "0x{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn unhex(text: &str) -> Vec<u8> {
    let text = text.trim_start_matches("0x");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A dev node on loopback, killed when dropped.
struct DevNode {
    child: Child,
    rpc_port: u16,
    log: PathBuf,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DevNode {
    /// Starts a single-node dev chain running `code`, sealing a block for
    /// each transaction.
    fn start_with_code(code: &[u8]) -> DevNode {
        let dir = TempDir(
            std::env::temp_dir().join(format!("cpchain-try-runtime-{}", std::process::id())),
        );
        std::fs::create_dir_all(&dir.0).unwrap();
        let output = Command::new(node_binary())
            .args(["build-spec", "--chain", "dev", "--disable-default-bootnode"])
            .output()
            .expect("cpchain-node runs");
        assert!(output.status.success(), "{output:?}");
        let mut spec: Value = serde_json::from_slice(&output.stdout).expect("a JSON spec");
        spec["genesis"]["runtimeGenesis"]["code"] = json!(hex(code));
        let spec_path = dir.0.join("spec.json");
        std::fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();

        let rpc_port = free_port();
        let child = Command::new(node_binary())
            .args([
                "--chain",
                &spec_path.display().to_string(),
                "--alice",
                "--sealing",
                "instant",
                "--base-path",
                &dir.0.join("db").display().to_string(),
                "--rpc-port",
                &rpc_port.to_string(),
                "--listen-addr",
                &format!("/ip4/127.0.0.1/tcp/{}", free_port()),
                "--no-prometheus",
                "--no-mdns",
                "--no-telemetry",
                "--node-key",
                &format!("{:064x}", 1),
            ])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.0.join("node.log")).unwrap())
            .spawn()
            .expect("cpchain-node starts");
        let log = dir.0.join("node.log");
        let node = DevNode {
            child,
            rpc_port,
            log,
            _dir: dir,
        };
        node.wait_for("the RPC server", |node| {
            node.try_rpc("system_health", json!([])).ok()
        });
        node
    }

    fn try_rpc(&self, method: &str, params: Value) -> Result<Value, String> {
        RpcClient::new(&format!("http://127.0.0.1:{}", self.rpc_port))?.call(method, params)
    }

    fn rpc(&self, method: &str, params: Value) -> Value {
        self.try_rpc(method, params)
            .unwrap_or_else(|e| panic!("{method} failed: {e}"))
    }

    fn wait_for<T>(&self, what: &str, mut probe: impl FnMut(&DevNode) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(value) = probe(self) {
                return value;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                panic!(
                    "timed out waiting for {what}; node log:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Signs `call` for the chain's runtime `spec` and submits it.
    fn submit(&self, who: Sr25519Keyring, call: RuntimeCall, spec: u32) {
        let genesis = self.rpc("chain_getBlockHash", json!([0]));
        let genesis = cpchain_primitives::Hash::from_slice(&unhex(genesis.as_str().unwrap()));
        let nonce = self
            .rpc(
                "system_accountNextIndex",
                json!([who.to_account_id().to_string()]),
            )
            .as_u64()
            .unwrap() as u32;
        let pair = who.pair();
        let xt = cpchain_runtime::sign_extrinsic_at(
            call,
            who.public(),
            nonce,
            genesis,
            (spec, 1),
            |p| Some(sp_core::Pair::sign(&pair, p)),
        )
        .unwrap();
        self.rpc("author_submitExtrinsic", json!([hex(&xt.encode())]));
    }

    fn storage(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.rpc("state_getStorage", json!([hex(key)]))
            .as_str()
            .map(unhex)
    }
}

fn list_item(meta: &[u8]) -> RuntimeCall {
    RuntimeCall::PrivateMarket(pallet_private_market::Call::list_item {
        price: 2 * cpchain_runtime::currency::CPC,
        public_meta: meta.to_vec().try_into().unwrap(),
        sealed_fields: vec![0x11; 200].try_into().unwrap(),
        key_for_agent: vec![0x22; 80].try_into().unwrap(),
        plaintext_hash: [9; 32],
    })
}

/// Orders `item` from Charlie through Dave, as Alice, under the old runtime.
fn pdash_order(item: u8) -> RuntimeCall {
    RuntimeCall::Pdash(pallet_pdash::Call::place_order {
        seller: Charlie.to_account_id(),
        proxy: Dave.to_account_id(),
        item: [item; 32],
        price: 2 * cpchain_runtime::currency::CPC,
        proxy_fee: cpchain_runtime::currency::CPC,
    })
}

/// Runs PDash order `id` through `steps`, each once the previous one shows
/// in the state: the state it leads to (`None`: the order is gone).
fn pdash_steps(
    node: &DevNode,
    spec: u32,
    id: u64,
    steps: Vec<(Sr25519Keyring, RuntimeCall, Option<pallet_pdash::OrderState>)>,
) {
    let key = pallet_pdash::Orders::<Runtime>::hashed_key_for(id);
    for (who, call, state) in steps {
        node.submit(who, call, spec);
        node.wait_for("a PDash step", |node| {
            let order = node.storage(&key).map(|raw| {
                pallet_pdash::OrderOf::<Runtime>::decode(&mut &raw[..])
                    .unwrap()
                    .state
            });
            (order == state).then_some(())
        });
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_migrations_and_invariants_pass_on_a_live_chain_of_the_released_runtime() {
    let (old_spec, old_code) = released_runtime();
    let node = DevNode::start_with_code(&old_code);
    let version = node.rpc("state_getRuntimeVersion", json!([]));
    assert_eq!(version["specVersion"].as_u64(), Some(u64::from(old_spec)));

    // Market state under the old runtime: two items, escrow, an open order.
    node.submit(Eve, list_item(b"temperature, Berlin"), old_spec);
    node.submit(Ferdie, list_item(b"humidity, Lagos"), old_spec);
    node.submit(
        Bob,
        RuntimeCall::PrivateMarket(pallet_private_market::Call::set_encryption_key {
            key: [4; 32],
        }),
        old_spec,
    );
    node.submit(
        Bob,
        RuntimeCall::PrivateMarket(pallet_private_market::Call::deposit_escrow {
            amount: 5 * cpchain_runtime::currency::CPC,
        }),
        old_spec,
    );
    node.submit(
        Bob,
        RuntimeCall::PrivateMarket(pallet_private_market::Call::place_order {
            item: 0,
            buyer_key: [4; 32],
        }),
        old_spec,
    );
    let order_key = pallet_private_market::Orders::<Runtime>::hashed_key_for(0u64);
    node.wait_for("the order placed", |node| node.storage(&order_key));

    // PDash under the old runtime: a finished deal, then an open order, both
    // through Dave, who never registered as a proxy (103 had no registry).
    use pallet_pdash::{Call as Pdash, OrderState};
    pdash_steps(
        &node,
        old_spec,
        0,
        vec![
            (Alice, pdash_order(1), Some(OrderState::Created)),
            (
                Charlie,
                RuntimeCall::Pdash(Pdash::seller_confirm { id: 0 }),
                Some(OrderState::SellerConfirmed),
            ),
            (
                Dave,
                RuntimeCall::Pdash(Pdash::proxy_fetched { id: 0 }),
                Some(OrderState::ProxyFetched),
            ),
            (
                Dave,
                RuntimeCall::Pdash(Pdash::proxy_delivered {
                    id: 0,
                    delivery: [2; 32],
                }),
                Some(OrderState::ProxyDelivered),
            ),
            (
                Alice,
                RuntimeCall::Pdash(Pdash::buyer_confirm {
                    id: 0,
                    rating: None,
                }),
                None,
            ),
        ],
    );
    pdash_steps(
        &node,
        old_spec,
        1,
        vec![(Alice, pdash_order(2), Some(OrderState::Created))],
    );
    let item_key = |id: u64| pallet_private_market::Items::<Runtime>::hashed_key_for(id);
    assert!(node.storage(&item_key(1)).is_some());
    let finalized = node.rpc("chain_getFinalizedHead", json!([]));

    // Load the live state, as `try-runtime on-runtime-upgrade live` does.
    let mut ext = Builder::<cpchain_runtime::Block>::new()
        .mode(Mode::Online(OnlineConfig {
            transport_uris: vec![format!("ws://127.0.0.1:{}", node.rpc_port)],
            at: Some(cpchain_primitives::Hash::from_slice(&unhex(
                finalized.as_str().unwrap(),
            ))),
            ..Default::default()
        }))
        .build()
        .await
        .expect("the node's state loads");

    ext.execute_with(|| {
        assert_eq!(
            pallet_private_market::Pallet::<Runtime>::on_chain_storage_version(),
            StorageVersion::new(0)
        );
        // Every migration with its pre/post checks, then every try_state.
        Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
            .unwrap_or_else(|error| panic!("a migration check failed: {error:?}"));
        assert_eq!(
            pallet_private_market::Pallet::<Runtime>::on_chain_storage_version(),
            StorageVersion::new(1)
        );
        // PDash's deal logs now name a counterparty: the log's own account
        // for deals made before it was recorded.
        assert_eq!(
            pallet_pdash::Pallet::<Runtime>::on_chain_storage_version(),
            StorageVersion::new(1)
        );
        let (alice, dave) = (Alice.to_account_id(), Dave.to_account_id());
        let proxy_log = pallet_pdash::ProxyDeals::<Runtime>::get(&dave);
        assert_eq!(proxy_log.len(), 1);
        assert_eq!(proxy_log[0].counterparty, dave);
        assert_eq!(pallet_pdash::Purchases::<Runtime>::get(&alice).len(), 1);
        assert!(pallet_pdash::Orders::<Runtime>::contains_key(1u64));
        for id in [0u64, 1] {
            let item = pallet_private_market::Items::<Runtime>::get(id).expect("the item migrated");
            assert_eq!(
                item.deposit,
                pallet_private_market::Pallet::<Runtime>::item_deposit(&item)
            );
        }
        use frame_support::traits::TryState;
        <cpchain_runtime::AllPalletsWithSystem as TryState<u32>>::try_state(
            frame_system::Pallet::<Runtime>::block_number(),
            TryStateSelect::All,
        )
        .unwrap_or_else(|error| panic!("an invariant fails after the upgrade: {error:?}"));
    });

    // The order state reads back unchanged through the new types.
    let order = ext.execute_with(|| pallet_private_market::Orders::<Runtime>::get(0u64));
    let order = order.expect("the order survives");
    assert_eq!(order.buyer, Bob.to_account_id());
    let raw = node.storage(&order_key).unwrap();
    assert_eq!(
        pallet_private_market::Order::<Runtime>::decode(&mut &raw[..])
            .unwrap()
            .encode(),
        order.encode()
    );
}
