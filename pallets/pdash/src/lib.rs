//! # PDash
//!
//! PDash's data trading: a buyer orders an item from a seller through a
//! registered proxy that fetches the data and delivers it. All funds are
//! held with the fungible hold API, never moved to a pallet account, and
//! every way an order ends releases or transfers them by one explicit rule.
//! The buyer's storage deposit for the order goes back in every row.
//!
//! | How the order ends | Price | Proxy fee | Seller's bond | Buyer's dispute bond |
//! |---|---|---|---|---|
//! | buyer confirms, or stays silent past `CheckTimeout` | to seller | to proxy | released | (none) |
//! | buyer cancels before the seller confirms, or seller silent past `ConfirmTimeout` | released | released | (none) | (none) |
//! | proxy silent past `DeliveryTimeout` | released | released | released | (none) |
//! | dispute resolved for the seller | to seller | to proxy | released | to seller |
//! | dispute resolved for the buyer | released | released | to buyer | released |
//! | dispute unresolved past `DisputeTimeout` | `TimeoutSellerShare` to seller, the rest released | to proxy | released | released |
//!
//! Disputes follow the rule shared with the private market
//! ([`cpchain_primitives::dispute`]): the buyer holds a dispute bond
//! (`DisputeBondRatio` of the price, at least `MinDisputeBond`) when it
//! disputes, the seller's bond is the seller's stake, and the loser's bond
//! goes to the winner. A dispute nobody rules on favours neither side. The
//! proxy is paid its fee then, since it delivered and nothing showed the
//! delivery wrong; it loses the fee only when the buyer wins. A proxy's
//! bond is not slashed when the buyer wins: the ruling is between buyer and
//! seller and does not say whether the seller's data or the proxy's
//! delivery was wrong, and the buyer is already made whole from the
//! seller's bond.
//!
//! The state machine: `Created → SellerConfirmed → ProxyFetched →
//! ProxyDelivered → (finished)`, with `Disputed` after delivery. Each state
//! has a deadline; after it, anyone may call [`Pallet::claim_timeout`] to
//! apply the rule above, so no order can leave funds stuck. Finished orders
//! are removed from storage; the buyer may rate seller and proxy when it
//! confirms.
//!
//! ## No cheap reputation
//!
//! Finished sales (the first and fourth rows) are logged per proxy and per
//! buyer, for RPT's proxy reputation (PR) and data contribution (DC)
//! ([`cpchain_primitives::traits::DealCounter`]). Reputation from a deal
//! must cost something real:
//!
//! - **Minimum price.** A price is at least [`MinimumPrice`], which
//!   governance sets (`ArbiterOrigin`, never below the existential deposit).
//! - **Registered, bonded proxies.** A proxy registers with
//!   [`Pallet::register_proxy`], holding `ProxyBond` and a storage deposit
//!   for its entry; `place_order` refuses an unregistered proxy, and
//!   [`Pallet::unregister_proxy`] returns both only when no order through
//!   the proxy is open.
//! - **No deals between linked parties.** Buyer, seller and proxy are three
//!   different accounts; the proxy bonds itself, so no party can bond a
//!   proxy for it.
//! - **A cap per counterparty.** Each log entry carries the counterparty
//!   (the buyer for a proxy's deal, the seller for a buyer's purchase); a
//!   deal is not logged when the log already holds
//!   `MaxDealsPerCounterparty` deals with that counterparty within
//!   `LogWindow` (RPT's largest window). Every entry in any RPT window lies
//!   within `LogWindow` of the newest, so no window counts more than the
//!   cap of deals with one counterparty.
//!
//! What cannot be detected: Sybils with separate funds look like strangers
//! on chain. The rules above bound what they gain: each Sybil pair gives at
//! most the cap of deals a window, each deal locks at least the minimum
//! price, the fee and the storage deposit until it ends and pays the
//! transaction fees of five calls, and each Sybil proxy keeps `ProxyBond`
//! held, so reputation grows with capital tied up, not with a few fees.
//!
//! ## No free state
//!
//! An order holds a storage deposit from the buyer (`DepositBase` plus
//! `DepositPerByte` for each byte it stores), returned when the order ends.
//! Deal logs drop entries older than `LogWindow` when written, and an
//! idle-time sweep (`on_idle`, at most `MaxSweepPerBlock` logs a block,
//! resuming where the previous block stopped) drops them from logs nobody
//! writes, so an account that dealt once keeps no entry, nor key.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use cpchain_primitives::{
    dispute::{self, Ruling},
    recent,
    traits::DealCounter,
};
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{Inspect, Mutate, MutateHold},
        tokens::{Fortitude, Precision, Restriction},
    },
};
use frame_system::pallet_prelude::*;
use sp_runtime::{
    traits::{CheckedAdd, Saturating, Zero},
    Permill,
};

pub mod migrations;

pub type BalanceOf<T> =
    <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
pub type OrderId = u64;

