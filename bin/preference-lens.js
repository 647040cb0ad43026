#!/usr/bin/env node
'use strict';
// The CLI is bundled by `npm run build`; this shim only points at it.
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error('preference-lens: dist/cli.js is missing; run `npm run build` first.');
  process.exit(2);
}
require(cli).main();
