#pragma once

#include "actors/published.hpp"
#include "domain/event_holds.hpp"
#include "domain/queue_board.hpp"
#include "domain/section_state.hpp"
#include "messages/bots.hpp"

#include <caf/actor_clock.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace seatgrab::persistence {
class store;
class group_commit;
} // namespace seatgrab::persistence

namespace seatgrab::security {
class key_ring;
} // namespace seatgrab::security

namespace seatgrab::actors {

/// Maps the actor system's clock (steady, or virtual under the test coordinator) to domain
/// time. The origin pair is taken once when the node starts; tests choose it.
class wall_clock {
public:
  wall_clock(caf::actor_clock::time_point steady_origin, domain::time_point wall_origin)
      : steady_origin_(steady_origin), wall_origin_(wall_origin) {}

  domain::time_point now(const caf::actor_clock& clk) const {
    return wall_origin_ +
           std::chrono::duration_cast<std::chrono::milliseconds>(clk.now() - steady_origin_);
  }

  /// How long from now until `t`; zero if `t` has passed.
  caf::timespan until(const caf::actor_clock& clk, domain::time_point t) const {
    auto d = t - now(clk);
    return d.count() > 0 ? std::chrono::duration_cast<caf::timespan>(d) : caf::timespan{0};
  }

private:
  caf::actor_clock::time_point steady_origin_;
  domain::time_point wall_origin_;
};

/// What every actor of a node shares: the database, its one writer, and the clock mapping.
struct actor_context {
  persistence::store* db = nullptr;
  persistence::group_commit* journal = nullptr;
  wall_clock clock;
  /// Signs admission tokens (waiting room) and verifies them (holds).
  std::shared_ptr<const security::key_ring> admission_keys;
  /// Keys the hashes of card numbers (box office): equal cards, equal hashes, for velocity
  /// rules, while the numbers themselves are never stored. Kept in the store like the
  /// admission key.
  std::string card_key{};
  /// Keys the edge's device fingerprints and step-up challenges; kept like the card key.
  std::string edge_key{};
  /// A section writes a snapshot with every n-th event (n at least its seat count), so
  /// recovery replays at most that many events.
  uint32_t snapshot_every = 1000;
  /// How long an actor waits for another actor. In a cluster of several, 4 s: a request in
  /// flight to a member that dies gets no answer in CAF 0.17, so its timeout is what turns it
  /// into `unavailable` (503) within the 5 s the edge promises.
  std::chrono::seconds call_timeout{10};
  /// The boards the node's waiting rooms publish, for polls answered without a message.
  std::shared_ptr<published<domain::queue_board>> boards =
      std::make_shared<published<domain::queue_board>>();
  /// The rules of holds the node's event actors publish, for sessions that place holds in
  /// the sections themselves.
  std::shared_ptr<published<const domain::event_holds>> hold_rules =
      std::make_shared<published<const domain::event_holds>>();
  /// The bot guard's rules for events whose operator set none (serve's flags set them).
  bot_rules bot_defaults{};
  /// Whether sessions take joins and checkouts past the events' bot guards (off: straight to
  /// the room and the box office, as before the guard existed).
  bool bot_guard = true;
  /// Tests only: sessions place holds without their admission's price cap, a deliberately
  /// broken node whose overcharges the scenario verifier must catch. Never set in `serve`.
  bool test_skip_price_caps = false;
};

using context_ptr = std::shared_ptr<const actor_context>;

} // namespace seatgrab::actors
