#include "persistence/idempotency_store.hpp"

#include "messages/ec.hpp"

#include <spdlog/spdlog.h>

namespace seatgrab::persistence {

caf::expected<size_t>
idempotency_store::load(const std::function<bool(std::string_view, std::string_view)>& keep) {
  write_set ws;
  auto scanned =
      db_.for_each(column::idempotency, [&](std::string_view key, std::string_view value) {
        if (!keep(key, value))
          ws.erase(column::idempotency, std::string{key});
        return true;
      });
  if (!scanned)
    return scanned.error();
  auto dropped = ws.size();
  if (!ws.empty())
    journal_.submit(std::move(ws), [](const caf::error& err) {
      if (err)
        spdlog::error("dropping expired idempotency records: {}", render(err));
    });
  return dropped;
}

caf::expected<std::optional<std::string>> idempotency_store::get(const std::string& key) const {
  return db_.get(column::idempotency, key);
}

void idempotency_store::put(std::string key, std::string value, group_commit::callback done) {
  write_set ws;
  ws.put(column::idempotency, std::move(key), std::move(value));
  journal_.submit(std::move(ws), std::move(done));
}

} // namespace seatgrab::persistence
