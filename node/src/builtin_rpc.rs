//! RPC methods over the runtime APIs of CPChain's built-in modules, for
//! front ends. Every method takes an optional block hash (`at`) and reads
//! the best block's state without one.

use std::sync::Arc;

use cpchain_primitives::{
    dpor_crypto::AuthorityId,
    runtime_api::{
        AdmissionApi, CampaignApi, DporApi, DporConfig, ProxyRegisterApi, RegisterApi, RptApi,
    },
    AccountId, Balance, BlockNumber, CandidateInfo, Hash, OpaqueBlock as Block, RptBreakdown,
    RptWeights,
};
use jsonrpsee::{
    core::RpcResult,
    proc_macros::rpc,
    types::{error::ErrorObject, ErrorObjectOwned},
};
use serde::{Deserialize, Serialize};
use sp_api::{ApiError, ApiExt, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;

/// The admission check's current settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionSettings {
    pub cpu_difficulty: u16,
    pub memory_difficulty: u16,
    /// How many blocks old a proof's block may be.
    pub acceptable_blocks: u32,
}

/// RPT's weights and window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RptSettings {
    pub weights: RptWeights,
    /// In blocks, ending at the evaluated block.
    pub window: u32,
}

/// One entry of the RPT ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RankedAccount {
    pub account: AccountId,
    pub rpt: RptBreakdown,
}

#[rpc(server)]
pub trait BuiltinApi {
    /// The account currently acting for `proxy`.
    #[method(name = "proxyRegister_getRealContract")]
    fn real_contract(&self, proxy: AccountId, at: Option<Hash>) -> RpcResult<Option<AccountId>>;

    /// The proxy `real` currently acts for.
    #[method(name = "proxyRegister_getProxyContract")]
    fn proxy_contract(&self, real: AccountId, at: Option<Hash>) -> RpcResult<Option<AccountId>>;

    /// How many times `proxy` has been bound; 0 if never.
    #[method(name = "proxyRegister_getContractVersion")]
    fn contract_version(&self, proxy: AccountId, at: Option<Hash>) -> RpcResult<u32>;

    /// The account bound to `proxy` at `version` (1 is the first).
    #[method(name = "proxyRegister_getOldContract")]
    fn old_contract(
        &self,
        proxy: AccountId,
        version: u32,
        at: Option<Hash>,
    ) -> RpcResult<Option<AccountId>>;

    /// All uploads `who` ever recorded.
    #[method(name = "register_getUploadCount")]
    fn upload_count(&self, who: AccountId, at: Option<Hash>) -> RpcResult<u32>;

    /// Uploads `who` recorded in blocks `from..=to`.
    #[method(name = "register_getUploadCountBetween")]
    fn uploads_between(
        &self,
        who: AccountId,
        from: BlockNumber,
        to: BlockNumber,
        at: Option<Hash>,
    ) -> RpcResult<u32>;

    /// Difficulties and proof age bound, for provers.
    #[method(name = "admission_getSettings")]
    fn admission_settings(&self, at: Option<Hash>) -> RpcResult<AdmissionSettings>;

    /// `who`'s RPT at the block, by dimension.
    #[method(name = "rpt_getRpt")]
    fn rpt(&self, who: AccountId, at: Option<Hash>) -> RpcResult<RptBreakdown>;

    /// The RPT of each of `accounts` (at most [`MAX_RPT_ACCOUNTS`]), in
    /// order, all at the same block.
    #[method(name = "rpt_getRpts")]
    fn rpts(&self, accounts: Vec<AccountId>, at: Option<Hash>) -> RpcResult<Vec<RptBreakdown>>;

    /// The RNodes by RPT, highest first.
    #[method(name = "rpt_getRanking")]
    fn ranking(&self, at: Option<Hash>) -> RpcResult<Vec<RankedAccount>>;

    /// RPT's weights and window.
    #[method(name = "rpt_getSettings")]
    fn rpt_settings(&self, at: Option<Hash>) -> RpcResult<RptSettings>;

    /// The campaign candidates of `term`, in claim order.
    #[method(name = "dpor_getCandidates")]
    fn candidates(&self, term: u32, at: Option<Hash>) -> RpcResult<Vec<AccountId>>;

