import { api } from '../api';
import { html, plain, time } from '../html';
import type { Page, ViewContext } from '../types';
import { Pager } from './paged';

interface Finding {
  kind: string;
  port: number | null;
  leaseId: string | null;
  action: string;
  detail: Record<string, unknown> | null;
}
interface Report {
  id: string;
  nodeId: string;
  startedAt: string;
  durationMs: number;
  checkedPorts: number;
  deferred: boolean;
  osReadError: string | null;
  findings: Finding[];
}
interface Summary {
  from: string;
  to: string;
  passes: number;
  longestPassMs: number;
  findings: Record<string, Record<string, number>>;
}

const DAY_MS = 24 * 3600 * 1000;

function localInput(ms: number): string {
  const d = new Date(ms - new Date().getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

/** The summary over a chosen period, and the reports with their findings (newest first, paged). */
export class ReconcileView {
  private readonly pager = new Pager<Report>((cursor) =>
    api<Page<Report>>('GET', '/reconcile/reports', {
      ...this.period(),
      withFindings: this.onlyFindings() || undefined,
      nodeId: this.ctx.node,
      limit: 20,
      cursor,
    }),
  );

  constructor(
    private readonly ctx: ViewContext,
    private readonly fail: (e: unknown) => void,
  ) {
    const now = Date.now();
    ctx.root.innerHTML = html`<form id="reconcile-form" class="filters">
        <label>from <input name="from" type="datetime-local" step="1" value="${localInput(now - DAY_MS)}" /></label>
        <label>to <input name="to" type="datetime-local" step="1" value="${localInput(now + 60_000)}" /></label>
        <label><input name="withFindings" type="checkbox" checked /> only passes with findings</label>
        <button type="submit">Show</button>
        <button type="button" id="run-pass">Run a pass now</button>
      </form>
      <div id="summary"></div>
      <div id="reports"></div>`.html;
    ctx.root.querySelector('#reconcile-form')!.addEventListener('submit', (e) => {
      e.preventDefault();
      this.refresh().catch(fail);
    });
    ctx.root.querySelector('#run-pass')!.addEventListener('click', () => {
      api('POST', '/reconcile')
        .then(() => this.refresh())
        .catch(fail);
    });
  }

  private form(): FormData {
    return new FormData(this.ctx.root.querySelector<HTMLFormElement>('#reconcile-form')!);
  }

  private period(): { from?: string; to?: string } {
    const f = this.form();
    const iso = (k: string) => {
      const v = f.get(k);
      return typeof v === 'string' && v !== '' ? new Date(v).toISOString() : undefined;
    };
    return { from: iso('from'), to: iso('to') };
  }

  private onlyFindings(): boolean {
    return this.form().get('withFindings') !== null;
  }

  async refresh(): Promise<void> {
    const [summary] = await Promise.all([api<Summary>('GET', '/reconcile/summary', this.period()), this.pager.first()]);
    const kinds = Object.entries(summary.findings);
    this.ctx.root.querySelector('#summary')!.innerHTML = html`<h2>Summary ${time(summary.from)} – ${time(summary.to)}</h2>
      <p><b data-summary="passes">${summary.passes}</b> passes, longest ${summary.longestPassMs} ms</p>
      ${
        kinds.length === 0
          ? html`<p class="muted">no findings in this period</p>`
          : html`<table class="rows">
              <thead>
                <tr>
                  <th>finding</th>
                  <th>actions</th>
                </tr>
              </thead>
              <tbody>
                ${kinds.map(
                  ([k, actions]) =>
                    html`<tr data-summary-kind="${k}">
                      <td>${k}</td>
                      <td>${plain(actions)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`.html;
    this.drawReports();
  }

  private drawReports(): void {
    const root = this.ctx.root.querySelector<HTMLElement>('#reports')!;
    root.innerHTML = html`<h2>Reports</h2>
      ${this.pager.page.items.map(
        (r) =>
          html`<details data-report="${r.id}">
            <summary>
              ${time(r.startedAt)} · ${r.nodeId} · ${r.findings.length} finding(s) · ${r.durationMs} ms · ${r.checkedPorts}
              ports${r.deferred ? html` · <span class="warn">deferred: ${r.osReadError ?? ''}</span>` : ''}
            </summary>
            <table class="rows">
              <thead>
                <tr>
                  <th>kind</th>
                  <th>port</th>
                  <th>lease</th>
                  <th>action</th>
                  <th>detail</th>
                </tr>
              </thead>
              <tbody>
                ${r.findings.map(
                  (f) =>
                    html`<tr>
                      <td>${f.kind}</td>
                      <td>${f.port ?? ''}</td>
                      <td>${f.leaseId ? html`<a href="#/lease/${f.leaseId}">${f.leaseId.slice(0, 8)}</a>` : ''}</td>
                      <td>${f.action}</td>
                      <td>${plain(f.detail)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </details>`,
      )}${this.pager.page.items.length === 0 ? html`<p class="muted">no report in this period</p>` : ''}${this.pager.controls()}`.html;
    this.pager.wire(root, () => this.drawReports(), this.fail);
  }
}
