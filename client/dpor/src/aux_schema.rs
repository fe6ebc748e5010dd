//! What DPoR persists: the LBFT record of each undecided height (the round
//! entered, the lock and every signed vote and round change), and the
//! highest height decided with the certificates of the last ones.
//!
//! The record must be on disk before any message that depends on it
//! leaves the node: a validator that forgets its lock or its round after a
//! crash can help certify a second block at a height. The client's aux
//! storage does not give that guarantee: on ParityDB, `insert_aux` returns
//! once the commit is queued in memory (parity-db 0.4.13 `Db::commit_raw`),
//! the log is written by a background thread, and fsynced only when it
//! rotates at 64 MiB (`log.rs` `flush_one`). So the record lives in its own
//! file, `<chain dir>/dpor/lbft-record`, replaced atomically: written to a
//! temporary file, fsynced, renamed over the old one, and the directory
//! fsynced, before [`RecordFile::write`] returns.
//!
//! The file sits beside the database, not in it, so that `purge-chain`
//! keeps it: a validator that resyncs from genesis still remembers what it
//! signed. Version 1 of this schema, a bare list of signed votes in aux
//! storage, is read once and carried over; version 2 (records only) too.
//!
//! Why the decided heights: the record of a height is dropped once the
//! height is final in the client database, but that database may lose its
//! last final blocks in a crash (see above). The node then restarts below
//! a height it voted at, with no record of it, and must not vote there
//! again (`Machine::remember_decided`): the file says up to where heights
//! were decided, and keeps the last certificates to finalize them again.

use std::{
    collections::BTreeMap,
    fs::{self, File, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
};

use codec::{Decode, Encode};
use cpchain_lbft::{Certificate, HeightRecord, Phase, Vote};
use cpchain_primitives::Hash;
use sc_client_api::backend::AuxStore;

use crate::{
    communication::wire::{WireCertificate, WireRoundChange, WireVote},
    Dpor,
};

const LEGACY_VERSION_KEY: &[u8] = b"dpor_aux_schema_version";
const LEGACY_VOTES_KEY: &[u8] = b"dpor_signed_votes";
const LEGACY_VERSION: u32 = 1;
/// The record file's schema, written at its start.
pub const CURRENT_VERSION: u32 = 3;
const RECORDS_ONLY_VERSION: u32 = 2;
const MAGIC: &[u8; 16] = b"cpchain/lbft-rec";
const FILE_NAME: &str = "lbft-record";

#[derive(Encode, Decode)]
struct WireRecord {
    height: u64,
    revision: u64,
    round: u32,
    lock: Option<WireCertificate>,
    votes: Vec<WireVote>,
    round_changes: Vec<WireRoundChange>,
}

impl From<&HeightRecord<Dpor>> for WireRecord {
    fn from(record: &HeightRecord<Dpor>) -> Self {
        Self {
            height: record.height,
            revision: record.revision,
            round: record.round,
            lock: record.lock.clone().map(Into::into),
            votes: record.votes.iter().map(|v| (*v).into()).collect(),
            round_changes: record.round_changes.iter().map(|c| (*c).into()).collect(),
        }
    }
}

impl TryFrom<WireRecord> for HeightRecord<Dpor> {
    type Error = &'static str;
    fn try_from(record: WireRecord) -> Result<Self, Self::Error> {
        Ok(HeightRecord {
            height: record.height,
            revision: record.revision,
            round: record.round,
            lock: record.lock.map(TryInto::try_into).transpose()?,
            votes: record
                .votes
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()?,
            round_changes: record.round_changes.into_iter().map(Into::into).collect(),
        })
    }
}

/// The records of undecided heights, in memory and in their file.
pub struct RecordFile {
    path: PathBuf,
    genesis: Hash,
    records: BTreeMap<u64, HeightRecord<Dpor>>,
    decided: Decided,
    /// The last write failed: what is in memory may not be on disk, so the
    /// next call writes even if it changes nothing.
    dirty: bool,
}

/// What a node knows it saw decided; see the module docs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decided {
    /// Every height up to this one was decided.
    pub up_to: Option<u64>,
    /// The certificates of the last decided heights, by height.
    pub certificates: BTreeMap<u64, Certificate<Dpor>>,
}

