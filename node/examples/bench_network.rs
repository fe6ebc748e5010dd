//! The DPoR network benchmark (run it with `scripts/bench-network.sh`).
//!
//! Starts the `local_testnet` committee (validators Alice..Dave, proposers
//! Eve and Ferdie) as six node processes on loopback, with the period and
//! impeach timeout given, and many funded accounts. It pre-signs
//! `transfer_keep_alive`s, submits them at a fixed rate in JSON-RPC batches
//! to both proposers, follows Alice's finalized head, and prints:
//! - submit to finalized, p50 and p99 (a transaction's submission to the
//!   moment Alice reports its block final);
//! - proposal to final, p50 and p99 (the block's timestamp, which the
//!   proposer sets when it starts building, to the same moment);
//! - finalized transfers per second over the measured window;
//! - the time from killing the next proposer to the next final block.
//!
//! Finality is observed by polling every 10 ms, so times carry up to 10 ms
//! of observation delay.

use std::{
    collections::HashMap,
    io::Write,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use codec::Encode;
use cpchain_primitives::AccountId;
use cpchain_runtime::{BalancesCall, RuntimeCall};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};
use sp_runtime::MultiAddress;

#[path = "../src/rpc_client.rs"]
mod rpc_client;
use rpc_client::RpcClient;

const NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
/// The peer id of node key 0x00..01 (Alice's), for the others' bootnode.
const ALICE_PEER_ID: &str = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";

struct Settings {
    node: PathBuf,
    period_ms: u64,
    timeout_ms: u64,
    rate: u64,
    accounts: u32,
    warmup: Duration,
    measure: Duration,
    /// Passed to the nodes' `--pool-type`.
    pool_type: String,
}

impl Settings {
    fn from_args() -> Result<Self, String> {
        let mut settings = Settings {
            node: PathBuf::new(),
            period_ms: 1_000,
            timeout_ms: 2_000,
            rate: 1_000,
            accounts: 1_000,
            warmup: Duration::from_secs(10),
            measure: Duration::from_secs(60),
            pool_type: "fork-aware".into(),
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("{flag} {value}: not a number"))
            };
            match flag.as_str() {
                "--node" => settings.node = PathBuf::from(value),
                "--period-ms" => settings.period_ms = number()?,
                "--timeout-ms" => settings.timeout_ms = number()?,
                "--rate" => settings.rate = number()?.max(1),
                "--accounts" => settings.accounts = number()?.clamp(1, 100_000) as u32,
                "--warmup-s" => settings.warmup = Duration::from_secs(number()?),
                "--measure-s" => settings.measure = Duration::from_secs(number()?.max(1)),
                "--pool-type" => settings.pool_type = value.clone(),
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        if !settings.node.is_file() {
            return Err(format!(
                "--node {}: no cpchain-node binary there",
                settings.node.display()
            ));
        }
        Ok(settings)
    }
}

/// CPU time (user + system) process `pid` has used, in clock ticks of
/// 10 ms (Linux's USER_HZ), from /proc.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // utime and stime are the 12th and 13th fields after the command name.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// A node process; killed when dropped.
struct NodeProcess {
    name: &'static str,
    child: Option<Child>,
    url: String,
    rpc: RpcClient,
}

