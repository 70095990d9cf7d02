#include "persistence/group_commit.hpp"

#include "messages/ec.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace seatgrab::persistence {

group_commit::group_commit(store& db, bool threaded) : db_(db), threaded_(threaded) {
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

void group_commit::submit(write_set ws, callback done) {
  if (!threaded_) {
    bool closed = false;
    {
      std::lock_guard guard{mtx_};
      closed = stopping_;
    }
    if (closed) {
      done(caf::make_error(ec::storage_closed, "journal writer is shut down"));
      return;
    }
    std::deque<pending> one;
    one.push_back(pending{std::move(ws), std::move(done)});
    commit(one);
    return;
  }
  caf::error refuse;
  {
    std::lock_guard guard{mtx_};
    if (stopping_)
      refuse = caf::make_error(ec::storage_closed, "journal writer is shut down");
    else if (failed_)
      refuse = failed_;
    else
      queue_.push_back(pending{std::move(ws), std::move(done)});
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

void group_commit::run() {
  std::unique_lock lock{mtx_};
  for (;;) {
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
  caf::error err;
  {
    std::lock_guard guard{mtx_};
    err = failed_;
  }
  if (!err) {
    std::vector<const write_set*> sets;
    sets.reserve(batch.size());
    for (auto& p : batch)
      sets.push_back(&p.ws);
    auto start = std::chrono::steady_clock::now();
    auto res = db_.write(sets, true);
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
    std::lock_guard guard{mtx_};
    if (!res) {
      err = res.error();
      failed_ = err;
      spdlog::critical("journal write failed, refusing further appends: {}", render(err));
    } else {
      stats_.batches += 1;
      stats_.write_sets += batch.size();
      stats_.max_batch = std::max<uint64_t>(stats_.max_batch, batch.size());
      stats_.sync_nanos += static_cast<uint64_t>(nanos);
    }
  }
  for (auto& p : batch)
    p.done(err);
}

} // namespace seatgrab::persistence
