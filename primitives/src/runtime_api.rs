//! Runtime APIs of CPChain's built-in modules, for the node's RPC and for
//! front ends.

use crate::{dpor_crypto::AuthorityId, CandidateInfo, RptBreakdown, RptWeights};
use alloc::vec::Vec;
use codec::Codec;

sp_api::decl_runtime_apis! {
    /// Reads of the proxy register.
    pub trait ProxyRegisterApi<AccountId: Codec> {
        /// The account that currently acts for `proxy`.
        fn real_contract(proxy: AccountId) -> Option<AccountId>;
        /// The proxy `real` currently acts for.
        fn proxy_contract(real: AccountId) -> Option<AccountId>;
        /// How many times `proxy` has been bound; 0 if never.
        fn contract_version(proxy: AccountId) -> u32;
        /// The account bound to `proxy` at `version` (1 is the first).
        fn old_contract(proxy: AccountId, version: u32) -> Option<AccountId>;
    }
}

sp_api::decl_runtime_apis! {
    /// Reads of the upload register.
    pub trait RegisterApi<AccountId: Codec, BlockNumber: Codec> {
        /// All uploads `who` ever recorded.
        fn upload_count(who: AccountId) -> u32;
        /// Uploads `who` recorded in blocks `from..=to` (kept records only).
        fn uploads_between(who: AccountId, from: BlockNumber, to: BlockNumber) -> u32;
    }

    /// Reads of the admission check, for provers.
    pub trait AdmissionApi {
        /// (CPU difficulty, memory difficulty, how many blocks old a proof may be).
        fn admission_settings() -> (u16, u16, u32);
    }
}

sp_api::decl_runtime_apis! {
    /// Reads of RPT, the reputation that ranks campaign candidates. Called
    /// at a block, it evaluates with that block's state, weights and window.
    #[api_version(2)]
    pub trait RptApi<AccountId: Codec> {
        /// `who`'s RPT, by dimension, ranked against the population.
        fn rpt_of(who: AccountId) -> RptBreakdown;
        /// `rpt_of` each of `accounts`, the population ranked once.
        #[api_version(2)]
        fn rpts_of(accounts: Vec<AccountId>) -> Vec<RptBreakdown>;
        /// The population, highest RPT first.
        fn ranking() -> Vec<(AccountId, RptBreakdown)>;
        /// The dimension weights and the window in blocks.
        fn rpt_settings() -> (RptWeights, u32);
    }
}

sp_api::decl_runtime_apis! {
    /// Reads of the campaign: RNodes and candidacies.
    pub trait CampaignApi<AccountId: Codec, Balance: Codec> {
        /// The candidates of `term`, in claim order.
        fn candidates_of(term: u32) -> Vec<AccountId>;
        /// `who`'s candidacy, if it holds one.
        fn candidate_info_of(who: AccountId) -> Option<CandidateInfo<Balance>>;
        /// The RNodes, in account order.
        fn rnodes() -> Vec<AccountId>;
        /// The term of the best block.
        fn current_term() -> u32;
    }
}

/// The committee at a block.
#[derive(Clone, PartialEq, Eq, Debug, codec::Encode, codec::Decode, scale_info::TypeInfo)]
pub struct DporCommittee<AccountId> {
    /// Validators with their consensus keys.
    pub validators: Vec<(AccountId, AuthorityId)>,
    /// The term's proposers, by slot.
    pub proposers: Vec<AccountId>,
    pub term: u32,
    pub view: u32,
}

/// The committee's settings.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    codec::Encode,
    codec::Decode,
    scale_info::TypeInfo,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct DporConfig {
    pub term_len: u32,
    pub view_len: u32,
    pub period_ms: u64,
    pub impeach_timeout_ms: u64,
    /// Terms between an election and the term it elects.
    pub election_lag: u32,
}

sp_api::decl_runtime_apis! {
    /// DPoR's committee, for the consensus client, the node's RPC and front ends.
    #[api_version(2)]
    pub trait DporApi<AccountId: Codec> {
        /// Validators and proposers of the block's term, with term and view.
        fn committee() -> DporCommittee<AccountId>;
        /// Who proposes block `block` (within the current schedule).
        fn proposer_of(block: u32) -> Option<AccountId>;
        /// The elected proposers of `term`, by slot.
        fn proposers_of_term(term: u32) -> Vec<AccountId>;
        /// `None` on a chain without a committee.
        fn config() -> Option<DporConfig>;
        /// The block at which a scheduled validator or schedule change applies.
        fn next_committee_change() -> Option<u32>;
        /// The election seed after this block: the VRF input's seed for
        /// the next block ([`crate::vrf`]).
        #[api_version(3)]
        fn election_seed() -> [u8; 32];
        /// Submits `proof` as an unsigned `report_equivocation` to the
        /// transaction pool the caller registered as an offchain extension.
        /// False if the pool refused it.
        #[api_version(2)]
        fn submit_report_equivocation_unsigned_extrinsic(
            proof: crate::equivocation::EquivocationProof,
        ) -> bool;
    }
}

/// A private-market item as front ends read it: public metadata and
/// ciphertexts; the plaintext never reaches the chain.
#[derive(Clone, PartialEq, Eq, Debug, codec::Encode, codec::Decode, scale_info::TypeInfo)]
pub struct MarketItem<AccountId, Balance> {
    pub id: u64,
    pub seller: AccountId,
    pub price: Balance,
    pub public_meta: Vec<u8>,
    pub sealed_fields: Vec<u8>,
    pub key_for_agent: Vec<u8>,
    pub plaintext_hash: [u8; 32],
    pub listed_at: u32,
}

/// A private-market order.
#[derive(Clone, PartialEq, Eq, Debug, codec::Encode, codec::Decode, scale_info::TypeInfo)]
pub struct MarketOrder<AccountId, Balance> {
    pub id: u64,
    pub item: u64,
    pub buyer: AccountId,
    pub seller: AccountId,
    pub price: Balance,
    pub buyer_key: [u8; 32],
    pub key_for_buyer: Option<Vec<u8>>,
    /// placed, delivered, confirmed, disputed, paid, refunded or rejected.
    pub state: Vec<u8>,
    /// The block the current state began.
    pub since: u32,
}

sp_api::decl_runtime_apis! {
    /// Reads of the private market.
    pub trait PrivateMarketApi<AccountId: Codec, Balance: Codec> {
        /// Up to `limit` items with ids from `from` on.
        fn items(from: u64, limit: u32) -> Vec<MarketItem<AccountId, Balance>>;
        fn item(id: u64) -> Option<MarketItem<AccountId, Balance>>;
        fn order(id: u64) -> Option<MarketOrder<AccountId, Balance>>;
        /// Orders of `seller`'s items waiting for the seller's key.
        fn pending_orders(seller: AccountId) -> Vec<MarketOrder<AccountId, Balance>>;
        /// The x25519 key `who` registered.
        fn encryption_key(who: AccountId) -> Option<[u8; 32]>;
        /// The buyer's escrow not committed to orders.
        fn free_escrow(who: AccountId) -> Balance;
        /// The market's agent, from the proxy register.
        fn agent() -> Option<AccountId>;
    }
}
