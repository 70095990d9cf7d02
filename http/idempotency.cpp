#include "http/idempotency.hpp"

#include "http/problem.hpp"
#include "http/request.hpp"
#include "messages/ec.hpp"
#include "security/encoding.hpp"

#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace seatgrab::http {

namespace bhttp = boost::beast::http;

namespace {

/// A stored record's JSON, or nothing if it does not parse.
template <class Record>
std::optional<Record> parse_record(std::string_view value) {
  auto rec = json::parse(value, nullptr, false);
  if (rec.is_discarded() || !rec.is_object())
    return std::nullopt;
  return Record{rec.value("fingerprint", ""), rec.value("status", 200u),
                rec.value("content_type", "application/json"), rec.value("body", ""),
                rec.value("at_ms", int64_t{0})};
}

} // namespace

idempotency::idempotency(persistence::idempotency_store store, std::chrono::hours ttl,
                         size_t max_records)
    : store_(std::move(store)),
      ttl_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count()),
      max_records_(std::max<size_t>(1, max_records)) {
  // nop
}

void idempotency::load(int64_t now_ms) {
  auto cutoff = now_ms - ttl_ms_;
  std::lock_guard lock{mtx_};
  last_sweep_ms_ = now_ms;
  auto dropped = store_.load([&](std::string_view key, std::string_view value) {
    auto rec = parse_record<record>(value);
    if (!rec || rec->at_ms < cutoff)
      return false;
    // Storage keeps them all; memory the ones that fit (the rest are read on a miss).
    if (records_.size() < max_records_)
      remember(std::string{key}, *rec);
    return true;
  });
  if (!dropped)
    spdlog::error("reading idempotency records: {}", render(dropped.error()));
  else if (*dropped > 0)
    spdlog::info("dropped {} expired idempotency records", *dropped);
}

caf::expected<std::optional<idempotency::record>> idempotency::read_stored(const std::string& key,
                                                                           int64_t now_ms) const {
  auto value = store_.get(key);
  if (!value)
    return value.error();
  if (!*value)
    return std::optional<record>{};
  auto rec = parse_record<record>(**value);
  if (!rec || rec->at_ms < now_ms - ttl_ms_)
    return std::optional<record>{};
  return rec;
}

void idempotency::remember(const std::string& key, const record& rec) {
  records_[key] = rec;
  order_.emplace_back(key, rec.at_ms);
  while (records_.size() > max_records_ && !order_.empty()) {
    auto [old_key, at] = std::move(order_.front());
    order_.pop_front();
    // A key kept again later has a newer entry further back: only the matching one forgets.
    if (auto i = records_.find(old_key); i != records_.end() && i->second.at_ms == at)
      records_.erase(i);
  }
  // Entries of keys forgotten by a sweep would pile up: drop them from the front.
  while (!order_.empty() && order_.size() > 2 * max_records_) {
    auto i = records_.find(order_.front().first);
    if (i != records_.end() && i->second.at_ms == order_.front().second)
      break;
    order_.pop_front();
  }
}

size_t idempotency::cached() const {
  std::lock_guard lock{mtx_};
  return records_.size();
}

