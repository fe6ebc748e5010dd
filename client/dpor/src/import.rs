//! Importing DPoR blocks: every block's digest and seal are checked against
//! the committee's schedule, and a block is final at import exactly when it
//! carries a valid C-certificate.

use std::{
    marker::PhantomData,
    sync::{Arc, Mutex},
};

use codec::Encode;
use cpchain_primitives::{
    digest::{DporPreDigest, DPOR_ENGINE_ID},
    finality::{Fragment, ValidatorSet, ValidatorsChanged, Verifier},
    runtime_api::DporApi,
    AccountId, Hash, OpaqueBlock as Block,
};
use sc_block_builder::BlockBuilderApi;
use sc_client_api::{backend::Finalizer, Backend, StorageProvider};
use sc_consensus::{BlockImportParams, ForkChoiceStrategy, JustificationImport};
use sp_api::{CallApiAt, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_core::{sr25519, Pair};
use sp_runtime::{
    traits::{Header as HeaderT, NumberFor},
    DigestItem, Justification, Justifications,
};

use crate::{
    justification::{CertificateJustification, DporJustification},
    validators_after, verifier_crypto, LOG_TARGET,
};

/// Checks a header's DPoR digest and, for a proposer's block, its seal.
/// Returns the header without the seal (what the proposer signed) and the
/// seal to import as a post-digest.
pub fn check_header<C>(
    client: &C,
    mut header: <Block as sp_runtime::traits::Block>::Header,
) -> Result<
    (
        <Block as sp_runtime::traits::Block>::Header,
        Option<DigestItem>,
    ),
    String,
>
where
    C: ProvideRuntimeApi<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let number = *header.number();
    let parent = *header.parent_hash();
    let digest = DporPreDigest::<AccountId>::find_in_items(header.digest().logs())
        .ok_or_else(|| format!("block #{number} has no DPoR pre-runtime digest"))?;
    let scheduled = client
        .runtime_api()
        .proposer_of(parent, number)
        .map_err(|e| format!("DporApi::proposer_of at {parent}: {e}"))?
        .ok_or_else(|| format!("the committee schedules no proposer for block #{number}"))?;
    if digest.proposer != scheduled {
        return Err(format!(
            "block #{number} names proposer {} but the schedule names {scheduled}",
            digest.proposer
        ));
    }
    if digest.impeach {
        if digest.vrf.is_some() {
            return Err(format!("impeach block #{number} carries a VRF"));
        }
        // The committee's block: no seal; a certificate decides it.
        if header
            .digest()
            .logs()
            .iter()
            .any(|item| matches!(item, DigestItem::Seal(..)))
        {
            return Err(format!("impeach block #{number} carries a seal"));
        }
        return Ok((header, None));
    }
    let seal = header
        .digest_mut()
        .pop()
        .ok_or_else(|| format!("block #{number} is not sealed"))?;
    let signature = match &seal {
        DigestItem::Seal(id, signature) if *id == DPOR_ENGINE_ID => {
            sr25519::Signature::try_from(signature.as_slice())
                .map_err(|_| format!("block #{number}: malformed seal"))?
        }
        _ => {
            return Err(format!(
                "block #{number}: the last digest is not a DPoR seal"
            ))
        }
    };
    let public = sr25519::Public::from_raw(*AsRef::<[u8; 32]>::as_ref(&scheduled));
    if !sr25519::Pair::verify(&signature, header.hash().as_ref(), &public) {
        return Err(format!(
            "block #{number}: the seal is not {scheduled}'s signature"
        ));
    }
    if !crate::authorship::runtime_takes_vrf(client, parent)? {
        return match digest.vrf {
            None => Ok((header, Some(seal))),
            Some(_) => Err(format!(
                "block #{number} carries a VRF that its runtime does not take"
            )),
        };
    }
    // Without this check a proposer could put any bytes in the digest;
    // the runtime would fold nothing for them, which is a second way to
    // skip its output without being impeached.
    let vrf = digest
        .vrf
        .ok_or_else(|| format!("block #{number} carries no VRF"))?;
    let seed = client
        .runtime_api()
        .election_seed(parent)
        .map_err(|e| format!("DporApi::election_seed at {parent}: {e}"))?;
    if vrf.verified_output(&public, number, &seed).is_none() {
        return Err(format!(
            "block #{number}: the VRF is not {scheduled}'s output for this height and seed"
        ));
    }
    Ok((header, Some(seal)))
}

