use crate::{mock::*, *};
use cpchain_primitives::traits::{
    ImpeachmentCounter, IMPEACHMENTS_TO_ZERO_RPT, IMPEACHMENT_WINDOW,
};
use frame_support::{assert_noop, assert_ok};
use sp_core::H256;
use sp_runtime::DispatchError;

#[test]
fn genesis_sets_the_committee_and_the_first_terms() {
    new_test_ext().execute_with(|| {
        assert_eq!(Dpor::validators().len(), 4);
        assert_eq!(Dpor::proposers_of_term(0), vec![100, 101]);
        assert_eq!(Dpor::proposers_of_term(1), vec![100, 101]);
        assert_eq!(
            Dpor::timing(),
            Some(Timing {
                period_ms: 3_000,
                impeach_timeout_ms: 3_000
            })
        );
    });
}

#[test]
fn proposers_take_turns_block_by_block() {
    new_test_ext().execute_with(|| {
        let order: Vec<_> = (1..=TERM as u32)
            .map(|n| Dpor::proposer_of(n).unwrap())
            .collect();
        assert_eq!(order, vec![100, 101, 100, 101, 100, 101]);
        assert_eq!(Dpor::proposer_of(0), None);
        assert_eq!((Dpor::term_of(6), Dpor::term_of(7)), (0, 1));
    });
}

#[test]
fn each_block_rewards_its_proposer_by_the_years_schedule() {
    new_test_ext().execute_with(|| {
        run_to(3);
        assert_eq!(Balances::free_balance(100), 2 * REWARDS[0]);
        assert_eq!(Balances::free_balance(101), REWARDS[0]);
        System::assert_has_event(
            Event::BlockRewarded {
                proposer: 101,
                reward: REWARDS[0],
            }
            .into(),
        );
        // The year's last block pays the first year's reward, the next
        // the second's; none after the schedule.
        let year = u64::from(BLOCKS_PER_YEAR);
        run_to(year - 1);
        assert_eq!(Dpor::block_reward(), REWARDS[0]);
        run_to(year);
        assert_eq!(Balances::total_issuance(), YEARLY[0]);
        assert_eq!(Dpor::block_reward(), REWARDS[1]);
        run_to(2 * year);
        assert_eq!(Balances::total_issuance(), YEARLY[0] + YEARLY[1]);
        assert_eq!(Dpor::block_reward(), 0);
    });
}

/// Review finding (issue 15): block rewards were the original's figures
/// per 10 s block, paid per block whatever the period, so a 3 s chain
/// minted 3.3 times the yearly issuance, and `set_timing` left the year's
/// length in blocks behind. A year now mints its issuance at any period,
/// also when the period changes within it.
#[test]
fn a_year_mints_its_issuance_whatever_the_period() {
    new_test_ext().execute_with(|| {
        // 4 blocks of 3 s: 12 of the year's 60 s.
        run_to(4);
        assert_eq!(Balances::total_issuance(), 4 * REWARDS[0]);
        assert_ok!(Dpor::set_timing(RuntimeOrigin::root(), 6_000, 6_000));
        assert_eq!(BlocksPerYear::<Test>::get(), 10);
        // Twice the period, twice the reward: the other 48 s in 8 blocks.
        assert_eq!(Dpor::block_reward(), 2 * REWARDS[0]);
        run_to(11);
        assert_eq!(Dpor::block_reward(), 2 * REWARDS[0]);
        run_to(12);
        assert_eq!(Balances::total_issuance(), YEARLY[0]);
        assert_eq!(
            RewardYear::<Test>::get(),
            RewardClock {
                year: 1,
                elapsed_ms: 0
            }
        );
        assert_eq!(Dpor::block_reward(), YEARLY[1] * 6_000 / YEAR_MS);
    });
}

#[test]
fn the_v1_migration_turns_per_block_rewards_into_yearly_issuance_once() {
    use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
    new_test_ext().execute_with(|| {
        // Version 0's state when block 25 runs the migration (before the
        // block is initialized: the number is the parent's): per-block
        // rewards for the original's 10 s blocks, years of 20 blocks.
        StorageVersion::new(0).put::<Dpor>();
        RewardSchedule::<Test>::put(BoundedVec::truncate_from(vec![50, 30]));
        RewardYear::<Test>::kill();
        BlocksPerYear::<Test>::put(20);
        System::set_block_number(24);
        crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
        // 6 blocks of 10 s in the mock's 60 s year.
        assert_eq!(RewardSchedule::<Test>::get().to_vec(), vec![300, 180]);
        // Blocks 1 to 24: one year of 20 blocks, and 4 of the next.
        let clock = RewardClock {
            year: 1,
            elapsed_ms: 12_000,
        };
        assert_eq!(RewardYear::<Test>::get(), clock);
        assert_eq!(BlocksPerYear::<Test>::get(), 20);
        assert_eq!(Dpor::on_chain_storage_version(), 1);
        crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
        assert_eq!(RewardSchedule::<Test>::get().to_vec(), vec![300, 180]);
        assert_eq!(RewardYear::<Test>::get(), clock);
    });
}

