//! Who gets which consensus message.
//!
//! Validators need not be peers of each other: every node, validator or
//! not, relays each message its LBFT machine checked and counted to the
//! peers not known to have it, once. A message is identified by the hash of
//! its bytes; a node remembers which messages it passed on (`seen`) and,
//! per peer, which ones that peer sent it or got from it (`known`). Both
//! forget their oldest entries beyond a bound, so a peer cannot grow them.
//!
//! A message seen before is not checked again. When it comes back (a
//! validator sends its current round's messages every few seconds), it is
//! passed on to peers that connected since, as long as its height is not
//! behind the local one. Nothing the machine did not count is relayed:
//! forged, stale and far-future messages stop at the first hop.

use std::{
    collections::{HashMap, VecDeque},
    hash::Hash as StdHash,
    time::{Duration, Instant},
};

/// The hash identifying a message on the wire.
pub type MessageId = [u8; 32];

/// Messages a peer may send per second before the rest are dropped.
pub const MAX_MESSAGES_PER_SECOND: u32 = 500;
/// How many message ids a node keeps of what it passed on.
const SEEN_CAPACITY: usize = 8_192;
/// How many message ids a node keeps per peer.
const KNOWN_CAPACITY: usize = 2_048;

pub fn message_id(bytes: &[u8]) -> MessageId {
    <sp_core::Blake2Hasher as sp_core::Hasher>::hash(bytes).0
}

/// A set of ids that forgets its oldest beyond `capacity`.
struct RecentIds<V> {
    entries: HashMap<MessageId, V>,
    order: VecDeque<MessageId>,
    capacity: usize,
}

impl<V> RecentIds<V> {
    fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn get(&self, id: &MessageId) -> Option<&V> {
        self.entries.get(id)
    }

    /// Adds `id`; false if it was there already.
    fn insert(&mut self, id: MessageId, value: V) -> bool {
        if self.entries.contains_key(&id) {
            return false;
        }
        if self.order.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(id, value);
        self.order.push_back(id);
        true
    }
}

struct PeerState {
    known: RecentIds<()>,
    window_start: Instant,
    window_count: u32,
}

/// What to do with a message just received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Not seen before: decode it, check it, and call [`Gossip::relay`] if
    /// the machine counted it.
    Fresh(MessageId),
    /// Passed on before, for `height`: not checked again.
    Seen { id: MessageId, height: u64 },
    /// Over the peer's rate: dropped. `first` on the first drop of the
    /// second, the one to report.
    Flooding { first: bool },
}

/// The gossip state of one node, generic over the peer identity.
pub struct Gossip<P> {
    seen: RecentIds<u64>,
    peers: HashMap<P, PeerState>,
}

impl<P: StdHash + Eq + Clone> Default for Gossip<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: StdHash + Eq + Clone> Gossip<P> {
    pub fn new() -> Self {
        Self {
            seen: RecentIds::new(SEEN_CAPACITY),
            peers: HashMap::new(),
        }
    }

    /// A peer opened the consensus protocol: it knows nothing yet.
    pub fn connected(&mut self, peer: P, now: Instant) {
        self.peers.insert(
            peer,
            PeerState {
                known: RecentIds::new(KNOWN_CAPACITY),
                window_start: now,
                window_count: 0,
            },
        );
    }

    pub fn disconnected(&mut self, peer: &P) {
        self.peers.remove(peer);
    }

    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    pub fn peers(&self) -> impl Iterator<Item = &P> {
        self.peers.keys()
    }

    /// `bytes` came from `from`.
    pub fn on_receive(&mut self, from: &P, bytes: &[u8], now: Instant) -> Incoming {
        let id = message_id(bytes);
        if let Some(peer) = self.peers.get_mut(from) {
            if now.saturating_duration_since(peer.window_start) >= Duration::from_secs(1) {
                peer.window_start = now;
                peer.window_count = 0;
            }
            peer.window_count += 1;
            if peer.window_count > MAX_MESSAGES_PER_SECOND {
                return Incoming::Flooding {
                    first: peer.window_count == MAX_MESSAGES_PER_SECOND + 1,
                };
            }
            peer.known.insert(id, ());
        }
        match self.seen.get(&id) {
            Some(height) => Incoming::Seen {
                id,
                height: *height,
            },
            None => Incoming::Fresh(id),
        }
    }

