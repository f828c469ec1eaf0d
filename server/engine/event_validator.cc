#include "engine/event_validator.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace leadboard::engine {
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned int cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

namespace {

bool HasControlChar(absl::string_view s) {
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

std::optional<Rejection> CheckText(absl::string_view field, absl::string_view value,
                                   size_t max_bytes) {
  if (value.size() > max_bytes) {
    return Rejection{std::string(field), absl::StrCat("is ", value.size(),
                                                      " bytes; the limit is ", max_bytes)};
  }
  if (!IsValidUtf8(value)) return Rejection{std::string(field), "is not valid UTF-8"};
  // Valid UTF-8, but no database text column can hold it (PostgreSQL
  // refuses it), so it would fail a whole batch, or be cut short.
  if (value.find('\0') != absl::string_view::npos) {
    return Rejection{std::string(field), "contains a NUL byte"};
  }
  return std::nullopt;
}

std::optional<Rejection> CheckId(absl::string_view field, absl::string_view value,
                                 bool required) {
  if (value.empty()) {
    if (required) return Rejection{std::string(field), "is required"};
    return std::nullopt;
  }
  if (auto r = CheckText(field, value, kMaxIdBytes)) return r;
  if (HasControlChar(value)) {
    return Rejection{std::string(field), "contains a control character"};
  }
  return std::nullopt;
}

bool AllowsProfile(v1::EventType type) {
  return type == v1::EVENT_TYPE_LEAD_GENERATED || type == v1::EVENT_TYPE_LEAD_ENRICHMENT_START;
}

bool AllowsEnrichment(v1::EventType type) {
  return type == v1::EVENT_TYPE_PIPELINE_END || type == v1::EVENT_TYPE_LEAD_ENRICHMENT_END;
}

std::optional<Rejection> CheckProfile(const v1::LeadProfile& p) {
  struct Field {
    const char* name;
    const std::string& value;
    size_t max;
  };
  const Field fields[] = {
      {"lead.company_name", p.company_name(), kMaxProfileFieldBytes},
      {"lead.website", p.website(), kMaxProfileFieldBytes},
      {"lead.sector", p.sector(), kMaxProfileFieldBytes},
      {"lead.description", p.description(), kMaxDescriptionBytes},
      {"lead.source_url", p.source_url(), kMaxProfileFieldBytes},
      {"lead.location", p.location(), kMaxProfileFieldBytes},
      {"lead.company_size", p.company_size(), kMaxProfileFieldBytes},
  };
  for (const Field& f : fields) {
    if (auto r = CheckText(f.name, f.value, f.max)) return r;
  }
  if (p.has_extra() && p.extra().ByteSizeLong() > kMaxAttributesBytes) {
    return Rejection{"lead.extra", absl::StrCat("is ", p.extra().ByteSizeLong(),
                                                " bytes encoded; the limit is ",
                                                kMaxAttributesBytes)};
  }
  return std::nullopt;
}

}  // namespace

bool RequiresLeadId(v1::EventType type) {
  return type == v1::EVENT_TYPE_LEAD_GENERATED || type == v1::EVENT_TYPE_LEAD_ENRICHMENT_START ||
         type == v1::EVENT_TYPE_LEAD_ENRICHMENT_END;
}

std::optional<Rejection> ValidateEvent(const v1::PipelineEvent& event) {
  if (auto r = CheckId("event_id", event.event_id(), /*required=*/true)) return r;
  const int raw_type = static_cast<int>(event.type());
  if (raw_type == v1::EVENT_TYPE_UNSPECIFIED) return Rejection{"type", "is required"};
  if (!v1::EventType_IsValid(raw_type)) {
    return Rejection{"type", absl::StrCat("has unknown value ", raw_type)};
  }
  const v1::EventType type = event.type();
  if (auto r = CheckId("lead_id", event.lead_id(), RequiresLeadId(type))) {
    if (event.lead_id().empty()) {
      r->reason = absl::StrCat("is required for ", v1::EventType_Name(type));
    }
    return r;
  }
  if (auto r = CheckId("job_id", event.job_id(), /*required=*/true)) return r;
  if (auto r = CheckId("user_id", event.user_id(), /*required=*/true)) return r;

  if (event.has_occurred_at()) {
    const auto& ts = event.occurred_at();
    // 2000-01-01 .. 2200-01-01 in Unix seconds.
    if (ts.seconds() < 946684800 || ts.seconds() >= 7258118400 || ts.nanos() < 0 ||
        ts.nanos() > 999999999) {
      return Rejection{"occurred_at", "must be between the years 2000 and 2200"};
    }
  }

  if (auto r = CheckText("agent_name", event.agent_name(), kMaxNameBytes)) return r;
  if ((type == v1::EVENT_TYPE_AGENT_START || type == v1::EVENT_TYPE_AGENT_END) &&
      event.agent_name().empty()) {
    return Rejection{"agent_name", absl::StrCat("is required for ", v1::EventType_Name(type))};
  }
  if (auto r = CheckText("tool_name", event.tool_name(), kMaxNameBytes)) return r;
  if (auto r = CheckText("error_type", event.error_type(), kMaxNameBytes)) return r;
  if (auto r = CheckText("message", event.message(), kMaxMessageBytes)) return r;
  if (auto r = CheckText("query", event.query(), kMaxMessageBytes)) return r;
  if (!std::isfinite(event.progress_percent()) || event.progress_percent() < 0 ||
      event.progress_percent() > 100) {
    return Rejection{"progress_percent", "must be between 0 and 100"};
  }
  if (!std::isfinite(event.duration_seconds()) || event.duration_seconds() < 0) {
    return Rejection{"duration_seconds", "must be a finite, non-negative number"};
  }
  if (event.max_leads() < 0) return Rejection{"max_leads", "must not be negative"};

  if (event.has_lead()) {
    if (!AllowsProfile(type)) {
      return Rejection{"lead", absl::StrCat("is not allowed on ", v1::EventType_Name(type),
                                            " (only LEAD_GENERATED and LEAD_ENRICHMENT_START)")};
    }
    if (auto r = CheckProfile(event.lead())) return r;
  }
  if (event.has_enrichment()) {
    if (!AllowsEnrichment(type)) {
      return Rejection{"enrichment",
                       absl::StrCat("is not allowed on ", v1::EventType_Name(type),
                                    " (only PIPELINE_END and LEAD_ENRICHMENT_END)")};
    }
    if (event.lead_id().empty()) {
      return Rejection{"enrichment", "needs lead_id: a job-level end carries no package"};
    }
    const size_t size = event.enrichment().ByteSizeLong();
    if (size > kMaxEnrichmentBytes) {
      return Rejection{"enrichment", absl::StrCat("is ", size, " bytes encoded; the limit is ",
                                                  kMaxEnrichmentBytes)};
    }
  }
  if (event.has_attributes() && event.attributes().ByteSizeLong() > kMaxAttributesBytes) {
    return Rejection{"attributes", absl::StrCat("is ", event.attributes().ByteSizeLong(),
                                                " bytes encoded; the limit is ",
                                                kMaxAttributesBytes)};
  }
  return std::nullopt;
}

}  // namespace leadboard::engine
