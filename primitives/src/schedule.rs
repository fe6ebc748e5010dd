//! DPoR's block schedule: which term a block belongs to and which proposer
//! slot produces it. The single source of truth for "who proposes block n",
//! used by the runtime and the consensus client alike.
//!
//! A term is `view_len` views of `term_len` slots: the term's proposers take
//! turns block by block, and the whole rotation repeats `view_len` times.
//! Block 0 is genesis and belongs to no term; blocks `1..=term_len*view_len`
//! are term 0. The last block of a term is its checkpoint.

/// The shape of a term.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    codec::Encode,
    codec::Decode,
    codec::DecodeWithMemTracking,
    scale_info::TypeInfo,
    codec::MaxEncodedLen,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// Proposers per term (slots per view).
    pub term_len: u32,
    /// Views per term.
    pub view_len: u32,
}

impl Schedule {
    /// Blocks per term; at least 1, so that a misconfigured schedule cannot
    /// divide by zero.
    pub fn blocks_per_term(&self) -> u32 {
        self.term_len.saturating_mul(self.view_len).max(1)
    }

    /// The term of block `n` (genesis counts as term 0).
    pub fn term_of(&self, n: u32) -> u32 {
        n.saturating_sub(1) / self.blocks_per_term()
    }

    /// The view of block `n` within its term.
    pub fn view_of(&self, n: u32) -> u32 {
        (n.saturating_sub(1) % self.blocks_per_term()) / self.term_len.max(1)
    }

    /// The proposer slot (index into the term's proposers) of block `n`.
    pub fn slot_of(&self, n: u32) -> u32 {
        (n.saturating_sub(1) % self.blocks_per_term()) % self.term_len.max(1)
    }

    /// Whether `n` is the last block of its term.
    pub fn is_checkpoint(&self, n: u32) -> bool {
        n > 0 && n % self.blocks_per_term() == 0
    }

    /// The first block of `term`.
    pub fn first_block_of(&self, term: u32) -> u32 {
        term.saturating_mul(self.blocks_per_term())
            .saturating_add(1)
    }
}

/// At the checkpoint of term `t` the committee fixes the election of term
/// `t + ELECTION_LAG` and draws it `term_len` blocks into term `t + 1`, so
/// a term's proposers are known from that draw on: with `view_len` views,
/// `(view_len - 1) / view_len` of a term ahead, or only from the last block
/// of the previous term with a single view.
pub const ELECTION_LAG: u32 = 2;

/// Tells pallets which term the chain is in.
pub trait TermClock {
    fn current_term() -> u32;

    /// The first term whose election is not fixed yet (its candidates are
    /// fixed at the checkpoint two terms before): the earliest a new
    /// candidacy can take part in.
    fn first_open_term() -> u32 {
        Self::current_term().saturating_add(ELECTION_LAG)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: Schedule = Schedule {
        term_len: 4,
        view_len: 3,
    };

    #[test]
    fn blocks_follow_the_reference_round_robin() {
        // Reference: term(n) = (n-1)/(T*V); proposer = ((n-1) % (T*V)) % T.
        for n in 1..200u32 {
            assert_eq!(DEV.term_of(n), (n - 1) / 12);
            assert_eq!(DEV.slot_of(n), ((n - 1) % 12) % 4);
            assert_eq!(DEV.view_of(n), ((n - 1) % 12) / 4);
        }
        assert_eq!(DEV.term_of(0), 0);
    }

    #[test]
    fn checkpoints_end_terms() {
        assert!(!DEV.is_checkpoint(0));
        assert!(DEV.is_checkpoint(12));
        assert!(!DEV.is_checkpoint(13));
        assert_eq!(DEV.term_of(12), 0);
        assert_eq!(DEV.term_of(13), 1);
        assert_eq!(DEV.first_block_of(1), 13);
    }

    #[test]
    fn a_zero_schedule_does_not_divide_by_zero() {
        let broken = Schedule {
            term_len: 0,
            view_len: 0,
        };
        assert_eq!(broken.term_of(5), 4);
        assert_eq!(broken.slot_of(5), 0);
    }
}
