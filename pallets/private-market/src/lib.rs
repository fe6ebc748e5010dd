//! # Private market
//!
//! The seed's private contract data trading. Chain state is public, so
//! privacy comes from encryption done by the parties' tools (see
//! `cpchain-market`): the chain stores ciphertexts and the hashes that let
//! anyone audit a deal, never plaintext.
//!
//! 1. Seller A lists an item: price, public metadata, the private fields
//!    sealed with the item's symmetric key, that key sealed to the market's
//!    agent P, and the hash of the plaintext.
//! 2. Buyer B reads the listing (runtime API `PrivateMarketApi`).
//! 3. B deposits escrow: the funds are held on B's account, not moved.
//! 4. B orders the item with a fresh x25519 public key of its own for this
//!    order (`buyer_key`; never its registered encryption key, which
//!    `place_order` refuses with `RegisteredKeyAsOrderKey`); the price moves
//!    from B's free escrow to the order (still held on B's account).
//! 5. A sees the order (event `OrderPlaced`, `pending_orders(seller)`).
//! 6. A accepts the order (`accept_order`, holding its dispute bond), then
//!    delivers: the item key sealed to `buyer_key`.
//! 7. B decrypts and confirms, or disputes, within `CheckTimeout`.
//! 8. P releases the escrow to A.
//!
//! Every order ends by one explicit rule, so no funds can stay stuck:
//!
//! | How the order ends | The price held on B's account |
//! |---|---|
//! | P releases after B confirms | paid to A |
//! | P silent `ReleaseTimeout` after B confirms; anyone calls `claim_timeout` | paid to A |
//! | A silent `DeliveryTimeout` after the order, or after accepting it; anyone calls `claim_timeout` | back to B's free escrow (an accepted order's bond back to A) |
//! | B silent `CheckTimeout` after delivery; anyone calls `claim_timeout` | paid to A: B holds the key, and silence past the bound is acceptance |
//! | dispute resolved by P or governance for A | paid to A; B's dispute bond goes to A, A's bond back to A |
//! | dispute resolved for B | back to B's free escrow; A's delivery bond goes to B, B's bond back to B |
//! | dispute unresolved `DisputeTimeout` later; anyone calls `claim_timeout` | split: `TimeoutSellerShare` to A, the rest back to B's free escrow; each side's bond back to it (state `Split`). A dispute opened before bonds existed (runtime 103, no buyer bond) keeps its old rule: back to B's free escrow |
//! | A rejects it before delivering (`reject_order`) | back to B's free escrow (an accepted order's bond back to A) |
//! | A cancels the item before delivering (`cancel_item`) | back to B's free escrow (likewise) |
//!
//! Deadlines: B confirms or disputes only within `CheckTimeout` of the
//! delivery (`TooLate` after), so a late dispute cannot front-run A's
//! `claim_timeout`; a dispute is ended only by a ruling before
//! `DisputeTimeout`, and after it by a ruling or `claim_timeout`,
//! whichever lands first. An agent that is the order's buyer or seller
//! cannot rule on it (`AgentIsParty`); governance does.
//!
//! B withdraws free escrow at any time. A can cancel an item none of whose
//! orders it has delivered and not yet settled; the item's undelivered
//! orders are refunded by the cancel itself, so a buyer ordering just
//! ahead of a cancel cannot make it fail. Finished orders stay readable
//! (state `Paid`, `Refunded`, `Rejected` or `Split`) until their item is
//! cancelled or `MaxOrdersPerItem` pushes them out.
//!
//! ## No free data, no free state
//!
//! - **Dispute bonds** (the shared rule of [`cpchain_primitives::dispute`]):
//!   A holds a bond when it delivers, B when it disputes, each
//!   `bond(price, DisputeBondRatio, DisputeBondMinimum)`. The side the
//!   ruling goes against loses its bond to the other; on every end that is
//!   not a ruling (paid on release, release timeout or check timeout) A's
//!   bond comes back. A buyer who holds the data therefore cannot dispute its way to a
//!   free copy: a wrong dispute costs it the price and its bond, and an
//!   unanswered one still pays A `TimeoutSellerShare` of the price.
//! - **Verifiable delivery**: `buyer_key` is a fresh x25519 key of B's for
//!   each order (the CLI keeps one per order). Disputing, B reveals that
//!   order's secret; the chain checks that it is the secret of
//!   `buyer_key` (`BadEvidence` otherwise) and stores it
//!   ([`DisputeEvidence`]). With it P opens `key_for_buyer`, decrypts the
//!   item and compares it with the plaintext hash and with its own copy
//!   of the key (`key_for_agent`): what A really delivered is checkable,
//!   and nothing else of B's is exposed. The evidence is public, so it
//!   also makes what A delivered for this order public (the item key, if
//!   A delivered right): B then already holds the data and could publish
//!   it anyway, so revealing gives nobody more than B has. This check is
//!   on chain (`x25519-dalek` builds for the runtime); the agent's tool
//!   (`cpchain-node market resolve`) does the decryption and the finding.
//! - **Rejection churn**: B may not order an item again for
//!   `RejectionCooldown` blocks after A rejected its order of it. Each
//!   rejected Sybil round then needs a fresh account, which costs the
//!   attacker a funding transfer, `deposit_escrow` and `place_order` (three
//!   fees and an existential deposit) against A's one `reject_order` fee. A
//!   fee forfeited to A on rejection was not chosen: it would pay a seller
//!   for rejecting honest buyers. The cooldown is read from the item's
//!   rejected order itself, so it costs no state of its own; it lapses if
//!   `MaxOrdersPerItem` newer orders push that order out.
//! - **Delivering safely**: the key travels in `deliver_key`'s arguments,
//!   and an extrinsic is public from the moment it is gossiped, included
//!   or not, failed or not. A delivery that does not take effect therefore
//!   still hands B the data, while the order stays undelivered and the
//!   delivery timeout would refund B. Two things made a delivery fail by
//!   surprise: the bond hold (A's free balance short) and B's
//!   `claim_timeout` landing first once `DeliveryTimeout` had passed since
//!   the order. `accept_order` removes both: it holds A's bond before any
//!   secret is sent (a failing accept reveals nothing), and restarts the
//!   delivery clock, so A opens its own delivery window when it is ready
//!   and nobody but A can move an accepted order before that window
//!   closes. The CLI (`cpchain-node market deliver`) accepts first, then
//!   delivers only with enough blocks of the window left and the fee
//!   covered. The residual risk: a delivery sent with too little of the
//!   window left (or straight from `Placed` without accepting, which the
//!   chain still takes, bond held at delivery), or one that is never
//!   included (fee unpaid, dropped from the pool, A's own `reject_order`
//!   or `cancel_item` landing first), has published the key without taking
//!   effect; B may then hold the data and still be refunded. Sellers'
//!   tools must keep to the window.
//! - **Key deposits**: `set_encryption_key` holds a storage deposit
//!   (`ItemDepositBase` plus `ItemDepositPerByte` per stored byte, the
//!   price of state items pay too); `remove_encryption_key` deletes the
//!   key and returns it.
//!
//! Order slots: an item takes at most `MaxOrdersPerItem` orders, and one
//! buyer holds at most `MaxOpenOrdersPerBuyer` open orders on an item
//! (`BuyerOrderLimit`), so a buyer cannot squat every slot. Sybil buyers
//! can still fill them, one each, for the price held per slot; A rejects
//! any order it has not delivered, which refunds its buyer in full and
//! makes room for the next order. A cannot reject after delivering, so a
//! buyer holding the key keeps the confirm-or-dispute path.
//!
//! Agent P is the account the proxy register binds to `AgentProxy`; a new
//! agent takes over by re-registering, without changing this pallet.
//! Governance (the council) can do whatever P can in disputes.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use cpchain_primitives::{
    dispute::{self, Ruling},
    traits::ProxyResolver,
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

