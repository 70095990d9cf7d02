#pragma once

// Internal to the HTTP runner (scenarios/over_http.cpp): the crowd's calls as requests of the
// node's public API, each fan through the edge of its number, each client with its own headers
// and address (through the trusted proxy the crowd plays), answering the bot guard's challenges
// as the client would; and reading the API's answers.

#include "messages/ec.hpp"
#include "scenarios/crowd.hpp"
#include "scenarios/http_client.hpp"
#include "security/step_up.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace seatgrab::scenarios::http_mode {

using json = nlohmann::json;
namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

/// The `ec` a problem+json `code` names; codes of the edge alone (rate limits, proof of work)
/// count as `unavailable`, with the code kept in the context.
inline caf::error error_of(const http_reply& r) {
  if (r.status == 0)
    return caf::make_error(ec::unavailable, r.error);
  static const auto codes = [] {
    std::map<std::string, ec, std::less<>> m;
    for (int i = 1; i <= static_cast<int>(ec::suspected_bot); ++i)
      m.emplace(std::string{to_string(static_cast<ec>(i))}, static_cast<ec>(i));
    return m;
  }();
  auto j = json::parse(r.body, nullptr, false);
  std::string code = j.is_object() && j.contains("code") && j["code"].is_string()
                         ? j["code"].get<std::string>()
                         : "";
  auto detail = "HTTP " + std::to_string(r.status) + " " + code +
                (j.is_object() && j.contains("detail") ? ": " + j["detail"].dump() : "");
  if (code == "rate_limited") // the edge's own limits: as the guard's, with the wait
    return caf::make_error(ec::velocity_limited, detail, std::max<uint32_t>(1, r.retry_after_s));
  if (auto i = codes.find(code); i != codes.end()) {
    if (r.status == 429)
      return caf::make_error(i->second, detail, std::max<uint32_t>(1, r.retry_after_s));
    return caf::make_error(i->second, detail);
  }
  return caf::make_error(ec::unavailable, detail);
}

/// Solves the proof of work `token` of `bits` as a native solver does (SHA-256 from the
/// midstate of "token:", on this thread): the nonce and the hashes it took.
inline std::pair<std::string, uint64_t> solve_pow(const std::string& token, uint32_t bits) {
  static EVP_MD* sha = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> base{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  if (!sha || !base || !ctx || EVP_DigestInit_ex(base.get(), sha, nullptr) != 1 ||
      EVP_DigestUpdate(base.get(), token.data(), token.size()) != 1 ||
      EVP_DigestUpdate(base.get(), ":", 1) != 1)
    return {"0", 0}; // the join then fails its check, as any wrong answer does
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  for (uint64_t n = 0;; ++n) {
    auto nonce = std::to_string(n);
    if (EVP_MD_CTX_copy_ex(ctx.get(), base.get()) != 1 ||
        EVP_DigestUpdate(ctx.get(), nonce.data(), nonce.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), d, &len) != 1)
      return {"0", n};
    uint32_t zeros = 0;
    for (unsigned i = 0; i < len && zeros < bits; ++i) {
      auto lead = d[i] == 0 ? 8u : static_cast<uint32_t>(std::countl_zero(d[i]));
      zeros += lead;
      if (lead < 8)
        break;
    }
    if (zeros >= bits)
      return {nonce, n + 1};
  }
}

/// Parses a successful JSON answer, or says why not.
template <class T, class F>
caf::expected<T> parse(const http_reply& r, unsigned want, F&& f) {
  if (r.status != want)
    return error_of(r);
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    return caf::make_error(ec::unavailable, "unparsable answer: " + r.body.substr(0, 200));
  try {
    return f(j);
  } catch (const json::exception& e) {
    return caf::make_error(ec::unavailable, std::string{"unexpected answer: "} + e.what());
  }
}

inline queue_status status_of(const json& j) {
  queue_status st;
  st.ticket = j.at("ticket").get<uint64_t>();
  st.state = j.value("state", std::string{"waiting"});
  st.position = j.at("position").get<uint64_t>();
  st.eta_s = j.at("eta_s").get<uint64_t>();
  st.admission_token = j.value("admission_token", std::string{});
  return st;
}

inline ticket_info ticket_of(const json& j) {
  ticket_info t;
  t.id = j.at("id").get<std::string>();
  t.seat = j.at("seat").get<std::string>();
  t.status = j.value("status", std::string{});
  return t;
}

