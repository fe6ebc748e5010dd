// Follows the chain from connection on: when each block was first seen as
// best and as final, in this browser.
import { chain } from './chain';

export interface Seen {
  number: number;
  hash: string;
  bestAt: number;
  finalAt?: number;
}

export const heights = { best: 0, final: 0 };
export const seen = new Map<number, Seen>();
const listeners = new Set<() => void>();
let unsubs: (() => void)[] = [];

export function onChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

export async function startTracker(): Promise<void> {
  unsubs.forEach((u) => u());
  unsubs = [];
  seen.clear();
  const { api } = chain();
  unsubs.push(
    await api.rpc.chain.subscribeNewHeads((h) => {
      const n = h.number.toNumber();
      heights.best = n;
      if (!seen.has(n)) seen.set(n, { number: n, hash: h.hash.toHex(), bestAt: Date.now() });
      listeners.forEach((f) => f());
    }),
  );
  unsubs.push(
    await api.rpc.chain.subscribeFinalizedHeads((h) => {
      const n = h.number.toNumber();
      const now = Date.now();
      for (let i = heights.final + 1; i <= n; i++) {
        const s = seen.get(i);
        if (s && s.finalAt === undefined) s.finalAt = now;
      }
      heights.final = n;
      // Keep the last 500 blocks.
      for (const k of seen.keys()) if (k < n - 500) seen.delete(k);
      listeners.forEach((f) => f());
    }),
  );
}
