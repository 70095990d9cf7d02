// The board a waiting room publishes: polls of waiting fans answered from it match the room's
// own answers, show only what was published, and their seen marks reach the room's pacer.

#include "domain/queue_board.hpp"
#include "domain/waiting_room.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

using namespace std::chrono_literals;
using namespace seatgrab::domain;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

waiting_room_state make_room(uint32_t per_min, std::chrono::milliseconds abandon_after = 24h) {
  waiting_room_config cfg;
  cfg.event_id = "ev";
  cfg.opens_at = t0;
  cfg.mode = queue_mode::shuffle;
  cfg.admission_per_min = per_min;
  cfg.max_active_shoppers = 1'000'000;
  cfg.admission_ttl = 24h;
  cfg.abandon_after = abandon_after;
  waiting_room_seed seed{};
  seed[0] = 42;
  auto room = waiting_room_state::make(cfg, seed);
  REQUIRE(room);
  return std::move(*room);
}

// Fan i: account key 1000 + i, device key 5000 + i.
uint64_t account(uint64_t i) {
  return 1000 + i;
}

queue_board::answer poll(waiting_room_state& room, uint64_t ticket, uint64_t acct, time_point now,
                         ticket_status& out) {
  return room.board()->poll(ticket, acct, now, out);
}

} // namespace

TEST_CASE("queue board: a waiting fan's poll answers what the room answers") {
  auto room = make_room(600);          // 10 a second
  for (uint64_t i = 1; i <= 3000; ++i) // across the board's first chunks (1,024 and 2,048)
    REQUIRE(room.join(account(i), 5000 + i, t0 - 10s));
  ticket_status st;
  // Before opening: no place yet, the ETA counts down to the opening.
  room.board()->publish(room.board_head(t0 - 5s));
  REQUIRE(poll(room, 2999, account(2999), t0 - 5s, st) == queue_board::answer::waiting);
  CHECK(st == *room.status(2999, t0 - 5s));
  CHECK(st.eta_s == 5);
  REQUIRE(room.open(t0));
  for (int s = 1; s <= 7; ++s)
    room.tick(t0 + std::chrono::seconds(s));
  auto now = t0 + 7s;
  room.board()->publish(room.board_head(now));
  size_t from_board = 0;
  for (uint64_t t = 1; t <= 3000; ++t) {
    auto expected = *room.status(t, now);
    auto answer = poll(room, t, account(t), now, st);
    if (expected.state == fan_state::waiting) {
      REQUIRE(answer == queue_board::answer::waiting);
      CHECK(st == expected);
      ++from_board;
    } else {
      // Admissions come with a token: only the room answers them.
      CHECK(answer == queue_board::answer::ask_room);
    }
  }
  CHECK(from_board == 3000 - 70);
  // Someone else's ticket, and a ticket never issued.
  CHECK(poll(room, 5, account(6), now, st) == queue_board::answer::not_yours);
  CHECK(poll(room, 3001, account(3001), now, st) == queue_board::answer::ask_room);
  CHECK(poll(room, 0, account(1), now, st) == queue_board::answer::ask_room);
}

TEST_CASE("queue board: polls see only the published head") {
  auto room = make_room(60);
  REQUIRE(room.open(t0));
  REQUIRE(room.join(account(1), 5001, t0));
  REQUIRE(room.join(account(2), 5002, t0));
  room.board()->publish(room.board_head(t0));
  ticket_status st;
  REQUIRE(poll(room, 2, account(2), t0, st) == queue_board::answer::waiting);
  CHECK(st.position == 2);
  // Applied, not yet published (not durable): a new ticket, an admission, a fan who left.
  REQUIRE(room.join(account(3), 5003, t0));
  REQUIRE(room.tick(t0 + 1s));
  REQUIRE(room.leave(3, t0 + 1s));
  CHECK(poll(room, 3, account(3), t0 + 1s, st) == queue_board::answer::ask_room);
  REQUIRE(poll(room, 2, account(2), t0 + 1s, st) == queue_board::answer::waiting);
  CHECK(st.position == 2); // the admission of ticket 1 is not shown yet
  CHECK(poll(room, 1, account(1), t0 + 1s, st) == queue_board::answer::ask_room);
  room.board()->publish(room.board_head(t0 + 1s));
  REQUIRE(poll(room, 2, account(2), t0 + 1s, st) == queue_board::answer::waiting);
  CHECK(st.position == 1);
  CHECK(poll(room, 3, account(3), t0 + 1s, st) == queue_board::answer::ask_room); // left
}

