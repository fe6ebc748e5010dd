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

pub mod backfill;
pub mod gossip;
pub mod request;
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

/// The protocol's name: the genesis hash keeps chains apart.
pub fn protocol_name(genesis: Hash) -> ProtocolName {
    let hex: String = genesis
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("/{hex}/dpor/2").into()
}

/// The notification protocol's configuration, for the network builder, and
/// the service the worker reads and writes it through. Peers are the
/// peers sync is connected to.
pub fn notification_protocol<N: NetworkBackend<Block, Hash>>(
    genesis: Hash,
    metrics: NotificationMetrics,
    peer_store: Arc<dyn sc_network::peer_store::PeerStoreProvider>,
) -> (N::NotificationProtocolConfig, Box<dyn NotificationService>) {
    N::notification_config(
        protocol_name(genesis),
        Vec::new(),
        wire::MAX_MESSAGE_SIZE,
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
