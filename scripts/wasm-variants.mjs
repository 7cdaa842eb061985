// Resolves the kernels' multiply-add placeholder after an Emscripten link. Multiply-adds on four
// lanes that should fuse are calls to an import no host provides, `attn_f32x4_madd`
// (src/kernels/simd.h): Emscripten 3.1.6's clang 14 and binaryen 108 cannot emit
// f32x4.relaxed_madd's final opcode (clang 14 only has the pre-standard 0xaf encoding browsers
// reject; newer clang's output stops binaryen 108's wasm-emscripten-finalize). This script, with a
// current binaryen from npm, turns that import into a function of the module (f32x4.mul +
// f32x4.add, or f32x4.relaxed_madd), inlines it at every call and drops it. The import is the
// only one of type (v128, v128, v128) -> v128 (Emscripten minifies import names, so it is found by
// type; JS cannot call such a function).
//
//   node scripts/wasm-variants.mjs --simd128|--relaxed <module.wasm | program.cjs> [<output>]
//
// In place, or into <output>. A single-file Emscripten program (the wasm test binaries) carries
// its module as a base64 data URI, rewritten the same way. --glue/--as: rename the module's
// imports so that the glue `as` drives it (see importRenames).
import { readFileSync, writeFileSync } from 'node:fs';
import binaryen from 'binaryen';

const usage = 'usage: node scripts/wasm-variants.mjs --simd128|--relaxed <module.wasm | program.cjs> [<output>] [--glue <its glue> --as <glue>]';

// Only the features Emscripten 3.1.6 modules use: with every feature on, binaryen would write
// encodings (compact imports, ...) that Node 20 and current browsers cannot read.
const F = binaryen.Features;
const FEATURES = F.MVP | F.MutableGlobals | F.SignExt | F.NontrappingFPToInt | F.BulkMemory | F.BulkMemoryOpt | F.SIMD128 |
  F.ExceptionHandling | F.Atomics;

// The imports object of an Emscripten glue: minified import name -> the JS it passes.
function gluedImports(glue, path) {
  const match = /var asmLibraryArg=\{([^}]*)\}/.exec(glue);
  if (!match) throw new Error(`${path}: no asmLibraryArg in the glue`);
  return new Map([...match[1].matchAll(/"([^"]+)":([^,]+)/g)].map((m) => [m[1], m[2]]));
}

// Emscripten names a module's imports by how often they are called, so the relaxed kernels (every
// multiply-add a call to the placeholder) get other import names than the SIMD128 module of the
// same link options, and the glues differ only there. `imports` renames the relaxed module's
// imports to the SIMD128 glue's names, so one glue drives both modules; glue: the relaxed link's
// glue, as: the SIMD128 one. Anything else differing is an error.
function importRenames(glue, as, paths) {
  const ours = gluedImports(glue, paths[0]), theirs = gluedImports(as, paths[1]);
  const strip = (text) => text.replace(/var asmLibraryArg=\{[^}]*\}/, '');
  if (strip(glue) !== strip(as)) throw new Error(`${paths[0]} and ${paths[1]} differ beyond their import names`);
  const nameOf = new Map([...theirs].map(([name, js]) => [js, name]));
  const renames = new Map();
  for (const [name, js] of ours) {
    if (!nameOf.has(js)) throw new Error(`${paths[1]} does not import ${js}`);
    renames.set(name, nameOf.get(js));
  }
  return renames;
}

