//! When a node asks its peers for a block's certificate.
//!
//! Certificates reach a node as VALIDATE messages, relayed by its peers. A
//! node that missed its height's VALIDATE (it was offline, or the link to
//! its only peer was down at the time) would wait for ever: the committee
//! has moved on and nobody sends that certificate again. The evidence that
//! the height was decided elsewhere is a checked message of a later height,
//! a later certificate that verifies, or a block of a later height (a
//! proposal is built on the last final block only). Then the node asks sync
//! for the certificate of every block it holds at its height, and of the
//! parent of every later block it holds: peers that finalized one of them
//! answer with its justification, which the justification import checks
//! and finalizes. Sync asks only peers whose best block it knows to be that
//! high, which excludes a proposer's own block; peers also answer the
//! certificate a node behind keeps sending with the ones it missed
//! (`Worker::answer_peer_behind`).

use std::collections::{BTreeMap, BTreeSet};

use cpchain_primitives::Hash;

/// Blocks imported from `height` on: (parent, hash, impeach) per height.
pub type Imported = BTreeMap<u64, Vec<(Hash, Hash, bool)>>;

/// The blocks (hash, number) whose certificates to ask for, if the node
/// deciding `height` on top of `parent` has evidence that `height` was
/// decided elsewhere: `highest_seen` is the highest height of a message
/// its machine counted or of a later certificate it keeps.
pub fn certificates_to_request(
    height: u64,
    parent: Hash,
    imported: &Imported,
    highest_seen: u64,
) -> Vec<(Hash, u64)> {
    let later_blocks = imported.range(height.saturating_add(1)..).next().is_some();
    if highest_seen <= height && !later_blocks {
        return Vec::new();
    }
    let mut wanted = BTreeSet::new();
    for (block_parent, hash, _) in imported.get(&height).into_iter().flatten() {
        if *block_parent == parent {
            wanted.insert(*hash);
        }
    }
    for (block_parent, _, _) in imported
        .get(&height.saturating_add(1))
        .into_iter()
        .flatten()
    {
        wanted.insert(*block_parent);
    }
    wanted.into_iter().map(|hash| (hash, height)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(byte: u8) -> Hash {
        Hash::repeat_byte(byte)
    }

    #[test]
    fn nothing_is_asked_while_the_network_is_at_the_same_height() {
        let imported = Imported::from([(5, vec![(h(4), h(5), false)])]);
        assert!(certificates_to_request(5, h(4), &imported, 5).is_empty());
    }

    #[test]
    fn a_later_message_asks_for_the_blocks_held_at_this_height() {
        let imported = Imported::from([(
            5,
            vec![(h(4), h(5), false), (h(4), h(6), true), (h(9), h(7), false)],
        )]);
        // The block on another parent cannot be this height's decision.
        assert_eq!(
            certificates_to_request(5, h(4), &imported, 6),
            vec![(h(5), 5), (h(6), 5)]
        );
    }

    #[test]
    fn a_later_block_asks_for_its_parent() {
        let imported = Imported::from([(6, vec![(h(8), h(10), false)])]);
        assert_eq!(
            certificates_to_request(5, h(4), &imported, 0),
            vec![(h(8), 5)]
        );
    }
}
