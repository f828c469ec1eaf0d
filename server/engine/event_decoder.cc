#include "engine/event_decoder.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace leadboard::engine {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// The path of the first string field under `fields` (of type `type`) that
// is not valid UTF-8, or nullopt.
std::optional<std::string> FindInvalidUtf8(const UnknownFieldSet& fields, const Descriptor* type,
                                           const std::string& prefix, int depth) {
  if (depth > 32) return std::nullopt;
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& field = fields.field(i);
    if (field.type() != UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const FieldDescriptor* descriptor = type->FindFieldByNumber(field.number());
    if (descriptor == nullptr) continue;
    const std::string path = prefix.empty() ? descriptor->name()
                                            : absl::StrCat(prefix, ".", descriptor->name());
    if (descriptor->type() == FieldDescriptor::TYPE_STRING) {
      if (!IsValidUtf8(field.length_delimited())) return path;
    } else if (descriptor->type() == FieldDescriptor::TYPE_MESSAGE) {
      UnknownFieldSet nested;
      if (nested.ParseFromString(field.length_delimited())) {
        if (auto found = FindInvalidUtf8(nested, descriptor->message_type(), path, depth + 1)) {
          return found;
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Rejection> DecodeEvent(absl::string_view bytes, v1::PipelineEvent* event,
                                     std::string* event_id) {
  if (event->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  UnknownFieldSet fields;
  if (!fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Rejection{"", "is not a valid PipelineEvent (malformed protobuf encoding)"};
  }
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& field = fields.field(i);
    if (field.number() == v1::PipelineEvent::kEventIdFieldNumber &&
        field.type() == UnknownField::TYPE_LENGTH_DELIMITED &&
        IsValidUtf8(field.length_delimited()) && field.length_delimited().size() <= kMaxIdBytes) {
      *event_id = field.length_delimited();
    }
  }
  if (std::optional<std::string> path =
          FindInvalidUtf8(fields, v1::PipelineEvent::descriptor(), "", 0)) {
    return Rejection{*path, "is not valid UTF-8"};
  }
  return Rejection{"", "is not a valid PipelineEvent (a field has the wrong wire type)"};
}

}  // namespace leadboard::engine
