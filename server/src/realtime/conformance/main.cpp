// sio-conformance-server: the server the official protocol conformance suites run against.
//
// github.com/socketio/socket.io keeps, beside each spec, a mocha suite that drives a server on
// localhost:3000 with raw HTTP requests and WebSocket frames:
//   docs/engine.io-protocol/v4-test-suite  (Engine.IO v4)  expects an echo server on /engine.io/
//   docs/socket.io-protocol/v5-test-suite  (Socket.IO v5)  expects a server on /socket.io/
// both with pingInterval 300, pingTimeout 200, maxPayload 1000000 and CORS "*"; the Socket.IO one
// also with namespaces "/" and "/custom" and connectTimeout 1000. This program is that server,
// built from the same transport (net/engineio_server) and codec (realtime/protocol) as Samwaad,
// and behaving as the reference JavaScript servers in each spec's "Test suite" section:
//
//   Engine.IO:  socket.on("data", (...args) => socket.send(...args));
//   Socket.IO:  on connection to "/" or "/custom": socket.emit("auth", socket.handshake.auth);
//               on "/": "message"          -> emit("message-back", ...args)
//                       "message-with-ack" -> ack(...args)
//
// PORT (default 3000) and HOST (default 127.0.0.1) override the address. How to run the suites:
// docs/conformance.md.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>

#include "core/ids.hpp"
#include "http/app.hpp"
#include "net/http_server.hpp"
#include "obs/metrics.hpp"
#include "realtime/engine.hpp"
#include "realtime/protocol/engineio.hpp"
#include "realtime/protocol/socketio.hpp"

namespace {

using samwaad::realtime::EngineConnection;
using samwaad::realtime::EngineHandler;
using samwaad::realtime::EngineOptions;
using samwaad::realtime::Runtime;
namespace eio = samwaad::realtime::protocol::engineio;
namespace sio = samwaad::realtime::protocol::socketio;
using Json = nlohmann::json;

constexpr std::chrono::milliseconds kConnectTimeout{1000};

// Engine.IO: every message, text or binary, goes back as it came.
class EchoHandler final : public EngineHandler {
 public:
  void on_open(const std::shared_ptr<EngineConnection>&) override {}
  void on_message(EngineConnection& connection, eio::Packet packet) override {
    connection.send(std::move(packet));
  }
  void on_close(EngineConnection&, std::string_view) override {}
};

// Socket.IO: the reference server of the v5 spec's "Test suite" section.
class SocketIoHandler final : public EngineHandler {
 public:
  explicit SocketIoHandler(Runtime& runtime) : runtime_(runtime) {}

  void on_open(const std::shared_ptr<EngineConnection>& connection) override {
    auto client = std::make_unique<Client>();
    client->connection = connection;
    auto id = connection->id();
    // connectTimeout: an Engine.IO connection that joins no namespace in time is closed.
    client->connect_timer = runtime_.after(kConnectTimeout, [this, id] {
      auto it = clients_.find(id);
      if (it != clients_.end() && it->second->namespaces.empty()) it->second->connection->close();
    });
    clients_.emplace(id, std::move(client));
  }

  void on_message(EngineConnection& connection, eio::Packet packet) override {
    auto it = clients_.find(connection.id());
    if (it == clients_.end()) return;
    Client& client = *it->second;
    auto decoded = client.decoder.add(packet);
    if (!decoded) {
      // As the reference server: a packet that does not parse closes the connection.
      connection.close();
      return;
    }
    if (decoded.value()) handle(client, std::move(*decoded.value()));
  }

  void on_close(EngineConnection& connection, std::string_view) override {
    clients_.erase(connection.id());
  }

 private:
  struct Client {
    std::shared_ptr<EngineConnection> connection;
    sio::Decoder decoder;
    std::set<std::string> namespaces;  // joined
    std::unique_ptr<Runtime::Timer> connect_timer;
  };

