#include "http/seatmap_cache.hpp"

#include "http/bridge.hpp"
#include "http/codec.hpp"
#include "http/request.hpp"

#include <boost/beast/http.hpp>
#include <caf/event_based_actor.hpp>

namespace seatgrab::http {

namespace bhttp = boost::beast::http;
using steady = std::chrono::steady_clock;

namespace {

json seats_json(const section_map& m) {
  auto seats = json::array();
  for (const auto& s : m.seats)
    seats.push_back({{"id", s.id}, {"status", to_string(s.status)}, {"price", s.price}});
  return {{"id", m.section},
          {"version", m.version},
          {"price_version", m.price_version},
          {"seats", std::move(seats)}};
}

/// A snapshot of `map`, read from the sections after `asked`: as old as that (a slow refresh
/// does not make its answer look newer than it is).
std::shared_ptr<seatmap_snapshot> make_snapshot(event_map map, steady::time_point asked) {
  auto snap = std::make_shared<seatmap_snapshot>();
  snap->taken = asked;
  snap->map = std::move(map);
  return snap;
}

/// The changed seats between two maps, as one SSE data payload; empty if none.
json seatmap_delta(const event_map& before, const event_map& after) {
  auto changes = json::array();
  for (size_t i = 0; i < after.sections.size() && i < before.sections.size(); ++i) {
    const auto& a = after.sections[i];
    const auto& b = before.sections[i];
    if (a.version == b.version || a.seats.size() != b.seats.size())
      continue;
    for (size_t k = 0; k < a.seats.size(); ++k)
      if (a.seats[k].status != b.seats[k].status || a.seats[k].price != b.seats[k].price)
        changes.push_back({{"section", a.section},
                           {"id", a.seats[k].id},
                           {"status", to_string(a.seats[k].status)},
                           {"price", a.seats[k].price}});
  }
  return changes;
}

} // namespace

std::shared_ptr<const std::string> seatmap_snapshot::body_locked(const std::string& id) const {
  if (auto i = bodies_.find(id); i != bodies_.end())
    return i->second;
  auto sections = json::array();
  for (const auto& m : map.sections)
    if (id.empty() || m.section == id)
      sections.push_back(seats_json(m));
  if (!id.empty() && sections.empty())
    return nullptr; // not kept: the ids asked for are the client's
  auto body = std::make_shared<const std::string>(dump(json{{"event", map.event},
                                                            {"version", map.version},
                                                            {"price_version", map.price_version},
                                                            {"sections", std::move(sections)}}));
  bodies_.emplace(id, body);
  return body;
}

std::shared_ptr<const std::string> seatmap_snapshot::whole() const {
  std::lock_guard lock{mtx_};
  return body_locked({});
}

std::shared_ptr<const std::string> seatmap_snapshot::section(const std::string& id) const {
  if (id.empty())
    return nullptr;
  std::lock_guard lock{mtx_};
  return body_locked(id);
}

std::shared_ptr<const std::string> seatmap_snapshot::gzipped(const std::string& id) const {
  std::lock_guard lock{mtx_};
  if (auto i = gz_.find(id); i != gz_.end())
    return i->second;
  auto body = body_locked(id);
  if (!body)
    return nullptr;
  auto gz = std::make_shared<const std::string>(gzip(*body));
  gz_.emplace(id, gz);
  return gz;
}

std::shared_ptr<const std::string> seatmap_snapshot::stream_frame() const {
  std::lock_guard lock{mtx_};
  if (!frame_)
    frame_ =
        std::make_shared<const std::string>("event: snapshot\nid: " + std::to_string(map.version) +
                                            "\ndata: " + *body_locked({}) + "\n\n");
  return frame_;
}

response stream_head() {
  response head{bhttp::status::ok, 11};
  head.set(bhttp::field::content_type, "text/event-stream");
  head.set(bhttp::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");
  return head;
}

/// The cached map of one event and the requests waiting for its first refresh.
struct seatmap_cache::event_cache {
  mutable std::mutex mtx;
  std::shared_ptr<const seatmap_snapshot> snap;
  bool refreshing = false;
  std::vector<callback> waiters;
};

seatmap_cache::seatmap_cache(lookup find, std::chrono::milliseconds interval,
                             std::chrono::seconds heartbeat, size_t max_events)
    : find_(std::move(find)), interval_(interval), heartbeat_(heartbeat),
      max_events_(std::max<size_t>(1, max_events)) {
  // nop
}

size_t seatmap_cache::size() const {
  std::lock_guard lock{mtx_};
  return caches_.size();
}

std::shared_ptr<seatmap_cache::event_cache> seatmap_cache::find_cache(const std::string& event_id) {
  std::lock_guard lock{mtx_};
  auto i = caches_.find(event_id);
  return i == caches_.end() ? nullptr : i->second;
}

std::shared_ptr<seatmap_cache::event_cache> seatmap_cache::cache_of(const std::string& event_id) {
  std::lock_guard lock{mtx_};
  if (auto i = caches_.find(event_id); i != caches_.end())
    return i->second;
  if (caches_.size() >= max_events_) {
    // Full (more events than the bound): the entry refreshed longest ago goes; a request for it
    // later makes it anew. Whoever holds it (a refresh, a stream) keeps its snapshot alive.
    auto oldest = caches_.begin();
    auto taken = [](const event_cache& c) {
      std::lock_guard lock{c.mtx};
      return c.snap ? c.snap->taken : steady::time_point::min();
    };
    auto oldest_taken = taken(*oldest->second);
    for (auto i = std::next(caches_.begin()); i != caches_.end(); ++i)
      if (auto t = taken(*i->second); t < oldest_taken) {
        oldest = i;
        oldest_taken = t;
      }
    caches_.erase(oldest);
  }
  return caches_.emplace(event_id, std::make_shared<event_cache>()).first->second;
}

void seatmap_cache::get(const std::string& event_id, steady::duration max_age, callback k) {
  if (auto cache = find_cache(event_id))
    return get_cached(cache, event_id, max_age, std::move(k));
  // Not cached: find the event first, so an id in a path that names no event costs no entry.
  find_.event(event_id, [self = shared_from_this(), event_id, max_age,
                         k = std::move(k)](caf::expected<event_actor> ev) mutable {
    if (!ev)
      return k(nullptr, ev.error());
    self->get_cached(self->cache_of(event_id), event_id, max_age, std::move(k));
  });
}

void seatmap_cache::get_cached(const std::shared_ptr<event_cache>& cache,
                               const std::string& event_id, steady::duration max_age, callback k) {
  {
    std::lock_guard lock{cache->mtx};
    if (cache->snap && steady::now() - cache->snap->taken <= max_age) {
      auto snap = cache->snap;
      k(std::move(snap), {});
      return;
    }
    if (cache->refreshing) {
      if (cache->snap) {
        auto snap = cache->snap;
        k(std::move(snap), {});
      } else {
        cache->waiters.push_back(std::move(k));
      }
      return;
    }
    cache->refreshing = true;
    cache->waiters.push_back(std::move(k));
  }
  auto done = [cache](std::shared_ptr<const seatmap_snapshot> snap, caf::error err) {
    std::vector<callback> ws;
    {
      std::lock_guard lock{cache->mtx};
      cache->refreshing = false;
      if (snap)
        cache->snap = snap;
      ws.swap(cache->waiters);
    }
    for (auto& w : ws)
      w(snap, err);
  };
  find_.event(event_id, [self = shared_from_this(), done](caf::expected<event_actor> ev) {
    if (!ev)
      return done(nullptr, ev.error());
    ask<event_map>(
        self->find_.lanes(), *ev,
        [done, asked = steady::now()](caf::expected<event_map> m) {
          if (!m)
            return done(nullptr, m.error());
          done(make_snapshot(std::move(*m), asked), {});
        },
        atom::get_v, atom::seatmap_v);
  });
}

void seatmap_cache::watch(const std::string& event_id, std::shared_ptr<event_stream> stream,
                          std::shared_ptr<const seatmap_snapshot> first) {
  auto w = std::make_shared<watch_state>();
  w->last = std::move(first);
  w->event_id = event_id;
  w->stream = std::move(stream);
  w->lane = find_.lanes().pick();
  tick_later(shared_from_this(), std::move(w));
}

void seatmap_cache::tick_later(std::shared_ptr<seatmap_cache> self,
                               std::shared_ptr<watch_state> w) {
  auto& lanes = self->find_.lanes();
  auto lane = w->lane;
  auto interval = self->interval_;
  lanes.post_after(
      lane, interval, [self = std::move(self), w = std::move(w)](caf::event_based_actor*) {
        if (!w->stream->open() || self->stopping_) {
          w->stream->close();
          return;
        }
        // Streams of one event share the snapshot: at most one refresh per half interval.
        self->get(w->event_id, self->interval_ / 2,
                  [w, self](std::shared_ptr<const seatmap_snapshot> snap, caf::error) {
                    std::lock_guard lock{w->mtx};
                    if (snap && snap->map.version != w->last->map.version) {
                      auto delta = seatmap_delta(w->last->map, snap->map);
                      w->stream->send("event: delta\nid: " + std::to_string(snap->map.version) +
                                      "\ndata: " +
                                      dump(json{{"version", snap->map.version},
                                                {"price_version", snap->map.price_version},
                                                {"seats", std::move(delta)}}) +
                                      "\n\n");
                      w->last = snap;
                      w->quiet = steady::now();
                    } else if (steady::now() - w->quiet >= self->heartbeat_) {
                      w->stream->send(": heartbeat\n\n");
                      w->quiet = steady::now();
                    }
                  });
        tick_later(self, w);
      });
}

} // namespace seatgrab::http