    /// The message `id` of `height` was checked and counted: the peers to
    /// pass it on to, the ones not known to have it. They are taken to
    /// have it from now on.
    pub fn relay(&mut self, id: MessageId, height: u64) -> Vec<P> {
        self.seen.insert(id, height);
        let mut targets = Vec::new();
        for (peer, state) in self.peers.iter_mut() {
            if state.known.insert(id, ()) {
                targets.push(peer.clone());
            }
        }
        targets
    }

    /// This node's own message of `height`: every peer gets it, also one
    /// that had it (the node sends its messages again now and then, since
    /// a notification can be lost while a peer reconnects).
    pub fn own(&mut self, bytes: &[u8], height: u64) -> Vec<P> {
        let id = message_id(bytes);
        self.seen.insert(id, height);
        for state in self.peers.values_mut() {
            state.known.insert(id, ());
        }
        self.peers.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut peers: Vec<u32>) -> Vec<u32> {
        peers.sort();
        peers
    }

    fn gossip(peers: &[u32], now: Instant) -> Gossip<u32> {
        let mut gossip = Gossip::new();
        for peer in peers {
            gossip.connected(*peer, now);
        }
        gossip
    }

    #[test]
    fn a_checked_message_goes_once_to_each_peer_that_lacks_it() {
        let now = Instant::now();
        let mut gossip = gossip(&[1, 2, 3], now);
        let Incoming::Fresh(id) = gossip.on_receive(&1, b"vote", now) else {
            panic!("a new message");
        };
        assert_eq!(sorted(gossip.relay(id, 5)), vec![2, 3]);
        // Peer 2 echoes it: seen, and nobody lacks it.
        assert_eq!(
            gossip.on_receive(&2, b"vote", now),
            Incoming::Seen { id, height: 5 }
        );
        assert!(gossip.relay(id, 5).is_empty());
        // A peer that connects later gets it when it comes round again.
        gossip.connected(4, now);
        assert_eq!(
            gossip.on_receive(&1, b"vote", now),
            Incoming::Seen { id, height: 5 }
        );
        assert_eq!(gossip.relay(id, 5), vec![4]);
    }

    #[test]
    fn an_unchecked_message_is_not_remembered() {
        let now = Instant::now();
        let mut gossip = gossip(&[1, 2], now);
        let first = gossip.on_receive(&1, b"early", now);
        assert!(matches!(first, Incoming::Fresh(_)));
        // Not relayed (the machine did not count it): checked again when it
        // comes back, when it may count.
        assert_eq!(gossip.on_receive(&1, b"early", now), first);
    }

    #[test]
    fn own_messages_go_to_every_peer_every_time() {
        let now = Instant::now();
        let mut gossip = gossip(&[1, 2], now);
        assert_eq!(sorted(gossip.own(b"mine", 3)), vec![1, 2]);
        assert_eq!(sorted(gossip.own(b"mine", 3)), vec![1, 2]);
        // An echo is not checked or relayed again.
        assert!(matches!(
            gossip.on_receive(&1, b"mine", now),
            Incoming::Seen { height: 3, .. }
        ));
    }

    #[test]
    fn a_flooding_peer_is_cut_off_for_the_rest_of_the_second_and_reported_once() {
        let now = Instant::now();
        let mut gossip = gossip(&[1], now);
        for k in 0..MAX_MESSAGES_PER_SECOND {
            let result = gossip.on_receive(&1, &k.to_le_bytes(), now);
            assert!(matches!(result, Incoming::Fresh(_)));
        }
        assert_eq!(
            gossip.on_receive(&1, b"more", now),
            Incoming::Flooding { first: true }
        );
        assert_eq!(
            gossip.on_receive(&1, b"more", now),
            Incoming::Flooding { first: false }
        );
        let later = now + Duration::from_secs(1);
        assert!(matches!(
            gossip.on_receive(&1, b"more", later),
            Incoming::Fresh(_)
        ));
    }

    #[test]
    fn memory_is_bounded() {
        let now = Instant::now();
        let mut gossip = gossip(&[1, 2], now);
        for k in 0..(SEEN_CAPACITY as u64 * 2) {
            let id = message_id(&k.to_le_bytes());
            gossip.relay(id, k);
        }
        assert_eq!(gossip.seen.entries.len(), SEEN_CAPACITY);
        assert_eq!(gossip.seen.order.len(), SEEN_CAPACITY);
        for state in gossip.peers.values() {
            assert_eq!(state.known.entries.len(), KNOWN_CAPACITY);
        }
    }
}
