//! The blocks a node builds: the impeach block, alike on every validator,
//! and the proposer's sealed block (built by `sc_basic_authorship`, when
//! [`crate::worker`] finds it is this node's turn).

use codec::Decode;
use cpchain_primitives::{
    digest::DporPreDigest,
    runtime_api::DporApi,
    vrf::{vrf_sign_data, DporVrf},
    AccountId, Hash, OpaqueBlock as Block,
};
use sc_block_builder::{BlockBuilderApi, BlockBuilderBuilder, BuiltBlock};
use sc_client_api::{Backend, StorageProvider};
use sp_api::{ApiExt, CallApiAt, ProvideRuntimeApi};
use sp_runtime::Digest;

/// pallet-timestamp's `Now` at `block`: twox_128("Timestamp") ++
/// twox_128("Now"). Zero if unreadable (genesis).
pub fn timestamp_at<C, BE>(client: &C, block: Hash) -> u64
where
    BE: Backend<Block>,
    C: StorageProvider<Block, BE>,
{
    const TIMESTAMP_NOW: [u8; 32] = [
        0xf0, 0xc3, 0x65, 0xc3, 0xcf, 0x59, 0xd6, 0x71, 0xeb, 0x72, 0xda, 0x0e, 0x7a, 0x41, 0x13,
        0xc4, 0x9f, 0x1f, 0x05, 0x15, 0xf4, 0x62, 0xcd, 0xcf, 0x84, 0xe0, 0xf1, 0xd6, 0x04, 0x5d,
        0xfc, 0xbb,
    ];
    let key = sp_core::storage::StorageKey(TIMESTAMP_NOW.to_vec());
    client
        .storage(block, &key)
        .ok()
        .flatten()
        .and_then(|data| u64::decode(&mut &data.0[..]).ok())
        .unwrap_or(0)
}

/// The pre-runtime digest of block `height` on `parent`: the scheduled
/// proposer, its term and view, and whether the block impeaches it. A
/// proposer adds its VRF ([`sign_vrf`]) before sealing.
pub fn pre_digest<C>(
    client: &C,
    height: u64,
    parent: Hash,
    impeach: bool,
) -> Result<DporPreDigest<AccountId>, String>
where
    C: ProvideRuntimeApi<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let api = client.runtime_api();
    let proposer = api
        .proposer_of(parent, height as u32)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no proposer scheduled for #{height}"))?;
    let committee = api.committee(parent).map_err(|e| e.to_string())?;
    Ok(DporPreDigest {
        term: committee.term,
        view: committee.view,
        proposer,
        impeach,
        vrf: None,
    })
}

/// Whether the runtime at `at` folds VRF outputs into its seed
/// (`DporApi` version 3 on). Blocks on an older runtime carry no VRF, so
/// that this node still builds and imports them until governance upgrades
/// the runtime.
pub fn runtime_takes_vrf<C>(client: &C, at: Hash) -> Result<bool, String>
where
    C: ProvideRuntimeApi<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    let version = client
        .runtime_api()
        .api_version::<dyn DporApi<Block, AccountId>>(at)
        .map_err(|e| format!("DporApi version at {at}: {e}"))?;
    Ok(version.is_some_and(|version| version >= 3))
}

/// The proposer's VRF for block `height` on `parent`, over the seed in
/// `parent`'s state; `None` on a runtime that takes none.
pub fn sign_vrf<C>(
    client: &C,
    keystore: &sp_keystore::KeystorePtr,
    public: &sp_core::sr25519::Public,
    height: u64,
    parent: Hash,
) -> Result<Option<DporVrf>, String>
where
    C: ProvideRuntimeApi<Block>,
    C::Api: DporApi<Block, AccountId>,
{
    if !runtime_takes_vrf(client, parent)? {
        return Ok(None);
    }
    let seed = client
        .runtime_api()
        .election_seed(parent)
        .map_err(|e| format!("DporApi::election_seed at {parent}: {e}"))?;
    let signature = keystore
        .sr25519_vrf_sign(
            cpchain_primitives::seal_crypto::KEY_TYPE,
            public,
            &vrf_sign_data(height as u32, &seed),
        )
        .map_err(|e| e.to_string())?
        .ok_or("the sealing key left the keystore")?;
    Ok(Some(DporVrf::from_signature(&signature)))
}

