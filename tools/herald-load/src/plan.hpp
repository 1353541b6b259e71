// The load schedule as a pure function of the message sequence number, so the driver and every worker
// process agree on what message n is, when it was due, who sent it and what its body must hash to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace herald::load {

enum class scenario : std::uint8_t { system, external, chat, mixed };
enum class message_kind : std::uint8_t { system, external, chat };

inline const char* to_string(message_kind k) {
  return k == message_kind::system ? "system" : k == message_kind::external ? "external" : "chat";
}

inline constexpr std::string_view conference_uri = "sip:load@example.com";
inline constexpr std::string_view external_url_prefix = "https://cdn.example.com/load/";
inline constexpr std::string_view external_content_type = "application/octet-stream";
// Our end of every session: the participant index is the session id, so a delivery's To-Path names
// its recipient without a lookup.
inline constexpr std::string_view own_path_prefix = "msrp://127.0.0.1:9/p";

// 64-bit FNV-1a: enough to catch a corrupted or swapped body, cheap at 300 bytes.
inline std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

inline std::size_t format_address(char* out, std::size_t cap, std::uint64_t participant) {
  int n = std::snprintf(out, cap, "sip:load%llu@example.com", static_cast<unsigned long long>(participant));
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}
inline std::string address_of(std::uint64_t participant) {
  char buf[64];
  return std::string(buf, format_address(buf, sizeof buf, participant));
}
inline std::string own_path(std::uint64_t participant) {
  return std::string(own_path_prefix) + std::to_string(participant) + ";tcp";
}

struct plan {
  scenario sc = scenario::system;
  double rate = 200;               // messages per second, all kinds together
  std::uint64_t count = 0;         // messages scheduled
  std::size_t size = 300;          // body bytes (system, chat); the announced size for external
  std::uint64_t participants = 0;  // registered before the run: indices 0..participants-1
  std::uint64_t chat_senders = 1;
  double churn = 0;         // per second: one participant leaves and a new one joins
  std::uint64_t joins = 0;  // joiners take indices participants..participants+joins-1

  // Every participant index the run may use (addresses are never reused after a removal).
  std::uint64_t capacity() const { return participants + joins; }
  // Churn step k (one leave, one join) is due at t0 + churn_offset_ns(k), open loop like messages.
  std::uint64_t churn_offset_ns(std::uint64_t k) const {
    return static_cast<std::uint64_t>((static_cast<double>(k) + 0.5) * 1e9 / churn);
  }

  message_kind kind_of(std::uint64_t seq) const {
    switch (sc) {
      case scenario::system:
        return message_kind::system;
      case scenario::external:
        return message_kind::external;
      case scenario::chat:
        return message_kind::chat;
      case scenario::mixed:
        break;
    }
    static constexpr message_kind cycle[3] = {message_kind::system, message_kind::chat,
                                              message_kind::external};
    return cycle[seq % 3];
  }
  // Open loop: message seq is due at t0 + offset_ns(seq) whatever happened to the ones before it.
  std::uint64_t offset_ns(std::uint64_t seq) const {
    return static_cast<std::uint64_t>(static_cast<double>(seq) * 1e9 / rate);
  }
  // Chat messages rotate over participants 0..chat_senders-1.
  std::uint64_t sender_of(std::uint64_t seq) const {
    std::uint64_t ordinal = sc == scenario::mixed ? seq / 3 : seq;
    return ordinal % chat_senders;
  }
  std::uint64_t recipients_of(std::uint64_t seq) const {
    return kind_of(seq) == message_kind::chat ? participants - 1 : participants;
  }
  // "seq=<n>;" then printable filler derived from n, padded to size bytes.
  std::string body(std::uint64_t seq) const {
    std::string b = "seq=" + std::to_string(seq) + ";";
    std::uint64_t x = seq * 0x9e3779b97f4a7c15ULL + 1;
    while (b.size() < size) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b += static_cast<char>('a' + x % 26);
    }
    return b;
  }
  std::string external_url(std::uint64_t seq) const {
    return std::string(external_url_prefix) + std::to_string(seq);
  }
};

// Parses the decimal number at the start of s; false if there is none.
inline bool leading_number(std::string_view s, std::uint64_t& out) {
  std::size_t i = 0;
  out = 0;
  while (i < s.size() && i < 19 && s[i] >= '0' && s[i] <= '9')
    out = out * 10 + static_cast<std::uint64_t>(s[i++] - '0');
  return i > 0;
}

// The inverse of format_address: "sip:load<i>@example.com" -> i; false for any other address.
inline bool participant_of(std::string_view address, std::uint64_t& out) {
  constexpr std::string_view prefix = "sip:load", suffix = "@example.com";
  if (address.size() <= prefix.size() + suffix.size() || address.substr(0, prefix.size()) != prefix ||
      address.substr(address.size() - suffix.size()) != suffix)
    return false;
  std::string_view digits = address.substr(prefix.size(), address.size() - prefix.size() - suffix.size());
  return digits.size() <= 19 && digits.find_first_not_of("0123456789") == std::string_view::npos &&
         leading_number(digits, out);
}

}  // namespace herald::load
