//! A test-only byzantine validator, compiled in only with the
//! `byzantine-test` feature (never in release builds) and switched on by
//! environment variables, so that real-process tests can show that honest
//! nodes report its double signing on chain.
//!
//! - `CPCHAIN_TEST_DOUBLE_SEAL=1`: as proposer, seal a second block of the
//!   same height (stamped 1 ms later) and announce it too.
//! - `CPCHAIN_TEST_DOUBLE_VOTE=1`: with every own PREPARE, send a second
//!   one for another block to every peer.
//! - `CPCHAIN_TEST_FORGED_VRF=1`: as proposer, put in the digest its VRF
//!   for the next height instead of this one: a valid proof by the right
//!   key over the wrong input, as a proposer picking among its outputs
//!   would.
//! - `CPCHAIN_TEST_LOSE_CERTIFICATES=n`: finalize blocks #1 to #n without
//!   storing their certificates, as a node does that loses the race
//!   between its own certificate and a later block's from sync.
//! - `CPCHAIN_TEST_DEAF_AFTER_PROPOSING=h`: after its first proposal at
//!   height `h` or above, drop every consensus message received until it
//!   has dropped a certificate of a later height, and for a second more:
//!   as a node does whose links are down while the committee decides its
//!   block and the next one without it (sync keeps running).
//! - `CPCHAIN_TEST_NO_FINAL_ANNOUNCE=1`: do not announce the final block a
//!   height starts on, so that peers that missed its certificate cannot
//!   fetch it through sync's block announcements.

use cpchain_lbft::{Crypto, Message, Phase, SignedVote};
use cpchain_primitives::{Hash, OpaqueBlock as Block};
use sc_consensus::{BlockImport, ForkChoiceStrategy};
use sc_network::service::traits::NetworkBlock;

use crate::{authorship::Sealer, Dpor, KeystoreCrypto, LOG_TARGET};

pub fn double_seal() -> bool {
    std::env::var("CPCHAIN_TEST_DOUBLE_SEAL").is_ok_and(|v| v == "1")
}

pub fn forged_vrf() -> bool {
    std::env::var("CPCHAIN_TEST_FORGED_VRF").is_ok_and(|v| v == "1")
}

pub fn lose_certificate(height: u64) -> bool {
    std::env::var("CPCHAIN_TEST_LOSE_CERTIFICATES")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .is_some_and(|n| height <= n)
}

/// Whether to go deaf after proposing at `height`.
pub fn deaf_after_proposing(height: u64) -> bool {
    std::env::var("CPCHAIN_TEST_DEAF_AFTER_PROPOSING")
        .ok()
        .and_then(|from| from.parse::<u64>().ok())
        .is_some_and(|from| height >= from)
}

/// A node deaf since it proposed at `proposed`.
pub struct Deafness {
    proposed: u64,
    until: Option<std::time::Instant>,
}

impl Deafness {
    pub fn new(proposed: u64) -> Self {
        Self {
            proposed,
            until: None,
        }
    }

    /// Whether to drop the consensus message `bytes`, received at `now`.
    pub fn drops(&mut self, bytes: &[u8], now: std::time::Instant) -> bool {
        if let Some(until) = self.until {
            return now < until;
        }
        if let Ok(Message::Validate(certificate)) =
            crate::communication::wire::decode_message(bytes)
        {
            if certificate.vote.height > self.proposed {
                log::warn!(
                    target: LOG_TARGET,
                    "byzantine-test: dropped the certificate of #{}; hearing again in a second",
                    certificate.vote.height
                );
                self.until = Some(now + std::time::Duration::from_secs(1));
            }
        }
        true
    }
}

pub fn no_final_announce() -> bool {
    std::env::var("CPCHAIN_TEST_NO_FINAL_ANNOUNCE").is_ok_and(|v| v == "1")
}

pub fn double_vote() -> bool {
    std::env::var("CPCHAIN_TEST_DOUBLE_VOTE").is_ok_and(|v| v == "1")
}

/// Seals a second block of the sealer's height, imports it beside the
/// first and announces it.
pub async fn seal_another<P, BI>(
    sealer: &Sealer,
    proposer: P,
    timestamp: u64,
    block_import: &BI,
    sync: &sc_network_sync::SyncingService<Block>,
) -> Result<(), String>
where
    P: sp_consensus::Proposer<Block>,
    BI: BlockImport<Block>,
{
    let (hash, mut import) = sealer.seal(proposer, timestamp + 1).await?;
    import.fork_choice = Some(ForkChoiceStrategy::Custom(false));
    block_import
        .import_block(import)
        .await
        .map_err(|e| e.to_string())?;
    log::warn!(target: LOG_TARGET, "byzantine-test: sealed a second block {hash}");
    sync.announce_block(hash, None);
    Ok(())
}

/// A PREPARE by this node for another block than `message`'s, if
/// `message` is this node's own PREPARE.
pub fn conflicting_vote(
    message: &Message<Dpor>,
    crypto: &KeystoreCrypto,
    chain_id: &[u8],
) -> Option<Message<Dpor>> {
    let Message::Vote { vote, .. } = message else {
        return None;
    };
    if Some(&vote.signer) != crypto.local.as_ref() || vote.vote.phase != Phase::Prepare {
        return None;
    }
    let mut other = vote.vote;
    let mut bytes = other.hash.to_fixed_bytes();
    bytes[0] ^= 0xff;
    other.hash = Hash::from(bytes);
    let signature = crypto.sign(&other.signing_payload(chain_id))?;
    Some(Message::Vote {
        vote: SignedVote {
            vote: other,
            signer: vote.signer.clone(),
            signature,
        },
        justification: None,
    })
}
