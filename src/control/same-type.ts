// A compile-time proof that a control schema describes a core type exactly: where a document
// has a TypeScript type in the core (ops, library, download), its schema is checked against it,
// so the two cannot drift apart without the build failing.

/** T with intersections flattened, arrays and objects normalised all the way down. */
type Normal<T> = T extends readonly (infer U)[] ? Normal<U>[] : T extends object ? {[K in keyof T]: Normal<T[K]>} : T

/** true when A and B are the same type (optional fields, nullability and literal unions included). */
export type SameType<A, B> = (<T>() => T extends Normal<A> ? 1 : 2) extends <T>() => T extends Normal<B> ? 1 : 2 ? true : false

/** Fails to compile unless A and B are the same type; does nothing at run time. */
export function assertSameType<A, B>(..._proof: SameType<A, B> extends true ? [] : [never]): void {}
