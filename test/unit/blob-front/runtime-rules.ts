import { parse, type AnyNode, type Node } from 'acorn';
import { fullAncestor } from 'acorn-walk';

/**
 * What the cloudfront-js-2.0 runtime accepts, as a check on function source. The runtime is ES 5.1 plus
 * the later features its documentation lists, nothing else, and V8 (the sandbox, the tests) runs much
 * more: this is what stops a function that works locally from failing at the edge.
 *
 * Source: Amazon CloudFront Developer Guide, "JavaScript runtime 2.0 features for CloudFront Functions"
 * (functions-javascript-runtime-20):
 * - Core features: ES 5.1 statements; `const`, `let`; `async`/`await` ("await can be used inside async
 *   functions only. async arguments and closures are not supported"); the `**` operator; template
 *   literals (multiline, interpolation, nesting: no tagged templates listed); ES 5.1 functions, arrow
 *   functions and rest parameters. Nothing else from ES 6+ is listed: no classes, generators, for-of,
 *   destructuring, default parameters, spread, shorthand or computed object keys, optional chaining,
 *   `??`, optional catch binding, BigInt, dynamic import.
 * - Regular expressions: ES 5.1 features, `sticky` and `flags` accessors, named capture groups; flags
 *   g, i, m, y.
 * - Globals and built-in objects: the listed ones (`Array.from`, `Object.fromEntries` are not); console
 *   has `log` only, without comma syntax ("console.log('a', 'b')" is not supported).
 * - Built-in modules `crypto` (createHash, createHmac), `querystring`, `buffer`; with KeyValueStore, the
 *   `cloudfront` module ("Helper methods for key value stores": `import cf from 'cloudfront'`).
 * - Restricted features: no eval or Function constructor, no timers, no fs, no process, no network.
 */

export interface RuntimeViolation {
  readonly line: number;
  readonly message: string;
}

/** Syntax not in the documented feature list, by ESTree node type. */
const UNSUPPORTED_NODES: Readonly<Record<string, string>> = {
  ClassDeclaration: 'classes',
  ClassExpression: 'classes',
  Super: 'super',
  ForOfStatement: 'for...of',
  SpreadElement: 'spread syntax',
  ObjectPattern: 'destructuring',
  ArrayPattern: 'destructuring',
  AssignmentPattern: 'default parameters or values',
  ChainExpression: 'optional chaining',
  TaggedTemplateExpression: 'tagged templates',
  MetaProperty: 'new.target / import.meta',
  ImportExpression: 'dynamic import',
  ExportNamedDeclaration: 'exports (the runtime calls a top-level handler)',
  ExportDefaultDeclaration: 'exports (the runtime calls a top-level handler)',
  ExportAllDeclaration: 'exports (the runtime calls a top-level handler)',
  WithStatement: 'with (strict mode)',
};

/** Globals the runtime does not have (Restricted features), or that only Node has. */
const MISSING_GLOBALS = new Set(['require', 'module', 'exports', 'process', 'eval', 'Function', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'fetch', 'XMLHttpRequest', 'WebSocket', 'structuredClone']);

/** Members not on the documented lists, that are easy to reach for. */
const MISSING_MEMBERS = new Set(['Array.from', 'Object.fromEntries', 'String.raw', 'crypto.timingSafeEqual', 'crypto.randomBytes', 'crypto.randomUUID', 'crypto.getRandomValues', 'crypto.createCipheriv', 'crypto.createSign', 'crypto.createVerify']);

const MODULES = new Set(['cloudfront', 'crypto']);
const REGEX_FLAGS = /^[gimy]*$/;

function memberName(node: AnyNode): string | undefined {
  if (node.type !== 'MemberExpression' || node.computed || node.object.type !== 'Identifier' || node.property.type !== 'Identifier') return undefined;
  return `${node.object.name}.${node.property.name}`;
}

const isFunction = (node: AnyNode) => node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression';

