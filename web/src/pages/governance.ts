export function mount(root: HTMLElement): () => void {
  root.textContent = 'coming';
  return () => {};
}
