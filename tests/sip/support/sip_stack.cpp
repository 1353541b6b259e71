// Starting and stopping heraldd, Kamailio and SIPp for the `sip` tests.
#include "sip_stack.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#ifndef HERALD_DEPLOY_DIR
#error "HERALD_DEPLOY_DIR must name the source tree's deploy/kamailio"
#endif

namespace herald::sip_test {

std::string find_program(std::string_view name, const char* override_env) {
  if (const char* p = std::getenv(override_env); p && *p) return ::access(p, X_OK) == 0 ? p : std::string();
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/sbin:/usr/bin:/sbin:/bin";
  std::stringstream ss(dirs);
  for (std::string dir; std::getline(ss, dir, ':');) {
    if (dir.empty()) continue;
    const std::string path = dir + "/" + std::string(name);
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

namespace {

int bound_socket(int type, std::uint16_t port, std::uint16_t& actual) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return -1;
  }
  actual = ntohs(a.sin_port);
  return fd;
}

std::string make_temp_dir(const char* what) {
  std::string tmpl = std::string("/tmp/herald-") + what + "-XXXXXX";
  return ::mkdtemp(tmpl.data()) ? tmpl : std::string();
}

}  // namespace

std::uint16_t free_sip_port() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::uint16_t port = 0, same = 0;
    int tcp = bound_socket(SOCK_STREAM, 0, port);
    if (tcp < 0) continue;
    int udp = bound_socket(SOCK_DGRAM, port, same);
    ::close(tcp);
    if (udp >= 0) {
      ::close(udp);
      return port;
    }
  }
  return 0;
}

std::string deploy_dir() {
  return HERALD_DEPLOY_DIR;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- child_process ----

bool child_process::spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    ::setpgid(0, 0);  // Kamailio forks workers: the whole group is stopped together
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::setpgid(pid_, pid_);  // also from here, so a stop right after spawn finds the group
  status_ = -1;
  return true;
}

int child_process::wait(int timeout_ms) {
  if (pid_ <= 0) return status_;
  const std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  do {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      ::kill(-pid_, SIGKILL);  // workers left behind by a main process that died
      pid_ = -1;
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return status_;
    }
    ::usleep(10000);
  } while (now_ms() < deadline);
  return -1;
}

bool child_process::running() {
  return pid_ > 0 && wait(0) == -1;
}

int child_process::stop(int timeout_ms) {
  if (pid_ <= 0) return status_;
  ::kill(-pid_, SIGTERM);
  if (int s = wait(timeout_ms); s != -1) return s;
  ::kill(-pid_, SIGKILL);
  return wait(5000);
}

child_process::~child_process() {
  stop(5000);
}

// ---- kamailio_process ----

