// tests/op_cases_nn.cpp — op-table rows (tests/op_cases.h) for the neural-network ops of core/ops_nn.cpp:
// convolution, transposed convolution, linear, batch-norm, spectral normalisation, upsampling and pooling (2×2 and
// general k×k).
// Every row is gradient-checked by tests/test_gradcheck.cpp and compared CPU-vs-CUDA by the CUDA suite:
//   build/layerseg_tests --gtest_filter='GradCheck*'
// Inputs stay small (≤ ~500 elements) so the finite differences of all rows run in well under a second.
// Device tolerances: 1e-4 for GEMM-based ops (conv, linear: each output sums up to a few hundred FP32 products and
// cuBLAS/cuDNN sum in another order and with FMA; this assumes TF32 is off); 1e-4 for batch-norm and spectral norm
// (reductions in another order, then a division by a standard deviation or σ); 1e-6 for resampling (a handful of
// weighted terms per output, weights exact in binary) and for k×k pooling (the same sums in the same order).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/distributed.h"
#include "core/ops.h"
#include "tests/op_cases.h"

namespace ls::test {
namespace {

TensorList one(const Tensor& t) { return {t}; }

constexpr float kGemmTol = 1e-4f;      // sums of up to a few hundred FP32 products, in another order
constexpr float kNormTol = 1e-4f;      // a reduction in another order, then a division by its result
constexpr float kResampleTol = 1e-6f;  // ≤ 4 terms per output with exact weights (0.25, 0.75, 1)
constexpr float kPoolTol = 1e-6f;      // both devices add the same ≤ 9 terms in the same order (kernels/cuda/pool.cu)

// A case with default gradient-check settings and the device tolerance `tol` (absolute and relative).
OpCase make(const char* name, std::vector<Shape> shapes, std::function<TensorList(const TensorList&)> run, float tol) {
  OpCase c;
  c.name = name;
  c.input_shapes = std::move(shapes);
  c.run = std::move(run);
  c.device_atol = c.device_rtol = tol;
  return c;
}

// ---- convolution --------------------------------------------------------------------------------------------------
LS_OP_CASE(make(
    "conv2d/3x3_pad1_bias", {{2, 3, 5, 7}, {4, 3, 3, 3}, {4}},
    [](const TensorList& x) { return one(conv2d(x[0], x[1], x[2], 1, 1)); }, kGemmTol));
LS_OP_CASE(make(
    "conv2d/stride2_pad1_odd", {{3, 5, 7, 5}, {4, 5, 3, 3}, {4}},
    [](const TensorList& x) { return one(conv2d(x[0], x[1], x[2], 2, 1)); }, kGemmTol));
// The discriminator's 4×4 stride-2 downsampling, batch 1, no bias.
LS_OP_CASE(make(
    "conv2d/4x4_stride2_batch1_nobias", {{1, 2, 6, 7}, {3, 2, 4, 4}},
    [](const TensorList& x) { return one(conv2d(x[0], x[1], Tensor(), 2, 1)); }, kGemmTol));
// Several images share one GEMM when the output plane is small (kernels/cpu/conv.cpp); 1×1 kernel, no padding.
LS_OP_CASE(make(
    "conv2d/1x1_batched_small_planes", {{5, 3, 3, 3}, {2, 3, 1, 1}, {2}},
    [](const TensorList& x) { return one(conv2d(x[0], x[1], x[2])); }, kGemmTol));
// Separate row and column padding: Inception-v3's 1×7 and 3×1 kernels (models/inception.h).
LS_OP_CASE(make(
    "conv2d/1x7_pad0x3", {{2, 3, 4, 9}, {4, 3, 1, 7}, {4}},
    [](const TensorList& x) {
      return one(conv2d(x[0], x[1], x[2], 1, {0, 3}));
    },
    kGemmTol));
LS_OP_CASE(make(
    "conv2d/3x1_pad1x0_stride2", {{2, 3, 7, 4}, {2, 3, 3, 1}, {2}},
    [](const TensorList& x) {
      return one(conv2d(x[0], x[1], x[2], 2, {1, 0}));
    },
    kGemmTol));
// Stride 1 takes a flat path when the output is as wide as the input and a row-by-row one otherwise
// (kernels/cpu/conv.cpp): a valid 3×3 (narrower output) and a 5×3 with unequal padding (as wide, taller).
LS_OP_CASE(make(
    "conv2d/3x3_valid", {{2, 3, 6, 5}, {4, 3, 3, 3}, {4}},
    [](const TensorList& x) { return one(conv2d(x[0], x[1], x[2])); }, kGemmTol));
LS_OP_CASE(make(
    "conv2d/5x3_pad2x1", {{2, 2, 4, 6}, {3, 2, 5, 3}, {3}},
    [](const TensorList& x) {
      return one(conv2d(x[0], x[1], x[2], 1, {2, 1}));
    },
    kGemmTol));
LS_OP_CASE(make(
    "conv2d/groups2", {{2, 4, 5, 5}, {6, 2, 3, 3}, {6}},
    [](const TensorList& x) { return one(conv2d(x[0], x[1], x[2], 1, 1, 2)); }, kGemmTol));
LS_OP_CASE(make(
    "conv_transpose2d/stride2_pad1_outpad1", {{3, 3, 4, 3}, {3, 2, 3, 3}, {2}},
    [](const TensorList& x) { return one(conv_transpose2d(x[0], x[1], x[2], 2, 1, 1)); }, kGemmTol));
LS_OP_CASE(make(
    "conv_transpose2d/4x4_stride2_batch1_nobias", {{1, 2, 3, 4}, {2, 3, 4, 4}},
    [](const TensorList& x) { return one(conv_transpose2d(x[0], x[1], Tensor(), 2, 1)); }, kGemmTol));

// ---- linear -------------------------------------------------------------------------------------------------------
LS_OP_CASE(make(
    "linear/bias", {{3, 7}, {5, 7}, {5}}, [](const TensorList& x) { return one(linear(x[0], x[1], x[2])); }, kGemmTol));
LS_OP_CASE(make(
    "linear/nobias_batch1", {{1, 6}, {4, 6}}, [](const TensorList& x) { return one(linear(x[0], x[1], Tensor())); },
    kGemmTol));

// ---- batch-norm ---------------------------------------------------------------------------------------------------
// Fresh running buffers inside run: each finite-difference evaluation starts from the same state. The running
// statistics are not returned: they depend on x outside autograd, so a finite difference would see them.
// `synchronized`: the data-parallel path (core/distributed.h), forced in this one process, where its all-reduces are
// the identity: the batch-norm of a job's ranks, written with ops, checked like the fused kernel.
OpCase batch_norm_train_case(const char* name, Shape x_shape, bool synchronized = false) {
  const int64_t c = x_shape[1];
  return make(
      name, {x_shape, {c}, {c}},
      [c, synchronized](const TensorList& x) {
        const dist::SyncBatchNormScope sync(synchronized);
        Tensor rm = Tensor::zeros({c}, x[0].device()), rv = Tensor::full({c}, 1.f, x[0].device());
        return one(batch_norm2d(x[0], x[1], x[2], rm, rv, true));
      },
      kNormTol);
}
LS_OP_CASE(batch_norm_train_case("batch_norm2d/train", {3, 4, 3, 5}));
LS_OP_CASE(make(
    "batch_norm2d/eval", {{2, 3, 3, 3}, {3}, {3}},
    [](const TensorList& x) {
      Tensor rm = Tensor::from_vector({3}, {0.3f, -0.2f, 0.1f}, x[0].device());
      Tensor rv = Tensor::from_vector({3}, {0.5f, 2.f, 1.3f}, x[0].device());
      return one(batch_norm2d(x[0], x[1], x[2], rm, rv, false));
    },
    kNormTol));

// More than 256 values per channel (2·12·12 = 288): the CUDA statistics take the split-reduction path
// (kernels/cuda/segmented_sum.cuh), as in every real run.
LS_OP_CASE(batch_norm_train_case("batch_norm2d/train_split_reduction", {2, 2, 12, 12}));
LS_OP_CASE(batch_norm_train_case("batch_norm2d/train_synchronized", {3, 4, 3, 5}, true));

// ---- spectral normalisation ---------------------------------------------------------------------------------------
// update=false with a fixed unit u (input 1, not differentiated): the backward is then the exact gradient.
TensorList weight_and_unit_u(Rng& rng, const Shape& w_shape) {
  Tensor w = Tensor::uniform(w_shape, rng, -1.f, 1.f);
  std::vector<float> u(static_cast<size_t>(w_shape[0]));
  rng.fill_normal(u.data(), u.size());
  const float norm = std::sqrt(std::inner_product(u.begin(), u.end(), u.begin(), 0.f));
  for (float& a : u) a /= norm;
  return {w, Tensor::from_vector({w_shape[0]}, u)};
}
OpCase spectral_case(const char* name, Shape w_shape) {
  OpCase c = make(
      name, {w_shape, {w_shape[0]}},
      [](const TensorList& x) {
        Tensor u = x[1];
        return one(spectral_normalize(x[0], u, false));
      },
      kNormTol);
  c.differentiable = {true, false};
  c.make_inputs = [w_shape](Rng& rng) { return weight_and_unit_u(rng, w_shape); };
  return c;
}
LS_OP_CASE(spectral_case("spectral_normalize/conv_weight", {4, 3, 3, 3}));
LS_OP_CASE(spectral_case("spectral_normalize/linear_weight", {5, 7}));

// The power iteration as training runs it (update = true, n_iter steps from a random u). Its backward treats u, v as
// constants, which is exact where they are the converged singular vectors (σ = uᵀWv is stationary in u and v there):
// W has a planted top singular value 3 against ≤ 0.3 for the rest, so 6 steps converge to (0.1)^12. 300 rows or 300
// columns: the matrix-vector sums and norms take the CUDA split-reduction path.
OpCase power_iteration_case(const char* name, int64_t rows, int64_t cols) {
  OpCase c = make(
      name, {{rows, cols}, {rows}},
      [](const TensorList& x) {
        Tensor u = x[1].clone();  // updated in place: each evaluation starts from the same u
        return one(spectral_normalize(x[0], u, true, 6));
      },
      kNormTol);
  c.differentiable = {true, false};
  c.make_inputs = [rows, cols](Rng& rng) {
    std::vector<float> a(static_cast<size_t>(rows)), b(static_cast<size_t>(cols)), u(static_cast<size_t>(rows));
    std::vector<float> w(static_cast<size_t>(rows * cols));
    rng.fill_normal(a.data(), a.size());
    rng.fill_normal(b.data(), b.size());
    rng.fill_uniform(w.data(), w.size(), -1.f, 1.f);
    rng.fill_normal(u.data(), u.size());
    const auto unit = [](std::vector<float>& v) {
      const float n = std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.f));
      for (float& e : v) e /= n;
    };
    unit(a), unit(b), unit(u);
    // ‖noise‖₂ ≤ ‖noise‖_F = 0.3 keeps the gap: W = 3·abᵀ + noise.
    const float noise = 0.3f / std::sqrt(float(rows * cols) / 3.f);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        w[size_t(i * cols + j)] = 3.f * a[size_t(i)] * b[size_t(j)] + noise * w[size_t(i * cols + j)];
    return TensorList{Tensor::from_vector({rows, cols}, w), Tensor::from_vector({rows}, u)};
  };
  return c;
}
LS_OP_CASE(power_iteration_case("spectral_normalize/power_iteration_tall", 300, 2));
LS_OP_CASE(power_iteration_case("spectral_normalize/power_iteration_wide", 2, 300));

