#include "tests/support/contention.hpp"

#include "cluster/node.hpp"
#include "domain/venue.hpp"
#include "messages/ec.hpp"

#include <caf/event_based_actor.hpp>

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>

namespace seatgrab::test {

namespace {

struct outcome {
  std::vector<std::string> seats; // granted seats; empty if refused
  caf::error err;
};

struct board {
  std::mutex mtx;
  std::condition_variable done;
  std::vector<outcome> outcomes;
  size_t expected = 0;

  void record(outcome x) {
    std::lock_guard guard{mtx};
    outcomes.push_back(std::move(x));
    if (outcomes.size() == expected)
      done.notify_all();
  }
};

} // namespace

contention_summary run_contention(uint64_t seed, int requests) {
  contention_summary summary;
  std::mt19937_64 rng{seed};
  auto venue = domain::generate_stadium({4, 5, 10}); // 200 seats in 4 sections
  auto started =
      cluster::node::start({"mem-contention-" + std::to_string(seed),
                            persistence::durability::none,
                            4,
                            domain::time_point{std::chrono::milliseconds{1'796'119'200'000}},
                            {}});
  if (!started) {
    summary.failure = render(started.error());
    return summary;
  }
  auto& node = **started;
  if (auto id = node.call<std::string>(node.catalog(), atom::put_v, atom::venue_v,
                                       domain::to_json(venue));
      !id) {
    summary.failure = "venue: " + render(id.error());
    return summary;
  }
  event_info info{"race", venue.id, "Race", 0, 300, 600, 4, 8};
  if (auto id = node.call<std::string>(node.catalog(), atom::put_v, info); !id) {
    summary.failure = "event: " + render(id.error());
    return summary;
  }
  auto ev = node.call<event_actor>(node.registry(), atom::get_v, atom::event_v, info.id);
  std::vector<section_actor> sections;
  for (const auto& sec : venue.sections) {
    auto hdl =
        node.call<section_actor>(node.registry(), atom::get_v, atom::section_v, info.id, sec.id);
    if (!ev || !hdl) {
      summary.failure = "lookup failed";
      return summary;
    }
    sections.push_back(*hdl);
  }
  // Each request: 1..4 random seats, from one section (straight to it) or from any (event).
  auto b = std::make_shared<board>();
  b->expected = static_cast<size_t>(requests);
  const int clients = 50;
  std::vector<std::vector<std::pair<int, hold_request>>> work(clients);
  for (int i = 0; i < requests; ++i) {
    auto n = 1 + rng() % 4;
    bool direct = rng() % 2 == 0;
    auto sec = static_cast<int>(rng() % venue.sections.size());
    hold_request req{"h" + std::to_string(i), "fan" + std::to_string(i % 997), {}, {}, 0, {}, {}};
    std::set<std::string> picked;
    while (picked.size() < n) {
      const auto& s = venue.sections[direct ? sec : rng() % venue.sections.size()];
      const auto& r = s.rows[rng() % s.rows.size()];
      picked.insert(r.seats[rng() % r.seats.size()].id);
    }
    req.seats.assign(picked.begin(), picked.end());
    work[static_cast<size_t>(i % clients)].emplace_back(direct ? sec : -1, std::move(req));
  }
  for (auto& batch : work) {
    node.sys().spawn([b, batch, ev = *ev, sections](caf::event_based_actor* self) {
      for (const auto& [sec, req] : batch) {
        auto seats = req.seats;
        if (sec < 0) {
          self->request(ev, caf::infinite, atom::hold_v, req)
              .then(
                  [b, seats](hold_receipt&) {
                    b->record({seats, {}});
                  },
                  [b](caf::error& err) {
                    b->record({{}, err});
                  });
        } else {
          self->request(sections[static_cast<size_t>(sec)], caf::infinite, atom::hold_v, req)
              .then(
                  [b, seats](hold_part&) {
                    b->record({seats, {}});
                  },
                  [b](caf::error& err) {
                    b->record({{}, err});
                  });
        }
      }
    });
  }
  {
    std::unique_lock lock{b->mtx};
    if (!b->done.wait_for(lock, std::chrono::seconds{120},
                          [&] { return b->outcomes.size() == b->expected; })) {
      summary.failure = "only " + std::to_string(b->outcomes.size()) + " of " +
                        std::to_string(requests) + " requests were answered";
      return summary;
    }
  }
  std::map<std::string, int> granted_to;
  for (const auto& o : b->outcomes) {
    if (o.err) {
      ++summary.refused;
      if (o.err != ec::seat_taken) {
        summary.failure = "unexpected refusal: " + render(o.err);
        return summary;
      }
      continue;
    }
    ++summary.granted;
    for (const auto& seat : o.seats)
      if (++granted_to[seat] > 1) {
        summary.failure = "seat " + seat + " was granted to two holds";
        return summary;
      }
  }
  auto map = node.call<event_map>(*ev, atom::get_v, atom::seatmap_v);
  if (!map) {
    summary.failure = "seat map: " + render(map.error());
    return summary;
  }
  for (const auto& sec : map->sections)
    for (const auto& seat : sec.seats) {
      bool held = seat.status == seat_state::held;
      summary.seats_held += held ? 1 : 0;
      if (held != granted_to.contains(seat.id)) {
        summary.failure =
            "seat " + seat.id +
            (held ? " is held by no granted request" : " was granted but is not held");
        return summary;
      }
    }
  if (summary.seats_held != granted_to.size())
    summary.failure = "held seats and granted seats differ in number";
  return summary;
}

} // namespace seatgrab::test
