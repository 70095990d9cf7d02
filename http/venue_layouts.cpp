#include "http/venue_layouts.hpp"

#include "http/codec.hpp"
#include "security/encoding.hpp"

namespace seatgrab::http {

std::shared_ptr<const venue_layout> venue_layouts::find(const std::string& id) const {
  std::lock_guard lock{mtx_};
  auto i = by_id_.find(id);
  return i == by_id_.end() ? nullptr : i->second;
}

std::shared_ptr<const venue_layout> venue_layouts::keep(const std::string& id, std::string json) {
  auto x = std::make_shared<venue_layout>();
  auto digest = security::sha256(json);
  auto hash = security::hex_encode({reinterpret_cast<const char*>(digest.data()), 12});
  x->etag = "\"venue-" + hash + "\"";
  x->gz_etag = "\"venue-" + hash + "-gz\"";
  x->gzipped = gzip(json);
  x->json = std::move(json);
  std::lock_guard lock{mtx_};
  // Two first requests may race: the first kept wins (both are the same venue).
  return by_id_.emplace(id, std::move(x)).first->second;
}

} // namespace seatgrab::http
