// A node's admin actor (cluster/admin.hpp), on the test coordinator: the token is checked
// before anything runs, a refused token and every change land in the audit log, the log comes
// back after a restart, and the operator's commands act on the real actors (a paused queue
// admits nobody, a released hold frees its seats, inspect agrees with the seat map).

#include "cluster/admin.hpp"
#include "cluster/placement.hpp"
#include "tests/support/node_fixture.hpp"

#include <caf/send.hpp>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace sg = seatgrab;
using json = nlohmann::json;
using words = std::vector<std::string>;

namespace {

/// A node with its admin actor (token "tok"), stopped before the node.
struct admin_node {
  sg::test::node_fixture node;
  sg::admin_actor admin;

  explicit admin_node(std::string token = "tok") { admin = start(std::move(token)); }

  ~admin_node() { stop(); }

  sg::admin_actor start(std::string token) {
    sg::cluster::admin_options opts{std::move(token),
                                    sg::cluster::membership{{sg::cluster::member{"local", {}, {}}}},
                                    std::make_shared<sg::cluster::single_member>()};
    auto hdl = sg::cluster::spawn_admin(node.ts().sys(), node.ctx(), node.registry(),
                                        node.catalog(), std::move(opts));
    REQUIRE(hdl);
    node.ts().run();
    return *hdl;
  }

  void stop() {
    caf::anon_send_exit(admin, caf::exit_reason::user_shutdown);
    node.ts().run();
  }

  caf::expected<std::string> run(const words& w, const std::string& token = "tok",
                                 bool as_json = false) {
    return node.call<std::string>(admin, sg::atom::admin_v,
                                  sg::admin_request{token, "tester", w, as_json});
  }

  json run_json(const words& w) {
    auto out = run(w, "tok", true);
    REQUIRE_MESSAGE(out, sg::render(out.error()));
    return json::parse(*out);
  }

  sg::queue_status join(const std::string& fan) {
    auto room = node.waiting_room("gig");
    auto st = node.call<sg::queue_status>(room, sg::atom::join_v, fan, "dev-" + fan);
    REQUIRE(st);
    return *st;
  }

  std::string state_of(const sg::queue_status& ticket, const std::string& fan) {
    auto st =
        node.call<sg::queue_status>(node.waiting_room("gig"), sg::atom::get_v, ticket.ticket, fan);
    REQUIRE(st);
    return st->state;
  }
};

} // namespace

TEST_CASE("a wrong token is refused, changes nothing and is in the audit log") {
  admin_node a;
  a.node.add_small_event();
  auto refused = a.run({"queue", "gig", "pause"}, "not-the-token");
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == sg::ec::unauthenticated);
  CHECK(a.run_json({"inspect", "queue", "gig"})["counters"]["paused"] == 0);
  auto log = a.run_json({"audit"})["entries"];
  REQUIRE(log.size() == 1);
  CHECK(log[0]["command"] == "queue gig pause");
  CHECK(log[0]["who"] == "tester");
  CHECK(log[0]["ok"] == false);
  CHECK(log[0]["outcome"].get<std::string>().find("wrong admin token") != std::string::npos);
  // Reading needs the token too.
  CHECK(a.run({"nodes"}, "").error() == sg::ec::unauthenticated);
  auto status = a.node.call<sg::actor_status>(a.admin, sg::atom::status_v);
  REQUIRE(status);
  CHECK(status->counter("refused") == 2);
}

TEST_CASE("a node without an admin token refuses every command") {
  admin_node a{""};
  auto out = a.run({"nodes"}, "");
  REQUIRE_FALSE(out);
  CHECK(out.error() == sg::ec::unauthenticated);
  CHECK(sg::render(out.error()).find("no admin token") != std::string::npos);
}

TEST_CASE("a paused queue admits nobody until it is resumed; both are audited") {
  admin_node a;
  a.node.add_small_event();
  auto paused = a.run({"queue", "gig", "pause"});
  REQUIRE_MESSAGE(paused, sg::render(paused.error()));
  CHECK(*paused == "queue gig paused\n");
  auto fan = a.join("fan-1");
  a.node.advance_seconds(5);
  CHECK(a.state_of(fan, "fan-1") == "waiting");
  CHECK(a.run_json({"inspect", "queue", "gig"})["counters"]["paused"] == 1);
  REQUIRE(a.run({"queue", "gig", "resume"}));
  a.node.advance_seconds(2);
  CHECK(a.state_of(fan, "fan-1") == "admitted");
  REQUIRE(a.run({"queue", "gig", "rate", "600"}));
  CHECK(a.run_json({"inspect", "queue", "gig"})["counters"]["rate_per_min"] == 600);
  auto log = a.run_json({"audit"})["entries"];
  REQUIRE(log.size() == 3);
  CHECK(log[0]["command"] == "queue gig pause");
  CHECK(log[1]["command"] == "queue gig resume");
  CHECK(log[2]["outcome"] == "queue gig admits 600 per minute");
  for (const auto& e : log)
    CHECK(e["ok"] == true);
  // Reads are not audited; a failed change is, with its error.
  REQUIRE(a.run({"nodes"}));
  CHECK(a.run({"queue", "nope", "pause"}).error() == sg::ec::not_found);
  log = a.run_json({"audit"})["entries"];
  REQUIRE(log.size() == 4);
  CHECK(log[3]["ok"] == false);
  CHECK(log[3]["outcome"].get<std::string>().find("not_found") != std::string::npos);
}

