// tests/fuzz/config.cpp — libFuzzer target for the config parser (models/config.h): a TOML document, then any
// number of `--set` assignments, one per part after a "%%" line. Any input must either parse or throw ls::Error; a
// configuration that parses must survive to_toml and back unchanged, since that is how a run's config.toml is
// written and read again on --resume.
//   bash tools/fuzz.sh config 600            # corpus: tests/fuzz/corpus/config/
#include "models/config.h"

#include <cstdint>

#include "kernels/error.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts = ls::fuzz::split_parts(data, size);
  const std::string toml = parts.front();
  std::vector<std::string> overrides;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string& o = parts[i];
    if (!o.empty() && o.back() == '\n') o.pop_back();  // a command-line argument has no line end
    overrides.push_back(o);
  }
  ls::models::Config cfg;
  try {
    cfg = ls::models::parse_config(toml, "fuzz.toml", overrides);
  } catch (const ls::Error&) {
    return 0;
  }
  const std::string written = ls::models::to_toml(cfg);
  try {
    if (ls::models::to_toml(ls::models::parse_config(written, "written.toml")) != written)
      ls::fuzz::property_failed("to_toml does not read back to the same configuration:\n" + written);
  } catch (const ls::Error& e) {
    ls::fuzz::property_failed(std::string("to_toml wrote a file that does not parse: ") + e.what() + "\n" + written);
  }
  return 0;
}
