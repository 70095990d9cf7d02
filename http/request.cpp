#include "http/request.hpp"

#include "security/encoding.hpp"

#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>

namespace seatgrab::http {

namespace bhttp = boost::beast::http;

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

response json_response(unsigned status, const json& body) {
  response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = dump(body);
  return res;
}

response empty_response(unsigned status) {
  return response{static_cast<bhttp::status>(status), 11};
}

response field_problem(std::string_view field, std::string_view detail) {
  auto res =
      problem(400, "invalid_field", "field \"" + std::string{field} + "\": " + std::string{detail});
  auto body = json::parse(res.body());
  body["field"] = std::string{field};
  res.body() = dump(body);
  return res;
}

bool is_json(const request& req) {
  auto ct = req[bhttp::field::content_type];
  return std::string_view{ct.data(), ct.size()}.starts_with("application/json");
}

std::optional<json> body_object(const call& c) {
  const auto& req = c.ex->req();
  if (!is_json(req)) {
    c.ex->respond(problem(415, "unsupported_media_type", "send Content-Type: application/json"));
    return std::nullopt;
  }
  auto body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded()) {
    c.ex->respond(problem(400, "invalid_json", "the body is not valid JSON (UTF-8)"));
    return std::nullopt;
  }
  if (!body.is_object()) {
    c.ex->respond(problem(400, "invalid_json", "the body must be a JSON object"));
    return std::nullopt;
  }
  return body;
}

std::optional<std::string> bearer_token(const request& req) {
  auto h = req[bhttp::field::authorization];
  std::string_view value{h.data(), h.size()};
  if (!value.starts_with("Bearer "))
    return std::nullopt;
  return std::string{value.substr(7)};
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_id(std::string_view prefix) {
  auto hex = security::random_hex(8);
  if (hex.empty())
    return std::string{prefix} + std::to_string(wall_ms());
  return std::string{prefix} + hex;
}

std::function<void(caf::expected<void>)> reply_empty(std::shared_ptr<exchange> ex) {
  return [ex](caf::expected<void> x) { ex->respond(x ? empty_response(204) : problem(x.error())); };
}

// -- fields --------------------------------------------------------------------------------

std::string fields::str(const char* name, bool required, size_t max) {
  auto i = obj_.find(name);
  if (i == obj_.end() || i->is_null()) {
    if (required)
      fail(name, "is required");
    return {};
  }
  if (!i->is_string()) {
    fail(name, "must be a string");
    return {};
  }
  auto s = i->get<std::string>();
  if (s.empty() && required)
    fail(name, "must not be empty");
  else if (s.size() > max)
    fail(name, "must be at most " + std::to_string(max) + " bytes");
  return s;
}

int64_t fields::integer(const char* name, int64_t min, int64_t max,
                        std::optional<int64_t> fallback) {
  auto i = obj_.find(name);
  if (i == obj_.end() || i->is_null()) {
    if (!fallback)
      fail(name, "is required");
    return fallback.value_or(0);
  }
  if (!i->is_number_integer()) {
    fail(name, "must be an integer");
    return 0;
  }
  // Unsigned values beyond int64 come out negative here and are refused below.
  auto v = i->is_number_unsigned() && i->get<uint64_t>() > uint64_t(INT64_MAX) ? int64_t{-1}
                                                                               : i->get<int64_t>();
  if (v < min || v > max) {
    fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return 0;
  }
  return v;
}

bool fields::boolean(const char* name, bool fallback) {
  auto i = obj_.find(name);
  if (i == obj_.end() || i->is_null())
    return fallback;
  if (!i->is_boolean()) {
    fail(name, "must be true or false");
    return fallback;
  }
  return i->get<bool>();
}

std::vector<std::string> fields::strings(const char* name, size_t max_items) {
  std::vector<std::string> result;
  auto i = obj_.find(name);
  if (i == obj_.end() || i->is_null())
    return result;
  if (!i->is_array()) {
    fail(name, "must be an array of strings");
    return result;
  }
  if (i->size() > max_items) {
    fail(name, "must have at most " + std::to_string(max_items) + " items");
    return result;
  }
  for (const auto& x : *i) {
    if (!x.is_string() || x.get<std::string>().empty() || x.get<std::string>().size() > 64) {
      fail(name, "must be an array of seat ids (strings of 1 to 64 bytes)");
      return {};
    }
    result.push_back(x.get<std::string>());
  }
  return result;
}

bool fields::has(const char* name) const {
  return obj_.contains(name) && !obj_.at(name).is_null();
}

void fields::fail(std::string_view name, std::string_view detail) {
  if (!problem_)
    problem_ = field_problem(name, detail);
}

} // namespace seatgrab::http
