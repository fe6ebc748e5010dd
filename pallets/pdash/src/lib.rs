//! # PDash
//!
//! PDash's data trading: a buyer orders an item from a seller through a
//! proxy that fetches the data and delivers it. All funds are held with the
//! fungible hold API, never moved to a pallet account, and every way an
//! order ends releases or transfers them by one explicit rule:
//!
//! | How the order ends | Buyer's escrow (price + proxy fee) | Seller's bond |
//! |---|---|---|
//! | buyer confirms, or stays silent past `CheckTimeout` | price to seller, fee to proxy | released |
//! | buyer cancels before the seller confirms, or seller silent past `ConfirmTimeout` | released | (none) |
//! | proxy silent past `DeliveryTimeout` | released | released |
//! | dispute resolved for the seller | price to seller, fee to proxy | released |
//! | dispute resolved for the buyer | released | transferred to the buyer |
//! | dispute unresolved past `DisputeTimeout` | released | released |
//!
//! The state machine: `Created → SellerConfirmed → ProxyFetched →
//! ProxyDelivered → (finished)`, with `Disputed` after delivery. Each state
//! has a deadline; after it, anyone may call [`Pallet::claim_timeout`] to
//! apply the rule above, so no order can leave funds stuck. Finished orders
//! are removed from storage; the buyer may rate seller and proxy when it
//! confirms.
//!
//! Finished deals are counted per proxy and per buyer over recent blocks,
//! for RPT's proxy reputation and data contribution
//! ([`cpchain_primitives::traits::DealCounter`]).

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

