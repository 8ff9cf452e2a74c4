import { Type, type TUnsafe } from '@sinclair/typebox';

/** A string enum as a plain JSON Schema `enum` (one clear Ajv error instead of one per literal). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { default?: T[number]; description?: string } = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
