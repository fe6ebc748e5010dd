use crate::proof::{find_nonce, ProofKind};
use crate::{mock::*, AcceptableBlocks, CpuDifficulty, Error, Event, MemoryDifficulty};
use codec::Encode;
use cpchain_primitives::traits::{AdmissionCheck, AdmissionProof};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

const MINER: u64 = 7;

/// A proof by `who` over block `n`, meeting the current difficulty.
fn prove(kind: ProofKind, who: u64, n: u64) -> AdmissionProof<u64> {
    let difficulty = match kind {
        ProofKind::Cpu => CpuDifficulty::<Test>::get(),
        ProofKind::Memory => MemoryDifficulty::<Test>::get(),
    };
    let hash = System::block_hash(n);
    let nonce = find_nonce(kind, &who.encode(), hash.as_ref(), difficulty, 0, 1 << 20)
        .expect("nonce found");
    AdmissionProof {
        block_number: n,
        nonce,
    }
}

/// A nonce whose proof fails the current difficulty.
fn disprove(kind: ProofKind, who: u64, n: u64) -> AdmissionProof<u64> {
    let mut proof = prove(kind, who, n);
    loop {
        proof.nonce += 1;
        if crate::Pallet::<Test>::check_proof(kind, &who, &proof).is_err() {
            return proof;
        }
    }
}

#[test]
fn fresh_valid_proofs_pass() {
    new_test_ext().execute_with(|| {
        let cpu = prove(ProofKind::Cpu, MINER, 19);
        let memory = prove(ProofKind::Memory, MINER, 15);
        assert_ok!(<Admission as AdmissionCheck<_, _>>::check(
            &MINER, &cpu, &memory
        ));
    });
}

#[test]
fn proofs_are_bound_to_their_account() {
    new_test_ext().execute_with(|| {
        // With difficulty 8 a stolen nonce passes for another account only
        // by a 1/256 chance; find an account for which it does not.
        let cpu = prove(ProofKind::Cpu, MINER, 19);
        let thief = (100..)
            .find(|who| crate::Pallet::<Test>::check_proof(ProofKind::Cpu, who, &cpu).is_err())
            .unwrap();
        let memory = prove(ProofKind::Memory, thief, 19);
        assert_noop!(
            <Admission as AdmissionCheck<_, _>>::check(&thief, &cpu, &memory),
            Error::<Test>::CpuProofInvalid
        );
    });
}

#[test]
fn wrong_nonces_fail_with_the_proof_kind() {
    new_test_ext().execute_with(|| {
        let cpu = prove(ProofKind::Cpu, MINER, 19);
        let memory = prove(ProofKind::Memory, MINER, 19);
        assert_noop!(
            <Admission as AdmissionCheck<_, _>>::check(
                &MINER,
                &disprove(ProofKind::Cpu, MINER, 19),
                &memory
            ),
            Error::<Test>::CpuProofInvalid
        );
        assert_noop!(
            <Admission as AdmissionCheck<_, _>>::check(
                &MINER,
                &cpu,
                &disprove(ProofKind::Memory, MINER, 19)
            ),
            Error::<Test>::MemoryProofInvalid
        );
    });
}

#[test]
fn stale_future_and_unknown_blocks_are_refused() {
    new_test_ext().execute_with(|| {
        // Block 20 is the current block: its hash is not final yet.
        let current = AdmissionProof {
            block_number: 20,
            nonce: 0,
        };
        let future = AdmissionProof {
            block_number: 25,
            nonce: 0,
        };
        let stale = prove(ProofKind::Cpu, MINER, 9); // 11 blocks old, bound is 10
        let oldest_ok = prove(ProofKind::Cpu, MINER, 10);
        let check =
            |p: &AdmissionProof<u64>| crate::Pallet::<Test>::check_proof(ProofKind::Cpu, &MINER, p);
        assert_noop!(check(&current), Error::<Test>::ProofFromTheFuture);
        assert_noop!(check(&future), Error::<Test>::ProofFromTheFuture);
        assert_noop!(check(&stale), Error::<Test>::ProofTooOld);
        assert_ok!(check(&oldest_ok));
        // A block whose hash the chain dropped.
        frame_system::BlockHash::<Test>::remove(12);
        assert_noop!(
            check(&AdmissionProof {
                block_number: 12,
                nonce: 0
            }),
            Error::<Test>::UnknownBlock
        );
    });
}

#[test]
fn governance_sets_difficulties_and_the_age_bound() {
    new_test_ext().execute_with(|| {
        assert_ok!(Admission::update_cpu_difficulty(RuntimeOrigin::root(), 20));
        assert_ok!(Admission::update_memory_difficulty(
            RuntimeOrigin::root(),
            256
        ));
        assert_ok!(Admission::update_acceptable_blocks(
            RuntimeOrigin::root(),
            100
        ));
        assert_eq!(CpuDifficulty::<Test>::get(), 20);
        assert_eq!(MemoryDifficulty::<Test>::get(), 256);
        assert_eq!(AcceptableBlocks::<Test>::get(), 100);
        System::assert_has_event(Event::CpuDifficultyUpdated { difficulty: 20 }.into());
        System::assert_has_event(Event::AcceptableBlocksUpdated { blocks: 100 }.into());
    });
}

#[test]
fn only_governance_changes_the_settings() {
    new_test_ext().execute_with(|| {
        let anyone = RuntimeOrigin::signed(MINER);
        assert_noop!(
            Admission::update_cpu_difficulty(anyone.clone(), 0),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Admission::update_memory_difficulty(anyone.clone(), 0),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Admission::update_acceptable_blocks(anyone, 50),
            DispatchError::BadOrigin
        );
        assert_eq!(CpuDifficulty::<Test>::get(), 8);
    });
}

#[test]
fn out_of_range_settings_are_refused() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Admission::update_cpu_difficulty(RuntimeOrigin::root(), 257),
            Error::<Test>::DifficultyTooHigh
        );
        assert_noop!(
            Admission::update_memory_difficulty(RuntimeOrigin::root(), u16::MAX),
            Error::<Test>::DifficultyTooHigh
        );
        assert_noop!(
            Admission::update_acceptable_blocks(RuntimeOrigin::root(), 0),
            Error::<Test>::AcceptableBlocksOutOfRange
        );
        assert_noop!(
            Admission::update_acceptable_blocks(RuntimeOrigin::root(), 101),
            Error::<Test>::AcceptableBlocksOutOfRange
        );
    });
}

#[test]
fn an_unconfigured_chain_uses_the_originals_defaults() {
    sp_io::TestExternalities::default().execute_with(|| {
        assert_eq!(CpuDifficulty::<Test>::get(), 12);
        assert_eq!(MemoryDifficulty::<Test>::get(), 6);
        assert_eq!(AcceptableBlocks::<Test>::get(), 10);
    });
}

#[test]
fn try_state_catches_parameters_out_of_bounds() {
    new_test_ext().execute_with(|| {
        assert_ok!(Admission::do_try_state());
        AcceptableBlocks::<Test>::put(0);
        assert!(Admission::do_try_state().is_err());
    });
}
