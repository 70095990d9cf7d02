#include "app/serve.hpp"

#include "cluster/node.hpp"
#include "domain/venue.hpp"
#include "messages/ec.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>

namespace seatgrab::app {

namespace {

constexpr const char* demo_event_id = "stadium-tour";

// The demo: a 50,000-seat stadium with one event on sale. Idempotent across restarts.
caf::error load_demo(cluster::node& node, domain::time_point now) {
  auto venue = domain::generate_stadium();
  auto venue_id =
      node.call<std::string>(node.directory(), atom::put_v, atom::venue_v, domain::to_json(venue));
  if (!venue_id)
    return venue_id.error();
  auto events = node.call<std::vector<event_info>>(node.directory(), atom::get_v, atom::events_v);
  if (!events)
    return events.error();
  for (const auto& ev : *events)
    if (ev.id == demo_event_id)
      return {};
  event_info ev{demo_event_id,
                venue.id,
                "Stadium Tour (demo)",
                now.time_since_epoch().count(),
                300,
                600,
                8,
                8};
  if (auto id = node.call<std::string>(node.directory(), atom::put_v, ev); !id)
    return id.error();
  return {};
}

} // namespace

int serve(const serve_options& opts) {
  // Block the stop signals before any thread starts, so that every thread inherits the mask
  // and only the sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // The one place the node reads the wall clock; everything after derives time from it.
  auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  domain::time_point wall{now.time_since_epoch()};
  auto started = cluster::node::start({opts.data_dir, opts.durability, 0, wall, {}});
  if (!started) {
    spdlog::error("{}", render(started.error()));
    return 1;
  }
  auto& node = **started;
  if (opts.demo) {
    if (auto err = load_demo(node, wall)) {
      spdlog::error("loading the demo: {}", render(err));
      return 1;
    }
  }
  auto events = node.call<std::vector<event_info>>(node.directory(), atom::get_v, atom::events_v);
  if (!events) {
    spdlog::error("listing events: {}", render(events.error()));
    return 1;
  }
  spdlog::info("data dir {} open (durability {}), {} event(s) recovered", opts.data_dir.string(),
               persistence::to_string(opts.durability), events->size());
  for (const auto& ev : *events)
    spdlog::info("  event {} \"{}\" on venue {}, holds last {} s", ev.id, ev.name, ev.venue_id,
                 ev.hold_ttl_s);
  spdlog::warn("the HTTP edge is not built yet (issue: HTTP edge): nothing listens on {}",
               opts.listen);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {} received: stopping actors, flushing the journal", sig);
  return 0; // ~node stops the actors and closes the journal
}

} // namespace seatgrab::app
