import { api } from '../api';
import { html, time } from '../html';
import type { Page, ViewContext } from '../types';
import { Pager } from './paged';

interface Delivery {
  id: string;
  type: string;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
}

/** This node's webhook delivery queue (the outbox), by status. */
export class WebhooksView {
  private readonly pager = new Pager<Delivery>((cursor) =>
    api<Page<Delivery>>('GET', '/webhooks/deliveries', { status: this.status() || undefined, limit: 50, cursor }),
  );

  constructor(
    private readonly ctx: ViewContext,
    private readonly fail: (e: unknown) => void,
  ) {
    ctx.root.innerHTML = html`<form id="webhooks-form" class="filters">
        <label
          >status
          <select name="status">
            <option value="">any</option>
            <option>pending</option>
            <option>failed</option>
            <option>delivered</option>
          </select></label
        >
        <span class="muted">the queue of the node that serves this page</span>
      </form>
      <div id="deliveries"></div>`.html;
    ctx.root.querySelector('select')!.addEventListener('change', () => void this.pager.first().then(() => this.draw(), fail));
  }

  private status(): string {
    return this.ctx.root.querySelector<HTMLSelectElement>('#webhooks-form select')!.value;
  }

  /** Re-reads the page on screen (the queue changes by itself: attempts, errors, deliveries). */
  async refresh(): Promise<void> {
    await this.pager.reload();
    this.draw();
  }

  private draw(): void {
    const root = this.ctx.root.querySelector<HTMLElement>('#deliveries')!;
    const items = this.pager.page.items;
    root.innerHTML = html`<table class="rows">
        <thead>
          <tr>
            <th>event</th>
            <th>type</th>
            <th>status</th>
            <th>attempts</th>
            <th>last error</th>
            <th>next attempt</th>
          </tr>
        </thead>
        <tbody>
          ${items.map(
            (d) =>
              html`<tr data-delivery="${d.id}">
                <td>${d.id.slice(0, 8)}</td>
                <td>${d.type}</td>
                <td>${d.status}</td>
                <td>${d.attempts}</td>
                <td>${d.lastError ?? ''}</td>
                <td>${time(d.nextAttemptAt)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${items.length === 0 ? html`<p class="muted">no delivery (webhooks need WEBHOOK_URL)</p>` : ''}${this.pager.controls()}`.html;
    this.pager.wire(root, () => this.draw(), this.fail);
  }
}
