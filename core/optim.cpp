// core/optim.cpp — Adam and the EMA update of core/optim.h; the arithmetic is in kernels/cpu/adam.cpp and its CUDA
// twins. CPU parameters are updated one tensor at a time; CUDA parameters all together by the fused multi-tensor
// kernel (one launch per 48 tensors, bit-identical to the per-tensor step), since a model's many small tensors
// would otherwise cost one launch each. Its tensor list is rebuilt every step and passed as a kernel argument, not
// cached in device memory: gradients are fresh tensors after every zero_grad + backward (and Module::to moves
// parameters), so the addresses change from step to step; a cached table would need a host-to-device copy per step
// anyway, where the kernel argument needs none.
// Tests: layerseg_tests --gtest_filter='Adam*:CudaTrainStep*'
#include "core/optim.h"

#include <cmath>
#include <map>

#include "core/dispatch.h"
#include "kernels/cpu/adam.h"
#include "kernels/error.h"
#ifdef LAYERSEG_WITH_CUDA
#include "kernels/cuda/adam.h"
#include "kernels/cuda/nvtx.h"
#endif

namespace ls {

// A float holds every integer up to 2^24 exactly; beyond that the saved step count would round.
static constexpr int64_t kMaxExactStep = int64_t(1) << 24;

Adam::Adam(const NamedTensors& params, AdamOptions opt) : opt_(opt) {
  std::map<std::string, int> seen;
  for (const auto& [name, p] : params) {
    LS_CHECK(p.defined(), "Adam: parameter '{}' is undefined", name);
    LS_CHECK(seen[name]++ == 0, "Adam: duplicate parameter name '{}'", name);
    slots_.push_back({name, p, Tensor::zeros(p.shape(), p.device()), Tensor::zeros(p.shape(), p.device())});
  }
}

// Every CUDA parameter of one step in one fused update: up to 48 tensors per launch (kernels/cuda/adam.h).
struct AdamTensors {
  Tensor param, grad, exp_avg, exp_avg_sq;
};
static void fused_cuda_update(const std::vector<AdamTensors>& ts, const AdamOptions& o, float bias_c1, float bias_c2) {
#ifdef LAYERSEG_WITH_CUDA
  std::vector<cuda::AdamTensor> list;
  for (AdamTensors t : ts)  // a copy: data() of a non-const tensor is the writable pointer
    list.push_back({t.param.data(), t.grad.data(), t.exp_avg.data(), t.exp_avg_sq.data(), t.param.numel()});
  cuda::NvtxRange range("adam_update_multi");
  cuda::adam_update_multi(list.data(), int(list.size()), o.lr, o.beta1, o.beta2, o.eps, bias_c1, bias_c2,
                          o.weight_decay, cuda::stream());
#else
  (void)ts, (void)o, (void)bias_c1, (void)bias_c2;
  fail_no_cuda("adam_update_multi");  // not reached: without the backend no tensor is on CUDA
#endif
}

void Adam::step() {
  ++steps_;
  // Bias corrections in double, as PyTorch computes them in Python floats.
  const float bias_c1 = float(1.0 - std::pow(double(opt_.beta1), double(steps_)));
  const float bias_c2 = float(1.0 - std::pow(double(opt_.beta2), double(steps_)));
  std::vector<AdamTensors> on_cuda;
  for (Slot& s : slots_) {
    const Tensor g = s.param.grad();
    if (!g.defined()) continue;
    LS_CHECK(g.device() == s.param.device() && s.exp_avg.device() == s.param.device(),
             "Adam: parameter '{}' is on {}, its gradient on {} and its state on {} (move the module before building "
             "the optimizer)",
             s.name, device_name(s.param.device()), device_name(g.device()), device_name(s.exp_avg.device()));
    if (s.param.is_cuda())
      on_cuda.push_back({s.param, g, s.exp_avg, s.exp_avg_sq});
    else
      cpu::adam_update(s.param.data(), g.data(), s.exp_avg.data(), s.exp_avg_sq.data(), s.param.numel(), opt_.lr,
                       opt_.beta1, opt_.beta2, opt_.eps, bias_c1, bias_c2, opt_.weight_decay);
  }
  if (!on_cuda.empty()) fused_cuda_update(on_cuda, opt_, bias_c1, bias_c2);
}

void Adam::zero_grad() {
  for (Slot& s : slots_) s.param.zero_grad();
}

NamedTensors Adam::state() const {
  LS_CHECK(steps_ <= kMaxExactStep, "Adam: step count {} is beyond what the saved float step holds exactly", steps_);
  NamedTensors out;
  for (const Slot& s : slots_) {
    out.emplace_back(s.name + ".exp_avg", s.exp_avg);
    out.emplace_back(s.name + ".exp_avg_sq", s.exp_avg_sq);
  }
  out.emplace_back("step", Tensor::scalar(float(steps_)));
  return out;
}

void Adam::load_state(const NamedTensors& state) {
  std::map<std::string, Tensor> given(state.begin(), state.end());
  auto take = [&](const std::string& key, const Shape& shape) {
    auto it = given.find(key);
    LS_CHECK(it != given.end(), "Adam::load_state: missing '{}'", key);
    LS_CHECK(it->second.shape() == shape, "Adam::load_state: '{}' has shape {}, expected {}", key,
             shape_str(it->second.shape()), shape_str(shape));
    Tensor t = it->second;
    given.erase(it);
    return t;
  };
  // Check everything before copying anything, so a failed load leaves the optimizer as it was.
  std::vector<std::pair<Tensor, Tensor>> copies;  // (destination, source)
  for (Slot& s : slots_) {
    copies.emplace_back(s.exp_avg, take(s.name + ".exp_avg", s.param.shape()));
    copies.emplace_back(s.exp_avg_sq, take(s.name + ".exp_avg_sq", s.param.shape()));
  }
  const float step = take("step", {}).item();
  LS_CHECK(step >= 0 && step <= float(kMaxExactStep) && step == std::floor(step),
           "Adam::load_state: 'step' is {}, expected a non-negative integer", step);
  LS_CHECK(given.empty(), "Adam::load_state: unexpected key '{}' (state of a different model?)", given.begin()->first);
  for (auto& [dst, src] : copies) dst.copy_from(src);
  steps_ = int64_t(step);
}

void ema_update(const NamedTensors& ema, const NamedTensors& params, float decay) {
  LS_CHECK(ema.size() == params.size(), "ema_update: {} EMA tensors for {} parameters", ema.size(), params.size());
  for (size_t i = 0; i < ema.size(); ++i) {
    LS_CHECK(ema[i].first == params[i].first, "ema_update: EMA tensor '{}' paired with parameter '{}'", ema[i].first,
             params[i].first);
    check_same_shape("ema_update", ema[i].second, params[i].second);
    check_same_device("ema_update", ema[i].second, params[i].second);
    Tensor e = ema[i].second;
    LS_DISPATCH(e.device(), ema_update, e.data(), params[i].second.data(), e.numel(), decay);
  }
}

}  // namespace ls
