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
//! - node CPU in the window, and per finalized transfer: in total and
//!   averaged per validator node and per proposer node; the load
//!   generator's own CPU (this process) on a line of its own, counted in
//!   none of the node figures;
//! - the time from killing the next proposer to the next final block.
//!
//! Options (all take a value): `--node <cpchain-node>` (required),
//! `--period-ms` (1000), `--timeout-ms` (2000), `--rate` tx/s (1000),
//! `--accounts` senders (1000; 60 with `--single`), `--warmup-s` (10),
//! `--measure-s` (60), `--pool-type` (the node's default), and:
//!
//! - `--duration <seconds>`, a soak run: submits at `--rate` for that long
//!   (the first `--warmup-s` of it outside the measured window, which
//!   replaces `--measure-s`), kills no proposer, and then waits for the
//!   backlog to drain: until every accepted transfer is final, the final
//!   nonces stop changing for 15 s, or `--drain-s` (120) passes. Besides
//!   the table above it reports the transfers lost (accepted by at least
//!   one proposer's RPC, never final: per sender, its accepted transfers
//!   whose nonce its nonce in the state of Alice's finalized head has not
//!   reached), the transfers refused at submission with the first error,
//!   each node's VmRSS at the start, at the end and its maximum (sampled
//!   every second), and per minute of the run (by when a transfer became
//!   final) the finalized transfers per second and submit to final, p50
//!   and p99.
//! - `--single <instant|dpor>`: one `cpchain-node --dev --tmp` node
//!   instead of six, with `--sealing instant` or the dev chain's DPoR (one
//!   validator-proposer), funded senders and `--pool-limit 50000
//!   --pool-kbytes 200000`; `--accounts` senders (60) sign 200 transfers
//!   each (12,000), submitted back to back in JSON-RPC batches of 500; it
//!   reports the transfers accepted, refused and lost (as above), the time
//!   from the first submission to the last transfer final, and finalized
//!   transfers per second over that time.
//! - `--burst N`: the six nodes at their own pool limits; N transfers to
//!   one proposer (Eve) as fast as it takes them, a refused one again a
//!   second later with its sender's later ones held back (as a wallet
//!   would); reports transfers accepted, refusals, lost, and the time to
//!   the last one final.
//! - `--submit-to one|both`: each transfer to one proposer, alternating,
//!   which relays it to the other (as a wallet submits to one node), or to
//!   both (the default, as measured before the relay existed).
//! - `--node-arg "<flags>"` (repeatable): more flags for every node, such
//!   as `--trie-cache-size 67108864` or `--max-runtime-instances 2`.
//!
//! A transfer counts as accepted by a node when its answer in the batch
//! carries a `result` (or the node says it already has it: it came by
//! gossip). Finality is observed by polling every 10 ms, so times carry up
//! to 10 ms of observation delay. Every node is killed when the run ends,
//! also on failure (and with this process: they share its process group,
//! and each dies with its parent).

use std::{
    collections::HashMap,
    io::Write,
    net::TcpListener,
    ops::Range,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use codec::{Decode, Encode};
use cpchain_primitives::AccountId;
use cpchain_runtime::{BalancesCall, RuntimeCall};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};
use sp_runtime::MultiAddress;

#[path = "../tests/common/metrics.rs"]
mod metrics;
#[path = "../src/rpc_client.rs"]
mod rpc_client;
use rpc_client::RpcClient;

const NAMES: [&str; 6] = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
/// Which of `NAMES` validate and which propose.
const VALIDATORS: Range<usize> = 0..4;
const PROPOSERS: Range<usize> = 4..6;
/// The peer id of node key 0x00..01 (Alice's), for the others' bootnode.
const ALICE_PEER_ID: &str = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";
/// `--single`: transfers each sender signs, the batch size, and the pool's room.
const SINGLE_PER_SENDER: u64 = 200;
const SINGLE_BATCH: usize = 500;
const SINGLE_POOL: [&str; 4] = ["--pool-limit", "50000", "--pool-kbytes", "200000"];
/// The backlog has drained when the final nonces stay the same this long.
const DRAIN_STILL: Duration = Duration::from_secs(15);

#[derive(Clone, Copy, PartialEq)]
enum SingleMode {
    Instant,
    Dpor,
}

struct Settings {
    node: PathBuf,
    period_ms: u64,
    timeout_ms: u64,
    rate: u64,
    accounts: u32,
    warmup: Duration,
    measure: Duration,
    /// Passed to the nodes' `--pool-type` when given; else the node's default.
    pool_type: Option<String>,
    /// `--node-arg`, repeatable: more flags for every node, split on spaces.
    node_args: Vec<String>,
    /// `--duration`: a soak run (then `measure` is the duration less the warm-up).
    soak: bool,
    /// How long at most to wait for the backlog to drain, in a soak or single run.
    drain_bound: Duration,
    single: Option<SingleMode>,
    /// `--burst N`: N transfers to one proposer as fast as it takes them.
    burst: Option<u64>,
    /// `--submit-to one`: each transfer to one proposer (alternating), which
    /// relays it to the other; `both` (the default): to both.
    submit_to_one: bool,
}

impl Settings {
    /// The `--node-arg` flags, for the output's header line.
    fn node_flags_note(&self) -> String {
        if self.node_args.is_empty() {
            String::new()
        } else {
            format!(", node flags `{}`", self.node_args.join(" "))
        }
    }

    /// The pool the nodes run, for the output.
    fn pool_label(&self) -> &str {
        self.pool_type
            .as_deref()
            .unwrap_or("the node's default (single-state since 2026-11-28, fork-aware before)")
    }

