#pragma once

// The seat map as served: one cached snapshot per event (JSON of the whole map and of each
// section, gzip made on demand), refreshed by at most one request at a time, and the seat-map
// event streams (Server-Sent Events) that send coalesced deltas.

#include "http/lookup.hpp"
#include "http/server.hpp"
#include "messages/inventory.hpp"

#include <caf/error.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace seatgrab::http {

/// One seat map as served. Its JSON bodies (the whole map, one section) and their gzip are
/// rendered on first demand and kept with the snapshot: a refresh costs only the map, and
/// rendering only what is asked (a fan's section of a 50,000-seat stadium is 500 seats).
struct seatmap_snapshot {
  event_map map;
  std::chrono::steady_clock::time_point taken; ///< when the sections were asked: its age

  /// `{"event", "version", "sections": [...]}` of every section.
  std::shared_ptr<const std::string> whole() const;

  /// The same with section `id` alone; null if the map has no such section.
  std::shared_ptr<const std::string> section(const std::string& id) const;

  /// The gzip of `whole()` (`id` empty) or of `section(id)`; null for an unknown section.
  std::shared_ptr<const std::string> gzipped(const std::string& id) const;

  /// The whole map as one `snapshot` SSE frame, shared by every stream that sends it (a stream
  /// never copies the map).
  std::shared_ptr<const std::string> stream_frame() const;

private:
  /// The body of `id` ("" = whole), rendered if need be. Holds `mtx_`.
  std::shared_ptr<const std::string> body_locked(const std::string& id) const;

  mutable std::mutex mtx_;
  mutable std::map<std::string, std::shared_ptr<const std::string>> bodies_; // "" = whole
  mutable std::map<std::string, std::shared_ptr<const std::string>> gz_;     // "" = whole
  mutable std::shared_ptr<const std::string> frame_;
};

/// The head of a Server-Sent Events answer.
response stream_head();

/// Seat maps of every event, cached; and their event streams. Thread-safe.
class seatmap_cache : public std::enable_shared_from_this<seatmap_cache> {
public:
  using callback = std::function<void(std::shared_ptr<const seatmap_snapshot>, caf::error)>;

  /// Streams send a delta frame at most every `interval` and a heartbeat after `heartbeat`
  /// without one. At most `max_events` events are cached (the least recently refreshed goes).
  seatmap_cache(lookup find, std::chrono::milliseconds interval, std::chrono::seconds heartbeat,
                size_t max_events = 1'024);

  /// The event's seat map, at most `max_age` old (a stale one while a refresh runs); or the
  /// error of the refresh. Only an event that exists gets a cache entry: an unknown id is
  /// answered (`unknown_event`) without one.
  void get(const std::string& event_id, std::chrono::steady_clock::duration max_age, callback k);

  /// Every interval: one frame on `stream` with all seats changed since the last one (however
  /// many changes happened), or a heartbeat comment now and then; `first` is what the client
  /// has already.
  void watch(const std::string& event_id, std::shared_ptr<event_stream> stream,
             std::shared_ptr<const seatmap_snapshot> first);

  /// Ends every stream at its next tick.
  void stop() { stopping_ = true; }

  /// Events cached now.
  size_t size() const;

private:
  struct event_cache;

  /// One stream's watch: what its client has, polled from a bridge lane.
  struct watch_state {
    std::mutex mtx; // the snapshot's answer may come on another thread than the tick
    std::shared_ptr<const seatmap_snapshot> last;
    std::chrono::steady_clock::time_point quiet = std::chrono::steady_clock::now();
    std::string event_id;
    std::shared_ptr<event_stream> stream;
    size_t lane = 0;
  };

  /// The next tick of `w`, an interval from now.
  static void tick_later(std::shared_ptr<seatmap_cache> self, std::shared_ptr<watch_state> w);

  /// The entry of `event_id`, if any.
  std::shared_ptr<event_cache> find_cache(const std::string& event_id);

  /// The entry of `event_id`, made if need be (evicting one when full): for events that exist.
  std::shared_ptr<event_cache> cache_of(const std::string& event_id);

  void get_cached(const std::shared_ptr<event_cache>& cache, const std::string& event_id,
                  std::chrono::steady_clock::duration max_age, callback k);

  lookup find_;
  std::chrono::milliseconds interval_;
  std::chrono::seconds heartbeat_;
  size_t max_events_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mtx_;
  std::map<std::string, std::shared_ptr<event_cache>> caches_;
};

} // namespace seatgrab::http
