//! The DPoR worker: one LBFT machine per node, fed by the network, block
//! imports, finality and timers; its actions executed on the client.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};

use codec::Encode;
use cpchain_lbft::{Action, Machine, Message, Params};
use cpchain_primitives::{
    digest::{DporPreDigest, DPOR_ENGINE_ID},
    dpor_crypto::{AuthorityId, KEY_TYPE},
    equivocation::EquivocationProof,
    runtime_api::DporApi,
    seal_crypto, AccountId, Hash, OpaqueBlock as Block,
};
use futures::{future::BoxFuture, stream::FuturesUnordered, FutureExt, StreamExt};
use sc_block_builder::BlockBuilderApi;
use sc_client_api::{
    backend::{AuxStore, Finalizer},
    Backend, BlockchainEvents, StorageProvider,
};
use sc_consensus::{
    BlockImport, BlockImportParams, ForkChoiceStrategy, JustificationSyncLink, StateAction,
    StorageChanges,
};
use sc_network::{
    service::traits::{NetworkBlock, NetworkSyncForkRequest},
    service::traits::{NotificationEvent, NotificationService, ValidationResult},
    ProtocolName,
};
use sc_network_sync::{SyncEventStream, SyncingService};
use sc_network_types::PeerId;
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_api::{ApiExt, CallApiAt, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_consensus::{BlockOrigin, Environment, Proposer};
use sp_core::{crypto::ByteArray, sr25519};
use sp_keystore::KeystorePtr;
use sp_runtime::traits::{Block as BlockT, Header as HeaderT};

use crate::{
    authorship, aux_schema,
    communication::{
        gossip::{Flooding, Gossip},
        protocol_name,
        request::certificates_to_request,
        wire::{self, content_id, decode_message, WireMessage},
        COST_BAD_MESSAGE, COST_FLOODING, COST_INVALID_VOTE,
    },
    equivocation::{vote_evidence, Reported, SealedProposals},
    justification::{CertificateJustification, DporJustification},
    validators_after, Dpor, KeystoreCrypto, LOG_TARGET,
};

/// How often this node sends its current round's messages and the last
/// certificate again, and asks for certificates it missed: the
/// notification protocol does not retransmit.
const REBROADCAST_EVERY: Duration = Duration::from_secs(2);
/// Blocks are remembered for the machine's height and this many above.
const IMPORTED_AHEAD: u64 = 16;
/// A peer behind gets at most this many certificates at once: its own
/// height's and those of the later heights its machine keeps one for
/// (`Params::max_heights_ahead`, 4), less one.
const MAX_CERTIFICATES_PER_ANSWER: u64 = 4;
/// A peer further behind than this is left to sync, which fetches blocks
/// with their certificates in bulk.
const MAX_ANSWERED_LAG: u64 = 32;
/// At most this many relayed messages of one height are sent again.
const MAX_RESENT_PER_HEIGHT: usize = 512;
/// How far ahead of a validator's clock a proposal's timestamp may be for
/// it to vote for the proposal. It must stay below the impeach timeout,
/// or an honest next proposer, waiting for `timestamp + period`, could be
/// impeached.
pub const MAX_CLOCK_DRIFT_MS: u64 = 2_000;

/// What the worker needs.
pub struct WorkerParams<C, BE, BI, E> {
    pub client: Arc<C>,
    /// Stores certificates of blocks that became final without them.
    pub backend: Arc<BE>,
    /// Imports the node's own blocks (the client).
    pub block_import: BI,
    /// Builds the node's proposals (`sc_basic_authorship::ProposerFactory`).
    pub env: E,
    pub keystore: KeystorePtr,
    pub network: Arc<dyn sc_network::service::traits::NetworkService>,
    pub sync: Arc<SyncingService<Block>>,
    pub notifications: Box<dyn NotificationService>,
    pub genesis: Hash,
    /// Where the LBFT record is kept: `<chain dir>/dpor`, beside the
    /// database.
    pub record_dir: std::path::PathBuf,
    /// Shared with the RPC: where the committee stands.
    pub round_state: Arc<std::sync::Mutex<RoundState>>,
    pub metrics: Option<crate::metrics::Metrics>,
    /// Reports each certified block to telemetry.
    pub telemetry: Option<sc_telemetry::TelemetryHandle>,
    /// Where equivocation reports go: the node's transaction pool.
    pub offchain_tx_pool_factory: OffchainTransactionPoolFactory<Block>,
}

/// Where this node's LBFT stands, for `dpor_roundState`.
#[derive(Clone, Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoundState {
    /// The height being decided.
    pub height: u64,
    pub round: u32,
    /// Whether this node votes.
    pub validator: bool,
    pub validators: u32,
    /// The proposal of this height this node verified, if any.
    pub proposal: Option<Hash>,
    pub impeach_block: Option<Hash>,
    pub last_finalized: u64,
    pub peers: u32,
}

type Timer = BoxFuture<'static, (u64, u32)>;
type Authoring = BoxFuture<'static, Result<Hash, String>>;

/// What the worker needs of the client.
pub trait DporClient<BE: Backend<Block>>:
    ProvideRuntimeApi<Block>
    + sc_client_api::BlockBackend<Block>
    + CallApiAt<Block>
    + HeaderBackend<Block>
    + BlockchainEvents<Block>
    + AuxStore
    + Finalizer<Block, BE>
    + StorageProvider<Block, BE>
    + Send
    + Sync
    + 'static
{
}

impl<BE, C> DporClient<BE> for C
where
    BE: Backend<Block>,
    C: ProvideRuntimeApi<Block>
        + sc_client_api::BlockBackend<Block>
        + CallApiAt<Block>
        + HeaderBackend<Block>
        + BlockchainEvents<Block>
        + AuxStore
        + Finalizer<Block, BE>
        + StorageProvider<Block, BE>
        + Send
        + Sync
        + 'static,
{
}

