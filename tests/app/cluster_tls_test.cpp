// Mutual TLS on the cluster port (`serve --tls-cert --tls-key --tls-ca` with --cluster): the
// members connect to each other through CAF's OpenSSL module, and the admin shell gets in only
// with a certificate of the cluster's CA.

#include "tests/support/cluster_processes.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using json = nlohmann::json;

namespace {

/// A CA (`name`.pem, `name`.key) in `dir`, made with the openssl command line.
void make_ca(const std::filesystem::path& dir, const std::string& name) {
  auto made = seatgrab::test::run_command(
      "cd " + dir.string() + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout " + name +
      ".key -out " + name + ".pem -days 2 -subj /CN=" + name + " 2>&1");
  REQUIRE_MESSAGE(made.first == 0, made.second);
}

/// A certificate (`name`.pem, `name`.key) signed by CA `ca` in `dir`.
void make_cert(const std::filesystem::path& dir, const std::string& name, const std::string& ca) {
  auto made = seatgrab::test::run_command(
      "cd " + dir.string() + " && openssl req -newkey rsa:2048 -nodes -keyout " + name +
      ".key -out " + name + ".csr -subj /CN=" + name + " 2>&1 && openssl x509 -req -in " + name +
      ".csr -CA " + ca + ".pem -CAkey " + ca + ".key -CAcreateserial -out " + name +
      ".pem -days 2 2>&1 && chmod 600 " + name + ".key");
  REQUIRE_MESSAGE(made.first == 0, made.second);
}

} // namespace

TEST_CASE("members talk mutual TLS; the admin shell needs a certificate of the cluster's CA") {
  seatgrab::test::temp_dir certs{"seatgrab-certs-"};
  auto d = certs.path();
  make_ca(d, "ca");
  make_ca(d, "stranger-ca");
  for (const char* n : {"node", "operator"})
    make_cert(d, n, "ca");
  make_cert(d, "stranger", "stranger-ca");
  auto p = [&](const std::string& f) { return (d / f).string(); };
  seatgrab::test::cluster_processes cluster{
      {"a", "b"},
      "tok",
      {"--tls-cert", p("node.pem"), "--tls-key", p("node.key"), "--tls-ca", p("ca.pem")}};
  auto admin = [&](const std::string& tls) { return cluster.admin("a", "nodes", "tok", tls); };
  auto with = [&](const std::string& who, const std::string& ca) {
    return "--tls-cert " + p(who + ".pem") + " --tls-key " + p(who + ".key") + " --tls-ca " +
           p(ca + ".pem");
  };
  // The members found each other over TLS: b is up, seen from a.
  CHECK(seatgrab::test::eventually([&] {
    auto nodes = admin(with("operator", "ca"));
    REQUIRE_MESSAGE(nodes.first == 0, nodes.second);
    for (const auto& r : json::parse(nodes.second))
      if (r["state"] != "up")
        return false;
    return true;
  }));
  // Without TLS, or with a certificate of another CA, the shell does not get in.
  auto plain = admin("");
  CHECK_MESSAGE(plain.first == 2, plain.second);
  auto stranger = admin(with("stranger", "ca"));
  CHECK_MESSAGE(stranger.first == 2, stranger.second);
}
