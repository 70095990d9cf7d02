// bench_inventory: hold + confirm throughput of the seat inventory, and memory of an event.
//
// A run sells out a whole 50,000-seat event: `clients` client actors each take their share of
// the seats and, one seat at a time, hold it and confirm the hold (closed loop: the next
// request goes out when the previous reply is in, as a fan's session would). Reported:
// operations per second (a hold and a confirm are one operation each), for every section
// layout and durability mode, and as a baseline the same holds and confirms applied straight
// to section_state in one thread (no actors, no journal). Figures are medians of --runs runs.

#include "bench/bench_util.hpp"
#include "bench/sellout.hpp"
#include "cluster/node.hpp"
#include "domain/event.hpp"
#include "domain/section_state.hpp"
#include "domain/venue.hpp"
#include "messages/ec.hpp"

#include <caf/event_based_actor.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace sg = seatgrab;
using sg::bench::clock_type;

namespace {

using sg::bench::epoch;
using sg::bench::median;
using sg::bench::rss_bytes;
using sg::bench::seconds_since;

struct layout {
  const char* name;
  sg::domain::stadium_params params;
};

// Baseline: the same work on the state classes directly, one thread, nothing journaled.
double run_state_only(const sg::domain::venue& v) {
  sg::event_info info{"bench", v.id, "Bench", 0, 300, 600, 8, 8};
  std::vector<sg::domain::section_state> sections;
  for (auto& cfg : sg::domain::section_configs(info, v))
    sections.push_back(*sg::domain::section_state::make(std::move(cfg)));
  uint64_t ops = 0;
  auto start = clock_type::now();
  for (auto& sec : sections) {
    auto seats = sec.seats();
    std::vector<std::string> ids;
    for (const auto& s : seats)
      ids.emplace_back(s.id);
    for (const auto& id : ids) {
      auto hold = sec.hold("h-" + id, "fan", {id}, epoch);
      auto sale = sec.confirm("h-" + id, "fan", "o-" + id, epoch);
      if (!hold || !sale) {
        std::fprintf(stderr, "baseline failed\n");
        std::exit(1);
      }
      ops += 2;
    }
  }
  return static_cast<double>(ops) /
         std::chrono::duration<double>(clock_type::now() - start).count();
}

struct sellout {
  double ops_per_s = 0;
};

sellout run_actors(const sg::domain::venue& v, sg::persistence::durability mode,
                   const std::filesystem::path& dir, int clients) {
  std::filesystem::remove_all(dir);
  auto started = sg::cluster::node::start({dir, mode, 2, epoch, {}});
  if (!started) {
    std::fprintf(stderr, "%s\n", sg::render(started.error()).c_str());
    std::exit(1);
  }
  auto& node = **started;
  auto die = [](const caf::error& err) {
    std::fprintf(stderr, "bench_inventory: %s\n", sg::render(err).c_str());
    std::exit(1);
  };
  sg::event_info info{"bench", v.id, "Bench", 0, 300, 600, 8, 8};
  if (auto err = sg::bench::put_on_sale(node, v, info))
    die(err);
  sellout result;
  result.ops_per_s = sg::bench::sell_out(node, v, info.id, clients);
  return result;
}

} // namespace

int main(int argc, char** argv) {
  int runs = 3;
  int clients = 256;
  sg::bench::int_flags(argc, argv, {{"--runs", &runs}, {"--clients", &clients}});
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-bench-inventory";
  { // Memory first, in a fresh process: the state of a 50,000-seat event of 100 sections.
    auto v = sg::domain::generate_stadium();
    sg::event_info info{"bench", v.id, "Bench", 0, 300, 600, 8, 8};
    auto before = rss_bytes();
    std::vector<sg::domain::section_state> sections;
    for (auto& cfg : sg::domain::section_configs(info, v))
      sections.push_back(*sg::domain::section_state::make(std::move(cfg)));
    auto empty = rss_bytes() - before;
    uint64_t n = 0;
    for (auto& sec : sections) { // every seat sold, 2 seats per order
      std::vector<std::string> ids;
      for (const auto& seat : sec.seats())
        ids.emplace_back(seat.id);
      for (size_t i = 0; i + 1 < ids.size(); i += 2) {
        auto id = "hold-" + std::to_string(++n);
        if (!sec.hold(id, "fan-" + std::to_string(n), {ids[i], ids[i + 1]}, epoch) ||
            !sec.confirm(id, "fan-" + std::to_string(n), "order-" + std::to_string(n), epoch)) {
          std::fprintf(stderr, "memory run failed\n");
          return 1;
        }
      }
    }
    std::printf("memory: state of a 50,000-seat event (100 sections): %.1f MB all free, "
                "%.1f MB sold out (25,000 orders)\n",
                static_cast<double>(empty) / 1e6, static_cast<double>(rss_bytes() - before) / 1e6);
  }
  const layout layouts[] = {{"1 section", {1, 250, 200}}, {"100 sections", {100, 25, 20}}};
  std::printf("bench_inventory: sell out a 50,000-seat event, hold + confirm per seat, %d "
              "closed-loop clients, 2 CAF workers, median of %d runs\n",
              clients, runs);
  std::printf("%-14s %-10s %16s %16s\n", "layout", "durability", "ops/s", "vs state-only");
  for (const auto& l : layouts) {
    auto v = sg::domain::generate_stadium(l.params);
    std::vector<double> base;
    for (int r = 0; r < runs; ++r)
      base.push_back(run_state_only(v));
    auto b = median(base);
    std::printf("%-14s %-10s %16.0f %16s\n", l.name, "(state)", b, "1.00x");
    for (auto mode : {sg::persistence::durability::none, sg::persistence::durability::fsync}) {
      std::vector<double> xs;
      for (int r = 0; r < runs; ++r)
        xs.push_back(run_actors(v, mode, dir, clients).ops_per_s);
      auto m = median(xs);
      std::printf("%-14s %-10s %16.0f %15.2fx\n", l.name,
                  std::string{sg::persistence::to_string(mode)}.c_str(), m, m / b);
      std::fflush(stdout);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