/// The impeach block of `height` on the final block `parent`: empty but
/// for the inherents, stamped `period + timeout` after `parent` (the
/// timing in `parent`'s state), no seal. Every node builds the same one,
/// so a validator can vote for it without receiving it, and a node can
/// check one received from the network by building it.
pub fn impeach_block<C, BE>(
    client: &C,
    height: u64,
    parent: Hash,
) -> Result<BuiltBlock<Block>, String>
where
    BE: Backend<Block>,
    C: ProvideRuntimeApi<Block> + CallApiAt<Block> + StorageProvider<Block, BE>,
    C::Api: DporApi<Block, AccountId> + BlockBuilderApi<Block>,
{
    let parent_number = height.checked_sub(1).ok_or("no impeach block at genesis")?;
    let config = client
        .runtime_api()
        .config(parent)
        .map_err(|e| format!("DporApi::config at {parent}: {e}"))?
        .ok_or("the chain has no DPoR committee")?;
    let digest = pre_digest(client, height, parent, true)?;
    let timestamp = timestamp_at(client, parent)
        .saturating_add(config.period_ms)
        .saturating_add(config.impeach_timeout_ms);
    let mut inherent_data = sp_inherents::InherentData::new();
    inherent_data
        .put_data(sp_timestamp::INHERENT_IDENTIFIER, &timestamp)
        .map_err(|e| e.to_string())?;
    let mut builder = BlockBuilderBuilder::new(client)
        .on_parent_block(parent)
        .with_parent_block_number(parent_number as u32)
        .with_inherent_digests(Digest {
            logs: vec![digest.to_digest_item()],
        })
        .build()
        .map_err(|e| e.to_string())?;
    for inherent in builder
        .create_inherents(inherent_data)
        .map_err(|e| e.to_string())?
    {
        builder.push(inherent).map_err(|e| e.to_string())?;
    }
    builder.build().map_err(|e| e.to_string())
}

/// Builds and seals a proposer's block.
pub struct Sealer {
    pub keystore: sp_keystore::KeystorePtr,
    /// The proposer's sealing key.
    pub public: sp_core::sr25519::Public,
    pub digest: DporPreDigest<AccountId>,
    pub period: u64,
}

impl Sealer {
    /// Builds a block stamped `timestamp` with `proposer` and seals it.
    /// Returns its hash and what imports it as this node's new best block.
    pub async fn seal<P: sp_consensus::Proposer<Block>>(
        &self,
        proposer: P,
        timestamp: u64,
    ) -> Result<(Hash, sc_consensus::BlockImportParams<Block>), String> {
        use sc_consensus::{BlockImportParams, ForkChoiceStrategy, StateAction, StorageChanges};
        use sp_inherents::InherentDataProvider;
        use sp_runtime::traits::{Block as _, Header as _};

        let mut inherent_data = sp_inherents::InherentData::new();
        sp_timestamp::InherentDataProvider::new(timestamp.into())
            .provide_inherent_data(&mut inherent_data)
            .await
            .map_err(|e| e.to_string())?;
        let proposal = proposer
            .propose(sp_consensus::ProposeArgs {
                inherent_data,
                inherent_digests: Digest {
                    logs: vec![self.digest.to_digest_item()],
                },
                max_duration: std::time::Duration::from_millis((self.period / 2).max(200)),
                ..Default::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        let (header, body) = proposal.block.deconstruct();
        let signature = self
            .keystore
            .sr25519_sign(
                cpchain_primitives::seal_crypto::KEY_TYPE,
                &self.public,
                header.hash().as_ref(),
            )
            .map_err(|e| e.to_string())?
            .ok_or("the sealing key left the keystore")?;
        let seal = cpchain_primitives::digest::seal_item(signature.as_ref());
        let mut sealed = header.clone();
        sealed.digest_mut().push(seal.clone());
        let hash = sealed.hash();
        let mut import = BlockImportParams::new(sp_consensus::BlockOrigin::Own, header);
        import.post_digests.push(seal);
        import.post_hash = Some(hash);
        import.body = Some(body);
        import.state_action =
            StateAction::ApplyChanges(StorageChanges::Changes(proposal.storage_changes));
        import.fork_choice = Some(ForkChoiceStrategy::LongestChain);
        Ok((hash, import))
    }
}
