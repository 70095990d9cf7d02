#pragma once

// HTTPS for the edge: the server's TLS context, made from a certificate chain and a private key
// in PEM files. TLS 1.2 and later only.

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace seatgrab::http {

/// Where the edge's certificate and key are; both empty = plain HTTP.
struct tls_files {
  std::filesystem::path cert; ///< PEM certificate chain, the server's first
  std::filesystem::path key;  ///< PEM private key of that certificate

  [[nodiscard]] bool enabled() const { return !cert.empty() || !key.empty(); }
};

/// The server context for `files`, or null with `error` naming the file and what is wrong (a
/// missing or unreadable file, no PEM in it, a key that does not match the certificate).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const tls_files& files,
                                                            std::string& error);

/// The Strict-Transport-Security value every HTTPS answer carries: browsers then use HTTPS for
/// this host for a year.
inline constexpr const char* hsts_value = "max-age=31536000";

} // namespace seatgrab::http
