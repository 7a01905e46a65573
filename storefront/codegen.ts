import type { CodegenConfig } from "@graphql-codegen/cli";

// Every operation and fragment in src/ is checked against the server's schema and typed;
// an operation the schema no longer allows fails the build here.
const config: CodegenConfig = {
  // SHOPGRAPH_SCHEMA: another schema to check the documents against (the tests use it).
  schema: process.env.SHOPGRAPH_SCHEMA ?? "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  errorsOnly: true,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: { unmaskFunctionName: "readFragment" } },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: { DateTime: "string", Decimal: "string", Upload: "File" },
      },
    },
  },
};

export default config;
