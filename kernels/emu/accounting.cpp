// kernels/emu/accounting.cpp — what the emulated device has run: every kernel compiled into the program (registered
// during static initialisation by kernels/emu/include/cuda_runtime.h), its launches, and the calls of the library and
// runtime entry points that do device work. With LAYERSEG_EMU_LAUNCH_LOG=DIR each process writes them to
// DIR/<pid>.log at exit (lines "kernel<TAB>launches<TAB>type" and "call<TAB>count<TAB>entry point"), which the
// coverage test (tests/emu/test_launch_coverage.cpp) reads after the whole emulated suite.
#include <cxxabi.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/emu/emulator.h"

namespace ls::emu {
namespace {

struct KernelEntry {
  std::string type;  // demangled function type: names the lambda and the launcher it was written in
  std::string name;  // for messages: the symbol when the program exports it, else the type
  uint64_t launches = 0;
};
struct Registry {
  std::mutex mu;
  std::vector<KernelEntry> kernels;
  std::map<std::string, uint64_t> calls;
};
Registry& registry() {
  static Registry* r = new Registry;  // used from static initialisers and atexit
  return *r;
}

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(mangled);
}

void write_launch_log() {
  const char* dir = std::getenv("LAYERSEG_EMU_LAUNCH_LOG");
  if (dir == nullptr || *dir == 0) return;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::string out;
  for (const KernelEntry& k : r.kernels) out += "kernel\t" + std::to_string(k.launches) + "\t" + k.type + "\n";
  for (const auto& [name, n] : r.calls) out += "call\t" + std::to_string(n) + "\t" + name + "\n";
  const std::string path = std::string(dir) + "/" + std::to_string(getpid()) + ".log";
  if (FILE* f = std::fopen(path.c_str(), "w")) {
    std::fwrite(out.data(), 1, out.size(), f);
    std::fclose(f);
  }
}

void log_at_exit() {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(write_launch_log); });
}

}  // namespace

int register_kernel(const char* mangled_type) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  KernelEntry k;
  k.type = demangle(mangled_type);
  k.name = k.type;
  r.kernels.push_back(std::move(k));
  return int(r.kernels.size()) - 1;
}

const std::string& count_launch(int kernel_id, const void* kernel) {
  log_at_exit();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  KernelEntry& k = r.kernels.at(size_t(kernel_id));
  if (k.launches++ == 0) {
    Dl_info info{};
    if (dladdr(kernel, &info) != 0 && info.dli_sname != nullptr && info.dli_saddr == kernel)
      k.name = demangle(info.dli_sname);
  }
  return k.name;  // entries are only appended during static initialisation, so the reference stays valid
}

void count_call(const char* entry_point) {
  log_at_exit();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  ++r.calls[entry_point];
}

}  // namespace ls::emu
