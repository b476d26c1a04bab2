// tests/fuzz/fuzz_input.h — what the libFuzzer targets of tests/fuzz share: the readers under test take paths, so
// each input is written to a scratch file (on tmpfs where there is one, since a long run writes millions of them),
// and inputs that hold several files are split at separator lines.
// Built only with -DLAYERSEG_FUZZ=ON; run through tools/fuzz.sh.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace ls::fuzz {

// A folder of this process's own, removed at exit: each of tools/fuzz.sh's fuzzer processes gets a fresh one.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    std::filesystem::path d = base / ("layerseg-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    std::atexit([] { std::filesystem::remove_all(scratch_dir()); });
    return d;
  }();
  return dir;
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out.good()) {
    std::perror(path.c_str());
    std::abort();  // the harness, not the reader, failed: stop rather than fuzz nothing
  }
}

// The parts of an input that holds several files, separated by lines "%%" (the corpus files show the layout).
inline std::vector<std::string> split_parts(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size), sep = "\n%%\n";
  std::vector<std::string> parts;
  size_t at = 0;
  for (size_t next; (next = in.find(sep, at)) != std::string_view::npos; at = next + sep.size())
    parts.emplace_back(in.substr(at, next - at + 1));  // keeps the part's last newline
  parts.emplace_back(in.substr(at));
  return parts;
}

// A property the target checks failed on an input the reader accepted: report it as a crash with the reason.
[[noreturn]] inline void property_failed(const std::string& what) {
  std::fprintf(stderr, "fuzz property failed: %s\n", what.c_str());
  std::abort();
}

}  // namespace ls::fuzz
