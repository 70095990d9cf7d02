#include "actors/waiting_room.hpp"
#include "tests/support/faulty_node.hpp"
#include "tests/support/node_fixture.hpp"

#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>
#include <openssl/sha.h>

#include <filesystem>
#include <unistd.h>

using namespace std::chrono_literals;
using seatgrab::atom::get_v;
using seatgrab::atom::info_v;
using seatgrab::atom::join_v;
namespace sg = seatgrab;

namespace {

// Opens 60 s after the node starts; 60 admissions a minute, at most 5 shopping at once.
sg::event_info queued_event(std::string mode = "fifo") {
  auto ev = sg::test::small_event();
  ev.id = "queued";
  ev.opens_at_ms = (sg::test::test_epoch + 60s).time_since_epoch().count();
  ev.admission_per_min = 60;
  ev.max_active_shoppers = 5;
  ev.queue_mode = std::move(mode);
  return ev;
}

sg::waiting_room_actor add_queued_event(sg::test::node_fixture& node, std::string mode = "fifo") {
  auto venue = node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                      sg::domain::to_json(sg::test::small_venue()));
  REQUIRE(venue);
  auto id = node.call<std::string>(node.catalog(), sg::atom::put_v, queued_event(mode));
  REQUIRE(id);
  auto room = node.call<sg::waiting_room_actor>(node.registry(), get_v, sg::atom::queue_v, *id);
  REQUIRE(room);
  return *room;
}

sg::queue_status join(sg::test::node_fixture& node, const sg::waiting_room_actor& room, int fan) {
  auto st = node.call<sg::queue_status>(room, join_v, "acct-" + std::to_string(fan),
                                        "dev-" + std::to_string(fan));
  REQUIRE(st);
  return *st;
}

caf::expected<sg::queue_status> poll(sg::test::node_fixture& node,
                                     const sg::waiting_room_actor& room, uint64_t ticket, int fan) {
  return node.call<sg::queue_status>(room, get_v, ticket, "acct-" + std::to_string(fan));
}

/// The device an admission token of fan `fan` names (see `actors::device_claim`).
std::string dev(int fan) {
  return sg::actors::device_claim(sg::actors::fan_key("dev-" + std::to_string(fan)));
}

std::string hex_sha256_of_hex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto b : digest) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

} // namespace

TEST_CASE("fans queue before opening, are admitted in order at the set rate, with tokens") {
  sg::test::node_fixture node;
  auto room = add_queued_event(node);
  std::vector<sg::queue_status> fans;
  for (int i = 0; i < 8; ++i)
    fans.push_back(join(node, room, i));
  CHECK(fans[3].ticket == 4);
  CHECK(fans[3].state == "waiting");
  CHECK(fans[3].position == 0); // no position before the sale opens
  // Joining again from the same account keeps the place; another account sending that
  // device is refused rather than handed the place.
  CHECK(join(node, room, 3).ticket == 4);
  auto same_device =
      node.call<sg::queue_status>(room, join_v, std::string{"other-acct"}, std::string{"dev-3"});
  REQUIRE_FALSE(same_device);
  CHECK(same_device.error() == sg::ec::device_in_use);
  node.advance_seconds(60); // opens at +60 s; 1 admission per second from then on
  node.advance_seconds(3);
  std::vector<std::string> states;
  for (int i = 0; i < 8; ++i) {
    auto st = poll(node, room, fans[static_cast<size_t>(i)].ticket, i);
    REQUIRE(st);
    states.push_back(st->state);
  }
  // FIFO mode: the first joiners are in, in join order; budget accrues from opening, one
  // admission per second, so 3 s after opening 3 are in.
  CHECK(states == std::vector<std::string>{"admitted", "admitted", "admitted", "waiting", "waiting",
                                           "waiting", "waiting", "waiting"});
  auto first = poll(node, room, fans[0].ticket, 0);
  REQUIRE(first);
  REQUIRE_FALSE(first->admission_token.empty());
  auto now_ms = (sg::test::test_epoch + 63s).time_since_epoch().count();
  CHECK(sg::security::verify(node.keys(), first->admission_token, "queued", "acct-0", dev(0),
                             now_ms));
  auto stolen =
      sg::security::verify(node.keys(), first->admission_token, "queued", "acct-1", dev(1), now_ms);
  REQUIRE_FALSE(stolen);
  CHECK(stolen.error() == sg::ec::admission_mismatch);
  auto elsewhere =
      sg::security::verify(node.keys(), first->admission_token, "gig", "acct-0", dev(0), now_ms);
  REQUIRE_FALSE(elsewhere);
  CHECK(elsewhere.error() == sg::ec::admission_mismatch);
  auto later = sg::security::verify(node.keys(), first->admission_token, "queued", "acct-0", dev(0),
                                    first->admission_expires_at_ms);
  REQUIRE_FALSE(later);
  CHECK(later.error() == sg::ec::admission_expired);
  // Joining again from another device keeps the place and the device tokens are bound to.
  auto again = node.call<sg::queue_status>(room, join_v, "acct-0", "dev-elsewhere");
  REQUIRE(again);
  CHECK(again->ticket == fans[0].ticket);
  CHECK(sg::security::verify(node.keys(), again->admission_token, "queued", "acct-0", dev(0),
                             now_ms));
  CHECK_FALSE(sg::security::verify(node.keys(), again->admission_token, "queued", "acct-0",
                                   sg::actors::device_claim(sg::actors::fan_key("dev-elsewhere")),
                                   now_ms));
  // The cap: 5 shopping at once, however long we wait, until someone leaves.
  node.advance_seconds(10);
  auto info = node.call<sg::queue_info>(room, get_v, info_v);
  REQUIRE(info);
  CHECK(info->active == 5);
  REQUIRE(node.call<void>(room, sg::atom::leave_v, fans[0].ticket));
  node.advance_seconds(1);
  info = node.call<sg::queue_info>(room, get_v, info_v);
  REQUIRE(info);
  CHECK(info->active == 5);
  CHECK(info->admitted == 6);
}

