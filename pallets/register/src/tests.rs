use crate::{mock::*, Error, Event, Uploads};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

const ALICE: u64 = 10;
const BOB: u64 = 11;

fn upload_at(block: u64, who: u64, name: &[u8]) -> sp_runtime::DispatchResult {
    System::set_block_number(block);
    Register::claim_register(
        RuntimeOrigin::signed(PDASH_AGENT),
        who,
        name.to_vec(),
        [block as u8; 32],
        1024,
    )
}

#[test]
fn pdashs_agent_records_uploads() {
    new_test_ext().execute_with(|| {
        assert_ok!(upload_at(5, ALICE, b"sensor.csv"));
        assert_eq!(Register::upload_count(&ALICE), 1);
        let record = &Uploads::<Test>::get(ALICE)[0];
        assert_eq!(record.file_name.to_vec(), b"sensor.csv".to_vec());
        assert_eq!(record.file_size, 1024);
        assert_eq!(record.block_number, 5);
        System::assert_last_event(
            Event::UploadRecorded {
                uploader: ALICE,
                file_hash: [5; 32],
                file_size: 1024,
                total: 1,
            }
            .into(),
        );
    });
}

#[test]
fn only_the_account_bound_to_pdashs_proxy_may_record() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Register::claim_register(
                RuntimeOrigin::signed(ALICE),
                ALICE,
                b"x".to_vec(),
                [0; 32],
                1
            ),
            Error::<Test>::NotPdashAgent
        );
        assert_noop!(
            Register::claim_register(RuntimeOrigin::root(), ALICE, b"x".to_vec(), [0; 32], 1),
            DispatchError::BadOrigin
        );
        // Rebinding PDash's proxy moves the right with it.
        Agent::set(Some(BOB));
        assert_noop!(
            Register::claim_register(
                RuntimeOrigin::signed(PDASH_AGENT),
                ALICE,
                b"x".to_vec(),
                [0; 32],
                1
            ),
            Error::<Test>::NotPdashAgent
        );
        assert_ok!(Register::claim_register(
            RuntimeOrigin::signed(BOB),
            ALICE,
            b"x".to_vec(),
            [0; 32],
            1
        ));
        // No binding at all: nobody may record.
        Agent::set(None);
        assert_noop!(
            Register::claim_register(RuntimeOrigin::signed(BOB), ALICE, b"x".to_vec(), [0; 32], 1),
            Error::<Test>::NotPdashAgent
        );
    });
}

#[test]
fn bad_records_are_refused() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Register::claim_register(
                RuntimeOrigin::signed(PDASH_AGENT),
                ALICE,
                vec![b'a'; 17],
                [0; 32],
                1
            ),
            Error::<Test>::FileNameTooLong
        );
        assert_noop!(
            Register::claim_register(
                RuntimeOrigin::signed(PDASH_AGENT),
                ALICE,
                b"a".to_vec(),
                [0; 32],
                0
            ),
            Error::<Test>::EmptyFile
        );
        crate::UploadCount::<Test>::insert(ALICE, u32::MAX);
        assert_noop!(
            Register::claim_register(
                RuntimeOrigin::signed(PDASH_AGENT),
                ALICE,
                b"a".to_vec(),
                [0; 32],
                1
            ),
            Error::<Test>::CountOverflow
        );
    });
}

#[test]
fn window_counts_include_both_ends() {
    new_test_ext().execute_with(|| {
        for block in [10, 20, 30] {
            assert_ok!(upload_at(block, ALICE, b"f"));
        }
        assert_eq!(Register::uploads_between(&ALICE, 10, 30), 3);
        assert_eq!(Register::uploads_between(&ALICE, 11, 30), 2);
        assert_eq!(Register::uploads_between(&ALICE, 10, 29), 2);
        assert_eq!(Register::uploads_between(&ALICE, 20, 20), 1);
        assert_eq!(Register::uploads_between(&ALICE, 31, 100), 0);
        assert_eq!(Register::uploads_between(&ALICE, 30, 10), 0);
        assert_eq!(Register::uploads_between(&BOB, 0, 100), 0);
    });
}

