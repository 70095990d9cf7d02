#include "persistence/keys.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

namespace pst = seatgrab::persistence;

TEST_CASE("journal keys sort by kind, then entity, then sequence number") {
  std::mt19937_64 rng{42};
  const std::vector<std::string> kinds{"a", "event", "section", "sectio"};
  const std::vector<std::string> entities{"e", "e1", "e1:A", "e10", "e2", "x"};
  std::vector<pst::journal_key_parts> parts;
  for (int i = 0; i < 2000; ++i) {
    // Sequence numbers straddle byte boundaries where little-endian would misorder.
    auto seq = std::vector<uint64_t>{0, 1, 255, 256, 65535, 65536, 1ull << 40, ~0ull}[rng() % 8] +
               rng() % 3;
    parts.push_back({kinds[rng() % kinds.size()], entities[rng() % entities.size()], seq});
  }
  std::vector<std::string> keys;
  for (auto& p : parts)
    keys.push_back(pst::journal_key(p.kind, p.entity, p.seq));
  std::sort(keys.begin(), keys.end());
  std::sort(parts.begin(), parts.end(), [](auto& x, auto& y) {
    return std::tie(x.kind, x.entity, x.seq) < std::tie(y.kind, y.entity, y.seq);
  });
  for (size_t i = 0; i < keys.size(); ++i) {
    auto decoded = pst::parse_journal_key(keys[i]);
    REQUIRE(decoded);
    CHECK(*decoded == parts[i]);
  }
}

TEST_CASE("an entity's keys share its prefix and no other entity's") {
  auto key = pst::journal_key("section", "ev1:A", 7);
  CHECK(key.starts_with(pst::entity_prefix("section", "ev1:A")));
  CHECK_FALSE(
      pst::journal_key("section", "ev1:AB", 7).starts_with(pst::entity_prefix("section", "ev1:A")));
  CHECK(pst::printable_key(key) == "section/ev1:A/7");
}

TEST_CASE("malformed keys do not parse") {
  CHECK_FALSE(pst::parse_journal_key(""));
  CHECK_FALSE(pst::parse_journal_key(std::string("k\0e\0", 4)));
  CHECK_FALSE(pst::parse_journal_key(std::string("\0e\0\0\0\0\0\0\0\0\1", 11)));
  CHECK(pst::parse_journal_key(std::string("k\0e\0\0\0\0\0\0\0\0\1", 12)));
}

TEST_CASE("names must be non-empty, short and free of NUL") {
  CHECK(pst::valid_name("ev1:A"));
  CHECK_FALSE(pst::valid_name(""));
  CHECK_FALSE(pst::valid_name(std::string("a\0b", 3)));
  CHECK_FALSE(pst::valid_name(std::string(256, 'x')));
}

TEST_CASE("sealed values detect any flipped bit") {
  auto sealed = pst::seal("hello journal");
  REQUIRE(pst::unseal(sealed));
  CHECK(*pst::unseal(sealed) == "hello journal");
  for (size_t i = 0; i < sealed.size() * 8; ++i) {
    auto bad = sealed;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    CHECK_FALSE(pst::unseal(bad));
  }
  CHECK_FALSE(pst::unseal("abc"));
}
