// Mutual TLS on the cluster port (`serve --tls-cert --tls-key --tls-ca` with --cluster): the
// members connect to each other through CAF's OpenSSL module, and the admin shell gets in only
// with a certificate of the cluster's CA.

#include "tests/support/certs.hpp"
#include "tests/support/cluster_processes.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using json = nlohmann::json;

using seatgrab::test::make_ca;
using seatgrab::test::make_cert;

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
