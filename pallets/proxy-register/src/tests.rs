use crate::{mock::*, Error, Event};
use cpchain_primitives::traits::ProxyResolver;
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

const PDASH: u64 = 100;
const MARKET: u64 = 101;
const AGENT_V1: u64 = 1;
const AGENT_V2: u64 = 2;

fn register(proxy: u64, real: u64) -> sp_runtime::DispatchResult {
    ProxyRegister::register_proxy_contract(RuntimeOrigin::root(), proxy, real)
}

#[test]
fn binding_a_proxy_makes_it_resolvable_both_ways() {
    new_test_ext(vec![]).execute_with(|| {
        assert_ok!(register(PDASH, AGENT_V1));
        assert_eq!(ProxyRegister::real_contract(&PDASH), Some(AGENT_V1));
        assert_eq!(ProxyRegister::proxy_contract(&AGENT_V1), Some(PDASH));
        assert_eq!(ProxyRegister::contract_version(&PDASH), 1);
        assert_eq!(ProxyRegister::old_contract(&PDASH, 1), Some(AGENT_V1));
        assert_eq!(
            <ProxyRegister as ProxyResolver<u64>>::real_of(&PDASH),
            Some(AGENT_V1)
        );
        System::assert_last_event(
            Event::ProxyRegistered {
                proxy: PDASH,
                real: AGENT_V1,
                version: 1,
                previous: None,
            }
            .into(),
        );
    });
}

#[test]
fn rebinding_keeps_the_history_and_frees_the_old_account() {
    new_test_ext(vec![]).execute_with(|| {
        assert_ok!(register(PDASH, AGENT_V1));
        assert_ok!(register(PDASH, AGENT_V2));
        assert_eq!(ProxyRegister::real_contract(&PDASH), Some(AGENT_V2));
        assert_eq!(ProxyRegister::contract_version(&PDASH), 2);
        assert_eq!(ProxyRegister::old_contract(&PDASH, 1), Some(AGENT_V1));
        assert_eq!(ProxyRegister::old_contract(&PDASH, 2), Some(AGENT_V2));
        assert_eq!(ProxyRegister::proxy_contract(&AGENT_V1), None);
        assert_eq!(ProxyRegister::proxy_contract(&AGENT_V2), Some(PDASH));
        System::assert_last_event(
            Event::ProxyRegistered {
                proxy: PDASH,
                real: AGENT_V2,
                version: 2,
                previous: Some(AGENT_V1),
            }
            .into(),
        );
        // The freed account can serve another proxy.
        assert_ok!(register(MARKET, AGENT_V1));
        assert_eq!(ProxyRegister::real_contract(&MARKET), Some(AGENT_V1));
    });
}

#[test]
fn only_governance_binds_proxies() {
    new_test_ext(vec![]).execute_with(|| {
        assert_noop!(
            ProxyRegister::register_proxy_contract(
                RuntimeOrigin::signed(AGENT_V1),
                PDASH,
                AGENT_V1
            ),
            DispatchError::BadOrigin
        );
        assert_noop!(
            ProxyRegister::register_proxy_contract(RuntimeOrigin::none(), PDASH, AGENT_V1),
            DispatchError::BadOrigin
        );
        assert_eq!(ProxyRegister::real_contract(&PDASH), None);
    });
}

#[test]
fn bad_bindings_are_refused_and_change_nothing() {
    new_test_ext(vec![]).execute_with(|| {
        assert_noop!(register(PDASH, PDASH), Error::<Test>::ProxyIsReal);
        assert_ok!(register(PDASH, AGENT_V1));
        assert_noop!(register(PDASH, AGENT_V1), Error::<Test>::AlreadyRegistered);
        assert_noop!(register(MARKET, AGENT_V1), Error::<Test>::RealAlreadyBound);
        assert_eq!(ProxyRegister::contract_version(&PDASH), 1);
        assert_eq!(ProxyRegister::contract_version(&MARKET), 0);
    });
}

#[test]
fn the_version_counter_cannot_overflow() {
    new_test_ext(vec![]).execute_with(|| {
        crate::ContractVersion::<Test>::insert(PDASH, u32::MAX);
        assert_noop!(register(PDASH, AGENT_V1), Error::<Test>::VersionOverflow);
    });
}

#[test]
fn unknown_proxies_and_versions_resolve_to_nothing() {
    new_test_ext(vec![]).execute_with(|| {
        assert_eq!(ProxyRegister::real_contract(&PDASH), None);
        assert_eq!(ProxyRegister::contract_version(&PDASH), 0);
        assert_eq!(ProxyRegister::old_contract(&PDASH, 0), None);
        assert_eq!(ProxyRegister::old_contract(&PDASH, 7), None);
        assert_eq!(<() as ProxyResolver<u64>>::real_of(&PDASH), None);
    });
}

#[test]
fn genesis_bindings_start_at_version_one() {
    new_test_ext(vec![(PDASH, AGENT_V1), (MARKET, AGENT_V2)]).execute_with(|| {
        assert_eq!(ProxyRegister::real_contract(&PDASH), Some(AGENT_V1));
        assert_eq!(ProxyRegister::real_contract(&MARKET), Some(AGENT_V2));
        assert_eq!(ProxyRegister::contract_version(&MARKET), 1);
    });
}

#[test]
#[should_panic(expected = "genesis binding")]
fn an_invalid_genesis_binding_is_refused() {
    new_test_ext(vec![(PDASH, AGENT_V1), (MARKET, AGENT_V1)]);
}

#[test]
fn try_state_holds_through_rebinding_and_catches_a_lost_reverse() {
    new_test_ext(vec![]).execute_with(|| {
        assert_ok!(register(PDASH, AGENT_V1));
        assert_ok!(register(PDASH, AGENT_V2));
        assert_ok!(ProxyRegister::do_try_state());
        crate::ProxyContract::<Test>::remove(AGENT_V2);
        assert!(ProxyRegister::do_try_state().is_err());
    });
}
