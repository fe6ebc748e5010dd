//! The proposer election, apart from storage so that it can be tested on
//! its own and run identically on every node.
//!
//! Candidates are sorted by RPT (highest first, ties by account). The lower
//! half by that order is the low partition, the rest the high partition, as
//! in the original, so that new RNodes with little reputation still get
//! seats. `low_seats` seats are drawn from the low partition and the rest
//! from the high one; a partition with too few candidates leaves its seats
//! to the other. Draws are weighted by `rpt + 1` and without replacement.
//! Seats still empty are filled from the default proposers, in their order,
//! skipping those already elected. The seat order is the draw order.
//!
//! Randomness: draw `i` takes `blake2_256(seed ‖ i)` as a number, so the
//! result depends only on the inputs.

use alloc::vec::Vec;

/// Draws up to `seats` of `pool` (account, weight), weighted, without replacement.
fn draw<AccountId: Clone>(
    pool: &mut Vec<(AccountId, u64)>,
    seats: usize,
    seed: &[u8; 32],
    counter: &mut u32,
) -> Vec<AccountId> {
    let mut elected = Vec::new();
    while elected.len() < seats && !pool.is_empty() {
        let total: u128 = pool.iter().map(|(_, weight)| u128::from(*weight)).sum();
        let mut input = [0u8; 36];
        input[..32].copy_from_slice(seed);
        input[32..].copy_from_slice(&counter.to_le_bytes());
        *counter += 1;
        let random = u128::from_le_bytes(
            sp_io::hashing::blake2_256(&input)[..16]
                .try_into()
                .unwrap_or([0; 16]),
        );
        let mut target = random % total.max(1);
        let mut index = pool.len() - 1;
        for (i, (_, weight)) in pool.iter().enumerate() {
            let weight = u128::from(*weight);
            if target < weight {
                index = i;
                break;
            }
            target -= weight;
        }
        elected.push(pool.remove(index).0);
    }
    elected
}

