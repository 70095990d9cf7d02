#include "security/proof_of_work.hpp"

#include "security/encoding.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdlib>

namespace seatgrab::security {

namespace {

bool constant_time_equal(std::string_view x, std::string_view y) {
  if (x.size() != y.size())
    return false;
  return CRYPTO_memcmp(x.data(), y.data(), x.size()) == 0;
}

} // namespace

std::string_view to_string(pow_result x) noexcept {
  switch (x) {
  case pow_result::ok:
    return "ok";
  case pow_result::malformed:
    return "malformed challenge";
  case pow_result::forged:
    return "forged challenge";
  case pow_result::other_event:
    return "challenge of another event";
  case pow_result::expired:
    return "challenge expired";
  case pow_result::wrong_nonce:
    return "wrong proof of work";
  case pow_result::used_before:
    return "challenge used before";
  }
  return "malformed challenge";
}

proof_of_work::proof_of_work(uint32_t difficulty) : difficulty_(difficulty) {
  ready_ = RAND_bytes(key_, sizeof(key_)) == 1;
}

proof_of_work::~proof_of_work() {
  OPENSSL_cleanse(key_, sizeof(key_));
}

std::string proof_of_work::sign(std::string_view payload) const {
  auto mac = hmac_sha256({reinterpret_cast<const char*>(key_), sizeof(key_)}, payload);
  if (!mac)
    return "-"; // matches no token's signature (hex)
  return sha256_hex(std::string_view{reinterpret_cast<const char*>(mac->data()), mac->size()})
      .substr(0, 32);
}

pow_challenge proof_of_work::issue(std::string_view event_id, int64_t now_ms, uint32_t bits) const {
  auto expires = now_ms + ttl_ms;
  auto random = random_hex(8);
  if (random.empty())
    random = std::to_string(now_ms);
  auto payload = std::string{event_id} + "." + random + "." + std::to_string(expires) + "." +
                 std::to_string(std::min(bits, max_bits));
  return {payload + "." + sign(payload), expires};
}

void proof_of_work::verify(std::string_view token, std::string_view answer,
                           std::string_view subject, int64_t now_ms,
                           std::function<void(challenge_check)> done) {
  challenge_check out;
  auto result = verify(token, answer, subject, now_ms, &out.bits, &out.issued_at_ms);
  out.ok = result == pow_result::ok;
  if (!out.ok)
    out.reason = std::string{to_string(result)};
  done(std::move(out));
}

pow_result proof_of_work::verify(std::string_view token, std::string_view nonce,
                                 std::string_view event_id, int64_t now_ms, uint32_t* bits_out,
                                 int64_t* issued_out) {
  auto last_dot = token.rfind('.');
  if (last_dot == std::string_view::npos)
    return pow_result::malformed;
  auto payload = token.substr(0, last_dot);
  if (!ready_ || !constant_time_equal(sign(payload), token.substr(last_dot + 1)))
    return pow_result::forged;
  // "<event>.<random>.<expires_at_ms>.<bits>": the event is all before the last three dots
  // (event ids may hold dots) and must equal `event_id` whole; a prefix match let "gig.vip"'s
  // challenge pass for "gig".
  auto bits_dot = payload.rfind('.');
  auto exp_dot = bits_dot == std::string_view::npos || bits_dot == 0
                     ? std::string_view::npos
                     : payload.rfind('.', bits_dot - 1);
  auto random_dot = exp_dot == std::string_view::npos || exp_dot == 0
                        ? std::string_view::npos
                        : payload.rfind('.', exp_dot - 1);
  if (random_dot == std::string_view::npos)
    return pow_result::malformed;
  if (payload.substr(0, random_dot) != event_id)
    return pow_result::other_event;
  auto exp = std::strtoll(std::string{payload.substr(exp_dot + 1, bits_dot - exp_dot - 1)}.c_str(),
                          nullptr, 10);
  auto bits = static_cast<uint32_t>(
      std::strtoul(std::string{payload.substr(bits_dot + 1)}.c_str(), nullptr, 10));
  if (exp <= now_ms)
    return pow_result::expired;
  if (bits > max_bits)
    return pow_result::malformed;
  if (!solves(token, nonce, bits))
    return pow_result::wrong_nonce;
  std::lock_guard lock{mtx_};
  std::erase_if(used_, [now_ms](const auto& kv) { return kv.second <= now_ms; });
  if (!used_.emplace(std::string{token}, exp).second)
    return pow_result::used_before;
  if (bits_out)
    *bits_out = bits;
  if (issued_out)
    *issued_out = exp - ttl_ms;
  return pow_result::ok;
}

bool proof_of_work::solves(std::string_view challenge, std::string_view nonce, uint32_t bits) {
  std::string input{challenge};
  input += ':';
  input += nonce;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  for (uint32_t i = 0; i < bits; ++i)
    if (digest[i / 8] & (0x80 >> (i % 8)))
      return false;
  return true;
}

} // namespace seatgrab::security
