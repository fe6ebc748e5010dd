// Admission proofs in the browser, as pallet-admission checks them
// (pallets/admission/src/proof.rs) and `cpchain-node campaign start` finds
// them: data = account (32) || block hash (32) || nonce (u64 LE); the CPU
// proof hashes it with SHA-256, the memory proof with scrypt (log N 12,
// r 8, p 1, salt = the data's first 8 bytes, 32 bytes out); a hash meets
// difficulty d when it is below 2^(256-d) as a 256-bit number.
import { scrypt } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';

export type ProofKind = 'cpu' | 'memory';

export function proofData(account: Uint8Array, blockHash: Uint8Array, nonce: bigint): Uint8Array {
  const data = new Uint8Array(account.length + blockHash.length + 8);
  data.set(account, 0);
  data.set(blockHash, account.length);
  new DataView(data.buffer).setBigUint64(account.length + blockHash.length, nonce, true);
  return data;
}

export function proofHash(kind: ProofKind, data: Uint8Array): Uint8Array {
  if (kind === 'cpu') return sha256(data);
  return scrypt(data, data.slice(0, 8), { N: 2 ** 12, r: 8, p: 1, dkLen: 32 });
}

function leadingZeroBits(hash: Uint8Array): number {
  let zeros = 0;
  for (const byte of hash) {
    if (byte === 0) zeros += 8;
    else return zeros + Math.clz32(byte) - 24;
  }
  return zeros;
}

export function meetsDifficulty(hash: Uint8Array, difficulty: number): boolean {
  if (difficulty === 0) return true;
  if (difficulty > 256) return false;
  const zeros = leadingZeroBits(hash);
  if (zeros >= difficulty) return true;
  // Exactly 2^(256-d): one bit set, right below the leading zeros.
  return zeros === difficulty - 1 && hash.reduce((n, b) => n + popcount(b), 0) === 1;
}

function popcount(b: number): number {
  let n = 0;
  for (; b; b &= b - 1) n++;
  return n;
}

/// Searches nonces from 0, yielding to the page between batches; gives up
/// after `maxTries` or when `cancelled()` says so.
export async function findNonce(
  kind: ProofKind,
  account: Uint8Array,
  blockHash: Uint8Array,
  difficulty: number,
  onProgress: (tries: number) => void = () => {},
  maxTries = 10_000_000,
  cancelled: () => boolean = () => false,
): Promise<bigint | null> {
  const batch = kind === 'cpu' ? 2048 : 4;
  for (let nonce = 0n, tries = 0; tries < maxTries; ) {
    for (let i = 0; i < batch && tries < maxTries; i++, tries++, nonce++) {
      if (meetsDifficulty(proofHash(kind, proofData(account, blockHash, nonce)), difficulty)) return nonce;
    }
    onProgress(tries);
    if (cancelled()) return null;
    await new Promise((r) => setTimeout(r, 0));
  }
  return null;
}
