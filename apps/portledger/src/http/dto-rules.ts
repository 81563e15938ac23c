import { getMetadataStorage, ValidationTypes, type ValidationArguments, type ValidatorOptions } from 'class-validator';
import type { ConstraintMetadata } from 'class-validator/types/metadata/ConstraintMetadata';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/** Whether a DTO instance passes every rule of its class; false also when it may not (then ask class-validator). */
export type RulesCheck = (instance: Record<string, unknown>) => boolean;

interface PropertyRules {
  name: string;
  /** @IsOptional and @ValidateIf: the property is validated only if all of them say so */
  conditions: ValidationMetadata[];
  checks: Array<{ metadata: ValidationMetadata; constraint: ConstraintMetadata }>;
}

/** A validator's verdict; a promise would make the check asynchronous after all: then class-validator decides. */
function passed(verdict: unknown): boolean {
  return verdict === true || (!!verdict && typeof (verdict as Promise<unknown>).then !== 'function');
}

/**
 * class-validator's verdict for a DTO, with its work done once per class instead of per call:
 * its executor looks the class's rules up anew on every call (a walk over every class that
 * has rules, for inheritance) and builds an error object per property even when all pass. Here
 * the rules are looked up once, exactly as the executor would (same call, same options), and
 * a request runs the same validator functions with the same arguments. Only a plain DTO is
 * compiled: property rules (`@IsString`, `@Matches`, `@Min`, `registerDecorator`, ..., also
 * with `each`) and conditions (`@IsOptional`, `@ValidateIf`), no nesting, async validators,
 * `@IsDefined` or `@Allow`; with any other rule, or options it does not mirror, the answer is null and
 * class-validator validates alone. A `true` is class-validator's "no errors"; on `false` the
 * caller asks class-validator, which names each bad field.
 */
export function compileRulesCheck(metatype: new () => object, options: ValidatorOptions): RulesCheck | null {
  const mirrored =
    options.whitelist === true &&
    options.forbidNonWhitelisted === true &&
    !options.groups?.length &&
    !options.always &&
    !options.strictGroups &&
    !options.skipMissingProperties &&
    !options.skipNullProperties &&
    !options.skipUndefinedProperties;
  if (!mirrored) return null;
  const storage = getMetadataStorage();
  // the executor's own lookup: no schema, `always` and `strictGroups` off, no groups
  const metadatas = storage.getTargetValidationMetadatas(metatype, undefined as unknown as string, false, false, undefined);
  if (metadatas.length === 0) return null; // forbidUnknownValues territory: leave it to class-validator
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyRules[] = [];
  for (const [name, rules] of Object.entries(grouped)) {
    const property: PropertyRules = { name, conditions: [], checks: [] };
    for (const metadata of rules) {
      if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        property.conditions.push(metadata);
      } else if (metadata.type === ValidationTypes.CUSTOM_VALIDATION) {
        for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
          if (constraint.async) return null;
          property.checks.push({ metadata, constraint });
        }
      } else {
        return null;
      }
    }
    properties.push(property);
  }
  const targetName = metatype.name;
  return (instance) => {
    // whitelist + forbidNonWhitelisted: a property without rules is an error
    for (const key of Object.keys(instance)) if (!Object.hasOwn(grouped, key)) return false;
    for (const property of properties) {
      const value = instance[property.name];
      let validate = true;
      for (const c of property.conditions) validate = (c.constraints[0] as (o: object, v: unknown) => boolean)(instance, value) && validate;
      if (!validate) continue;
      for (const { metadata, constraint } of property.checks) {
        const args: ValidationArguments = {
          targetName,
          property: metadata.propertyName,
          object: instance,
          value,
          constraints: metadata.constraints,
        };
        const validator = constraint.instance;
        if (metadata.each && (Array.isArray(value) || value instanceof Set || value instanceof Map)) {
          const items: unknown[] = value instanceof Map ? [...value.values()] : [...(value as Iterable<unknown>)];
          if (!items.every((item) => passed(validator.validate(item, args)))) return false;
        } else if (!passed(validator.validate(value, args))) {
          return false;
        }
      }
    }
    return true;
  };
}
