//! Transactions travel towards the proposers, the only nodes that build
//! blocks.
//!
//! Substrate's transactions protocol sends every transaction to every
//! peer, and every node validates it in its pool. On a DPoR chain only the
//! proposers include transactions, so a validator that proposes nothing
//! pays for a pool it never uses (issue 14 measured six validations of
//! every transfer on the six-node network). This protocol
//! (`/<genesis>/dpor/tx/1`) takes the place of Substrate's, which the
//! service starves ([`StarvedPool`]):
//! - a node says in its handshake whether it takes transactions from peers,
//!   and proves which proposer accounts it runs: a signature by each of its
//!   sealing keys over the chain and its own peer id, which no other peer
//!   can present as its own;
//! - a node passes each new transaction of its pool to the peers that take
//!   transactions and are not known to have it: only to proposers of the
//!   current or next term when some are its peers, otherwise to every peer
//!   that takes them (full nodes, which pass it on the same way);
//! - a node that takes none (by default a validator that is no proposer,
//!   see [`takes_transactions_by_default`]) drops what peers send it unread,
//!   and still passes on what is submitted to it over RPC;
//! - transactions go in batches, one notification per peer every
//!   [`FLUSH_EVERY`], and what a node receives is validated in one call to
//!   its pool per notification.
//!
//! What the pool still holds is offered again every [`REOFFER_EVERY`], to
//! peers that connected since or became proposers at a new term.

use std::{
    collections::{HashMap, HashSet},
    hash::Hash as StdHash,
    sync::Arc,
    time::{Duration, Instant},
};

use codec::{Decode, DecodeAll, Encode};
use cpchain_primitives::{
    runtime_api::DporApi, seal_crypto, AccountId, Hash, OpaqueBlock as Block,
};
use futures::{future::BoxFuture, stream::FuturesUnordered, FutureExt, StreamExt};
use sc_client_api::BlockchainEvents;
use sc_network::{
    service::traits::{NotificationEvent, NotificationService, ValidationResult},
    NetworkBackend, NetworkPeers, NotificationMetrics, ProtocolName, ReputationChange,
};
use sc_network_sync::SyncEventStream;
use sc_network_types::PeerId;
use sc_transaction_pool_api::{
    error::{Error as PoolError, IntoPoolError},
    InPoolTransaction, TransactionPool, TransactionSource,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::ByteArray, sr25519, Pair};
use sp_keystore::KeystorePtr;
use sp_runtime::{transaction_validity::InvalidTransaction, OpaqueExtrinsic};

use super::gossip::{Flooding, RateWindow, RecentIds};
use crate::LOG_TARGET;

/// The largest notification: a batch is cut well below it.
pub const MAX_NOTIFICATION_SIZE: u64 = 1024 * 1024;
/// A batch holds at most this many bytes, unless one transaction is
/// larger.
const BATCH_BYTES: usize = 256 * 1024;
/// The largest transaction sent: with the batch's length prefix, within
/// [`MAX_NOTIFICATION_SIZE`].
const MAX_TRANSACTION_SIZE: u64 = MAX_NOTIFICATION_SIZE - 16;
/// How often batches go out.
pub const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// How often the pool's ready transactions are offered again.
pub const REOFFER_EVERY: Duration = Duration::from_secs(3);
/// Transactions a peer may send per second; the rest are dropped.
pub const MAX_RECEIVED_PER_SECOND: u32 = 10_000;
/// Transactions received and not yet validated; beyond, more are dropped.
const MAX_PENDING_VALIDATIONS: usize = 16_384;
/// Transaction hashes remembered per peer (sent to it or received from it).
const KNOWN_PER_PEER: usize = 10_240;
/// A transaction still ready this long after it went to a peer goes to it
/// again: the peer may have dropped it (over its rate, or behind).
pub const RESEND_AFTER: Duration = Duration::from_secs(30);
/// Peers that take transactions and are no proposers, besides the
/// proposers, that get each transaction: a proposer that drops what it
/// gets must not be the only way out.
pub const FALLBACK_RELAYS: usize = 2;
/// Proposer proofs read from a handshake.
pub const MAX_PROOFS: usize = 8;

const COST_BAD_TRANSACTION: ReputationChange =
    ReputationChange::new(-(1 << 12), "dpor-tx: bad transaction");
const COST_UNWANTED: ReputationChange =
    ReputationChange::new(-(1 << 8), "dpor-tx: transactions to a node that takes none");
const COST_FLOODING: ReputationChange =
    ReputationChange::new(-(1 << 8), "dpor-tx: too many transactions");
const BENEFIT_GOOD_TRANSACTIONS: ReputationChange =
    ReputationChange::new(1 << 4, "dpor-tx: good transactions");

/// The protocol's name.
pub fn protocol_name(genesis: Hash) -> ProtocolName {
    super::chain_protocol_name(genesis, "dpor/tx/1")
}

/// A proposer account run by the peer that presents it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ProposerProof {
    pub account: [u8; 32],
    /// By the account's sealing key, over [`proof_payload`].
    pub signature: [u8; 64],
}

/// What a node says about itself when a peer opens the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Handshake {
    pub takes_transactions: bool,
    pub proposers: Vec<ProposerProof>,
}

/// What a sealing key signs to show that the node with `peer` runs it on
/// the chain of `genesis`.
pub fn proof_payload(genesis: Hash, peer: &PeerId) -> Vec<u8> {
    (b"cpchain/tx-relay/1", genesis, peer.to_bytes()).encode()
}

