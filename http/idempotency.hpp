#pragma once

// Idempotency keys (`Idempotency-Key` on the POSTs that allow it): same key + same request →
// the stored answer again; same key + another request → 422; the first still running → 409.
// The answers are written through the journal writer and kept for the retention period in
// storage; the newest ones are also kept in memory, up to a bound, so that memory stays flat
// through an on-sale of millions of keyed requests while a retry of an older one still replays
// (one storage read).

#include "http/exchanges.hpp"
#include "persistence/idempotency_store.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace seatgrab::http {

/// The idempotency records of the edge. Thread-safe.
class idempotency : public std::enable_shared_from_this<idempotency> {
public:
  /// Records live in `store` and are kept for `ttl`; at most `max_records` of them are also
  /// kept in memory (the newest), and at most `max_records` requests run at once.
  idempotency(persistence::idempotency_store store, std::chrono::hours ttl,
              size_t max_records = 100'000);

  /// Reads the stored records (a blocking scan: call at start) and drops those older than the
  /// retention period at `now_ms`.
  void load(int64_t now_ms);

  /// For a request carrying an Idempotency-Key: answers a bad key, a replay, a reuse with
  /// another request or a request still running itself; otherwise runs `proceed` and stores
  /// the answer it gives on `ex` (except 429 and 5xx, which the client may retry). A record no
  /// longer in memory is read from storage (a storage error is 503, nothing runs). When
  /// `max_records` requests with keys are running, a new key is answered 503
  /// `idempotency_capacity` with Retry-After and nothing runs. A key belongs to `scope`, the
  /// caller: "account:<id>" once authenticated (any session of the account replays),
  /// "ip:<address>" for anonymous routes. Never call it before the caller is authenticated on
  /// a route that needs it. With `answer_first` a 2xx answer is sent (and replayed from memory)
  /// before its record is durable: for routes whose actor answers a retry alike by itself.
  void guard(const std::shared_ptr<tracked>& ex, const std::string& scope,
             const std::function<void()>& proceed, bool answer_first = false);

  /// Answers kept in memory right now (at most `max_records`).
  size_t cached() const;

private:
  /// One stored answer.
  struct record {
    std::string fingerprint;
    unsigned status = 200;
    std::string content_type;
    std::string body;
    int64_t at_ms = 0;
  };

  /// Forgets the records past their retention at `now_ms` from memory. Holds `mtx_`.
  void sweep(int64_t now_ms);

  /// Keeps `rec` in memory under `key`, forgetting the oldest beyond the bound. Holds `mtx_`.
  void remember(const std::string& key, const record& rec);

  /// The stored record of `key` unless absent or past its retention at `now_ms`.
  caf::expected<std::optional<record>> read_stored(const std::string& key, int64_t now_ms) const;

  /// Keeps `rec` (once durable) and stops tracking `key` as running.
  void finish(const std::string& key, const record* rec);

  persistence::idempotency_store store_;
  int64_t ttl_ms_;
  size_t max_records_;
  mutable std::mutex mtx_;
  std::set<std::string> running_;
  std::unordered_map<std::string, record> records_;
  /// Keys of `records_` by age, oldest first, with the time of the record they were kept for.
  std::deque<std::pair<std::string, int64_t>> order_;
  int64_t last_sweep_ms_ = 0;
};

} // namespace seatgrab::http
