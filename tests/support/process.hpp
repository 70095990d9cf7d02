#pragma once

// Child processes for tests: run a command and read its output, or start a program whose
// standard output the test reads (crash tests kill those with SIGKILL).

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

/// Starts `program` with `args`; its standard output goes to `child::out`. Returns pid -1 if
/// the process could not be started.
child spawn_reading_stdout(const std::string& program, const std::vector<std::string>& args);

} // namespace seatgrab::test
