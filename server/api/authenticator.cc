#include "api/authenticator.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace leadboard::api {
namespace {

std::array<unsigned char, 32> Digest(absl::string_view token) {
  std::array<unsigned char, 32> digest;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return digest;
}

}  // namespace

std::string Authenticator::HashToken(absl::string_view token) {
  std::array<unsigned char, 32> digest = Digest(token);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

absl::StatusOr<Authenticator> Authenticator::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("tokens file: cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return FromText(text.str());
}

absl::StatusOr<Authenticator> Authenticator::FromText(absl::string_view text) {
  Authenticator auth;
  auth.enabled_ = true;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    auto bad = [number](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("tokens file line ", number, ": ", why));
    };
    if (parts.size() != 3) return bad("expected \"SHA256HEX ROLE USER_ID\"");
    std::string hex = absl::AsciiStrToLower(parts[0]);
    if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return bad("the first field must be the token's SHA-256 in hex (64 characters)");
    }
    Entry entry;
    const std::string bytes = absl::HexStringToBytes(hex);
    std::copy(bytes.begin(), bytes.end(), entry.digest.begin());
    if (parts[1] == "worker") {
      entry.principal.role = Role::kWorker;
    } else if (parts[1] == "board") {
      entry.principal.role = Role::kBoard;
    } else if (parts[1] == "operator") {
      entry.principal.role = Role::kOperator;
    } else {
      return bad(absl::StrCat("unknown role \"", parts[1], "\" (worker, board or operator)"));
    }
    if (parts[2] == "*") {
      if (entry.principal.role != Role::kOperator) return bad("only operators may have user '*'");
    } else {
      entry.principal.user_id = std::string(parts[2]);
    }
    auth.entries_.push_back(std::move(entry));
  }
  return auth;
}

absl::StatusOr<Principal> Authenticator::Authenticate(
    const grpc::ServerContextBase& context) const {
  if (!enabled_) return Principal{};
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError("missing authorization: Bearer <token> metadata");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be \"Bearer <token>\"");
  }
  const std::array<unsigned char, 32> digest = Digest(absl::StripAsciiWhitespace(value));
  const Entry* match = nullptr;
  // Compare with every entry, in constant time each, whatever matches.
  for (const Entry& entry : entries_) {
    if (CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0) match = &entry;
  }
  if (match == nullptr) return absl::UnauthenticatedError("invalid token");
  return match->principal;
}

}  // namespace leadboard::api
