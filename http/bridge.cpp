#include "http/bridge.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/send.hpp>

#include <thread>

namespace seatgrab::http {

namespace {

/// A job for a bridge. Never leaves the node, so it is neither serialized nor registered.
struct bridge_job {
  std::function<void(caf::event_based_actor*)> run;
};

} // namespace

} // namespace seatgrab::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(seatgrab::http::bridge_job)

namespace seatgrab::http {

bridge::bridge(caf::actor_system& sys, size_t actors) {
  if (actors == 0)
    actors = 2 * std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < actors; ++i)
    actors_.push_back(sys.spawn([](caf::event_based_actor* self) {
      return caf::behavior{[self](bridge_job& job) { job.run(self); }};
    }));
}

bridge::~bridge() {
  stop();
}

void bridge::stop() {
  if (stopped_.exchange(true))
    return;
  for (auto& a : actors_)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

void bridge::post(std::function<void(caf::event_based_actor*)> job) const {
  auto i = next_.fetch_add(1, std::memory_order_relaxed) % actors_.size();
  caf::anon_send(actors_[i], bridge_job{std::move(job)});
}

} // namespace seatgrab::http
