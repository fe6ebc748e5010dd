//! Configuration of each pallet in the runtime.

use crate::{
    currency::{CPC, MICRO_CPC, MILLI_CPC},
    AccountId, Admission, Balance, Balances, Block, BlockNumber, Campaign, Council, Dpor, Hash,
    Nonce, PalletInfo, Pdash, Preimage, ProxyRegister, Register, Rpt, Runtime, RuntimeCall,
    RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, System, DAYS,
    HOURS, MILLISECS_PER_YEAR, VERSION,
};
use frame_support::PalletId;
use frame_support::{
    derive_impl,
    dispatch::DispatchClass,
    parameter_types,
    traits::{
        fungible::{Balanced, Credit, HoldConsideration},
        ConstU128, ConstU32, ConstU64, ConstU8, EitherOfDiverse, Get, LinearStoragePrice,
        OnUnbalanced, VariantCountOf,
    },
    weights::{
        constants::{
            BlockExecutionWeight, ExtrinsicBaseWeight, ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND,
        },
        ConstantMultiplier, Weight,
    },
};
use frame_system::{
    limits::{BlockLength, BlockWeights},
    EnsureRoot,
};
use pallet_rpt::WeightInfo as _;
use pallet_transaction_payment::{
    FungibleAdapter, Multiplier, OnChargeTransaction, TargetedFeeAdjustment,
};
use sp_runtime::{
    traits::{AccountIdConversion, Bounded, DispatchInfoOf, PostDispatchInfoOf},
    transaction_validity::TransactionValidityError,
    FixedPointNumber, Perbill, Permill, Perquintill,
};

/// Extrinsics of normal class may fill this share of a block; the rest is
/// kept for operational ones (governance, consensus penalties).
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// Two seconds of compute per block: two thirds of the 3 s period, leaving
/// the rest for import and LBFT voting.
const MAXIMUM_BLOCK_WEIGHT: Weight =
    Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND.saturating_mul(2), u64::MAX);

/// 5 MiB: IoT workloads are many small transactions.
const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;

parameter_types! {
    pub const BlockHashCount: BlockNumber = 2400;
    pub const Version: sp_version::RuntimeVersion = VERSION;
    pub RuntimeBlockLength: BlockLength = BlockLength::builder()
        .max_length(MAX_BLOCK_LENGTH)
        .modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
        .build();
    pub RuntimeBlockWeights: BlockWeights = BlockWeights::builder()
        .base_block(BlockExecutionWeight::get())
        .for_class(DispatchClass::all(), |weights| {
            // Every fee-paying extrinsic is also counted for RPT.
            weights.base_extrinsic = ExtrinsicBaseWeight::get()
                .saturating_add(pallet_rpt::weights::SubstrateWeight::<Runtime>::note_transaction());
        })
        .for_class(DispatchClass::Normal, |weights| {
            weights.max_total = Some(NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT);
        })
        .for_class(DispatchClass::Operational, |weights| {
            weights.max_total = Some(MAXIMUM_BLOCK_WEIGHT);
            weights.reserved = Some(
                MAXIMUM_BLOCK_WEIGHT - NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT,
            );
        })
        .avg_block_initialization(Perbill::from_percent(10))
        .build_or_panic();
    pub const SS58Prefix: u16 = cpchain_primitives::SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
    type Block = Block;
    type BlockWeights = RuntimeBlockWeights;
    type BlockLength = RuntimeBlockLength;
    type AccountId = AccountId;
    type Nonce = Nonce;
    type Hash = Hash;
    type BlockHashCount = BlockHashCount;
    type DbWeight = ParityDbWeight;
    type Version = Version;
    type AccountData = pallet_balances::AccountData<Balance>;
    type SS58Prefix = SS58Prefix;
    type MaxConsumers = ConstU32<16>;
}

/// The DPoR period: consecutive blocks are stamped at least this far
/// apart. A proposer cannot stamp its block early, which would compress
/// the chain's clock and pull the next proposers' turns forward; validators
/// refuse a block stamped more than a small drift ahead of their clocks
/// (the node's clock rule), which bounds the other side.
///
/// The metadata constant `Timestamp.MinimumPeriod` is therefore read from
/// state: it shows the period at the block the metadata was taken at.
pub struct BlockPeriod;

