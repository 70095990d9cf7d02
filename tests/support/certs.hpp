#pragma once

// Certificates for tests of the cluster's mutual TLS, made with the openssl command line.

#include "tests/support/process.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

namespace seatgrab::test {

/// A CA (`name`.pem, `name`.key) in `dir`.
inline void make_ca(const std::filesystem::path& dir, const std::string& name) {
  auto made =
      run_command("cd " + dir.string() + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout " +
                  name + ".key -out " + name + ".pem -days 2 -subj /CN=" + name + " 2>&1");
  REQUIRE_MESSAGE(made.first == 0, made.second);
}

/// A certificate (`name`.pem, `name`.key) signed by CA `ca` in `dir`.
inline void make_cert(const std::filesystem::path& dir, const std::string& name,
                      const std::string& ca) {
  auto made = run_command(
      "cd " + dir.string() + " && openssl req -newkey rsa:2048 -nodes -keyout " + name +
      ".key -out " + name + ".csr -subj /CN=" + name + " 2>&1 && openssl x509 -req -in " + name +
      ".csr -CA " + ca + ".pem -CAkey " + ca + ".key -CAcreateserial -out " + name +
      ".pem -days 2 2>&1 && chmod 600 " + name + ".key");
  REQUIRE_MESSAGE(made.first == 0, made.second);
}

} // namespace seatgrab::test
