#pragma once

// Venue layouts as the edge serves them (GET /v1/venues/{id}): sections, rows and every seat's
// position, which the fans' page draws the seat map from. A venue never changes once added, so
// each is hashed and gzipped once per edge; only ids the catalog knows are kept (bounded by it).

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace seatgrab::http {

/// One venue's JSON, its gzipped copy and their ETags.
struct venue_layout {
  std::string json;
  std::string gzipped;
  std::string etag;    ///< of `json`
  std::string gz_etag; ///< of `gzipped`
};

class venue_layouts {
public:
  /// The layout of venue `id` if it was kept.
  std::shared_ptr<const venue_layout> find(const std::string& id) const;

  /// Keeps the layout of venue `id` from its JSON (from the catalog) and returns it.
  std::shared_ptr<const venue_layout> keep(const std::string& id, std::string json);

private:
  mutable std::mutex mtx_;
  std::map<std::string, std::shared_ptr<const venue_layout>> by_id_;
};

} // namespace seatgrab::http
