/**
 * A small JSON-schema subset validator for tool arguments: object / required / additionalProperties
 * false, and string (enum, maxLength), integer / number (minimum, maximum), boolean, arrays of
 * those. Tool schemas stay within this subset; a full validator (ajv) would be 100× the code for
 * schemas this small.
 */
type Schema = Record<string, unknown>;

export function validateArgs(schema: Schema, value: unknown, path = 'arguments'): string[] {
  const type = schema.type;
  const errs: string[] = [];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    return [`${path} must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`];
  }
  switch (type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${path} must be an object`];
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const key of (schema.required ?? []) as string[]) {
        if (!(key in value)) errs.push(`${path}.${key} is required`);
      }
      for (const [k, v] of Object.entries(value)) {
        if (props[k]) errs.push(...validateArgs(props[k], v, `${path}.${k}`));
        else if (schema.additionalProperties === false) errs.push(`${path}.${k} is not allowed`);
      }
      return errs;
    }
    case 'string':
      if (typeof value !== 'string') return [`${path} must be a string`];
      if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
        return [`${path} is longer than ${schema.maxLength}`];
      return [];
    case 'integer':
    case 'number':
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        (type === 'integer' && !Number.isInteger(value))
      )
        return [`${path} must be ${type === 'integer' ? 'an integer' : 'a number'}`];
      if (typeof schema.minimum === 'number' && value < schema.minimum)
        return [`${path} must be ≥ ${schema.minimum}`];
      if (typeof schema.maximum === 'number' && value > schema.maximum)
        return [`${path} must be ≤ ${schema.maximum}`];
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path} must be true or false`];
    case 'array':
      if (!Array.isArray(value)) return [`${path} must be an array`];
      return value.flatMap((v, i) => validateArgs((schema.items ?? {}) as Schema, v, `${path}[${i}]`));
    default:
      return [];
  }
}