/// Checks that `justification` certifies block `hash` at `number`, whose
/// parent is `parent`.
pub fn check_justification<C>(
    client: &C,
    parent: Hash,
    number: u32,
    hash: Hash,
    justification: &[u8],
    chain_id: &[u8],
) -> Result<DporJustification, String>
where
    C: ProvideRuntimeApi<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let justification = DporJustification::decode_all(justification)?;
    check_certificate(
        client,
        parent,
        &justification.certificate(u64::from(number), hash),
        chain_id,
    )?;
    Ok(justification)
}

/// Checks that `certificate` is signed by a quorum of the validators in
/// `parent`'s state, the committee that certifies `parent`'s children.
pub fn check_certificate<C>(
    client: &C,
    parent: Hash,
    certificate: &cpchain_lbft::Certificate<crate::Dpor>,
    chain_id: &[u8],
) -> Result<(), String>
where
    C: ProvideRuntimeApi<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let validators = validators_after(client, parent)?
        .ok_or_else(|| "the chain has no DPoR committee".to_string())?;
    check_finality_certificate(&validators, certificate, chain_id)
}

/// Checks that `certificate` proves its block final: a quorum of
/// `validators`' COMMITs. A quorum of PREPAREs proves nothing final: such
/// certificates travel openly inside round changes and leaders'
/// justifications, and one for a block the committee then replaced by the
/// impeach block would otherwise finalize that block on a node behind.
pub fn check_finality_certificate(
    validators: &cpchain_lbft::ValidatorSet<cpchain_primitives::dpor_crypto::AuthorityId>,
    certificate: &cpchain_lbft::Certificate<crate::Dpor>,
    chain_id: &[u8],
) -> Result<(), String> {
    let height = certificate.vote.height;
    if certificate.vote.phase != cpchain_lbft::Phase::Commit {
        return Err(format!(
            "block #{height}: a certificate of PREPAREs does not make a block final"
        ));
    }
    certificate
        .verify(validators, chain_id, &verifier_crypto())
        .map_err(|e| format!("block #{height}: invalid certificate: {e:?}"))
}

/// Checks an impeach block that came without a certificate: it is
/// imported only if it is the one this node builds itself on its last
/// final block. Anything else could be any peer's junk: impeach blocks
/// carry no seal.
pub fn check_uncertified_impeach_block<C, BE>(
    client: &C,
    number: u32,
    parent: Hash,
    hash: Hash,
) -> Result<(), String>
where
    BE: Backend<Block>,
    C: ProvideRuntimeApi<Block>
        + CallApiAt<Block>
        + StorageProvider<Block, BE>
        + HeaderBackend<Block>,
    C::Api: DporApi<Block, AccountId> + BlockBuilderApi<Block>,
{
    if parent != client.info().finalized_hash {
        return Err(format!(
            "impeach block #{number} without a certificate, not on the last final block"
        ));
    }
    let rebuilt = crate::authorship::impeach_block(client, u64::from(number), parent)
        .map_err(|e| format!("impeach block #{number}: cannot build it to compare: {e}"))?;
    if rebuilt.block.header.hash() != hash {
        log::debug!(
            target: LOG_TARGET,
            "Impeach block #{number} {hash} differs from ours: {:?} {:?}",
            rebuilt.block.header,
            rebuilt.block.extrinsics
        );
        return Err(format!(
            "impeach block #{number} without a certificate differs from the one this node builds"
        ));
    }
    Ok(())
}

/// Why a block needs none of the checks that read its parent's state,
/// which a warp-syncing node does not have:
/// - a fragment of a warp proof: `warp_sync::DporWarpVerifier` checked its
///   certificate, following the validator sets from genesis (the queue
///   skips the verifier for these today; the check stays should it not);
/// - the warp target, imported with its state: its header is the proof's
///   last, and sync checks the state against its state root.
fn proven_elsewhere(block: &BlockImportParams<Block>) -> Option<&'static str> {
    if block.origin == sp_consensus::BlockOrigin::WarpSync {
        return Some("a warp proof fragment");
    }
    if block.with_state() {
        return Some("imported with its state");
    }
    None
}