/// The fans' calls as HTTP requests. A fan signs up and logs in when it arrives.
class http_fans : public fan_api {
public:
  /// Fan `i` talks to edge `i % edges.size()` for everything it does.
  http_fans(asio::io_context& io, const std::vector<std::unique_ptr<http_client>>& edges,
            const std::vector<std::unique_ptr<http_client>>& bot_edges, std::string event_id,
            std::string run_id, const std::vector<client>& clients, uint64_t seed)
      : io_(io), edges_(edges), bot_edges_(bot_edges), event_id_(std::move(event_id)),
        run_id_(std::move(run_id)), clients_(&clients), fans_(clients.size()),
        rng_(seed ^ 0x477bULL) {}

  /// Account id -> fan index, of the fans who signed up in this run.
  const std::map<std::string, uint32_t>& accounts() const { return accounts_; }

  std::string email_of(uint32_t fan) const {
    return crowd::account_of(fan) + "." + run_id_ + "@fans.test";
  }

  void join(uint32_t fan, const client& who, join_notes& notes, callback<queue_status> k) override {
    if (!fans_[fan].bearer.empty())
      return join_queue(fan, who, notes, std::move(k));
    json creds{{"email", email_of(fan)}, {"password", "scenario-" + run_id_}};
    http_call signup{"POST", "/v1/accounts", creds.dump()};
    signup.headers = headers_of(fan);
    edge(fan).send(std::move(signup), [this, fan, &who, &notes, k, creds](http_reply r) {
      if (r.status != 201 && ec_of(error_of(r)) != ec::already_exists)
        return k(error_of(r));
      if (r.status == 201) {
        auto j = json::parse(r.body, nullptr, false);
        if (j.is_object() && j.contains("id") && j["id"].is_string())
          accounts_[j["id"].get<std::string>()] = fan;
      }
      http_call login{"POST", "/v1/sessions", creds.dump()};
      login.headers = headers_of(fan);
      edge(fan).send(std::move(login), [this, fan, &who, &notes, k](http_reply r) {
        auto token = parse<std::string>(
            r, 201, [](const json& j) { return j.at("token").get<std::string>(); });
        if (!token)
          return k(token.error());
        fans_[fan].bearer = std::move(*token);
        join_queue(fan, who, notes, k);
      });
    });
  }

  void status(uint32_t fan, callback<queue_status> k) override {
    http_call c{"GET", "/v1/events/" + event_id_ + "/queue/" + std::to_string(fans_[fan].ticket)};
    c.bearer = fans_[fan].bearer;
    c.headers = headers_of(fan);
    edge(fan).send(std::move(c), [k](http_reply r) { k(parse<queue_status>(r, 200, status_of)); });
  }

  void hold(uint32_t fan, const std::string& section, uint32_t quantity,
            const std::string& admission_token, const std::string& key,
            callback<hold_receipt> k) override {
    http_call c{"POST", "/v1/events/" + event_id_ + "/holds",
                json{{"section", section}, {"quantity", quantity}}.dump()};
    c.bearer = fans_[fan].bearer;
    c.admission_token = admission_token;
    c.idempotency_key = run_id_ + "-" + key;
    c.headers = headers_of(fan);
    edge(fan).send(std::move(c), [k](http_reply r) {
      k(parse<hold_receipt>(r, 201, [](const json& j) {
        hold_receipt h;
        h.hold_id = j.at("id").get<std::string>();
        h.total = j.at("total").get<int64_t>();
        return h;
      }));
    });
  }

  void checkout(uint32_t fan, const std::string& hold_id, const std::string& card,
                const std::string& key, callback<order_info> k) override {
    http_call c{"POST", "/v1/holds/" + hold_id + "/checkout", json{{"card", card}}.dump()};
    c.bearer = fans_[fan].bearer;
    c.headers = headers_of(fan);
    c.idempotency_key = run_id_ + "-" + key;
    edge(fan).send(std::move(c), [k](http_reply r) {
      k(parse<order_info>(r, 201, [](const json& j) {
        order_info o;
        o.id = j.at("order_id").get<std::string>();
        for (const auto& t : j.at("tickets"))
          o.tickets.push_back(ticket_of(t));
        return o;
      }));
    });
  }

  void refund(uint32_t fan, const std::string& ticket_id, callback<ticket_info> k) override {
    http_call c{"POST", "/v1/tickets/" + ticket_id + "/refund"};
    c.bearer = fans_[fan].bearer;
    c.idempotency_key = run_id_ + "-refund-" + ticket_id;
    edge(fan).send(std::move(c), [k](http_reply r) { k(parse<ticket_info>(r, 200, ticket_of)); });
  }

