// kernels/cpu/conv.cpp — the convolution kernels of kernels/cpu/conv.h: im2col + OpenBLAS GEMM.
// Layout: for one image and one group, im2col writes col [Cg·R·S, P·Q] (row (c·R + r)·S + s, column p·Q + q), so the
// three passes are plain row-major GEMMs with no transposed copies:
//   forward          y_g  [Kg, PQ]     = w_g [Kg, CgRS] · col [CgRS, PQ]
//   backward-data    dcol [CgRS, PQ]   = w_gᵀ · dy_g [Kg, PQ],   then col2im (the adjoint of im2col) into dx
//   backward-weight  dw_g [Kg, CgRS]  += dy_g · colᵀ
// Small images make thin GEMMs, so `nb` images share one GEMM: their col blocks sit side by side ([CgRS, nb·PQ]) and
// y/dy are packed into / unpacked from the matching [Kg, nb·PQ] layout (a copy that is cheap next to the GEMM).
// Threads: each (image batch, group) is one task on the pool (kernels/parallel.h) with its own scratch; a layer with
// one batch (small planes) splits its GEMM instead (kernels/cpu/gemm.cpp). The weight gradient keeps one partial dw per
// batch and adds them in batch order, so no result depends on the thread count.
#include "kernels/cpu/conv.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/parallel.h"

