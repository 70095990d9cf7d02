#include "domain/queue_board.hpp"

#include <bit>
#include <cmath>

namespace seatgrab::domain {

ticket_status waiting_status(uint32_t place, const queue_head& head, time_point now) {
  ticket_status st;
  st.price_min = head.price_min;
  st.price_max = head.price_max;
  if (head.closed) {
    st.state = fan_state::closed;
    return st;
  }
  st.paused = head.paused; // before the sale opens too: the pre-queue waits for the operator
  if (!head.opened) {
    auto until = std::max<int64_t>(0, (head.opens_at - now).count());
    st.eta_s = static_cast<uint64_t>((until + 999) / 1000);
    return st;
  }
  st.position = place - head.passed;
  st.eta_s = static_cast<uint64_t>(std::ceil(static_cast<double>(st.position) / head.rate_per_s));
  return st;
}

queue_board::~queue_board() {
  for (auto& c : chunks_)
    delete[] c.load(std::memory_order_relaxed);
}

queue_board::slot& queue_board::at(uint32_t ticket) const {
  // Chunk k holds 2^(k + first_bits) slots, starting at index 2^(k + first_bits) - 2^first_bits.
  auto j = uint64_t{ticket} - 1 + (uint64_t{1} << first_bits);
  auto k = std::bit_width(j) - 1 - first_bits;
  auto* chunk = chunks_[k].load(std::memory_order_acquire);
  return chunk[j - (uint64_t{1} << (k + first_bits))];
}

void queue_board::add(uint64_t account, int64_t seen_ms) {
  auto ticket = count_ + 1;
  auto j = uint64_t{ticket} - 1 + (uint64_t{1} << first_bits);
  auto k = std::bit_width(j) - 1 - first_bits;
  if (chunks_[k].load(std::memory_order_relaxed) == nullptr)
    chunks_[k].store(new slot[size_t{1} << (k + first_bits)], std::memory_order_release);
  auto& s = at(ticket);
  s.account.store(account, std::memory_order_relaxed);
  s.seen_ms.store(seen_ms, std::memory_order_relaxed);
  count_ = ticket;
}

void queue_board::set_place(uint32_t ticket, uint32_t place) {
  at(ticket).place.store(place, std::memory_order_relaxed);
}

uint32_t queue_board::place(uint32_t ticket) const {
  return at(ticket).place.load(std::memory_order_relaxed);
}

void queue_board::set_state(uint32_t ticket, fan_state s) {
  at(ticket).state.store(s, std::memory_order_relaxed);
}

void queue_board::publish(const queue_head& h) {
  std::lock_guard guard{head_mtx_};
  head_ = h;
}

void queue_board::mark_seen(uint32_t ticket, int64_t now_ms) {
  auto& seen = at(ticket).seen_ms;
  auto last = seen.load(std::memory_order_relaxed);
  while (last < now_ms && !seen.compare_exchange_weak(last, now_ms, std::memory_order_relaxed)) {
  }
}

int64_t queue_board::last_seen(uint32_t ticket) const {
  return at(ticket).seen_ms.load(std::memory_order_relaxed);
}

queue_head queue_board::published() const {
  std::lock_guard guard{head_mtx_};
  return head_;
}

queue_board::answer queue_board::poll(uint64_t ticket, uint64_t account, time_point now,
                                      ticket_status& out) {
  // The lock orders these reads after the room's writes to the tickets the head covers.
  auto head = published();
  if (ticket == 0 || ticket > head.tickets)
    return answer::ask_room;
  auto t = static_cast<uint32_t>(ticket);
  auto& s = at(t);
  if (s.account.load(std::memory_order_relaxed) != account)
    return answer::not_yours;
  mark_seen(t, now.time_since_epoch().count());
  auto place = s.place.load(std::memory_order_relaxed);
  // A state the board does not publish, or a place the pacer reached: the room knows more
  // (an admission comes with a token, and is shown once durable).
  if (s.state.load(std::memory_order_relaxed) != fan_state::waiting ||
      (head.opened && (place == 0 || place <= head.passed)))
    return answer::ask_room;
  out = waiting_status(place, head, now);
  return answer::waiting;
}

size_t queue_board::memory_bytes() const noexcept {
  size_t bytes = 0;
  for (size_t k = 0; k < max_chunks; ++k)
    if (chunks_[k].load(std::memory_order_relaxed) != nullptr)
      bytes += (size_t{1} << (k + first_bits)) * sizeof(slot);
  return bytes;
}

} // namespace seatgrab::domain