/// Runs DPoR until the node stops.
pub async fn run<C, BE, BI, E>(params: WorkerParams<C, BE, BI, E>)
where
    BE: Backend<Block> + 'static,
    C: DporClient<BE>,
    C::Api: DporApi<Block, AccountId> + BlockBuilderApi<Block>,
    BI: BlockImport<Block> + Clone + Send + Sync + 'static,
    E: Environment<Block> + Send + 'static,
    E::Proposer: Proposer<Block>,
{
    match Worker::<C, BE, BI, E>::new(params) {
        Ok(worker) => worker.run().await,
        Err(e) => log::error!(target: LOG_TARGET, "DPoR cannot start: {e}"),
    }
}

struct Worker<C, BE, BI, E> {
    client: Arc<C>,
    backend: Arc<BE>,
    block_import: BI,
    env: E,
    keystore: KeystorePtr,
    network: Arc<dyn sc_network::service::traits::NetworkService>,
    sync: Arc<SyncingService<Block>>,
    notifications: Box<dyn NotificationService>,
    protocol: ProtocolName,
    machine: Machine<Dpor, KeystoreCrypto>,
    local: Option<AuthorityId>,
    record: aux_schema::RecordFile,
    seal_record: aux_schema::SealRecord,
    genesis: Hash,
    sealed_proposals: SealedProposals,
    reported: Reported,
    offchain_tx_pool_factory: OffchainTransactionPoolFactory<Block>,
    /// A record write failed: this node never signs again until restarted.
    signing_stopped: bool,
    gossip: Gossip<PeerId>,
    /// What this node relayed at the height being decided, sent again to
    /// every peer now and then: a peer that got a message before it could
    /// count it (a later height's vote by a validator it did not know yet)
    /// is taken to have it, and would not get it again otherwise.
    relayed_this_height: Vec<Vec<u8>>,
    /// The certificate of the last final block, as a VALIDATE message:
    /// sent to a peer when it connects, and to every peer while a height
    /// takes long, for a peer that missed it. Every node sends it, not only
    /// validators: a node whose only path to the committee is a follower
    /// would otherwise wait for a timeout to hear of a later height.
    parent_certificate: Option<Vec<u8>>,
    /// `byzantine-test`: set once, after a proposal (see
    /// `byzantine::deaf_after_proposing`).
    #[cfg(feature = "byzantine-test")]
    deaf: Option<crate::byzantine::Deafness>,
    /// When this node started the height being decided.
    height_started: Instant,
    /// The highest height of a message the machine counted, or of a later
    /// certificate it keeps: above the height being decided, the network
    /// decided it without this node.
    highest_seen: u64,
    timers: FuturesUnordered<Timer>,
    authoring: Option<Authoring>,
    /// The parent of the height being decided (the last final block).
    parent: Hash,
    /// Blocks imported per height: (parent, hash, impeach).
    imported: BTreeMap<u64, Vec<(Hash, Hash, bool)>>,
    /// A certificate for a block not imported yet.
    pending_final: Option<(u64, Hash, DporJustification)>,
    timing: (u64, u64),
    round_state: Arc<std::sync::Mutex<RoundState>>,
    metrics: Option<crate::metrics::Metrics>,
    telemetry: Option<sc_telemetry::TelemetryHandle>,
    proposed_at: HashMap<Hash, Instant>,
    /// A block was finalized: start the next height.
    advance: bool,
}

