#include "tests/support/process.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <sys/wait.h>
#include <system_error>
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

child spawn_reading_stdout(const std::string& program, const std::vector<std::string>& args,
                           const std::vector<std::string>& env) {
  // Everything the child needs is built before fork: between fork and exec only
  // async-signal-safe calls are allowed in a multi-threaded parent.
  std::vector<char*> envp;
  // A variable of `env` replaces the inherited one of that name (getenv takes the first).
  auto overridden = [&env](std::string_view inherited) {
    auto name = inherited.substr(0, inherited.find('=') + 1);
    return std::any_of(env.begin(), env.end(), [&](const std::string& e) {
      return !name.empty() && std::string_view{e}.starts_with(name);
    });
  };
  for (char** e = environ; *e != nullptr; ++e)
    if (!overridden(*e))
      envp.push_back(*e);
  for (const auto& e : env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
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
    execve(program.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

temp_dir::temp_dir(const std::string& prefix) {
  auto pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::system_error{errno, std::generic_category(), "mkdtemp " + pattern};
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored; // a destructor must not throw; a leftover dir is only untidy
  std::filesystem::remove_all(path_, ignored);
}

} // namespace seatgrab::test
