//! How a market dispute ends, written once for PDash and the private
//! market.
//!
//! Both sides put up a bond when a dispute opens: the buyer when it
//! disputes, the seller when it delivers (PDash: when it confirms). Whoever
//! the ruling goes against loses its bond to the other side, so a dispute
//! is never free for the side that is wrong. When nobody rules before the
//! dispute's deadline, neither side is favoured: each gets its own bond
//! back and the price is split by a governance-set share.

use sp_runtime::{traits::AtLeast32BitUnsigned, Permill};

/// What ended a dispute.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ruling {
    /// The delivery was right.
    ForSeller,
    /// The delivery was wrong.
    ForBuyer,
    /// Nobody ruled before the dispute's deadline.
    Unresolved,
}

/// Where the price and the two bonds go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Settlement<Balance> {
    /// Paid from the buyer's escrow to the seller.
    pub price_to_seller: Balance,
    /// Returned to the buyer; `price_to_seller + price_to_buyer == price`.
    pub price_to_buyer: Balance,
    /// The buyer's dispute bond goes to the seller (else back to the buyer).
    pub buyer_bond_to_seller: bool,
    /// The seller's bond goes to the buyer (else back to the seller).
    pub seller_bond_to_buyer: bool,
}

/// The one settlement rule. On [`Ruling::Unresolved`] the seller gets
/// `seller_share_on_timeout` of the price, rounded down, and the buyer the
/// rest; any part below `minimum` (the existential deposit) goes to the
/// other side instead, so that no payout can fail for an account that does
/// not exist and leave the escrow stuck.
pub fn settle<Balance: AtLeast32BitUnsigned + Copy>(
    ruling: Ruling,
    price: Balance,
    seller_share_on_timeout: Permill,
    minimum: Balance,
) -> Settlement<Balance> {
    match ruling {
        Ruling::ForSeller => Settlement {
            price_to_seller: price,
            price_to_buyer: Balance::zero(),
            buyer_bond_to_seller: true,
            seller_bond_to_buyer: false,
        },
        Ruling::ForBuyer => Settlement {
            price_to_seller: Balance::zero(),
            price_to_buyer: price,
            buyer_bond_to_seller: false,
            seller_bond_to_buyer: true,
        },
        Ruling::Unresolved => {
            let mut to_seller = seller_share_on_timeout.mul_floor(price);
            let mut to_buyer = price.saturating_sub(to_seller);
            if !to_seller.is_zero() && to_seller < minimum {
                to_buyer = price;
                to_seller = Balance::zero();
            } else if !to_buyer.is_zero() && to_buyer < minimum {
                to_seller = price;
                to_buyer = Balance::zero();
            }
            Settlement {
                price_to_seller: to_seller,
                price_to_buyer: to_buyer,
                buyer_bond_to_seller: false,
                seller_bond_to_buyer: false,
            }
        }
    }
}

/// A dispute bond: `ratio` of the price, and never less than `minimum`, so
/// that a dispute over a cheap item still costs something.
pub fn bond<Balance: AtLeast32BitUnsigned + Copy>(
    price: Balance,
    ratio: Permill,
    minimum: Balance,
) -> Balance {
    (ratio * price).max(minimum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loser_forfeits_its_bond_and_the_price_follows_the_ruling() {
        let half = Permill::from_percent(50);
        let seller = settle(Ruling::ForSeller, 100u128, half, 1);
        assert_eq!((seller.price_to_seller, seller.price_to_buyer), (100, 0));
        assert!(seller.buyer_bond_to_seller && !seller.seller_bond_to_buyer);
        let buyer = settle(Ruling::ForBuyer, 100u128, half, 1);
        assert_eq!((buyer.price_to_seller, buyer.price_to_buyer), (0, 100));
        assert!(!buyer.buyer_bond_to_seller && buyer.seller_bond_to_buyer);
    }

    #[test]
    fn a_timeout_favours_neither_side_and_loses_no_planck() {
        let third = Permill::from_percent(33);
        let s = settle(Ruling::Unresolved, 1001u128, third, 1);
        assert_eq!(s.price_to_seller + s.price_to_buyer, 1001);
        assert_eq!(s.price_to_seller, 330);
        assert!(!s.buyer_bond_to_seller && !s.seller_bond_to_buyer);
    }

    #[test]
    fn a_timeout_share_below_the_minimum_goes_to_the_other_side() {
        let s = settle(Ruling::Unresolved, 10u128, Permill::from_percent(50), 6);
        assert_eq!(s.price_to_seller + s.price_to_buyer, 10);
        assert!(s.price_to_seller == 0 || s.price_to_seller >= 6);
        assert!(s.price_to_buyer == 0 || s.price_to_buyer >= 6);
    }

    #[test]
    fn a_bond_has_a_floor() {
        assert_eq!(bond(1_000u128, Permill::from_percent(10), 5), 100);
        assert_eq!(bond(10u128, Permill::from_percent(10), 5), 5);
    }
}
