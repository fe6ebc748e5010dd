//! Certificates for final blocks this node holds without one.
//!
//! A certificate makes its block final and, through the parent hashes,
//! every block below it. A node that missed a height's VALIDATE (it was
//! starting, or behind) finalizes that block through a later block's
//! certificate, or imports it from a peer in the same state, and then holds
//! it without its own. A node syncing the history below a warp-synced state
//! checks each block by its own certificate, and sync drops the peer that
//! served one without it, though that peer is honest. So each node fetches
//! the certificates it lacks from its peers, with sync's block requests
//! (header and justification only), checks each as an import would, and
//! stores it with its block.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use cpchain_primitives::{
    digest::DPOR_ENGINE_ID, runtime_api::DporApi, AccountId, Hash, OpaqueBlock as Block,
};
use sc_client_api::{Backend, BlockBackend};
use sc_network_common::sync::message::{BlockAttributes, BlockRequest, Direction, FromBlock};
use sc_network_sync::{block_relay_protocol::BlockDownloader, SyncingService};
use sc_network_types::PeerId;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Header as _;

use crate::LOG_TARGET;

/// How far below the last final block a starting node looks for blocks
/// without certificates: within the state a pruning node keeps (256
/// blocks by default), which the check of a certificate reads.
pub const RESCAN_ON_START: u32 = 200;
/// At most this many blocks wait for their certificates: a node far behind
/// gets its blocks with their certificates from sync instead.
pub const MAX_MISSING: usize = 1024;
/// Requests sent per round, one block each, lowest blocks first.
const REQUESTS_PER_ROUND: usize = 8;
const ROUND: Duration = Duration::from_secs(1);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest wait between two requests for one block.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Requests for one block before giving up on it: about 5 minutes, past
/// which no peer is likely to have its certificate.
pub const MAX_ATTEMPTS: u32 = 10;

/// A final block without its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Missing {
    hash: Hash,
    attempts: u32,
    next_attempt: Instant,
}

/// Which final blocks lack a certificate, and when to ask for each. Pure
/// bookkeeping, apart from the node.
#[derive(Debug, Default)]
pub struct MissingCertificates {
    missing: BTreeMap<u32, Missing>,
    scanned: u32,
}

impl MissingCertificates {
    /// Scanning starts above `scanned`.
    pub fn new(scanned: u32) -> Self {
        Self {
            missing: BTreeMap::new(),
            scanned,
        }
    }

    /// Records which of the blocks above the last scanned one, up to
    /// `finalized`, have no certificate; only the last `RESCAN_ON_START`
    /// (a warp sync jumps ahead: the blocks below come with their
    /// certificates, and their state is not there to check one). `block`
    /// gives a block's hash and whether it has one; blocks this node does
    /// not hold are skipped. The scan stops while `MAX_MISSING` blocks
    /// wait, and goes on from there later.
    pub fn scan(
        &mut self,
        finalized: u32,
        now: Instant,
        mut block: impl FnMut(u32) -> Option<(Hash, bool)>,
    ) {
        self.scanned = self.scanned.max(finalized.saturating_sub(RESCAN_ON_START));
        while self.scanned < finalized && self.missing.len() < MAX_MISSING {
            self.scanned += 1;
            let number = self.scanned;
            if let Some((hash, false)) = block(number) {
                self.missing.insert(
                    number,
                    Missing {
                        hash,
                        attempts: 0,
                        next_attempt: now,
                    },
                );
            }
        }
    }

    /// The blocks to ask for now, lowest first; each is then not asked for
    /// again before its backoff has passed. A block asked for
    /// `MAX_ATTEMPTS` times is given up.
    pub fn due(&mut self, now: Instant) -> Vec<(u32, Hash)> {
        self.missing
            .retain(|_, missing| missing.attempts < MAX_ATTEMPTS || missing.next_attempt > now);
        let mut due = Vec::new();
        for (number, missing) in self.missing.iter_mut() {
            if due.len() == REQUESTS_PER_ROUND {
                break;
            }
            if missing.next_attempt <= now {
                missing.attempts = missing.attempts.saturating_add(1);
                let backoff = Duration::from_secs(1u64 << missing.attempts.min(6));
                missing.next_attempt = now + backoff.min(MAX_BACKOFF);
                due.push((*number, missing.hash));
            }
        }
        due
    }

    /// The certificate of block `number` is stored, or can no longer be
    /// checked.
    pub fn done(&mut self, number: u32) {
        self.missing.remove(&number);
    }

    pub fn len(&self) -> usize {
        self.missing.len()
    }

