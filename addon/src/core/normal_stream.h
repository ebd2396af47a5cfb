// Long runs of numpy standard normals, exactly numpy's sequence, on several threads.
//
// The ziggurat consumes a variable number of 64-bit words per value, so a thread cannot know where in the word
// stream "its" values start. Instead the stream is cut into word ranges [a_j, a_j+1) ("chunks"):
//   1. decode (parallel): chunk j jumps PCG64 ahead to a_j - margin, decodes (and discards) values until it reaches
//      word a_j, then decodes and keeps every value that STARTS in [a_j, a_j+1), recording each start word.
//   2. stitch (sequential, cheap): the previous chunk's decoding is exact and ends at word t (the first true start
//      >= a_j). Decoding is a function of the start word only, so if t is one of chunk j's recorded starts, chunk
//      j's values from t on are exactly numpy's. If it is not (chunk j's speculative decoding had not yet fallen
//      into step), that stretch is decoded again sequentially from t until it meets a recorded start, or to the end
//      of the chunk. Either way chunk j ends at the next true start: induction gives the exact sequence.
//   3. copy (parallel) of the stitched values into place.
// Decoders started at different words fall into step within a few words (98.5% of values take one word), so
// with the default margin the fallback is essentially never taken; tests force it with tiny chunks and no margin.
#pragma once
#include <cstdint>

#include "core/pcg64.h"

namespace lgb {

struct NormalStreamOptions {
  int threads = 0;                   // 0 = every core
  int64_t chunk_words = 1 << 19;     // words per chunk (at most 2^30); 4 chunks per thread per round
  int64_t margin_words = 64;         // speculative lead-in before each chunk
  int64_t min_parallel = 1 << 16;    // fewer values than this: one sequential decoder
};

struct NormalStreamStats {
  int64_t chunks = 0;           // chunks decoded speculatively
  int64_t fallbacks = 0;        // chunks whose stitch needed a sequential re-decode
  int64_t fallback_values = 0;  // values produced by those re-decodes
  int64_t words = 0;            // 64-bit words the exact sequence consumed
};

// out[i] = i-th standard normal of `start` (a generator with an empty or ignored 32-bit buffer), as float64.
void normals_f64(const Pcg64& start, int64_t count, double* out, const NormalStreamOptions& opt = {},
                 NormalStreamStats* stats = nullptr);
// numpy normal(loc, scale).astype(float32): float(z*scale + loc).
void normals_f32(const Pcg64& start, int64_t count, double loc, double scale, float* out,
                 const NormalStreamOptions& opt = {}, NormalStreamStats* stats = nullptr);
// ... then float32 -> fp16 RNE (the weight pool, docs/poc-compute.md §4).
void normals_f16(const Pcg64& start, int64_t count, double loc, double scale, uint16_t* out,
                 const NormalStreamOptions& opt = {}, NormalStreamStats* stats = nullptr);
// Standard normals as torch converts float64 to fp16: float32 first, then fp16 (the inputs). One thread.
void normals_f16_torch(const Pcg64& start, int64_t count, uint16_t* out);

}  // namespace lgb
