#pragma once

// What a waiting room publishes so that a waiting fan's poll needs no message: per ticket its
// account key, place and state, plus the room's head (tickets issued, places passed, the rate
// for ETAs), published once durable. Polls read it from any thread and mark the fan seen in
// it; the room reads those marks when its pacer decides who was abandoned.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace seatgrab::domain {

/// Domain time: milliseconds since the Unix epoch (same alias as in section_state.hpp).
using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

/// Where a fan stands.
enum class fan_state : uint8_t {
  waiting,  ///< in the pre-queue or the queue
  admitted, ///< may shop until `admission_expires_at`
  expired,  ///< the admission's time ran out
  skipped,  ///< not seen for `abandon_after` when their turn came
  done,     ///< left (waiting or admitted) or checked out
  closed,   ///< still waiting when the operator ended the sale: never admitted (not stored)
};

/// What a fan's poll returns.
struct ticket_status {
  fan_state state = fan_state::waiting;
  /// Waiting fans after opening: 1 = next to be admitted. 0 for every other state, and for
  /// pre-queue fans before opening (their place is drawn at opening).
  uint64_t position = 0;
  /// Waiting fans: seconds until admission, rounded up: `position / rate` with the rate
  /// measured over the last minute of ticks (the configured rate before any admission, or when
  /// none happened in the last minute, e.g. while paused). Before opening: seconds until
  /// `opens_at` only (the place is not known yet). 0 for other states.
  uint64_t eta_s = 0;
  std::optional<time_point> admitted_at;          ///< admitted, expired, done after admission
  std::optional<time_point> admission_expires_at; ///< likewise: admitted_at + admission_ttl
  /// Admitted (expired, done) fans: the price version in force at the admission.
  uint64_t price_version = 0;
  /// The event's price range now, shown to every fan (0: not known).
  int64_t price_min = 0;
  int64_t price_max = 0;
  /// Waiting fans: the operator stopped admissions for now; the place is kept.
  bool paused = false;
  friend bool operator==(const ticket_status&, const ticket_status&) = default;
};

/// The room-wide figures a waiting fan's status is computed from.
struct queue_head {
  uint32_t tickets = 0;  ///< tickets 1..tickets were issued
  uint32_t passed = 0;   ///< places the pacer went by
  bool opened = false;   ///< places are drawn
  bool closed = false;   ///< the sale is over: the waiting are `closed`
  bool paused = false;   ///< the operator stopped admissions for now
  time_point opens_at{}; ///< when the room opens
  double rate_per_s = 1; ///< admissions per second, for ETAs (> 0)
  int64_t price_min = 0; ///< the event's price range (0: not known)
  int64_t price_max = 0;
  friend bool operator==(const queue_head&, const queue_head&) = default;
};

/// The status of a waiting fan at `place` (0 before opening) under `head` at `now`: the one
/// formula both the room and the board answer with.
ticket_status waiting_status(uint32_t place, const queue_head& head, time_point now);

/// One room's board. The room (one thread) writes tickets, places and states as it applies
/// events, and publishes the head once what it says is durable; polls on any thread read only
/// tickets the published head covers, so they never show what a crash could take back.
///
/// Per ticket: 24 bytes, in chunks that double in size (the first holds 1,024), so a reader
/// never sees storage move.
class queue_board {
public:
  /// What `poll` found.
  enum class answer : uint8_t {
    waiting,   ///< a waiting fan: the status is filled in
    not_yours, ///< the ticket exists and is another account's
    ask_room,  ///< the board cannot answer (another state, or not published yet)
  };

  queue_board() = default;
  queue_board(const queue_board&) = delete;
  queue_board& operator=(const queue_board&) = delete;
  ~queue_board();

  // -- the room's side (one thread) ---------------------------------------------

  /// Adds ticket `count() + 1` for `account`, waiting, seen at `seen_ms`.
  void add(uint64_t account, int64_t seen_ms);

  /// Tickets added so far.
  uint32_t count() const noexcept { return count_; }

  /// Sets the place of `ticket` (1..count()).
  void set_place(uint32_t ticket, uint32_t place);

  /// The place of `ticket` (0 before opening).
  uint32_t place(uint32_t ticket) const;

  /// Sets the state of `ticket`.
  void set_state(uint32_t ticket, fan_state s);

  /// Makes `h` what polls see.
  void publish(const queue_head& h);

  // -- any thread ---------------------------------------------------------------

  /// The fan of `ticket` was seen at `now_ms` (kept if later than the last mark).
  void mark_seen(uint32_t ticket, int64_t now_ms);

  /// When the fan of `ticket` was last seen, in ms since the epoch.
  int64_t last_seen(uint32_t ticket) const;

  /// The head polls see.
  queue_head published() const;

  /// A poll of `ticket` by the account keyed `account` at `now`: a waiting fan's status (and
  /// the fan counts as seen), `not_yours`, or `ask_room`.
  answer poll(uint64_t ticket, uint64_t account, time_point now, ticket_status& out);

  /// Heap bytes of the ticket slots.
  size_t memory_bytes() const noexcept;

private:
  struct slot {
    std::atomic<uint64_t> account{0};
    std::atomic<int64_t> seen_ms{0};
    std::atomic<uint32_t> place{0};
    std::atomic<fan_state> state{fan_state::waiting};
  };
  static constexpr int first_bits = 10; // the first chunk holds 2^10 slots
  static constexpr size_t max_chunks = 33 - first_bits;

  slot& at(uint32_t ticket) const;

  std::array<std::atomic<slot*>, max_chunks> chunks_{};
  uint32_t count_ = 0; // the room's thread only
  mutable std::mutex head_mtx_;
  queue_head head_;
};

} // namespace seatgrab::domain
