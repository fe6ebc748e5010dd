//! How CPChain's pallets reach each other: through these traits, wired in
//! the runtime, never through each other's storage.

/// Resolves the well-known proxy account of a built-in module to the
/// account that currently acts for it, so that a module can be replaced
/// without changing its callers.
pub trait ProxyResolver<AccountId> {
    /// The account registered for `proxy`, if any.
    fn real_of(proxy: &AccountId) -> Option<AccountId>;
}

/// Nothing is registered: every lookup fails.
impl<AccountId> ProxyResolver<AccountId> for () {
    fn real_of(_: &AccountId) -> Option<AccountId> {
        None
    }
}

/// A proof of work over the hash of block `block_number` (see pallet-admission).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    codec::Encode,
    codec::Decode,
    codec::DecodeWithMemTracking,
    scale_info::TypeInfo,
    codec::MaxEncodedLen,
)]
pub struct AdmissionProof<BlockNumber> {
    pub block_number: BlockNumber,
    pub nonce: u64,
}

/// Checks a candidate's admission proofs (CPU and memory) for `who`.
pub trait AdmissionCheck<AccountId, BlockNumber> {
    /// Ok if both proofs are valid, recent and meet the current difficulties.
    fn check(
        who: &AccountId,
        cpu: &AdmissionProof<BlockNumber>,
        memory: &AdmissionProof<BlockNumber>,
    ) -> sp_runtime::DispatchResult;

    /// The most `check` costs, for the caller's weight.
    fn check_weight() -> sp_runtime::Weight;
}

/// Uploads per account, for RPT's data contribution (DC) dimension.
pub trait UploadCounter<AccountId, BlockNumber> {
    /// How many uploads `who` recorded in blocks `from..=to`.
    fn uploads_between(who: &AccountId, from: BlockNumber, to: BlockNumber) -> u32;

    /// Fills `who`'s upload log to its bound, with records in `at`, for
    /// the benchmarks of the pallets that count them.
    #[cfg(feature = "runtime-benchmarks")]
    fn fill_log_for_benchmarks(_who: &AccountId, _at: BlockNumber) {}
}

impl<AccountId, BlockNumber> UploadCounter<AccountId, BlockNumber> for () {
    fn uploads_between(_: &AccountId, _: BlockNumber, _: BlockNumber) -> u32 {
        0
    }
}

/// Finished PDash deals, for RPT's proxy reputation (PR) and data
/// contribution (DC) dimensions.
pub trait DealCounter<AccountId, BlockNumber> {
    /// Deals `proxy` completed as the proxy in blocks `from..=to`.
    fn proxy_deals_between(proxy: &AccountId, from: BlockNumber, to: BlockNumber) -> u32;
    /// Purchases `buyer` completed in blocks `from..=to`.
    fn purchases_between(buyer: &AccountId, from: BlockNumber, to: BlockNumber) -> u32;

    /// Fills `who`'s proxy-deal and purchase logs to their bounds, with
    /// deals in `at`, for the benchmarks of the pallets that count them.
    #[cfg(feature = "runtime-benchmarks")]
    fn fill_logs_for_benchmarks(_who: &AccountId, _at: BlockNumber) {}
}

impl<AccountId, BlockNumber> DealCounter<AccountId, BlockNumber> for () {
    fn proxy_deals_between(_: &AccountId, _: BlockNumber, _: BlockNumber) -> u32 {
        0
    }
    fn purchases_between(_: &AccountId, _: BlockNumber, _: BlockNumber) -> u32 {
        0
    }
}

/// The accounts RPT ranks an account against: RNodes (see pallet-campaign).
/// The provider keeps it bounded; RPT ranks at most its `MaxPopulation`.
pub trait RptPopulation<AccountId> {
    fn members() -> alloc::vec::Vec<AccountId>;
}

impl<AccountId> RptPopulation<AccountId> for () {
    fn members() -> alloc::vec::Vec<AccountId> {
        alloc::vec::Vec::new()
    }
}

/// Reputation of accounts, as pallet-rpt computes it at the current block.
pub trait RptProvider<AccountId> {
    /// The RPT of `who`, ranked against the population and `who` itself.
    fn rpt_of(who: &AccountId) -> u32;
    /// Every member of the population with its RPT, highest first; ties in
    /// account order.
    fn ranking() -> alloc::vec::Vec<(AccountId, u32)>;

    /// The most `ranking` (or `rpt_of`) costs, for the caller's weight.
    fn ranking_weight() -> sp_runtime::Weight;

    /// The population and `who` ranked together, highest first, ties in
    /// account order: where `who` would stand if it joined. Costs at most
    /// [`Self::ranking_weight`].
    fn ranking_with(who: &AccountId) -> alloc::vec::Vec<(AccountId, u32)>
    where
        AccountId: Clone + Ord,
    {
        let mut ranking = Self::ranking();
        if !ranking.iter().any(|(member, _)| member == who) {
            ranking.push((who.clone(), Self::rpt_of(who)));
            ranking.sort_by(|(a, rpt_a), (b, rpt_b)| rpt_b.cmp(rpt_a).then_with(|| a.cmp(b)));
        }
        ranking
    }
}

/// How far back a proposer's impeached blocks weigh on its RPT: the
/// original's 10,000 blocks.
pub const IMPEACHMENT_WINDOW: u32 = 10_000;
/// Impeached blocks within the window that bring RPT to zero: RPT is
/// multiplied by `1 - n/9`, the original's impeachment factor.
pub const IMPEACHMENTS_TO_ZERO_RPT: u32 = 9;

/// A proposer's impeached blocks in the last [`IMPEACHMENT_WINDOW`] blocks
/// up to the current one, for RPT.
pub trait ImpeachmentCounter<AccountId> {
    fn recent_impeachments(who: &AccountId) -> u32;
}

impl<AccountId> ImpeachmentCounter<AccountId> for () {
    fn recent_impeachments(_: &AccountId) -> u32 {
        0
    }
}

/// The campaign candidates of a term, for the election.
pub trait CandidateSource<AccountId> {
    fn candidates_of(term: u32) -> alloc::vec::Vec<AccountId>;

    /// Makes `candidates` the candidates of `term`, for the benchmarks of
    /// the pallets that read them.
    #[cfg(feature = "runtime-benchmarks")]
    fn set_candidates_for_benchmarks(_term: u32, _candidates: alloc::vec::Vec<AccountId>) {}
}

impl<AccountId> CandidateSource<AccountId> for () {
    fn candidates_of(_: u32) -> alloc::vec::Vec<AccountId> {
        alloc::vec::Vec::new()
    }
}