impl Handshake {
    /// This node's handshake: proofs by each sealing key in `keystore`
    /// (at most [`MAX_PROOFS`]).
    pub fn local(
        keystore: &KeystorePtr,
        genesis: Hash,
        local: &PeerId,
        takes_transactions: bool,
    ) -> Self {
        let payload = proof_payload(genesis, local);
        let proposers = keystore
            .sr25519_public_keys(seal_crypto::KEY_TYPE)
            .into_iter()
            .take(MAX_PROOFS)
            .filter_map(|public| {
                let signature = keystore
                    .sr25519_sign(seal_crypto::KEY_TYPE, &public, &payload)
                    .ok()
                    .flatten()?;
                Some(ProposerProof {
                    account: public.0,
                    signature: signature.0,
                })
            })
            .collect();
        Self {
            takes_transactions,
            proposers,
        }
    }

    /// Reads a peer's handshake and keeps the proposer accounts it proves;
    /// None if it does not decode or holds too many proofs.
    pub fn read(bytes: &[u8], genesis: Hash, peer: &PeerId) -> Option<(bool, Vec<AccountId>)> {
        let handshake = Handshake::decode_all(&mut &bytes[..]).ok()?;
        if handshake.proposers.len() > MAX_PROOFS {
            return None;
        }
        let payload = proof_payload(genesis, peer);
        let proven = handshake
            .proposers
            .iter()
            .filter(|proof| {
                sr25519::Pair::verify(
                    &sr25519::Signature::from_raw(proof.signature),
                    &payload,
                    &sr25519::Public::from_raw(proof.account),
                )
            })
            .map(|proof| AccountId::from(proof.account))
            .collect();
        Some((handshake.takes_transactions, proven))
    }
}

/// Whether a node takes transactions from peers when its operator leaves
/// it to the node: not if it holds the consensus key of a validator in
/// force and none of its sealing keys is a proposer of this term or the
/// next; it would only validate transactions it never includes. With the
/// reason, for the log.
pub fn takes_transactions_by_default<C>(
    client: &C,
    keystore: &KeystorePtr,
    proposers: &HashSet<AccountId>,
) -> (bool, String)
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let best = client.info().best_hash;
    let Ok(committee) = client.runtime_api().committee(best) else {
        return (true, "the committee cannot be read".into());
    };
    let local_keys = keystore.ed25519_public_keys(cpchain_primitives::dpor_crypto::KEY_TYPE);
    let validates = committee.validators.iter().any(|(_, key)| {
        local_keys
            .iter()
            .any(|local| local.as_slice() == key.as_slice())
    });
    if !validates {
        return (true, "this node is no validator".into());
    }
    let proposes = keystore
        .sr25519_public_keys(seal_crypto::KEY_TYPE)
        .into_iter()
        .any(|public| proposers.contains(&AccountId::from(public)));
    if proposes {
        (true, "this validator is also a proposer".into())
    } else {
        (
            false,
            "this validator is no proposer of this term or the next".into(),
        )
    }
}

/// The proposers of the term in force at the best block and of the next.
pub fn proposers_now_and_next<C>(client: &C) -> HashSet<AccountId>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let best = client.info().best_hash;
    let api = client.runtime_api();
    let Ok(committee) = api.committee(best) else {
        return HashSet::new();
    };
    [committee.term, committee.term.saturating_add(1)]
        .into_iter()
        .flat_map(|term| api.proposers_of_term(best, term).unwrap_or_default())
        .chain(committee.proposers)
        .collect()
}

struct RelayPeer {
    takes_transactions: bool,
    proposers: Vec<AccountId>,
    /// Per transaction: when it went to the peer, or None if the peer
    /// sent it (it has it for sure).
    known: RecentIds<Option<Instant>>,
    window: RateWindow,
}

/// Who gets which transaction, generic over the peer identity.
pub struct Relay<P> {
    peers: HashMap<P, RelayPeer>,
}

impl<P: StdHash + Eq + Clone> Default for Relay<P> {
    fn default() -> Self {
        Self {
            peers: HashMap::new(),
        }
    }
}

impl<P: StdHash + Eq + Clone> Relay<P> {
    pub fn connected(
        &mut self,
        peer: P,
        takes_transactions: bool,
        proposers: Vec<AccountId>,
        now: Instant,
    ) {
        self.peers.insert(
            peer,
            RelayPeer {
                takes_transactions,
                proposers,
                known: RecentIds::new(KNOWN_PER_PEER),
                window: RateWindow::new(now),
            },
        );
    }

    pub fn disconnected(&mut self, peer: &P) {
        self.peers.remove(peer);
    }

    /// Whether some peer takes transactions.
    pub fn has_takers(&self) -> bool {
        self.peers.values().any(|peer| peer.takes_transactions)
    }

    /// `count` transactions arrived from `from`: within its rate?
    pub fn admit(&mut self, from: &P, count: u32, now: Instant) -> Result<(), Flooding> {
        match self.peers.get_mut(from) {
            Some(peer) => peer.window.admit(now, count, MAX_RECEIVED_PER_SECOND),
            None => Ok(()),
        }
    }

    pub fn peer_ids(&self) -> Vec<P> {
        self.peers.keys().cloned().collect()
    }

    pub fn is_connected(&self, peer: &P) -> bool {
        self.peers.contains_key(peer)
    }

