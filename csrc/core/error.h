// Errors: what a user did wrong (ember::Error subclasses, translated by the bindings into
// ValueError/TypeError/IndexError/RuntimeError/OutOfMemoryError) kept apart from broken invariants
// inside ember (EMBER_INTERNAL_ASSERT, which names the file and line).
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace ember {

enum class ErrorKind { Runtime, Value, Type, Index, Memory, NotImplemented };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
}  // namespace detail

// Throws an ember::Error of `kind` whose message is the streamed arguments.
template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, Args&&... args) {
  throw Error(kind, detail::concat(std::forward<Args>(args)...));
}

}  // namespace ember

// A user-facing check: EMBER_CHECK(cond, Value, "[op] message ", value, ...).
#define EMBER_CHECK(cond, kind, ...)                                  \
  do {                                                                \
    if (!(cond)) ::ember::fail(::ember::ErrorKind::kind, __VA_ARGS__); \
  } while (0)

// An invariant of ember itself; failing it is a bug in ember, not in the caller's code.
#define EMBER_INTERNAL_ASSERT(cond, ...)                                                  \
  do {                                                                                    \
    if (!(cond))                                                                          \
      ::ember::fail(::ember::ErrorKind::Runtime, "internal error in ember at ", __FILE__, \
                    ":", __LINE__, ": ", #cond, " ", ##__VA_ARGS__);                      \
  } while (0)