export function makeVariant(bytes, { relaxed, renames = null }) {
  const module = binaryen.readBinary(bytes);
  try {
    module.setFeatures(FEATURES | (relaxed ? F.RelaxedSIMD : 0));
    if (renames) renameImports(module, renames);
    const v128 = binaryen.v128;
    const params = binaryen.createType([v128, v128, v128]);
    const placeholders = [];
    for (let i = 0; i < module.getNumFunctions(); ++i) {
      const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
      if (info.module && info.params === params && info.results === v128) placeholders.push(info.name);
    }
    // A SIMD128 program that never probes (kernels::fusedMultiplyAdd) has nothing to rewrite; a
    // relaxed one must, or its kernels were not the relaxed ones.
    if (placeholders.length === 0 && !relaxed) return bytes;
    if (placeholders.length !== 1) {
      throw new Error(`expected one multiply-add placeholder import (v128, v128, v128) -> v128, found ${placeholders.length}` +
        (placeholders.length === 0 ? ' (already rewritten, or not linked with relaxed kernels)' : ''));
    }
    const [name] = placeholders;
    // Inline nothing but the placeholder: mark every function of the link as not to be inlined
    // before the placeholder's body is added.
    binaryen.setPassArgument('no-inline', '*');
    module.runPasses(['no-inline']);
    module.removeFunction(name);
    const [a, b, c] = [0, 1, 2].map((i) => module.local.get(i, v128));
    const body = relaxed
      ? binaryen._BinaryenSIMDTernary(module.ptr, binaryen.RelaxedMaddVecF32x4, a, b, c)
      : module.f32x4.add(module.f32x4.mul(a, b), c);
    module.addFunction(name, params, v128, [], body);
    // Optimizing only the functions that received the inlined body (the kernels) folds away the
    // locals the inliner introduces.
    binaryen.setOptimizeLevel(3);
    binaryen.setAlwaysInlineMaxSize(16);  // the body is 4-6 nodes: inline it at every call
    module.runPasses(['inlining-optimizing', 'remove-unused-module-elements']);
    if (module.getFunction(name)) throw new Error(`the placeholder ${name} is still called after inlining`);
    if (!module.validate()) throw new Error('the rewritten module does not validate');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

function renameImports(module, renames) {
  const imports = [];
  for (let i = 0; i < module.getNumFunctions(); ++i) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module) imports.push(info);
  }
  for (const info of imports) {
    const base = renames.get(info.base);
    if (base === undefined) throw new Error(`the glue passes no import named ${info.base}`);
    if (base === info.base) continue;
    // Same internal name: every call keeps its target.
    module.removeFunction(info.name);
    module.addFunctionImport(info.name, info.module, base, info.params, info.results);
  }
}

const DATA_URI = /(wasmBinaryFile\s*=\s*["'])data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)(["'])/;

function rewriteFile(path, output, { relaxed, renames }) {
  const isProgram = !path.endsWith('.wasm');
  const source = isProgram ? readFileSync(path, 'utf8') : null;
  let bytes;
  if (isProgram) {
    const match = DATA_URI.exec(source);
    if (!match) throw new Error('no embedded module (wasmBinaryFile = "data:...;base64,...")');
    bytes = Buffer.from(match[2], 'base64');
  } else {
    bytes = readFileSync(path);
  }
  const rewritten = makeVariant(bytes, { relaxed, renames });
  if (!isProgram) return writeFileSync(output, rewritten);
  const encoded = Buffer.from(rewritten).toString('base64');
  writeFileSync(output, source.replace(DATA_URI, (_, head, __, tail) => `${head}data:application/octet-stream;base64,${encoded}${tail}`));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (flag) => {
    const at = args.indexOf(flag);
    return at < 0 ? null : args.splice(at, 2)[1];
  };
  const glue = option('--glue'), as = option('--as');
  const [mode, input, output = input, ...rest] = args;
  if (!['--simd128', '--relaxed'].includes(mode) || !input || rest.length || !glue !== !as) {
    console.error(usage);
    process.exit(2);
  }
  try {
    const renames = glue ? importRenames(readFileSync(glue, 'utf8'), readFileSync(as, 'utf8'), [glue, as]) : null;
    rewriteFile(input, output, { relaxed: mode === '--relaxed', renames });
  } catch (error) {
    console.error(`wasm-variants: ${input}: ${error.message}`);
    process.exit(1);
  }
}
