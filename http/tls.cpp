#include "http/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

namespace seatgrab::http {

namespace {

// OpenSSL's reason for the last failure, e.g. "no start line" for a file without PEM.
std::string openssl_reason() {
  auto code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0)
    return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
}

} // namespace

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const tls_files& files,
                                                            std::string& error) {
  namespace ssl = boost::asio::ssl;
  if (files.cert.empty() || files.key.empty()) {
    error = "--tls-cert and --tls-key go together";
    return nullptr;
  }
  for (const auto* path : {&files.cert, &files.key}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*path, ec)) {
      error =
          (path == &files.cert ? "--tls-cert " : "--tls-key ") + path->string() + ": no such file";
      return nullptr;
    }
  }
  // A private key others can read is one they may have copied; say so, as ssh does.
  if (struct stat st{}; ::stat(files.key.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    spdlog::warn("--tls-key {} can be read by other users (mode {:o}); chmod 600 it",
                 files.key.string(), st.st_mode & 0777);
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  auto* native = ctx->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    error = "TLS: cannot require TLS 1.2: " + openssl_reason();
    return nullptr;
  }
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(native, files.cert.c_str()) != 1) {
    error = "--tls-cert " + files.cert.string() + ": " + openssl_reason();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(native, files.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(native) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
      error = "--tls-key " + files.key.string() + ": " + openssl_reason();
      return nullptr;
    }
    error = "--tls-key " + files.key.string() + " does not match --tls-cert " +
            files.cert.string() + ": " + openssl_reason();
    return nullptr;
  }
  return ctx;
}

} // namespace seatgrab::http
