#include "actors/lanes.hpp"

#include "messages/type_ids.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <mutex>
#include <unordered_map>
#include <utility>

namespace seatgrab::actors {

struct lanes::lane {
  std::mutex mtx;
  std::vector<job> queue;                   // guarded by mtx
  caf::actor hdl;                           // set once, before the first post
  std::unordered_map<uint64_t, job> timers; // delayed jobs by id; guarded by mtx
  uint64_t last_timer = 0;                  // only the lane's actor touches it
};

lanes::lanes(caf::actor_system& sys, size_t n) {
  if (n == 0)
    n = 1;
  lanes_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto l = std::make_shared<lane>();
    // The actor holds its lane weakly: a lane stopped and freed never keeps its actor alive.
    l->hdl = sys.spawn([w = std::weak_ptr<lane>{l}](caf::event_based_actor* self) {
      return caf::behavior{[self, w](atom::tick) {
                             auto l = w.lock();
                             if (!l)
                               return;
                             // Jobs posted while these run are for the next tick, sent when the
                             // first of them came.
                             std::vector<job> due;
                             {
                               std::lock_guard lock{l->mtx};
                               due.swap(l->queue);
                             }
                             for (auto& f : due)
                               f(self);
                           },
                           [self, w](atom::tick, uint64_t id) {
                             auto l = w.lock();
                             if (!l)
                               return;
                             job f;
                             {
                               std::lock_guard lock{l->mtx};
                               auto i = l->timers.find(id);
                               if (i == l->timers.end())
                                 return; // stopped
                               f = std::move(i->second);
                               l->timers.erase(i);
                             }
                             f(self);
                           }};
    });
    lanes_.push_back(std::move(l));
  }
}

lanes::~lanes() {
  stop();
}

void lanes::post(size_t i, job f) {
  auto& l = *lanes_[i % lanes_.size()];
  posted_.fetch_add(1, std::memory_order_relaxed);
  caf::actor wake;
  {
    std::lock_guard lock{l.mtx};
    if (!l.hdl)
      return; // stopped
    // A tick is in flight whenever the queue is not empty: only the first job sends one.
    if (l.queue.empty())
      wake = l.hdl;
    l.queue.push_back(std::move(f));
  }
  if (wake) {
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    caf::anon_send(wake, atom::tick_v);
  }
}

void lanes::post(job f) {
  post(next_.fetch_add(1, std::memory_order_relaxed), std::move(f));
}

void lanes::post_after(size_t i, std::chrono::nanoseconds delay, job f) {
  auto* l = lanes_[i % lanes_.size()].get(); // alive while its actor runs a job
  post(i, [l, delay, f = std::move(f)](caf::event_based_actor* self) mutable {
    auto id = ++l->last_timer;
    {
      std::lock_guard lock{l->mtx};
      if (!l->hdl)
        return; // stopped
      l->timers.emplace(id, std::move(f));
    }
    self->delayed_send(self, delay, atom::tick_v, id);
  });
}

void lanes::stop() {
  for (auto& l : lanes_) {
    caf::actor hdl;
    std::vector<job> dropped;
    std::unordered_map<uint64_t, job> timers;
    {
      std::lock_guard lock{l->mtx};
      hdl = std::exchange(l->hdl, caf::actor{});
      dropped.swap(l->queue);
      timers.swap(l->timers);
    }
    // What the jobs hold (an edge's context, a stream) goes now, outside the lock.
    if (hdl)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
  }
}

} // namespace seatgrab::actors
