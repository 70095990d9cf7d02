// bench_waiting_room: how fast the waiting room takes 500,000 fans, answers their position
// polls, and what a waiting fan costs in memory.
//
// Measured in one process: joins/s and position lookups/s on the state class (the baseline,
// one thread, no journal), then joins/s through the waiting-room actor of a node with
// durability `none` and `fsync` (each join is journaled and acknowledged when durable; 256
// closed-loop clients). Medians of --runs runs.

#include "domain/waiting_room.hpp"

#include "bench/bench_util.hpp"
#include "cluster/node.hpp"
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
#include <unistd.h>

namespace sg = seatgrab;
using sg::bench::clock_type;
using namespace std::chrono_literals;

namespace {

using sg::bench::epoch;
using sg::bench::median;
using sg::bench::rss_bytes;
using sg::bench::seconds_since;

struct state_figures {
  double joins_per_s = 0;
  double lookups_per_s = 0;
  double bytes_per_fan = 0;     // the room's own accounting
  double rss_bytes_per_fan = 0; // RSS growth, an upper bound
};

state_figures run_state(uint64_t fans) {
  sg::domain::waiting_room_config cfg;
  cfg.event_id = "bench";
  cfg.opens_at = epoch + 1h;
  sg::domain::waiting_room_seed seed{};
  seed[0] = 42;
  auto rss0 = rss_bytes();
  auto room = sg::domain::waiting_room_state::make(cfg, seed);
  state_figures out;
  auto start = clock_type::now();
  for (uint64_t i = 1; i <= fans; ++i)
    if (!room->join(i * 0x9E3779B97F4A7C15ull, i * 0xC2B2AE3D27D4EB4Full, epoch)) {
      std::fprintf(stderr, "join failed\n");
      std::exit(1);
    }
  out.joins_per_s = static_cast<double>(fans) / seconds_since(start);
  out.rss_bytes_per_fan = static_cast<double>(rss_bytes() - rss0) / static_cast<double>(fans);
  out.bytes_per_fan = static_cast<double>(room->memory_bytes()) / static_cast<double>(fans);
  if (!room->open(epoch + 1h)) {
    std::fprintf(stderr, "open failed\n");
    std::exit(1);
  }
  uint64_t sum = 0;
  start = clock_type::now();
  for (uint64_t i = 1; i <= fans; ++i)
    sum += room->status(i, epoch + 1h)->position;
  out.lookups_per_s = static_cast<double>(fans) / seconds_since(start);
  if (sum == 0)
    std::fprintf(stderr, "positions all zero?\n");
  return out;
}

double run_actor(sg::persistence::durability mode, uint64_t fans, int clients) {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-bench-queue";
  std::filesystem::remove_all(dir);
  auto started = sg::cluster::node::start({dir, mode, 2, epoch, {}});
  if (!started) {
    std::fprintf(stderr, "%s\n", sg::render(started.error()).c_str());
    std::exit(1);
  }
  auto& node = **started;
  auto v = sg::domain::generate_theatre();
  sg::event_info ev;
  ev.id = "bench";
  ev.venue_id = v.id;
  ev.name = "Bench";
  ev.opens_at_ms = (epoch + 24h).time_since_epoch().count();
  if (!node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                              sg::domain::to_json(v)) ||
      !node.call<std::string>(node.catalog(), sg::atom::put_v, ev)) {
    std::fprintf(stderr, "setup failed\n");
    std::exit(1);
  }
  auto room = *node.call<sg::waiting_room_actor>(node.registry(), sg::atom::get_v,
                                                 sg::atom::queue_v, ev.id);
  std::mutex mtx;
  std::condition_variable cv;
  int running = clients;
  auto start = clock_type::now();
  for (int c = 0; c < clients; ++c) {
    node.sys().spawn([&, c](caf::event_based_actor* self) {
      auto next = std::make_shared<std::function<void(uint64_t)>>();
      *next = [=, &mtx, &cv, &running](uint64_t i) {
        if (i >= fans) {
          std::lock_guard guard{mtx};
          if (--running == 0)
            cv.notify_all();
          return;
        }
        auto id = std::to_string(i);
        self->request(room, std::chrono::seconds{60}, sg::atom::join_v, "acct-" + id, "dev-" + id)
            .then([=](sg::queue_status&) { (*next)(i + static_cast<uint64_t>(clients)); },
                  [](caf::error& err) {
                    std::fprintf(stderr, "join: %s\n", sg::render(err).c_str());
                    std::exit(1);
                  });
      };
      (*next)(static_cast<uint64_t>(c));
    });
  }
  std::unique_lock lock{mtx};
  cv.wait(lock, [&] { return running == 0; });
  return static_cast<double>(fans) / seconds_since(start);
}

} // namespace

int main(int argc, char** argv) {
  int runs = 3;
  uint64_t actor_fans = 100'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--runs")
      runs = std::stoi(argv[i + 1]);
    else if (arg == "--actor-fans")
      actor_fans = std::stoull(argv[i + 1]);
  }
  constexpr uint64_t fans = 500'000;
  std::vector<double> joins, lookups;
  state_figures first;
  for (int r = 0; r < runs; ++r) {
    auto f = run_state(fans);
    if (r == 0)
      first = f; // memory in a fresh process
    joins.push_back(f.joins_per_s);
    lookups.push_back(f.lookups_per_s);
  }
  auto base = median(joins);
  std::printf("bench_waiting_room: median of %d runs\n", runs);
  std::printf("state, 500,000 fans: %.0f joins/s (500k in %.2f s), %.0f position lookups/s\n", base,
              static_cast<double>(fans) / base, median(lookups));
  std::printf("memory per waiting fan: %.0f bytes (room's accounting), %.0f bytes (RSS growth)\n",
              first.bytes_per_fan, first.rss_bytes_per_fan);
  for (auto mode : {sg::persistence::durability::none, sg::persistence::durability::fsync}) {
    std::vector<double> xs;
    for (int r = 0; r < runs; ++r)
      xs.push_back(run_actor(mode, actor_fans, 256));
    auto m = median(xs);
    std::printf("actor, %llu joins, durability %-5s: %.0f joins/s (%.2fx the state alone)\n",
                static_cast<unsigned long long>(actor_fans),
                std::string{sg::persistence::to_string(mode)}.c_str(), m, m / base);
  }
  return 0;
}
