#include "core/rope.h"

#include <cmath>

#include "core/half.h"

namespace lgb {
namespace {

// apply_scaling of llama31.py. Every Python-level op on a 0-d float32 tensor rounds to float32; `c / tensor` is
// torch's __rtruediv__, i.e. reciprocal() * c.
float scale_freq(float freq) {
  const float two_pi = static_cast<float>(6.283185307179586);  // 2 * math.pi, cast to the tensor's float32
  const float wavelen = (1.0f / freq) * two_pi;
  const float high_freq_wavelen = 8192.0f / 4.0f, low_freq_wavelen = 8192.0f / 1.0f;
  if (wavelen < high_freq_wavelen) return freq;
  if (wavelen > low_freq_wavelen) return freq / 8.0f;
  const float smooth = ((1.0f / wavelen) * 8192.0f - 1.0f) / 3.0f;
  const float a = ((1.0f - smooth) * freq) / 8.0f;
  const float b = smooth * freq;
  return a + b;
}

}  // namespace

std::vector<float> rope_freqs(const ModelParams& p) {
  const int64_t hd = p.head_dim(), half = hd / 2;
  const float theta = static_cast<float>(p.rope_theta);
  std::vector<float> f(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    const float e = static_cast<float>(2 * i) / static_cast<float>(hd);
    const float pw = std::pow(theta, e);  // powf (torch: std::pow on float, or Sleef's 1-ulp powf on 16-wide runs)
    f[i] = 1.0f / pw;
    if (p.use_scaled_rope) f[i] = scale_freq(f[i]);
  }
  return f;
}

void rope_tables_f32(const ModelParams& p, int64_t rows, std::vector<float>* cos, std::vector<float>* sin) {
  const std::vector<float> f = rope_freqs(p);
  const int64_t half = static_cast<int64_t>(f.size());
  cos->resize(static_cast<size_t>(rows * half));
  sin->resize(static_cast<size_t>(rows * half));
  for (int64_t t = 0; t < rows; ++t) {
    for (int64_t i = 0; i < half; ++i) {
      const float angle = static_cast<float>(t) * f[i];
      (*cos)[t * half + i] = std::cos(angle);
      (*sin)[t * half + i] = std::sin(angle);
    }
  }
}

void rope_tables_f16(const ModelParams& p, int64_t rows, std::vector<uint16_t>* cos, std::vector<uint16_t>* sin) {
  std::vector<float> c, s;
  rope_tables_f32(p, rows, &c, &s);
  cos->resize(c.size());
  sin->resize(s.size());
  for (size_t i = 0; i < c.size(); ++i) {
    (*cos)[i] = float_to_half(c[i]);
    (*sin)[i] = float_to_half(s[i]);
  }
}

}  // namespace lgb