    fn from_args() -> Result<Self, String> {
        let mut settings = Settings {
            node: PathBuf::new(),
            period_ms: 1_000,
            timeout_ms: 2_000,
            rate: 1_000,
            accounts: 1_000,
            warmup: Duration::from_secs(10),
            measure: Duration::from_secs(60),
            pool_type: None,
            node_args: Vec::new(),
            soak: false,
            drain_bound: Duration::from_secs(120),
            single: None,
            burst: None,
            submit_to_one: false,
        };
        let (mut accounts, mut duration) = (None, None);
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
                "--accounts" => accounts = Some(number()?.clamp(1, 100_000) as u32),
                "--warmup-s" => settings.warmup = Duration::from_secs(number()?),
                "--measure-s" => settings.measure = Duration::from_secs(number()?.max(1)),
                "--pool-type" => settings.pool_type = Some(value.clone()),
                "--node-arg" => settings
                    .node_args
                    .extend(value.split_whitespace().map(String::from)),
                "--duration" => duration = Some(Duration::from_secs(number()?)),
                "--drain-s" => settings.drain_bound = Duration::from_secs(number()?),
                "--single" => {
                    settings.single = Some(match value.as_str() {
                        "instant" => SingleMode::Instant,
                        "dpor" => SingleMode::Dpor,
                        _ => return Err(format!("--single {value}: instant or dpor")),
                    })
                }
                "--burst" => settings.burst = Some(number()?.max(1)),
                "--submit-to" => {
                    settings.submit_to_one = match value.as_str() {
                        "one" => true,
                        "both" => false,
                        _ => return Err(format!("--submit-to {value}: one or both")),
                    }
                }
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        if !settings.node.is_file() {
            return Err(format!(
                "--node {}: no cpchain-node binary there",
                settings.node.display()
            ));
        }
        if settings.burst.is_some() && (settings.single.is_some() || duration.is_some()) {
            return Err("--burst goes with neither --single nor --duration".into());
        }
        if let Some(duration) = duration {
            if settings.single.is_some() {
                return Err("--duration and --single do not go together".into());
            }
            if duration <= settings.warmup {
                return Err(format!(
                    "--duration {}: must be longer than the warm-up (--warmup-s {})",
                    duration.as_secs(),
                    settings.warmup.as_secs()
                ));
            }
            settings.measure = duration - settings.warmup;
            settings.soak = true;
        }
        let default_accounts = if settings.single.is_some() { 60 } else { 1_000 };
        settings.accounts = accounts.unwrap_or(default_accounts);
        Ok(settings)
    }
}

/// CPU time (user + system) process `pid` ("self" for this one) has used,
/// in clock ticks of 10 ms (Linux's USER_HZ), from /proc.
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // utime and stime are the 12th and 13th fields after the command name.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Resident memory of process `pid` in KiB, from /proc: all of it (VmRSS)
/// and its anonymous part (RssAnon: the heap, without the database files
/// ParityDB maps, which the kernel can take back).
fn rss_kib(pid: &str) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("RssAnon:")?))
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
    prometheus_port: u16,
}

impl NodeProcess {
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn pid(&self) -> Option<String> {
        self.child.as_ref().map(|child| child.id().to_string())
    }

    /// The sum of the node's Prometheus samples named `name`, if the node
    /// answers.
    fn metric(&self, name: &str) -> Option<f64> {
        let exposition = metrics::scrape(self.prometheus_port).ok()?;
        Some(metrics::metric_sum(&exposition, name))
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

/// `chain` (`local` with the period and impeach timeout set, or `dev` as it
/// is) with `funded` endowed.
fn chain_spec(
    settings: &Settings,
    dir: &Path,
    chain: &str,
    funded: &[AccountId],
) -> Result<PathBuf, String> {
    let output = Command::new(&settings.node)
        .args(["build-spec", "--chain", chain, "--disable-default-bootnode"])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", settings.node.display()))?;
    let mut spec = String::from_utf8(output.stdout).map_err(|e| e.to_string())?;
    if chain == "local" {
        spec = set_number(&spec, "periodMs", settings.period_ms)?;
        spec = set_number(&spec, "impeachTimeoutMs", settings.timeout_ms)?;
    }
    let balances = spec
        .find("\"balances\": [")
        .ok_or("no balances in the spec")?
        + "\"balances\": [".len();
    let entries: String = funded
        .iter()
        .map(|who| format!("[\"{}\", 1000000000000000000000],", who.to_ss58check()))
        .collect();
    spec.insert_str(balances, &entries);
    let path = dir.join(format!("bench-spec-{chain}.json"));
    std::fs::write(&path, spec).map_err(|e| e.to_string())?;
    Ok(path)
}

/// Starts node `name` with `args`, the flags every node here shares and
/// ports of its own; its log goes to `<dir>/<name>.log`. Gives the node and
/// its p2p port.
fn start_node(
    settings: &Settings,
    dir: &Path,
    name: &'static str,
    args: &[String],
) -> Result<(NodeProcess, u16), String> {
    let (rpc_port, p2p_port, prometheus_port) = (free_port(), free_port(), free_port());
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).map_err(|e| e.to_string())?;
    let mut command = Command::new(&settings.node);
    command
        .args(args)
        .args(["--rpc-port", &rpc_port.to_string()])
        .args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
        .args(["--prometheus-port", &prometheus_port.to_string()])
        .args(["--no-telemetry", "--no-mdns"])
        .args(
            settings
                .pool_type
                .iter()
                .flat_map(|pool_type| ["--pool-type", pool_type.as_str()]),
        )
        .args(&settings.node_args)
        .args([
            "--rpc-max-request-size",
            "64",
            "--rpc-max-response-size",
            "64",
        ])
        .stdout(Stdio::null())
        .stderr(log);
    // SAFETY: prctl is async-signal-safe and touches no memory of ours.
    unsafe {
        // The node dies with this process (spawned from the main thread,
        // which lives as long as the process), even if it is killed.
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            Ok(())
        });
    }
    let child = command.spawn().map_err(|e| e.to_string())?;
    let url = format!("http://127.0.0.1:{rpc_port}");
    let node = NodeProcess {
        name,
        child: Some(child),
        rpc: RpcClient::new(&url)?,
        url,
        prometheus_port,
    };
    Ok((node, p2p_port))
}

