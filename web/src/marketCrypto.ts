// The private market's encryption, byte-compatible with `cpchain-node
// market` (node/src/market_crypto.rs, format 2): x25519 key agreement,
// HKDF-SHA256, ChaCha20-Poly1305, from the audited @noble libraries.
//
// Every ciphertext is bound to its listing: the associated data names the
// seller (the 32-byte account id) and the salted plaintext hash.
//
//   sealed item = nonce (12) || AEAD_itemkey(salt (32) || fields),
//                 aad = "cpchain/market/v2/item" || seller || hash
//   hash        = SHA-256(salt || fields)
//   sealed key  = ephemeral public (32) || nonce (12) || AEAD(item key) (32 + 16),
//                 key = HKDF-SHA256(salt = ephemeral || recipient, ikm = shared,
//                                   info = "cpchain/market/v2/seal"),
//                 aad = "cpchain/market/v2/key" || seller || hash || ephemeral || recipient
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

const enc = new TextEncoder();
const SEAL_INFO = enc.encode('cpchain/market/v2/seal');
const ITEM_AAD = enc.encode('cpchain/market/v2/item');
const KEY_AAD = enc.encode('cpchain/market/v2/key');
const NONCE_LEN = 12;
const SALT_LEN = 32;
const TAG_LEN = 16;
export const SEALED_KEY_LEN = 32 + NONCE_LEN + 32 + TAG_LEN;

export class MarketCryptoError extends Error {}
const MALFORMED = "not a ciphertext of the market's scheme";
const REJECTED = 'decryption failed: wrong key or tampered ciphertext';
const WEAK = 'the public key is not usable for key agreement';

/// The listing a ciphertext belongs to.
export interface Binding {
  /// The seller's 32-byte account id.
  seller: Uint8Array;
  /// The salted plaintext hash the chain records.
  plaintextHash: Uint8Array;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const aad = (domain: Uint8Array, b: Binding, ...extra: Uint8Array[]) => concat(domain, b.seller, b.plaintextHash, ...extra);

function shared(secret: Uint8Array, pub: Uint8Array): Uint8Array {
  let s: Uint8Array;
  try {
    s = x25519.getSharedSecret(secret, pub);
  } catch {
    throw new MarketCryptoError(WEAK);
  }
  // x25519-dalek's was_contributory: a small-order point gives all zeros.
  if (s.every((b) => b === 0)) throw new MarketCryptoError(WEAK);
  return s;
}

function sealCipherKey(sharedSecret: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array): Uint8Array {
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

/// Seals the 32-byte item key to `recipient`'s x25519 public key, for the listing `binding`.
export function sealKey(itemKey: Uint8Array, recipient: Uint8Array, binding: Binding): Uint8Array {
  const eph = x25519.utils.randomSecretKey();
  const ephPub = x25519.getPublicKey(eph);
  const key = sealCipherKey(shared(eph, recipient), ephPub, recipient);
  const nonce = randomBytes(NONCE_LEN);
  const ct = chacha20poly1305(key, nonce, aad(KEY_AAD, binding, ephPub, recipient)).encrypt(itemKey);
  return concat(ephPub, nonce, ct);
}

/// Opens a key sealed to our secret for the listing `binding`.
export function openKey(secret: Uint8Array, sealed: Uint8Array, binding: Binding): Uint8Array {
  if (sealed.length !== SEALED_KEY_LEN) throw new MarketCryptoError(MALFORMED);
  const ephPub = sealed.slice(0, 32);
  const me = x25519.getPublicKey(secret);
  const key = sealCipherKey(shared(secret, ephPub), ephPub, me);
  let out: Uint8Array;
  try {
    out = chacha20poly1305(key, sealed.slice(32, 32 + NONCE_LEN), aad(KEY_AAD, binding, ephPub, me)).decrypt(
      sealed.slice(32 + NONCE_LEN),
    );
  } catch {
    throw new MarketCryptoError(REJECTED);
  }
  if (out.length !== 32) throw new MarketCryptoError(MALFORMED);
  return out;
}

/// A listing's sealed fields and the salted hash that goes on chain with them.
export function sealItem(itemKey: Uint8Array, fields: Uint8Array, seller: Uint8Array): { sealedFields: Uint8Array; plaintextHash: Uint8Array } {
  const salt = randomBytes(SALT_LEN);
  const plaintextHash = sha256(concat(salt, fields));
  const nonce = randomBytes(NONCE_LEN);
  const ct = chacha20poly1305(itemKey, nonce, aad(ITEM_AAD, { seller, plaintextHash })).encrypt(concat(salt, fields));
  return { sealedFields: concat(nonce, ct), plaintextHash };
}

/// Opens an item with its key: the fields, and whether they (with the
/// salt) hash to what the chain recorded.
export function openItem(itemKey: Uint8Array, sealed: Uint8Array, binding: Binding): { fields: Uint8Array; hashMatches: boolean } {
  if (sealed.length < NONCE_LEN + TAG_LEN) throw new MarketCryptoError(MALFORMED);
  let plaintext: Uint8Array;
  try {
    plaintext = chacha20poly1305(itemKey, sealed.slice(0, NONCE_LEN), aad(ITEM_AAD, binding)).decrypt(sealed.slice(NONCE_LEN));
  } catch {
    throw new MarketCryptoError(REJECTED);
  }
  if (plaintext.length < SALT_LEN) throw new MarketCryptoError(MALFORMED);
  const hash = sha256(plaintext);
  const hashMatches = hash.length === binding.plaintextHash.length && hash.every((b, i) => b === binding.plaintextHash[i]);
  return { fields: plaintext.slice(SALT_LEN), hashMatches };
}
