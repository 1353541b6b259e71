// The engine on a caller-run shard (attach_caller_shard): binding and delivery without threads, as
// the fuzzer and the instruction-count harness drive it.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "herald/conference/engine.hpp"
#include "herald/core/clock.hpp"

namespace herald::conference {
namespace {

std::string pump(reactor::shard& s, int fd, std::string_view expect, int rounds = 200) {
  std::string got;
  for (int i = 0; i < rounds && got.find(expect) == std::string::npos; ++i) {
    s.run_once(1'000'000);
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

TEST(CallerShard, BindsASessionAndDeliversASystemMessage) {
  engine_config cfg;
  cfg.shards = 1;
  engine eng(cfg);
  reactor::shard_config sc;
  reactor::shard shard(sc);
  ASSERT_EQ(shard.init(), 0);
  eng.attach_caller_shard(shard);
  conference_info conf;
  ASSERT_EQ(eng.dir().create_conference("sip:c@example.com", "", conf), directory_error::ok);
  participant p;
  ASSERT_EQ(eng.dir().add_participant(conf.id, "sip:a@example.com", "", p), directory_error::ok);

  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  ASSERT_TRUE(shard.adopt(fds[0]).ok());
  std::string path = eng.session_path(p.session_id);
  std::string bind = "MSRP t1bind SEND\r\nTo-Path: " + path +
                     "\r\nFrom-Path: msrp://127.0.0.1:9/peer;tcp\r\nMessage-ID: m1bind\r\n-------t1bind$\r\n";
  ASSERT_EQ(::send(fds[1], bind.data(), bind.size(), 0), static_cast<ssize_t>(bind.size()));
  std::string reply = pump(shard, fds[1], "-------t1bind$\r\n");
  EXPECT_NE(reply.find("MSRP t1bind 200 OK"), std::string::npos) << reply;

  message_submission msg;
  msg.conference_id = conf.id;
  msg.content_type = "text/plain";
  msg.body = shared_buffer::copy_of("hello");
  submit_result r = eng.submit(std::move(msg));
  ASSERT_EQ(r.error, submit_error::ok);
  std::string frame = pump(shard, fds[1], "$\r\n");
  EXPECT_NE(frame.find("To: <sip:a@example.com>"), std::string::npos) << frame;
  EXPECT_NE(frame.find("hello"), std::string::npos) << frame;
  ::close(fds[1]);
  for (int i = 0; i < 20; ++i) shard.run_once(1'000'000);
}

}  // namespace
}  // namespace herald::conference
