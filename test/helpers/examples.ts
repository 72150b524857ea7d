/**
 * The `@example` blocks of every export of the package's entry points, as code to compile: the
 * documentation promises they work, test/package/consumers.test.ts type-checks them against the
 * installed package.
 */
import { join } from 'node:path';
import ts from 'typescript';

/** The package's entry points (package.json "exports") and their sources. */
export const ENTRY_POINTS: Record<string, string> = {
  'sigstore-ts': 'src/index.ts',
  'sigstore-ts/pypi': 'src/pypi/index.ts',
  'sigstore-ts/inspect': 'src/inspect/index.ts',
  'sigstore-ts/instance': 'src/instance/index.ts',
};

export interface Example {
  /** Entry point and export name, e.g. `sigstore-ts/pypi#verifyProvenance`. */
  name: string;
  code: string;
}

/** Each entry point's exports, from one TypeScript program over all of them. */
export function entryExports(root: string): { name: string; exports: { name: string; declarations: ts.Declaration[] }[] }[] {
  const program = ts.createProgram(
    Object.values(ENTRY_POINTS).map((e) => join(root, e)),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, resolveJsonModule: true, skipLibCheck: true, noEmit: true },
  );
  const checker = program.getTypeChecker();
  return Object.entries(ENTRY_POINTS).map(([name, source]) => {
    const sf = program.getSourceFile(join(root, source))!;
    const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(sf)!).map((exp) => {
      const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
      return { name: exp.getName(), declarations: sym.getDeclarations() ?? [] };
    });
    return { name, exports };
  });
}

/** Every @example of every export, in order (a declaration exported twice counts once). */
export function examples(entries: ReturnType<typeof entryExports>): Example[] {
  const out: Example[] = [];
  const seen = new Set<ts.Node>();
  for (const { name, exports } of entries) {
    for (const exp of exports) {
      for (const d of exp.declarations) {
        if (seen.has(d)) continue;
        seen.add(d);
        for (const tag of ts.getJSDocTags(d)) {
          if (tag.tagName.text !== 'example') continue;
          const text = typeof tag.comment === 'string' ? tag.comment : (ts.getTextOfJSDocComment(tag.comment) ?? '');
          const code = text.replace(/^\s*```\w*\n?/, '').replace(/```\s*$/, '');
          out.push({ name: `${name}#${exp.name}`, code });
        }
      }
    }
  }
  return out;
}

/** The exported names of each entry point. */
export function exportedNames(entries: ReturnType<typeof entryExports>): Record<string, string[]> {
  return Object.fromEntries(entries.map((e) => [e.name, e.exports.map((x) => x.name)]));
}

/** Node built-ins the examples use without importing them (a fragment, as documentation writes it). */
const BUILTINS: Record<string, string> = {
  readFileSync: 'node:fs',
  writeFileSync: 'node:fs',
  mkdtempSync: 'node:fs',
  tmpdir: 'node:os',
  join: 'node:path',
};

/**
 * An example as a module to compile: names it uses without importing them are imported from
 * its own entry point (when that exports them) or from Node's built-ins; everything else must be
 * declared by the example or by the context file (example-context.d.ts). A name the package does
 * not export therefore fails to compile.
 */
export function exampleModule(e: Example, exported: Record<string, string[]>): string {
  const entry = e.name.slice(0, e.name.indexOf('#'));
  const declared = new Set<string>();
  for (const m of e.code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}/g)) for (const n of m[1]!.split(',')) declared.add(n.replace(/\btype\b/, '').split(/\bas\b/).pop()!.trim());
  for (const m of e.code.matchAll(/\b(?:const|let|var|function|class|interface|type)\s+([A-Za-z_$][\w$]*)/g)) declared.add(m[1]!);
  const used = new Set(e.code.replace(/\/\/.*$/gm, '').replace(/'[^'\n]*'|"[^"\n]*"|`[^`]*`/g, '').match(/[A-Za-z_$][\w$]*/g) ?? []);
  const lines: string[] = [];
  const fromEntry = (exported[entry] ?? []).filter((n) => used.has(n) && !declared.has(n));
  if (fromEntry.length) lines.push(`import { ${fromEntry.join(', ')} } from '${entry}';`);
  const byModule = new Map<string, string[]>();
  for (const [n, mod] of Object.entries(BUILTINS)) if (used.has(n) && !declared.has(n)) byModule.set(mod, [...(byModule.get(mod) ?? []), n]);
  for (const [mod, names] of byModule) lines.push(`import { ${names.join(', ')} } from '${mod}';`);
  // Imports must come first: the example's own, then the implicit ones.
  const own = e.code.match(/^(?:import [^\n]*\n)*/)![0];
  return `// ${e.name}\n${own}${lines.join('\n')}\n${e.code.slice(own.length)}\nexport {};\n`;
}

/**
 * What documentation examples may take as given, as ambient declarations: the objects a reader
 * has at hand in the situation the example shows (a verifier, a bundle, a policy, a result...).
 */
export const EXAMPLE_CONTEXT = `
declare const verifier: import('sigstore-ts').Verifier;
declare const bundle: import('sigstore-ts').ParsedBundle;
declare const policy: import('sigstore-ts').VerificationPolicy;
declare const result: import('sigstore-ts').VerificationResult;
declare const artifact: import('sigstore-ts').Artifact;
declare const trust: import('sigstore-ts').TrustMaterial;
declare const signer: import('sigstore-ts').Signer;
declare const outcomes: import('sigstore-ts').VerifyManyOutcome[];
declare const statement: import('sigstore-ts').Statement;
declare const subjects: import('sigstore-ts').Subject[];
declare const predicate: Record<string, unknown>;
declare const token: string;
declare const text: string;
declare const json: string;
declare const data: Buffer;
declare const payload: Buffer;
declare const file: string;
declare const attestation: import('sigstore-ts/pypi').Attestation;
declare const provenance: import('sigstore-ts/pypi').Provenance;
declare const dist: import('sigstore-ts/pypi').Distribution;
declare const report: import('sigstore-ts/pypi').AuditReport;
declare const expected: import('sigstore-ts/pypi').ProvenanceExpectation;
declare const publisher: import('sigstore-ts/pypi').Publisher;
declare const cache: import('sigstore-ts/pypi').ProvenanceCache;
declare const parts: import('sigstore-ts').BundleParts;
declare const entry: import('sigstore-ts').BundleParts['tlogEntries'][number];
declare const s: import('sigstore-ts').Subject;
declare const leaf: { raw: Buffer };
declare const key: { sign(data: Buffer): Buffer };
declare const digest: Buffer;
declare const signature: Buffer;
declare const sig: Buffer;
declare const provenanceBytes: Buffer;
declare const slsaPredicate: Record<string, unknown>;
declare const hex: string;
declare const sha256: string;
declare const arg: string;
`;
