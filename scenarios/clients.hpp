#pragma once

// Who each member of a scenario's crowd is to the edge: people in their browsers and the bots
// of the scenario's `[bots]` farms. A client has a device string, the signals its browser
// reports (or a bot replays), the headers it sends, an address, a card, and a pace at the
// proof of work and the step-up challenge. The same clients run in-process (their facts
// derived as the edge derives them) and over HTTP (sent as headers, signals and
// X-Forwarded-For through a trusted proxy).
//
// The bots are scripts, as the tactics of the issue describe them: they claim a browser's
// User-Agent but send a script's headers, replay one captured set of signals per farm, and
// use the farm's tactics (one device for many accounts; devices rotated from one prefix; a
// native proof-of-work solver; one card for many accounts; hammering the queue status). A bot
// that drives a real browser from residential addresses with cards of its own is not among
// them: nothing here claims the guard stops it.

#include "scenarios/scenario.hpp"
#include "security/fingerprint.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace seatgrab::scenarios {

struct client {
  bool bot = false;
  uint32_t farm = 0;  ///< bots: their farm
  std::string device; ///< what the client calls its device
  security::device_signals signals;
  security::request_traits traits;
  std::string address;        ///< the client's IP address
  std::string card;           ///< the card it pays with (16 digits, Luhn-valid)
  double hashes_per_ms = 300; ///< proof-of-work pace
  bool native_solver = false; ///< solves on a farm's own hardware, not in a browser
  uint32_t rtt_ms = 50;       ///< network round trip, part of every solve the server sees
  double step_up_rate = 0.95; ///< share of step-ups it answers right
  uint32_t step_up_tries = 5; ///< step-ups it attempts before it gives up
  uint32_t polls_per_s = 0;   ///< a hammering bot's status polls a second (0: as a person)
};

/// The crowd's clients: fans 0..fans-1 are people, then the bots of each farm in turn.
/// Deterministic for a seed.
std::vector<client> make_clients(const scenario& s, uint64_t seed);

/// Milliseconds from a challenge's issue to the join, as the server sees them, for `c` solving
/// a proof of work of `bits` (a draw of the work actually needed, at the client's pace).
int64_t solve_ms(const client& c, uint32_t bits, std::mt19937_64& rng);

/// A 16-digit Luhn-valid card number from `n` (prefix 4, never one of the test cards that
/// always decline).
std::string card_number(uint64_t n);

} // namespace seatgrab::scenarios
