#include "persistence/durability.hpp"

namespace seatgrab::persistence {

std::string_view to_string(durability x) noexcept {
  switch (x) {
  case durability::fsync:
    return "fsync";
  case durability::wal:
    return "wal";
  case durability::none:
    return "none";
  }
  return "?";
}

std::optional<durability> parse_durability(std::string_view text) noexcept {
  if (text == "fsync")
    return durability::fsync;
  if (text == "wal")
    return durability::wal;
  if (text == "none")
    return durability::none;
  return std::nullopt;
}

} // namespace seatgrab::persistence