    /// `who`'s candidacy: terms left, first and last term, deposit held.
    #[method(name = "campaign_getCandidateInfo")]
    fn candidate_info(
        &self,
        who: AccountId,
        at: Option<Hash>,
    ) -> RpcResult<Option<CandidateInfo<Balance>>>;

    /// The RNodes, in account order.
    #[method(name = "campaign_getRnodes")]
    fn rnodes(&self, at: Option<Hash>) -> RpcResult<Vec<AccountId>>;

    /// The term of the block.
    #[method(name = "dpor_getCurrentTerm")]
    fn current_term(&self, at: Option<Hash>) -> RpcResult<u32>;

    /// Validators (with consensus keys) and proposers of the block's term.
    #[method(name = "dpor_getCommittee")]
    fn committee(&self, at: Option<Hash>) -> RpcResult<Committee>;

    /// The proposer of block `number`, as the schedule at `at` names it.
    #[method(name = "dpor_getProposer")]
    fn proposer(&self, number: BlockNumber, at: Option<Hash>) -> RpcResult<Option<AccountId>>;

    /// Term shape, timing and election lag; null without a committee.
    #[method(name = "dpor_getConfig")]
    fn dpor_config(&self, at: Option<Hash>) -> RpcResult<Option<DporConfig>>;
}

/// One validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Validator {
    pub account: AccountId,
    pub key: AuthorityId,
}

/// The committee of a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Committee {
    pub validators: Vec<Validator>,
    pub proposers: Vec<AccountId>,
    pub term: u32,
    pub view: u32,
    /// Where a scheduled committee change applies.
    pub next_change: Option<BlockNumber>,
}

/// The most accounts one `rpt_getRpts` call evaluates.
pub const MAX_RPT_ACCOUNTS: usize = 256;

/// JSON-RPC error code of a failed runtime API call.
pub const RUNTIME_ERROR: i32 = 9_000;

pub(crate) fn runtime_error(error: ApiError) -> ErrorObjectOwned {
    ErrorObject::owned(
        RUNTIME_ERROR,
        "runtime API call failed",
        Some(error.to_string()),
    )
}

pub struct Builtins<C> {
    client: Arc<C>,
}

impl<C> Builtins<C> {
    pub fn new(client: Arc<C>) -> Self {
        Self { client }
    }
}

impl<C: HeaderBackend<Block>> Builtins<C> {
    fn at(&self, at: Option<Hash>) -> Hash {
        at.unwrap_or_else(|| self.client.info().best_hash)
    }
}

