// What the msrps end-to-end tests share: certificates made at run time, heraldd flags for them, client
// contexts, and reading a counter out of /metrics.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "herald/client/http_client.hpp"
#include "herald/client/test_pki.hpp"
#include "herald/tls/context.hpp"

namespace herald::e2e {

inline std::string make_temp_dir() {
  char tmpl[] = "/tmp/herald-msrps-XXXXXX";
  const char* d = mkdtemp(tmpl);
  return d ? d : "";
}

inline client::test_pki make_pki(const std::string& dir) {
  client::test_pki pki;
  std::string error;
  EXPECT_TRUE(client::make_test_pki(dir, pki, error)) << error;
  return pki;
}

inline std::vector<std::string> msrps_args(const client::test_pki& pki, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--shards",      "2",         "--msrps",     "127.0.0.1:0", "--tls-cert",
                                   pki.server_cert, "--tls-key", pki.server_key};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

inline std::shared_ptr<tls::context> client_ctx(const std::string& ca, const std::string& cert = "",
                                                const std::string& key = "") {
  auto ctx = client::client_context(ca, cert, key);
  EXPECT_TRUE(ctx);
  return ctx;
}

// The sum over shards of a /metrics counter whose labels contain `labels` (e.g. reason="not_tls").
inline std::int64_t metric_sum(std::uint16_t control_port, const std::string& name,
                               const std::string& labels = "") {
  const std::string text = client::http_request(control_port, "GET", "/metrics").body;
  std::int64_t sum = 0;
  std::size_t at = 0;
  while ((at = text.find("\n" + name + "{", at)) != std::string::npos) {
    const std::size_t end = text.find('\n', at + 1);
    const std::string line = text.substr(at + 1, end - at - 1);
    at = end;
    if (!labels.empty() && line.find(labels) == std::string::npos) continue;
    sum += std::stoll(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

}  // namespace herald::e2e
