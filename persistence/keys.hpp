#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Key layout, shared by every column family that is keyed by entity:
//   journal:  kind 0x00 entity 0x00 seq(8 bytes, big-endian)
//   snapshot: kind 0x00 entity
// Kinds and entity ids never contain 0x00, so byte order is (kind, entity, seq) order.
namespace seatgrab::persistence {

/// Appends `x` as 8 bytes, most significant first, so that byte order is numeric order.
void put_u64_be(std::string& out, uint64_t x);

/// The number in the first 8 bytes of `in` (which must hold at least 8).
uint64_t get_u64_be(std::string_view in) noexcept;

/// True if `name` can be a kind or entity id: 1..255 bytes, no NUL byte.
bool valid_name(std::string_view name) noexcept;

std::string journal_key(std::string_view kind, std::string_view entity, uint64_t seq);

/// Every journal key of one entity starts with this.
std::string entity_prefix(std::string_view kind, std::string_view entity);

/// Every key of one kind starts with this.
std::string kind_prefix(std::string_view kind);

/// The snapshot key of one entity.
std::string snapshot_key(std::string_view kind, std::string_view entity);

struct journal_key_parts {
  std::string kind;
  std::string entity;
  uint64_t seq = 0;
  friend bool operator==(const journal_key_parts&, const journal_key_parts&) = default;
};

std::optional<journal_key_parts> parse_journal_key(std::string_view key);

/// "kind/entity/seq", printable, for error messages and logs.
std::string printable_key(std::string_view key);

/// Stored values carry a CRC-32 of their payload in front, so that a torn or flipped record
/// is told apart from a valid one.
std::string seal(std::string_view payload);

/// The payload of a sealed value, or nothing if the checksum does not match.
std::optional<std::string_view> unseal(std::string_view value) noexcept;

} // namespace seatgrab::persistence
