// Message/CPIM vectors (the RFC 3862 example byte-exact, and RCS-style messages) and cpim test helpers.
#pragma once

#include <cstring>
#include <memory>
#include <string_view>

namespace herald::cpim::test {

using namespace std::string_view_literals;

// Not an RFC example (RFC 3862 has one complete example, kRfcFeatures): a minimal message built from
// that example's header values, with a text/plain body.
inline constexpr std::string_view kRfcSimple =
    "From: MR SANDERS <im:piglet@100akerwood.com>\r\n"
    "To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n"
    "DateTime: 2000-12-13T13:40:00-08:00\r\n"
    "Subject: the weather will be fine today\r\n"
    "\r\n"
    "Content-type: text/plain\r\n"
    "Content-ID: <1234567890@foo.com>\r\n"
    "\r\n"
    "Here is the text of my message."sv;

// RFC 3862 §5 example, byte-exact: the RFC's "h:"/"e:" line prefixes removed and every line CRLF-terminated
// (its outer "Content-type: Message/CPIM" line is the MSRP Content-Type, not part of the body).
inline constexpr std::string_view kRfcFeatures =
    "From: MR SANDERS <im:piglet@100akerwood.com>\r\n"
    "To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n"
    "DateTime: 2000-12-13T13:40:00-08:00\r\n"
    "Subject: the weather will be fine today\r\n"
    "Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n"
    "NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n"
    "Require: MyFeatures.VitalMessageOption\r\n"
    "MyFeatures.VitalMessageOption: Confirmation-requested\r\n"
    "MyFeatures.WackyMessageOption: Use-silly-font\r\n"
    "\r\n"
    "Content-type: text/xml; charset=utf-8\r\n"
    "Content-ID: <1234567890@foo.com>\r\n"
    "\r\n"
    "<body>\r\n"
    "Here is the text of my message.\r\n"
    "</body>\r\n"sv;

// An RCS-style message with quoted display names, imdn namespace and an explicit Content-Length.
inline constexpr std::string_view kImdn =
    "From: \"Alice \\\"A\\\" Smith\" <sip:alice@example.com>\r\n"
    "To: <sip:conf-1@example.com>\r\n"
    "cc: Bob <sip:bob@example.com>\r\n"
    "NS: imdn <urn:ietf:params:imdn>\r\n"
    "imdn.Message-ID: 34jk324j\r\n"
    "DateTime: 2006-04-04T12:16:49-05:00\r\n"
    "imdn.Disposition-Notification: positive-delivery, display\r\n"
    "\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 12\r\n"
    "\r\n"
    "Hello\0World!"sv;

// A heap copy of exactly n bytes so ASan reports any read past the end of the view.
struct exact_copy {
  explicit exact_copy(std::string_view s) : bytes(new char[s.size() ? s.size() : 1]), size(s.size()) {
    if (size) std::memcpy(bytes.get(), s.data(), size);
  }
  std::string_view view() const { return {bytes.get(), size}; }
  std::unique_ptr<char[]> bytes;
  std::size_t size;
};

}  // namespace herald::cpim::test
