// models/inception.h — the pytorch-fid Inception-v3 (its FID variant) as a forward-only network of the engine: the
// 2048-d pool3 features that FID and bg-FID compare (SPEC §6; the distance itself is data/fid.h).
// It matches pytorch_fid.inception.InceptionV3([3], resize_input=True, normalize_input=True) fed images in [0, 1],
// here given the same images in [-1, 1] (the engine's range, which is what pytorch-fid maps [0, 1] to):
//  - bilinear resize to 299×299 (align_corners=false; models::resize_batch);
//  - BasicConv2d = convolution without bias + eval batch-norm (eps 0.001) + ReLU; the batch-norm is folded into
//    the convolution's weight and bias when the weights are loaded;
//  - max-pool 3×3 stride 2 after Conv2d_2b and Conv2d_4a and in Mixed_6a/7a; FIDInceptionA/C/E_1 average-pool
//    3×3/1/1 excluding the padding, FIDInceptionE_2 (Mixed_7c) max-pools 3×3/1/1; branches concatenate in
//    pytorch-fid's order; a global average pool gives [N, 2048].
// The weights are pytorch-fid's pt_inception-2015-12-05-6726825d.pth, converted to safetensors by
// tools/fid_weights.py (docs/FID.md); they are not on these machines, so `load` says how to get them.
//   ls::models::FidInception net = ls::models::FidInception::load("pt_inception.safetensors", ls::Device::CPU);
//   ls::Tensor f = net.features(images);   // images [N, 3, h, w] in [-1, 1] -> [N, 2048]
// Tests: build/layerseg_tests --gtest_filter='Fid*' (wiring pinned by tests/golden/fid_inception_features.safetensors,
// written by tools/fid_golden.py from pytorch-fid's own module).
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ls::models {

// What to do when the weights are missing: where to get them and how to convert them.
extern const char* const kFidWeightsHelp;

// One BasicConv2d: its PyTorch module name (e.g. "Mixed_6b.branch7x7_2") and geometry.
struct InceptionConv {
  std::string name;
  int in, out, kh, kw, stride, pad_h, pad_w;
};

class FidInception {
 public:
  static constexpr int kFeatures = 2048, kInputSize = 299;
  static constexpr float kBatchNormEps = 1e-3f;

  // Every BasicConv2d in network order. Conv c reads PyTorch's tensors c.name + ".conv.weight" [out, in, kh, kw]
  // and c.name + ".bn.{weight,bias,running_mean,running_var}" [out].
  static const std::vector<InceptionConv>& convs();
  // Those tensor names with their shapes: what a weights file must hold (other tensors are ignored).
  static std::vector<std::pair<std::string, Shape>> expected_tensors();

  // From tensors under PyTorch's state_dict names; checks every name and shape (errors name `source`), folds the
  // batch-norms and places the network on `device`.
  FidInception(const std::map<std::string, Tensor>& state, const std::string& source, Device device = Device::CPU);
  // From a safetensors file written by tools/fid_weights.py; a missing file is an error saying how to make one.
  static FidInception load(const std::string& path, Device device = Device::CPU);

  // images [N, 3, h, w] in [-1, 1], any size and device -> pool3 features [N, 2048] on the network's device.
  Tensor features(const Tensor& images) const;
  Device device() const { return device_; }

 private:
  struct Folded {
    Tensor w, b;
    const InceptionConv* spec;
  };
  Tensor conv(const std::string& name, const Tensor& x) const;  // BasicConv2d `name`, batch-norm folded, + ReLU
  Tensor block_a(const std::string& p, const Tensor& x) const;  // FIDInceptionA
  Tensor block_b(const std::string& p, const Tensor& x) const;  // InceptionB
  Tensor block_c(const std::string& p, const Tensor& x) const;  // FIDInceptionC
  Tensor block_d(const std::string& p, const Tensor& x) const;  // InceptionD
  Tensor block_e(const std::string& p, const Tensor& x, bool max_pool) const;  // FIDInceptionE_1 (avg) / E_2 (max)
  std::map<std::string, Folded> folded_;
  Device device_;
};

}  // namespace ls::models
