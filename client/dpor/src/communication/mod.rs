//! DPoR on the network: the notification protocol, its wire types, relay
//! (gossip) and when to ask peers for a block's certificate.
//!
//! Every node speaks the protocol: validators to vote, other nodes to
//! relay votes and to finalize from the certificates they see. A node that
//! missed a certificate (it was offline, or its only peer relayed it while
//! the link was down) asks for it through sync's justification requests
//! ([`request::certificates_to_request`]); a node far behind gets blocks
//! with their certificates from sync. A node that finalized blocks without
//! their own certificates fetches them afterwards ([`backfill`]), so that
//! it serves the whole history certified.
//!
//! Transactions travel by their own protocol ([`transactions`]), towards
//! the proposers only.

pub mod backfill;
pub mod gossip;
pub mod request;
pub mod transactions;
pub mod wire;

use std::sync::Arc;

use cpchain_primitives::{Hash, OpaqueBlock as Block};
use sc_network::{
    config::{NonReservedPeerMode, SetConfig},
    service::traits::NotificationService,
    NetworkBackend, NotificationMetrics, ProtocolName, ReputationChange,
};

pub const COST_BAD_MESSAGE: ReputationChange =
    ReputationChange::new(-(1 << 12), "dpor: bad message");
pub const COST_INVALID_VOTE: ReputationChange =
    ReputationChange::new(-(1 << 10), "dpor: invalid vote or certificate");
pub const COST_FLOODING: ReputationChange =
    ReputationChange::new(-(1 << 8), "dpor: too many messages");

/// The consensus protocol's name.
pub fn protocol_name(genesis: Hash) -> ProtocolName {
    chain_protocol_name(genesis, "dpor/2")
}

/// `/<genesis hash>/<suffix>`: the genesis hash keeps chains apart.
pub(crate) fn chain_protocol_name(genesis: Hash, suffix: &str) -> ProtocolName {
    let hex: String = genesis
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("/{hex}/{suffix}").into()
}

/// The notification protocol's configuration, for the network builder, and
/// the service the worker reads and writes it through. Peers are the
/// peers sync is connected to.
pub fn notification_protocol<N: NetworkBackend<Block, Hash>>(
    genesis: Hash,
    metrics: NotificationMetrics,
    peer_store: Arc<dyn sc_network::peer_store::PeerStoreProvider>,
) -> (N::NotificationProtocolConfig, Box<dyn NotificationService>) {
    sync_peers_protocol::<N>(
        protocol_name(genesis),
        wire::MAX_MESSAGE_SIZE,
        metrics,
        peer_store,
    )
}

/// A notification protocol spoken with exactly the peers sync is
/// connected to ([`follow_sync_peers`] keeps its reserved set).
pub(crate) fn sync_peers_protocol<N: NetworkBackend<Block, Hash>>(
    name: ProtocolName,
    max_notification_size: u64,
    metrics: NotificationMetrics,
    peer_store: Arc<dyn sc_network::peer_store::PeerStoreProvider>,
) -> (N::NotificationProtocolConfig, Box<dyn NotificationService>) {
    N::notification_config(
        name,
        Vec::new(),
        max_notification_size,
        None,
        SetConfig {
            in_peers: 0,
            out_peers: 0,
            reserved_nodes: Vec::new(),
            non_reserved_mode: NonReservedPeerMode::Deny,
        },
        metrics,
        peer_store,
    )
}

/// Keeps `protocol`'s reserved set equal to sync's peers.
pub(crate) fn follow_sync_peers(
    network: &impl sc_network::NetworkPeers,
    protocol: &ProtocolName,
    event: sc_network_sync::SyncEvent,
) {
    match event {
        sc_network_sync::SyncEvent::PeerConnected { peer_id, .. } => {
            let address =
                std::iter::once(sc_network_types::multiaddr::Protocol::P2p(peer_id.into()))
                    .collect();
            if let Err(e) = network.add_peers_to_reserved_set(
                protocol.clone(),
                std::collections::HashSet::from([address]),
            ) {
                log::warn!(target: crate::LOG_TARGET, "Cannot add peer {peer_id} to {protocol}: {e}");
            }
        }
        sc_network_sync::SyncEvent::PeerDisconnected(peer_id) => {
            let _ = network.remove_peers_from_reserved_set(protocol.clone(), vec![peer_id]);
        }
    }
}