impl Get<u64> for BlockPeriod {
    fn get() -> u64 {
        pallet_dpor::Pallet::<Runtime>::timing()
            .map_or(1, |timing| timing.period_ms)
            .max(1)
    }
}

impl pallet_timestamp::Config for Runtime {
    type Moment = u64;
    type OnTimestampSet = ();
    type MinimumPeriod = BlockPeriod;
    type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

/// The smallest balance an account may hold; below it the account is reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_CPC;

impl pallet_balances::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RuntimeFreezeReason = RuntimeFreezeReason;
    type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
    type Balance = Balance;
    type DustRemoval = ();
    type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
    type AccountStore = System;
    type ReserveIdentifier = [u8; 8];
    type FreezeIdentifier = RuntimeFreezeReason;
    type MaxLocks = ConstU32<50>;
    type MaxReserves = ConstU32<50>;
    type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
    type DoneSlashHandler = ();
}

/// Fee per unit of ref-time weight. A block full of normal extrinsics
/// (1.5 s of weight) costs 15 CPC before the fee multiplier rises, more
/// than a block reward of the original (12.65 CPC per 10 s block), so that
/// stuffing blocks costs more than proposers earn (the runtime test
/// `stuffing_blocks_costs_more_than_proposers_earn` prints an hour's
/// figures). A signed balance transfer (149 bytes) costs 0.0062 CPC, 0.0056
/// of it for its weight with the base extrinsic's (the same test prints it).
pub const FEE_PER_WEIGHT_UNIT: Balance = 10_000_000;
/// Fee per encoded byte of an extrinsic: a block filled by length (3.75 MiB
/// of normal extrinsics) costs 15.7 CPC, more than a block reward too.
pub const FEE_PER_BYTE: Balance = 4 * MICRO_CPC;

