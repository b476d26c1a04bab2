// kernels/cpu/fir.cpp — the kernels of kernels/cpu/fir.h. Which taps meet which input (forward) or output (backward)
// row depends on the row alone, so each call first lists, per row and per column, the (tap, index) pairs that
// contribute, in increasing tap order; the loops over planes then only multiply and add (integer division by a runtime
// factor per tap made the forward 4× slower). Planes are split over the pool and share nothing, so the split cannot
// change a result; the order of the terms is the CUDA twin's.
#include "kernels/cpu/fir.h"

#include <cstdint>
#include <vector>

#include "kernels/parallel.h"

namespace ls::cpu {
namespace {

// For each of `outs` positions along one axis, the (tap, index) pairs that contribute to it, flattened.
struct TapLists {
  std::vector<int> first;  // outs + 1 offsets into tap/index
  std::vector<int> tap, index;
};

// Forward: output o reads upsampled position o·down + a − pad0, which is input (o·down + a − pad0)/up when up divides
// it and it lies inside [0, n·up).
TapLists forward_taps(int outs, int n, const FirSpec& f) {
  TapLists t;
  for (int o = 0; o < outs; ++o) {
    t.first.push_back(int(t.tap.size()));
    for (int a = 0; a < f.k; ++a) {
      const int i = o * f.down + a - f.pad0;
      if (i >= 0 && i < n * f.up && i % f.up == 0) t.tap.push_back(a), t.index.push_back(i / f.up);
    }
  }
  t.first.push_back(int(t.tap.size()));
  return t;
}

// Backward: input r gathers from the outputs o with o·down + a − pad0 = r·up, for each tap a.
TapLists backward_taps(int n, int outs, const FirSpec& f) {
  TapLists t;
  for (int r = 0; r < n; ++r) {
    t.first.push_back(int(t.tap.size()));
    for (int a = 0; a < f.k; ++a) {
      const int num = r * f.up + f.pad0 - a;
      if (num >= 0 && num % f.down == 0 && num / f.down < outs) t.tap.push_back(a), t.index.push_back(num / f.down);
    }
  }
  t.first.push_back(int(t.tap.size()));
  return t;
}

// dst[p][row][col] = gain · Σ_rows' pairs Σ_cols' pairs f[a]·f[b]·src[p][index_a][index_b], for every plane p.
void apply(const float* src, float* dst, int NC, int src_rows, int src_cols, const TapLists& rows, const TapLists& cols,
           const FirSpec& f) {
  const int R = int(rows.first.size()) - 1, C = int(cols.first.size()) - 1;
  parallel_for(NC, grain_for(int64_t(R) * C * 4, kElementGrain), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const float* plane = src + p * src_rows * src_cols;
      for (int o = 0; o < R; ++o)
        for (int q = 0; q < C; ++q) {
          float sum = 0.f;
          for (int u = rows.first[size_t(o)]; u < rows.first[size_t(o) + 1]; ++u) {
            const float fa = f.taps[rows.tap[size_t(u)]];
            const float* line = plane + int64_t(rows.index[size_t(u)]) * src_cols;
            for (int v = cols.first[size_t(q)]; v < cols.first[size_t(q) + 1]; ++v)
              sum += fa * f.taps[cols.tap[size_t(v)]] * line[cols.index[size_t(v)]];
          }
          dst[(p * R + o) * C + q] = f.gain * sum;
        }
    }
  });
}

}  // namespace

void upfirdn2d_forward(const float* x, float* y, int NC, int H, int W, FirSpec f) {
  const int P = f.out_size(H), Q = f.out_size(W);
  apply(x, y, NC, H, W, forward_taps(P, H, f), forward_taps(Q, W, f), f);
}

void upfirdn2d_backward(const float* dy, float* dx, int NC, int H, int W, FirSpec f) {
  const int P = f.out_size(H), Q = f.out_size(W);
  apply(dy, dx, NC, P, Q, backward_taps(H, P, f), backward_taps(W, Q, f), f);
}

}  // namespace ls::cpu
