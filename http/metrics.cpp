#include "http/metrics.hpp"

#include <sstream>

namespace seatgrab::http {

namespace {

std::string fmt_double(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

} // namespace

void request_metrics::observe(const std::string& route, unsigned status,
                              std::chrono::steady_clock::duration took) {
  auto s = std::chrono::duration<double>(took).count();
  std::lock_guard lock{mtx_};
  auto& st = stats_[route];
  ++st.by_status[status];
  ++st.count;
  st.sum_s += s;
  size_t i = 0;
  while (i < bucket_count_ && s > buckets_[i])
    ++i;
  ++st.bucket_hits[i];
}

std::string request_metrics::exposition(const persistence::group_commit_stats& js,
                                        const server* srv, const std::string& actor_part) const {
  std::string out;
  out += "# HELP seatgrab_http_requests_total Requests answered, by route and status.\n"
         "# TYPE seatgrab_http_requests_total counter\n";
  std::string hist = "# HELP seatgrab_http_request_seconds Time to answer, by route.\n"
                     "# TYPE seatgrab_http_request_seconds histogram\n";
  {
    std::lock_guard lock{mtx_};
    for (const auto& [route, st] : stats_) {
      for (const auto& [status, n] : st.by_status)
        out += "seatgrab_http_requests_total{route=\"" + route + "\",status=\"" +
               std::to_string(status) + "\"} " + std::to_string(n) + "\n";
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= bucket_count_; ++i) {
        cumulative += st.bucket_hits[i];
        auto le = i < bucket_count_ ? fmt_double(buckets_[i]) : std::string{"+Inf"};
        hist += "seatgrab_http_request_seconds_bucket{route=\"" + route + "\",le=\"" + le + "\"} " +
                std::to_string(cumulative) + "\n";
      }
      hist += "seatgrab_http_request_seconds_sum{route=\"" + route + "\"} " + fmt_double(st.sum_s) +
              "\n";
      hist += "seatgrab_http_request_seconds_count{route=\"" + route + "\"} " +
              std::to_string(st.count) + "\n";
    }
  }
  out += hist;
  out += "# HELP seatgrab_queue_polls_total Queue-status polls, by what answered them: the "
         "board a waiting room publishes, or the room.\n"
         "# TYPE seatgrab_queue_polls_total counter\n"
         "seatgrab_queue_polls_total{answered_by=\"board\"} " +
         std::to_string(board_polls_.load(std::memory_order_relaxed)) +
         "\nseatgrab_queue_polls_total{answered_by=\"room\"} " +
         std::to_string(room_polls_.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP seatgrab_bot_challenges_total Challenges handed out with a guarded join's "
         "answer, by kind.\n# TYPE seatgrab_bot_challenges_total counter\n"
         "seatgrab_bot_challenges_total{kind=\"pow\"} " +
         std::to_string(pow_challenges_.load(std::memory_order_relaxed)) +
         "\nseatgrab_bot_challenges_total{kind=\"step_up\"} " +
         std::to_string(step_ups_.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP seatgrab_queue_polls_throttled_total Queue-status polls refused (429) for "
         "their account's rate.\n# TYPE seatgrab_queue_polls_throttled_total counter\n"
         "seatgrab_queue_polls_throttled_total " +
         std::to_string(polls_throttled_.load(std::memory_order_relaxed)) + "\n";
  out += "# TYPE seatgrab_journal_batches_total counter\nseatgrab_journal_batches_total " +
         std::to_string(js.batches) + "\n";
  out += "# TYPE seatgrab_journal_writes_total counter\nseatgrab_journal_writes_total " +
         std::to_string(js.write_sets) + "\n";
  out += "# TYPE seatgrab_journal_batch_size_max gauge\nseatgrab_journal_batch_size_max " +
         std::to_string(js.max_batch) + "\n";
  out += "# HELP seatgrab_journal_sync_seconds_total Time spent in durable writes (fsync).\n"
         "# TYPE seatgrab_journal_sync_seconds_total counter\n"
         "seatgrab_journal_sync_seconds_total " +
         fmt_double(static_cast<double>(js.sync_nanos) / 1e9) + "\n";
  if (srv != nullptr) {
    auto st = srv->stats();
    auto line = [&out](const char* name, const char* type, const char* help, uint64_t v) {
      out += std::string{"# HELP "} + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
             name + " " + std::to_string(v) + "\n";
    };
    line("seatgrab_http_connections", "gauge", "Open connections.", st.connections);
    line("seatgrab_http_streams", "gauge", "Open event streams.", st.streams);
    line("seatgrab_http_refused_connections_total", "counter",
         "Connections refused at accept (over the cap in all or per address).",
         st.refused_connections);
    line("seatgrab_http_refused_streams_total", "counter",
         "Event streams refused (over the cap in all or per address).", st.refused_streams);
    line("seatgrab_http_accept_errors_total", "counter",
         "Failed accepts, e.g. out of file descriptors (each waits before the next).",
         st.accept_errors);
    line("seatgrab_http_slow_streams_dropped_total", "counter",
         "Event streams closed because their client fell too far behind.", st.slow_streams_dropped);
    line("seatgrab_http_write_timeouts_total", "counter",
         "Connections closed because a write made no progress in time.", st.write_timeouts);
  }
  out += "# TYPE seatgrab_holds_total counter\n# TYPE seatgrab_sales_total counter\n"
         "# TYPE seatgrab_hold_expiries_total counter\n# TYPE seatgrab_seats gauge\n"
         "# TYPE seatgrab_queue_waiting gauge\n# TYPE seatgrab_queue_active gauge\n"
         "# TYPE seatgrab_queue_admitted_total counter\n"
         "# TYPE seatgrab_queue_admission_per_min gauge\n"
         "# HELP seatgrab_price_level A section's level on its published price ladder (0: floor).\n"
         "# TYPE seatgrab_price_level gauge\n"
         "# HELP seatgrab_price A section's all-in price now, in minor units.\n"
         "# TYPE seatgrab_price gauge\n"
         "# HELP seatgrab_price_version Price changes of an event so far (its price version).\n"
         "# TYPE seatgrab_price_version counter\n"
         "# TYPE seatgrab_price_ticks_total counter\n"
         "# HELP seatgrab_pricing_frozen 1 while an operator froze the event's prices.\n"
         "# TYPE seatgrab_pricing_frozen gauge\n"
         "# TYPE seatgrab_price_frozen_sections gauge\n";
  out += actor_part;
  return out;
}

std::string call_lines(const actors::call_stats& calls) {
  std::string out =
      "# HELP seatgrab_actor_calls_total Calls of the edge to actors, by where the actor lives.\n"
      "# TYPE seatgrab_actor_calls_total counter\n"
      "# HELP seatgrab_actor_call_errors_total Calls answered with an error or not at all.\n"
      "# TYPE seatgrab_actor_call_errors_total counter\n"
      "# HELP seatgrab_actor_call_seconds Answer times of the edge's calls to actors.\n"
      "# TYPE seatgrab_actor_call_seconds histogram\n";
  for (auto [where, side] : {std::pair{"local", &calls.local()}, {"remote", &calls.remote()}}) {
    auto l = std::string{"{where=\""} + where + "\"}";
    auto count = side->count.load(std::memory_order_relaxed);
    out += "seatgrab_actor_calls_total" + l + " " + std::to_string(count) + "\n";
    out += "seatgrab_actor_call_errors_total" + l + " " +
           std::to_string(side->failed.load(std::memory_order_relaxed)) + "\n";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= actors::call_stats::bounds.size(); ++b) {
      cumulative += side->buckets[b].load(std::memory_order_relaxed);
      auto le = b < actors::call_stats::bounds.size() ? fmt_double(actors::call_stats::bounds[b])
                                                      : std::string{"+Inf"};
      out += std::string{"seatgrab_actor_call_seconds_bucket{where=\""} + where + "\",le=\"" + le +
             "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "seatgrab_actor_call_seconds_sum" + l + " " +
           fmt_double(static_cast<double>(side->sum_ns.load(std::memory_order_relaxed)) / 1e9) +
           "\nseatgrab_actor_call_seconds_count" + l + " " + std::to_string(count) + "\n";
  }
  return out;
}

std::string peer_lines(const std::vector<peer_state>& peers) {
  if (peers.empty())
    return {};
  std::string out =
      "# HELP seatgrab_cluster_peer_up Whether the member is connected (1) or not (0).\n"
      "# TYPE seatgrab_cluster_peer_up gauge\n"
      "# HELP seatgrab_cluster_peer_last_heartbeat_seconds When it last answered a ping (Unix "
      "time).\n"
      "# TYPE seatgrab_cluster_peer_last_heartbeat_seconds gauge\n"
      "# HELP seatgrab_cluster_peer_rtt_seconds Round trip of its last ping.\n"
      "# TYPE seatgrab_cluster_peer_rtt_seconds gauge\n"
      "# HELP seatgrab_cluster_peer_pings_total Pings sent to it, by outcome.\n"
      "# TYPE seatgrab_cluster_peer_pings_total counter\n"
      "# HELP seatgrab_cluster_lookups_forwarded_total Lookups of its entities sent to it.\n"
      "# TYPE seatgrab_cluster_lookups_forwarded_total counter\n";
  for (const auto& p : peers) {
    auto l = "{peer=\"" + p.name + "\"}";
    out += "seatgrab_cluster_peer_up" + l + " " + (p.up ? "1" : "0") + "\n";
    out += "seatgrab_cluster_peer_last_heartbeat_seconds" + l + " " +
           fmt_double(static_cast<double>(p.last_seen_ms) / 1000) + "\n";
    if (p.rtt_us >= 0)
      out += "seatgrab_cluster_peer_rtt_seconds" + l + " " +
             fmt_double(static_cast<double>(p.rtt_us) / 1e6) + "\n";
    out += "seatgrab_cluster_peer_pings_total{peer=\"" + p.name + "\",outcome=\"ok\"} " +
           std::to_string(p.pings_ok) + "\n";
    out += "seatgrab_cluster_peer_pings_total{peer=\"" + p.name + "\",outcome=\"failed\"} " +
           std::to_string(p.pings_failed) + "\n";
    out += "seatgrab_cluster_lookups_forwarded_total" + l + " " +
           std::to_string(p.lookups_forwarded) + "\n";
  }
  return out;
}

} // namespace seatgrab::http
