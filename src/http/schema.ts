// Small TypeBox helpers every schema module uses.
import { Type, type Static, type TSchema, type TSchemaOptions } from 'typebox'

/** A value or null (an OpenAPI 3.1 nullable). */
export const Nullable = <T extends TSchema>(schema: T, options?: TSchemaOptions) => Type.Union([schema, Type.Null()], options)

/** A reference to a shared schema (app.addSchema) that keeps the referenced schema's static type. */
export function ref<T extends TSchema & { $id?: string }> (schema: T) {
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id ?? ''))
}