pub type BalanceOf<T> =
    <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
pub type ItemId = u64;
pub type OrderId = u64;
/// An x25519 public key.
pub type EncryptionKey = [u8; 32];

#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
pub struct Item<T: Config> {
    pub seller: T::AccountId,
    pub price: BalanceOf<T>,
    /// What everyone may read: title, category, size ...
    pub public_meta: BoundedVec<u8, T::MaxMetaLen>,
    /// The private fields (name, ipfs cid, description ...), sealed with
    /// the item key.
    pub sealed_fields: BoundedVec<u8, T::MaxSealedLen>,
    /// The item key sealed to the agent's encryption key.
    pub key_for_agent: BoundedVec<u8, T::MaxKeyBoxLen>,
    /// SHA-256 of the private fields' plaintext, for audits and disputes.
    pub plaintext_hash: [u8; 32],
    pub listed_at: BlockNumberFor<T>,
    /// Held from the seller until the item is cancelled: the price of the
    /// state it takes ([`Pallet::item_deposit`]). Zero for an item listed
    /// before deposits whose seller could not cover one at the upgrade
    /// ([`migrations::v1`]).
    pub deposit: BalanceOf<T>,
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
pub enum OrderState {
    /// Waiting for the seller to deliver the key.
    Placed,
    /// Waiting for the buyer to confirm or dispute.
    Delivered,
    /// Waiting for the agent to release the escrow.
    Confirmed,
    /// Waiting for the agent or governance.
    Disputed,
    /// The seller was paid.
    Paid,
    /// The price went back to the buyer's escrow.
    Refunded,
    /// The seller rejected the order before delivering (or cancelled the
    /// item); the price went back to the buyer's escrow.
    Rejected,
    /// The dispute timed out unresolved: the price was split by
    /// `TimeoutSellerShare`.
    Split,
    /// The seller accepted the order and holds its dispute bond; waiting
    /// for the key. Last, so that the states stored before it keep their
    /// encoding.
    Accepted,
}

/// The dispute bonds held for an order: the seller's from delivery, the
/// buyer's from its dispute.
#[derive(
    Clone,
    PartialEq,
    Eq,
    Debug,
    Default,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
)]
pub struct Bonds<Balance> {
    pub seller: Balance,
    pub buyer: Balance,
}

#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
pub struct Order<T: Config> {
    pub item: ItemId,
    pub buyer: T::AccountId,
    pub seller: T::AccountId,
    pub price: BalanceOf<T>,
    /// The buyer's encryption key for this order.
    pub buyer_key: EncryptionKey,
    /// The item key sealed to `buyer_key`, once delivered.
    pub key_for_buyer: Option<BoundedVec<u8, T::MaxKeyBoxLen>>,
    pub state: OrderState,
    /// When the current state began; the state's timeout counts from here.
    pub since: BlockNumberFor<T>,
}

impl OrderState {
    /// Undelivered: the seller may still reject the order or cancel its
    /// item, and the delivery timeout refunds the buyer.
    fn is_undelivered(self) -> bool {
        matches!(self, OrderState::Placed | OrderState::Accepted)
    }

    fn is_open(self) -> bool {
        !matches!(
            self,
            OrderState::Paid | OrderState::Refunded | OrderState::Rejected | OrderState::Split
        )
    }

