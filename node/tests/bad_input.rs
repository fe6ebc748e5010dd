//! Bad input gives a one-line error and a non-zero exit, not a panic.

mod common;

use std::time::Duration;

use common::{free_port, run_to_exit};

fn assert_clean_failure(args: &[&str], expected: &str) {
    let (status, stderr) = run_to_exit(args, Duration::from_secs(60));
    assert!(!status.success(), "cpchain-node {args:?} succeeded");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "cpchain-node {args:?} panicked:\n{stderr}"
    );
    let error_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
    assert_eq!(error_lines.len(), 1, "one error line expected:\n{stderr}");
    assert!(
        error_lines[0].contains(expected),
        "error line lacks {expected:?}: {}",
        error_lines[0]
    );
}

#[test]
fn a_missing_chain_spec_file_is_a_clear_error() {
    assert_clean_failure(
        &["--chain", "/nonexistent/cpchain-spec.json", "--tmp"],
        "no chain spec file exists at this path",
    );
}

#[test]
fn a_malformed_chain_spec_is_a_clear_error() {
    let path = std::env::temp_dir().join(format!("cpchain-bad-spec-{}.json", std::process::id()));
    std::fs::write(&path, b"{ \"name\": \"broken\", ").unwrap();
    let path_str = path.to_str().unwrap().to_string();
    assert_clean_failure(&["--chain", &path_str, "--tmp"], "not a valid chain spec");
    let _ = std::fs::remove_file(path);
}

#[test]
fn an_rpc_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = taken
        .local_addr()
        .expect("a bound address")
        .port()
        .to_string();
    let p2p = format!("/ip4/127.0.0.1/tcp/{}", free_port());
    assert_clean_failure(
        &[
            "--dev",
            "--tmp",
            "--rpc-port",
            &port,
            "--listen-addr",
            &p2p,
            "--no-prometheus",
            "--no-mdns",
            "--no-telemetry",
        ],
        &port,
    );
}

#[test]
fn an_unknown_sealing_mode_is_a_clear_error() {
    let (status, stderr) = run_to_exit(
        &["--dev", "--tmp", "--sealing", "aura"],
        Duration::from_secs(30),
    );
    assert!(!status.success());
    assert!(stderr.contains("unknown sealing mode"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
