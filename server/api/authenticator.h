// Authenticator: bearer tokens and what each principal may do.
//
// Tokens come from a file of lines "SHA256HEX ROLE USER_ID" ('#' starts a
// comment): the SHA-256 of the token in hex, the role (worker, board or
// operator) and the user the token acts for ('*' for an operator of all
// users). Tokens are stored hashed and compared in constant time. Without a
// file, authentication is off and every caller is an operator.
//
// Workers may ingest (their own user's events); boards may watch, get and
// list their own user's leads; operators may do everything.
#ifndef LEADBOARD_SERVER_API_AUTHENTICATOR_H_
#define LEADBOARD_SERVER_API_AUTHENTICATOR_H_

#include <array>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace leadboard::api {

enum class Role { kWorker, kBoard, kOperator };

struct Principal {
  Role role = Role::kOperator;
  std::string user_id;  // empty: every user (operators only)

  bool CanIngest() const { return role != Role::kBoard; }
  bool CanRead() const { return role != Role::kWorker; }
  // True if this principal may see or write `user_id`'s leads.
  bool Owns(absl::string_view user_id) const {
    return this->user_id.empty() || this->user_id == user_id;
  }
};

class Authenticator {
 public:
  // Authentication off: everyone is an operator.
  Authenticator() = default;

  // Parses a token file. InvalidArgument names the line and the problem.
  static absl::StatusOr<Authenticator> FromFile(const std::string& path);
  static absl::StatusOr<Authenticator> FromText(absl::string_view text);

  bool enabled() const { return enabled_; }

  // The principal of a call from its `authorization: Bearer TOKEN` metadata.
  // UNAUTHENTICATED if missing or unknown. Thread-safe.
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& context) const;

  // Hex SHA-256 of a token, as the token file wants it.
  static std::string HashToken(absl::string_view token);

 private:
  struct Entry {
    std::array<unsigned char, 32> digest;
    Principal principal;
  };
  bool enabled_ = false;
  std::vector<Entry> entries_;
};

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_AUTHENTICATOR_H_
