#include "core/normal_stream.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/half.h"
#include "core/parallel.h"
#include "core/word_block.h"
#include "core/ziggurat.h"

namespace lgb {
namespace {

// One chunk of the stream: word range [a, a_next), decoded speculatively from a - margin.
template <class T>
struct Chunk {
  int64_t a = 0, a_next = 0;
  std::vector<T> vals;          // values whose start word is in [a, a_next)
  std::vector<int32_t> starts;  // their start words, relative to a
  int64_t n = 0;                // number of values kept
  int64_t end = 0;              // start word of the value after the last one kept (>= a_next)
  // After the stitch: fallback values (exact, re-decoded) then vals[keep_from, n).
  std::vector<T> fallback;
  std::vector<int64_t> fallback_starts;  // absolute start words of the fallback values
  int64_t keep_from = 0;
  int64_t out_offset = 0;       // output index of the first stitched value
};

template <class T, class F>
void decode_chunk(const Pcg64& start, int64_t margin, F tf, Chunk<T>* c) {
  const int64_t b = std::max<int64_t>(0, c->a - margin);
  Pcg64 g = start;
  g.advance(static_cast<uint64_t>(b));
  WordBlock ws(g);
  int64_t pos = b;
  while (pos < c->a) {
    ziggurat_normal(ws);
    pos = b + ws.consumed();
  }
  const size_t cap = static_cast<size_t>(c->a_next - c->a);
  if (c->vals.size() < cap) {
    c->vals.resize(cap);
    c->starts.resize(cap);
  }
  T* vals = c->vals.data();
  int32_t* starts = c->starts.data();
  const int64_t a = c->a, a_next = c->a_next;
  int64_t n = 0;
  while (pos < a_next) {
    starts[n] = static_cast<int32_t>(pos - a);
    vals[n++] = tf(ziggurat_normal(ws));
    pos = b + ws.consumed();
  }
  c->n = n;
  c->end = pos;
}

// Joins chunk c to the exact sequence, which continues at word t. Returns the word after c's last exact value.
template <class T, class F>
int64_t stitch_chunk(const Pcg64& start, int64_t t, F tf, Chunk<T>* c, NormalStreamStats* st) {
  c->fallback.clear();
  c->fallback_starts.clear();
  if (t >= c->a_next) {  // the previous value ran past this whole chunk (tiny chunks): nothing of it is used
    c->keep_from = c->n;
    return t;
  }
  const int32_t* s = c->starts.data();
  const int32_t* found = std::lower_bound(s, s + c->n, static_cast<int32_t>(t - c->a));
  if (found != s + c->n && *found + c->a == t) {
    c->keep_from = found - s;
    return c->end;
  }
  // Not in step at t: decode exactly from t until we meet one of c's recorded starts, or leave the chunk.
  ++st->fallbacks;
  Pcg64 g = start;
  g.advance(static_cast<uint64_t>(t));
  WordBlock ws(g);
  int64_t p = t, idx = found - s;
  while (p < c->a_next) {
    while (idx < c->n && s[idx] + c->a < p) ++idx;
    if (idx < c->n && s[idx] + c->a == p) {
      c->keep_from = idx;
      st->fallback_values += static_cast<int64_t>(c->fallback.size());
      return c->end;
    }
    c->fallback_starts.push_back(p);
    c->fallback.push_back(tf(ziggurat_normal(ws)));
    p = t + ws.consumed();
  }
  c->keep_from = c->n;
  st->fallback_values += static_cast<int64_t>(c->fallback.size());
  return p;
}

template <class T, class F>
void sequential_stream(const Pcg64& start, int64_t count, T* out, F tf, NormalStreamStats* st) {
  WordBlock ws(start);
  for (int64_t i = 0; i < count; ++i) out[i] = tf(ziggurat_normal(ws));
  st->words = ws.consumed();
}

template <class T, class F>
void run_stream(const Pcg64& start, int64_t count, T* out, F tf, const NormalStreamOptions& opt,
                NormalStreamStats* stats_out) {
  NormalStreamStats st;
  if (count < 0) throw Error(kErrInvalidArgument, "count: must be >= 0");
  if (opt.chunk_words < 1 || opt.chunk_words > (int64_t{1} << 30))
    throw Error(kErrInvalidArgument, "chunk_words: must be in [1, 2^30]");
  if (opt.margin_words < 0) throw Error(kErrInvalidArgument, "margin_words: must be >= 0");
  const int threads = opt.threads <= 0 ? hardware_threads() : opt.threads;
  if (count == 0) {
  } else if (threads == 1 || count < opt.min_parallel) {
    sequential_stream(start, count, out, tf, &st);
  } else {
    // Several chunks per thread, taken dynamically (a thread that loses its core does not stall the round), and
    // rounds not too short when chunks are tiny (tests).
    const int64_t per_round = std::max<int64_t>(4 * threads, std::min<int64_t>(4096, (1 << 16) / opt.chunk_words));
    std::vector<Chunk<T>> chunks(static_cast<size_t>(per_round));
    int64_t produced = 0, a = 0, t = 0;  // t: where the exact sequence continues
    while (produced < count) {
      // Size the last round to what is left (about 1.0221 words per value, docs/rng.md §4).
      const int64_t left = count - produced;
      const int64_t want = (left + left / 32 + 64 + per_round - 1) / per_round;
      // At most 2^25 words in flight per round (bounds the buffers on many-core machines).
      const int64_t words = std::max<int64_t>(1, std::min({opt.chunk_words, want, (int64_t{1} << 25) / per_round}));
      for (auto& c : chunks) {
        c.a = a;
        c.a_next = a + words;
        a += words;
      }
      parallel_for_each(per_round, threads, [&](int64_t j) { decode_chunk(start, opt.margin_words, tf, &chunks[j]); });
      st.chunks += per_round;
      int64_t used = 0;
      for (auto& c : chunks) {
        t = stitch_chunk(start, t, tf, &c, &st);
        c.out_offset = produced;
        const int64_t nf = static_cast<int64_t>(c.fallback.size());
        produced += nf + (c.n - c.keep_from);
        ++used;
        if (produced >= count) {
          // Words consumed by exactly `count` values: the start word of value number `count`, if produced.
          const int64_t k = count - c.out_offset;  // index of that value within this chunk's stitched values
          if (k < nf) t = c.fallback_starts[k];
          else if (c.keep_from + (k - nf) < c.n) t = c.a + c.starts[c.keep_from + (k - nf)];
          break;
        }
      }
      parallel_for_each(used, threads, [&](int64_t j) {
        const Chunk<T>& c = chunks[j];
        int64_t o = c.out_offset;
        const int64_t nf = std::min<int64_t>(static_cast<int64_t>(c.fallback.size()), count - o);
        if (nf > 0) std::memcpy(out + o, c.fallback.data(), sizeof(T) * nf);
        o += std::max<int64_t>(nf, 0);
        const int64_t nk = std::min<int64_t>(c.n - c.keep_from, count - o);
        if (nk > 0) std::memcpy(out + o, c.vals.data() + c.keep_from, sizeof(T) * nk);
      });
    }
    st.words = t;
  }
  if (stats_out) *stats_out = st;
}

}  // namespace

void normals_f64(const Pcg64& start, int64_t count, double* out, const NormalStreamOptions& opt,
                 NormalStreamStats* stats) {
  run_stream(start, count, out, [](double z) { return z; }, opt, stats);
}

void normals_f32(const Pcg64& start, int64_t count, double loc, double scale, float* out,
                 const NormalStreamOptions& opt, NormalStreamStats* stats) {
  run_stream(start, count, out, [loc, scale](double z) { return static_cast<float>(z * scale + loc); }, opt, stats);
}

void normals_f16(const Pcg64& start, int64_t count, double loc, double scale, uint16_t* out,
                 const NormalStreamOptions& opt, NormalStreamStats* stats) {
  run_stream(
      start, count, out, [loc, scale](double z) { return float_to_half(static_cast<float>(z * scale + loc)); }, opt,
      stats);
}

void normals_f16_torch(const Pcg64& start, int64_t count, uint16_t* out) {
  NormalStreamStats st;
  sequential_stream(start, count, out, [](double z) { return double_to_half_torch(z); }, &st);
}

}  // namespace lgb
