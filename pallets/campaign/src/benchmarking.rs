//! Benchmarks of pallet-campaign. The admission check and the RPT ranking
//! are weighed by their own pallets and added by the calls.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, EnsureOrigin};
use frame_system::RawOrigin;

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
    let who: T::AccountId = account(name, index, 0);
    let amount = T::RnodeBond::get()
        .saturating_add(T::BaseDeposit::get().saturating_mul(T::MaxTerms::get().into()))
        .saturating_mul(2u32.into())
        .saturating_add(T::Currency::minimum_balance());
    let _ = T::Currency::set_balance(&who, amount);
    who
}

fn rnode<T: Config>(name: &'static str) -> Result<T::AccountId, BenchmarkError> {
    let who = funded::<T>(name, 0);
    let (cpu, memory) = T::BenchmarkHelper::valid_proofs(&who);
    Pallet::<T>::join_rnode(RawOrigin::Signed(who.clone()).into(), cpu, memory)
        .map_err(|_| BenchmarkError::Stop("join_rnode"))?;
    Ok(who)
}

fn candidate<T: Config>(name: &'static str, terms: u32) -> Result<T::AccountId, BenchmarkError> {
    let who = rnode::<T>(name)?;
    let (cpu, memory) = T::BenchmarkHelper::valid_proofs(&who);
    Pallet::<T>::claim_campaign(RawOrigin::Signed(who.clone()).into(), terms, cpu, memory)
        .map_err(|_| BenchmarkError::Stop("claim_campaign"))?;
    Ok(who)
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// Every slot taken and the joiner outranking them: its join
    /// displaces the lowest RNode. The ranking itself is RPT's weight.
    #[benchmark]
    fn join_rnode() -> Result<(), BenchmarkError> {
        for i in 0..T::MaxRnodes::get() {
            let member = funded::<T>("member", i);
            let bond = T::RnodeBond::get();
            T::Currency::hold(&HoldReason::RnodeBond.into(), &member, bond)
                .map_err(|_| BenchmarkError::Stop("member bond"))?;
            let joined_at = frame_system::Pallet::<T>::block_number();
            Rnodes::<T>::insert(&member, RnodeInfo { bond, joined_at });
        }
        // Past the members' lock period: they may be displaced.
        let later =
            frame_system::Pallet::<T>::block_number().saturating_add(T::RnodeLockPeriod::get());
        frame_system::Pallet::<T>::set_block_number(later);
        let who = funded::<T>("rnode", 0);
        T::BenchmarkHelper::rank_above_rnodes(&who);
        let (cpu, memory) = T::BenchmarkHelper::valid_proofs(&who);

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), cpu, memory);

        assert!(Rnodes::<T>::contains_key(&who));
        assert_eq!(Rnodes::<T>::count(), T::MaxRnodes::get());
        Ok(())
    }

    #[benchmark]
    fn quit_rnode() -> Result<(), BenchmarkError> {
        let who = rnode::<T>("rnode")?;
        let later =
            frame_system::Pallet::<T>::block_number().saturating_add(T::RnodeLockPeriod::get());
        frame_system::Pallet::<T>::set_block_number(later);

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));

        assert!(!Rnodes::<T>::contains_key(&who));
        Ok(())
    }

    #[benchmark]
    fn claim_campaign(t: Linear<1, { T::MaxTerms::get() }>) -> Result<(), BenchmarkError> {
        let who = rnode::<T>("candidate")?;
        let (cpu, memory) = T::BenchmarkHelper::valid_proofs(&who);

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), t, cpu, memory);

        assert_eq!(
            CandidateInfoOf::<T>::get(&who).map(|info| info.terms),
            Some(t)
        );
        Ok(())
    }

    #[benchmark]
    fn quit_campaign(t: Linear<1, { T::MaxTerms::get() }>) -> Result<(), BenchmarkError> {
        let who = candidate::<T>("candidate", t)?;

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));

        assert!(!CandidateInfoOf::<T>::contains_key(&who));
        Ok(())
    }

    #[benchmark]
    fn punish_candidate() -> Result<(), BenchmarkError> {
        let who = candidate::<T>("candidate", 1)?;
        let term = T::Terms::first_open_term();
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, who.clone(), term);

        assert!(!CandidateInfoOf::<T>::contains_key(&who));
        Ok(())
    }

    #[benchmark]
    fn set_max_qualified() -> Result<(), BenchmarkError> {
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

        let max = T::MaxRnodes::get();

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, max);

        assert_eq!(MaxQualified::<T>::get(), max);
        Ok(())
    }

    /// `c` candidates, each with its last term ending, so each candidacy
    /// is removed as well.
    #[benchmark]
    fn settle_term(c: Linear<0, { T::MaxRnodes::get() }>) -> Result<(), BenchmarkError> {
        let term = 7;
        let deposit = T::BaseDeposit::get();
        let mut candidates = BoundedVec::<T::AccountId, T::MaxRnodes>::default();
        for i in 0..c {
            let who = funded::<T>("candidate", i);
            T::Currency::hold(&HoldReason::CampaignDeposit.into(), &who, deposit)
                .map_err(|_| BenchmarkError::Stop("hold"))?;
            CandidateInfoOf::<T>::insert(
                &who,
                CandidateInfo {
                    terms: 1,
                    start: term,
                    stop: term,
                    deposit,
                },
            );
            candidates
                .try_push(who)
                .map_err(|_| BenchmarkError::Stop("too many"))?;
        }
        Candidates::<T>::insert(term, candidates);

        #[block]
        {
            Pallet::<T>::settle_term(term);
        }

        assert!(Candidates::<T>::get(term).is_empty());
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
