// libFuzzer target: a watch stream's queue (hub::Watcher) driven by
// arbitrary bytes. The input starts with a WatchLeadsRequest (its user and
// job filter and whether it conflates, as a client sends them; bytes that do
// not parse fall back to an empty request) and a queue limit; the rest is a
// script of hub and stream operations: push a change of one of 8 leads (of
// the watched user and job or not, its bytes of some size), write (the
// stream fills one write as WatchStream does: one message, or a batch of up
// to a few within a byte limit, holding the one that does not fit for the
// next), offer a heartbeat, close. A model beside the watcher checks every
// promise the watch semantics make:
//
// - only changes matching the filter are queued;
// - plain: every queued change comes out, once, in revision order, until the
//   queue would pass its limit; then the watcher says overflowed, for good;
// - conflating: never overflows, holds at most one change per lead, and pops
//   in revision order each lead's newest change, so a watcher that drains
//   ends with every lead's last revision;
// - a heartbeat comes out only when no change is queued, never older than
//   what was sent before it; after close, the watcher says closed;
// - a write holds at most its limit of messages, and of bytes unless it is
//   one message; a batch parses as the messages it was made of, in order,
//   at its last one's revision; a held message starts the next write.
#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/raw_message.h"
#include "hub/watcher.h"
#include "leadboard/v1/leadboard.pb.h"

