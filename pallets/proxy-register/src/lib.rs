//! # Proxy register
//!
//! CPChain's built-in modules are known by well-known *proxy* accounts.
//! Governance binds each proxy to the *real* account that currently acts for
//! it (PDash's agent, the private market's escrow agent, …), and other
//! pallets resolve proxies through [`ProxyResolver`]. Replacing a module is
//! then one governance call; its callers do not change.
//!
//! Every binding gets a version (1 for the first), and the history of a
//! proxy's bindings stays readable.
//!
//! The original contract's `registerProxyContract` was owner-only; here the
//! origin is the runtime's governance origin (root or the council).

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

use cpchain_primitives::traits::ProxyResolver;

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use frame_support::pallet_prelude::*;
    use frame_system::pallet_prelude::*;

    /// The layout of this pallet's storage; raise it with a migration in
    /// `migrations.rs` whenever stored types change.
    pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        #[allow(deprecated)]
        type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
        /// Who may bind proxies: governance.
        type RegisterOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        type WeightInfo: WeightInfo;
    }

    /// The account currently acting for each proxy.
    #[pallet::storage]
    pub type RealContract<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

    /// The proxy each real account currently acts for.
    #[pallet::storage]
    pub type ProxyContract<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

    /// How many times each proxy has been bound.
    #[pallet::storage]
    pub type ContractVersion<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

    /// Every binding of every proxy, by version (1 is the first).
    #[pallet::storage]
    pub type OldContract<T: Config> =
        StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, u32, T::AccountId>;

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// (proxy, real) bindings at genesis, each at version 1.
        pub bindings: Vec<(T::AccountId, T::AccountId)>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            for (proxy, real) in &self.bindings {
                if let Err(error) = Pallet::<T>::bind(proxy.clone(), real.clone()) {
                    panic!("genesis binding {proxy:?} -> {real:?} is invalid: {error:?}");
                }
            }
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// `proxy` is now served by `real`, at `version`.
        ProxyRegistered {
            proxy: T::AccountId,
            real: T::AccountId,
            version: u32,
            previous: Option<T::AccountId>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// A proxy cannot act for itself.
        ProxyIsReal,
        /// The proxy is already bound to this account.
        AlreadyRegistered,
        /// The account already acts for another proxy; rebind that one first.
        RealAlreadyBound,
        /// The proxy has been rebound `u32::MAX` times.
        VersionOverflow,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        #[cfg(feature = "try-runtime")]
        fn try_state(
            _: BlockNumberFor<T>,
        ) -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Binds `proxy` to `real`, keeping the previous binding in the history.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::register_proxy_contract())]
        pub fn register_proxy_contract(
            origin: OriginFor<T>,
            proxy: T::AccountId,
            real: T::AccountId,
        ) -> DispatchResult {
            T::RegisterOrigin::ensure_origin(origin)?;
            Self::bind(proxy, real)
        }
    }

    impl<T: Config> Pallet<T> {
        /// The register's invariants: the two directions agree, and each
        /// proxy's latest history entry is its current binding.
        #[cfg(any(feature = "try-runtime", test))]
        pub fn do_try_state() -> Result<(), frame_support::sp_runtime::TryRuntimeError> {
            for (proxy, real) in RealContract::<T>::iter() {
                ensure!(
                    ProxyContract::<T>::get(&real).as_ref() == Some(&proxy),
                    "proxy register: a binding is missing its reverse"
                );
                ensure!(
                    OldContract::<T>::get(&proxy, ContractVersion::<T>::get(&proxy)).as_ref()
                        == Some(&real),
                    "proxy register: the latest version is not the current binding"
                );
            }
            ensure!(
                ProxyContract::<T>::iter_keys().count() == RealContract::<T>::iter_keys().count(),
                "proxy register: a reverse entry has no binding"
            );
            Ok(())
        }

        fn bind(proxy: T::AccountId, real: T::AccountId) -> DispatchResult {
            ensure!(proxy != real, Error::<T>::ProxyIsReal);
            let previous = RealContract::<T>::get(&proxy);
            ensure!(
                previous.as_ref() != Some(&real),
                Error::<T>::AlreadyRegistered
            );
            ensure!(
                !ProxyContract::<T>::contains_key(&real),
                Error::<T>::RealAlreadyBound
            );
            let version = ContractVersion::<T>::get(&proxy)
                .checked_add(1)
                .ok_or(Error::<T>::VersionOverflow)?;

            if let Some(previous) = &previous {
                ProxyContract::<T>::remove(previous);
            }
            RealContract::<T>::insert(&proxy, &real);
            ProxyContract::<T>::insert(&real, &proxy);
            ContractVersion::<T>::insert(&proxy, version);
            OldContract::<T>::insert(&proxy, version, &real);
            Self::deposit_event(Event::ProxyRegistered {
                proxy,
                real,
                version,
                previous,
            });
            Ok(())
        }

        /// The account currently acting for `proxy`.
        pub fn real_contract(proxy: &T::AccountId) -> Option<T::AccountId> {
            RealContract::<T>::get(proxy)
        }

        /// The proxy `real` currently acts for.
        pub fn proxy_contract(real: &T::AccountId) -> Option<T::AccountId> {
            ProxyContract::<T>::get(real)
        }

        /// How many times `proxy` has been bound; 0 if never.
        pub fn contract_version(proxy: &T::AccountId) -> u32 {
            ContractVersion::<T>::get(proxy)
        }

        /// The account bound to `proxy` at `version`.
        pub fn old_contract(proxy: &T::AccountId, version: u32) -> Option<T::AccountId> {
            OldContract::<T>::get(proxy, version)
        }
    }
}

impl<T: Config> ProxyResolver<T::AccountId> for Pallet<T> {
    fn real_of(proxy: &T::AccountId) -> Option<T::AccountId> {
        RealContract::<T>::get(proxy)
    }
}
