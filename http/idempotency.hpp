#pragma once

// Idempotency keys (`Idempotency-Key` on the POSTs that allow it): same key + same request →
// the stored answer again; same key + another request → 422; the first still running → 409.
// The answers are kept in memory (read from storage once, at start) and written through the
// journal writer, so no request ever waits for a storage read.

#include "http/exchanges.hpp"
#include "persistence/idempotency_store.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

namespace seatgrab::http {

/// The idempotency records of the edge. Thread-safe.
class idempotency : public std::enable_shared_from_this<idempotency> {
public:
  /// Records live in `store` and are kept for `ttl`; at most `max_records` are kept (with the
  /// requests running), in memory and on disk alike.
  idempotency(persistence::idempotency_store store, std::chrono::hours ttl,
              size_t max_records = 500'000);

  /// Reads the stored records (a blocking scan: call at start) and drops those older than the
  /// retention period at `now_ms`.
  void load(int64_t now_ms);

  /// For a request carrying an Idempotency-Key: answers a bad key, a replay, a reuse with
  /// another request or a request still running itself; otherwise runs `proceed` and stores
  /// the answer it gives on `ex` (except 429 and 5xx, which the client may retry). When the
  /// records are at their bound even after forgetting the expired ones, a new key is answered
  /// 503 `idempotency_capacity` with Retry-After and nothing runs: evicting a live record would
  /// break the promise of a replay (a retry would act twice), refusing keeps it, and the client
  /// retries the same request with the same key later. Replays are still answered. A key
  /// belongs to `scope`, the caller: "account:<id>" once authenticated (any session of the
  /// account replays), "ip:<address>" for anonymous routes. Never call it before the caller
  /// is authenticated on a route that needs it.
  void guard(const std::shared_ptr<tracked>& ex, const std::string& scope,
             const std::function<void()>& proceed);

private:
  /// One stored answer.
  struct record {
    std::string fingerprint;
    unsigned status = 200;
    std::string content_type;
    std::string body;
    int64_t at_ms = 0;
  };

  /// Forgets the records past their retention at `now_ms`. Holds `mtx_`.
  void sweep(int64_t now_ms);

  /// Keeps `rec` (once durable) and stops tracking `key` as running.
  void finish(const std::string& key, const record* rec);

  persistence::idempotency_store store_;
  int64_t ttl_ms_;
  size_t max_records_;
  std::mutex mtx_;
  std::set<std::string> running_;
  std::unordered_map<std::string, record> records_;
  int64_t last_sweep_ms_ = 0;
};

} // namespace seatgrab::http