parameter_types! {
    /// Fees rise once blocks are more than a quarter full, as on Polkadot.
    pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
    pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
    /// Fees never fall below their base level.
    pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_integer(1);
    pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

impl pallet_transaction_payment::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    // Fees go to the block's proposer.
    type OnChargeTransaction = ChargeFeeAndCount;
    type OperationalFeeMultiplier = ConstU8<5>;
    type WeightToFee = ConstantMultiplier<Balance, ConstU128<FEE_PER_WEIGHT_UNIT>>;
    type LengthToFee = ConstantMultiplier<Balance, ConstU128<FEE_PER_BYTE>>;
    type FeeMultiplierUpdate = TargetedFeeAdjustment<
        Self,
        TargetBlockFullness,
        AdjustmentVariable,
        MinimumMultiplier,
        MaximumMultiplier,
    >;
    type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

/// The foundation's council.
pub type CouncilCollective = pallet_collective::Instance1;

/// The origin of privileged calls: root, or two thirds of the council.
///
/// Later pallets (validator set, RPT weights, admission difficulty, campaign
/// punishments) take this as their governance origin.
pub type GovernanceOrigin = EitherOfDiverse<EnsureRoot<AccountId>, CouncilTwoThirds>;

pub const COUNCIL_MAX_MEMBERS: u32 = 100;

parameter_types! {
    pub const CouncilMotionDuration: BlockNumber = 3 * DAYS;
    pub MaxCouncilProposalWeight: Weight = Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

/// A council member who does not vote by a motion's end counts as voting
/// nay, whatever the prime voted: with `PrimeDefaultVote` a prime and
/// silent members would pass a Root motion with one aye.
pub struct AbstentionIsNay;

impl pallet_collective::DefaultVote for AbstentionIsNay {
    fn default_vote(
        _prime_vote: Option<bool>,
        _yes_votes: pallet_collective::MemberCount,
        _no_votes: pallet_collective::MemberCount,
        _len: pallet_collective::MemberCount,
    ) -> bool {
        false
    }
}

impl pallet_collective::Config<CouncilCollective> for Runtime {
    type RuntimeOrigin = RuntimeOrigin;
    type Proposal = RuntimeCall;
    type RuntimeEvent = RuntimeEvent;
    type MotionDuration = CouncilMotionDuration;
    type MaxProposals = ConstU32<100>;
    type MaxMembers = ConstU32<COUNCIL_MAX_MEMBERS>;
    type DefaultVote = AbstentionIsNay;
    type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
    // Membership is managed by CouncilMembership; direct resets are root only.
    type SetMembersOrigin = EnsureRoot<AccountId>;
    type MaxProposalWeight = MaxCouncilProposalWeight;
    type DisapproveOrigin = EnsureRoot<AccountId>;
    type KillOrigin = EnsureRoot<AccountId>;
    type Consideration = ();
}

/// Two thirds of the council, without the Root alternative: the origin that
/// whitelists a Root call and then dispatches it (see "Upgrading the
/// runtime" in the README).
pub type CouncilTwoThirds =
    pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>;

/// The price of state: whoever creates an entry holds this per entry plus
/// [`DEPOSIT_PER_BYTE`] per stored byte, returned when the entry is removed.
/// A largest market item (about 5.3 KB) holds about 0.63 CPC; a gigabyte of
/// items would hold 100,000 CPC.
pub const DEPOSIT_PER_ENTRY: Balance = 100 * MILLI_CPC;
pub const DEPOSIT_PER_BYTE: Balance = 100 * MICRO_CPC;

parameter_types! {
    pub const PreimageBaseDeposit: Balance = DEPOSIT_PER_ENTRY;
    pub const PreimageByteDeposit: Balance = DEPOSIT_PER_BYTE;
    pub const PreimageHoldReason: RuntimeHoldReason =
        RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
    /// No relaying: a council dispatch of a call that is not whitelisted
    /// yet does nothing, instead of waiting for the whitelist and letting
    /// any account trigger the Root call at a moment it picks.
    pub const WhitelistDeferredDispatchExpiration: BlockNumber = 0;
}

impl pallet_preimage::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
    type Currency = Balances;
    type ManagerOrigin = GovernanceOrigin;
    type Consideration = HoldConsideration<
        AccountId,
        Balances,
        PreimageHoldReason,
        LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
    >;
}

impl pallet_whitelist::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type WhitelistOrigin = CouncilTwoThirds;
    type DispatchWhitelistedOrigin = CouncilTwoThirds;
    type Preimages = Preimage;
    type DeferredDispatchExpiration = WhitelistDeferredDispatchExpiration;
    type BlockNumberProvider = System;
    type WeightInfo = pallet_whitelist::weights::SubstrateWeight<Runtime>;
}

impl pallet_membership::Config<pallet_membership::Instance1> for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type AddOrigin = GovernanceOrigin;
    type RemoveOrigin = GovernanceOrigin;
    type SwapOrigin = GovernanceOrigin;
    type ResetOrigin = GovernanceOrigin;
    type PrimeOrigin = GovernanceOrigin;
    type MembershipInitialized = Council;
    type MembershipChanged = Council;
    type MaxMembers = ConstU32<COUNCIL_MAX_MEMBERS>;
    type WeightInfo = pallet_membership::weights::SubstrateWeight<Runtime>;
}

impl pallet_authorship::Config for Runtime {
    type FindAuthor = ScheduledProposer;
    type EventHandler = NoteBlockAuthor;
}

/// The author of a block is the proposer the committee's schedule names for
/// it; the consensus engine only imports blocks sealed by that proposer. An
/// impeach block has no author: the committee built it because the
/// proposer did not, so it counts for nobody's BM.
pub struct ScheduledProposer;
impl frame_support::traits::FindAuthor<AccountId> for ScheduledProposer {
    fn find_author<'a, I>(digests: I) -> Option<AccountId>
    where
        I: 'a + IntoIterator<Item = (frame_support::ConsensusEngineId, &'a [u8])>,
    {
        let impeach = cpchain_primitives::digest::DporPreDigest::<AccountId>::find_in(digests)
            .is_some_and(|digest| digest.impeach);
        if impeach {
            return None;
        }
        Dpor::proposer_of(System::block_number())
    }
}