    /// `from` sent transaction `id`: it has it.
    pub fn received(&mut self, from: &P, id: [u8; 32]) {
        if let Some(peer) = self.peers.get_mut(from) {
            if !peer.known.insert(id, None) {
                if let Some(when) = peer.known.get_mut(&id) {
                    *when = None;
                }
            }
        }
    }

    /// The peers to send transaction `id` to at `now`, who have it from
    /// then on: the `proposers` among the peers that take transactions,
    /// and [`FALLBACK_RELAYS`] other such peers; all such peers if none is
    /// a proposer. A peer that got it [`RESEND_AFTER`] ago or longer gets
    /// it again; one that sent it never does.
    pub fn targets(
        &mut self,
        id: [u8; 32],
        proposers: &HashSet<AccountId>,
        now: Instant,
    ) -> Vec<P> {
        let is_proposer = |peer: &RelayPeer| {
            peer.proposers
                .iter()
                .any(|account| proposers.contains(account))
        };
        let takers: Vec<(&P, bool)> = self
            .peers
            .iter()
            .filter(|(_, peer)| peer.takes_transactions)
            .map(|(who, peer)| (who, is_proposer(peer)))
            .collect();
        let any_proposer = takers.iter().any(|(_, proposes)| *proposes);
        let mut fallbacks = 0;
        let chosen: Vec<P> = takers
            .into_iter()
            .filter(|(_, proposes)| {
                if *proposes || !any_proposer {
                    return true;
                }
                fallbacks += 1;
                fallbacks <= FALLBACK_RELAYS
            })
            .map(|(who, _)| who.clone())
            .collect();
        self.lacking(chosen, id, now)
    }

    /// Every peer that lacks transaction `id`, takes transactions or not.
    pub fn to_every_peer(&mut self, id: [u8; 32], now: Instant) -> Vec<P> {
        let everyone = self.peer_ids();
        self.lacking(everyone, id, now)
    }

    /// Those of `chosen` that lack `id` (never got it, or got it
    /// [`RESEND_AFTER`] ago), who have it from `now` on.
    fn lacking(&mut self, chosen: Vec<P>, id: [u8; 32], now: Instant) -> Vec<P> {
        chosen
            .into_iter()
            .filter(|who| {
                let Some(peer) = self.peers.get_mut(who) else {
                    return false;
                };
                if peer.known.insert(id, Some(now)) {
                    return true;
                }
                match peer.known.get_mut(&id) {
                    Some(Some(sent)) if now.saturating_duration_since(*sent) >= RESEND_AFTER => {
                        *sent = now;
                        true
                    }
                    _ => false,
                }
            })
            .collect()
    }
}

/// Whether a pool's refusal of a peer's transaction shows the peer sent
/// junk: a bad signature or an undecodable call. Stale, future and
/// unaffordable transactions can be honest ones that met another state.
fn is_junk(error: &PoolError) -> bool {
    matches!(
        error,
        PoolError::InvalidTransaction(
            InvalidTransaction::BadProof
                | InvalidTransaction::BadSigner
                | InvalidTransaction::Call
                | InvalidTransaction::BadMandatory
                | InvalidTransaction::MandatoryValidation
        )
    )
}

/// What a peer's batch earns it, from the pool's answers: each junk
/// transaction costs, as in Substrate's protocol, so that a flood of junk
/// is cut off within seconds; a batch with none and at least one taken
/// earns a little. A full pool's refusal, or a stale transaction, costs
/// nothing: the peer could not know.
fn reputation_for(results: &[Result<Hash, PoolError>]) -> Option<ReputationChange> {
    let junk = results
        .iter()
        .filter(|result| result.as_ref().is_err_and(is_junk))
        .count();
    if junk > 0 {
        let cost = COST_BAD_TRANSACTION
            .value
            .saturating_mul(i32::try_from(junk).unwrap_or(i32::MAX));
        Some(ReputationChange::new(cost, COST_BAD_TRANSACTION.reason))
    } else if results.iter().any(Result::is_ok) {
        Some(BENEFIT_GOOD_TRANSACTIONS)
    } else {
        None
    }
}

/// The notification protocol's configuration. Its handshake is set once
/// the network runs and this node's peer id is known
/// ([`RelayParams::handshake`]; the network starts every protocol with the
/// node's role as its handshake, which peers refuse until then).
pub fn notification_protocol<N: NetworkBackend<Block, Hash>>(
    genesis: Hash,
    metrics: NotificationMetrics,
    peer_store: Arc<dyn sc_network::peer_store::PeerStoreProvider>,
) -> (N::NotificationProtocolConfig, Box<dyn NotificationService>) {
    super::sync_peers_protocol::<N>(
        protocol_name(genesis),
        MAX_NOTIFICATION_SIZE,
        metrics,
        peer_store,
    )
}

/// The pool as Substrate's transactions protocol sees it: empty, and
/// taking nothing from peers (as if it had it already, which costs the
/// sender no reputation). That protocol then carries nothing, and this
/// module's relay is how transactions travel.
pub struct StarvedPool<P>(pub Arc<P>);