#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
)]
pub enum OrderState {
    /// Waiting for the seller to confirm.
    Created,
    /// Waiting for the proxy to fetch the data.
    SellerConfirmed,
    /// Waiting for the proxy to deliver the data.
    ProxyFetched,
    /// Waiting for the buyer to confirm or dispute.
    ProxyDelivered,
    /// Waiting for governance.
    Disputed,
}

#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct Order<AccountId, Balance, BlockNumber> {
    pub buyer: AccountId,
    pub seller: AccountId,
    pub proxy: AccountId,
    /// What is bought: the hash of the item's description.
    pub item: [u8; 32],
    pub price: Balance,
    pub proxy_fee: Balance,
    /// Held from the seller on confirmation.
    pub seller_bond: Balance,
    pub state: OrderState,
    /// The last block of the current state's waiting period.
    pub deadline: BlockNumber,
    /// The hash of what the proxy delivered.
    pub delivery: Option<[u8; 32]>,
}

pub type OrderOf<T> =
    Order<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// What an order holds from its buyer besides the escrow. Kept beside the
/// order, so that orders placed before these holds existed read as zero.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct BuyerHolds<Balance> {
    /// For the order's storage, returned when it ends.
    pub storage_deposit: Balance,
    /// Held when the buyer disputes.
    pub dispute_bond: Balance,
    /// The order counts in its proxy's `open_orders` (false for orders
    /// placed before proxies registered).
    pub counted_by_proxy: bool,
}

/// A registered proxy.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct ProxyInfo<Balance> {
    /// Held as `HoldReason::ProxyBond`.
    pub bond: Balance,
    /// Held as `HoldReason::StorageDeposit`, for this entry.
    pub deposit: Balance,
    /// Orders through this proxy not yet ended.
    pub open_orders: u32,
}

/// A finished deal in an account's log: when, and with whom.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct Deal<AccountId, BlockNumber> {
    pub block: BlockNumber,
    /// The buyer, in a proxy's log; the seller, in a buyer's log.
    pub counterparty: AccountId,
}

pub type DealOf<T> = Deal<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
pub type DealLog<T> = BoundedVec<DealOf<T>, <T as Config>::MaxRecentDeals>;

/// Scores from 1 (bad) to 5 (good).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
)]
pub struct Rating {
    pub seller: u8,
    pub proxy: u8,
}

/// An account's accumulated ratings.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Encode, Decode, TypeInfo, MaxEncodedLen)]
pub struct RatingTotal {
    pub sum: u64,
    pub count: u32,
}

#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
)]
pub enum Verdict {
    /// The delivery was right: the seller and proxy are paid, and the
    /// seller gets the buyer's dispute bond.
    ForSeller,
    /// The delivery was wrong: the buyer is refunded and gets the seller's bond.
    ForBuyer,
}

impl From<Verdict> for Ruling {
    fn from(verdict: Verdict) -> Ruling {
        match verdict {
            Verdict::ForSeller => Ruling::ForSeller,
            Verdict::ForBuyer => Ruling::ForBuyer,
        }
    }
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;