  void transfer(uint32_t fan, const std::string& ticket_id, uint32_t to,
                callback<ticket_info> k) override {
    http_call c{"POST", "/v1/tickets/" + ticket_id + "/transfer",
                json{{"to", email_of(to)}}.dump()};
    c.bearer = fans_[fan].bearer;
    c.idempotency_key = run_id_ + "-transfer-" + ticket_id;
    edge(fan).send(std::move(c), [k](http_reply r) { k(parse<ticket_info>(r, 200, ticket_of)); });
  }

  void load(callback<std::vector<section_load>> k) override {
    // The overview is shared by the fans of a tick; looked up at most twice a second, so at
    // small time scales it does not crowd out the fans' own requests.
    auto now = steady::now();
    if (loading_ || now - loaded_at_ < std::chrono::milliseconds{500})
      return k(load_);
    loading_ = true;
    loaded_at_ = now;
    http_call c{"GET", "/v1/events/" + event_id_ + "/seatmap"};
    c.if_none_match = etag_;
    // Each edge in turn: every member serves the map.
    edges_[loads_++ % edges_.size()]->send(std::move(c), [this, k](http_reply r) {
      loading_ = false;
      if (r.status == 304)
        return k(load_);
      auto x = parse<std::vector<section_load>>(r, 200, [](const json& j) {
        std::vector<section_load> result;
        for (const auto& sec : j.at("sections")) {
          section_load l{sec.at("id").get<std::string>()};
          for (const auto& seat : sec.at("seats")) {
            auto status = seat.at("status").get<std::string>();
            (status == "free" ? l.free : status == "held" ? l.held : l.sold)++;
          }
          result.push_back(std::move(l));
        }
        return result;
      });
      if (x) {
        etag_ = r.etag;
        load_ = *x;
      }
      k(std::move(x));
    });
  }

private:
  struct fan_state {
    std::string bearer;
    uint64_t ticket = 0;
  };

  /// What the client sends besides the call's own headers: its browser's (or script's), and
  /// its address through the trusted proxy the crowd plays.
  std::vector<std::pair<std::string, std::string>> headers_of(uint32_t fan) const {
    const auto& who = (*clients_)[fan];
    std::vector<std::pair<std::string, std::string>> out{{"User-Agent", who.traits.user_agent},
                                                         {"X-Forwarded-For", who.address}};
    const auto& order = who.traits.header_order;
    if (std::find(order.begin(), order.end(), "sec-fetch-mode") != order.end()) {
      out.emplace_back("Sec-Fetch-Site", "same-origin");
      out.emplace_back("Sec-Fetch-Mode", "cors");
      out.emplace_back("Sec-Fetch-Dest", "empty");
    }
    if (!who.traits.accept_language.empty())
      out.emplace_back("Accept-Language", who.traits.accept_language);
    return out;
  }

  /// The base challenge, solved, then the join.
  void join_queue(uint32_t fan, const client& who, join_notes& notes, callback<queue_status> k) {
    json body{{"device", who.device}};
    if (!who.signals.empty())
      body["signals"] = {{"screen", who.signals.screen},
                         {"timezone", who.signals.timezone},
                         {"languages", who.signals.languages},
                         {"platform", who.signals.platform},
                         {"canvas", who.signals.canvas},
                         {"audio", who.signals.audio},
                         {"hardware_concurrency", who.signals.hardware_concurrency}};
    http_call c{"GET", "/v1/events/" + event_id_ + "/challenge"};
    c.headers = headers_of(fan);
    edge(fan).send(std::move(c), [this, fan, &who, &notes, body, k](http_reply r) mutable {
      auto j = json::parse(r.body, nullptr, false);
      if (r.status == 200 && j.is_object() && j.value("difficulty", 0u) > 0)
        return solve_then(fan, who, notes, std::move(body), j, 0, k);
      attempt(fan, who, notes, std::move(body), 0, k);
    });
  }

  /// Solves the proof of work `challenge` names into the join `body` on the solver of `who`
  /// (never on the crowd's I/O thread: a busy crowd would make every solve look slow), then
  /// joins once the client would have: at its pace (a browser takes longer than this process;
  /// a native solver does not wait).
  void solve_then(uint32_t fan, const client& who, join_notes& notes, json body,
                  const json& challenge, uint32_t tries, callback<queue_status> k) {
    auto token = challenge.value("challenge", std::string{});
    auto bits = challenge.value("difficulty", 0u);
    auto& solver = who.native_solver ? farm_solver_ : browser_solver_;
    // From now: time spent waiting for the solver counts as solving, as a browser's would.
    auto started = steady::now();
    asio::post(solver,
               [this, work = asio::make_work_guard(io_), started, token = std::move(token), bits,
                fan, &who, &notes, body = std::move(body), tries, k = std::move(k)]() mutable {
                 auto [nonce, hashes] = solve_pow(token, bits);
                 body["challenge"] = token;
                 body["nonce"] = nonce;
                 auto paced = std::chrono::milliseconds{who.rtt_ms} +
                              std::chrono::microseconds{static_cast<int64_t>(
                                  static_cast<double>(hashes) * 1000.0 / who.hashes_per_ms)};
                 auto left = paced - (steady::now() - started);
                 asio::post(io_, [this, left, fan, &who, &notes, body = std::move(body), tries,
                                  k = std::move(k)]() mutable {
                   if (left <= steady::duration::zero())
                     return attempt(fan, who, notes, std::move(body), tries, k);
                   auto timer = std::make_shared<asio::steady_timer>(io_, left);
                   timer->async_wait([this, timer, fan, &who, &notes, body = std::move(body), tries,
                                      k](const boost::system::error_code&) mutable {
                     attempt(fan, who, notes, std::move(body), tries, k);
                   });
                 });
               });
  }

