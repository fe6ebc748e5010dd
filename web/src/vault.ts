// The market wallet: the x25519 encryption key, item keys and per-order
// keys, kept in IndexedDB encrypted under a passphrase. It is stored in the
// format of `cpchain-node market --wallet … --passphrase-file …` (format 2,
// sealed like polkadot.js's keystore: scrypt log N 15, r 8, p 1, a random
// 32-byte salt, ChaCha20-Poly1305), so that *Export* hands the CLI the
// same encrypted file. Secrets never leave the browser otherwise.
import { scrypt } from '@noble/hashes/scrypt.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { generateKeypair, keypairFromSecret, type Keypair } from './marketCrypto';

const WALLET_VERSION = 2;
const LOG_N = 15;
const R = 8;
const P = 1;

/// The wallet's JSON, field for field the CLI's.
export interface Wallet {
  version: number;
  encryptionSecret: string;
  encryptionPublic: string;
  /// Item keys of this seller's listings, by item id.
  itemKeys: Record<string, string>;
  /// This buyer's order keys: secret by public key (0x-hex, lower case).
  orderKeys: Record<string, string>;
  /// Item keys of listings sent but not yet seen on chain, by plaintext hash.
  pendingItemKeys?: Record<string, string>;
}

/// The sealed file, as the CLI writes it.
interface SealedWallet {
  version: number;
  kdf: 'scrypt';
  logN: number;
  r: number;
  p: number;
  salt: string;
  cipher: 'chacha20-poly1305';
  nonce: string;
  ciphertext: string;
}

const DB = 'cpchain-market';
const STORE = 'wallets';
const hex = (b: Uint8Array) => '0x' + bytesToHex(b);
const unhex = (h: string) => hexToBytes(h.replace(/^0x/, ''));

function db(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function get(key: string): Promise<SealedWallet | undefined> {
  const d = await db();
  return new Promise((resolve, reject) => {
    const r = d.transaction(STORE).objectStore(STORE).get(key);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function put(key: string, value: SealedWallet): Promise<void> {
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

function derive(passphrase: string, salt: Uint8Array, logN = LOG_N, r = R, p = P): Uint8Array {
  return scrypt(new TextEncoder().encode(passphrase), salt, { N: 2 ** logN, r, p, dkLen: 32, maxmem: 2 ** 30 });
}

export class OpenWallet {
  private sealed: SealedWallet;
  constructor(
    readonly address: string,
    private readonly key: Uint8Array,
    private readonly salt: Uint8Array,
    public data: Wallet,
  ) {
    this.sealed = this.seal();
  }

  keypair(): Keypair {
    return keypairFromSecret(unhex(this.data.encryptionSecret));
  }

  /// A fresh key for one order; its secret is saved before it is used.
  async newOrderKey(): Promise<Keypair> {
    const kp = generateKeypair();
    this.data.orderKeys[hex(kp.public)] = hex(kp.secret);
    await this.save();
    return kp;
  }

  /// The secret of an order's buyer key: an order key, or the wallet's own key.
  orderSecret(publicHex: string): Uint8Array | null {
    const s = this.data.orderKeys[publicHex.toLowerCase()];
    if (s) return unhex(s);
    const main = this.keypair();
    return hex(main.public) === publicHex.toLowerCase() ? main.secret : null;
  }

  private seal(): SealedWallet {
    // One key per salt, a fresh random nonce per save.
    const nonce = randomBytes(12);
    const plaintext = new TextEncoder().encode(JSON.stringify(this.data));
    return {
      version: WALLET_VERSION,
      kdf: 'scrypt',
      logN: LOG_N,
      r: R,
      p: P,
      salt: hex(this.salt),
      cipher: 'chacha20-poly1305',
      nonce: hex(nonce),
      ciphertext: hex(chacha20poly1305(this.key, nonce).encrypt(plaintext)),
    };
  }

  async save(): Promise<void> {
    this.sealed = this.seal();
    await put(this.address, this.sealed);
  }

  /// The encrypted wallet file for `cpchain-node market --wallet FILE
  /// --passphrase-file FILE` (same passphrase).
  cliWallet(): string {
    return JSON.stringify(this.sealed, null, 2);
  }
}

export async function createWallet(address: string, passphrase: string): Promise<OpenWallet> {
  if (passphrase.length < 8) throw new Error('use a passphrase of at least 8 characters');
  if (await hasWallet(address)) throw new Error('this account already has a wallet here');
  const kp = generateKeypair();
  const salt = randomBytes(32);
  const w = new OpenWallet(address, derive(passphrase, salt), salt, {
    version: WALLET_VERSION,
    encryptionSecret: hex(kp.secret),
    encryptionPublic: hex(kp.public),
    itemKeys: {},
    orderKeys: {},
  });
  await w.save();
  return w;
}

export async function unlockWallet(address: string, passphrase: string): Promise<OpenWallet> {
  const stored = await get(address);
  if (!stored) throw new Error('no wallet for this account in this browser');
  return openSealed(address, stored, passphrase);
}

function openSealed(address: string, sealed: SealedWallet, passphrase: string): OpenWallet {
  if (sealed.kdf !== 'scrypt' || sealed.cipher !== 'chacha20-poly1305') throw new Error(`unknown sealing ${sealed.kdf} / ${sealed.cipher}`);
  const salt = unhex(sealed.salt);
  const key = derive(passphrase, salt, sealed.logN, sealed.r, sealed.p);
  let plaintext: Uint8Array;
  try {
    plaintext = chacha20poly1305(key, unhex(sealed.nonce)).decrypt(unhex(sealed.ciphertext));
  } catch {
    throw new Error('wrong passphrase, or the wallet was changed');
  }
  const data = JSON.parse(new TextDecoder().decode(plaintext)) as Wallet;
  data.itemKeys ??= {};
  data.orderKeys ??= {};
  return new OpenWallet(address, key, salt, data);
}

/// Imports a wallet file written by `cpchain-node market` (encrypted with
/// `--passphrase-file`) for this account.
export async function importWallet(address: string, fileText: string, passphrase: string): Promise<OpenWallet> {
  const sealed = JSON.parse(fileText) as SealedWallet;
  if (!('ciphertext' in sealed)) throw new Error('import an encrypted wallet (made with --passphrase-file)');
  const w = openSealed(address, sealed, passphrase);
  await w.save();
  return w;
}
