// The connection to a node, its custom RPC methods, and transactions with
// their progress and decoded refusals.
import { ApiPromise, WsProvider } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { DispatchError, EventRecord } from '@polkadot/types/interfaces';
import type { Account } from './accounts';

export const DEFAULT_RPC = 'ws://127.0.0.1:9944';

/// `?rpc=ws://…` in the page address wins, then the saved setting, then the default.
export function rpcUrl(): string {
  const fromQuery = new URLSearchParams(location.search).get('rpc');
  if (fromQuery) return fromQuery;
  return localStorage.getItem('cpchain.rpc') || DEFAULT_RPC;
}

export function saveRpcUrl(url: string): void {
  localStorage.setItem('cpchain.rpc', url);
  const params = new URLSearchParams(location.search);
  params.set('rpc', url);
  history.replaceState(null, '', `${location.pathname}?${params}${location.hash}`);
}

export interface Chain {
  api: ApiPromise;
  provider: WsProvider;
  url: string;
  decimals: number;
  symbol: string;
  isDev: boolean;
}

let current: Chain | null = null;

export function chain(): Chain {
  if (!current) throw new Error('not connected');
  return current;
}

export async function connect(url: string): Promise<Chain> {
  if (current) {
    await current.api.disconnect().catch(() => {});
    current = null;
  }
  const provider = new WsProvider(url, 2000);
  const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: false });
  await api.isReady;
  const props = api.registry.getChainProperties();
  const decimals = props?.tokenDecimals.unwrapOr(undefined)?.[0]?.toNumber() ?? 18;
  const symbol = props?.tokenSymbol.unwrapOr(undefined)?.[0]?.toString() ?? 'CPC';
  const chainType = await api.rpc.system.chainType();
  const isDev = chainType.isDevelopment || chainType.isLocal;
  current = { api, provider, url, decimals, symbol, isDev };
  return current;
}

/// One of the node's own JSON-RPC methods (dpor_*, rpt_*, campaign_*, market_*).
export async function rpc<T = any>(method: string, ...params: unknown[]): Promise<T> {
  return (await chain().provider.send(method, params)) as T;
}

export function fmtBalance(value: bigint | string | number | { toString(): string }, digits = 4): string {
  const { decimals, symbol } = chain();
  const v = BigInt(value.toString());
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const unit = 10n ** BigInt(decimals);
  const whole = abs / unit;
  let frac = (abs % unit).toString().padStart(decimals, '0').slice(0, digits).replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole.toLocaleString('en')}${frac ? '.' + frac : ''} ${symbol}`;
}

/// Parses "1.5" (CPC) into planck.
export function parseBalance(text: string): bigint {
  const { decimals } = chain();
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) throw new Error(`not an amount: ${text}`);
  const [w, f = ''] = t.split('.');
  if (f.length > decimals) throw new Error('too many decimals');
  return BigInt(w) * 10n ** BigInt(decimals) + BigInt(f.padEnd(decimals, '0') || '0');
}

export function short(addr: string | { toString(): string } | null | undefined): string {
  if (!addr) return '—';
  const s = addr.toString();
  return s.length > 16 ? `${s.slice(0, 6)}…${s.slice(-6)}` : s;
}

export function decodeError(err: DispatchError): string {
  const { api } = chain();
  if (err.isModule) {
    const meta = api.registry.findMetaError(err.asModule);
    return `${meta.section}.${meta.name}: ${meta.docs.join(' ').trim()}`;
  }
  if (err.isToken) return `Token.${err.asToken.type}`;
  if (err.isArithmetic) return `Arithmetic.${err.asArithmetic.type}`;
  return err.type;
}

export interface TxResult {
  blockHash: string;
  events: EventRecord[];
  /// The fee from the TransactionFeePaid event, in planck.
  fee: bigint;
}

export type TxStage = 'signing' | 'ready' | 'inBlock' | 'final' | 'error';

/// A panel line that shows a transaction's progress.
export function txLine(container: HTMLElement, label: string): (stage: TxStage, text?: string) => void {
  const line = document.createElement('div');
  line.className = 'tx';
  line.innerHTML = `<span class="tx-label"></span> <span class="tx-stage"></span> <span class="tx-text"></span>`;
  line.querySelector('.tx-label')!.textContent = label;
  container.prepend(line);
  return (stage, text) => {
    line.dataset.stage = stage;
    line.querySelector('.tx-stage')!.textContent =
      { signing: 'signing…', ready: 'ready', inBlock: 'in block', final: 'final ✓', error: 'refused ✗' }[stage];
    line.querySelector('.tx-text')!.textContent = text ?? '';
  };
}

/// Signs and sends; resolves when the block with it is final, rejects with
/// the decoded module error when a refusal is final.
export async function sendTx(
  tx: SubmittableExtrinsic<'promise'>,
  account: Account,
  progress: (stage: TxStage, text?: string) => void = () => {},
): Promise<TxResult> {
  const { api } = chain();
  progress('signing');
  return new Promise<TxResult>((resolve, reject) => {
    let inBlock: TxResult | null = null;
    const fail = (msg: string) => {
      progress('error', msg);
      reject(new Error(msg));
    };
    const signer = account.pair ?? account.address;
    const options = account.signer ? { signer: account.signer, nonce: -1 } : { nonce: -1 };
    tx.signAndSend(signer as any, options, (result) => {
      const { status, events, dispatchError } = result;
      if (status.isReady || status.isBroadcast) progress('ready', '');
      if (status.isInBlock || status.isFinalized) {
        if (dispatchError) {
          // A refusal is final with its block.
          if (status.isFinalized) fail(decodeError(dispatchError));
          else progress('inBlock', `refused in block: ${decodeError(dispatchError)}`);
          return;
        }
        let fee = 0n;
        for (const { event } of events) {
          if (api.events.transactionPayment?.TransactionFeePaid?.is(event)) {
            fee += BigInt(event.data[1].toString());
          }
        }
        const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
        inBlock = { blockHash, events, fee };
        if (status.isInBlock) progress('inBlock', `#${blockHash.slice(0, 10)}… fee ${fmtBalance(fee, 6)}`);
      }
      if (status.isFinalized && inBlock) {
        progress('final', `fee ${fmtBalance(inBlock.fee, 6)}`);
        resolve(inBlock);
      }
      if (status.isInvalid || status.isDropped || status.isUsurped) fail(status.type);
    }).catch((e: Error) => fail(e.message));
  });
}

export function toast(text: string, kind: 'info' | 'error' = 'info'): void {
  const box = document.getElementById('toasts')!;
  const t = document.createElement('div');
  t.className = `toast ${kind}`;
  t.textContent = text;
  box.append(t);
  setTimeout(() => t.remove(), 6000);
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}
