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

}  // namespace leadboard::api
