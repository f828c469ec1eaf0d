// Bytes in and out of the raw (ByteBuffer) methods, IngestEvents and
// WatchLeads, which decode and serialize messages themselves.
#ifndef LEADBOARD_SERVER_API_RAW_MESSAGE_H_
#define LEADBOARD_SERVER_API_RAW_MESSAGE_H_

#include <grpcpp/support/byte_buffer.h>

#include <cstdint>
#include <memory>
#include <optional>
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

// Fills one write of a watch stream: messages (anything with a `wire`
// pointer to their bytes) taken one at a time with `take(first)` (`first`:
// none taken for this write yet; nullopt: none to take now), until `most`
// are taken or the next would bring the write past `max_bytes`. That one
// is kept in `*held` and starts the next write. The first message always
// goes, however large.
template <typename Message, typename Take>
std::vector<Message> FillWrite(size_t most, size_t max_bytes, std::optional<Message>* held,
                               Take take) {
  std::vector<Message> messages;
  size_t bytes = 0;
  while (messages.size() < most) {
    std::optional<Message> next;
    next.swap(*held);
    if (!next) next = take(messages.empty());
    if (!next) break;
    if (!messages.empty() && bytes + next->wire->size() > max_bytes) {
      *held = std::move(next);
      break;
    }
    bytes += next->wire->size();
    messages.push_back(std::move(*next));
  }
  return messages;
}

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_RAW_MESSAGE_H_
