#pragma once

// A whole node on CAF's test coordinator: an in-memory (or on-disk) store, an inline journal
// writer (acknowledges on the calling thread, so everything stays deterministic), the
// catalog, the placement registry and its resolver, and a small venue with an event on sale. Time
// is virtual; `advance` moves it.

#include "actors/context.hpp"
#include "actors/resolver.hpp"
#include "cluster/catalog.hpp"
#include "cluster/registry.hpp"
#include "domain/venue.hpp"
#include "messages/ec.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"
#include "security/admission_token.hpp"
#include "tests/support/test_system.hpp"

#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <memory>

namespace seatgrab::test {

/// 2026-12-01T10:00:00Z, the wall time at which every test node starts.
inline const domain::time_point test_epoch{std::chrono::milliseconds{1'796'119'200'000}};

/// test_epoch in milliseconds since 1970, as messages carry time.
inline const int64_t test_epoch_ms = test_epoch.time_since_epoch().count();

/// Two sections "A" and "B", 2 rows of 6 seats each ("A-1-1" .. "B-2-6"), 1000 and 500 cents.
inline domain::venue small_venue() {
  domain::venue v;
  v.id = "hall";
  v.name = "Small Hall";
  v.tiers = {{"front", "Front", 1000}, {"back", "Back", 500}};
  for (auto [sec, tier] : {std::pair{"A", "front"}, std::pair{"B", "back"}}) {
    domain::section s{sec, std::string{"Section "} + sec, tier, {}};
    for (int r = 1; r <= 2; ++r) {
      domain::row row{std::to_string(r), {}};
      for (uint32_t n = 1; n <= 6; ++n)
        row.seats.push_back(
            domain::seat{std::string{sec} + "-" + std::to_string(r) + "-" + std::to_string(n), n,
                         double(n), double(r), false, uint32_t(r * 10 + n)});
      s.rows.push_back(std::move(row));
    }
    v.sections.push_back(std::move(s));
  }
  return v;
}

inline event_info small_event() {
  event_info ev;
  ev.id = "gig";
  ev.venue_id = "hall";
  ev.name = "The Gig";
  ev.hold_ttl_s = 300;
  ev.max_hold_total_s = 600;
  ev.max_seats_per_hold = 4;
  return ev;
}

class node_fixture {
public:
  explicit node_fixture(std::filesystem::path dir = "mem-node",
                        persistence::durability mode = persistence::durability::none,
                        domain::time_point wall = test_epoch, cluster::registry_options opts = {})
      : db_(open(dir, mode)), writer_(*db_, false) {
    auto keys = std::make_shared<security::key_ring>();
    REQUIRE_FALSE(keys->add("test", std::vector<uint8_t>(32, 7)));
    keys_ = keys;
    ctx_ = std::make_shared<actors::actor_context>(actors::actor_context{
        db_.get(), &writer_, actors::wall_clock{ts_.sys().clock().now(), wall}, keys});
    // Everything on the test coordinator, and cheap password hashes.
    opts.accounts.detached = false;
    opts.accounts.scrypt.n = uint64_t{1} << 10;
    resolver_ = std::make_shared<actors::resolver>();
    registry_ = cluster::spawn_registry(ts_.sys(), ctx_, resolver_, std::move(opts));
    catalog_ = cluster::spawn_catalog(ts_.sys(), ctx_, registry_);
    lanes_ = std::make_unique<actors::lanes>(ts_.sys(), 4);
    ts_.run();
  }

