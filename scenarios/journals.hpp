#pragma once

// Internal to the verifier (scenarios/verify*.cpp): the members' journals read as one record.

#include "persistence/store.hpp"
#include "scenarios/verify.hpp"

#include <caf/expected.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::scenarios {

/// The journals of one or several members' stores, read as one: every entity is owned by one
/// member (placement), so its journal is in exactly one store; the catalog ("event", "venue")
/// is on every member and read from the first that has it. An entity journaled by two members
/// is itself a broken promise (two owners at once).
class journals {
public:
  explicit journals(std::vector<const persistence::store*> dbs) : dbs_(std::move(dbs)) {}

  /// Every entity of `kind` over all stores; duplicates outside the catalog are reported.
  caf::expected<std::vector<std::string>> entities(std::string_view kind,
                                                   std::vector<std::string>& violations) const {
    std::map<std::string, size_t> seen; // entity -> stores that journal it
    for (const auto* db : dbs_) {
      auto ids = db->entities(kind);
      if (!ids)
        return ids.error();
      for (auto& id : *ids)
        ++seen[std::move(id)];
    }
    std::vector<std::string> result;
    for (auto& [id, count] : seen) {
      if (count > 1 && !replicated(kind))
        violations.push_back(std::string{kind} + "/" + id + ": journaled by " +
                             std::to_string(count) + " members, owned by one");
      result.push_back(id);
    }
    return result;
  }

  /// The entity's history from the store that has one (the first, for the catalog).
  caf::expected<persistence::entity_log> history(std::string_view kind,
                                                 std::string_view entity) const {
    return first(kind, entity, &persistence::store::history);
  }

  caf::expected<persistence::entity_log> load(std::string_view kind,
                                              std::string_view entity) const {
    return first(kind, entity, &persistence::store::load);
  }

  /// The value of `key` in the first store that has it.
  caf::expected<std::optional<std::string>> get(persistence::column cf,
                                                std::string_view key) const {
    for (const auto* db : dbs_) {
      auto v = db->get(cf, key);
      if (!v || *v)
        return v;
    }
    return std::optional<std::string>{};
  }

private:
  static bool replicated(std::string_view kind) { return kind == "event" || kind == "venue"; }

  template <class Read>
  caf::expected<persistence::entity_log> first(std::string_view kind, std::string_view entity,
                                               Read read) const {
    caf::expected<persistence::entity_log> result = persistence::entity_log{};
    for (const auto* db : dbs_) {
      result = (db->*read)(kind, entity);
      if (!result || result->snapshot || !result->tail.empty())
        return result;
    }
    return result;
  }

  std::vector<const persistence::store*> dbs_;
};

/// The promises of dynamic pricing (scenarios/verify_pricing.cpp), appended to `out`.
void verify_pricing(const journals& db, verdict& out);

/// The limits of the bot guards (scenarios/verify_bots.cpp), appended to `out`.
void verify_bots(const journals& db, verdict& out);

} // namespace seatgrab::scenarios
