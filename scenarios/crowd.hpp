#pragma once

// The fans of a scenario and what they do, apart from how they reach the node: the same crowd
// runs in-process on virtual time (actor requests) and against a node over HTTP (an
// asynchronous client). A fan arrives, joins the queue, looks at it now and then, shops when
// admitted (best available in a section the seat overview shows free seats in, fewer seats
// when nothing that large is left), thinks, abandons or pays, and may later refund or give a
// ticket away. Every call answers through its callback on the thread that drives the crowd.
//
// The crowd keeps its own book of who was told they own which seat: a seat in two fans'
// orders is a violation seen from the outside, whatever the journals say.

#include "messages/inventory.hpp"
#include "messages/queue.hpp"
#include "messages/tickets.hpp"
#include "scenarios/clients.hpp"
#include "scenarios/scenario.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace seatgrab::scenarios {

/// Free and held seats of one section, as the event page shows them.
struct section_load {
  std::string section;
  uint32_t free = 0;
  uint32_t held = 0;
  uint32_t sold = 0;
};

/// What a join went through at the bot guard, as the client saw it.
struct join_notes {
  uint32_t challenges = 0; ///< proofs of work asked for beyond the first
  uint32_t step_ups = 0;   ///< step-up challenges shown
};

/// How the fans reach a node. Each call answers through its callback exactly once, possibly
/// before it returns.
class fan_api {
public:
  template <class T>
  using callback = std::function<void(caf::expected<T>)>;

  virtual ~fan_api() = default;
  /// Fan (index), who is `who`, arrives and joins the queue (signing up first, where that is
  /// needed), solving what the bot guard asks as `who` would: a proof of work at its pace, a
  /// step-up with its success rate and tries; `notes` records what it was asked.
  virtual void join(uint32_t fan, const client& who, join_notes& notes,
                    callback<queue_status> k) = 0;
  /// Where fan (index) stands.
  virtual void status(uint32_t fan, callback<queue_status> k) = 0;
  /// Best available: `quantity` adjacent seats in `section`.
  virtual void hold(uint32_t fan, const std::string& section, uint32_t quantity,
                    const std::string& admission_token, const std::string& key,
                    callback<hold_receipt> k) = 0;
  /// Pays for hold (id) with `card`.
  virtual void checkout(uint32_t fan, const std::string& hold_id, const std::string& card,
                        const std::string& key, callback<order_info> k) = 0;
  /// Refunds ticket (id) of fan (index).
  virtual void refund(uint32_t fan, const std::string& ticket_id, callback<ticket_info> k) = 0;
  /// Gives ticket (id) of fan (index) to fan (index).
  virtual void transfer(uint32_t fan, const std::string& ticket_id, uint32_t to,
                        callback<ticket_info> k) = 0;
  /// Free and held seats per section.
  virtual void load(callback<std::vector<section_load>> k) = 0;
};

/// What the fans did, counted.
struct tally {
  uint64_t joined = 0;
  uint64_t admitted = 0;
  uint64_t holds = 0;
  uint64_t hold_failures = 0; ///< the section had no such seats any more
  uint64_t fewer_seats = 0;   ///< fans who settled for fewer seats than they wanted
  uint64_t abandoned = 0;     ///< holds left to expire
  uint64_t orders = 0;
  uint64_t declined = 0;
  uint64_t too_late = 0; ///< checkout after the hold expired
  uint64_t seats_bought = 0;
  uint64_t refunds = 0;   ///< tickets refunded
  uint64_t transfers = 0; ///< tickets given away
  uint64_t sold_out = 0;  ///< left, seeing the event sold out
  uint64_t gave_up = 0;   ///< admission or queue place ran out, or the run ended first
  uint64_t errors = 0;    ///< answers no fan should see (named in `crowd::errors`)
};

/// People or bots, counted apart for the bot defence's report.
struct side {
  uint64_t clients = 0;
  uint64_t requests = 0;
  uint64_t joined = 0; ///< got a queue place (a shadowed one too)
  uint64_t admitted = 0;
  uint64_t seats = 0;           ///< bought and still owned at the end
  uint64_t challenged = 0;      ///< asked for a harder proof of work at least once
  uint64_t stepped_up = 0;      ///< shown a step-up at least once
  uint64_t refused = 0;         ///< a device or card limit, or the guard's suspicion, said no
  uint64_t throttled = 0;       ///< 429 answers
  uint64_t gave_up_step_up = 0; ///< failed every step-up they tried
};

/// Latencies of one kind of call, in milliseconds.
struct latencies {
  std::vector<double> ms;
  [[nodiscard]] double percentile(double p) const;
};

class crowd {
public:
  /// Draws the population from `seed`; `sections` are the venue's section ids.
  crowd(const scenario& s, uint64_t seed, std::vector<std::string> sections);

