// Password hashing with bcrypt ($2b$, cost 12) from libxcrypt. Each call costs
// ~0.25 s of CPU: callers run it on the bounded hashing pool, never on an I/O thread.
#pragma once

#include <string>
#include <string_view>

namespace samwaad::auth {

constexpr int kBcryptCost = 12;

// Returns a `$2b$<cost>$...` hash with a fresh random salt.
std::string hash_password(std::string_view password, int cost = kBcryptCost);
// Constant-time comparison of the recomputed hash; false for a malformed hash.
bool verify_password(std::string_view password, const std::string& hash);
// Burns the same CPU as a real verification, so that an unknown email takes as
// long as a wrong password (no account enumeration by timing).
void verify_dummy(std::string_view password);

}  // namespace samwaad::auth