  static void send(Client& client, sio::Packet packet) {
    for (auto& p : sio::to_engineio(sio::encode(std::move(packet)))) {
      client.connection->send(std::move(p));
    }
  }

  void handle(Client& client, sio::Packet packet) {
    switch (packet.type) {
      case sio::PacketType::connect: {
        if (packet.nsp != "/" && packet.nsp != "/custom") {
          send(client, {sio::PacketType::connect_error,
                        packet.nsp,
                        Json{{"message", "Invalid namespace"}},
                        {},
                        0});
          return;
        }
        client.namespaces.insert(packet.nsp);
        send(client,
             {sio::PacketType::connect, packet.nsp, Json{{"sid", samwaad::random_hex(10)}}, {}, 0});
        // socket.emit("auth", socket.handshake.auth): the CONNECT payload, or {}.
        Json auth = packet.data && packet.data->is_object() ? *packet.data : Json::object();
        send(client,
             {sio::PacketType::event, packet.nsp, Json::array({"auth", std::move(auth)}), {}, 0});
        return;
      }
      case sio::PacketType::disconnect:
        // Leaves the namespace; the Engine.IO connection stays, as in the reference server.
        client.namespaces.erase(packet.nsp);
        return;
      case sio::PacketType::event:
      case sio::PacketType::binary_event:
        if (!client.namespaces.count(packet.nsp) || packet.nsp != "/") return;
        on_event(client, std::move(packet));
        return;
      case sio::PacketType::ack:
      case sio::PacketType::binary_ack: return;  // this server never asks for acks
      default: client.connection->close(); return;
    }
  }

  static void on_event(Client& client, sio::Packet packet) {
    Json& data = *packet.data;  // a non-empty array whose first element is a string
    const std::string name = data.at(0).get<std::string>();
    Json args = Json::array();
    for (std::size_t i = 1; i < data.size(); ++i) args.push_back(std::move(data[i]));
    if (name == "message") {
      args.insert(args.begin(), "message-back");
      // encode() turns the binary values back into attachments (BINARY_EVENT).
      send(client, {sio::PacketType::event, "/", std::move(args), {}, 0});
    } else if (name == "message-with-ack" && packet.id) {
      send(client, {sio::PacketType::ack, "/", std::move(args), packet.id, 0});
    }
  }

  Runtime& runtime_;
  std::unordered_map<std::string, std::unique_ptr<Client>> clients_;
};

}  // namespace

int main() {
  spdlog::set_level(spdlog::level::warn);
  samwaad::net::ServerOptions options;
  const char* host = std::getenv("HOST");
  options.host = host && *host ? host : "127.0.0.1";
  const char* port = std::getenv("PORT");
  options.port = static_cast<uint16_t>(port && *port ? std::atoi(port) : 3000);
  options.general_workers = 1;
  options.hashing_workers = 1;

  // Nothing but the two engine paths: everything else is a 404.
  samwaad::http::HttpApp app(
      samwaad::http::Router{}, {std::string("*")}, [](samwaad::http::Request&) {
        return samwaad::http::Response::json(404, {{"error", {{"code", "not_found"}}}});
      });
  samwaad::obs::Metrics metrics;
  samwaad::net::HttpServer server(options, app, metrics);

  EngineOptions engine_options;
  engine_options.ping_interval = std::chrono::milliseconds(300);
  engine_options.ping_timeout = std::chrono::milliseconds(200);
  engine_options.max_payload = 1000000;

  EchoHandler echo;
  SocketIoHandler socketio(server.runtime());
  server.attach_engine("/engine.io/", engine_options, echo, std::string("*"));
  server.attach_engine("/socket.io/", engine_options, socketio, std::string("*"));

  std::printf("sio-conformance-server listening on http://%s:%u (/engine.io/, /socket.io/)\n",
              options.host.c_str(), server.port());
  std::fflush(stdout);
  server.run();
  return 0;
}