#[async_trait::async_trait]
impl<P> TransactionPool for StarvedPool<P>
where
    P: TransactionPool + 'static,
{
    type Block = P::Block;
    type Hash = P::Hash;
    type InPoolTransaction = P::InPoolTransaction;
    type Error = P::Error;

    async fn submit_at(
        &self,
        _at: <Self::Block as sp_runtime::traits::Block>::Hash,
        _source: TransactionSource,
        xts: Vec<sc_transaction_pool_api::TransactionFor<Self>>,
    ) -> Result<Vec<Result<sc_transaction_pool_api::TxHash<Self>, Self::Error>>, Self::Error> {
        Ok(xts
            .iter()
            .map(|xt| Err(PoolError::AlreadyImported(Box::new(self.0.hash_of(xt))).into()))
            .collect())
    }

    async fn submit_one(
        &self,
        _at: <Self::Block as sp_runtime::traits::Block>::Hash,
        _source: TransactionSource,
        xt: sc_transaction_pool_api::TransactionFor<Self>,
    ) -> Result<sc_transaction_pool_api::TxHash<Self>, Self::Error> {
        Err(PoolError::AlreadyImported(Box::new(self.0.hash_of(&xt))).into())
    }

    async fn submit_and_watch(
        &self,
        _at: <Self::Block as sp_runtime::traits::Block>::Hash,
        _source: TransactionSource,
        xt: sc_transaction_pool_api::TransactionFor<Self>,
    ) -> Result<
        std::pin::Pin<Box<sc_transaction_pool_api::TransactionStatusStreamFor<Self>>>,
        Self::Error,
    > {
        Err(PoolError::AlreadyImported(Box::new(self.0.hash_of(&xt))).into())
    }

    async fn ready_at(
        &self,
        _at: <Self::Block as sp_runtime::traits::Block>::Hash,
    ) -> Box<
        dyn sc_transaction_pool_api::ReadyTransactions<Item = Arc<Self::InPoolTransaction>> + Send,
    > {
        Box::new(std::iter::empty())
    }

    fn ready(
        &self,
    ) -> Box<
        dyn sc_transaction_pool_api::ReadyTransactions<Item = Arc<Self::InPoolTransaction>> + Send,
    > {
        Box::new(std::iter::empty())
    }

    async fn report_invalid(
        &self,
        _at: Option<<Self::Block as sp_runtime::traits::Block>::Hash>,
        _invalid_tx_errors: sc_transaction_pool_api::TxInvalidityReportMap<
            sc_transaction_pool_api::TxHash<Self>,
        >,
    ) -> Vec<Arc<Self::InPoolTransaction>> {
        Vec::new()
    }

    fn futures(&self) -> Vec<Self::InPoolTransaction> {
        Vec::new()
    }

    fn status(&self) -> sc_transaction_pool_api::PoolStatus {
        self.0.status()
    }

    fn import_notification_stream(
        &self,
    ) -> sc_transaction_pool_api::ImportNotificationStream<sc_transaction_pool_api::TxHash<Self>>
    {
        // Ends at once: its sender is dropped.
        futures::channel::mpsc::channel(0).1
    }

    fn on_broadcasted(
        &self,
        _propagations: HashMap<sc_transaction_pool_api::TxHash<Self>, Vec<String>>,
    ) {
    }

    fn hash_of(
        &self,
        xt: &sc_transaction_pool_api::TransactionFor<Self>,
    ) -> sc_transaction_pool_api::TxHash<Self> {
        self.0.hash_of(xt)
    }

    fn ready_transaction(
        &self,
        _hash: &sc_transaction_pool_api::TxHash<Self>,
    ) -> Option<Arc<Self::InPoolTransaction>> {
        None
    }

    async fn ready_at_with_timeout(
        &self,
        _at: <Self::Block as sp_runtime::traits::Block>::Hash,
        _timeout: Duration,
    ) -> Box<
        dyn sc_transaction_pool_api::ReadyTransactions<Item = Arc<Self::InPoolTransaction>> + Send,
    > {
        Box::new(std::iter::empty())
    }
}

/// What the relay needs.
pub struct RelayParams<C, P, N, S> {
    pub client: Arc<C>,
    pub pool: Arc<P>,
    pub network: N,
    pub sync: S,
    pub notifications: Box<dyn NotificationService>,
    pub genesis: Hash,
    /// The operator's choice; None leaves it to
    /// [`takes_transactions_by_default`], asked again at every final block.
    pub take_transactions: Option<bool>,
    pub keystore: KeystorePtr,
    pub local_peer_id: PeerId,
    /// Transactions every peer gets, also one that takes none, and that
    /// such a node takes (the council's runtime upgrade, which every node
    /// compiles before the block that applies it); given the encoding.
    pub for_every_node: ForEveryNode,
    pub metrics: Option<crate::metrics::Metrics>,
}

/// See [`RelayParams::for_every_node`].
pub type ForEveryNode = Arc<dyn Fn(&[u8]) -> bool + Send + Sync>;

/// Transactions in one notification to a node that takes none: it reads
/// no more than these.
const MAX_FOR_EVERY_NODE: u32 = 2;

/// A validation of one notification's transactions, with who sent them.
type Validation = BoxFuture<'static, (PeerId, Vec<Result<Hash, PoolError>>)>;