  ~node_fixture() {
    lanes_->stop();
    caf::anon_send_exit(catalog_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(registry_, caf::exit_reason::user_shutdown);
    ts_.run();
  }

  /// Sends a request and runs the system until the answer is there.
  template <class T, class Handle, class... Ts>
  caf::expected<T> call(const Handle& dest, Ts&&... xs) {
    caf::scoped_actor self{ts_.sys()};
    auto req = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    ts_.run();
    caf::expected<T> result{caf::make_error(ec::unavailable, "no reply")};
    if constexpr (std::is_void_v<T>) {
      req.receive([&] { result = caf::expected<void>{}; },
                  [&](caf::error& err) { result = std::move(err); });
    } else {
      req.receive([&](T& x) { result = std::move(x); },
                  [&](caf::error& err) { result = std::move(err); });
    }
    return result;
  }

  /// Adds the small venue and its event; returns the event actor.
  event_actor add_small_event() {
    auto venue_id =
        call<std::string>(catalog_, atom::put_v, atom::venue_v, domain::to_json(small_venue()));
    REQUIRE(venue_id);
    auto event_id = call<std::string>(catalog_, atom::put_v, small_event());
    REQUIRE(event_id);
    return event(*event_id);
  }

  event_actor event(const std::string& id) {
    auto hdl = call<event_actor>(registry_, atom::get_v, atom::event_v, id);
    REQUIRE(hdl);
    return *hdl;
  }

  waiting_room_actor waiting_room(const std::string& event_id) {
    auto hdl = call<waiting_room_actor>(registry_, atom::get_v, atom::queue_v, event_id);
    REQUIRE(hdl);
    return *hdl;
  }

  box_office_actor box_office(const std::string& event_id) {
    auto hdl = call<box_office_actor>(registry_, atom::get_v, atom::box_office_v, event_id);
    REQUIRE(hdl);
    return *hdl;
  }

  accounts_actor accounts() {
    auto hdl = call<accounts_actor>(registry_, atom::get_v, atom::accounts_v, std::string{});
    REQUIRE(hdl);
    return *hdl;
  }

  session_actor session(const std::string& account) {
    auto hdl = call<session_actor>(registry_, atom::get_v, atom::session_v, account);
    REQUIRE(hdl);
    return *hdl;
  }

  section_actor section(const std::string& event_id, const std::string& section_id) {
    auto hdl = call<section_actor>(registry_, atom::get_v, atom::section_v, event_id, section_id);
    REQUIRE(hdl);
    return *hdl;
  }

  /// The status of one seat in the section's map.
  seat_state status(const section_actor& sec, const std::string& seat) {
    auto map = call<section_map>(sec, atom::get_v, atom::seatmap_v);
    REQUIRE(map);
    for (const auto& s : map->seats)
      if (s.id == seat)
        return s.status;
    FAIL("no seat " << seat);
    return seat_state::free;
  }

  void advance(std::chrono::milliseconds d) { ts_.advance(d); }

  /// Moves time one second at a time, so that a once-a-second pacer runs every round.
  void advance_seconds(int n) {
    for (int i = 0; i < n; ++i)
      ts_.advance(std::chrono::seconds{1});
  }

  /// Joins `account` to the queue of `event_id` from `device` through its session and waits
  /// (virtual time, up to 5 s) for the admission token.
  std::string admitted(const std::string& account, const std::string& device = "dev-1",
                       const std::string& event_id = "gig") {
    auto joined =
        call<queue_status>(session(account), atom::join_v, event_id, client_facts{device});
    REQUIRE_MESSAGE(joined, render(joined));
    for (int i = 0; i < 5; ++i) {
      auto st = call<queue_status>(session(account), atom::get_v, atom::queue_v, event_id);
      REQUIRE_MESSAGE(st, render(st));
      if (st->state == "admitted")
        return st->admission_token;
      advance_seconds(1);
    }
    FAIL("not admitted");
    return {};
  }

  test_system& ts() { return ts_; }
  catalog_actor catalog() { return catalog_; }
  registry_actor registry() { return registry_; }
  actors::resolver& resolver() { return *resolver_; }
  /// Bridge lanes, as the node's edge has (actors/lanes.hpp).
  actors::lanes& lanes() { return *lanes_; }
  persistence::store& db() { return *db_; }
  const security::key_ring& keys() { return *keys_; }
  actors::context_ptr ctx() const { return ctx_; }

private:
  static std::unique_ptr<persistence::store> open(const std::filesystem::path& dir,
                                                  persistence::durability mode) {
    auto db = persistence::store::open({dir, mode});
    REQUIRE_MESSAGE(db, render(db));
    return std::move(*db);
  }

  test_system ts_;
  std::unique_ptr<persistence::store> db_;
  persistence::group_commit writer_;
  std::shared_ptr<const security::key_ring> keys_;
  actors::context_ptr ctx_;
  actors::resolver_ptr resolver_;
  std::unique_ptr<actors::lanes> lanes_;
  registry_actor registry_;
  catalog_actor catalog_;
};

} // namespace seatgrab::test
