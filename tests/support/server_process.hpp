#pragma once

// A `seatgrab serve` child on an ephemeral port, for tests that talk to a real node process
// (kill -9 crash tests, scenarios over HTTP). Stopped with SIGTERM when it goes out of scope.

#include "tests/support/process.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace seatgrab::test {

struct server_process {
  child proc;
  uint16_t port = 0;
  std::string host = "127.0.0.1"; ///< the HTTP address it listens on

  /// Starts `binary serve` on `dir`, without rate limits unless `extra` sets them; with
  /// `--admin-token admin_token` unless it is empty; `env` ("NAME=value") is added to its
  /// environment (e.g. a test fault of app/test_faults.hpp). `wrap` runs it through another
  /// command (e.g. `ip netns exec NS`), which must exec it (the pid stays the node's); a
  /// `--listen` in `extra` replaces the ephemeral loopback port.
  server_process(const std::string& binary, const std::filesystem::path& dir,
                 const std::string& admin_token, std::vector<std::string> extra = {},
                 const std::vector<std::string>& env = {},
                 const std::vector<std::string>& wrap = {}) {
    std::vector<std::string> args{"serve", "--data-dir", dir.string(), "--scrypt-cost", "10"};
    if (std::find(extra.begin(), extra.end(), "--listen") == extra.end())
      args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    if (!admin_token.empty())
      args.insert(args.end(), {"--admin-token", admin_token});
    if (std::find(extra.begin(), extra.end(), "--rate-limit") == extra.end())
      extra.insert(extra.end(), {"--rate-limit", "0"});
    // The tests' clients are scripts: the bot guard counts them, but lets them through unless
    // a test asks for it; nor do they solve proofs of work unless asked.
    if (std::find(extra.begin(), extra.end(), "--bot-guard") == extra.end())
      extra.insert(extra.end(), {"--bot-guard", "shadow"});
    if (std::find(extra.begin(), extra.end(), "--pow-difficulty") == extra.end())
      extra.insert(extra.end(), {"--pow-difficulty", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    if (wrap.empty()) {
      proc = spawn_reading_stdout(binary, args, env);
    } else {
      std::vector<std::string> wrapped{wrap.begin() + 1, wrap.end()};
      wrapped.push_back(binary);
      wrapped.insert(wrapped.end(), args.begin(), args.end());
      proc = spawn_reading_stdout(wrap.front(), wrapped, env);
    }
    REQUIRE(proc.pid > 0);
    // The log line "listening on http://HOST:PORT" (https:// with TLS) tells the address.
    std::string out;
    char buf[512];
    auto line = [&out] { return out.find("listening on http"); };
    while (line() == std::string::npos || out.find('\n', line()) == std::string::npos) {
      auto n = read(proc.out, buf, sizeof(buf));
      REQUIRE_MESSAGE(n > 0, out);
      out.append(buf, static_cast<size_t>(n));
    }
    auto from = out.find("://", line()) + 3;
    auto colon = out.find(':', from);
    host = out.substr(from, colon - from);
    port = static_cast<uint16_t>(std::stoi(out.substr(colon + 1)));
    log_->append(out);
    // Keep draining the pipe so the child never blocks on a full one; keep the tail.
    std::thread{[fd = proc.out, log = log_] {
      char sink[512];
      ssize_t n = 0;
      while ((n = read(fd, sink, sizeof(sink))) > 0)
        log->append(std::string{sink, static_cast<size_t>(n)});
      close(fd);
      log->close();
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

  /// Waits for the child to end by itself (e.g. a test fault killed it); returns the wait
  /// status.
  int wait() {
    int status = 0;
    waitpid(proc.pid, &status, 0);
    proc.pid = -1;
    return status;
  }

  /// The child's standard output so far (its last 1 MiB). After the child ended, call
  /// `output_closed` first to have all of it.
  std::string output() const { return log_->text(); }

  /// Waits (at most 10 s) until the child's standard output is closed, i.e. fully read.
  void output_closed() const { log_->wait_closed(); }

  ~server_process() {
    if (proc.pid > 0) {
      ::kill(proc.pid, SIGTERM);
      int status = 0;
      waitpid(proc.pid, &status, 0);
    }
  }

private:
  /// The output, shared with the draining thread (which may outlive this object).
  struct output_log {
    std::mutex mtx;
    std::condition_variable cv;
    std::string text_;
    bool closed = false;

    void append(const std::string& s) {
      std::lock_guard lock{mtx};
      text_ += s;
      if (text_.size() > (1u << 20))
        text_.erase(0, text_.size() - (1u << 20));
    }
    void close() {
      std::lock_guard lock{mtx};
      closed = true;
      cv.notify_all();
    }
    std::string text() {
      std::lock_guard lock{mtx};
      return text_;
    }
    void wait_closed() {
      std::unique_lock lock{mtx};
      cv.wait_for(lock, std::chrono::seconds{10}, [this] { return closed; });
    }
  };
  std::shared_ptr<output_log> log_ = std::make_shared<output_log>();
};

} // namespace seatgrab::test