struct RelayWorker<C, P, N, S> {
    client: Arc<C>,
    pool: Arc<P>,
    network: N,
    sync: S,
    notifications: Box<dyn NotificationService>,
    genesis: Hash,
    protocol: ProtocolName,
    take_transactions: Option<bool>,
    keystore: KeystorePtr,
    local_peer_id: PeerId,
    for_every_node: ForEveryNode,
    /// What this node announces.
    /// Whether it takes transactions and the sealing keys it proves, as
    /// last announced. (Not the handshake itself: sr25519 signatures are
    /// randomized, so a fresh one never equals the last.)
    announced: Option<(bool, Vec<sr25519::Public>)>,
    takes_transactions: bool,
    metrics: Option<crate::metrics::Metrics>,
    relay: Relay<PeerId>,
    proposers: HashSet<AccountId>,
    /// Encoded transactions waiting for the next flush, per peer.
    outbox: HashMap<PeerId, Vec<Vec<u8>>>,
    validations: FuturesUnordered<Validation>,
    pending: usize,
    /// When the last warning that no peer takes transactions was logged.
    stranded_warning: Option<Instant>,
}

/// Runs the relay until the network or the client stops.
pub async fn run<C, P, N, S>(params: RelayParams<C, P, N, S>)
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + BlockchainEvents<Block> + 'static,
    C::Api: DporApi<Block, AccountId>,
    P: TransactionPool<Block = Block, Hash = Hash> + 'static,
    N: NetworkPeers + Send + 'static,
    S: SyncEventStream + sp_consensus::SyncOracle + 'static,
{
    let mut worker = RelayWorker {
        proposers: proposers_now_and_next(&*params.client),
        client: params.client,
        pool: params.pool,
        network: params.network,
        sync: params.sync,
        notifications: params.notifications,
        protocol: protocol_name(params.genesis),
        genesis: params.genesis,
        take_transactions: params.take_transactions,
        keystore: params.keystore,
        local_peer_id: params.local_peer_id,
        for_every_node: params.for_every_node,
        announced: None,
        takes_transactions: false,
        metrics: params.metrics,
        relay: Relay::default(),
        outbox: HashMap::new(),
        validations: FuturesUnordered::new(),
        pending: 0,
        stranded_warning: None,
    };
    worker.announce().await;
    let mut sync_events = worker.sync.event_stream("dpor-tx").fuse();
    let mut imported = worker.pool.import_notification_stream().fuse();
    let mut finality = worker.client.finality_notification_stream().fuse();
    let mut flush = tokio::time::interval(FLUSH_EVERY);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reoffer = tokio::time::interval(REOFFER_EVERY);
    reoffer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        futures::select! {
            event = worker.notifications.next_event().fuse() => {
                let Some(event) = event else { return };
                worker.on_network_event(event);
            }
            event = sync_events.next() => {
                let Some(event) = event else { return };
                super::follow_sync_peers(&worker.network, &worker.protocol, event);
            }
            hash = imported.next() => {
                let Some(hash) = hash else { return };
                worker.offer(&hash);
            }
            notification = finality.next() => {
                if notification.is_none() { return }
                worker.proposers = proposers_now_and_next(&*worker.client);
                worker.announce().await;
            }
            (peer, results) = worker.validations.select_next_some() => {
                worker.on_validated(peer, results);
            }
            _ = flush.tick().fuse() => worker.flush(),
            _ = reoffer.tick().fuse() => {
                let ready: Vec<Hash> = worker.pool.ready().map(|tx| *tx.hash()).collect();
                for hash in ready {
                    worker.offer(&hash);
                }
            }
        }
    }
}