namespace ls::cpu {
namespace {

// GEMMs narrower than this many columns run well below OpenBLAS's peak; batch images until they reach it.
constexpr int kMinGemmColumns = 1024;
// Output rows shorter than this are moved through a table of tap offsets rather than row by row.
constexpr int kShortRow = 16;

struct Geometry {
  int N, C, H, W, K, R, S, stride, pad_h, pad_w, groups;
  int P, Q, Cg, Kg, CRS, PQ, nb, batches, tasks;  // derived: batches of nb images, tasks = batches × groups
  // Planes narrower than kShortRow: where tap (r, s) of output (p, q) reads within its channel, −1 for padding, in
  // (r, s, p, q) order (see im2col_transfer).
  std::vector<int32_t> taps;
  Geometry(int N_, int C_, int H_, int W_, int K_, int R_, int S_, int stride_, int ph, int pw, int groups_)
      : N(N_), C(C_), H(H_), W(W_), K(K_), R(R_), S(S_), stride(stride_), pad_h(ph), pad_w(pw), groups(groups_) {
    P = (H + 2 * pad_h - R) / stride + 1;
    Q = (W + 2 * pad_w - S) / stride + 1;
    Cg = C / groups;
    Kg = K / groups;
    CRS = Cg * R * S;
    PQ = P * Q;
    nb = std::max(1, std::min(N, (kMinGemmColumns + PQ - 1) / PQ));
    batches = (N + nb - 1) / nb;
    tasks = batches * groups;
    if (Q < kShortRow) {
      taps.resize(size_t(R) * S * PQ);
      for (int r = 0, i = 0; r < R; ++r)
        for (int s = 0; s < S; ++s)
          for (int p = 0; p < P; ++p)
            for (int q = 0; q < Q; ++q, ++i) {
              const int y = p * stride - pad_h + r, x = q * stride - pad_w + s;
              taps[size_t(i)] = y >= 0 && y < H && x >= 0 && x < W ? y * W + x : -1;
            }
    }
  }
  // Several tasks share the pool, so each GEMM runs whole; a single task's GEMM splits over it (kernels/cpu/gemm.h).
  void gemm(bool trans_a, bool trans_b, int M, int N_, int K_, const float* A, int lda, const float* B, int ldb,
            float* C, int ldc) const {
    (tasks > 1 ? cpu::gemm_serial : cpu::gemm)(trans_a, trans_b, M, N_, K_, 1.f, A, lda, B, ldb, 0.f, C, ldc);
  }
  // Where image n's group grp starts in x, in y, and where group grp's filters start in w.
  int64_t in_offset(int n, int grp) const { return (int64_t(n) * C + int64_t(grp) * Cg) * H * W; }
  int64_t out_offset(int n, int grp) const { return (int64_t(n) * K + int64_t(grp) * Kg) * PQ; }
  int64_t w_offset(int grp) const { return int64_t(grp) * Kg * CRS; }
};

// Grow-only per-thread scratch: the col buffer and the packed y/dy block of one batch of images.
struct Scratch {
  float *col, *packed;
};
Scratch scratch(const Geometry& g) {
  thread_local std::vector<float> buf;
  const size_t cols = size_t(g.nb) * g.PQ, need = size_t(g.CRS) * cols + (g.nb > 1 ? size_t(g.Kg) * cols : 0);
  if (buf.size() < need) buf.resize(need);
  return {buf.data(), buf.data() + size_t(g.CRS) * cols};
}

// Outputs o whose input o·stride − pad + tap lies inside [0, in_size): [lo, hi). For rows (pad_h, tap r, H, P)
// and columns (pad_w, tap s, W, Q) alike.
void valid_range(int pad, int tap, int in_size, int out_size, int stride, int& lo, int& hi) {
  const int first = pad - tap, last = in_size - 1 + pad - tap;  // need first ≤ o·stride ≤ last
  lo = first > 0 ? (first + stride - 1) / stride : 0;
  hi = last < 0 ? 0 : std::min(out_size, last / stride + 1);
  lo = std::min(lo, hi);
}

// One row of taps, d[q] ↔ xrow[q·stride + shift] for q in [lo, hi): copied into d (kToCol) or added into xrow.
// Strides 1 and 2 (the critics' 4×4 stride-2 blocks) are their own instantiations (kStride): a runtime stride keeps
// the compiler from vectorising, and a stride-2 row is a de-interleave it can do with permutes. 0 = runtime stride.
template <bool kToCol, int kStride>
void transfer_row(std::conditional_t<kToCol, const float*, float*> xrow, float* d, int lo, int hi, int stride,
                  int shift) {
  const int step = kStride ? kStride : stride;
  for (int q = lo; q < hi; ++q) {
    if constexpr (kToCol)
      d[q] = xrow[q * step + shift];
    else
      xrow[q * step + shift] += d[q];
  }
}

// im2col (kToCol) and its adjoint col2im (!kToCol, accumulating into x) for one image's group of Cg channels.
// One function so the two can never disagree about which tap goes where. ldcol is col's row stride. col2im
// may clobber col: it zeroes taps that read padding (whose gradient is dropped) before adding.
template <bool kToCol>
void im2col_transfer(std::conditional_t<kToCol, const float*, float*> x, float* col, int64_t ldcol, const Geometry& g) {
  // Stride 1 with Q == W (the "same" convolutions that dominate the models): a tap's row of col is the channel
  // shifted by (r − pad_h)·W + (s − pad_w) as one flat block, moved as one long run instead of P short rows (at
  // 8×8 or 16×16 the per-row overhead outweighed the copying). The columns that wrap around a row's edge are
  // zeroed after the copy (im2col) or in col before the add (col2im). Either way each element of x gets the same sums
  // in the same order as row by row.
  // Short rows (the 4×4 and 8×8 outputs of deep layers): per row of a few floats, finding the valid range cost more
  // than the copy (forward of the critic's 192→384 block at 61 % of SGEMM). There one precomputed offset table serves
  // every channel and image; the order of the adds per element of x is the same (r, s, p, q) as below.
  if (!g.taps.empty()) {
    const int RS = g.R * g.S;
    for (int c = 0; c < g.Cg; ++c) {
      const auto xc = x + int64_t(c) * g.H * g.W;
      for (int rs = 0; rs < RS; ++rs) {
        float* crow = col + (int64_t(c) * RS + rs) * ldcol;
        const int32_t* t = g.taps.data() + int64_t(rs) * g.PQ;
        for (int i = 0; i < g.PQ; ++i) {
          if constexpr (kToCol)
            crow[i] = t[i] >= 0 ? xc[t[i]] : 0.f;
          else if (t[i] >= 0)
            xc[t[i]] += crow[i];
        }
      }
    }
    return;
  }
  const bool flat = g.stride == 1 && g.Q == g.W;
  for (int c = 0; c < g.Cg; ++c)
    for (int r = 0; r < g.R; ++r)
      for (int s = 0; s < g.S; ++s) {
        int lo, hi, p_lo, p_hi;
        valid_range(g.pad_w, s, g.W, g.Q, g.stride, lo, hi);
        valid_range(g.pad_h, r, g.H, g.P, g.stride, p_lo, p_hi);
        float* crow = col + ((int64_t(c) * g.R + r) * g.S + s) * ldcol;
        const auto xc = x + int64_t(c) * g.H * g.W;
        const int shift = s - g.pad_w;  // output column q reads input column q·stride + shift
        // Zeroes the taps that read the left/right padding, in the rows that read x.
        const auto zero_padding_columns = [&] {
          for (int p = p_lo; p < p_hi; ++p) {
            std::fill(crow + int64_t(p) * g.Q, crow + int64_t(p) * g.Q + lo, 0.f);
            std::fill(crow + int64_t(p) * g.Q + hi, crow + int64_t(p + 1) * g.Q, 0.f);
          }
        };
        if (flat) {
          // col[i] ↔ x[i + offset]; the ends that would fall outside the channel are padding columns.
          const int64_t offset = int64_t(r - g.pad_h) * g.W + shift;
          const int64_t from = std::max(int64_t(p_lo) * g.Q, -offset);
          const int64_t to = std::min(int64_t(p_hi) * g.Q, int64_t(g.H) * g.W - offset);
          if constexpr (kToCol) {
            if (to > from) std::copy(xc + from + offset, xc + to + offset, crow + from);
          } else {
            zero_padding_columns();  // they hold wrapped-around neighbours' positions in the block add
            for (int64_t i = from; i < to; ++i) xc[i + offset] += crow[i];
          }
        } else {
          for (int p = p_lo; p < p_hi; ++p) {
            float* d = crow + int64_t(p) * g.Q;
            const auto xrow = xc + int64_t(p * g.stride - g.pad_h + r) * g.W;
            if (g.stride == 1)
              transfer_row<kToCol, 1>(xrow, d, lo, hi, 1, shift);
            else if (g.stride == 2)
              transfer_row<kToCol, 2>(xrow, d, lo, hi, 2, shift);
            else
              transfer_row<kToCol, 0>(xrow, d, lo, hi, g.stride, shift);
          }
        }
        if constexpr (kToCol) {  // after the copy: the flat one writes across the padding columns
          zero_padding_columns();
          std::fill(crow, crow + int64_t(p_lo) * g.Q, 0.f);  // rows that read only padding
          std::fill(crow + int64_t(p_hi) * g.Q, crow + g.PQ, 0.f);
        }
      }
}

// Calls f(j) for the images j of one batch of nb: over the pool when the convolution is a single task (the small
// planes of deep layers, where one batch holds every image), one after another inside a task. Each image's copies
// touch only its own rows, so the order cannot change a result.
template <class F>
void for_each_image(int nb, F f) {
  parallel_for(nb, 1, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) f(int(j));
  });
}

