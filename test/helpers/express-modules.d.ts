// Express 5 is typed by @types/express (a devDependency, for the demo); the `express4` alias of
// Express 4 has no types: the tests use it untyped, as the adapter does (its types are declared
// locally in src/integrations/express.ts).
declare module 'express4' {
  // biome-ignore lint/suspicious/noExplicitAny: untyped on purpose
  const express: any
  export default express
}