bool kamailio_process::start(std::uint16_t sip_port, std::uint16_t herald_control_port,
                             const std::vector<std::string>& flags, int timeout_ms) {
  const std::string kamailio = find_program("kamailio", "HERALD_KAMAILIO");
  const std::string bash = find_program("bash", "HERALD_BASH");
  dir_ = make_temp_dir("kamailio");
  if (kamailio.empty() || bash.empty() || dir_.empty()) return false;
  port_ = sip_port;
  ::setenv("KAMAILIO", kamailio.c_str(), 1);
  // The README's command: deploy/kamailio/start.sh, which execs Kamailio in the foreground.
  std::vector<std::string> argv = {bash,    deploy_dir() + "/start.sh",
                                   "--api", "http://127.0.0.1:" + std::to_string(herald_control_port),
                                   "--sip", "127.0.0.1:" + std::to_string(sip_port)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  if (!proc_.spawn(argv, dir_ + "/kamailio.log")) return false;
  const std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  while (now_ms() < deadline) {
    if (log().find("KAMAILIO-READY") != std::string::npos) return true;
    if (!proc_.running()) return false;
    ::usleep(20000);
  }
  return false;
}

int kamailio_process::stop() {
  return proc_.stop();
}

// ---- sipp_process ----

bool sipp_process::start(std::uint16_t sip_port, std::string_view scenario,
                         const std::vector<std::string>& rows, const std::vector<std::string>& extra_args) {
  const std::string sipp = find_program("sipp", "HERALD_SIPP");
  dir_ = make_temp_dir("sipp");
  local_port_ = free_sip_port();
  if (sipp.empty() || dir_.empty() || local_port_ == 0) return false;
  {
    std::ofstream csv(dir_ + "/calls.csv");
    csv << "SEQUENTIAL\n";
    for (const std::string& r : rows) csv << r << "\n";
  }
  std::vector<std::string> argv = {sipp,
                                   "127.0.0.1:" + std::to_string(sip_port),
                                   "-sf",
                                   deploy_dir() + "/sipp/" + std::string(scenario) + ".xml",
                                   "-inf",
                                   dir_ + "/calls.csv",
                                   "-i",
                                   "127.0.0.1",
                                   "-p",
                                   std::to_string(local_port_),
                                   "-t",
                                   "u1",
                                   "-nostdin",
                                   "-trace_logs",
                                   "-log_file",
                                   dir_ + "/log",
                                   "-trace_err",
                                   "-error_file",
                                   dir_ + "/errors",
                                   "-trace_msg",
                                   "-message_file",
                                   dir_ + "/messages",
                                   "-timeout",
                                   "60s",
                                   "-timeout_error"};
  bool has_max_calls = false;
  for (const std::string& a : extra_args) has_max_calls = has_max_calls || a == "-m";
  if (!has_max_calls) argv.insert(argv.end(), {"-m", "1"});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return proc_.spawn(argv, dir_ + "/console");
}

std::string sipp_process::report() const {
  auto tail = [](std::string s) { return s.size() > 6000 ? "..." + s.substr(s.size() - 6000) : s; };
  return "--- sipp <log> lines\n" + tail(log()) + "\n--- sipp errors\n" + tail(read_file(dir_ + "/errors")) +
         "\n--- sipp messages\n" + tail(read_file(dir_ + "/messages")) + "\n--- sipp console\n" +
         tail(read_file(dir_ + "/console"));
}

bool sipp_process::wait_log(std::string_view needle, std::size_t count, int timeout_ms) {
  const std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  for (;;) {
    const std::string l = log();
    std::size_t seen = 0;
    for (std::size_t at = l.find(needle); at != std::string::npos; at = l.find(needle, at + needle.size()))
      ++seen;
    if (seen >= count) return true;
    if (now_ms() >= deadline || !proc_.running()) return false;
    ::usleep(20000);
  }
}

std::string sipp_process::log_value(std::string_view line_marker, std::string_view key) const {
  const std::string l = log();
  const std::size_t line = l.find(line_marker);
  if (line == std::string::npos) return {};
  const std::size_t end = l.find('\n', line);
  const std::string_view text = std::string_view(l).substr(line, end - line);
  const std::string k = " " + std::string(key) + "=";
  const std::size_t at = text.find(k);
  if (at == std::string_view::npos) return {};
  const std::string_view rest = text.substr(at + k.size());
  return std::string(rest.substr(0, rest.find(' ')));
}

// ---- sip_stack ----

bool sip_stack::start(std::string& why, const std::vector<std::string>& kamailio_flags) {
  if (find_program("kamailio", "HERALD_KAMAILIO").empty()) {
    why =
        "kamailio is not installed (apt-get install kamailio kamailio-utils-modules kamailio-extra-modules)";
    return false;
  }
  if (find_program("sipp", "HERALD_SIPP").empty()) {
    why = "sipp is not installed (apt-get install sip-tester)";
    return false;
  }
  sip_port = free_sip_port();
  if (sip_port == 0) {
    why = "no free port for SIP";
    return false;
  }
  if (!herald.start(
          {"--shards", "2", "--sip-rpc", "http://127.0.0.1:" + std::to_string(sip_port) + "/RPC"})) {
    why = "heraldd did not start:\n" + herald.log();
    return false;
  }
  http_reply c = api("POST", "/v1/conferences", R"({"uri":"sip:team@example.com","display_name":"Team"})");
  if (c.status != 201) {
    why = "creating the conference: " + std::to_string(c.status) + " " + c.body;
    return false;
  }
  conference_id = json_field(c.body, "id");
  if (!kamailio.start(sip_port, herald.control_port(), kamailio_flags)) {
    why = "kamailio did not start:\n" + kamailio.log();
    return false;
  }
  return true;
}

void sip_stack::stop() {
  kamailio.stop();
  herald.stop();
}

http_reply sip_stack::api(std::string_view method, const std::string& target, std::string_view body) const {
  return http_request(herald.control_port(), method, target, body);
}

std::string sip_stack::participant_with_path(const std::string& path) const {
  const std::string list = api("GET", "/v1/conferences/" + conference_id + "/participants?limit=1000").body;
  const std::size_t at = list.find("\"path\":\"" + path + "\"");
  if (at == std::string::npos) return {};
  const std::size_t begin = list.rfind("{\"id\":", at);
  const std::size_t end = list.find('}', at);
  if (begin == std::string::npos || end == std::string::npos) return {};
  return list.substr(begin, end + 1 - begin);
}

std::int64_t sip_stack::participant_count() const {
  return json_int(api("GET", "/v1/conferences/" + conference_id).body, "participant_count");
}

std::string sip_stack::logs() const {
  auto tail = [](std::string s) { return s.size() > 8000 ? "..." + s.substr(s.size() - 8000) : s; };
  return "--- heraldd\n" + tail(herald.log()) + "\n--- kamailio\n" + tail(kamailio.log());
}

}  // namespace herald::sip_test
