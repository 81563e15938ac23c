import { STREAM_ID_RULE } from '@app/leasing';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { AllocateLeaseDto } from './allocate-lease.dto';
import { LeaseHistoryQueryDto } from './lease-history-query.dto';
import { ReleaseByStreamQueryDto } from './release-by-stream-query.dto';

/** The streamId message of a DTO that refuses `streamId`. */
async function streamIdMessage(dto: new () => object, streamId: string): Promise<string | undefined> {
  const errors = await validate(plainToInstance(dto, { streamId }));
  return Object.values(errors.find((e) => e.property === 'streamId')?.constraints ?? {})[0];
}

describe("the REST DTOs' streamId rule", () => {
  it.each([
    ['AllocateLeaseDto', AllocateLeaseDto],
    ['ReleaseByStreamQueryDto', ReleaseByStreamQueryDto],
    ['LeaseHistoryQueryDto', LeaseHistoryQueryDto],
  ])('%s states the one rule of libs/leasing', async (_, dto) => {
    for (const bad of ['..', 'bad id!', 'x'.repeat(129)])
      expect(await streamIdMessage(dto, bad)).toBe(`streamId must be ${STREAM_ID_RULE}`);
  });
});
