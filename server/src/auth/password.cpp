#include "auth/password.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace samwaad::auth {
namespace {

// crypt_r reads a C string, so an embedded NUL would silently cut the password short;
// such a password could then be matched by its prefix.
bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// Runs bcrypt with `setting` (a salt from crypt_gensalt_rn, or a stored hash whose
// salt and cost are reused). nullopt when libxcrypt refuses the setting.
std::optional<std::string> run_crypt(std::string_view password, const std::string& setting) {
  // crypt_data is ~32 KiB: too large for the small stacks of pool threads.
  auto data = std::make_unique<crypt_data>();
  const std::string phrase(password);
  const char* out = crypt_r(phrase.c_str(), setting.c_str(), data.get());
  // libxcrypt signals failure either with NULL or with a "*0"/"*1" token, by build.
  std::optional<std::string> result;
  if (out != nullptr && out[0] != '*') result.emplace(out);
  // The scratch area held state derived from the password.
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return result;
}

}  // namespace

std::string hash_password(std::string_view password, int cost) {
  if (has_nul(password)) throw std::invalid_argument("password contains NUL");
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // With no rbytes, libxcrypt draws the salt from the OS (getrandom).
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                       sizeof setting) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "crypt_gensalt_rn");
  }
  auto hash = run_crypt(password, setting);
  if (!hash) throw std::runtime_error("crypt_r failed");
  return *hash;
}

bool verify_password(std::string_view password, const std::string& hash) {
  if (has_nul(password) || has_nul(hash)) return false;
  // Only our own scheme is accepted: a stored hash of another kind (DES, MD5, or
  // an empty setting) must not become a weaker way in.
  if (hash.rfind("$2b$", 0) != 0) return false;
  auto computed = run_crypt(password, hash);
  if (!computed || computed->size() != hash.size()) return false;
  return CRYPTO_memcmp(computed->data(), hash.data(), hash.size()) == 0;
}

void verify_dummy(std::string_view password) {
  // Computed once at the production cost, so a miss burns as much CPU as a hit.
  static const std::string dummy = hash_password("samwaad-dummy-password", kBcryptCost);
  (void)verify_password(password, dummy);
}

}  // namespace samwaad::auth
