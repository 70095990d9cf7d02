#include "persistence/group_commit.hpp"

#include "messages/ec.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

namespace seatgrab::persistence {

namespace {

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point t) {
  return std::chrono::duration<double>(steady::now() - t).count();
}

} // namespace

group_commit::group_commit(store& db, bool threaded, std::chrono::milliseconds retry_interval)
    : db_(db), threaded_(threaded), retry_interval_(retry_interval) {
  if (threaded_)
    thread_ = std::thread{[this] { run(); }};
}

group_commit::~group_commit() {
  close();
}

void group_commit::close() {
  {
    std::lock_guard guard{mtx_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

caf::error group_commit::refusal(const pending& p) const {
  if (failed_)
    return failed_;
  if (p.generation && *p.generation != generation_.load())
    return caf::make_error(ec::storage_io, "an earlier journal write this one depends on failed");
  return {};
}

void group_commit::suspend(const caf::error& err) {
  if (failed_)
    return;
  failed_ = err;
  failed_at_ = last_attempt_ = steady::now();
  refused_since_ = 0;
  stats_.failures += 1;
  generation_.fetch_add(1);
  spdlog::critical("journal write failed: {}; refusing writes until the store recovers "
                   "(retrying every {} ms), reads go on",
                   render(err), retry_interval_.count());
}

void group_commit::submit(write_set ws, callback done, std::optional<uint64_t> generation) {
  if (!threaded_) {
    bool closed = false;
    bool retry = false;
    {
      std::lock_guard guard{mtx_};
      closed = stopping_;
      retry = failed_ && steady::now() - last_attempt_ >= retry_interval_;
    }
    if (closed) {
      done(caf::make_error(ec::storage_closed, "journal writer is shut down"));
      return;
    }
    if (retry)
      try_recover();
    std::deque<pending> one;
    one.push_back(pending{std::move(ws), std::move(done), generation});
    commit(one);
    return;
  }
  caf::error refuse;
  {
    std::lock_guard guard{mtx_};
    pending p{std::move(ws), std::move(done), generation};
    if (stopping_)
      refuse = caf::make_error(ec::storage_closed, "journal writer is shut down");
    else
      refuse = refusal(p);
    if (refuse) {
      if (!stopping_) {
        stats_.refused += 1;
        refused_since_ += 1;
      }
      done = std::move(p.done);
    } else {
      queue_.push_back(std::move(p));
    }
  }
  if (refuse) {
    done(refuse);
    return;
  }
  wake_.notify_one();
}

void group_commit::flush() {
  if (!threaded_)
    return;
  std::unique_lock lock{mtx_};
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

group_commit_stats group_commit::stats() const {
  std::lock_guard guard{mtx_};
  return stats_;
}

journal_health group_commit::health() const {
  std::lock_guard guard{mtx_};
  journal_health h;
  h.cause = failed_;
  if (failed_) {
    h.suspended_s = seconds_since(failed_at_);
    h.refused = refused_since_;
  }
  return h;
}

bool group_commit::try_recover() {
  {
    std::lock_guard guard{mtx_};
    if (!failed_)
      return true;
    last_attempt_ = steady::now();
  }
  // Only the writer thread (or, unthreaded, the submitter) writes, and nothing is written
  // while suspended, so the store is idle here.
  auto res = db_.recover();
  std::lock_guard guard{mtx_};
  last_attempt_ = steady::now();
  if (!res) {
    spdlog::debug("journal still suspended: {}", render(res.error()));
    return false;
  }
  spdlog::warn("journal writes resumed after {:.1f} s ({} writes refused meanwhile)",
               seconds_since(failed_at_), refused_since_);
  failed_ = caf::error{};
  refused_since_ = 0;
  return true;
}

void group_commit::run() {
  std::unique_lock lock{mtx_};
  for (;;) {
    if (failed_ && queue_.empty() && !stopping_) {
      // Suspended: wake up to retry (or for a submission that was queued before, or to stop).
      static_cast<void>(wake_.wait_for(lock, retry_interval_));
      if (failed_ && !stopping_ && steady::now() - last_attempt_ >= retry_interval_) {
        lock.unlock();
        try_recover();
        lock.lock();
      }
      continue;
    }
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stopping_)
        return;
      continue;
    }
    std::deque<pending> batch;
    batch.swap(queue_);
    busy_ = true;
    lock.unlock();
    commit(batch);
    lock.lock();
    busy_ = false;
    if (queue_.empty())
      idle_.notify_all();
  }
}

void group_commit::commit(std::deque<pending>& batch) {
  // Refused ones (suspended, or a chain broken by a failure) are answered, the rest written.
  std::vector<std::pair<pending*, caf::error>> refused;
  std::vector<const write_set*> sets;
  {
    std::lock_guard guard{mtx_};
    for (auto& p : batch) {
      if (auto err = refusal(p)) {
        refused.emplace_back(&p, std::move(err));
        stats_.refused += 1;
        refused_since_ += 1;
      } else {
        sets.push_back(&p.ws);
      }
    }
  }
  caf::error err;
  if (!sets.empty()) {
    auto start = steady::now();
    auto res = db_.write(sets, true);
    auto nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - start).count();
    std::lock_guard guard{mtx_};
    if (!res) {
      err = res.error();
      suspend(err);
    } else {
      stats_.batches += 1;
      stats_.write_sets += sets.size();
      stats_.max_batch = std::max<uint64_t>(stats_.max_batch, sets.size());
      stats_.sync_nanos += static_cast<uint64_t>(nanos);
    }
  }
  // In submission order: a refused one is answered where it stood.
  auto r = refused.begin();
  for (auto& p : batch) {
    if (r != refused.end() && r->first == &p) {
      p.done(r->second);
      ++r;
    } else {
      p.done(err);
    }
  }
}

} // namespace seatgrab::persistence
