#pragma once

// Separate hosts on one machine for partition tests: a network namespace per cluster member,
// each with one veth link into a bridge of the root namespace (where the test runs). Member i
// gets 10.X.Y.(i+1), the test 10.X.Y.254. `cut` takes a member's link down on the bridge's side
// (it hears no one and no one hears it, as when its switch port dies); `heal` brings it back.
// Needs root and iproute2; everything is removed when the object goes.

#include "tests/support/process.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <unistd.h>
#include <vector>

namespace seatgrab::test {

class netns_cluster {
public:
  explicit netns_cluster(const std::vector<std::string>& names) {
    auto id = static_cast<unsigned>(::getpid()) % 100'000;
    tag_ = std::to_string(id);
    subnet_ = "10." + std::to_string(100 + id % 100) + "." + std::to_string(id / 100 % 250) + ".";
    bridge_ = "sgb" + tag_;
    run("ip link add " + bridge_ + " type bridge");
    run("ip addr add " + subnet_ + "254/24 dev " + bridge_);
    run("ip link set " + bridge_ + " up");
    for (size_t i = 0; i < names.size(); ++i) {
      const auto& n = names[i];
      auto ns = "sg" + tag_ + "-" + n;
      auto root_end = "sgr" + tag_ + std::to_string(i);
      auto ns_end = "sgn" + tag_ + std::to_string(i);
      auto ip = subnet_ + std::to_string(i + 1);
      run("ip netns add " + ns);
      namespaces_.push_back(ns);
      run("ip link add " + root_end + " type veth peer name " + ns_end);
      run("ip link set " + ns_end + " netns " + ns);
      run("ip link set " + root_end + " master " + bridge_);
      run("ip link set " + root_end + " up");
      run("ip netns exec " + ns + " ip addr add " + ip + "/24 dev " + ns_end);
      run("ip netns exec " + ns + " ip link set " + ns_end + " up");
      run("ip netns exec " + ns + " ip link set lo up");
      member_[n] = {ns, root_end, ip};
    }
  }

  ~netns_cluster() {
    // Deleting a namespace deletes its veth end, and with it the pair.
    for (const auto& ns : namespaces_)
      run_command("ip netns del " + ns + " 2>&1");
    run_command("ip link del " + bridge_ + " 2>&1");
  }

  netns_cluster(const netns_cluster&) = delete;
  netns_cluster& operator=(const netns_cluster&) = delete;

  /// Member `name`'s address.
  const std::string& ip(const std::string& name) const { return member_.at(name).ip; }

  /// The command prefix that runs a program in member `name`'s namespace.
  std::vector<std::string> exec_in(const std::string& name) const {
    return {"/usr/bin/ip", "netns", "exec", member_.at(name).ns};
  }

  /// Member `name` is cut off from everyone (the test included).
  void cut(const std::string& name) { run("ip link set " + member_.at(name).root_end + " down"); }

  /// Member `name` is connected again.
  void heal(const std::string& name) { run("ip link set " + member_.at(name).root_end + " up"); }

private:
  struct member {
    std::string ns, root_end, ip;
  };

  static void run(const std::string& command) {
    auto r = run_command(command + " 2>&1");
    REQUIRE_MESSAGE(r.first == 0, command << ": " << r.second);
  }

  std::string tag_, subnet_, bridge_;
  std::vector<std::string> namespaces_;
  std::map<std::string, member> member_;
};

} // namespace seatgrab::test