TEST_CASE("an operator releases a fan's hold across sections; inspect agrees with the map") {
  admin_node a;
  auto ev = a.node.add_small_event();
  auto held = a.node.call<sg::hold_receipt>(
      ev, sg::atom::hold_v,
      sg::hold_request{"h1", "alice", {"A-1-1", "A-1-2", "B-1-1"}, {}, 0, {}, {}});
  REQUIRE(held);
  auto sec_a = a.node.section("gig", "A");
  CHECK(a.node.status(sec_a, "A-1-1") == sg::seat_state::held);
  auto inspected = a.run_json({"inspect", "section", "gig/A"});
  CHECK(inspected["node"] == "local");
  CHECK(inspected["counters"]["held"] == 2);
  auto map = a.node.call<sg::section_map>(sec_a, sg::atom::get_v, sg::atom::seatmap_v);
  REQUIRE(map);
  int64_t held_in_map = 0, free_in_map = 0;
  for (const auto& s : map->seats)
    (s.status == sg::seat_state::held ? held_in_map : free_in_map) += 1;
  CHECK(inspected["counters"]["held"] == held_in_map);
  CHECK(inspected["counters"]["free"] == free_in_map);

  auto released = a.run({"hold", "release", "gig", "h1", "--reason", "chargeback", "risk"});
  REQUIRE_MESSAGE(released, sg::render(released.error()));
  CHECK(released->find("3 seats") != std::string::npos);
  CHECK(a.node.status(sec_a, "A-1-1") == sg::seat_state::free);
  CHECK(a.node.status(a.node.section("gig", "B"), "B-1-1") == sg::seat_state::free);
  CHECK(a.run_json({"inspect", "section", "gig/A"})["counters"]["held"] == 0);
  // Released once: a second release finds nothing.
  CHECK(a.run({"hold", "release", "gig", "h1", "--reason", "again"}).error() ==
        sg::ec::hold_not_found);
  auto log = a.run_json({"audit"})["entries"];
  REQUIRE(log.size() == 2);
  CHECK(log[0]["command"] == "hold release gig h1 --reason chargeback risk");
  CHECK(log[0]["ok"] == true);
  CHECK(log[1]["ok"] == false);
}

TEST_CASE("the audit log is journaled: a restarted admin actor lists it again") {
  admin_node a;
  a.node.add_small_event();
  REQUIRE(a.run({"queue", "gig", "pause"}));
  REQUIRE_FALSE(a.run({"events"}, "wrong"));
  a.stop();
  a.admin = a.start("tok");
  auto log = a.run_json({"audit"})["entries"];
  REQUIRE(log.size() == 2);
  CHECK(log[0]["seq"] == 1);
  CHECK(log[0]["command"] == "queue gig pause");
  CHECK(log[1]["ok"] == false);
  // New entries go on from there.
  REQUIRE(a.run({"queue", "gig", "resume"}));
  CHECK(a.run_json({"audit"})["entries"][2]["seq"] == 3);
}

TEST_CASE("actors, top, events and nodes list what the node hosts") {
  admin_node a;
  a.node.add_small_event();
  auto sections = a.run_json({"actors", "section"})["actors"];
  REQUIRE(sections.size() == 2);
  CHECK(sections[0]["id"] == "gig/A");
  CHECK(sections[1]["id"] == "gig/B");
  auto everything = a.run_json({"actors"})["actors"];
  // 2 sections, event, queue, box office, pricing, bot guard, accounts
  CHECK(everything.size() == 8);
  CHECK(a.run_json({"actors", "bot_guard"})["actors"].size() == 1);
  CHECK(a.run({"actors", "--node", "nope"}).error() == sg::ec::invalid_argument);
  auto top = a.run_json({"top", "2"});
  CHECK(top["by_mailbox"].size() == 2);
  CHECK(top["by_version"].size() == 2);
  auto events = a.run_json({"events"});
  REQUIRE(events.size() == 1);
  CHECK(events[0]["id"] == "gig");
  auto nodes = a.run_json({"nodes"});
  REQUIRE(nodes.size() == 1);
  CHECK(nodes[0]["name"] == "local");
  CHECK(nodes[0]["state"] == "up");
  CHECK(nodes[0]["actors"] == 8);
  auto text = a.run({"actors", "event"});
  REQUIRE(text);
  CHECK(text->find("local  event  gig") != std::string::npos);
  CHECK(a.run({"inspect", "event", "nope"}).error() == sg::ec::not_found);
  CHECK(a.run({"inspect", "section", "gig"}).error() == sg::ec::invalid_argument);
}

