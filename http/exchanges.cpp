#include "http/exchanges.hpp"

namespace seatgrab::http {

tracked::tracked(std::shared_ptr<exchange> inner, std::function<void(unsigned)> done)
    : inner_(std::move(inner)), done_(std::move(done)) {
  // nop
}

void tracked::respond(response res) {
  if (answered_.exchange(true))
    return;
  done_(res.result_int());
  if (on_answer)
    on_answer(res, [inner = inner_](response r) { inner->respond(std::move(r)); });
  else
    inner_->respond(std::move(res));
}

std::shared_ptr<event_stream> tracked::open_stream(response head) {
  if (!answered_.exchange(true))
    done_(200);
  return inner_->open_stream(std::move(head));
}

counted::counted(std::shared_ptr<exchange> inner, std::shared_ptr<std::atomic<size_t>> in_flight)
    : inner_(std::move(inner)), in_flight_(std::move(in_flight)) {
  ++*in_flight_;
}

counted::~counted() {
  finish();
}

void counted::finish() {
  if (!done_.exchange(true))
    --*in_flight_;
}

void counted::respond(response res) {
  finish();
  inner_->respond(std::move(res));
}

std::shared_ptr<event_stream> counted::open_stream(response head) {
  finish();
  return inner_->open_stream(std::move(head));
}

} // namespace seatgrab::http