TEST_CASE("the shuffle seed is committed before opening and revealed after") {
  sg::test::node_fixture node;
  auto room = add_queued_event(node, "shuffle");
  auto before = node.call<sg::queue_info>(room, get_v, info_v);
  REQUIRE(before);
  CHECK(before->seed_commitment.size() == 64);
  CHECK(before->revealed_seed.empty());
  node.advance_seconds(61);
  auto after = node.call<sg::queue_info>(room, get_v, info_v);
  REQUIRE(after);
  CHECK(after->opened);
  CHECK(after->seed_commitment == before->seed_commitment);
  REQUIRE(after->revealed_seed.size() == 64);
  CHECK(hex_sha256_of_hex(after->revealed_seed) == after->seed_commitment);
}

TEST_CASE("tickets are private and unknown tickets are refused") {
  sg::test::node_fixture node;
  auto room = add_queued_event(node);
  auto mine = join(node, room, 1);
  auto other = poll(node, room, mine.ticket, 2);
  REQUIRE_FALSE(other);
  CHECK(other.error() == sg::ec::unknown_ticket);
  auto unknown = poll(node, room, 999, 1);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error() == sg::ec::unknown_ticket);
  auto bad_rate = node.call<void>(room, sg::atom::rate_v, uint32_t{0});
  REQUIRE_FALSE(bad_rate);
  CHECK(bad_rate.error() == sg::ec::invalid_argument);
}

TEST_CASE("operators pause and resume admission") {
  sg::test::node_fixture node;
  auto room = add_queued_event(node);
  for (int i = 0; i < 4; ++i)
    join(node, room, i);
  node.advance_seconds(60);
  REQUIRE(node.call<void>(room, sg::atom::pause_v));
  node.advance_seconds(5);
  auto info = node.call<sg::queue_info>(room, get_v, info_v);
  REQUIRE(info);
  CHECK(info->paused);
  auto admitted_while_paused = info->admitted;
  node.advance_seconds(5);
  info = node.call<sg::queue_info>(room, get_v, info_v);
  CHECK(info->admitted == admitted_while_paused);
  REQUIRE(node.call<void>(room, sg::atom::resume_v));
  node.advance_seconds(3);
  info = node.call<sg::queue_info>(room, get_v, info_v);
  CHECK(info->admitted > admitted_while_paused);
}

