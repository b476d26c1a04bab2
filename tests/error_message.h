// tests/error_message.h — the message of the ls::Error a callable throws, for tests that check what an error says.
#pragma once
#include <string>

#include "kernels/error.h"

namespace ls::test {

// "" when fn does not throw, so a substring expectation on the result fails.
template <class Fn>
std::string error_message(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace ls::test
