import { describe, expect, it } from 'vitest';
import { ConnectionReports, MAX_REPORTED_CONNECTIONS, MAX_REPORTED_SILENT_CONNECTIONS } from './connection-reports';

/** One connection's life: reported at accept, or at its first accepted packet, or not at all. */
function connection(reports: ConnectionReports, streams: boolean): 'at-accept' | 'at-first-packet' | 'never' {
  let reported = reports.reportAtAccept();
  const when = reported ? 'at-accept' : streams && (reported = reports.reportAtFirstPacket()) ? 'at-first-packet' : 'never';
  reports.ended(reported, streams);
  return when;
}

describe('ConnectionReports', () => {
  it('reports the first 16 connections without media, then only those that stream, at their first packet', () => {
    const r = new ConnectionReports();
    const silent = Array.from({ length: 100 }, () => connection(r, false));
    expect(silent.filter((w) => w === 'at-accept')).toHaveLength(MAX_REPORTED_SILENT_CONNECTIONS);
    expect(silent.slice(MAX_REPORTED_SILENT_CONNECTIONS).every((w) => w === 'never')).toBe(true);
    expect(connection(r, true)).toBe('at-first-packet');
    expect(r).toMatchObject({ noMedia: 100, unreported: 100 - MAX_REPORTED_SILENT_CONNECTIONS });
  });

  it('does not spend a silent slot on a connection reported at accept that streams', () => {
    const r = new ConnectionReports();
    for (let i = 0; i < 50; i++) expect(connection(r, true)).toBe('at-accept');
    for (let i = 0; i < MAX_REPORTED_SILENT_CONNECTIONS; i++) expect(connection(r, false)).toBe('at-accept');
    expect(connection(r, false)).toBe('never');
  });

  it('reports 256 connections in all, however they behave, and counts the rest', () => {
    const r = new ConnectionReports();
    const whens = Array.from({ length: 1000 }, (_, i) => connection(r, i % 3 !== 0));
    expect(whens.filter((w) => w !== 'never')).toHaveLength(MAX_REPORTED_CONNECTIONS);
    expect(r.unreported).toBe(1000 - MAX_REPORTED_CONNECTIONS);
  });
});
