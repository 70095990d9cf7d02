#include "scenarios/crowd.hpp"

#include "messages/ec.hpp"

#include <algorithm>
#include <cmath>

namespace seatgrab::scenarios {

double latencies::percentile(double p) const {
  if (ms.empty())
    return 0;
  auto sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  // Nearest rank.
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

std::string crowd::account_of(uint32_t fan) {
  return "f" + std::to_string(fan + 1);
}

crowd::crowd(const scenario& s, uint64_t seed, std::vector<std::string> sections)
    : s_(s), rng_(seed), clients_(make_clients(s, seed)), notes_(clients_.size()),
      sections_(std::move(sections)), due_(s.max_duration_s + 1) {
  auto uniform = [&](uint32_t lo, uint32_t hi) {
    return lo + static_cast<uint32_t>(rng_() % (uint64_t{hi} - lo + 1));
  };
  auto chance = [&](double p) { return static_cast<double>(rng_() % 1'000'000) < p * 1e6; };
  auto total = static_cast<uint32_t>(clients_.size());
  fans_.resize(total);
  open_ = total;
  for (uint32_t i = 0; i < total; ++i) {
    auto& f = fans_[i];
    ++side_for(i).clients;
    if (clients_[i].bot) {
      // Bots are there at the opening, want all the tickets they may have, never hesitate.
      f.arrive_s = s.opens_after_s + uniform(0, std::min<uint32_t>(5, s.arrival_spread_s));
      f.wanted = static_cast<uint8_t>(std::min<uint32_t>(255, s.max_tickets_per_account));
      f.think_s = uniform(1, 3);
      wake(i, f.arrive_s);
      continue;
    }
    if (i < s.pre_queue) {
      f.arrive_s = uniform(0, s.opens_after_s > 0 ? s.opens_after_s - 1 : 0);
    } else if (s.arrival_curve == "spike") {
      // Most come right at the opening, fewer and fewer after: exponential, mean spread / 5.
      auto u = static_cast<double>(rng_() % 1'000'000 + 1) / 1e6;
      auto after = -std::log(u) * s.arrival_spread_s / 5.0;
      f.arrive_s =
          s.opens_after_s + static_cast<uint32_t>(std::min<double>(after, s.arrival_spread_s));
    } else {
      f.arrive_s = s.opens_after_s + uniform(0, s.arrival_spread_s);
    }
    f.wanted = static_cast<uint8_t>(uniform(s.seats_min, s.seats_max));
    f.think_s = uniform(s.think_min_s, s.think_max_s);
    f.abandons = chance(s.abandon_rate);
    f.declines = chance(s.decline_rate);
    f.refunds = chance(s.refund_rate);
    f.transfers = !f.refunds && chance(s.transfer_rate);
    wake(i, f.arrive_s);
  }
}

side crowd::side_of(bool bots) const {
  auto out = bots ? bot_side_ : human_side_;
  out.seats = 0;
  for (const auto& [seat, fan] : owners_)
    out.seats += clients_[fan].bot == bots;
  for (size_t i = 0; i < clients_.size(); ++i) {
    if (clients_[i].bot != bots)
      continue;
    out.challenged += notes_[i].challenges > 0;
    out.stepped_up += notes_[i].step_ups > 0;
  }
  return out;
}

namespace {

/// The wait a limit's error carries (its second context element), at least a second.
uint32_t wait_of(const caf::error& err) {
  const auto& m = err.context();
  if (m.size() == 2 && m.match_element<uint32_t>(1))
    return std::max<uint32_t>(1, m.get_as<uint32_t>(1));
  return 1;
}

} // namespace

void crowd::wake(uint32_t i, uint32_t at) {
  fans_[i].next_s = at;
  if (at < due_.size())
    due_[at].push_back(i);
  // Later than the run lasts: the fan is still under way at the end.
}

void crowd::done(uint32_t i) {
  fans_[i].at = fan::step::done;
  fans_[i].tickets.clear();
  fans_[i].tickets.shrink_to_fit();
  --open_;
}

void crowd::error(uint32_t i, const char* what, const caf::error& err) {
  ++counts_.errors;
  if (errors_.size() < 10)
    errors_.push_back("fan " + account_of(i) + ": " + what + ": " + render(err));
}

bool crowd::too_late() {
  --in_flight_;
  return finished_;
}

void crowd::own(uint32_t i, const ticket_info& t) {
  auto [at, added] = owners_.emplace(t.seat, i);
  if (!added && at->second != i)
    violations_.push_back("seat " + t.seat + " was sold to " + account_of(at->second) + " and to " +
                          account_of(i));
  fans_[i].tickets.emplace_back(t.id, t.seat);
}

uint64_t crowd::sold_now() const noexcept {
  uint64_t n = 0;
  for (const auto& l : load_)
    n += l.sold;
  return n;
}

void crowd::tick(uint32_t t, fan_api& api) {
  now_ = t;
  ++in_flight_;
  api.load([this](caf::expected<std::vector<section_load>> x) {
    if (too_late() || !x)
      return; // keep the last overview
    load_ = std::move(*x);
    uint64_t free = 0, held = 0;
    for (const auto& l : load_) {
      free += l.free;
      held += l.held;
    }
    sold_out_ = !load_.empty() && free == 0 && held == 0;
  });
  if (t >= due_.size())
    return;
  auto due = std::move(due_[t]);
  due_[t] = {};
  for (auto i : due)
    if (fans_[i].next_s == t && fans_[i].at != fan::step::done)
      act(i, t, api);
}

void crowd::act(uint32_t i, uint32_t t, fan_api& api) {
  auto& f = fans_[i];
  switch (f.at) {
  case fan::step::coming:
    ++in_flight_;
    ++side_for(i).requests;
    api.join(i, clients_[i], notes_[i], [this, i](caf::expected<queue_status> x) {
      if (too_late())
        return;
      if (!x) {
        switch (ec_of(x.error())) {
        case ec::velocity_limited: // the address prefix's rate: later, as told
          ++side_for(i).throttled;
          wake(i, now_ + wait_of(x.error()));
          return;
        case ec::device_limit:
        case ec::device_in_use: // the room's own rule: one place per device
          ++side_for(i).refused;
          done(i);
          return;
        case ec::step_up_required: // every step-up it tried failed
          ++side_for(i).gave_up_step_up;
          ++counts_.gave_up;
          done(i);
          return;
        default:
          error(i, "join", x.error());
          wake(i, now_ + s_.poll_every_s);
          return;
        }
      }
      ++counts_.joined;
      ++side_for(i).joined;
      fans_[i].at = fan::step::waiting;
      wake(i, now_ + 1);
    });
    return;
  case fan::step::waiting:
    ++in_flight_;
    ++side_for(i).requests;
    api.status(i, [this, i, &api](caf::expected<queue_status> x) {
      if (too_late())
        return;
      auto& f = fans_[i];
      if (!x) {
        if (ec_of(x.error()) == ec::velocity_limited) {
          ++side_for(i).throttled;
          wake(i, now_ + wait_of(x.error()));
          return;
        }
        error(i, "queue status", x.error());
        wake(i, now_ + s_.poll_every_s);
        return;
      }
      if (x->state == "admitted") {
        ++counts_.admitted;
        ++side_for(i).admitted;
        f.token = std::move(x->admission_token);
        f.at = fan::step::shopping;
        shop(i, now_, api);
      } else if (x->state != "waiting") {
        ++counts_.gave_up; // skipped or expired
        done(i);
      } else if (sold_out_) {
        ++counts_.sold_out;
        done(i);
      } else if (x->position == 0) {
        // The sale has not opened: look again at the opening, as the event page says.
        auto opening = s_.opens_after_s + static_cast<uint32_t>(rng_() % s_.poll_every_s);
        wake(i, std::max(now_ + s_.poll_every_s, opening));
      } else if (clients_[i].polls_per_s > 0) {
        wake(i, now_ + 1); // a hammering bot never lets up
      } else {
        // Far back, a fan looks less often: after half the estimated wait, but often enough
        // for the room, which skips fans it has not seen for two minutes.
        auto every = std::max<uint64_t>(s_.poll_every_s, std::min<uint64_t>(90, x->eta_s / 2));
        wake(i, now_ + static_cast<uint32_t>(every));
      }
    });
    // Hammering: many polls a second besides the one that counts (sent after it).
    for (uint32_t k = 1; k < clients_[i].polls_per_s; ++k)
      poll(i, api);
    return;
  case fan::step::shopping:
    shop(i, t, api);
    return;
  case fan::step::thinking:
    pay(i, t, api);
    return;
  case fan::step::owning:
    after_sale(i, t, api);
    return;
  case fan::step::done:
    return;
  }
}

void crowd::poll(uint32_t i, fan_api& api) {
  ++in_flight_;
  ++side_for(i).requests;
  api.status(i, [this, i](caf::expected<queue_status> x) {
    if (too_late())
      return;
    if (!x && ec_of(x.error()) == ec::velocity_limited)
      ++side_for(i).throttled;
  });
}

void crowd::shop(uint32_t i, uint32_t t, fan_api& api) {
  auto& f = fans_[i];
  if (sold_out_) {
    ++counts_.sold_out;
    done(i);
    return;
  }
  std::vector<size_t> fits;
  uint32_t largest = 0;
  for (size_t k = 0; k < load_.size(); ++k) {
    largest = std::max(largest, load_[k].free);
    if (load_[k].free >= f.wanted)
      fits.push_back(k);
  }
  std::string section;
  if (!load_.empty()) {
    if (fits.empty()) {
      if (largest > 0 && f.wanted > 1) {
        // Nothing that large left anywhere: take fewer seats.
        if (!f.settled)
          ++counts_.fewer_seats;
        f.settled = true;
        f.wanted = static_cast<uint8_t>(std::min<uint32_t>(largest, f.wanted - 1u));
        wake(i, t + 1);
      } else {
        wake(i, t + s_.poll_every_s); // everything held: some holds will come back
      }
      return;
    }
    section = load_[fits[rng_() % fits.size()]].section;
  } else {
    section = sections_[rng_() % sections_.size()];
  }
  auto key = account_of(i) + "-" + std::to_string(++f.attempts);
  auto started = now_ms();
  ++in_flight_;
  ++side_for(i).requests;
  api.hold(i, section, f.wanted, f.token, key,
           [this, i, started, section](caf::expected<hold_receipt> x) {
             if (too_late())
               return;
             auto& f = fans_[i];
             if (x) {
               hold_ms_.ms.push_back(now_ms() - started);
               ++counts_.holds;
               if (f.abandons) {
                 ++counts_.abandoned;
                 done(i);
                 return;
               }
               f.hold_id = std::move(x->hold_id);
               f.at = fan::step::thinking;
               wake(i, now_ + std::max<uint32_t>(1, f.think_s));
               return;
             }
             switch (ec_of(x.error())) {
             case ec::no_seats_available:
             case ec::seat_taken:
               ++counts_.hold_failures;
               // The overview was stale, or the free seats are not together: try another section
               // soon, and after a few misses settle for one seat fewer.
               for (auto& l : load_)
                 if (l.section == section)
                   l.free = 0;
               if (++f.searches >= s_.patience) {
                 ++counts_.gave_up; // nothing to be had, it seems
                 done(i);
                 return;
               }
               f.misses = static_cast<uint8_t>(std::min(f.misses + 1, 255));
               if (f.misses >= 3 && f.wanted > 1) {
                 if (!f.settled)
                   ++counts_.fewer_seats;
                 f.settled = true;
                 f.misses = 0;
                 --f.wanted;
               }
               // A few quick retries, then a fan waits a little before looking again.
               wake(i, now_ + (f.misses < 3 ? 1 : s_.poll_every_s));
               return;
             case ec::admission_expired:
             case ec::admission_invalid:
               ++counts_.gave_up; // admitted, but found nothing in time
               done(i);
               return;
             default:
               error(i, "hold", x.error());
               wake(i, now_ + s_.poll_every_s);
             }
           });
}

void crowd::pay(uint32_t i, uint32_t, fan_api& api) {
  auto& f = fans_[i];
  auto started = now_ms();
  ++in_flight_;
  ++side_for(i).requests;
  auto card = f.declines ? std::string{"4000000000000002"} : clients_[i].card;
  api.checkout(
      i, f.hold_id, card, account_of(i) + "-pay", [this, i, started](caf::expected<order_info> x) {
        if (too_late())
          return;
        auto& f = fans_[i];
        if (x) {
          checkout_ms_.ms.push_back(now_ms() - started);
          ++counts_.orders;
          counts_.seats_bought += x->tickets.size();
          for (const auto& t : x->tickets)
            own(i, t);
          if (f.refunds || f.transfers) {
            f.at = fan::step::owning;
            auto after = s_.refund_after_min_s +
                         static_cast<uint32_t>(rng_() % (uint64_t{s_.refund_after_max_s} -
                                                         s_.refund_after_min_s + 1));
            wake(i, now_ + std::max<uint32_t>(1, after));
            return;
          }
        } else if (ec_of(x.error()) == ec::payment_declined) {
          ++counts_.declined;
        } else if (ec_of(x.error()) == ec::hold_expired) {
          ++counts_.too_late;
        } else if (ec_of(x.error()) == ec::card_limit || ec_of(x.error()) == ec::suspected_bot) {
          ++side_for(i).refused;
        } else if (ec_of(x.error()) == ec::velocity_limited) {
          ++side_for(i).throttled;
        } else if (ec_of(x.error()) == ec::unavailable && ++f.payments < 5) {
          // No answer, or "still running": the same key again finds out (and never
          // pays twice).
          wake(i, now_ + s_.poll_every_s);
          return;
        } else {
          error(i, "checkout", x.error());
        }
        done(i);
      });
}

void crowd::after_sale(uint32_t i, uint32_t t, fan_api& api) {
  auto& f = fans_[i];
  if (f.tickets.empty()) {
    done(i);
    return;
  }
  auto ticket = f.tickets.back().first; // named: clang 14 cannot capture structured bindings
  auto seat = f.tickets.back().second;
  if (f.refunds) {
    // The seat may be sold again as soon as the refund is through, even before its answer
    // arrives here: it leaves the fan's book when asked for, and comes back if refused.
    owners_.erase(seat);
    ++in_flight_;
    api.refund(i, ticket, [this, i, t, seat, ticket, &api](caf::expected<ticket_info> x) {
      if (too_late())
        return;
      auto& f = fans_[i];
      f.tickets.pop_back();
      if (x) {
        ++counts_.refunds;
        after_sale(i, t, api); // the next ticket of the order
      } else {
        error(i, "refund", x.error());
        ticket_info back;
        back.id = ticket;
        back.seat = seat;
        own(i, back);
        done(i);
      }
    });
    return;
  }
  // Give one ticket to somebody who is here too.
  auto to = static_cast<uint32_t>(rng_() % fans_.size());
  if (to == i || fans_[to].at == fan::step::coming) {
    done(i);
    return;
  }
  ++in_flight_;
  api.transfer(i, ticket, to, [this, i, to, seat](caf::expected<ticket_info> x) {
    if (too_late())
      return;
    if (x) {
      ++counts_.transfers;
      owners_[seat] = to;
    } else {
      error(i, "transfer", x.error());
    }
    done(i);
  });
}

void crowd::finish() {
  finished_ = true;
  for (const auto& f : fans_)
    if (f.at != fan::step::done && f.at != fan::step::owning)
      ++counts_.gave_up;
}

} // namespace seatgrab::scenarios
