// What the node's actors publish for each other: an entry lives as long as its publisher.

#include "actors/published.hpp"
#include "tests/support/test_system.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

namespace sg = seatgrab;

TEST_CASE("an actor that started again keeps its entry when the old one stops") {
  sg::actors::published<int> dir;
  auto old_entry = std::make_shared<int>(1);
  auto new_entry = std::make_shared<int>(2);
  dir.put("ev", old_entry);
  dir.put("ev", new_entry);
  dir.erase("ev", old_entry.get());
  CHECK(dir.find("ev") == new_entry);
  dir.erase("ev", new_entry.get());
  CHECK(dir.find("ev") == nullptr);
  CHECK(dir.find("other") == nullptr);
}

TEST_CASE("an entry published while an actor lives goes when it exits") {
  sg::test::test_system ts;
  auto dir = std::make_shared<sg::actors::published<int>>();
  auto a = ts.sys().spawn([dir](caf::event_based_actor* self) -> caf::behavior {
    sg::actors::publish_while_alive(self, dir, "ev", std::make_shared<int>(7));
    return {[](int) {}};
  });
  ts.run();
  REQUIRE(dir->find("ev"));
  CHECK(*dir->find("ev") == 7);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  ts.run();
  CHECK(dir->find("ev") == nullptr);
}
