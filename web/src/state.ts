import type { Account } from './accounts';

let accounts: Account[] = [];
let selected: Account | null = null;
const listeners = new Set<() => void>();

export function setAccounts(list: Account[]): void {
  accounts = list;
}
export function allAccounts(): Account[] {
  return accounts;
}
export function account(): Account | null {
  return selected;
}
export function requireAccount(): Account {
  if (!selected) throw new Error('choose an account first');
  return selected;
}
export function selectAccount(a: Account | null): void {
  selected = a;
  if (a) localStorage.setItem('cpchain.account', a.address);
  listeners.forEach((f) => f());
}
export function onAccountChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
/// The name of a known account, or its shortened address.
export function nameOf(address: string | { toString(): string }): string {
  const a = address.toString();
  const known = accounts.find((x) => x.address === a);
  return known ? known.name : `${a.slice(0, 6)}…${a.slice(-6)}`;
}
