//! `cpchain-node campaign start|status|stop` against a dev node: a fresh
//! account proves admission, becomes an RNode, claims two terms and quits.

mod common;

use std::process::{Command, Output};

use common::Node;
use serde_json::Value;

fn campaign(args: &[&str]) -> Output {
    // The proof search and the RPC waits are bounded inside the command.
    Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
        .arg("campaign")
        .args(args)
        .output()
        .expect("cpchain-node runs")
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "campaign failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[test]
fn an_account_campaigns_from_the_command_line() {
    let node = Node::start("campaign", &["--dev", "--tmp"]);
    node.wait_for_rpc();
    node.wait_for("block 2", std::time::Duration::from_secs(60), |node| {
        node.finalized_number().filter(|n| *n >= 2)
    });
    let url = format!("http://127.0.0.1:{}", node.rpc_port);

    let status = json_of(&campaign(&["status", "--url", &url, "--suri", "//Eve"]));
    assert_eq!(status["rnode"], false);
    assert!(status["candidacy"].is_null());

    // Eve's node operator signs with the sealing key in the node's keystore.
    let keystore =
        std::env::temp_dir().join(format!("cpchain-campaign-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&keystore);
    let keystore_path = keystore.display().to_string();
    let inserted = Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
        .args(["key", "insert", "--keystore-path", &keystore_path])
        .args([
            "--key-type",
            "dpsl",
            "--scheme",
            "sr25519",
            "--suri",
            "//Eve",
        ])
        .output()
        .expect("cpchain-node runs");
    assert!(inserted.status.success(), "{inserted:?}");
    let by_keystore = json_of(&campaign(&[
        "status",
        "--url",
        &url,
        "--keystore-path",
        &keystore_path,
    ]));
    assert_eq!(by_keystore["account"], status["account"]);

    let started = json_of(&campaign(&[
        "start",
        "--url",
        &url,
        "--keystore-path",
        &keystore_path,
        "--terms",
        "2",
    ]));
    assert_eq!(started["rnode"], true, "{started}");
    assert_eq!(started["candidacy"]["terms"], 2, "{started}");
    let start = started["candidacy"]["start"].as_u64().unwrap();
    assert_eq!(started["candidacy"]["stop"].as_u64(), Some(start + 1));
    let candidates = node.rpc("dpor_getCandidates", serde_json::json!([start]));
    assert_eq!(candidates, serde_json::json!([started["account"]]));

    // A second claim while the first is open is refused before anything is sent.
    let again = campaign(&["start", "--url", &url, "--suri", "//Eve"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("candidate already"));

    let stopped = json_of(&campaign(&[
        "stop",
        "--url",
        &url,
        "--keystore-path",
        &keystore_path,
    ]));
    let _ = std::fs::remove_dir_all(&keystore);
    let left = stopped["candidacy"]["terms"].as_u64().unwrap_or(0);
    assert!(left < 2, "{stopped}");
}

#[test]
fn bad_campaign_input_is_a_clear_error() {
    let empty = std::env::temp_dir().join(format!("cpchain-empty-keys-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let empty = empty.display().to_string();
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "status",
                "--url",
                "http://127.0.0.1:9944",
                "--keystore-path",
                &empty,
            ],
            "holds 0 sealing keys",
        ),
        (
            &[
                "status",
                "--url",
                "http://127.0.0.1:9944",
                "--keystore-path",
                "/nonexistent/keys",
            ],
            "no such directory",
        ),
        (
            &[
                "status",
                "--url",
                "http://127.0.0.1:9944",
                "--suri",
                "//Eve",
                "--keystore-path",
                &empty,
            ],
            "cannot be used with",
        ),
        (
            &[
                "status",
                "--url",
                "https://127.0.0.1:9944",
                "--suri",
                "//Eve",
            ],
            "only http://",
        ),
        (
            &[
                "status",
                "--url",
                "http://127.0.0.1:9944",
                "--suri",
                "not a secret",
            ],
            "--suri",
        ),
        (
            &["status", "--url", "http://127.0.0.1:1", "--suri", "//Eve"],
            "cannot reach",
        ),
    ];
    for (args, expected) in cases {
        let output = campaign(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let _ = std::fs::remove_dir(&empty);
}

/// Eve's well-known sr25519 public key, her account id.
const EVE: &str = "0xe659a7a1628cdd93febc04a4e0646ea20e9f5f0ce097d9a05290d4a9e054df4e";

fn eve_account_data(node: &Node) -> pallet_balances::AccountData<cpchain_primitives::Balance> {
    let eve =
        cpchain_primitives::AccountId::new(common::hex_decode(EVE).try_into().expect("32 bytes"));
    common::account_data(node, &eve, &Value::Null)
}

/// The seed's path end to end: a civilian becomes an RNode, claims a
/// campaign with real proofs, is elected, proposes blocks of its term with
/// its own sealing key and is rewarded for them, then quits and gets its
/// deposits back.
#[test]
fn an_elected_candidate_proposes_earns_and_quits() {
    let node = Node::start("campaign-elected", &["--dev", "--tmp"]);
    node.wait_for_rpc();
    // Eve's node: the dev node holds Eve's sealing key too.
    node.rpc(
        "author_insertKey",
        serde_json::json!(["dpsl", "//Eve", EVE]),
    );
    let url = format!("http://127.0.0.1:{}", node.rpc_port);
    let started = json_of(&campaign(&[
        "start", "--url", &url, "--suri", "//Eve", "--terms", "2",
    ]));
    let term = started["candidacy"]["start"].as_u64().unwrap();
    // The development schedule: one proposer per term, three blocks a term.
    let first_block = 3 * term + 1;
    let last_block = 3 * term + 3;
    node.wait_for(
        &format!("term {term} (blocks #{first_block}..=#{last_block}) final"),
        std::time::Duration::from_secs(150),
        |node| node.finalized_number().filter(|n| *n >= last_block),
    );
    for block in first_block..=last_block {
        let proposer = node.rpc("dpor_getProposer", serde_json::json!([block]));
        assert_eq!(proposer, started["account"], "#{block}");
        let hash = node.rpc("chain_getBlockHash", serde_json::json!([block]));
        let rewarded = common::events_at(&node, &hash).into_iter().any(|event| {
            matches!(
                event,
                cpchain_runtime::RuntimeEvent::Dpor(pallet_dpor::Event::BlockRewarded { ref proposer, .. })
                    if common::hex_encode(proposer.as_ref()) == EVE
            )
        });
        assert!(rewarded, "Eve was not rewarded for #{block}");
    }

    let stopped = json_of(&campaign(&["stop", "--url", &url, "--suri", "//Eve"]));
    assert!(
        stopped["candidacy"]["terms"].as_u64().unwrap_or(0) < 2,
        "{stopped}"
    );
    // Every deposit comes back; only the RNode bond stays held.
    node.wait_for(
        "Eve's deposits released",
        std::time::Duration::from_secs(60),
        |node| {
            let data = eve_account_data(node);
            (data.reserved == cpchain_runtime::configs::RnodeBond::get()).then_some(())
        },
    );
}
