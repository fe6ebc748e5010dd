// Accounts: the polkadot.js extension's when present, and the well-known
// dev accounts on a development chain.
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { Signer } from '@polkadot/api/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';

export interface Account {
  address: string;
  name: string;
  source: 'dev' | 'extension';
  pair?: KeyringPair;
  signer?: Signer;
}

export const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

export async function loadAccounts(ss58: number, isDev: boolean): Promise<Account[]> {
  await cryptoWaitReady();
  const out: Account[] = [];
  try {
    const dapp = await import('@polkadot/extension-dapp');
    const exts = await dapp.web3Enable('CPChain web app');
    if (exts.length) {
      for (const a of await dapp.web3Accounts()) {
        const injector = await dapp.web3FromSource(a.meta.source);
        out.push({
          address: new Keyring({ type: 'sr25519', ss58Format: ss58 }).encodeAddress(a.address),
          name: `${a.meta.name ?? 'account'} (${a.meta.source})`,
          source: 'extension',
          signer: injector.signer,
        });
      }
    }
  } catch (e) {
    console.warn('no extension', e);
  }
  if (isDev) {
    const keyring = new Keyring({ type: 'sr25519', ss58Format: ss58 });
    for (const name of DEV_NAMES) {
      const pair = keyring.addFromUri(`//${name}`, { name });
      out.push({ address: pair.address, name, source: 'dev', pair });
    }
  }
  return out;
}