// ---- resampling ---------------------------------------------------------------------------------------------------
LS_OP_CASE(make(
    "upsample_nearest2x/odd", {{2, 3, 3, 5}}, [](const TensorList& x) { return one(upsample_nearest2x(x[0])); },
    kResampleTol));
LS_OP_CASE(make(
    "upsample_bilinear2x/odd", {{2, 3, 3, 5}}, [](const TensorList& x) { return one(upsample_bilinear2x(x[0])); },
    kResampleTol));
LS_OP_CASE(make(
    "upsample_bilinear2x/one_pixel_rows", {{1, 2, 1, 4}},
    [](const TensorList& x) { return one(upsample_bilinear2x(x[0])); }, kResampleTol));
LS_OP_CASE(make(
    "avg_pool2d/2x2_odd_floor", {{2, 3, 5, 7}}, [](const TensorList& x) { return one(avg_pool2d(x[0], 2, 2)); },
    kPoolTol));
// Distinct values 0.05 apart (> 2·fd_step): a finite difference never changes which element is a window's max.
OpCase distinct_values_case(const char* name, const Shape& shape, std::function<TensorList(const TensorList&)> run,
                            float tol) {
  OpCase c = make(name, {shape}, std::move(run), tol);
  c.make_inputs = [shape](Rng& rng) {
    std::vector<float> v(size_t(shape_numel(shape)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = 0.05f * float(i) - 4.f;
    for (size_t i = v.size() - 1; i > 0; --i) std::swap(v[i], v[size_t(rng.randint(int(i + 1)))]);  // Fisher-Yates
    return TensorList{Tensor::from_vector(shape, v)};
  };
  return c;
}
LS_OP_CASE(distinct_values_case(
    "max_pool2d/2x2_distinct_values_odd", {2, 3, 5, 6}, [](const TensorList& x) { return one(max_pool2d(x[0], 2, 2)); },
    kPoolTol));
// General pooling with Inception-v3's windows: 3×3 stride 2 (its downsampling), 3×3 stride 1 pad 1 (max in the
// last block, average excluding the padding in the others), and average including the padding. Overlapping
// windows make the backward sum several windows' gradients per input.
LS_OP_CASE(distinct_values_case(
    "max_pool2d/3x3_stride2_odd", {2, 2, 7, 9}, [](const TensorList& x) { return one(max_pool2d(x[0], 3, 2)); },
    kPoolTol));
LS_OP_CASE(distinct_values_case(
    "max_pool2d/3x3_stride1_pad1", {1, 3, 5, 6}, [](const TensorList& x) { return one(max_pool2d(x[0], 3, 1, 1)); },
    kPoolTol));
LS_OP_CASE(make(
    "avg_pool2d/3x3_stride1_pad1_exclude_pad", {{2, 3, 5, 6}},
    [](const TensorList& x) { return one(avg_pool2d(x[0], 3, 1, 1, false)); }, kPoolTol));
LS_OP_CASE(make(
    "avg_pool2d/3x3_stride2_pad1_include_pad", {{2, 2, 6, 7}},
    [](const TensorList& x) { return one(avg_pool2d(x[0], 3, 2, 1, true)); }, kPoolTol));

}  // namespace
}  // namespace ls::test
