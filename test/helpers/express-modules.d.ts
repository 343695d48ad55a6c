// express ships no types and @types/express is no dependency: the tests use Express untyped,
// as the adapter does (its types are declared locally in src/integrations/express.ts).
declare module 'express' {
  // biome-ignore lint/suspicious/noExplicitAny: untyped on purpose
  const express: any
  export default express
}
declare module 'express4' {
  // biome-ignore lint/suspicious/noExplicitAny: untyped on purpose
  const express: any
  export default express
}