TEST_CASE("event close ends the sale: no joins, admissions or new holds; held seats may be paid") {
  admin_node a;
  auto ev = a.node.add_small_event();
  REQUIRE(a.run({"queue", "gig", "pause"}));
  auto fan = a.join("fan-1"); // waiting: the queue is paused
  auto held = a.node.call<sg::hold_receipt>(
      ev, sg::atom::hold_v, sg::hold_request{"h1", "alice", {"A-1-1", "B-1-1"}, {}, 0, {}, {}});
  REQUIRE(held);

  auto closed = a.run({"event", "gig", "close"});
  REQUIRE_MESSAGE(closed, sg::render(closed.error()));
  CHECK(*closed == "event gig closed\n");
  CHECK(a.run_json({"inspect", "queue", "gig"})["counters"]["closed"] == 1);
  CHECK(a.run_json({"inspect", "section", "gig/A"})["counters"]["closed"] == 1);
  CHECK(a.run_json({"inspect", "section", "gig/B"})["counters"]["closed"] == 1);

  // The waiting fan is told, and stays out even once the queue is resumed.
  CHECK(a.state_of(fan, "fan-1") == "closed");
  REQUIRE(a.run({"queue", "gig", "resume"}));
  a.node.advance_seconds(5);
  CHECK(a.state_of(fan, "fan-1") == "closed");
  // Nobody new joins, and no section takes a new hold.
  auto late = a.node.call<sg::queue_status>(a.node.waiting_room("gig"), sg::atom::join_v,
                                            std::string{"fan-2"}, std::string{"dev-fan-2"});
  REQUIRE_FALSE(late);
  CHECK(late.error() == sg::ec::sale_not_open);
  auto hold = a.node.call<sg::hold_receipt>(
      ev, sg::atom::hold_v, sg::hold_request{"h2", "bob", {"A-1-5"}, {}, 0, {}, {}});
  REQUIRE_FALSE(hold);
  CHECK(hold.error() == sg::ec::sale_not_open);
  CHECK(a.node.status(a.node.section("gig", "A"), "A-1-5") == sg::seat_state::free);
  // The hold placed before the close may still be paid.
  auto sold = a.node.call<sg::sale_receipt>(ev, sg::atom::confirm_v, std::string{"h1"},
                                            std::string{"alice"}, std::string{"o1"},
                                            std::vector<std::string>{"A", "B"});
  REQUIRE_MESSAGE(sold, sg::render(sold.error()));
  CHECK(a.node.status(a.node.section("gig", "A"), "A-1-1") == sg::seat_state::sold);

  // Closing again is done at once (an operator retries after a failure part way).
  REQUIRE(a.run({"event", "gig", "close"}));
  CHECK(a.run({"event", "nope", "close"}).error() == sg::ec::not_found);
  auto log = a.run_json({"audit"})["entries"];
  REQUIRE(log.size() == 5);
  CHECK(log[1]["command"] == "event gig close");
  CHECK(log[1]["outcome"] == "event gig closed");
  CHECK(log[1]["ok"] == true);
  CHECK(log[4]["ok"] == false);
}

