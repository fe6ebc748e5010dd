// The market wallet: x25519 secrets and item keys, kept in IndexedDB and
// encrypted under a passphrase (scrypt + XChaCha20-Poly1305). Secrets
// never leave the browser unless the user exports the wallet.
import { scrypt } from '@noble/hashes/scrypt.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { generateKeypair, keypairFromSecret, type Keypair } from './marketCrypto';

/// What a wallet holds, in the CLI wallet's field names where they exist.
export interface Wallet {
  /// The account's main encryption key (registered on chain with set_encryption_key).
  encryptionSecret: string;
  encryptionPublic: string;
  /// Item keys of this seller's listings, by item id.
  itemKeys: Record<string, string>;
  /// Per-order buyer keys: public key hex → secret hex.
  orderKeys: Record<string, string>;
  /// Item keys of listings made but not yet seen on chain, by plaintext hash.
  pendingItemKeys?: Record<string, string>;
}

interface Stored {
  salt: Uint8Array;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

const DB = 'cpchain-market';
const STORE = 'wallets';
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, dkLen: 32 };

function db(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function get(key: string): Promise<Stored | undefined> {
  const d = await db();
  return new Promise((resolve, reject) => {
    const r = d.transaction(STORE).objectStore(STORE).get(key);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function put(key: string, value: Stored): Promise<void> {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

export async function hasWallet(address: string): Promise<boolean> {
  return (await get(address)) !== undefined;
}

function derive(passphrase: string, salt: Uint8Array): Uint8Array {
  return scrypt(new TextEncoder().encode(passphrase), salt, SCRYPT);
}

export class OpenWallet {
  constructor(
    readonly address: string,
    private readonly key: Uint8Array,
    private readonly salt: Uint8Array,
    public data: Wallet,
  ) {}

  keypair(): Keypair {
    return keypairFromSecret(hexToBytes(this.data.encryptionSecret.replace(/^0x/, '')));
  }

  /// A fresh key for one order; its secret is saved before it is used.
  async newOrderKey(): Promise<Keypair> {
    const kp = generateKeypair();
    this.data.orderKeys['0x' + bytesToHex(kp.public)] = '0x' + bytesToHex(kp.secret);
    await this.save();
    return kp;
  }

  orderSecret(publicHex: string): Uint8Array | null {
    const s = this.data.orderKeys[publicHex.toLowerCase()];
    if (s) return hexToBytes(s.replace(/^0x/, ''));
    const main = this.keypair();
    if ('0x' + bytesToHex(main.public) === publicHex.toLowerCase()) return main.secret;
    return null;
  }

  async save(): Promise<void> {
    const nonce = randomBytes(24);
    const plaintext = new TextEncoder().encode(JSON.stringify(this.data));
    const ciphertext = xchacha20poly1305(this.key, nonce).encrypt(plaintext);
    await put(this.address, { salt: this.salt, nonce, ciphertext });
  }

  /// The wallet file of `cpchain-node market --wallet`, holding the secrets:
  /// for the user to take to the CLI.
  cliWallet(): string {
    return JSON.stringify(
      { encryptionSecret: this.data.encryptionSecret, encryptionPublic: this.data.encryptionPublic, itemKeys: this.data.itemKeys },
      null,
      2,
    );
  }
}

export async function createWallet(address: string, passphrase: string): Promise<OpenWallet> {
  if (passphrase.length < 8) throw new Error('use a passphrase of at least 8 characters');
  if (await hasWallet(address)) throw new Error('this account already has a wallet here');
  const kp = generateKeypair();
  const salt = randomBytes(16);
  const w = new OpenWallet(address, derive(passphrase, salt), salt, {
    encryptionSecret: '0x' + bytesToHex(kp.secret),
    encryptionPublic: '0x' + bytesToHex(kp.public),
    itemKeys: {},
    orderKeys: {},
  });
  await w.save();
  return w;
}

export async function unlockWallet(address: string, passphrase: string): Promise<OpenWallet> {
  const stored = await get(address);
  if (!stored) throw new Error('no wallet for this account in this browser');
  const key = derive(passphrase, stored.salt);
  let plaintext: Uint8Array;
  try {
    plaintext = xchacha20poly1305(key, stored.nonce).decrypt(stored.ciphertext);
  } catch {
    throw new Error('wrong passphrase');
  }
  return new OpenWallet(address, key, stored.salt, JSON.parse(new TextDecoder().decode(plaintext)));
}