// Keys are scoped by caller (`scope`: the account or the address) and route. The answer record is
// written through the journal writer once the effect is durable. The effects carry the key in
// their own journal batch (a hold's id derives from it and the session records it with the
// hold; an order's `started` event holds it; a ticket's transfer or refund journals it), so a
// retry after a crash between the effect and this record meets the same hold, order, transfer
// or refund rather than making a second one or being refused as a new request.
void idempotency::guard(const std::shared_ptr<tracked>& ex, const std::string& scope,
                        const std::function<void()>& proceed, bool answer_first) {
  const auto& req = ex->req();
  auto key_field = req["Idempotency-Key"];
  std::string key{key_field.data(), key_field.size()};
  if (key.empty() || key.size() > 255)
    return ex->respond(
        problem(400, "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 characters"));
  std::string target{req.target().data(), req.target().size()};
  auto record_key = "http/" + security::sha256_hex(scope + "\n" + target + "\n" + key);
  auto fingerprint =
      security::sha256_hex(std::string{req.method_string()} + "\n" + target + "\n" + req.body());
  auto replay = [&](const record& rec) {
    if (rec.fingerprint != fingerprint)
      return ex->respond(problem(422, "idempotency_key_reused",
                                 "this Idempotency-Key was used with another request"));
    response res{static_cast<bhttp::status>(rec.status), 11};
    res.set(bhttp::field::content_type, rec.content_type);
    res.set("Idempotent-Replayed", "true");
    res.body() = rec.body;
    ex->respond(std::move(res));
  };
  {
    std::lock_guard lock{mtx_};
    if (running_.count(record_key) > 0)
      return ex->respond(
          problem(409, "request_in_progress", "a request with this key is still running"));
    if (auto i = records_.find(record_key); i != records_.end())
      return replay(i->second);
  }
  // Not in memory: an older answer may be in storage (read without holding the lock).
  auto stored = read_stored(record_key, wall_ms());
  if (!stored)
    return ex->respond(problem(stored.error()));
  if (*stored)
    return replay(**stored);
  {
    std::lock_guard lock{mtx_};
    // Another request with this key may have started or finished meanwhile.
    if (running_.count(record_key) > 0)
      return ex->respond(
          problem(409, "request_in_progress", "a request with this key is still running"));
    if (auto i = records_.find(record_key); i != records_.end())
      return replay(i->second);
    if (running_.size() >= max_records_)
      return ex->respond(problem(503, "idempotency_capacity",
                                 "too many requests with idempotency keys are running; retry "
                                 "this request with the same key later",
                                 60));
    running_.insert(record_key);
  }
  auto self = shared_from_this();
  ex->on_answer = [self, record_key, fingerprint,
                   answer_first](const response& res, std::function<void(response)> send) {
    auto status = res.result_int();
    // Server-side failures are not final: the client may retry with the same key.
    if (status >= 500 || status == 429) {
      self->finish(record_key, nullptr);
      return send(res);
    }
    auto rec = std::make_shared<record>(record{
        fingerprint, status, std::string{res[bhttp::field::content_type]}, res.body(), wall_ms()});
    json stored{{"fingerprint", rec->fingerprint},
                {"status", rec->status},
                {"content_type", rec->content_type},
                {"body", rec->body},
                {"at_ms", rec->at_ms}};
    if (answer_first && status < 300) {
      // The route's actor answers a retry alike should this record not reach the disk.
      self->finish(record_key, rec.get());
      self->store_.put(record_key, dump(stored), [record_key](const caf::error& err) {
        if (err)
          spdlog::error("idempotency record not written: {}", render(err));
      });
      return send(res);
    }
    auto copy = std::make_shared<response>(res);
    self->store_.put(record_key, dump(stored),
                     [self, record_key, rec, copy, send](const caf::error& err) {
                       if (err)
                         spdlog::error("idempotency record not written: {}", render(err));
                       self->finish(record_key, err ? nullptr : rec.get());
                       send(std::move(*copy));
                     });
  };
  proceed();
}

void idempotency::finish(const std::string& key, const record* rec) {
  std::lock_guard lock{mtx_};
  running_.erase(key);
  if (rec == nullptr)
    return;
  remember(key, *rec);
  // Forget records past their retention now and then, as a restart would.
  if (rec->at_ms - last_sweep_ms_ >= 60'000)
    sweep(rec->at_ms);
}

void idempotency::sweep(int64_t now_ms) {
  auto cutoff = now_ms - ttl_ms_;
  std::erase_if(records_, [cutoff](const auto& kv) { return kv.second.at_ms < cutoff; });
  while (!order_.empty() && order_.front().second < cutoff)
    order_.pop_front();
  last_sweep_ms_ = now_ms;
}

} // namespace seatgrab::http