    /// The layout of this pallet's storage; raise it with a migration in
    /// `migrations.rs` whenever stored types change. Version 1: deal logs
    /// carry the counterparty.
    pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::composite_enum]
    pub enum HoldReason {
        /// A buyer's price and proxy fee, while its order is open.
        BuyerEscrow,
        /// A seller's bond, while an order it confirmed is open.
        SellerBond,
        /// A registered proxy's bond.
        ProxyBond,
        /// For state an account keeps: its open orders, its proxy entry.
        StorageDeposit,
        /// A buyer's bond while its dispute is open.
        DisputeBond,
    }

    #[pallet::config]
    pub trait Config: frame_system::Config {
        #[allow(deprecated)]
        type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
        type Currency: Inspect<Self::AccountId>
            + Mutate<Self::AccountId>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        type RuntimeHoldReason: From<HoldReason>;
        /// Who resolves disputes and sets the minimum price: governance.
        type ArbiterOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// The seller's bond as a share of the price.
        #[pallet::constant]
        type SellerBondRatio: Get<Permill>;
        /// The buyer's dispute bond as a share of the price.
        #[pallet::constant]
        type DisputeBondRatio: Get<Permill>;
        /// The smallest dispute bond, so that disputing a cheap item still
        /// costs something.
        #[pallet::constant]
        type MinDisputeBond: Get<BalanceOf<Self>>;
        /// The seller's share of the price when a dispute times out.
        #[pallet::constant]
        type TimeoutSellerShare: Get<Permill>;
        /// The minimum price until governance sets one (never below the
        /// existential deposit, whatever is configured).
        #[pallet::constant]
        type DefaultMinimumPrice: Get<BalanceOf<Self>>;
        /// Held from a proxy while it is registered.
        #[pallet::constant]
        type ProxyBond: Get<BalanceOf<Self>>;
        /// A storage deposit: this per entry ...
        #[pallet::constant]
        type DepositBase: Get<BalanceOf<Self>>;
        /// ... plus this per byte stored.
        #[pallet::constant]
        type DepositPerByte: Get<BalanceOf<Self>>;
        /// Blocks the seller has to confirm an order.
        #[pallet::constant]
        type ConfirmTimeout: Get<BlockNumberFor<Self>>;
        /// Blocks the proxy has to fetch, and again to deliver.
        #[pallet::constant]
        type DeliveryTimeout: Get<BlockNumberFor<Self>>;
        /// Blocks the buyer has to confirm or dispute a delivery.
        #[pallet::constant]
        type CheckTimeout: Get<BlockNumberFor<Self>>;
        /// Blocks governance has to resolve a dispute.
        #[pallet::constant]
        type DisputeTimeout: Get<BlockNumberFor<Self>>;
        /// Finished deals kept per account for RPT's window counts.
        #[pallet::constant]
        type MaxRecentDeals: Get<u32>;
        /// RPT's largest window, in blocks: older deals are dropped.
        #[pallet::constant]
        type LogWindow: Get<u32>;
        /// Deals with one counterparty an account's log keeps within
        /// `LogWindow`.
        #[pallet::constant]
        type MaxDealsPerCounterparty: Get<u32>;
        /// At most this many deal logs are swept for stale entries in a
        /// block (in `on_idle`, and only as far as the weight left allows).
        #[pallet::constant]
        type MaxSweepPerBlock: Get<u32>;
        type WeightInfo: WeightInfo;
    }

    /// Open orders.
    #[pallet::storage]
    pub type Orders<T: Config> = StorageMap<_, Twox64Concat, OrderId, OrderOf<T>>;

    /// The storage deposit and dispute bond each open order holds from its
    /// buyer.
    #[pallet::storage]
    pub type OrderHolds<T: Config> =
        StorageMap<_, Twox64Concat, OrderId, BuyerHolds<BalanceOf<T>>, ValueQuery>;

    #[pallet::storage]
    pub type NextOrderId<T> = StorageValue<_, OrderId, ValueQuery>;

    #[pallet::type_value]
    pub fn DefaultMinimumPrice<T: Config>() -> BalanceOf<T> {
        T::DefaultMinimumPrice::get()
    }

    /// The lowest price an order may have; the existential deposit if this
    /// is lower.
    #[pallet::storage]
    pub type MinimumPrice<T: Config> =
        StorageValue<_, BalanceOf<T>, ValueQuery, DefaultMinimumPrice<T>>;

    /// Registered proxies.
    #[pallet::storage]
    pub type Proxies<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, ProxyInfo<BalanceOf<T>>>;

    /// The latest deals each account finished as a proxy, within `LogWindow`.
    #[pallet::storage]
    pub type ProxyDeals<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, DealLog<T>, ValueQuery>;

    /// The latest purchases each account finished as a buyer, within
    /// `LogWindow`.
    #[pallet::storage]
    pub type Purchases<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, DealLog<T>, ValueQuery>;

    /// Where the idle sweep of `ProxyDeals` resumes.
    #[pallet::storage]
    pub type ProxyDealsSweep<T: Config> = StorageValue<_, T::AccountId>;

    /// Where the idle sweep of `Purchases` resumes.
    #[pallet::storage]
    pub type PurchasesSweep<T: Config> = StorageValue<_, T::AccountId>;

    /// Ratings received as a seller.
    #[pallet::storage]
    pub type SellerRatings<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, RatingTotal, ValueQuery>;

    /// Ratings received as a proxy.
    #[pallet::storage]
    pub type ProxyRatings<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, RatingTotal, ValueQuery>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        OrderPlaced {
            id: OrderId,
            buyer: T::AccountId,
            seller: T::AccountId,
            proxy: T::AccountId,
            price: BalanceOf<T>,
            proxy_fee: BalanceOf<T>,
            storage_deposit: BalanceOf<T>,
        },
        SellerConfirmed {
            id: OrderId,
            bond: BalanceOf<T>,
        },
        ProxyFetched {
            id: OrderId,
        },
        ProxyDelivered {
            id: OrderId,
            delivery: [u8; 32],
        },
        /// Seller and proxy were paid.
        OrderFinished {
            id: OrderId,
            rating: Option<Rating>,
        },
        Disputed {
            id: OrderId,
            bond: BalanceOf<T>,
        },
        DisputeResolved {
            id: OrderId,
            verdict: Verdict,
        },
        /// Nobody ruled in time: the price was split, bonds went back.
        DisputeTimedOut {
            id: OrderId,
            to_seller: BalanceOf<T>,
            to_buyer: BalanceOf<T>,
        },
        /// The order ended without a sale; funds went back by the timeout or cancel rule.
        OrderRefunded {
            id: OrderId,
        },
        ProxyRegistered {
            proxy: T::AccountId,
            bond: BalanceOf<T>,
            deposit: BalanceOf<T>,
        },
        ProxyUnregistered {
            proxy: T::AccountId,
        },
        MinimumPriceSet {
            price: BalanceOf<T>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        UnknownOrder,
        /// Only the order's buyer may do this.
        NotBuyer,
        /// Only the order's seller may do this.
        NotSeller,
        /// Only the order's proxy may do this.
        NotProxy,
        /// The order is not in the state this call needs.
        WrongState,
        /// The current state's deadline passed; claim the timeout instead.
        DeadlinePassed,
        /// The current state's deadline has not passed yet.
        DeadlineNotReached,
        /// A price below [`MinimumPrice`] (or the existential deposit).
        PriceBelowMinimum,
        /// A non-zero proxy fee below the existential deposit: paid to a
        /// proxy without an account it could not be credited and would stay
        /// held.
        FeeBelowExistentialDeposit,
        /// Buyer, seller and proxy must be three different accounts.
        SameParty,
        /// Ratings range from 1 to 5.
        BadRating,
        /// The amounts overflow.
        Overflow,
        /// The proxy is not registered.
        NotRegisteredProxy,
        /// The account is already a registered proxy.
        AlreadyRegistered,
        /// Orders through the proxy are still open.
        ProxyHasOpenOrders,
        /// A minimum price below the existential deposit: a smaller payout
        /// could stay held for good.
        MinimumBelowExistentialDeposit,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        #[cfg(feature = "try-runtime")]
        fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }

        /// Sweeps as many deal logs as the weight left affords, at most
        /// `MaxSweepPerBlock`, and gives the weight of what it did.
        fn on_idle(_: BlockNumberFor<T>, remaining: Weight) -> Weight {
            recent::idle_sweep(
                remaining,
                T::WeightInfo::sweep,
                T::MaxSweepPerBlock::get(),
                Self::sweep_stale_logs,
            )
        }

        fn integrity_test() {
            assert!(
                recent::sweep_weight_grows(T::WeightInfo::sweep),
                "pdash: sweep(n) must grow with n"
            );
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Orders `item` from `seller` through the registered `proxy`; holds
        /// price + fee and the order's storage deposit.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::place_order())]
        pub fn place_order(
            origin: OriginFor<T>,
            seller: T::AccountId,
            proxy: T::AccountId,
            item: [u8; 32],
            price: BalanceOf<T>,
            proxy_fee: BalanceOf<T>,
        ) -> DispatchResult {
            let buyer = ensure_signed(origin)?;
            ensure!(
                price >= Self::minimum_price(),
                Error::<T>::PriceBelowMinimum
            );
            ensure!(
                proxy_fee.is_zero() || proxy_fee >= T::Currency::minimum_balance(),
                Error::<T>::FeeBelowExistentialDeposit
            );
            ensure!(
                buyer != seller && buyer != proxy && seller != proxy,
                Error::<T>::SameParty
            );
            let mut info = Proxies::<T>::get(&proxy).ok_or(Error::<T>::NotRegisteredProxy)?;
            info.open_orders = info
                .open_orders
                .checked_add(1)
                .ok_or(Error::<T>::Overflow)?;
            let escrow = price.checked_add(&proxy_fee).ok_or(Error::<T>::Overflow)?;
            let id = NextOrderId::<T>::get();
            let next_id = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
            let storage_deposit = Self::order_deposit();
            T::Currency::hold(&HoldReason::BuyerEscrow.into(), &buyer, escrow)?;
            T::Currency::hold(&HoldReason::StorageDeposit.into(), &buyer, storage_deposit)?;
            Orders::<T>::insert(
                id,
                Order {
                    buyer: buyer.clone(),
                    seller: seller.clone(),
                    proxy: proxy.clone(),
                    item,
                    price,
                    proxy_fee,
                    seller_bond: Zero::zero(),
                    state: OrderState::Created,
                    deadline: Self::deadline_after(T::ConfirmTimeout::get()),
                    delivery: None,
                },
            );
            OrderHolds::<T>::insert(
                id,
                BuyerHolds {
                    storage_deposit,
                    dispute_bond: Zero::zero(),
                    counted_by_proxy: true,
                },
            );
            Proxies::<T>::insert(&proxy, info);
            NextOrderId::<T>::put(next_id);
            Self::deposit_event(Event::OrderPlaced {
                id,
                buyer,
                seller,
                proxy,
                price,
                proxy_fee,
                storage_deposit,
            });
            Ok(())
        }

        /// The seller accepts the order; holds its bond.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::seller_confirm())]
        pub fn seller_confirm(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut order = Self::open_order(id, OrderState::Created)?;
            ensure!(who == order.seller, Error::<T>::NotSeller);
            let bond = T::SellerBondRatio::get() * order.price;
            T::Currency::hold(&HoldReason::SellerBond.into(), &who, bond)?;
            order.seller_bond = bond;
            order.state = OrderState::SellerConfirmed;
            order.deadline = Self::deadline_after(T::DeliveryTimeout::get());
            Orders::<T>::insert(id, order);
            Self::deposit_event(Event::SellerConfirmed { id, bond });
            Ok(())
        }

        /// The proxy fetched the data from the seller.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::proxy_fetched())]
        pub fn proxy_fetched(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut order = Self::open_order(id, OrderState::SellerConfirmed)?;
            ensure!(who == order.proxy, Error::<T>::NotProxy);
            order.state = OrderState::ProxyFetched;
            order.deadline = Self::deadline_after(T::DeliveryTimeout::get());
            Orders::<T>::insert(id, order);
            Self::deposit_event(Event::ProxyFetched { id });
            Ok(())
        }

        /// The proxy delivered the data to the buyer; `delivery` is its hash.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::proxy_delivered())]
        pub fn proxy_delivered(
            origin: OriginFor<T>,
            id: OrderId,
            delivery: [u8; 32],
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut order = Self::open_order(id, OrderState::ProxyFetched)?;
            ensure!(who == order.proxy, Error::<T>::NotProxy);
            order.state = OrderState::ProxyDelivered;
            order.delivery = Some(delivery);
            order.deadline = Self::deadline_after(T::CheckTimeout::get());
            Orders::<T>::insert(id, order);
            Self::deposit_event(Event::ProxyDelivered { id, delivery });
            Ok(())
        }

        /// The buyer accepts the delivery, optionally rating seller and proxy.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::buyer_confirm())]
        pub fn buyer_confirm(
            origin: OriginFor<T>,
            id: OrderId,
            rating: Option<Rating>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let order = Self::open_order(id, OrderState::ProxyDelivered)?;
            ensure!(who == order.buyer, Error::<T>::NotBuyer);
            if let Some(rating) = rating {
                let valid = |score: u8| (1..=5).contains(&score);
                ensure!(
                    valid(rating.seller) && valid(rating.proxy),
                    Error::<T>::BadRating
                );
            }
            Self::settle_order(id, &order, Ruling::ForSeller)?;
            if let Some(rating) = rating {
                SellerRatings::<T>::mutate(&order.seller, |total| total.add(rating.seller));
                ProxyRatings::<T>::mutate(&order.proxy, |total| total.add(rating.proxy));
            }
            Self::deposit_event(Event::OrderFinished { id, rating });
            Ok(())
        }

        /// The buyer contests the delivery and holds its dispute bond;
        /// governance decides.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::dispute())]
        pub fn dispute(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut order = Self::open_order(id, OrderState::ProxyDelivered)?;
            ensure!(who == order.buyer, Error::<T>::NotBuyer);
            let bond = dispute::bond(
                order.price,
                T::DisputeBondRatio::get(),
                T::MinDisputeBond::get(),
            );
            T::Currency::hold(&HoldReason::DisputeBond.into(), &who, bond)?;
            OrderHolds::<T>::mutate(id, |holds| holds.dispute_bond = bond);
            order.state = OrderState::Disputed;
            order.deadline = Self::deadline_after(T::DisputeTimeout::get());
            Orders::<T>::insert(id, order);
            Self::deposit_event(Event::Disputed { id, bond });
            Ok(())
        }

        /// Governance resolves a dispute: the loser's bond goes to the
        /// winner (see the pallet docs).
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::resolve_dispute())]
        pub fn resolve_dispute(
            origin: OriginFor<T>,
            id: OrderId,
            verdict: Verdict,
        ) -> DispatchResult {
            T::ArbiterOrigin::ensure_origin(origin)?;
            let order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
            ensure!(order.state == OrderState::Disputed, Error::<T>::WrongState);
            Self::settle_order(id, &order, verdict.into())?;
            Self::deposit_event(Event::DisputeResolved { id, verdict });
            Ok(())
        }

        /// The buyer withdraws an order the seller has not confirmed.
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::cancel())]
        pub fn cancel(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
            ensure!(who == order.buyer, Error::<T>::NotBuyer);
            ensure!(order.state == OrderState::Created, Error::<T>::WrongState);
            Self::refund(id, &order)
        }

        /// After the current state's deadline, applies its timeout rule (see
        /// the pallet docs). Anyone may call it.
        #[pallet::call_index(8)]
        #[pallet::weight(
            T::WeightInfo::claim_timeout().max(T::WeightInfo::claim_timeout_unresolved())
        )]
        pub fn claim_timeout(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
            ensure_signed(origin)?;
            let order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
            ensure!(
                frame_system::Pallet::<T>::block_number() > order.deadline,
                Error::<T>::DeadlineNotReached
            );
            match order.state {
                // The buyer stayed silent: the delivery counts as accepted.
                OrderState::ProxyDelivered => {
                    Self::settle_order(id, &order, Ruling::ForSeller)?;
                    Self::deposit_event(Event::OrderFinished { id, rating: None });
                    Ok(())
                }
                // Nobody ruled: neither side is favoured.
                OrderState::Disputed => {
                    let split = Self::settle_order(id, &order, Ruling::Unresolved)?;
                    Self::deposit_event(Event::DisputeTimedOut {
                        id,
                        to_seller: split.price_to_seller,
                        to_buyer: split.price_to_buyer,
                    });
                    Ok(())
                }
                OrderState::Created | OrderState::SellerConfirmed | OrderState::ProxyFetched => {
                    Self::refund(id, &order)
                }
            }
        }

        /// Registers the caller as a proxy, holding `ProxyBond` and a
        /// storage deposit for its entry.
        #[pallet::call_index(9)]
        #[pallet::weight(T::WeightInfo::register_proxy())]
        pub fn register_proxy(origin: OriginFor<T>) -> DispatchResult {
            let proxy = ensure_signed(origin)?;
            ensure!(
                !Proxies::<T>::contains_key(&proxy),
                Error::<T>::AlreadyRegistered
            );
            let bond = T::ProxyBond::get();
            let deposit = Self::deposit_for(
                ProxyInfo::<BalanceOf<T>>::max_encoded_len()
                    .saturating_add(T::AccountId::max_encoded_len()),
            );
            Self::hold(HoldReason::ProxyBond, &proxy, bond)?;
            Self::hold(HoldReason::StorageDeposit, &proxy, deposit)?;
            Proxies::<T>::insert(
                &proxy,
                ProxyInfo {
                    bond,
                    deposit,
                    open_orders: 0,
                },
            );
            Self::deposit_event(Event::ProxyRegistered {
                proxy,
                bond,
                deposit,
            });
            Ok(())
        }

        /// Unregisters the caller as a proxy and returns its bond and
        /// deposit; only when no order through it is open.
        #[pallet::call_index(10)]
        #[pallet::weight(T::WeightInfo::unregister_proxy())]
        pub fn unregister_proxy(origin: OriginFor<T>) -> DispatchResult {
            let proxy = ensure_signed(origin)?;
            let info = Proxies::<T>::get(&proxy).ok_or(Error::<T>::NotRegisteredProxy)?;
            ensure!(info.open_orders == 0, Error::<T>::ProxyHasOpenOrders);
            Self::release(HoldReason::ProxyBond, &proxy, info.bond)?;
            Self::release(HoldReason::StorageDeposit, &proxy, info.deposit)?;
            Proxies::<T>::remove(&proxy);
            Self::deposit_event(Event::ProxyUnregistered { proxy });
            Ok(())
        }

        /// Sets the lowest price an order may have. Governance only; never
        /// below the existential deposit.
        #[pallet::call_index(11)]
        #[pallet::weight(T::WeightInfo::set_minimum_price())]
        pub fn set_minimum_price(origin: OriginFor<T>, price: BalanceOf<T>) -> DispatchResult {
            T::ArbiterOrigin::ensure_origin(origin)?;
            ensure!(
                price >= T::Currency::minimum_balance(),
                Error::<T>::MinimumBelowExistentialDeposit
            );
            MinimumPrice::<T>::put(price);
            Self::deposit_event(Event::MinimumPriceSet { price });
            Ok(())
        }
    }
}

