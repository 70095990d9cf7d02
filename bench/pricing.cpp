// bench_pricing: what the pricing tick costs the sections of a 50,000-seat event.
//
// A tick asks every section for its demand (through the event actor) and, when levels move,
// sends the new prices, which each section journals. Measured on a node with 2 CAF workers and
// fsync'd journals, 100 sections of 500 seats:
// - idle: the time of the demand round trip to all 100 sections, and of a price change in
//   every section at once (the worst tick: each journals, durably), medians of --runs;
// - under load: the sell-out's hold + confirm throughput while a tick of that worst kind runs
//   every 300 ms (100 times the production rate of one per 30 s), against the same sell-out
//   without ticks; medians of --runs each.
// The share of the sections' time per 30 s interval is the idle tick's time over 30 s, and,
// from the loaded runs, the throughput lost divided by 100.

#include "bench/bench_util.hpp"
#include "bench/sellout.hpp"
#include "cluster/node.hpp"
#include "domain/venue.hpp"
#include "messages/ec.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace sg = seatgrab;
using sg::bench::clock_type;
using sg::bench::median;

namespace {

[[noreturn]] void die(const caf::error& err) {
  std::fprintf(stderr, "bench_pricing: %s\n", sg::render(err).c_str());
  std::exit(1);
}

struct event_node {
  std::unique_ptr<sg::cluster::node> node;
  sg::event_actor event;
  std::vector<std::string> sections;
};

event_node start(const sg::domain::venue& v, const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  auto started =
      sg::cluster::node::start({dir, sg::persistence::durability::fsync, 2, sg::bench::epoch, {}});
  if (!started)
    die(started.error());
  event_node out{std::move(*started), {}, {}};
  auto& node = *out.node;
  sg::event_info info{"bench", v.id, "Bench", 0, 300, 600, 8, 8};
  if (auto err = sg::bench::put_on_sale(node, v, info))
    die(err);
  auto ev = node.call<sg::event_actor>(node.registry(), sg::atom::get_v, sg::atom::event_v,
                                       std::string{"bench"});
  if (!ev)
    die(ev.error());
  out.event = *ev;
  for (const auto& s : v.sections)
    out.sections.push_back(s.id);
  return out;
}

// One tick of the worst kind: every section's demand, then a new price in every section.
void worst_tick(event_node& n, uint64_t version, double* demand_ms, double* push_ms) {
  auto t0 = clock_type::now();
  auto demand =
      n.node->call<std::vector<sg::section_demand>>(n.event, sg::atom::get_v, sg::atom::demand_v);
  if (!demand || demand->size() != n.sections.size())
    die(demand ? caf::make_error(sg::ec::unavailable, "short demand") : demand.error());
  auto t1 = clock_type::now();
  std::vector<sg::section_price> prices;
  for (const auto& s : n.sections)
    prices.push_back({s, static_cast<int64_t>(10'000 + version % 5 * 500)});
  if (auto ok = n.node->call<void>(n.event, sg::atom::price_v, version, prices); !ok)
    die(ok.error());
  auto t2 = clock_type::now();
  if (demand_ms)
    *demand_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  if (push_ms)
    *push_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
}

} // namespace

int main(int argc, char** argv) {
  int runs = 3;
  int clients = 256;
  sg::bench::int_flags(argc, argv, {{"--runs", &runs}, {"--clients", &clients}});
  auto v = sg::domain::generate_stadium(); // 100 sections x 500 seats
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-bench-pricing";
  std::printf("bench_pricing: a 50,000-seat event of 100 sections, 2 CAF workers, fsync'd "
              "journals, medians of %d runs\n",
              runs);

  std::vector<double> demand, push;
  {
    auto n = start(v, dir);
    for (int r = 0; r < std::max(runs, 20); ++r) {
      double d = 0, p = 0;
      worst_tick(n, static_cast<uint64_t>(r + 1), &d, &p);
      demand.push_back(d);
      push.push_back(p);
    }
  }
  auto idle = median(demand) + median(push);
  std::printf("idle tick: demand of 100 sections %.2f ms, a new price in all 100 (journaled) "
              "%.2f ms: %.2f ms per 30 s interval = %.4f %% of the sections' time\n",
              median(demand), median(push), idle, idle / 30'000 * 100);

  std::vector<double> plain, ticked;
  auto plain_run = [&] {
    auto n = start(v, dir);
    plain.push_back(sg::bench::sell_out(*n.node, v, "bench", clients));
  };
  for (int r = 0; r < runs; ++r) {
    // Taking turns, the baseline first and last: the machine's drift hits both alike.
    if (r % 2 == 0)
      plain_run();
    {
      auto n = start(v, dir);
      std::atomic<bool> done{false};
      uint64_t ticks = 0;
      std::thread ticker{[&] {
        while (!done) {
          worst_tick(n, ++ticks, nullptr, nullptr);
          std::this_thread::sleep_for(std::chrono::milliseconds{300}); // the load's pacing
        }
      }};
      ticked.push_back(sg::bench::sell_out(*n.node, v, "bench", clients));
      done = true;
      ticker.join();
    }
    if (r % 2 == 1)
      plain_run();
    std::fflush(stdout);
  }
  auto spread = [](const std::vector<double>& xs) {
    auto [lo, hi] = std::minmax_element(xs.begin(), xs.end());
    return std::to_string(static_cast<int64_t>(*lo)) + ".." +
           std::to_string(static_cast<int64_t>(*hi));
  };
  std::printf("runs: without ticks %s ops/s, with ticks %s ops/s\n", spread(plain).c_str(),
              spread(ticked).c_str());
  auto a = median(plain), b = median(ticked);
  auto lost = (1 - b / a) * 100;
  std::printf("sell-out, %d clients: %.0f ops/s without ticks, %.0f ops/s with a worst-case tick "
              "every 300 ms (%.3fx)",
              clients, a, b, b / a);
  if (lost > 0)
    std::printf("; lost %.2f %% at 100x the production rate, so %.4f %% at one tick per 30 s\n",
                lost, lost / 100);
  else
    std::printf("; no loss measurable (the runs spread wider than any effect)\n");
  std::filesystem::remove_all(dir);
  return 0;
}
