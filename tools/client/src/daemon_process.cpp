// Starting and stopping heraldd for end-to-end tests.
#include "herald/client/daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "herald/client/msrp_peer.hpp"

#ifndef HERALD_HERALDD_PATH
#define HERALD_HERALDD_PATH "heraldd"
#endif

namespace herald::client {

std::string heraldd_path() {
  if (const char* p = std::getenv("HERALDD")) return p;
  return HERALD_HERALDD_PATH;
}

bool daemon_process::start(const std::vector<std::string>& extra_args, int timeout_ms) {
  char tmpl[] = "/tmp/herald-XXXXXX";
  if (!mkdtemp(tmpl)) return false;
  dir_ = tmpl;
  std::string ready = dir_ + "/ready";
  std::string logfile = dir_ + "/heraldd.log";
  std::vector<std::string> args = {heraldd_path(), "--msrp",       "127.0.0.1:0", "--control",
                                   "127.0.0.1:0",  "--ready-file", ready};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    int fd = ::open(logfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDERR_FILENO);
      dup2(fd, STDOUT_FILENO);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  while (now_ms() < deadline) {
    std::ifstream in(ready);
    std::string line;
    if (std::getline(in, line) && line.find("control=") != std::string::npos) {
      unsigned m = 0, c = 0, t = 0;
      if (std::sscanf(line.c_str(), "msrp=%u control=%u msrps=%u", &m, &c, &t) >= 2) {
        msrp_port_ = static_cast<std::uint16_t>(m);
        control_port_ = static_cast<std::uint16_t>(c);
        msrps_port_ = static_cast<std::uint16_t>(t);
        return true;
      }
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    usleep(10000);
  }
  return false;
}

int daemon_process::stop(int timeout_ms) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  int status = 0;
  while (now_ms() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    usleep(10000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

daemon_process::~daemon_process() {
  if (pid_ > 0) stop();
}

std::string daemon_process::log() const {
  std::ifstream in(dir_ + "/heraldd.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long daemon_process::rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

}  // namespace herald::client
