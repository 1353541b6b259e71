// Delivery-naming transaction ids.
#include "herald/conference/transaction_id.hpp"

namespace herald::conference {

namespace {
constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Width as a template argument: the loop unrolls into multiply-shift divisions by the constant 62.
template <int Width>
void put(char* out, std::uint32_t value) {
  for (int i = Width - 1; i >= 0; --i) {
    out[i] = kDigits[value % 62];
    value /= 62;
  }
}

// Every 200 response decodes one tid: a table instead of three range tests per character.
struct digit_table {
  signed char value[256];
  constexpr digit_table() : value{} {
    for (int c = 0; c < 256; ++c) value[c] = -1;
    for (int d = 0; d < 62; ++d) value[static_cast<unsigned char>(kDigits[d])] = static_cast<signed char>(d);
  }
};
constexpr digit_table kDigitValue;

int digit(char c) {
  return kDigitValue.value[static_cast<unsigned char>(c)];
}

bool get(std::string_view s, std::uint32_t& value) {
  value = 0;
  for (char c : s) {
    int d = digit(c);
    if (d < 0) return false;
    value = value * 62 + static_cast<std::uint32_t>(d);
  }
  return true;
}
}  // namespace

void encode_delivery_tid(const delivery_key& key, fast_rng& rng, char out[delivery_tid_chars]) {
  put<3>(out, key.outbound);
  put<1>(out + 3, key.generation % 62);
  put<5>(out + 4, key.target);
  out[9] = key.last_chunk ? 'L' : 'M';
  rng.alnum(out + 10, delivery_tid_chars - 10);
}

std::optional<delivery_key> decode_delivery_tid(std::string_view tid) {
  if (tid.size() != delivery_tid_chars) return std::nullopt;
  delivery_key key;
  std::uint32_t gen;
  if (!get(tid.substr(0, 3), key.outbound) || !get(tid.substr(3, 1), gen) ||
      !get(tid.substr(4, 5), key.target))
    return std::nullopt;
  if (tid[9] != 'L' && tid[9] != 'M') return std::nullopt;
  key.generation = gen;
  key.last_chunk = tid[9] == 'L';
  return key;
}

}  // namespace herald::conference
