//! The ranking rule, apart from storage so that it can be tested on its own.
//!
//! In each dimension an account with raw value `v` among `n` accounts
//! scores `100 * (n - g) / n`, where `g` is how many accounts have a larger
//! value: the best scores 100, ties share the better rank. A zero raw value
//! scores 0: no activity earns no reputation, however small the population.
//! Any non-zero value scores at least 1.

use crate::RawValues;
use alloc::vec::Vec;
use cpchain_primitives::{traits::IMPEACHMENTS_TO_ZERO_RPT, RptBreakdown, RptWeights};

/// Scores `values` (one per account) by rank, 0..=100 each.
pub fn rank_scores(values: &[u128]) -> Vec<u8> {
    let n = values.len() as u128;
    let mut descending = values.to_vec();
    descending.sort_unstable_by(|a, b| b.cmp(a));
    values
        .iter()
        .map(|value| {
            if *value == 0 {
                return 0;
            }
            let larger = descending.partition_point(|other| other > value) as u128;
            // n > larger, so the score is in 1..=100.
            (100 * (n - larger) / n).max(1) as u8
        })
        .collect()
}

/// The weighted total of a breakdown's scores.
pub fn total(scores: &RptBreakdown, weights: &RptWeights) -> u32 {
    let term = |weight: u8, score: u8| u32::from(weight) * u32::from(score);
    term(weights.alpha, scores.ab)
        + term(weights.beta, scores.tx)
        + term(weights.gamma, scores.bm)
        + term(weights.psi, scores.dc)
        + term(weights.omega, scores.pr)
}

/// `breakdown` with the original's impeachment factor applied to its
/// total: `1 - n/9` for `n` impeached blocks in the window, zero from nine
/// on. The dimensions stay as ranked, so a front end can show both.
pub fn with_impeachments(mut breakdown: RptBreakdown, impeached: u32) -> RptBreakdown {
    let zero_at = IMPEACHMENTS_TO_ZERO_RPT;
    let n = impeached.min(zero_at);
    breakdown.impeached = n as u8;
    breakdown.total =
        (u64::from(breakdown.total) * u64::from(zero_at - n) / u64::from(zero_at)) as u32;
    breakdown
}

/// Each account's breakdown, ranking `raw` (one entry per account) per dimension.
pub fn breakdowns(raw: &[RawValues], weights: &RptWeights) -> Vec<RptBreakdown> {
    let dimension = |d: usize| rank_scores(&raw.iter().map(|values| values[d]).collect::<Vec<_>>());
    let [ab, tx, dc, bm, pr] = [0, 1, 2, 3, 4].map(dimension);
    (0..raw.len())
        .map(|i| {
            let mut breakdown = RptBreakdown {
                ab: ab[i],
                tx: tx[i],
                dc: dc[i],
                bm: bm[i],
                pr: pr[i],
                impeached: 0,
                total: 0,
            };
            breakdown.total = total(&breakdown, weights);
            breakdown
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_scores_100_and_ties_share_the_better_rank() {
        assert_eq!(rank_scores(&[10, 40, 40, 20]), vec![25, 100, 100, 50]);
    }

    #[test]
    fn zero_scores_zero_and_any_activity_scores_at_least_one() {
        assert_eq!(rank_scores(&[0, 5]), vec![0, 100]);
        let mut values = vec![1_000u128; 200];
        values.push(1);
        let scores = rank_scores(&values);
        assert_eq!(scores[200], 1);
        assert_eq!(scores[0], 100);
    }

    #[test]
    fn a_lone_account_scores_100_where_it_is_active() {
        assert_eq!(rank_scores(&[7]), vec![100]);
        assert_eq!(rank_scores(&[]), Vec::<u8>::new());
    }

    #[test]
    fn the_total_weighs_each_dimension() {
        let weights = RptWeights {
            alpha: 50,
            beta: 15,
            gamma: 10,
            psi: 15,
            omega: 10,
        };
        let scores = RptBreakdown {
            ab: 100,
            tx: 50,
            dc: 20,
            bm: 10,
            pr: 1,
            impeached: 0,
            total: 0,
        };
        assert_eq!(
            total(&scores, &weights),
            50 * 100 + 15 * 50 + 10 * 10 + 15 * 20 + 10
        );
        let max = RptBreakdown {
            ab: 100,
            tx: 100,
            dc: 100,
            bm: 100,
            pr: 100,
            impeached: 0,
            total: 0,
        };
        let heaviest = RptWeights {
            alpha: 100,
            beta: 100,
            gamma: 100,
            psi: 100,
            omega: 100,
        };
        assert_eq!(total(&max, &heaviest), 50_000);
    }

    #[test]
    fn each_impeachment_takes_a_ninth_of_the_total_and_nine_take_it_all() {
        let breakdown = RptBreakdown {
            ab: 100,
            tx: 100,
            dc: 0,
            bm: 0,
            pr: 0,
            impeached: 0,
            total: 9_000,
        };
        let totals: Vec<u32> = (0..=10)
            .map(|n| with_impeachments(breakdown, n).total)
            .collect();
        assert_eq!(
            totals,
            vec![9_000, 8_000, 7_000, 6_000, 5_000, 4_000, 3_000, 2_000, 1_000, 0, 0]
        );
        let capped = with_impeachments(breakdown, u32::MAX);
        assert_eq!((capped.impeached, capped.ab, capped.tx), (9, 100, 100));
        // Rounds down: a ninth of 50,000 is not whole.
        let best = RptBreakdown {
            total: 50_000,
            ..breakdown
        };
        assert_eq!(with_impeachments(best, 1).total, 44_444);
    }

    #[test]
    fn breakdowns_rank_each_dimension_separately() {
        let raw = [[5, 0, 1, 0, 0], [1, 3, 0, 0, 2]];
        let result = breakdowns(&raw, &RptWeights::default());
        assert_eq!(
            (result[0].ab, result[0].tx, result[0].dc, result[0].pr),
            (100, 0, 100, 0)
        );
        assert_eq!(
            (result[1].ab, result[1].tx, result[1].dc, result[1].pr),
            (50, 100, 0, 100)
        );
        assert_eq!(result[0].total, 50 * 100 + 15 * 100);
        assert_eq!(result[1].total, 50 * 50 + 15 * 100 + 10 * 100);
    }
}
