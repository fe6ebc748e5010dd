//! Who gets which consensus message.
//!
//! Validators need not be peers of each other: every node, validator or
//! not, relays each message its LBFT machine checked and counted to the
//! peers not known to have it, once. A message is identified by what it
//! says, not by its bytes ([`crate::communication::wire::content_id`]): a
//! certificate or a justification with its signatures in another order is
//! the same message, so a peer cannot mint copies that every node checks
//! and relays again. A node remembers which messages it passed on (`seen`)
//! and, per peer, which ones that peer sent it or got from it (`known`).
//! Both forget their oldest entries beyond a bound, so a peer cannot grow
//! them. A signer gets at most [`MAX_RELAYED_PER_SIGNER_AND_HEIGHT`] of its
//! messages relayed per height: a byzantine validator that signs many
//! rounds or blocks is still heard by the nodes it reaches itself, but the
//! network does not carry its flood.
//!
//! A message seen before is not checked again. When it comes back (a
//! validator sends its current round's messages every few seconds), it is
//! passed on to peers that connected since, as long as its height is not
//! behind the local one. Nothing the machine did not count is relayed:
//! forged, stale and far-future messages stop at the first hop. A peer
//! that shows it is behind (it sends the certificate of a final block of
//! this node's, below its last one) is sent the certificates it missed, at
//! most once a second.

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
/// An honest validator signs three messages per round (round change,
/// PREPARE, COMMIT); this allows 20 rounds of one height.
pub const MAX_RELAYED_PER_SIGNER_AND_HEIGHT: u32 = 64;
/// How many (signer, height) counters a node keeps.
const SIGNER_COUNTERS: usize = 4_096;
/// A peer behind gets missed certificates at most this often, whatever it
/// sends: answering costs a database read and a send.
pub const ANSWER_BEHIND_EVERY: Duration = Duration::from_secs(1);
/// And all peers together at most this many times a second, so that many
/// connections (one adversary's, say) do not keep the worker, which also
/// votes, reading the database.
pub const MAX_ANSWERS_PER_SECOND: u32 = 16;

/// The blake2-256 of `bytes`.
pub fn message_id(bytes: &[u8]) -> MessageId {
    <sp_core::Blake2Hasher as sp_core::Hasher>::hash(bytes).0
}

/// A set of ids that forgets its oldest beyond `capacity`.
pub(crate) struct RecentIds<V> {
    entries: HashMap<MessageId, V>,
    order: VecDeque<MessageId>,
    capacity: usize,
}

impl<V> RecentIds<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    pub(crate) fn get(&self, id: &MessageId) -> Option<&V> {
        self.entries.get(id)
    }

    pub(crate) fn get_mut(&mut self, id: &MessageId) -> Option<&mut V> {
        self.entries.get_mut(id)
    }

    /// Adds `id`; false if it was there already.
    pub(crate) fn insert(&mut self, id: MessageId, value: V) -> bool {
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

/// What one peer sent in the current second, to cut off a flood.
pub(crate) struct RateWindow {
    start: Instant,
    count: u32,
}

impl RateWindow {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            start: now,
            count: 0,
        }
    }

    /// Whether `items` more at `now` would be within `max` a second.
    pub(crate) fn would_admit(&self, now: Instant, items: u32, max: u32) -> bool {
        let count = if now.saturating_duration_since(self.start) >= Duration::from_secs(1) {
            0
        } else {
            self.count
        };
        count.saturating_add(items) <= max
    }

    /// `items` more arrived at `now`: within `max` a second?
    pub(crate) fn admit(&mut self, now: Instant, items: u32, max: u32) -> Result<(), Flooding> {
        if now.saturating_duration_since(self.start) >= Duration::from_secs(1) {
            self.start = now;
            self.count = 0;
        }
        let was_within = self.count <= max;
        self.count = self.count.saturating_add(items);
        if self.count > max {
            return Err(Flooding { first: was_within });
        }
        Ok(())
    }
}

struct PeerState {
    known: RecentIds<()>,
    window: RateWindow,
    answered_at: Option<Instant>,
}

/// A peer over its rate: the message is dropped. `first` on the first
/// drop of the second, the one to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flooding {
    pub first: bool,
}