impl<C, BE, BI, E> Worker<C, BE, BI, E>
where
    BE: Backend<Block> + 'static,
    C: DporClient<BE>,
    C::Api: DporApi<Block, AccountId> + BlockBuilderApi<Block>,
    BI: BlockImport<Block> + Clone + Send + Sync + 'static,
    E: Environment<Block> + Send + 'static,
    E::Proposer: Proposer<Block>,
{
    fn new(params: WorkerParams<C, BE, BI, E>) -> Result<Self, String> {
        let client = params.client;
        let finalized = client.info().finalized_hash;
        let config = client
            .runtime_api()
            .config(finalized)
            .map_err(|e| format!("DporApi::config: {e}"))?
            .ok_or("the chain has no DPoR committee")?;
        let validators =
            validators_after(&*client, finalized)?.ok_or("the chain has no DPoR validators")?;
        let local = local_key(&params.keystore, &validators);
        let (record, records, decided) =
            aux_schema::RecordFile::open(&params.record_dir, &*client, params.genesis)?;
        let seal_record = aux_schema::SealRecord::open(&params.record_dir, params.genesis)?;
        #[cfg(feature = "byzantine-test")]
        log::warn!(
            target: LOG_TARGET,
            "This node is built with the test-only `byzantine-test` feature: never run it on a real network"
        );
        let crypto = KeystoreCrypto {
            keystore: Some(params.keystore.clone()),
            local: local.clone(),
        };
        // Round 0 waits out the proposer's period, then the timeout.
        let base_timeout = config.period_ms.saturating_add(config.impeach_timeout_ms);
        let mut machine = Machine::new(
            Params::new(params.genesis.as_ref().to_vec(), base_timeout),
            local.clone(),
            crypto,
            records,
        );
        if let Some(up_to) = decided.up_to {
            let finalized = u64::from(client.info().finalized_number);
            if up_to > finalized {
                log::warn!(
                    target: LOG_TARGET,
                    "This node saw heights up to #{up_to} decided, its database is at #{finalized} \
                     (a crash lost final blocks, or the database was purged): it votes at none \
                     of them, and finalizes them with certificates. If this chain was relaunched \
                     from scratch instead, stop the node and remove {}",
                    params.record_dir.display()
                );
            }
            machine.remember_decided(up_to, decided.certificates.into_values());
        }
        match &local {
            Some(key) => log::info!(target: LOG_TARGET, "DPoR validator {key}"),
            None => {
                log::info!(target: LOG_TARGET, "DPoR: following the committee (no validator key)")
            }
        }
        Ok(Self {
            client,
            backend: params.backend,
            block_import: params.block_import,
            env: params.env,
            keystore: params.keystore,
            network: params.network,
            sync: params.sync,
            notifications: params.notifications,
            protocol: protocol_name(params.genesis),
            machine,
            local,
            record,
            seal_record,
            genesis: params.genesis,
            sealed_proposals: SealedProposals::default(),
            reported: Reported::default(),
            offchain_tx_pool_factory: params.offchain_tx_pool_factory,
            signing_stopped: false,
            gossip: Gossip::new(),
            relayed_this_height: Vec::new(),
            parent_certificate: None,
            #[cfg(feature = "byzantine-test")]
            deaf: None,
            height_started: Instant::now(),
            highest_seen: 0,
            timers: FuturesUnordered::new(),
            authoring: None,
            parent: finalized,
            imported: BTreeMap::new(),
            pending_final: None,
            timing: (config.period_ms, config.impeach_timeout_ms),
            round_state: params.round_state,
            metrics: params.metrics,
            telemetry: params.telemetry,
            proposed_at: HashMap::new(),
            advance: false,
        })
    }

    async fn run(mut self) {
        let mut imports = self.client.import_notification_stream();
        let mut finality = self.client.finality_notification_stream();
        let mut sync_events = self.sync.event_stream("dpor").fuse();
        let mut rebroadcast = tokio::time::interval(REBROADCAST_EVERY);
        self.follow_finality().await;
        loop {
            // A timer that never fires keeps `select!` from ending on an empty set.
            if self.timers.is_empty() {
                self.timers.push(futures::future::pending().boxed());
            }
            let authoring = async {
                match self.authoring.as_mut() {
                    Some(future) => future.await,
                    None => futures::future::pending().await,
                }
            };
            futures::select! {
                result = authoring.fuse() => {
                    self.authoring = None;
                    match result {
                        Ok(hash) => {
                            log::info!(target: LOG_TARGET, "Proposed {hash}");
                            #[cfg(feature = "byzantine-test")]
                            self.go_deaf_if_asked();
                        }
                        Err(e) => log::warn!(target: LOG_TARGET, "Proposing failed: {e}"),
                    }
                }
                notification = imports.next() => {
                    let Some(notification) = notification else { return };
                    self.on_import(notification.hash, &notification.header, notification.origin).await;
                }
                notification = finality.next() => {
                    if notification.is_none() { return }
                    self.follow_finality().await;
                }
                event = self.notifications.next_event().fuse() => {
                    let Some(event) = event else { return };
                    self.on_network_event(event).await;
                }
                event = sync_events.next() => {
                    let Some(event) = event else { return };
                    crate::communication::follow_sync_peers(&self.network, &self.protocol, event);
                }
                _ = rebroadcast.tick().fuse() => {
                    // Blocks imported in major sync finalize without a
                    // notification: catch up with them here.
                    self.follow_finality().await;
                    let actions = self.machine.rebroadcast();
                    let sent_certificate = actions
                        .iter()
                        .any(|action| matches!(action, Action::Broadcast(Message::Validate(_))));
                    self.execute(actions).await;
                    // Only for a height that is taking long: a peer that
                    // missed a message is then why. (With a period over
                    // 2 s, that is every height: a node sends each peer its
                    // parent's certificate once or twice a height, which
                    // peers at its height drop after a lookup.)
                    if self.height_started.elapsed() >= REBROADCAST_EVERY {
                        let peers: Vec<PeerId> = self.gossip.peers().copied().collect();
                        if let Some(bytes) = self
                            .parent_certificate
                            .clone()
                            .filter(|_| !sent_certificate)
                        {
                            self.send(peers.clone(), &bytes);
                        }
                        for bytes in std::mem::take(&mut self.relayed_this_height) {
                            self.send(peers.clone(), &bytes);
                            self.relayed_this_height.push(bytes);
                        }
                    }
                    self.request_missing_certificates();
                }
                (height, round) = self.timers.select_next_some() => {
                    let actions = self.machine.on_timeout(height, round);
                    if !actions.is_empty() {
                        log::info!(target: LOG_TARGET, "#{height}: round {round} timed out");
                    }
                    self.execute(actions).await;
                }
            }
            while std::mem::take(&mut self.advance) {
                self.follow_finality().await;
            }
            self.publish_round_state();
        }
    }

    fn publish_round_state(&self) {
        let info = self.client.info();
        if let Ok(mut state) = self.round_state.lock() {
            state.height = self.machine.height().unwrap_or_default();
            state.round = self.machine.round().unwrap_or_default();
            state.validator = self.local.is_some();
            state.last_finalized = u64::from(info.finalized_number);
            state.peers = self.gossip.peer_count() as u32;
        }
        if let Some(metrics) = &self.metrics {
            metrics
                .height
                .set(self.machine.height().unwrap_or_default());
            metrics
                .round
                .set(u64::from(self.machine.round().unwrap_or_default()));
        }
    }

    /// Starts the height after the last final block, if not started yet.
    async fn follow_finality(&mut self) {
        let info = self.client.info();
        let height = u64::from(info.finalized_number) + 1;
        if self.machine.height() == Some(height) {
            return;
        }
        let parent = info.finalized_hash;
        self.parent = parent;
        self.relayed_this_height.clear();
        self.parent_certificate = self.certificate_message(height - 1, parent);
        self.height_started = Instant::now();
        // Peers that lack it fetch it with its certificate.
        #[cfg(feature = "byzantine-test")]
        let announce = !crate::byzantine::no_final_announce();
        #[cfg(not(feature = "byzantine-test"))]
        let announce = true;
        if announce {
            self.sync.announce_block(parent, None);
        }
        self.imported = self.imported.split_off(&height);
        if self
            .pending_final
            .as_ref()
            .is_some_and(|(h, ..)| *h < height)
        {
            self.pending_final = None;
        }
        let validators = match validators_after(&*self.client, parent) {
            Ok(Some(validators)) => validators,
            Ok(None) => {
                log::warn!(target: LOG_TARGET, "No validators after #{}: DPoR idles", height - 1);
                return;
            }
            Err(e) => {
                log::error!(target: LOG_TARGET, "{e}");
                return;
            }
        };
        self.follow_timing(parent);
        self.follow_keys(&validators);
        // RULE P2: the decided heights are on disk before this node votes
        // at a later one; on failure the height starts at the next try.
        if let Err(e) = self.record.prune(height) {
            log::error!(target: LOG_TARGET, "{e}");
            return;
        }
        if let Ok(mut state) = self.round_state.lock() {
            state.validators = validators.len() as u32;
            state.proposal = None;
            state.impeach_block = None;
        }
        log::debug!(target: LOG_TARGET, "Deciding #{height} on {parent}");
        let mut actions = self.machine.start_height(height, parent, validators);
        // Proposals that arrived before this height started.
        let early: Vec<Hash> = self
            .imported
            .get(&height)
            .into_iter()
            .flatten()
            .filter(|(p, _, impeach)| *p == parent && !impeach)
            .map(|(_, hash, _)| *hash)
            .collect();
        for hash in early {
            self.sync.announce_block(hash, None);
            let valid = self.proposal_passes_clock_rule(height, hash, parent);
            actions.extend(self.machine.on_block_verified(height, hash, valid));
        }
        self.execute(actions).await;
        self.maybe_propose(height, parent);
    }

    /// Signs the next height with the key the keystore holds of its
    /// committee, if any: a validator added by governance votes from its
    /// first height, one removed stops, without a restart.
    fn follow_keys(&mut self, validators: &cpchain_lbft::ValidatorSet<AuthorityId>) {
        let local = local_key(&self.keystore, validators);
        if local == self.local {
            return;
        }
        match &local {
            Some(key) => log::info!(target: LOG_TARGET, "DPoR validator {key} from now on"),
            None => log::info!(
                target: LOG_TARGET,
                "No key of this node is in the committee any more: following it"
            ),
        }
        self.local = local.clone();
        let crypto = KeystoreCrypto {
            keystore: Some(self.keystore.clone()),
            local: local.clone(),
        };
        self.machine.set_local(local, crypto);
    }

    /// Asks peers for the certificate of this height's blocks when the
    /// network shows this height was decided without this node.
    fn request_missing_certificates(&mut self) {
        let Some(height) = self.machine.height() else {
            return;
        };
        for (hash, number) in
            certificates_to_request(height, self.parent, &self.imported, self.highest_seen)
        {
            if matches!(self.client.header(hash), Ok(Some(_))) {
                log::debug!(target: LOG_TARGET, "#{number}: asking peers for the certificate of {hash}");
                self.sync.request_justification(&hash, number as u32);
            }
        }
        // Blocks that major sync imported without their certificates come
        // with no import notification, so `imported` does not know them. A
        // block exists above another only once that one is final (proposals
        // build on the last final block): the certificate of the block
        // below the best finalizes everything up to it at once.
        let info = self.client.info();
        if info.best_number > info.finalized_number.saturating_add(1) {
            let number = info.best_number - 1;
            if let Ok(Some(hash)) = self.client.hash(number) {
                log::debug!(target: LOG_TARGET, "#{number}: behind the best block, asking peers for the certificate of {hash}");
                self.sync.request_justification(&hash, number);
            }
        }
    }

    /// Takes the period and impeach timeout from the state of the final
    /// block `parent`, so that a change by governance applies from the next
    /// height on every node alike: the impeach block's timestamp depends on
    /// it, and validators that disagreed would build different ones.
    fn follow_timing(&mut self, parent: Hash) {
        let config = match self.client.runtime_api().config(parent) {
            Ok(Some(config)) => config,
            Ok(None) => return,
            Err(e) => {
                log::warn!(target: LOG_TARGET, "DporApi::config at {parent}: {e}");
                return;
            }
        };
        let timing = (config.period_ms, config.impeach_timeout_ms);
        if timing != self.timing {
            log::info!(
                target: LOG_TARGET,
                "Timing from {parent}: period {} ms, impeach timeout {} ms",
                timing.0,
                timing.1
            );
            self.timing = timing;
            self.machine
                .set_base_timeout(timing.0.saturating_add(timing.1));
        }
    }

    async fn on_import(
        &mut self,
        hash: Hash,
        header: &<Block as BlockT>::Header,
        origin: BlockOrigin,
    ) {
        let height = u64::from(*header.number());
        let parent = *header.parent_hash();
        let Some(digest) = DporPreDigest::<AccountId>::find_in_items(header.digest().logs()) else {
            return;
        };
        if let Some(proof) = self.sealed_proposals.note(header) {
            log::warn!(
                target: LOG_TARGET,
                "Proposer {} sealed two blocks at #{height}",
                digest.proposer
            );
            self.report_equivocation(proof);
        }
        // Only the heights the machine decides next: a syncing node imports
        // thousands of blocks ahead of its machine.
        if self
            .machine
            .height()
            .is_some_and(|current| height >= current && height <= current + IMPORTED_AHEAD)
        {
            let entry = self.imported.entry(height).or_default();
            if entry.len() < 16 {
                entry.push((parent, hash, digest.impeach));
            }
        }
        if self
            .pending_final
            .as_ref()
            .is_some_and(|(_, pending, _)| *pending == hash)
        {
            if let Some((height, hash, justification)) = self.pending_final.take() {
                self.finalize(height, hash, justification).await;
                return;
            }
        }
        if Some(height) == self.machine.height() && parent == self.parent && !digest.impeach {
            // Relayed like votes: validators need not be the proposer's
            // peers. (The proposer announces its own block.)
            if origin != BlockOrigin::Own {
                self.sync.announce_block(hash, None);
            }
            self.proposed_at.entry(hash).or_insert_with(Instant::now);
            if let Ok(mut state) = self.round_state.lock() {
                state.proposal.get_or_insert(hash);
            }
            let valid = self.proposal_passes_clock_rule(height, hash, parent);
            let actions = self.machine.on_block_verified(height, hash, valid);
            self.execute(actions).await;
        }
    }

    /// Round 0 gives the proposer `period + timeout` from the height's
    /// start, but never less than `timeout` after it is due, at the parent's
    /// timestamp plus the period. The two differ after an impeach block
    /// made final early (the proposer sent a bad block): it is stamped
    /// `period + timeout` after its parent, ahead of the wall clock, and
    /// the next proposer, which must wait for that stamp plus the period,
    /// would otherwise be impeached through no fault of its own.
    fn round_zero_deadline(&self, round: u32, after_ms: u64) -> u64 {
        if round != 0 {
            return after_ms;
        }
        let (period, timeout) = self.timing;
        let due = authorship::timestamp_at(&*self.client, self.parent)
            .saturating_add(period)
            .saturating_add(timeout);
        let now = sp_timestamp::Timestamp::current().as_millis();
        after_ms.max(due.saturating_sub(now))
    }

    /// Every proposal goes through here before the machine hears of it,
    /// whether it arrived at its height or before the height started.
    fn proposal_passes_clock_rule(&self, height: u64, hash: Hash, parent: Hash) -> bool {
        // Only a validator votes; the check costs a runtime call.
        if self.local.is_none() {
            return true;
        }
        match self.check_proposal_clock(hash, parent) {
            Ok(()) => true,
            Err(e) => {
                log::warn!(target: LOG_TARGET, "#{height}: not voting for {hash}: {e}");
                false
            }
        }
    }

    /// The clock rule, checked before voting for a proposal (import checked
    /// the rest): its inherents check against the local clock, and its
    /// timestamp is at most [`MAX_CLOCK_DRIFT_MS`] ahead of it. A proposer
    /// stamping its block later would delay the next proposer's turn, which
    /// waits for `timestamp + period`, into an impeachment; one stamping it
    /// earlier than `parent + period` is refused by the runtime
    /// (`MinimumPeriod`).
    fn check_proposal_clock(&self, hash: Hash, parent: Hash) -> Result<(), String> {
        let timestamp = authorship::timestamp_at(&*self.client, hash);
        let now = sp_timestamp::Timestamp::current().as_millis();
        if timestamp > now.saturating_add(MAX_CLOCK_DRIFT_MS) {
            return Err(format!(
                "its timestamp is {} ms ahead of the local clock (at most {MAX_CLOCK_DRIFT_MS} ms)",
                timestamp - now
            ));
        }
        let block = self
            .client
            .block(hash)
            .map_err(|e| e.to_string())?
            .ok_or("its body is not stored")?
            .block;
        let mut inherent_data = sp_inherents::InherentData::new();
        inherent_data
            .put_data(sp_timestamp::INHERENT_IDENTIFIER, &now)
            .map_err(|e| e.to_string())?;
        let result = self
            .client
            .runtime_api()
            .check_inherents(parent, block.into(), inherent_data)
            .map_err(|e| format!("check_inherents: {e}"))?;
        if !result.ok() {
            return Err("its inherents do not check against the local clock".into());
        }
        Ok(())
    }

    async fn on_network_event(&mut self, event: NotificationEvent) {
        match event {
            NotificationEvent::ValidateInboundSubstream { result_tx, .. } => {
                let _ = result_tx.send(ValidationResult::Accept);
            }
            NotificationEvent::NotificationStreamOpened { peer, .. } => {
                self.gossip.connected(peer, Instant::now());
                if let Some(bytes) = self.parent_certificate.clone() {
                    self.send(vec![peer], &bytes);
                }
                // A peer that (re)connects missed what was sent meanwhile.
                let actions = self.machine.rebroadcast();
                self.execute(actions).await;
            }
            NotificationEvent::NotificationStreamClosed { peer } => {
                self.gossip.disconnected(&peer);
            }
            NotificationEvent::NotificationReceived { peer, notification } => {
                self.on_notification(peer, notification).await;
            }
        }
    }

    /// A consensus message from `peer`: checked by the machine, acted on,
    /// and relayed if the machine counted it.
    async fn on_notification(&mut self, peer: PeerId, bytes: Vec<u8>) {
        #[cfg(feature = "byzantine-test")]
        if let Some(deaf) = self.deaf.as_mut() {
            if deaf.drops(&bytes, Instant::now()) {
                return;
            }
        }
        if let Err(Flooding { first }) = self.gossip.admit(&peer, Instant::now()) {
            if first {
                self.network.report_peer(peer, COST_FLOODING);
            }
            return;
        }
        let message = match decode_message(&bytes) {
            Ok(message) => message,
            Err(e) => {
                log::debug!(target: LOG_TARGET, "Bad message from {peer}: {e}");
                self.network.report_peer(peer, COST_BAD_MESSAGE);
                return;
            }
        };
        if let Message::Validate(certificate) = &message {
            self.answer_peer_behind(peer, certificate.vote.height, certificate.vote.hash);
        }
        let id = content_id(&message);
        if let Some(height) = self.gossip.on_receive(&peer, id) {
            if self
                .machine
                .height()
                .is_some_and(|current| height >= current)
            {
                let targets = self.gossip.pass_on(id);
                self.send(targets, &bytes);
            }
            return;
        }
        if let Some(metrics) = &self.metrics {
            metrics.messages_received.inc();
        }
        let height = message.height();
        if let Message::Validate(certificate) = &message {
            if self.finalize_ahead(certificate).await {
                let targets = self.gossip.relay(id, height, None);
                self.send(targets, &bytes);
                return;
            }
        }
        let signer = wire::signer(&message).map(|signer| signer.to_raw_vec());
        let counted = self.machine.accepts(&message);
        match self.machine.on_message(message) {
            Ok(actions) => {
                if let Some(ahead) = self.machine.highest_certified_ahead() {
                    self.highest_seen = self.highest_seen.max(ahead);
                }
                if counted {
                    self.highest_seen = self.highest_seen.max(height);
                    let targets = self.gossip.relay(id, height, signer.as_deref());
                    if !targets.is_empty()
                        && Some(height) == self.machine.height()
                        && self.relayed_this_height.len() < MAX_RESENT_PER_HEIGHT
                    {
                        self.relayed_this_height.push(bytes.clone());
                    }
                    self.send(targets, &bytes);
                }
                self.execute(actions).await;
            }
            Err(e) => {
                log::debug!(target: LOG_TARGET, "Invalid message from {peer}: {e:?}");
                self.network.report_peer(peer, COST_INVALID_VOTE);
            }
        }
    }

    /// `peer` sent a VALIDATE naming this node's final block `hash` at
    /// `height`, below its last final block. Nodes send the certificate of
    /// their last final block while a height takes long, so the peer is
    /// most likely stuck at the height after it: decided without it, and
    /// its messages are not sent again. Sync would not fetch its own block's
    /// certificate for it (README, "Missed certificates"). It gets the next
    /// certificates from this node's database, at most
    /// [`MAX_CERTIFICATES_PER_ANSWER`] a second (and all peers together
    /// 16 answers a second); the VALIDATE is not checked, so any peer can
    /// have that, as it can through sync's block requests.
    fn answer_peer_behind(&mut self, peer: PeerId, height: u64, hash: Hash) {
        let finalized = u64::from(self.client.info().finalized_number);
        let now = Instant::now();
        if height >= finalized
            || height.saturating_add(MAX_ANSWERED_LAG) < finalized
            || !self.gossip.may_answer_behind(&peer, now)
        {
            return;
        }
        let canonical = |number: u64| {
            u32::try_from(number)
                .ok()
                .and_then(|number| self.client.hash(number).ok().flatten())
        };
        if canonical(height) != Some(hash) {
            return;
        }
        let last = finalized.min(height.saturating_add(MAX_CERTIFICATES_PER_ANSWER));
        let answer: Vec<(u64, Vec<u8>)> = (height.saturating_add(1)..=last)
            .filter_map(|next| {
                let bytes = self.certificate_message(next, canonical(next)?)?;
                Some((next, bytes))
            })
            .collect();
        if answer.is_empty() {
            return;
        }
        self.gossip.answered_behind(&peer, now);
        for (next, bytes) in answer {
            log::debug!(target: LOG_TARGET, "#{next}: sending its certificate to {peer}, which is behind");
            self.send(vec![peer], &bytes);
        }
    }

    fn send(&mut self, peers: Vec<PeerId>, bytes: &[u8]) {
        for peer in peers {
            self.notifications
                .send_sync_notification(&peer, bytes.to_vec());
        }
    }

    fn broadcast(&mut self, message: Message<Dpor>) {
        if self.signing_stopped && !matches!(message, Message::Validate(_)) {
            return;
        }
        #[cfg(feature = "byzantine-test")]
        let conflicting = crate::byzantine::double_vote()
            .then(|| {
                let crypto = KeystoreCrypto {
                    keystore: Some(self.keystore.clone()),
                    local: self.local.clone(),
                };
                crate::byzantine::conflicting_vote(&message, &crypto, self.genesis.as_ref())
            })
            .flatten();
        let height = message.height();
        let id = content_id(&message);
        let bytes = WireMessage::from(message).encode();
        let peers = self.gossip.own(id, height);
        self.send(peers, &bytes);
        #[cfg(feature = "byzantine-test")]
        if let Some(conflicting) = conflicting {
            let peers: Vec<PeerId> = self.gossip.peers().copied().collect();
            self.send(peers, &WireMessage::from(conflicting).encode());
        }
    }

    async fn execute(&mut self, actions: Vec<Action<Dpor>>) {
        let mut queue: VecDeque<Action<Dpor>> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Persist(record) => {
                    if self.signing_stopped {
                        continue;
                    }
                    if let Err(e) = self.record.write(record) {
                        // A vote whose record may not be on disk could
                        // contradict itself after a restart. Retrying would
                        // not tell what reached the disk: stop signing for
                        // good (`broadcast` drops every signed message from
                        // now on) and keep following finality.
                        log::error!(
                            target: LOG_TARGET,
                            "{e}. This validator stops voting until it is restarted with a writable record."
                        );
                        self.signing_stopped = true;
                    }
                }
                Action::Broadcast(message) => self.broadcast(message),
                Action::SetTimer {
                    height,
                    round,
                    after_ms,
                } => {
                    let after_ms = self.round_zero_deadline(round, after_ms);
                    let sleep = tokio::time::sleep(Duration::from_millis(after_ms));
                    self.timers
                        .push(sleep.map(move |_| (height, round)).boxed());
                }
                Action::BuildImpeachBlock { height, parent } => {
                    match self.import_impeach_block(height, parent, None).await {
                        Ok(hash) => {
                            log::info!(
                                target: LOG_TARGET,
                                "#{height}: impeaching the proposer with block {hash}"
                            );
                            if let Some(metrics) = &self.metrics {
                                metrics.impeachments.inc();
                            }
                            if let Ok(mut state) = self.round_state.lock() {
                                state.impeach_block = Some(hash);
                            }
                            queue.extend(self.machine.on_impeach_block(height, hash));
                        }
                        Err(e) => log::error!(
                            target: LOG_TARGET,
                            "#{height}: cannot build the impeach block: {e}"
                        ),
                    }
                }
                Action::FetchBlock { height, hash } => {
                    if !matches!(self.client.header(hash), Ok(Some(_))) {
                        let peers: Vec<PeerId> = self.gossip.peers().copied().collect();
                        self.sync.set_sync_fork_request(peers, hash, height as u32);
                    }
                }
                Action::Finalize(certificate) => {
                    let height = certificate.vote.height;
                    let hash = certificate.vote.hash;
                    let justification = DporJustification::from_certificate(&certificate);
                    // A certified impeach block this node has not built yet
                    // (the certificate came before its own timeout) is
                    // built here: fetching it would depend on sync, which
                    // can stall behind peers' pruned proposals.
                    let known = matches!(self.client.header(hash), Ok(Some(_)))
                        || (height == self.machine.height().unwrap_or(0)
                            && self
                                .import_impeach_block(height, self.parent, Some(hash))
                                .await
                                .ok()
                                == Some(hash));
                    if known {
                        self.finalize(height, hash, justification).await;
                    } else {
                        log::debug!(target: LOG_TARGET, "#{height}: certified {hash}, fetching it");
                        self.pending_final = Some((height, hash, justification));
                    }
                }
                Action::ReportEquivocation(equivocation) => {
                    log::warn!(
                        target: LOG_TARGET,
                        "Validator {} equivocated at #{} round {}",
                        equivocation.first.signer,
                        equivocation.first.vote.height,
                        equivocation.first.vote.round
                    );
                    if let Some(proof) = vote_evidence(&equivocation) {
                        self.report_equivocation(proof);
                    }
                }
            }
        }
    }

    /// Submits evidence to the pool, once per offender and height, if it
    /// checks as the runtime will check it.
    fn report_equivocation(&mut self, proof: EquivocationProof) {
        let offence = match proof.check(self.genesis.as_ref()) {
            Ok(offence) => offence,
            Err(e) => {
                log::debug!(target: LOG_TARGET, "Not reporting evidence that does not check: {e:?}");
                return;
            }
        };
        if self.reported.contains(offence.height, &offence.offender) {
            return;
        }
        let at = self.client.info().best_hash;
        let mut api = self.client.runtime_api();
        match api.api_version::<dyn DporApi<Block, AccountId>>(at) {
            Ok(Some(version)) if version >= 2 => {}
            _ => {
                log::warn!(target: LOG_TARGET, "The runtime takes no equivocation reports yet");
                return;
            }
        }
        api.register_extension(self.offchain_tx_pool_factory.offchain_transaction_pool(at));
        match api.submit_report_equivocation_unsigned_extrinsic(at, proof) {
            Ok(accepted) => {
                if accepted {
                    log::info!(
                        target: LOG_TARGET,
                        "Reported the equivocation of {:?} at #{}",
                        offence.offender,
                        offence.height
                    );
                } else {
                    // Mostly: the offender is already recorded this term.
                    log::debug!(
                        target: LOG_TARGET,
                        "The pool refused the equivocation report of {:?} at #{}",
                        offence.offender,
                        offence.height
                    );
                }
                self.reported.remember(offence.height, offence.offender);
            }
            // Tried again when the evidence shows up again.
            Err(e) => log::warn!(target: LOG_TARGET, "Cannot report an equivocation: {e}"),
        }
    }

    /// Finalizes a block of a later height than the machine's with its
    /// certificate, if the block is imported and the certificate is valid
    /// for the validators in its parent's state: a node behind the committee
    /// (restarted, or lagging) catches up with the certificates the
    /// committee keeps sending, instead of deciding every height it missed
    /// after the others did. Whether it did so.
    async fn finalize_ahead(&mut self, certificate: &cpchain_lbft::Certificate<Dpor>) -> bool {
        let height = certificate.vote.height;
        let Some(current) = self.machine.height() else {
            return false;
        };
        if height <= current {
            return false;
        }
        let hash = certificate.vote.hash;
        let Ok(Some(header)) = self.client.header(hash) else {
            return false;
        };
        if u64::from(*header.number()) != height {
            return false;
        }
        let checked = crate::import::check_certificate(
            &*self.client,
            *header.parent_hash(),
            certificate,
            self.genesis.as_ref(),
        );
        if checked.is_err() {
            return false;
        }
        log::debug!(target: LOG_TARGET, "#{height}: certificate ahead of #{current}, catching up");
        let justification = DporJustification::from_certificate(certificate);
        self.finalize(height, hash, justification).await;
        true
    }

    async fn finalize(&mut self, height: u64, hash: Hash, justification: DporJustification) {
        let finalized = self.client.info().finalized_number;
        if u64::from(finalized) >= height {
            self.keep_certificate(height, hash, &justification);
            return;
        }
        // Before the database, which may lose it in a crash (RULE P2).
        if let Err(e) = self
            .record
            .remember_final(justification.certificate(height, hash))
        {
            log::warn!(target: LOG_TARGET, "{e}");
        }
        #[cfg(feature = "byzantine-test")]
        if crate::byzantine::lose_certificate(height) {
            log::warn!(target: LOG_TARGET, "byzantine-test: finalizing #{height} without its certificate");
            if self.client.finalize_block(hash, None, true).is_ok() {
                self.advance = true;
            }
            return;
        }
        let result =
            self.client
                .finalize_block(hash, Some((DPOR_ENGINE_ID, justification.encode())), true);
        match result {
            Ok(()) => {
                log::info!(
                    target: LOG_TARGET,
                    "✅ #{height} final ({hash}), certified in round {}",
                    justification.round
                );
                let proposal_to_final = self.proposed_at.remove(&hash).map(|start| start.elapsed());
                if let (Some(metrics), Some(elapsed)) = (&self.metrics, proposal_to_final) {
                    metrics.proposal_to_final.observe(elapsed.as_secs_f64());
                }
                sc_telemetry::telemetry!(
                    self.telemetry;
                    sc_telemetry::CONSENSUS_INFO;
                    "dpor.finalized";
                    "height" => height,
                    "hash" => ?hash,
                    "round" => justification.round,
                    "proposal_to_final_ms" => proposal_to_final.map(|d| d.as_millis() as u64),
                );
                self.proposed_at.clear();
                self.advance = true;
            }
            // A certificate imported meanwhile (sync's justification
            // requests) may have finalized a later block already.
            Err(_) if u64::from(self.client.info().finalized_number) >= height => {
                self.keep_certificate(height, hash, &justification);
            }
            Err(e) => log::error!(target: LOG_TARGET, "Cannot finalize #{height} ({hash}): {e}"),
        }
    }

    /// Stores the certificate of a block that a later block's certificate
    /// finalized first (sync imported that one meanwhile): without it, this
    /// node would serve the block uncertified, and a node syncing history
    /// from it would drop it as a bad peer.
    fn keep_certificate(&mut self, height: u64, hash: Hash, justification: &DporJustification) {
        let canonical = u32::try_from(height)
            .ok()
            .and_then(|number| self.client.hash(number).ok().flatten());
        if canonical != Some(hash) {
            return;
        }
        if crate::communication::backfill::has_certificate(&*self.client, hash) {
            return;
        }
        match self
            .backend
            .append_justification(hash, (DPOR_ENGINE_ID, justification.encode()))
        {
            Ok(()) => {
                if hash == self.parent {
                    self.parent_certificate = Some(validate_message(height, hash, justification));
                }
                log::debug!(target: LOG_TARGET, "#{height}: stored the certificate of a block already final")
            }
            Err(e) => {
                log::debug!(target: LOG_TARGET, "#{height}: cannot store its certificate: {e}")
            }
        }
    }

    /// `byzantine-test`: after this node's proposal, goes deaf if
    /// `CPCHAIN_TEST_DEAF_AFTER_PROPOSING` says so.
    #[cfg(feature = "byzantine-test")]
    fn go_deaf_if_asked(&mut self) {
        let height = self.machine.height().unwrap_or_default();
        if self.deaf.is_none() && crate::byzantine::deaf_after_proposing(height) {
            log::warn!(target: LOG_TARGET, "byzantine-test: deaf to consensus messages after proposing at #{height}");
            self.deaf = Some(crate::byzantine::Deafness::new(height));
        }
    }

    /// The VALIDATE message of the final block `hash` at `height`, from
    /// the certificate stored with it; none for genesis.
    fn certificate_message(&self, height: u64, hash: Hash) -> Option<Vec<u8>> {
        let justification =
            crate::justification::stored_justification(&*self.client, hash).ok()??;
        Some(validate_message(height, hash, &justification))
    }

    fn parent_timestamp(&self, parent: Hash) -> u64 {
        authorship::timestamp_at(&*self.client, parent)
    }

    fn pre_digest(
        &self,
        height: u64,
        parent: Hash,
        impeach: bool,
    ) -> Result<DporPreDigest<AccountId>, String> {
        authorship::pre_digest(&*self.client, height, parent, impeach)
    }

    /// Builds the impeach block of `height` on `parent` and imports it,
    /// unless it is not `only_if`; gives its hash. It is neither made best
    /// nor announced until a certificate makes it final: peers import an
    /// impeach block only with its certificate (or if it is the one they
    /// build themselves), and would drop a peer that offered one without.
    /// `only_if` is the block a certificate names when it came before that
    /// block: importing a wrong guess would leave a dead fork beside the
    /// final block, whose state is discarded at once, and pools that kept a
    /// view on it refused transactions with "State already discarded".
    async fn import_impeach_block(
        &mut self,
        height: u64,
        parent: Hash,
        only_if: Option<Hash>,
    ) -> Result<Hash, String> {
        let built = authorship::impeach_block(&*self.client, height, parent)?;
        let (block, changes) = (built.block, built.storage_changes);
        let (header, body) = block.deconstruct();
        let hash = header.hash();
        if only_if.is_some_and(|wanted| wanted != hash)
            || matches!(self.client.header(hash), Ok(Some(_)))
        {
            return Ok(hash);
        }
        let mut import = BlockImportParams::new(BlockOrigin::Own, header);
        import.body = Some(body);
        import.state_action = StateAction::ApplyChanges(StorageChanges::Changes(changes));
        import.fork_choice = Some(ForkChoiceStrategy::Custom(false));
        self.block_import
            .import_block(import)
            .await
            .map_err(|e| e.to_string())?;
        Ok(hash)
    }

    /// Starts building this node's proposal for `height` if it is the
    /// scheduled proposer and holds the sealing key.
    fn maybe_propose(&mut self, height: u64, parent: Hash) {
        let mut digest = match self.pre_digest(height, parent, false) {
            Ok(digest) => digest,
            Err(e) => {
                log::debug!(target: LOG_TARGET, "#{height}: {e}");
                return;
            }
        };
        let public = sr25519::Public::from_raw(*AsRef::<[u8; 32]>::as_ref(&digest.proposer));
        if !self
            .keystore
            .has_keys(&[(public.to_raw_vec(), seal_crypto::KEY_TYPE)])
        {
            return;
        }
        let parent_header = match self.client.header(parent) {
            Ok(Some(header)) => header,
            _ => return,
        };
        #[cfg(feature = "byzantine-test")]
        let vrf_height = height + u64::from(crate::byzantine::forged_vrf());
        #[cfg(not(feature = "byzantine-test"))]
        let vrf_height = height;
        match authorship::sign_vrf(&*self.client, &self.keystore, &public, vrf_height, parent) {
            Ok(vrf) => digest.vrf = vrf,
            Err(e) => {
                log::error!(target: LOG_TARGET, "#{height}: not proposing: VRF: {e}");
                return;
            }
        }
        match self.seal_record.claim(height) {
            Ok(true) => {}
            Ok(false) => {
                log::warn!(
                    target: LOG_TARGET,
                    "#{height}: this node already sealed a block at this height before a restart; not sealing another"
                );
                return;
            }
            Err(e) => {
                log::error!(target: LOG_TARGET, "#{height}: not proposing: {e}");
                return;
            }
        }
        let (period, _) = self.timing;
        let due = self.parent_timestamp(parent).saturating_add(period);
        let now = sp_timestamp::Timestamp::current().as_millis();
        let wait = Duration::from_millis(due.saturating_sub(now));
        let timestamp = due.max(now);
        let create = self.env.init(&parent_header);
        #[cfg(feature = "byzantine-test")]
        let second = crate::byzantine::double_seal().then(|| self.env.init(&parent_header));
        let (keystore, block_import, sync) = (
            self.keystore.clone(),
            self.block_import.clone(),
            self.sync.clone(),
        );
        log::debug!(target: LOG_TARGET, "#{height}: our turn, proposing in {wait:?}");
        self.authoring = Some(
            async move {
                tokio::time::sleep(wait).await;
                let sealer = authorship::Sealer {
                    keystore,
                    public,
                    digest,
                    period,
                };
                let proposer = create.await.map_err(|e| e.to_string())?;
                let (hash, import) = sealer.seal(proposer, timestamp).await?;
                block_import
                    .import_block(import)
                    .await
                    .map_err(|e| e.to_string())?;
                sync.announce_block(hash, None);
                #[cfg(feature = "byzantine-test")]
                if let Some(second) = second {
                    let proposer = second.await.map_err(|e| e.to_string())?;
                    crate::byzantine::seal_another(
                        &sealer,
                        proposer,
                        timestamp,
                        &block_import,
                        &sync,
                    )
                    .await?;
                }
                Ok(hash)
            }
            .boxed(),
        );
    }
}

/// The key of `validators` this node's keystore holds, if any.
/// The encoded VALIDATE message of block `hash` at `height`.
fn validate_message(height: u64, hash: Hash, justification: &DporJustification) -> Vec<u8> {
    let message = Message::Validate(justification.certificate(height, hash));
    WireMessage::from(message).encode()
}

fn local_key(
    keystore: &KeystorePtr,
    validators: &cpchain_lbft::ValidatorSet<AuthorityId>,
) -> Option<AuthorityId> {
    keystore
        .ed25519_public_keys(KEY_TYPE)
        .into_iter()
        .map(AuthorityId::from)
        .find(|key| validators.contains(key))
}
