#pragma once

// Method + path pattern matching: "/v1/events/{id}/seatmap" matches "/v1/events/gig/seatmap"
// with the parameter "gig"; a path that exists with other methods gets those for `Allow`.

#include "http/request.hpp"

#include <boost/beast/http/verb.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::http {

struct context;

/// A route's code: answers `c` (later, from any thread) with the edge's shared pieces.
using route_fn = void (*)(const std::shared_ptr<context>& ctx, const call& c);

/// Whether a route accepts an Idempotency-Key, and whose key it is.
enum class key_scope : uint8_t {
  none,    ///< no keys: the header is ignored
  account, ///< the caller is authenticated first; a key belongs to the caller's account
  address, ///< for anonymous callers (sign-up): a key belongs to the client address
};

/// One route as the route files declare it.
struct route_spec {
  boost::beast::http::verb method;
  /// "/v1/events/{id}": literal segments and `{name}` parameters.
  const char* pattern;
  route_fn fn;
  /// Whether the route accepts an Idempotency-Key, and scoped to what.
  key_scope keys = key_scope::none;
  /// With a key: whether a 2xx answer goes out before the edge's record of it is durable. Only
  /// for routes whose actor answers a retry with the key the same way by itself (holds: the
  /// session), so that a crash before the record costs nothing but the record.
  bool answer_first = false;
};

/// `route_spec::answer_first`, spelled out where routes are declared.
inline constexpr bool record_after_answer = true;

/// The routes of the API, matched in order.
class router {
public:
  /// What `match` found.
  struct result {
    /// The route, or nullptr.
    const route_spec* route = nullptr;
    /// Its path parameters in pattern order.
    std::vector<std::string> params;
    /// The query string as name -> value (no percent-decoding).
    std::map<std::string, std::string> query;
    /// Without a route: the methods the path allows, if any (for 405).
    std::vector<std::string> allowed;
  };

  /// Matches against `specs`, which must outlive the router.
  explicit router(const std::vector<route_spec>& specs);

  /// The route for `method` on `target` (path and query).
  result match(boost::beast::http::verb method, std::string_view target) const;

  /// "METHOD /pattern" of a route, its name in metrics and the OpenAPI check.
  static std::string name(const route_spec& r);

private:
  struct entry {
    const route_spec* spec;
    std::vector<std::string> segments;
  };

  std::vector<entry> entries_;
};

/// "a=1&b" as {a: "1", b: ""}.
std::map<std::string, std::string> parse_query(std::string_view q);

} // namespace seatgrab::http
