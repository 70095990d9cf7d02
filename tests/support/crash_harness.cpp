#include "tests/support/crash_harness.hpp"

#include "messages/ec.hpp"
#include "persistence/store.hpp"
#include "tests/support/process.hpp"

#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <signal.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace seatgrab::test {

namespace {

std::string expected_payload(int entity, uint64_t seq) {
  auto text = "e" + std::to_string(entity) + ":" + std::to_string(seq) + ":";
  text.resize(100, '.');
  return text;
}

// One cycle: start the child, kill it after `kill_after` acks, collect every ack it sent.
std::string run_child(const crash_options& opts, uint64_t kill_after,
                      std::map<int, uint64_t>& max_acked, uint64_t& acked) {
  auto child = spawn_reading_stdout(opts.appender, {opts.dir, std::to_string(opts.entities)});
  if (child.pid < 0)
    return "cannot start " + opts.appender.string();
  auto pid = child.pid;
  FILE* in = fdopen(child.out, "r");
  uint64_t seen = 0;
  bool killed = false;
  int entity = 0;
  unsigned long long seq = 0;
  while (std::fscanf(in, "%d %llu\n", &entity, &seq) == 2) {
    auto& top = max_acked[entity];
    top = std::max<uint64_t>(top, seq);
    ++acked;
    // Acks read after the kill count too: they were sent, so they were promised.
    if (++seen >= kill_after && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
  }
  fclose(in);
  if (!killed)
    kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
    return "crash_appender ended on its own (status " + std::to_string(status) + ") after " +
           std::to_string(seen) + " acks";
  return {};
}

} // namespace

crash_summary run_crash_cycles(const crash_options& options) {
  crash_summary summary;
  auto opts = options;
  std::optional<temp_dir> tmp; // a run of its own, never a fixed path another run shares
  if (opts.dir.empty()) {
    tmp.emplace("seatgrab-journal-crash-");
    opts.dir = tmp->path() / "db";
  }
  std::mt19937_64 rng{opts.seed};
  std::uniform_int_distribution<uint64_t> kill_after{
      1, static_cast<uint64_t>(opts.max_acks_before_kill)};
  std::map<int, uint64_t> max_acked;
  std::filesystem::remove_all(opts.dir);
  for (int cycle = 0; cycle < opts.cycles; ++cycle) {
    auto prefix = "cycle " + std::to_string(cycle) + ": ";
    if (auto err = run_child(opts, kill_after(rng), max_acked, summary.acked); !err.empty()) {
      summary.failure = prefix + err;
      return summary;
    }
    auto db = persistence::store::open({opts.dir, persistence::durability::fsync});
    if (!db) {
      summary.failure = prefix + "reopen: " + render(db.error());
      return summary;
    }
    summary.found = 0;
    for (int e = 0; e < opts.entities; ++e) {
      auto log = (*db)->load("crash", "e" + std::to_string(e));
      if (!log) {
        summary.failure = prefix + render(log.error());
        return summary;
      }
      // load() already refuses a gap; check the records start at 1 and are the right ones.
      uint64_t want = 1;
      for (auto& [seq, payload] : log->tail) {
        if (seq != want || payload != expected_payload(e, seq)) {
          summary.failure = prefix + "entity e" + std::to_string(e) + " record " +
                            std::to_string(seq) + " is wrong or out of place";
          return summary;
        }
        ++want;
      }
      if (log->last_seq() < max_acked[e]) {
        summary.failure = prefix + "entity e" + std::to_string(e) + ": acknowledged up to " +
                          std::to_string(max_acked[e]) + " but only " +
                          std::to_string(log->last_seq()) + " on disk";
        return summary;
      }
      summary.found += log->tail.size();
    }
  }
  return summary;
}

} // namespace seatgrab::test