TEST_CASE("price freeze|unfreeze|level change an event's pricing, audited; inspect shows it") {
  admin_node a;
  // An event that opens in an hour, priced before it.
  auto info = sg::test::small_event();
  info.id = "later";
  info.opens_at_ms = (sg::test::test_epoch + std::chrono::hours{1}).time_since_epoch().count();
  REQUIRE(a.node.call<std::string>(a.node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                   sg::domain::to_json(sg::test::small_venue())));
  REQUIRE(a.node.call<std::string>(a.node.catalog(), sg::atom::put_v, info));
  auto pricing = a.node.call<sg::pricing_actor>(a.node.registry(), sg::atom::get_v,
                                                sg::atom::pricing_v, std::string{"later"});
  REQUIRE(pricing);
  // Without a policy there is nothing to freeze.
  CHECK(a.run({"price", "freeze", "later"}).error() == sg::ec::invalid_argument);
  sg::pricing_request req;
  req.ladders = {{"front", {1000, 1300, 1600}}};
  REQUIRE(a.node.call<sg::pricing_info>(*pricing, sg::atom::put_v, req));
  auto frozen = a.run({"price", "freeze", "later"});
  REQUIRE_MESSAGE(frozen, sg::render(frozen.error()));
  CHECK(*frozen == "prices of event later frozen\n");
  CHECK(a.run_json({"inspect", "pricing", "later"})["counters"]["frozen"] == 1);
  REQUIRE(a.run({"price", "freeze", "later", "A"}));
  CHECK(a.run_json({"inspect", "pricing", "later"})["counters"]["frozen_sections"] == 1);
  REQUIRE(a.run({"price", "unfreeze", "later"}));
  CHECK(a.run_json({"inspect", "pricing", "later"})["counters"]["frozen"] == 0);
  auto level = a.run({"price", "level", "later", "A", "2"});
  REQUIRE(level);
  CHECK(*level == "prices of section later/A set to level 2\n");
  auto now = a.node.call<sg::pricing_info>(*pricing, sg::atom::get_v, sg::atom::pricing_v);
  REQUIRE(now);
  CHECK(now->sections[0].price == 1600);
  CHECK(a.node.status(a.node.section("later", "A"), "A-1-1") == sg::seat_state::free);
  CHECK(a.run({"price", "level", "later", "Z", "1"}).error() == sg::ec::unknown_section);
  auto log = a.run_json({"audit"})["entries"];
  REQUIRE(log.size() == 6);
  CHECK(log[1]["command"] == "price freeze later");
  CHECK(log[4]["command"] == "price level later A 2");
  CHECK(log[4]["ok"] == true);
  CHECK(log[5]["ok"] == false);
}

TEST_CASE("a flood of wrong tokens journals 60 refusals a minute; the rest are counted") {
  admin_node a;
  for (int i = 0; i < 70; ++i) {
    auto refused = a.run({"nodes"}, "guess-" + std::to_string(i));
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == sg::ec::unauthenticated);
  }
  auto log = a.run_json({"audit", "1000"})["entries"];
  CHECK(log.size() == 60);
  auto status = a.node.call<sg::actor_status>(a.admin, sg::atom::status_v);
  REQUIRE(status);
  CHECK(status->counter("refused") == 70);
  CHECK(status->counter("refused_unlogged") == 10);
  // A minute on, the next refusal is journaled and says how many went unlogged before it.
  a.node.advance(std::chrono::seconds{61});
  REQUIRE_FALSE(a.run({"nodes"}, "guess-again"));
  log = a.run_json({"audit", "1000"})["entries"];
  REQUIRE(log.size() == 61);
  CHECK(log[60]["outcome"] ==
        "refused: wrong admin token (10 refusals before this one were not logged)");
}

TEST_CASE("bots shows an event's guard and its offenders; bots mode changes a rule, audited") {
  admin_node a;
  a.node.add_small_event();
  auto join = [&](const std::string& fan) {
    return a.node.call<sg::queue_status>(a.node.session(fan), sg::atom::join_v, std::string{"gig"},
                                         sg::client_facts{"shared"});
  };
  REQUIRE(join("f1"));
  CHECK(join("f2").error() == sg::ec::device_in_use); // past the guard, not the room
  CHECK(join("f3").error() == sg::ec::device_limit);
  auto text = a.run({"bots", "gig"});
  REQUIRE_MESSAGE(text, sg::render(text.error()));
  CHECK(text->find("device_accounts") != std::string::npos);
  CHECK(text->find("shared") != std::string::npos);
  auto j = a.run_json({"bots", "gig"});
  CHECK(j["verdicts"]["refuse"] == 1);
  CHECK(j["verdicts"]["allow"] == 2);
  CHECK(j["top"]["devices"][0]["key"] == "shared");
  CHECK(a.run_json({"inspect", "bot_guard", "gig"})["counters"]["refuse"] == 1);
  // Counted only: the fourth account passes the guard (and meets the room's own rule).
  auto set = a.run({"bots", "mode", "gig", "device_accounts", "shadow"});
  REQUIRE_MESSAGE(set, sg::render(set.error()));
  CHECK(*set == "bot rule device_accounts of gig set to shadow\n");
  CHECK(join("f4").error() == sg::ec::device_in_use);
  CHECK(a.run_json({"bots", "gig"})["reasons"]["shadow:device_accounts"] == 1);
  CHECK(a.run({"bots", "mode", "gig", "teleport", "off"}).error() == sg::ec::invalid_argument);
  auto log = a.run_json({"audit"})["entries"];
  REQUIRE_FALSE(log.empty());
  CHECK(log.back()["command"] == "bots mode gig device_accounts shadow");
  CHECK(log.back()["ok"] == true);
}