TEST_CASE("queue board: a fan who polls only the board is not skipped as abandoned") {
  auto room = make_room(60, 10s); // one a second; not seen for 10 s: skipped
  REQUIRE(room.open(t0));
  for (uint64_t i = 1; i <= 30; ++i)
    REQUIRE(room.join(account(i), 5000 + i, t0));
  ticket_status st;
  for (int s = 1; s <= 30; ++s) {
    auto now = t0 + std::chrono::seconds(s);
    room.board()->publish(room.board_head(now));
    // Ticket 25 polls the board every second; nobody else polls at all.
    if (room.status(25, now)->state == fan_state::waiting)
      REQUIRE(poll(room, 25, account(25), now, st) == queue_board::answer::waiting);
    room.tick(now);
  }
  auto end = t0 + 30s;
  CHECK(room.status(25, end)->state == fan_state::admitted);
  CHECK(room.status(24, end)->state == fan_state::skipped);
  CHECK(room.status(26, end)->state == fan_state::skipped);
  // A poll by someone else marks nobody.
  CHECK(room.board()->last_seen(26) == (t0).time_since_epoch().count());
  CHECK(poll(room, 26, account(1), end, st) == queue_board::answer::not_yours);
  CHECK(room.board()->last_seen(26) == (t0).time_since_epoch().count());
}

TEST_CASE("queue board: slots keep their values across the chunk boundaries") {
  queue_board board;
  constexpr uint32_t n = 1024 + 2048 + 4096 + 10;
  for (uint32_t t = 1; t <= n; ++t) {
    board.add(uint64_t{t} * 7919, t);
    board.set_place(t, n + 1 - t);
  }
  CHECK(board.count() == n);
  for (uint32_t t = 1; t <= n; ++t) {
    REQUIRE(board.place(t) == n + 1 - t);
    REQUIRE(board.last_seen(t) == t);
  }
  board.mark_seen(1, 0); // earlier than the last mark: kept
  CHECK(board.last_seen(1) == 1);
  CHECK(board.memory_bytes() >= n * 24);
  CHECK(board.memory_bytes() < 2 * n * 24 + 1024 * 24);
}

TEST_CASE("queue board: waiting fans are told of a pause, before the opening and after") {
  auto room = make_room(600);
  REQUIRE(room.join(account(1), 5001, t0 - 10s));
  REQUIRE(room.join(account(2), 5002, t0 - 10s));
  ticket_status st;
  // The pre-queue: paused before the sale opens.
  REQUIRE(room.pause(t0 - 5s));
  room.board()->publish(room.board_head(t0 - 5s));
  REQUIRE(poll(room, 1, account(1), t0 - 5s, st) == queue_board::answer::waiting);
  CHECK(st.paused);
  CHECK(room.status(1, t0 - 5s)->paused);
  REQUIRE(room.resume(t0 - 4s));
  REQUIRE(room.open(t0));
  room.board()->publish(room.board_head(t0));
  REQUIRE(poll(room, 2, account(2), t0, st) == queue_board::answer::waiting);
  CHECK_FALSE(st.paused);
  // After the opening: the place is kept while paused.
  auto place = st.position;
  REQUIRE(room.pause(t0 + 100ms));
  room.board()->publish(room.board_head(t0 + 100ms));
  REQUIRE(poll(room, 2, account(2), t0 + 100ms, st) == queue_board::answer::waiting);
  CHECK(st.paused);
  CHECK(st.position == place);
  CHECK(st == *room.status(2, t0 + 100ms));
}
