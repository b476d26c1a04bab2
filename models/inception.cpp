// models/inception.cpp — the network of models/inception.h. The geometry of every BasicConv2d is written once, in
// the table built below (torchvision's Inception3 blocks, as pytorch-fid uses them); the forward looks each conv up by
// name, so the table and the forward cannot disagree about a kernel size or a padding.
#include "models/inception.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "core/autograd.h"
#include "core/checkpoint.h"
#include "core/ops.h"
#include "kernels/error.h"
#include "models/run.h"

namespace ls::models {

const char* const kFidWeightsHelp =
    "FID needs the pytorch-fid Inception-v3 weights, which are not on these machines: download "
    "pt_inception-2015-12-05-6726825d.pth (https://github.com/mseitzer/pytorch-fid/releases/download/"
    "fid_weights/pt_inception-2015-12-05-6726825d.pth) and convert it with "
    "`python3 tools/fid_weights.py pt_inception-2015-12-05-6726825d.pth pt_inception.safetensors` (docs/FID.md)";

namespace {

// Builds the conv table block by block, as torchvision's Inception3 (and pytorch-fid's FID blocks) declare them.
class TableBuilder {
 public:
  std::vector<InceptionConv> convs;

  void add(const std::string& name, int in, int out, int kh, int kw, int stride = 1, int pad_h = 0, int pad_w = 0) {
    convs.push_back({name, in, out, kh, kw, stride, pad_h, pad_w});
  }
  void stem() {
    add("Conv2d_1a_3x3", 3, 32, 3, 3, 2);
    add("Conv2d_2a_3x3", 32, 32, 3, 3);
    add("Conv2d_2b_3x3", 32, 64, 3, 3, 1, 1, 1);
    add("Conv2d_3b_1x1", 64, 80, 1, 1);
    add("Conv2d_4a_3x3", 80, 192, 3, 3);
  }
  void block_a(const std::string& p, int in, int pool_features) {
    add(p + ".branch1x1", in, 64, 1, 1);
    add(p + ".branch5x5_1", in, 48, 1, 1);
    add(p + ".branch5x5_2", 48, 64, 5, 5, 1, 2, 2);
    add(p + ".branch3x3dbl_1", in, 64, 1, 1);
    add(p + ".branch3x3dbl_2", 64, 96, 3, 3, 1, 1, 1);
    add(p + ".branch3x3dbl_3", 96, 96, 3, 3, 1, 1, 1);
    add(p + ".branch_pool", in, pool_features, 1, 1);
  }
  void block_b(const std::string& p, int in) {
    add(p + ".branch3x3", in, 384, 3, 3, 2);
    add(p + ".branch3x3dbl_1", in, 64, 1, 1);
    add(p + ".branch3x3dbl_2", 64, 96, 3, 3, 1, 1, 1);
    add(p + ".branch3x3dbl_3", 96, 96, 3, 3, 2);
  }
  void block_c(const std::string& p, int in, int c7) {
    add(p + ".branch1x1", in, 192, 1, 1);
    add(p + ".branch7x7_1", in, c7, 1, 1);
    add(p + ".branch7x7_2", c7, c7, 1, 7, 1, 0, 3);
    add(p + ".branch7x7_3", c7, 192, 7, 1, 1, 3, 0);
    add(p + ".branch7x7dbl_1", in, c7, 1, 1);
    add(p + ".branch7x7dbl_2", c7, c7, 7, 1, 1, 3, 0);
    add(p + ".branch7x7dbl_3", c7, c7, 1, 7, 1, 0, 3);
    add(p + ".branch7x7dbl_4", c7, c7, 7, 1, 1, 3, 0);
    add(p + ".branch7x7dbl_5", c7, 192, 1, 7, 1, 0, 3);
    add(p + ".branch_pool", in, 192, 1, 1);
  }
  void block_d(const std::string& p, int in) {
    add(p + ".branch3x3_1", in, 192, 1, 1);
    add(p + ".branch3x3_2", 192, 320, 3, 3, 2);
    add(p + ".branch7x7x3_1", in, 192, 1, 1);
    add(p + ".branch7x7x3_2", 192, 192, 1, 7, 1, 0, 3);
    add(p + ".branch7x7x3_3", 192, 192, 7, 1, 1, 3, 0);
    add(p + ".branch7x7x3_4", 192, 192, 3, 3, 2);
  }
  void block_e(const std::string& p, int in) {
    add(p + ".branch1x1", in, 320, 1, 1);
    add(p + ".branch3x3_1", in, 384, 1, 1);
    add(p + ".branch3x3_2a", 384, 384, 1, 3, 1, 0, 1);
    add(p + ".branch3x3_2b", 384, 384, 3, 1, 1, 1, 0);
    add(p + ".branch3x3dbl_1", in, 448, 1, 1);
    add(p + ".branch3x3dbl_2", 448, 384, 3, 3, 1, 1, 1);
    add(p + ".branch3x3dbl_3a", 384, 384, 1, 3, 1, 0, 1);
    add(p + ".branch3x3dbl_3b", 384, 384, 3, 1, 1, 1, 0);
    add(p + ".branch_pool", in, 192, 1, 1);
  }
};

std::vector<InceptionConv> build_table() {
  TableBuilder t;
  t.stem();
  t.block_a("Mixed_5b", 192, 32);
  t.block_a("Mixed_5c", 256, 64);
  t.block_a("Mixed_5d", 288, 64);
  t.block_b("Mixed_6a", 288);
  t.block_c("Mixed_6b", 768, 128);
  t.block_c("Mixed_6c", 768, 160);
  t.block_c("Mixed_6d", 768, 160);
  t.block_c("Mixed_6e", 768, 192);
  t.block_d("Mixed_7a", 768);
  t.block_e("Mixed_7b", 1280);
  t.block_e("Mixed_7c", 2048);
  return t.convs;
}

const char* const kBatchNormParts[] = {".bn.weight", ".bn.bias", ".bn.running_mean", ".bn.running_var"};

// The average pool of FIDInceptionA/C/E_1 (pytorch-fid's fix of the TF graph's pooling).
Tensor fid_avg_pool(const Tensor& x) { return avg_pool2d(x, 3, 1, 1, /*count_include_pad=*/false); }

}  // namespace

const std::vector<InceptionConv>& FidInception::convs() {
  static const std::vector<InceptionConv> table = build_table();
  return table;
}

std::vector<std::pair<std::string, Shape>> FidInception::expected_tensors() {
  std::vector<std::pair<std::string, Shape>> out;
  for (const InceptionConv& c : convs()) {
    out.emplace_back(c.name + ".conv.weight", Shape{c.out, c.in, c.kh, c.kw});
    for (const char* part : kBatchNormParts) out.emplace_back(c.name + part, Shape{c.out});
  }
  return out;
}

FidInception::FidInception(const std::map<std::string, Tensor>& state, const std::string& source, Device device)
    : device_(device) {
  // Every problem at once: a file of another network fails on its first tensor, but a damaged one may not.
  std::vector<std::string> problems;
  for (const auto& [name, shape] : expected_tensors()) {
    const auto it = state.find(name);
    if (it == state.end())
      problems.push_back(fmt::format("{} is missing (expected {})", name, shape_str(shape)));
    else if (it->second.shape() != shape)
      problems.push_back(fmt::format("{} is {}, expected {}", name, shape_str(it->second.shape()), shape_str(shape)));
  }
  if (!problems.empty()) {
    std::string list;
    for (size_t i = 0; i < problems.size() && i < 5; ++i) list += "\n  " + problems[i];
    if (problems.size() > 5) list += fmt::format("\n  ... and {} more", problems.size() - 5);
    LS_FAIL("{}: not the pytorch-fid Inception-v3 weights ({} of {} tensors wrong):{}\n{}", source, problems.size(),
            expected_tensors().size(), list, kFidWeightsHelp);
  }
  // Folding: bn(conv(x, w)) = conv(x, w·s) + (β − μ·s), s = γ / √(σ² + ε), per output channel.
  for (const InceptionConv& c : convs()) {
    const std::vector<float> gamma = state.at(c.name + ".bn.weight").to_vector(),
                             beta = state.at(c.name + ".bn.bias").to_vector(),
                             mean = state.at(c.name + ".bn.running_mean").to_vector(),
                             var = state.at(c.name + ".bn.running_var").to_vector();
    std::vector<float> w = state.at(c.name + ".conv.weight").to_vector(), b(size_t(c.out));
    const size_t per_out = w.size() / size_t(c.out);
    for (size_t o = 0; o < size_t(c.out); ++o) {
      LS_CHECK(var[o] >= 0.f, "{}: {}.bn.running_var[{}] is negative ({})", source, c.name, o, var[o]);
      const double s = double(gamma[o]) / std::sqrt(double(var[o]) + double(kBatchNormEps));
      for (size_t i = 0; i < per_out; ++i) w[o * per_out + i] = float(double(w[o * per_out + i]) * s);
      b[o] = float(double(beta[o]) - double(mean[o]) * s);
    }
    folded_[c.name] = {Tensor::from_vector({c.out, c.in, c.kh, c.kw}, w, device),
                       Tensor::from_vector({c.out}, b, device), &c};
  }
}

FidInception FidInception::load(const std::string& path, Device device) {
  LS_CHECK(!path.empty(), "{}", kFidWeightsHelp);
  LS_CHECK(std::filesystem::exists(path), "{} does not exist. {}", path, kFidWeightsHelp);
  return FidInception(load_checkpoint(path).tensors, path, device);
}

Tensor FidInception::conv(const std::string& name, const Tensor& x) const {
  const Folded& f = folded_.at(name);
  const InceptionConv& c = *f.spec;
  return relu(conv2d(x, f.w, f.b, c.stride, {c.pad_h, c.pad_w}));
}

Tensor FidInception::block_a(const std::string& p, const Tensor& x) const {
  const Tensor b1 = conv(p + ".branch1x1", x);
  const Tensor b5 = conv(p + ".branch5x5_2", conv(p + ".branch5x5_1", x));
  const Tensor b3 = conv(p + ".branch3x3dbl_3", conv(p + ".branch3x3dbl_2", conv(p + ".branch3x3dbl_1", x)));
  const Tensor bp = conv(p + ".branch_pool", fid_avg_pool(x));
  return concat({b1, b5, b3, bp}, 1);
}

Tensor FidInception::block_b(const std::string& p, const Tensor& x) const {
  const Tensor b3 = conv(p + ".branch3x3", x);
  const Tensor bd = conv(p + ".branch3x3dbl_3", conv(p + ".branch3x3dbl_2", conv(p + ".branch3x3dbl_1", x)));
  return concat({b3, bd, max_pool2d(x, 3, 2)}, 1);
}

Tensor FidInception::block_c(const std::string& p, const Tensor& x) const {
  const Tensor b1 = conv(p + ".branch1x1", x);
  const Tensor b7 = conv(p + ".branch7x7_3", conv(p + ".branch7x7_2", conv(p + ".branch7x7_1", x)));
  Tensor bd = x;
  for (const char* s : {"_1", "_2", "_3", "_4", "_5"}) bd = conv(p + ".branch7x7dbl" + s, bd);
  const Tensor bp = conv(p + ".branch_pool", fid_avg_pool(x));
  return concat({b1, b7, bd, bp}, 1);
}

Tensor FidInception::block_d(const std::string& p, const Tensor& x) const {
  const Tensor b3 = conv(p + ".branch3x3_2", conv(p + ".branch3x3_1", x));
  Tensor b7 = x;
  for (const char* s : {"_1", "_2", "_3", "_4"}) b7 = conv(p + ".branch7x7x3" + s, b7);
  return concat({b3, b7, max_pool2d(x, 3, 2)}, 1);
}

Tensor FidInception::block_e(const std::string& p, const Tensor& x, bool max_pool) const {
  const Tensor b1 = conv(p + ".branch1x1", x);
  const Tensor t = conv(p + ".branch3x3_1", x);
  const Tensor b3 = concat({conv(p + ".branch3x3_2a", t), conv(p + ".branch3x3_2b", t)}, 1);
  const Tensor d = conv(p + ".branch3x3dbl_2", conv(p + ".branch3x3dbl_1", x));
  const Tensor bd = concat({conv(p + ".branch3x3dbl_3a", d), conv(p + ".branch3x3dbl_3b", d)}, 1);
  const Tensor bp = conv(p + ".branch_pool", max_pool ? max_pool2d(x, 3, 1, 1) : fid_avg_pool(x));
  return concat({b1, b3, bd, bp}, 1);
}

Tensor FidInception::features(const Tensor& images) const {
  LS_CHECK(images.dim() == 4 && images.size(1) == 3, "FidInception::features: need images [N, 3, h, w], got {}",
           shape_str(images.shape()));
  autograd::NoGradGuard no_grad;
  Tensor x = resize_batch(images, kInputSize, kInputSize).to(device_);
  for (const char* name : {"Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3"}) x = conv(name, x);
  x = max_pool2d(x, 3, 2);
  x = conv("Conv2d_4a_3x3", conv("Conv2d_3b_1x1", x));
  x = max_pool2d(x, 3, 2);
  for (const char* name : {"Mixed_5b", "Mixed_5c", "Mixed_5d"}) x = block_a(name, x);
  x = block_b("Mixed_6a", x);
  for (const char* name : {"Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"}) x = block_c(name, x);
  x = block_d("Mixed_7a", x);
  x = block_e("Mixed_7b", x, false);
  x = block_e("Mixed_7c", x, true);
  return mean(x, {2, 3});
}

}  // namespace ls::models
