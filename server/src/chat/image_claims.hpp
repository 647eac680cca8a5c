// How the chat checks the images in messages: the contract accepts only an
// image the sender uploaded. The media service implements it; the chat needs
// nothing of how images are processed or stored.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace samwaad::chat {

class ImageClaims {
 public:
  virtual ~ImageClaims() = default;
  // `image` is what the client sent (the upload result it got back). Returns
  // the image's stored metadata, to be carried by the message, and marks the
  // image used so it is kept. Throws ApiError validation on fields.image when
  // the image is not one `sender_id` uploaded for chat. Blocks on storage.
  virtual nlohmann::json claim_for_message(const std::string& sender_id,
                                           const nlohmann::json& image) = 0;
};

}  // namespace samwaad::chat