use cpchain_primitives::traits::DealCounter;
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
    /// The delivery was right: the seller and proxy are paid.
    ForSeller,
    /// The delivery was wrong: the buyer is refunded and gets the seller's bond.
    ForBuyer,
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;

    /// The layout of this pallet's storage; raise it with a migration in
    /// `migrations.rs` whenever stored types change.
    pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::composite_enum]
    pub enum HoldReason {
        /// A buyer's price and proxy fee, while its order is open.
        BuyerEscrow,
        /// A seller's bond, while an order it confirmed is open.
        SellerBond,
    }

    #[pallet::config]
    pub trait Config: frame_system::Config {
        #[allow(deprecated)]
        type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
        type Currency: Inspect<Self::AccountId>
            + Mutate<Self::AccountId>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        type RuntimeHoldReason: From<HoldReason>;
        /// Who resolves disputes: governance.
        type ArbiterOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// The seller's bond as a share of the price.
        #[pallet::constant]
        type SellerBondRatio: Get<Permill>;
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
        type WeightInfo: WeightInfo;
    }

    /// Open orders.
    #[pallet::storage]
    pub type Orders<T: Config> = StorageMap<_, Twox64Concat, OrderId, OrderOf<T>>;

    #[pallet::storage]
    pub type NextOrderId<T> = StorageValue<_, OrderId, ValueQuery>;

    /// Blocks of the latest deals each account finished as a proxy.
    #[pallet::storage]
    pub type ProxyDeals<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<BlockNumberFor<T>, T::MaxRecentDeals>,
        ValueQuery,
    >;

    /// Blocks of the latest purchases each account finished as a buyer.
    #[pallet::storage]
    pub type Purchases<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<BlockNumberFor<T>, T::MaxRecentDeals>,
        ValueQuery,
    >;

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
        },
        DisputeResolved {
            id: OrderId,
            verdict: Verdict,
        },
        /// The order ended without a sale; funds went back by the timeout or cancel rule.
        OrderRefunded {
            id: OrderId,
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
        /// A price below the existential deposit: paid to a seller
        /// without an account it could not be credited and would stay held.
        PriceBelowExistentialDeposit,
        /// A non-zero proxy fee below the existential deposit, for the same
        /// reason.
        FeeBelowExistentialDeposit,
        /// Buyer, seller and proxy must be three different accounts.
        SameParty,
        /// Ratings range from 1 to 5.
        BadRating,
        /// The amounts overflow.
        Overflow,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        #[cfg(feature = "try-runtime")]
        fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Orders `item` from `seller` through `proxy`; holds price + fee.
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
            let minimum = T::Currency::minimum_balance();
            ensure!(price >= minimum, Error::<T>::PriceBelowExistentialDeposit);
            ensure!(
                proxy_fee.is_zero() || proxy_fee >= minimum,
                Error::<T>::FeeBelowExistentialDeposit
            );
            ensure!(
                buyer != seller && buyer != proxy && seller != proxy,
                Error::<T>::SameParty
            );
            let escrow = price.checked_add(&proxy_fee).ok_or(Error::<T>::Overflow)?;
            let id = NextOrderId::<T>::get();
            let next_id = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
            T::Currency::hold(&HoldReason::BuyerEscrow.into(), &buyer, escrow)?;
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
            NextOrderId::<T>::put(next_id);
            Self::deposit_event(Event::OrderPlaced {
                id,
                buyer,
                seller,
                proxy,
                price,
                proxy_fee,
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
            Self::pay_out(&order)?;
            if let Some(rating) = rating {
                SellerRatings::<T>::mutate(&order.seller, |total| total.add(rating.seller));
                ProxyRatings::<T>::mutate(&order.proxy, |total| total.add(rating.proxy));
            }
            Orders::<T>::remove(id);
            Self::deposit_event(Event::OrderFinished { id, rating });
            Ok(())
        }

        /// The buyer contests the delivery; governance decides.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::dispute())]
        pub fn dispute(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut order = Self::open_order(id, OrderState::ProxyDelivered)?;
            ensure!(who == order.buyer, Error::<T>::NotBuyer);
            order.state = OrderState::Disputed;
            order.deadline = Self::deadline_after(T::DisputeTimeout::get());
            Orders::<T>::insert(id, order);
            Self::deposit_event(Event::Disputed { id });
            Ok(())
        }

        /// Governance resolves a dispute.
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
            match verdict {
                Verdict::ForSeller => Self::pay_out(&order)?,
                Verdict::ForBuyer => {
                    Self::release(
                        HoldReason::BuyerEscrow,
                        &order.buyer,
                        order.price.saturating_add(order.proxy_fee),
                    )?;
                    T::Currency::transfer_on_hold(
                        &HoldReason::SellerBond.into(),
                        &order.seller,
                        &order.buyer,
                        order.seller_bond,
                        Precision::Exact,
                        Restriction::Free,
                        Fortitude::Force,
                    )?;
                }
            }
            Orders::<T>::remove(id);
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
        #[pallet::weight(T::WeightInfo::claim_timeout())]
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
                    Self::pay_out(&order)?;
                    Orders::<T>::remove(id);
                    Self::deposit_event(Event::OrderFinished { id, rating: None });
                    Ok(())
                }
                OrderState::Created
                | OrderState::SellerConfirmed
                | OrderState::ProxyFetched
                | OrderState::Disputed => Self::refund(id, &order),
            }
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
    /// PDash's invariants: each buyer's escrow hold is the price and proxy
    /// fee of its open orders; each seller's bond hold is the bonds of the
    /// orders it confirmed.
    #[cfg(any(feature = "try-runtime", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use cpchain_primitives::try_state::{ensure_holds, sum_by_account};
        use frame_support::traits::fungible::InspectHold;
        let escrow = sum_by_account(
            Orders::<T>::iter_values()
                .map(|order| (order.buyer, order.price.saturating_add(order.proxy_fee))),
        );
        ensure_holds(
            &escrow,
            |who| T::Currency::balance_on_hold(&HoldReason::BuyerEscrow.into(), who),
            "pdash: escrow held is not the open orders' prices and fees",
        )?;
        let bonds = sum_by_account(
            Orders::<T>::iter_values().map(|order| (order.seller, order.seller_bond)),
        );
        ensure_holds(
            &bonds,
            |who| T::Currency::balance_on_hold(&HoldReason::SellerBond.into(), who),
            "pdash: bonds held are not the open orders' seller bonds",
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

    fn release(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
        if !amount.is_zero() {
            T::Currency::release(&reason.into(), who, amount, Precision::Exact)?;
        }
        Ok(())
    }

    /// The sale happens: price to the seller, fee to the proxy, bond back.
    fn pay_out(order: &OrderOf<T>) -> DispatchResult {
        let escrow = HoldReason::BuyerEscrow.into();
        T::Currency::transfer_on_hold(
            &escrow,
            &order.buyer,
            &order.seller,
            order.price,
            Precision::Exact,
            Restriction::Free,
            Fortitude::Force,
        )?;
        if !order.proxy_fee.is_zero() {
            T::Currency::transfer_on_hold(
                &escrow,
                &order.buyer,
                &order.proxy,
                order.proxy_fee,
                Precision::Exact,
                Restriction::Free,
                Fortitude::Force,
            )?;
        }
        Self::release(HoldReason::SellerBond, &order.seller, order.seller_bond)?;
        let now = frame_system::Pallet::<T>::block_number();
        ProxyDeals::<T>::mutate(&order.proxy, |deals| Self::push_recent(deals, now));
        Purchases::<T>::mutate(&order.buyer, |deals| Self::push_recent(deals, now));
        Ok(())
    }

    /// Appends `now`, dropping the oldest entry when full.
    fn push_recent(
        deals: &mut BoundedVec<BlockNumberFor<T>, T::MaxRecentDeals>,
        now: BlockNumberFor<T>,
    ) {
        if deals.is_full() && !deals.is_empty() {
            deals.remove(0);
        }
        // Cannot fail: a slot was freed above when full.
        let _ = deals.try_push(now);
    }

    /// No sale: the buyer's escrow and the seller's bond go back.
    fn refund(id: OrderId, order: &OrderOf<T>) -> DispatchResult {
        Self::release(
            HoldReason::BuyerEscrow,
            &order.buyer,
            order.price.saturating_add(order.proxy_fee),
        )?;
        Self::release(HoldReason::SellerBond, &order.seller, order.seller_bond)?;
        Orders::<T>::remove(id);
        Self::deposit_event(Event::OrderRefunded { id });
        Ok(())
    }

    fn count_between(
        deals: &[BlockNumberFor<T>],
        from: BlockNumberFor<T>,
        to: BlockNumberFor<T>,
    ) -> u32 {
        deals.iter().filter(|n| from <= **n && **n <= to).count() as u32
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
}
