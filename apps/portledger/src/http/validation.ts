import { BadRequestException, ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';

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

/**
 * class-transformer recurses through the body; a body nested thousands deep overflows the
 * stack (a 500). No DTO here nests more than a few levels, so deeper bodies are a 400.
 */
class DepthLimitedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
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