TEST_CASE("after a restart mid-queue, order and admitted set are the same") {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-queue-restart";
  std::filesystem::remove_all(dir);
  std::vector<sg::queue_status> before;
  std::string commitment;
  {
    sg::test::node_fixture node{dir, sg::persistence::durability::fsync};
    auto room = add_queued_event(node, "shuffle");
    for (int i = 0; i < 20; ++i)
      join(node, room, i);
    node.advance_seconds(63); // opened, 3 admitted
    for (int i = 0; i < 20; ++i) {
      auto st = poll(node, room, static_cast<uint64_t>(i + 1), i);
      REQUIRE(st);
      before.push_back(*st);
    }
    commitment = node.call<sg::queue_info>(room, get_v, info_v)->seed_commitment;
  }
  sg::test::node_fixture node{dir, sg::persistence::durability::fsync, sg::test::test_epoch + 63s};
  auto room = node.call<sg::waiting_room_actor>(node.registry(), get_v, sg::atom::queue_v,
                                                std::string{"queued"});
  REQUIRE(room);
  size_t admitted = 0;
  for (int i = 0; i < 20; ++i) {
    auto st = poll(node, *room, static_cast<uint64_t>(i + 1), i);
    REQUIRE(st);
    CAPTURE(i);
    CHECK(st->state == before[static_cast<size_t>(i)].state);
    CHECK(st->position == before[static_cast<size_t>(i)].position);
    admitted += st->state == "admitted" ? 1 : 0;
  }
  CHECK(admitted == 3);
  CHECK(node.call<sg::queue_info>(*room, get_v, info_v)->seed_commitment == commitment);
  std::filesystem::remove_all(dir);
}

TEST_CASE("polls of waiting fans are answered from the room's board, which shows only what is "
          "durable") {
  sg::test::faulty_node node{"seatgrab-queue-board", sg::test::test_epoch};
  auto& ts = node.ts;
  auto& fe = node.fe;
  const auto& ctx = node.ctx;
  {
    auto ev = queued_event();
    auto room = sg::actors::spawn_waiting_room(ts.sys(), ev, ctx);
    ts.run();
    auto board = ctx->boards->find(ev.id);
    REQUIRE(board);
    caf::scoped_actor self{ts.sys()};
    auto join_of = [&](const std::string& fan) {
      caf::expected<sg::queue_status> out{caf::make_error(sg::ec::unavailable, "no reply")};
      auto req = self->request(room, caf::infinite, join_v, "acct-" + fan, "dev-" + fan);
      ts.run();
      req.receive([&](sg::queue_status& st) { out = std::move(st); },
                  [&](caf::error& err) { out = std::move(err); });
      return out;
    };
    REQUIRE(join_of("1"));
    // The room's own answer and the board's are the same; someone else's ticket is refused.
    auto polled = sg::actors::poll_board(*ctx, ts.sys(), ev.id, 1, "acct-1");
    REQUIRE(polled);
    REQUIRE(*polled);
    CHECK((*polled)->ticket == 1);
    CHECK((*polled)->state == "waiting");
    CHECK((*polled)->eta_s == 60);
    auto theirs = sg::actors::poll_board(*ctx, ts.sys(), ev.id, 1, "acct-2");
    REQUIRE(theirs);
    REQUIRE_FALSE(*theirs);
    CHECK(theirs->error() == sg::ec::unknown_ticket);
    CHECK_FALSE(sg::actors::poll_board(*ctx, ts.sys(), "other-event", 1, "acct-1"));
    // The disk fills: the second join fails, and its ticket never shows on the board.
    fe.sw->fail_append = true;
    auto second = join_of("2");
    REQUIRE_FALSE(second);
    CHECK(second.error() == sg::ec::storage_full);
    CHECK(board->published().tickets == 1);
    sg::domain::ticket_status st;
    CHECK(board->poll(2, sg::actors::fan_key("acct-2"), sg::test::test_epoch, st) ==
          sg::domain::queue_board::answer::ask_room);
    // The room stopped on the failed write; its board left with it.
    CHECK(ctx->boards->find(ev.id) == nullptr);
    CHECK_FALSE(sg::actors::poll_board(*ctx, ts.sys(), ev.id, 1, "acct-1"));
    fe.sw->fail_append = false;
  }
}