/// Burns each transaction's fee and pays its tip to the block's proposer.
/// A proposer paid the fees would get back what it spends filling its own
/// blocks, so stuffing them would cost it nothing while raising everyone's
/// fee multiplier. Without a proposer (a chain with no committee), or when
/// the proposer cannot take it, the tip is burned too.
pub struct FeesToProposer;
impl OnUnbalanced<Credit<AccountId, Balances>> for FeesToProposer {
    fn on_unbalanceds(mut fee_then_tip: impl Iterator<Item = Credit<AccountId, Balances>>) {
        // `FungibleAdapter` gives the fee first, then the tip.
        drop(fee_then_tip.next());
        for tip in fee_then_tip {
            Self::on_unbalanced(tip);
        }
    }

    fn on_nonzero_unbalanced(credit: Credit<AccountId, Balances>) {
        if let Some(proposer) = Dpor::proposer_of(System::block_number()) {
            let _ = <Balances as Balanced<AccountId>>::resolve(&proposer, credit);
        }
    }
}

/// Counts each block for its author in RPT's BM dimension.
pub struct NoteBlockAuthor;
impl pallet_authorship::EventHandler<AccountId, BlockNumber> for NoteBlockAuthor {
    fn note_author(author: AccountId) {
        Rpt::note_block_author(&author);
    }
}

/// Charges fees like `FungibleAdapter` and counts each fee-paying (signed)
/// transaction for its sender in RPT's TX dimension. The count's weight is
/// part of every extrinsic's base weight.
pub struct ChargeFeeAndCount;

type FeeAdapter = FungibleAdapter<Balances, FeesToProposer>;

impl pallet_transaction_payment::TxCreditHold<Runtime> for ChargeFeeAndCount {
    type Credit = <FeeAdapter as pallet_transaction_payment::TxCreditHold<Runtime>>::Credit;
}

impl OnChargeTransaction<Runtime> for ChargeFeeAndCount {
    type Balance = Balance;
    type LiquidityInfo = <FeeAdapter as OnChargeTransaction<Runtime>>::LiquidityInfo;

    fn withdraw_fee(
        who: &AccountId,
        call: &RuntimeCall,
        info: &DispatchInfoOf<RuntimeCall>,
        fee_with_tip: Balance,
        tip: Balance,
    ) -> Result<Self::LiquidityInfo, TransactionValidityError> {
        let liquidity = <FeeAdapter as OnChargeTransaction<Runtime>>::withdraw_fee(
            who,
            call,
            info,
            fee_with_tip,
            tip,
        )?;
        Rpt::note_transaction(who);
        Ok(liquidity)
    }

    fn can_withdraw_fee(
        who: &AccountId,
        call: &RuntimeCall,
        info: &DispatchInfoOf<RuntimeCall>,
        fee_with_tip: Balance,
        tip: Balance,
    ) -> Result<(), TransactionValidityError> {
        <FeeAdapter as OnChargeTransaction<Runtime>>::can_withdraw_fee(
            who,
            call,
            info,
            fee_with_tip,
            tip,
        )
    }

    fn correct_and_deposit_fee(
        who: &AccountId,
        info: &DispatchInfoOf<RuntimeCall>,
        post_info: &PostDispatchInfoOf<RuntimeCall>,
        corrected_fee_with_tip: Balance,
        tip: Balance,
        liquidity: Self::LiquidityInfo,
    ) -> Result<(), TransactionValidityError> {
        <FeeAdapter as OnChargeTransaction<Runtime>>::correct_and_deposit_fee(
            who,
            info,
            post_info,
            corrected_fee_with_tip,
            tip,
            liquidity,
        )
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn endow_account(who: &AccountId, amount: Balance) {
        <FeeAdapter as OnChargeTransaction<Runtime>>::endow_account(who, amount)
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn minimum_balance() -> Balance {
        <FeeAdapter as OnChargeTransaction<Runtime>>::minimum_balance()
    }
}

impl pallet_proxy_register::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RegisterOrigin = GovernanceOrigin;
    type WeightInfo = pallet_proxy_register::weights::SubstrateWeight<Runtime>;
}

impl pallet_admission::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type UpdateOrigin = GovernanceOrigin;
    // frame-system keeps BlockHashCount hashes; proofs must name one of them.
    type MaxAcceptableBlocks = ConstU32<256>;
    type WeightInfo = pallet_admission::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    /// PDash's well-known proxy account; governance binds it to the agent
    /// that records uploads.
    pub PdashProxy: AccountId = PalletId(*b"cpc/pdsh").into_account_truncating();
}

