#pragma once

// The index of live holds by holder (column `holds`): a note per hold and section, put by the
// section in the same batch as the hold and erased in the batch that ends it. A session
// journals its own record of a hold without waiting for it (one durable round per hold); the
// note is how it learns a hold whose record a crash took (domain::unrecorded_hold).
// Key: holder 0x00 hold id 0x00 section.

#include "messages/session.pb.h"
#include "persistence/store.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::persistence {

/// The key of `holder`'s note of `hold_id` in `section`.
std::string hold_note_key(std::string_view holder, std::string_view hold_id,
                          std::string_view section);

/// Adds `note` of `holder`'s hold to `ws`.
void put_hold_note(write_set& ws, std::string_view holder, const pb::hold_note& note);

/// Adds the erasure of `holder`'s note of `hold_id` in `section` to `ws`.
void erase_hold_note(write_set& ws, std::string_view holder, std::string_view hold_id,
                     std::string_view section);

/// Every note of `holder`, in key order (by hold id, then section). A note that does not parse
/// is `storage_corruption`.
caf::expected<std::vector<pb::hold_note>> hold_notes(const store& db, std::string_view holder);

} // namespace seatgrab::persistence
