#pragma once

// A `seatgrab serve` child on an ephemeral port, for tests that talk to a real node process
// (kill -9 crash tests, scenarios over HTTP). Stopped with SIGTERM when it goes out of scope.

#include "tests/support/process.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace seatgrab::test {

struct server_process {
  child proc;
  uint16_t port = 0;

  /// Starts `binary serve` on `dir`, without rate limits unless `extra` sets them; with
  /// `--admin-token admin_token` unless it is empty.
  server_process(const std::string& binary, const std::filesystem::path& dir,
                 const std::string& admin_token, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"serve",       "--data-dir",    dir.string(), "--listen",
                                  "127.0.0.1:0", "--scrypt-cost", "10"};
    if (!admin_token.empty())
      args.insert(args.end(), {"--admin-token", admin_token});
    if (std::find(extra.begin(), extra.end(), "--rate-limit") == extra.end())
      extra.insert(extra.end(), {"--rate-limit", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    proc = spawn_reading_stdout(binary, args);
    REQUIRE(proc.pid > 0);
    // The log line "listening on http://127.0.0.1:PORT" tells the port.
    std::string out;
    char buf[512];
    while (out.find("listening on http://") == std::string::npos) {
      auto n = read(proc.out, buf, sizeof(buf));
      REQUIRE_MESSAGE(n > 0, out);
      out.append(buf, static_cast<size_t>(n));
    }
    auto at = out.find("listening on http://127.0.0.1:") + 30;
    port = static_cast<uint16_t>(std::stoi(out.substr(at)));
    // Keep draining the pipe so the child never blocks on a full one.
    std::thread{[fd = proc.out] {
      char sink[512];
      while (read(fd, sink, sizeof(sink)) > 0) {
      }
      close(fd);
    }}.detach();
  }

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  void kill9() {
    ::kill(proc.pid, SIGKILL);
    int status = 0;
    waitpid(proc.pid, &status, 0);
    proc.pid = -1;
  }

  ~server_process() {
    if (proc.pid > 0) {
      ::kill(proc.pid, SIGTERM);
      int status = 0;
      waitpid(proc.pid, &status, 0);
    }
  }
};

} // namespace seatgrab::test