impl pallet_register::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type Proxies = ProxyRegister;
    type PdashProxy = PdashProxy;
    type MaxFileNameLen = ConstU32<128>;
    type MaxUploadsPerAccount = ConstU32<128>;
    // Upload lists keep RPT's largest window only.
    type LogWindow = ConstU32<RPT_MAX_WINDOW>;
    // Lists swept for stale records per block, in on_idle, from the weight
    // the block left. Only PDash's agent writes them, so few new lists a
    // block; a list can be 22 kB (128 records with 128-byte names), so the
    // bound also keeps the sweep's proof small.
    type MaxSweepPerBlock = ConstU32<128>;
    type WeightInfo = pallet_register::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    pub const SellerBondRatio: Permill = Permill::from_percent(10);
    /// A buyer's dispute bond: 10 % of the price, at least 1 CPC.
    pub const DisputeBondRatio: Permill = Permill::from_percent(10);
    pub const MinDisputeBond: Balance = CPC;
    /// A dispute nobody rules on splits the price evenly.
    pub const TimeoutSellerShare: Permill = Permill::from_percent(50);
    /// The lowest PDash price until governance sets another (planck).
    pub const DefaultMinimumPrice: Balance = CPC;
    /// Held from each registered PDash proxy (planck).
    pub const PdashProxyBond: Balance = 1_000 * CPC;
}

impl pallet_pdash::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type ArbiterOrigin = GovernanceOrigin;
    type SellerBondRatio = SellerBondRatio;
    type DisputeBondRatio = DisputeBondRatio;
    type MinDisputeBond = MinDisputeBond;
    type TimeoutSellerShare = TimeoutSellerShare;
    type DefaultMinimumPrice = DefaultMinimumPrice;
    type ProxyBond = PdashProxyBond;
    // Orders and proxy entries pay the chain's storage deposit.
    type DepositBase = ConstU128<DEPOSIT_PER_ENTRY>;
    type DepositPerByte = ConstU128<DEPOSIT_PER_BYTE>;
    type ConfirmTimeout = ConstU32<DAYS>;
    type DeliveryTimeout = ConstU32<DAYS>;
    type CheckTimeout = ConstU32<{ 3 * DAYS }>;
    type DisputeTimeout = ConstU32<{ 14 * DAYS }>;
    type MaxRecentDeals = ConstU32<128>;
    // Deal logs keep RPT's largest window only (blocks).
    type LogWindow = ConstU32<RPT_MAX_WINDOW>;
    // Deals with one counterparty that count for PR or DC in any window.
    type MaxDealsPerCounterparty = ConstU32<2>;
    // Deal logs swept for stale entries per block, in on_idle, from the
    // weight the block left; a log is at most 4.6 kB. Each new log needs a
    // finished sale (five calls, the minimum price held), so few appear a
    // block.
    type MaxSweepPerBlock = ConstU32<512>;
    type WeightInfo = pallet_pdash::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    /// The private market's well-known proxy account; governance binds it
    /// to the market's agent.
    pub MarketAgentProxy: AccountId = PalletId(*b"cpc/mrkt").into_account_truncating();
}

