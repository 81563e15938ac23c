import { dirname, relative, resolve, sep } from 'node:path';

// A relative import may not leave its own project (libs/<name>/ or apps/<name>/): across
// libraries the only door is the `@app/<lib>` index, which is what the boundary rules check.
// Specs may still reach test/ (fixtures, support). no-restricted-imports cannot say this,
// because how many `../` leave a project depends on where the importing file sits.
const HOME = /^(libs|apps)\/[^/]+\//;

/** @type {import('eslint').Rule.RuleModule} */
export const relativeImportsStayHome = {
  meta: {
    type: 'problem',
    schema: [],
    messages: {
      useAlias: "'{{source}}' reaches into libs/{{lib}} by relative path: import '@app/{{lib}}' (docs/ARCHITECTURE.md#layers).",
      leavesHome: "'{{source}}' leaves {{home}}: libraries never import apps, and code outside a project is not imported by relative path.",
    },
  },
  create(context) {
    const toPosix = (path) => path.split(sep).join('/');
    const home = toPosix(relative(context.cwd, context.filename)).match(HOME)?.[0];
    if (!home) return {};
    const isSpec = context.filename.endsWith('.spec.ts');

    const check = (source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = `${toPosix(relative(context.cwd, resolve(dirname(context.filename), source.value)))}/`;
      if (target.startsWith(home) || (isSpec && target.startsWith('test/'))) return;
      const lib = target.match(/^libs\/([^/]+)\//)?.[1];
      context.report({ node: source, messageId: lib ? 'useAlias' : 'leavesHome', data: { source: source.value, lib, home } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      // `source` in current typescript-eslint; older versions only had `argument` (a TSLiteralType).
      TSImportType: (node) => check(node.source ?? node.argument?.literal),
      TSExternalModuleReference: (node) => check(node.expression),
      'CallExpression[callee.type="Identifier"][callee.name="require"]': (node) => check(node.arguments[0]),
    };
  },
};
