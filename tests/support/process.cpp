#include "tests/support/process.hpp"

#include <array>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

namespace seatgrab::test {

std::pair<int, std::string> run_command(const std::string& command) {
  auto cmd = command + " 2>&1";
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr)
    return {-1, "popen failed"};
  std::array<char, 512> buf;
  while (auto n = fread(buf.data(), 1, buf.size(), pipe))
    out.append(buf.data(), n);
  auto status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

child spawn_reading_stdout(const std::string& program, const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0)
    return {};
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return {};
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

} // namespace seatgrab::test
