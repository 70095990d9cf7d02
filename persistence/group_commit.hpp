#pragma once

#include "persistence/store.hpp"

#include <caf/error.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace seatgrab::persistence {

/// Counters of the writer, readable from any thread.
struct group_commit_stats {
  uint64_t batches = 0;    ///< write batches committed
  uint64_t write_sets = 0; ///< write sets acknowledged durable
  uint64_t max_batch = 0;  ///< largest number of write sets in one batch
  uint64_t sync_nanos = 0; ///< total time spent in the durable write
  uint64_t failures = 0;   ///< failed writes, each of which suspended writing
  uint64_t refused = 0;    ///< write sets refused while writing was suspended
};

/// Whether the writer takes writes, and if not, why and since when.
struct journal_health {
  caf::error cause;       ///< the failure that suspended writing; none while writable
  double suspended_s = 0; ///< how long writing has been suspended
  uint64_t refused = 0;   ///< write sets refused since then
  /// True while writes are accepted.
  bool writable() const noexcept { return !cause; }
};

/// The one writer of a node. Appenders hand in write sets with a callback; a single thread
/// takes everything pending, writes it as one RocksDB batch (fsynced in `fsync` mode) and
/// only then calls each callback, in submission order.
///
/// If a write fails (a full disk, an I/O error), that batch, everything queued behind it and
/// every later submission fail with its error: writing is *suspended*, logged once. Every
/// `retry_interval` the writer asks the store to recover (`store::recover`); once it does,
/// writing resumes, logged once. A failure also starts a new *generation*: a chain of writes
/// that depend on each other (one actor's journal) names the generation it began in, and is
/// refused after a failure even once writing resumed, so no write lands after a failed one
/// it builds on.
class group_commit {
public:
  /// How long the writer waits between attempts to recover from a failed write.
  static constexpr std::chrono::milliseconds default_retry_interval{500};

  /// Called once per write set: no error means durable. Runs on the writer thread (or the
  /// submitting thread when `threaded` is false); it may submit again but must not block.
  using callback = std::function<void(const caf::error&)>;

  /// `threaded = false` writes on the submitting thread, for deterministic tests and
  /// memory-only simulation.
  explicit group_commit(store& db, bool threaded = true,
                        std::chrono::milliseconds retry_interval = default_retry_interval);

  /// Calls close().
  ~group_commit();

  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  /// Queues `ws`; `done` is called once with its outcome. `generation`: the generation the
  /// caller's chain of dependent writes began in (see `generation()`); a submission of an
  /// older one is refused. Without it, only a suspension refuses it.
  void submit(write_set ws, callback done, std::optional<uint64_t> generation = std::nullopt);

  /// The number of failed writes so far: a chain of dependent writes starts by reading it.
  uint64_t generation() const noexcept { return generation_.load(); }

  /// Whether writes are taken, and if not why. Any thread.
  journal_health health() const;

  /// Asks the store to recover now if writing is suspended (the writer thread also does it
  /// every `retry_interval`, and a writer without thread on the next submission after it).
  /// True if writing is possible afterwards.
  bool try_recover();

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
    std::optional<uint64_t> generation;
  };

  void run();
  void commit(std::deque<pending>& batch);
  /// Why `p` may not be written now (locked), or none.
  caf::error refusal(const pending& p) const;
  /// Suspends writing after `err` (locked; logs once).
  void suspend(const caf::error& err);

  store& db_;
  bool threaded_;
  mutable std::mutex mtx_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<pending> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::chrono::milliseconds retry_interval_;
  caf::error failed_; // set while writing is suspended
  std::chrono::steady_clock::time_point failed_at_;
  std::chrono::steady_clock::time_point last_attempt_;
  uint64_t refused_since_ = 0; // refused since the suspension began
  std::atomic<uint64_t> generation_{0};
  group_commit_stats stats_;
  std::thread thread_;
};

} // namespace seatgrab::persistence