#[derive(Encode, Decode)]
struct WireFile {
    genesis: Hash,
    decided_up_to: Option<u64>,
    certificates: Vec<WireCertificate>,
    records: Vec<WireRecord>,
}

impl RecordFile {
    /// Opens (or creates) the record of the chain with genesis `genesis`
    /// in `dir`, carrying over a version-1 record from `legacy` aux storage.
    /// Returns the records to restore and the decided heights. A file of
    /// another chain (relaunched under the same spec id and base path) is
    /// not this chain's: it is replaced.
    pub fn open<S: AuxStore>(
        dir: &Path,
        legacy: &S,
        genesis: Hash,
    ) -> Result<(Self, Vec<HeightRecord<Dpor>>, Decided), String> {
        fs::create_dir_all(dir).map_err(|e| {
            format!(
                "cannot create the DPoR record directory {}: {e}",
                dir.display()
            )
        })?;
        let path = dir.join(FILE_NAME);
        let (records, decided) = match fs::read(&path) {
            Ok(bytes) => decode_file(&bytes, genesis)
                .map_err(|e| format!("the DPoR record {} is unreadable: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                (load_legacy(legacy)?, Decided::default())
            }
            Err(e) => {
                return Err(format!(
                    "cannot read the DPoR record {}: {e}",
                    path.display()
                ))
            }
        };
        let mut file = Self {
            path,
            genesis,
            records: records.into_iter().map(|r| (r.height, r)).collect(),
            decided,
            dirty: false,
        };
        file.flush()?;
        let restored = file.records.values().cloned().collect();
        let decided = file.decided.clone();
        Ok((file, restored, decided))
    }

    /// Remembers, durably, that `certificate` decided its height: written
    /// before the block is finalized in the client database.
    pub fn remember_final(&mut self, certificate: Certificate<Dpor>) -> Result<(), String> {
        let height = certificate.vote.height;
        if self.decided.certificates.contains_key(&height) && !self.dirty {
            return Ok(());
        }
        self.decided.up_to = self.decided.up_to.max(Some(height));
        self.decided.certificates.insert(height, certificate);
        self.flush()
    }

    /// Replaces the record of `record.height` and returns once it is
    /// durably on disk. On an error nothing that depends on the record may
    /// be sent. An older revision than the one kept is already contained in
    /// it (records only grow) and is skipped.
    pub fn write(&mut self, record: HeightRecord<Dpor>) -> Result<(), String> {
        if self
            .records
            .get(&record.height)
            .is_some_and(|kept| kept.revision > record.revision)
        {
            return Ok(());
        }
        self.records.insert(record.height, record);
        self.flush()
    }

    /// Drops the records below `height` and the certificates of all but
    /// the last `KEEP_DECIDED_CERTIFICATES` heights, and remembers that the
    /// heights below `height` were decided, in one durable write.
    pub fn prune(&mut self, height: u64) -> Result<(), String> {
        let before = (
            self.records.len(),
            self.decided.certificates.len(),
            self.decided.up_to,
        );
        self.records = self.records.split_off(&height);
        self.decided.certificates = self
            .decided
            .certificates
            .split_off(&cpchain_lbft::keep_certificates_from(height));
        if height > 1 {
            self.decided.up_to = self.decided.up_to.max(Some(height - 1));
        }
        let after = (
            self.records.len(),
            self.decided.certificates.len(),
            self.decided.up_to,
        );
        if self.dirty || after != before {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        let written = self.write_file();
        self.dirty = written.is_err();
        written
    }

    fn write_file(&self) -> Result<(), String> {
        let wire = WireFile {
            genesis: self.genesis,
            decided_up_to: self.decided.up_to,
            certificates: self
                .decided
                .certificates
                .values()
                .cloned()
                .map(Into::into)
                .collect(),
            records: self.records.values().map(Into::into).collect(),
        };
        let mut bytes = MAGIC.to_vec();
        CURRENT_VERSION.encode_to(&mut bytes);
        wire.encode_to(&mut bytes);
        write_durably(&self.path, &bytes).map_err(|e| {
            format!(
                "cannot persist the DPoR record {}: {e}",
                self.path.display()
            )
        })
    }
}

const SEAL_FILE_NAME: &str = "last-seal";
const SEAL_MAGIC: &[u8; 16] = b"cpchain/dpor-sl2";

/// The highest height this node sealed a proposal at, in
/// `<chain dir>/dpor/last-seal`, written durably before the seal is signed.
///
/// A proposer that seals two blocks at one height is punished on chain
/// (see `cpchain_primitives::equivocation`). Without this record an honest
/// proposer that crashed after sealing would, once restarted, build and
/// seal a second block of the same height.
pub struct SealRecord {
    path: PathBuf,
    genesis: Hash,
    highest: Option<u64>,
}

impl SealRecord {
    /// Opens the record of the chain with genesis `genesis`; a record of
    /// another chain (relaunched under the same spec id and base path) is
    /// not this chain's and is replaced at the first claim.
    pub fn open(dir: &Path, genesis: Hash) -> Result<Self, String> {
        fs::create_dir_all(dir).map_err(|e| {
            format!(
                "cannot create the DPoR record directory {}: {e}",
                dir.display()
            )
        })?;
        let path = dir.join(SEAL_FILE_NAME);
        let highest = match fs::read(&path) {
            Ok(bytes) => {
                let mut rest = bytes
                    .strip_prefix(&SEAL_MAGIC[..])
                    .ok_or_else(|| format!("{} is not a DPoR seal record", path.display()))?;
                let (chain, height) = <(Hash, u64)>::decode(&mut rest)
                    .ok()
                    .filter(|_| rest.is_empty())
                    .ok_or_else(|| {
                        format!("the DPoR seal record {} is unreadable", path.display())
                    })?;
                (chain == genesis).then_some(height)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Ok(Self {
            path,
            genesis,
            highest,
        })
    }

    /// Claims `height` for sealing: Ok(true) once the claim is durably on
    /// disk, Ok(false) if this node already sealed at `height` or above.
    pub fn claim(&mut self, height: u64) -> Result<bool, String> {
        if self.highest.is_some_and(|highest| highest >= height) {
            return Ok(false);
        }
        let mut bytes = SEAL_MAGIC.to_vec();
        (self.genesis, height).encode_to(&mut bytes);
        write_durably(&self.path, &bytes).map_err(|e| {
            format!(
                "cannot persist the DPoR seal record {}: {e}",
                self.path.display()
            )
        })?;
        self.highest = Some(height);
        Ok(true)
    }
}

fn decode_file(bytes: &[u8], genesis: Hash) -> Result<(Vec<HeightRecord<Dpor>>, Decided), String> {
    let Some(mut rest) = bytes.strip_prefix(&MAGIC[..]) else {
        return Err("not a DPoR record file".into());
    };
    let version = u32::decode(&mut rest).map_err(|_| "no schema version")?;
    let (records, decided) = match version {
        RECORDS_ONLY_VERSION => {
            let records =
                Vec::<WireRecord>::decode(&mut rest).map_err(|_| "undecodable records")?;
            (records, Decided::default())
        }
        CURRENT_VERSION => {
            let file = WireFile::decode(&mut rest).map_err(|_| "undecodable records")?;
            if file.genesis != genesis {
                log::warn!(
                    target: crate::LOG_TARGET,
                    "The DPoR record belongs to another chain (genesis {}); starting afresh",
                    file.genesis
                );
                return Ok((Vec::new(), Decided::default()));
            }
            let certificates = file
                .certificates
                .into_iter()
                .map(|c| {
                    let certificate: Certificate<Dpor> = c.try_into()?;
                    Ok((certificate.vote.height, certificate))
                })
                .collect::<Result<_, &str>>()?;
            let decided = Decided {
                up_to: file.decided_up_to,
                certificates,
            };
            (file.records, decided)
        }
        _ => {
            return Err(format!(
                "schema v{version}; this node reads v{RECORDS_ONLY_VERSION} and v{CURRENT_VERSION}"
            ))
        }
    };
    if !rest.is_empty() {
        return Err("trailing bytes".into());
    }
    let records = records
        .into_iter()
        .map(|r| r.try_into().map_err(|e: &str| e.to_string()))
        .collect::<Result<_, _>>()?;
    Ok((records, decided))
}

/// Version 1: the signed votes, in aux storage. Each height's votes become
/// a record that resumes at the highest round voted in.
fn load_legacy<S: AuxStore>(store: &S) -> Result<Vec<HeightRecord<Dpor>>, String> {
    let Some(version) = store
        .get_aux(LEGACY_VERSION_KEY)
        .map_err(|e| e.to_string())?
    else {
        return Ok(Vec::new());
    };
    let version = u32::decode(&mut &version[..])
        .map_err(|_| "the DPoR aux schema version is unreadable".to_string())?;
    if version != LEGACY_VERSION {
        return Err(format!(
            "the database holds DPoR aux schema v{version}; this node reads v{LEGACY_VERSION}"
        ));
    }
    let stored: Vec<(u64, u32, u8, Hash)> =
        match store.get_aux(LEGACY_VOTES_KEY).map_err(|e| e.to_string())? {
            None => Vec::new(),
            Some(bytes) => Decode::decode(&mut &bytes[..])
                .map_err(|_| "the DPoR double-sign record is unreadable".to_string())?,
        };
    let mut records: BTreeMap<u64, HeightRecord<Dpor>> = BTreeMap::new();
    for (height, round, phase, hash) in stored {
        let phase = match phase {
            1 => Phase::Prepare,
            2 => Phase::Commit,
            _ => continue,
        };
        let record = records
            .entry(height)
            .or_insert_with(|| HeightRecord::new(height));
        record.round = record.round.max(round);
        record.votes.push(Vote {
            height,
            round,
            phase,
            hash,
        });
    }
    Ok(records.into_values().collect())
}

/// Writes `data` to `path` so that, when this returns Ok, the new content
/// survives a crash or power loss, and a crash part-way leaves the old one.
fn write_durably(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let temporary = path.with_extension("tmp");
    {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)?;
        file.write_all(data)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proposer_never_seals_twice_at_a_height_across_restarts() {
        let dir = std::env::temp_dir().join(format!("dpor-seal-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let chain = Hash::repeat_byte(1);
        let mut record = SealRecord::open(&dir, chain).unwrap();
        assert_eq!(record.claim(5), Ok(true));
        assert_eq!(record.claim(5), Ok(false));
        drop(record);
        let mut restarted = SealRecord::open(&dir, chain).unwrap();
        assert_eq!(restarted.claim(5), Ok(false), "a restart forgets nothing");
        assert_eq!(restarted.claim(4), Ok(false));
        assert_eq!(restarted.claim(6), Ok(true));
        drop(restarted);
        // A relaunched chain under the same base path starts afresh.
        let mut relaunched = SealRecord::open(&dir, Hash::repeat_byte(2)).unwrap();
        assert_eq!(relaunched.claim(1), Ok(true));
        fs::write(dir.join(SEAL_FILE_NAME), b"junk").unwrap();
        assert!(
            SealRecord::open(&dir, chain).is_err(),
            "a damaged record stops the node"
        );
        let _ = fs::remove_dir_all(&dir);
    }
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

    const GENESIS: Hash = Hash::repeat_byte(0x6e);

    fn commit_certificate(height: u64) -> Certificate<Dpor> {
        use cpchain_primitives::dpor_crypto::AuthorityPair;
        use sp_core::Pair;
        let pair = AuthorityPair::from_string("//Alice", None).unwrap();
        let vote = Vote {
            height,
            round: 1,
            phase: Phase::Commit,
            hash: Hash::repeat_byte(height as u8),
        };
        Certificate {
            vote,
            signatures: vec![(pair.public(), pair.sign(&vote.signing_payload(b"chain")))],
        }
    }

    /// Review finding: the record of a height was dropped as soon as the
    /// client database said the height was final, and nothing remembered
    /// that it was decided; after a crash that lost the final block, the
    /// node voted there afresh.
    #[test]
    fn decided_heights_and_their_last_certificates_survive_a_restart() {
        let dir = temp_dir("decided");
        let aux = MemoryAux::default();
        let (mut file, _, decided) = RecordFile::open(&dir, &aux, GENESIS).unwrap();
        assert_eq!(decided, Decided::default());
        file.write(record(5, 0)).unwrap();
        file.remember_final(commit_certificate(5)).unwrap();
        file.prune(6).unwrap();
        let (mut file, restored, decided) = RecordFile::open(&dir, &aux, GENESIS).unwrap();
        assert!(restored.is_empty());
        assert_eq!(decided.up_to, Some(5));
        assert_eq!(decided.certificates.get(&5), Some(&commit_certificate(5)));

        // Only the last KEEP_DECIDED_CERTIFICATES certificates are kept, but
        // the decided height only grows.
        let later = 6 + cpchain_lbft::KEEP_DECIDED_CERTIFICATES;
        file.prune(later).unwrap();
        file.prune(3).unwrap();
        let (_, _, decided) = RecordFile::open(&dir, &aux, GENESIS).unwrap();
        assert_eq!(decided.up_to, Some(later - 1));
        assert!(decided.certificates.is_empty());

        // Another chain under the same path starts afresh.
        let (_, _, decided) = RecordFile::open(&dir, &aux, Hash::repeat_byte(1)).unwrap();
        assert_eq!(decided, Decided::default());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_version_two_record_file_is_carried_over() {
        let dir = temp_dir("v2");
        fs::create_dir_all(&dir).unwrap();
        let mut bytes = MAGIC.to_vec();
        RECORDS_ONLY_VERSION.encode_to(&mut bytes);
        vec![WireRecord::from(&record(7, 2))].encode_to(&mut bytes);
        fs::write(dir.join(FILE_NAME), bytes).unwrap();
        let aux = MemoryAux::default();
        let (_, restored, decided) = RecordFile::open(&dir, &aux, GENESIS).unwrap();
        assert_eq!(restored, vec![record(7, 2)]);
        assert_eq!(decided, Decided::default());
        fs::remove_dir_all(&dir).unwrap();
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("cpchain-dpor-record-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn record(height: u64, round: u32) -> HeightRecord<Dpor> {
        let mut record = HeightRecord::new(height);
        record.round = round;
        record.revision = u64::from(round);
        record.votes.push(Vote {
            height,
            round,
            phase: Phase::Prepare,
            hash: Hash::repeat_byte(height as u8),
        });
        record.round_changes.push(cpchain_lbft::RoundChange {
            height,
            round,
            locked: None,
        });
        record
    }

    #[test]
    fn the_record_survives_a_restart_and_is_pruned() {
        let dir = temp_dir("restart");
        let aux = MemoryAux::default();
        let (mut file, restored, _) = RecordFile::open(&dir, &aux, GENESIS).unwrap();
        assert!(restored.is_empty());
        file.write(record(5, 0)).unwrap();
        file.write(record(6, 3)).unwrap();
        file.write(record(6, 4)).unwrap();
        // A late, older revision does not replace the newer record.
        file.write(record(6, 3)).unwrap();
        let (mut reopened, restored, _) = RecordFile::open(&dir, &aux, GENESIS).unwrap();
        assert_eq!(restored, vec![record(5, 0), record(6, 4)]);
        reopened.prune(6).unwrap();
        let (_, restored, _) = RecordFile::open(&dir, &aux, GENESIS).unwrap();
        assert_eq!(restored, vec![record(6, 4)]);
        assert!(!dir.join("lbft-record.tmp").exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_version_one_record_in_aux_storage_is_carried_over() {
        let dir = temp_dir("legacy");
        let aux = MemoryAux::default();
        let votes: Vec<(u64, u32, u8, Hash)> = vec![
            (9, 0, 1, Hash::repeat_byte(1)),
            (9, 2, 2, Hash::repeat_byte(2)),
        ];
        aux.insert_aux(
            &[
                (LEGACY_VERSION_KEY, &1u32.encode()[..]),
                (LEGACY_VOTES_KEY, &votes.encode()[..]),
            ],
            &[],
        )
        .unwrap();
        let (_, restored, _) = RecordFile::open(&dir, &aux, GENESIS).unwrap();
        assert_eq!(restored.len(), 1);
        assert_eq!(restored[0].round, 2);
        assert_eq!(
            restored[0].signed(2, Phase::Commit),
            Some(Hash::repeat_byte(2))
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unreadable_or_newer_record_is_refused_not_ignored() {
        let dir = temp_dir("refuse");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(FILE_NAME), b"garbage").unwrap();
        let aux = MemoryAux::default();
        let error = RecordFile::open(&dir, &aux, GENESIS).err().unwrap();
        assert!(error.contains("not a DPoR record file"), "{error}");
        let mut newer = MAGIC.to_vec();
        4u32.encode_to(&mut newer);
        fs::write(dir.join(FILE_NAME), newer).unwrap();
        let error = RecordFile::open(&dir, &aux, GENESIS).err().unwrap();
        assert!(error.contains("schema v4"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
