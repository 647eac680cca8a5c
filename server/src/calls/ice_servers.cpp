#include "calls/ice_servers.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace samwaad::calls {

namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

bool is_turn(const std::string& url) {
  return url.rfind("turn:", 0) == 0 || url.rfind("turns:", 0) == 0;
}

}  // namespace

TurnCredential turn_credential(const std::string& secret, const std::string& user_id,
                               int64_t expiry_unix_s) {
  TurnCredential credential;
  credential.username = std::to_string(expiry_unix_s) + ":" + user_id;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(credential.username.data()),
       credential.username.size(), mac, &mac_size);
  credential.password = base64(mac, mac_size);
  return credential;
}

nlohmann::json ice_servers_json(const IceConfig& config, const std::string& user_id,
                                int64_t now_unix_s) {
  nlohmann::json stun = nlohmann::json::array();
  nlohmann::json turn = nlohmann::json::array();
  for (const auto& url : config.urls) (is_turn(url) ? turn : stun).push_back(url);
  nlohmann::json servers = nlohmann::json::array();
  if (!stun.empty()) servers.push_back({{"urls", stun}});
  if (!turn.empty() && !config.secret.empty()) {
    auto credential = turn_credential(config.secret, user_id, now_unix_s + config.ttl_s);
    servers.push_back(
        {{"urls", turn}, {"username", credential.username}, {"credential", credential.password}});
  }
  return {{"iceServers", servers}, {"ttl", config.ttl_s}};
}

}  // namespace samwaad::calls
