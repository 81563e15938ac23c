import { describe, expect, it } from 'vitest';
import { listeningPairView, SocketsViewMemo, type LeaseSocketsView } from './media-sockets';

describe('SocketsViewMemo', () => {
  const counting = () => {
    const built: LeaseSocketsView[] = [];
    const memo = new SocketsViewMemo(() => {
      built.push(listeningPairView(24000, 24001));
      return built[built.length - 1];
    });
    return { memo, built };
  };

  it('hands the same view back while the flags and the sockets held are the same', () => {
    const { memo, built } = counting();
    const conn = {};
    const first = memo.view(3, conn, null);
    expect(memo.view(3, conn, null)).toBe(first);
    expect(built).toHaveLength(1);
  });

  it('builds a new view when a flag changes or another socket is held', () => {
    const { memo, built } = counting();
    const first = memo.view(3, null, null);
    const second = memo.view(1, null, null);
    const third = memo.view(1, {}, null);
    const fourth = memo.view(1, third, {});
    expect(new Set([first, second, third, fourth]).size).toBe(4);
    expect(built).toHaveLength(4);
  });
});
