#pragma once

#include "persistence/durability.hpp"

#include <filesystem>
#include <string>

namespace seatgrab::app {

struct serve_options {
  std::filesystem::path data_dir = "./data";
  std::string listen = "127.0.0.1:8080";
  std::string admin_token;
  bool demo = false;
  persistence::durability durability = persistence::durability::fsync;
};

/// Runs a node until SIGINT/SIGTERM. Returns the process exit code.
int serve(const serve_options& opts);

} // namespace seatgrab::app
