#pragma once

// The actor kit's journaling part: one journal client per journaling actor, the durable
// handler every journaling actor appends to its behavior, and replies held back until what
// they acknowledge is durable.

#include "messages/interfaces.hpp"
#include "messages/type_ids.hpp"
#include "persistence/group_commit.hpp"

#include <caf/actor_cast.hpp>
#include <caf/expected.hpp>
#include <caf/send.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <utility>

namespace seatgrab::actors {

/// Answers a void request successfully (CAF 0.17's typed promise has no way to say it).
inline void deliver_void(caf::typed_response_promise<void>& rp) {
  static_cast<caf::response_promise&>(rp).deliver(caf::unit);
}

/// Answers `rp` with the value of `x`, or its error.
template <class T>
void deliver_expected(caf::typed_response_promise<T>& rp, caf::expected<T> x) {
  if (x)
    rp.deliver(std::move(*x));
  else
    rp.deliver(std::move(x.error()));
}

/// An actor's link to the node's journal writer: submits write sets and holds back replies
/// until everything the actor wrote before them is durable. The writer acknowledges in
/// submission order, so "token n is durable" means every earlier write is too.
class journal_client {
public:
  using reply = std::function<void(const caf::error&)>;

  explicit journal_client(persistence::group_commit& writer) : writer_(writer) {}

  /// Submits `ws`; the writer later sends `(atom::durable, token, error)` to `self`, whose
  /// handler must call on_durable. The writes in flight form a chain, each building on the
  /// memory the ones before it left: the chain names the writer's generation it began in, so
  /// that after a failed write none of the later ones lands, even once the writer resumed.
  /// After a failure of its own the client writes nothing more (the actor stops).
  template <class Handle>
  void write(persistence::write_set ws, const Handle& self) {
    auto token = ++submitted_;
    if (failed_) {
      on_durable(token, failed_);
      return;
    }
    if (durable_ + 1 == token)
      chain_generation_ = writer_.generation();
    if (!writer_.threaded()) {
      // The writer acknowledges before submit returns: no need for a message to ourselves,
      // unless the write failed, which the actor's durable handler must see to stop.
      caf::error result;
      writer_.submit(
          std::move(ws), [&result](const caf::error& err) { result = err; }, chain_generation_);
      on_durable(token, result);
      if (result)
        caf::anon_send(self, atom::durable_v, token, result);
      return;
    }
    writer_.submit(
        std::move(ws),
        [self, token](const caf::error& err) { caf::anon_send(self, atom::durable_v, token, err); },
        chain_generation_);
  }

  /// Runs `f` once every write submitted so far is durable: at once if none is pending, with
  /// the error if a write failed.
  void then(reply f) {
    if (failed_)
      f(failed_);
    else if (durable_ == submitted_)
      f(caf::error{});
    else
      waiting_.emplace_back(submitted_, std::move(f));
  }

  /// The writer's acknowledgement of `token`.
  void on_durable(uint64_t token, const caf::error& err) {
    if (err && !failed_)
      failed_ = err;
    durable_ = std::max(durable_, token);
    while (!waiting_.empty() && (failed_ || waiting_.front().first <= durable_)) {
      auto f = std::move(waiting_.front().second);
      waiting_.pop_front();
      f(failed_);
    }
  }

  /// The first write error, if any: after it the actor's memory is ahead of its journal.
  const caf::error& failure() const noexcept { return failed_; }

  /// Writes submitted and not yet acknowledged.
  uint64_t in_flight() const noexcept { return submitted_ - durable_; }

private:
  persistence::group_commit& writer_;
  uint64_t submitted_ = 0;
  uint64_t durable_ = 0;
  uint64_t chain_generation_ = 0; // the writer's generation when the writes in flight began
  caf::error failed_;
  std::list<std::pair<uint64_t, reply>> waiting_; // not a deque: an empty one allocates ~600 B
};

/// The body of every journaling actor's `(atom::durable, token, error)` handler. A failed write
/// leaves the actor's memory ahead of its journal, so it stops (its replies held back get the
/// error); its next activation recovers from disk, where the failed write is not. The writer
/// logs the failure itself, once, not once per actor.
template <class Self>
void on_durable_or_stop(Self* self, journal_client& journal, uint64_t token, const caf::error& err,
                        std::string_view who) {
  journal.on_durable(token, err);
  if (err) {
    spdlog::debug("{}: journal write failed, stopping: {}", who, render(err));
    self->quit(err);
  }
}

/// The `(atom::durable, token, error)` handler of `journaling_actor`, written once: every
/// journaling actor appends it to its behavior (see `journaling_behavior`, actors/status.hpp).
/// `who` names the actor in the log. The actor's state keeps its client in `journal`.
template <class Self>
auto durable_handler(Self* self, std::string who) {
  return [self, who = std::move(who)](atom::durable, uint64_t token, caf::error& err) {
    on_durable_or_stop(self, *self->state.journal, token, err, who);
  };
}

/// Submits `ws` through the actor's journal client (its state's `journal`); the writer's
/// acknowledgement comes back to the actor's durable handler.
template <class Self>
void write_journal(Self* self, persistence::write_set ws) {
  self->state.journal->write(std::move(ws), caf::actor_cast<journaling_actor>(self));
}

/// Journals one applied event `ev` (a protobuf record with a `version`) of `kind`/`entity`.
template <class Self, class Event>
void journal_event(Self* self, const std::string& kind, const std::string& entity,
                   const Event& ev) {
  persistence::write_set ws;
  ws.append(kind, entity, ev.version(), ev.SerializeAsString());
  write_journal(self, std::move(ws));
}

/// Delivers `value` through `rp` once everything `journal` accepted so far is durable (or the
/// write's error).
template <class T>
void deliver_when_durable(journal_client& journal, caf::typed_response_promise<T> rp, T value) {
  journal.then([rp, value = std::move(value)](const caf::error& err) mutable {
    if (err)
      rp.deliver(err);
    else
      rp.deliver(std::move(value));
  });
}

/// Acknowledges through `rp` once everything `journal` accepted so far is durable.
inline void deliver_when_durable(journal_client& journal, caf::typed_response_promise<void> rp) {
  journal.then([rp](const caf::error& err) mutable {
    if (err)
      rp.deliver(err);
    else
      deliver_void(rp);
  });
}

/// Replies `value` once everything `journal` accepted so far is durable (or the write's error).
template <class T, class Self>
caf::result<T> reply_when_durable(Self* self, journal_client& journal, T value) {
  auto rp = self->template make_response_promise<T>();
  deliver_when_durable(journal, rp, std::move(value));
  return rp;
}

/// Acknowledges a void request once everything `journal` accepted so far is durable.
template <class Self>
caf::result<void> ack_when_durable(Self* self, journal_client& journal) {
  auto rp = self->template make_response_promise<void>();
  deliver_when_durable(journal, rp);
  return rp;
}

} // namespace seatgrab::actors
