# syntax=docker/dockerfile:1
# llama-gpu-bench: the model server (127.0.0.1:18000, reachable only inside the container) and our Vast.ai worker
# (:3000, the one exposed port) over the CUDA engine (docs/deploy.md); with PLATFORM=runpod, our Runpod serverless
# worker instead (it listens on no port).
#
#   docker build -t llama-gpu-bench .
#   docker run --gpus all -p 3000:3000 -e START_WORKER=true ... llama-gpu-bench
#   docker run --gpus all -e PLATFORM=runpod ... llama-gpu-bench     # on Runpod, the platform sets RUNPOD_*
#
# Two stages: `build` (CUDA devel image) compiles the addon with CUDA for the architectures below and the
# TypeScript; `runtime` (CUDA base image + cuBLAS only) carries Node, the addon, dist/ and the production
# node_modules. Node 20 comes from the official nodejs.org tarball, checked against its SHASUMS256.txt.
# Licences: LICENSE (MIT) and THIRD_PARTY_NOTICES.md (numpy's ziggurat tables, BSD-3) are copied into /app.

ARG CUDA_VERSION=13.0.1
ARG UBUNTU=ubuntu24.04
ARG NODE_VERSION=20.20.2

FROM nvidia/cuda:${CUDA_VERSION}-devel-${UBUNTU} AS build
ARG NODE_VERSION
ARG TARGETARCH
# Ampere (A100, RTX 30), Ada (RTX 40, L4/L40), Hopper (H100/H200), Blackwell (B200).
ARG CUDA_ARCHS="80;86;89;90;100"
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl xz-utils g++ make cmake ninja-build \
 && rm -rf /var/lib/apt/lists/*
RUN case "${TARGETARCH:-amd64}" in amd64) arch=x64 ;; arm64) arch=arm64 ;; *) echo "no Node for ${TARGETARCH}" >&2; exit 1 ;; esac \
 && tarball="node-v${NODE_VERSION}-linux-${arch}.tar.xz" \
 && curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/${tarball}" \
 && curl -fsSL "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt" | grep " ${tarball}\$" | sha256sum -c - \
 && tar -xJf "${tarball}" -C /usr/local --strip-components=1 --no-same-owner \
 && rm "${tarball}" \
 && node --version && npm --version

WORKDIR /src
# cmake-js takes the Node headers from the tarball just installed instead of downloading them again.
ENV npm_config_nodedir=/usr/local
# Dependencies first (cached while the lockfile is unchanged). --ignore-scripts: the package's own `install`
# script compiles the addon, whose sources are copied only below.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY addon ./addon
COPY common ./common
COPY server ./server
COPY worker ./worker
COPY runpod ./runpod
COPY scripts ./scripts
RUN npx cmake-js compile --directory addon --out build \
      --CDLLAMA_GPU_CUDA=ON "--CDLLAMA_GPU_CUDA_ARCHS=${CUDA_ARCHS}" \
 && test -f build/Release/llama_gpu_bench.node
RUN npm run build && npm prune --omit=dev --no-audit --no-fund && rm -rf dist/*/test

FROM nvidia/cuda:${CUDA_VERSION}-base-${UBUNTU} AS runtime
ARG CUDA_VERSION
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DEBIAN_FRONTEND=noninteractive
# cuBLAS is the only CUDA library the engine links besides the (static) CUDA runtime; openssl and curl serve
# start_server.sh's certificate step (USE_SSL=true on Vast.ai).
RUN cuda_pkg="${CUDA_VERSION%.*}" \
 && apt-get update \
 && apt-get install -y --no-install-recommends "libcublas-${cuda_pkg/./-}" ca-certificates curl openssl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/node /usr/local/bin/node
RUN useradd --system --uid 10001 --create-home --home-dir /home/lgb --shell /usr/sbin/nologin lgb \
 && mkdir -p /var/log/model /var/lib/llama-gpu-bench/tls \
 && chown -R lgb:lgb /var/log/model /var/lib/llama-gpu-bench

WORKDIR /app
COPY --from=build --chown=root:root /src/package.json ./package.json
COPY --from=build --chown=root:root /src/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --from=build --chown=root:root /src/build/Release/llama_gpu_bench.node ./build/Release/llama_gpu_bench.node
COPY --chmod=0755 start_server.sh ./
COPY LICENSE THIRD_PARTY_NOTICES.md ./

ENV NODE_ENV=production \
    MODEL_LOG=/var/log/model/server.log \
    WORKER_SSL_CERT=/var/lib/llama-gpu-bench/tls/instance.crt \
    WORKER_SSL_KEY=/var/lib/llama-gpu-bench/tls/instance.key \
    WORKER_BENCHMARK_FILE=/var/lib/llama-gpu-bench/.has_benchmark \
    WORKER_FORCE_UPDATE_FILE=/var/lib/llama-gpu-bench/.force_update
USER lgb
# Only the worker: the model server lets a new job take over from the running one, so it listens on loopback.
EXPOSE 3000
# The model server's /health (PORT, default 18000): 503 once the GPU is broken, so the container turns unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 18000}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/app/start_server.sh"]
