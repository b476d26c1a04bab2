// models/losses.h — the pieces of SPEC §2 that are more than one op: the private code c (sampling and its
// negative log-likelihood under an encoder's output, for both prior kinds), and the two U-Net terms.
//   Code c = sample_code(rng, 64, cfg.model, device);
//   Tensor l_mi = code_nll(critic.discriminate(x).e_x, c) + code_nll(critic.encode_mask(pi), c);
#pragma once
#include <cstdint>

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

// L_F: BCE of F's logits against the soft mask π (paper Eq. 7).
inline Tensor segmentation_loss(const Tensor& f_logit, const Tensor& pi) { return bce_with_logits(f_logit, pi); }

// L_bg = mean −log(1 − F(x_b)) (paper Eq. 8 with the sign fixed): BCE of F on the background against "background".
Tensor background_loss(const Tensor& f_logit_on_background);

}  // namespace ls::models
