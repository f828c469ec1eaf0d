#include "api/raw_message.h"

#include <utility>
#include <vector>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"

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

std::string BatchWire(int64_t revision, const std::vector<const std::string*>& messages) {
  // WatchLeadsResponse { revision = 1; batch = 6 } and WatchBatch { messages = 1 },
  // in protobuf's own wire encoding.
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  const uint32_t message_tag =
      WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  size_t body = 0;
  for (const std::string* message : messages) {
    body += CodedOutputStream::VarintSize32(message_tag) +
            CodedOutputStream::VarintSize64(message->size()) + message->size();
  }
  std::string out;
  out.reserve(body + 24);
  {
    google::protobuf::io::StringOutputStream stream(&out);
    CodedOutputStream coded(&stream);
    if (revision != 0) {
      coded.WriteTag(WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_VARINT));
      coded.WriteVarint64(static_cast<uint64_t>(revision));
    }
    coded.WriteTag(WireFormatLite::MakeTag(6, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    coded.WriteVarint64(body);
    for (const std::string* message : messages) {
      coded.WriteTag(message_tag);
      coded.WriteVarint64(message->size());
      coded.WriteString(*message);
    }
  }  // the stream trims `out` to what was written
  return out;
}

}  // namespace leadboard::api