impl NodeProcess {
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Replaces the number after `"key":` in a pretty-printed chain spec. The
/// spec is edited as text: its balances exceed what JSON numbers parsed as
/// f64 keep exactly.
fn set_number(spec: &str, key: &str, value: u64) -> Result<String, String> {
    let marker = format!("\"{key}\":");
    let start = spec.find(&marker).ok_or(format!("no {key} in the spec"))? + marker.len();
    let rest = &spec[start..];
    let digits_from = rest.find(|c: char| c.is_ascii_digit()).ok_or("no number")?;
    let digits_to = rest[digits_from..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(rest.len(), |end| digits_from + end);
    Ok(format!(
        "{}{}{value}{}",
        &spec[..start],
        &rest[..digits_from],
        &rest[digits_to..]
    ))
}

fn chain_spec(settings: &Settings, dir: &Path, funded: &[AccountId]) -> Result<PathBuf, String> {
    let output = Command::new(&settings.node)
        .args([
            "build-spec",
            "--chain",
            "local",
            "--disable-default-bootnode",
        ])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", settings.node.display()))?;
    let spec = String::from_utf8(output.stdout).map_err(|e| e.to_string())?;
    let spec = set_number(&spec, "periodMs", settings.period_ms)?;
    let mut spec = set_number(&spec, "impeachTimeoutMs", settings.timeout_ms)?;
    let balances = spec
        .find("\"balances\": [")
        .ok_or("no balances in the spec")?
        + "\"balances\": [".len();
    let entries: String = funded
        .iter()
        .map(|who| format!("[\"{}\", 1000000000000000000000],", who.to_ss58check()))
        .collect();
    spec.insert_str(balances, &entries);
    let path = dir.join("bench-spec.json");
    std::fs::write(&path, spec).map_err(|e| e.to_string())?;
    Ok(path)
}

fn start_nodes(settings: &Settings, dir: &Path, spec: &Path) -> Result<Vec<NodeProcess>, String> {
    let mut nodes = Vec::new();
    let mut alice_port = None;
    for (index, name) in NAMES.iter().enumerate() {
        let (rpc_port, p2p_port) = (free_port(), free_port());
        let log =
            std::fs::File::create(dir.join(format!("{name}.log"))).map_err(|e| e.to_string())?;
        let mut command = Command::new(&settings.node);
        command
            .args(["--chain", &spec.display().to_string(), &format!("--{name}")])
            .args(["--base-path", &dir.join(name).display().to_string()])
            .args(["--node-key", &format!("{:064x}", index + 1)])
            .args(["--rpc-port", &rpc_port.to_string()])
            .args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
            .args(["--no-prometheus", "--no-telemetry", "--no-mdns"])
            .args(["--pool-type", &settings.pool_type])
            .args([
                "--rpc-max-request-size",
                "64",
                "--rpc-max-response-size",
                "64",
            ])
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(port) = alice_port {
            command.args([
                "--bootnodes",
                &format!("/ip4/127.0.0.1/tcp/{port}/p2p/{ALICE_PEER_ID}"),
            ]);
        } else {
            alice_port = Some(p2p_port);
        }
        let child = command.spawn().map_err(|e| e.to_string())?;
        let url = format!("http://127.0.0.1:{rpc_port}");
        nodes.push(NodeProcess {
            name,
            child: Some(child),
            rpc: RpcClient::new(&url)?,
            url,
        });
    }
    Ok(nodes)
}

fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Result<T, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return Ok(value);
        }
        if Instant::now() > deadline {
            return Err(format!("gave up waiting for {what} after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn number_of(header: &Value) -> Option<u64> {
    u64::from_str_radix(header["number"].as_str()?.trim_start_matches("0x"), 16).ok()
}

fn finalized_number(rpc: &RpcClient) -> Option<u64> {
    let hash = rpc.call("chain_getFinalizedHead", json!([])).ok()?;
    number_of(&rpc.call("chain_getHeader", json!([hash])).ok()?)
}

fn hex_decode(hex: &str) -> Vec<u8> {
    let hex = hex.trim_start_matches("0x");
    (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&hex.get(i..i + 2)?, 16).ok())
        .collect()
}

fn hex_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 + 2 * bytes.len());
    out.push_str("0x");
    for byte in bytes {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// A block as Alice reported it final.
struct FinalBlock {
    seen: Instant,
    transfers: usize,
    proposal_to_final_ms: Option<u64>,
}

struct Observations {
    blocks: Vec<FinalBlock>,
    submit_to_final: Vec<(Instant, Duration)>,
}

/// Follows `rpc`'s finalized head until `stop`, matching extrinsics
/// against the submission times in `submitted`.
fn observe(
    rpc: RpcClient,
    submitted: Arc<Mutex<HashMap<[u8; 32], Instant>>>,
    stop: Arc<AtomicBool>,
) -> Observations {
    let timestamp_key = hex_encode(
        &[
            sp_io::hashing::twox_128(b"Timestamp"),
            sp_io::hashing::twox_128(b"Now"),
        ]
        .concat(),
    );
    let mut observations = Observations {
        blocks: Vec::new(),
        submit_to_final: Vec::new(),
    };
    let mut last = finalized_number(&rpc).unwrap_or(0);
    while !stop.load(Ordering::Relaxed) {
        let Some(now_final) = finalized_number(&rpc) else {
            continue;
        };
        let (seen, seen_ms) = (Instant::now(), unix_ms());
        for number in last + 1..=now_final {
            let Ok(hash) = rpc.call("chain_getBlockHash", json!([number])) else {
                continue;
            };
            let block = rpc
                .call("chain_getBlock", json!([hash]))
                .unwrap_or_default();
            let extrinsics = block["block"]["extrinsics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut transfers = 0;
            {
                let submitted = submitted.lock().unwrap_or_else(|e| e.into_inner());
                for xt in &extrinsics {
                    let bytes = hex_decode(xt.as_str().unwrap_or_default());
                    if let Some(at) = submitted.get(&sp_io::hashing::blake2_256(&bytes)) {
                        transfers += 1;
                        observations.submit_to_final.push((seen, seen - *at));
                    }
                }
            }
            let timestamp = rpc
                .call("state_getStorage", json!([timestamp_key, hash]))
                .ok()
                .and_then(|value| {
                    let bytes: [u8; 8] = hex_decode(value.as_str()?).try_into().ok()?;
                    Some(u64::from_le_bytes(bytes))
                });
            observations.blocks.push(FinalBlock {
                seen,
                transfers,
                proposal_to_final_ms: timestamp.map(|ts| seen_ms.saturating_sub(ts)),
            });
        }
        last = last.max(now_final);
        std::thread::sleep(Duration::from_millis(10));
    }
    observations
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Submitted {
    sent: usize,
    refused: usize,
    first_error: Option<String>,
}

/// Sends `batches` to one node on a 100 ms schedule from `start`, until
/// they run out or `until` passes.
fn submit(
    rpc: RpcClient,
    batches: &[(Vec<[u8; 32]>, Value)],
    submitted: &Mutex<HashMap<[u8; 32], Instant>>,
    start: Instant,
    until: Instant,
) -> Result<Submitted, String> {
    let mut outcome = Submitted {
        sent: 0,
        refused: 0,
        first_error: None,
    };
    for (tick, (hashes, request)) in batches.iter().enumerate() {
        let due = start + Duration::from_millis(100 * tick as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        {
            let now = Instant::now();
            let mut submitted = submitted.lock().unwrap_or_else(|e| e.into_inner());
            for hash in hashes {
                submitted.entry(*hash).or_insert(now);
            }
        }
        match rpc.post(request) {
            Ok(Value::Array(answers)) => {
                for answer in answers.iter().filter(|a| a.get("error").is_some()) {
                    // The same transaction reaching the pool by gossip first is no failure.
                    let text = answer["error"].to_string();
                    if !text.to_ascii_lowercase().contains("already imported") {
                        outcome.refused += 1;
                        outcome.first_error.get_or_insert(text);
                    }
                }
            }
            Ok(other) => {
                outcome.first_error.get_or_insert(other.to_string());
            }
            Err(e) => {
                outcome.first_error.get_or_insert(e);
            }
        }
        outcome.sent += hashes.len();
        if Instant::now() > until {
            break;
        }
    }
    Ok(outcome)
}

fn run(settings: Settings) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("cpchain-bench-network-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = run_in(&settings, &dir);
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("node logs kept in {}", dir.display());
    }
    result
}

fn run_in(settings: &Settings, dir: &Path) -> Result<(), String> {
    eprintln!("bench: deriving {} accounts", settings.accounts);
    let senders: Vec<sr25519::Pair> = (0..settings.accounts)
        .map(|i| {
            sr25519::Pair::from_string(&format!("//bench//{i}"), None).expect("a valid derivation")
        })
        .collect();
    let funded: Vec<AccountId> = senders.iter().map(|pair| pair.public().into()).collect();
    let spec = chain_spec(settings, dir, &funded)?;
    eprintln!(
        "bench: starting 6 nodes (period {} ms, impeach timeout {} ms), logs in {}",
        settings.period_ms,
        settings.timeout_ms,
        dir.display()
    );
    let mut nodes = start_nodes(settings, dir, &spec)?;
    for node in &nodes {
        wait_until(
            &format!("{}'s RPC", node.name),
            Duration::from_secs(60),
            || node.rpc.call("system_health", json!([])).ok(),
        )?;
    }
    wait_until("block #2 final", Duration::from_secs(120), || {
        finalized_number(&nodes[0].rpc).filter(|n| *n >= 2)
    })?;
    let genesis = nodes[0].rpc.call("chain_getBlockHash", json!([0]))?;
    let genesis = H256::from_slice(&hex_decode(genesis.as_str().unwrap_or_default()));

    // Pre-sign everything the run can submit: nonce-major, so that each
    // second's submissions spread over all accounts.
    let total = settings.rate * (settings.warmup + settings.measure).as_secs();
    let per_account = total.div_ceil(u64::from(settings.accounts));
    let dest = MultiAddress::Id(AccountId::from(
        sr25519::Pair::from_string("//Alice", None)
            .expect("dev seed")
            .public(),
    ));
    eprintln!("bench: pre-signing {total} transfers");
    let mut signed: Vec<([u8; 32], String)> = Vec::with_capacity(total as usize);
    'sign: for nonce in 0..per_account {
        for pair in &senders {
            if signed.len() as u64 == total {
                break 'sign;
            }
            let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
                dest: dest.clone(),
                value: 1_000_000_000_000,
            });
            let xt = cpchain_runtime::sign_extrinsic(call, pair, nonce as u32, genesis).encode();
            signed.push((sp_io::hashing::blake2_256(&xt), hex_encode(&xt)));
        }
    }

    let submitted = Arc::new(Mutex::new(HashMap::with_capacity(signed.len())));
    let stop = Arc::new(AtomicBool::new(false));
    let observer = {
        let rpc = RpcClient::new(&nodes[0].url)?;
        let (submitted, stop) = (submitted.clone(), stop.clone());
        std::thread::spawn(move || observe(rpc, submitted, stop))
    };

    // Submit in batches every 100 ms, to both proposers in parallel; a
    // transaction's submission time is its first batch's.
    eprintln!(
        "bench: {} tx/s for {:?} warm-up and {:?} measured",
        settings.rate, settings.warmup, settings.measure
    );
    let batch = (settings.rate / 10).max(1) as usize;
    let batches: Arc<Vec<(Vec<[u8; 32]>, Value)>> = Arc::new(
        signed
            .chunks(batch)
            .map(|chunk| {
                let request = RpcClient::submit_batch(chunk.iter().map(|(_, hex)| hex.as_str()));
                (chunk.iter().map(|(hash, _)| *hash).collect(), request)
            })
            .collect(),
    );
    let start = Instant::now();
    let measure_from = start + settings.warmup;
    let measure_to = measure_from + settings.measure;
    let cpu_sampler = {
        let pids: Vec<u32> = nodes
            .iter()
            .filter_map(|n| n.child.as_ref().map(Child::id))
            .collect();
        std::thread::spawn(move || {
            let read = |pid: u32| cpu_ticks(pid).unwrap_or_default();
            if let Some(wait) = measure_from.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let before: Vec<u64> = pids.iter().map(|pid| read(*pid)).collect();
            if let Some(wait) = measure_to.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            pids.iter()
                .zip(before)
                .map(|(pid, before)| Duration::from_millis(read(*pid).saturating_sub(before) * 10))
                .collect::<Vec<_>>()
        })
    };
    let submitters: Vec<_> = nodes[4..6]
        .iter()
        .map(|proposer| {
            let rpc = RpcClient::new(&proposer.url);
            let (batches, submitted) = (batches.clone(), submitted.clone());
            std::thread::spawn(move || submit(rpc?, &batches, &submitted, start, measure_to))
        })
        .collect();
    let mut outcomes = Vec::new();
    for submitter in submitters {
        outcomes.push(submitter.join().map_err(|_| "a submitter panicked")??);
    }
    let sent = outcomes.iter().map(|o| o.sent).min().unwrap_or_default();
    let refused: usize = outcomes.iter().map(|o| o.refused).sum();
    let first_error = outcomes.iter().find_map(|o| o.first_error.clone());
    let offered = sent as f64 / (Instant::now() - start).as_secs_f64();
    let window_cpu = cpu_sampler.join().map_err(|_| "the CPU sampler panicked")?;
    // Let the backlog drain, then stop observing.
    std::thread::sleep(Duration::from_secs(5));
    stop.store(true, Ordering::Relaxed);
    let observations = observer.join().map_err(|_| "the observer panicked")?;

    // The window's figures.
    let in_window = |at: Instant| at >= measure_from && at < measure_to;
    let mut submit_ms: Vec<u64> = observations
        .submit_to_final
        .iter()
        .filter(|(seen, _)| in_window(*seen))
        .map(|(_, latency)| latency.as_millis() as u64)
        .collect();
    submit_ms.sort_unstable();
    let window_blocks: Vec<&FinalBlock> = observations
        .blocks
        .iter()
        .filter(|block| in_window(block.seen))
        .collect();
    let mut proposal_ms: Vec<u64> = window_blocks
        .iter()
        .filter_map(|block| block.proposal_to_final_ms)
        .collect();
    proposal_ms.sort_unstable();
    let finalized_transfers: usize = window_blocks.iter().map(|block| block.transfers).sum();
    let tps = finalized_transfers as f64 / settings.measure.as_secs_f64();
    let included: usize = observations
        .blocks
        .iter()
        .map(|block| block.transfers)
        .sum();

    // Recovery: kill the proposer of the next block as its round begins.
    let recovery = measure_recovery(&mut nodes, settings)?;
    let authoring = authoring_summary(dir);

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\nDPoR network benchmark: 4 validators + 2 proposers, 6 processes on one machine"
    );
    let _ = writeln!(
        out,
        "period {} ms, impeach timeout {} ms, offered load {} tx/s from {} accounts, window {:?}, {} pool\n",
        settings.period_ms, settings.timeout_ms, settings.rate, settings.accounts, settings.measure, settings.pool_type
    );
    let _ = writeln!(out, "| figure | value |");
    let _ = writeln!(out, "|---|---|");
    let _ = writeln!(
        out,
        "| tx submit to finalized, p50 | {} ms |",
        percentile(&submit_ms, 50.0)
    );
    let _ = writeln!(
        out,
        "| tx submit to finalized, p99 | {} ms |",
        percentile(&submit_ms, 99.0)
    );
    let _ = writeln!(
        out,
        "| proposal to final, p50 | {} ms |",
        percentile(&proposal_ms, 50.0)
    );
    let _ = writeln!(
        out,
        "| proposal to final, p99 | {} ms |",
        percentile(&proposal_ms, 99.0)
    );
    let _ = writeln!(
        out,
        "| finalized transfers per second (window) | {tps:.0} |"
    );
    let _ = writeln!(
        out,
        "| final blocks in the window | {} |",
        window_blocks.len()
    );
    let _ = writeln!(out, "| transfers submitted (achieved rate) / finalized in all / refused by pools | {sent} ({offered:.0}/s) / {included} / {refused} |");
    let _ = writeln!(
        out,
        "| killed proposer's turn: previous block final to its height final | {} ms ({}) |",
        recovery.0, recovery.2
    );
    let _ = writeln!(
        out,
        "| killed proposer: kill to its height final | {} ms |",
        recovery.1
    );
    let _ = writeln!(
        out,
        "| proposers' blocks built / median build time / median extrinsics | {} / {} ms / {} |",
        authoring.0, authoring.1, authoring.2
    );
    let _ = writeln!(out, "| why building ended | {} |", authoring.3);
    let total_cpu: Duration = window_cpu.iter().sum();
    let per_node: Vec<String> = NAMES
        .iter()
        .zip(&window_cpu)
        .map(|(name, cpu)| format!("{name} {:.1}", cpu.as_secs_f64()))
        .collect();
    let _ = writeln!(
        out,
        "| node CPU in the window, seconds | {} (total {:.1} of {} core-seconds) |",
        per_node.join(", "),
        total_cpu.as_secs_f64(),
        std::thread::available_parallelism().map_or(1, |n| n.get()) as u64
            * settings.measure.as_secs()
    );
    if finalized_transfers > 0 {
        let _ = writeln!(
            out,
            "| node CPU per finalized transfer | {:.2} ms |",
            total_cpu.as_secs_f64() * 1000.0 / finalized_transfers as f64
        );
    }
    if let Some(error) = first_error {
        let _ = writeln!(out, "\nfirst submission error: {error}");
    }
    Ok(())
}