    /// The state's name, for readers.
    pub fn name(self) -> &'static str {
        match self {
            OrderState::Placed => "placed",
            OrderState::Delivered => "delivered",
            OrderState::Confirmed => "confirmed",
            OrderState::Disputed => "disputed",
            OrderState::Paid => "paid",
            OrderState::Refunded => "refunded",
            OrderState::Rejected => "rejected",
            OrderState::Split => "split",
            OrderState::Accepted => "accepted",
        }
    }
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;

    /// The layout of this pallet's storage; raise it with a migration in
    /// `migrations.rs` whenever stored types change.
    pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::composite_enum]
    pub enum HoldReason {
        /// A buyer's escrow, free or committed to orders.
        Escrow,
        /// A seller's deposit for the state a listed item takes.
        ItemDeposit,
        /// A dispute bond: the seller's from delivery, the buyer's from its
        /// dispute.
        DisputeBond,
        /// The deposit for a registered encryption key.
        KeyDeposit,
    }

    #[pallet::config]
    pub trait Config: frame_system::Config {
        #[allow(deprecated)]
        type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
        type Currency: Inspect<Self::AccountId>
            + Mutate<Self::AccountId>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        type RuntimeHoldReason: From<HoldReason>;
        /// Resolves the agent from `AgentProxy`.
        type Proxies: ProxyResolver<Self::AccountId>;
        /// The proxy address the market's agent is registered under.
        type AgentProxy: Get<Self::AccountId>;
        /// Above the agent in disputes.
        type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        #[pallet::constant]
        type MaxMetaLen: Get<u32>;
        #[pallet::constant]
        type MaxSealedLen: Get<u32>;
        /// A sealed 32-byte key: ephemeral public key, nonce, ciphertext, tag.
        #[pallet::constant]
        type MaxKeyBoxLen: Get<u32>;
        /// Held from a seller for each listed item, on top of
        /// `ItemDepositPerByte` for each byte the item takes in state.
        #[pallet::constant]
        type ItemDepositBase: Get<BalanceOf<Self>>;
        #[pallet::constant]
        type ItemDepositPerByte: Get<BalanceOf<Self>>;
        #[pallet::constant]
        type MaxItemsPerSeller: Get<u32>;
        #[pallet::constant]
        type MaxOrdersPerItem: Get<u32>;
        /// Open orders one buyer may hold on one item, so that a buyer
        /// cannot take all `MaxOrdersPerItem` slots.
        #[pallet::constant]
        type MaxOpenOrdersPerBuyer: Get<u32>;
        #[pallet::constant]
        type DeliveryTimeout: Get<BlockNumberFor<Self>>;
        #[pallet::constant]
        type CheckTimeout: Get<BlockNumberFor<Self>>;
        #[pallet::constant]
        type ReleaseTimeout: Get<BlockNumberFor<Self>>;
        #[pallet::constant]
        type DisputeTimeout: Get<BlockNumberFor<Self>>;
        /// A dispute bond's share of the price ([`dispute::bond`]).
        #[pallet::constant]
        type DisputeBondRatio: Get<Permill>;
        /// The least dispute bond, so that disputing a cheap item still costs.
        #[pallet::constant]
        type DisputeBondMinimum: Get<BalanceOf<Self>>;
        /// The seller's share of the price when a dispute times out.
        #[pallet::constant]
        type TimeoutSellerShare: Get<Permill>;
        /// Blocks a buyer whose order was rejected waits before ordering
        /// that item again.
        #[pallet::constant]
        type RejectionCooldown: Get<BlockNumberFor<Self>>;
        type WeightInfo: WeightInfo;
    }

    #[pallet::storage]
    pub type Items<T: Config> = StorageMap<_, Twox64Concat, ItemId, Item<T>>;

    #[pallet::storage]
    pub type NextItemId<T> = StorageValue<_, ItemId, ValueQuery>;

    #[pallet::storage]
    pub type ItemsOf<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<ItemId, T::MaxItemsPerSeller>,
        ValueQuery,
    >;

    #[pallet::storage]
    pub type Orders<T: Config> = StorageMap<_, Twox64Concat, OrderId, Order<T>>;

    #[pallet::storage]
    pub type NextOrderId<T> = StorageValue<_, OrderId, ValueQuery>;

    /// The orders of each item, oldest first.
    #[pallet::storage]
    pub type OrdersOf<T: Config> =
        StorageMap<_, Twox64Concat, ItemId, BoundedVec<OrderId, T::MaxOrdersPerItem>, ValueQuery>;

    /// Escrow held for each buyer and not committed to an order.
    #[pallet::storage]
    pub type FreeEscrow<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

    /// Registered encryption public keys (x25519).
    #[pallet::storage]
    pub type EncryptionKeys<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, EncryptionKey>;

    /// The deposit held for each registered encryption key; none for a key
    /// set before deposits (runtime 103) until it is set again.
    #[pallet::storage]
    pub type KeyDeposits<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>>;

    /// The dispute bonds held for each delivered order until it ends.
    #[pallet::storage]
    pub type DisputeBonds<T: Config> = StorageMap<_, Twox64Concat, OrderId, Bonds<BalanceOf<T>>>;

    /// A disputed order's evidence: the buyer's x25519 secret for the
    /// order's `buyer_key`, with which the agent opens `key_for_buyer`.
    #[pallet::storage]
    pub type DisputeEvidence<T: Config> = StorageMap<_, Twox64Concat, OrderId, [u8; 32]>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        EncryptionKeySet {
            who: T::AccountId,
            key: EncryptionKey,
        },
        /// The key was removed and its deposit returned.
        EncryptionKeyRemoved {
            who: T::AccountId,
        },
        ItemListed {
            item: ItemId,
            seller: T::AccountId,
            price: BalanceOf<T>,
        },
        ItemCancelled {
            item: ItemId,
        },
        EscrowDeposited {
            who: T::AccountId,
            amount: BalanceOf<T>,
        },
        EscrowWithdrawn {
            who: T::AccountId,
            amount: BalanceOf<T>,
        },
        OrderPlaced {
            order: OrderId,
            item: ItemId,
            buyer: T::AccountId,
            seller: T::AccountId,
        },
        /// The seller accepted the order and holds its dispute bond; it
        /// delivers within `DeliveryTimeout` from now.
        OrderAccepted {
            order: OrderId,
        },
        KeyDelivered {
            order: OrderId,
        },
        BuyerConfirmed {
            order: OrderId,
        },
        /// The buyer disputed, revealing `evidence` (its secret for the
        /// order's `buyer_key`).
        Disputed {
            order: OrderId,
            evidence: [u8; 32],
        },
        /// A dispute ended: the price went this way; the losing side's bond
        /// went to the other (none on a timeout).
        DisputeSettled {
            order: OrderId,
            price_to_seller: BalanceOf<T>,
            price_to_buyer: BalanceOf<T>,
        },
        /// The seller was paid `price`.
        SellerPaid {
            order: OrderId,
            seller: T::AccountId,
            price: BalanceOf<T>,
        },
        /// The price went back to the buyer's free escrow.
        BuyerRefunded {
            order: OrderId,
            buyer: T::AccountId,
            price: BalanceOf<T>,
        },
        /// The seller rejected an order it had not delivered; `BuyerRefunded`
        /// comes with it.
        OrderRejected {
            order: OrderId,
            item: ItemId,
            buyer: T::AccountId,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        UnknownItem,
        UnknownOrder,
        /// The caller is not the party this step belongs to.
        WrongParty,
        /// The order is not in the state this step needs.
        WrongState,
        /// The free escrow does not cover the price.
        InsufficientEscrow,
        /// The amount must be positive.
        ZeroAmount,
        /// A price below the existential deposit: paid to a seller
        /// without an account it could not be credited and would stay held.
        PriceBelowExistentialDeposit,
        /// No agent is registered under the market's proxy.
        NoAgent,
        /// The state's timeout has not passed yet.
        TooEarly,
        /// The seller has too many items; cancel some.
        TooManyItems,
        /// The item has too many orders; wait for some to finish.
        TooManyOrders,
        /// The caller already holds `MaxOpenOrdersPerBuyer` open orders on
        /// this item; wait for one to end.
        BuyerOrderLimit,
        /// The item has orders that have not ended.
        OpenOrders,
        /// Sellers cannot buy their own items.
        OwnItem,
        /// The revealed secret is not the secret of the order's `buyer_key`.
        BadEvidence,
        /// The seller rejected the caller's order of this item less than
        /// `RejectionCooldown` blocks ago.
        RejectedRecently,
        /// The caller has no encryption key registered.
        NoEncryptionKey,
        Overflow,
        /// The state's deadline has passed: after `CheckTimeout` the buyer
        /// can neither confirm nor dispute (the delivery counts as accepted).
        TooLate,
        /// The agent is the order's buyer or seller: only governance
        /// resolves this dispute.
        AgentIsParty,
        /// `buyer_key` is the caller's registered encryption key. An order
        /// takes a fresh key: disputing reveals its secret.
        RegisteredKeyAsOrderKey,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn integrity_test() {
            assert!(
                T::MaxOpenOrdersPerBuyer::get() >= 1,
                "private market: MaxOpenOrdersPerBuyer 0 would refuse every order"
            );
            // `claim_timeout` tells a bonded dispute from one opened before
            // bonds by a non-zero buyer bond.
            assert!(
                !T::DisputeBondMinimum::get().is_zero(),
                "private market: DisputeBondMinimum 0 would make bonded disputes look unbonded"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Publishes the caller's encryption public key.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::set_encryption_key())]
        pub fn set_encryption_key(origin: OriginFor<T>, key: EncryptionKey) -> DispatchResult {
            let who = ensure_signed(origin)?;
            if !KeyDeposits::<T>::contains_key(&who) {
                let deposit = Self::key_deposit();
                T::Currency::hold(&HoldReason::KeyDeposit.into(), &who, deposit)?;
                KeyDeposits::<T>::insert(&who, deposit);
            }
            EncryptionKeys::<T>::insert(&who, key);
            Self::deposit_event(Event::EncryptionKeySet { who, key });
            Ok(())
        }

        /// Deletes the caller's encryption key and returns its deposit.
        #[pallet::call_index(13)]
        #[pallet::weight(T::WeightInfo::remove_encryption_key())]
        pub fn remove_encryption_key(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            EncryptionKeys::<T>::take(&who).ok_or(Error::<T>::NoEncryptionKey)?;
            if let Some(deposit) = KeyDeposits::<T>::take(&who) {
                // Best effort: a slashed hold must not keep the key stored.
                T::Currency::release(
                    &HoldReason::KeyDeposit.into(),
                    &who,
                    deposit,
                    Precision::BestEffort,
                )?;
            }
            Self::deposit_event(Event::EncryptionKeyRemoved { who });
            Ok(())
        }

        /// Step 1: lists an item.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::list_item())]
        pub fn list_item(
            origin: OriginFor<T>,
            price: BalanceOf<T>,
            public_meta: BoundedVec<u8, T::MaxMetaLen>,
            sealed_fields: BoundedVec<u8, T::MaxSealedLen>,
            key_for_agent: BoundedVec<u8, T::MaxKeyBoxLen>,
            plaintext_hash: [u8; 32],
        ) -> DispatchResult {
            let seller = ensure_signed(origin)?;
            ensure!(
                price >= T::Currency::minimum_balance(),
                Error::<T>::PriceBelowExistentialDeposit
            );
            let id = NextItemId::<T>::get();
            let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
            ItemsOf::<T>::try_mutate(&seller, |items| items.try_push(id))
                .map_err(|_| Error::<T>::TooManyItems)?;
            let mut listed = Item {
                seller: seller.clone(),
                price,
                public_meta,
                sealed_fields,
                key_for_agent,
                plaintext_hash,
                listed_at: frame_system::Pallet::<T>::block_number(),
                deposit: Zero::zero(),
            };
            listed.deposit = Self::item_deposit(&listed);
            T::Currency::hold(&HoldReason::ItemDeposit.into(), &seller, listed.deposit)?;
            Items::<T>::insert(id, listed);
            NextItemId::<T>::put(next);
            Self::deposit_event(Event::ItemListed {
                item: id,
                seller,
                price,
            });
            Ok(())
        }

        /// Withdraws an item none of whose orders is delivered and open.
        /// Undelivered (`Placed`, `Accepted`) orders are refunded in full
        /// (an accepted order's seller bond comes back), so an order
        /// placed just ahead of the cancel cannot make it fail; finished
        /// orders go with the item.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::cancel_item())]
        pub fn cancel_item(origin: OriginFor<T>, item: ItemId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let listed = Items::<T>::get(item).ok_or(Error::<T>::UnknownItem)?;
            ensure!(listed.seller == who, Error::<T>::WrongParty);
            let orders: alloc::vec::Vec<_> = OrdersOf::<T>::get(item)
                .into_iter()
                .filter_map(|id| Orders::<T>::get(id).map(|order| (id, order)))
                .collect();
            ensure!(
                orders
                    .iter()
                    .all(|(_, order)| !order.state.is_open() || order.state.is_undelivered()),
                Error::<T>::OpenOrders
            );
            for (id, order) in orders {
                if order.state.is_undelivered() {
                    Self::refund_buyer(id, order, OrderState::Rejected)?;
                }
                Orders::<T>::remove(id);
            }
            OrdersOf::<T>::remove(item);
            Items::<T>::remove(item);
            // Best effort: a slashed hold must not keep the item listed.
            T::Currency::release(
                &HoldReason::ItemDeposit.into(),
                &who,
                listed.deposit,
                Precision::BestEffort,
            )?;
            ItemsOf::<T>::mutate(&who, |items| items.retain(|i| *i != item));
            Self::deposit_event(Event::ItemCancelled { item });
            Ok(())
        }

        /// Step 3: holds `amount` of the caller's balance as market escrow.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::deposit_escrow())]
        pub fn deposit_escrow(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
            let free = FreeEscrow::<T>::get(&who)
                .checked_add(&amount)
                .ok_or(Error::<T>::Overflow)?;
            T::Currency::hold(&HoldReason::Escrow.into(), &who, amount)?;
            FreeEscrow::<T>::insert(&who, free);
            Self::deposit_event(Event::EscrowDeposited { who, amount });
            Ok(())
        }

        /// Releases `amount` of the caller's free escrow.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::withdraw_escrow())]
        pub fn withdraw_escrow(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
            let free = FreeEscrow::<T>::get(&who);
            ensure!(free >= amount, Error::<T>::InsufficientEscrow);
            T::Currency::release(&HoldReason::Escrow.into(), &who, amount, Precision::Exact)?;
            Self::set_free_escrow(&who, free.saturating_sub(amount));
            Self::deposit_event(Event::EscrowWithdrawn { who, amount });
            Ok(())
        }

        /// Step 4: orders `item`; the price comes from the caller's free escrow.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::place_order())]
        pub fn place_order(
            origin: OriginFor<T>,
            item: ItemId,
            buyer_key: EncryptionKey,
        ) -> DispatchResult {
            let buyer = ensure_signed(origin)?;
            let listed = Items::<T>::get(item).ok_or(Error::<T>::UnknownItem)?;
            ensure!(listed.seller != buyer, Error::<T>::OwnItem);
            ensure!(
                EncryptionKeys::<T>::get(&buyer) != Some(buyer_key),
                Error::<T>::RegisteredKeyAsOrderKey
            );
            let free = FreeEscrow::<T>::get(&buyer);
            ensure!(free >= listed.price, Error::<T>::InsufficientEscrow);
            let id = NextOrderId::<T>::get();
            let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
            Self::make_room(item, &buyer)?;
            OrdersOf::<T>::try_mutate(item, |orders| orders.try_push(id))
                .map_err(|_| Error::<T>::TooManyOrders)?;
            Self::set_free_escrow(&buyer, free.saturating_sub(listed.price));
            Orders::<T>::insert(
                id,
                Order {
                    item,
                    buyer: buyer.clone(),
                    seller: listed.seller.clone(),
                    price: listed.price,
                    buyer_key,
                    key_for_buyer: None,
                    state: OrderState::Placed,
                    since: frame_system::Pallet::<T>::block_number(),
                },
            );
            NextOrderId::<T>::put(next);
            Self::deposit_event(Event::OrderPlaced {
                order: id,
                item,
                buyer,
                seller: listed.seller,
            });
            Ok(())
        }

        /// Step 6, first half: the seller takes the order on, holding its
        /// dispute bond now, so that the delivery, which makes the key
        /// public even if it fails, cannot fail for the bond; and the
        /// delivery timeout restarts from here, so the seller chooses when
        /// the window it delivers in opens. See "Delivering safely" in the
        /// module docs.
        #[pallet::call_index(14)]
        // The bond hold and the order write of `deliver_key` from `Placed`,
        // without its key: that weight bounds this one.
        #[pallet::weight(T::WeightInfo::deliver_key())]
        pub fn accept_order(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::advance(order, |o| {
                ensure!(o.seller == who, Error::<T>::WrongParty);
                ensure!(o.state == OrderState::Placed, Error::<T>::WrongState);
                Self::hold_seller_bond(order, &who, o.price)?;
                o.state = OrderState::Accepted;
                Ok(())
            })?;
            Self::deposit_event(Event::OrderAccepted { order });
            Ok(())
        }

        /// Step 6: the seller hands over the item key, sealed to the buyer.
        /// From `Accepted` the bond is already held; from `Placed` it is
        /// held now (and a delivery that fails for it has still published
        /// the key: prefer `accept_order` first).
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::deliver_key())]
        pub fn deliver_key(
            origin: OriginFor<T>,
            order: OrderId,
            key_for_buyer: BoundedVec<u8, T::MaxKeyBoxLen>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::advance(order, |o| {
                ensure!(o.seller == who, Error::<T>::WrongParty);
                match o.state {
                    OrderState::Placed => Self::hold_seller_bond(order, &who, o.price)?,
                    OrderState::Accepted => {}
                    _ => return Err(Error::<T>::WrongState.into()),
                }
                o.key_for_buyer = Some(key_for_buyer);
                o.state = OrderState::Delivered;
                Ok(())
            })?;
            Self::deposit_event(Event::KeyDelivered { order });
            Ok(())
        }

        /// Step 7: the buyer got what it ordered. Only within
        /// `CheckTimeout` of the delivery (`TooLate` after).
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::confirm())]
        pub fn confirm(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::advance(order, |o| {
                Self::ensure_checking(o, &who)?;
                o.state = OrderState::Confirmed;
                Ok(())
            })?;
            Self::deposit_event(Event::BuyerConfirmed { order });
            Ok(())
        }

        /// Step 7, otherwise: the buyer disputes the delivery. It holds a
        /// dispute bond and reveals `evidence`, its x25519 secret for the
        /// order's `buyer_key`, so that the agent can open what the seller
        /// delivered; a secret that does not match `buyer_key` is refused.
        /// Only within `CheckTimeout` of the delivery (`TooLate` after):
        /// past it the seller's `claim_timeout` is due and a dispute must
        /// not front-run it.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::dispute())]
        pub fn dispute(origin: OriginFor<T>, order: OrderId, evidence: [u8; 32]) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::advance(order, |o| {
                Self::ensure_checking(o, &who)?;
                ensure!(
                    x25519_dalek::x25519(evidence, x25519_dalek::X25519_BASEPOINT_BYTES)
                        == o.buyer_key,
                    Error::<T>::BadEvidence
                );
                let bond = Self::dispute_bond(o.price);
                T::Currency::hold(&HoldReason::DisputeBond.into(), &who, bond)?;
                DisputeBonds::<T>::mutate(order, |bonds| {
                    bonds.get_or_insert_with(Default::default).buyer = bond
                });
                DisputeEvidence::<T>::insert(order, evidence);
                o.state = OrderState::Disputed;
                Ok(())
            })?;
            Self::deposit_event(Event::Disputed { order, evidence });
            Ok(())
        }

        /// Step 8: the agent pays the seller for a confirmed order.
        #[pallet::call_index(9)]
        #[pallet::weight(T::WeightInfo::release())]
        pub fn release(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(who == Self::agent()?, Error::<T>::WrongParty);
            let o = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
            ensure!(o.state == OrderState::Confirmed, Error::<T>::WrongState);
            Self::pay_seller(order, o)
        }

        /// Settles a dispute: the agent (signed) or governance decides, by
        /// the shared rule of [`cpchain_primitives::dispute::settle`]; the
        /// losing side's bond goes to the other. An agent that is the
        /// order's buyer or seller may not (`AgentIsParty`): governance
        /// rules then. Before `DisputeTimeout` only a ruling ends the
        /// dispute; after it, a ruling or `claim_timeout`, whichever comes
        /// first.
        #[pallet::call_index(10)]
        #[pallet::weight(T::WeightInfo::resolve_dispute())]
        pub fn resolve_dispute(
            origin: OriginFor<T>,
            order: OrderId,
            pay_seller: bool,
        ) -> DispatchResult {
            let agent = match T::GovernanceOrigin::try_origin(origin.clone()) {
                Ok(_) => None,
                Err(origin) => {
                    let who = ensure_signed(origin)?;
                    ensure!(who == Self::agent()?, Error::<T>::WrongParty);
                    Some(who)
                }
            };
            let o = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
            ensure!(o.state == OrderState::Disputed, Error::<T>::WrongState);
            ensure!(
                agent.is_none_or(|agent| agent != o.buyer && agent != o.seller),
                Error::<T>::AgentIsParty
            );
            let ruling = if pay_seller {
                Ruling::ForSeller
            } else {
                Ruling::ForBuyer
            };
            Self::settle_dispute(order, o, ruling)
        }

        /// The seller turns down an order it has not delivered: the price
        /// goes back to the buyer's free escrow, in full, and the order is
        /// finished (`Rejected`), which makes room for the next order. An
        /// accepted order's seller bond comes back.
        #[pallet::call_index(12)]
        #[pallet::weight(T::WeightInfo::reject_order())]
        pub fn reject_order(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let o = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
            ensure!(o.seller == who, Error::<T>::WrongParty);
            ensure!(o.state.is_undelivered(), Error::<T>::WrongState);
            let (item, buyer) = (o.item, o.buyer.clone());
            Self::refund_buyer(order, o, OrderState::Rejected)?;
            Self::deposit_event(Event::OrderRejected { order, item, buyer });
            Ok(())
        }

        /// Applies the timeout rule of the order's state (see the module
        /// docs); anyone may call it once the timeout has passed.
        #[pallet::call_index(11)]
        #[pallet::weight(T::WeightInfo::claim_timeout())]
        pub fn claim_timeout(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
            ensure_signed(origin)?;
            let o = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
            let timeout = match o.state {
                OrderState::Placed | OrderState::Accepted => T::DeliveryTimeout::get(),
                OrderState::Delivered => T::CheckTimeout::get(),
                OrderState::Confirmed => T::ReleaseTimeout::get(),
                OrderState::Disputed => T::DisputeTimeout::get(),
                OrderState::Paid
                | OrderState::Refunded
                | OrderState::Rejected
                | OrderState::Split => return Err(Error::<T>::WrongState.into()),
            };
            let now = frame_system::Pallet::<T>::block_number();
            ensure!(now > o.since.saturating_add(timeout), Error::<T>::TooEarly);
            match o.state {
                OrderState::Delivered | OrderState::Confirmed => Self::pay_seller(order, o),
                OrderState::Disputed => {
                    // A dispute opened before bonds (runtime 103) keeps the
                    // rule it was opened under: the buyer is refunded.
                    let bonded = DisputeBonds::<T>::get(order).is_some_and(|b| !b.buyer.is_zero());
                    let ruling = if bonded {
                        Ruling::Unresolved
                    } else {
                        Ruling::ForBuyer
                    };
                    Self::settle_dispute(order, o, ruling)
                }
                _ => Self::refund_buyer(order, o, OrderState::Refunded),
            }
        }
    }
}