/// The highest block of the history below a warp-synced state still to
/// download (the client's block gap), if `number` is in it.
fn history_gap_end<C: HeaderBackend<Block>>(client: &C, number: u32) -> Option<u32> {
    client
        .info()
        .block_gap
        .filter(|gap| gap.start <= number && number <= gap.end)
        .map(|gap| gap.end)
}

/// A verifier that knows the sets up to stored block `up_to`, replayed
/// from the genesis validators over the stored headers' set changes.
fn verifier_at<C>(client: &C, up_to: u32) -> Result<Verifier, String>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let genesis = client.info().genesis_hash;
    let mut verifier = Verifier::from_genesis(genesis, crate::genesis_validators(client)?);
    for number in 1..=up_to {
        let header = client
            .hash(number)
            .ok()
            .flatten()
            .and_then(|hash| client.header(hash).ok().flatten())
            .ok_or_else(|| format!("history block #{number} is not stored"))?;
        if let Some(change) = ValidatorsChanged::find_in(&header) {
            verifier.set = ValidatorSet::new(change.set_id, change.validators);
        }
        verifier.last_number = number;
        verifier.last_hash = header.hash();
    }
    Ok(verifier)
}

/// Checks a block of the history below a warp-synced state without its
/// parent's state: its certificate against the validator set the headers
/// below it lead to, from genesis, and that it is the child of the block
/// below; the last one must be the parent of the block above the gap.
/// Sync fills the gap upwards from its start, so this is the same check as
/// a light client's, block by block.
fn check_history_block<C>(
    client: &C,
    history: &Mutex<Option<Verifier>>,
    block: &BlockImportParams<Block>,
    gap_end: u32,
) -> Result<(), String>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let number = *block.header.number();
    let justification = block
        .justifications
        .as_ref()
        .and_then(|all| all.get(DPOR_ENGINE_ID))
        .ok_or_else(|| format!("history block #{number} comes without its certificate"))?;
    let fragment = Fragment {
        header: block.header.clone(),
        justification: DporJustification::decode_all(justification)
            .map_err(|e| format!("history block #{number}: {e}"))?,
    };
    let mut history = history.lock().map_err(|_| "history lock poisoned")?;
    let mut verifier = match history.take() {
        Some(verifier) if verifier.last_number + 1 == number => verifier,
        _ => verifier_at(client, number - 1)?,
    };
    let checked = verifier.verify_child(&fragment);
    *history = Some(verifier);
    checked.map_err(|e| format!("history block #{number}: {e:?}"))?;
    if number == gap_end {
        let above = client
            .hash(number + 1)
            .ok()
            .flatten()
            .and_then(|hash| client.header(hash).ok().flatten())
            .ok_or_else(|| format!("the block above history block #{number} is not stored"))?;
        if *above.parent_hash() != block.header.hash() {
            return Err(format!(
                "history block #{number} is not the parent of the block above it"
            ));
        }
    }
    Ok(())
}

/// The import queue's verifier.
pub struct DporVerifier<C, BE> {
    client: Arc<C>,
    chain_id: Vec<u8>,
    proven_warp_target: crate::warp_sync::ProvenWarpTarget,
    /// Where the check of history below a warp-synced state stands.
    history: Mutex<Option<Verifier>>,
    _backend: PhantomData<BE>,
}

impl<C, BE> DporVerifier<C, BE> {
    /// `genesis` identifies the chain in every signature; `proven_warp_target`
    /// is shared with the warp sync provider.
    pub fn new(
        client: Arc<C>,
        genesis: Hash,
        proven_warp_target: crate::warp_sync::ProvenWarpTarget,
    ) -> Self {
        Self {
            client,
            chain_id: genesis.as_ref().to_vec(),
            proven_warp_target,
            history: Mutex::new(None),
            _backend: PhantomData,
        }
    }
}

