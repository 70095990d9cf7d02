#pragma once

#include "domain/event_sourced.hpp"
#include "domain/queue_board.hpp"
#include "messages/waiting_room.pb.h"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace seatgrab::domain {

/// Domain time: milliseconds since the Unix epoch (same alias as in section_state.hpp).
using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

/// The 32 random bytes that order the pre-queue; drawn by the caller (OpenSSL RAND).
using waiting_room_seed = std::array<uint8_t, 32>;

/// How the pre-queue is ordered when the room opens.
enum class queue_mode : uint8_t {
  shuffle, ///< verifiable random order, see `shuffle_order`
  fifo,    ///< join order
};

/// One event's waiting room.
struct waiting_room_config {
  std::string event_id;
  time_point opens_at;
  queue_mode mode = queue_mode::shuffle;
  uint32_t admission_per_min = 5000;    ///< pacer rate, 1..1,000,000
  uint32_t max_active_shoppers = 10000; ///< admitted and not yet done or expired, at most
  std::chrono::milliseconds tick{1000}; ///< pacer period; bounds the budget carried over
  std::chrono::milliseconds admission_ttl{600'000}; ///< an admission frees its slot after this
  /// A fan not seen (join or poll) for this long is skipped when their turn comes.
  std::chrono::milliseconds abandon_after{120'000};
};

/// Checks `event_id` non-empty, rate 1..1,000,000, `max_active_shoppers >= 1` and positive
/// durations; fails with `ec::invalid_input` naming the first problem.
[[nodiscard]] caf::error validate(const waiting_room_config& cfg);

/// Lowest and highest accepted `admission_per_min`.
inline constexpr uint32_t min_admission_rate = 1;
inline constexpr uint32_t max_admission_rate = 1'000'000;

/// The pre-queue order for `seed`: a Fisher–Yates shuffle of `tickets` (pass them in join
/// order) driven by SHA-256, so anyone can recompute it from the revealed seed:
///
///     for i = n-1 down to 1:
///       h = SHA-256(seed || be64(i))          // 32 seed bytes, then i as 8 big-endian bytes
///       j = be64(h[0..8]) mod (i + 1)         // first 8 digest bytes read big-endian
///       swap(a[i], a[j])
///
/// The result lists tickets in admission order (first admitted first). The modulo bias is
/// below 2^-40 for any realistic queue.
std::vector<uint64_t> shuffle_order(std::span<const uint64_t> tickets,
                                    const waiting_room_seed& seed);

/// Lower-case hex SHA-256 of `seed`: the commitment published before opening.
std::string seed_commitment_of(const waiting_room_seed& seed);

/// "waiting", "admitted", "expired", "skipped" or "done".
std::string_view to_string(fan_state x) noexcept;

/// Result of `join`.
struct join_outcome {
  uint64_t ticket = 0;
  /// The event to journal; none when the account already had a ticket.
  std::optional<pb::waiting_room_event> event;
};

/// Counters of a room: cumulative since creation, plus current figures.
struct waiting_room_counters {
  uint64_t joined = 0;       ///< tickets issued
  uint64_t admitted = 0;     ///< admissions granted
  uint64_t skipped = 0;      ///< fans skipped as abandoned
  uint64_t expired = 0;      ///< admissions that ran out
  uint64_t done = 0;         ///< fans done: left or checked out
  uint64_t active_now = 0;   ///< admitted right now (not done, not expired)
  uint64_t queue_length = 0; ///< waiting right now (pre-queue included)
  bool opened = false;
  bool paused = false;
  bool closed = false;        ///< the sale is over
  uint32_t rate_per_min = 0;  ///< current pacer rate
  uint64_t price_version = 0; ///< of the prices the room shows; admissions carry it
  int64_t price_min = 0;      ///< the event's price range (0: not known)
  int64_t price_max = 0;
  friend bool operator==(const waiting_room_counters&, const waiting_room_counters&) = default;
};

/// The waiting room of one event, event sourced. Every mutating operation validates first and
/// on failure returns an error having changed nothing; on success it builds a
/// `pb::waiting_room_event`, applies it through `apply` (the same path as recovery replay) and
/// returns it for the caller to journal. Knows nothing of actors, threads or clocks.
///
/// Every fan has a place in admission order: after opening the pre-queue takes places 1..P
/// (see `shuffle_order`), later joins P+1, P+2, ... in join order. `position = place - passed`
/// where `passed` counts places the pacer went by, so a position only ever goes down.
///
/// Not journaled, by design: `seen` (polls would flood the journal; after recovery call
/// `mark_all_seen(restart time)` so nobody is skipped for the downtime) and the pacer's
/// accrual on ticks that change nothing (the next journaled tick records the budget).
///
/// The room keeps its `queue_board` up to date as it applies events: the board holds each
/// fan's account key, place, state and last-seen mark, so that polls of waiting fans can be
/// answered from it on any thread (see `board_head` for what the owner publishes).
///
/// Memory: 24 bytes per fan record + 4 for its place in the order + 24 in the board + one slot
/// (16 bytes) in each of two flat hash indexes (account, device) kept 35..70% full, i.e. 23..46
/// bytes per index: 98..144 bytes per fan, up to ~190 with growth slack. `memory_bytes()` adds
/// up the capacities. Strings are never stored per fan.
///
/// `apply` and `version()` come from `event_sourced`; `apply` also rejects an unknown ticket,
/// an admission out of queue order or a bad seed.
class waiting_room_state : public event_sourced<waiting_room_state, pb::waiting_room_event> {
public:
  /// A closed room at version 0; fails with `ec::invalid_input` if `validate(cfg)` does.
  static caf::expected<waiting_room_state> make(waiting_room_config cfg, waiting_room_seed seed);

  // Moves only: a copy would share the board.
  waiting_room_state(waiting_room_state&&) = default;
  waiting_room_state& operator=(waiting_room_state&&) = default;
  waiting_room_state(const waiting_room_state&) = delete;
  waiting_room_state& operator=(const waiting_room_state&) = delete;

  // -- fan operations -----------------------------------------------------------

  /// Gives the fan a ticket: the next in join order, into the pre-queue before opening and to
  /// the tail of the queue after. One ticket per account and per device: a known account gets
  /// its ticket again (in any state, whatever the device) without an event, and counts as
  /// seen; a device known for another account is refused. Errors: `invalid_argument` (account
  /// or device 0, ticket space exhausted), `device_in_use` (the device has another account's
  /// place).
  caf::expected<join_outcome> join(uint64_t account, uint64_t device, time_point now);

  /// Records a poll: the fan is not abandoned for `abandon_after` from `now`. Not journaled.
  /// Errors: `unknown_ticket`.
  caf::error seen(uint64_t ticket, time_point now);

  /// The fan gives up: an admission frees its slot, a waiting fan leaves the queue (the
  /// pacer passes the place without budget). Errors: `unknown_ticket`, `invalid_argument`
  /// (already expired, skipped or done).
  caf::expected<pb::waiting_room_event> leave(uint64_t ticket, time_point now);

  /// An admitted fan finished buying: the slot is freed. Errors: `unknown_ticket`,
  /// `invalid_argument` (not admitted).
  caf::expected<pb::waiting_room_event> checked_out(uint64_t ticket, time_point now);

  // -- room operations ----------------------------------------------------------

  /// Opens the room: orders the pre-queue by `mode` and reveals the seed. `early` (an
  /// operator's decision) opens before `opens_at`. Errors: `sale_not_open` (now < opens_at and
  /// not early), `invalid_argument` (already open).
  caf::expected<pb::waiting_room_event> open(time_point now, bool early = false);

  /// Pacer, every `tick`: (1) expires admissions older than `admission_ttl`; (2) unless
  /// paused, adds `rate × elapsed` to the budget, carrying fractions but never more than one
  /// tick's quota (plus the fraction) so a long pause does not burst; (3) unless paused, walks
  /// the queue while budget >= 1 and active < max_active_shoppers: fans not seen for
  /// `abandon_after` are skipped without budget, others admitted. None before opening or when
  /// nothing changed (the budget is then updated without an event).
  std::optional<pb::waiting_room_event> tick(time_point now);

  /// Stops admissions (expiry goes on). Errors: `invalid_argument` (already paused).
  caf::expected<pb::waiting_room_event> pause(time_point now);

  /// Restarts admissions; budget does not accrue for the paused time. Errors:
  /// `invalid_argument` (not paused).
  caf::expected<pb::waiting_room_event> resume(time_point now);

  /// Sets the pacer rate, effective from the next tick. Errors: `invalid_argument` (outside
  /// 1..1,000,000).
  caf::expected<pb::waiting_room_event> set_rate(uint32_t per_min, time_point now);

  /// Ends the sale: new joins are refused with `sale_not_open` (a joined account still gets
  /// its place back), nobody more is admitted, waiting fans' status is `closed`; admissions
  /// already granted run their course. Final. Closing a closed room changes nothing: none.
  std::optional<pb::waiting_room_event> close(time_point now);

  /// The pricing engine's prices at `price_version` (lowest `min`, highest `max`, both > 0):
  /// fans admitted from now on carry this version. An older or equal version: none. Errors:
  /// `invalid_argument` (the range).
  caf::expected<std::optional<pb::waiting_room_event>>
  set_prices(uint64_t price_version, int64_t min, int64_t max, time_point now);

  /// After recovery: every fan counts as seen at `now` (polls are not journaled).
  void mark_all_seen(time_point now);

  // -- queries ------------------------------------------------------------------

  const waiting_room_config& config() const noexcept { return cfg_; }

  /// A fan's state, position and ETA at `now`. An admission whose time has passed reads as
  /// expired even before the tick that frees its slot. Errors: `unknown_ticket`.
  caf::expected<ticket_status> status(uint64_t ticket, time_point now) const;

  /// The ticket of an account or device hash, if it has one.
  std::optional<uint64_t> ticket_of_account(uint64_t account) const;
  std::optional<uint64_t> ticket_of_device(uint64_t device) const;

  /// The device hash `ticket` joined with, if the ticket exists.
  std::optional<uint64_t> device_of(uint64_t ticket) const;

  /// Every placed ticket in admission order (empty before opening).
  std::vector<uint64_t> admission_order() const;

  /// Admissions per second measured over the last minute of ticks before `now`; the
  /// configured rate when there is no measurement.
  double admission_rate(time_point now) const;

  /// Lower-case hex SHA-256 of the seed, to publish before opening.
  const std::string& seed_commitment() const noexcept { return commitment_; }

  /// Lower-case hex seed, once the room is open; anyone can then check the commitment and
  /// recompute the pre-queue order with `shuffle_order`.
  std::optional<std::string> revealed_seed() const;

  const waiting_room_counters& counters() const noexcept { return counters_; }

  /// Rough heap footprint of the state in bytes (see the class comment).
  size_t memory_bytes() const;

  // -- the published board --------------------------------------------------------

  /// The board this room keeps; its owner shares it with the threads that answer polls.
  const std::shared_ptr<queue_board>& board() const noexcept { return board_; }

  /// What the board's head says at `now` of the state applied so far; the owner publishes it
  /// once that state is durable.
  queue_head board_head(time_point now) const;

private:
  static constexpr int64_t units_per_admission = 60'000; // budget unit: 1/(per-min × ms)

  /// Hash (non-zero) -> ticket, open addressing with linear probing: 16 bytes a slot at most
  /// 70% full, no allocation per entry.
  class id_index {
  public:
    uint32_t find(uint64_t key) const;          ///< 0 if absent
    void insert(uint64_t key, uint32_t ticket); ///< key must be absent
    size_t bytes() const noexcept { return slots_.capacity() * sizeof(slot); }

  private:
    struct slot {
      uint64_t key = 0; // 0: empty
      uint32_t ticket = 0;
    };
    size_t home(uint64_t key) const noexcept;
    void grow();
    std::vector<slot> slots_;
    size_t size_ = 0;
    int bits_ = 0;
  };

  // The place and the last-seen mark live in the board.
  struct fan {
    uint64_t device = 0;        // the hash it joined with: admission tokens are bound to it
    int64_t admitted_at_ms = 0; // valid once admitted
    fan_state state = fan_state::waiting;
    bool was_admitted = false; // done after admission (vs. left while waiting)
    // The price version at the admission; in the padding (a room sees fewer than 2^32 price
    // changes), so a fan stays 24 bytes.
    uint32_t price_version = 0;
  };

  waiting_room_state(waiting_room_config cfg, waiting_room_seed seed);

  friend event_sourced;
  static std::span<const kind_handler> handlers();
  std::string corruption_prefix() const {
    return "waiting room of '" + cfg_.event_id + "' at version " + std::to_string(version());
  }
  /// The fan of `ticket`, or null.
  fan* find(uint64_t ticket);
  const fan* find(uint64_t ticket) const;
  caf::expected<pb::waiting_room_event> finish(uint64_t ticket, bool checkout, time_point now);
  /// Budget after accruing up to `now`, capped at one tick's quota plus a fraction.
  int64_t accrued(time_point now) const;
  bool abandoned(uint32_t ticket, time_point now) const;
  /// Sets the state of `ticket` in the record and the board.
  void set_state(uint32_t ticket, fan_state s);

  caf::error apply_joined(const pb::waiting_room_joined& ev, int64_t at);
  caf::error apply_opened(const pb::waiting_room_opened& ev, int64_t at);
  caf::error apply_tick(const pb::waiting_room_tick& ev, int64_t at);
  caf::error apply_done(const pb::waiting_room_done& ev);
  caf::error apply_paused();
  caf::error apply_closed();
  caf::error apply_prices(const pb::waiting_room_prices& ev);
  caf::error apply_resumed(int64_t at);
  caf::error apply_rate_changed(const pb::waiting_room_rate_changed& ev);
  void advance_expiry_cursor();

  waiting_room_config cfg_;
  waiting_room_seed seed_;
  std::string commitment_;
  std::vector<fan> fans_;          // by ticket - 1
  std::vector<uint32_t> by_place_; // place - 1 -> ticket
  id_index accounts_;              // account hash -> ticket
  id_index devices_;               // device hash -> ticket
  uint32_t passed_ = 0;            // places the pacer went by
  uint32_t expiry_cursor_ = 0;     // first place that may hold a live admission
  int64_t budget_ = 0;             // in units_per_admission
  int64_t last_tick_ms_ = 0;
  int64_t opened_at_ms_ = 0;
  std::deque<std::pair<int64_t, uint32_t>> window_; // (tick at, admitted) over the last minute
  waiting_room_counters counters_;
  std::shared_ptr<queue_board> board_ = std::make_shared<queue_board>();
};

} // namespace seatgrab::domain
