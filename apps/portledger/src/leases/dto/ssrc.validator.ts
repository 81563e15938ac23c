import { Transform } from 'class-transformer';
import { registerDecorator, type ValidationOptions } from 'class-validator';

/** SSRC arrives as a decimal string or a number; it is stored and returned as a decimal string. */
export const SsrcToString = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'number' && Number.isInteger(value) ? String(value) : value));

export function IsSsrc(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isSsrc',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be a decimal string or number in 0..4294967295`, ...options },
      validator: {
        validate: (v: unknown) => typeof v === 'string' && /^\d{1,10}$/.test(v) && Number(v) <= 0xffffffff,
      },
    });
}