#[async_trait::async_trait]
impl<C, BE> sc_consensus::Verifier<Block> for DporVerifier<C, BE>
where
    BE: Backend<Block> + Send + Sync,
    C: ProvideRuntimeApi<Block>
        + CallApiAt<Block>
        + StorageProvider<Block, BE>
        + HeaderBackend<Block>
        + Send
        + Sync,
    C::Api: DporApi<Block, AccountId> + BlockBuilderApi<Block>,
{
    async fn verify(
        &self,
        mut block: BlockImportParams<Block>,
    ) -> Result<BlockImportParams<Block>, String> {
        let hash = block.header.hash();
        let number = *block.header.number();
        let parent = *block.header.parent_hash();
        if let Some(why) = proven_elsewhere(&block) {
            log::trace!(target: LOG_TARGET, "#{number} ({hash}): {why}");
            if block.with_state() {
                // The peer that sent the warp target chose its justification;
                // the proof's is the one that was checked.
                let justification = self
                    .proven_warp_target
                    .justification_of(hash)
                    .ok_or_else(|| format!("#{number} ({hash}): state, but no warp proof"))?;
                block.justifications = Some(Justifications::from((
                    DPOR_ENGINE_ID,
                    justification.encode(),
                )));
            }
            block.post_hash = Some(hash);
            // The warp target arrives with its state and is final; the
            // proof's fragments are not best.
            block.finalized = block.with_state();
            block.fork_choice = Some(if block.with_state() {
                ForkChoiceStrategy::LongestChain
            } else {
                ForkChoiceStrategy::Custom(false)
            });
            return Ok(block);
        }
        if let Some(gap_end) = history_gap_end(&*self.client, number) {
            check_history_block(&*self.client, &self.history, &block, gap_end)?;
            block.post_hash = Some(hash);
            block.finalized = false;
            block.fork_choice = Some(ForkChoiceStrategy::Custom(false));
            return Ok(block);
        }
        let impeach = DporPreDigest::<AccountId>::find_in_items(block.header.digest().logs())
            .is_some_and(|digest| digest.impeach);
        let (header, seal) = check_header(&*self.client, block.header.clone())?;
        block.header = header;
        if let Some(seal) = seal {
            block.post_digests.push(seal);
        }
        block.post_hash = Some(hash);
        // Only a valid certificate makes a block final; a block without one
        // (a proposal on its way through the committee) is imported as
        // pending and never final on its own.
        block.finalized = false;
        if let Some(justification) = block
            .justifications
            .as_ref()
            .and_then(|all| all.get(DPOR_ENGINE_ID))
        {
            check_justification(
                &*self.client,
                parent,
                number,
                hash,
                justification,
                &self.chain_id,
            )?;
            block.finalized = true;
        } else if impeach {
            check_uncertified_impeach_block(&*self.client, number, parent, hash)?;
            // Best only once final, as the node's own (see the worker).
            block.fork_choice = Some(ForkChoiceStrategy::Custom(false));
            return Ok(block);
        }
        block.fork_choice = Some(ForkChoiceStrategy::LongestChain);
        Ok(block)
    }
}

/// The import queue's block import: the client, completing what the queue
/// leaves out for warp proof fragments. The queue imports those without
/// calling the verifier (the warp verifier checked them) and without a fork
/// choice, which the client requires; they are the proof's skeleton, never
/// best. Their certificates come again with the history sync downloads.
#[derive(Clone)]
pub struct DporBlockImport<I> {
    inner: I,
}

impl<I> DporBlockImport<I> {
    pub fn new(inner: I) -> Self {
        Self { inner }
    }
}

#[async_trait::async_trait]
impl<I> sc_consensus::BlockImport<Block> for DporBlockImport<I>
where
    I: sc_consensus::BlockImport<Block> + Send + Sync,
{
    type Error = I::Error;

    async fn check_block(
        &self,
        block: sc_consensus::BlockCheckParams<Block>,
    ) -> Result<sc_consensus::ImportResult, Self::Error> {
        self.inner.check_block(block).await
    }

    async fn import_block(
        &self,
        mut block: BlockImportParams<Block>,
    ) -> Result<sc_consensus::ImportResult, Self::Error> {
        if block.origin == sp_consensus::BlockOrigin::WarpSync && block.fork_choice.is_none() {
            block.fork_choice = Some(ForkChoiceStrategy::Custom(false));
        }
        self.inner.import_block(block).await
    }
}

