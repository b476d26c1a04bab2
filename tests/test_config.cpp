// tests/test_config.cpp — the run configuration (models/config.h): the shipped configs parse, errors name the key
// and list what is allowed, overrides apply, and the dumped TOML reads back to the same configuration.
//   build/layerseg_tests --gtest_filter='Config*'
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "kernels/error.h"
#include "models/config.h"
#include "tests/error_message.h"

namespace ls::models {
namespace {

TEST(Config, ShippedConfigsParse) {
  int parsed = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(LAYERSEG_SOURCE_DIR) + "/configs")) {
    if (e.path().extension() != ".toml") continue;
    EXPECT_NO_THROW(load_config(e.path().string())) << e.path();
    ++parsed;
  }
  EXPECT_GE(parsed, 5);
  const Config demo = load_config(std::string(LAYERSEG_SOURCE_DIR) + "/configs/demo.toml");
  EXPECT_EQ(demo.data.source, "shapes");
  EXPECT_EQ(demo.data.size, 32);
  EXPECT_NE(demo.data.eval_seed, demo.data.shapes_seed);
  const Config horse = load_config(std::string(LAYERSEG_SOURCE_DIR) + "/configs/weizmann64.toml");
  EXPECT_EQ(horse.data.source, "folder");
  EXPECT_EQ(horse.data.size, 64);
  const Config horse_cpu = load_config(std::string(LAYERSEG_SOURCE_DIR) + "/configs/weizmann32_cpu.toml");
  EXPECT_EQ(horse_cpu.data.effective_eval_size(), 64);  // scored on the same S = 64 protocol as weizmann64
}

TEST(Config, UnknownKeyListsTheSectionsKeys) {
  const std::string e = test::error_message([] { parse_config("[train]\ngan_step = 3\n", "t.toml"); });
  EXPECT_NE(e.find("unknown key 'train.gan_step'"), std::string::npos) << e;
  EXPECT_NE(e.find("gan_steps"), std::string::npos) << e;
  EXPECT_NE(e.find("t.toml"), std::string::npos) << e;
}

TEST(Config, UnknownSectionListsTheSections) {
  const std::string e = test::error_message([] { parse_config("[trian]\nseed = 3\n", "t.toml"); });
  EXPECT_NE(e.find("unknown section [trian]"), std::string::npos) << e;
  EXPECT_NE(e.find("train"), std::string::npos) << e;
  EXPECT_NE(e.find("model"), std::string::npos) << e;
}

TEST(Config, InvalidValuesSayWhatIsAllowed) {
  std::string e = test::error_message([] { parse_config("[model]\nc_kind = \"uniform\"\n", "t.toml"); });
  EXPECT_NE(e.find("categorical, normal"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[train]\nbatch = 0\n", "t.toml"); });
  EXPECT_NE(e.find("out of range [2, 4096]"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[train]\nbatch = \"big\"\n", "t.toml"); });
  EXPECT_NE(e.find("train.batch must be an integer"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[train]\nema = 1\n", "t.toml"); });
  EXPECT_NE(e.find("true or false"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[data]\nsize = 48\n", "t.toml"); });
  EXPECT_NE(e.find("power of two"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[data]\nshapes_seed = 5\neval_seed = 5\n", "t.toml"); });
  EXPECT_NE(e.find("eval_seed must differ"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[data]\nsource = \"folder\"\n", "t.toml"); });
  EXPECT_NE(e.find("needs data.root"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[data]\nsize = 32\n[model]\nbg_size = 64\n", "t.toml"); });
  EXPECT_NE(e.find("model.bg_size = 64 must be 0 or a power of two from 8 to data.size = 32"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[data]\nsize = 32\n[model]\nunet_input_size = 2\n", "t.toml"); });
  EXPECT_NE(e.find("model.unet_input_size = 2 must be 0 or a power of two from 4 to data.size = 32"), std::string::npos)
      << e;
  e = test::error_message(
      [] { parse_config("[data]\nsize = 32\n[model]\nbg_size = 32\nbg_detail_start = 100\n", "t.toml"); });
  EXPECT_NE(e.find("model.bg_detail_start = 100 needs a coarse background"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[train]\nd_augment = \"colour,blur\"\n", "t.toml"); });
  EXPECT_NE(e.find("train.d_augment = 'colour,blur': 'blur' is not allowed"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[loss]\nmin_coverage = 1.5\n", "t.toml"); });
  EXPECT_NE(e.find("loss.min_coverage"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range [0, 1]"), std::string::npos) << e;
  e = test::error_message([] { parse_config("[train\n", "t.toml"); });
  EXPECT_NE(e.find("TOML error at line 1"), std::string::npos) << e;
}

TEST(Config, OverridesApplyAndAreChecked) {
  const Config c = parse_config("[train]\nbatch = 16\n", "t.toml",
                                {"train.batch=8", "loss.gamma_mi=0", "data.source=folder", "data.root=/x",
                                 "model.c_kind=\"normal\"", "train.ema=false"});
  EXPECT_EQ(c.train.batch, 8);
  EXPECT_EQ(c.loss.gamma_mi, 0.f);  // an integer is accepted for a float key
  EXPECT_EQ(c.data.source, "folder");
  EXPECT_EQ(c.model.c_kind, "normal");
  EXPECT_FALSE(c.train.ema);
  std::string e = test::error_message([] { parse_config("", "t.toml", {"train.bacth=8"}); });
  EXPECT_NE(e.find("unknown key 'train.bacth'"), std::string::npos) << e;
  e = test::error_message([] { parse_config("", "t.toml", {"train.batch"}); });
  EXPECT_NE(e.find("section.key=value"), std::string::npos) << e;
  e = test::error_message([] { parse_config("", "t.toml", {"train.batch=eight"}); });
  EXPECT_NE(e.find("cannot parse value 'eight'"), std::string::npos) << e;
}

TEST(Config, DumpReadsBackIdentically) {
  Config c = parse_config("", "defaults", {"train.lr_g=3e-4", "data.root=a \"quoted\" path", "model.mask_bias=-1"});
  const std::string text = to_toml(c);
  const Config back = parse_config(text, "dump");
  EXPECT_EQ(to_toml(back), text);
  EXPECT_EQ(back.train.lr_g, 3e-4f);
  EXPECT_EQ(back.data.root, "a \"quoted\" path");
  EXPECT_EQ(back.model.mask_bias, -1.f);
}

// A string with control characters (a newline in a path) must be written escaped, or the run's config.toml does not
// parse on --resume; tests/fuzz/config.cpp checks this round trip on every input it makes.
TEST(Config, StringsWithControlCharactersReadBack) {
  Config c = parse_config("[data]\nroot = \"a\\nb\\u0001c\\u007f\\t\"\n", "control");
  ASSERT_EQ(c.data.root, "a\nb\001c\177\t");
  const Config back = parse_config(to_toml(c), "dump");
  EXPECT_EQ(back.data.root, c.data.root);
}

}  // namespace
}  // namespace ls::models
