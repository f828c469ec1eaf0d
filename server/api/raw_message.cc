#include "api/raw_message.h"

#include <utility>
#include <vector>

namespace leadboard::api {

std::string BufferBytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

bool ParseMessage(const grpc::ByteBuffer& buffer, google::protobuf::Message* message) {
  return message->ParseFromString(BufferBytes(buffer));
}

grpc::ByteBuffer SharedBuffer(std::shared_ptr<const std::string> wire) {
  using Owner = std::shared_ptr<const std::string>;
  auto* owner = new Owner(std::move(wire));
  grpc::Slice slice(const_cast<char*>((*owner)->data()), (*owner)->size(),
                    [](void* p) { delete static_cast<Owner*>(p); }, owner);
  return grpc::ByteBuffer(&slice, 1);
}

namespace {

// Protobuf's wire format: a varint, and a field's key.
void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

constexpr uint32_t Key(int field, int wire_type) {
  return static_cast<uint32_t>(field << 3 | wire_type);
}

// What AppendVarint appends for `value`.
size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

}  // namespace

std::string BatchWire(int64_t revision, const std::vector<const std::string*>& messages) {
  // WatchLeadsResponse { revision = 1; batch = 6 } and WatchBatch { messages = 1 }.
  constexpr int kVarint = 0, kLengthDelimited = 2;
  size_t body = 0;
  for (const std::string* message : messages) {
    body += 1 + VarintSize(message->size()) + message->size();
  }
  std::string out;
  out.reserve(body + 24);
  if (revision != 0) {
    AppendVarint(Key(1, kVarint), &out);
    AppendVarint(static_cast<uint64_t>(revision), &out);
  }
  AppendVarint(Key(6, kLengthDelimited), &out);
  AppendVarint(body, &out);
  for (const std::string* message : messages) {
    AppendVarint(Key(1, kLengthDelimited), &out);
    AppendVarint(message->size(), &out);
    out += *message;
  }
  return out;
}

}  // namespace leadboard::api
