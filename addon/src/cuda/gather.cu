// The last layer's row gather (forward.cu): the last position of each nonce's residual stream, out of the
// (batch * seq, dim) tensor into a (batch, dim) one.
#include "cuda/grid.cuh"
#include "cuda/ops.h"

namespace lgb::cuda {
namespace {

// in: rows of `cols` values at in + (i * stride + offset) * cols; out: (rows, cols).
__global__ void gather_rows_kernel(const __half* __restrict__ in, int64_t stride, int64_t offset,
                                   __half* __restrict__ out, int64_t rows, int64_t cols) {
  const int64_t total = rows * cols;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = t / cols, c = t % cols;
    out[t] = in[(r * stride + offset) * cols + c];
  }
}

}  // namespace

cudaError_t launch_gather_rows(const __half* in, int64_t stride, int64_t offset, __half* out, int64_t rows,
                               int64_t cols, cudaStream_t stream) {
  if (rows * cols <= 0) return cudaSuccess;
  gather_rows_kernel<<<grid_for(rows * cols, 256), 256, 0, stream>>>(in, stride, offset, out, rows, cols);
  return cudaGetLastError();
}

}  // namespace lgb::cuda
