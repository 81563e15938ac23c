import { FORWARD_TARGET_RULE, parseForwardTarget } from '@app/leasing';
import { registerDecorator, type ValidationOptions } from 'class-validator';

/** `forward`: tcp://HOST:PORT or udp://HOST:PORT (null, handled by IsOptional, opts out of FORWARD_TO). */
export function IsForwardTarget(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isForwardTarget',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be ${FORWARD_TARGET_RULE}, or null`, ...options },
      validator: { validate: (v: unknown) => typeof v === 'string' && parseForwardTarget(v) !== null },
    });
}
