// The board configuration: columns in display order, which agents and event
// types move a card into each, and the rank that makes moves monotonic.
#ifndef LEADBOARD_SERVER_ENGINE_BOARD_CONFIG_H_
#define LEADBOARD_SERVER_ENGINE_BOARD_CONFIG_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "leadboard/v1/board.pb.h"

namespace leadboard::engine {

// An immutable, validated board. Thread-safe after construction.
//
// Ranks order a run's stages: working columns left to right, then the
// failure column, then the success column. A card's stage within a run is the
// highest-ranked stage its events imply. People's columns (role PEOPLE) have
// no rank: only people move cards into them (MoveLead), and no event moves
// a card out.
class BoardConfig {
 public:
  // The default board (docs/domain.md, docs/semantics.md).
  static BoardConfig Default();

  // Validates `config`: ids unique, non-empty and at most 64 bytes; exactly
  // one SUCCESS and one FAILURE column; an agent or event type maps to at
  // most one working column; people's columns after every working column,
  // with no agents or event types. InvalidArgument names the offending
  // column. Sets each column's `accepts_moves`.
  static absl::StatusOr<BoardConfig> FromProto(v1::BoardConfig config);

  // Parses protobuf JSON (see BoardConfig in board.proto) and validates it.
  static absl::StatusOr<BoardConfig> FromJson(absl::string_view json);

  // Reads and parses a JSON file. NotFound if it cannot be read.
  static absl::StatusOr<BoardConfig> FromFile(const std::string& path);

  // Columns in display order, agents normalized.
  const std::vector<v1::BoardColumn>& columns() const { return columns_; }

  // The working column an agent's activity implies, or nullptr for an
  // unknown agent. Accepts any spelling of the name.
  const v1::BoardColumn* ColumnForAgent(absl::string_view agent_name) const;

  // The working column an event type implies, or nullptr.
  const v1::BoardColumn* ColumnForEventType(v1::EventType type) const;

  const v1::BoardColumn& success_column() const { return columns_[success_]; }
  const v1::BoardColumn& failure_column() const { return columns_[failure_]; }

  // Rank of a column id; -1 for an unknown id.
  int Rank(absl::string_view column_id) const;

  // The column with that id, or nullptr.
  const v1::BoardColumn* Find(absl::string_view column_id) const;

  // True for a people's column (role PEOPLE).
  bool IsPeoples(absl::string_view column_id) const;

  // True where MoveLead may put a card: people's columns and the success
  // column.
  bool AcceptsMoves(absl::string_view column_id) const;

  // A copy in which every working column without its own stall_after has
  // `limit` (the server's --stall_after): the limits in force.
  BoardConfig WithStallAfter(absl::Duration limit) const;

  // How long a lead mid-run in this column may go without an event before
  // it is stalled; infinite for columns without a limit (terminal, people's,
  // unknown, or a board not given WithStallAfter).
  absl::Duration StallAfter(absl::string_view column_id) const;

  // How long a running job may go without an event before it is stalled
  // (WithStallAfter's limit; infinite without one).
  absl::Duration job_stall_after() const { return job_stall_after_; }

  // True for the first working column (where harvested leads start).
  bool IsFirstWorkingColumn(absl::string_view column_id) const;

 private:
  BoardConfig() = default;

  std::vector<v1::BoardColumn> columns_;
  absl::Duration job_stall_after_ = absl::InfiniteDuration();
  size_t success_ = 0;
  size_t failure_ = 0;
  absl::flat_hash_map<std::string, int> rank_;          // column id -> rank
  absl::flat_hash_map<std::string, size_t> by_id_;      // column id -> index
  absl::flat_hash_map<std::string, size_t> by_agent_;   // agent key -> index
  absl::flat_hash_map<int, size_t> by_event_type_;      // event type -> index
};

}  // namespace leadboard::engine

#endif  // LEADBOARD_SERVER_ENGINE_BOARD_CONFIG_H_
