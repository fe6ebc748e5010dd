//! Starting `cpchain-node` processes on loopback and talking JSON-RPC to them.

#![allow(dead_code)]

use std::{
    io::Read,
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

mod metrics;

// The node's own client, so the tests speak HTTP exactly as its subcommands do.
#[path = "../../src/rpc_client.rs"]
mod rpc_client;
pub use rpc_client::RpcClient;

/// A free TCP port on 127.0.0.1, never the same twice in one test process:
/// a port handed out is free only until its node binds it, and a node
/// started meanwhile must not get it too.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("the OS hands out a free loopback port");
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// A directory removed when the test ends, also on failure.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `<tmp>/<prefix>-<pid>`.
    pub fn new(prefix: &str) -> TempDir {
        TempDir(std::env::temp_dir().join(format!("{prefix}-{}", std::process::id())))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The libp2p peer id of network key `index + 1` (`--node-key
/// {index+1:064x}`), from the node itself.
pub fn node_key_peer_id(dir: &TempDir, index: usize) -> String {
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join(format!("node-key-{index}"));
    std::fs::write(&file, format!("{:064x}", index + 1)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
        .args([
            "key",
            "inspect-node-key",
            "--file",
            &file.display().to_string(),
        ])
        .output()
        .expect("cpchain-node runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string()
}

/// Starts nodes of the `local` chain, one per name (`--<name>`, network key
/// `index + 1`, database under `base`), each a bootnode of all others, one
/// after the other (several compiling the runtime at once on two cores
/// would outlast the RPC wait). `env` gives a node's extra environment.
pub fn start_local_network(
    base: &TempDir,
    log_prefix: &str,
    names: &[&str],
    env: impl Fn(&str) -> Vec<(String, String)>,
) -> Vec<Node> {
    start_network(base, log_prefix, "local", names, env)
}

/// As [`start_local_network`], for the chain spec `chain` (a name or a file).
pub fn start_network(
    base: &TempDir,
    log_prefix: &str,
    chain: &str,
    names: &[&str],
    env: impl Fn(&str) -> Vec<(String, String)>,
) -> Vec<Node> {
    start_network_with(base, log_prefix, chain, names, env, |_| Vec::new())
}

/// As [`start_network`]; `args` gives a node's extra arguments.
pub fn start_network_with(
    base: &TempDir,
    log_prefix: &str,
    chain: &str,
    names: &[&str],
    env: impl Fn(&str) -> Vec<(String, String)>,
    args: impl Fn(&str) -> Vec<String>,
) -> Vec<Node> {
    let extra_args = args;
    let ports: Vec<(u16, u16)> = names.iter().map(|_| (free_port(), free_port())).collect();
    let addresses: Vec<String> = ports
        .iter()
        .enumerate()
        .map(|(i, (_, p2p))| format!("/ip4/127.0.0.1/tcp/{p2p}/p2p/{}", node_key_peer_id(base, i)))
        .collect();
    let mut nodes = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let mut args = vec![
            "--chain".to_string(),
            chain.into(),
            format!("--{name}"),
            "--base-path".into(),
            base.0.join(name).display().to_string(),
            "--node-key".into(),
            format!("{:064x}", index + 1),
            "--bootnodes".into(),
        ];
        args.extend(
            addresses
                .iter()
                .enumerate()
                .filter(|(other, _)| *other != index)
                .map(|(_, address)| address.clone()),
        );
        args.extend(extra_args(name));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env = env(name);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (rpc, p2p) = ports[index];
        let node = Node::start_with_env(&format!("{log_prefix}-{name}"), &args, rpc, p2p, &env);
        node.wait_for_rpc();
        nodes.push(node);
    }
    nodes
}

/// A running node. Dropping it stops the node (also when a test panics).
pub struct Node {
    child: Option<Child>,
    pub rpc_port: u16,
    pub p2p_port: u16,
    pub log: PathBuf,
    /// How it was started, for [`Node::restart`].
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Node {
    /// Starts `cpchain-node` with `args`, RPC and p2p on free loopback ports.
    pub fn start(name: &str, args: &[&str]) -> Node {
        Node::start_on(name, args, free_port(), free_port())
    }

    /// Starts `cpchain-node` on the given loopback ports: a node restarted
    /// on its old ports can be found again by peers that knew it.
    pub fn start_on(name: &str, args: &[&str], rpc_port: u16, p2p_port: u16) -> Node {
        Node::start_with_env(name, args, rpc_port, p2p_port, &[])
    }

    /// As [`Node::start_on`], with extra environment variables.
    pub fn start_with_env(
        name: &str,
        args: &[&str],
        rpc_port: u16,
        p2p_port: u16,
        env: &[(&str, &str)],
    ) -> Node {
        let log = std::env::temp_dir().join(format!(
            "cpchain-test-{name}-{}-{rpc_port}.log",
            std::process::id()
        ));
        // Appended to: a restarted node's earlier lives stay readable.
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file can be created");
        let child = Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
            .envs(env.iter().copied())
            .args(args)
            .args([
                "--rpc-port",
                &rpc_port.to_string(),
                "--listen-addr",
                &format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
                "--no-mdns",
            ])
            .args(
                (!args.contains(&"--prometheus-port"))
                    .then_some("--no-prometheus")
                    .into_iter(),
            )
            .args(
                (!args.contains(&"--telemetry-url"))
                    .then_some("--no-telemetry")
                    .into_iter(),
            )
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("cpchain-node starts");
        Node {
            child: Some(child),
            rpc_port,
            p2p_port,
            log,
            name: name.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Stops the node if it runs, and starts it again as it was started:
    /// same arguments, ports and database.
    pub fn restart(&mut self) {
        self.stop();
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut restarted =
            Node::start_with_env(&self.name, &args, self.rpc_port, self.p2p_port, &env);
        self.child = restarted.child.take();
        // The same log file, appended to: the husk must not delete it.
        restarted.log = PathBuf::new();
    }

    /// The last lines the node logged, for failure messages.
    pub fn log_tail(&self) -> String {
        let text =
            String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Calls `method`; Err carries a JSON-RPC or transport error.
    pub fn try_rpc(&self, method: &str, params: Value) -> Result<Value, String> {
        RpcClient::new(&format!("http://127.0.0.1:{}", self.rpc_port))?.call(method, params)
    }

    /// Posts a JSON-RPC batch; the answers, in any order.
    pub fn rpc_batch(&self, batch: Value) -> Vec<Value> {
        let answer = RpcClient::new(&format!("http://127.0.0.1:{}", self.rpc_port))
            .and_then(|client| client.post(&batch))
            .unwrap_or_else(|e| panic!("batch failed: {e}\n{}", self.log_tail()));
        match answer {
            Value::Array(answers) => answers,
            other => panic!("not a batch answer: {other}"),
        }
    }

    pub fn rpc(&self, method: &str, params: Value) -> Value {
        self.try_rpc(method, params).unwrap_or_else(|e| {
            panic!(
                "{method} failed: {e}\n--- node log ---\n{}",
                self.log_tail()
            )
        })
    }

    /// Polls `probe` until it returns Some, or fails the test after `timeout`.
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut probe: impl FnMut(&Node) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = probe(self) {
                return value;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what}\n--- node log {} ---\n{}",
                    self.log.display(),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the RPC server answers.
    pub fn wait_for_rpc(&self) {
        let mut last_error = String::new();
        self.wait_for("the RPC server", Duration::from_secs(60), |node| {
            let answer = node.try_rpc("system_health", json!([]));
            if let Err(e) = &answer {
                if *e != last_error {
                    eprintln!("system_health on port {}: {e}", node.rpc_port);
                    last_error = e.clone();
                }
            }
            answer.ok()
        });
    }

    pub fn finalized_number(&self) -> Option<u64> {
        let hash = self.try_rpc("chain_getFinalizedHead", json!([])).ok()?;
        let header = self.try_rpc("chain_getHeader", json!([hash])).ok()?;
        parse_hex_u64(header["number"].as_str()?)
    }

    /// Stops the node with SIGTERM, then SIGKILL if it lingers.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Kills the node with SIGKILL, as a crash would; its log stays for
    /// inspection until the `Node` is dropped.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The lines of the node's whole log that contain `needle`.
    pub fn log_lines_with(&self, needle: &str) -> Vec<String> {
        // Lossy: a line cut mid-character must not hide the others.
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default())
            .lines()
            .filter(|line| line.contains(needle))
            .map(str::to_string)
            .collect()
    }

    /// Whether the process has exited; its status if so.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// The raw value of storage `key` at block `at` (a hash, or null for the
/// best block).
pub fn storage_at(node: &Node, key: &[u8], at: &Value) -> Option<Vec<u8>> {
    let value = node.rpc("state_getStorage", json!([hex_encode(key), at]));
    value.as_str().map(hex_decode)
}

/// The events of block `at`, decoded with this crate's runtime types.
pub fn events_at(node: &Node, at: &Value) -> Vec<cpchain_runtime::RuntimeEvent> {
    use codec::Decode;
    // frame-system's `Events` storage item is private; its key is public.
    let key = [
        sp_io::hashing::twox_128(b"System"),
        sp_io::hashing::twox_128(b"Events"),
    ]
    .concat();
    let bytes = storage_at(node, &key, at).unwrap_or_default();
    Vec::<frame_system::EventRecord<cpchain_runtime::RuntimeEvent, cpchain_primitives::Hash>>::decode(
        &mut &bytes[..],
    )
    .expect("events decode with the runtime's types")
    .into_iter()
    .map(|record| record.event)
    .collect()
}

/// `who`'s balances at block `at`.
pub fn account_data(
    node: &Node,
    who: &cpchain_primitives::AccountId,
    at: &Value,
) -> pallet_balances::AccountData<cpchain_primitives::Balance> {
    use codec::Decode;
    let key = frame_system::Account::<cpchain_runtime::Runtime>::hashed_key_for(who);
    let bytes = storage_at(node, &key, at).expect("the account exists");
    frame_system::AccountInfo::<cpchain_primitives::Nonce, _>::decode(&mut &bytes[..])
        .expect("account decodes")
        .data
}

/// `who`'s nonce at block `at`: how many of its transactions that block's
/// chain holds. 0 for an account that does not exist.
pub fn nonce_at(node: &Node, who: &cpchain_primitives::AccountId, at: &Value) -> u32 {
    use codec::Decode;
    let key = frame_system::Account::<cpchain_runtime::Runtime>::hashed_key_for(who);
    storage_at(node, &key, at)
        .and_then(|bytes| {
            frame_system::AccountInfo::<
                cpchain_primitives::Nonce,
                pallet_balances::AccountData<cpchain_primitives::Balance>,
            >::decode(&mut &bytes[..])
            .ok()
        })
        .map_or(0, |info| info.nonce)
}

/// The Prometheus exposition of the node whose metrics listen on `port`.
pub fn scrape_metrics(port: u16) -> String {
    metrics::scrape(port).unwrap_or_else(|e| panic!("{e}"))
}

/// The sum of a metric's samples (all label sets) in `exposition`; 0 if
/// it has none.
pub fn metric_sum(exposition: &str, name: &str) -> f64 {
    metrics::metric_sum(exposition, name)
}

pub fn parse_hex_u64(hex: &str) -> Option<u64> {
    u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok()
}

pub fn hex_decode(hex: &str) -> Vec<u8> {
    let hex = hex.trim_start_matches("0x");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("valid hex"))
        .collect()
}

pub fn hex_encode(bytes: &[u8]) -> String {
    let mut out = String::from("0x");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Runs `cpchain-node` with `args`: whether it succeeded, and its stdout
/// and stderr.
pub fn node_command(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
        .args(args)
        .output()
        .expect("cpchain-node runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Runs `cpchain-node` with `args` to completion and returns (status, stderr).
pub fn run_to_exit(args: &[&str], timeout: Duration) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cpchain-node starts");
    // Drain stderr on a thread so a chatty node cannot block on a full pipe.
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
    let stderr_reader = std::thread::spawn(move || {
        let mut stderr = String::new();
        let _ = stderr_pipe.read_to_string(&mut stderr);
        stderr
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cpchain-node {args:?} did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (status, stderr_reader.join().unwrap_or_default())
}

/// The `local` chain spec with another block period (and a 3 s impeach
/// timeout), written to `dir`; returns its path for `--chain`.
pub fn local_spec_with_period(dir: &TempDir, period_ms: u64) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
        .args([
            "build-spec",
            "--chain",
            "local",
            "--disable-default-bootnode",
        ])
        .output()
        .expect("cpchain-node runs");
    assert!(output.status.success(), "{output:?}");
    let mut spec: Value = serde_json::from_slice(&output.stdout).expect("a JSON spec");
    fn set(value: &mut Value, key: &str, to: u64) -> bool {
        match value {
            Value::Object(map) => {
                if let Some(slot) = map.get_mut(key) {
                    *slot = json!(to);
                    return true;
                }
                map.values_mut().any(|v| set(v, key, to))
            }
            _ => false,
        }
    }
    assert!(set(&mut spec, "periodMs", period_ms));
    assert!(set(&mut spec, "impeachTimeoutMs", 3_000));
    std::fs::create_dir_all(&dir.0).unwrap();
    let path = dir.0.join(format!("local-{period_ms}ms-spec.json"));
    std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
    path.display().to_string()
}

/// The validators that signed the certificate of block `height` (its `dpor`
/// justification); fails the test if the block has none.
pub fn certificate_signers(
    node: &Node,
    height: u64,
) -> std::collections::BTreeSet<cpchain_primitives::dpor_crypto::AuthorityId> {
    use codec::Decode;
    let hash = node.rpc("chain_getBlockHash", json!([height]));
    let block = node.rpc("chain_getBlock", json!([hash]));
    let justifications = block["justifications"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let dpor = justifications
        .iter()
        .find(|j| j[0] == json!([100, 112, 111, 114]))
        .unwrap_or_else(|| panic!("#{height} has no DPoR certificate"));
    // (engine id, data), both serialized as arrays of bytes.
    let bytes: Vec<u8> = serde_json::from_value(dpor[1].clone()).expect("justification bytes");
    cpchain_primitives::finality::DporJustification::decode(&mut &bytes[..])
        .unwrap()
        .signatures
        .into_iter()
        .map(|(signer, _)| signer)
        .collect()
}

/// The proposer a block names in its DPoR digest, and whether it is an
/// impeach block.
pub fn block_origin(node: &Node, hash: &str) -> (cpchain_primitives::AccountId, bool) {
    use codec::Decode;
    let header = node.rpc("chain_getHeader", json!([hash]));
    let items: Vec<sp_runtime::DigestItem> = header["digest"]["logs"]
        .as_array()
        .expect("digest logs")
        .iter()
        .map(|log| {
            sp_runtime::DigestItem::decode(&mut &hex_decode(log.as_str().unwrap())[..]).unwrap()
        })
        .collect();
    let digest =
        cpchain_primitives::digest::DporPreDigest::<cpchain_primitives::AccountId>::find_in_items(
            &items,
        )
        .expect("a DPoR digest");
    (digest.proposer, digest.impeach)
}

/// Whether the block at `hash` is an impeach block: a DPoR pre-runtime
/// digest and no seal.
pub fn is_impeach_block(node: &Node, hash: &str) -> bool {
    let header = node.rpc("chain_getHeader", json!([hash]));
    let logs: Vec<Vec<u8>> = header["digest"]["logs"]
        .as_array()
        .expect("digest logs")
        .iter()
        .map(|log| hex_decode(log.as_str().unwrap()))
        .collect();
    // DigestItem::PreRuntime is 6, DigestItem::Seal is 5.
    let pre_runtime = logs.iter().any(|log| log[0] == 6 && &log[1..5] == b"dpor");
    let sealed = logs.iter().any(|log| log[0] == 5);
    pre_runtime && !sealed
}

/// The chain spec `cpchain-node build-spec --chain <chain>` prints.
pub fn build_spec(chain: &str) -> Value {
    let (ok, text) = node_command(&["build-spec", "--chain", chain, "--disable-default-bootnode"]);
    assert!(ok, "{text}");
    // The spec is on stdout, before any log lines on stderr.
    let start = text.find("{\n").expect("a JSON spec");
    serde_json::Deserializer::from_str(&text[start..])
        .into_iter::<Value>()
        .next()
        .unwrap()
        .expect("a JSON spec")
}