  /// One join; a harder proof of work or a step-up asked for is answered as `who` would, and
  /// the join made again.
  void attempt(uint32_t fan, const client& who, join_notes& notes, json body, uint32_t tries,
               callback<queue_status> k) {
    http_call c{"POST", "/v1/events/" + event_id_ + "/queue", body.dump()};
    c.bearer = fans_[fan].bearer;
    c.headers = headers_of(fan);
    edge(fan).send(std::move(c), [this, fan, &who, &notes, body, tries, k](http_reply r) mutable {
      auto st = parse<queue_status>(r, 201, status_of);
      if (!st && r.status == 200)
        st = parse<queue_status>(r, 200, status_of); // joined before: the same place
      if (st) {
        fans_[fan].ticket = st->ticket;
        return k(std::move(st));
      }
      auto j = json::parse(r.body, nullptr, false);
      auto code = j.is_object() ? j.value("code", std::string{}) : std::string{};
      if (r.status == 403 && code == "challenge_required" && j.contains("challenge")) {
        ++notes.challenges;
        body.erase("step_up"); // spent by the edge: a step-up asked for again comes fresh
        return solve_then(fan, who, notes, std::move(body), j["challenge"], tries, k);
      }
      if (r.status == 403 && (code == "step_up_required" || code == "step_up_failed") &&
          j.contains("step_up")) {
        if (tries >= who.step_up_tries)
          return k(caf::make_error(ec::step_up_required, "every step-up tried failed"));
        ++notes.step_ups;
        const auto& su = j["step_up"];
        // The text alternative, read; or a wrong answer, as often as the client fails.
        std::string answer = "0";
        if (static_cast<double>(rng_() % 1'000'000) < who.step_up_rate * 1e6)
          if (auto a = security::step_up::solve_question(su.value("question", std::string{})))
            answer = *a;
        body["step_up"] = {{"token", su.value("token", std::string{})}, {"answer", answer}};
        if (code == "step_up_failed") // the edge checks the step-up first: the work is unspent
          return attempt(fan, who, notes, std::move(body), tries + 1, k);
        body.erase("challenge");
        body.erase("nonce");
        if (j.contains("challenge")) // the work to bring along
          return solve_then(fan, who, notes, std::move(body), j["challenge"], tries + 1, k);
        return attempt(fan, who, notes, std::move(body), tries + 1, k);
      }
      k(error_of(r));
    });
  }

  /// The client fan `i` sends through: people share the crowd's pool, bots have their own
  /// connections (a farm does not wait in line behind other people's requests: its timing at
  /// the proof of work is its own).
  http_client& edge(uint32_t fan) const {
    const auto& pool = (*clients_)[fan].bot && !bot_edges_.empty() ? bot_edges_ : edges_;
    return *pool[fan % pool.size()];
  }

  asio::io_context& io_;
  const std::vector<std::unique_ptr<http_client>>& edges_;
  const std::vector<std::unique_ptr<http_client>>& bot_edges_;
  size_t loads_ = 0;
  std::string event_id_;
  std::string run_id_;
  const std::vector<client>* clients_;
  std::vector<fan_state> fans_;
  std::map<std::string, uint32_t> accounts_;
  std::mt19937_64 rng_;
  std::string etag_;
  std::vector<section_load> load_;
  bool loading_ = false;
  steady::time_point loaded_at_;
  // The proofs of work are solved off the I/O thread: those solved in a browser on one thread
  // (the client then waits as long as its browser would have taken), the native solvers' on
  // another, the farms' own hardware. Last, so stopped and joined before the other members
  // go; a solve still running then posts to an io_context no longer run.
  asio::thread_pool browser_solver_{1};
  asio::thread_pool farm_solver_{1};
};

} // namespace seatgrab::scenarios::http_mode
