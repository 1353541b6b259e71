// Valid MSRP wire vectors: RFC 4975 examples (byte-exact where the RFC is) and end-line framing stress.
#include "vectors.hpp"

namespace herald::msrp::test {

std::string crlf(std::initializer_list<std::string_view> lines) {
  std::string out;
  for (std::string_view l : lines) {
    out += l;
    out += "\r\n";
  }
  return out;
}

std::string rfc4975_s4_send_as_published() {
  return "MSRP a786hjs2 SEND\r\n"
         "To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
         "From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
         "Message-ID: 87652491\r\n"
         "Byte-Range: 1-25/25\r\n"
         "Content-Type: text/plain\r\n"
         "\r\n"
         "Hey Bob, are you there?\r\n"
         "-------a786hjs2$\r\n";
}

std::string rfc4975_s4_send_corrected() {
  std::string s = rfc4975_s4_send_as_published();
  s.replace(s.find("1-25/25"), 7, "1-23/23");
  return s;
}

std::string rfc4975_s4_response() {
  return "MSRP a786hjs2 200 OK\r\n"
         "To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
         "From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
         "-------a786hjs2$\r\n";
}

namespace {
std::vector<vector> build() {
  std::vector<vector> v;
  v.push_back({"rfc4975_s4_send_corrected", rfc4975_s4_send_corrected()});
  v.push_back({"rfc4975_s4_response", rfc4975_s4_response()});
  // RFC 4975 §5.1 chunking example: byte-exact except that the RFC elides To-Path/From-Path (mandatory,
  // §7.1.1), filled in here with the §10.1 session's paths.
  v.push_back({"chunk_first_more",
               crlf({"MSRP dkei38sd SEND", "To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp",
                     "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp", "Message-ID: 4564dpWd",
                     "Byte-Range: 1-*/8", "Content-Type: text/plain", "", "abcd", "-------dkei38sd+"})});
  v.push_back({"chunk_last_complete",
               crlf({"MSRP dkei38ia SEND", "To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp",
                     "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp", "Message-ID: 4564dpWd",
                     "Byte-Range: 5-8/8", "Content-Type: text/plain", "", "EFGH", "-------dkei38ia$"})});
  // RFC 4975 §10.2 REPORT (the success report for the 106-byte XHTML SEND), byte-exact.
  v.push_back({"report_200",
               crlf({"MSRP dkei38sd REPORT", "To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp",
                     "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp", "Message-ID: 12339sdqwer",
                     "Byte-Range: 1-106/106", "Status: 000 200 OK", "-------dkei38sd$"})});
  // RFC 4975 §10.1, Alice's first SEND. As published its Byte-Range is 1-16/16 over the 14-byte
  // "Hi, I'm Alice!" (the §4 error again: the CRLF before the end-line counted); corrected to 1-14/14.
  v.push_back(
      {"rfc4975_s10_1_send_corrected",
       crlf({"MSRP d93kswow SEND", "To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp",
             "From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp", "Message-ID: 12339sdqwer",
             "Byte-Range: 1-14/14", "Content-Type: text/plain", "", "Hi, I'm Alice!", "-------d93kswow$"})});
  v.push_back(
      {"bodiless_send_keepalive", crlf({"MSRP keep0001 SEND", "To-Path: msrp://b.example.com:2855/s2;tcp",
                                        "From-Path: msrp://a.example.com:2855/s1;tcp", "Message-ID: m0001",
                                        "Byte-Range: 1-0/0", "-------keep0001$"})});
  v.push_back({"aborted_chunk", crlf({"MSRP abrt1234 SEND", "To-Path: msrp://b.example.com:2855/s2;tcp",
                                      "From-Path: msrp://a.example.com:2855/s1;tcp", "Message-ID: m0002",
                                      "Byte-Range: 1-100/100", "Content-Type: text/plain", "",
                                      "only part of it", "-------abrt1234#"})});
  v.push_back({"relay_paths_and_report_headers",
               crlf({"MSRP rly.9=+%x SEND",
                     "To-Path: msrps://relay.example.net:2855/r1;tcp msrps://bob@[2001:db8::1]:9000/9di4;tcp",
                     "From-Path: msrps://alice@10.0.0.1:7777/iau39;tcp;a=b", "Message-ID: mid.relay",
                     "Success-Report: yes", "Failure-Report: partial", "Byte-Range: 1-5/5",
                     "Content-Type: text/plain; charset=utf-8", "", "hello", "-------rly.9=+%x$"})});
  v.push_back({"body_with_foreign_end_lines",
               crlf({"MSRP tidA1234 SEND", "To-Path: msrp://b.example.com:2855/s2;tcp",
                     "From-Path: msrp://a.example.com:2855/s1;tcp", "Message-ID: tidA1234",
                     "Content-Type: text/plain", "", "line1", "-------othertid$", "-------tidA1234x",
                     "-------tidA12$", "--------tidA1234", "-------tidA1234$ not at line end", "end",
                     "-------tidA1234$"})});
  v.push_back({"cpim_body_with_mime_headers",
               crlf({"MSRP cpim0001 SEND", "To-Path: msrp://b.example.com:2855/s2;tcp",
                     "From-Path: msrp://a.example.com:2855/s1;tcp", "Message-ID: cpim-msg-1",
                     "Content-ID: <part1@example.com>", "Content-Description: greeting",
                     "Content-Disposition: inline", "X-Extension: some value", "Content-Type: message/cpim",
                     "", "From: <sip:alice@example.com>", "To: <sip:bob@example.com>",
                     "DateTime: 2006-05-15T15:02:31-03:00", "", "Content-Type: text/plain", "", "Hello",
                     "-------cpim0001$"})});
  {
    std::string bin = crlf({"MSRP bin00001 SEND", "To-Path: msrp://b.example.com:2855/s2;tcp",
                            "From-Path: msrp://a.example.com:2855/s1;tcp", "Message-ID: bin00001",
                            "Content-Type: application/octet-stream", ""});
    for (int i = 0; i < 300; ++i) bin.push_back(static_cast<char>((i * 37) & 0xff));
    bin += std::string("\0\r\r\n\n-\r\n-------", 15);
    bin += "\r\n-------bin00001$\r\n";
    v.push_back({"binary_body", bin});
  }
  v.push_back({"empty_body", crlf({"MSRP empt0001 SEND", "To-Path: msrp://b.example.com:2855/s2;tcp",
                                   "From-Path: msrp://a.example.com:2855/s1;tcp", "Message-ID: empt0001",
                                   "Content-Type: text/plain", "", "", "-------empt0001$"})});
  v.push_back({"unknown_method", crlf({"MSRP nick0001 NICKNAME", "To-Path: msrp://b.example.com:2855/s2;tcp",
                                       "From-Path: msrp://a.example.com:2855/s1;tcp",
                                       "Use-Nickname: \"alice\"", "-------nick0001$"})});
  v.push_back(
      {"response_no_comment", crlf({"MSRP resp0001 481", "To-Path: msrp://a.example.com:2855/s1;tcp",
                                    "From-Path: msrp://b.example.com:2855/s2;tcp", "-------resp0001$"})});
  return v;
}
}  // namespace

const std::vector<vector>& valid_vectors() {
  static const std::vector<vector> v = build();
  return v;
}

}  // namespace herald::msrp::test
