# The CUDA backend (owned by addon/src/cuda/). Placeholder until the CUDA backend lands: CPU-only build.
target_compile_definitions(${PROJECT_NAME} PRIVATE LGB_WITH_CUDA=0)
