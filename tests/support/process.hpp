#pragma once

// Child processes for tests: run a command and read its output, or start a program whose
// standard output the test reads (crash tests kill those with SIGKILL).

#include <filesystem>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace seatgrab::test {

/// Runs `command` through the shell; returns its exit code (-1 if killed) and its standard
/// output and error, merged.
std::pair<int, std::string> run_command(const std::string& command);

struct child {
  pid_t pid = -1;
  int out = -1; ///< read end of a pipe on the child's standard output
};

/// Starts `program` with `args`; its standard output goes to `child::out`. `env` entries
/// ("NAME=value") are added to the environment it inherits. Returns pid -1 if the process
/// could not be started.
child spawn_reading_stdout(const std::string& program, const std::vector<std::string>& args,
                           const std::vector<std::string>& env = {});

/// A fresh directory only this run uses (mkdtemp under the system's temp dir, mode 0700),
/// removed with everything in it when the object goes. Tests that need a data dir use this,
/// never a fixed /tmp path that parallel or earlier runs share.
class temp_dir {
public:
  /// Makes "<tmp>/<prefix>XXXXXX"; throws std::runtime_error if it cannot.
  explicit temp_dir(const std::string& prefix);
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The directory.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// `path() / name`.
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

private:
  std::filesystem::path path_;
};

} // namespace seatgrab::test
