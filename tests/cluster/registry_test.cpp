#include "actors/resolver.hpp"
#include "cluster/placement.hpp"
#include "tests/support/node_fixture.hpp"

#include <caf/send.hpp>
#include <doctest/doctest.h>

#include <filesystem>
#include <optional>

using seatgrab::atom::get_v;
using seatgrab::atom::hold_v;
namespace sg = seatgrab;

namespace {

/// Looks `ids` up through the resolver from outside the actors; the answer, if it came.
template <class Handle, class... Ids>
std::optional<caf::expected<Handle>> ask(sg::test::node_fixture& node, Ids... ids) {
  auto answer = std::make_shared<std::optional<caf::expected<Handle>>>();
  node.resolver().ask<Handle>(
      node.lanes(), std::chrono::seconds{10},
      [answer](caf::expected<Handle> x) { *answer = std::move(x); }, ids...);
  return *answer;
}

} // namespace

TEST_CASE("the placement of one member puts every entity on this node") {
  sg::cluster::single_member p{"n1"};
  CHECK(p.self() == "n1");
  for (auto kind : {sg::actors::actor_kind::section, sg::actors::actor_kind::event,
                    sg::actors::actor_kind::session, sg::actors::actor_kind::accounts}) {
    CHECK(p.owner(kind, "gig") == "n1");
    CHECK(p.local(kind, "anything/at-all"));
  }
}

TEST_CASE("a session is activated on its first lookup, and again after it stopped") {
  sg::test::node_fixture node;
  CHECK_FALSE(node.resolver().cached<sg::session_actor>(std::string{"fan"}));
  auto first = node.session("fan");
  CHECK(node.resolver().cached<sg::session_actor>(std::string{"fan"}) == first);
  CHECK(node.session("fan") == first); // the same actor while it runs
  caf::anon_send_exit(first, caf::exit_reason::kill);
  node.ts().run();
  // The registry saw it go down: it left the cache, and the next lookup starts it anew.
  CHECK_FALSE(node.resolver().cached<sg::session_actor>(std::string{"fan"}));
  auto second = node.session("fan");
  CHECK(second != first);
  CHECK(node.call<std::vector<sg::hold_receipt>>(second, get_v, sg::atom::holds_v));
  CHECK(node.call<sg::session_actor>(node.registry(), get_v, sg::atom::session_v, std::string{})
            .error() == sg::ec::invalid_argument);
}

TEST_CASE("an event's actors are live once the catalog answers; unknown ones are not found") {
  sg::test::node_fixture node;
  node.add_small_event();
  auto& res = node.resolver();
  CHECK(res.cached<sg::event_actor>(std::string{"gig"}));
  CHECK(res.cached<sg::waiting_room_actor>(std::string{"gig"}));
  CHECK(res.cached<sg::box_office_actor>(std::string{"gig"}));
  CHECK(res.cached<sg::section_actor>(std::string{"gig"}, std::string{"A"}));
  CHECK(res.cached<sg::section_actor>(std::string{"gig"}, std::string{"B"}));
  CHECK(res.cached<sg::accounts_actor>(std::string{})); // the one shard of a node
  // No other shard: a second registry on the same journal is never started.
  CHECK(
      node.call<sg::accounts_actor>(node.registry(), get_v, sg::atom::accounts_v, std::string{"b"})
          .error() == sg::ec::not_found);
  CHECK(node.call<sg::event_actor>(node.registry(), get_v, sg::atom::event_v, std::string{"nope"})
            .error() == sg::ec::not_found);
  CHECK(node.call<sg::section_actor>(node.registry(), get_v, sg::atom::section_v,
                                     std::string{"gig"}, std::string{"Z"})
            .error() == sg::ec::unknown_section);
  CHECK(node.call<sg::box_office_actor>(node.registry(), get_v, sg::atom::box_office_v,
                                        std::string{"nope"})
            .error() == sg::ec::not_found);
}

