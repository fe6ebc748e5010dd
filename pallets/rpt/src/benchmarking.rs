//! Benchmarks of pallet-rpt.

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

/// Fills `who`'s activity logs to `MaxWindow` entries, the worst case to read and rewrite.
fn fill_logs<T: Config>(who: &T::AccountId) {
    let max = T::MaxWindow::get();
    let start = frame_system::Pallet::<T>::block_number();
    // The logs of the other dimensions, full and inside the window, so
    // that ranking reads and counts every record.
    T::Uploads::fill_log_for_benchmarks(who, start);
    T::Deals::fill_logs_for_benchmarks(who, start);
    for offset in 0..max {
        frame_system::Pallet::<T>::set_block_number(start + offset.into());
        Pallet::<T>::note_transaction(who);
        Pallet::<T>::note_block_author(who);
    }
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn update_weight() {
        #[extrinsic_call]
        update_alpha(RawOrigin::Root, 42);

        assert_eq!(Weights::<T>::get().alpha, 42);
    }

    #[benchmark]
    fn update_window() {
        let window = T::MaxWindow::get();

        #[extrinsic_call]
        _(RawOrigin::Root, window);

        assert_eq!(Window::<T>::get(), window);
    }

    /// A full log whose oldest entry leaves it.
    #[benchmark]
    fn note_transaction() {
        let who: T::AccountId = account("sender", 0, 0);
        fill_logs::<T>(&who);
        let next = frame_system::Pallet::<T>::block_number() + 1u32.into();
        frame_system::Pallet::<T>::set_block_number(next);

        #[block]
        {
            Pallet::<T>::note_transaction(&who);
        }

        assert_eq!(
            TransactionsSent::<T>::get(&who).len() as u32,
            T::MaxWindow::get()
        );
    }

    #[benchmark]
    fn note_block_author() {
        let who: T::AccountId = account("author", 0, 0);
        fill_logs::<T>(&who);
        let next = frame_system::Pallet::<T>::block_number() + 1u32.into();
        frame_system::Pallet::<T>::set_block_number(next);

        #[block]
        {
            Pallet::<T>::note_block_author(&who);
        }

        assert_eq!(
            BlocksProduced::<T>::get(&who).len() as u32,
            T::MaxWindow::get()
        );
    }

    /// `p` accounts, each with full activity logs.
    #[benchmark]
    fn rank(p: Linear<1, { T::MaxPopulation::get() }>) {
        let accounts: Vec<T::AccountId> = (0..p).map(|i| account("member", i, 0)).collect();
        for who in &accounts {
            frame_system::Pallet::<T>::set_block_number(1u32.into());
            fill_logs::<T>(who);
        }
        let mut accounts = accounts;
        accounts.sort();
        let breakdowns;

        #[block]
        {
            breakdowns = Pallet::<T>::breakdowns_of(&accounts);
        }

        assert_eq!(breakdowns.len() as u32, p);
    }

    /// `n` accounts with full logs whose older half has left the largest
    /// window, the sweep starting at the maps' first entries: each log is
    /// read, trimmed and written back.
    #[benchmark]
    fn sweep(n: Linear<0, { T::MaxSweepPerBlock::get() }>) {
        for i in 0..n {
            frame_system::Pallet::<T>::set_block_number(1u32.into());
            fill_logs::<T>(&account("sender", i, 0));
        }
        let max = T::MaxWindow::get();
        frame_system::Pallet::<T>::set_block_number((max + max / 2).into());
        Sweep::<T>::kill();
        let visited;

        #[block]
        {
            visited = Pallet::<T>::sweep_stale_logs(n);
        }

        assert_eq!(visited, n);
        let kept = max - max / 2;
        assert!(TransactionsSent::<T>::iter_values().all(|log| log.len() as u32 == kept));
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(vec![]), crate::mock::Test);
}
