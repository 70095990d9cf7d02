#include "http/api.hpp"

#include "cluster/node.hpp"
#include "domain/qr.hpp"
#include "domain/venue.hpp"
#include "http/bridge.hpp"
#include "http/codec.hpp"
#include "http/problem.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"

#include <boost/beast/http.hpp>
#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>

namespace seatgrab::http {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

// -- small helpers ------------------------------------------------------------------

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

/// A 400 naming the field at fault.
response field_problem(std::string_view field, std::string_view detail) {
  auto res =
      problem(400, "invalid_field", "field \"" + std::string{field} + "\": " + std::string{detail});
  auto body = json::parse(res.body());
  body["field"] = std::string{field};
  res.body() = dump(body);
  return res;
}

/// Public ids of orders and tickets carry their event: "<event>~<id>" ('~' is never part of
/// an event id).
std::string public_id(const std::string& event, const std::string& id) {
  return event + "~" + id;
}

std::optional<std::pair<std::string, std::string>> split_public_id(std::string_view id) {
  auto sep = id.find('~');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 == id.size())
    return std::nullopt;
  return std::pair{std::string{id.substr(0, sep)}, std::string{id.substr(sep + 1)}};
}

bool constant_time_equal(std::string_view x, std::string_view y) {
  if (x.size() != y.size())
    return false;
  return CRYPTO_memcmp(x.data(), y.data(), x.size()) == 0;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (auto b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// -- a field-by-field reader of JSON request bodies ----------------------------------

class fields {
public:
  explicit fields(const json& obj) : obj_(obj) {}

  /// The first problem found, if any.
  const std::optional<response>& problem() const { return problem_; }

  std::string str(const char* name, bool required = true, size_t max = 256) {
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

  int64_t integer(const char* name, int64_t min, int64_t max, std::optional<int64_t> fallback) {
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
    auto v = i->is_number_unsigned() && i->get<uint64_t>() > uint64_t(INT64_MAX)
                 ? int64_t{-1}
                 : i->get<int64_t>();
    if (v < min || v > max) {
      fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return 0;
    }
    return v;
  }

  bool boolean(const char* name, bool fallback) {
    auto i = obj_.find(name);
    if (i == obj_.end() || i->is_null())
      return fallback;
    if (!i->is_boolean()) {
      fail(name, "must be true or false");
      return fallback;
    }
    return i->get<bool>();
  }

  std::vector<std::string> strings(const char* name, size_t max_items) {
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

  bool has(const char* name) const { return obj_.contains(name) && !obj_.at(name).is_null(); }

  void fail(std::string_view name, std::string_view detail) {
    if (!problem_)
      problem_ = field_problem(name, detail);
  }

private:
  const json& obj_;
  std::optional<response> problem_;
};

// -- metrics ----------------------------------------------------------------------------

/// Latency buckets of the request histograms, in seconds.
constexpr double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
constexpr size_t bucket_count = std::size(buckets);

struct route_stats {
  std::map<unsigned, uint64_t> by_status;
  uint64_t bucket_hits[bucket_count + 1] = {}; // +Inf last
  double sum_s = 0;
  uint64_t count = 0;
};

// -- rate limiting (GCRA) --------------------------------------------------------------

class rate_limiter {
public:
  rate_limiter(double per_s, double burst) : per_s_(per_s), burst_(burst) {}

  /// 0 if the request may pass; otherwise the seconds to wait.
  unsigned admit(const std::string& key, steady::time_point now) {
    if (per_s_ <= 0)
      return 0;
    auto interval = std::chrono::duration<double>(1.0 / per_s_);
    auto tolerance = interval * burst_;
    std::lock_guard lock{mtx_};
    auto& tat = tat_[key];
    auto t = std::max(tat, now);
    if (t - now > tolerance) {
      auto wait = std::chrono::duration<double>(t - now - tolerance).count();
      return static_cast<unsigned>(wait) + 1;
    }
    tat = t + std::chrono::duration_cast<steady::duration>(interval);
    if (tat_.size() > 100'000) // forget clients that are all caught up
      std::erase_if(tat_, [now](const auto& kv) { return kv.second < now; });
    return 0;
  }

private:
  double per_s_;
  double burst_;
  std::mutex mtx_;
  std::unordered_map<std::string, steady::time_point> tat_;
};

// -- seat map cache ---------------------------------------------------------------------

/// One seat map as served: JSON of the whole map and of each section, built once per
/// version, gzip made on first demand.
struct seatmap_snapshot {
  event_map map;
  steady::time_point taken;
  std::string whole;
  std::map<std::string, std::string> sections;
  mutable std::mutex gz_mtx;
  mutable std::map<std::string, std::string> gz; // "" = whole, else section id
};

json seats_json(const section_map& m) {
  auto seats = json::array();
  for (const auto& s : m.seats)
    seats.push_back({{"id", s.id}, {"status", to_string(s.status)}, {"price", s.price}});
  return {{"id", m.section}, {"version", m.version}, {"seats", std::move(seats)}};
}

std::shared_ptr<seatmap_snapshot> make_snapshot(event_map map) {
  auto snap = std::make_shared<seatmap_snapshot>();
  snap->taken = steady::now();
  auto sections = json::array();
  for (const auto& m : map.sections) {
    auto one = seats_json(m);
    snap->sections.emplace(m.section, dump(json{{"event", map.event},
                                                {"version", map.version},
                                                {"sections", json::array({one})}}));
    sections.push_back(std::move(one));
  }
  snap->whole =
      dump(json{{"event", map.event}, {"version", map.version}, {"sections", std::move(sections)}});
  snap->map = std::move(map);
  return snap;
}

struct event_cache {
  std::mutex mtx;
  std::shared_ptr<const seatmap_snapshot> snap;
  bool refreshing = false;
  std::vector<std::function<void(std::shared_ptr<const seatmap_snapshot>, caf::error)>> waiters;
};

/// The changed seats between two maps, as one SSE data payload; empty if none.
json seatmap_delta(const event_map& before, const event_map& after) {
  auto changes = json::array();
  for (size_t i = 0; i < after.sections.size() && i < before.sections.size(); ++i) {
    const auto& a = after.sections[i];
    const auto& b = before.sections[i];
    if (a.version == b.version || a.seats.size() != b.seats.size())
      continue;
    for (size_t k = 0; k < a.seats.size(); ++k)
      if (a.seats[k].status != b.seats[k].status || a.seats[k].price != b.seats[k].price)
        changes.push_back({{"section", a.section},
                           {"id", a.seats[k].id},
                           {"status", to_string(a.seats[k].status)},
                           {"price", a.seats[k].price}});
  }
  return changes;
}

// -- proof of work -------------------------------------------------------------------------

/// Whether SHA-256(challenge ":" nonce) starts with `bits` zero bits.
bool solves(std::string_view challenge, std::string_view nonce, uint32_t bits) {
  std::string input{challenge};
  input += ':';
  input += nonce;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  for (uint32_t i = 0; i < bits; ++i)
    if (digest[i / 8] & (0x80 >> (i % 8)))
      return false;
  return true;
}

} // namespace

// -- the implementation -------------------------------------------------------------------

struct call {
  std::shared_ptr<exchange> ex;
  std::vector<std::string> params;
  std::map<std::string, std::string> query;
};

struct api::impl : std::enable_shared_from_this<api::impl> {
  using route_fn = void (impl::*)(const call&);

  struct route {
    bhttp::verb method;
    std::string pattern; // "/v1/events/{id}"
    std::vector<std::string> segments;
    route_fn fn;
    bool idempotent_post = false; // accepts Idempotency-Key
  };

  impl(cluster::node& n, api_options o)
      : node(n), sys(n.sys()), opts(std::move(o)), resolver(n.resolver()),
        limiter(opts.rate_per_s, opts.burst) {
    catalog = n.catalog();
    auto acc = n.call<accounts_actor>(n.registry(), atom::get_v, atom::accounts_v);
    if (acc)
      accounts = *acc;
    if (!opts.openapi_path.empty()) {
      std::ifstream in{opts.openapi_path};
      std::stringstream buf;
      buf << in.rdbuf();
      openapi = buf.str();
    }
    if (RAND_bytes(pow_key, sizeof(pow_key)) != 1)
      spdlog::error("RAND_bytes failed: proof-of-work challenges will not verify");
    for (const auto& spec : table())
      add(spec.method, spec.pattern, spec.fn, spec.idempotent);
    load_idempotency();
  }

  struct route_spec {
    bhttp::verb method;
    const char* pattern;
    route_fn fn;
    bool idempotent; // accepts Idempotency-Key
  };

  /// Every route, once: the dispatcher and `api::routes()` (the OpenAPI check) both use it.
  static const std::vector<route_spec>& table() {
    using v = bhttp::verb;
    static const std::vector<route_spec> all{
        {v::post, "/v1/accounts", &impl::sign_up, true},
        {v::post, "/v1/sessions", &impl::log_in, false},
        {v::delete_, "/v1/sessions", &impl::log_out, false},
        {v::post, "/v1/admin/venues", &impl::add_venue, true},
        {v::post, "/v1/admin/events", &impl::add_event, true},
        {v::post, "/v1/admin/events/{id}/open", &impl::open_event, false},
        {v::post, "/v1/admin/events/{id}/pause", &impl::pause_event, false},
        {v::post, "/v1/admin/events/{id}/resume", &impl::resume_event, false},
        {v::get, "/v1/events", &impl::list_events, false},
        {v::get, "/v1/events/{id}", &impl::event_detail, false},
        {v::get, "/v1/events/{id}/seatmap", &impl::seatmap, false},
        {v::get, "/v1/events/{id}/seatmap/stream", &impl::seatmap_stream, false},
        {v::get, "/v1/events/{id}/challenge", &impl::challenge, false},
        {v::post, "/v1/events/{id}/queue", &impl::join_queue, true},
        {v::get, "/v1/events/{id}/queue/{ticket}", &impl::queue_status_route, false},
        {v::get, "/v1/events/{id}/queue/{ticket}/stream", &impl::queue_stream, false},
        {v::post, "/v1/events/{id}/holds", &impl::hold, true},
        {v::delete_, "/v1/holds/{id}", &impl::release, false},
        {v::post, "/v1/holds/{id}/checkout", &impl::checkout, true},
        {v::get, "/v1/orders/{id}", &impl::order, false},
        {v::get, "/v1/tickets", &impl::tickets, false},
        {v::get, "/v1/tickets/{id}", &impl::ticket, false},
        {v::get, "/v1/tickets/{id}/qr.svg", &impl::ticket_qr, false},
        {v::post, "/v1/tickets/{id}/transfer", &impl::transfer, true},
        {v::post, "/v1/tickets/{id}/refund", &impl::refund, true},
        {v::post, "/v1/scan", &impl::scan, false},
        {v::get, "/healthz", &impl::healthz, false},
        {v::get, "/metrics", &impl::metrics, false},
        {v::get, "/v1/openapi.json", &impl::openapi_doc, false},
    };
    return all;
  }

  void add(bhttp::verb method, std::string pattern, route_fn fn, bool idempotent = false) {
    route r{method, pattern, {}, fn, idempotent};
    std::string_view p = pattern;
    while (!p.empty()) {
      p.remove_prefix(1);
      auto end = p.find('/');
      r.segments.emplace_back(p.substr(0, end));
      p = end == std::string_view::npos ? std::string_view{} : p.substr(end);
    }
    routes.push_back(std::move(r));
  }

  // -- dispatch -------------------------------------------------------------------------

  void handle(std::shared_ptr<exchange> raw) {
    auto started = steady::now();
    const auto& req = raw->req();
    std::string_view target{req.target().data(), req.target().size()};
    auto qpos = target.find('?');
    auto path = target.substr(0, qpos);
    call c;
    if (qpos != std::string_view::npos)
      c.query = parse_query(target.substr(qpos + 1));
    std::vector<std::string_view> segs;
    for (std::string_view p = path; !p.empty();) {
      p.remove_prefix(1);
      auto end = p.find('/');
      segs.push_back(p.substr(0, end));
      p = end == std::string_view::npos ? std::string_view{} : p.substr(end);
    }
    const route* found = nullptr;
    std::vector<std::string> allowed;
    for (const auto& r : routes) {
      if (r.segments.size() != segs.size())
        continue;
      std::vector<std::string> params;
      bool match = true;
      for (size_t i = 0; i < segs.size() && match; ++i) {
        if (r.segments[i].front() == '{')
          params.emplace_back(segs[i]);
        else
          match = r.segments[i] == segs[i];
      }
      if (!match)
        continue;
      if (r.method != req.method()) {
        allowed.emplace_back(bhttp::to_string(r.method));
        continue;
      }
      found = &r;
      c.params = std::move(params);
      break;
    }
    auto name = found ? std::string{bhttp::to_string(found->method)} + " " + found->pattern
                      : std::string{"unmatched"};
    // Every answer is counted and timed.
    auto self = shared_from_this();
    c.ex = std::make_shared<tracked>(std::move(raw), [self, name, started](unsigned status) {
      self->observe(name, status, steady::now() - started);
    });
    if (!found) {
      if (!allowed.empty()) {
        auto res = problem(405, "method_not_allowed", "this path allows other methods");
        std::string allow;
        for (const auto& m : allowed)
          allow += (allow.empty() ? "" : ", ") + m;
        res.set(bhttp::field::allow, allow);
        c.ex->respond(std::move(res));
      } else {
        c.ex->respond(problem(404, "not_found", "no such route"));
      }
      return;
    }
    if (found->pattern != "/healthz" && found->pattern != "/metrics") {
      if (auto wait = limiter.admit(c.ex->remote(), started)) {
        c.ex->respond(problem(429, "rate_limited", "too many requests from this address", wait));
        return;
      }
      if (c.ex->req().method() != bhttp::verb::get || !found->pattern.ends_with("/stream")) {
        // Streams are long-lived and not counted as load.
        if (in_flight.load() >= opts.max_in_flight) {
          c.ex->respond(problem(503, "overloaded", "the server is at capacity"));
          return;
        }
      }
    }
    if (found->idempotent_post && c.ex->req().count("Idempotency-Key") > 0) {
      with_idempotency(std::move(c), found->fn);
      return;
    }
    (this->*(found->fn))(c);
  }

  static std::map<std::string, std::string> parse_query(std::string_view q) {
    std::map<std::string, std::string> result;
    while (!q.empty()) {
      auto amp = q.find('&');
      auto part = q.substr(0, amp);
      auto eq = part.find('=');
      result[std::string{part.substr(0, eq)}] =
          eq == std::string_view::npos ? std::string{} : std::string{part.substr(eq + 1)};
      q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    }
    return result;
  }

  /// Counts, times and (for idempotency) captures the answer of an exchange.
  class tracked : public exchange {
  public:
    tracked(std::shared_ptr<exchange> inner, std::function<void(unsigned)> done)
        : inner_(std::move(inner)), done_(std::move(done)) {}

    const request& req() const override { return inner_->req(); }
    const std::string& remote() const override { return inner_->remote(); }

    void respond(response res) override {
      if (answered_.exchange(true))
        return;
      done_(res.result_int());
      if (on_answer_)
        on_answer_(res, [inner = inner_](response r) { inner->respond(std::move(r)); });
      else
        inner_->respond(std::move(res));
    }

    std::shared_ptr<event_stream> open_stream(response head) override {
      if (!answered_.exchange(true))
        done_(200);
      return inner_->open_stream(std::move(head));
    }

    /// Sees the answer first; must pass it (or another) on.
    std::function<void(const response&, std::function<void(response)>)> on_answer_;

  private:
    std::shared_ptr<exchange> inner_;
    std::function<void(unsigned)> done_;
    std::atomic<bool> answered_{false};
  };

  void observe(const std::string& route, unsigned status, steady::duration took) {
    auto s = std::chrono::duration<double>(took).count();
    std::lock_guard lock{metrics_mtx};
    auto& st = stats[route];
    ++st.by_status[status];
    ++st.count;
    st.sum_s += s;
    size_t i = 0;
    while (i < bucket_count && s > buckets[i])
      ++i;
    ++st.bucket_hits[i];
  }

  // -- shared steps ---------------------------------------------------------------------

  /// Runs `k` with the caller's identity: a session's bearer token, or the admin token.
  void authenticate(const call& c, std::function<void(auth_info)> k) {
    auto h = c.ex->req()[bhttp::field::authorization];
    std::string_view value{h.data(), h.size()};
    if (!value.starts_with("Bearer ") || value.size() <= 7) {
      c.ex->respond(problem(401, "unauthenticated", "send Authorization: Bearer <token>"));
      return;
    }
    auto token = std::string{value.substr(7)};
    if (!opts.admin_token.empty() && constant_time_equal(token, opts.admin_token)) {
      k(auth_info{"operator", true, 0});
      return;
    }
    if (auto who = cached_auth(token)) {
      k(std::move(*who));
      return;
    }
    auto ex = c.ex;
    auto self = shared_from_this();
    ask<auth_info>(
        sys, accounts,
        [self, ex, token, k = std::move(k)](caf::expected<auth_info> who) {
          if (!who)
            return ex->respond(problem(who.error()));
          self->remember_auth(token, *who);
          k(std::move(*who));
        },
        atom::get_v, atom::session_v, token);
  }

  // Every request authenticates, so the edge keeps recent answers of the account registry
  // (one actor) for a few seconds, never past the session's end; a logout through this edge
  // drops its entry at once.
  static constexpr auto auth_cache_ttl = std::chrono::seconds{10};

  std::optional<auth_info> cached_auth(const std::string& token) {
    std::lock_guard lock{auth_mtx};
    auto i = auth_cache.find(token);
    if (i == auth_cache.end())
      return std::nullopt;
    auto now = steady::now();
    if (now >= i->second.second || wall_ms() >= i->second.first.expires_at_ms) {
      auth_cache.erase(i);
      return std::nullopt;
    }
    return i->second.first;
  }

  void remember_auth(const std::string& token, const auth_info& who) {
    std::lock_guard lock{auth_mtx};
    if (auth_cache.size() > 200'000)
      auth_cache.clear(); // crude, but bounded
    auth_cache[token] = {who, steady::now() + auth_cache_ttl};
  }

  void forget_auth(const std::string& token) {
    std::lock_guard lock{auth_mtx};
    auth_cache.erase(token);
  }

  /// Like `authenticate`, but only operators pass.
  void operator_only(const call& c, std::function<void(auth_info)> k) {
    auto ex = c.ex;
    authenticate(c, [ex, k = std::move(k)](auth_info who) {
      if (!who.is_operator) {
        ex->respond(problem(403, "forbidden", "operators only"));
        return;
      }
      k(std::move(who));
    });
  }

  /// The request body as a JSON object, or a problem answered.
  std::optional<json> body_object(const call& c) {
    const auto& req = c.ex->req();
    auto ct = req[bhttp::field::content_type];
    std::string_view type{ct.data(), ct.size()};
    if (!type.starts_with("application/json")) {
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

  /// Answers `err` as a problem, or runs `k` with the value.
  template <class T>
  static std::function<void(caf::expected<T>)> or_problem(std::shared_ptr<exchange> ex,
                                                          std::function<void(T&)> k) {
    return [ex, k = std::move(k)](caf::expected<T> x) {
      if (!x)
        ex->respond(problem(x.error()));
      else
        k(*x);
    };
  }

  /// Answers `err` as a problem, or `status` with `render(value)` as JSON.
  template <class T>
  static std::function<void(caf::expected<T>)>
  reply_json(std::shared_ptr<exchange> ex, unsigned status, json (*render)(const T&)) {
    return or_problem<T>(
        ex, [ex, status, render](T& x) { ex->respond(json_response(status, render(x))); });
  }

  void with_session(const call& c, const std::string& account,
                    std::function<void(session_actor&)> k) {
    resolver.ask<session_actor>(sys, call_timeout, or_problem<session_actor>(c.ex, std::move(k)),
                                account);
  }

  void with_event(const call& c, const std::string& id, std::function<void(event_actor&)> k) {
    resolver.ask<event_actor>(sys, call_timeout, or_problem<event_actor>(c.ex, std::move(k)), id);
  }

  void with_room(const call& c, const std::string& id, std::function<void(waiting_room_actor&)> k) {
    resolver.ask<waiting_room_actor>(sys, call_timeout,
                                     or_problem<waiting_room_actor>(c.ex, std::move(k)), id);
  }

  void with_office(const call& c, const std::string& id, std::function<void(box_office_actor&)> k) {
    resolver.ask<box_office_actor>(sys, call_timeout,
                                   or_problem<box_office_actor>(c.ex, std::move(k)), id);
  }

  // -- accounts --------------------------------------------------------------------------

  void sign_up(const call& c) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    auto email = f.str("email", true, 254);
    auto password = f.str("password", true, 1024);
    if (f.problem())
      return c.ex->respond(*f.problem());
    auto ex = c.ex;
    ask<account_summary>(sys, accounts,
                         or_problem<account_summary>(
                             ex,
                             [ex](account_summary& a) {
                               ex->respond(json_response(201, {{"id", a.id}, {"email", a.email}}));
                             }),
                         atom::put_v, atom::account_v, email, password);
  }

  void log_in(const call& c) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    auto email = f.str("email", true, 254);
    auto password = f.str("password", true, 1024);
    if (f.problem())
      return c.ex->respond(*f.problem());
    auto ex = c.ex;
    ask<login_grant>(
        sys, accounts,
        or_problem<login_grant>(ex,
                                [ex](login_grant& g) {
                                  ex->respond(json_response(
                                      201, {{"token", g.token},
                                            {"account", g.account},
                                            {"expires_at", rfc3339(g.expires_at_ms)}}));
                                }),
        atom::login_v, email, password);
  }

  void log_out(const call& c) {
    auto h = c.ex->req()[bhttp::field::authorization];
    std::string_view value{h.data(), h.size()};
    if (!value.starts_with("Bearer "))
      return c.ex->respond(problem(401, "unauthenticated", "send Authorization: Bearer <token>"));
    auto ex = c.ex;
    auto token = std::string{value.substr(7)};
    forget_auth(token);
    ask<void>(
        sys, accounts,
        [ex](caf::expected<void> x) { ex->respond(x ? empty_response(204) : problem(x.error())); },
        atom::logout_v, token);
  }

  // -- operators ---------------------------------------------------------------------------

  void add_venue(const call& c) {
    operator_only(c, [this, self = shared_from_this(), c](auto&&) {
      auto ex = c.ex;
      const auto& body = ex->req().body();
      auto ct = ex->req()[bhttp::field::content_type];
      if (!std::string_view{ct.data(), ct.size()}.starts_with("application/json"))
        return ex->respond(
            problem(415, "unsupported_media_type", "send Content-Type: application/json"));
      ask<std::string>(sys, catalog,
                       or_problem<std::string>(ex,
                                               [ex](std::string& id) {
                                                 ex->respond(json_response(201, {{"id", id}}));
                                               }),
                       atom::put_v, atom::venue_v, body);
    });
  }

  void add_event(const call& c) {
    operator_only(c, [this, self = shared_from_this(), c](auto&&) {
      auto body = body_object(c);
      if (!body)
        return;
      fields f{*body};
      event_info ev;
      ev.venue_id = f.str("venue_id", true, 64);
      ev.name = f.str("name", true, 200);
      auto opens = f.str("opens_at", true, 64);
      std::optional<int64_t> opens_ms;
      if (!f.problem()) {
        opens_ms = parse_rfc3339(opens);
        if (!opens_ms)
          f.fail("opens_at", "must be an RFC 3339 time, e.g. 2026-12-01T10:00:00Z");
      }
      ev.opens_at_ms = opens_ms.value_or(0);
      ev.hold_ttl_s = static_cast<uint32_t>(f.integer("hold_ttl_s", 1, 3600, 300));
      ev.max_hold_total_s = static_cast<uint32_t>(
          f.integer("max_hold_total_s", 1, 7200, std::max<int64_t>(600, ev.hold_ttl_s)));
      ev.admission_per_min =
          static_cast<uint32_t>(f.integer("admission_per_min", 1, 1'000'000, 5000));
      ev.max_active_shoppers =
          static_cast<uint32_t>(f.integer("max_active_shoppers", 1, 10'000'000, 10'000));
      ev.max_seats_per_hold = static_cast<uint32_t>(f.integer("max_seats_per_hold", 1, 100, 8));
      ev.max_tickets_per_account =
          static_cast<uint32_t>(f.integer("max_tickets_per_account", 1, 100, 8));
      ev.queue_mode = f.has("queue_mode") ? f.str("queue_mode", true, 16) : "shuffle";
      if (!f.problem() && ev.queue_mode != "shuffle" && ev.queue_mode != "fifo")
        f.fail("queue_mode", "must be \"shuffle\" or \"fifo\"");
      ev.rotating_codes = f.boolean("rotating_codes", false);
      if (f.has("refunds_until")) {
        auto until = parse_rfc3339(f.str("refunds_until", true, 64));
        if (!until)
          f.fail("refunds_until", "must be an RFC 3339 time");
        ev.refunds_until_ms = until.value_or(0);
      }
      ev.id = f.has("id") ? f.str("id", true, 64) : random_id("e");
      if (f.problem())
        return c.ex->respond(*f.problem());
      auto ex = c.ex;
      ask<std::string>(sys, catalog,
                       or_problem<std::string>(ex,
                                               [ex](std::string& id) {
                                                 ex->respond(json_response(201, {{"id", id}}));
                                               }),
                       atom::put_v, std::move(ev));
    });
  }

  template <class Atom>
  void room_command(const call& c, Atom what) {
    operator_only(c, [this, self = shared_from_this(), c, what](auto&&) {
      auto ex = c.ex;
      with_room(c, c.params[0], [this, self, ex, what](waiting_room_actor& room) {
        ask<void>(
            sys, room,
            [ex](caf::expected<void> x) {
              ex->respond(x ? empty_response(204) : problem(x.error()));
            },
            what);
      });
    });
  }

  void open_event(const call& c) { room_command(c, atom::open_v); }
  void pause_event(const call& c) { room_command(c, atom::pause_v); }
  void resume_event(const call& c) { room_command(c, atom::resume_v); }

  // -- events --------------------------------------------------------------------------------

  json event_json(const event_info& ev, const std::optional<queue_info>& q) {
    std::string state = "scheduled";
    if (q)
      state = q->paused ? "paused" : q->opened ? "on_sale" : "scheduled";
    json j{{"id", ev.id},
           {"venue_id", ev.venue_id},
           {"name", ev.name},
           {"state", state},
           {"opens_at", rfc3339(ev.opens_at_ms)},
           {"hold_ttl_s", ev.hold_ttl_s},
           {"admission_per_min", ev.admission_per_min},
           {"max_active_shoppers", ev.max_active_shoppers},
           {"max_seats_per_hold", ev.max_seats_per_hold},
           {"max_tickets_per_account", ev.max_tickets_per_account},
           {"queue_mode", ev.queue_mode},
           {"rotating_codes", ev.rotating_codes}};
    if (ev.refunds_until_ms > 0)
      j["refunds_until"] = rfc3339(ev.refunds_until_ms);
    if (q) {
      j["queue"] = {{"seed_commitment", q->seed_commitment},
                    {"waiting", q->waiting},
                    {"admitted", q->admitted},
                    {"active", q->active}};
      if (!q->revealed_seed.empty())
        j["queue"]["revealed_seed"] = q->revealed_seed;
    }
    return j;
  }

  /// Gathers the queue facts of `events` (one request each) and answers with `render`.
  void with_queue_infos(std::vector<event_info> events,
                        std::function<void(const std::vector<event_info>&,
                                           const std::vector<std::optional<queue_info>>&)>
                            render) {
    struct gather {
      std::mutex mtx;
      std::vector<event_info> events;
      std::vector<std::optional<queue_info>> infos;
      size_t pending;
      std::function<void(const std::vector<event_info>&,
                         const std::vector<std::optional<queue_info>>&)>
          render;
    };
    auto g = std::make_shared<gather>();
    g->events = std::move(events);
    g->infos.resize(g->events.size());
    g->pending = g->events.size();
    g->render = std::move(render);
    if (g->pending == 0)
      return g->render(g->events, g->infos);
    auto finish = [g](size_t i, std::optional<queue_info> q) {
      std::lock_guard lock{g->mtx};
      g->infos[i] = std::move(q);
      if (--g->pending == 0)
        g->render(g->events, g->infos);
    };
    for (size_t i = 0; i < g->events.size(); ++i) {
      resolver.ask<waiting_room_actor>(
          sys, call_timeout,
          [this, self = shared_from_this(), finish, i](caf::expected<waiting_room_actor> room) {
            if (!room)
              return finish(i, std::nullopt);
            ask<queue_info>(
                sys, *room,
                [finish, i](caf::expected<queue_info> q) {
                  finish(i, q ? std::optional<queue_info>{std::move(*q)} : std::nullopt);
                },
                atom::get_v, atom::info_v);
          },
          g->events[i].id);
    }
  }

  void list_events(const call& c) {
    auto ex = c.ex;
    ask<std::vector<event_info>>(
        sys, catalog,
        or_problem<std::vector<event_info>>(
            ex,
            [this, self = shared_from_this(), ex](std::vector<event_info>& events) {
              with_queue_infos(events, [this, self, ex](const auto& evs, const auto& infos) {
                auto list = json::array();
                for (size_t i = 0; i < evs.size(); ++i)
                  list.push_back(event_json(evs[i], infos[i]));
                ex->respond(json_response(200, {{"events", std::move(list)}}));
              });
            }),
        atom::get_v, atom::events_v);
  }

  void event_detail(const call& c) {
    auto ex = c.ex;
    auto id = c.params[0];
    ask<std::vector<event_info>>(
        sys, catalog,
        or_problem<std::vector<event_info>>(
            ex,
            [this, self = shared_from_this(), ex, id](std::vector<event_info>& events) {
              auto i = std::find_if(events.begin(), events.end(),
                                    [&](const event_info& e) { return e.id == id; });
              if (i == events.end())
                return ex->respond(problem(404, "not_found", "no event " + id));
              with_queue_infos({*i}, [this, self, ex](const auto& evs, const auto& infos) {
                ex->respond(json_response(200, event_json(evs[0], infos[0])));
              });
            }),
        atom::get_v, atom::events_v);
  }

  // -- seat map -------------------------------------------------------------------------------

  std::shared_ptr<event_cache> cache_of(const std::string& event_id) {
    std::lock_guard lock{caches_mtx};
    auto& c = caches[event_id];
    if (!c)
      c = std::make_shared<event_cache>();
    return c;
  }

  /// The event's seat map, at most `max_age` old (a stale one while a refresh runs).
  void seatmap_of(const std::string& event_id, steady::duration max_age,
                  std::function<void(std::shared_ptr<const seatmap_snapshot>, caf::error)> k) {
    auto cache = cache_of(event_id);
    {
      std::lock_guard lock{cache->mtx};
      if (cache->snap && steady::now() - cache->snap->taken <= max_age) {
        auto snap = cache->snap;
        k(std::move(snap), {});
        return;
      }
      if (cache->refreshing) {
        if (cache->snap) {
          auto snap = cache->snap;
          k(std::move(snap), {});
        } else {
          cache->waiters.push_back(std::move(k));
        }
        return;
      }
      cache->refreshing = true;
      cache->waiters.push_back(std::move(k));
    }
    auto done = [cache](std::shared_ptr<const seatmap_snapshot> snap, caf::error err) {
      std::vector<std::function<void(std::shared_ptr<const seatmap_snapshot>, caf::error)>> ws;
      {
        std::lock_guard lock{cache->mtx};
        cache->refreshing = false;
        if (snap)
          cache->snap = snap;
        ws.swap(cache->waiters);
      }
      for (auto& w : ws)
        w(snap, err);
    };
    resolver.ask<event_actor>(
        sys, call_timeout,
        [this, self = shared_from_this(), done](caf::expected<event_actor> ev) {
          if (!ev)
            return done(nullptr, ev.error());
          ask<event_map>(
              sys, *ev,
              [done](caf::expected<event_map> m) {
                if (!m)
                  return done(nullptr, m.error());
                done(make_snapshot(std::move(*m)), {});
              },
              atom::get_v, atom::seatmap_v);
        },
        event_id);
  }

  void seatmap(const call& c) {
    auto ex = c.ex;
    auto event_id = c.params[0];
    std::string section;
    if (auto i = c.query.find("section"); i != c.query.end())
      section = i->second;
    seatmap_of(
        event_id, opts.seatmap_max_age,
        [ex, event_id, section](std::shared_ptr<const seatmap_snapshot> snap, caf::error err) {
          if (!snap)
            return ex->respond(problem(err));
          const std::string* body = &snap->whole;
          if (!section.empty()) {
            auto i = snap->sections.find(section);
            if (i == snap->sections.end())
              return ex->respond(problem(404, "unknown_section", "no section " + section));
            body = &i->second;
          }
          auto version = section.empty() ? snap->map.version : [&] {
            for (const auto& m : snap->map.sections)
              if (m.section == section)
                return m.version;
            return uint64_t{0};
          }();
          auto etag = "\"" + event_id + (section.empty() ? "" : "/" + section) + "-" +
                      std::to_string(version) + "\"";
          const auto& req = ex->req();
          auto inm = req[bhttp::field::if_none_match];
          if (std::string_view{inm.data(), inm.size()} == etag) {
            auto res = empty_response(304);
            res.set(bhttp::field::etag, etag);
            return ex->respond(std::move(res));
          }
          response res{bhttp::status::ok, 11};
          res.set(bhttp::field::content_type, "application/json");
          res.set(bhttp::field::etag, etag);
          res.set(bhttp::field::cache_control, "no-cache");
          res.set(bhttp::field::vary, "Accept-Encoding");
          auto ae = req[bhttp::field::accept_encoding];
          if (std::string_view{ae.data(), ae.size()}.find("gzip") != std::string_view::npos) {
            std::lock_guard lock{snap->gz_mtx};
            auto& gz = snap->gz[section];
            if (gz.empty())
              gz = gzip(*body);
            res.set(bhttp::field::content_encoding, "gzip");
            res.body() = gz;
          } else {
            res.body() = *body;
          }
          ex->respond(std::move(res));
        });
  }

  static response stream_head() {
    response head{bhttp::status::ok, 11};
    head.set(bhttp::field::content_type, "text/event-stream");
    head.set(bhttp::field::cache_control, "no-cache");
    head.set("X-Accel-Buffering", "no");
    return head;
  }

  void seatmap_stream(const call& c) {
    auto ex = c.ex;
    auto event_id = c.params[0];
    auto last = ex->req()["Last-Event-ID"];
    std::string last_id{last.data(), last.size()};
    seatmap_of(event_id, opts.seatmap_max_age,
               [this, self = shared_from_this(), ex, event_id,
                last_id](std::shared_ptr<const seatmap_snapshot> snap, caf::error err) {
                 if (!snap)
                   return ex->respond(problem(err));
                 auto stream = ex->open_stream(stream_head());
                 // A resume at the current version needs no snapshot; otherwise send one.
                 if (last_id != std::to_string(snap->map.version))
                   stream->send("event: snapshot\nid: " + std::to_string(snap->map.version) +
                                "\ndata: " + snap->whole + "\n\n");
                 else
                   stream->send(": resumed\n\n");
                 watch_seatmap(event_id, stream, snap);
               });
  }

  /// Every `stream_interval`: one frame with all seats changed since the last one (however
  /// many changes happened), or a heartbeat comment now and then.
  void watch_seatmap(const std::string& event_id, std::shared_ptr<event_stream> stream,
                     std::shared_ptr<const seatmap_snapshot> first) {
    struct watch {
      std::mutex mtx;
      std::shared_ptr<const seatmap_snapshot> last;
      steady::time_point quiet = steady::now();
    };
    auto w = std::make_shared<watch>();
    w->last = std::move(first);
    auto self = shared_from_this();
    sys.spawn([self, event_id, stream, w](caf::event_based_actor* a) {
      auto interval = self->opts.stream_interval;
      a->delayed_send(a, interval, atom::tick_v);
      return caf::behavior{[=](atom::tick) {
        if (!stream->open() || self->stopping) {
          stream->close();
          a->quit();
          return;
        }
        // Streams of one event share the snapshot: at most one refresh per half interval.
        self->seatmap_of(
            event_id, interval / 2,
            [stream, w, self](std::shared_ptr<const seatmap_snapshot> snap, caf::error) {
              std::lock_guard lock{w->mtx};
              if (snap && snap->map.version != w->last->map.version) {
                auto delta = seatmap_delta(w->last->map, snap->map);
                stream->send(
                    "event: delta\nid: " + std::to_string(snap->map.version) + "\ndata: " +
                    dump(json{{"version", snap->map.version}, {"seats", std::move(delta)}}) +
                    "\n\n");
                w->last = snap;
                w->quiet = steady::now();
              } else if (steady::now() - w->quiet >= self->opts.heartbeat) {
                stream->send(": heartbeat\n\n");
                w->quiet = steady::now();
              }
            });
        a->delayed_send(a, interval, atom::tick_v);
      }};
    });
  }

  // -- anti-bot: proof of work ------------------------------------------------------------

  std::string sign_challenge(const std::string& payload) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(EVP_sha256(), pow_key, sizeof(pow_key),
         reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
    return sha256_hex(std::string_view{reinterpret_cast<const char*>(mac), len}).substr(0, 32);
  }

  void challenge(const call& c) {
    auto now_ms = wall_ms();
    auto payload = c.params[0] + "." + random_id("") + "." + std::to_string(now_ms + 120'000);
    auto token = payload + "." + sign_challenge(payload);
    c.ex->respond(json_response(200, {{"challenge", token},
                                      {"difficulty", opts.pow_difficulty},
                                      {"algorithm", "sha256-leading-zero-bits"},
                                      {"expires_at", rfc3339(now_ms + 120'000)}}));
  }

  /// Checks a queue join's proof of work; answers the problem and returns false if it fails.
  bool check_pow(const call& c, const std::string& event_id, fields& f) {
    if (opts.pow_difficulty == 0)
      return true;
    auto token = f.str("challenge", true, 256);
    auto nonce = f.str("nonce", true, 64);
    if (f.problem()) {
      c.ex->respond(*f.problem());
      return false;
    }
    auto last_dot = token.rfind('.');
    auto bad = [&](std::string why) {
      c.ex->respond(problem(403, "challenge_failed", why));
      return false;
    };
    if (last_dot == std::string::npos)
      return bad("malformed challenge");
    auto payload = token.substr(0, last_dot);
    if (!constant_time_equal(sign_challenge(payload), token.substr(last_dot + 1)))
      return bad("forged challenge");
    if (!payload.starts_with(event_id + "."))
      return bad("challenge of another event");
    auto exp = std::strtoll(payload.substr(payload.rfind('.') + 1).c_str(), nullptr, 10);
    if (exp <= wall_ms())
      return bad("challenge expired");
    if (!solves(token, nonce, opts.pow_difficulty))
      return bad("wrong proof of work");
    std::lock_guard lock{pow_mtx};
    std::erase_if(used_challenges, [now = wall_ms()](const auto& kv) { return kv.second <= now; });
    if (!used_challenges.emplace(token, exp).second)
      return bad("challenge used before");
    return true;
  }

  // -- queue -----------------------------------------------------------------------------------

  static json queue_json(const queue_status& st) {
    json j{
        {"ticket", st.ticket}, {"state", st.state}, {"position", st.position}, {"eta_s", st.eta_s}};
    if (!st.admission_token.empty()) {
      j["admission_token"] = st.admission_token;
      j["admission_expires_at"] = rfc3339(st.admission_expires_at_ms);
    }
    return j;
  }

  void join_queue(const call& c) {
    authenticate(c, [this, self = shared_from_this(), c](auth_info who) {
      auto body = body_object(c);
      if (!body)
        return;
      fields f{*body};
      auto device = f.str("device", true, 128);
      if (f.problem())
        return c.ex->respond(*f.problem());
      if (!check_pow(c, c.params[0], f))
        return;
      auto ex = c.ex;
      auto event_id = c.params[0];
      with_session(c, who.account, [this, self, ex, event_id, device](session_actor& s) {
        ask<queue_status>(sys, s, reply_json<queue_status>(ex, 201, &queue_json), atom::join_v,
                          event_id, device);
      });
    });
  }

  /// The fan's queue status for event `params[0]`, if `params[1]` is their ticket.
  void my_queue_status(const call& c, std::function<void(queue_status&)> k) {
    authenticate(c, [this, self = shared_from_this(), c, k](auth_info who) {
      auto ex = c.ex;
      auto event_id = c.params[0];
      auto ticket = c.params[1];
      with_session(c, who.account, [this, self, ex, event_id, ticket, k](session_actor& s) {
        ask<queue_status>(sys, s,
                          or_problem<queue_status>(ex,
                                                   [ex, ticket, k](queue_status& st) {
                                                     if (std::to_string(st.ticket) != ticket)
                                                       return ex->respond(
                                                           problem(404, "unknown_ticket",
                                                                   "not your queue ticket"));
                                                     k(st);
                                                   }),
                          atom::get_v, atom::queue_v, event_id);
      });
    });
  }

  void queue_status_route(const call& c) {
    auto ex = c.ex;
    my_queue_status(c, [ex](queue_status& st) { ex->respond(json_response(200, queue_json(st))); });
  }

  void queue_stream(const call& c) {
    auto ex = c.ex;
    auto self = shared_from_this();
    authenticate(c, [this, self, c, ex](auth_info who) {
      // Check ownership once, then poll the session for changes.
      my_queue_status(c, [this, self, ex, who, event_id = c.params[0]](queue_status& first) {
        auto stream = ex->open_stream(stream_head());
        auto seq = std::make_shared<uint64_t>(1);
        stream->send("event: status\nid: 1\ndata: " + dump(queue_json(first)) + "\n\n");
        auto last = std::make_shared<std::string>(dump(queue_json(first)));
        auto account = who.account;
        sys.spawn([self, stream, seq, last, account, event_id](caf::event_based_actor* a) {
          auto quiet = std::make_shared<steady::time_point>(steady::now());
          a->delayed_send(a, std::chrono::seconds{1}, atom::tick_v);
          return caf::behavior{[=](atom::tick) {
            if (!stream->open() || self->stopping) {
              stream->close();
              a->quit();
              return;
            }
            self->resolver.resolve<session_actor>(a, call_timeout, account)
                .then(
                    [=](session_actor s) {
                      a->request(s, call_timeout, atom::get_v, atom::queue_v, event_id)
                          .then(
                              [=](queue_status& st) {
                                auto now_json = dump(queue_json(st));
                                if (now_json != *last) {
                                  *last = now_json;
                                  stream->send("event: status\nid: " + std::to_string(++*seq) +
                                               "\ndata: " + now_json + "\n\n");
                                  *quiet = steady::now();
                                } else if (steady::now() - *quiet >= self->opts.heartbeat) {
                                  stream->send(": heartbeat\n\n");
                                  *quiet = steady::now();
                                }
                              },
                              [](caf::error&) {});
                    },
                    [](caf::error&) {});
            a->delayed_send(a, std::chrono::seconds{1}, atom::tick_v);
          }};
        });
      });
    });
  }

  // -- holds and checkout ----------------------------------------------------------------------

  void hold(const call& c) {
    authenticate(c, [this, self = shared_from_this(), c](auth_info who) {
      auto body = body_object(c);
      if (!body)
        return;
      fields f{*body};
      hold_request req;
      req.seats = f.strings("seats", 100);
      if (f.has("section") || f.has("quantity")) {
        req.section = f.str("section", true, 64);
        req.quantity = static_cast<uint32_t>(f.integer("quantity", 1, 100, std::nullopt));
        if (!f.problem() && !req.seats.empty())
          f.fail("seats", "give either seats or section and quantity");
      } else if (!f.problem() && req.seats.empty()) {
        f.fail("seats", "give seats, or section and quantity");
      }
      if (f.problem())
        return c.ex->respond(*f.problem());
      auto token_field = c.ex->req()["X-Admission-Token"];
      std::string token{token_field.data(), token_field.size()};
      if (token.empty())
        return c.ex->respond(
            problem(403, "admission_invalid", "send the queue's X-Admission-Token"));
      auto key_field = c.ex->req()["Idempotency-Key"];
      std::string key{key_field.data(), key_field.size()};
      auto ex = c.ex;
      auto event_id = c.params[0];
      with_session(c, who.account, [this, self, ex, event_id, req, token, key](session_actor& s) {
        ask<hold_receipt>(
            sys, s,
            or_problem<hold_receipt>(
                ex,
                [ex](hold_receipt& r) {
                  auto seats = json::array();
                  for (const auto& p : r.parts)
                    for (const auto& x : p.seats)
                      seats.push_back({{"id", x.seat}, {"price", x.price}, {"section", p.section}});
                  ex->respond(json_response(201, {{"id", r.hold_id},
                                                  {"seats", std::move(seats)},
                                                  {"total", r.total},
                                                  {"expires_at", rfc3339(r.expires_at_ms)}}));
                }),
            atom::hold_v, event_id, req, token, key);
      });
    });
  }

  void release(const call& c) {
    authenticate(c, [this, self = shared_from_this(), c](auth_info who) {
      auto ex = c.ex;
      auto hold_id = c.params[0];
      with_session(c, who.account, [this, self, ex, hold_id](session_actor& s) {
        ask<void>(
            sys, s,
            [ex](caf::expected<void> x) {
              ex->respond(x ? empty_response(204) : problem(x.error()));
            },
            atom::release_v, hold_id);
      });
    });
  }

  static json ticket_json(const ticket_info& t) {
    json j{{"id", public_id(t.event, t.id)},
           {"event", t.event},
           {"order_id", public_id(t.event, t.order_id)},
           {"seat", t.seat},
           {"owner", t.owner},
           {"version", t.version},
           {"price", t.price},
           {"issued_at", rfc3339(t.issued_at_ms)},
           {"status", t.status}};
    if (!t.code.empty())
      j["code"] = t.code;
    return j;
  }

  static json order_json(const order_info& o) {
    auto tickets = json::array();
    for (const auto& t : o.tickets)
      tickets.push_back(ticket_json(t));
    json j{{"order_id", public_id(o.event, o.id)},
           {"event", o.event},
           {"state", o.state},
           {"total", o.total},
           {"currency", o.currency},
           {"created_at", rfc3339(o.created_at_ms)},
           {"tickets", std::move(tickets)}};
    if (!o.failure.empty())
      j["failure"] = o.failure;
    return j;
  }

  void checkout(const call& c) {
    authenticate(c, [this, self = shared_from_this(), c](auth_info who) {
      auto body = body_object(c);
      if (!body)
        return;
      fields f{*body};
      auto card = f.str("card", true, 64);
      if (f.problem())
        return c.ex->respond(*f.problem());
      // Without an Idempotency-Key every request is its own checkout attempt.
      auto key_field = c.ex->req()["Idempotency-Key"];
      auto key = key_field.empty() ? random_id("auto-")
                                   : "key-" + std::string{key_field.data(), key_field.size()};
      auto ex = c.ex;
      auto hold_id = c.params[0];
      with_session(c, who.account, [this, self, ex, hold_id, card, key](session_actor& s) {
        ask<order_info>(sys, s, reply_json<order_info>(ex, 201, &order_json), atom::confirm_v,
                        hold_id, card, key);
      });
    });
  }

  // -- orders and tickets ------------------------------------------------------------------------

  /// Runs `k(account, event, local id, box office)` for a public order or ticket id.
  void with_owned(const call& c, bool operators_too,
                  std::function<void(auth_info, std::string, std::string, box_office_actor&)> k) {
    authenticate(c, [this, self = shared_from_this(), c, k, operators_too](auth_info who) {
      auto parts = split_public_id(c.params[0]);
      if (!parts)
        return c.ex->respond(problem(404, "not_found", "no such id"));
      if (who.is_operator && !operators_too && who.account == "operator")
        return c.ex->respond(problem(403, "forbidden", "the admin token owns no tickets"));
      auto [event_id, local] = *parts;
      with_office(c, event_id, [k, who, event_id, local](box_office_actor& office) {
        k(who, event_id, local, office);
      });
    });
  }

  void order(const call& c) {
    auto ex = c.ex;
    with_owned(c, false,
               [this, self = shared_from_this(), ex](auth_info who, std::string, std::string id,
                                                     box_office_actor& office) {
                 ask<order_info>(sys, office, reply_json<order_info>(ex, 200, &order_json),
                                 atom::get_v, atom::order_v, id, who.account);
               });
  }

  void ticket(const call& c) {
    auto ex = c.ex;
    with_owned(c, false,
               [this, self = shared_from_this(), ex](auth_info who, std::string, std::string id,
                                                     box_office_actor& office) {
                 ask<ticket_info>(sys, office, reply_json<ticket_info>(ex, 200, &ticket_json),
                                  atom::get_v, atom::ticket_v, id, who.account);
               });
  }

  void ticket_qr(const call& c) {
    auto ex = c.ex;
    with_owned(c, false,
               [this, self = shared_from_this(), ex](auth_info who, std::string, std::string id,
                                                     box_office_actor& office) {
                 ask<ticket_info>(sys, office,
                                  or_problem<ticket_info>(
                                      ex,
                                      [ex](ticket_info& t) {
                                        if (t.code.empty())
                                          return ex->respond(problem(409, "ticket_" + t.status,
                                                                     "the ticket is " + t.status));
                                        auto svg = domain::qr_svg(t.code);
                                        if (!svg)
                                          return ex->respond(problem(svg.error()));
                                        response res{bhttp::status::ok, 11};
                                        res.set(bhttp::field::content_type, "image/svg+xml");
                                        res.set(bhttp::field::cache_control, "no-store");
                                        res.body() = std::move(*svg);
                                        ex->respond(std::move(res));
                                      }),
                                  atom::get_v, atom::ticket_v, id, who.account);
               });
  }

  void tickets(const call& c) {
    authenticate(c, [this, self = shared_from_this(), c](auth_info who) {
      auto ex = c.ex;
      ask<std::vector<event_info>>(
          sys, catalog,
          or_problem<std::vector<event_info>>(
              ex,
              [this, self, ex, who](std::vector<event_info>& events) {
                struct gather {
                  std::mutex mtx;
                  json list = json::array();
                  size_t pending = 0;
                  caf::error err;
                };
                auto g = std::make_shared<gather>();
                g->pending = events.size();
                if (events.empty())
                  return ex->respond(json_response(200, {{"tickets", json::array()}}));
                for (const auto& ev : events) {
                  resolver.ask<box_office_actor>(
                      sys, call_timeout,
                      [this, self, ex, who, g](caf::expected<box_office_actor> office) {
                        auto finish = [ex, g](std::vector<ticket_info> ts, caf::error err) {
                          std::lock_guard lock{g->mtx};
                          for (const auto& t : ts)
                            g->list.push_back(ticket_json(t));
                          if (err && !g->err)
                            g->err = err;
                          if (--g->pending == 0)
                            ex->respond(g->err ? problem(g->err)
                                               : json_response(200, {{"tickets", g->list}}));
                        };
                        if (!office)
                          return finish({}, office.error());
                        ask<std::vector<ticket_info>>(
                            sys, *office,
                            [finish](caf::expected<std::vector<ticket_info>> ts) {
                              if (!ts)
                                return finish({}, ts.error());
                              finish(std::move(*ts), {});
                            },
                            atom::get_v, atom::tickets_v, who.account);
                      },
                      ev.id);
                }
              }),
          atom::get_v, atom::events_v);
    });
  }

  void transfer(const call& c) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    auto to = f.str("to", true, 254);
    if (f.problem())
      return c.ex->respond(*f.problem());
    auto ex = c.ex;
    with_owned(c, false,
               [this, self = shared_from_this(), ex, to](auth_info who, std::string, std::string id,
                                                         box_office_actor& office) {
                 ask<account_summary>(
                     sys, accounts,
                     [this, self, ex, who, id, office](caf::expected<account_summary> target) {
                       if (!target)
                         return ex->respond(field_problem("to", "no account with that email"));
                       ask<ticket_info>(sys, office, reply_json<ticket_info>(ex, 200, &ticket_json),
                                        atom::transfer_v, id, who.account, target->id);
                     },
                     atom::get_v, atom::account_v, to);
               });
  }

  void refund(const call& c) {
    auto ex = c.ex;
    with_owned(c, true,
               [this, self = shared_from_this(), ex](auth_info who, std::string, std::string id,
                                                     box_office_actor& office) {
                 ask<ticket_info>(sys, office, reply_json<ticket_info>(ex, 200, &ticket_json),
                                  atom::refund_v, id, who.account, who.is_operator);
               });
  }

  void scan(const call& c) {
    operator_only(c, [this, self = shared_from_this(), c](auto&&) {
      auto body = body_object(c);
      if (!body)
        return;
      fields f{*body};
      auto code = f.str("code", true, 1024);
      if (f.problem())
        return c.ex->respond(*f.problem());
      // The code names its event inside the signed payload; find it without trusting it: the
      // event's box office verifies the signature.
      auto event_id = event_of_code(code);
      auto ex = c.ex;
      if (!event_id)
        return ex->respond(json_response(200, {{"result", "invalid"}}));
      resolver.ask<box_office_actor>(
          sys, call_timeout,
          [this, self, ex, code](caf::expected<box_office_actor> office) {
            if (!office) // an unknown event: not one of our tickets
              return ex->respond(json_response(200, {{"result", "invalid"}}));
            ask<scan_info>(sys, *office,
                           or_problem<scan_info>(ex,
                                                 [ex](scan_info& s) {
                                                   json j{{"result", s.result}};
                                                   if (!s.ticket_id.empty()) {
                                                     j["seat"] = s.seat;
                                                     j["version"] = s.version;
                                                   }
                                                   ex->respond(json_response(200, j));
                                                 }),
                           atom::scan_v, code);
          },
          *event_id);
    });
  }

  // -- operations -----------------------------------------------------------------------------

  void healthz(const call& c) {
    auto ex = c.ex;
    // Healthy when the catalog answers; storage errors stop actors and show up here.
    ask<std::vector<event_info>>(
        sys, catalog,
        [ex](caf::expected<std::vector<event_info>> events) {
          if (!events)
            return ex->respond(problem(503, "unhealthy", render(events.error())));
          ex->respond(json_response(200, {{"status", "ok"}, {"events", events->size()}}));
        },
        atom::get_v, atom::events_v);
  }

  void openapi_doc(const call& c) {
    if (openapi.empty())
      return c.ex->respond(problem(404, "not_found", "no OpenAPI document configured"));
    response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = openapi;
    c.ex->respond(std::move(res));
  }

  void metrics(const call& c) {
    auto ex = c.ex;
    auto self = shared_from_this();
    ask<std::vector<event_info>>(
        sys, catalog,
        or_problem<std::vector<event_info>>(
            ex,
            [this, self, ex](std::vector<event_info>& events) {
              struct gather {
                std::mutex mtx;
                std::string text;
                size_t pending = 0;
              };
              auto g = std::make_shared<gather>();
              g->pending = events.size() * 2;
              auto finish = [this, self, ex, g](std::string part) {
                std::lock_guard lock{g->mtx};
                g->text += part;
                if (--g->pending == 0)
                  ex->respond(metrics_response(g->text));
              };
              if (events.empty())
                return ex->respond(metrics_response({}));
              for (const auto& ev : events) {
                auto id = ev.id;
                resolver.ask<event_actor>(
                    sys, call_timeout,
                    [this, self, finish, id](caf::expected<event_actor> hdl) {
                      if (!hdl)
                        return finish({});
                      ask<std::vector<section_demand>>(
                          sys, *hdl,
                          [finish, id](caf::expected<std::vector<section_demand>> d) {
                            if (!d)
                              return finish({});
                            uint64_t holds = 0, sales = 0, expiries = 0, free = 0, held = 0,
                                     sold = 0;
                            for (const auto& s : *d) {
                              holds += s.holds;
                              sales += s.sales;
                              expiries += s.expiries;
                              free += s.free_now;
                              held += s.held_now;
                              sold += s.sold_now;
                            }
                            auto l = "{event=\"" + id + "\"}";
                            finish("seatgrab_holds_total" + l + " " + std::to_string(holds) +
                                   "\nseatgrab_sales_total" + l + " " + std::to_string(sales) +
                                   "\nseatgrab_hold_expiries_total" + l + " " +
                                   std::to_string(expiries) + "\nseatgrab_seats{event=\"" + id +
                                   "\",status=\"free\"} " + std::to_string(free) +
                                   "\nseatgrab_seats{event=\"" + id + "\",status=\"held\"} " +
                                   std::to_string(held) + "\nseatgrab_seats{event=\"" + id +
                                   "\",status=\"sold\"} " + std::to_string(sold) + "\n");
                          },
                          atom::get_v, atom::demand_v);
                    },
                    id);
                resolver.ask<waiting_room_actor>(
                    sys, call_timeout,
                    [this, self, finish, id](caf::expected<waiting_room_actor> room) {
                      if (!room)
                        return finish({});
                      ask<queue_info>(
                          sys, *room,
                          [finish, id](caf::expected<queue_info> q) {
                            if (!q)
                              return finish({});
                            auto l = "{event=\"" + id + "\"}";
                            finish("seatgrab_queue_waiting" + l + " " + std::to_string(q->waiting) +
                                   "\nseatgrab_queue_active" + l + " " + std::to_string(q->active) +
                                   "\nseatgrab_queue_admitted_total" + l + " " +
                                   std::to_string(q->admitted) +
                                   "\nseatgrab_queue_admission_per_min" + l + " " +
                                   std::to_string(q->admission_per_min) + "\n");
                          },
                          atom::get_v, atom::info_v);
                    },
                    id);
              }
            }),
        atom::get_v, atom::events_v);
  }

  response metrics_response(const std::string& actor_part) {
    std::string out;
    out += "# HELP seatgrab_http_requests_total Requests answered, by route and status.\n"
           "# TYPE seatgrab_http_requests_total counter\n";
    std::string hist = "# HELP seatgrab_http_request_seconds Time to answer, by route.\n"
                       "# TYPE seatgrab_http_request_seconds histogram\n";
    {
      std::lock_guard lock{metrics_mtx};
      for (const auto& [route, st] : stats) {
        for (const auto& [status, n] : st.by_status)
          out += "seatgrab_http_requests_total{route=\"" + route + "\",status=\"" +
                 std::to_string(status) + "\"} " + std::to_string(n) + "\n";
        uint64_t cumulative = 0;
        for (size_t i = 0; i <= bucket_count; ++i) {
          cumulative += st.bucket_hits[i];
          auto le = i < bucket_count ? fmt_double(buckets[i]) : std::string{"+Inf"};
          hist += "seatgrab_http_request_seconds_bucket{route=\"" + route + "\",le=\"" + le +
                  "\"} " + std::to_string(cumulative) + "\n";
        }
        hist += "seatgrab_http_request_seconds_sum{route=\"" + route + "\"} " +
                fmt_double(st.sum_s) + "\n";
        hist += "seatgrab_http_request_seconds_count{route=\"" + route + "\"} " +
                std::to_string(st.count) + "\n";
      }
    }
    out += hist;
    auto js = node.context()->journal->stats();
    out += "# TYPE seatgrab_journal_batches_total counter\nseatgrab_journal_batches_total " +
           std::to_string(js.batches) + "\n";
    out += "# TYPE seatgrab_journal_writes_total counter\nseatgrab_journal_writes_total " +
           std::to_string(js.write_sets) + "\n";
    out += "# TYPE seatgrab_journal_batch_size_max gauge\nseatgrab_journal_batch_size_max " +
           std::to_string(js.max_batch) + "\n";
    out += "# HELP seatgrab_journal_sync_seconds_total Time spent in durable writes (fsync).\n"
           "# TYPE seatgrab_journal_sync_seconds_total counter\n"
           "seatgrab_journal_sync_seconds_total " +
           fmt_double(static_cast<double>(js.sync_nanos) / 1e9) + "\n";
    if (auto* s = srv.load())
      out += "# TYPE seatgrab_http_connections gauge\nseatgrab_http_connections " +
             std::to_string(s->connections()) + "\n";
    out += "# TYPE seatgrab_holds_total counter\n# TYPE seatgrab_sales_total counter\n"
           "# TYPE seatgrab_hold_expiries_total counter\n# TYPE seatgrab_seats gauge\n"
           "# TYPE seatgrab_queue_waiting gauge\n# TYPE seatgrab_queue_active gauge\n"
           "# TYPE seatgrab_queue_admitted_total counter\n"
           "# TYPE seatgrab_queue_admission_per_min gauge\n";
    out += actor_part;
    response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
    res.body() = std::move(out);
    return res;
  }

  static std::string fmt_double(double x) {
    std::ostringstream os;
    os << x;
    return os.str();
  }

  // -- idempotency keys -------------------------------------------------------------------

  /// Same key + same request → the stored answer again; same key + another request → 422;
  /// the first still running → 409. Keys are scoped by caller (bearer token digest or
  /// address) and route. This answer record is written through the journal writer once the
  /// effect is durable, and kept for `idempotency_ttl`. The effects carry the key in their own
  /// journal batch (a hold's id derives from it and the session records it with the hold; an
  /// order's `started` event holds it), so a retry after a crash between the effect and this
  /// record meets the same hold or order rather than making a second one.
  void with_idempotency(call c, route_fn fn) {
    const auto& req = c.ex->req();
    auto key_field = req["Idempotency-Key"];
    std::string key{key_field.data(), key_field.size()};
    if (key.empty() || key.size() > 255)
      return c.ex->respond(
          problem(400, "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 characters"));
    auto auth = req[bhttp::field::authorization];
    auto scope = auth.empty() ? "ip:" + c.ex->remote()
                              : "tk:" + sha256_hex(std::string_view{auth.data(), auth.size()});
    std::string target{req.target().data(), req.target().size()};
    auto record_key = "http/" + sha256_hex(scope + "\n" + target + "\n" + key);
    auto fingerprint =
        sha256_hex(std::string{req.method_string()} + "\n" + target + "\n" + req.body());
    {
      std::lock_guard lock{idem_mtx};
      if (running.count(record_key) > 0)
        return c.ex->respond(
            problem(409, "request_in_progress", "a request with this key is still running"));
      auto stored = node.db().get(persistence::column::idempotency, record_key);
      if (stored && *stored) {
        auto rec = json::parse(**stored, nullptr, false);
        if (!rec.is_discarded() && rec.value("fingerprint", "") == fingerprint) {
          response res{static_cast<bhttp::status>(rec.value("status", 200)), 11};
          res.set(bhttp::field::content_type, rec.value("content_type", "application/json"));
          res.set("Idempotent-Replayed", "true");
          res.body() = rec.value("body", "");
          return c.ex->respond(std::move(res));
        }
        if (!rec.is_discarded())
          return c.ex->respond(problem(422, "idempotency_key_reused",
                                       "this Idempotency-Key was used with another request"));
      }
      running.insert(record_key);
    }
    auto self = shared_from_this();
    auto* tracked_ex = static_cast<tracked*>(c.ex.get());
    tracked_ex->on_answer_ = [self, record_key, fingerprint](const response& res,
                                                             std::function<void(response)> send) {
      auto status = res.result_int();
      // Server-side failures are not final: the client may retry with the same key.
      if (status >= 500 || status == 429) {
        {
          std::lock_guard lock{self->idem_mtx};
          self->running.erase(record_key);
        }
        return send(res);
      }
      json rec{{"fingerprint", fingerprint},
               {"status", status},
               {"content_type", std::string{res[bhttp::field::content_type]}},
               {"body", res.body()},
               {"at_ms", wall_ms()}};
      persistence::write_set ws;
      ws.put(persistence::column::idempotency, record_key, dump(rec));
      auto copy = std::make_shared<response>(res);
      self->node.context()->journal->submit(
          std::move(ws), [self, record_key, copy, send](const caf::error& err) {
            {
              std::lock_guard lock{self->idem_mtx};
              self->running.erase(record_key);
            }
            if (err)
              spdlog::error("idempotency record not written: {}", render(err));
            send(std::move(*copy));
          });
    };
    (this->*fn)(c);
  }

  /// Drops records older than the retention period (at start).
  void load_idempotency() {
    auto cutoff =
        wall_ms() -
        std::chrono::duration_cast<std::chrono::milliseconds>(opts.idempotency_ttl).count();
    persistence::write_set ws;
    size_t dropped = 0;
    auto res = node.db().for_each(
        persistence::column::idempotency, [&](std::string_view key, std::string_view value) {
          auto rec = json::parse(value, nullptr, false);
          if (rec.is_discarded() || rec.value("at_ms", int64_t{0}) < cutoff) {
            ws.erase(persistence::column::idempotency, std::string{key});
            ++dropped;
          }
          return true;
        });
    if (!res) {
      spdlog::error("reading idempotency records: {}", render(res.error()));
      return;
    }
    if (dropped > 0) {
      node.context()->journal->submit(std::move(ws), [](const caf::error&) {});
      spdlog::info("dropped {} expired idempotency records", dropped);
    }
  }

  // -- misc ------------------------------------------------------------------------------

  static int64_t wall_ms() {
    // The edge's own clock, for challenges and record ages (not domain decisions).
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  static std::string random_id(const std::string& prefix) {
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1)
      return prefix + std::to_string(wall_ms());
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = prefix;
    for (auto b : bytes) {
      out += hex[b >> 4];
      out += hex[b & 15];
    }
    return out;
  }

  /// The event id inside a ticket code (unverified; the box office verifies).
  static std::optional<std::string> event_of_code(const std::string& code);

  cluster::node& node;
  caf::actor_system& sys;
  api_options opts;
  catalog_actor catalog;
  actors::resolver& resolver; // the node's one cache of placement answers
  accounts_actor accounts;
  std::vector<route> routes;
  rate_limiter limiter;
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::atomic<const server*> srv{nullptr};
  std::string openapi;
  std::mutex metrics_mtx;
  std::map<std::string, route_stats> stats;
  std::mutex caches_mtx;
  std::map<std::string, std::shared_ptr<event_cache>> caches;
  unsigned char pow_key[32];
  std::mutex pow_mtx;
  std::map<std::string, int64_t> used_challenges;
  std::mutex idem_mtx;
  std::set<std::string> running;
  std::mutex auth_mtx;
  std::unordered_map<std::string, std::pair<auth_info, steady::time_point>> auth_cache;
};

std::optional<std::string> api::impl::event_of_code(const std::string& code) {
  // "T1.<base64url(payload)>.<sig>[.<rotating>]"; payload: u16 len + ticket id, u16 len +
  // event id, ...
  if (!code.starts_with("T1."))
    return std::nullopt;
  auto end = code.find('.', 3);
  if (end == std::string::npos)
    return std::nullopt;
  auto payload = base64url_decode(std::string_view{code}.substr(3, end - 3));
  if (!payload || payload->size() < 4)
    return std::nullopt;
  const auto& p = *payload;
  size_t n = (size_t(uint8_t(p[0])) << 8) | uint8_t(p[1]);
  if (2 + n + 2 > p.size())
    return std::nullopt;
  size_t m = (size_t(uint8_t(p[2 + n])) << 8) | uint8_t(p[3 + n]);
  if (4 + n + m > p.size() || m == 0 || m > 64)
    return std::nullopt;
  return p.substr(4 + n, m);
}

// -- api ------------------------------------------------------------------------------------

api::api(cluster::node& node, api_options opts)
    : impl_(std::make_shared<impl>(node, std::move(opts))) {
  // nop
}

api::~api() {
  shutdown();
}

void api::handle(std::shared_ptr<exchange> ex) {
  ++impl_->in_flight;
  auto self = impl_;
  // The in-flight count drops when the answer goes out.
  struct counted : exchange {
    counted(std::shared_ptr<exchange> inner, std::shared_ptr<impl> owner)
        : inner_(std::move(inner)), owner_(std::move(owner)) {}
    ~counted() override {
      if (!done_.exchange(true))
        --owner_->in_flight;
    }
    const request& req() const override { return inner_->req(); }
    const std::string& remote() const override { return inner_->remote(); }
    void respond(response res) override {
      if (!done_.exchange(true))
        --owner_->in_flight;
      inner_->respond(std::move(res));
    }
    std::shared_ptr<event_stream> open_stream(response head) override {
      if (!done_.exchange(true))
        --owner_->in_flight;
      return inner_->open_stream(std::move(head));
    }
    std::shared_ptr<exchange> inner_;
    std::shared_ptr<impl> owner_;
    std::atomic<bool> done_{false};
  };
  self->handle(std::make_shared<counted>(std::move(ex), self));
}

void api::attach(const server* srv) {
  impl_->srv = srv;
}

void api::shutdown() {
  impl_->stopping = true;
}

const std::vector<std::string>& api::routes() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> result;
    for (const auto& r : impl::table())
      result.push_back(std::string{bhttp::to_string(r.method)} + " " + r.pattern);
    return result;
  }();
  return all;
}

response server_problem(unsigned status, std::string_view code, std::string_view detail) {
  return problem(status, code, detail);
}

} // namespace seatgrab::http