/// Elects `seats` proposers; see the module docs for the rule.
pub fn elect<AccountId: Clone + Ord>(
    candidates: &[(AccountId, u32)],
    seats: usize,
    low_seats: usize,
    defaults: &[AccountId],
    seed: &[u8; 32],
) -> Vec<AccountId> {
    let mut sorted: Vec<(AccountId, u64)> = candidates
        .iter()
        .map(|(who, rpt)| (who.clone(), u64::from(*rpt) + 1))
        .collect();
    sorted.sort_by(|(a, wa), (b, wb)| wb.cmp(wa).then_with(|| a.cmp(b)));
    sorted.dedup_by(|(a, _), (b, _)| a == b);

    let high_len = sorted.len() - sorted.len() / 2;
    let mut low = sorted.split_off(high_len);
    let mut high = sorted;

    let low_seats = low_seats.min(seats).min(low.len());
    let high_seats = (seats - low_seats).min(high.len());
    let mut counter = 0;
    let mut elected = draw(&mut high, high_seats, seed, &mut counter);
    elected.extend(draw(&mut low, low_seats, seed, &mut counter));
    // Seats a partition could not fill go to the rest of the other one.
    let mut rest: Vec<_> = high.into_iter().chain(low).collect();
    let missing = seats.saturating_sub(elected.len());
    elected.extend(draw(&mut rest, missing, seed, &mut counter));

    for default in defaults {
        if elected.len() >= seats {
            break;
        }
        if !elected.contains(default) {
            elected.push(default.clone());
        }
    }
    // Never an empty seat: a slot without a proposer could build neither a
    // proposal nor an impeach block, and the chain would halt. With too few
    // distinct accounts the defaults take several seats, as at genesis.
    if elected.is_empty() && defaults.is_empty() {
        return elected;
    }
    let mut again = defaults.iter().cycle();
    while elected.len() < seats {
        match again.next() {
            Some(default) => elected.push(default.clone()),
            None => break,
        }
    }
    elected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seat_is_filled_even_with_few_accounts() {
        let elected = elect(&[(7u64, 100)], 5, 1, &[100, 101], &[3; 32]);
        assert_eq!(elected.len(), 5, "{elected:?}");
        assert!(elected.contains(&7));
        assert_eq!(
            elect::<u64>(&[], 3, 0, &[100], &[3; 32]),
            vec![100, 100, 100]
        );
    }

    #[test]
    fn the_same_inputs_elect_the_same_proposers() {
        let candidates: Vec<(u64, u32)> =
            (1..=20).map(|i| (i, (i * 37 % 11) as u32 * 100)).collect();
        let first = elect(&candidates, 8, 2, &[100, 101], &[9; 32]);
        for _ in 0..10 {
            assert_eq!(elect(&candidates, 8, 2, &[100, 101], &[9; 32]), first);
        }
        // The input order does not matter.
        let mut reversed = candidates.clone();
        reversed.reverse();
        assert_eq!(elect(&reversed, 8, 2, &[100, 101], &[9; 32]), first);
        assert_eq!(first.len(), 8);
        let mut unique = first.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 8);
    }

    /// splitmix64, for reproducible random cases.
    struct Cases(u64);
    impl Cases {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) % below.max(1)
        }
    }

    /// Whichever node computes the election, in whatever order it reads the
    /// candidates, it elects the same proposers; the seats are filled
    /// without duplicates from the candidates first, then the defaults.
    #[test]
    fn property_every_node_elects_the_same_proposers() {
        let mut cases = Cases(2026);
        for _ in 0..2_000 {
            let count = cases.next(30) as usize;
            let candidates: Vec<(u64, u32)> = (0..count)
                .map(|_| (cases.next(40), cases.next(10_001) as u32))
                .collect();
            // One account has one RPT, whatever the reader.
            let mut candidates: Vec<(u64, u32)> = candidates
                .iter()
                .map(|(who, _)| (*who, candidates.iter().find(|(w, _)| w == who).unwrap().1))
                .collect();
            let seats = 1 + cases.next(8) as usize;
            let low_seats = cases.next(seats as u64 + 1) as usize;
            let defaults: Vec<u64> = (100..100 + 1 + cases.next(4)).collect();
            let mut seed = [0u8; 32];
            seed.iter_mut().for_each(|b| *b = cases.next(256) as u8);

            let first = elect(&candidates, seats, low_seats, &defaults, &seed);
            // Another node: the same candidates in another order.
            for i in (1..candidates.len()).rev() {
                candidates.swap(i, cases.next(i as u64 + 1) as usize);
            }
            assert_eq!(
                elect(&candidates, seats, low_seats, &defaults, &seed),
                first
            );

            let mut distinct: Vec<u64> = candidates.iter().map(|(who, _)| *who).collect();
            distinct.sort();
            distinct.dedup();
            let from_candidates = first.iter().filter(|who| distinct.contains(who)).count();
            assert_eq!(from_candidates, distinct.len().min(seats));
            assert!(first
                .iter()
                .all(|who| distinct.contains(who) || defaults.contains(who)));
            let spare_defaults = defaults.iter().filter(|d| !distinct.contains(d)).count();
            let distinct_seats = seats.min(distinct.len() + spare_defaults);
            let mut unique = first.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), distinct_seats);
            // Defaults repeat rather than leave a seat empty.
            let filled = if defaults.is_empty() {
                distinct_seats
            } else {
                seats
            };
            assert_eq!(first.len(), filled);
        }
    }

    #[test]
    fn another_seed_elects_differently() {
        let candidates: Vec<(u64, u32)> = (1..=20).map(|i| (i, 100)).collect();
        let a = elect(&candidates, 4, 1, &[], &[1; 32]);
        let b = elect(&candidates, 4, 1, &[], &[2; 32]);
        assert_ne!(a, b);
    }

    #[test]
    fn empty_seats_are_filled_from_the_defaults() {
        assert_eq!(
            elect::<u64>(&[], 3, 1, &[7, 8, 9, 10], &[0; 32]),
            vec![7, 8, 9]
        );
        let elected = elect(&[(8, 5)], 3, 1, &[7, 8, 9], &[0; 32]);
        assert_eq!(elected, vec![8, 7, 9]);
        // Too few accounts: the defaults take several seats.
        assert_eq!(elect::<u64>(&[], 3, 1, &[7], &[0; 32]), vec![7, 7, 7]);
    }

    #[test]
    fn the_low_partition_gets_its_seats() {
        // 4 high (rpt 1000) and 4 low (rpt 0): 1 low seat of 3.
        let candidates: Vec<(u64, u32)> = (1..=8)
            .map(|i| (i, if i <= 4 { 1000 } else { 0 }))
            .collect();
        for seed in 0..50u8 {
            let elected = elect(&candidates, 3, 1, &[], &[seed; 32]);
            assert_eq!(
                elected.iter().filter(|who| **who > 4).count(),
                1,
                "seed {seed}: {elected:?}"
            );
        }
    }

    #[test]
    fn higher_rpt_wins_more_often() {
        // 1 and 2 form the high partition; one seat, weights 1001 and 1.
        let candidates = [(1u64, 1000u32), (2, 0), (3, 0), (4, 0)];
        let wins = (0..200u8)
            .filter(|seed| elect(&candidates, 1, 0, &[], &[*seed; 32]) == vec![1])
            .count();
        assert!(wins > 180, "{wins}");
    }
}