impl<T: Config> Pallet<T> {
    /// The market's invariants: each buyer's escrow hold is its free
    /// escrow plus the prices of its open orders; each seller's deposit
    /// hold is the sum of its items' deposits; each account's bond hold is
    /// the sum of the bonds recorded for it; every recorded bond belongs to
    /// an accepted, delivered, confirmed or disputed order and every piece
    /// of evidence to a disputed one; `ItemsOf` lists exactly each seller's
    /// items.
    #[cfg(any(feature = "try-runtime", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use cpchain_primitives::try_state::{ensure_holds, sum_by_account};
        use frame_support::traits::fungible::InspectHold;
        let escrow = sum_by_account(
            FreeEscrow::<T>::iter().chain(
                Orders::<T>::iter_values()
                    .filter(|order| order.state.is_open())
                    .map(|order| (order.buyer, order.price)),
            ),
        );
        ensure_holds(
            &escrow,
            |who| T::Currency::balance_on_hold(&HoldReason::Escrow.into(), who),
            "private market: escrow held is not free escrow plus open orders",
        )?;
        let deposits =
            sum_by_account(Items::<T>::iter_values().map(|item| (item.seller, item.deposit)));
        ensure_holds(
            &deposits,
            |who| T::Currency::balance_on_hold(&HoldReason::ItemDeposit.into(), who),
            "private market: deposits held are not the items' deposits",
        )?;
        for id in DisputeBonds::<T>::iter_keys() {
            ensure!(
                Orders::<T>::get(id).is_some_and(|o| matches!(
                    o.state,
                    OrderState::Accepted
                        | OrderState::Delivered
                        | OrderState::Confirmed
                        | OrderState::Disputed
                )),
                "private market: dispute bonds recorded for an order that cannot hold them"
            );
        }
        for id in DisputeEvidence::<T>::iter_keys() {
            ensure!(
                Orders::<T>::get(id).is_some_and(|o| o.state == OrderState::Disputed),
                "private market: dispute evidence recorded for an order that is not disputed"
            );
        }
        let bonds = sum_by_account(DisputeBonds::<T>::iter().flat_map(|(id, bonds)| {
            Orders::<T>::get(id)
                .map(|o| [(o.seller, bonds.seller), (o.buyer, bonds.buyer)])
                .into_iter()
                .flatten()
        }));
        ensure_holds(
            &bonds,
            |who| T::Currency::balance_on_hold(&HoldReason::DisputeBond.into(), who),
            "private market: dispute bonds held are not the open orders' bonds",
        )?;
        let key_deposits = sum_by_account(KeyDeposits::<T>::iter());
        ensure_holds(
            &key_deposits,
            |who| T::Currency::balance_on_hold(&HoldReason::KeyDeposit.into(), who),
            "private market: key deposits held are not the keys' deposits",
        )?;
        let listed: usize = ItemsOf::<T>::iter()
            .map(|(seller, ids)| {
                ids.iter()
                    .filter(|id| Items::<T>::get(**id).is_some_and(|item| item.seller == seller))
                    .count()
            })
            .sum();
        ensure!(
            listed == Items::<T>::iter_keys().count(),
            "private market: ItemsOf does not list exactly the items"
        );
        Ok(())
    }

    /// The deposit an item holds from its seller: `ItemDepositBase` plus
    /// `ItemDepositPerByte` for each byte of its stored form.
    pub fn item_deposit(item: &Item<T>) -> BalanceOf<T> {
        Self::state_deposit(item.encoded_size())
    }

    /// The deposit an encryption key holds, priced as an item's.
    pub fn key_deposit() -> BalanceOf<T> {
        Self::state_deposit(EncryptionKey::max_encoded_len())
    }

    fn state_deposit(bytes: usize) -> BalanceOf<T> {
        let bytes = BalanceOf::<T>::from(bytes as u32);
        T::ItemDepositBase::get().saturating_add(T::ItemDepositPerByte::get().saturating_mul(bytes))
    }

    /// The bond each side of a dispute over `price` holds.
    pub fn dispute_bond(price: BalanceOf<T>) -> BalanceOf<T> {
        dispute::bond(
            price,
            T::DisputeBondRatio::get(),
            T::DisputeBondMinimum::get(),
        )
    }

    /// The market's agent, from the proxy register.
    pub fn agent() -> Result<T::AccountId, DispatchError> {
        T::Proxies::real_of(&T::AgentProxy::get()).ok_or_else(|| Error::<T>::NoAgent.into())
    }

    fn set_free_escrow(who: &T::AccountId, amount: BalanceOf<T>) {
        if amount.is_zero() {
            FreeEscrow::<T>::remove(who);
        } else {
            FreeEscrow::<T>::insert(who, amount);
        }
    }

    /// Holds the seller's dispute bond for `order` at `price` and records it.
    fn hold_seller_bond(
        order: OrderId,
        seller: &T::AccountId,
        price: BalanceOf<T>,
    ) -> DispatchResult {
        let bond = Self::dispute_bond(price);
        T::Currency::hold(&HoldReason::DisputeBond.into(), seller, bond)?;
        DisputeBonds::<T>::insert(
            order,
            Bonds {
                seller: bond,
                buyer: Zero::zero(),
            },
        );
        Ok(())
    }

    /// Checks that `who` is the buyer of a delivered order still within
    /// `CheckTimeout`: until then it confirms or disputes, after it the
    /// seller's `claim_timeout` is due.
    fn ensure_checking(o: &Order<T>, who: &T::AccountId) -> DispatchResult {
        ensure!(o.buyer == *who, Error::<T>::WrongParty);
        ensure!(o.state == OrderState::Delivered, Error::<T>::WrongState);
        ensure!(
            frame_system::Pallet::<T>::block_number()
                <= o.since.saturating_add(T::CheckTimeout::get()),
            Error::<T>::TooLate
        );
        Ok(())
    }

    /// Changes an order with `change`, restarting its state's clock.
    fn advance(
        order: OrderId,
        change: impl FnOnce(&mut Order<T>) -> DispatchResult,
    ) -> DispatchResult {
        Orders::<T>::try_mutate(order, |slot| {
            let o = slot.as_mut().ok_or(Error::<T>::UnknownOrder)?;
            change(o)?;
            o.since = frame_system::Pallet::<T>::block_number();
            Ok(())
        })
    }

    /// Checks that `buyer` may hold one more open order on `item` and was
    /// not rejected from it within `RejectionCooldown`, and
    /// drops the item's oldest finished order when its list is full. One
    /// pass reads each of the item's orders once.
    fn make_room(item: ItemId, buyer: &T::AccountId) -> DispatchResult {
        let mut orders = OrdersOf::<T>::get(item);
        let (mut open_by_buyer, mut finished) = (0u32, None);
        let cooled =
            frame_system::Pallet::<T>::block_number().saturating_sub(T::RejectionCooldown::get());
        for (index, id) in orders.iter().enumerate() {
            match Orders::<T>::get(id) {
                Some(o) if o.state.is_open() => {
                    if o.buyer == *buyer {
                        open_by_buyer = open_by_buyer.saturating_add(1);
                    }
                }
                found => {
                    ensure!(
                        !found.is_some_and(|o| o.buyer == *buyer
                            && o.state == OrderState::Rejected
                            && o.since > cooled),
                        Error::<T>::RejectedRecently
                    );
                    finished.get_or_insert(index);
                }
            }
        }
        ensure!(
            open_by_buyer < T::MaxOpenOrdersPerBuyer::get(),
            Error::<T>::BuyerOrderLimit
        );
        if (orders.len() as u32) < T::MaxOrdersPerItem::get() {
            return Ok(());
        }
        let finished = finished.ok_or(Error::<T>::TooManyOrders)?;
        Orders::<T>::remove(orders.remove(finished));
        OrdersOf::<T>::insert(item, orders);
        Ok(())
    }

    /// Pays the seller for an order that ends without a dispute; the
    /// seller's bond comes back.
    fn pay_seller(order: OrderId, o: Order<T>) -> DispatchResult {
        Self::pay_from_escrow(&o.buyer, &o.seller, o.price)?;
        let bonds = DisputeBonds::<T>::take(order).unwrap_or_default();
        Self::settle_bond(&o.seller, &o.buyer, bonds.seller, false)?;
        let (seller, price) = (o.seller.clone(), o.price);
        Self::finish(order, o, OrderState::Paid);
        Self::deposit_event(Event::SellerPaid {
            order,
            seller,
            price,
        });
        Ok(())
    }

    fn pay_from_escrow(
        buyer: &T::AccountId,
        seller: &T::AccountId,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        if amount.is_zero() {
            return Ok(());
        }
        T::Currency::transfer_on_hold(
            &HoldReason::Escrow.into(),
            buyer,
            seller,
            amount,
            Precision::Exact,
            Restriction::Free,
            Fortitude::Force,
        )?;
        Ok(())
    }

    /// Releases `owner`'s dispute bond, or pays it to `other` if `forfeit`.
    /// Best effort: a hold slashed behind the pallet must not keep an
    /// order from ending.
    fn settle_bond(
        owner: &T::AccountId,
        other: &T::AccountId,
        bond: BalanceOf<T>,
        forfeit: bool,
    ) -> DispatchResult {
        if bond.is_zero() {
            return Ok(());
        }
        let reason = HoldReason::DisputeBond.into();
        if forfeit {
            T::Currency::transfer_on_hold(
                &reason,
                owner,
                other,
                bond,
                Precision::BestEffort,
                Restriction::Free,
                Fortitude::Force,
            )?;
        } else {
            T::Currency::release(&reason, owner, bond, Precision::BestEffort)?;
        }
        Ok(())
    }

    /// Ends a disputed order by `ruling`, through the shared settlement
    /// rule: the price goes where it says, and so do both bonds.
    fn settle_dispute(order: OrderId, o: Order<T>, ruling: Ruling) -> DispatchResult {
        let split = dispute::settle(
            ruling,
            o.price,
            T::TimeoutSellerShare::get(),
            T::Currency::minimum_balance(),
        );
        Self::pay_from_escrow(&o.buyer, &o.seller, split.price_to_seller)?;
        let free = FreeEscrow::<T>::get(&o.buyer)
            .checked_add(&split.price_to_buyer)
            .ok_or(Error::<T>::Overflow)?;
        Self::set_free_escrow(&o.buyer, free);
        let bonds = DisputeBonds::<T>::take(order).unwrap_or_default();
        Self::settle_bond(&o.buyer, &o.seller, bonds.buyer, split.buyer_bond_to_seller)?;
        Self::settle_bond(
            &o.seller,
            &o.buyer,
            bonds.seller,
            split.seller_bond_to_buyer,
        )?;
        DisputeEvidence::<T>::remove(order);
        let end = if split.price_to_buyer.is_zero() {
            OrderState::Paid
        } else if split.price_to_seller.is_zero() {
            OrderState::Refunded
        } else {
            OrderState::Split
        };
        Self::finish(order, o, end);
        Self::deposit_event(Event::DisputeSettled {
            order,
            price_to_seller: split.price_to_seller,
            price_to_buyer: split.price_to_buyer,
        });
        Ok(())
    }

    /// Stores the order as ended in `end`, from now.
    fn finish(order: OrderId, mut o: Order<T>, end: OrderState) {
        o.state = end;
        o.since = frame_system::Pallet::<T>::block_number();
        Orders::<T>::insert(order, o);
    }

    /// Returns the price to the buyer's free escrow and ends an undelivered
    /// order in `end` (`Refunded` or `Rejected`); an accepted order's
    /// seller bond comes back.
    fn refund_buyer(order: OrderId, o: Order<T>, end: OrderState) -> DispatchResult {
        let free = FreeEscrow::<T>::get(&o.buyer)
            .checked_add(&o.price)
            .ok_or(Error::<T>::Overflow)?;
        Self::set_free_escrow(&o.buyer, free);
        let bonds = DisputeBonds::<T>::take(order).unwrap_or_default();
        Self::settle_bond(&o.seller, &o.buyer, bonds.seller, false)?;
        let (buyer, price) = (o.buyer.clone(), o.price);
        Self::finish(order, o, end);
        Self::deposit_event(Event::BuyerRefunded {
            order,
            buyer,
            price,
        });
        Ok(())
    }

    /// Up to `limit` items with ids from `from` on, for listings.
    pub fn items_from(from: ItemId, limit: u32) -> alloc::vec::Vec<(ItemId, Item<T>)> {
        let end = NextItemId::<T>::get();
        let mut items = alloc::vec::Vec::new();
        let mut id = from;
        // Cancelled ids are skipped; a scan is bounded by four times the limit.
        let mut budget = limit.saturating_mul(4);
        while id < end && (items.len() as u32) < limit && budget > 0 {
            if let Some(item) = Items::<T>::get(id) {
                items.push((id, item));
            }
            id = id.saturating_add(1);
            budget -= 1;
        }
        items
    }

    /// Orders of `seller`'s items that wait for the seller (step 5):
    /// placed or accepted, not delivered.
    pub fn pending_orders(seller: &T::AccountId) -> alloc::vec::Vec<(OrderId, Order<T>)> {
        ItemsOf::<T>::get(seller)
            .iter()
            .flat_map(|item| OrdersOf::<T>::get(item).into_inner())
            .filter_map(|id| Orders::<T>::get(id).map(|o| (id, o)))
            .filter(|(_, o)| o.state.is_undelivered())
            .collect()
    }
}
