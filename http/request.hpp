#pragma once

// What every route needs to read a request and write an answer: the matched call, the JSON
// body reader (`fields`), JSON and empty responses, the 400 naming a field, and adapters from
// an actor's reply to an answer.

#include "http/problem.hpp"
#include "http/server.hpp"

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::http {

using json = nlohmann::json;

/// One matched request: the exchange, the path parameters in pattern order and the query.
struct call {
  std::shared_ptr<exchange> ex;
  std::vector<std::string> params;
  std::map<std::string, std::string> query;
  /// The client's address: the socket's, or a trusted proxy's X-Forwarded-For.
  std::string client;
};

/// `j` as compact text; invalid UTF-8 is replaced, never thrown on.
std::string dump(const json& j);

/// An `application/json` response.
response json_response(unsigned status, const json& body);

/// A response without a body (204, 304).
response empty_response(unsigned status);

/// A 400 `invalid_field` naming the field at fault in `field`.
response field_problem(std::string_view field, std::string_view detail);

/// Whether the request says its body is JSON.
bool is_json(const request& req);

/// The request body as a JSON object; otherwise answers 415 or 400 and returns nothing.
std::optional<json> body_object(const call& c);

/// The bearer token of `Authorization: Bearer <token>`, if the header has that form (the token
/// may be empty).
std::optional<std::string> bearer_token(const request& req);

/// The edge's own wall clock in milliseconds since the Unix epoch, for challenges, session
/// ends and record ages (never for domain decisions).
int64_t wall_ms();

/// `prefix` followed by 16 random hex digits (the time if the generator fails).
std::string random_id(std::string_view prefix);

/// A field-by-field reader of a JSON request body: each getter checks one field, and the first
/// problem found is kept for the answer.
class fields {
public:
  /// Reads `obj`, which must outlive the reader.
  explicit fields(const json& obj) : obj_(obj) {}

  /// The first problem found, if any.
  const std::optional<response>& problem() const { return problem_; }

  /// A string of at most `max` bytes; required ones must be present and non-empty.
  std::string str(const char* name, bool required = true, size_t max = 256);

  /// An integer in [min, max]; `fallback` when absent (required when there is none).
  int64_t integer(const char* name, int64_t min, int64_t max, std::optional<int64_t> fallback);

  /// A boolean; `fallback` when absent.
  bool boolean(const char* name, bool fallback);

  /// An array of at most `max_items` seat ids (strings of 1 to 64 bytes); empty when absent.
  std::vector<std::string> strings(const char* name, size_t max_items);

  /// Whether the field is present and not null.
  bool has(const char* name) const;

  /// Records a problem with `name` unless one was found before.
  void fail(std::string_view name, std::string_view detail);

private:
  const json& obj_;
  std::optional<response> problem_;
};

/// Answers an actor's error as a problem, or runs `k` with the value.
template <class T>
std::function<void(caf::expected<T>)> or_problem(std::shared_ptr<exchange> ex,
                                                 std::function<void(T&)> k) {
  return [ex, k = std::move(k)](caf::expected<T> x) {
    if (!x)
      ex->respond(problem(x.error()));
    else
      k(*x);
  };
}

/// Answers an actor's error as a problem, or `status` with `render(value)` as JSON.
template <class T>
std::function<void(caf::expected<T>)> reply_json(std::shared_ptr<exchange> ex, unsigned status,
                                                 json (*render)(const T&)) {
  return or_problem<T>(
      ex, [ex, status, render](T& x) { ex->respond(json_response(status, render(x))); });
}

/// Answers an actor's error as a problem, or 204 No Content.
std::function<void(caf::expected<void>)> reply_empty(std::shared_ptr<exchange> ex);

} // namespace seatgrab::http