impl pallet_private_market::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Proxies = ProxyRegister;
    type AgentProxy = MarketAgentProxy;
    type GovernanceOrigin = GovernanceOrigin;
    type MaxMetaLen = ConstU32<1024>;
    type MaxSealedLen = ConstU32<4096>;
    // An x25519 ephemeral key, a nonce, a 32-byte key and a tag, with room.
    type MaxKeyBoxLen = ConstU32<128>;
    type ItemDepositBase = ConstU128<DEPOSIT_PER_ENTRY>;
    type ItemDepositPerByte = ConstU128<DEPOSIT_PER_BYTE>;
    type MaxItemsPerSeller = ConstU32<64>;
    type MaxOrdersPerItem = ConstU32<64>;
    // One open order per buyer and item: a second copy of the same item
    // adds nothing, and more would let one buyer squat several slots.
    type MaxOpenOrdersPerBuyer = ConstU32<1>;
    type DeliveryTimeout = ConstU32<DAYS>;
    type CheckTimeout = ConstU32<{ 3 * DAYS }>;
    type ReleaseTimeout = ConstU32<{ 3 * DAYS }>;
    type DisputeTimeout = ConstU32<{ 14 * DAYS }>;
    type DisputeBondRatio = MarketDisputeBondRatio;
    type DisputeBondMinimum = ConstU128<CPC>;
    type TimeoutSellerShare = MarketTimeoutSellerShare;
    // A rejected buyer's account waits an hour before ordering that item
    // again, so rejected rounds need fresh Sybil accounts.
    type RejectionCooldown = ConstU32<HOURS>;
    type WeightInfo = pallet_private_market::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    /// Each side of a private-market dispute holds 10 % of the price (at
    /// least 1 CPC); the side the ruling goes against loses it.
    pub const MarketDisputeBondRatio: Permill = Permill::from_percent(10);
    /// An unresolved dispute favours neither side: the price is halved.
    pub const MarketTimeoutSellerShare: Permill = Permill::from_percent(50);
}

/// RPT's largest window: about 5 minutes at 3 s blocks, as in the original
/// (100 blocks). It bounds the per-account activity logs.
pub const RPT_MAX_WINDOW: u32 = 100;

impl pallet_rpt::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type Currency = Balances;
    type Uploads = Register;
    type Deals = Pdash;
    type Population = Campaign;
    type Impeachments = Dpor;
    type MaxPopulation = ConstU32<100>;
    type MaxWindow = ConstU32<RPT_MAX_WINDOW>;
    // Activity logs swept for stale records per block, in on_idle, from
    // the weight the block left: at most 2,048, about 120 ms of the 2 s
    // block (20 us + 7.3 us a log, and a read and a write each). It keeps
    // up with 2,048 new senders a block, about as many transfers as a block
    // holds; at 256 a fee-paying attacker could outrun it (review finding).
    type MaxSweepPerBlock = ConstU32<2_048>;
    type UpdateOrigin = GovernanceOrigin;
    type WeightInfo = pallet_rpt::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    /// The original rnode contract's bond.
    pub const RnodeBond: Balance = 200_000 * CPC;
    /// An RNode stays at least a week.
    pub const RnodeLockPeriod: BlockNumber = 7 * DAYS;
    /// Held per claimed term.
    pub const CampaignBaseDeposit: Balance = 10_000 * CPC;
}

impl pallet_campaign::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Admission = Admission;
    type Rpt = Rpt;
    type Terms = Dpor;
    type GovernanceOrigin = GovernanceOrigin;
    type RnodeBond = RnodeBond;
    type RnodeLockPeriod = RnodeLockPeriod;
    type BaseDeposit = CampaignBaseDeposit;
    type MinTerms = ConstU32<1>;
    type MaxTerms = ConstU32<3>;
    // RPT ranks at most 100 accounts, as the original had at most 100 RNodes.
    type MaxRnodes = ConstU32<100>;
    type WeightInfo = pallet_campaign::weights::SubstrateWeight<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = AnyNonceAdmits;
}

