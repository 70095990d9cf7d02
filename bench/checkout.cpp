// bench_checkout: checkout latency with the simulated payment provider at 0 ms.
//
// A node (durability fsync) with a 50,000-seat event: N fans each hold 2 seats, then all N
// check out at once through the checkout coordinator (authorize → confirm seats → capture →
// sign tickets, every step journaled). Reported: p50/p99/max latency from request to the
// reply carrying the ticket codes, and checkouts/s. Baseline, in the same process: the same
// number of holds (one durable round trip each). Median of --runs runs. `--events N` spreads
// the fans over N such events (N box offices): what sharding box offices could give at most.

#include "bench/bench_util.hpp"
#include "cluster/node.hpp"
#include "domain/venue.hpp"
#include "messages/interfaces.hpp"

#include <caf/event_based_actor.hpp>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>

namespace sg = seatgrab;
using sg::bench::clock_type;
using sg::bench::median;
using sg::bench::seconds_since;

namespace {

struct figures {
  double hold_p50_ms = 0, p50_ms = 0, p99_ms = 0, max_ms = 0, per_s = 0;
};

double percentile(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  return xs[std::min(xs.size() - 1, static_cast<size_t>(p * static_cast<double>(xs.size())))];
}

[[noreturn]] void die(const std::string& what, const caf::error& err) {
  std::fprintf(stderr, "bench_checkout: %s: %s\n", what.c_str(), sg::render(err).c_str());
  std::exit(1);
}

// Starts one request per fan at once, each from its own actor; `send(self, i, done)` sends
// fan i's request and calls `done()` on its reply. Returns each fan's latency in ms.
template <class Send>
std::vector<double> burst(caf::actor_system& sys, int fans, Send send) {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<double> latencies;
  for (int i = 0; i < fans; ++i) {
    sys.spawn([&, i](caf::event_based_actor* self) {
      auto start = clock_type::now();
      send(self, i, [&, start] {
        std::lock_guard guard{mtx};
        latencies.push_back(seconds_since(start) * 1e3);
        cv.notify_all();
      });
    });
  }
  std::unique_lock lock{mtx};
  cv.wait(lock, [&] { return latencies.size() == static_cast<size_t>(fans); });
  return latencies;
}

auto on_error = [](caf::error& err) { die("request", err); };

figures run(int fans, int events) {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-bench-checkout";
  std::filesystem::remove_all(dir);
  auto started =
      sg::cluster::node::start({dir, sg::persistence::durability::fsync, 2, sg::bench::epoch, {}});
  if (!started)
    die("start", started.error());
  auto& node = **started;
  auto v = sg::domain::generate_stadium();
  if (auto id = node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                       sg::domain::to_json(v));
      !id)
    die("venue", id.error());
  // Fan i buys in event i % events: with more than one, each event's box office (and event
  // actor) takes a share, which bounds what sharding them would give.
  std::vector<sg::event_actor> evs;
  std::vector<sg::box_office_actor> cos;
  for (int e = 0; e < events; ++e) {
    sg::event_info info;
    info.id = e == 0 ? "bench" : "bench-" + std::to_string(e + 1);
    info.venue_id = v.id;
    info.name = "Bench";
    if (auto id = node.call<std::string>(node.catalog(), sg::atom::put_v, info); !id)
      die("event", id.error());
    auto ev =
        node.call<sg::event_actor>(node.registry(), sg::atom::get_v, sg::atom::event_v, info.id);
    if (!ev)
      die("event actor", ev.error());
    auto co = node.call<sg::box_office_actor>(node.registry(), sg::atom::get_v,
                                              sg::atom::box_office_v, info.id);
    if (!co)
      die("box office", co.error());
    evs.push_back(*ev);
    cos.push_back(*co);
  }
  auto pick = [events](int i) { return static_cast<size_t>(i % events); };
  // Fan i holds two neighbouring seats of row A/B/... in some section.
  std::vector<std::vector<std::string>> seats(static_cast<size_t>(fans));
  std::vector<std::string> section_of(static_cast<size_t>(fans));
  for (int i = 0; i < fans; ++i) {
    auto k = static_cast<size_t>(i / events); // the fan's place within its event
    const auto& sec = v.sections[k % v.sections.size()];
    auto slot = k / v.sections.size();
    const auto& row = sec.rows[slot / 10];
    seats[static_cast<size_t>(i)] = {row.seats[(slot % 10) * 2].id,
                                     row.seats[(slot % 10) * 2 + 1].id};
    section_of[static_cast<size_t>(i)] = sec.id;
  }
  figures out;
  auto holds = burst(node.sys(), fans, [&](caf::event_based_actor* self, int i, auto done) {
    auto n = std::to_string(i);
    self->request(
            evs[pick(i)], std::chrono::seconds{60}, sg::atom::hold_v,
            sg::hold_request{"h" + n, "fan" + n, seats[static_cast<size_t>(i)], {}, 0, {}, {}})
        .then([done](sg::hold_receipt&) { done(); }, on_error);
  });
  out.hold_p50_ms = percentile(holds, 0.5);
  auto start = clock_type::now();
  auto lat = burst(node.sys(), fans, [&](caf::event_based_actor* self, int i, auto done) {
    auto n = std::to_string(i);
    // Both seats are in one section, so at its tier's price.
    const auto* sec = v.find_section(section_of[static_cast<size_t>(i)]);
    auto p = v.find_tier(sec->tier)->price;
    self->request(cos[pick(i)], std::chrono::seconds{60}, sg::atom::confirm_v, "key" + n, "fan" + n,
                  "h" + n, std::vector<std::string>{sec->id}, seats[static_cast<size_t>(i)],
                  std::vector<int64_t>{p, p}, std::string{"4242424242424242"})
        .then([done](sg::order_info&) { done(); }, on_error);
  });
  out.per_s = static_cast<double>(fans) / seconds_since(start);
  out.p50_ms = percentile(lat, 0.5);
  out.p99_ms = percentile(lat, 0.99);
  out.max_ms = percentile(lat, 1.0);
  return out;
}

} // namespace

int main(int argc, char** argv) {
  int runs = 3;
  int fans = 1000;
  int events = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--runs")
      runs = std::stoi(argv[i + 1]);
    else if (arg == "--fans")
      fans = std::stoi(argv[i + 1]);
    else if (arg == "--events")
      events = std::max(1, std::stoi(argv[i + 1]));
  }
  std::vector<double> hold50, p50, p99, mx, rate;
  for (int r = 0; r < runs; ++r) {
    auto f = run(fans, events);
    hold50.push_back(f.hold_p50_ms);
    p50.push_back(f.p50_ms);
    p99.push_back(f.p99_ms);
    mx.push_back(f.max_ms);
    rate.push_back(f.per_s);
  }
  std::printf("bench_checkout: durability=fsync, simulated provider at 0 ms, %d concurrent "
              "checkouts of 2 seats over %d event(s), median of %d runs\n",
              fans, events, runs);
  std::printf("baseline: durable hold, p50 %.1f ms at %d concurrent\n", median(hold50), fans);
  std::printf("checkout: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %.0f checkouts/s "
              "(p50 %.1fx the hold)\n",
              median(p50), median(p99), median(mx), median(rate), median(p50) / median(hold50));
  return 0;
}
