// The private market's encryption, byte-compatible with `cpchain-node
// market` (node/src/market_crypto.rs): x25519 key agreement, HKDF-SHA256,
// ChaCha20-Poly1305, from the audited @noble libraries.
//
//   sealed key  = ephemeral public (32) || nonce (12) || AEAD(item key) (32 + 16)
//                 key = HKDF-SHA256(salt = ephemeral || recipient, ikm = shared,
//                                   info = "cpchain/market/v1/seal"),
//                 aad = ephemeral || recipient
//   sealed data = nonce (12) || AEAD(plaintext), aad = "cpchain/market/v1/item"
//   plaintext hash = SHA-256(plaintext)
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

const enc = new TextEncoder();
const SEAL_INFO = enc.encode('cpchain/market/v1/seal');
const ITEM_AAD = enc.encode('cpchain/market/v1/item');
const NONCE_LEN = 12;
const TAG_LEN = 16;
export const SEALED_KEY_LEN = 32 + NONCE_LEN + 32 + TAG_LEN;

export class MarketCryptoError extends Error {}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function shared(secret: Uint8Array, pub: Uint8Array): Uint8Array {
  let s: Uint8Array;
  try {
    s = x25519.getSharedSecret(secret, pub);
  } catch {
    throw new MarketCryptoError('the public key is not usable for key agreement');
  }
  // x25519-dalek's was_contributory: a small-order point gives all zeros.
  if (s.every((b) => b === 0)) throw new MarketCryptoError('the public key is not usable for key agreement');
  return s;
}

function sealKeyFor(sharedSecret: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array): Uint8Array {
  return hkdf(sha256, sharedSecret, concat(ephemeral, recipient), SEAL_INFO, 32);
}

export interface Keypair {
  secret: Uint8Array;
  public: Uint8Array;
}

export function generateKeypair(): Keypair {
  const secret = x25519.utils.randomSecretKey();
  return { secret, public: x25519.getPublicKey(secret) };
}

export function keypairFromSecret(secret: Uint8Array): Keypair {
  return { secret, public: x25519.getPublicKey(secret) };
}

export function generateItemKey(): Uint8Array {
  return randomBytes(32);
}

/// Seals the 32-byte item key to `recipient`'s x25519 public key.
export function sealKey(itemKey: Uint8Array, recipient: Uint8Array): Uint8Array {
  const eph = x25519.utils.randomSecretKey();
  const ephPub = x25519.getPublicKey(eph);
  const key = sealKeyFor(shared(eph, recipient), ephPub, recipient);
  const nonce = randomBytes(NONCE_LEN);
  const ct = chacha20poly1305(key, nonce, concat(ephPub, recipient)).encrypt(itemKey);
  return concat(ephPub, nonce, ct);
}

/// Opens a sealed item key with our secret.
export function openKey(secret: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length !== SEALED_KEY_LEN) throw new MarketCryptoError('not a ciphertext of the market\'s scheme');
  const ephPub = sealed.slice(0, 32);
  const me = x25519.getPublicKey(secret);
  const key = sealKeyFor(shared(secret, ephPub), ephPub, me);
  try {
    const out = chacha20poly1305(key, sealed.slice(32, 32 + NONCE_LEN), concat(ephPub, me)).decrypt(
      sealed.slice(32 + NONCE_LEN),
    );
    if (out.length !== 32) throw new MarketCryptoError('not a ciphertext of the market\'s scheme');
    return out;
  } catch (e) {
    if (e instanceof MarketCryptoError) throw e;
    throw new MarketCryptoError('decryption failed: wrong key or tampered ciphertext');
  }
}

export function encryptFields(itemKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_LEN);
  return concat(nonce, chacha20poly1305(itemKey, nonce, ITEM_AAD).encrypt(plaintext));
}

export function decryptFields(itemKey: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < NONCE_LEN + TAG_LEN) throw new MarketCryptoError('not a ciphertext of the market\'s scheme');
  try {
    return chacha20poly1305(itemKey, sealed.slice(0, NONCE_LEN), ITEM_AAD).decrypt(sealed.slice(NONCE_LEN));
  } catch {
    throw new MarketCryptoError('decryption failed: wrong key or tampered ciphertext');
  }
}

export function plaintextHash(plaintext: Uint8Array): Uint8Array {
  return sha256(plaintext);
}
