/**
 * A require hook for child Node processes a test starts (`node -r test/helpers/register-ts.js …`):
 * `.ts` files are transpiled on load with TypeScript's transpileModule, as ts-jest does in-process
 * (no type check), so a child can load the provider's sources without `npm run build` and dist/.
 */
const fs = require("fs");
const ts = require("typescript");

require.extensions[".ts"] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