impl<C, P, N, S> RelayWorker<C, P, N, S>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + 'static,
    C::Api: DporApi<Block, AccountId>,
    P: TransactionPool<Block = Block, Hash = Hash> + 'static,
    N: NetworkPeers,
    S: sp_consensus::SyncOracle,
{
    /// Decides whether this node takes transactions and which proposer
    /// keys it proves, and announces it if that changed: at start, and at
    /// every final block, since a validator can become a proposer, a node
    /// syncing from genesis decides on old state, and keys can be inserted
    /// while it runs. Peers read a handshake only when a substream opens,
    /// so on a change every substream is closed and reopened.
    async fn announce(&mut self) {
        let takes = match self.take_transactions {
            Some(takes) => takes,
            None => {
                let (takes, why) =
                    takes_transactions_by_default(&*self.client, &self.keystore, &self.proposers);
                if self.announced.is_none() || takes != self.takes_transactions {
                    log::info!(
                        target: LOG_TARGET,
                        "Transactions from peers: {} ({why}; --take-transactions decides otherwise)",
                        if takes { "taken" } else { "not taken" }
                    );
                }
                takes
            }
        };
        let mut keys = self.keystore.sr25519_public_keys(seal_crypto::KEY_TYPE);
        keys.sort();
        let announced = Some((takes, keys));
        if self.announced == announced {
            return;
        }
        let first = self.announced.is_none();
        self.takes_transactions = takes;
        let handshake = Handshake::local(&self.keystore, self.genesis, &self.local_peer_id, takes);
        if self
            .notifications
            .set_handshake(handshake.encode())
            .await
            .is_err()
        {
            log::error!(target: LOG_TARGET, "Transaction relay: cannot announce this node's handshake");
        }
        self.announced = announced;
        if !first {
            for peer in self.relay.peer_ids() {
                self.network.disconnect_peer(peer, self.protocol.clone());
            }
        }
    }

    fn on_network_event(&mut self, event: NotificationEvent) {
        log::trace!(target: LOG_TARGET, "Transaction relay: {event:?}");
        match event {
            NotificationEvent::ValidateInboundSubstream {
                peer,
                handshake,
                result_tx,
            } => {
                let valid = Handshake::read(&handshake, self.genesis, &peer).is_some();
                if !valid {
                    log::debug!(
                        target: LOG_TARGET,
                        "Transaction relay: {peer}'s handshake does not decode: {}",
                        sp_core::hexdisplay::HexDisplay::from(&handshake)
                    );
                }
                let _ = result_tx.send(if valid {
                    ValidationResult::Accept
                } else {
                    ValidationResult::Reject
                });
            }
            NotificationEvent::NotificationStreamOpened {
                peer, handshake, ..
            } => {
                let Some((takes, proposers)) = Handshake::read(&handshake, self.genesis, &peer)
                else {
                    // Untracked, it could send without a rate: drop it.
                    self.network.report_peer(peer, COST_BAD_TRANSACTION);
                    self.network.disconnect_peer(peer, self.protocol.clone());
                    return;
                };
                log::debug!(
                    target: LOG_TARGET,
                    "Transaction relay: {peer} {} transactions, proposers {proposers:?}",
                    if takes { "takes" } else { "takes no" }
                );
                self.relay.connected(peer, takes, proposers, Instant::now());
            }
            NotificationEvent::NotificationStreamClosed { peer } => {
                self.relay.disconnected(&peer);
                self.outbox.remove(&peer);
            }
            NotificationEvent::NotificationReceived { peer, notification } => {
                self.on_transactions(peer, &notification);
            }
        }
    }

    fn on_transactions(&mut self, peer: PeerId, bytes: &[u8]) {
        if !self.relay.is_connected(&peer) {
            return;
        }
        if self.sync.is_major_syncing() {
            // Checked against old state, honest transactions would fail
            // and be banned by the pool; the sender offers them again.
            return;
        }
        // The count first: a flood is refused before it is decoded.
        let Ok(codec::Compact(count)) = codec::Compact::<u32>::decode(&mut &bytes[..]) else {
            self.network.report_peer(peer, COST_BAD_TRANSACTION);
            return;
        };
        if let Err(Flooding { first }) = self.relay.admit(&peer, count, Instant::now()) {
            if first {
                self.network.report_peer(peer, COST_FLOODING);
            }
            return;
        }
        if !self.takes_transactions && count > MAX_FOR_EVERY_NODE {
            // Its handshake said so; a peer that sends anyway wastes ours.
            self.network.report_peer(peer, COST_UNWANTED);
            return;
        }
        let Ok(mut transactions) = Vec::<OpaqueExtrinsic>::decode_all(&mut &bytes[..]) else {
            self.network.report_peer(peer, COST_BAD_TRANSACTION);
            return;
        };
        if !self.takes_transactions {
            transactions.retain(|transaction| (self.for_every_node)(&transaction.encode()));
            if transactions.is_empty() {
                self.network.report_peer(peer, COST_UNWANTED);
                return;
            }
        }
        if self.pending + transactions.len() > MAX_PENDING_VALIDATIONS {
            log::debug!(target: LOG_TARGET, "Transaction relay: {count} from {peer} dropped, validation is behind");
            return;
        }
        for transaction in &transactions {
            self.relay.received(&peer, self.pool.hash_of(transaction).0);
        }
        if let Some(metrics) = &self.metrics {
            metrics.transactions_received.inc_by(u64::from(count));
        }
        self.pending += transactions.len();
        let (pool, at) = (self.pool.clone(), self.client.info().best_hash);
        self.validations.push(
            async move {
                let results = match pool
                    .submit_at(at, TransactionSource::External, transactions)
                    .await
                {
                    Ok(results) => results
                        .into_iter()
                        .map(|result| {
                            // An error from outside the pool is the
                            // runtime failing to decode the transaction.
                            result.map_err(|e| {
                                e.into_pool_error().unwrap_or(PoolError::InvalidTransaction(
                                    InvalidTransaction::Call,
                                ))
                            })
                        })
                        .collect(),
                    Err(e) => {
                        log::debug!(target: LOG_TARGET, "Transaction relay: the pool refused a batch: {e:?}");
                        Vec::new()
                    }
                };
                (peer, results)
            }
            .boxed(),
        );
    }

    fn on_validated(&mut self, peer: PeerId, results: Vec<Result<Hash, PoolError>>) {
        self.pending = self.pending.saturating_sub(results.len());
        if let Some(change) = reputation_for(&results) {
            self.network.report_peer(peer, change);
        }
    }

    /// Transaction `hash` is ready in the pool: queue it for the peers
    /// that should have it.
    fn offer(&mut self, hash: &Hash) {
        let Some(transaction) = self.pool.ready_transaction(hash) else {
            return;
        };
        if !transaction.is_propagable() {
            return;
        }
        let encoded = transaction.data().encode();
        let targets = if (self.for_every_node)(&encoded) {
            self.relay.to_every_peer(hash.0, Instant::now())
        } else {
            self.relay.targets(hash.0, &self.proposers, Instant::now())
        };
        if targets.is_empty() {
            if !self.relay.has_takers()
                && self
                    .stranded_warning
                    .is_none_or(|last| last.elapsed() >= Duration::from_secs(60))
            {
                self.stranded_warning = Some(Instant::now());
                log::warn!(
                    target: LOG_TARGET,
                    "No peer takes transactions (all are validators that propose nothing): \
                     what is submitted here stays here. Connect this node to a proposer or a full node"
                );
            }
            return;
        }
        if encoded.len() as u64 > MAX_TRANSACTION_SIZE {
            // A notification over the protocol's limit closes the link,
            // which would reopen and get it again.
            log::debug!(target: LOG_TARGET, "Transaction relay: {hash} is too large to send ({} bytes)", encoded.len());
            return;
        }
        for peer in targets {
            self.outbox.entry(peer).or_default().push(encoded.clone());
        }
    }

    fn flush(&mut self) {
        for (peer, transactions) in self.outbox.drain() {
            let mut batch = Vec::new();
            let mut size = 0;
            for transaction in transactions {
                if size + transaction.len() > BATCH_BYTES && !batch.is_empty() {
                    Self::send(&mut *self.notifications, &self.metrics, &peer, &mut batch);
                    size = 0;
                }
                size += transaction.len();
                batch.push(transaction);
            }
            Self::send(&mut *self.notifications, &self.metrics, &peer, &mut batch);
        }
    }

    fn send(
        notifications: &mut dyn NotificationService,
        metrics: &Option<crate::metrics::Metrics>,
        peer: &PeerId,
        batch: &mut Vec<Vec<u8>>,
    ) {
        if batch.is_empty() {
            return;
        }
        // A `Vec<OpaqueExtrinsic>`: the compact length, then each
        // transaction as it encodes on its own.
        let mut notification = codec::Compact(batch.len() as u32).encode();
        for transaction in batch.iter() {
            notification.extend_from_slice(transaction);
        }
        if let Some(metrics) = metrics {
            metrics.transactions_sent.inc_by(batch.len() as u64);
        }
        notifications.send_sync_notification(peer, notification);
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(byte: u8) -> AccountId {
        AccountId::from([byte; 32])
    }

    fn relay(peers: &[(u32, bool, &[u8])]) -> Relay<u32> {
        let mut relay = Relay::default();
        for (peer, takes, proposers) in peers {
            relay.connected(
                *peer,
                *takes,
                proposers.iter().map(|b| account(*b)).collect(),
                Instant::now(),
            );
        }
        relay
    }

    fn now() -> Instant {
        Instant::now()
    }

    fn sorted(mut peers: Vec<u32>) -> Vec<u32> {
        peers.sort();
        peers
    }

    #[test]
    fn a_transaction_goes_to_the_proposers_and_no_validator_that_takes_none() {
        // 1-4 validators that take none, 5 and 6 proposers of the term.
        let mut relay = relay(&[
            (1, false, &[]),
            (2, false, &[]),
            (3, false, &[]),
            (4, false, &[]),
            (5, true, &[5]),
            (6, true, &[6]),
        ]);
        let proposers = HashSet::from([account(5), account(6)]);
        assert_eq!(
            sorted(relay.targets([1; 32], &proposers, now())),
            vec![5, 6]
        );
        // Once: they have it now.
        assert_eq!(relay.targets([1; 32], &proposers, now()), Vec::<u32>::new());
    }

    /// Review finding: with the proposers as the only way out, a proposer
    /// that drops transactions censors every node whose only proposer
    /// peer it is.
    #[test]
    fn besides_the_proposers_a_few_other_relays_get_each_transaction() {
        let mut relay = relay(&[
            (5, true, &[5]),
            (7, true, &[]),
            (8, true, &[]),
            (9, true, &[]),
            (1, false, &[]),
        ]);
        let proposers = HashSet::from([account(5)]);
        let targets = relay.targets([1; 32], &proposers, now());
        assert!(targets.contains(&5), "{targets:?}");
        assert_eq!(targets.len(), 1 + FALLBACK_RELAYS, "{targets:?}");
        assert!(!targets.contains(&1));
    }

    /// The council's runtime upgrade reaches validators that take no
    /// transactions, so that they compile it before voting on its block.
    #[test]
    fn a_transaction_for_every_node_goes_to_every_peer_once() {
        let mut relay = relay(&[(1, false, &[]), (5, true, &[5]), (7, true, &[])]);
        relay.received(&7, [2; 32]);
        assert_eq!(sorted(relay.to_every_peer([2; 32], now())), vec![1, 5]);
        assert!(relay.to_every_peer([2; 32], now()).is_empty());
    }

    /// Review finding: a transaction was taken to be known by a peer once
    /// queued for it, so one the peer dropped (over its rate, or behind)
    /// never went to it again.
    #[test]
    fn a_transaction_still_ready_goes_again_after_a_while_but_never_back_to_its_sender() {
        let mut relay = relay(&[(5, true, &[5]), (6, true, &[6])]);
        let proposers = HashSet::from([account(5), account(6)]);
        relay.received(&6, [1; 32]);
        let start = now();
        assert_eq!(relay.targets([1; 32], &proposers, start), vec![5]);
        assert!(relay
            .targets([1; 32], &proposers, start + RESEND_AFTER / 2)
            .is_empty());
        assert_eq!(
            relay.targets([1; 32], &proposers, start + RESEND_AFTER),
            vec![5]
        );
    }

    #[test]
    fn without_a_proposer_among_the_peers_every_peer_that_takes_transactions_gets_it() {
        let mut relay = relay(&[(1, false, &[]), (2, true, &[]), (3, true, &[9])]);
        let proposers = HashSet::from([account(5)]);
        assert_eq!(
            sorted(relay.targets([1; 32], &proposers, now())),
            vec![2, 3]
        );
    }

    #[test]
    fn a_peer_that_sent_a_transaction_does_not_get_it_back() {
        let mut relay = relay(&[(5, true, &[5]), (6, true, &[6])]);
        relay.received(&5, [1; 32]);
        let proposers = HashSet::from([account(5), account(6)]);
        assert_eq!(relay.targets([1; 32], &proposers, now()), vec![6]);
    }

    #[test]
    fn a_proposer_of_the_next_term_gets_what_the_pool_offers_again() {
        let mut relay = relay(&[
            (5, true, &[5]),
            (6, true, &[6]),
            (7, true, &[]),
            (8, true, &[]),
        ]);
        let this_term = HashSet::from([account(5)]);
        let first = relay.targets([1; 32], &this_term, now());
        assert!(first.contains(&5), "{first:?}");
        let next_term = HashSet::from([account(5), account(6)]);
        let again = relay.targets([1; 32], &next_term, now());
        // 6 gets it once: then, as a fallback relay, or now.
        let mut all = [first, again].concat();
        all.sort();
        assert_eq!(all.iter().filter(|peer| **peer == 6).count(), 1, "{all:?}");
        assert_eq!(all.iter().filter(|peer| **peer == 5).count(), 1, "{all:?}");
    }

    #[test]
    fn only_the_peer_a_proof_names_can_present_it() {
        let keystore: KeystorePtr = Arc::new(sc_keystore::LocalKeystore::in_memory());
        let public = keystore
            .sr25519_generate_new(seal_crypto::KEY_TYPE, Some("//Eve"))
            .unwrap();
        let genesis = Hash::repeat_byte(3);
        let (eve, mallory) = (PeerId::random(), PeerId::random());
        let handshake = Handshake::local(&keystore, genesis, &eve, true).encode();

        let (takes, proven) = Handshake::read(&handshake, genesis, &eve).unwrap();
        assert!(takes);
        assert_eq!(proven, vec![AccountId::from(public)]);
        // Replayed by another peer, or on another chain, it proves nothing.
        assert_eq!(
            Handshake::read(&handshake, genesis, &mallory),
            Some((true, Vec::new()))
        );
        assert_eq!(
            Handshake::read(&handshake, Hash::repeat_byte(4), &eve),
            Some((true, Vec::new()))
        );
        // Junk and oversized handshakes are refused.
        assert_eq!(Handshake::read(&[7, 7, 7], genesis, &eve), None);
        let oversized = Handshake {
            takes_transactions: true,
            proposers: vec![
                ProposerProof {
                    account: [0; 32],
                    signature: [0; 64]
                };
                MAX_PROOFS + 1
            ],
        };
        assert_eq!(Handshake::read(&oversized.encode(), genesis, &eve), None);
    }

    /// Why the relay compares what it announces, not handshakes: it
    /// compared handshakes, and re-announced (closing every substream) at
    /// every final block.
    #[test]
    fn two_handshakes_of_one_node_differ_in_their_signatures() {
        let keystore: KeystorePtr = Arc::new(sc_keystore::LocalKeystore::in_memory());
        keystore
            .sr25519_generate_new(seal_crypto::KEY_TYPE, Some("//Eve"))
            .unwrap();
        let (genesis, eve) = (Hash::repeat_byte(3), PeerId::random());
        assert_ne!(
            Handshake::local(&keystore, genesis, &eve, true),
            Handshake::local(&keystore, genesis, &eve, true)
        );
    }

    #[test]
    fn a_peer_over_its_rate_is_cut_off_and_reported_once() {
        let mut relay = relay(&[(5, true, &[5])]);
        let now = Instant::now();
        assert_eq!(relay.admit(&5, MAX_RECEIVED_PER_SECOND, now), Ok(()));
        assert_eq!(relay.admit(&5, 1, now), Err(Flooding { first: true }));
        assert_eq!(relay.admit(&5, 1, now), Err(Flooding { first: false }));
        assert_eq!(relay.admit(&5, 1, now + Duration::from_secs(1)), Ok(()));
    }

    #[test]
    fn each_junk_transaction_costs_and_a_full_pool_costs_nothing() {
        let junk = || Err(PoolError::InvalidTransaction(InvalidTransaction::BadProof));
        let taken = || Ok(Hash::repeat_byte(1));
        let three_junk = reputation_for(&[junk(), taken(), junk(), junk()]).unwrap();
        assert_eq!(three_junk.value, 3 * COST_BAD_TRANSACTION.value);
        // The node's own limit, and transactions another block made stale
        // or not yet valid, are no fault of the sender.
        assert_eq!(
            reputation_for(&[
                Err(PoolError::ImmediatelyDropped),
                Err(PoolError::InvalidTransaction(InvalidTransaction::Stale)),
                Err(PoolError::InvalidTransaction(InvalidTransaction::Future)),
                Err(PoolError::TemporarilyBanned),
            ]),
            None
        );
        assert_eq!(
            reputation_for(&[Err(PoolError::ImmediatelyDropped), taken()]),
            Some(BENEFIT_GOOD_TRANSACTIONS)
        );
    }

    #[test]
    fn a_batch_decodes_as_the_transactions_it_carries() {
        let transactions = vec![
            OpaqueExtrinsic::from_blob(vec![1, 2, 3]),
            OpaqueExtrinsic::from_blob(vec![4; 300]),
        ];
        let encoded: Vec<Vec<u8>> = transactions.iter().map(Encode::encode).collect();
        let mut notification = codec::Compact(encoded.len() as u32).encode();
        for transaction in &encoded {
            notification.extend_from_slice(transaction);
        }
        assert_eq!(
            Vec::<OpaqueExtrinsic>::decode_all(&mut &notification[..]).unwrap(),
            transactions
        );
    }
}
