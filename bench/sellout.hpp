#pragma once

// The closed-loop sell-out the benchmarks share: clients that each hold and confirm their share
// of an event's seats one seat at a time, the next request out when the previous reply is in
// (as a fan's session would).

#include "bench/bench_util.hpp"
#include "cluster/node.hpp"
#include "domain/venue.hpp"
#include "domain/venue_json.hpp"
#include "messages/ec.hpp"

#include <caf/event_based_actor.hpp>

#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace seatgrab::bench {

/// Adds venue `v` and event `info` on it to `node`'s catalog (its actors are then live).
inline caf::error put_on_sale(cluster::node& node, const domain::venue& v, const event_info& info) {
  if (auto id =
          node.call<std::string>(node.catalog(), atom::put_v, atom::venue_v, domain::to_json(v));
      !id)
    return id.error();
  if (auto id = node.call<std::string>(node.catalog(), atom::put_v, info); !id)
    return id.error();
  return {};
}

/// Sells out event `event_id` of venue `v` on `node` with `clients` closed-loop clients;
/// returns operations per second (a hold and a confirm are one each). Exits on any error.
inline double sell_out(cluster::node& node, const domain::venue& v, const std::string& event_id,
                       int clients) {
  namespace sg = seatgrab;
  auto die = [](const caf::error& err) {
    std::fprintf(stderr, "sell_out: %s\n", sg::render(err).c_str());
    std::exit(1);
  };
  // Work: (section actor, seat) pairs dealt round-robin to the clients.
  std::vector<std::vector<std::pair<sg::section_actor, std::string>>> work(
      static_cast<size_t>(clients));
  size_t n = 0;
  for (const auto& sec : v.sections) {
    auto hdl = node.call<sg::section_actor>(node.registry(), sg::atom::get_v, sg::atom::section_v,
                                            event_id, sec.id);
    if (!hdl)
      die(hdl.error());
    for (const auto& r : sec.rows)
      for (const auto& s : r.seats)
        work[n++ % work.size()].emplace_back(*hdl, s.id);
  }
  std::mutex mtx;
  std::condition_variable cv;
  int running = clients;
  uint64_t ops = 0;
  auto start = clock_type::now();
  for (auto& mine : work) {
    node.sys().spawn([&, mine](caf::event_based_actor* self) {
      auto items = std::make_shared<std::vector<std::pair<sg::section_actor, std::string>>>(mine);
      auto done = std::make_shared<uint64_t>(0);
      auto step = std::make_shared<std::function<void(size_t)>>();
      *step = [=, &mtx, &cv, &running, &ops](size_t i) {
        if (i == items->size()) {
          std::lock_guard guard{mtx};
          ops += *done;
          if (--running == 0)
            cv.notify_all();
          return;
        }
        // Named copies: a lambda may not capture structured bindings before C++20 in clang 14.
        auto hdl = (*items)[i].first;
        auto seat = (*items)[i].second;
        auto hold_id = "h-" + seat;
        self->request(hdl, std::chrono::seconds{60}, sg::atom::hold_v,
                      sg::hold_request{hold_id, "fan", {seat}, {}, 0, {}, {}})
            .then(
                [=](sg::hold_part&) {
                  self->request(hdl, std::chrono::seconds{60}, sg::atom::confirm_v, hold_id,
                                std::string{"fan"}, "o-" + seat)
                      .then(
                          [=](sg::sale_receipt&) {
                            *done += 2;
                            (*step)(i + 1);
                          },
                          [](caf::error& err) {
                            std::fprintf(stderr, "confirm: %s\n", sg::render(err).c_str());
                            std::exit(1);
                          });
                },
                [](caf::error& err) {
                  std::fprintf(stderr, "hold: %s\n", sg::render(err).c_str());
                  std::exit(1);
                });
      };
      (*step)(0);
    });
  }
  {
    std::unique_lock lock{mtx};
    cv.wait(lock, [&] { return running == 0; });
  }
  return static_cast<double>(ops) /
         std::chrono::duration<double>(clock_type::now() - start).count();
}

} // namespace seatgrab::bench