// Moves group `grp` of images [n, n + nb) from y-layout [N, K, PQ] into the packed GEMM layout [Kg, nb·PQ] (kPack),
// or back (!kPack).
template <bool kPack>
void repack(std::conditional_t<kPack, const float*, float*> y, std::conditional_t<kPack, float*, const float*> packed,
            int n, int nb, int grp, const Geometry& g) {
  for_each_image(nb, [&](int j) {
    for (int k = 0; k < g.Kg; ++k) {
      auto in_y = y + g.out_offset(n + j, grp) + int64_t(k) * g.PQ;
      auto in_packed = packed + (int64_t(k) * nb + j) * g.PQ;
      if constexpr (kPack)
        std::memcpy(in_packed, in_y, sizeof(float) * size_t(g.PQ));
      else
        std::memcpy(in_y, in_packed, sizeof(float) * size_t(g.PQ));
    }
  });
}

// Calls f(n, nb, grp) for each batch [n, n + nb) of images (the last may be shorter) and each group, as one task each
// on the thread pool. The tasks depend only on the geometry, and each writes its own outputs, so the result is the
// same at any thread count; each task takes its scratch buffers from the thread that runs it.
template <class F>
void for_each_batch(const Geometry& g, F f) {
  parallel_for(g.tasks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int n = int(task / g.groups) * g.nb, grp = int(task % g.groups);
      f(n, std::min(g.nb, g.N - n), grp);
    }
  });
}

}  // namespace

