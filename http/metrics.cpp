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
         "# TYPE seatgrab_queue_admission_per_min gauge\n";
  out += actor_part;
  return out;
}

} // namespace seatgrab::http