fn start_nodes(settings: &Settings, dir: &Path, spec: &Path) -> Result<Vec<NodeProcess>, String> {
    let mut nodes = Vec::new();
    let mut alice_port = None;
    for (index, name) in NAMES.iter().enumerate() {
        let mut args: Vec<String> = [
            "--chain".into(),
            spec.display().to_string(),
            format!("--{name}"),
            "--base-path".into(),
            dir.join(name).display().to_string(),
            "--node-key".into(),
            format!("{:064x}", index + 1),
        ]
        .into();
        if let Some(port) = alice_port {
            args.push("--bootnodes".into());
            args.push(format!("/ip4/127.0.0.1/tcp/{port}/p2p/{ALICE_PEER_ID}"));
        }
        let (node, p2p_port) = start_node(settings, dir, name, &args)?;
        alice_port.get_or_insert(p2p_port);
        nodes.push(node);
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

/// The senders, `//bench//<i>`, and their accounts.
fn bench_accounts(count: u32) -> (Vec<sr25519::Pair>, Vec<AccountId>) {
    eprintln!("bench: deriving {count} accounts");
    let senders: Vec<sr25519::Pair> = (0..count)
        .map(|i| {
            sr25519::Pair::from_string(&format!("//bench//{i}"), None).expect("a valid derivation")
        })
        .collect();
    let funded = senders.iter().map(|pair| pair.public().into()).collect();
    (senders, funded)
}

/// A pre-signed transfer.
struct Transfer {
    sender: usize,
    nonce: u32,
    hash: [u8; 32],
    hex: String,
}

/// `total` transfers to Alice, nonce-major, so that each second's (or
/// batch's) submissions spread over all senders.
fn sign_transfers(
    rpc: &RpcClient,
    senders: &[sr25519::Pair],
    total: u64,
) -> Result<Vec<Transfer>, String> {
    let genesis = rpc.call("chain_getBlockHash", json!([0]))?;
    let genesis = H256::from_slice(&hex_decode(genesis.as_str().unwrap_or_default()));
    let per_account = total.div_ceil(senders.len() as u64);
    let dest = MultiAddress::Id(AccountId::from(
        sr25519::Pair::from_string("//Alice", None)
            .expect("dev seed")
            .public(),
    ));
    eprintln!("bench: pre-signing {total} transfers");
    let mut signed = Vec::with_capacity(total as usize);
    'sign: for nonce in 0..per_account as u32 {
        for (sender, pair) in senders.iter().enumerate() {
            if signed.len() as u64 == total {
                break 'sign;
            }
            let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
                dest: dest.clone(),
                value: 1_000_000_000_000,
            });
            let xt = cpchain_runtime::sign_extrinsic(call, pair, nonce, genesis).encode();
            signed.push(Transfer {
                sender,
                nonce,
                hash: sp_io::hashing::blake2_256(&xt),
                hex: hex_encode(&xt),
            });
        }
    }
    Ok(signed)
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
    /// When observing ended.
    until: Instant,
}

/// Follows `rpc`'s finalized head until `stop` (looking once more after
/// it is set), matching extrinsics against the submission times in
/// `submitted`.
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
        until: Instant::now(),
    };
    let mut last = finalized_number(&rpc).unwrap_or(0);
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        let now_final = finalized_number(&rpc).unwrap_or(last);
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
        if stopping {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    observations.until = Instant::now();
    observations
}

