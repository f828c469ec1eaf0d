// The watch's state: live, connecting, reconnecting or resyncing.
import type { ConnectionState } from "../hooks/useBoardStream";

const help: Record<ConnectionState, string> = {
  connecting: "Loading the board…",
  live: "Live: changes appear as they happen",
  reconnecting: "The connection broke; reconnecting and catching up",
  resyncing: "Reloading the whole board (the server no longer had our place)",
};

export function ConnectionBadge({ connection }: { connection: ConnectionState }) {
  return (
    <span className={`connection connection-${connection}`} title={help[connection]} role="status">
      <span className="connection-dot" aria-hidden />
      <span data-testid="connection-state">{connection}</span>
    </span>
  );
}
