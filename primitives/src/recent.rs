//! Bounded logs of recent events, counted over a block window: the ring
//! buffer behind PDash's deal logs and the register's upload logs, and the
//! idle-time sweep that drops their stale entries, written once.
//!
//! A log only matters to RPT while its entries lie within RPT's largest
//! window. Entries older than that are dropped whenever the log is written
//! ([`prune`]), and [`sweep`] drops them from logs nobody writes any more,
//! a bounded number a block, resuming where the previous block stopped, so
//! an account that dealt or uploaded once keeps no entry, nor key, for ever.

use codec::{EncodeLike, FullCodec};
use frame_support::storage::{IterableStorageMap, StorageMap, StorageValue};
use sp_core::Get;
use sp_runtime::{BoundedVec, Weight};

/// Appends `entry`, dropping the oldest entry when the log is full; returns
/// the dropped entry.
pub fn push_evicting<T, S: Get<u32>>(log: &mut BoundedVec<T, S>, entry: T) -> Option<T> {
    let evicted = if log.is_full() && !log.is_empty() {
        Some(log.remove(0))
    } else {
        None
    };
    // Cannot fail unless the bound is 0, and then there is nothing to keep.
    let _ = log.try_push(entry);
    evicted
}

/// Drops the entries `stale` calls old; gives whether any went.
pub fn prune<T, S: Get<u32>>(log: &mut BoundedVec<T, S>, stale: impl Fn(&T) -> bool) -> bool {
    let before = log.len();
    log.retain(|entry| !stale(entry));
    log.len() != before
}

/// Visits up to `limit` logs of the map `M`, after the account the cursor
/// `C` names (from the map's first when it names none), drops their stale
/// entries and removes the logs left empty. When the map ends before the
/// limit, the cursor goes back to the map's start for the next call, so a
/// call visits no log twice. Gives the logs visited.
///
/// Storage touched: the cursor (a read, and a write when it moves), and per
/// log visited one iteration read (key and value) and at most one write.
pub fn sweep<M, C, K, E, S>(limit: u32, stale: impl Fn(&E) -> bool) -> u32
where
    M: IterableStorageMap<K, BoundedVec<E, S>> + StorageMap<K, BoundedVec<E, S>>,
    C: StorageValue<K, Query = Option<K>>,
    K: FullCodec + EncodeLike + Clone + PartialEq,
    E: FullCodec,
    S: Get<u32>,
{
    if limit == 0 {
        return 0;
    }
    let start = C::get();
    let logs = match &start {
        Some(after) => M::iter_from(M::hashed_key_for(after)),
        None => M::iter(),
    };
    // Collected first: the map is not changed while it is iterated.
    let batch: alloc::vec::Vec<_> = logs.take(limit as usize).collect();
    let visited = batch.len() as u32;
    let mut last = None;
    for (who, mut log) in batch {
        if prune(&mut log, &stale) {
            if log.is_empty() {
                M::remove(&who);
            } else {
                M::insert(&who, log);
            }
        }
        last = Some(who);
    }
    // The map ended: start over in the next call.
    let next = if visited < limit { None } else { last };
    if next != start {
        C::set(next);
    }
    visited
}

/// How many logs an idle hook can sweep with the weight `remaining`, when
/// sweeping none costs `base` and one costs `one`: at most `max`, and
/// `None` when not even one fits.
pub fn affordable(remaining: Weight, base: Weight, one: Weight, max: u32) -> Option<u32> {
    let left = remaining.checked_sub(&base)?;
    let each = one.saturating_sub(base);
    let fits = |left: u64, each: u64| left.checked_div(each).unwrap_or(u64::MAX);
    let limit = fits(left.ref_time(), each.ref_time())
        .min(fits(left.proof_size(), each.proof_size()))
        .min(max.into()) as u32;
    (limit > 0).then_some(limit)
}

/// An `on_idle` sweep: runs `sweep` with as many logs as the weight left
/// affords, at most `max`, where `weight(n)` is the benchmarked weight of
/// sweeping `n`; gives the weight of the logs it visited.
pub fn idle_sweep(
    remaining: Weight,
    weight: impl Fn(u32) -> Weight,
    max: u32,
    sweep: impl FnOnce(u32) -> u32,
) -> Weight {
    match affordable(remaining, weight(0), weight(1), max) {
        Some(limit) => weight(sweep(limit)),
        None => Weight::zero(),
    }
}

/// Whether a sweep's weight grows with the logs it visits, as
/// [`idle_sweep`] needs: for the pallets' `integrity_test`.
pub fn sweep_weight_grows(weight: impl Fn(u32) -> Weight) -> bool {
    weight(1).all_gt(weight(0))
}

/// How many of `blocks` lie in `from..=to`, both ends included.
pub fn count_between<B: PartialOrd>(blocks: impl IntoIterator<Item = B>, from: &B, to: &B) -> u32 {
    blocks.into_iter().filter(|n| from <= n && n <= to).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use sp_core::ConstU32;

    #[test]
    fn a_full_log_drops_its_oldest_entry() {
        let mut log = BoundedVec::<u32, ConstU32<2>>::default();
        assert_eq!(push_evicting(&mut log, 1), None);
        assert_eq!(push_evicting(&mut log, 2), None);
        assert_eq!(push_evicting(&mut log, 3), Some(1));
        assert_eq!(log.into_inner(), vec![2, 3]);
    }

    #[test]
    fn pruning_drops_only_stale_entries() {
        let mut log = BoundedVec::<u32, ConstU32<4>>::truncate_from(vec![1, 5, 2, 7]);
        assert!(prune(&mut log, |block| *block < 5));
        assert_eq!(log.clone().into_inner(), vec![5, 7]);
        assert!(!prune(&mut log, |block| *block < 5));
    }

    #[test]
    fn a_sweep_takes_what_the_weight_left_affords() {
        let w = |t, p| Weight::from_parts(t, p);
        assert_eq!(affordable(w(100, 100), w(10, 10), w(40, 20), 50), Some(3));
        assert_eq!(affordable(w(100, 100), w(10, 10), w(40, 20), 2), Some(2));
        assert_eq!(affordable(w(5, 100), w(10, 10), w(40, 20), 50), None);
        assert_eq!(affordable(w(30, 100), w(10, 10), w(40, 20), 50), None);
    }

    #[test]
    fn counts_include_both_ends_of_the_window() {
        assert_eq!(count_between([1u32, 2, 3, 4, 5], &2, &4), 3);
        assert_eq!(count_between([1u32, 5], &2, &4), 0);
    }
}