    pub fn is_empty(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Whether the stored block `hash` holds its own DPoR certificate.
pub fn has_certificate<C: BlockBackend<Block>>(client: &C, hash: Hash) -> bool {
    client
        .justifications(hash)
        .ok()
        .flatten()
        .is_some_and(|all| all.get(DPOR_ENGINE_ID).is_some())
}

/// Fetches and stores the certificates of final blocks that lack them.
pub struct CertificateBackfill<C, BE> {
    client: Arc<C>,
    backend: Arc<BE>,
    downloader: Arc<dyn BlockDownloader<Block>>,
    sync: Arc<SyncingService<Block>>,
    chain_id: Vec<u8>,
    missing: MissingCertificates,
    next_peer: usize,
}

impl<C, BE> CertificateBackfill<C, BE>
where
    BE: Backend<Block>,
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + BlockBackend<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    pub fn new(
        client: Arc<C>,
        backend: Arc<BE>,
        downloader: Arc<dyn BlockDownloader<Block>>,
        sync: Arc<SyncingService<Block>>,
    ) -> Self {
        let info = client.info();
        Self {
            chain_id: info.genesis_hash.as_ref().to_vec(),
            missing: MissingCertificates::new(
                info.finalized_number.saturating_sub(RESCAN_ON_START),
            ),
            client,
            backend,
            downloader,
            sync,
            next_peer: 0,
        }
    }

    pub async fn run(mut self) {
        loop {
            tokio::time::sleep(ROUND).await;
            self.round().await;
        }
    }

    async fn round(&mut self) {
        let client = &self.client;
        self.missing
            .scan(client.info().finalized_number, Instant::now(), |number| {
                let hash = client.hash(number).ok().flatten()?;
                Some((hash, has_certificate(&**client, hash)))
            });
        if self.missing.is_empty() {
            return;
        }
        let Ok(peers) = self.sync.peers_info().await else {
            return;
        };
        for (number, hash) in self.missing.due(Instant::now()) {
            // Only the parent's state tells the committee; once pruned, no
            // answer can be checked here, so none is asked for.
            let checkable = self
                .client
                .header(hash)
                .ok()
                .flatten()
                .is_some_and(|header| {
                    crate::validators_after(&*self.client, *header.parent_hash()).is_ok()
                });
            if !checkable {
                log::debug!(target: LOG_TARGET, "#{number}: its parent's state is gone, no certificate can be checked");
                self.missing.done(number);
                continue;
            }
            let holders: Vec<PeerId> = peers
                .iter()
                .filter(|(_, info)| info.best_number >= number)
                .map(|(peer, _)| *peer)
                .collect();
            if holders.is_empty() {
                continue;
            }
            self.next_peer = self.next_peer.wrapping_add(1);
            let peer = holders[self.next_peer % holders.len()];
            match self.fetch(peer, number, hash).await {
                Ok(()) => {
                    log::debug!(target: LOG_TARGET, "#{number}: stored its certificate from {peer}");
                    self.missing.done(number);
                }
                Err(Unusable::Unverifiable(e)) => {
                    log::debug!(target: LOG_TARGET, "#{number}: cannot check a certificate for it, giving up: {e}");
                    self.missing.done(number);
                }
                Err(Unusable::NotServed(e)) => {
                    log::trace!(target: LOG_TARGET, "#{number}: no certificate from {peer}: {e}");
                }
            }
        }
    }

    async fn fetch(&self, peer: PeerId, number: u32, hash: Hash) -> Result<(), Unusable> {
        let request = BlockRequest::<Block> {
            id: 0,
            fields: BlockAttributes::HEADER | BlockAttributes::JUSTIFICATION,
            from: FromBlock::Hash(hash),
            direction: Direction::Ascending,
            max: Some(1),
        };
        let response = tokio::time::timeout(
            REQUEST_TIMEOUT,
            self.downloader.download_blocks(peer, request.clone()),
        )
        .await
        .map_err(|_| Unusable::NotServed("timed out".into()))?
        .map_err(|_| Unusable::NotServed("canceled".into()))?
        .map_err(|e| Unusable::NotServed(e.to_string()))?
        .0;
        let blocks = self
            .downloader
            .block_response_into_blocks(&request, response)
            .map_err(|e| Unusable::NotServed(format!("{e:?}")))?;
        let block = blocks
            .into_iter()
            .find(|block| block.hash == hash)
            .ok_or_else(|| Unusable::NotServed("not the block asked for".into()))?;
        let justification = block
            .justifications
            .as_ref()
            .and_then(|all| all.get(DPOR_ENGINE_ID))
            .ok_or_else(|| Unusable::NotServed("no certificate".into()))?
            .clone();
        let header = self
            .client
            .header(hash)
            .map_err(|e| Unusable::Unverifiable(e.to_string()))?
            .ok_or_else(|| Unusable::Unverifiable("the block is gone".into()))?;
        let parent = *header.parent_hash();
        crate::import::check_justification(
            &*self.client,
            parent,
            number,
            hash,
            &justification,
            &self.chain_id,
        )
        .map_err(|e| Unusable::NotServed(format!("a bad certificate: {e}")))?;
        self.backend
            .append_justification(hash, (DPOR_ENGINE_ID, justification))
            .map_err(|e| Unusable::Unverifiable(e.to_string()))
    }
}

enum Unusable {
    /// Ask another peer later.
    NotServed(String),
    /// No answer will do.
    Unverifiable(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(byte: u8) -> Hash {
        Hash::repeat_byte(byte)
    }

    #[test]
    fn only_held_blocks_without_a_certificate_are_missing() {
        let now = Instant::now();
        let mut missing = MissingCertificates::new(0);
        missing.scan(5, now, |number| match number {
            2 | 4 => Some((h(number as u8), false)),
            3 => None,
            _ => Some((h(number as u8), true)),
        });
        assert_eq!(missing.due(now), vec![(2, h(2)), (4, h(4))]);
        // Scanned once: a later scan looks only above.
        missing.scan(6, now, |_| Some((h(9), false)));
        assert_eq!(missing.len(), 3);
    }

    #[test]
    fn a_block_is_asked_for_again_only_after_its_backoff() {
        let now = Instant::now();
        let mut missing = MissingCertificates::new(0);
        missing.scan(1, now, |_| Some((h(1), false)));
        assert_eq!(missing.due(now), vec![(1, h(1))]);
        assert!(missing.due(now).is_empty());
        assert_eq!(missing.due(now + Duration::from_secs(2)), vec![(1, h(1))]);
        assert!(missing.due(now + Duration::from_secs(5)).is_empty());
        assert_eq!(missing.due(now + Duration::from_secs(6)), vec![(1, h(1))]);
        // Never longer than a minute (64 s from the 6th attempt).
        let mut t = now + Duration::from_secs(6);
        for _ in 0..3 {
            t += Duration::from_secs(3600);
            assert_eq!(missing.due(t).len(), 1);
        }
        assert!(missing
            .due(t + MAX_BACKOFF - Duration::from_secs(1))
            .is_empty());
        assert_eq!(missing.due(t + MAX_BACKOFF), vec![(1, h(1))]);
        missing.done(1);
        assert!(missing.is_empty());
    }

    #[test]
    fn the_lowest_blocks_go_first_and_the_list_is_bounded() {
        let now = Instant::now();
        let mut missing = MissingCertificates::new(0);
        let finalized = RESCAN_ON_START;
        let all_missing = |n: u32| Some((h(n as u8), false));
        // A smaller list for the test: fill it to the bound by hand.
        missing.scan(finalized, now, all_missing);
        assert_eq!(missing.len(), RESCAN_ON_START as usize);
        let due = missing.due(now);
        assert_eq!(due.len(), REQUESTS_PER_ROUND);
        assert_eq!(due[0].0, 1);
    }

    /// Review finding: a full list made the scan skip blocks for good.
    #[test]
    fn a_full_list_pauses_the_scan_and_skips_nothing() {
        let now = Instant::now();
        let mut missing = MissingCertificates::new(0);
        let top = MAX_MISSING as u32 + 10;
        // As if the node had been at `top` for a while, scanning upwards.
        missing.scanned = top - RESCAN_ON_START;
        // Blocks from an earlier stretch, waiting.
        for n in 1..=MAX_MISSING as u32 {
            missing.missing.insert(
                n + 10_000,
                Missing {
                    hash: h(1),
                    attempts: 0,
                    next_attempt: now,
                },
            );
        }
        missing.scan(top, now, |n| Some((h(n as u8), false)));
        assert_eq!(missing.scanned, top - RESCAN_ON_START);
        missing.done(10_001);
        missing.scan(top, now, |n| Some((h(n as u8), false)));
        assert_eq!(missing.scanned, top - RESCAN_ON_START + 1);
        assert_eq!(missing.len(), MAX_MISSING);
    }

    /// Review finding: after a warp sync the first scan walked the whole
    /// chain.
    #[test]
    fn a_jump_in_finality_scans_only_the_last_blocks() {
        let now = Instant::now();
        let mut missing = MissingCertificates::new(0);
        let mut looked_at = 0;
        missing.scan(1_000_000, now, |_| {
            looked_at += 1;
            Some((h(1), true))
        });
        assert_eq!(looked_at, RESCAN_ON_START);
    }

    #[test]
    fn a_block_is_given_up_after_its_attempts() {
        let mut now = Instant::now();
        let mut missing = MissingCertificates::new(0);
        missing.scan(1, now, |_| Some((h(1), false)));
        for _ in 0..MAX_ATTEMPTS {
            assert_eq!(missing.due(now).len(), 1);
            now += MAX_BACKOFF;
        }
        assert!(missing.due(now).is_empty());
        assert!(missing.is_empty());
    }
}
