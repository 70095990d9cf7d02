#pragma once

// Message types of the account registry. Times in milliseconds since the Unix epoch.

#include <cstdint>
#include <string>

namespace seatgrab {

/// An account as the registry shows it (never its password hash).
struct account_summary {
  std::string id;
  std::string email; ///< normalized
  bool is_operator = false;
  int64_t created_at_ms = 0;
};

/// A successful login: the bearer token, shown this once.
struct login_grant {
  std::string token;
  std::string account;
  int64_t expires_at_ms = 0;
};

/// Who a bearer token belongs to.
struct auth_info {
  std::string account;
  bool is_operator = false;
  int64_t expires_at_ms = 0; ///< when the session ends (0: never, e.g. the admin token)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account_summary& x) {
  return f(x.id, x.email, x.is_operator, x.created_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, login_grant& x) {
  return f(x.token, x.account, x.expires_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, auth_info& x) {
  return f(x.account, x.is_operator, x.expires_at_ms);
}

} // namespace seatgrab
