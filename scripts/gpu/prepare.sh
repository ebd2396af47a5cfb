#!/usr/bin/env bash
# Runs HERE before a GPU run: packs what the GPU machine lacks into .gpu/ (git-ignored, carried by the run).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
mkdir -p .gpu
if [ ! -f .gpu/node.xz ] || [ "$(command -v node)" -nt .gpu/node.xz ]; then
  xz -T2 -9 -c "$(command -v node)" > .gpu/node.xz
fi
tar -cf .gpu/node_modules.tar node_modules/node-addon-api node_modules/node-api-headers
npx tsc -p tsconfig.json >&2 || echo "prepare: tsc reported errors (dist/ is still written)" >&2
du -sh .gpu dist >&2
