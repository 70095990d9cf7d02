#pragma once

// A real node with the real HTTP edge on an ephemeral port, for integration tests: real
// threads, a memory-only store, cheap password hashes. Requests go through `http_client`.

#include "cluster/node.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace seatgrab::test {

inline const std::string admin_token = "test-admin-token";

/// The bot guard's rules with every rule counted, none enforced: the tests' clients are
/// scripts, which only the bot guard's own tests want treated as such.
inline bot_rules shadow_bots() {
  bot_rules r;
  for (auto name : {"prefix_joins", "device_accounts", "card_purchases", "card_tickets",
                    "card_declines", "risk"})
    r.modes[name] = rule_mode::shadow;
  return r;
}

struct edge_options {
  http::api_options api;
  bot_rules bots = shadow_bots();
  http::server_options server;
  persistence::durability durability = persistence::durability::none;
  std::filesystem::path data_dir = "mem-edge";
};

class edge_fixture {
public:
  explicit edge_fixture(edge_options opts = {}) {
    cluster::node_options n;
    n.data_dir = opts.data_dir;
    n.durability = opts.durability;
    n.threads = 2;
    n.wall_origin = domain::time_point{std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch())};
    n.actors.accounts.scrypt.n = uint64_t{1} << 10;
    n.bot_defaults = opts.bots;
    auto started = cluster::node::start(n);
    REQUIRE_MESSAGE(started, render(started));
    node_ = std::move(*started);
    opts.api.admin_token = admin_token;
    opts.api.openapi_path = std::string{SEATGRAB_SOURCE_DIR} + "/http/openapi.json";
    api_ = std::make_shared<http::api>(*node_, opts.api);
    opts.server.port = 0;
    std::string error;
    auto api = api_;
    server_ = http::server::start(
        opts.server, [api](std::shared_ptr<http::exchange> ex) { api->handle(std::move(ex)); },
        http::server_problem, error);
    REQUIRE_MESSAGE(server_, error);
    api_->attach(server_.get());
  }

  ~edge_fixture() {
    api_->shutdown();
    server_->stop(std::chrono::seconds{5});
  }

  uint16_t port() const { return server_->port(); }
  http::server& server() { return *server_; }
  cluster::node& node() { return *node_; }
  http_client client() const { return http_client{port()}; }

  /// Adds the small venue (sections A, B; 2 x 6 seats each) and event `id`, on sale now.
  void add_event(const std::string& id = "gig", nlohmann::json extra = nlohmann::json::object()) {
    auto c = client();
    auto venue =
        c.with_token(admin_token, "POST", "/v1/admin/venues", domain::to_json(small_venue()));
    REQUIRE(venue.result_int() == 201);
    nlohmann::json ev{{"id", id},
                      {"venue_id", "hall"},
                      {"name", "The Gig"},
                      {"opens_at", "2020-01-01T00:00:00Z"},
                      {"hold_ttl_s", 300},
                      {"admission_per_min", 600000},
                      {"max_active_shoppers", 100000},
                      {"queue_mode", "fifo"}};
    ev.update(extra);
    auto res = c.with_token(admin_token, "POST", "/v1/admin/events", ev.dump());
    REQUIRE_MESSAGE(res.result_int() == 201, res.body());
  }

  /// Signs up and logs in `email`; returns the bearer token.
  std::string fan(const std::string& email, http_client& c) {
    auto up = c.request("POST", "/v1/accounts",
                        nlohmann::json{{"email", email}, {"password", "correct horse"}}.dump());
    REQUIRE_MESSAGE(up.result_int() == 201, up.body());
    auto in = c.request("POST", "/v1/sessions",
                        nlohmann::json{{"email", email}, {"password", "correct horse"}}.dump());
    REQUIRE_MESSAGE(in.result_int() == 201, in.body());
    return nlohmann::json::parse(in.body())["token"];
  }

  /// Joins the queue of `event` and waits on the status stream for the admission token.
  std::string admitted(const std::string& token, http_client& c, const std::string& event = "gig",
                       const std::string& device = "dev-1") {
    auto joined = c.with_token(token, "POST", "/v1/events/" + event + "/queue",
                               nlohmann::json{{"device", device}}.dump());
    REQUIRE_MESSAGE(joined.result_int() == 201, joined.body());
    auto ticket = nlohmann::json::parse(joined.body())["ticket"].get<uint64_t>();
    auto target = "/v1/events/" + event + "/queue/" + std::to_string(ticket);
    for (int i = 0; i < 10; ++i) {
      auto st = c.with_token(token, "GET", target);
      REQUIRE(st.result_int() == 200);
      auto j = nlohmann::json::parse(st.body());
      if (j["state"] == "admitted")
        return j["admission_token"];
      // Wait for the next status change on the stream (the pacer admits once a second).
      c.read_events(target + "/stream", 2, {{"Authorization", "Bearer " + token}},
                    std::chrono::seconds{5});
    }
    FAIL("not admitted");
    return {};
  }

private:
  std::unique_ptr<cluster::node> node_;
  std::shared_ptr<http::api> api_;
  std::unique_ptr<http::server> server_;
};

inline nlohmann::json body_of(const http_response& res) {
  auto j = nlohmann::json::parse(res.body(), nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), res.body());
  return j;
}

} // namespace seatgrab::test
