//! Benchmarks of pallet-dpor. The election's RPT ranking is weighed by the
//! RPT pallet and added by the hooks (`T::Rpt::ranking_weight`).

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Hooks};
use frame_system::RawOrigin;

/// `count` validators with keys from the benchmark's keystore: real keys,
/// since weak ones are refused.
fn validators<T: Config>(count: u32) -> Vec<(T::AccountId, AuthorityId)> {
    (0..count)
        .map(|i| {
            let seed = alloc::format!("//validator{i}").into_bytes();
            let key = sp_io::crypto::ed25519_generate(
                cpchain_primitives::dpor_crypto::KEY_TYPE,
                Some(seed),
            );
            (account("validator", i, 0), key.into())
        })
        .collect()
}

/// `//Alice`'s sr25519 key and its VRF for block 1 on the zero seed, made
/// with `DporVrf::from_signature(&pair.vrf_sign(&vrf_sign_data(1, &[0; 32])))`:
/// the runtime has no host function that signs a VRF.
const VRF_FIXTURE_PUBLIC: [u8; 32] = [
    212, 53, 147, 199, 21, 253, 211, 28, 97, 20, 26, 189, 4, 169, 159, 214, 130, 44, 133, 88, 133,
    76, 205, 227, 154, 86, 132, 231, 165, 109, 162, 125,
];
const VRF_FIXTURE_PRE_OUTPUT: [u8; 32] = [
    94, 231, 181, 61, 151, 171, 11, 42, 123, 2, 104, 221, 162, 163, 159, 10, 230, 209, 21, 107,
    105, 192, 134, 2, 221, 14, 51, 4, 209, 168, 81, 29,
];
const VRF_FIXTURE_PROOF: [u8; 64] = [
    81, 145, 27, 141, 31, 202, 24, 223, 139, 156, 203, 123, 37, 142, 50, 37, 115, 250, 185, 232,
    72, 92, 131, 55, 243, 118, 167, 147, 11, 97, 204, 8, 110, 160, 62, 126, 174, 111, 229, 71, 142,
    82, 224, 162, 11, 174, 252, 190, 10, 219, 208, 142, 94, 8, 126, 107, 61, 226, 2, 241, 232, 134,
    33, 3,
];

/// The largest committee: 3f+1 up to `MaxValidators`.
fn max_validators<T: Config>() -> u32 {
    let max = T::MaxValidators::get();
    max - (max - 1) % 3
}

fn fund<T: Config>(who: &T::AccountId) {
    use frame_support::traits::fungible::Inspect;
    use sp_runtime::Saturating;
    let amount = T::KeyDeposit::get()
        .saturating_mul(4u32.into())
        .saturating_add(T::Currency::minimum_balance());
    let _ = T::Currency::set_balance(who, amount);
}