/** An identifier that names a variable being read (not a property key, a label or a declaration). */
function isReference(node: AnyNode, parent: AnyNode | undefined): boolean {
  if (!parent) return true;
  if (parent.type === 'MemberExpression' && parent.property === node && !parent.computed) return false;
  if (parent.type === 'Property' && parent.key === node && !parent.computed) return false;
  if ((parent.type === 'LabeledStatement' || parent.type === 'BreakStatement' || parent.type === 'ContinueStatement') && parent.label === node) return false;
  if (parent.type === 'VariableDeclarator' && parent.id === node) return false;
  if (isFunction(parent)) return false; // a function's own name or a parameter
  if (parent.type === 'CatchClause' && parent.param === node) return false;
  if (parent.type === 'ImportDefaultSpecifier' || parent.type === 'ImportSpecifier' || parent.type === 'ImportNamespaceSpecifier') return false;
  return true;
}

function checkNode(node: AnyNode, ancestors: readonly AnyNode[], report: (node: Node, message: string) => void): void {
  const parent = ancestors[ancestors.length - 2];
  const unsupported = UNSUPPORTED_NODES[node.type];
  if (unsupported) report(node, `${unsupported}: not in the runtime's feature list`);
  switch (node.type) {
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      if (node.generator) report(node, 'generators: not in the runtime\'s feature list');
      // Only top-level async function declarations: "async arguments and closures are not supported".
      if (node.async && !(node.type === 'FunctionDeclaration' && parent?.type === 'Program')) report(node, 'async closures are not supported: only top-level async function declarations');
      break;
    case 'Property':
      if (node.shorthand) report(node, 'shorthand properties are not in the runtime\'s feature list');
      if (node.method) report(node, 'method shorthand is not in the runtime\'s feature list');
      if (node.computed) report(node, 'computed property names are not in the runtime\'s feature list');
      break;
    case 'LogicalExpression':
      if (node.operator === '??') report(node, '?? is not in the runtime\'s feature list');
      break;
    case 'CatchClause':
      if (node.param === null) report(node, 'a catch clause needs its binding (optional catch binding is ES 2019)');
      break;
    case 'Literal':
      if ('bigint' in node && node.bigint !== undefined) report(node, 'BigInt is not in the runtime\'s feature list');
      if ('regex' in node && node.regex && !REGEX_FLAGS.test(node.regex.flags)) report(node, `regular expression flags "${node.regex.flags}": only g, i, m, y are listed`);
      break;
    case 'ImportDeclaration':
      if (parent?.type !== 'Program' || !MODULES.has(String(node.source.value))) report(node, `import of '${String(node.source.value)}': the runtime provides 'cloudfront' and 'crypto' here`);
      if (node.specifiers.length !== 1 || node.specifiers[0]!.type !== 'ImportDefaultSpecifier') report(node, 'only `import name from \'module\'` (a default import) is documented');
      break;
    case 'Identifier':
      if (MISSING_GLOBALS.has(node.name) && isReference(node, parent)) report(node, `${node.name} does not exist in the runtime`);
      break;
    case 'MemberExpression': {
      const name = memberName(node);
      if (name && MISSING_MEMBERS.has(name)) report(node, `${name} is not in the runtime's feature list`);
      if (name?.startsWith('console.') && name !== 'console.log') report(node, `${name}: console has log only`);
      break;
    }
    case 'CallExpression':
      if (node.callee.type === 'MemberExpression' && memberName(node.callee) === 'console.log' && node.arguments.length !== 1) report(node, 'console.log takes one argument (no comma syntax)');
      break;
    default:
  }
}

/** Every use of syntax or API the runtime does not document, with its line; empty when the source fits. */
export function runtimeViolations(source: string): RuntimeViolation[] {
  let program: Node;
  try {
    program = parse(source, { ecmaVersion: 2020, sourceType: 'module', locations: true });
  } catch (err) {
    return [{ line: 0, message: `does not parse as an ES 2020 module: ${(err as Error).message}` }];
  }
  const found = new Map<string, RuntimeViolation>();
  const report = (node: Node, message: string) => {
    const line = node.loc?.start.line ?? 0;
    found.set(`${node.start}:${message}`, { line, message });
  };
  fullAncestor(program, (node, _state, ancestors) => checkNode(node, ancestors, report));
  const declaresHandler = (program as unknown as { body: AnyNode[] }).body.some((n) => n.type === 'FunctionDeclaration' && n.id?.name === 'handler');
  if (!declaresHandler) found.set('handler', { line: 0, message: 'no top-level function handler(event)' });
  return [...found.values()].sort((a, b) => a.line - b.line);
}
