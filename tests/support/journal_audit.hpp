#pragma once

// An auditor that replays section journals on its own, without the section state class:
// it tracks every seat through held / sold / free and reports the first impossible step
// (a seat held while not free, sold twice, sold without a hold, ...).

#include "persistence/store.hpp"

#include <map>
#include <string>

namespace seatgrab::test {

struct audit_result {
  std::string failure;                     ///< empty if the journals are consistent
  std::map<std::string, std::string> sold; ///< seat -> order
  std::map<std::string, std::string> held; ///< seat -> hold
  uint64_t events = 0;
};

audit_result audit_sections(const persistence::store& db);

} // namespace seatgrab::test
