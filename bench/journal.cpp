// bench_journal: durable appends per second with group commit versus one fsync per append.
//
// For each appender count, three ways of making ~100-byte events durable are measured in the
// same process, on the same disk:
//   group commit  - our persistence::group_commit writer; each appender waits for its ack
//                   before appending again (closed loop, like an actor waiting to reply)
//   fsync each    - every append is its own synced RocksDB write, one at a time
//   rocksdb group - appender threads call a synced RocksDB write concurrently, so RocksDB's
//                   own write-group leader batches them (for reference)
// Each figure is the median of --runs runs of --seconds each.

#include "messages/ec.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pst = seatgrab::persistence;
using clock_type = std::chrono::steady_clock;

namespace {

struct config {
  std::filesystem::path dir;
  pst::durability mode = pst::durability::fsync;
  double seconds = 2.0;
  int runs = 3;
};

const std::string payload(100, 'x');

std::unique_ptr<pst::store> open_fresh(const config& cfg) {
  std::filesystem::remove_all(cfg.dir);
  auto db = pst::store::open({cfg.dir, cfg.mode});
  if (!db) {
    std::fprintf(stderr, "cannot open %s: %s\n", cfg.dir.c_str(),
                 seatgrab::render(db.error()).c_str());
    std::exit(1);
  }
  return std::move(*db);
}

double run_group_commit(const config& cfg, int appenders) {
  auto db = open_fresh(cfg);
  std::atomic<uint64_t> acked{0};
  std::atomic<bool> stop{false};
  std::atomic<int> running{appenders};
  {
    pst::group_commit writer{*db};
    std::vector<uint64_t> seqs(static_cast<size_t>(appenders), 0);
    // Each appender re-submits from its own ack callback until told to stop.
    std::function<void(int)> next = [&](int i) {
      if (stop.load(std::memory_order_relaxed)) {
        running.fetch_sub(1);
        return;
      }
      pst::write_set ws;
      ws.append("bench", "e" + std::to_string(i), ++seqs[static_cast<size_t>(i)], payload);
      writer.submit(std::move(ws), [&, i](const caf::error& err) {
        if (err) {
          std::fprintf(stderr, "append failed: %s\n", seatgrab::render(err).c_str());
          std::exit(1);
        }
        acked.fetch_add(1, std::memory_order_relaxed);
        next(i);
      });
    };
    auto start = clock_type::now();
    for (int i = 0; i < appenders; ++i)
      next(i);
    std::this_thread::sleep_for(std::chrono::duration<double>(cfg.seconds));
    auto count = acked.load();
    auto elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    stop = true;
    writer.flush();
    return static_cast<double>(count) / elapsed;
  }
}

double run_threads(const config& cfg, int appenders, bool serialize) {
  auto db = open_fresh(cfg);
  std::atomic<uint64_t> acked{0};
  std::atomic<bool> stop{false};
  std::mutex one_at_a_time;
  std::vector<std::thread> threads;
  auto start = clock_type::now();
  for (int i = 0; i < appenders; ++i) {
    threads.emplace_back([&, i] {
      uint64_t seq = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        pst::write_set ws;
        ws.append("bench", "e" + std::to_string(i), ++seq, payload);
        caf::expected<void> res;
        if (serialize) {
          std::lock_guard guard{one_at_a_time};
          res = db->write(ws, true);
        } else {
          res = db->write(ws, true);
        }
        if (!res) {
          std::fprintf(stderr, "append failed: %s\n", seatgrab::render(res.error()).c_str());
          std::exit(1);
        }
        acked.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg.seconds));
  auto count = acked.load();
  auto elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  stop = true;
  for (auto& t : threads)
    t.join();
  return static_cast<double>(count) / elapsed;
}

template <class F>
double median_of(int runs, F f) {
  std::vector<double> xs;
  for (int i = 0; i < runs; ++i)
    xs.push_back(f());
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  cfg.dir = std::filesystem::temp_directory_path() / "seatgrab-bench-journal";
  std::vector<int> appender_counts{1, 16, 256};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--dir") {
      cfg.dir = value();
    } else if (arg == "--seconds") {
      cfg.seconds = std::stod(value());
    } else if (arg == "--runs") {
      cfg.runs = std::stoi(value());
    } else if (arg == "--durability") {
      auto mode = pst::parse_durability(value());
      if (!mode) {
        std::fprintf(stderr, "--durability takes fsync|wal|none\n");
        return 2;
      }
      cfg.mode = *mode;
    } else {
      std::fprintf(stderr, "usage: bench_journal [--dir DIR] [--seconds S] [--runs N] "
                           "[--durability fsync|wal|none]\n");
      return 2;
    }
  }
  std::printf("bench_journal: durability=%s, dir=%s, %d runs x %.1f s each, 100-byte events, "
              "median appends/s\n",
              std::string{pst::to_string(cfg.mode)}.c_str(), cfg.dir.c_str(), cfg.runs,
              cfg.seconds);
  std::printf("%10s %15s %15s %15s %12s\n", "appenders", "group commit", "fsync each",
              "rocksdb group", "gc/fsync");
  for (int n : appender_counts) {
    auto gc = median_of(cfg.runs, [&] { return run_group_commit(cfg, n); });
    auto each = median_of(cfg.runs, [&] { return run_threads(cfg, n, true); });
    auto rgroup = median_of(cfg.runs, [&] { return run_threads(cfg, n, false); });
    std::printf("%10d %15.0f %15.0f %15.0f %11.1fx\n", n, gc, each, rgroup, gc / each);
    std::fflush(stdout);
  }
  std::filesystem::remove_all(cfg.dir);
  return 0;
}