namespace {

using leadboard::hub::Queued;
using leadboard::hub::Watcher;

// What a stream writes: a change, or a heartbeat (progress) at a revision.
struct Sent {
  int64_t revision = 0;
  std::shared_ptr<const std::string> wire;
  int64_t taken = 0;  // the how-manieth message the stream took
};

std::shared_ptr<const std::string> ChangeWire(int64_t revision, const std::string& lead,
                                              size_t filler) {
  leadboard::v1::WatchLeadsResponse response;
  response.set_revision(revision);
  leadboard::v1::Lead* card = response.mutable_lead_change()->mutable_lead();
  card->set_id(lead);
  card->set_activity(std::string(filler, 'x'));
  return std::make_shared<const std::string>(response.SerializeAsString());
}

std::shared_ptr<const std::string> ProgressWire(int64_t revision) {
  leadboard::v1::WatchLeadsResponse response;
  response.set_revision(revision);
  response.mutable_progress();
  return std::make_shared<const std::string>(response.SerializeAsString());
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::string Bytes(size_t n) {
    n = std::min(n, size_ - at_);
    std::string out(reinterpret_cast<const char*>(data_ + at_), n);
    at_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace leadboard;
  Reader in(data, size);
  v1::WatchLeadsRequest request;
  const size_t request_size = in.Byte();
  if (!request.ParseFromString(in.Bytes(request_size))) request.Clear();
  const size_t limit = 1 + in.Byte() % 16;
  const bool conflate = request.conflate();
  auto watcher = std::make_shared<Watcher>(
      store::LeadFilter{request.user_id(), request.job_id(), ""}, limit,
      std::weak_ptr<hub::WatcherListener>(), conflate);

  // The model: what is queued (plain: in order; conflating: per lead).
  std::deque<int64_t> plain;
  std::map<std::string, int64_t> newest;  // conflating: lead -> queued revision
  std::map<int64_t, std::string> lead_of;
  std::map<std::string, int64_t> last_pushed, last_popped;
  bool overflowed = false, closed = false;
  int64_t revision = 0, last_sent = 0, progress = -1;
  std::optional<Sent> held;  // taken for a write it did not fit; starts the next
  int64_t taken = 0, written = 0;  // messages taken from the watcher, and written

  // The stream takes one message from the watcher: checked against the model.
  auto take = [&](bool) -> std::optional<Sent> {
    Queued message;
    int64_t heartbeat = 0;
    const Watcher::Next next = watcher->Pop(&message, &heartbeat);
    if (overflowed) {
      if (next != Watcher::Next::kOverflowed) std::abort();
      return std::nullopt;
    }
    if (closed) {
      if (next != Watcher::Next::kClosed) std::abort();
      return std::nullopt;
    }
    if (conflate) {
      if (newest.empty()) {
        if (next == Watcher::Next::kMessage) std::abort();
      } else {
        // The oldest queued change, and it is its lead's newest.
        int64_t oldest = INT64_MAX;
        for (const auto& [lead, rev] : newest) oldest = std::min(oldest, rev);
        if (next != Watcher::Next::kMessage || message.revision != oldest) std::abort();
        const std::string& lead = lead_of[oldest];
        if (last_pushed[lead] != oldest) std::abort();
        newest.erase(lead);
        last_popped[lead] = oldest;
      }
    } else if (plain.empty()) {
      if (next == Watcher::Next::kMessage) std::abort();
    } else {
      if (next != Watcher::Next::kMessage || message.revision != plain.front()) std::abort();
      plain.pop_front();
    }
    if (next == Watcher::Next::kMessage) {
      if (message.revision <= last_sent) std::abort();
      last_sent = message.revision;
      if (progress >= 0 && progress <= message.revision) progress = -1;
      return Sent{message.revision, std::move(message.wire), ++taken};
    }
    if (next == Watcher::Next::kProgress) {
      if (progress < 0 || heartbeat != progress || heartbeat < last_sent) std::abort();
      progress = -1;
      return Sent{heartbeat, ProgressWire(heartbeat), ++taken};
    }
    if (next != Watcher::Next::kEmpty || progress >= 0) std::abort();
    return std::nullopt;
  };

  while (!in.empty()) {
    const uint8_t op = in.Byte();
    switch (op % 8) {
      default: {  // 0-4: a change
        store::Change change;
        change.revision = ++revision;
        change.lead_id = absl::StrCat("lead-", op / 8 % 8);
        const uint8_t who = in.Byte();
        change.user_id = (who & 1) ? request.user_id() : "someone-else";
        change.job_id = (who & 2) ? request.job_id() : "another-job";
        const bool matches = (request.user_id().empty() || change.user_id == request.user_id()) &&
                             (request.job_id().empty() || change.job_id == request.job_id());
        if (watcher->Matches(change) != matches) std::abort();
        if (!matches) break;
        watcher->Push(
            Queued{change.revision, ChangeWire(change.revision, change.lead_id, who >> 2)},
            change.lead_id);
        last_pushed[change.lead_id] = change.revision;
        lead_of[change.revision] = change.lead_id;
        if (overflowed) break;
        if (conflate) {
          newest[change.lead_id] = change.revision;
        } else if (plain.size() >= limit) {
          overflowed = true;
          plain.clear();
        } else {
          plain.push_back(change.revision);
        }
        break;
      }
      case 5: {  // the stream fills a write, as WatchStream does
        const size_t most = request.batch() ? 1 + in.Byte() % 8 : 1;
        const size_t max_bytes = 16 + in.Byte();
        const std::optional<int64_t> first_held =
            held ? std::optional<int64_t>(held->revision) : std::nullopt;
        const std::vector<Sent> write = api::FillWrite(most, max_bytes, &held, take);
        if (write.empty()) {
          // A held message is never left behind, nor one taken.
          if (first_held || held || taken != written) std::abort();
          break;
        }
        if (write.size() > most) std::abort();
        if (first_held && write.front().revision != *first_held) std::abort();
        // Every message taken is written, once, in the order taken; only
        // the held one waits.
        for (const Sent& sent : write) {
          if (sent.taken != ++written) std::abort();
        }
        if (taken - written != (held ? 1 : 0)) std::abort();
        size_t bytes = 0;
        for (const Sent& sent : write) bytes += sent.wire->size();
        if (write.size() > 1 && bytes > max_bytes) std::abort();
        if (held && bytes + held->wire->size() <= max_bytes && write.size() < most) std::abort();
        if (write.size() == 1) break;  // sent as it is
        std::vector<const std::string*> wires;
        for (const Sent& sent : write) wires.push_back(sent.wire.get());
        v1::WatchLeadsResponse batch;
        if (!batch.ParseFromString(api::BatchWire(write.back().revision, wires))) std::abort();
        if (batch.revision() != write.back().revision ||
            batch.batch().messages_size() != static_cast<int>(write.size())) {
          std::abort();
        }
        for (size_t i = 0; i < write.size(); ++i) {
          if (batch.batch().messages(static_cast<int>(i)).SerializeAsString() != *write[i].wire) {
            std::abort();
          }
        }
        break;
      }
      case 6:  // a heartbeat is due
        if (closed || overflowed) break;
        watcher->OfferProgress(revision, absl::InfiniteFuture(), absl::Now());
        progress = revision;
        break;
      case 7:  // the server shuts down (rarely: one op in 8 would end most runs)
        if (in.Byte() % 8 != 0) break;
        watcher->Close();
        closed = true;
        break;
    }
    if (conflate && watcher->depth() > 8) std::abort();  // one per lead, 8 leads
    if (!conflate && watcher->depth() > limit) std::abort();
  }
  // A conflating watcher that drains ends with every lead's last revision.
  if (conflate && !closed) {
    Queued message;
    int64_t heartbeat = 0;
    for (Watcher::Next next; (next = watcher->Pop(&message, &heartbeat)) != Watcher::Next::kEmpty;) {
      if (next == Watcher::Next::kMessage) last_popped[lead_of[message.revision]] = message.revision;
    }
    for (const auto& [lead, rev] : last_pushed) {
      if (last_popped[lead] != rev) std::abort();
    }
  }
  return 0;
}
