//! Checks shared by the pallets' `try_state` hooks: funds a pallet holds
//! must equal what its records say it holds.

use alloc::collections::BTreeMap;
use core::fmt::Debug;
use sp_runtime::{traits::Saturating, TryRuntimeError};

/// Adds up `amounts` per account.
pub fn sum_by_account<AccountId: Ord, Balance: Saturating + Default + Copy>(
    amounts: impl IntoIterator<Item = (AccountId, Balance)>,
) -> BTreeMap<AccountId, Balance> {
    let mut sums = BTreeMap::new();
    for (who, amount) in amounts {
        let sum: &mut Balance = sums.entry(who).or_default();
        *sum = sum.saturating_add(amount);
    }
    sums
}

/// Fails with `what` unless each account's hold, as `held` reads it,
/// equals `expected`'s amount for it.
pub fn ensure_holds<AccountId: Ord + Debug, Balance: PartialEq + Debug + Copy>(
    expected: &BTreeMap<AccountId, Balance>,
    held: impl Fn(&AccountId) -> Balance,
    what: &'static str,
) -> Result<(), TryRuntimeError> {
    for (who, amount) in expected {
        let actual = held(who);
        if actual != *amount {
            #[cfg(feature = "std")]
            eprintln!("{what}: {who:?} holds {actual:?}, its records say {amount:?}");
            return Err(TryRuntimeError::Other(what));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_must_match_the_sums() {
        let expected = sum_by_account([(1u8, 5u64), (2, 1), (1, 2)]);
        assert_eq!(expected.get(&1), Some(&7));
        assert!(ensure_holds(&expected, |who| if *who == 1 { 7 } else { 1 }, "x").is_ok());
        assert_eq!(
            ensure_holds(&expected, |_| 7, "escrow"),
            Err(TryRuntimeError::Other("escrow"))
        );
    }
}