fn governance<T: Config>() -> Result<T::RuntimeOrigin, BenchmarkError> {
    T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// `v` faults tolerated: 3v + 1 validators.
    #[benchmark]
    fn set_validators(v: Linear<0, 33>) -> Result<(), BenchmarkError> {
        let count = (3 * v + 1).min(T::MaxValidators::get());
        let count = count - (count - 1) % 3;
        let origin = governance::<T>()?;
        let new = validators::<T>(count);

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, new);

        assert_eq!(
            NextValidators::<T>::get().map(|v| v.len() as u32),
            Some(count)
        );
        Ok(())
    }

    /// A sitting validator replacing its registered key: the proof is
    /// checked, the old key's owner entry goes and the next set is written.
    #[benchmark]
    fn set_keys() -> Result<(), BenchmarkError> {
        let mut sitting = validators::<T>(max_validators::<T>());
        let who = sitting[0].0.clone();
        fund::<T>(&who);
        let owner = who.encode();
        let (old_keys, old_proof) = T::BenchmarkHelper::keys_with_proof(&owner);
        let old_key: AuthorityId = old_keys
            .get(cpchain_primitives::dpor_crypto::KEY_TYPE)
            .ok_or(BenchmarkError::Stop("the keys hold no dpor key"))?;
        sitting[0].1 = old_key;
        Validators::<T>::put(ValidatorsOf::<T>::truncate_from(sitting));
        // The set has been in force for the evidence window: a sitting
        // validator may change its key.
        let settled = ValidatorsSince::<T>::get().saturating_add(EQUIVOCATION_REPORT_WINDOW);
        frame_system::Pallet::<T>::set_block_number(settled.into());
        Pallet::<T>::set_keys(RawOrigin::Signed(who.clone()).into(), old_keys, old_proof)
            .map_err(|_| BenchmarkError::Stop("first set_keys"))?;
        let (keys, proof) = T::BenchmarkHelper::keys_with_proof(&owner);

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), keys, proof);

        let next = NextValidators::<T>::get().ok_or(BenchmarkError::Stop("no next set"))?;
        assert_eq!(RegisteredKeys::<T>::get(&who), Some(next[0].1.clone()));
        Ok(())
    }

    #[benchmark]
    fn purge_keys() -> Result<(), BenchmarkError> {
        let who: T::AccountId = account("registrant", 0, 0);
        fund::<T>(&who);
        let (keys, proof) = T::BenchmarkHelper::keys_with_proof(&who.encode());
        Pallet::<T>::set_keys(RawOrigin::Signed(who.clone()).into(), keys, proof)
            .map_err(|_| BenchmarkError::Stop("set_keys"))?;

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));

        assert!(RegisteredKeys::<T>::get(&who).is_none());
        Ok(())
    }

    /// `v` faults tolerated: 3v + 1 accounts, each with a registered key.
    #[benchmark]
    fn set_validator_accounts(v: Linear<0, 33>) -> Result<(), BenchmarkError> {
        let count = (3 * v + 1).min(T::MaxValidators::get());
        let count = count - (count - 1) % 3;
        let origin = governance::<T>()?;
        let named = validators::<T>(count);
        for (who, key) in &named {
            RegisteredKeys::<T>::insert(who, key.clone());
            KeyOwners::<T>::insert(key, who.clone());
        }
        let accounts: Vec<T::AccountId> = named.into_iter().map(|(who, _)| who).collect();

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, accounts);

        assert_eq!(
            NextValidators::<T>::get().map(|v| v.len() as u32),
            Some(count)
        );
        Ok(())
    }

    /// The heaviest of the settings: the longest default proposer list.
    #[benchmark]
    fn set_setting() -> Result<(), BenchmarkError> {
        let origin = governance::<T>()?;
        let proposers: Vec<T::AccountId> = (0..T::MaxProposers::get())
            .map(|i| account("proposer", i, 0))
            .collect();

        #[extrinsic_call]
        set_default_proposers(origin as T::RuntimeOrigin, proposers);

        assert_eq!(
            DefaultProposers::<T>::get().len() as u32,
            T::MaxProposers::get()
        );
        Ok(())
    }

    /// A checkpoint block, the worst case: the proposer's reward, the draw
    /// of the election fixed at the previous checkpoint (`p` seats among
    /// `MaxCandidates` scored candidates), and fixing the next one from
    /// `MaxCandidates` candidates, none barred and each with an
    /// equivocation record, which is read (the candidates' ranking is
    /// weighed by the RPT pallet).
    #[benchmark]
    fn on_finalize(p: Linear<1, 32>) -> Result<(), BenchmarkError> {
        let seats = p.min(T::MaxProposers::get());
        let defaults: Vec<T::AccountId> = (0..seats).map(|i| account("proposer", i, 0)).collect();
        DefaultProposers::<T>::put(ProposersOf::<T>::truncate_from(defaults.clone()));
        let schedule = Schedule {
            term_len: seats,
            view_len: 1,
        };
        CurrentSchedule::<T>::put(AnchoredSchedule {
            schedule,
            first_block: 1,
            first_term: 0,
        });
        Proposers::<T>::insert(0, ProposersOf::<T>::truncate_from(defaults));
        let checkpoint = seats;
        let scored: Vec<(T::AccountId, u32)> = (0..T::MaxCandidates::get())
            .map(|i| (account("candidate", i, 0), i))
            .collect();
        NextElection::<T>::put(PendingElection {
            term: 1,
            draw_at: checkpoint,
            scored: BoundedVec::truncate_from(scored),
        });
        let fixed: Vec<T::AccountId> = (0..T::MaxCandidates::get())
            .map(|i| account("next candidate", i, 0))
            .collect();
        for who in &fixed {
            ProposerEquivocations::<T>::insert(
                who,
                ImpeachmentRecord {
                    count: 1,
                    last_term: 0,
                },
            );
        }
        let fixed_for = AnchoredSchedule {
            schedule,
            first_block: 1,
            first_term: 0,
        }
        .term_of(checkpoint)
        .saturating_add(ELECTION_LAG);
        T::Candidates::set_candidates_for_benchmarks(fixed_for, fixed);
        let block: BlockNumberFor<T> = checkpoint.into();
        frame_system::Pallet::<T>::set_block_number(block);

        #[block]
        {
            Pallet::<T>::on_finalize(block);
        }

        assert_eq!(
            Proposers::<T>::get(1).len() as u32,
            seats,
            "the draw filled every seat"
        );
        let next = NextElection::<T>::get().ok_or(BenchmarkError::Weightless)?;
        assert_eq!(next.term, ELECTION_LAG, "the next election is fixed");
        assert_eq!(
            next.scored.len() as u32,
            T::MaxCandidates::get(),
            "every candidate was scored"
        );
        Ok(())
    }

    /// A proposer's block: the VRF proof verified and its output folded
    /// into the seed.
    #[benchmark]
    fn fold_vrf_output() -> Result<(), BenchmarkError> {
        let key = cpchain_primitives::AccountId::from(VRF_FIXTURE_PUBLIC);
        #[cfg(test)]
        crate::mock::SEALERS.with(|s| s.borrow_mut().insert(key.clone(), 7_777));
        let account = T::ProposerAccount::convert(key);
        let anchored = CurrentSchedule::<T>::get().ok_or(BenchmarkError::Weightless)?;
        let height: u32 = 1;
        let seats = anchored.schedule.term_len as usize;
        Proposers::<T>::insert(
            anchored.term_of(height),
            ProposersOf::<T>::truncate_from(alloc::vec![account.clone(); seats]),
        );
        Seed::<T>::kill();
        frame_system::Pallet::<T>::deposit_log(
            DporPreDigest {
                term: 0,
                view: 0,
                proposer: account,
                impeach: false,
                vrf: Some(cpchain_primitives::vrf::DporVrf {
                    pre_output: VRF_FIXTURE_PRE_OUTPUT,
                    proof: VRF_FIXTURE_PROOF,
                }),
            }
            .to_digest_item(),
        );

        #[block]
        {
            Pallet::<T>::fold_vrf_output(height, Pallet::<T>::pre_digest().as_ref());
        }

        assert_ne!(
            Seed::<T>::get(),
            T::Hash::default(),
            "the output was folded"
        );
        Ok(())
    }

    /// The heavier kind of evidence: two sealed headers (two sr25519
    /// signature checks, two header hashes) against the schedule and this
    /// chain's block hashes; a vote equivocation checks two ed25519
    /// signatures over short payloads.
    #[benchmark]
    fn report_equivocation() -> Result<(), BenchmarkError> {
        use cpchain_primitives::{
            digest::seal_item,
            equivocation::{Offender, ProposalEquivocation},
            Hash, Header,
        };
        use sp_runtime::traits::Header as _;

        let key_type = cpchain_primitives::seal_crypto::KEY_TYPE;
        let public = sp_io::crypto::sr25519_generate(key_type, None);
        let account = cpchain_primitives::AccountId::from(public);
        let proposer = T::ProposerAccount::convert(account.clone());
        let anchored = CurrentSchedule::<T>::get().ok_or(BenchmarkError::Weightless)?;
        let height: u32 = 9;
        frame_system::Pallet::<T>::set_block_number(10u32.into());
        let parent = Hash::repeat_byte(7);
        let parent_as_t =
            T::Hash::decode(&mut parent.as_ref()).map_err(|_| BenchmarkError::Weightless)?;
        frame_system::BlockHash::<T>::insert(BlockNumberFor::<T>::from(height - 1), parent_as_t);
        let seats = anchored.schedule.term_len as usize;
        Proposers::<T>::insert(
            anchored.term_of(height),
            ProposersOf::<T>::truncate_from(alloc::vec![proposer; seats]),
        );
        let sealed = |root: u8| -> Result<Header, BenchmarkError> {
            let mut header = Header::new(
                height,
                Hash::repeat_byte(root),
                Hash::zero(),
                parent,
                Default::default(),
            );
            header.digest.push(
                DporPreDigest {
                    term: anchored.term_of(height),
                    view: anchored.view_of(height),
                    proposer: account.clone(),
                    impeach: false,
                    vrf: None,
                }
                .to_digest_item(),
            );
            let signature = sp_io::crypto::sr25519_sign(key_type, &public, header.hash().as_ref())
                .ok_or(BenchmarkError::Stop("no sealing key in the keystore"))?;
            header.digest.push(seal_item(signature.as_ref()));
            Ok(header)
        };
        let proof = EquivocationProof::Proposal(ProposalEquivocation {
            first: sealed(1)?,
            second: sealed(2)?,
        });

        #[extrinsic_call]
        _(RawOrigin::None, alloc::boxed::Box::new(proof));

        assert!(Offences::<T>::contains_key(
            height,
            Offender::Proposer(account)
        ));
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
