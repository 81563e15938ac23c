import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { AllocateLeaseDto } from '../leases/dto/allocate-lease.dto';
import { LeaseHistoryQueryDto } from '../leases/dto/lease-history-query.dto';
import { createValidationPipe } from './validation';

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

/** Nest's own pipe with the same options: the reference the fast path must agree with. */
function referencePipe(): ValidationPipe {
  const fast = createValidationPipe() as unknown as { validatorOptions: object; exceptionFactory: unknown };
  return Object.assign(new ValidationPipe({ transform: true, transformOptions: { enableImplicitConversion: false } }), {
    validatorOptions: fast.validatorOptions,
    exceptionFactory: fast.exceptionFactory,
  });
}

async function outcome(pipe: ValidationPipe, value: unknown, meta: ArgumentMetadata) {
  try {
    const v = await pipe.transform(JSON.parse(JSON.stringify(value)), meta);
    return { ok: true, instance: (v as object).constructor.name, value: { ...(v as object) } };
  } catch (err) {
    return { ok: false, body: (err as BadRequestException).getResponse() };
  }
}

describe('the validation pipe', () => {
  const cases: Array<[string, unknown]> = [
    ['a plain allocation', { streamId: 'cam-1' }],
    ['every scalar field', { streamId: 'cam-1', peerAddress: '192.0.2.1', ttlSeconds: 60, client: 'x', record: true }],
    ['an unknown field', { streamId: 'cam-1', colour: 'red' }],
    ['several bad fields at once', { streamId: 'bad id!', ttlSeconds: 0, record: 'yes' }],
    ['a key on the prototype', { streamId: 'cam-1', toString: 'x' }],
    ['a transformed field (SSRC as a number)', { streamId: 'cam-1', ssrc: 200000001 }],
    ['a nested object', { streamId: 'cam-1', client: { a: 1 } }],
    ['null fields', { streamId: null, client: null }],
    ['an array', [{ streamId: 'cam-1' }]],
  ];
  it.each(cases)('answers %s exactly as class-transformer + class-validator would', async (_, value) => {
    const meta = body(AllocateLeaseDto);
    expect(await outcome(createValidationPipe(), value, meta)).toEqual(await outcome(referencePipe(), value, meta));
  });

  it('names each bad field of a flat body', async () => {
    const r = await outcome(createValidationPipe(), { streamId: 'bad id!', ttlSeconds: 0, extra: 1 }, body(AllocateLeaseDto));
    expect(r.ok).toBe(false);
    expect((r.body as { fields: Array<{ field: string }> }).fields.map((f) => f.field).sort()).toEqual(['extra', 'streamId', 'ttlSeconds']);
  });

  it('still converts query text where the DTO says so', async () => {
    const meta: ArgumentMetadata = { type: 'query', metatype: LeaseHistoryQueryDto };
    const value = Object.assign(Object.create(null), { limit: '5' });
    const ref = await referencePipe().transform(Object.assign(Object.create(null), { limit: '5' }), meta);
    expect(await createValidationPipe().transform(value, meta)).toEqual(ref);
  });
});