/// When the last transfer seen became final, from `start`.
fn last_final_after(observations: &Observations, start: Instant) -> Option<Duration> {
    observations
        .submit_to_final
        .iter()
        .map(|(seen, _)| *seen)
        .max()
        .map(|seen| seen.saturating_duration_since(start))
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// One node's answer to one transfer.
#[derive(Clone, Copy, PartialEq)]
enum Answer {
    NotSent,
    Accepted,
    /// Refused, with the index of the error text in `Submitted::errors`.
    Refused(usize),
}

/// Which transfers a submitter sends: those whose index is `index`
/// modulo `of`.
#[derive(Clone, Copy)]
struct Share {
    index: usize,
    of: usize,
}

const ALL: Share = Share { index: 0, of: 1 };

/// One node's answers, a transfer each.
struct Submitted {
    answers: Vec<Answer>,
    errors: Vec<String>,
}

/// Sends `transfers` to one node in batches of `batch`, one every
/// `interval` from `start` (or back to back with a zero interval), until
/// they run out or `until` passes. A transfer's submission time is its
/// first batch's.
fn submit(
    rpc: RpcClient,
    transfers: &[Transfer],
    share: Share,
    batch: usize,
    interval: Duration,
    submitted: &Mutex<HashMap<[u8; 32], Instant>>,
    start: Instant,
    until: Instant,
) -> Submitted {
    let mut outcome = Submitted {
        answers: vec![Answer::NotSent; transfers.len()],
        errors: Vec::new(),
    };
    let mut error_ids: HashMap<String, usize> = HashMap::new();
    let mut refusal = |text: String| {
        let next = error_ids.len();
        Answer::Refused(*error_ids.entry(text).or_insert(next))
    };
    let mine: Vec<usize> = (share.index..transfers.len()).step_by(share.of).collect();
    for (tick, indices) in mine.chunks(batch).enumerate() {
        let due = start + interval * tick as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        {
            let now = Instant::now();
            let mut submitted = submitted.lock().unwrap_or_else(|e| e.into_inner());
            for index in indices {
                submitted.entry(transfers[*index].hash).or_insert(now);
            }
        }
        let request =
            RpcClient::submit_batch(indices.iter().map(|index| transfers[*index].hex.as_str()));
        let mut answers = vec![Answer::NotSent; indices.len()];
        match rpc.post(&request) {
            Ok(Value::Array(replies)) => {
                answers.fill(refusal("no answer in the batch".into()));
                for reply in replies {
                    let Some(id) = reply["id"].as_u64().map(|id| id as usize) else {
                        continue;
                    };
                    let text = reply["error"].to_string();
                    // The same transaction reaching the pool by gossip first is no refusal.
                    let answer = if reply.get("result").is_some()
                        || text.to_ascii_lowercase().contains("already imported")
                    {
                        Answer::Accepted
                    } else {
                        refusal(text)
                    };
                    if let Some(slot) = answers.get_mut(id) {
                        *slot = answer;
                    }
                }
            }
            Ok(other) => answers.fill(refusal(other.to_string())),
            Err(e) => answers.fill(refusal(e)),
        }
        for (index, answer) in indices.iter().zip(answers) {
            outcome.answers[*index] = answer;
        }
        if Instant::now() > until {
            break;
        }
    }
    let mut errors: Vec<(String, usize)> = error_ids.into_iter().collect();
    errors.sort_by_key(|(_, id)| *id);
    outcome.errors = errors.into_iter().map(|(text, _)| text).collect();
    outcome
}

/// Sends `transfers` to one node back to back in batches of `batch`, as a
/// wallet would: a refused transfer goes again a second later, and its
/// sender's later transfers wait for it, until `until`. Gives each
/// transfer's answer (accepted, or its last refusal) and the number of
/// refusals. A transfer's submission time is its first try's.
fn submit_retrying(
    rpc: &RpcClient,
    transfers: &[Transfer],
    batch: usize,
    submitted: &Mutex<HashMap<[u8; 32], Instant>>,
    until: Instant,
) -> (Submitted, usize) {
    let mut outcome = Submitted {
        answers: vec![Answer::NotSent; transfers.len()],
        errors: Vec::new(),
    };
    let mut refusals = 0;
    let senders = transfers.iter().map(|t| t.sender + 1).max().unwrap_or(0);
    let mut pending: Vec<usize> = (0..transfers.len()).collect();
    while !pending.is_empty() && Instant::now() < until {
        let mut blocked = vec![false; senders];
        let mut again = Vec::new();
        let mut queue = pending.into_iter().peekable();
        while queue.peek().is_some() {
            let mut chunk = Vec::new();
            while chunk.len() < batch {
                let Some(index) = queue.next() else { break };
                if blocked[transfers[index].sender] {
                    again.push(index);
                } else {
                    chunk.push(index);
                }
            }
            if chunk.is_empty() {
                continue;
            }
            {
                let now = Instant::now();
                let mut submitted = submitted.lock().unwrap_or_else(|e| e.into_inner());
                for index in &chunk {
                    submitted.entry(transfers[*index].hash).or_insert(now);
                }
            }
            let request =
                RpcClient::submit_batch(chunk.iter().map(|index| transfers[*index].hex.as_str()));
            let mut replies: Vec<Result<(), String>> =
                vec![Err("no answer in the batch".into()); chunk.len()];
            match rpc.post(&request) {
                Ok(Value::Array(answers)) => {
                    for reply in answers {
                        let Some(slot) = reply["id"]
                            .as_u64()
                            .and_then(|id| replies.get_mut(id as usize))
                        else {
                            continue;
                        };
                        let text = reply["error"].to_string();
                        *slot = if reply.get("result").is_some()
                            || text.to_ascii_lowercase().contains("already imported")
                        {
                            Ok(())
                        } else {
                            Err(text)
                        };
                    }
                }
                Ok(other) => replies.fill(Err(other.to_string())),
                Err(e) => replies.fill(Err(e)),
            }
            for (index, reply) in chunk.into_iter().zip(replies) {
                outcome.answers[index] = match reply {
                    Ok(()) => Answer::Accepted,
                    Err(text) => {
                        refusals += 1;
                        blocked[transfers[index].sender] = true;
                        again.push(index);
                        let known = outcome.errors.iter().position(|e| *e == text);
                        Answer::Refused(known.unwrap_or_else(|| {
                            outcome.errors.push(text);
                            outcome.errors.len() - 1
                        }))
                    }
                };
            }
        }
        // Transfers are nonce-major: index order is each sender's nonce order.
        again.sort_unstable();
        pending = again;
        if !pending.is_empty() {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    (outcome, refusals)
}

/// What the nodes made of the transfers, together: a transfer is accepted
/// when at least one node accepted it, refused when it was sent and none did.
struct Acceptance {
    sent: usize,
    accepted: Vec<bool>,
    accepted_count: usize,
    refused: usize,
    first_error: Option<String>,
}

fn combine(outcomes: &[Submitted]) -> Acceptance {
    let count = outcomes.first().map_or(0, |o| o.answers.len());
    let mut acceptance = Acceptance {
        sent: 0,
        accepted: vec![false; count],
        accepted_count: 0,
        refused: 0,
        first_error: None,
    };
    for index in 0..count {
        let answers = || outcomes.iter().map(move |o| (o, o.answers[index]));
        if answers().all(|(_, answer)| answer == Answer::NotSent) {
            continue;
        }
        acceptance.sent += 1;
        if answers().any(|(_, answer)| answer == Answer::Accepted) {
            acceptance.accepted[index] = true;
            acceptance.accepted_count += 1;
            continue;
        }
        acceptance.refused += 1;
        if acceptance.first_error.is_none() {
            acceptance.first_error = answers().find_map(|(o, answer)| match answer {
                Answer::Refused(error) => o.errors.get(error).cloned(),
                _ => None,
            });
        }
    }
    acceptance
}

/// Each account's nonce in the state of `rpc`'s finalized head, and that
/// head's number.
fn final_nonces(rpc: &RpcClient, accounts: &[AccountId]) -> Result<(u64, Vec<u32>), String> {
    type Info = frame_system::AccountInfo<
        cpchain_primitives::Nonce,
        pallet_balances::AccountData<cpchain_primitives::Balance>,
    >;
    let head = rpc.call("chain_getFinalizedHead", json!([]))?;
    let height = number_of(&rpc.call("chain_getHeader", json!([head]))?).unwrap_or_default();
    let mut nonces = Vec::with_capacity(accounts.len());
    for chunk in accounts.chunks(1_000) {
        let request = Value::Array(
            chunk
                .iter()
                .enumerate()
                .map(|(id, who)| {
                    let key =
                        frame_system::Account::<cpchain_runtime::Runtime>::hashed_key_for(who);
                    json!({"jsonrpc": "2.0", "id": id, "method": "state_getStorage",
                           "params": [hex_encode(&key), head]})
                })
                .collect(),
        );
        let mut chunk_nonces = vec![None; chunk.len()];
        let answers = rpc.post(&request)?;
        for answer in answers
            .as_array()
            .ok_or("state_getStorage: no batch answer")?
        {
            if let Some(error) = answer.get("error") {
                return Err(format!("state_getStorage: {error}"));
            }
            let id = answer["id"].as_u64().unwrap_or(u64::MAX) as usize;
            // No account (null) is nonce 0.
            let nonce = answer["result"]
                .as_str()
                .and_then(|value| Info::decode(&mut &hex_decode(value)[..]).ok())
                .map_or(0, |info| info.nonce);
            if let Some(slot) = chunk_nonces.get_mut(id) {
                *slot = Some(nonce);
            }
        }
        for nonce in chunk_nonces {
            nonces.push(nonce.ok_or("state_getStorage: an account missing from the answer")?);
        }
    }
    Ok((height, nonces))
}

/// Accepted transfers whose nonce their sender's final nonce has not
/// reached: per sender, its accepted transfers less its final nonce when
/// it had every transfer below that accepted.
fn count_lost(transfers: &[Transfer], accepted: &[bool], final_nonces: &[u32]) -> usize {
    transfers
        .iter()
        .zip(accepted)
        .filter(|(transfer, accepted)| {
            **accepted && transfer.nonce >= final_nonces[transfer.sender]
        })
        .count()
}

/// The final state once the backlog has drained.
struct Drained {
    height: u64,
    /// Transfers final: the senders' final nonces summed.
    final_transfers: u64,
    lost: usize,
    waited: Duration,
    why: &'static str,
}

/// Reads the final nonces every second until every accepted transfer is
/// final, they stay the same for `DRAIN_STILL`, or `bound` passes.
fn drain(
    rpc: &RpcClient,
    accounts: &[AccountId],
    transfers: &[Transfer],
    acceptance: &Acceptance,
    bound: Duration,
) -> Result<Drained, String> {
    eprintln!("bench: waiting for the accepted transfers to become final (at most {bound:?})");
    let began = Instant::now();
    let (mut previous, mut changed_at) = (None, began);
    loop {
        let (height, nonces) = match final_nonces(rpc, accounts) {
            Ok(read) => read,
            Err(e) if began.elapsed() > bound => return Err(e),
            Err(_) => {
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if previous.as_ref() != Some(&nonces) {
            changed_at = Instant::now();
        }
        let lost = count_lost(transfers, &acceptance.accepted, &nonces);
        let why = if lost == 0 {
            Some("every accepted transfer final")
        } else if changed_at.elapsed() >= DRAIN_STILL {
            Some("final nonces unchanged for 15 s")
        } else if began.elapsed() >= bound {
            Some("the bound passed")
        } else {
            None
        };
        if let Some(why) = why {
            return Ok(Drained {
                height,
                final_transfers: nonces.iter().map(|n| u64::from(*n)).sum(),
                lost,
                waited: began.elapsed(),
                why,
            });
        }
        previous = Some(nonces);
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// CPU over a window and resident memory over a run, per process.
struct Usage {
    window_cpu: Vec<Duration>,
    /// (first, last, max) VmRSS in KiB.
    rss_kib: Vec<(u64, u64, u64)>,
    /// (first, last) RssAnon in KiB.
    anon_kib: Vec<(u64, u64)>,
    /// Every second: the largest VmRSS and the largest RssAnon of the nodes
    /// (all but the last pid, this process), in KiB.
    largest_node_rss: Vec<(Instant, u64, u64)>,
}

/// Reads the CPU of `pids` ("self" for this process) at `from` and `to`,
/// and their VmRSS every second, until `stop`.
fn sample_usage(pids: Vec<String>, from: Instant, to: Instant, stop: Arc<AtomicBool>) -> Usage {
    let cpu = || -> Vec<u64> {
        pids.iter()
            .map(|pid| cpu_ticks(pid).unwrap_or_default())
            .collect()
    };
    let (mut before, mut after) = (None, None);
    let mut rss: Vec<Option<(u64, u64, u64)>> = vec![None; pids.len()];
    let mut anon: Vec<Option<(u64, u64)>> = vec![None; pids.len()];
    let mut largest_node_rss = Vec::new();
    loop {
        let now = Instant::now();
        if before.is_none() && now >= from {
            before = Some(cpu());
        }
        if after.is_none() && now >= to {
            after = Some(cpu());
        }
        for ((slot, anon_slot), pid) in rss.iter_mut().zip(anon.iter_mut()).zip(&pids) {
            if let Some((kib, anon_kib)) = rss_kib(pid) {
                let (first, _, max) = slot.unwrap_or((kib, kib, kib));
                *slot = Some((first, kib, max.max(kib)));
                let (first, _) = anon_slot.unwrap_or((anon_kib, anon_kib));
                *anon_slot = Some((first, anon_kib));
            }
        }
        let nodes = rss.len().saturating_sub(1);
        let largest = |of: &[Option<(u64, u64)>]| of.iter().flatten().map(|(_, last)| *last).max();
        let vm: Vec<Option<(u64, u64)>> = rss[..nodes]
            .iter()
            .map(|r| r.map(|(f, l, _)| (f, l)))
            .collect();
        if let (Some(vm), Some(anon)) = (largest(&vm), largest(&anon[..nodes])) {
            largest_node_rss.push((now, vm, anon));
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let mut next = now + Duration::from_secs(1);
        for (event, done) in [(from, before.is_some()), (to, after.is_some())] {
            if !done {
                next = next.min(event);
            }
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    let before = before.unwrap_or_else(cpu);
    let after = after.unwrap_or_else(cpu);
    Usage {
        window_cpu: after
            .iter()
            .zip(before)
            .map(|(after, before)| Duration::from_millis(after.saturating_sub(before) * 10))
            .collect(),
        rss_kib: rss.into_iter().map(Option::unwrap_or_default).collect(),
        anon_kib: anon.into_iter().map(Option::unwrap_or_default).collect(),
        largest_node_rss,
    }
}

fn run(settings: Settings) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("cpchain-bench-network-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = match (settings.single, settings.burst) {
        (Some(mode), _) => run_single(&settings, &dir, mode),
        (None, Some(count)) => run_burst(&settings, &dir, count),
        (None, None) => run_network(&settings, &dir),
    };
    // A soak's logs are what explains a loss or a slowdown it found.
    if result.is_ok() && !settings.soak {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("node logs kept in {}", dir.display());
    }
    result
}

fn wait_for_rpc(node: &NodeProcess) -> Result<(), String> {
    wait_until(
        &format!("{}'s RPC", node.name),
        Duration::from_secs(60),
        || node.rpc.call("system_health", json!([])).ok(),
    )
    .map(drop)
}

/// The bench accounts, funded, and the six nodes once block #2 is final.
fn start_network(
    settings: &Settings,
    dir: &Path,
) -> Result<(Vec<sr25519::Pair>, Vec<AccountId>, Vec<NodeProcess>), String> {
    let (senders, funded) = bench_accounts(settings.accounts);
    let spec = chain_spec(settings, dir, "local", &funded)?;
    eprintln!(
        "bench: starting 6 nodes (period {} ms, impeach timeout {} ms), logs in {}",
        settings.period_ms,
        settings.timeout_ms,
        dir.display()
    );
    let nodes = start_nodes(settings, dir, &spec)?;
    for node in &nodes {
        wait_for_rpc(node)?;
    }
    wait_until("block #2 final", Duration::from_secs(120), || {
        finalized_number(&nodes[0].rpc).filter(|n| *n >= 2)
    })?;
    Ok((senders, funded, nodes))
}

fn run_network(settings: &Settings, dir: &Path) -> Result<(), String> {
    let (senders, funded, mut nodes) = start_network(settings, dir)?;

    // Pre-sign everything the run can submit.
    let total = settings.rate * (settings.warmup + settings.measure).as_secs();
    let transfers = Arc::new(sign_transfers(&nodes[0].rpc, &senders, total)?);

    let submitted = Arc::new(Mutex::new(HashMap::with_capacity(transfers.len())));
    let stop = Arc::new(AtomicBool::new(false));
    let observer = {
        let rpc = RpcClient::new(&nodes[0].url)?;
        let (submitted, stop) = (submitted.clone(), stop.clone());
        std::thread::spawn(move || observe(rpc, submitted, stop))
    };

    // Submit in batches every 100 ms, to both proposers in parallel (each
    // transfer to both, or with --submit-to one to one of them); a
    // transaction's submission time is its first batch's.
    eprintln!(
        "bench: {} tx/s for {:?} warm-up and {:?} measured{}",
        settings.rate,
        settings.warmup,
        settings.measure,
        if settings.soak { " (soak)" } else { "" }
    );
    let batch = (settings.rate / 10).max(1) as usize;
    let start = Instant::now();
    let measure_from = start + settings.warmup;
    let measure_to = measure_from + settings.measure;
    let sampler = {
        let mut pids: Vec<String> = nodes.iter().filter_map(NodeProcess::pid).collect();
        pids.push("self".into());
        let stop = stop.clone();
        std::thread::spawn(move || sample_usage(pids, measure_from, measure_to, stop))
    };
    let proposers = PROPOSERS.len();
    let submitters: Vec<_> = nodes[PROPOSERS]
        .iter()
        .enumerate()
        .map(|(index, proposer)| {
            let rpc = RpcClient::new(&proposer.url);
            let (transfers, submitted) = (transfers.clone(), submitted.clone());
            let (share, batch) = if settings.submit_to_one {
                (
                    Share {
                        index,
                        of: proposers,
                    },
                    batch.div_ceil(proposers),
                )
            } else {
                (ALL, batch)
            };
            std::thread::spawn(move || {
                let interval = Duration::from_millis(100);
                Ok::<_, String>(submit(
                    rpc?, &transfers, share, batch, interval, &submitted, start, measure_to,
                ))
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for submitter in submitters {
        outcomes.push(submitter.join().map_err(|_| "a submitter panicked")??);
    }
    let acceptance = combine(&outcomes);
    let sent = acceptance.sent;
    let offered = sent as f64 / (Instant::now() - start).as_secs_f64();
    // Let the backlog drain (a soak run waits for every accepted transfer),
    // then stop observing and sampling.
    let drained = if settings.soak {
        Some(drain(
            &nodes[0].rpc,
            &funded,
            &transfers,
            &acceptance,
            settings.drain_bound,
        )?)
    } else {
        std::thread::sleep(Duration::from_secs(5));
        None
    };
    stop.store(true, Ordering::Relaxed);
    let observations = observer.join().map_err(|_| "the observer panicked")?;
    let usage = sampler.join().map_err(|_| "the usage sampler panicked")?;

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

    // Each pool validation is a runtime call; a pool that validates a
    // transfer many times (revalidating a backlog) shows here.
    let validations: Vec<String> = nodes
        .iter()
        .map(
            |node| match node.metric("substrate_sub_txpool_validations_finished") {
                Some(count) => format!("{} {:.2}", node.name, count / included.max(1) as f64),
                None => format!("{} (no metrics)", node.name),
            },
        )
        .collect();

    // Recovery: kill the proposer of the next block as its round begins
    // (not in a soak run).
    let recovery = if settings.soak {
        None
    } else {
        Some(measure_recovery(&mut nodes, settings)?)
    };
    let authoring = authoring_summary(dir);

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\nDPoR network {}: 4 validators + 2 proposers, 6 processes on one machine",
        if settings.soak { "soak" } else { "benchmark" }
    );
    let _ = writeln!(
        out,
        "period {} ms, impeach timeout {} ms, offered load {} tx/s from {} accounts, each to {}, window {:?}, {} pool{}\n",
        settings.period_ms, settings.timeout_ms, settings.rate, settings.accounts,
        if settings.submit_to_one { "one proposer" } else { "both proposers" },
        settings.measure, settings.pool_label(),
        settings.node_flags_note()
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
    let _ = writeln!(out, "| transfers submitted (achieved rate) / finalized in all / refused by both proposers | {sent} ({offered:.0}/s) / {included} / {} |", acceptance.refused);
    if let Some(drained) = &drained {
        print_lost(&mut out, &acceptance, drained);
    }
    if let Some(recovery) = recovery {
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
    }
    let _ = writeln!(
        out,
        "| proposers' blocks built / median build time / median extrinsics | {} / {} ms / {} |",
        authoring.0, authoring.1, authoring.2
    );
    let _ = writeln!(out, "| why building ended | {} |", authoring.3);
    let _ = writeln!(
        out,
        "| blocks imported but never best (impeach candidates), per node | {} |",
        not_best_imports(dir)
    );
    let _ = writeln!(
        out,
        "| pool validations per included transfer (whole run), per node | {} |",
        validations.join(", ")
    );
    let (node_cpu, own_cpu) = usage.window_cpu.split_at(nodes.len());
    let total_cpu: Duration = node_cpu.iter().sum();
    let per_node: Vec<String> = NAMES
        .iter()
        .zip(node_cpu)
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
    let per_transfer_ms = |cpu: Duration| cpu.as_secs_f64() * 1000.0 / finalized_transfers as f64;
    let own_cpu = own_cpu.first().copied().unwrap_or_default();
    if finalized_transfers > 0 {
        let role = |range: Range<usize>| {
            per_transfer_ms(node_cpu[range.clone()].iter().sum::<Duration>() / range.len() as u32)
        };
        let _ = writeln!(
            out,
            "| node CPU per finalized transfer | {:.2} ms total; validator {:.2} ms, proposer {:.2} ms (per node) |",
            per_transfer_ms(total_cpu),
            role(VALIDATORS),
            role(PROPOSERS)
        );
    }
    let _ = writeln!(
        out,
        "| load generator CPU in the window (this process, in none of the node figures) | {:.1} s{} |",
        own_cpu.as_secs_f64(),
        if finalized_transfers > 0 {
            format!(", {:.2} ms per finalized transfer", per_transfer_ms(own_cpu))
        } else {
            String::new()
        }
    );
    if let Some(error) = &acceptance.first_error {
        let _ = writeln!(out, "\nfirst submission error: {error}");
    }
    if settings.soak {
        print_memory(&mut out, &nodes, &usage);
        print_minutes(&mut out, &observations, &usage, start);
    }
    Ok(())
}

/// The table's lines for the transfers accepted, refused and lost.
fn print_lost(out: &mut impl Write, acceptance: &Acceptance, drained: &Drained) {
    let _ = writeln!(
        out,
        "| transfers accepted (by at least one node) / refused at submission | {} / {} |",
        acceptance.accepted_count, acceptance.refused
    );
    let _ = writeln!(
        out,
        "| transfers lost: accepted, never final | {} ({} final by the senders' nonces at #{}, after waiting {:.1} s: {}) |",
        drained.lost,
        drained.final_transfers,
        drained.height,
        drained.waited.as_secs_f64(),
        drained.why
    );
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Each node's VmRSS at the start and the end of the run, and its maximum;
/// and its anonymous part (RssAnon) at the start and the end.
fn print_memory(out: &mut impl Write, nodes: &[NodeProcess], usage: &Usage) {
    let _ = writeln!(
        out,
        "\nMemory (sampled every second from the first submission to the end of the wait; RssAnon: VmRSS without mapped files such as ParityDB's tables)\n"
    );
    let _ = writeln!(
        out,
        "| node | VmRSS at start | at end | max | growth | RssAnon at start | at end | growth |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for ((node, (first, last, max)), (anon_first, anon_last)) in
        nodes.iter().zip(&usage.rss_kib).zip(&usage.anon_kib)
    {
        let _ = writeln!(
            out,
            "| {} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:+.1} MiB | {:.1} MiB | {:.1} MiB | {:+.1} MiB |",
            node.name,
            mib(*first),
            mib(*last),
            mib(*max),
            mib(*last) - mib(*first),
            mib(*anon_first),
            mib(*anon_last),
            mib(*anon_last) - mib(*anon_first)
        );
    }
}

/// Per minute from the first submission, by when a transfer became final:
/// finalized transfers per second, submit to final, p50 and p99, and the
/// largest node's VmRSS and RssAnon at the minute's end (whether memory
/// levels off).
fn print_minutes(out: &mut impl Write, observations: &Observations, usage: &Usage, start: Instant) {
    const MINUTE: Duration = Duration::from_secs(60);
    let span = observations.until.saturating_duration_since(start);
    let minutes = span.as_secs().div_ceil(60).max(1) as usize;
    let mut latencies: Vec<Vec<u64>> = vec![Vec::new(); minutes];
    for (seen, latency) in &observations.submit_to_final {
        let minute = (seen.saturating_duration_since(start).as_secs() / 60) as usize;
        if let Some(bucket) = latencies.get_mut(minute) {
            bucket.push(latency.as_millis() as u64);
        }
    }
    let _ = writeln!(
        out,
        "\nPer minute of the run (by when a transfer became final)\n"
    );
    let _ = writeln!(
        out,
        "| minute | finalized transfers/s | submit to final p50 | p99 | largest node VmRSS / RssAnon |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for (minute, mut bucket) in latencies.into_iter().enumerate() {
        let length = span.saturating_sub(MINUTE * minute as u32).min(MINUTE);
        bucket.sort_unstable();
        let minute_end = start + MINUTE * (minute as u32 + 1);
        let rss = usage
            .largest_node_rss
            .iter()
            .take_while(|(at, _, _)| *at <= minute_end)
            .last()
            .map_or("-".to_string(), |(_, vm, anon)| {
                format!("{:.0} / {:.0} MiB", mib(*vm), mib(*anon))
            });
        let _ = writeln!(
            out,
            "| {} | {:.1} | {} ms | {} ms | {rss} |",
            minute + 1,
            bucket.len() as f64 / length.as_secs_f64().max(0.001),
            percentile(&bucket, 50.0),
            percentile(&bucket, 99.0)
        );
    }
}

/// `--burst N`: the six-node network at the nodes' own pool limits; N
/// transfers to one proposer (Eve), as fast as it takes them, refused ones
/// again a second later (`submit_retrying`); then how many it accepted,
/// refused and lost, and how long until the last was final.
fn run_burst(settings: &Settings, dir: &Path, count: u64) -> Result<(), String> {
    let (senders, funded, nodes) = start_network(settings, dir)?;
    let transfers = sign_transfers(&nodes[0].rpc, &senders, count)?;
    let submitted = Arc::new(Mutex::new(HashMap::with_capacity(transfers.len())));
    let stop = Arc::new(AtomicBool::new(false));
    let observer = {
        let rpc = RpcClient::new(&nodes[0].url)?;
        let (submitted, stop) = (submitted.clone(), stop.clone());
        std::thread::spawn(move || observe(rpc, submitted, stop))
    };
    let proposer = &nodes[PROPOSERS.start];
    eprintln!(
        "bench: submitting {count} transfers to {} in batches of {SINGLE_BATCH}",
        proposer.name
    );
    let start = Instant::now();
    let (outcome, refusals) = submit_retrying(
        &proposer.rpc,
        &transfers,
        SINGLE_BATCH,
        &submitted,
        start + settings.drain_bound,
    );
    let submission = start.elapsed();
    let first_refusal = outcome.errors.first().cloned();
    let acceptance = combine(&[outcome]);
    let drained = drain(
        &nodes[0].rpc,
        &funded,
        &transfers,
        &acceptance,
        settings.drain_bound,
    );
    stop.store(true, Ordering::Relaxed);
    let observations = observer.join().map_err(|_| "the observer panicked")?;
    let drained = drained?;
    let last_final = last_final_after(&observations, start);

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\nDPoR network burst: {count} pre-signed transfers from {} senders to {} alone, JSON-RPC batches of {SINGLE_BATCH} back to back, a refused one again a second later; {} pool{}\n",
        settings.accounts,
        proposer.name,
        settings.pool_label(),
        settings.node_flags_note()
    );
    let _ = writeln!(out, "| figure | value |");
    let _ = writeln!(out, "|---|---|");
    print_lost(&mut out, &acceptance, &drained);
    let _ = writeln!(
        out,
        "| refusals on the way (each tried again a second later) | {refusals} |"
    );
    let _ = writeln!(
        out,
        "| submission: until the last was accepted | {} ms |",
        submission.as_millis()
    );
    if let Some(span) = last_final {
        let _ = writeln!(
            out,
            "| first submission to last transfer final | {} ms ({:.0} finalized transfers/s) |",
            span.as_millis(),
            drained.final_transfers as f64 / span.as_secs_f64()
        );
    }
    if let Some(error) = first_refusal {
        let _ = writeln!(out, "\nfirst refusal: {error}");
    }
    Ok(())
}

/// One dev node (`--single`): submits `--accounts` × 200 transfers as fast
/// as it takes them and times them to final.
fn run_single(settings: &Settings, dir: &Path, mode: SingleMode) -> Result<(), String> {
    let (senders, funded) = bench_accounts(settings.accounts);
    let spec = chain_spec(settings, dir, "dev", &funded)?;
    let mut args: Vec<String> = ["--dev", "--chain", &spec.display().to_string(), "--tmp"]
        .iter()
        .chain(&SINGLE_POOL)
        .map(|arg| arg.to_string())
        .collect();
    if mode == SingleMode::Instant {
        args.extend(["--sealing".into(), "instant".into()]);
    }
    eprintln!("bench: starting one dev node: {}", args.join(" "));
    let (node, _) = start_node(settings, dir, "dev", &args)?;
    wait_for_rpc(&node)?;
    if mode == SingleMode::Dpor {
        wait_until("block #1 final", Duration::from_secs(120), || {
            finalized_number(&node.rpc).filter(|n| *n >= 1)
        })?;
    }
    let total = SINGLE_PER_SENDER * u64::from(settings.accounts);
    let transfers = sign_transfers(&node.rpc, &senders, total)?;

    let submitted = Arc::new(Mutex::new(HashMap::with_capacity(transfers.len())));
    let stop = Arc::new(AtomicBool::new(false));
    let observer = {
        let rpc = RpcClient::new(&node.url)?;
        let (submitted, stop) = (submitted.clone(), stop.clone());
        std::thread::spawn(move || observe(rpc, submitted, stop))
    };
    let pid = node.pid().unwrap_or_default();
    let cpu_before = cpu_ticks(&pid).unwrap_or_default();
    eprintln!("bench: submitting {total} transfers in batches of {SINGLE_BATCH}");
    let start = Instant::now();
    let outcome = submit(
        RpcClient::new(&node.url)?,
        &transfers,
        ALL,
        SINGLE_BATCH,
        Duration::ZERO,
        &submitted,
        start,
        start + Duration::from_secs(24 * 3600),
    );
    let submission = start.elapsed();
    let acceptance = combine(&[outcome]);
    let drained = drain(
        &node.rpc,
        &funded,
        &transfers,
        &acceptance,
        settings.drain_bound,
    );
    let cpu = Duration::from_millis(
        cpu_ticks(&pid)
            .unwrap_or_default()
            .saturating_sub(cpu_before)
            * 10,
    );
    stop.store(true, Ordering::Relaxed);
    let observations = observer.join().map_err(|_| "the observer panicked")?;
    let drained = drained?;
    let last_final = last_final_after(&observations, start);

    let mut out = std::io::stdout().lock();
    let what = match mode {
        SingleMode::Instant => "instant sealing (--sealing instant)",
        SingleMode::Dpor => "the dev chain's DPoR, one validator-proposer",
    };
    let _ = writeln!(out, "\nSingle node: one cpchain-node --dev --tmp, {what}");
    let _ = writeln!(
        out,
        "{} pre-signed transfers from {} senders x {SINGLE_PER_SENDER}, JSON-RPC batches of {SINGLE_BATCH} back to back; node flags {}, {} pool\n",
        transfers.len(),
        settings.accounts,
        SINGLE_POOL.join(" "),
        settings.pool_label()
    );
    let _ = writeln!(out, "| figure | value |");
    let _ = writeln!(out, "|---|---|");
    print_lost(&mut out, &acceptance, &drained);
    let _ = writeln!(
        out,
        "| submission: all batches answered | {} ms |",
        submission.as_millis()
    );
    match last_final {
        Some(span) => {
            let _ = writeln!(
                out,
                "| first submission to last transfer final | {} ms |",
                span.as_millis()
            );
            let _ = writeln!(
                out,
                "| finalized transfers per second (final transfers / that time) | {:.0} |",
                drained.final_transfers as f64 / span.as_secs_f64()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "| first submission to last transfer final | none final |"
            );
        }
    }
    let _ = writeln!(
        out,
        "| transfers seen in final blocks by following the head | {} |",
        observations.submit_to_final.len()
    );
    if drained.final_transfers > 0 {
        let _ = writeln!(
            out,
            "| node CPU, first submission to the end of the wait | {:.1} s, {:.2} ms per final transfer |",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1000.0 / drained.final_transfers as f64
        );
    }
    if let Some(error) = &acceptance.first_error {
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
    let proposers: Vec<(usize, AccountId)> = PROPOSERS
        .map(|index| {
            let seed = format!("//{}", capitalize(NAMES[index]));
            let pair = sr25519::Pair::from_string(&seed, None).expect("dev seed");
            (index, pair.public().into())
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
/// Per node, the blocks its log says it imported but not as best
/// (Substrate's informant marks them 🆕): impeach candidates, and before
/// 2026-11-28 also guessed impeach blocks that a certificate did not name.
fn not_best_imports(dir: &Path) -> String {
    NAMES
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
            let count = text.lines().filter(|l| l.contains("🆕 Imported")).count();
            format!("{name} {count}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn authoring_summary(dir: &Path) -> (usize, u64, u64, String) {
    let (mut took, mut counts) = (Vec::new(), Vec::new());
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for name in &NAMES[PROPOSERS] {
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
