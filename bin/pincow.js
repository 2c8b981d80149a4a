#!/usr/bin/env node
// The npm bin: the compiled CLI lives in dist/ (built by `npm ci` via `prepare`).
import '../dist/cli/bin.js';