/// Finalizes blocks whose certificates arrive apart from them (requested by
/// sync).
pub struct DporJustificationImport<C, BE> {
    client: Arc<C>,
    chain_id: Vec<u8>,
    _backend: PhantomData<BE>,
}

impl<C, BE> DporJustificationImport<C, BE> {
    pub fn new(client: Arc<C>, genesis: Hash) -> Self {
        Self {
            client,
            chain_id: genesis.as_ref().to_vec(),
            _backend: PhantomData,
        }
    }
}

#[async_trait::async_trait]
impl<C, BE> JustificationImport<Block> for DporJustificationImport<C, BE>
where
    BE: Backend<Block> + Send + Sync,
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Finalizer<Block, BE> + Send + Sync,
    C::Api: DporApi<Block, AccountId>,
{
    type Error = sp_consensus::Error;

    async fn on_start(&mut self) -> Vec<(Hash, NumberFor<Block>)> {
        Vec::new()
    }

    async fn import_justification(
        &mut self,
        hash: Hash,
        number: NumberFor<Block>,
        (engine, data): Justification,
    ) -> Result<(), Self::Error> {
        if engine != DPOR_ENGINE_ID {
            return Err(sp_consensus::Error::ClientImport(format!(
                "not a DPoR justification: {engine:?}"
            )));
        }
        // A certificate for a block at or below the last final one (sync
        // finalized it meanwhile) is outdated, not wrong: an error here
        // would get the honest peer that sent it banned.
        if number <= self.client.info().finalized_number {
            return Err(sp_consensus::Error::OutdatedJustification);
        }
        let header = self
            .client
            .header(hash)
            .map_err(|e| sp_consensus::Error::ClientImport(e.to_string()))?
            .ok_or_else(|| sp_consensus::Error::ClientImport(format!("unknown block {hash}")))?;
        // The signatures bind the height anyway; checked against the header
        // so that the error names the real cause.
        let number = *header.number();
        let justification = check_justification(
            &*self.client,
            *header.parent_hash(),
            number,
            hash,
            &data,
            &self.chain_id,
        )
        .map_err(sp_consensus::Error::ClientImport)?;
        log::debug!(target: LOG_TARGET, "Finalizing #{number} ({hash}) on an imported certificate");
        self.client
            .finalize_block(hash, Some((DPOR_ENGINE_ID, justification.encode())), true)
            .map_err(|e| sp_consensus::Error::ClientImport(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpchain_lbft::{Certificate, Phase, ValidatorSet, Vote};
    use cpchain_primitives::dpor_crypto::AuthorityPair;

    const CHAIN: &[u8] = b"genesis hash";

    fn certificate(phase: Phase, signers: &[AuthorityPair]) -> Certificate<crate::Dpor> {
        let vote = Vote {
            height: 5,
            round: 0,
            phase,
            hash: Hash::repeat_byte(7),
        };
        Certificate {
            vote,
            signatures: signers
                .iter()
                .map(|pair| (pair.public(), pair.sign(&vote.signing_payload(CHAIN))))
                .collect(),
        }
    }

    /// Review finding: `finalize_ahead` took any valid certificate, and a
    /// quorum of PREPAREs for a block the committee later replaced by the
    /// impeach block finalized that block on a node behind: a fork.
    #[test]
    fn only_a_quorum_of_commits_makes_a_block_final() {
        let pairs: Vec<AuthorityPair> = ["//Alice", "//Bob", "//Charlie", "//Dave"]
            .iter()
            .map(|seed| AuthorityPair::from_string(seed, None).unwrap())
            .collect();
        let validators = ValidatorSet::new(pairs.iter().map(|p| p.public())).unwrap();

        let prepares = certificate(Phase::Prepare, &pairs[..3]);
        let refused = check_finality_certificate(&validators, &prepares, CHAIN);
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("PREPAREs")),
            "{refused:?}"
        );

        let commits = certificate(Phase::Commit, &pairs[..3]);
        assert_eq!(
            check_finality_certificate(&validators, &commits, CHAIN),
            Ok(())
        );
        let too_few = certificate(Phase::Commit, &pairs[..2]);
        assert!(check_finality_certificate(&validators, &too_few, CHAIN).is_err());
        assert!(check_finality_certificate(&validators, &commits, b"another chain").is_err());
    }
}
