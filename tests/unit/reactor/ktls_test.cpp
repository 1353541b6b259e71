// kTLS transmit: where the kernel takes TLS_TX, a TLS 1.3 AES-GCM connection's records are sealed by the
// kernel after the handshake, and the client reads every frame. Skipped (77) where the kernel has no TLS
// (setsockopt TCP_ULP "tls" fails), as on the CI machine; tools/run allows this skip by name only.
#include <cstdio>
#include <cstring>

#include "tls_support.hpp"

namespace herald::reactor {
namespace {
using namespace testing;

TEST(Ktls, FramesAreSealedByTheKernelAndReadByOpenSsl) {
  const int self_test = tls::ktls_self_test(*load(false));
  if (self_test == -ENOENT || self_test == -ENOPROTOOPT || self_test == -EOPNOTSUPP) {
    std::printf("skipped: this kernel has no TLS offload (TCP_ULP \"tls\": %s)\n", std::strerror(-self_test));
    std::exit(77);
  }
  ASSERT_EQ(self_test, 0) << std::strerror(-self_test);
  recording_handler h;
  shard s{shard_config{}, &h};
  ASSERT_EQ(s.init(), 0);
  auto endpoint = std::make_shared<tls_endpoint>();
  endpoint->contexts = std::make_shared<tls::context_source>(load(false));
  endpoint->ktls_tx = true;
  const int port = s.listen("127.0.0.1", 0, 16, endpoint);
  ASSERT_GT(port, 0);
  tls_client c(*load(true), std::uint16_t(port));
  auto step = [&](const std::function<bool()>& pred) {
    return pump(s, [&] {
      c.step();
      return pred();
    });
  };
  ASSERT_TRUE(step([&] { return !h.opened.empty(); }));
  std::string expected;
  std::vector<shared_buffer> bodies;
  for (std::uint64_t i = 0; i < 500; ++i) {
    bodies.push_back(shared_buffer::copy_of(pattern(1 + (i * 977) % 30000, std::uint32_t(i))));
    expected += bodies.back().view();
    ASSERT_EQ(s.send(h.opened[0], frame_of(bodies.back(), i + 1)), send_error::ok);
  }
  ASSERT_TRUE(step([&] { return c.plain.size() >= expected.size(); }));
  EXPECT_TRUE(c.plain == expected);
  ASSERT_TRUE(pump(s, [&] { return h.written.size() == 500; }));
  EXPECT_EQ(s.stats().tls_ktls, 1u);
  EXPECT_EQ(s.stats().tls_plaintext_bytes, 0u);  // nothing went through the user-space sealer
}

}  // namespace
}  // namespace herald::reactor
