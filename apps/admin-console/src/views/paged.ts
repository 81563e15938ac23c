import { html } from '../html';
import type { Page } from '../types';

/**
 * Cursor paging for a list: the cursors of the pages before this one are kept, so "previous"
 * goes back exactly and "next" follows the API's nextCursor.
 */
export class Pager<T> {
  private cursors: (string | undefined)[] = [undefined];
  page: Page<T> = { items: [], nextCursor: null };

  constructor(private readonly load: (cursor: string | undefined) => Promise<Page<T>>) {}

  get index(): number {
    return this.cursors.length - 1;
  }

  async first(): Promise<void> {
    this.cursors = [undefined];
    this.page = await this.load(undefined);
  }

  async reload(): Promise<void> {
    this.page = await this.load(this.cursors[this.index]);
  }

  async next(): Promise<void> {
    if (!this.page.nextCursor) return;
    const page = await this.load(this.page.nextCursor);
    this.cursors.push(this.page.nextCursor);
    this.page = page;
  }

  async previous(): Promise<void> {
    if (this.index === 0) return;
    this.cursors.pop();
    this.page = await this.load(this.cursors[this.index]);
  }

  controls(): ReturnType<typeof html> {
    return html`<div class="pager">
      <button type="button" data-page="prev" ${this.index === 0 ? 'disabled' : ''}>← previous</button>
      <span>page ${this.index + 1}</span>
      <button type="button" data-page="next" ${this.page.nextCursor ? '' : 'disabled'}>next →</button>
    </div>`;
  }

  /** Wires the buttons of controls() inside `root`; `then` redraws. */
  wire(root: HTMLElement, then: () => void, fail: (e: unknown) => void): void {
    root.querySelectorAll<HTMLButtonElement>('[data-page]').forEach((b) =>
      b.addEventListener('click', () => {
        (b.dataset.page === 'next' ? this.next() : this.previous()).then(then, fail);
      }),
    );
  }
}
