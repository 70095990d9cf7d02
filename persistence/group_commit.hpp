#pragma once

#include "persistence/store.hpp"

#include <caf/error.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace seatgrab::persistence {

/// Counters of the writer, readable from any thread.
struct group_commit_stats {
  uint64_t batches = 0;    ///< write batches committed
  uint64_t write_sets = 0; ///< write sets acknowledged durable
  uint64_t max_batch = 0;  ///< largest number of write sets in one batch
  uint64_t sync_nanos = 0; ///< total time spent in the durable write
};

/// The one writer of a node. Appenders hand in write sets with a callback; a single thread
/// takes everything pending, writes it as one RocksDB batch (fsynced in `fsync` mode) and
/// only then calls each callback, in submission order. If a write fails, that batch and every
/// later submission fail: after a failed fsync nothing can be trusted to be on disk.
class group_commit {
public:
  /// Called once per write set: no error means durable. Runs on the writer thread (or the
  /// submitting thread when `threaded` is false); it may submit again but must not block.
  using callback = std::function<void(const caf::error&)>;

  /// `threaded = false` writes on the submitting thread, for deterministic tests and
  /// memory-only simulation.
  explicit group_commit(store& db, bool threaded = true);

  /// Calls close().
  ~group_commit();

  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  void submit(write_set ws, callback done);

  /// Blocks until everything submitted so far is written (for shutdown and tools).
  void flush();

  /// Writes everything pending, then stops the writer; later submissions fail with
  /// `storage_closed`. Idempotent.
  void close();

  group_commit_stats stats() const;

  store& db() noexcept { return db_; }

  /// False if submissions are written (and acknowledged) on the submitting thread.
  bool threaded() const noexcept { return threaded_; }

private:
  struct pending {
    write_set ws;
    callback done;
  };

  void run();
  void commit(std::deque<pending>& batch);

  store& db_;
  bool threaded_;
  mutable std::mutex mtx_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<pending> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  caf::error failed_; // sticky after the first failed write
  group_commit_stats stats_;
  std::thread thread_;
};

} // namespace seatgrab::persistence