/// The gossip state of one node, generic over the peer identity.
pub struct Gossip<P> {
    seen: RecentIds<u64>,
    peers: HashMap<P, PeerState>,
    /// Messages relayed per (signer, height), keyed by their hash.
    relayed_per_signer: RecentIds<u32>,
    /// Answers to peers behind in the current second, all peers together.
    answers: RateWindow,
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
            relayed_per_signer: RecentIds::new(SIGNER_COUNTERS),
            answers: RateWindow::new(Instant::now()),
        }
    }

    /// A peer opened the consensus protocol: it knows nothing yet.
    pub fn connected(&mut self, peer: P, now: Instant) {
        self.peers.insert(
            peer,
            PeerState {
                known: RecentIds::new(KNOWN_CAPACITY),
                window: RateWindow::new(now),
                answered_at: None,
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

    /// A message came from `from`: within its rate?
    pub fn admit(&mut self, from: &P, now: Instant) -> Result<(), Flooding> {
        let Some(peer) = self.peers.get_mut(from) else {
            return Ok(());
        };
        peer.window.admit(now, 1, MAX_MESSAGES_PER_SECOND)
    }

    /// `peer` showed it is behind: whether it may be sent what it missed
    /// now, at most once per [`ANSWER_BEHIND_EVERY`] (see
    /// [`Gossip::answered_behind`]).
    pub fn may_answer_behind(&self, peer: &P, now: Instant) -> bool {
        self.answers.would_admit(now, 1, MAX_ANSWERS_PER_SECOND)
            && self.peers.get(peer).is_some_and(|state| {
                state
                    .answered_at
                    .is_none_or(|at| now.saturating_duration_since(at) >= ANSWER_BEHIND_EVERY)
            })
    }

    /// `peer` was sent what it missed: the next answer waits.
    pub fn answered_behind(&mut self, peer: &P, now: Instant) {
        let _ = self.answers.admit(now, 1, MAX_ANSWERS_PER_SECOND);
        if let Some(state) = self.peers.get_mut(peer) {
            state.answered_at = Some(now);
        }
    }

    /// The admitted message `id` came from `from`, which has it from now
    /// on. Its height if it was passed on before: then it is not checked
    /// again.
    pub fn on_receive(&mut self, from: &P, id: MessageId) -> Option<u64> {
        if let Some(peer) = self.peers.get_mut(from) {
            peer.known.insert(id, ());
        }
        self.seen.get(&id).copied()
    }

    /// The message `id` of `height`, signed by `signer` (a VALIDATE has no
    /// one signer), was checked and counted: the peers to pass it on to,
    /// the ones not known to have it, who are taken to have it from now
    /// on. None once the signer is over its budget for the height.
    pub fn relay(&mut self, id: MessageId, height: u64, signer: Option<&[u8]>) -> Vec<P> {
        let first_time = self.seen.insert(id, height);
        if let (true, Some(signer)) = (first_time, signer) {
            let counter = message_id(&[signer, &height.to_le_bytes()].concat());
            self.relayed_per_signer.insert(counter, 0);
            if let Some(count) = self.relayed_per_signer.get_mut(&counter) {
                *count += 1;
                if *count > MAX_RELAYED_PER_SIGNER_AND_HEIGHT {
                    return Vec::new();
                }
            }
        }
        self.pass_on(id)
    }

    /// A message passed on before came round again: the peers that
    /// connected since get it.
    pub fn pass_on(&mut self, id: MessageId) -> Vec<P> {
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
    pub fn own(&mut self, id: MessageId, height: u64) -> Vec<P> {
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
        let id = message_id(b"vote");
        assert_eq!(gossip.on_receive(&1, id), None);
        assert_eq!(sorted(gossip.relay(id, 5, Some(b"alice"))), vec![2, 3]);
        // Peer 2 echoes it: seen, and nobody lacks it.
        assert_eq!(gossip.on_receive(&2, id), Some(5));
        assert!(gossip.pass_on(id).is_empty());
        // A peer that connects later gets it when it comes round again.
        gossip.connected(4, now);
        assert_eq!(gossip.on_receive(&1, id), Some(5));
        assert_eq!(gossip.pass_on(id), vec![4]);
    }

    #[test]
    fn an_unchecked_message_is_not_remembered() {
        let now = Instant::now();
        let mut gossip = gossip(&[1, 2], now);
        let id = message_id(b"early");
        assert_eq!(gossip.on_receive(&1, id), None);
        // Not relayed (the machine did not count it): checked again when it
        // comes back, when it may count.
        assert_eq!(gossip.on_receive(&1, id), None);
    }

    #[test]
    fn own_messages_go_to_every_peer_every_time() {
        let now = Instant::now();
        let mut gossip = gossip(&[1, 2], now);
        let id = message_id(b"mine");
        assert_eq!(sorted(gossip.own(id, 3)), vec![1, 2]);
        assert_eq!(sorted(gossip.own(id, 3)), vec![1, 2]);
        // An echo is not checked or relayed again.
        assert_eq!(gossip.on_receive(&1, id), Some(3));
    }

    #[test]
    fn a_signer_flooding_one_height_is_relayed_only_up_to_its_budget() {
        let now = Instant::now();
        let mut gossip = gossip(&[1, 2], now);
        let relayed = (0..1_000u32)
            .filter(|k| {
                let id = message_id(&k.to_le_bytes());
                !gossip.relay(id, 7, Some(b"mallory")).is_empty()
            })
            .count();
        assert_eq!(relayed, MAX_RELAYED_PER_SIGNER_AND_HEIGHT as usize);
        // Another signer, or the next height, is not affected.
        assert!(!gossip.relay(message_id(b"a"), 7, Some(b"alice")).is_empty());
        assert!(!gossip
            .relay(message_id(b"b"), 8, Some(b"mallory"))
            .is_empty());
        // Certificates have no one signer.
        assert!(!gossip.relay(message_id(b"c"), 7, None).is_empty());
    }

    #[test]
    fn a_flooding_peer_is_cut_off_for_the_rest_of_the_second_and_reported_once() {
        let now = Instant::now();
        let mut gossip = gossip(&[1], now);
        for _ in 0..MAX_MESSAGES_PER_SECOND {
            assert_eq!(gossip.admit(&1, now), Ok(()));
        }
        assert_eq!(gossip.admit(&1, now), Err(Flooding { first: true }));
        assert_eq!(gossip.admit(&1, now), Err(Flooding { first: false }));
        assert_eq!(gossip.admit(&1, now + Duration::from_secs(1)), Ok(()));
    }

    #[test]
    fn a_peer_behind_is_answered_at_most_once_a_second() {
        let now = Instant::now();
        let mut gossip = gossip(&[1, 2], now);
        assert!(gossip.may_answer_behind(&1, now));
        // Asking spends nothing; an answer does.
        assert!(gossip.may_answer_behind(&1, now));
        gossip.answered_behind(&1, now);
        assert!(!gossip.may_answer_behind(&1, now + Duration::from_millis(999)));
        // Each peer has its own allowance.
        assert!(gossip.may_answer_behind(&2, now));
        assert!(gossip.may_answer_behind(&1, now + ANSWER_BEHIND_EVERY));
        // Nor is a peer that is not connected answered.
        assert!(!gossip.may_answer_behind(&3, now));
    }

    #[test]
    fn all_peers_together_are_answered_at_most_sixteen_times_a_second() {
        let now = Instant::now();
        let peers: Vec<u32> = (0..40).collect();
        let mut gossip = gossip(&peers, now);
        let answered = peers
            .iter()
            .filter(|peer| {
                let may = gossip.may_answer_behind(peer, now);
                if may {
                    gossip.answered_behind(peer, now);
                }
                may
            })
            .count();
        assert_eq!(answered, MAX_ANSWERS_PER_SECOND as usize);
        // The next second, the others get their turn.
        let later = now + Duration::from_secs(2);
        assert!(gossip.may_answer_behind(&39, later));
        assert!(!gossip.may_answer_behind(&0, now + Duration::from_millis(999)));
    }

    #[test]
    fn memory_is_bounded() {
        let now = Instant::now();
        let mut gossip = gossip(&[1, 2], now);
        for k in 0..(SEEN_CAPACITY as u64 * 2) {
            let id = message_id(&k.to_le_bytes());
            gossip.relay(id, k, Some(&k.to_le_bytes()));
        }
        assert_eq!(gossip.seen.entries.len(), SEEN_CAPACITY);
        assert_eq!(gossip.seen.order.len(), SEEN_CAPACITY);
        assert_eq!(gossip.relayed_per_signer.entries.len(), SIGNER_COUNTERS);
        for state in gossip.peers.values() {
            assert_eq!(state.known.entries.len(), KNOWN_CAPACITY);
        }
    }
}
