#!/usr/bin/env node
// The lockne command (built into dist/ by npm run build). A committed file, so npm links it at install.
import "../dist/bundle/cli.js";
