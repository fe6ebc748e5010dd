//! `cpchain-node admission-prove` finds nonces the runtime's check accepts.

use std::process::Command;

use cpchain_primitives::{AccountId, SS58_PREFIX};
use pallet_admission::proof::{meets_difficulty, proof_data, proof_hash, ProofKind};
use sp_core::crypto::{Ss58AddressFormat, Ss58Codec};
use sp_keyring::Sr25519Keyring::Alice;

const BLOCK_HASH: &str = "0x0707070707070707070707070707070707070707070707070707070707070707";

fn prove(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
        .arg("admission-prove")
        .args(args)
        .output()
        .expect("cpchain-node runs")
}

#[test]
fn the_prover_finds_nonces_that_meet_the_difficulties() {
    let alice: AccountId = Alice.to_account_id();
    let address = alice.to_ss58check_with_version(Ss58AddressFormat::custom(SS58_PREFIX));
    let output = prove(&[
        "--account",
        &address,
        "--block-number",
        "41",
        "--block-hash",
        BLOCK_HASH,
        "--cpu-difficulty",
        "10",
        "--memory-difficulty",
        "3",
        "--max-tries",
        "1000000",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(answer["cpu"]["blockNumber"], 41);
    let hash = [7u8; 32];
    for (kind, name, difficulty) in [
        (ProofKind::Cpu, "cpu", 10),
        (ProofKind::Memory, "memory", 3),
    ] {
        let nonce = answer[name]["nonce"].as_u64().expect("a nonce");
        let data = proof_data(alice.as_ref(), &hash, nonce);
        assert!(
            meets_difficulty(&proof_hash(kind, &data), difficulty),
            "{name} nonce {nonce}"
        );
    }
}

#[test]
fn bad_prover_input_is_a_clear_error() {
    for (args, expected) in [
        (
            vec![
                "--account",
                "nonsense",
                "--block-number",
                "1",
                "--block-hash",
                BLOCK_HASH,
            ],
            "--account",
        ),
        (
            vec![
                "--account",
                "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
                "--block-number",
                "1",
                "--block-hash",
                "0x12",
            ],
            "--block-hash",
        ),
        (
            vec![
                "--account",
                "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
                "--block-number",
                "1",
                "--block-hash",
                BLOCK_HASH,
                "--cpu-difficulty",
                "300",
            ],
            "above 256",
        ),
    ] {
        let output = prove(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn the_prover_gives_up_after_max_tries() {
    let alice = Alice
        .to_account_id()
        .to_ss58check_with_version(Ss58AddressFormat::custom(SS58_PREFIX));
    let output = prove(&[
        "--account",
        &alice,
        "--block-number",
        "1",
        "--block-hash",
        BLOCK_HASH,
        "--cpu-difficulty",
        "200",
        "--max-tries",
        "10",
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no CPU nonce within 10 tries"));
}