/// Kills a proposer two heights ahead of the final head (whose turn
/// follows another proposer's), and times its turn: from the block before
/// it becoming final to its height becoming final. Gives (turn to final,
/// kill to final, what happened).
fn measure_recovery(
    nodes: &mut [NodeProcess],
    settings: &Settings,
) -> Result<(u64, u64, String), String> {
    let proposers: Vec<(usize, AccountId)> = [4usize, 5]
        .iter()
        .map(|index| {
            let seed = format!("//{}", capitalize(NAMES[*index]));
            let pair = sr25519::Pair::from_string(&seed, None).expect("dev seed");
            (*index, pair.public().into())
        })
        .collect();
    let alice = RpcClient::new(&nodes[0].url)?;
    let proposer_of = |height: u64| -> Option<AccountId> {
        let proposer = alice.call("dpor_getProposer", json!([height])).ok()?;
        Some(
            AccountId::from_ss58check_with_version(proposer.as_str()?)
                .ok()?
                .0,
        )
    };
    let deadline = Duration::from_millis(20 * (settings.period_ms + settings.timeout_ms) + 60_000);
    let (victim, height) = wait_until("a proposer's turn", deadline, || {
        let height = finalized_number(&alice)? + 2;
        let proposer = proposer_of(height)?;
        if proposer_of(height - 1)? == proposer {
            return None;
        }
        proposers
            .iter()
            .find(|(_, account)| *account == proposer)
            .map(|(index, _)| (*index, height))
    })?;
    let killed_at = Instant::now();
    nodes[victim].kill();
    wait_until(&format!("#{} final", height - 1), deadline, || {
        finalized_number(&alice).filter(|n| *n >= height - 1)
    })?;
    let turn_at = Instant::now();
    wait_until(&format!("#{height} final"), deadline, || {
        finalized_number(&alice).filter(|n| *n >= height)
    })?;
    let (turn, since_kill) = (
        turn_at.elapsed().as_millis() as u64,
        killed_at.elapsed().as_millis() as u64,
    );
    let hash = alice.call("chain_getBlockHash", json!([height]))?;
    let header = alice.call("chain_getHeader", json!([hash]))?;
    let logs = header["digest"]["logs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // A seal (DigestItem 5) marks a proposer's block; an impeach block has none.
    let sealed = logs
        .iter()
        .any(|log| log.as_str().is_some_and(|l| l.starts_with("0x05")));
    let outcome = if sealed {
        "sealed by a proposer"
    } else {
        "an impeach block"
    };
    Ok((
        turn,
        since_kill,
        format!("{} killed, #{height} {outcome}", nodes[victim].name),
    ))
}

/// What the proposers' logs say about building: (blocks, median build ms,
/// median extrinsics, end reasons with counts).
fn authoring_summary(dir: &Path) -> (usize, u64, u64, String) {
    let (mut took, mut counts) = (Vec::new(), Vec::new());
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for name in ["eve", "ferdie"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
        for line in text
            .lines()
            .filter(|l| l.contains("Prepared block for proposing"))
        {
            let field = |from: &str, to: char| -> Option<String> {
                let start = line.find(from)? + from.len();
                let end = line[start..].find(to)? + start;
                Some(line[start..end].trim().to_string())
            };
            if let Some(ms) = field("(", ' ').and_then(|v| v.parse::<u64>().ok()) {
                took.push(ms);
            }
            if let Some(count) = line
                .rsplit("extrinsics_count: ")
                .next()
                .and_then(|v| v.trim().parse::<u64>().ok())
            {
                counts.push(count);
            }
            if let Some(reason) = field("end: ", ';') {
                *reasons.entry(reason).or_default() += 1;
            }
        }
    }
    took.sort_unstable();
    counts.sort_unstable();
    let mut reasons: Vec<String> = reasons
        .into_iter()
        .map(|(reason, n)| format!("{reason} x{n}"))
        .collect();
    reasons.sort();
    (
        took.len(),
        percentile(&took, 50.0),
        percentile(&counts, 50.0),
        reasons.join(", "),
    )
}

fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn main() {
    let result = Settings::from_args().and_then(run);
    if let Err(error) = result {
        eprintln!("bench-network: {error}");
        std::process::exit(1);
    }
}
