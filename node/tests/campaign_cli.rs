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

    let started = json_of(&campaign(&[
        "start", "--url", &url, "--suri", "//Eve", "--terms", "2",
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

    let stopped = json_of(&campaign(&["stop", "--url", &url, "--suri", "//Eve"]));
    let left = stopped["candidacy"]["terms"].as_u64().unwrap_or(0);
    assert!(left < 2, "{stopped}");
}

#[test]
fn bad_campaign_input_is_a_clear_error() {
    let cases: [(&[&str], &str); 3] = [
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
}
