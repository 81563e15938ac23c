import { BadRequestException, ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { TransformationType } from 'class-transformer';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import { compileRulesCheck, type RulesCheck } from './dto-rules';
// class-transformer's registry of @Type/@Transform/@Expose/@Exclude (what plainToInstance obeys);
// its module ships no declaration beside it, the types live in types/.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

function flatten(errors: ValidationError[], prefix = ''): Array<{ field: string; errors: string[] }> {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, errors: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

const MAX_DEPTH = 32;

/** Depth of nested arrays/objects, counted without recursion (a hostile body can nest thousands deep). */
export function nestingDepth(value: unknown, limit = MAX_DEPTH): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return max;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

type Dto = new () => Record<string, unknown>;

/** A DTO class whose instances class-transformer builds by plain copying (no class-level @Expose/@Exclude). */
const copiesPlainly = new WeakMap<Dto, boolean>();

function plainCopyClass(metatype: Dto): boolean {
  let plain = copiesPlainly.get(metatype);
  if (plain === undefined) {
    plain =
      defaultMetadataStorage.getStrategy(metatype) === 'none' &&
      defaultMetadataStorage.getExposedMetadatas(metatype).length === 0 &&
      defaultMetadataStorage.getExcludedMetadatas(metatype).length === 0;
    copiesPlainly.set(metatype, plain);
  }
  return plain;
}

const SCALAR = new Set(['string', 'number', 'boolean']);

/**
 * The DTO instance plainToInstance would build, without it, when that is a plain copy: a flat
 * object of scalars whose keys have no @Type/@Transform in the DTO and name nothing on its
 * prototype (class-transformer skips those; `__proto__` and `constructor` go the full way too).
 * Anything else (nesting, a transformed field such as an SSRC given as a number, arrays) answers
 * null and takes the full class-transformer path. The rules stay the DTO's decorators.
 */
function plainInstance(value: unknown, metatype: Dto): Record<string, unknown> | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return null;
  if (!plainCopyClass(metatype)) return null;
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  for (const key of keys) {
    const v = source[key];
    if (v !== null && !SCALAR.has(typeof v)) return null;
    if (key in metatype.prototype || key === '__proto__') return null;
    if (defaultMetadataStorage.findTypeMetadata(metatype, key)) return null;
    if (defaultMetadataStorage.findTransformMetadatas(metatype, key, TransformationType.PLAIN_TO_CLASS).length > 0) return null;
  }
  const entity = new metatype();
  for (const key of keys) entity[key] = source[key];
  return entity;
}

/**
 * class-transformer recurses through the body; a body nested thousands deep overflows the
 * stack (a 500). No DTO here nests more than a few levels, so deeper bodies are a 400.
 *
 * Most requests (a lease allocation, a ZLM call's query) are flat objects of scalars that
 * plainToInstance would merely copy: those skip it (measured: ~1 % of a lease cycle's CPU).
 * A valid one passes the DTO's rules compiled once (dto-rules.ts: the same validator functions,
 * without class-validator's per-call rule lookup and error objects: ~3 % of a cycle's CPU);
 * any other goes to class-validator with the same options and the same error shape.
 */
class DepthLimitedValidationPipe extends ValidationPipe {
  private readonly rulesChecks = new Map<Dto, RulesCheck | null>();

  private rulesCheck(metatype: Dto): RulesCheck | null {
    let check = this.rulesChecks.get(metatype);
    if (check === undefined) {
      check = compileRulesCheck(metatype, this.validatorOptions);
      this.rulesChecks.set(metatype, check);
    }
    return check;
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype as Dto | undefined;
    const entity = metatype && this.toValidate(metadata) ? plainInstance(value, metatype) : null;
    if (entity) {
      if (this.rulesCheck(metatype as Dto)?.(entity)) return entity;
      const errors = await this.validate(entity, {
        ...this.validatorOptions,
        validationError: { target: false, ...this.validatorOptions.validationError },
      });
      if (errors.length > 0) {
        if (this.validatorOptions.validationError?.value === undefined) this.stripParentErrorValues(errors);
        throw await this.exceptionFactory(errors);
      }
      return entity;
    }
    if (nestingDepth(value) > MAX_DEPTH) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'validation_failed',
        message: `${metadata.type} nests deeper than ${MAX_DEPTH} levels`,
        fields: [],
      });
    }
    return super.transform(value, metadata);
  }
}

/**
 * One global pipe: unknown fields are rejected, types are converted only where a DTO says so
 * (never implicitly: "false" must not become true), and every 400 names each bad field.
 */
export function createValidationPipe(): ValidationPipe {
  return new DepthLimitedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new BadRequestException({
        statusCode: 400,
        error: 'validation_failed',
        message: fields.map((f) => f.errors.join('; ')).join('; '),
        fields,
      });
    },
  });
}
