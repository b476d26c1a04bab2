// kernels/error.h — the one exception type and the check macros every layer uses, on the lowest floor (kernels/) so
// that every layer, the kernels included, can include it.
// LS_CHECK(cond, fmt, args...) throws ls::Error("file:line: message") when cond is false, so a user sees both what
// went wrong and where it was detected.
#pragma once
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <string>

namespace ls {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail_at(const char* file, int line, const std::string& msg) {
  throw Error(fmt::format("{}:{}: {}", file, line, msg));
}

}  // namespace ls

#define LS_FAIL(...) ::ls::fail_at(__FILE__, __LINE__, fmt::format(__VA_ARGS__))
#define LS_CHECK(cond, ...)            \
  do {                                 \
    if (!(cond)) LS_FAIL(__VA_ARGS__); \
  } while (0)
