// tests/fuzz/checkpoint.cpp — libFuzzer target for the safetensors checkpoint reader (core/checkpoint.h).
// Any input must either load or throw ls::Error; anything else (a sanitizer report, another exception, a hang, an
// allocation past the limit) is a crash. A checkpoint that loads must hold what its header promises.
//   bash tools/fuzz.sh checkpoint 600        # corpus: tests/fuzz/corpus/checkpoint/
#include "core/checkpoint.h"

#include <cstdint>

#include "kernels/error.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = (ls::fuzz::scratch_dir() / "input.safetensors").string();
  ls::fuzz::write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  ls::Checkpoint ck;
  try {
    ck = ls::load_checkpoint(path);
  } catch (const ls::Error&) {
    return 0;
  }
  // The reader accepts a file only when its tensors tile the data section: their bytes add up to less than the file.
  size_t bytes = 0;
  for (const auto& [name, t] : ck.tensors) {
    if (!t.defined() || t.device() != ls::Device::CPU)
      ls::fuzz::property_failed("tensor '" + name + "' not on the CPU");
    bytes += size_t(t.numel()) * sizeof(float);
  }
  if (bytes + 8 > size) ls::fuzz::property_failed("tensors hold more bytes than the file");
  return 0;
}
