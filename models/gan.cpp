// models/gan.cpp — the architecture switch of models/gan.h (model.arch): one line per family.
#include "models/gan.h"

#include "kernels/error.h"
#include "models/lite.h"
#include "models/stylegan2.h"

namespace ls::models {

void Generator::set_background_detail(float) {
  LS_FAIL("this architecture has no background detail branch (model.bg_detail_start)");
}

std::shared_ptr<Generator> make_generator(const ModelConfig& m, int size, Rng& rng) {
  if (m.arch == "lite") return std::make_shared<LiteGenerator>(m, size, rng);
  if (m.arch == "stylegan2") return std::make_shared<StyleGan2Generator>(m, size, rng);
  LS_FAIL("model.arch = '{}': no such architecture (available: lite, stylegan2)", m.arch);
}

std::shared_ptr<Critic> make_critic(const ModelConfig& m, int size, Rng& rng) {
  if (m.arch == "lite") return std::make_shared<LiteCritic>(m, size, rng);
  if (m.arch == "stylegan2") return std::make_shared<StyleGan2Critic>(m, size, rng);
  LS_FAIL("model.arch = '{}': no such architecture (available: lite, stylegan2)", m.arch);
}

}  // namespace ls::models
