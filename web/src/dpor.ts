// DPoR's header digest and C-certificate, decoded from SCALE
// (cpchain_primitives::digest::DporPreDigest, finality::DporJustification).
import { compactFromU8a, hexToU8a, u8aToHex, u8aToU8a } from '@polkadot/util';
import { decodeAddress, encodeAddress } from '@polkadot/util-crypto';
import type { DigestItem } from '@polkadot/types/interfaces';
import { chain, rpc } from './chain';

export interface PreDigest {
  term: number;
  view: number;
  proposer: string;
  impeach: boolean;
}

export interface Certificate {
  round: number;
  /// The signers' consensus keys, hex.
  keys: string[];
}

const le32 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] * 2 ** 24);

export function decodePreDigest(data: Uint8Array): PreDigest {
  const ss58 = chain().api.registry.chainSS58 ?? 42;
  return {
    term: le32(data, 0),
    view: le32(data, 4),
    proposer: encodeAddress(data.slice(8, 40), ss58),
    impeach: data[40] === 1,
  };
}

export function decodeCertificate(data: Uint8Array): Certificate {
  const round = le32(data, 0);
  const [offset, count] = compactFromU8a(data.subarray(4));
  const keys: string[] = [];
  let o = 4 + offset;
  for (let i = 0; i < count.toNumber(); i++) {
    keys.push(u8aToHex(data.slice(o, o + 32)));
    o += 32 + 64;
  }
  return { round, keys };
}

export interface BlockInfo {
  number: number;
  hash: string;
  parent: string;
  digest: PreDigest | null;
  certificate: Certificate | null;
  /// Consensus key (hex) → account, as the parent's committee names them.
  signers: string[];
  timestamp: number | null;
  extrinsics: number;
}

const committeeCache = new Map<string, Map<string, string>>();

/// The validators' keys → accounts in the state of `at`.
export async function validatorAccounts(at?: string): Promise<Map<string, string>> {
  const cacheKey = at ?? 'best';
  if (at && committeeCache.has(cacheKey)) return committeeCache.get(cacheKey)!;
  const committee = await rpc<any>('dpor_getCommittee', at ?? null);
  const m = new Map<string, string>();
  for (const v of committee.validators) m.set(u8aToHex(decodeAddress(v.key)), v.account);
  if (at) committeeCache.set(cacheKey, m);
  return m;
}

export async function loadBlock(hash: string): Promise<BlockInfo> {
  const { api } = chain();
  const raw = await rpc<any>('chain_getBlock', hash);
  const header = raw.block.header;
  const number = parseInt(header.number, 16);
  let digest: PreDigest | null = null;
  for (const log of header.digest.logs as string[]) {
    const item = api.registry.createType('DigestItem', log) as unknown as DigestItem;
    if (item.isPreRuntime && item.asPreRuntime[0].toString() === 'dpor') {
      digest = decodePreDigest(item.asPreRuntime[1].toU8a(true));
    }
  }
  let certificate: Certificate | null = null;
  for (const [engine, data] of (raw.justifications ?? []) as [number[] | string, number[] | string][]) {
    const id = typeof engine === 'string' ? hexToU8a(engine) : Uint8Array.from(engine);
    if (new TextDecoder().decode(id) === 'dpor') {
      certificate = decodeCertificate(typeof data === 'string' ? hexToU8a(data) : u8aToU8a(Uint8Array.from(data)));
    }
  }
  let signers: string[] = [];
  if (certificate && number > 0) {
    const keys = await validatorAccounts(header.parentHash);
    signers = certificate.keys.map((k) => keys.get(k) ?? `key ${k.slice(0, 10)}…`);
  }
  let timestamp: number | null = null;
  try {
    const ts = await (await api.at(hash)).query.timestamp.now();
    timestamp = Number(ts.toString());
  } catch {
    timestamp = null;
  }
  return {
    number,
    hash,
    parent: header.parentHash,
    digest,
    certificate,
    signers,
    timestamp,
    extrinsics: raw.block.extrinsics.length,
  };
}