#[test]
fn a_checkpoint_elects_the_proposers_two_terms_ahead() {
    new_test_ext().execute_with(|| {
        set_candidates(2, &[1, 2, 3]);
        set_rpt(&[(1, 500), (2, 400), (3, 100)]);
        run_to(TERM);
        // Fixed at the checkpoint, drawn one block of each proposer later.
        let fixed = NextElection::<Test>::get().expect("an election fixed at the checkpoint");
        assert_eq!((fixed.term, fixed.draw_at), (2, DRAWN as u32));
        assert_eq!(fixed.scored.to_vec(), vec![(1, 500), (2, 400), (3, 100)]);
        run_to(DRAWN - 1);
        assert!(Dpor::proposers_of_term(2).is_empty());
        run_to(DRAWN);
        assert_eq!(NextElection::<Test>::get(), None);
        let elected = Dpor::proposers_of_term(2);
        assert_eq!(elected.len(), TERM_LEN as usize);
        assert!(elected.iter().all(|who| [1, 2, 3].contains(who)));
        System::assert_has_event(
            Event::ProposersElected {
                term: 2,
                proposers: elected.clone(),
                candidates: 2,
            }
            .into(),
        );
        // The elected proposers produce term 2's blocks.
        assert_eq!(Dpor::proposer_of(2 * TERM as u32 + 1), Some(elected[0]));
    });
}

#[test]
fn the_election_is_the_same_on_every_node() {
    let run = || {
        new_test_ext().execute_with(|| {
            set_candidates(2, &[1, 2, 3, 4, 5]);
            set_rpt(&[(1, 50), (2, 40), (3, 30), (4, 20), (5, 10)]);
            run_to(DRAWN);
            Dpor::proposers_of_term(2)
        })
    };
    let first = run();
    for _ in 0..5 {
        assert_eq!(run(), first);
    }
}

#[test]
fn empty_seats_are_filled_from_the_default_proposers() {
    new_test_ext().execute_with(|| {
        set_candidates(2, &[7]);
        run_to(DRAWN);
        assert_eq!(Dpor::proposers_of_term(2), vec![7, 100]);
        run_to(TERM + DRAWN);
        assert_eq!(Dpor::proposers_of_term(3), vec![100, 101]);
    });
}

#[test]
fn the_seed_folds_each_proposers_vrf_output_and_nothing_for_an_impeach_block() {
    new_test_ext().execute_with(|| {
        register_sealers(&DEFAULTS);
        let mut seeds = vec![Seed::<Test>::get()];
        for n in 1..=5 {
            run_proposed_block(H256::repeat_byte(1), Some(honest_vrf(n)));
            seeds.push(Seed::<Test>::get());
        }
        let mut unique = seeds.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seeds.len());
        let before = Seed::<Test>::get();
        run_impeach_block();
        assert_eq!(Seed::<Test>::get(), before);
    });
}

#[test]
fn a_block_without_a_valid_vrf_adds_nothing_to_the_seed() {
    new_test_ext().execute_with(|| {
        register_sealers(&DEFAULTS);
        let seed = Seed::<Test>::get();
        // Block 1 is 100's: a VRF by 101, one for another height, garbage,
        // and none at all.
        let by_another_key = {
            use sp_core::crypto::VrfSecret;
            let data = cpchain_primitives::vrf::vrf_sign_data(1, &Dpor::seed_bytes());
            cpchain_primitives::vrf::DporVrf::from_signature(&sealer_of(101).vrf_sign(&data))
        };
        let for_another_height = {
            System::set_block_number(1);
            let vrf = honest_vrf(2);
            System::set_block_number(0);
            vrf
        };
        let garbage = cpchain_primitives::vrf::DporVrf {
            pre_output: [1; 32],
            proof: [2; 64],
        };
        for vrf in [
            Some(by_another_key),
            Some(for_another_height),
            Some(garbage),
            None,
        ] {
            System::set_block_number(0);
            run_proposed_block(H256::repeat_byte(1), vrf);
            assert_eq!(Seed::<Test>::get(), seed);
        }
    });
}

/// The attack the VRF stops: the proposers of the blocks before an
/// election is drawn try many versions of their blocks (other extrinsics,
/// another order, another timestamp: another hash) and publish the one that
/// elects whom they like. With block hashes in the seed, 32 versions of one
/// block gave up to 32 elections to choose from; now every version gives
/// the same one. What is left is withholding, which costs an impeachment
/// and yields the only other outcome.
#[test]
fn the_proposers_before_a_draw_cannot_grind_the_election() {
    let candidates: Vec<u64> = (1..=12).collect();
    type Version = Option<cpchain_primitives::vrf::DporVrf>;
    let election_after = |versions: &dyn Fn(u64) -> (H256, Version), withhold_last: bool| {
        new_test_ext().execute_with(|| {
            register_sealers(&DEFAULTS);
            set_candidates(2, &candidates);
            set_rpt(&candidates.iter().map(|c| (*c, 10)).collect::<Vec<_>>());
            for n in 1..DRAWN {
                let (parent, vrf) = versions(n);
                run_proposed_block(parent, vrf.or_else(|| Some(honest_vrf(n))));
            }
            let last = Dpor::proposer_of(DRAWN as u32).unwrap();
            if withhold_last {
                run_impeach_block();
            } else {
                let (parent, vrf) = versions(DRAWN);
                run_proposed_block(parent, vrf.or_else(|| Some(honest_vrf(DRAWN))));
            }
            (
                Dpor::proposers_of_term(2),
                !ImpeachedBlocks::<Test>::get(last).is_empty(),
            )
        })
    };
    let mut outcomes = std::collections::BTreeSet::new();
    for version in 0..32u8 {
        let (elected, impeached) = election_after(&|_| (H256::repeat_byte(version), None), false);
        assert_eq!(elected.len(), TERM_LEN as usize);
        assert!(!impeached);
        outcomes.insert(elected);
    }
    assert_eq!(outcomes.len(), 1, "the blocks' content moved the election");
    let (withheld, impeached) = election_after(&|_| (H256::zero(), None), true);
    assert!(
        impeached,
        "withholding the last block impeaches its proposer"
    );
    // A forged VRF (valid bytes that prove nothing) is folded as nothing,
    // the same as withholding, and import refuses the block besides.
    let forged = cpchain_primitives::vrf::DporVrf {
        pre_output: [9; 32],
        proof: [9; 64],
    };
    let (with_forged, _) = election_after(
        &|n| (H256::zero(), (n == DRAWN).then(|| forged.clone())),
        false,
    );
    assert_eq!(with_forged, withheld);
    outcomes.insert(withheld);
    assert_eq!(outcomes.len(), 2, "one bit of choice, no more");
}