#[test]
fn a_full_list_drops_its_oldest_record_but_the_total_counts_all() {
    new_test_ext().execute_with(|| {
        for block in 1..=6 {
            assert_ok!(upload_at(block, ALICE, b"f"));
        }
        let kept: Vec<u64> = Uploads::<Test>::get(ALICE)
            .iter()
            .map(|r| r.block_number)
            .collect();
        assert_eq!(kept, vec![3, 4, 5, 6]);
        assert_eq!(Register::upload_count(&ALICE), 6);
        assert_eq!(Register::uploads_between(&ALICE, 1, 6), 4);
    });
}

#[test]
fn try_state_catches_a_count_below_the_listed_uploads() {
    new_test_ext().execute_with(|| {
        assert_ok!(upload_at(1, ALICE, b"a.csv"));
        assert_ok!(upload_at(2, ALICE, b"b.csv"));
        assert_ok!(Register::do_try_state());
        crate::UploadCount::<Test>::insert(ALICE, 1);
        assert!(Register::do_try_state().is_err());
    });
}

#[test]
fn writing_a_list_drops_its_stale_records() {
    new_test_ext().execute_with(|| {
        assert_ok!(upload_at(1, ALICE, b"old"));
        assert_ok!(upload_at(2, ALICE, b"newer"));
        assert_ok!(upload_at(1 + LOG_WINDOW as u64, ALICE, b"new"));
        let kept: Vec<u64> = Uploads::<Test>::get(ALICE)
            .iter()
            .map(|r| r.block_number)
            .collect();
        assert_eq!(kept, vec![2, 1 + LOG_WINDOW as u64]);
        assert_eq!(Register::upload_count(&ALICE), 3);
    });
}

#[test]
fn a_one_time_uploader_leaves_no_list_after_the_window() {
    new_test_ext().execute_with(|| {
        assert_ok!(upload_at(1, ALICE, b"once"));
        // Still inside the window: kept.
        System::set_block_number(LOG_WINDOW as u64);
        assert_eq!(Register::sweep_stale_uploads(10), 1);
        assert!(Uploads::<Test>::contains_key(ALICE));
        System::set_block_number(1 + LOG_WINDOW as u64);
        assert_eq!(Register::sweep_stale_uploads(10), 1);
        assert!(!Uploads::<Test>::contains_key(ALICE));
        assert_eq!(Uploads::<Test>::iter().count(), 0);
    });
}

#[test]
fn a_block_sweeps_at_most_its_bound_and_reports_its_weight() {
    use crate::WeightInfo;
    use frame_support::{traits::Hooks, weights::Weight};
    new_test_ext().execute_with(|| {
        for who in 20..25 {
            assert_ok!(upload_at(1, who, b"f"));
        }
        System::set_block_number(2 + LOG_WINDOW as u64);
        let lists = || Uploads::<Test>::iter().count();
        // MaxSweepPerBlock is 3.
        let used = Register::on_idle(System::block_number(), Weight::MAX);
        assert_eq!(used, <() as WeightInfo>::sweep(MAX_SWEEP));
        assert_eq!(lists(), 2);
        // Too little weight for one list: nothing is done or charged.
        let base = <() as WeightInfo>::sweep(0);
        assert_eq!(
            Register::on_idle(System::block_number(), base),
            Weight::zero()
        );
        assert_eq!(lists(), 2);
        let one = <() as WeightInfo>::sweep(1);
        assert_eq!(Register::on_idle(System::block_number(), one), one);
        assert_eq!(lists(), 1);
        Register::on_idle(System::block_number(), Weight::MAX);
        assert_eq!(lists(), 0);
        assert_eq!(crate::UploadsSweep::<Test>::get(), None);
    });
}