impl<C> BuiltinApiServer for Builtins<C>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
    C::Api: ProxyRegisterApi<Block, AccountId>
        + RegisterApi<Block, AccountId, BlockNumber>
        + AdmissionApi<Block>
        + RptApi<Block, AccountId>
        + CampaignApi<Block, AccountId, Balance>
        + DporApi<Block, AccountId>,
{
    fn real_contract(&self, proxy: AccountId, at: Option<Hash>) -> RpcResult<Option<AccountId>> {
        self.client
            .runtime_api()
            .real_contract(self.at(at), proxy)
            .map_err(runtime_error)
    }

    fn proxy_contract(&self, real: AccountId, at: Option<Hash>) -> RpcResult<Option<AccountId>> {
        self.client
            .runtime_api()
            .proxy_contract(self.at(at), real)
            .map_err(runtime_error)
    }

    fn contract_version(&self, proxy: AccountId, at: Option<Hash>) -> RpcResult<u32> {
        self.client
            .runtime_api()
            .contract_version(self.at(at), proxy)
            .map_err(runtime_error)
    }

    fn old_contract(
        &self,
        proxy: AccountId,
        version: u32,
        at: Option<Hash>,
    ) -> RpcResult<Option<AccountId>> {
        self.client
            .runtime_api()
            .old_contract(self.at(at), proxy, version)
            .map_err(runtime_error)
    }

    fn upload_count(&self, who: AccountId, at: Option<Hash>) -> RpcResult<u32> {
        self.client
            .runtime_api()
            .upload_count(self.at(at), who)
            .map_err(runtime_error)
    }

    fn uploads_between(
        &self,
        who: AccountId,
        from: BlockNumber,
        to: BlockNumber,
        at: Option<Hash>,
    ) -> RpcResult<u32> {
        if from > to {
            return Err(ErrorObject::owned(
                jsonrpsee::types::error::INVALID_PARAMS_CODE,
                "`from` is after `to`",
                None::<()>,
            ));
        }
        self.client
            .runtime_api()
            .uploads_between(self.at(at), who, from, to)
            .map_err(runtime_error)
    }

    fn admission_settings(&self, at: Option<Hash>) -> RpcResult<AdmissionSettings> {
        let (cpu_difficulty, memory_difficulty, acceptable_blocks) = self
            .client
            .runtime_api()
            .admission_settings(self.at(at))
            .map_err(runtime_error)?;
        Ok(AdmissionSettings {
            cpu_difficulty,
            memory_difficulty,
            acceptable_blocks,
        })
    }

    fn rpt(&self, who: AccountId, at: Option<Hash>) -> RpcResult<RptBreakdown> {
        self.client
            .runtime_api()
            .rpt_of(self.at(at), who)
            .map_err(runtime_error)
    }

    fn rpts(&self, accounts: Vec<AccountId>, at: Option<Hash>) -> RpcResult<Vec<RptBreakdown>> {
        if accounts.len() > MAX_RPT_ACCOUNTS {
            return Err(ErrorObject::owned(
                jsonrpsee::types::error::INVALID_PARAMS_CODE,
                format!("at most {MAX_RPT_ACCOUNTS} accounts per call"),
                None::<()>,
            ));
        }
        let at = self.at(at);
        let api = self.client.runtime_api();
        // Runtimes before `RptApi` version 2 (spec 104) rank per account.
        let batched = api
            .api_version::<dyn RptApi<Block, AccountId>>(at)
            .map_err(runtime_error)?
            .is_some_and(|version| version >= 2);
        if batched {
            return api.rpts_of(at, accounts).map_err(runtime_error);
        }
        accounts
            .into_iter()
            .map(|who| api.rpt_of(at, who).map_err(runtime_error))
            .collect()
    }

    fn ranking(&self, at: Option<Hash>) -> RpcResult<Vec<RankedAccount>> {
        let ranking = self
            .client
            .runtime_api()
            .ranking(self.at(at))
            .map_err(runtime_error)?;
        Ok(ranking
            .into_iter()
            .map(|(account, rpt)| RankedAccount { account, rpt })
            .collect())
    }

    fn rpt_settings(&self, at: Option<Hash>) -> RpcResult<RptSettings> {
        let (weights, window) = self
            .client
            .runtime_api()
            .rpt_settings(self.at(at))
            .map_err(runtime_error)?;
        Ok(RptSettings { weights, window })
    }

    fn candidates(&self, term: u32, at: Option<Hash>) -> RpcResult<Vec<AccountId>> {
        self.client
            .runtime_api()
            .candidates_of(self.at(at), term)
            .map_err(runtime_error)
    }

    fn candidate_info(
        &self,
        who: AccountId,
        at: Option<Hash>,
    ) -> RpcResult<Option<CandidateInfo<Balance>>> {
        self.client
            .runtime_api()
            .candidate_info_of(self.at(at), who)
            .map_err(runtime_error)
    }

    fn rnodes(&self, at: Option<Hash>) -> RpcResult<Vec<AccountId>> {
        self.client
            .runtime_api()
            .rnodes(self.at(at))
            .map_err(runtime_error)
    }

    fn current_term(&self, at: Option<Hash>) -> RpcResult<u32> {
        self.client
            .runtime_api()
            .current_term(self.at(at))
            .map_err(runtime_error)
    }

    fn committee(&self, at: Option<Hash>) -> RpcResult<Committee> {
        let at = self.at(at);
        let api = self.client.runtime_api();
        let committee = api.committee(at).map_err(runtime_error)?;
        let next_change = api.next_committee_change(at).map_err(runtime_error)?;
        Ok(Committee {
            validators: committee
                .validators
                .into_iter()
                .map(|(account, key)| Validator { account, key })
                .collect(),
            proposers: committee.proposers,
            term: committee.term,
            view: committee.view,
            next_change,
        })
    }

    fn proposer(&self, number: BlockNumber, at: Option<Hash>) -> RpcResult<Option<AccountId>> {
        self.client
            .runtime_api()
            .proposer_of(self.at(at), number)
            .map_err(runtime_error)
    }

    fn dpor_config(&self, at: Option<Hash>) -> RpcResult<Option<DporConfig>> {
        self.client
            .runtime_api()
            .config(self.at(at))
            .map_err(runtime_error)
    }
}