impl RatingTotal {
    fn add(&mut self, score: u8) {
        self.sum = self.sum.saturating_add(u64::from(score));
        self.count = self.count.saturating_add(1);
    }
}

impl<T: Config> Pallet<T> {
    /// PDash's invariants: each hold is the sum of what the open orders and
    /// proxy entries say it is, each proxy's open-order count is its open
    /// orders, and every deal log is in block order.
    #[cfg(any(feature = "try-runtime", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use cpchain_primitives::try_state::{ensure_holds, sum_by_account};
        use frame_support::traits::fungible::InspectHold;
        let orders = || Orders::<T>::iter().map(|(id, order)| (OrderHolds::<T>::get(id), order));
        let held = |reason: HoldReason| {
            move |who: &T::AccountId| T::Currency::balance_on_hold(&reason.into(), who)
        };
        let escrow =
            sum_by_account(orders().map(|(_, o)| (o.buyer, o.price.saturating_add(o.proxy_fee))));
        ensure_holds(
            &escrow,
            held(HoldReason::BuyerEscrow),
            "pdash: escrow held is not the open orders' prices and fees",
        )?;
        let bonds = sum_by_account(orders().map(|(_, o)| (o.seller, o.seller_bond)));
        ensure_holds(
            &bonds,
            held(HoldReason::SellerBond),
            "pdash: bonds held are not the open orders' seller bonds",
        )?;
        let disputes = sum_by_account(orders().map(|(h, o)| (o.buyer, h.dispute_bond)));
        ensure_holds(
            &disputes,
            held(HoldReason::DisputeBond),
            "pdash: dispute bonds held are not the open disputes' bonds",
        )?;
        let deposits = sum_by_account(
            orders()
                .map(|(h, o)| (o.buyer, h.storage_deposit))
                .chain(Proxies::<T>::iter().map(|(who, info)| (who, info.deposit))),
        );
        ensure_holds(
            &deposits,
            held(HoldReason::StorageDeposit),
            "pdash: storage deposits held are not the orders' and proxies' deposits",
        )?;
        let proxy_bonds = sum_by_account(Proxies::<T>::iter().map(|(who, i)| (who, i.bond)));
        ensure_holds(
            &proxy_bonds,
            held(HoldReason::ProxyBond),
            "pdash: proxy bonds held are not the registered proxies' bonds",
        )?;
        for (proxy, info) in Proxies::<T>::iter() {
            let open = orders()
                .filter(|(h, o)| h.counted_by_proxy && o.proxy == proxy)
                .count() as u32;
            ensure!(
                info.open_orders == open,
                "pdash: a proxy's open-order count is not its open orders"
            );
        }
        ensure!(
            ProxyDeals::<T>::iter_values()
                .chain(Purchases::<T>::iter_values())
                .all(|log| log.windows(2).all(|pair| pair[0].block <= pair[1].block)),
            "pdash: a deal log is out of order"
        );
        Ok(())
    }

    /// The lowest price an order may have now.
    pub fn minimum_price() -> BalanceOf<T> {
        MinimumPrice::<T>::get().max(T::Currency::minimum_balance())
    }

    /// The storage deposit for an entry of `bytes` bytes.
    fn deposit_for(bytes: usize) -> BalanceOf<T> {
        let bytes: BalanceOf<T> = (bytes as u32).into();
        T::DepositBase::get().saturating_add(T::DepositPerByte::get().saturating_mul(bytes))
    }

    /// The storage deposit of an order: its entry and its holds' entry.
    pub fn order_deposit() -> BalanceOf<T> {
        Self::deposit_for(
            OrderOf::<T>::max_encoded_len()
                .saturating_add(BuyerHolds::<BalanceOf<T>>::max_encoded_len())
                .saturating_add(2 * OrderId::max_encoded_len()),
        )
    }

    fn deadline_after(blocks: BlockNumberFor<T>) -> BlockNumberFor<T> {
        frame_system::Pallet::<T>::block_number().saturating_add(blocks)
    }

    /// The order `id` in `state`, before its deadline.
    fn open_order(id: OrderId, state: OrderState) -> Result<OrderOf<T>, DispatchError> {
        let order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
        ensure!(order.state == state, Error::<T>::WrongState);
        ensure!(
            frame_system::Pallet::<T>::block_number() <= order.deadline,
            Error::<T>::DeadlinePassed
        );
        Ok(order)
    }

    fn hold(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
        if !amount.is_zero() {
            T::Currency::hold(&reason.into(), who, amount)?;
        }
        Ok(())
    }

    fn release(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
        if !amount.is_zero() {
            T::Currency::release(&reason.into(), who, amount, Precision::Exact)?;
        }
        Ok(())
    }

    /// Moves `amount` held for `reason` from `from` to `to`'s free balance.
    fn transfer_held(
        reason: HoldReason,
        from: &T::AccountId,
        to: &T::AccountId,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        if !amount.is_zero() {
            T::Currency::transfer_on_hold(
                &reason.into(),
                from,
                to,
                amount,
                Precision::Exact,
                Restriction::Free,
                Fortitude::Force,
            )?;
        }
        Ok(())
    }

    /// Gives `amount` held for `reason` from `from` to `to` when `moves`,
    /// else back to `from`.
    fn transfer_or_release(
        reason: HoldReason,
        moves: bool,
        from: &T::AccountId,
        to: &T::AccountId,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        if moves {
            Self::transfer_held(reason, from, to, amount)
        } else {
            Self::release(reason, from, amount)
        }
    }

    /// Ends a delivered order by `ruling` with the shared settlement rule
    /// (a confirmation, or the buyer's silence, is `ForSeller`), and logs
    /// the deal when it is a sale. Gives how the price was split.
    fn settle_order(
        id: OrderId,
        order: &OrderOf<T>,
        ruling: Ruling,
    ) -> Result<dispute::Settlement<BalanceOf<T>>, DispatchError> {
        let holds = OrderHolds::<T>::get(id);
        let split = dispute::settle(
            ruling,
            order.price,
            T::TimeoutSellerShare::get(),
            T::Currency::minimum_balance(),
        );
        let (buyer, seller) = (&order.buyer, &order.seller);
        Self::transfer_held(
            HoldReason::BuyerEscrow,
            buyer,
            seller,
            split.price_to_seller,
        )?;
        Self::release(HoldReason::BuyerEscrow, buyer, split.price_to_buyer)?;
        // The proxy delivered: it is paid unless the buyer won.
        let fee_to_proxy = ruling != Ruling::ForBuyer;
        Self::transfer_or_release(
            HoldReason::BuyerEscrow,
            fee_to_proxy,
            buyer,
            &order.proxy,
            order.proxy_fee,
        )?;
        Self::transfer_or_release(
            HoldReason::DisputeBond,
            split.buyer_bond_to_seller,
            buyer,
            seller,
            holds.dispute_bond,
        )?;
        Self::transfer_or_release(
            HoldReason::SellerBond,
            split.seller_bond_to_buyer,
            seller,
            buyer,
            order.seller_bond,
        )?;
        if ruling == Ruling::ForSeller {
            Self::note_deal(order);
        }
        Self::close(id, order, &holds)?;
        Ok(split)
    }

    /// No sale: the buyer's escrow and the seller's bond go back.
    fn refund(id: OrderId, order: &OrderOf<T>) -> DispatchResult {
        let holds = OrderHolds::<T>::get(id);
        Self::release(
            HoldReason::BuyerEscrow,
            &order.buyer,
            order.price.saturating_add(order.proxy_fee),
        )?;
        Self::release(HoldReason::SellerBond, &order.seller, order.seller_bond)?;
        Self::release(HoldReason::DisputeBond, &order.buyer, holds.dispute_bond)?;
        Self::close(id, order, &holds)?;
        Self::deposit_event(Event::OrderRefunded { id });
        Ok(())
    }

    /// Removes an ended order: its storage deposit goes back and its proxy
    /// has one open order fewer.
    fn close(id: OrderId, order: &OrderOf<T>, holds: &BuyerHolds<BalanceOf<T>>) -> DispatchResult {
        Self::release(
            HoldReason::StorageDeposit,
            &order.buyer,
            holds.storage_deposit,
        )?;
        Orders::<T>::remove(id);
        OrderHolds::<T>::remove(id);
        if holds.counted_by_proxy {
            Proxies::<T>::mutate(&order.proxy, |info| {
                if let Some(info) = info {
                    info.open_orders = info.open_orders.saturating_sub(1);
                }
            });
        }
        Ok(())
    }

    /// Logs a sale for the proxy's reputation (with the buyer) and the
    /// buyer's data contribution (with the seller).
    fn note_deal(order: &OrderOf<T>) {
        Self::log_deal::<ProxyDeals<T>>(&order.proxy, &order.buyer);
        Self::log_deal::<Purchases<T>>(&order.buyer, &order.seller);
    }

    /// Appends a deal with `counterparty` to `who`'s log in `M`, after
    /// dropping stale entries, unless the log already holds
    /// `MaxDealsPerCounterparty` deals with it.
    fn log_deal<M>(who: &T::AccountId, counterparty: &T::AccountId)
    where
        M: frame_support::storage::StorageMap<T::AccountId, DealLog<T>>,
    {
        let now = frame_system::Pallet::<T>::block_number();
        let horizon = Self::log_horizon();
        M::mutate_exists(who, |maybe| {
            let mut log = maybe.take().unwrap_or_default();
            recent::prune(&mut log, |deal| deal.block <= horizon);
            let with_counterparty = log
                .iter()
                .filter(|deal| deal.counterparty == *counterparty)
                .count() as u32;
            if with_counterparty < T::MaxDealsPerCounterparty::get() {
                recent::push_evicting(
                    &mut log,
                    Deal {
                        block: now,
                        counterparty: counterparty.clone(),
                    },
                );
            }
            *maybe = (!log.is_empty()).then_some(log);
        });
    }

    /// Deals at or before this block have left every RPT window.
    fn log_horizon() -> BlockNumberFor<T> {
        frame_system::Pallet::<T>::block_number().saturating_sub(T::LogWindow::get().into())
    }

    /// Visits up to `limit` deal logs, `ProxyDeals` first, each map from
    /// where its previous sweep stopped; drops their stale entries and the
    /// logs left empty. Gives the logs visited.
    pub fn sweep_stale_logs(limit: u32) -> u32 {
        let horizon = Self::log_horizon();
        let stale = |deal: &DealOf<T>| deal.block <= horizon;
        let proxies = recent::sweep::<ProxyDeals<T>, ProxyDealsSweep<T>, _, _, _>(limit, stale);
        let buyers = recent::sweep::<Purchases<T>, PurchasesSweep<T>, _, _, _>(
            limit.saturating_sub(proxies),
            stale,
        );
        proxies.saturating_add(buyers)
    }

    fn count_between(log: &DealLog<T>, from: BlockNumberFor<T>, to: BlockNumberFor<T>) -> u32 {
        recent::count_between(log.iter().map(|deal| deal.block), &from, &to)
    }
}

impl<T: Config> DealCounter<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
    fn proxy_deals_between(
        proxy: &T::AccountId,
        from: BlockNumberFor<T>,
        to: BlockNumberFor<T>,
    ) -> u32 {
        Self::count_between(&ProxyDeals::<T>::get(proxy), from, to)
    }

    fn purchases_between(
        buyer: &T::AccountId,
        from: BlockNumberFor<T>,
        to: BlockNumberFor<T>,
    ) -> u32 {
        Self::count_between(&Purchases::<T>::get(buyer), from, to)
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn fill_logs_for_benchmarks(who: &T::AccountId, at: BlockNumberFor<T>) {
        let deals = (0..T::MaxRecentDeals::get()).map(|_| Deal {
            block: at,
            counterparty: who.clone(),
        });
        let log = DealLog::<T>::truncate_from(deals.collect());
        ProxyDeals::<T>::insert(who, log.clone());
        Purchases::<T>::insert(who, log);
    }
}
