// models/selection.h — which U-Net a run hands out, chosen without reading a real mask.
// At the end of every round the trainer draws a synthetic validation set from the synthesizing generator with a
// fixed noise (its own seed, never the training stream, so F never trains on these pairs), scores the round's F and
// the F selected so far on that same set, and keeps the better one in RUN/best.safetensors. Both are scored on the
// pairs of the *current* generator: the comparison is fair whatever the generator drifted to, and a generator whose
// masks have collapsed (near-empty or near-full, or not near-binary) cannot make a new F look good: while its masks
// are unhealthy the selection keeps the F it has.
//   score = IoU(F(x) > ½, π > ½) · (1 − F's mean probability on G_b's backgrounds alone)
// The second factor is a leakage check no mask is needed for: a background layer holds no object, so any response
// of F there is a false positive (an F that marks everything as foreground scores near 0, as does one that marks
// nothing, whose IoU is 0).
// Tested by tests/test_selection.cpp.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/tensor.h"
#include "models/config.h"
#include "models/gan.h"
#include "models/unet.h"

namespace ls::models {

inline const char* const kBestFile = "best.safetensors";  // F's tensors ("f." + names) and why it was chosen

// The generator's masks on the validation set, read without labels.
struct MaskHealth {
  double coverage = 0;         // mean of π
  double coverage_std = 0;     // spread of the per-sample coverage
  double binary_fraction = 0;  // pixels with π < 0.1 or > 0.9
  double foreground = 0;       // pixels with π > 0.5: the objects F would be taught
  std::string problem;         // empty when healthy, else what is wrong
  nlohmann::json to_json() const;
};

struct ValidationSet {
  Tensor images, masks, backgrounds;  // [n,3,S,S] composites, [n,1,S,S] π, [n,3,S,S] x_b
  MaskHealth health;
};
// n pairs from g with the fixed noise of cfg.train.seed (the same draws at every call).
ValidationSet synthetic_validation_set(Generator& g, const Config& cfg, int n, Device device);
MaskHealth mask_health(const Tensor& masks);  // [n,1,S,S] in [0,1]

struct SelectionScore {
  double iou = 0, bg_response = 0;
  double score() const { return iou * (1.0 - bg_response); }
  nlohmann::json to_json() const;
};
SelectionScore score_unet(UNet& f, const ValidationSet& v, int batch);

// The decision at the end of round `round` (1-based): take this round's F, or keep round `kept_round`'s (0 = none
// yet; `kept` is then ignored). The first F is always taken; later, the better score on this round's set wins (a tie
// goes to the newer F), unless the masks are unhealthy, when the kept one stays. `reason` says which and why.
struct Choice {
  bool take = false;
  std::string reason;
};
Choice choose_unet(int round, int kept_round, const MaskHealth& health, const SelectionScore& now,
                   const SelectionScore& kept);

}  // namespace ls::models
