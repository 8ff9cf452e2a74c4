import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Static, TSchema } from '@sinclair/typebox';

// ajv-formats ships CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export type ValidationResult<T> =
  | { ok: true; value: T }
  | { ok: false; field: string; message: string };

function createAjv(options: { coerceTypes?: boolean } = {}): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    strict: false,
    useDefaults: true,
    coerceTypes: options.coerceTypes ?? false,
  });
  addFormats(ajv, ['uuid', 'date-time', 'uri', 'email']);
  return ajv;
}

const sharedAjv = createAjv();

/** Describes the first Ajv error as a field (JSON pointer) and a sentence naming it. */
export function describeAjvError(error: ErrorObject | undefined): { field: string; message: string } {
  if (!error) return { field: '/', message: 'invalid value' };
  let field = error.instancePath || '/';
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    field = `${error.instancePath}/${missing}`;
    return { field, message: `${field} is required` };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    field = `${error.instancePath}/${extra}`;
    return { field, message: `${field} is not allowed` };
  }
  if (error.keyword === 'enum' || error.keyword === 'const') {
    return { field, message: `${field} must be one of the allowed values` };
  }
  return { field, message: `${field} ${error.message ?? 'is invalid'}` };
}

/** Compiles a TypeBox schema once into a validator that reports the first offending field. */
export function createValidator<S extends TSchema>(
  schema: S,
): (value: unknown) => ValidationResult<Static<S>> {
  const validate: ValidateFunction = sharedAjv.compile(schema);
  return (value) => {
    if (validate(value)) return { ok: true, value: value as Static<S> };
    return { ok: false, ...describeAjvError(validate.errors?.[0]) };
  };
}

/** Compiles a schema for environment variables: strings are coerced and defaults applied. */
export function createEnvValidator<S extends TSchema>(
  schema: S,
): (value: unknown) => { ok: true; value: Static<S> } | { ok: false; errors: string[] } {
  const ajv = createAjv({ coerceTypes: true });
  ajv.opts.allErrors = true;
  const validate = ajv.compile(schema);
  return (value) => {
    if (validate(value)) return { ok: true, value: value as Static<S> };
    const errors = (validate.errors ?? []).map((e) => describeAjvError(e).message.replace(/^\//, ''));
    return { ok: false, errors: [...new Set(errors)] };
  };
}