/// Benchmarks make admission accept any nonce (difficulty 0) over a known
/// recent block; the hashing cost is the same at every difficulty.
#[cfg(feature = "runtime-benchmarks")]
pub struct AnyNonceAdmits;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_campaign::BenchmarkHelper<AccountId, BlockNumber> for AnyNonceAdmits {
    fn valid_proofs(
        _: &AccountId,
    ) -> (
        cpchain_primitives::traits::AdmissionProof<BlockNumber>,
        cpchain_primitives::traits::AdmissionProof<BlockNumber>,
    ) {
        pallet_admission::CpuDifficulty::<Runtime>::put(0);
        pallet_admission::MemoryDifficulty::<Runtime>::put(0);
        let now = System::block_number().max(1);
        System::set_block_number(now);
        let block_number = now - 1;
        frame_system::BlockHash::<Runtime>::insert(block_number, Hash::repeat_byte(7));
        let proof = cpchain_primitives::traits::AdmissionProof {
            block_number,
            nonce: 0,
        };
        (proof, proof)
    }

    /// RPT ranks the account balance: a joiner richer than every RNode
    /// (whose other dimensions are as empty as theirs) outranks them.
    fn rank_above_rnodes(who: &AccountId) {
        use frame_support::traits::fungible::{Inspect, Mutate};
        let richest = pallet_campaign::Rnodes::<Runtime>::iter_keys()
            .map(|rnode| Balances::total_balance(&rnode))
            .max()
            .unwrap_or_default();
        let _ = Balances::set_balance(
            who,
            richest.saturating_mul(2).saturating_add(RnodeBond::get()),
        );
    }
}

parameter_types! {
    pub const MaxValidators: u32 = 100;
}

impl pallet_dpor::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type Currency = Balances;
    type Candidates = Campaign;
    type Rpt = Rpt;
    type GovernanceOrigin = GovernanceOrigin;
    type MaxValidators = MaxValidators;
    type MaxProposers = ConstU32<32>;
    type MaxRewardYears = ConstU32<20>;
    type MillisecsPerYear = ConstU64<MILLISECS_PER_YEAR>;
    type ProposerAccount = sp_runtime::traits::ConvertInto;
    type ProposerKey = AccountSealKey;
    type MaxCandidates = <Runtime as pallet_campaign::Config>::MaxRnodes;
    type WeightInfo = pallet_dpor::weights::SubstrateWeight<Runtime>;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Keys = crate::opaque::SessionKeys;
    type KeyDeposit = KeyDeposit;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = KeystoreSessionKeys;
}

parameter_types! {
    /// A registered key takes two entries (account to key, key to account)
    /// of about 80 bytes each.
    pub const KeyDeposit: Balance = DEPOSIT_PER_ENTRY + 160 * DEPOSIT_PER_BYTE;
}

/// Session keys generated in the benchmark's keystore, as
/// `author_rotateKeysWithOwner` generates them on a node.
#[cfg(feature = "runtime-benchmarks")]
pub struct KeystoreSessionKeys;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_dpor::BenchmarkHelper<crate::opaque::SessionKeys> for KeystoreSessionKeys {
    fn keys_with_proof(owner: &[u8]) -> (crate::opaque::SessionKeys, alloc::vec::Vec<u8>) {
        let generated = crate::opaque::SessionKeys::generate(owner, None);
        (generated.keys, codec::Encode::encode(&generated.proof))
    }
}

/// A proposer's account is its sr25519 sealing key, which also proves its
/// VRF.
pub struct AccountSealKey;
impl sp_runtime::traits::Convert<AccountId, Option<sp_core::sr25519::Public>> for AccountSealKey {
    fn convert(account: AccountId) -> Option<sp_core::sr25519::Public> {
        Some(sp_core::sr25519::Public::from_raw(
            *AsRef::<[u8; 32]>::as_ref(&account),
        ))
    }
}

/// Unsigned transactions the runtime submits for the node: equivocation
/// reports.
impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Runtime
where
    RuntimeCall: From<LocalCall>,
{
    type Extrinsic = crate::UncheckedExtrinsic;
    type RuntimeCall = RuntimeCall;
}

impl<LocalCall> frame_system::offchain::CreateBare<LocalCall> for Runtime
where
    RuntimeCall: From<LocalCall>,
{
    fn create_bare(call: RuntimeCall) -> crate::UncheckedExtrinsic {
        crate::UncheckedExtrinsic::new_bare(call)
    }
}
