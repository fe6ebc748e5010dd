//! Admission proofs and the prover: a candidate shows CPU and memory resources by finding
//! nonces whose hashes meet a difficulty, over a recent block hash.
//!
//! Layout, as the original CPChain: `data = account || block_hash || nonce`
//! with the nonce as 8 little-endian bytes. The account is the 32-byte
//! AccountId (the original's was a 20-byte address); nothing else changes.
//!
//! - CPU proof: `SHA-256(data)`.
//! - Memory proof: `scrypt(data, salt = data[..8], N = 4096, r = 8, p = 1)`,
//!   32 bytes: 4 MiB of memory per evaluation.
//!
//! A hash, read as a big-endian 256-bit number, passes difficulty `d` when it
//! is at most `2^(256 - d)`. Difficulty 0 accepts everything; 256 only the
//! all-zero hash and `1`.

use alloc::vec::Vec;
pub use cpchain_primitives::traits::AdmissionProof;

/// The largest meaningful difficulty.
pub const MAX_DIFFICULTY: u16 = 256;
/// scrypt cost: N = 2^12 = 4096.
pub const SCRYPT_LOG_N: u8 = 12;
pub const SCRYPT_R: u32 = 8;
pub const SCRYPT_P: u32 = 1;

/// Which resource a proof shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProofKind {
    Cpu,
    Memory,
}

/// The bytes both proofs hash.
pub fn proof_data(account: &[u8], block_hash: &[u8], nonce: u64) -> Vec<u8> {
    let mut data = Vec::with_capacity(account.len() + block_hash.len() + 8);
    data.extend_from_slice(account);
    data.extend_from_slice(block_hash);
    data.extend_from_slice(&nonce.to_le_bytes());
    data
}

/// SHA-256 of the proof data.
pub fn cpu_hash(data: &[u8]) -> [u8; 32] {
    sp_io::hashing::sha2_256(data)
}

/// scrypt of the proof data with the first 8 bytes as salt.
pub fn memory_hash(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // Both constructors only fail for parameters outside scrypt's ranges,
    // and the constants are inside; an all-0xff hash never meets a difficulty.
    let Ok(params) = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, 32) else {
        return [0xff; 32];
    };
    let salt = &data[..data.len().min(8)];
    if scrypt::scrypt(data, salt, &params, &mut out).is_err() {
        return [0xff; 32];
    }
    out
}

/// The proof hash of `kind`.
pub fn proof_hash(kind: ProofKind, data: &[u8]) -> [u8; 32] {
    match kind {
        ProofKind::Cpu => cpu_hash(data),
        ProofKind::Memory => memory_hash(data),
    }
}

/// Whether `hash` (big-endian) is at most `2^(256 - difficulty)`.
pub fn meets_difficulty(hash: &[u8; 32], difficulty: u16) -> bool {
    if difficulty == 0 {
        return true;
    }
    if difficulty > MAX_DIFFICULTY {
        return false;
    }
    let zeros = leading_zero_bits(hash);
    let d = u32::from(difficulty);
    // Below the target: at least d leading zero bits.
    if zeros >= d {
        return true;
    }
    // Equal to the target 2^(256 - d): d - 1 zero bits, then the only one bit.
    zeros == d - 1 && hash.iter().map(|b| b.count_ones()).sum::<u32>() == 1
}

fn leading_zero_bits(hash: &[u8; 32]) -> u32 {
    let mut zeros = 0;
    for byte in hash {
        if *byte == 0 {
            zeros += 8;
        } else {
            return zeros + byte.leading_zeros();
        }
    }
    zeros
}

/// Searches nonces from `start` for one whose proof of `kind` meets
/// `difficulty`; gives up after `max_tries`.
#[cfg(feature = "std")]
pub fn find_nonce(
    kind: ProofKind,
    account: &[u8],
    block_hash: &[u8],
    difficulty: u16,
    start: u64,
    max_tries: u64,
) -> Option<u64> {
    (0..max_tries).map(|i| start.wrapping_add(i)).find(|nonce| {
        meets_difficulty(
            &proof_hash(kind, &proof_data(account, block_hash, *nonce)),
            difficulty,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_top_bits(leading_zeros: usize, rest_zero: bool) -> [u8; 32] {
        let mut hash = [if rest_zero { 0 } else { 0xff }; 32];
        for bit in 0..=leading_zeros {
            let (byte, offset) = (bit / 8, bit % 8);
            if bit < leading_zeros {
                hash[byte] &= !(0x80 >> offset);
            } else {
                hash[byte] |= 0x80 >> offset;
            }
        }
        hash
    }

    #[test]
    fn difficulty_compares_as_a_256_bit_number() {
        // Exactly 2^(256 - d) passes; one more fails; one less passes.
        for d in 1..=255u16 {
            let target = with_top_bits(d as usize - 1, true);
            assert!(meets_difficulty(&target, d), "target fails at {d}");
            let above = with_top_bits(d as usize - 1, false);
            assert!(!meets_difficulty(&above, d), "above target passes at {d}");
            let below = with_top_bits(d as usize, false);
            assert!(meets_difficulty(&below, d), "below target fails at {d}");
        }
        assert!(meets_difficulty(&[0xff; 32], 0));
        assert!(meets_difficulty(&[0; 32], MAX_DIFFICULTY));
        assert!(!meets_difficulty(&[0; 32], MAX_DIFFICULTY + 1));
    }

    #[test]
    fn proofs_bind_account_block_and_nonce() {
        let data = proof_data(&[1; 32], &[2; 32], 7);
        assert_eq!(data.len(), 72);
        assert_eq!(&data[64..], &7u64.to_le_bytes());
        for kind in [ProofKind::Cpu, ProofKind::Memory] {
            let h = proof_hash(kind, &data);
            assert_ne!(h, proof_hash(kind, &proof_data(&[9; 32], &[2; 32], 7)));
            assert_ne!(h, proof_hash(kind, &proof_data(&[1; 32], &[3; 32], 7)));
            assert_ne!(h, proof_hash(kind, &proof_data(&[1; 32], &[2; 32], 8)));
        }
    }

    #[test]
    fn sha256_and_scrypt_match_their_specifications() {
        // SHA-256("abc"), FIPS 180-2.
        assert_eq!(cpu_hash(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
        // The memory proof is scrypt with N = 4096, r = 8, p = 1 and the
        // first 8 bytes as salt.
        let data = proof_data(&[1; 32], &[2; 32], 3);
        let mut expected = [0u8; 32];
        let params = scrypt::Params::new(12, 8, 1, 32).unwrap();
        scrypt::scrypt(&data, &data[..8], &params, &mut expected).unwrap();
        assert_eq!(memory_hash(&data), expected);
    }

    #[test]
    fn the_prover_finds_nonces_that_verify() {
        for (kind, difficulty) in [(ProofKind::Cpu, 12), (ProofKind::Memory, 4)] {
            let nonce =
                find_nonce(kind, &[5; 32], &[6; 32], difficulty, 0, 1 << 20).expect("found");
            let hash = proof_hash(kind, &proof_data(&[5; 32], &[6; 32], nonce));
            assert!(meets_difficulty(&hash, difficulty));
            if nonce > 0 {
                // The prover returns the first passing nonce.
                let earlier = proof_hash(kind, &proof_data(&[5; 32], &[6; 32], nonce - 1));
                assert!(!meets_difficulty(&earlier, difficulty));
            }
        }
    }
}
