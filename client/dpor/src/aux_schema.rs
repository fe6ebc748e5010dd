//! What DPoR keeps in the client's aux storage: the double-sign record.
//!
//! Every vote this validator signs is written here before it is sent, so
//! that a restarted validator never signs a second block for the same
//! (height, round, phase). Records below the finalized height are pruned.
//! `revert` leaves the record alone on purpose: only unfinalized blocks are
//! reverted, and their heights are exactly where signing again could
//! equivocate.

use codec::{Decode, Encode};
use cpchain_lbft::{Phase, Vote};
use cpchain_primitives::Hash;
use sc_client_api::backend::AuxStore;

const VERSION_KEY: &[u8] = b"dpor_aux_schema_version";
const VOTES_KEY: &[u8] = b"dpor_signed_votes";
/// The schema this code reads and writes.
pub const CURRENT_VERSION: u32 = 1;

type StoredVote = (u64, u32, u8, Hash);

fn to_stored(vote: &Vote<Hash>) -> StoredVote {
    let phase = match vote.phase {
        Phase::Prepare => 1,
        Phase::Commit => 2,
    };
    (vote.height, vote.round, phase, vote.hash)
}

fn from_stored((height, round, phase, hash): StoredVote) -> Option<Vote<Hash>> {
    let phase = match phase {
        1 => Phase::Prepare,
        2 => Phase::Commit,
        _ => return None,
    };
    Some(Vote {
        height,
        round,
        phase,
        hash,
    })
}

/// Loads the record, creating an empty one on a fresh database. A record
/// written by a newer schema is refused rather than misread.
pub fn load_votes<S: AuxStore>(store: &S) -> Result<Vec<Vote<Hash>>, String> {
    let version = match store.get_aux(VERSION_KEY).map_err(|e| e.to_string())? {
        None => {
            store
                .insert_aux(&[(VERSION_KEY, &CURRENT_VERSION.encode()[..])], &[])
                .map_err(|e| e.to_string())?;
            CURRENT_VERSION
        }
        Some(bytes) => u32::decode(&mut &bytes[..])
            .map_err(|_| "the DPoR aux schema version is unreadable".to_string())?,
    };
    if version != CURRENT_VERSION {
        return Err(format!(
            "the database holds DPoR aux schema v{version}; this node reads v{CURRENT_VERSION}"
        ));
    }
    let stored: Vec<StoredVote> = match store.get_aux(VOTES_KEY).map_err(|e| e.to_string())? {
        None => Vec::new(),
        Some(bytes) => Decode::decode(&mut &bytes[..])
            .map_err(|_| "the DPoR double-sign record is unreadable".to_string())?,
    };
    Ok(stored.into_iter().filter_map(from_stored).collect())
}

/// The record in memory, written through to aux storage.
pub struct VoteRecord {
    votes: Vec<StoredVote>,
}

impl VoteRecord {
    pub fn new(votes: &[Vote<Hash>]) -> Self {
        Self {
            votes: votes.iter().map(to_stored).collect(),
        }
    }

    /// Adds `vote` and writes the record; the caller must not send the
    /// vote if this fails.
    pub fn record<S: AuxStore>(&mut self, store: &S, vote: &Vote<Hash>) -> Result<(), String> {
        self.votes.push(to_stored(vote));
        self.write(store)
    }

    /// Drops records below `height`.
    pub fn prune<S: AuxStore>(&mut self, store: &S, height: u64) -> Result<(), String> {
        let before = self.votes.len();
        self.votes.retain(|(h, ..)| *h >= height);
        if self.votes.len() != before {
            self.write(store)?;
        }
        Ok(())
    }

    fn write<S: AuxStore>(&self, store: &S) -> Result<(), String> {
        store
            .insert_aux(&[(VOTES_KEY, &self.votes.encode()[..])], &[])
            .map_err(|e| format!("cannot persist the DPoR double-sign record: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{collections::HashMap, sync::Mutex};

    #[derive(Default)]
    struct MemoryAux(Mutex<HashMap<Vec<u8>, Vec<u8>>>);

    impl AuxStore for MemoryAux {
        fn insert_aux<
            'a,
            'b: 'a,
            'c: 'a,
            I: IntoIterator<Item = &'a (&'c [u8], &'c [u8])>,
            D: IntoIterator<Item = &'a &'b [u8]>,
        >(
            &self,
            insert: I,
            delete: D,
        ) -> sp_blockchain::Result<()> {
            let mut map = self.0.lock().unwrap();
            for (k, v) in insert {
                map.insert(k.to_vec(), v.to_vec());
            }
            for k in delete {
                map.remove(*k);
            }
            Ok(())
        }
        fn get_aux(&self, key: &[u8]) -> sp_blockchain::Result<Option<Vec<u8>>> {
            Ok(self.0.lock().unwrap().get(key).cloned())
        }
    }

    fn vote(height: u64, phase: Phase) -> Vote<Hash> {
        Vote {
            height,
            round: 0,
            phase,
            hash: Hash::repeat_byte(height as u8),
        }
    }

    #[test]
    fn the_record_survives_a_restart_and_is_pruned() {
        let store = MemoryAux::default();
        assert!(load_votes(&store).unwrap().is_empty());
        let mut record = VoteRecord::new(&[]);
        record.record(&store, &vote(5, Phase::Prepare)).unwrap();
        record.record(&store, &vote(6, Phase::Commit)).unwrap();
        assert_eq!(
            load_votes(&store).unwrap(),
            vec![vote(5, Phase::Prepare), vote(6, Phase::Commit)]
        );
        let mut restarted = VoteRecord::new(&load_votes(&store).unwrap());
        restarted.prune(&store, 6).unwrap();
        assert_eq!(load_votes(&store).unwrap(), vec![vote(6, Phase::Commit)]);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let store = MemoryAux::default();
        store
            .insert_aux(&[(VERSION_KEY, &2u32.encode()[..])], &[])
            .unwrap();
        assert!(load_votes(&store).unwrap_err().contains("schema v2"));
    }
}