/// The attack through state: the checkpoint's proposer knows the seed
/// after its own block, so if the checkpoint drew the election it could try
/// versions of its block (its candidates claiming or quitting, transfers
/// that move RPT ranks) and publish the one whose draw it likes. The
/// checkpoint only fixes the candidates; the draw comes after VRF outputs
/// of other proposers that did not exist yet: here the next block's
/// proposer alone, by publishing or withholding, changes the draw.
#[test]
fn an_election_is_drawn_from_outputs_that_did_not_exist_when_its_candidates_were_fixed() {
    let candidates: Vec<u64> = (1..=12).collect();
    let draw = |next_block_withheld: bool| {
        new_test_ext().execute_with(|| {
            register_sealers(&DEFAULTS);
            set_candidates(2, &candidates);
            set_rpt(&candidates.iter().map(|c| (*c, 10)).collect::<Vec<_>>());
            for n in 1..=TERM {
                run_proposed_block(H256::zero(), Some(honest_vrf(n)));
            }
            assert!(
                Dpor::proposers_of_term(2).is_empty(),
                "drawn at the checkpoint"
            );
            assert_eq!(
                NextElection::<Test>::get().map(|e| e.scored.len()),
                Some(12)
            );
            if next_block_withheld {
                run_impeach_block();
            } else {
                run_proposed_block(H256::zero(), Some(honest_vrf(TERM + 1)));
            }
            for n in TERM + 2..=DRAWN {
                run_proposed_block(H256::zero(), Some(honest_vrf(n)));
            }
            Dpor::proposers_of_term(2)
        })
    };
    let (published, withheld) = (draw(false), draw(true));
    assert_eq!(published.len(), TERM_LEN as usize);
    assert_ne!(
        published, withheld,
        "the draw ignored outputs after the checkpoint"
    );
}

#[test]
fn validator_changes_are_governed_and_wait_for_the_next_term() {
    new_test_ext().execute_with(|| {
        let seven: Vec<_> = (1..=7).map(|i| (i as u64, key(i))).collect();
        assert_noop!(
            Dpor::set_validators(RuntimeOrigin::signed(1), seven.clone()),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Dpor::set_validators(RuntimeOrigin::root(), seven[..2].to_vec()),
            Error::<Test>::NotThreeFPlusOne
        );
        let mut duplicate = seven[..4].to_vec();
        duplicate[3] = (9, key(1));
        assert_noop!(
            Dpor::set_validators(RuntimeOrigin::root(), duplicate),
            Error::<Test>::DuplicateValidator
        );
        let ten_plus: Vec<_> = (1..=13).map(|i| (i as u64, key(i))).collect();
        assert_noop!(
            Dpor::set_validators(RuntimeOrigin::root(), ten_plus),
            Error::<Test>::TooManyValidators
        );

        run_to(2);
        assert_ok!(Dpor::set_validators(RuntimeOrigin::root(), seven.clone()));
        assert_eq!(Dpor::next_committee_change(), Some(TERM as u32 + 1));
        run_to(TERM);
        assert_eq!(Dpor::validators().len(), 4);
        run_to(TERM + 1);
        assert_eq!(Dpor::validators(), seven);
        System::assert_has_event(Event::ValidatorsChanged { term: 1, count: 7 }.into());
        assert_eq!(Dpor::next_committee_change(), None);
    });
}

#[test]
fn a_new_term_shape_starts_with_the_next_term() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Dpor::set_schedule(RuntimeOrigin::signed(1), 3, 1),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Dpor::set_schedule(RuntimeOrigin::root(), 0, 1),
            Error::<Test>::BadSchedule
        );
        assert_noop!(
            Dpor::set_schedule(RuntimeOrigin::root(), 9, 1),
            Error::<Test>::BadSchedule
        );
        assert_ok!(Dpor::set_schedule(RuntimeOrigin::root(), 3, 1));
        run_to(TERM);
        assert_eq!(Dpor::term_of(TERM as u32), 0);
        run_to(TERM + 1);
        // Term 1 starts at block 7 with three one-block slots.
        let first = TERM as u32 + 1;
        assert_eq!(
            (
                Dpor::term_of(first),
                Dpor::term_of(first + 2),
                Dpor::term_of(first + 3)
            ),
            (1, 1, 2)
        );
        assert_eq!(Dpor::proposers_of_term(1).len(), 3);
        assert!((first..first + 3).all(|n| Dpor::proposer_of(n).is_some()));
        // Term 2, fixed under the old shape, is drawn for the new one.
        assert!(Dpor::proposers_of_term(2).is_empty(), "not drawn yet");
        run_to(DRAWN);
        assert_eq!(Dpor::proposers_of_term(2).len(), 3);
        assert!((first + 3..first + 6).all(|n| Dpor::proposer_of(n).is_some()));
    });
}

