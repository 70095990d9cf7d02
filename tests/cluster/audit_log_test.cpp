// A node's audit log (cluster/audit_log.hpp): entries numbered in order, kept in memory up to
// a bound, and replayed from their journal records.

#include "cluster/audit_log.hpp"
#include "messages/audit.pb.h"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

namespace sg = seatgrab;
using sg::cluster::audit_log;

TEST_CASE("entries are numbered in order and replay into the same log") {
  audit_log log{"a"};
  auto e1 = log.record(1000, "ops", "queue gig pause", true, "queue gig paused");
  auto e2 = log.record(2000, "eve", "nodes", false, "refused: wrong admin token");
  CHECK(e1.seq() == 1);
  CHECK(e2.seq() == 2);
  CHECK(log.version() == 2);
  audit_log again{"a"};
  REQUIRE_FALSE(again.apply(e1));
  REQUIRE_FALSE(again.apply(e2));
  auto recent = again.recent(10);
  REQUIRE(recent.size() == 2);
  CHECK(recent[0].node == "a");
  CHECK(recent[0].who == "ops");
  CHECK(recent[0].command == "queue gig pause");
  CHECK(recent[0].ok);
  CHECK(recent[1].at_ms == 2000);
  CHECK_FALSE(recent[1].ok);
  CHECK(recent[1].outcome == "refused: wrong admin token");
  CHECK(again.recent(1).front().seq == 2);
}

TEST_CASE("a record out of order is a corrupt journal") {
  audit_log log{"a"};
  auto e1 = log.record(1000, "ops", "x", true, "y");
  audit_log other{"a"};
  sg::pb::audit_entry skipped = e1;
  skipped.set_seq(2);
  CHECK(other.apply(skipped) == sg::ec::storage_corruption);
  CHECK(other.version() == 0);
}

TEST_CASE("memory keeps the newest entries only") {
  audit_log log{"a"};
  for (size_t i = 0; i < audit_log::kept + 5; ++i)
    log.record(static_cast<int64_t>(i), "ops", "c" + std::to_string(i), true, "ok");
  auto all = log.recent(audit_log::kept + 100);
  REQUIRE(all.size() == audit_log::kept);
  CHECK(all.front().seq == 6);
  CHECK(all.back().seq == audit_log::kept + 5);
  CHECK(log.version() == audit_log::kept + 5);
}

TEST_CASE("refused tokens are journaled up to 60 a minute, the rest counted and named later") {
  audit_log log{"a"};
  for (int i = 0; i < 60; ++i)
    CHECK(log.log_refusal(1000 + i));
  CHECK_FALSE(log.log_refusal(1500));
  CHECK_FALSE(log.log_refusal(30'000));
  CHECK(log.unlogged() == 2);
  // A minute after the first logged refusal, its place is free again: one at a time.
  CHECK_FALSE(log.log_refusal(60'999));
  CHECK(log.log_refusal(61'000));
  CHECK_FALSE(log.log_refusal(61'000));
  CHECK(log.unlogged() == 4);
  CHECK(log.take_unlogged() == 4); // for the entry of the refusal that was logged
  CHECK(log.unlogged() == 0);
  CHECK(log.unlogged_total() == 4);
  // Long after, a whole minute's worth again.
  for (int i = 0; i < 60; ++i)
    CHECK(log.log_refusal(200'000));
  CHECK_FALSE(log.log_refusal(200'000));
}
