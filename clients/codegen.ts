// Types for every document the clients send, generated from the server's exported schema:
// `tsc` then checks each use of a result against it.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**"],
  emitLegacyCommonJSImports: false,
  generates: {
    "src/gql/": {
      preset: "client",
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: "string" } },
    },
  },
};

export default config;
