#include "persistence/hold_index.hpp"

#include "messages/ec.hpp"
#include "persistence/keys.hpp"

namespace seatgrab::persistence {

namespace {

std::string holder_prefix(std::string_view holder) {
  std::string key{holder};
  key.push_back('\0');
  return key;
}

} // namespace

std::string hold_note_key(std::string_view holder, std::string_view hold_id,
                          std::string_view section) {
  auto key = holder_prefix(holder);
  key.append(hold_id);
  key.push_back('\0');
  key.append(section);
  return key;
}

void put_hold_note(write_set& ws, std::string_view holder, const pb::hold_note& note) {
  ws.put(column::holds, hold_note_key(holder, note.hold_id(), note.section()),
         note.SerializeAsString());
}

void erase_hold_note(write_set& ws, std::string_view holder, std::string_view hold_id,
                     std::string_view section) {
  ws.erase(column::holds, hold_note_key(holder, hold_id, section));
}

caf::expected<std::vector<pb::hold_note>> hold_notes(const store& db, std::string_view holder) {
  std::vector<pb::hold_note> notes;
  caf::error bad;
  auto scanned = db.for_each(
      column::holds, holder_prefix(holder), [&](std::string_view key, std::string_view value) {
        pb::hold_note note;
        if (!note.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad = caf::make_error(ec::storage_corruption,
                                "hold note does not parse: " + printable_key(key));
          return false;
        }
        notes.push_back(std::move(note));
        return true;
      });
  if (!scanned)
    return scanned.error();
  if (bad)
    return bad;
  return notes;
}

} // namespace seatgrab::persistence
