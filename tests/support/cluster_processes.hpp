#pragma once

// Several `seatgrab serve` members of one cluster on loopback, each a child process with its
// own data dir, for tests of the cluster and the admin shell over real processes.

#include "tests/support/cluster_file.hpp"
#include "tests/support/process.hpp"
#include "tests/support/server_process.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace seatgrab::test {

class cluster_processes {
public:
  /// Writes a cluster file of `names` on free loopback ports and a shared secret, then starts
  /// every member with `--demo` and the admin token `token`, all at once (each waits for the
  /// member that keeps the accounts before it listens).
  /// `extra` flags go to every member (e.g. --tls-cert, --tls-key, --tls-ca).
  explicit cluster_processes(const std::vector<std::string>& names, std::string token = "tok",
                             std::vector<std::string> extra = {})
      : dir_("seatgrab-cluster-"), token_(std::move(token)), extra_(std::move(extra)) {
    {
      std::ofstream out{file()};
      auto ports = free_ports(2 * names.size());
      for (size_t i = 0; i < names.size(); ++i) {
        cluster_port_[names[i]] = ports[2 * i];
        out << cluster_member(names[i], ports[2 * i], ports[2 * i + 1]);
      }
    }
    std::ofstream{secret()} << "0123456789abcdef0123456789abcdef\n";
    std::filesystem::permissions(secret(), std::filesystem::perms::owner_read |
                                               std::filesystem::perms::owner_write);
    std::map<std::string, std::future<std::unique_ptr<server_process>>> starting;
    for (const auto& n : names)
      starting[n] = std::async(std::launch::async, [this, n] { return launch(n); });
    for (auto& [n, f] : starting)
      node_[n] = f.get();
  }

  /// Member `name`'s process.
  server_process& operator[](const std::string& name) { return *node_.at(name); }

  /// Starts member `name` again on its data dir (after a kill).
  void restart(const std::string& name) {
    node_[name].reset();
    node_[name] = launch(name);
  }

  /// `seatgrab admin --json -c COMMAND` through member `via`'s cluster port, as operator
  /// "tester" with `token` and the shell's `tls` flags: exit code and output (stderr too).
  std::pair<int, std::string> admin(const std::string& via, const std::string& command,
                                    const std::string& token = "tok",
                                    const std::string& tls = "") const {
    return run_command("timeout 30 " + std::string{SEATGRAB_BIN} + " admin --connect " +
                       cluster_address(via) + " --admin-token " + token + " --as tester --json " +
                       tls + " -c '" + command + "' 2>&1");
  }

  /// The JSON answer of `admin(via, command)`, which must succeed.
  nlohmann::json admin_json(const std::string& via, const std::string& command) const {
    // No structured binding: clang 14 refuses them inside doctest's message lambdas.
    auto res = admin(via, command);
    REQUIRE_MESSAGE(res.first == 0, command << ": " << res.second);
    auto j = nlohmann::json::parse(res.second, nullptr, false);
    REQUIRE_MESSAGE(!j.is_discarded(), res.second);
    return j;
  }

  /// Stops every member (SIGTERM).
  void stop() { node_.clear(); }

  /// "127.0.0.1:PORT" of member `name`'s cluster port, for `seatgrab admin --connect`.
  std::string cluster_address(const std::string& name) const {
    return "127.0.0.1:" + std::to_string(cluster_port_.at(name));
  }

  std::filesystem::path file() const { return dir_ / "cluster.toml"; }
  std::filesystem::path secret() const { return dir_ / "secret"; }
  std::filesystem::path data_dir(const std::string& name) const { return dir_ / name; }

  ~cluster_processes() { stop(); }

private:
  std::unique_ptr<server_process> launch(const std::string& n) {
    std::vector<std::string> args{"--cluster", file().string(),         "--node",
                                  n,           "--cluster-secret-file", secret().string(),
                                  "--demo"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    return std::make_unique<server_process>(SEATGRAB_BIN, data_dir(n), token_, std::move(args));
  }

  temp_dir dir_;
  std::string token_;
  std::vector<std::string> extra_;
  std::map<std::string, uint16_t> cluster_port_;
  std::map<std::string, std::unique_ptr<server_process>> node_;
};

} // namespace seatgrab::test
