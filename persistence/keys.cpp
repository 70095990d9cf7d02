#include "persistence/keys.hpp"

#include <boost/crc.hpp>

#include <cctype>
#include <cstdio>

namespace seatgrab::persistence {

namespace {

uint32_t crc32(std::string_view data) {
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

} // namespace

void put_u64_be(std::string& out, uint64_t x) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((x >> shift) & 0xff));
}

uint64_t get_u64_be(std::string_view in) noexcept {
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i)
    x = (x << 8) | static_cast<unsigned char>(in[i]);
  return x;
}

bool valid_name(std::string_view name) noexcept {
  return !name.empty() && name.size() <= 255 && name.find('\0') == std::string_view::npos;
}

std::string kind_prefix(std::string_view kind) {
  std::string key{kind};
  key.push_back('\0');
  return key;
}

std::string entity_prefix(std::string_view kind, std::string_view entity) {
  auto key = kind_prefix(kind);
  key.append(entity);
  key.push_back('\0');
  return key;
}

std::string snapshot_key(std::string_view kind, std::string_view entity) {
  auto key = kind_prefix(kind);
  key.append(entity);
  return key;
}

std::string journal_key(std::string_view kind, std::string_view entity, uint64_t seq) {
  auto key = entity_prefix(kind, entity);
  put_u64_be(key, seq);
  return key;
}

std::optional<journal_key_parts> parse_journal_key(std::string_view key) {
  auto first = key.find('\0');
  if (first == std::string_view::npos || first == 0)
    return std::nullopt;
  auto second = key.find('\0', first + 1);
  if (second == std::string_view::npos || second == first + 1 || key.size() != second + 9)
    return std::nullopt;
  return journal_key_parts{std::string{key.substr(0, first)},
                           std::string{key.substr(first + 1, second - first - 1)},
                           get_u64_be(key.substr(second + 1))};
}

std::string printable_key(std::string_view key) {
  if (auto parts = parse_journal_key(key))
    return parts->kind + "/" + parts->entity + "/" + std::to_string(parts->seq);
  std::string out;
  for (unsigned char c : key) {
    if (c == 0) {
      out += '/';
    } else if (std::isprint(c)) {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string seal(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 4);
  auto sum = crc32(payload);
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((sum >> shift) & 0xff));
  out.append(payload);
  return out;
}

std::optional<std::string_view> unseal(std::string_view value) noexcept {
  if (value.size() < 4)
    return std::nullopt;
  uint32_t sum = 0;
  for (int i = 0; i < 4; ++i)
    sum = (sum << 8) | static_cast<unsigned char>(value[i]);
  auto payload = value.substr(4);
  if (crc32(payload) != sum)
    return std::nullopt;
  return payload;
}

} // namespace seatgrab::persistence
