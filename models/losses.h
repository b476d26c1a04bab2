// models/losses.h — the pieces of SPEC §2 that are more than one op: the private code c (sampling and its
// negative log-likelihood under an encoder's output, for both prior kinds), and the two U-Net terms.
//   Code c = sample_code(rng, 64, cfg.model, device);
//   Tensor l_mi = code_nll(critic.discriminate(x).e_x, c) + code_nll(critic.encode_mask(pi), c);
#pragma once
#include <cstdint>
#include <string>

#include "core/ops.h"
#include "core/rng.h"
#include "models/config.h"

namespace ls::models {

struct Code {
  Tensor input;   // what G_f reads: one-hot [N,K] (categorical) or the sample [N,d] (normal)
  Tensor labels;  // categorical: class indices [N] as floats; undefined for normal codes
};

Code sample_code(Rng& rng, int64_t n, const ModelConfig& m, Device d);

// NLL(c | encoder output): softmax cross-entropy for a categorical code, ½‖c − μ‖² (unit variance) for a normal one.
Tensor code_nll(const Tensor& encoder_out, const Code& c);

// The adversarial losses by loss.adversarial: "hinge" (mean relu(1 − D(real)) + mean relu(1 + D(fake)); G: −mean
// D(fake)) or "logistic" (StyleGAN2's: mean softplus(−D(real)) + mean softplus(D(fake)); G: mean softplus(−D(fake))).
Tensor adversarial_d_loss(const Tensor& real_logits, const Tensor& fake_logits, const std::string& kind);
Tensor adversarial_g_loss(const Tensor& fake_logits, const std::string& kind);

// L_F: BCE of F's logits against the soft mask π (paper Eq. 7).
inline Tensor segmentation_loss(const Tensor& f_logit, const Tensor& pi) { return bce_with_logits(f_logit, pi); }

// L_bg = mean −log(1 − F(x_b)) (paper Eq. 8 with the sign fixed): BCE of F on the background against "background".
Tensor background_loss(const Tensor& f_logit_on_background);

// Two terms from outside the paper, both off by default, against the split where G_b draws the object and π keeps
// only a code-carrying speck (docs/RESULTS.md).
// L_size = mean_i max(0, η − mean_hw π_i): PerturbGAN's (Bielski & Favaro 2019) minimum mask size, per sample.
Tensor mask_size_loss(const Tensor& pi, float min_coverage);

// L_ils: ILSGAN's (Zou et al. 2023) layer independence, the CLUB upper bound on I(x_b·π; x_f·π) + I(x_f·(1−π);
// x_b·(1−π)) with a fixed Laplace model: for each pair (a, b), −mean|a_i − b_i| + mean|a_{i+1} − b_i|. The
// mismatched pairs come from rolling the batch by one, so no sample is paired with itself. Needs a batch of ≥ 2.
Tensor layer_independence_loss(const Tensor& x_b, const Tensor& x_f, const Tensor& pi);

}  // namespace ls::models
