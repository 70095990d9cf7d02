#include "cluster/node.hpp"
#include "messages/catalog.pb.h"
#include "tests/support/node_fixture.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace std::chrono_literals;
using seatgrab::atom::confirm_v;
using seatgrab::atom::hold_v;
namespace sg = seatgrab;

TEST_CASE("a restarted node has every acknowledged hold and sale, and releases lapsed holds") {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-actor-recovery";
  std::filesystem::remove_all(dir);
  {
    sg::test::node_fixture node{dir, sg::persistence::durability::fsync};
    auto ev = node.add_small_event();
    REQUIRE(node.call<sg::hold_receipt>(
        ev, hold_v, sg::hold_request{"sold", "alice", {"A-1-1", "B-1-1"}, {}, 0, {}, {}}));
    REQUIRE(node.call<sg::sale_receipt>(ev, confirm_v, std::string{"sold"}, std::string{"alice"},
                                        std::string{"o1"}, std::vector<std::string>{"A", "B"}));
    node.advance(100s);
    REQUIRE(node.call<sg::hold_receipt>(ev, hold_v,
                                        sg::hold_request{"late", "bob", {"A-2-1"}, {}, 0, {}, {}}));
  }
  SUBCASE("restart before the hold's time is up: it is still held, and still lapses") {
    sg::test::node_fixture node{dir, sg::persistence::durability::fsync,
                                sg::test::test_epoch + 200s};
    auto a = node.section("gig", "A");
    CHECK(node.status(a, "A-1-1") == sg::seat_state::sold);
    CHECK(node.status(node.section("gig", "B"), "B-1-1") == sg::seat_state::sold);
    CHECK(node.status(a, "A-2-1") == sg::seat_state::held);
    node.advance(199s); // the hold was made at t+100 s, the node started at t+200 s
    CHECK(node.status(a, "A-2-1") == sg::seat_state::held);
    node.advance(1s);
    CHECK(node.status(a, "A-2-1") == sg::seat_state::free);
  }
  SUBCASE("restart after the hold's time: released at once, sales kept") {
    sg::test::node_fixture node{dir, sg::persistence::durability::fsync, sg::test::test_epoch + 1h};
    auto a = node.section("gig", "A");
    CHECK(node.status(a, "A-2-1") == sg::seat_state::free);
    CHECK(node.status(a, "A-1-1") == sg::seat_state::sold);
    // The release is journaled too, so the next restart need not repeat it.
    auto log = node.db().load("section", "gig/A");
    REQUIRE(log);
    sg::pb::section_event last;
    REQUIRE(last.ParseFromString(log->tail.back().second));
    CHECK(last.has_expired());
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a catalog that does not load stops the node at start, naming the problem") {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-bad-catalog";
  std::filesystem::remove_all(dir);
  {
    auto db = sg::persistence::store::open({dir, sg::persistence::durability::fsync});
    REQUIRE(db);
    sg::pb::event_created rec; // an event on a venue the catalog never heard of
    rec.set_id("orphan");
    rec.set_venue_id("nowhere");
    sg::persistence::write_set ws;
    ws.append("event", "orphan", 1, rec.SerializeAsString());
    REQUIRE((*db)->write(ws, true));
  }
  auto started = sg::cluster::node::start(
      {dir, sg::persistence::durability::fsync, 1, sg::test::test_epoch, {}});
  REQUIRE_FALSE(started);
  CHECK(sg::render(started.error()).find(dir.string()) != std::string::npos);
  std::filesystem::remove_all(dir);
}
