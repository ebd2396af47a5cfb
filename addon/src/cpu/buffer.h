// A 64-byte aligned, growable float buffer for activations and GEMM panels (contents are not preserved on grow).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <new>

namespace lgb {
namespace cpu {

class FloatBuffer {
 public:
  FloatBuffer() = default;
  ~FloatBuffer() { std::free(data_); }
  FloatBuffer(const FloatBuffer&) = delete;
  FloatBuffer& operator=(const FloatBuffer&) = delete;
  FloatBuffer(FloatBuffer&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr, o.size_ = 0; }

  // Makes room for n floats (throws std::bad_alloc); returns the start.
  float* reserve(int64_t n) {
    if (n > size_) {
      std::free(data_);
      data_ = nullptr;
      size_ = 0;
      size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) throw std::bad_alloc();
      size_ = n;
    }
    return data_;
  }
  float* data() const { return data_; }
  int64_t size() const { return size_; }
  uint64_t bytes() const { return static_cast<uint64_t>(size_) * sizeof(float); }

 private:
  float* data_ = nullptr;
  int64_t size_ = 0;
};

}  // namespace cpu
}  // namespace lgb