  /// Fans due at second `t` (of the scenario's clock) act; asks for the seat overview too.
  void tick(uint32_t t, fan_api& api);

  /// Every fan is done and no call is in flight.
  [[nodiscard]] bool finished() const noexcept { return open_ == 0 && in_flight_ == 0; }

  /// The overview showed no free and no held seat.
  [[nodiscard]] bool sold_out() const noexcept { return sold_out_; }

  /// Seats sold now, as the last overview showed.
  [[nodiscard]] uint64_t sold_now() const noexcept;

  /// Calls made and not answered yet.
  [[nodiscard]] uint64_t in_flight() const noexcept { return in_flight_; }

  /// Counts fans still under way as given up; call once, after the last tick. Answers that
  /// arrive later change nothing.
  void finish();

  /// Measures hold and checkout latencies with `clock` (milliseconds, any origin).
  void measure_with(std::function<double()> clock) { clock_ = std::move(clock); }

  [[nodiscard]] const tally& counts() const noexcept { return counts_; }

  /// People and bots apart (seats as the fans' book has them now).
  [[nodiscard]] side humans() const { return side_of(false); }
  [[nodiscard]] side bots() const { return side_of(true); }

  /// The crowd's clients: people first (`scenario::fans`), then bots.
  [[nodiscard]] const std::vector<client>& clients() const noexcept { return clients_; }

  /// Whether fan (index) is a bot.
  [[nodiscard]] bool is_bot(uint32_t fan) const { return clients_[fan].bot; }
  [[nodiscard]] const latencies& hold_latency() const noexcept { return hold_ms_; }
  [[nodiscard]] const latencies& checkout_latency() const noexcept { return checkout_ms_; }

  /// Seats the fans were told they own now: seat -> fan index.
  [[nodiscard]] const std::map<std::string, uint32_t>& owners() const noexcept { return owners_; }

  /// Broken promises seen from the outside (a seat sold to two fans).
  [[nodiscard]] const std::vector<std::string>& violations() const noexcept { return violations_; }

  /// Unexpected answers, the first few in full.
  [[nodiscard]] const std::vector<std::string>& errors() const noexcept { return errors_; }

  /// Account name of fan (index).
  [[nodiscard]] static std::string account_of(uint32_t fan);

private:
  struct fan {
    uint32_t arrive_s = 0;
    uint32_t think_s = 0;
    uint32_t next_s = 0; ///< due at this second (if scheduled)
    uint8_t wanted = 1;
    uint8_t misses = 0;   ///< searches that found nothing, since the last change of mind
    uint8_t searches = 0; ///< searches that found nothing, in all
    uint8_t payments = 0; ///< checkout attempts whose outcome was unknown
    bool settled = false; ///< took fewer seats than wanted
    bool abandons = false;
    bool declines = false;
    bool refunds = false;
    bool transfers = false;
    enum class step : uint8_t {
      coming,
      waiting,
      shopping,
      thinking,
      owning, ///< bought; a refund or transfer is due later
      done
    } at = step::coming;
    uint32_t attempts = 0;
    std::string token;                                        ///< admission
    std::string hold_id;                                      ///< while thinking
    std::vector<std::pair<std::string, std::string>> tickets; ///< (ticket id, seat) owned
  };

  void act(uint32_t i, uint32_t t, fan_api& api);
  void poll(uint32_t i, fan_api& api);
  side side_of(bool bots) const;
  side& side_for(uint32_t i) { return clients_[i].bot ? bot_side_ : human_side_; }
  void shop(uint32_t i, uint32_t t, fan_api& api);
  void pay(uint32_t i, uint32_t t, fan_api& api);
  void after_sale(uint32_t i, uint32_t t, fan_api& api);
  void wake(uint32_t i, uint32_t at);
  void done(uint32_t i);
  void error(uint32_t i, const char* what, const caf::error& err);
  void own(uint32_t i, const ticket_info& t);
  /// Bookkeeping of an answer: false if it still counts (not after `finish`).
  bool too_late();
  double now_ms() const { return clock_ ? clock_() : 0.0; }

  scenario s_;
  std::mt19937_64 rng_;
  std::vector<client> clients_;
  std::vector<join_notes> notes_;
  side human_side_;
  side bot_side_;
  std::vector<std::string> sections_;
  std::vector<section_load> load_;
  std::vector<fan> fans_;
  std::vector<std::vector<uint32_t>> due_; ///< by second: fans to wake
  uint32_t now_ = 0;
  uint64_t open_ = 0; ///< fans not done
  uint64_t in_flight_ = 0;
  bool sold_out_ = false;
  bool finished_ = false; ///< `finish` was called
  tally counts_;
  latencies hold_ms_;
  latencies checkout_ms_;
  std::function<double()> clock_;
  std::map<std::string, uint32_t> owners_;
  std::vector<std::string> violations_;
  std::vector<std::string> errors_;
};

} // namespace seatgrab::scenarios
