#include "app/test_faults.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace seatgrab::app {

namespace {

/// Passes everything to `inner_` but the answer the fault is waiting for: instead of sending
/// it, the process dies as if by kill -9.
class kill_before_reply : public http::exchange {
public:
  kill_before_reply(std::shared_ptr<http::exchange> inner, std::string suffix)
      : inner_(std::move(inner)), suffix_(std::move(suffix)) {}

  const http::request& req() const override { return inner_->req(); }
  const std::string& remote() const override { return inner_->remote(); }

  void respond(http::response res) override {
    const auto& req = inner_->req();
    std::string_view target{req.target().data(), req.target().size()};
    auto status = res.result_int();
    if (req.method() == boost::beast::http::verb::post && target.ends_with(suffix_) &&
        status >= 200 && status < 300) {
      // Straight to the descriptor (no buffering to lose), then die without any cleanup.
      auto line =
          "test fault: kill before reply to POST " + std::string{target} + ": " + res.body() + "\n";
      for (size_t done = 0; done < line.size();) {
        auto n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
        if (n <= 0)
          break;
        done += static_cast<size_t>(n);
      }
      ::raise(SIGKILL);
    }
    inner_->respond(std::move(res));
  }

  std::shared_ptr<http::event_stream> open_stream(http::response head) override {
    return inner_->open_stream(std::move(head));
  }

private:
  std::shared_ptr<http::exchange> inner_;
  std::string suffix_;
};

} // namespace

http::handler with_test_faults(http::handler inner) {
  const char* suffix = std::getenv("SEATGRAB_TEST_KILL_BEFORE_REPLY");
  if (suffix == nullptr || *suffix == '\0')
    return inner;
  spdlog::warn("test fault armed: the node kills itself before replying 2xx to POST *{}", suffix);
  return [inner = std::move(inner), s = std::string{suffix}](std::shared_ptr<http::exchange> ex) {
    inner(std::make_shared<kill_before_reply>(std::move(ex), s));
  };
}

void apply_test_faults(cluster::node_options& opts) {
  const char* n = std::getenv("SEATGRAB_TEST_BOX_OFFICE_CRASH_AFTER_WRITES");
  if (n == nullptr || *n == '\0')
    return;
  opts.actors.box_office.crash_after_writes = static_cast<uint32_t>(std::strtoul(n, nullptr, 10));
  spdlog::warn("test fault armed: box offices stop after {} saga writes",
               opts.actors.box_office.crash_after_writes);
}

} // namespace seatgrab::app
