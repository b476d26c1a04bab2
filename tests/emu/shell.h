// tests/emu/shell.h — runs a shell command for the emulated build's tests that drive whole programs (the test binary
// under another environment, tools/gpu_check.sh): its exit status and its stdout and stderr together.
#pragma once
#include <cstdio>
#include <string>

namespace ls::test {

struct Shell {
  int status;       // as pclose returns it: 0 for success
  std::string out;  // stdout and stderr, interleaved
};

inline Shell shell(const std::string& cmd) {
  Shell r{-1, ""};
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) r.out += buf;
  r.status = pclose(p);
  return r;
}

}  // namespace ls::test