#[test]
fn timing_and_rewards_are_governed() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Dpor::set_timing(RuntimeOrigin::signed(1), 1, 1),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Dpor::set_timing(RuntimeOrigin::root(), 0, 1),
            Error::<Test>::BadTiming
        );
        // A period longer than the reward year would pay more than a year.
        assert_noop!(
            Dpor::set_timing(RuntimeOrigin::root(), YEAR_MS + 1, 1),
            Error::<Test>::BadTiming
        );
        assert_ok!(Dpor::set_timing(RuntimeOrigin::root(), 10_000, 10_000));
        assert_eq!(Dpor::timing().unwrap().period_ms, 10_000);
        assert_eq!(BlocksPerYear::<Test>::get(), 6);

        assert_noop!(
            Dpor::set_rewards(RuntimeOrigin::signed(1), vec![1], 1),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Dpor::set_rewards(RuntimeOrigin::root(), vec![1], 0),
            Error::<Test>::BadBlocksPerYear
        );
        assert_noop!(
            Dpor::set_rewards(RuntimeOrigin::root(), vec![1; 6], 10),
            Error::<Test>::TooManyRewardYears
        );
        // 600 a block at 10 blocks a year: 6,000 a year, so 1,000 for
        // each of this chain's 6 blocks of 10 s.
        assert_ok!(Dpor::set_rewards(RuntimeOrigin::root(), vec![600], 10));
        assert_eq!(RewardSchedule::<Test>::get().to_vec(), vec![6_000]);
        assert_eq!(Dpor::block_reward(), 1_000);

        assert_noop!(
            Dpor::set_default_proposers(RuntimeOrigin::root(), vec![]),
            Error::<Test>::BadDefaultProposers
        );
        assert_ok!(Dpor::set_default_proposers(RuntimeOrigin::root(), vec![5]));
        assert_noop!(
            Dpor::set_low_rpt_seats(RuntimeOrigin::signed(1), 1),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn an_impeach_block_pays_no_reward_and_records_the_scheduled_proposer() {
    new_test_ext().execute_with(|| {
        run_to(1);
        let before = Balances::free_balance(101);
        // Block 2 is 101's.
        run_impeach_block();
        assert_eq!(Balances::free_balance(101), before);
        assert_eq!(Balances::free_balance(999), 0);
        System::assert_has_event(
            Event::ProposerImpeached {
                proposer: 101,
                block: 2,
                impeachments: 1,
            }
            .into(),
        );
        assert!(
            ImpeachedNow::<Test>::get().is_none(),
            "cleared at the block's end"
        );
        // The next ordinary block pays again.
        let before = Balances::free_balance(100);
        run_to(3);
        assert_eq!(Balances::free_balance(100), before + REWARDS[0]);
        assert_eq!(Dpor::recent_impeachments(&101), 1);
        assert_eq!(Dpor::recent_impeachments(&100), 0);
    });
}

#[test]
fn impeachments_count_within_the_last_ten_thousand_blocks() {
    new_test_ext().execute_with(|| {
        run_to(1);
        run_impeach_block(); // block 2 is 101's
        run_impeach_block(); // block 3 is 100's
        run_to(4);
        run_impeach_block(); // block 5 is 100's
        assert_eq!(ImpeachedBlocks::<Test>::get(100).to_vec(), vec![3, 5]);
        assert_eq!(Dpor::recent_impeachments(&100), 2);
        // Block 3 leaves the window at block 10,003, block 5 at 10,005.
        System::set_block_number(3 + IMPEACHMENT_WINDOW as u64 - 1);
        assert_eq!(Dpor::recent_impeachments(&100), 2);
        System::set_block_number(3 + IMPEACHMENT_WINDOW as u64);
        assert_eq!(Dpor::recent_impeachments(&100), 1);
        System::set_block_number(5 + IMPEACHMENT_WINDOW as u64);
        assert_eq!(Dpor::recent_impeachments(&100), 0);
    });
}

/// A proposer that fails at every slot cannot grow the chain's state: nine
/// impeachments already zero its RPT, so only the latest nine are kept.
#[test]
fn a_proposer_impeached_again_and_again_keeps_nine_entries() {
    new_test_ext().execute_with(|| {
        for _ in 0..30 {
            run_impeach_block();
        }
        // Blocks 1, 3, ..., 29 were 100's; 2, 4, ..., 30 were 101's.
        assert_eq!(
            ImpeachedBlocks::<Test>::get(100).to_vec(),
            (13..=29).step_by(2).collect::<Vec<u32>>()
        );
        assert_eq!(Dpor::recent_impeachments(&100), IMPEACHMENTS_TO_ZERO_RPT);
        System::assert_has_event(
            Event::ProposerImpeached {
                proposer: 101,
                block: 30,
                impeachments: 9,
            }
            .into(),
        );
    });
}

/// The client checks each block's seal against the proposer the parent's
/// state names; the runtime must pay that same proposer, also at the block
/// where a new term shape and new validators take effect.
#[test]
fn the_rewarded_proposer_is_the_one_the_parent_state_named_across_a_schedule_change() {
    new_test_ext().execute_with(|| {
        set_candidates(2, &[1, 2, 3]);
        set_rpt(&[(1, 500), (2, 400), (3, 100)]);
        assert_ok!(Dpor::set_schedule(RuntimeOrigin::root(), 3, 1));
        for n in 1..=4 * TERM {
            let named_by_parent = Dpor::proposer_of(n as u32);
            // A slot without a proposer halts the chain: nobody may seal
            // its block and no impeach block can name anyone.
            assert!(named_by_parent.is_some(), "#{n} has no proposer");
            System::reset_events();
            run_to(n);
            let rewarded: Vec<u64> = System::events()
                .into_iter()
                .filter_map(|record| match record.event {
                    RuntimeEvent::Dpor(Event::BlockRewarded { proposer, .. }) => Some(proposer),
                    _ => None,
                })
                .collect();
            assert_eq!(
                rewarded,
                named_by_parent.into_iter().collect::<Vec<_>>(),
                "#{n}"
            );
        }
    });
}

#[test]
fn the_last_block_of_a_validator_set_announces_the_next_in_its_header() {
    use cpchain_primitives::finality::ValidatorsChanged;
    new_test_ext().execute_with(|| {
        let newcomers: Vec<_> = (11..=14).map(|i| (i as u64, key(i))).collect();
        assert_ok!(Dpor::set_validators(RuntimeOrigin::root(), newcomers));
        run_to(TERM);
        assert_eq!(ValidatorSetId::<Test>::get(), 0);
        run_to(TERM + 1);
        let logs = System::digest().logs;
        let announced = logs.iter().find_map(|item| match item {
            sp_runtime::DigestItem::Consensus(id, data)
                if *id == cpchain_primitives::digest::DPOR_ENGINE_ID =>
            {
                <ValidatorsChanged as codec::Decode>::decode(&mut &data[..]).ok()
            }
            _ => None,
        });
        assert_eq!(
            announced,
            Some(ValidatorsChanged {
                set_id: 1,
                term: 1,
                validators: (11..=14).map(key).collect(),
            })
        );
        run_to(TERM + 2);
        assert!(
            System::digest().logs.is_empty(),
            "only the hand-over block announces"
        );
    });
}

#[allow(deprecated)]
mod equivocation {
    use super::*;
    use cpchain_primitives::{
        dpor_crypto::{AuthorityPair, AuthoritySignature},
        equivocation::{
            test_utils::{sealed_header, sealed_header_on},
            vote_signing_payload, EquivocationProof, Offender, ProposalEquivocation,
            VoteEquivocation, VotePhase,
        },
        Hash, Header,
    };
    use frame_support::pallet_prelude::{InvalidTransaction, TransactionSource};
    use sp_core::{sr25519, Pair};
    use sp_runtime::traits::ValidateUnsigned;

    fn alice() -> AuthorityPair {
        AuthorityPair::from_string("//Alice", None).unwrap()
    }

    /// The mock committee with Alice's real key in seat 1.
    fn with_alice_validating() {
        let mut validators = Dpor::validators();
        validators[0].1 = alice().public();
        Validators::<Test>::put(ValidatorsOf::<Test>::truncate_from(validators));
    }

    fn signed(pair: &AuthorityPair, height: u32, hash: Hash) -> (Hash, AuthoritySignature) {
        let chain = System::block_hash(0);
        let payload = vote_signing_payload(
            chain.as_ref(),
            height.into(),
            0,
            VotePhase::Prepare,
            hash.as_ref(),
        );
        (hash, pair.sign(&payload))
    }

    fn double_vote(pair: &AuthorityPair, height: u32) -> Box<EquivocationProof> {
        Box::new(EquivocationProof::Vote(VoteEquivocation {
            offender: pair.public(),
            height,
            round: 0,
            phase: VotePhase::Prepare,
            first: signed(pair, height, Hash::repeat_byte(1)),
            second: signed(pair, height, Hash::repeat_byte(2)),
        }))
    }

    /// A proposal on this chain's block `number - 1`.
    fn sealed(pair: &sr25519::Pair, number: u32, root: u8) -> Header {
        let parent = System::block_hash(u64::from(number) - 1);
        sealed_header_on(pair, number, parent, Hash::repeat_byte(root), false)
    }

    fn double_seal(pair: &sr25519::Pair, number: u32) -> Box<EquivocationProof> {
        Box::new(EquivocationProof::Proposal(ProposalEquivocation {
            first: sealed(pair, number, 1),
            second: sealed(pair, number, 2),
        }))
    }

    fn validate(proof: &EquivocationProof) -> Result<(), InvalidTransaction> {
        let call = Call::<Test>::report_equivocation {
            proof: Box::new(proof.clone()),
        };
        Dpor::validate_unsigned(TransactionSource::External, &call)
            .map(|_| ())
            .map_err(|e| match e {
                sp_runtime::transaction_validity::TransactionValidityError::Invalid(i) => i,
                other => panic!("{other:?}"),
            })
    }

    #[test]
    fn a_validator_that_votes_twice_is_recorded_once() {
        new_test_ext().execute_with(|| {
            with_alice_validating();
            run_to(3);
            let proof = double_vote(&alice(), 2);
            assert_eq!(validate(&proof), Ok(()));
            assert_noop!(
                Dpor::report_equivocation(RuntimeOrigin::signed(1), proof.clone()),
                DispatchError::BadOrigin
            );
            assert_ok!(Dpor::report_equivocation(
                RuntimeOrigin::none(),
                proof.clone()
            ));
            let offender = Offender::Validator(alice().public());
            System::assert_has_event(
                Event::EquivocationReported {
                    height: 2,
                    offender: offender.clone(),
                }
                .into(),
            );
            assert!(Offences::<Test>::contains_key(2, &offender));
            assert_noop!(
                Dpor::report_equivocation(RuntimeOrigin::none(), proof.clone()),
                Error::<Test>::DuplicateEquivocation
            );
            assert_eq!(validate(&proof), Err(InvalidTransaction::Stale));
        });
    }

    #[test]
    fn forged_outsider_or_undecided_evidence_is_refused() {
        new_test_ext().execute_with(|| {
            with_alice_validating();
            run_to(3);
            let bob = AuthorityPair::from_string("//Bob", None).unwrap();
            assert_noop!(
                Dpor::report_equivocation(RuntimeOrigin::none(), double_vote(&bob, 2)),
                Error::<Test>::NotInCommittee
            );
            let mut forged = double_vote(&alice(), 2);
            if let EquivocationProof::Vote(vote) = forged.as_mut() {
                vote.second.1 = bob.sign(b"anything");
            }
            assert_noop!(
                Dpor::report_equivocation(RuntimeOrigin::none(), forged.clone()),
                Error::<Test>::InvalidEquivocationProof
            );
            assert_eq!(validate(&forged), Err(InvalidTransaction::BadProof));
            assert_noop!(
                Dpor::report_equivocation(RuntimeOrigin::none(), double_vote(&alice(), 5)),
                Error::<Test>::EquivocationOutOfRange
            );
            // Block 2 is 101's turn, not 100's.
            let pair = sr25519::Pair::from_string("//Proposer", None).unwrap();
            register_sealer(&pair, 100);
            assert_noop!(
                Dpor::report_equivocation(RuntimeOrigin::none(), double_seal(&pair, 2)),
                Error::<Test>::NotInCommittee
            );
            assert!(Offences::<Test>::iter().next().is_none());
        });
    }

    #[test]
    fn evidence_from_before_a_validator_change_is_checked_against_the_outgoing_set() {
        new_test_ext().execute_with(|| {
            with_alice_validating();
            let newcomers: Vec<_> = (11..=14).map(|i| (i as u64, key(i))).collect();
            assert_ok!(Dpor::set_validators(RuntimeOrigin::root(), newcomers));
            run_to(TERM + 2);
            // Block TERM + 1 started the new set: the old one certified it.
            assert_eq!(ValidatorsSince::<Test>::get(), TERM as u32 + 2);
            assert_ok!(Dpor::report_equivocation(
                RuntimeOrigin::none(),
                double_vote(&alice(), TERM as u32 + 1)
            ));
            assert_noop!(
                Dpor::report_equivocation(
                    RuntimeOrigin::none(),
                    double_vote(&alice(), TERM as u32 + 2)
                ),
                Error::<Test>::NotInCommittee
            );
        });
    }

    #[test]
    fn a_proposer_that_seals_two_blocks_is_barred_from_the_next_election_and_loses_rpt() {
        new_test_ext().execute_with(|| {
            let pair = sr25519::Pair::from_string("//Proposer", None).unwrap();
            register_sealer(&pair, 1);
            // Candidate 1, the best by RPT, holds seat 0 of term 2...
            set_candidates(2, &[1, 2, 3]);
            set_candidates(3, &[1, 2, 3]);
            set_rpt(&[(1, 9_000), (2, 8_000), (3, 100)]);
            Proposers::<Test>::insert(0, ProposersOf::<Test>::truncate_from(vec![1, 101]));
            run_to(2);
            // ...and sealed two blocks at height 1, its turn.
            assert_ok!(Dpor::report_equivocation(
                RuntimeOrigin::none(),
                double_seal(&pair, 1)
            ));
            System::assert_has_event(
                Event::EquivocationReported {
                    height: 1,
                    offender: Offender::Proposer(pair.public().into()),
                }
                .into(),
            );
            assert!(Dpor::is_barred(&1, 0));
            run_to(DRAWN);
            assert!(!Dpor::proposers_of_term(2).contains(&1));
            // Free to stand again, 5,000 points down, in the next term's election.
            assert!(!Dpor::is_barred(&1, 1));
            assert_eq!(
                Dpor::equivocation_penalty(&1, 1),
                DEFAULT_EQUIVOCATION_RPT_PENALTY
            );
            run_to(TERM + DRAWN);
            let third = Dpor::proposers_of_term(3);
            assert!(third.contains(&2), "{third:?}");
        });
    }

    #[test]
    fn blocks_sealed_on_another_chain_frame_nobody() {
        new_test_ext().execute_with(|| {
            let pair = sr25519::Pair::from_string("//Proposer", None).unwrap();
            register_sealer(&pair, 100);
            run_to(3);
            // Block 1 is 100's: one header here, one from another network
            // where the same key proposes at the same height.
            let elsewhere = sealed_header(&pair, 1, Hash::repeat_byte(9), false);
            let framed = Box::new(EquivocationProof::Proposal(ProposalEquivocation {
                first: sealed(&pair, 1, 1),
                second: elsewhere,
            }));
            assert_noop!(
                Dpor::report_equivocation(RuntimeOrigin::none(), framed),
                Error::<Test>::InvalidEquivocationProof
            );
            assert_ok!(Dpor::report_equivocation(
                RuntimeOrigin::none(),
                double_seal(&pair, 1)
            ));
        });
    }

    #[test]
    fn an_offender_is_recorded_once_a_term_and_only_for_recent_heights() {
        new_test_ext().execute_with(|| {
            with_alice_validating();
            run_to(4);
            assert_ok!(Dpor::report_equivocation(
                RuntimeOrigin::none(),
                double_vote(&alice(), 2)
            ));
            // Another height of the same term adds nothing.
            let again = double_vote(&alice(), 3);
            assert_noop!(
                Dpor::report_equivocation(RuntimeOrigin::none(), again.clone()),
                Error::<Test>::DuplicateEquivocation
            );
            assert_eq!(validate(&again), Err(InvalidTransaction::Stale));
            run_to(u64::from(EQUIVOCATION_REPORT_WINDOW) + 10);
            // The next terms' offences count, but not from too long ago.
            assert_noop!(
                Dpor::report_equivocation(RuntimeOrigin::none(), double_vote(&alice(), 8)),
                Error::<Test>::EquivocationOutOfRange
            );
            let recent = EQUIVOCATION_REPORT_WINDOW + 5;
            assert_ok!(Dpor::report_equivocation(
                RuntimeOrigin::none(),
                double_vote(&alice(), recent)
            ));
        });
    }

    #[test]
    fn only_governance_sets_the_equivocation_penalty() {
        new_test_ext().execute_with(|| {
            assert_noop!(
                Dpor::set_equivocation_rpt_penalty(RuntimeOrigin::signed(1), 10),
                DispatchError::BadOrigin
            );
            assert_noop!(
                Dpor::set_equivocation_rpt_penalty(RuntimeOrigin::root(), MAX_RPT_POINTS + 1),
                Error::<Test>::PenaltyTooHigh
            );
            assert_ok!(Dpor::set_equivocation_rpt_penalty(
                RuntimeOrigin::root(),
                10
            ));
            assert_eq!(EquivocationRptPenalty::<Test>::get(), 10);
        });
    }
}

#[test]
fn try_state_requires_three_f_plus_one_validators() {
    new_test_ext().execute_with(|| {
        assert_ok!(Dpor::do_try_state());
        let mut validators = Validators::<Test>::get();
        validators.pop();
        Validators::<Test>::put(validators);
        assert!(Dpor::do_try_state().is_err());
    });
}

mod key_registration {
    use super::*;
    use codec::Encode;
    use frame_support::traits::fungible::{InspectHold, Mutate};
    use sp_core::crypto::UncheckedFrom;
    use sp_runtime::traits::OpaqueKeys;

    fn fund(who: u64) {
        let _ = Balances::set_balance(&who, 1_000);
    }

    fn dpor_key(keys: &MockKeys) -> AuthorityId {
        keys.dpor.clone()
    }

    fn held(who: u64) -> u64 {
        Balances::balance_on_hold(&RuntimeHoldReason::Dpor(HoldReason::KeyDeposit), &who)
    }

    /// The first block a sitting validator may change its key at: the
    /// genesis set has been in force for the evidence window.
    const SETTLED: u64 = 1 + EQUIVOCATION_REPORT_WINDOW as u64;

    #[test]
    fn a_validator_registers_a_key_it_holds_and_its_seat_takes_it_at_the_next_term() {
        new_test_ext().execute_with(|| {
            run_to(SETTLED);
            fund(1);
            let (keys, proof) = keys_with_proof(9, 1);
            let new_key = dpor_key(&keys);
            assert_ok!(Dpor::set_keys(RuntimeOrigin::signed(1), keys, proof));
            assert_eq!(held(1), KEY_DEPOSIT);
            assert_eq!(RegisteredKeys::<Test>::get(1), Some(new_key.clone()));
            // The running term keeps certifying with the old key.
            assert_eq!(Dpor::validators()[0], (1, key(1)));
            let change = Dpor::next_committee_change().expect("a change is scheduled");
            run_to(change as u64);
            let mut expected: Vec<_> = (1..=4).map(|i| (i as u64, key(i))).collect();
            expected[0].1 = new_key;
            assert_eq!(Dpor::validators(), expected);
        });
    }

    /// Signatures under a key of small order can be made by anyone (for the
    /// identity: R = identity, s = 0 verifies any message), so such a key
    /// would let its validator deny its own equivocation.
    #[test]
    fn a_weak_key_enters_the_committee_by_no_call() {
        new_test_ext().execute_with(|| {
            run_to(SETTLED);
            fund(1);
            let mut identity = [0u8; 32];
            identity[0] = 1;
            let weak = AuthorityId::unchecked_from(identity);
            let mut forged = [0u8; 64];
            forged[0] = 1;
            let keys = MockKeys { dpor: weak.clone() };
            // The host's check accepts the forged proof: only the key check
            // stops it.
            assert!(keys.ownership_proof_is_valid(&1u64.encode(), &forged.encode()));
            assert_noop!(
                Dpor::set_keys(RuntimeOrigin::signed(1), keys, forged.encode()),
                Error::<Test>::WeakKey
            );
            let mut four: Vec<_> = (1..=4).map(|i| (i as u64, key(i))).collect();
            four[3].1 = weak;
            assert_noop!(
                Dpor::set_validators(RuntimeOrigin::root(), four),
                Error::<Test>::WeakKey
            );
        });
    }

    /// Evidence is checked against the set of its height, and the runtime
    /// keeps the current and the previous set: a validator changing its key
    /// every term would age its evidence out of reach in a few dozen blocks.
    #[test]
    fn a_validator_cannot_change_its_key_again_within_the_evidence_window() {
        new_test_ext().execute_with(|| {
            run_to(2);
            fund(1);
            let (keys, proof) = keys_with_proof(9, 1);
            assert_noop!(
                Dpor::set_keys(RuntimeOrigin::signed(1), keys.clone(), proof.clone()),
                Error::<Test>::RotationTooSoon
            );
            run_to(SETTLED);
            assert_ok!(Dpor::set_keys(RuntimeOrigin::signed(1), keys, proof));
            let change = Dpor::next_committee_change().unwrap() as u64;
            run_to(change);
            let (again, proof) = keys_with_proof(10, 1);
            assert_noop!(
                Dpor::set_keys(RuntimeOrigin::signed(1), again.clone(), proof.clone()),
                Error::<Test>::RotationTooSoon
            );
            // A change governance already scheduled adds no change of set.
            let current = Dpor::validators();
            assert_ok!(Dpor::set_validators(RuntimeOrigin::root(), current.clone()));
            assert_ok!(Dpor::set_keys(
                RuntimeOrigin::signed(1),
                again.clone(),
                proof
            ));
            assert_eq!(
                NextValidators::<Test>::get().unwrap()[0].1,
                dpor_key(&again)
            );
        });
    }

    #[test]
    fn changing_a_key_back_within_a_term_schedules_no_change_of_set() {
        new_test_ext().execute_with(|| {
            run_to(SETTLED);
            fund(1);
            let (keys, proof) = keys_with_proof(9, 1);
            assert_ok!(Dpor::set_keys(RuntimeOrigin::signed(1), keys, proof));
            assert!(NextValidators::<Test>::get().is_some());
            // Back to the key in force: register it (it is 1's own, in the
            // committee), and nothing is left to change.
            KeyOwners::<Test>::remove(key(1));
            let back = MockKeys { dpor: key(1) };
            let proof = {
                use sp_core::{proof_of_possession::ProofOfPossessionGenerator, Pair};
                let mut seed = [1u8; 32];
                seed[0] = 0xee;
                sp_core::ed25519::Pair::from_seed(&seed)
                    .generate_proof_of_possession(&1u64.encode())
                    .encode()
            };
            assert_ok!(Dpor::set_keys(RuntimeOrigin::signed(1), back, proof));
            assert_eq!(NextValidators::<Test>::get(), None);
            assert_eq!(Dpor::next_committee_change(), None);
        });
    }

    #[test]
    fn a_key_without_its_owners_proof_or_already_owned_is_refused_and_holds_nothing() {
        new_test_ext().execute_with(|| {
            run_to(1);
            for who in [1, 5, 6] {
                fund(who);
            }
            // A proof made for account 5 does not register the key for 1:
            // nobody can claim a key seen on chain or in a spec.
            let (keys, proof_for_5) = keys_with_proof(9, 5);
            assert_noop!(
                Dpor::set_keys(RuntimeOrigin::signed(1), keys.clone(), proof_for_5.clone()),
                Error::<Test>::InvalidKeyProof
            );
            assert_noop!(
                Dpor::set_keys(RuntimeOrigin::signed(1), keys.clone(), vec![0; 64]),
                Error::<Test>::InvalidKeyProof
            );
            assert_noop!(
                Dpor::set_keys(
                    RuntimeOrigin::signed(7),
                    keys.clone(),
                    keys_with_proof(9, 7).1
                ),
                Error::<Test>::InsufficientDeposit
            );
            assert_ok!(Dpor::set_keys(RuntimeOrigin::signed(5), keys, proof_for_5));
            // Whoever else holds that secret cannot register it a second time.
            let (same, proof_for_6) = keys_with_proof(9, 6);
            assert_noop!(
                Dpor::set_keys(RuntimeOrigin::signed(6), same, proof_for_6),
                Error::<Test>::KeyInUse
            );
            // Nor a key a sitting validator certifies with.
            let (sitting, proof) = keys_with_proof(11, 6);
            let mut four: Vec<_> = (1..=4).map(|i| (i as u64, key(i))).collect();
            four[2].1 = dpor_key(&sitting);
            Validators::<Test>::put(ValidatorsOf::<Test>::truncate_from(four.clone()));
            assert_noop!(
                Dpor::set_keys(RuntimeOrigin::signed(6), sitting, proof),
                Error::<Test>::KeyInUse
            );
            assert_eq!(held(1) + held(6) + held(7), 0);
            assert_eq!(Dpor::validators(), four);
            assert_eq!(NextValidators::<Test>::get(), None);
        });
    }

    #[test]
    fn governance_names_validators_by_account_with_their_registered_keys() {
        new_test_ext().execute_with(|| {
            run_to(1);
            let accounts = [11u64, 12, 13, 14];
            let mut registered = Vec::new();
            for (seed, who) in (20u8..).zip(accounts) {
                fund(who);
                let (keys, proof) = keys_with_proof(seed, who);
                registered.push((who, dpor_key(&keys)));
                assert_ok!(Dpor::set_keys(RuntimeOrigin::signed(who), keys, proof));
            }
            assert_noop!(
                Dpor::set_validator_accounts(RuntimeOrigin::signed(11), accounts.to_vec()),
                DispatchError::BadOrigin
            );
            assert_noop!(
                Dpor::set_validator_accounts(RuntimeOrigin::root(), vec![11, 12, 13, 99]),
                Error::<Test>::NoRegisteredKey
            );
            assert_noop!(
                Dpor::set_validator_accounts(RuntimeOrigin::root(), vec![11, 12]),
                Error::<Test>::NotThreeFPlusOne
            );
            assert_ok!(Dpor::set_validator_accounts(
                RuntimeOrigin::root(),
                accounts.to_vec()
            ));
            run_to(TERM + 1);
            assert_eq!(Dpor::validators(), registered);
            assert_ok!(Dpor::do_try_state());
            KeyOwners::<Test>::remove(&registered[0].1);
            assert!(Dpor::do_try_state().is_err());
        });
    }

    #[test]
    fn purging_a_key_returns_the_deposit_and_leaves_the_committee_alone() {
        new_test_ext().execute_with(|| {
            run_to(SETTLED);
            fund(1);
            let (keys, proof) = keys_with_proof(9, 1);
            assert_ok!(Dpor::set_keys(
                RuntimeOrigin::signed(1),
                keys.clone(),
                proof
            ));
            let scheduled = NextValidators::<Test>::get();
            assert_ok!(Dpor::purge_keys(RuntimeOrigin::signed(1)));
            assert_eq!(held(1), 0);
            assert_eq!(Balances::free_balance(1), 1_000);
            assert!(KeyOwners::<Test>::get(dpor_key(&keys)).is_none());
            assert_eq!(NextValidators::<Test>::get(), scheduled);
            assert_noop!(
                Dpor::purge_keys(RuntimeOrigin::signed(1)),
                Error::<Test>::NoRegisteredKey
            );
        });
    }
}
