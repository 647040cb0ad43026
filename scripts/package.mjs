// Packages a platform-specific VSIX: `node scripts/package.mjs [target]` (default linux-x64).
// .vscodeignore is the allowlist for linux-x64; for another target the native folders in it
// (onnxruntime-node's binding, sharp's prebuilt library) are swapped for that platform's, and
// vsce gets the result as --ignoreFile. Run `npm run build` first.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The platforms onnxruntime-node 1.30 ships binaries for.
const TARGETS = ['linux-x64', 'linux-arm64', 'win32-x64', 'win32-arm64', 'darwin-arm64'];
const target = process.argv[2] ?? 'linux-x64';
if (!TARGETS.includes(target)) {
  console.error(`Unknown target ${target}; one of ${TARGETS.join(', ')}.`);
  process.exit(2);
}
const [os, arch] = target.split('-');

const needed = [
  `node_modules/onnxruntime-node/bin/napi-v6/${os}/${arch}`,
  `node_modules/@img/sharp-${target}`,
];
const missing = needed.filter((dir) => !existsSync(dir));
if (missing.length) {
  console.error(
    `Missing native files for ${target}: ${missing.join(', ')}.\n` +
      `Fetch sharp's prebuilt package for it first, e.g.\n` +
      `  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save --os=${os} --cpu=${arch} sharp`,
  );
  process.exit(1);
}

const rules = readFileSync('.vscodeignore', 'utf8')
  .replaceAll('/linux/x64/', `/${os}/${arch}/`)
  .replaceAll('sharp-linux-x64', `sharp-${target}`)
  .replaceAll('sharp-libvips-linux-x64', `sharp-libvips-${target}`);
mkdirSync('.cache', { recursive: true });
const ignoreFile = join('.cache', `vscodeignore-${target}`);
writeFileSync(ignoreFile, rules);

const out = join('dist', `preference-lens-${target}.vsix`);
execFileSync(
  process.platform === 'win32' ? 'npx.cmd' : 'npx',
  [
    'vsce',
    'package',
    '--target',
    target,
    '--ignoreFile',
    ignoreFile,
    // README images stay relative (no repository URL to rewrite them against).
    '--no-rewrite-relative-links',
    '--allow-missing-repository',
    '--out',
    out,
  ],
  { stdio: 'inherit' },
);
console.log(`Packaged ${out}`);