TEST_CASE("a cache hit answers without a message; a miss asks the registry once") {
  sg::test::node_fixture node;
  node.add_small_event();
  auto& res = node.resolver();
  auto hits = res.hits();
  auto misses = res.misses();
  // A hit answers at once, on the caller's thread: no actor ran in between.
  auto ev = ask<sg::event_actor>(node, std::string{"gig"});
  REQUIRE(ev);
  REQUIRE(*ev);
  CHECK(**ev == node.event("gig"));
  CHECK(res.hits() == hits + 1);
  CHECK(res.misses() == misses);
  // A miss (a session nobody asked for yet) waits for the registry's answer.
  auto s = ask<sg::session_actor>(node, std::string{"newcomer"});
  CHECK_FALSE(s);
  CHECK(res.misses() == misses + 1);
  node.ts().run();
  auto again = ask<sg::session_actor>(node, std::string{"newcomer"});
  REQUIRE(again);
  REQUIRE(*again);
  CHECK(res.misses() == misses + 1);
}

TEST_CASE("a section that stopped leaves the cache and is restarted by the next hold") {
  sg::test::node_fixture node;
  auto ev = node.add_small_event();
  auto a = node.section("gig", "A");
  REQUIRE(node.call<sg::hold_receipt>(ev, hold_v,
                                      sg::hold_request{"h1", "alice", {"A-1-1"}, {}, 0, {}, {}}));
  // Not `kill`: that reason is fatal to linked actors, the registry included.
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  node.ts().run();
  CHECK_FALSE(node.resolver().cached<sg::section_actor>(std::string{"gig"}, std::string{"A"}));
  auto misses = node.resolver().misses();
  // The event actor misses the cache, the registry recovers the section from its journal.
  REQUIRE(node.call<sg::hold_receipt>(ev, hold_v,
                                      sg::hold_request{"h2", "bob", {"A-1-2"}, {}, 0, {}, {}}));
  CHECK(node.resolver().misses() > misses);
  auto restarted = node.resolver().cached<sg::section_actor>(std::string{"gig"}, std::string{"A"});
  REQUIRE(restarted);
  CHECK(restarted != a);
  CHECK(node.status(restarted, "A-1-1") == sg::seat_state::held);
  CHECK(node.status(restarted, "A-1-2") == sg::seat_state::held);
}

TEST_CASE("the catalog keeps venues and events, and a restarted node has them again") {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-cluster-catalog";
  std::filesystem::remove_all(dir);
  {
    sg::test::node_fixture node{dir, sg::persistence::durability::fsync};
    node.add_small_event();
    // The same venue and event again: nothing to do, the same ids.
    CHECK(node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                 sg::domain::to_json(sg::test::small_venue())) == "hall");
    CHECK(node.call<std::string>(node.catalog(), sg::atom::put_v, sg::test::small_event()) ==
          "gig");
    auto second = sg::test::small_event();
    second.id = "encore";
    CHECK(node.call<std::string>(node.catalog(), sg::atom::put_v, second) == "encore");
    auto events = node.call<std::vector<sg::event_info>>(node.catalog(), get_v, sg::atom::events_v);
    REQUIRE(events);
    REQUIRE(events->size() == 2);
    CHECK(events->at(0).id == "encore");
    CHECK(events->at(1).id == "gig");
    REQUIRE(node.call<sg::hold_receipt>(node.event("encore"), hold_v,
                                        sg::hold_request{"h1", "alice", {"B-1-1"}, {}, 0, {}, {}}));
  }
  {
    sg::test::node_fixture node{dir, sg::persistence::durability::fsync};
    auto events = node.call<std::vector<sg::event_info>>(node.catalog(), get_v, sg::atom::events_v);
    REQUIRE(events);
    REQUIRE(events->size() == 2);
    CHECK(events->at(1).name == "The Gig");
    // Every event's actors are back, sections recovered from their journals.
    CHECK(node.resolver().cached<sg::event_actor>(std::string{"encore"}));
    CHECK(node.status(node.section("encore", "B"), "B-1-1") == sg::seat_state::held);
    CHECK(node.status(node.section("gig", "B"), "B-1-1") == sg::seat_state::free);
    // The recovered venue takes new events.
    auto third = sg::test::small_event();
    third.id = "matinee";
    CHECK(node.call<std::string>(node.catalog(), sg::atom::put_v, third) == "matinee");
    CHECK(node.event("matinee"));
  }
  std::filesystem::remove_all(dir);
}