void conv2d_forward(const float* x, const float* w, float* y, int N, int C, int H, int W, int K, int R, int S,
                    int stride, int pad_h, int pad_w, int groups) {
  const Geometry g(N, C, H, W, K, R, S, stride, pad_h, pad_w, groups);
  for_each_batch(g, [&](int n, int nb, int grp) {
    const Scratch sc = scratch(g);
    const int64_t cols = int64_t(nb) * g.PQ;
    for_each_image(nb, [&](int j) { im2col_transfer<true>(x + g.in_offset(n + j, grp), sc.col + j * g.PQ, cols, g); });
    // One image writes straight into y; a batch goes through the packed block.
    float* out = nb == 1 ? y + g.out_offset(n, grp) : sc.packed;
    g.gemm(false, false, g.Kg, int(cols), g.CRS, w + g.w_offset(grp), g.CRS, sc.col, int(cols), out, int(cols));
    if (nb > 1) repack<false>(y, sc.packed, n, nb, grp, g);
  });
}

void conv2d_backward_data(const float* dy, const float* w, float* dx, int N, int C, int H, int W, int K, int R, int S,
                          int stride, int pad_h, int pad_w, int groups) {
  const Geometry g(N, C, H, W, K, R, S, stride, pad_h, pad_w, groups);
  for_each_batch(g, [&](int n, int nb, int grp) {
    const Scratch sc = scratch(g);
    const int64_t cols = int64_t(nb) * g.PQ;
    const float* dyb = nb == 1 ? dy + g.out_offset(n, grp) : sc.packed;
    if (nb > 1) repack<true>(dy, sc.packed, n, nb, grp, g);
    g.gemm(true, false, g.CRS, int(cols), g.Kg, w + g.w_offset(grp), g.CRS, dyb, int(cols), sc.col, int(cols));
    for_each_image(nb, [&](int j) {
      float* dx_image = dx + g.in_offset(n + j, grp);  // this task's images and group: no other task touches it
      std::fill(dx_image, dx_image + int64_t(g.Cg) * g.H * g.W, 0.f);
      im2col_transfer<false>(dx_image, sc.col + j * g.PQ, cols, g);
    });
  });
}

void conv2d_backward_weight(const float* x, const float* dy, float* dw, int N, int C, int H, int W, int K, int R, int S,
                            int stride, int pad_h, int pad_w, int groups) {
  const Geometry g(N, C, H, W, K, R, S, stride, pad_h, pad_w, groups);
  // Each batch of images adds its own term; with several batches every one writes a partial dw, and the partials are
  // summed in batch order afterwards, so the sum's order does not depend on which thread ran which batch.
  const int64_t wsize = int64_t(g.K) * g.CRS;  // all groups' filters
  thread_local std::vector<float> partial_buffer;
  if (g.batches > 1 && partial_buffer.size() < size_t(g.batches) * size_t(wsize))
    partial_buffer.resize(size_t(g.batches) * size_t(wsize));
  float* partials = partial_buffer.data();
  for_each_batch(g, [&](int n, int nb, int grp) {
    const Scratch sc = scratch(g);
    const int64_t cols = int64_t(nb) * g.PQ;
    for_each_image(nb, [&](int j) { im2col_transfer<true>(x + g.in_offset(n + j, grp), sc.col + j * g.PQ, cols, g); });
    const float* dyb = nb == 1 ? dy + g.out_offset(n, grp) : sc.packed;
    if (nb > 1) repack<true>(dy, sc.packed, n, nb, grp, g);
    float* out = (g.batches > 1 ? partials + int64_t(n / g.nb) * wsize : dw) + g.w_offset(grp);
    g.gemm(false, true, g.Kg, g.CRS, int(cols), dyb, int(cols), sc.col, int(cols), out, g.CRS);
  });
  if (g.batches == 1) return;
  parallel_for(wsize, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float acc = partials[i];
      for (int b = 1; b < g.batches; ++b) acc += partials[int64_t(b) * wsize + i];
      dw[i] = acc;
    }
  });
}

}  // namespace ls::cpu
