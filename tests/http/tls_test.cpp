// HTTPS at the edge (issue 13): `seatgrab serve --tls-cert F --tls-key F` answers over TLS 1.2+
// with Strict-Transport-Security, refuses plain HTTP and TLS 1.1 on that port, and refuses to
// start on a missing or mismatched key, naming the file. The certificate is made by the test.
#include "tests/support/process.hpp"
#include "tests/support/server_process.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace sg = seatgrab;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* tls_admin_token = "tls-test-admin-token";

template <class T, void (*Free)(T*)>
struct deleter {
  void operator()(T* x) const { Free(x); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;

pkey_ptr make_key() {
  return pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
}

// A self-signed certificate for 127.0.0.1, valid for a day, and its key, as PEM files.
void write_cert(const std::filesystem::path& cert_file, const std::filesystem::path& key_file,
                EVP_PKEY* key) {
  x509_ptr cert{X509_new()};
  REQUIRE(cert);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key);
  auto* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  REQUIRE(X509_sign(cert.get(), key, EVP_sha256()) > 0);
  auto* f = std::fopen(cert_file.c_str(), "w");
  REQUIRE(f != nullptr);
  CHECK(PEM_write_X509(f, cert.get()) == 1);
  std::fclose(f);
  f = std::fopen(key_file.c_str(), "w");
  REQUIRE(f != nullptr);
  CHECK(PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  std::fclose(f);
  std::filesystem::permissions(key_file, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_write);
}

struct answer {
  bool handshake_ok = false;
  std::string handshake_error;
  bhttp::response<bhttp::string_body> res;
};

// One request over TLS between `min` and `max` versions, trusting only `ca_file`.
answer tls_request(uint16_t port, const std::filesystem::path& ca_file, bhttp::verb verb,
                   const std::string& target, const std::string& body = {},
                   int max_version = TLS1_3_VERSION) {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  ctx.load_verify_file(ca_file.string());
  ctx.set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  if (max_version < TLS1_2_VERSION) // OpenSSL 3's default level refuses TLS 1.1 itself
    SSL_CTX_set_security_level(ctx.native_handle(), 0);
  beast::ssl_stream<beast::tcp_stream> stream{ioc, ctx};
  beast::get_lowest_layer(stream).connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port});
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds{10});
  answer result;
  beast::error_code ec;
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) {
    result.handshake_error = ec.message();
    return result;
  }
  result.handshake_ok = true;
  bhttp::request<bhttp::string_body> req{verb, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  bhttp::write(stream, req);
  beast::flat_buffer buf;
  bhttp::read(stream, buf, result.res);
  return result;
}

} // namespace

TEST_CASE("https: answers over TLS with HSTS; plain HTTP and TLS 1.1 get nothing") {
  sg::test::temp_dir tmp{"seatgrab-tls-"};
  auto key = make_key();
  REQUIRE(key);
  write_cert(tmp / "cert.pem", tmp / "key.pem", key.get());
  sg::test::server_process srv{
      SEATGRAB_BIN,
      tmp / "data",
      tls_admin_token,
      {"--tls-cert", (tmp / "cert.pem").string(), "--tls-key", (tmp / "key.pem").string()}};

  auto health = tls_request(srv.port, tmp / "cert.pem", bhttp::verb::get, "/healthz");
  REQUIRE_MESSAGE(health.handshake_ok, health.handshake_error);
  CHECK(health.res.result_int() == 200);
  CHECK(health.res[bhttp::field::strict_transport_security] == "max-age=31536000");

  // A write over TLS: the whole API is there, not only the health check.
  auto signup = tls_request(srv.port, tmp / "cert.pem", bhttp::verb::post, "/v1/accounts",
                            R"({"email":"tls@example.com","password":"correct horse"})");
  REQUIRE(signup.handshake_ok);
  CHECK_MESSAGE(signup.res.result_int() == 201, signup.res.body());
  CHECK(signup.res[bhttp::field::strict_transport_security] == "max-age=31536000");
  // Errors carry it too.
  auto missing = tls_request(srv.port, tmp / "cert.pem", bhttp::verb::get, "/v1/nothing");
  REQUIRE(missing.handshake_ok);
  CHECK(missing.res.result_int() == 404);
  CHECK(missing.res[bhttp::field::strict_transport_security] == "max-age=31536000");

  // Plain HTTP to the HTTPS port: the handshake fails and the connection closes, unanswered.
  {
    asio::io_context ioc;
    beast::tcp_stream plain{ioc};
    plain.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), srv.port});
    plain.expires_after(std::chrono::seconds{10});
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, "/healthz", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    beast::error_code ec;
    bhttp::write(plain, req, ec);
    beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(plain, buf, res, ec);
    CHECK(ec); // no HTTP answer, so no data leaks over plain text
    CHECK(ec != beast::error::timeout);
  }

  // TLS 1.1 is refused at the handshake.
  auto old =
      tls_request(srv.port, tmp / "cert.pem", bhttp::verb::get, "/healthz", {}, TLS1_1_VERSION);
  CHECK_FALSE(old.handshake_ok);

  // The node still serves after all that.
  auto again = tls_request(srv.port, tmp / "cert.pem", bhttp::verb::get, "/healthz");
  REQUIRE(again.handshake_ok);
  CHECK(again.res.result_int() == 200);
}

TEST_CASE("https: a missing or mismatched key stops the start with the file named") {
  sg::test::temp_dir tmp{"seatgrab-tls-bad-"};
  auto key = make_key();
  auto other = make_key();
  REQUIRE(key);
  REQUIRE(other);
  write_cert(tmp / "cert.pem", tmp / "key.pem", key.get());
  write_cert(tmp / "other.pem", tmp / "other-key.pem", other.get());
  auto serve = [&](const std::string& cert, const std::string& key_file) {
    return sg::test::run_command(std::string{SEATGRAB_BIN} + " serve --listen 127.0.0.1:0" +
                                 " --data-dir " + (tmp / "data").string() + " --tls-cert " + cert +
                                 " --tls-key " + key_file + " 2>&1");
  };
  auto [missing_rc, missing_run] = serve((tmp / "cert.pem").string(), (tmp / "nope.pem").string());
  const auto& missing_out = missing_run; // named, not bound: CHECK_MESSAGE captures it
  CHECK(missing_rc != 0);
  CHECK_MESSAGE(missing_out.find("--tls-key " + (tmp / "nope.pem").string() + ": no such file") !=
                    std::string::npos,
                missing_out);
  auto [wrong_rc, wrong_run] = serve((tmp / "cert.pem").string(), (tmp / "other-key.pem").string());
  const auto& wrong_out = wrong_run;
  CHECK(wrong_rc != 0);
  CHECK_MESSAGE(wrong_out.find("does not match --tls-cert") != std::string::npos, wrong_out);
  // Nothing was started: the data dir was never made.
  CHECK_FALSE(std::filesystem::exists(tmp / "data"));
}
