#pragma once

// The actor kit's fan-out/gather: an actor sends n requests, collects the n answers or errors
// as they arrive, and continues once all are in.

#include <caf/error.hpp>
#include <caf/unit.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace seatgrab::actors {

/// What came back from n requests, each list in arrival order.
template <class T>
struct gathered {
  std::vector<T> results;         ///< the answers
  std::vector<size_t> answered;   ///< the request index of each answer
  std::vector<caf::error> errors; ///< the errors (a timeout is one too)
  std::vector<size_t> failed;     ///< the request index of each error
};

/// Collects the answers to n requests of reply type `T` (`caf::unit_t` for void replies) and
/// calls `done` once, when the last one is in. Shared by the callbacks of the requests.
template <class T>
class gather {
public:
  using done_fn = std::function<void(gathered<T>&)>;

  /// A gather of `n` requests; with none, `done` runs at once.
  static std::shared_ptr<gather> make(size_t n, done_fn done) {
    auto g = std::shared_ptr<gather>(new gather(n, std::move(done)));
    if (n == 0)
      g->done_(g->got_);
    return g;
  }

  /// Request `i` answered `x`.
  void answer(size_t i, T x) {
    got_.results.push_back(std::move(x));
    got_.answered.push_back(i);
    arrived();
  }

  /// Request `i` failed with `err`.
  void fail(size_t i, caf::error err) {
    got_.errors.push_back(std::move(err));
    got_.failed.push_back(i);
    arrived();
  }

  /// Routes the answer or error of response handle `h` (request `i`) here.
  template <class Handle>
  static void await(const std::shared_ptr<gather>& g, size_t i, Handle&& h) {
    auto on_error = [g, i](caf::error& err) { g->fail(i, std::move(err)); };
    if constexpr (std::is_same_v<T, caf::unit_t>)
      std::forward<Handle>(h).then([g, i]() { g->answer(i, caf::unit); }, on_error);
    else
      std::forward<Handle>(h).then([g, i](T& x) { g->answer(i, std::move(x)); }, on_error);
  }

private:
  gather(size_t n, done_fn done) : pending_(n), done_(std::move(done)) {}

  void arrived() {
    if (--pending_ == 0)
      done_(got_);
  }

  size_t pending_;
  done_fn done_;
  gathered<T> got_;
};

} // namespace seatgrab::actors
