// Bytes in and out of the raw (ByteBuffer) methods, IngestEvents and
// WatchLeads, which decode and serialize messages themselves.
#ifndef LEADBOARD_SERVER_API_RAW_MESSAGE_H_
#define LEADBOARD_SERVER_API_RAW_MESSAGE_H_

#include <grpcpp/support/byte_buffer.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/message.h"

namespace leadboard::api {

// The buffer's bytes in one string.
std::string BufferBytes(const grpc::ByteBuffer& buffer);

// Parses the buffer into `message`; false if it is not one.
bool ParseMessage(const grpc::ByteBuffer& buffer, google::protobuf::Message* message);

// A buffer over `wire` without copying it: the slice holds a reference to
// the shared string until gRPC has sent it.
grpc::ByteBuffer SharedBuffer(std::shared_ptr<const std::string> wire);

// Serialized WatchLeadsResponses sent as one: a WatchLeadsResponse at
// `revision` whose `batch` holds each of `messages` as it is, built from
// their bytes without parsing them.
std::string BatchWire(int64_t revision, const std::vector<const std::string*>& messages);

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_RAW_MESSAGE_H_
