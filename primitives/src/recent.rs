//! Bounded logs of recent events, counted over a block window: the ring
//! buffer behind PDash's deal logs and the register's upload logs, written
//! once.

use sp_core::Get;
use sp_runtime::BoundedVec;

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
    fn counts_include_both_ends_of_the_window() {
        assert_eq!(count_between([1u32, 2, 3, 4, 5], &2, &4), 3);
        assert_eq!(count_between([1u32, 5], &2, &4), 0);
    }
}
