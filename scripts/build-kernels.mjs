// Compiles the AssemblyScript kernels under stages/**/assembly/ to WebAssembly (SIMD) in dist/.
// Runs at `npm install` (via `prepare`) and `npm run build`; build output is never committed.
import { readdirSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function findEntries(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name === 'assembly' && existsSync(join(path, 'index.ts'))) found.push(join(path, 'index.ts'));
      else if (name !== 'node_modules') found.push(...findEntries(path));
    }
  }
  return found;
}

for (const entry of findEntries(join(root, 'stages'))) {
  const moduleDir = dirname(dirname(entry));
  const outDir = join(root, 'dist', relative(root, moduleDir));
  mkdirSync(outDir, { recursive: true });
  // Two builds of one source: plain SIMD (the `wasm` backend, bit-identical everywhere) and relaxed
  // SIMD with fused multiply-add (the `wasm-fma` backend: faster, different in the last bits).
  const variants = [
    { file: 'kernels.wasm', flags: ['--enable', 'simd'] },
    { file: 'kernels-fma.wasm', flags: ['--enable', 'simd,relaxed-simd', '--use', 'FMA=1'] },
  ];
  for (const variant of variants) {
    const out = join(outDir, variant.file);
    const { error, stderr } = await asc.main([
      entry, '--outFile', out, '--optimizeLevel', '3', '--shrinkLevel', '0', '--runtime', 'stub',
      ...variant.flags, '--noAssert', '--initialMemory', '1',
    ]);
    if (error) {
      console.error(stderr.toString());
      console.error(`build-kernels: ${relative(root, entry)} (${variant.file}) failed: ${error.message}`);
      process.exit(1);
    }
    console.log(`build-kernels: ${relative(root, out)}`);
  }
}
